/*
 * rft-split - assign cases to splits so that no causal gene is in two, and
 * audit split files for gene overlap.
 *
 * Genes are HGNC ids (the case's "genes"[].hgnc).  Methods:
 *
 *   hash (default)  streaming: a gene's split is a function of its HGNC id
 *                   and --seed only (rft_hash64 -> [0,1) -> the --fractions
 *                   intervals in the order given), so a corpus that grows
 *                   never moves a gene.  A case whose genes hash to different
 *                   splits cannot be placed without a gene in two splits: it
 *                   is rejected (genes_split), never silently dropped.
 *   balanced        reads everything, joins genes that share a case into
 *                   groups (connected components, union-find), and gives
 *                   whole groups to splits to meet --sizes or --fractions as
 *                   closely as groups allow.
 *
 * --folds K assigns "fold": 0..K-1 instead (grouped K-fold).  --check audits.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

#define MAX_SPLITS 32

struct split {
	char *name;
	double frac;          /* --fractions, or -1 */
	long long size;       /* --sizes, or -1 */
	long long target;     /* cases wanted (balanced) */
	long long ncases;     /* cases given */
	const char *file;     /* -o NAME=FILE, or NULL */
	struct rft_output out;
	int open;
};

static struct {
	int balanced;
	int check;
	long folds;
	unsigned long long seed;
	long long max_per_gene;   /* -1: no cap */
	long long skip_bad;
	const char *rest;
	const char *single;       /* -o FILE */
	const char *rejects;
	int stats;
} opt = { 0, 0, 0, 0, -1, -1, NULL, NULL, NULL, 0 };

static struct split splits[MAX_SPLITS];
static int nsplits;
static struct rft_output single, rej;
static int single_open, rej_open;

/* reasons a case is not given a split */
enum reason { R_GENES_SPLIT, R_MAX_PER_GENE, R_NOT_SELECTED, NREASONS };
static const char *const reason_name[NREASONS] = { "genes_split", "max_per_gene", "not_selected" };
static unsigned long long nrejected[NREASONS];

/* ------------------------------------------------------------- options */

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int find_split(const char *name)
{
	int i;

	for (i = 0; i < nsplits; i++)
		if (!strcmp(splits[i].name, name))
			return i;
	return -1;
}

static int add_split(const char *name, size_t n)
{
	char *copy = estrndup(name, n);
	int i = find_split(copy);

	if (i >= 0) {
		free(copy);
		return i;
	}
	if (nsplits == MAX_SPLITS)
		die(RFT_EX_USAGE, "at most %d splits", MAX_SPLITS);
	memset(&splits[nsplits], 0, sizeof(splits[nsplits]));
	splits[nsplits].name = copy;
	splits[nsplits].frac = -1;
	splits[nsplits].size = -1;
	return nsplits++;
}

/* "train=0.8,valid=0.1,test=0.1" or "train=1100,valid=200" */
static void parse_spec(const char *arg, int sizes)
{
	const char *p = arg;
	double total = 0;

	if (nsplits)
		die(RFT_EX_USAGE, "give --fractions or --sizes once");
	while (*p) {
		size_t n = strcspn(p, "=,");
		char *end;
		int i;

		if (!valid_name(p, n) || p[n] != '=')
			die(RFT_EX_USAGE, "bad split list '%s': want NAME=VALUE,... with NAME of "
			    "letters, digits, '_' or '-'", arg);
		i = add_split(p, n);
		p += n + 1;
		errno = 0;
		if (sizes) {
			long long v = strtoll(p, &end, 10);

			if (errno || end == p || v < 0)
				die(RFT_EX_USAGE, "bad size in '%s'", arg);
			splits[i].size = v;
		} else {
			double v = strtod(p, &end);

			if (errno || end == p || !(v >= 0) || v > 1)
				die(RFT_EX_USAGE, "bad fraction in '%s' (want 0..1)", arg);
			splits[i].frac = v;
			total += v;
		}
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			die(RFT_EX_USAGE, "bad split list '%s'", arg);
	}
	if (!sizes && fabs(total - 1) > 1e-9)
		die(RFT_EX_USAGE, "fractions in '%s' add up to %g, not 1", arg, total);
}

