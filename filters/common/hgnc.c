#include "hgnc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "util.h"

static long name_slot(struct hgnc *h, const char *name)
{
	struct strbuf up = STRBUF_INIT;
	size_t i;
	long s;
	int added;

	for (i = 0; name[i]; i++)
		strbuf_addch(&up, toupper((unsigned char)name[i]));
	s = strmap_intern(&h->names, up.buf, &added);
	strbuf_release(&up);
	if ((size_t)s >= h->names_alloc) {
		size_t old = h->names_alloc;

		h->names_alloc = h->names_alloc ? 2 * h->names_alloc : 4096;
		h->approved = erealloc(h->approved, h->names_alloc * sizeof(*h->approved));
		h->prev = erealloc(h->prev, h->names_alloc * sizeof(*h->prev));
		h->alias = erealloc(h->alias, h->names_alloc * sizeof(*h->alias));
		for (i = old; i < h->names_alloc; i++)
			h->approved[i] = h->prev[i] = h->alias[i] = -1;
	}
	return s;
}

/* add every '|'-separated name of a (possibly quoted) field to table */
static void add_names(struct hgnc *h, char *field, int32_t **table, long g)
{
	char *p = field, *end;

	if (*p == '"')
		p++;
	end = p + strlen(p);
	if (end > p && end[-1] == '"')
		*--end = '\0';
	while (*p) {
		size_t n = strcspn(p, "|");
		char save = p[n];
		long s;

		p[n] = '\0';
		if (n) {
			s = name_slot(h, p);
			if ((*table)[s] == -1)
				(*table)[s] = (int32_t)g;
			else if ((*table)[s] != (int32_t)g)
				(*table)[s] = -2;
		}
		p[n] = save;
		p += n + (save ? 1 : 0);
	}
}

/* Another database's id (NCBI Gene, Ensembl) -> gene g, in map and its slot array. */
static void id_to_gene(struct strmap *map, int32_t **gene, size_t *alloc, const char *id, long g)
{
	long e = strmap_intern(map, id, NULL);

	if ((size_t)e >= *alloc) {
		*alloc = *alloc ? 2 * *alloc : 4096;
		*gene = erealloc(*gene, *alloc * sizeof(**gene));
	}
	(*gene)[e] = (int32_t)g;
}

