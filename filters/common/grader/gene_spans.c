/*
 * gene_spans.c - gene_rank graded from spans (rft_json_spans), with no tree
 * built: rft-grade's batch fast path, which gives what gene_rank.c gives
 * from the tree (see grader.h, grade_line_spans).
 */
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "../template.h"
#include "internal.h"

/* ------------------------------------------------- gene_rank from spans */

/* The path a template that is exactly one plain reference reads, as the
 * record's dotted path ("{{ item.reference.genes }}" -> "reference.genes",
 * "{{sample.output_json.genes}}" -> "sample.output_json.genes"), or NULL
 * when resolve_ref would do more than follow object members (list indexes,
 * the whole item or sample, the hidden item.sample and item.grade). */
static char *span_path(const char *tpl)
{
	struct rft_tpl_root roots[GRADER_NROOTS];
	const char *s, *q;
	char *p;
	size_t which;

	grader_roots(roots, NULL, NULL);
	if (!(p = rft_tpl_one_ref(tpl, roots, GRADER_NROOTS, &which)))
		return NULL;
	if (which == 1) {   /* sample.PATH: the line's own path */
		char *sp = emalloc(strlen(p) + 8);

		memcpy(sp, "sample.", 7);
		memcpy(sp + 7, p, strlen(p) + 1);
		free(p);
		p = sp;
	}
	for (s = p + (which == 1 ? 7 : 0); ; s = q + 1) {
		size_t n = strcspn(s, ".");

		q = s + n;
		if (!n || n >= 256 || strspn(s, "0123456789") >= n)
			goto no;
		if (!*q)
			break;
	}
	return p;
no:
	free(p);
	return NULL;
}

void gene_span_paths_init(struct grader *g)
{
	int i;

	g->span_paths[GS_SAMPLE] = estrdup("sample");
	g->span_paths[GS_GRADE] = estrdup("grade");
	g->span_paths[GS_ERROR] = estrdup("error");
	g->span_paths[GS_ERROR_MESSAGE] = estrdup("error.message");
	g->span_paths[GS_INPUT] = span_path(g->input);
	g->span_paths[GS_TEXT] = span_path(g->text_input);
	g->span_paths[GS_REFERENCE] = span_path(g->reference);
	g->span_paths[GS_RANKING] = estrdup("sample.ranking");
	g->has_spans = 1;
	for (i = 0; i < GS_N; i++)
		g->has_spans &= g->span_paths[i] != NULL;
}

const char *const *grader_span_paths(const struct grader *g)
{
	return g->has_spans ? (const char *const *)g->span_paths : NULL;
}

/* one reference value, as reference_ids reads it: 0, or -1 ask the tree */
static int span_ref(const struct hgnc *h, const struct rft_json_span *v, struct gene_lists *L, struct strbuf *tmp)
{
	struct rft_json_span m[3], e;
	static const char *const keys[3] = { "symbol", "hgnc", "names" };
	const char *f[2];
	size_t off[2], ref, pos = 0;
	int has[2], i;

	strbuf_reset(tmp);
	if (rft_json_span_type(v) != json_type_object) {
		if (rft_json_span_str(v, tmp) == 0)
			gene_add_ref(h, L, tmp->buf, tmp->buf);
		return 0;
	}
	for (i = 0; i < 3; i++) {
		int got = rft_json_span_member(v, keys[i], &m[i]);

		if (got < 0)
			return -1;
		if (!got)
			m[i].p = NULL;
	}
	/* symbol and hgnc, NUL-separated in tmp (no buffers of their own a line) */
	for (i = 0; i < 2; i++) {
		off[i] = tmp->len;
		has[i] = m[i].p && rft_json_span_str(&m[i], tmp) == 0;
		strbuf_addch(tmp, '\0');
	}
	if (!has[1] && !has[0])
		return 0;
	f[0] = tmp->buf + off[0];
	f[1] = tmp->buf + off[1];
	/* as the tree: hgnc when a string, else symbol */
	ref = gene_add_ref(h, L, has[1] ? f[1] : f[0], has[0] ? f[0] : NULL);
	for (i = 0; i < 2; i++)
		if (has[i])
			gene_add_ref_name(L, ref, f[i], strlen(f[i]));
	if (m[2].p && rft_json_span_type(&m[2]) == json_type_array)
		while (rft_json_span_next(&m[2], &pos, &e)) {
			strbuf_reset(tmp);
			if (rft_json_span_str(&e, tmp) == 0)
				gene_add_ref_name(L, ref, tmp->buf, tmp->len);
		}
	return 0;
}