/* ------------------------------------------------------------- helpers */

/* HGNC ids of a case into ids (borrowed from kase); -1 if there are none */
static int case_genes(struct json_object *kase, const char ***ids, size_t *n, size_t *alloc,
		      struct strbuf *err)
{
	struct json_object *genes = rft_json_get(kase, "genes");
	size_t i, len;

	*n = 0;
	if (!genes || !json_object_is_type(genes, json_type_array)) {
		strbuf_addf(err, "genes is %s, not an array",
			    genes ? rft_json_type_name(genes) : "missing");
		return -1;
	}
	len = json_object_array_length(genes);
	for (i = 0; i < len; i++) {
		const char *id = rft_json_get_str(json_object_array_get_idx(genes, i), "hgnc");
		size_t j;

		if (!id || strncmp(id, "HGNC:", 5) != 0)
			continue;
		for (j = 0; j < *n && strcmp((*ids)[j], id); j++)
			;
		if (j < *n)
			continue;
		if (*n == *alloc) {
			*alloc = *alloc ? 2 * *alloc : 8;
			*ids = erealloc(*ids, *alloc * sizeof(**ids));
		}
		(*ids)[(*n)++] = id;
	}
	if (*n == 0) {
		strbuf_addstr(err, "case has no gene with an HGNC id");
		return -1;
	}
	return 0;
}

/* a gene's place in [0,1): the top 53 bits of its seeded hash */
static double gene_unit(const char *id)
{
	return (double)(rft_hash64(id, strlen(id), opt.seed) >> 11) * 0x1.0p-53;
}

static int gene_split(const char *id)
{
	double u = gene_unit(id), acc = 0;
	int i;

	if (opt.folds)
		return (int)(u * (double)opt.folds);
	for (i = 0; i < nsplits; i++) {
		acc += splits[i].frac;
		if (u < acc)
			return i;
	}
	return nsplits - 1;
}

static void reject(enum reason why, const char *where, const struct strbuf *line, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	nrejected[why]++;
	if (!rej_open)
		return;
	strbuf_addstr(&sb, "{\"where\":");
	json_put_str(&sb, where);
	strbuf_addstr(&sb, ",\"reason\":");
	json_put_str(&sb, reason_name[why]);
	strbuf_addstr(&sb, ",\"message\":");
	json_put_str(&sb, msg);
	strbuf_addstr(&sb, ",\"case\":");
	strbuf_add(&sb, line->buf, line->len);
	strbuf_addstr(&sb, "}\n");
	rft_output_write(&rej, sb.buf, sb.len);
	strbuf_release(&sb);
}

/* write a case with its split (index into splits, or a fold number) */
static void emit(struct strbuf *line, struct json_object *kase, int s)
{
	char val[64];
	struct rft_output *o = &single;

	if (opt.folds) {
		snprintf(val, sizeof(val), "%d", s);
		rft_record_put(line, kase, "fold", val);
	} else {
		struct strbuf q = STRBUF_INIT;

		json_put_str(&q, splits[s].name);
		rft_record_put(line, kase, "split", q.buf);
		strbuf_release(&q);
		splits[s].ncases++;
		if (splits[s].file)
			o = &splits[s].out;
	}
	strbuf_addch(line, '\n');
	rft_output_write(o, line->buf, line->len);
}

/* --max-per-gene: the first N cases of each gene in input order are kept; a
 * case of several genes is kept only if every one of them is under the cap */
static struct strmap capped = STRMAP_INIT;
static long long *capcount;
static size_t capalloc;

