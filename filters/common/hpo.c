#include "hpo.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "json.h"
#include "strbuf.h"
#include "util.h"

/* ---------------------------------------------------------------- helpers */

/* (row, idx) pairs turned into a CSR table, sorted and unique per row */
struct pairvec {
	uint64_t *v;
	size_t n, cap;
};

static void pair_push(struct pairvec *p, uint32_t row, uint32_t idx)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->v = erealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = (uint64_t)row << 32 | idx;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void rows_build(struct hpo_rows *r, struct pairvec *p, size_t nrows)
{
	size_t i, k = 0;

	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), cmp_u64);
	r->n = nrows;
	r->off = ecalloc(nrows + 1, sizeof(*r->off));
	r->idx = emalloc((p->n ? p->n : 1) * sizeof(*r->idx));
	for (i = 0; i < p->n; i++) {
		if (i && p->v[i] == p->v[i - 1])
			continue;
		r->idx[k++] = (uint32_t)p->v[i];
		r->off[(p->v[i] >> 32) + 1]++;
	}
	for (i = 0; i < nrows; i++)
		r->off[i + 1] += r->off[i];
}

static void rows_release(struct hpo_rows *r)
{
	free(r->off);
	free(r->idx);
	memset(r, 0, sizeof(*r));
}

static void free_strs(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Split line at tabs in place; returns the number of fields (at most max). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *t = strchr(line, '\t');

		f[n++] = line;
		if (!t)
			break;
		*t = '\0';
		line = t + 1;
	}
	return n;
}

/* ------------------------------------------------------------- ontology */

/* "http://purl.obolibrary.org/obo/HP_0000118" or "HP:0000118" -> "HP:0000118" in sb; 0 if not HP */
static int hp_id_of(const char *iri, struct strbuf *sb)
{
	const char *s = strrchr(iri, '/');

	s = s ? s + 1 : iri;
	if (strncmp(s, "HP_", 3) != 0 && strncmp(s, "HP:", 3) != 0)
		return 0;
	strbuf_reset(sb);
	strbuf_addstr(sb, "HP:");
	strbuf_addstr(sb, s + 3);
	return 1;
}

static char *release_of(struct json_object *meta)
{
	const char *v = rft_json_get_str(meta, "version");
	struct json_object *bpv = rft_json_get(meta, "basicPropertyValues");
	size_t i;

	if (v) {
		const char *r = strstr(v, "/releases/");

		if (r) {
			const char *e = strchr(r + 10, '/');

			return e ? estrndup(r + 10, (size_t)(e - r - 10)) : estrdup(r + 10);
		}
	}
	if (bpv && json_object_is_type(bpv, json_type_array))
		for (i = 0; i < json_object_array_length(bpv); i++) {
			struct json_object *b = json_object_array_get_idx(bpv, i);
			const char *p = rft_json_get_str(b, "pred");
			const char *val = rft_json_get_str(b, "val");

			if (p && val && rft_has_suffix(p, "owl#versionInfo"))
				return estrdup(val);
		}
	return v ? estrdup(v) : NULL;
}

struct anc_ctx {
	const struct hpo_ontology *o;
	unsigned char *state;    /* 0 new, 1 on the path, 2 done */
	uint32_t **list;
	uint32_t *len;
	uint32_t *mark;
	int cycle;
};

static void anc_visit(struct anc_ctx *c, uint32_t t)
{
	const uint32_t *par = hpo_row(&c->o->parents, t);
	uint32_t np = hpo_row_len(&c->o->parents, t), i, j, n = 1, cap = 1;

	c->state[t] = 1;
	for (i = 0; i < np; i++) {
		if (c->state[par[i]] == 0)
			anc_visit(c, par[i]);
		else if (c->state[par[i]] == 1)
			c->cycle = 1;
		if (c->state[par[i]] == 2)
			cap += c->len[par[i]];
	}
	c->list[t] = emalloc(cap * sizeof(uint32_t));
	c->list[t][0] = t;
	c->mark[t] = t + 1;
	for (i = 0; i < np; i++) {
		if (c->state[par[i]] != 2)
			continue;
		for (j = 0; j < c->len[par[i]]; j++) {
			uint32_t a = c->list[par[i]][j];

			if (c->mark[a] != t + 1) {
				c->mark[a] = t + 1;
				c->list[t][n++] = a;
			}
		}
	}
	c->len[t] = n;
	c->state[t] = 2;
}

