/*
 * gene_rank.c - the gene_rank grader type: the predicted list and the
 * reference genes read from trees, the names resolved with HGNC, the rank
 * and its score; its load and export (as a python grader running
 * gene_rank.py).  The span path, for rft-grade's batch mode, is gene_spans.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../json.h"
#include "../util.h"
#include "internal.h"

/* ------------------------------------------------------------- gene_rank */

/* the names of enum curve and enum ties, in their order */
static const char *const curve_names[] = { "reciprocal", "linear", "exponential", NULL };
static const char *const ties_names[] = { "worst", "list", NULL };

void gene_lists_release(struct gene_lists *L)
{
	free(L->names);
	free(L->refs);
	free(L->refshow);
	free(L->rn);
	strbuf_release(&L->text);
	strbuf_release(&L->reftext);
	strbuf_release(&L->refnames);
}

/* a name cleaned by the name rule, cut at 255 bytes, in upper case and
 * NUL-ended, added to sb; its cleaned length (before the cut) */
static size_t add_key(struct strbuf *sb, const char *s, size_t len)
{
	size_t i, n;

	gene_name_trim(&s, &len);
	n = len > 255 ? 255 : len;
	strbuf_grow(sb, n + 1);
	for (i = 0; i < n; i++)
		sb->buf[sb->len + i] = (char)toupper((unsigned char)s[i]);
	strbuf_setlen(sb, sb->len + n);
	strbuf_addch(sb, '\0');
	return len;
}

/* a new place in the list, its text to be added to L->text */
static struct gene_name *new_name(struct gene_lists *L, long gene)
{
	if (L->n == L->alloc) {
		L->alloc = L->alloc ? 2 * L->alloc : 32;
		L->names = erealloc(L->names, L->alloc * sizeof(*L->names));
	}
	L->names[L->n].gene = gene;
	L->names[L->n].off = L->names[L->n].key = L->text.len;
	L->names[L->n].score = 0;
	return &L->names[L->n++];
}

/* is a name nothing once cleaned by the name rule? */
static int name_blank(const char *a, size_t len)
{
	gene_name_trim(&a, &len);
	return len == 0;
}

/* what a name resolves to: a reference gene by one of its names, first,
 * else a gene of the HGNC table */
struct name_lookup {
	const struct hgnc *h;
	const struct gene_lists *L;
	long gene, ref;
};

static int name_lookup(void *ctx, const char *upper, enum hgnc_how *how)
{
	struct name_lookup *nl = ctx;
	size_t i;

	for (i = 0; i < nl->L->nrn; i++)
		if (!strcmp(nl->L->refnames.buf + nl->L->rn[i].off, upper)) {
			nl->ref = (long)nl->L->rn[i].ref;
			return 1;
		}
	nl->gene = nl->h ? hgnc_resolve(nl->h, upper, how) : -1;
	return nl->gene >= 0;
}

/* a name: 0, or -1 (nothing added) when it is blank once cleaned */
int gene_add_name(const struct hgnc *h, struct gene_lists *L, const char *text, size_t len,
		    struct grade_result *r)
{
	struct name_lookup nl = { h, L, -1, -1 };
	enum hgnc_how how = HGNC_UNKNOWN;
	struct gene_name *nm;

	if (name_blank(text, len))
		return -1;
	if (!gene_name_resolve(text, len, name_lookup, &nl, &how)) {
		nl.gene = -1;
		if (h && how == HGNC_AMBIGUOUS)
			r->ambiguous++;
		else if (h)
			r->unknown++;
	} else if (nl.ref >= 0) {
		const char *key = L->reftext.buf + L->refs[nl.ref];

		nl.gene = h && !strncmp(key, "HGNC:", 5) ? hgnc_by_id(h, key) : -1;
	}
	nm = new_name(L, nl.gene);
	if (nl.gene >= 0) {
		strbuf_addstr(&L->text, hgnc_symbol(h, nl.gene));
		strbuf_addch(&L->text, '\0');
		return 0;
	}
	if (nl.ref >= 0) {   /* shown as its symbol, keyed as the reference */
		strbuf_addstr(&L->text, L->reftext.buf + L->refshow[nl.ref]);
		strbuf_addch(&L->text, '\0');
		nm->key = L->text.len;
		strbuf_addstr(&L->text, L->reftext.buf + L->refs[nl.ref]);
		strbuf_addch(&L->text, '\0');
		return 0;
	}
	/* unresolved: the name itself, cleaned, in upper case */
	add_key(&L->text, text, len);
	return 0;
}