static int over_cap(const char **ids, size_t n)
{
	size_t i;

	if (opt.max_per_gene < 0)
		return 0;
	for (i = 0; i < n; i++) {
		long g = strmap_intern(&capped, ids[i], NULL);

		if ((size_t)g >= capalloc) {
			size_t old = capalloc;

			capalloc = capalloc ? 2 * capalloc : 1024;
			capcount = erealloc(capcount, capalloc * sizeof(*capcount));
			memset(capcount + old, 0, (capalloc - old) * sizeof(*capcount));
		}
		if (capcount[g] >= opt.max_per_gene)
			return 1;
	}
	for (i = 0; i < n; i++)
		capcount[strmap_get(&capped, ids[i])]++;
	return 0;
}

/* ------------------------------------------------------------ hash method */

static void run_hash(struct rft_records *r)
{
	struct json_object *kase;
	struct strbuf err = STRBUF_INIT;
	const char **ids = NULL;
	size_t n, alloc = 0;

	while (rft_records_next(r, &kase) > 0) {
		size_t i;
		int s;

		strbuf_reset(&err);
		if (case_genes(kase, &ids, &n, &alloc, &err) < 0) {
			rft_records_bad(r, "%s", err.buf);
			json_object_put(kase);
			continue;
		}
		if (over_cap(ids, n)) {
			reject(R_MAX_PER_GENE, r->where.buf, &r->line, "gene already has --max-per-gene cases");
			json_object_put(kase);
			continue;
		}
		s = gene_split(ids[0]);
		for (i = 1; i < n && gene_split(ids[i]) == s; i++)
			;
		if (i < n) {
			strbuf_addf(&err, "%s and %s hash to different %s", ids[0], ids[i],
				    opt.folds ? "folds" : "splits");
			reject(R_GENES_SPLIT, r->where.buf, &r->line, err.buf);
			json_object_put(kase);
			continue;
		}
		emit(&r->line, kase, s);
		json_object_put(kase);
	}
	free(ids);
	strbuf_release(&err);
}

/* -------------------------------------------------------- balanced method */

struct kept {
	char *line;           /* the case line as read */
	char *where;
	long first_gene;      /* a gene index: its group is the case's group */
	int split;            /* assigned split or fold; -1 leftover */
};

static long *parent;

static long find_root(long g)
{
	while (parent[g] != g) {
		parent[g] = parent[parent[g]];
		g = parent[g];
	}
	return g;
}

struct group {
	long root;
	long long size;       /* cases */
	const char *key;      /* smallest HGNC id of the group */
	uint64_t hash;
	int split;
};