static int onto_fail(struct json_object *root, struct strbuf *text, int code)
{
	json_object_put(root);
	strbuf_release(text);
	return code;
}

int hpo_ontology_load(struct hpo_ontology *o, const char *path)
{
	struct rft_input in;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, id = STRBUF_INIT;
	struct json_object *root = NULL, *graphs, *g = NULL, *nodes, *edges;
	struct pairvec par = { NULL, 0, 0 };
	struct anc_ctx ac;
	size_t i, n, nalt = 0, capalt = 0;
	long t;

	memset(o, 0, sizeof(*o));
	o->phenotype_root = -1;
	if (rft_input_open(&in, path) < 0)
		return RFT_EX_NOINPUT;
	if (rft_input_slurp(&in, &text, (size_t)1 << 31) < 0) {
		rft_input_close(&in);
		strbuf_release(&text);
		return RFT_EX_DATA;
	}
	if (rft_input_close(&in) < 0) {
		strbuf_release(&text);
		return RFT_EX_DATA;
	}
	if (rft_json_parse(text.buf, text.len, &root, &err) < 0) {
		error("%s: not an obographs JSON ontology: %s", path, err.buf);
		strbuf_release(&err);
		return onto_fail(NULL, &text, RFT_EX_CONFIG);
	}
	strbuf_release(&text);
	graphs = rft_json_get(root, "graphs");
	if (graphs && json_object_is_type(graphs, json_type_array))
		for (i = 0; i < json_object_array_length(graphs) && !g; i++) {
			struct json_object *x = json_object_array_get_idx(graphs, i);
			struct json_object *nx = rft_json_get(x, "nodes");

			if (nx && json_object_is_type(nx, json_type_array))
				g = x;
		}
	if (!g) {
		error("%s: not an obographs JSON ontology (no graphs[].nodes)", path);
		return onto_fail(root, &text, RFT_EX_CONFIG);
	}
	nodes = rft_json_get(g, "nodes");
	edges = rft_json_get(g, "edges");
	o->path = estrdup(path);
	o->version = release_of(rft_json_get(g, "meta"));

	/* terms */
	n = json_object_array_length(nodes);
	o->label = emalloc((n + 1) * sizeof(*o->label));
	o->live = emalloc((n + 1) * sizeof(*o->live));
	{
		char **repl = ecalloc(n + 1, sizeof(*repl));
		char **alts = NULL;
		int32_t *altt = NULL;

		for (i = 0; i < n; i++) {
			struct json_object *nd = json_object_array_get_idx(nodes, i);
			const char *iri = rft_json_get_str(nd, "id");
			const char *lbl = rft_json_get_str(nd, "lbl");
			struct json_object *meta = rft_json_get(nd, "meta"), *bpv, *dep;
			int added;
			size_t j;

			if (!iri || !hp_id_of(iri, &id))
				continue;
			t = strmap_intern(&o->ids, id.buf, &added);
			if (!added)
				continue;
			o->label[t] = estrdup(lbl ? lbl : "");
			o->live[t] = (int32_t)t;
			dep = rft_json_get(meta, "deprecated");
			if (dep && json_object_get_boolean(dep)) {
				o->live[t] = -1;
				o->nobsolete++;
			}
			bpv = rft_json_get(meta, "basicPropertyValues");
			if (!bpv || !json_object_is_type(bpv, json_type_array))
				continue;
			for (j = 0; j < json_object_array_length(bpv); j++) {
				struct json_object *b = json_object_array_get_idx(bpv, j);
				const char *p = rft_json_get_str(b, "pred");
				const char *val = rft_json_get_str(b, "val");

				if (!p || !val)
					continue;
				if (rft_has_suffix(p, "hasAlternativeId") && hp_id_of(val, &id)) {
					if (nalt == capalt) {
						capalt = capalt ? 2 * capalt : 1024;
						alts = erealloc(alts, capalt * sizeof(*alts));
						altt = erealloc(altt, capalt * sizeof(*altt));
					}
					alts[nalt] = estrdup(id.buf);
					altt[nalt++] = (int32_t)t;
				} else if (rft_has_suffix(p, "IAO_0100001") && hp_id_of(val, &id) && !repl[t]) {
					repl[t] = estrdup(id.buf);
				}
			}
		}
		o->n = o->ids.n;
		/* obsolete -> replacement, followed (a few hops at most) */
		for (i = 0; i < o->n; i++) {
			long r = (long)i;
			int hops = 0;

			if (o->live[i] >= 0)
				continue;
			while (r >= 0 && o->live[r] < 0 && repl[r] && hops++ < 16)
				r = strmap_get(&o->ids, repl[r]);
			if (r >= 0 && o->live[r] >= 0) {
				o->live[i] = (int32_t)r;
				o->nreplaced++;
			}
		}
		for (i = 0; i < n + 1; i++)
			free(repl[i]);
		free(repl);
		o->alt_of = emalloc((nalt + 1) * sizeof(*o->alt_of));
		for (i = 0; i < nalt; i++) {
			int added;
			long k = strmap_intern(&o->alt, alts[i], &added);

			if (added)
				o->alt_of[k] = altt[i];
			free(alts[i]);
		}
		o->nalt = o->alt.n;
		free(alts);
		free(altt);
	}

	/* is_a edges */
	if (edges && json_object_is_type(edges, json_type_array))
		for (i = 0; i < json_object_array_length(edges); i++) {
			struct json_object *e = json_object_array_get_idx(edges, i);
			const char *pred = rft_json_get_str(e, "pred");
			const char *sub = rft_json_get_str(e, "sub");
			const char *obj = rft_json_get_str(e, "obj");
			long s, p;

			if (!pred || strcmp(pred, "is_a") || !sub || !obj)
				continue;
			if (!hp_id_of(sub, &id) || (s = strmap_get(&o->ids, id.buf)) < 0)
				continue;
			if (!hp_id_of(obj, &id) || (p = strmap_get(&o->ids, id.buf)) < 0)
				continue;
			if (s != p)
				pair_push(&par, (uint32_t)s, (uint32_t)p);
		}
	json_object_put(root);
	strbuf_release(&id);
	if (o->n == 0) {
		error("%s: the ontology has no HP terms", path);
		free(par.v);
		return RFT_EX_CONFIG;
	}
	rows_build(&o->parents, &par, o->n);
	free(par.v);

	/* ancestors */
	memset(&ac, 0, sizeof(ac));
	ac.o = o;
	ac.state = ecalloc(o->n, 1);
	ac.list = ecalloc(o->n, sizeof(*ac.list));
	ac.len = ecalloc(o->n, sizeof(*ac.len));
	ac.mark = ecalloc(o->n, sizeof(*ac.mark));
	for (i = 0; i < o->n; i++)
		if (!ac.state[i])
			anc_visit(&ac, (uint32_t)i);
	{
		size_t total = 0, k = 0;

		for (i = 0; i < o->n; i++)
			total += ac.len[i];
		o->ancestors.n = o->n;
		o->ancestors.off = emalloc((o->n + 1) * sizeof(uint32_t));
		o->ancestors.idx = emalloc(total * sizeof(uint32_t));
		for (i = 0; i < o->n; i++) {
			o->ancestors.off[i] = (uint32_t)k;
			memcpy(o->ancestors.idx + k, ac.list[i], ac.len[i] * sizeof(uint32_t));
			k += ac.len[i];
			free(ac.list[i]);
		}
		o->ancestors.off[o->n] = (uint32_t)k;
	}
	free(ac.state);
	free(ac.list);
	free(ac.len);
	free(ac.mark);
	if (ac.cycle) {
		error("%s: the is_a relation has a cycle", path);
		return RFT_EX_CONFIG;
	}
	o->phenotype_root = strmap_get(&o->ids, "HP:0000118");
	return 0;
}

