/*
 * text.c - the string_check and text_similarity grader types; the metrics
 * of text_similarity are rows of a table {name, function}.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "internal.h"
#include "meteor.h"
#include "model.h"
#include "textsim.h"
#include "wordnet.h"

/* ----------------------------------------------- string_check, similarity */

static int contains(const char *hay, const char *needle, int fold)
{
	size_t n = strlen(needle), i;

	if (!fold)
		return strstr(hay, needle) != NULL;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] && tolower((unsigned char)hay[i]) ==
		     tolower((unsigned char)needle[i]); i++)
			;
		if (i == n)
			return 1;
	}
	return n == 0;
}

/* UTF-8 text -> code points (invalid bytes taken as they are) */
static size_t codepoints(const char *s, uint32_t **out)
{
	size_t len = strlen(s), n = 0, i = 0;

	*out = emalloc((len + 1) * sizeof(**out));
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c;
		size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

		if (i + k < len && k) {
			cp = c & (0x3F >> k);
			for (size_t j = 1; j <= k; j++)
				cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3F);
		} else {
			k = 0;
		}
		(*out)[n++] = cp;
		i += k + 1;
	}
	return n;
}

/* past this many 64-bit steps (len(longer) x words of the shorter) a
 * fuzzy_match is refused with other_error: about a second of work, two texts
 * of some 130,000 code points each */
#define FUZZY_MAX_STEPS ((uint64_t)1 << 28)

/*
 * fuzzy_match: the normalised indel similarity of rapidfuzz's fuzz.ratio,
 * 1 - (insertions + deletions) / (len(a) + len(b)) = 2 LCS / (len(a) + len(b)),
 * over Unicode code points; two empty strings score 1.  The LCS length is
 * computed 64 columns a step (Hyyro's bit-vector form, as rapidfuzz does):
 * one bit-mask a distinct code point of the shorter text, and V, whose zero
 * bits count the LCS, updated as V = (V + (V & M)) | (V & ~M) for each code
 * point of the longer.  -1 when the texts are too long (FUZZY_MAX_STEPS).
 */
double grade_fuzzy_ratio(const char *a, const char *b)
{
	uint32_t *x, *y, *key;
	size_t n = codepoints(a, &x), m = codepoints(b, &y), i, j, k, w, nkeys = 0, mask;
	uint64_t *pm, *v, lcs = 0;
	int32_t *slot;
	double ratio = 1;

	if (n < m) {
		uint32_t *t = x;
		size_t tn = n;

		x = y, y = t, n = m, m = tn;
	}
	if (m == 0)
		goto out;    /* 1 when both are empty, else 0 */
	w = (m + 63) / 64;
	if ((uint64_t)n * w > FUZZY_MAX_STEPS) {
		ratio = -1;
		goto out;
	}
	/* the distinct code points of y in an open-addressed table, each with
	 * the mask of the places it stands in */
	for (mask = 1; mask < 2 * m; mask <<= 1)
		;
	slot = emalloc(mask * sizeof(*slot));
	memset(slot, 0xff, mask * sizeof(*slot));
	key = emalloc(m * sizeof(*key));
	pm = ecalloc(m * w, sizeof(*pm));
	mask--;
	for (j = 0; j < m; j++) {
		size_t h = (y[j] * 2654435761u) & mask;

		while (slot[h] >= 0 && key[slot[h]] != y[j])
			h = (h + 1) & mask;
		if (slot[h] < 0) {
			key[nkeys] = y[j];
			slot[h] = (int32_t)nkeys++;
		}
		pm[(size_t)slot[h] * w + j / 64] |= (uint64_t)1 << (j % 64);
	}
	v = emalloc(w * sizeof(*v));
	memset(v, 0xff, w * sizeof(*v));
	for (i = 0; i < n; i++) {
		size_t h = (x[i] * 2654435761u) & mask;
		const uint64_t *p;
		uint64_t carry = 0;

		while (slot[h] >= 0 && key[slot[h]] != x[i])
			h = (h + 1) & mask;
		if (slot[h] < 0)
			continue;     /* not in y: V stays as it is */
		p = pm + (size_t)slot[h] * w;
		for (k = 0; k < w; k++) {
			uint64_t u = v[k] & p[k], sum = v[k] + u, out = sum + carry;

			carry = (sum < v[k]) | (out < sum);
			v[k] = out | (v[k] & ~p[k]);
		}
	}
	for (j = 0; j < m; j++)
		lcs += !((v[j / 64] >> (j % 64)) & 1);
	free(slot);
	free(key);
	free(pm);
	free(v);
out:
	if (ratio >= 0 && n + m > 0)
		ratio = 2.0 * (double)lcs / (double)(n + m);
	free(x);
	free(y);
	return ratio;
}