static int cmp_group_hash(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int cmp_group_size(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return cmp_group_hash(a, b);
}

static void set_targets(long long total)
{
	long long given = 0;
	int i;

	for (i = 0; i < nsplits; i++) {
		splits[i].target = splits[i].size >= 0 ? splits[i].size :
			splits[i].frac >= 0 ? (long long)floor(splits[i].frac * (double)total) : 0;
		given += splits[i].target;
	}
	/* fractions: hand the cases lost to rounding down to the largest remainders */
	while (splits[0].size < 0 && given < total) {
		int best = 0;
		double rem = -1;

		for (i = 0; i < nsplits; i++) {
			double r = splits[i].frac < 0 ? -1 :
				splits[i].frac * (double)total - (double)splits[i].target;

			if (r > rem + 1e-12) {
				rem = r;
				best = i;
			}
		}
		splits[best].target++;
		given++;
	}
}

static void run_balanced(struct rft_records *r)
{
	struct strmap genes = STRMAP_INIT;
	struct kept *cases = NULL;
	struct group *groups = NULL;
	long *group_of_root;
	size_t ncases = 0, calloc_ = 0, ngroups = 0, i, alloc = 0, n;
	long palloc = 0;
	const char **ids = NULL;
	struct json_object *kase;
	struct strbuf err = STRBUF_INIT;
	int s;

	while (rft_records_next(r, &kase) > 0) {
		long g0 = -1;

		strbuf_reset(&err);
		if (case_genes(kase, &ids, &n, &alloc, &err) < 0) {
			rft_records_bad(r, "%s", err.buf);
			json_object_put(kase);
			continue;
		}
		if (over_cap(ids, n)) {
			reject(R_MAX_PER_GENE, r->where.buf, &r->line, "gene already has --max-per-gene cases");
			json_object_put(kase);
			continue;
		}
		for (i = 0; i < n; i++) {
			int added;
			long g = strmap_intern(&genes, ids[i], &added);

			if (g >= palloc) {
				palloc = palloc ? 2 * palloc : 1024;
				parent = erealloc(parent, (size_t)palloc * sizeof(*parent));
			}
			if (added)
				parent[g] = g;
			if (g0 < 0) {
				g0 = g;
			} else {
				long a = find_root(g0), b = find_root(g);

				if (a != b)
					parent[a < b ? b : a] = a < b ? a : b;
			}
		}
		if (ncases == calloc_) {
			calloc_ = calloc_ ? 2 * calloc_ : 1024;
			cases = erealloc(cases, calloc_ * sizeof(*cases));
		}
		cases[ncases].line = estrndup(r->line.buf, r->line.len);
		cases[ncases].where = estrdup(r->where.buf);
		cases[ncases].first_gene = g0;
		cases[ncases].split = -1;
		ncases++;
		json_object_put(kase);
	}
	free(ids);

	/* groups: one per root, keyed by their smallest HGNC id */
	group_of_root = emalloc((genes.n ? genes.n : 1) * sizeof(*group_of_root));
	for (i = 0; i < genes.n; i++)
		group_of_root[i] = -1;
	for (i = 0; i < genes.n; i++) {
		long root = find_root((long)i);

		if (group_of_root[root] < 0) {
			groups = erealloc(groups, (ngroups + 1) * sizeof(*groups));
			groups[ngroups].root = root;
			groups[ngroups].size = 0;
			groups[ngroups].key = strmap_key(&genes, (long)i);
			group_of_root[root] = (long)ngroups++;
		} else if (strcmp(strmap_key(&genes, (long)i), groups[group_of_root[root]].key) < 0) {
			groups[group_of_root[root]].key = strmap_key(&genes, (long)i);
		}
	}
	for (i = 0; i < ncases; i++)
		groups[group_of_root[find_root(cases[i].first_gene)]].size++;
	for (i = 0; i < ngroups; i++) {
		groups[i].hash = rft_hash64(groups[i].key, strlen(groups[i].key), opt.seed);
		groups[i].split = -1;
	}

	if (opt.folds) {
		/* largest groups first, each to the fold with fewest cases */
		long long *fold = ecalloc((size_t)opt.folds, sizeof(*fold));

		if (ngroups)
			qsort(groups, ngroups, sizeof(*groups), cmp_group_size);
		for (i = 0; i < ngroups; i++) {
			int best = 0;

			for (s = 1; s < opt.folds; s++)
				if (fold[s] < fold[best])
					best = s;
			groups[i].split = best;
			fold[best] += groups[i].size;
		}
		free(fold);
	} else {
		/* groups in seeded random order; each to the split it fits best */
		set_targets((long long)ncases);
		if (ngroups)
			qsort(groups, ngroups, sizeof(*groups), cmp_group_hash);
		for (i = 0; i < ngroups; i++) {
			int fit = -1, most = -1;

			for (s = 0; s < nsplits; s++) {
				long long need = splits[s].target - splits[s].ncases;

				if (need >= groups[i].size &&
				    (fit < 0 || need < splits[fit].target - splits[fit].ncases))
					fit = s;
				if (most < 0 || need > splits[most].target - splits[most].ncases)
					most = s;
			}
			/* --sizes: a group no split has room for is left over, so that
			 * the smaller groups after it can fill the sizes exactly;
			 * --fractions: every case is placed, overshooting by less
			 * than one group */
			if (fit < 0 && splits[0].size >= 0)
				most = -1;
			s = fit >= 0 ? fit : most;
			groups[i].split = s;
			if (s >= 0)
				splits[s].ncases += groups[i].size;
		}
		for (s = 0; s < nsplits; s++)
			splits[s].ncases = 0;   /* counted again as written */
	}
	for (i = 0; i < ngroups; i++)
		group_of_root[groups[i].root] = (long)i;

	/* write in input order */
	for (i = 0; i < ncases; i++) {
		struct group *g = &groups[group_of_root[find_root(cases[i].first_gene)]];
		struct strbuf line = STRBUF_INIT;
		struct json_object *o = NULL;

		strbuf_addstr(&line, cases[i].line);
		if (g->split < 0 && opt.rest)
			g->split = add_split(opt.rest, strlen(opt.rest));
		if (g->split < 0) {
			reject(R_NOT_SELECTED, cases[i].where, &line,
			       "the requested --sizes were met without this gene group");
		} else {
			strbuf_reset(&err);
			if (rft_json_parse(line.buf, line.len, &o, &err) < 0)
				die(RFT_EX_SOFTWARE, "%s: cannot re-read: %s", cases[i].where, err.buf);
			emit(&line, o, g->split);
			json_object_put(o);
		}
		strbuf_release(&line);
		free(cases[i].line);
		free(cases[i].where);
	}
	free(cases);
	free(groups);
	free(group_of_root);
	free(parent);
	parent = NULL;
	strmap_release(&genes);
	strbuf_release(&err);
}

/* ------------------------------------------------------------------ check */

struct seenmap {
	struct strmap ids;
	uint64_t *mask;       /* splits each id was seen in */
	size_t alloc;
};

static void seen_mark(struct seenmap *m, const char *id, int s)
{
	long i = strmap_intern(&m->ids, id, NULL);

	if ((size_t)i >= m->alloc) {
		size_t old = m->alloc;

		m->alloc = m->alloc ? 2 * m->alloc : 1024;
		m->mask = erealloc(m->mask, m->alloc * sizeof(*m->mask));
		memset(m->mask + old, 0, (m->alloc - old) * sizeof(*m->mask));
	}
	m->mask[i] |= 1ULL << s;
}

static void seen_release(struct seenmap *m)
{
	strmap_release(&m->ids);
	free(m->mask);
}

static void mask_names(struct strbuf *sb, uint64_t mask)
{
	int s, first = 1;

	for (s = 0; s < nsplits; s++) {
		if (!(mask & (1ULL << s)))
			continue;
		strbuf_addf(sb, "%s%s", first ? "" : ",", splits[s].name);
		first = 0;
	}
}

static unsigned long long report_shared(struct seenmap *m, const char *what, int is_error)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < m->ids.n; i++) {
		struct strbuf sb = STRBUF_INIT;

		if (!(m->mask[i] & (m->mask[i] - 1)))
			continue;   /* in one split */
		if (is_error || n < 5) {
			mask_names(&sb, m->mask[i]);
			if (is_error)
				error("gene %s is in splits %s", strmap_key(&m->ids, (long)i), sb.buf);
			else
				warn("warning: %s %s is in splits %s", what, strmap_key(&m->ids, (long)i), sb.buf);
		}
		n++;
		strbuf_release(&sb);
	}
	if (!is_error && n > 5)
		warn("warning: ... and %llu more %ss shared between splits", n - 5, what);
	return n;
}