/*
 * gene_add_none: an entry of a JSON list of answers that names no gene (not a string nor an
 * object with a string "symbol", or a blank name): it is an answer all the
 * same, so it takes its place, as a wrong name would, and matches nothing,
 * not even another like it.  The predicted list shows its type, "(number)",
 * or "" for a blank name.
 */
void gene_add_none(struct gene_lists *L, enum json_type t, int blank)
{
	new_name(L, NAME_NONE);
	if (!blank)
		strbuf_addstr(&L->text, t == json_type_null ? "(null)" : t == json_type_boolean ? "(boolean)" :
			      t == json_type_object ? "(object)" : t == json_type_array ? "(array)" :
			      "(number)");
	strbuf_addch(&L->text, '\0');
}

/* one entry of a JSON list of answers, from a tree */
static void add_entry(const struct hgnc *h, struct gene_lists *L, struct json_object *v, struct grade_result *r)
{
	const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
		rft_json_get_str(v, "symbol");

	if (!s)
		gene_add_none(L, v ? json_object_get_type(v) : json_type_null, 0);
	else if (gene_add_name(h, L, s, strlen(s), r) < 0)
		gene_add_none(L, json_type_string, 1);
}

/* a name of reference gene ref: what an answer may call it */
void gene_add_ref_name(struct gene_lists *L, size_t ref, const char *s, size_t len)
{
	size_t i, off = L->refnames.len;

	len = add_key(&L->refnames, s, len);
	if (!len || len > 255) {
		strbuf_setlen(&L->refnames, off);
		return;
	}
	if (L->nrn == L->rnalloc) {
		L->rnalloc = L->rnalloc ? 2 * L->rnalloc : 16;
		L->rn = erealloc(L->rn, L->rnalloc * sizeof(*L->rn));
	}
	L->rn[L->nrn].off = off;
	L->rn[L->nrn].ref = ref;
	for (i = 0; i < L->nrn; i++)   /* the first gene to claim a name keeps it */
		if (!strcmp(L->refnames.buf + L->rn[i].off, L->refnames.buf + L->rn[L->nrn].off))
			break;
	if (i == L->nrn)
		L->nrn++;
	else
		strbuf_setlen(&L->refnames, L->rn[L->nrn].off);
}

/*
 * One reference gene, from s (its HGNC id or, without one, its symbol): its
 * key is the HGNC id, or the symbol resolved through HGNC, else the symbol
 * cleaned and in upper case.  show is how it is shown (its symbol, or NULL).
 * Its names are then added with add_ref_name.  Returns its index.
 */
size_t gene_add_ref(const struct hgnc *h, struct gene_lists *L, const char *s, const char *show)
{
	size_t len, at = L->reftext.len;

	if (L->nref == L->refalloc) {
		L->refalloc = L->refalloc ? 2 * L->refalloc : 4;
		L->refs = erealloc(L->refs, L->refalloc * sizeof(*L->refs));
		L->refshow = erealloc(L->refshow, L->refalloc * sizeof(*L->refshow));
	}
	add_key(&L->reftext, s, strlen(s));
	if (strncmp(L->reftext.buf + at, "HGNC:", 5) != 0 && h) {
		enum hgnc_how how;
		long g = hgnc_resolve_text(h, s, &how);

		if (g >= 0) {
			strbuf_setlen(&L->reftext, at);
			strbuf_addstr(&L->reftext, hgnc_id(h, g));
			strbuf_addch(&L->reftext, '\0');
		}
	}
	L->refs[L->nref] = at;
	L->refshow[L->nref] = L->reftext.len;
	if (show) {
		len = strlen(show);
		gene_name_trim(&show, &len);
		strbuf_add(&L->reftext, show, len);
	}
	if (!show || !len) {   /* shown as its key: room first, the key is in this buffer */
		len = strlen(L->reftext.buf + at);
		strbuf_grow(&L->reftext, len);
		strbuf_add(&L->reftext, L->reftext.buf + at, len);
	}
	strbuf_addch(&L->reftext, '\0');
	return L->nref++;
}

/* a reference object's names from a tree: symbol, hgnc and "names" */
static void ref_names_tree(struct gene_lists *L, size_t ref, struct json_object *v)
{
	struct json_object *names = rft_json_get(v, "names");
	const char *f[2] = { rft_json_get_str(v, "symbol"), rft_json_get_str(v, "hgnc") };
	size_t i, n;

	for (i = 0; i < 2; i++)
		if (f[i])
			gene_add_ref_name(L, ref, f[i], strlen(f[i]));
	n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(names, i);

		if (e && json_object_is_type(e, json_type_string))
			gene_add_ref_name(L, ref, json_object_get_string(e), (size_t)json_object_get_string_len(e));
	}
}

