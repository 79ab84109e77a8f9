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

int hgnc_load(struct hgnc *h, const char *path, struct strbuf *err)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT;
	int col_id = -1, col_sym = -1, col_alias = -1, col_prev = -1, col_entrez = -1;
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
		if (col_entrez >= 0 && col_entrez < nf && *fields[col_entrez]) {
			long e = strmap_intern(&h->entrez, fields[col_entrez], NULL);

			if ((size_t)e >= h->entrez_alloc) {
				h->entrez_alloc = h->entrez_alloc ? 2 * h->entrez_alloc : 4096;
				h->entrez_gene = erealloc(h->entrez_gene, h->entrez_alloc * sizeof(*h->entrez_gene));
			}
			h->entrez_gene[e] = (int32_t)g;
		}
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
	free(h->source);
	strmap_release(&h->ids);
	strmap_release(&h->names);
	strmap_release(&h->entrez);
	memset(h, 0, sizeof(*h));
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
	if (h->alias[s] == -2)
		*how = HGNC_AMBIGUOUS;
	return -1;
}

/* the text without decoration: quotes, '*', '`', trailing punctuation */
static void clean(const char *text, char *out, size_t size)
{
	const char *a = text, *b = text + strlen(text);
	size_t n;

	while (a < b && (isspace((unsigned char)*a) || strchr("\"'*`", *a)))
		a++;
	while (b > a && (isspace((unsigned char)b[-1]) || strchr("\"'*`.,;:", b[-1])))
		b--;
	n = (size_t)(b - a) < size - 1 ? (size_t)(b - a) : size - 1;
	memcpy(out, a, n);
	out[n] = '\0';
}

/* "A (B)" and "A/B": A, else B; ambiguous when B is unknown and A was
 * ambiguous.  A and B are cleaned; cut ends B at its first ')'. */
static long resolve_either(const struct hgnc *h, const char *a, const char *b, int cut,
			   enum hgnc_how *how)
{
	char part[256];
	enum hgnc_how first_how;
	long g;

	clean(a, part, sizeof(part));
	if ((g = hgnc_resolve(h, part, how)) >= 0)
		return g;
	first_how = *how;
	clean(b, part, sizeof(part));
	if (cut)
		part[strcspn(part, ")")] = '\0';
	g = hgnc_resolve(h, part, how);
	if (g < 0 && first_how == HGNC_AMBIGUOUS)
		*how = HGNC_AMBIGUOUS;
	return g;
}

long hgnc_resolve_text(const struct hgnc *h, const char *text, enum hgnc_how *how)
{
	char buf[256];
	long g;
	char *paren, *slash;

	clean(text, buf, sizeof(buf));
	g = hgnc_resolve(h, buf, how);
	if (g >= 0 || *how == HGNC_AMBIGUOUS)
		return g;
	paren = strchr(buf, '(');
	slash = strchr(buf, '/');
	if (paren) {  /* "KMT2D (MLL2)": the name outside, else the one inside */
		*paren = '\0';
		return resolve_either(h, buf, paren + 1, 1, how);
	}
	if (slash) {
		*slash = '\0';
		return resolve_either(h, buf, slash + 1, 0, how);
	}
	return -1;
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