/* the same from a span: 0, or -1 ask the tree */
static int scores_spans(struct gene_lists *L, const struct rft_json_span *ranking)
{
	struct rft_json_span e, sc;
	size_t pos = 0, i = 0;
	double v;
	int rc;

	if (!ranking->p || rft_json_span_type(ranking) != json_type_array || !L->n)
		return 0;
	while (rft_json_span_next(ranking, &pos, &e)) {
		if (i == L->n)
			return 0;
		if ((rc = rft_json_span_member(&e, "score", &sc)) < 0)
			return -1;
		if (!rc || rft_json_span_num(&sc, &v) < 0)
			return 0;
		L->names[i++].score = v;
	}
	L->scored = i == L->n;
	return 0;
}

/* 0 graded, -1 ask the tree */
static int gene_rank_spans(const struct grader *g, const struct rft_json_span *sp, struct gene_lists *L,
			   struct grade_result *r, struct strbuf *tmp)
{
	const struct hgnc *h = g->env->hgnc;
	const struct rft_json_span *ref = &sp[GS_REFERENCE], *in = &sp[GS_INPUT], *text = &sp[GS_TEXT];
	struct rft_json_span v, m;
	size_t pos = 0;
	int rc;

	if (sp[GS_GRADE].p)
		return -1;
	if (rft_json_span_type(&sp[GS_SAMPLE]) != json_type_object) {
		/* (the tree reads an absent member and a null one alike) */
		const int failed = rft_json_span_type(&sp[GS_SAMPLE]) == json_type_null &&
			rft_json_span_type(&sp[GS_ERROR]) != json_type_null;

		const char *msg = NULL;

		strbuf_reset(tmp);
		if (failed && rft_json_span_str(&sp[GS_ERROR_MESSAGE], tmp) == 0)
			msg = tmp->buf;
		grade_no_sample(g, failed, msg, r);
		return 0;
	}
	r->max_list = g->max_list;
	r->rank = 0;
	/* the reference: what reads as it does from a tree; the rest (null,
	 * a number, no gene: an error) the tree says */
	switch (rft_json_span_type(ref)) {
	case json_type_array:
		while (rft_json_span_next(ref, &pos, &v))
			if (span_ref(h, &v, L, tmp) < 0)
				return -1;
		break;
	case json_type_object:
	case json_type_string:
		if (span_ref(h, ref, L, tmp) < 0)
			return -1;
		break;
	default:
		return -1;
	}
	if (!L->nref)
		return -1;

	if (rft_json_span_type(in) == json_type_array) {
		/* each entry as add_entry reads it from a tree */
		for (pos = 0; rft_json_span_next(in, &pos, &v); ) {
			enum json_type t = rft_json_span_type(&v);

			strbuf_reset(tmp);
			if (t == json_type_object) {
				if ((rc = rft_json_span_member(&v, "symbol", &m)) < 0)
					return -1;
				if (rc == 0 || rft_json_span_str(&m, tmp) < 0) {
					gene_add_none(L, t, 0);
					continue;
				}
			} else if (rft_json_span_str(&v, tmp) < 0) {
				gene_add_none(L, t, 0);
				continue;
			}
			if (gene_add_name(h, L, tmp->buf, strlen(tmp->buf), r) < 0)
				gene_add_none(L, t, 1);
		}
		if (scores_spans(L, &sp[GS_RANKING]) < 0)
			return -1;
	} else {
		if (!text->p)
			return -1;
		strbuf_reset(tmp);
		if (rft_json_span_str(text, tmp) < 0 && rft_json_span_type(text) != json_type_null)
			rft_json_span_put(text, tmp);
		if (gene_parse_text(h, tmp->buf, L, r) < 0)
			return 0;
	}
	gene_rank_names(g, L, r);
	return 0;
}

int grade_line_spans(const struct grader *g, const struct rft_json_span *spans, struct grade_result *r,
		     struct strbuf *tmp)
{
	struct gene_lists L = GENE_LISTS_INIT;
	int rc = g->has_spans ? gene_rank_spans(g, spans, &L, r, tmp) : -1;

	gene_lists_release(&L);
	if (rc < 0) {
		grade_result_release(r);
		grade_result_init(r);
	}
	return rc;
}

