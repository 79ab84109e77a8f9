/*
 * textsim.c - BLEU, GLEU, ROUGE-N and ROUGE-L of two texts, with the
 * semantics of the implementations OpenAI's text_similarity names: NLTK 3.8
 * (nltk/translate/bleu_score.py, gleu_score.py) and Google's rouge-score
 * (rouge/rouge_scorer.py, tokenize.py, scoring.py).  Written from reading
 * them; nothing is copied.
 *
 * Tokens.
 *   BLEU and GLEU: python's str.split() with no argument, the grader
 *   handing NLTK sentence_bleu([ref.split()], hyp.split()).  A token is a
 *   maximal run of code points that are not white space; white space is
 *   what str.isspace() calls so: U+0009-000D, U+001C-001F, U+0020, U+0085,
 *   U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000.
 *   Tokens are compared byte for byte (code point for code point): case,
 *   punctuation and digits are kept.  A byte that is not valid UTF-8 is one
 *   non-space character.
 *   ROUGE: rouge-score's default tokenizer without the stemmer: the text
 *   lowercased with str.lower(), every run of characters outside [a-z0-9]
 *   made a separator, the runs of [a-z0-9] the tokens.  Only ASCII letters
 *   and digits survive, with two exceptions python's lowercasing creates:
 *   U+212A KELVIN SIGN lowers to "k" (a letter of the token it is in) and
 *   U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE to "i" followed by
 *   U+0307, which ends the token ("aİb" gives "ai" and "b").
 *
 * Counting.  Tokens of both texts get dense ids (sorting them); the n-grams
 * of order n get ids from the pairs (id of the (n-1)-gram at i, id of
 * token i+n-1), sorted as 64-bit keys, so every count is of ids, not
 * strings, and nothing here needs a comparison with context.
 * match[n] = sum over distinct n-grams of min(count in hyp, count in ref),
 * which is at once NLTK's clipped count with one reference, GLEU's
 * Counter & Counter, and rouge-score's intersection.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/grader/textsim.h"

#define MAXN 5

/* past this many token pairs rouge_l is refused (about a second) */
#define LCS_MAX_CELLS ((uint64_t)1 << 28)

struct toks {
	char *buf;          /* rouge: the lowered tokens, NUL-separated; else NULL */
	const char **s;     /* each token's first byte */
	size_t *len;
	size_t n;
};

static void toks_push(struct toks *t, size_t *cap, const char *s, size_t len)
{
	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		t->s = erealloc(t->s, *cap * sizeof(*t->s));
		t->len = erealloc(t->len, *cap * sizeof(*t->len));
	}
	t->s[t->n] = s;
	t->len[t->n++] = len;
}

static void toks_free(struct toks *t)
{
	free(t->buf);
	free(t->s);
	free(t->len);
}

/* The code point at s (and its length in *k); a byte that starts no valid
 * UTF-8 sequence is U+FFFD, length 1, never white space. */
static uint32_t utf8_at(const unsigned char *s, const unsigned char *end, size_t *k)
{
	if (!(*k = rft_utf8_char(s, end))) {
		*k = 1;
		return 0xFFFD;
	}
	return rft_utf8_decode(s, *k);
}

/* str.split(): tokens point into text */
static void split_tokens(const char *text, struct toks *t)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + strlen(text);
	size_t cap = 0, i = 0, start = 0, k;
	int in = 0;

	memset(t, 0, sizeof(*t));
	while (p[i]) {
		int sp = rft_py_space(utf8_at(p + i, end, &k));

		if (sp && in)
			toks_push(t, &cap, text + start, i - start);
		else if (!sp && !in)
			start = i;
		in = !sp;
		i += k;
	}
	if (in)
		toks_push(t, &cap, text + start, i - start);
}

/* rouge-score's tokenizer (see the top of the file) */
static void rouge_tokens(const char *text, struct toks *t)
{
	size_t cap = 0, i = 0, o = 0, k, n = strlen(text);
	const unsigned char *p = (const unsigned char *)text, *end = p + n;
	int in = 0;

	memset(t, 0, sizeof(*t));
	t->buf = emalloc(n + 2);
	while (p[i]) {
		uint32_t c = utf8_at(p + i, end, &k);
		int ch = -1, end = 0;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			ch = (int)c;
		else if (c >= 'A' && c <= 'Z')
			ch = (int)c - 'A' + 'a';
		else if (c == 0x212A)
			ch = 'k';
		else if (c == 0x130)
			ch = 'i', end = 1;
		if (ch >= 0) {
			in = 1;
			t->buf[o++] = (char)ch;    /* o <= i: a character gives at most one byte */
		}
		if ((ch < 0 || end) && in) {
			t->buf[o++] = '\0';
			in = 0;
		}
		i += k;
	}
	if (in)
		t->buf[o++] = '\0';
	/* the pointers only once buf stops moving */
	for (i = 0; i < o; i += strlen(t->buf + i) + 1)
		toks_push(t, &cap, t->buf + i, strlen(t->buf + i));
}