static int run_check(char **paths, int npaths)
{
	struct seenmap genes = { STRMAP_INIT, NULL, 0 }, diseases = { STRMAP_INIT, NULL, 0 };
	struct seenmap pmids = { STRMAP_INIT, NULL, 0 };
	struct seenmap *cohorts = ecalloc(MAX_SPLITS, sizeof(*cohorts));
	struct seenmap *sgenes = ecalloc(MAX_SPLITS, sizeof(*sgenes));
	struct strbuf err = STRBUF_INIT;
	const char **ids = NULL;
	size_t alloc = 0, n;
	unsigned long long overlap, nd, np;
	int f, s;

	for (f = 0; f < npaths || (npaths == 0 && f == 0); f++) {
		struct rft_records r;
		struct json_object *kase;
		char *fname = npaths ? paths[f] : (char *)"-";
		char base[64];
		size_t i;

		/* a record without "split" or "fold" belongs to its file's split */
		{
			const char *b = strrchr(fname, '/');
			size_t len;

			b = b ? b + 1 : fname;
			len = strcspn(b, ".");
			if (len >= sizeof(base))
				len = sizeof(base) - 1;
			memcpy(base, b, len);
			base[len] = '\0';
		}
		rft_records_init(&r, &fname, 1);
		r.skip_bad = opt.skip_bad;
		while (rft_records_next(&r, &kase) > 0) {
			struct json_object *fv = rft_json_get(kase, "fold");
			const char *sname = rft_json_get_str(kase, "split"), *v;
			struct json_object *list;
			char fold[32];

			if (fv && json_object_is_type(fv, json_type_int)) {
				snprintf(fold, sizeof(fold), "fold %d", json_object_get_int(fv));
				sname = fold;
			}
			if (!sname && !strcmp(fname, "-")) {
				rft_records_bad(&r, "no \"split\" or \"fold\" on a record read from stdin");
				json_object_put(kase);
				continue;
			}
			if (!sname)
				sname = base;
			strbuf_reset(&err);
			if (case_genes(kase, &ids, &n, &alloc, &err) < 0) {
				rft_records_bad(&r, "%s", err.buf);
				json_object_put(kase);
				continue;
			}
			s = add_split(sname, strlen(sname));
			splits[s].ncases++;
			for (i = 0; i < n; i++) {
				seen_mark(&genes, ids[i], s);
				seen_mark(&sgenes[s], ids[i], 0);
			}
			if ((v = rft_json_get_str(kase, "cohort")))
				seen_mark(&cohorts[s], v, 0);
			if ((v = rft_json_get_str(kase, "pmid")))
				seen_mark(&pmids, v, s);
			list = rft_json_get(kase, "diseases");
			for (i = 0; list && json_object_is_type(list, json_type_array) &&
			     i < json_object_array_length(list); i++)
				if ((v = rft_json_get_str(json_object_array_get_idx(list, i), "id")))
					seen_mark(&diseases, v, s);
			json_object_put(kase);
		}
		rft_records_release(&r);
	}
	for (s = 0; s < nsplits; s++)
		warn("%s: %lld cases, %zu genes, %zu cohorts", splits[s].name, splits[s].ncases,
		     sgenes[s].ids.n, cohorts[s].ids.n);
	overlap = report_shared(&genes, "gene", 1);
	nd = report_shared(&diseases, "disease", 0);
	np = report_shared(&pmids, "publication", 0);
	if (overlap)
		error("%llu gene(s) in more than one split", overlap);
	else if (opt.stats || isatty(STDERR_FILENO))
		warn("no gene is in two splits (%zu genes, %d splits; %llu diseases and %llu "
		     "publications shared)", genes.ids.n, nsplits, nd, np);
	seen_release(&genes);
	seen_release(&diseases);
	seen_release(&pmids);
	for (s = 0; s < MAX_SPLITS; s++) {
		seen_release(&cohorts[s]);
		seen_release(&sgenes[s]);
	}
	free(cohorts);
	free(sgenes);
	free(ids);
	strbuf_release(&err);
	return overlap ? RFT_EX_DATA : RFT_EX_OK;
}