/* the name rule's white space at p, skipped */
static const char *skip_ws(const char *p, const char *end)
{
	size_t k;

	while ((k = gene_name_ws(p, end)))
		p += k;
	return p;
}

/* a word of a list item, [A-Za-z0-9._-]+ without trailing dots: its end (p: none) */
static const char *item_word(const char *p, const char *eol)
{
	const char *w = p;

	while (w < eol && (isalnum((unsigned char)*w) || *w == '-' || *w == '.' || *w == '_'))
		w++;
	while (w > p && w[-1] == '.')
		w--;
	return w;
}

/*
 * The name of a list item in line [p, eol): after the marker ("1." "1)" "- "
 * "* " "+ " "\u2022") and any white space and " ' * ` _, the first word,
 * with ":DIGITS" when the word is HGNC, and with what follows it when that
 * is "(...)" or "/WORD" (white space between allowed).  Its start, with its
 * end in *end, or NULL when the line is no list item.
 */
static const char *list_item(const char *p, const char *eol, const char **end)
{
	const char *q = skip_ws(p, eol), *w, *j;

	if (q < eol && isdigit((unsigned char)*q)) {
		while (q < eol && isdigit((unsigned char)*q))
			q++;
		if (!(q < eol && (*q == '.' || *q == ')')))
			return NULL;
		q++;
	} else if (q + 1 < eol && strchr("-*+", *q) && *q && q[1] == ' ') {
		q += 2;
	} else if (q + 2 < eol && !memcmp(q, "\xe2\x80\xa2", 3)) {
		q += 3;
	} else {
		return NULL;
	}
	for (;;) {
		q = skip_ws(q, eol);
		if (q < eol && (*q == '*' || *q == '`' || *q == '_' || *q == '"' || *q == '\''))
			q++;
		else
			break;
	}
	w = item_word(q, eol);
	if (w == q)
		return NULL;
	if (w - q == 4 && !strncasecmp(q, "HGNC", 4) && w + 1 < eol && *w == ':' &&
	    isdigit((unsigned char)w[1]))
		for (w++; w < eol && isdigit((unsigned char)*w); w++)
			;
	j = skip_ws(w, eol);
	if (j < eol && *j == '(') {
		const char *c = memchr(j, ')', (size_t)(eol - j));

		w = c ? c + 1 : eol;
	} else if (j < eol && *j == '/') {
		const char *b = skip_ws(j + 1, eol), *e = item_word(b, eol);

		if (e > b)
			w = e;
	}
	*end = w;
	return q;
}

/* genes from free text: a JSON object with "genes" anywhere, else a numbered
 * or bulleted list (first word of each item), else the first comma list */
static int text_genes(const struct hgnc *h, struct json_tokener **tok, const char *text, struct gene_lists *L,
		      struct grade_result *r)
{
	const char *p;
	int items = 0;