int hgnc_load(struct hgnc *h, const char *path, struct strbuf *err)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT;
	int col_id = -1, col_sym = -1, col_alias = -1, col_prev = -1, col_entrez = -1;
	int col_ensembl = -1;
	char *fields[128];
	int r, ret = -1;

	memset(h, 0, sizeof(*h));
	if (rft_input_open(&in, path) < 0) {
		strbuf_addf(err, "cannot open HGNC file '%s'", path);
		return -1;
	}
	h->source = estrdup(path);
	while ((r = rft_input_getline(&in, &line)) == 1) {
		int nf = 0, i;
		char *p = line.buf;
		long g;
		int added;

		if (line.len && line.buf[line.len - 1] == '\r')
			strbuf_setlen(&line, line.len - 1);
		for (;;) {
			if (nf == 128)
				break;
			fields[nf++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (in.lineno == 1) {
			for (i = 0; i < nf; i++) {
				if (!strcmp(fields[i], "hgnc_id")) col_id = i;
				else if (!strcmp(fields[i], "symbol")) col_sym = i;
				else if (!strcmp(fields[i], "alias_symbol")) col_alias = i;
				else if (!strcmp(fields[i], "prev_symbol")) col_prev = i;
				else if (!strcmp(fields[i], "entrez_id")) col_entrez = i;
				else if (!strcmp(fields[i], "ensembl_gene_id")) col_ensembl = i;
			}
			if (col_id < 0 || col_sym < 0) {
				strbuf_addf(err, "%s:1: not an HGNC complete set: no hgnc_id and symbol columns", path);
				goto out;
			}
			continue;
		}
		if (nf <= col_id || nf <= col_sym || strncmp(fields[col_id], "HGNC:", 5) != 0 ||
		    !*fields[col_sym]) {
			strbuf_addf(err, "%s:%llu: expected an HGNC id and a symbol", path, in.lineno);
			goto out;
		}
		g = strmap_intern(&h->ids, fields[col_id], &added);
		if (!added) {
			strbuf_addf(err, "%s:%llu: %s listed twice", path, in.lineno, fields[col_id]);
			goto out;
		}
		if ((size_t)g >= h->genes_alloc) {
			h->genes_alloc = h->genes_alloc ? 2 * h->genes_alloc : 4096;
			h->symbol = erealloc(h->symbol, h->genes_alloc * sizeof(*h->symbol));
		}
		h->symbol[g] = estrdup(fields[col_sym]);
		h->ngenes++;
		{
			long s = name_slot(h, fields[col_sym]);   /* may move h->approved */

			h->approved[s] = (int32_t)g;
		}
		if (col_prev >= 0 && col_prev < nf)
			add_names(h, fields[col_prev], &h->prev, g);
		if (col_alias >= 0 && col_alias < nf)
			add_names(h, fields[col_alias], &h->alias, g);
		if (col_entrez >= 0 && col_entrez < nf && *fields[col_entrez])
			id_to_gene(&h->entrez, &h->entrez_gene, &h->entrez_alloc, fields[col_entrez], g);
		if (col_ensembl >= 0 && col_ensembl < nf && *fields[col_ensembl])
			id_to_gene(&h->ensembl, &h->ensembl_gene, &h->ensembl_alloc, fields[col_ensembl], g);
	}
	if (r < 0) {
		strbuf_addf(err, "%s:%llu: cannot read", path, in.lineno + 1);
		goto out;
	}
	if (h->ngenes == 0) {
		strbuf_addf(err, "%s: no genes", path);
		goto out;
	}
	ret = 0;
out:
	if (rft_input_close(&in) < 0 && ret == 0) {
		strbuf_addf(err, "%s: truncated or corrupt", path);
		ret = -1;
	}
	strbuf_release(&line);
	if (ret < 0)
		hgnc_release(h);
	return ret;
}

void hgnc_release(struct hgnc *h)
{
	size_t i;

	for (i = 0; i < h->ngenes; i++)
		free(h->symbol[i]);
	free(h->symbol);
	free(h->approved);
	free(h->prev);
	free(h->alias);
	free(h->entrez_gene);
	free(h->ensembl_gene);
	free(h->source);
	strmap_release(&h->ids);
	strmap_release(&h->names);
	strmap_release(&h->entrez);
	strmap_release(&h->ensembl);
	memset(h, 0, sizeof(*h));
}

/* the gene of name slot s by the resolution rule (hgnc.h), or -1 */
static long slot_gene(const struct hgnc *h, long s, enum hgnc_how *how)
{
	if (h->approved[s] >= 0) {
		*how = HGNC_APPROVED;
		return h->approved[s];
	}
	if (h->prev[s] >= 0) {
		*how = HGNC_PREVIOUS;
		return h->prev[s];
	}
	if (h->prev[s] == -2) {
		*how = HGNC_AMBIGUOUS;
		return -1;
	}
	if (h->alias[s] >= 0) {
		*how = HGNC_ALIAS;
		return h->alias[s];
	}
	*how = h->alias[s] == -2 ? HGNC_AMBIGUOUS : HGNC_UNKNOWN;
	return -1;
}

long hgnc_resolve(const struct hgnc *h, const char *name, enum hgnc_how *how)
{
	char up[128];
	size_t i;
	long s;

	*how = HGNC_UNKNOWN;
	for (i = 0; name[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	if (name[i] || i == 0)
		return -1;
	up[i] = '\0';
	s = strmap_get(&h->names, up);
	if (s < 0)
		return -1;
	return slot_gene(h, s, how);
}

int hgnc_foreach_name(const struct hgnc *h, int (*fn)(void *arg, const char *name, long gene), void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < h->names.n; i++) {
		enum hgnc_how how;
		long g = slot_gene(h, (long)i, &how);

		if (g >= 0 && (rc = fn(arg, strmap_key(&h->names, (long)i), g)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------- the name rule
 *
 * How a name as written becomes a gene: one rule for the C grader and the
 * python it exports (man/rft-grade.1, NAME MATCHING).  The white space is
 * ASCII's and Unicode's White_Space of the line and space kinds, with the
 * zero-width space and BOM; case is ASCII case only.
 */
size_t gene_name_ws(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	if (!n)
		return 0;
	if (*u == ' ' || (*u >= 0x09 && *u <= 0x0d))
		return 1;
	if (n >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)                  /* U+1680 */
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 && ((u[2] >= 0x80 && u[2] <= 0x8b) ||   /* U+2000..200B */
					    u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)                  /* U+205F */
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)                  /* U+3000 */
		return 3;
	if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)                  /* U+FEFF */
		return 3;
	return 0;
}

size_t gene_name_ws_end(const char *start, const char *end)
{
	size_t k;

	for (k = 1; k <= 3 && (size_t)(end - start) >= k; k++)
		if (gene_name_ws(end - k, end) == k)
			return k;
	return 0;
}

void gene_name_trim(const char **s, size_t *len)
{
	const char *a = *s, *b = *s + *len;
	size_t k;

	for (;;) {
		if ((k = gene_name_ws(a, b)))
			a += k;
		else if (a < b && strchr("\"'*`_", *a) && *a)
			a++;
		else
			break;
	}
	for (;;) {
		if ((k = gene_name_ws_end(a, b)))
			b -= k;
		else if (b > a && strchr("\"'*`_.,;:", b[-1]) && b[-1])
			b--;
		else
			break;
	}
	*s = a;
	*len = (size_t)(b - a);
}

/* text[0..len) cleaned and in ASCII upper case into out (size > 0) */
static void clean_upper(const char *text, size_t len, char *out, size_t size)
{
	size_t i;

	gene_name_trim(&text, &len);
	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++)
		out[i] = (char)toupper((unsigned char)text[i]);
	out[len] = '\0';
}

int gene_name_resolve(const char *text, size_t len, gene_lookup_fn fn, void *ctx, enum hgnc_how *how)
{
	char buf[256], part[256];
	const char *c = text, *sep, *b, *bend;
	size_t clen = len;
	enum hgnc_how first_how;

	*how = HGNC_UNKNOWN;
	clean_upper(text, len, buf, sizeof(buf));
	if (!*buf)
		return 0;
	if (fn(ctx, buf, how))
		return 1;
	/* "A (B)": A, else B up to its ')'; "A/B": A, else B */
	gene_name_trim(&c, &clen);
	if ((sep = memchr(c, '(', clen))) {
		b = sep + 1;
		bend = memchr(b, ')', (size_t)(c + clen - b));
		if (!bend)
			bend = c + clen;
	} else if ((sep = memchr(c, '/', clen))) {
		b = sep + 1;
		bend = c + clen;
	} else {
		return 0;
	}
	clean_upper(c, (size_t)(sep - c), part, sizeof(part));
	if (*part && fn(ctx, part, how))
		return 1;
	first_how = *how;
	clean_upper(b, (size_t)(bend - b), part, sizeof(part));
	if (*part && fn(ctx, part, how))
		return 1;
	if (first_how == HGNC_AMBIGUOUS)
		*how = HGNC_AMBIGUOUS;
	return 0;
}

struct table_lookup {
	const struct hgnc *h;
	long gene;
};

static int table_lookup(void *ctx, const char *upper, enum hgnc_how *how)
{
	struct table_lookup *t = ctx;

	t->gene = hgnc_resolve(t->h, upper, how);
	return t->gene >= 0;
}

long hgnc_resolve_text(const struct hgnc *h, const char *text, enum hgnc_how *how)
{
	struct table_lookup t = { h, -1 };

	return gene_name_resolve(text, strlen(text), table_lookup, &t, how) ? t.gene : -1;
}

long hgnc_by_id(const struct hgnc *h, const char *hgnc_id)
{
	return strmap_get(&h->ids, hgnc_id);
}

long hgnc_by_entrez(const struct hgnc *h, const char *entrez_id)
{
	long e = strmap_get(&h->entrez, entrez_id);

	return e < 0 ? -1 : h->entrez_gene[e];
}

long hgnc_by_ensembl(const struct hgnc *h, const char *ensembl_id)
{
	long e = strmap_get(&h->ensembl, ensembl_id);

	return e < 0 ? -1 : h->ensembl_gene[e];
}