/* ------------------------------------------------------------ metrics */

/* a metric's score, or other_error when it found the texts too long (-1) */
static double scored(const char *metric, double v, size_t inlen, size_t reflen, struct grade_result *r)
{
	if (v < 0) {
		grade_fail(r, GRADE_ERR_OTHER, "%s: the texts are too long to compare (%zu and %zu bytes)",
			   metric, inlen, reflen);
		return 0;
	}
	return v;
}

/* a row's function: NAME's score of in against ref by EXPR (in, ref in scope) */
#define METRIC(fn, name, expr)                                                                   \
	static double fn(const char *in, size_t inlen, const char *ref, size_t reflen,           \
			 struct grade_result *r)                                                  \
	{                                                                                         \
		return scored(name, expr, inlen, reflen, r);                                      \
	}
METRIC(fuzzy_match, "fuzzy_match", grade_fuzzy_ratio(in, ref))
METRIC(bleu, "bleu", rft_bleu(in, ref))
METRIC(gleu, "gleu", rft_gleu(in, ref))
METRIC(rouge_1, "rouge_1", rft_rouge_n(in, ref, 1))
METRIC(rouge_2, "rouge_2", rft_rouge_n(in, ref, 2))
METRIC(rouge_3, "rouge_3", rft_rouge_n(in, ref, 3))
METRIC(rouge_4, "rouge_4", rft_rouge_n(in, ref, 4))
METRIC(rouge_5, "rouge_5", rft_rouge_n(in, ref, 5))
METRIC(rouge_l, "rouge_l", rft_rouge_l(in, ref))
/* WordNet was read when the grader loaded (meteor_ready): here it is there */
METRIC(meteor, "meteor", rft_meteor(in, ref, rft_wordnet_get(NULL)))
#undef METRIC

/* meteor needs WordNet: found at load, or the grader is refused (never an
 * exact-and-stem-only METEOR) */
static int meteor_ready(struct strbuf *why)
{
	return rft_wordnet_get(why) ? 0 : -1;
}

/*
 * THE METRIC TABLE of text_similarity: {evaluation_metric, function, what
 * it needs at load}.  A metric is a row here plus its function
 * (text_metric_fn, internal.h); a name not in the table is refused at load.
 * textsim.c holds the n-gram metrics, meteor.c METEOR; a row without a
 * function calls a model (model.c: cosine), loaded only where models are
 * allowed (grader_allow_models).
 */
static const struct {
	const char *name;
	text_metric_fn fn;
	int (*ready)(struct strbuf *why);   /* NULL: nothing to load */
} metrics[] = {
	{ "fuzzy_match", fuzzy_match, NULL },
	{ "bleu", bleu, NULL },
	{ "gleu", gleu, NULL },
	{ "meteor", meteor, meteor_ready },
	{ "cosine", NULL, NULL },           /* embeddings: a model call (model.c) */
	{ "rouge_1", rouge_1, NULL },
	{ "rouge_2", rouge_2, NULL },
	{ "rouge_3", rouge_3, NULL },
	{ "rouge_4", rouge_4, NULL },
	{ "rouge_5", rouge_5, NULL },
	{ "rouge_l", rouge_l, NULL },
};
#define NMETRICS (sizeof(metrics) / sizeof(*metrics))

/* ------------------------------------------------------------- grading */

void text_grade(const struct grader *g, struct json_object *item,
		struct json_object *sample, struct grade_result *r)
{
	struct strbuf in = STRBUF_INIT, ref = STRBUF_INIT, err = STRBUF_INIT;