	for (p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		struct json_object *o, *genes;

		if (!*tok && !(*tok = json_tokener_new()))
			die(RFT_EX_SOFTWARE, "out of memory");
		json_tokener_reset(*tok);
		o = json_tokener_parse_ex(*tok, p, (int)strlen(p));
		if (!o) {   /* json-c's reset may keep a half surrogate: a new tokener */
			json_tokener_free(*tok);
			*tok = NULL;
		}
		genes = rft_json_get(o, "genes");
		if (genes && json_object_is_type(genes, json_type_array)) {
			size_t i, len = json_object_array_length(genes);

			for (i = 0; i < len; i++)
				add_entry(h, L, json_object_array_get_idx(genes, i), r);
			json_object_put(o);
			return 0;
		}
		json_object_put(o);
	}
	/* list items: "1. KMT2D - ...", "2) **KDM6A**", "- ZSWIM6: ...",
	 * "3. HGNC:7133", "4. KMT2D (MLL2)", "5. MLL2/KMT2D" */
	for (p = text; *p; ) {
		const char *eol = strchr(p, '\n'), *q, *w;

		if (!eol)
			eol = p + strlen(p);
		if ((q = list_item(p, eol, &w)) && gene_add_name(h, L, q, (size_t)(w - q), r) == 0)
			items++;
		p = *eol ? eol + 1 : eol;
	}
	if (items)
		return 0;
	for (p = text; *p; ) {
		const char *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		if (memchr(p, ',', (size_t)(eol - p))) {
			const char *s = p;

			/* the text after a colon is the list: "Candidates: A, B, C" */
			const char *colon = memchr(p, ':', (size_t)(eol - p));

			if (colon)
				s = colon + 1;
			while (s < eol) {
				const char *c = memchr(s, ',', (size_t)(eol - s));

				if (!c)
					c = eol;
				gene_add_name(h, L, s, (size_t)(c - s), r);
				s = c + 1;
			}
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	/* one short line alone ("KMT2D", "KMT2D (MLL2)") is a list of one */
	{
		const char *a = text;
		size_t len;

		len = strlen(a);
		a = skip_ws(a, a + len);
		len = strlen(a);
		while (len && gene_name_ws_end(a, a + len))
			len -= gene_name_ws_end(a, a + len);
		if (len && len < 64 && !memchr(a, '\n', len)) {
			/* one word, once what is in parentheses is set aside */
			size_t i, k, words = 0;
			int depth = 0, inword = 0;

			for (i = 0; i < len; i += k) {
				size_t ws = gene_name_ws(a + i, a + len);

				k = ws ? ws : 1;
				if (a[i] == '(')
					depth++;
				else if (a[i] == ')' && depth)
					depth--;
				else if (!depth && !ws) {
					words += !inword;
					inword = 1;
					continue;
				}
				inword = 0;
			}
			if (words == 1)
				gene_add_name(h, L, a, len, r);
		}
	}
	return L->n ? 0 : -1;
}

/* the names in an answer's text, or sample_parse_error when there are none
 * (a tokener of its own, made only when the text holds a '{': lenient,
 * unlike the strict one of common/json.c) */
int gene_parse_text(const struct hgnc *h, const char *text, struct gene_lists *L, struct grade_result *r)
{
	struct json_tokener *tok = NULL;
	int rc = text_genes(h, &tok, text, L, r);

	if (tok)
		json_tokener_free(tok);
	if (rc < 0)
		grade_fail(r, GRADE_ERR_PARSE, "no gene list found in the output text");
	return rc;
}

/* the reference genes from a tree */
static int reference_ids(const struct hgnc *h, struct json_object *ref, struct gene_lists *L, struct strbuf *err)
{
	size_t i, len;

	if (!ref) {
		strbuf_addstr(err, "the reference is null");
		return -1;
	}
	len = json_object_is_type(ref, json_type_array) ? json_object_array_length(ref) : 1;
	for (i = 0; i < len; i++) {
		struct json_object *v = json_object_is_type(ref, json_type_array) ?
			json_object_array_get_idx(ref, i) : ref;
		const char *s = NULL;

		if (v && json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			gene_add_ref(h, L, s, s);
		} else if (v && json_object_is_type(v, json_type_object)) {
			s = rft_json_get_str(v, "hgnc") ? rft_json_get_str(v, "hgnc") :
				rft_json_get_str(v, "symbol");
			if (s)
				ref_names_tree(L, gene_add_ref(h, L, s, rft_json_get_str(v, "symbol")), v);
		}
	}
	if (L->nref == 0) {
		strbuf_addstr(err, "the reference names no gene");
		return -1;
	}
	return 0;
}

double grade_curve_score(const struct grader *g, long rank)
{
	if (rank <= 0)
		return 0;
	switch (g->curve) {
	case C_LINEAR: return (double)(g->max_list - rank + 1) / g->max_list;
	case C_EXPONENTIAL: return pow(g->decay, (double)(rank - 1));
	case C_RECIPROCAL: break;
	}
	return 1.0 / (double)rank;
}

/*
 * The scores a sample gives its list (rft-rank's "ranking": one object with
 * a numeric "score" per entry, in the list's order): names[i] gets entry
 * i's.  Only a ranking that scores every entry, and no other, is used.
 */
static void scores_tree(struct gene_lists *L, struct json_object *ranking)
{
	size_t i;

	if (!ranking || !json_object_is_type(ranking, json_type_array) || !L->n ||
	    json_object_array_length(ranking) != L->n)
		return;
	for (i = 0; i < L->n; i++) {
		struct json_object *sc = rft_json_get(json_object_array_get_idx(ranking, i), "score");

		if (!sc || !(json_object_is_type(sc, json_type_double) || json_object_is_type(sc, json_type_int)))
			return;
		L->names[i].score = json_object_get_double(sc);
	}
	L->scored = 1;
}

/* the grade of a predicted list against the reference: duplicates count
 * once, in first place; the list is cut at max_list */
void gene_rank_names(const struct grader *g, const struct gene_lists *L, struct grade_result *r)
{
	const struct hgnc *h = g->env->hgnc;
	size_t i, j, kept = 0;
	double tie = 0;

	if (L->scored)
		r->tie_rule = ties_names[g->ties];
#define NAME_KEY(k) (L->names[k].gene >= 0 ? hgnc_id(h, L->names[k].gene) : L->text.buf + L->names[k].key)
	strbuf_addch(&r->predicted, '[');
	for (i = 0; i < L->n && (int)kept < g->max_list; i++) {
		const char *key = NAME_KEY(i);

		/* (an entry that names no gene is no repeat, nor repeated) */
		for (j = 0; L->names[i].gene != NAME_NONE && j < i; j++) {
			if (L->names[j].gene == NAME_NONE)
				continue;
			if (L->names[i].gene >= 0 && L->names[j].gene >= 0 ?
			    L->names[i].gene == L->names[j].gene : !strcmp(key, NAME_KEY(j)))
				break;
		}
		if (L->names[i].gene != NAME_NONE && j < i)
			continue;
		if (kept++)
			strbuf_addch(&r->predicted, ',');
		json_put_str(&r->predicted, L->text.buf + L->names[i].off);
		if (r->rank == 0 && L->names[i].gene != NAME_NONE) {
			for (j = 0; j < L->nref; j++)
				if (!strcmp(L->reftext.buf + L->refs[j], key))
					break;
			if (j < L->nref) {
				r->rank = (long)kept;
				tie = L->names[i].score;
			}
		} else if (r->rank > 0 && L->scored && g->ties == TIES_WORST && L->names[i].score == tie) {
			r->rank = (long)kept;   /* scored as the reference gene: it shares the worst place */
		}
	}
#undef NAME_KEY
	strbuf_addch(&r->predicted, ']');
	r->reward = grade_curve_score(g, r->rank);
}

void gene_rank_grade(const struct grader *g, struct json_object *item,
			    struct json_object *sample, struct grade_result *r)
{
	struct strbuf tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *list = NULL, *ref = NULL;
	struct gene_lists L = GENE_LISTS_INIT;
	const struct hgnc *h = g->env->hgnc;
	int rc;

	r->max_list = g->max_list;
	r->rank = 0;
	if (grader_render(g->reference, item, sample, &tmp, &ref, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
		goto out;
	}
	if (!ref) {
		/* a template mixing text: its rendered text is the reference */
		ref = json_object_new_string(tmp.buf);
		rc = reference_ids(h, ref, &L, &err);
		json_object_put(ref);
	} else {
		rc = reference_ids(h, ref, &L, &err);
	}
	if (rc < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
		goto out;
	}

	/* the predicted list: JSON first, else parsed out of the text */
	strbuf_reset(&tmp);
	strbuf_reset(&err);
	if (grader_render(g->input, item, sample, &tmp, &list, &err) == 0 && list &&
	    json_object_is_type(list, json_type_array)) {
		size_t i, len = json_object_array_length(list);

		for (i = 0; i < len; i++)
			add_entry(h, &L, json_object_array_get_idx(list, i), r);
		scores_tree(&L, rft_json_get(sample, "ranking"));
	} else {
		strbuf_reset(&tmp);
		strbuf_reset(&err);
		if (grader_render(g->text_input, item, sample, &tmp, NULL, &err) < 0) {
			grade_fail(r, GRADE_ERR_PARSE, "no gene list in %s and no text: %s", g->input, err.buf);
			goto out;
		}
		if (gene_parse_text(h, tmp.buf, &L, r) < 0)
			goto out;
	}
	gene_rank_names(g, &L, r);
out:
	gene_lists_release(&L);
	strbuf_release(&tmp);
	strbuf_release(&err);
}

/* ---------------------------------------------------- load and export */

int gene_rank_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		   struct strbuf *err)
{
	struct json_object *v;
	const char *s;
	int i;

	(void)where;
	g->input = estrdup((s = grader_str_member(o, "input", "{{sample.output_json.genes}}", here, err)) ? s : "");
	g->text_input = estrdup((s = grader_str_member(o, "text_input", "{{sample.output_text}}", here, err)) ? s : "");
	g->reference = estrdup((s = grader_str_member(o, "reference", "{{item.reference.genes}}", here, err)) ? s : "");
	g->max_list = 20;
	if ((v = rft_json_get(o, "max_list"))) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 1 ||
		    json_object_get_int(v) > 1000) {
			strbuf_addf(err, "%s: \"max_list\" must be a whole number from 1 to 1000", here);
			return -1;
		}
		g->max_list = json_object_get_int(v);
	}
	if ((i = grader_str_choice(o, "curve", "reciprocal", curve_names, "curve", here, err)) < 0)
		return -1;
	g->curve = (enum curve)i;
	if ((i = grader_str_choice(o, "ties", g->env->ties ? g->env->ties : "worst", ties_names,
				   "\"ties\" rule", here, err)) < 0)
		return -1;
	g->ties = (enum ties)i;
	g->decay = 0.7;
	if ((v = rft_json_get(o, "decay"))) {
		g->decay = json_object_get_double(v);
		if (!(g->decay > 0 && g->decay < 1)) {
			strbuf_addf(err, "%s: \"decay\" must be between 0 and 1", here);
			return -1;
		}
	}
	return 0;
}