struct tokref {
	const char *s;
	size_t len;
	uint32_t *dst;
};

static int tokref_cmp(const void *a, const void *b)
{
	const struct tokref *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, m);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

struct gram {
	uint64_t key;
	uint32_t *dst;      /* where the n-gram's id goes */
	int side;           /* 0 hyp, 1 ref */
};

static int gram_cmp(const void *a, const void *b)
{
	const struct gram *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* the tokens of both texts as ids, equal ids for equal tokens */
static void token_ids(const struct toks *h, const struct toks *r, uint32_t *ih, uint32_t *ir)
{
	size_t n = h->n + r->n, i, j = 0;
	struct tokref *v = emalloc((n ? n : 1) * sizeof(*v));
	uint32_t id = 0;

	for (i = 0; i < h->n; i++)
		v[j].s = h->s[i], v[j].len = h->len[i], v[j++].dst = ih + i;
	for (i = 0; i < r->n; i++)
		v[j].s = r->s[i], v[j].len = r->len[i], v[j++].dst = ir + i;
	qsort(v, n, sizeof(*v), tokref_cmp);
	for (i = 0; i < n; i++) {
		if (i && tokref_cmp(v + i - 1, v + i))
			id++;
		*v[i].dst = id;
	}
	free(v);
}

/*
 * match[k] for k = 1..maxn: the sum over distinct k-grams of min(count in
 * hyp, count in ref).  ih/ir are the token ids (a and b of them); they are
 * overwritten with the ids of longer and longer n-grams.
 */
static void ngram_matches(uint32_t *ih, size_t a, uint32_t *ir, size_t b, int maxn, uint64_t *match)
{
	uint32_t *tok_h = emalloc((a + 1) * sizeof(*tok_h)), *tok_r = emalloc((b + 1) * sizeof(*tok_r));
	struct gram *g = emalloc((a + b + 1) * sizeof(*g));
	int n;

	memcpy(tok_h, ih, a * sizeof(*ih));
	memcpy(tok_r, ir, b * sizeof(*ir));
	for (n = 1; n <= maxn; n++) {
		size_t na = a >= (size_t)n ? a - (size_t)n + 1 : 0, nb = b >= (size_t)n ? b - (size_t)n + 1 : 0;
		size_t i, j = 0, start;
		uint32_t id = 0;

		match[n] = 0;
		for (i = 0; i < na; i++) {
			g[j].key = n == 1 ? ih[i] : ((uint64_t)ih[i] << 32) | tok_h[i + (size_t)n - 1];
			g[j].dst = ih + i;
			g[j++].side = 0;
		}
		for (i = 0; i < nb; i++) {
			g[j].key = n == 1 ? ir[i] : ((uint64_t)ir[i] << 32) | tok_r[i + (size_t)n - 1];
			g[j].dst = ir + i;
			g[j++].side = 1;
		}
		qsort(g, j, sizeof(*g), gram_cmp);
		for (start = 0; start < j; start = i, id++) {
			uint64_t ch = 0, cr = 0;

			for (i = start; i < j && g[i].key == g[start].key; i++) {
				*g[i].dst = id;
				if (g[i].side)
					cr++;
				else
					ch++;
			}
			match[n] += ch < cr ? ch : cr;
		}
	}
	free(tok_h);
	free(tok_r);
	free(g);
}

/* the n-gram matches of two token lists, and their lengths */
static void matches_of(const struct toks *h, const struct toks *r, int maxn, uint64_t *match)
{
	uint32_t *ih = emalloc((h->n + 1) * sizeof(*ih)), *ir = emalloc((r->n + 1) * sizeof(*ir));

	token_ids(h, r, ih, ir);
	ngram_matches(ih, h->n, ir, r->n, maxn, match);
	free(ih);
	free(ir);
}

/* the number of n-grams in a list of len tokens */
static uint64_t grams(size_t len, int n)
{
	return len >= (size_t)n ? (uint64_t)(len - (size_t)n + 1) : 0;
}

/*
 * math.fsum: the correctly rounded sum (Shewchuk's exact partials, then
 * round-half-even on the last two), so that the sum of BLEU's four logs is
 * the same double as NLTK's.  All x are finite here.
 */
static double fsum(const double *x, int nx)
{
	double p[8 + MAXN], hi, lo = 0, y, t;
	int n = 0, i, j, k;

	for (k = 0; k < nx; k++) {
		double v = x[k];

		for (i = j = 0; j < n; j++) {
			y = p[j];
			if (fabs(v) < fabs(y))
				t = v, v = y, y = t;
			hi = v + y;
			lo = y - (hi - v);
			if (lo != 0.0)
				p[i++] = lo;
			v = hi;
		}
		n = i;
		p[n++] = v;
	}
	hi = 0.0;
	if (n > 0) {
		hi = p[--n];
		while (n > 0) {
			double xx = hi;

			y = p[--n];
			hi = xx + y;
			lo = y - (hi - xx);
			if (lo != 0.0)
				break;
		}
		if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
			y = lo * 2;
			t = hi + y;
			if (y == t - hi)
				hi = t;
		}
	}
	return hi;
}