	if (grader_render(g->input, item, sample, &in, NULL, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "input: %s", err.buf);
	} else if (grader_render(g->reference, item, sample, &ref, NULL, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
	} else if (g->model) {
		model_grade_cosine(g->model, in.buf, ref.buf, r);
	} else if (g->metric) {
		r->reward = g->metric(in.buf, in.len, ref.buf, ref.len, r);
	} else {
		int yes;

		switch (g->op) {
		case OP_EQ: yes = !strcmp(in.buf, ref.buf); break;
		case OP_NE: yes = strcmp(in.buf, ref.buf) != 0; break;
		case OP_LIKE: yes = contains(in.buf, ref.buf, 0); break;
		default: yes = contains(in.buf, ref.buf, 1); break;
		}
		r->reward = yes;
	}
	strbuf_release(&in);
	strbuf_release(&ref);
	strbuf_release(&err);
}

/* ---------------------------------------------------- load and export */

static const char *const strop_names[] = { "eq", "ne", "like", "ilike", NULL };

/* input and reference, which both types need */
static int text_load(struct grader *g, struct json_object *o, const char *here, struct strbuf *err)
{
	const char *in = grader_str_member(o, "input", NULL, here, err);
	const char *ref = grader_str_member(o, "reference", NULL, here, err);

	if (!in || !ref) {
		if (!err->len)
			strbuf_addf(err, "%s: needs \"input\" and \"reference\"", here);
		return -1;
	}
	g->input = estrdup(in);
	g->reference = estrdup(ref);
	return 0;
}

int string_check_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		      struct strbuf *err)
{
	int i;

	(void)where;
	if (text_load(g, o, here, err) < 0)
		return -1;
	if ((i = grader_str_choice(o, "operation", NULL, strop_names, "operation", here, err)) < 0) {
		if (!err->len)
			strbuf_addf(err, "%s: needs \"operation\"", here);
		return -1;
	}
	g->op = (enum strop)i;
	return 0;
}

int string_check_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			struct strbuf *err)
{
	(void)genes;
	(void)err;
	grader_export_head(out, "string_check", g);
	strbuf_addf(out, ",\"operation\":\"%s\"}", strop_names[g->op]);
	return 0;
}

int text_similarity_load(struct grader *g, struct json_object *o, const char *where, const char *here,
			 struct strbuf *err)
{
	struct json_object *t = rft_json_get(o, "pass_threshold");
	const char *s;
	size_t i;

	(void)where;
	if (text_load(g, o, here, err) < 0)
		return -1;
	s = grader_str_member(o, "evaluation_metric", NULL, here, err);
	for (i = 0; s && i < NMETRICS && strcmp(s, metrics[i].name); i++)
		;
	if (!s || i == NMETRICS) {
		if (!err->len) {
			strbuf_addf(err, "%s: evaluation_metric '%s' is not supported here (", here, s ? s : "(none)");
			for (i = 0; i < NMETRICS; i++)
				strbuf_addf(err, "%s%s", i ? ", " : "", metrics[i].name);
			strbuf_addstr(err, NMETRICS == 1 ? " is)" : " are)");
		}
		return -1;
	}
	if (metrics[i].ready) {
		struct strbuf why = STRBUF_INIT;
		int rc = metrics[i].ready(&why);

		if (rc < 0)
			strbuf_addf(err, "%s: evaluation_metric '%s': %s", here, s, why.buf);
		strbuf_release(&why);
		if (rc < 0)
			return -1;
	}
	if (!metrics[i].fn) {
		if (!grader_models_allowed()) {
			strbuf_addf(err, "%s: evaluation_metric '%s' calls a model and is not supported by %s "
				    "(rft-grade runs it)", here, s, rft_progname);
			return -1;
		}
		if (!(g->model = model_grader_load(o, "text_similarity", here, err)))
			return -1;
	}
	g->metric = metrics[i].fn;
	g->metric_name = metrics[i].name;
	g->pass_threshold = t ? json_object_get_double(t) : 0;
	return 0;
}

void text_free(struct grader *g)
{
	model_grader_free(g->model);
	g->model = NULL;
}

int text_similarity_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			   struct strbuf *err)
{
	(void)genes;
	(void)err;
	grader_export_head(out, "text_similarity", g);
	strbuf_addstr(out, ",\"evaluation_metric\":");
	json_put_str(out, g->metric_name);
	strbuf_addstr(out, ",\"pass_threshold\":");
	json_put_fixed(out, g->pass_threshold, 6);
	strbuf_addch(out, '}');
	return 0;
}