void gene_rank_free(struct grader *g)
{
	free(g->text_input);
}

/* the python that an RFT job runs for gene_rank, the same rule as this
 * file: gene_rank.py beside it, embedded by the Makefile as export_py */
#include "gene_rank_py.h"

/* every name that resolves to one of the dataset's reference genes */
struct alias_walk {
	const struct hgnc *h;
	const struct strmap *genes;
	struct strbuf *out;
	int first;
};

static int alias_entry(void *arg, const char *name, long gene)
{
	struct alias_walk *w = arg;

	if (strmap_get(w->genes, hgnc_id(w->h, gene)) < 0)
		return 0;
	if (!w->first)
		strbuf_addch(w->out, ',');
	w->first = 0;
	json_put_str(w->out, name);
	strbuf_addch(w->out, ':');
	json_put_str(w->out, hgnc_id(w->h, gene));
	return 0;
}

static void alias_table(const struct hgnc *h, const struct strmap *genes, struct strbuf *out)
{
	struct alias_walk w = { h, genes, out, 1 };

	strbuf_addch(out, '{');
	if (h)
		hgnc_foreach_name(h, alias_entry, &w);
	strbuf_addch(out, '}');
}

/* gene_rank as a python grader: gene_rank.py with its configuration and
 * alias table filled in */