void hpo_ontology_release(struct hpo_ontology *o)
{
	free_strs(o->label, o->n);
	free(o->live);
	free(o->alt_of);
	strmap_release(&o->ids);
	strmap_release(&o->alt);
	rows_release(&o->parents);
	rows_release(&o->ancestors);
	free(o->version);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

long hpo_lookup(const struct hpo_ontology *o, const char *id, enum hpo_how *how)
{
	long t = strmap_get(&o->ids, id);
	enum hpo_how h = HPO_TERM;

	if (t >= 0) {
		if (o->live[t] != t)
			h = o->live[t] < 0 ? HPO_OBSOLETE : HPO_REPLACED;
		t = o->live[t];
	} else if ((t = strmap_get(&o->alt, id)) >= 0) {
		t = o->live[o->alt_of[t]];
		h = t < 0 ? HPO_OBSOLETE : HPO_ALT;
	} else {
		h = HPO_UNKNOWN;
	}
	if (how)
		*how = h;
	return t < 0 ? -1 : t;
}

int hpo_is_a(const struct hpo_ontology *o, long t, long a)
{
	const uint32_t *anc = hpo_row(&o->ancestors, (size_t)t);
	uint32_t i, n = hpo_row_len(&o->ancestors, (size_t)t);

	for (i = 0; i < n; i++)
		if (anc[i] == (uint32_t)a)
			return 1;
	return 0;
}

/* ----------------------------------------------------------- annotations */

struct hpo_pairs {
	struct pairvec dis_terms, dis_not, gene_dis;
	size_t cap_dis, cap_gene;
};

void hpo_annotations_init(struct hpo_annotations *a)
{
	memset(a, 0, sizeof(*a));
	a->pend = ecalloc(1, sizeof(*a->pend));
}

/* a release date YYYY-MM-DD in a file's name (files without a #date line) */
static char *date_in_name(const char *path)
{
	const char *s = strrchr(path, '/');

	for (s = s ? s + 1 : path; *s; s++) {
		int i, ok = 1;

		for (i = 0; i < 10 && ok; i++)
			ok = s[i] && (i == 4 || i == 7 ? s[i] == '-' : isdigit((unsigned char)s[i]));
		if (ok)
			return estrndup(s, 10);
	}
	return NULL;
}

/* column name, normalised: lower-case letters and digits only */
static void norm_name(const char *s, struct strbuf *sb)
{
	strbuf_reset(sb);
	for (; *s; s++)
		if (isalnum((unsigned char)*s))
			strbuf_addch(sb, tolower((unsigned char)*s));
}

enum col { C_GENE, C_SYMBOL, C_TERM, C_DISEASE, C_DNAME, C_QUAL, C_ASPECT, NCOLS };

static const char *const col_names[NCOLS][4] = {
	{ "entrezgeneid", "ncbigeneid", "geneid", NULL },
	{ "entrezgenesymbol", "genesymbol", NULL, NULL },
	{ "hpotermid", "hpoid", NULL, NULL },
	{ "diseaseidforlink", "diseaseid", "databaseid", NULL },
	{ "diseasename", NULL, NULL, NULL },
	{ "qualifier", NULL, NULL, NULL },
	{ "aspect", NULL, NULL, NULL },
};

/* Read a header line into col[]; returns the number of columns recognised. */
static int parse_header(char *line, int *col)
{
	struct strbuf name = STRBUF_INIT, fixed = STRBUF_INIT;
	char *f[256];
	size_t nf, i;
	int k, found = 0;
	const char *s;

	/* the old "#Format: a<tab>b" headers spell the tabs out */
	for (s = line; *s; s++) {
		if (!strncmp(s, "<tab>", 5)) {
			strbuf_addch(&fixed, '\t');
			s += 4;
		} else {
			strbuf_addch(&fixed, *s);
		}
	}
	for (k = 0; k < NCOLS; k++)
		col[k] = -1;
	nf = split_tabs(fixed.buf, f, 256);
	for (i = 0; i < nf; i++) {
		const char *p = f[i];

		while (*p == '#' || *p == ' ')
			p++;
		if (!strncasecmp(p, "format:", 7))
			p += 7;
		norm_name(p, &name);
		for (k = 0; k < NCOLS; k++) {
			int m;

			for (m = 0; m < 4 && col_names[k][m]; m++)
				if (!strcmp(name.buf, col_names[k][m]) && col[k] < 0) {
					col[k] = (int)i;
					found++;
				}
		}
	}
	strbuf_release(&name);
	strbuf_release(&fixed);
	return found;
}

static long intern_named(struct strmap *m, char ***names, size_t *cap, const char *key,
			 const char *name)
{
	int added;
	long i = strmap_intern(m, key, &added);

	if (added) {
		if (m->n > *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			while (*cap < m->n)
				*cap *= 2;
			*names = erealloc(*names, *cap * sizeof(**names));
		}
		(*names)[i] = estrdup(name ? name : "");
	} else if (name && *name && !(*names)[i][0]) {
		free((*names)[i]);
		(*names)[i] = estrdup(name);
	}
	return i;
}

int hpo_annotations_load(struct hpo_annotations *a, const struct hpo_ontology *o,
			 const char *path)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT, key = STRBUF_INIT;
	struct hpo_file_info *fi;
	int col[NCOLS], have_header = 0, got, rc = 0, need = 0, k;
	char *f[256];

	if (a->nfiles == (int)(sizeof(a->files) / sizeof(*a->files))) {
		error("%s: too many annotation files", path);
		return RFT_EX_USAGE;
	}
	if (rft_input_open(&in, path) < 0)
		return RFT_EX_NOINPUT;
	fi = &a->files[a->nfiles++];
	memset(fi, 0, sizeof(*fi));
	fi->path = estrdup(path);
	while ((got = rft_input_getline(&in, &line)) > 0) {
		size_t nf;
		long term, dis, gene;
		enum hpo_how how;

		if (line.len && line.buf[line.len - 1] == '\r')
			strbuf_setlen(&line, line.len - 1);
		if (!line.len)
			continue;
		if (!have_header) {
			int found = parse_header(line.buf, col);

			if (col[C_TERM] >= 0 && (col[C_GENE] >= 0 || col[C_DISEASE] >= 0) && found >= 2) {
				have_header = 1;
				fi->kind = col[C_GENE] >= 0 ? HPO_FILE_GENES : HPO_FILE_DISEASES;
				for (k = 0; k < NCOLS; k++)
					if (col[k] > need)
						need = col[k];
				continue;
			}
			if (line.buf[0] == '#') {
				const char *v = NULL;

				if (!strncmp(line.buf, "#date:", 6))
					v = line.buf + 6;
				else if (!strncmp(line.buf, "#version:", 9))
					v = line.buf + 9;
				if (v && !fi->version) {
					while (*v == ' ')
						v++;
					fi->version = estrdup(v);
				}
				continue;
			}
			error("%s:%llu: not an HPO annotation file: no header line naming an HPO term "
			      "column and a gene or disease id column (phenotype.hpoa, genes_to_phenotype.txt)",
			      in.name, in.lineno);
			rc = RFT_EX_CONFIG;
			break;
		}
		if (line.buf[0] == '#')
			continue;
		nf = split_tabs(line.buf, f, 256);
		if ((int)nf <= need) {
			error("%s:%llu: %zu fields, the header names %d", in.name, in.lineno, nf, need + 1);
			rc = RFT_EX_DATA;
			break;
		}
		fi->rows++;
		if (col[C_QUAL] >= 0 && !strcmp(f[col[C_QUAL]], "NOT"))
			fi->not_rows++;
		if (col[C_ASPECT] >= 0 && strcmp(f[col[C_ASPECT]], "P") && f[col[C_ASPECT]][0]) {
			fi->skipped_rows++;
			continue;
		}
		term = hpo_lookup(o, f[col[C_TERM]], &how);
		if (term < 0) {
			if (strncmp(f[col[C_TERM]], "HP:", 3) != 0) {
				error("%s:%llu: '%s' is not an HPO term id", in.name, in.lineno, f[col[C_TERM]]);
				rc = RFT_EX_DATA;
				break;
			}
			fi->unknown_rows++;
			continue;
		}
		if (how != HPO_TERM)
			fi->mapped_rows++;
		if (o->phenotype_root >= 0 && !hpo_is_a(o, term, o->phenotype_root)) {
			fi->skipped_rows++;
			continue;
		}
		if (fi->kind == HPO_FILE_GENES) {
			const char *gid = f[col[C_GENE]];

			if (!*gid) {
				error("%s:%llu: empty gene id", in.name, in.lineno);
				rc = RFT_EX_DATA;
				break;
			}
			gene = intern_named(&a->gene, &a->gene_symbol, &a->pend->cap_gene, gid,
					    col[C_SYMBOL] >= 0 ? f[col[C_SYMBOL]] : NULL);
			strbuf_reset(&key);
			if (col[C_DISEASE] >= 0 && f[col[C_DISEASE]][0])
				strbuf_addstr(&key, f[col[C_DISEASE]]);
			else
				strbuf_addf(&key, "NCBIGene:%s", gid);
			dis = intern_named(&a->disease, &a->disease_name, &a->pend->cap_dis, key.buf, NULL);
			pair_push(&a->pend->gene_dis, (uint32_t)gene, (uint32_t)dis);
		} else {
			const char *did = f[col[C_DISEASE]];

			if (!*did) {
				error("%s:%llu: empty disease id", in.name, in.lineno);
				rc = RFT_EX_DATA;
				break;
			}
			dis = intern_named(&a->disease, &a->disease_name, &a->pend->cap_dis, did,
					   col[C_DNAME] >= 0 ? f[col[C_DNAME]] : NULL);
		}
		if (col[C_QUAL] >= 0 && !strcmp(f[col[C_QUAL]], "NOT"))
			pair_push(&a->pend->dis_not, (uint32_t)dis, (uint32_t)term);
		else
			pair_push(&a->pend->dis_terms, (uint32_t)dis, (uint32_t)term);
	}
	if (!rc && got < 0) {
		if (got == -2)
			error("%s:%llu: line too long", in.name, in.lineno);
		rc = RFT_EX_DATA;
	}
	if (rft_input_close(&in) < 0 && !rc)
		rc = RFT_EX_DATA;
	if (!rc && !have_header) {
		error("%s: not an HPO annotation file: no header line (empty or truncated file?)", path);
		rc = RFT_EX_CONFIG;
	}
	if (!fi->version)
		fi->version = date_in_name(path);
	strbuf_release(&line);
	strbuf_release(&key);
	return rc;
}

void hpo_annotations_finish(struct hpo_annotations *a)
{
	struct hpo_pairs *p = a->pend;

	if (!p)
		return;
	rows_build(&a->dis_terms, &p->dis_terms, a->disease.n);
	rows_build(&a->dis_not, &p->dis_not, a->disease.n);
	rows_build(&a->gene_dis, &p->gene_dis, a->gene.n);
	free(p->dis_terms.v);
	free(p->dis_not.v);
	free(p->gene_dis.v);
	free(p);
	a->pend = NULL;
}

void hpo_annotations_release(struct hpo_annotations *a)
{
	int i;

	if (a->pend) {
		free(a->pend->dis_terms.v);
		free(a->pend->dis_not.v);
		free(a->pend->gene_dis.v);
		free(a->pend);
	}
	free_strs(a->disease_name, a->disease.n);
	free_strs(a->gene_symbol, a->gene.n);
	strmap_release(&a->disease);
	strmap_release(&a->gene);
	rows_release(&a->dis_terms);
	rows_release(&a->dis_not);
	rows_release(&a->gene_dis);
	for (i = 0; i < a->nfiles; i++) {
		free(a->files[i].path);
		free(a->files[i].version);
	}
	memset(a, 0, sizeof(*a));
}