/* ------------------------------------------------------------------- main */

enum { OPT_FRACTIONS = 256, OPT_SIZES, OPT_REST, OPT_FOLDS, OPT_SEED, OPT_MAX_PER_GENE,
       OPT_REJECTS, OPT_SKIP_BAD, OPT_STATS, OPT_CHECK };

static const struct rft_opt options[] = {
	{ 'm', "method", RFT_ARG_REQ, "hash|balanced", "how genes are given splits (default hash)" },
	{ OPT_FRACTIONS, "fractions", RFT_ARG_REQ, "NAME=F,...", "split names and shares (default train=0.8,valid=0.1,test=0.1)" },
	{ OPT_SIZES, "sizes", RFT_ARG_REQ, "NAME=N,...", "cases wanted per split (balanced only), e.g. train=1100,valid=200" },
	{ OPT_REST, "rest", RFT_ARG_REQ, "NAME", "with --sizes, put the cases left over in split NAME instead of rejecting them" },
	{ OPT_FOLDS, "folds", RFT_ARG_REQ, "K", "grouped K-fold: add \"fold\": 0..K-1 instead of \"split\"" },
	{ OPT_SEED, "seed", RFT_ARG_REQ, "N", "seed of the gene hash (default 0)" },
	{ OPT_MAX_PER_GENE, "max-per-gene", RFT_ARG_REQ, "N", "keep only the first N cases (input order) of each gene" },
	{ 'o', "output", RFT_ARG_REQ, "[NAME=]FILE", "write all cases to FILE, or split NAME's cases to FILE (repeat for each split)" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write the cases given no split, with the reason, to FILE" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (count, reject) up to N bad records instead of stopping" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print a per-split summary on stderr" },
	{ OPT_CHECK, "check", RFT_ARG_NONE, NULL, "audit split files (or a stream with \"split\"): exit 65 if a gene is in two splits" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-split", "[OPTION]... [CASES.jsonl]...",
	"Give every case a split (train/valid/test) so that no causal gene is in two,\n"
	"or with --check prove that existing split files share no gene.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data or a gene in two splits (--check),\n"
	"66 input missing, 74 I/O error.  See rft-split(1).\n"
};

static void open_outputs(const char **ospecs, int nospecs)
{
	int i;

	for (i = 0; i < nospecs; i++) {
		const char *eq = strchr(ospecs[i], '=');
		int s;

		if (eq && valid_name(ospecs[i], (size_t)(eq - ospecs[i]))) {
			char *name = estrndup(ospecs[i], (size_t)(eq - ospecs[i]));

			s = find_split(name);
			if (s < 0 && opt.rest && !strcmp(name, opt.rest))
				s = add_split(name, strlen(name));
			if (s < 0)
				die(RFT_EX_USAGE, "-o %s: no split named '%s'", ospecs[i], name);
			free(name);
			if (splits[s].file)
				die(RFT_EX_USAGE, "two -o for split '%s'", splits[s].name);
			splits[s].file = eq + 1;
		} else {
			if (opt.single)
				die(RFT_EX_USAGE, "give one -o FILE, or -o NAME=FILE per split");
			opt.single = ospecs[i];
		}
	}
	if (opt.single && nospecs > 1)
		die(RFT_EX_USAGE, "give one -o FILE, or -o NAME=FILE per split, not both");
	if (nospecs > 0 && !opt.single) {
		if (opt.folds)
			die(RFT_EX_USAGE, "--folds writes one stream: use -o FILE");
		for (i = 0; i < nsplits; i++)
			if (!splits[i].file)
				die(RFT_EX_USAGE, "no -o %s=FILE: every split needs a file", splits[i].name);
		if (opt.rest && find_split(opt.rest) < 0)
			die(RFT_EX_USAGE, "no -o %s=FILE for the --rest split", opt.rest);
	}
	if (rft_output_open(&single, opt.single) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	single_open = 1;
	for (i = 0; i < nsplits; i++) {
		if (!splits[i].file)
			continue;
		if (rft_output_open(&splits[i].out, splits[i].file) < 0)
			exit(rft_finish(RFT_EX_IOERR));
		splits[i].open = 1;
	}
	if (opt.rejects) {
		if (rft_output_open(&rej, opt.rejects) < 0)
			exit(rft_finish(RFT_EX_IOERR));
		rej_open = 1;
	}
}

static void summary(unsigned long long nread, unsigned long long nbad)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	strbuf_addf(&sb, "%llu cases read", nread);
	for (i = 0; i < nsplits && !opt.folds; i++)
		strbuf_addf(&sb, ", %s %lld", splits[i].name, splits[i].ncases);
	for (i = 0; i < NREASONS; i++)
		if (nrejected[i])
			strbuf_addf(&sb, ", rejected %s %llu", reason_name[i], nrejected[i]);
	if (nbad)
		strbuf_addf(&sb, ", bad records %llu", nbad);
	warn("%s", sb.buf);
	strbuf_release(&sb);
}

int main(int argc, char **argv)
{
	const char *ospecs[MAX_SPLITS + 1];
	int nospecs = 0, c, i, sizes = 0;
	struct rft_records r;

	rft_init("rft-split");
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "hash"))
				opt.balanced = 0;
			else if (!strcmp(optarg, "balanced"))
				opt.balanced = 1;
			else
				die(RFT_EX_USAGE, "unknown method '%s' (hash or balanced)", optarg);
			break;
		case OPT_FRACTIONS: parse_spec(optarg, 0); break;
		case OPT_SIZES: parse_spec(optarg, 1); sizes = 1; break;
		case OPT_REST:
			if (!valid_name(optarg, strlen(optarg)))
				die(RFT_EX_USAGE, "bad split name '%s'", optarg);
			opt.rest = optarg;
			break;
		case OPT_FOLDS:
			opt.folds = (long)rft_opt_count("folds", optarg, 2, 64);
			break;
		case OPT_SEED: opt.seed = (unsigned long long)rft_opt_count("seed", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_MAX_PER_GENE: opt.max_per_gene = rft_opt_count("max-per-gene", optarg, 0, RFT_OPT_NO_MAX); break;
		case 'o':
			if (nospecs == MAX_SPLITS + 1)
				die(RFT_EX_USAGE, "too many -o");
			ospecs[nospecs++] = optarg;
			break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_STATS: opt.stats = 1; break;
		case OPT_CHECK: opt.check = 1; break;
		}
	}
	if (opt.check) {
		if (nsplits || nospecs || opt.folds || opt.rejects)
			die(RFT_EX_USAGE, "--check takes only files (and --skip-bad, --stats)");
		return rft_finish(run_check(argv + optind, argc - optind));
	}
	if (sizes && !opt.balanced)
		die(RFT_EX_USAGE, "--sizes needs --method balanced");
	if (opt.rest && !sizes)
		die(RFT_EX_USAGE, "--rest goes with --sizes");
	if (opt.folds && nsplits)
		die(RFT_EX_USAGE, "--folds replaces --fractions/--sizes");
	if (!nsplits && !opt.folds)
		parse_spec("train=0.8,valid=0.1,test=0.1", 0);
	open_outputs(ospecs, nospecs);

	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (rej_open)
		r.rejects = &rej;
	if (opt.balanced)
		run_balanced(&r);
	else
		run_hash(&r);
	if (opt.stats || isatty(STDERR_FILENO))
		summary(r.nread, r.nbad);
	rft_records_release(&r);

	if (rej_open && rft_output_commit(&rej) < 0)
		return rft_finish(RFT_EX_IOERR);
	for (i = 0; i < nsplits; i++)
		if (splits[i].open && rft_output_commit(&splits[i].out) < 0)
			return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&single) < 0)
		return rft_finish(RFT_EX_IOERR);
	strmap_release(&capped);
	free(capcount);
	for (i = 0; i < nsplits; i++)
		free(splits[i].name);
	return rft_finish(RFT_EX_OK);
}