int gene_rank_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		     struct strbuf *err)
{
	struct strbuf conf = STRBUF_INIT, aliases = STRBUF_INIT, src = STRBUF_INIT;
	struct strbuf lit = STRBUF_INIT;
	const char *p, *hole;
	int rc = 0;

	strbuf_addstr(&conf, "{\"input\":");
	json_put_str(&conf, g->input);
	strbuf_addstr(&conf, ",\"text_input\":");
	json_put_str(&conf, g->text_input);
	strbuf_addstr(&conf, ",\"reference\":");
	json_put_str(&conf, g->reference);
	strbuf_addf(&conf, ",\"max_list\":%d,\"curve\":\"%s\",\"decay\":", g->max_list, curve_names[g->curve]);
	json_put_fixed(&conf, g->decay, 6);
	strbuf_addch(&conf, '}');
	alias_table(g->env->hgnc, genes, &aliases);
	for (p = export_py; (hole = strchr(p, '%')); ) {
		strbuf_add(&src, p, (size_t)(hole - p));
		strbuf_reset(&lit);
		if (!strncmp(hole, "%CONF%", 6)) {
			json_put_strn(&lit, conf.buf, conf.len);
			p = hole + 6;
		} else if (!strncmp(hole, "%ALIASES%", 9)) {
			json_put_strn(&lit, aliases.buf, aliases.len);
			p = hole + 9;
		} else {
			strbuf_addch(&lit, '%');
			p = hole + 1;
		}
		strbuf_add(&src, lit.buf, lit.len);
	}
	strbuf_addstr(&src, p);
	if (src.len > 256 * 1024) {
		strbuf_addf(err, "the exported python source is %zu bytes, over OpenAI's 256 kB; "
			    "export for a smaller dataset", src.len);
		rc = -1;
	} else {
		strbuf_addstr(out, "{\"type\":\"python\",\"name\":");
		json_put_str(out, g->name);
		strbuf_addstr(out, ",\"source\":");
		json_put_strn(out, src.buf, src.len);
		strbuf_addch(out, '}');
	}
	strbuf_release(&conf);
	strbuf_release(&aliases);
	strbuf_release(&src);
	strbuf_release(&lit);
	return rc;
}