/*
 * sentence_bleu([ref], hyp) with NLTK's defaults: weights (0.25, 0.25,
 * 0.25, 0.25), no smoothing (method0), no auto_reweigh.  p_n = clipped
 * n-gram matches / max(1, n-grams in hyp); 0 when no unigram matches; an
 * order with no match counts as sys.float_info.min (DBL_MIN), so the score
 * is then some 1e-77 rather than 0, as NLTK's is; brevity penalty 1 when
 * the hypothesis is longer than the reference, else exp(1 - ref/hyp).
 */
double rft_bleu(const char *hyp, const char *ref)
{
	struct toks h, r;
	uint64_t match[MAXN + 1];
	double logs[4], bp = 1;
	size_t a, b;
	int n;

	split_tokens(hyp, &h);
	split_tokens(ref, &r);
	a = h.n, b = r.n;
	matches_of(&h, &r, 4, match);
	toks_free(&h);
	toks_free(&r);
	if (match[1] == 0)
		return 0;
	if (a <= b)
		bp = exp(1 - (double)b / (double)a);    /* a > 0: a unigram matched */
	for (n = 1; n <= 4; n++) {
		uint64_t den = grams(a, n) ? grams(a, n) : 1;
		double p = match[n] ? (double)match[n] / (double)den : DBL_MIN;

		logs[n - 1] = 0.25 * log(p);
	}
	return bp * exp(fsum(logs, 4));
}

/*
 * sentence_gleu([ref], hyp), min_len 1, max_len 4: the n-grams of orders
 * 1 to 4 of each side counted together, matches / max(hyp's, ref's); 0
 * when both are empty.
 */
double rft_gleu(const char *hyp, const char *ref)
{
	struct toks h, r;
	uint64_t match[MAXN + 1], tp = 0, tpfp = 0, tpfn = 0;
	int n;

	split_tokens(hyp, &h);
	split_tokens(ref, &r);
	matches_of(&h, &r, 4, match);
	for (n = 1; n <= 4; n++) {
		tp += match[n];
		tpfp += grams(h.n, n);
		tpfn += grams(r.n, n);
	}
	toks_free(&h);
	toks_free(&r);
	if (tpfp < tpfn)
		tpfp = tpfn;
	return tpfp ? (double)tp / (double)tpfp : 0.0;
}

/* scoring.fmeasure, in its order of operations */
static double fmeasure(double precision, double recall)
{
	return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

/*
 * rouge-score's rougeN F-measure: precision = matches / max(1, n-grams of
 * hyp), recall = matches / max(1, n-grams of ref), 2PR / (P + R), 0 when
 * nothing matches (two empty texts too).
 */
double rft_rouge_n(const char *hyp, const char *ref, int n)
{
	struct toks h, r;
	uint64_t match[MAXN + 1], gh, gr;

	if (n < 1 || n > MAXN)
		return -1;
	rouge_tokens(hyp, &h);
	rouge_tokens(ref, &r);
	matches_of(&h, &r, n, match);
	gh = grams(h.n, n);
	gr = grams(r.n, n);
	toks_free(&h);
	toks_free(&r);
	return fmeasure((double)match[n] / (double)(gh ? gh : 1), (double)match[n] / (double)(gr ? gr : 1));
}

/*
 * rouge-score's rougeL F-measure: LCS of the token lists, precision =
 * LCS / len(hyp), recall = LCS / len(ref), 0 when either is empty.  The
 * LCS by the usual table, one row at a time.
 */
double rft_rouge_l(const char *hyp, const char *ref)
{
	struct toks h, r;
	uint32_t *ih, *ir, *row;
	size_t a, b, i, j;
	double score = 0;

	rouge_tokens(hyp, &h);
	rouge_tokens(ref, &r);
	a = h.n, b = r.n;
	if (!a || !b)
		goto out;
	if ((uint64_t)a * b > LCS_MAX_CELLS) {
		score = -1;
		goto out;
	}
	ih = emalloc(a * sizeof(*ih));
	ir = emalloc(b * sizeof(*ir));
	token_ids(&h, &r, ih, ir);
	row = ecalloc(b + 1, sizeof(*row));
	for (i = 0; i < a; i++) {
		uint32_t diag = 0;    /* row[j] of the row before, for j - 1 */

		for (j = 1; j <= b; j++) {
			uint32_t up = row[j];

			if (ih[i] == ir[j - 1])
				row[j] = diag + 1;
			else if (row[j - 1] > up)
				row[j] = row[j - 1];
			diag = up;
		}
	}
	score = fmeasure((double)row[b] / (double)a, (double)row[b] / (double)b);
	free(row);
	free(ih);
	free(ir);
out:
	toks_free(&h);
	toks_free(&r);
	return score;
}
