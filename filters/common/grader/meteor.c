/*
 * meteor.c - METEOR as NLTK 3.8's single_meteor_score computes it; see meteor.h.
 *
 * Words: OpenAI does not say how its text_similarity grader cuts text into
 * words for meteor (its reference pages list the metric's name and nothing
 * more, and NLTK's function takes words, not text); we take Python's
 * str.split() (runs of white space) over the rendered input and reference,
 * the plain reading and what the rest of the Python stack does when handed a
 * string.  Each word is lower-cased as str.lower() does for ASCII, Latin-1,
 * Latin Extended-A (U+0130 to "i" and U+0307), Greek and Cyrillic; capitals
 * of other scripts are kept as written (where Python's str.lower would
 * differ; man/rft-grade.1 says so).
 *
 * The alignment is NLTK's, step for step, since its greedy choices decide
 * the score: three stages, each walking the unmatched hypothesis words from
 * the last to the first and, for each, the unmatched reference words from
 * the last to the first, taking the first that matches and removing both:
 *   1. exact: equal words;
 *   2. stem: equal Porter stems (porter.c) -- and, as in NLTK, the words left
 *      unmatched by this stage go on to stage 3 as their stems;
 *   3. synonym: the reference word is the hypothesis word or one of the
 *      lemma names without '_' of WordNet's synsets of it (wordnet.c).
 * With m matches of t hypothesis and r reference words, P = m/t, R = m/r,
 * Fmean = P R / (alpha P + (1 - alpha) R), the matches sorted by hypothesis
 * position fall into `chunks` runs adjacent in both texts, and
 * score = (1 - gamma (chunks/m)^beta) Fmean; 0 when t, r or m is 0.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "meteor.h"
#include "porter.h"

#define ALPHA 0.9
#define BETA 3.0
#define GAMMA 0.5

struct tok {
	size_t idx;   /* place in its text */
	char *w;
	size_t len;
};

struct list {
	struct tok *t;
	size_t n;
};

static uint32_t lower_cp(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
		return c + 32;
	if (c < 0x100)
		return c;
	if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && !(c & 1))
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
		return c + 1;
	if (c == 0x178)
		return 0xFF;
	if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB) || (c >= 0x410 && c <= 0x42F))
		return c + 32;
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 63;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

/* the words of s, lower-cased */
static void words(const char *s, struct list *l)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t cap = 0;
	char *w = NULL;
	size_t wl = 0, wcap = 0;

	l->t = NULL;
	l->n = 0;
	for (;;) {
		uint32_t c = 0;
		size_t k = p < end ? rft_utf8_char(p, end) : 0;
		int space = 0, bad = p < end && k == 0;

		if (p < end && k) {
			c = rft_utf8_decode(p, k);
			space = rft_py_space(c);
		}
		if (p == end || space) {
			if (wl) {
				if (l->n == cap)
					l->t = erealloc(l->t, (cap = cap ? 2 * cap : 16) * sizeof(*l->t));
				w[wl] = 0;
				l->t[l->n].idx = l->n;
				l->t[l->n].w = estrndup(w, wl);
				l->t[l->n].len = wl;
				l->n++;
				wl = 0;
			}
			if (p == end)
				break;
			p += k;
			continue;
		}
		if (wl + 8 > wcap)
			w = erealloc(w, wcap = wcap ? 2 * wcap : 64);
		if (bad) {
			w[wl++] = (char)*p++;     /* not UTF-8: the byte as it is */
			continue;
		}
		if (c == 0x130) {
			wl += rft_utf8_encode('i', w + wl);
			wl += rft_utf8_encode(0x307, w + wl);
		} else {
			wl += rft_utf8_encode(lower_cp(c), w + wl);
		}
		p += k;
	}
	free(w);
}

static void list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->t[i].w);
	free(l->t);
}

static void list_remove(struct list *l, size_t i)
{
	free(l->t[i].w);
	memmove(l->t + i, l->t + i + 1, (l->n - i - 1) * sizeof(*l->t));
	l->n--;
}

struct pair {
	size_t h, r;
};

struct align {
	struct pair *p;
	size_t n;
};

static void take(struct align *a, struct list *h, size_t i, struct list *r, size_t j)
{
	a->p[a->n].h = h->t[i].idx;
	a->p[a->n].r = r->t[j].idx;
	a->n++;
	list_remove(h, i);
	list_remove(r, j);
}

/* NLTK's _match_enums: equal words, hypothesis and reference from the end */
static void match_equal(struct align *a, struct list *h, struct list *r)
{
	size_t i, j;

	for (i = h->n; i-- > 0;)
		for (j = r->n; j-- > 0;)
			if (h->t[i].len == r->t[j].len && !memcmp(h->t[i].w, r->t[j].w, h->t[i].len)) {
				take(a, h, i, r, j);
				break;
			}
}

static void stem_all(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		char *s = rft_porter_stemn(l->t[i].w, l->t[i].len);

		free(l->t[i].w);
		l->t[i].w = s;
		l->t[i].len = strlen(s);
	}
}

struct name {
	const char *s;
	size_t len;
};

struct names {
	struct name *v;
	size_t n, cap;
};

static int name_cmp(const void *x, const void *y)
{
	const struct name *a = x, *b = y;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void names_push(struct names *nm, const char *s, size_t len)
{
	if (nm->n == nm->cap)
		nm->v = erealloc(nm->v, (nm->cap = nm->cap ? 2 * nm->cap : 64) * sizeof(*nm->v));
	nm->v[nm->n].s = s;
	nm->v[nm->n++].len = len;
}

/* a lemma name: one without '_' joins the synonyms */
static void add_name(const char *s, size_t len, void *ctx)
{
	if (!memchr(s, '_', len))
		names_push(ctx, s, len);
}

/* NLTK's _enum_wordnetsyn_match */
static void match_synonyms(struct align *a, struct list *h, struct list *r, const struct rft_wordnet *wn)
{
	struct names nm = { 0 };
	size_t i, j;

	for (i = h->n; i-- > 0;) {
		nm.n = 0;
		names_push(&nm, h->t[i].w, h->t[i].len);   /* the word itself, '_' or not */
		rft_wordnet_lemma_names(wn, h->t[i].w, h->t[i].len, add_name, &nm);
		/* a set: sorted once, each reference word looked up (a word of
		 * many senses has hundreds of names) */
		qsort(nm.v, nm.n, sizeof(*nm.v), name_cmp);
		for (j = r->n; j-- > 0;) {
			struct name key = { r->t[j].w, r->t[j].len };

			if (bsearch(&key, nm.v, nm.n, sizeof(*nm.v), name_cmp)) {
				take(a, h, i, r, j);
				break;
			}
		}
	}
	free(nm.v);
}

static int by_hyp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	return a->h < b->h ? -1 : a->h > b->h;
}

double rft_meteor(const char *hyp, const char *ref, const struct rft_wordnet *wn)
{
	struct list h, r;
	struct align a;
	size_t t, n, chunks, i;
	double score = 0, precision, recall, fmean, frag;

	words(hyp, &h);
	words(ref, &r);
	t = h.n;
	n = r.n;
	if ((unsigned long long)t * n > METEOR_MAX_PAIRS) {
		list_free(&h);
		list_free(&r);
		return -1;
	}
	a.p = emalloc((t < n ? t : n) * sizeof(*a.p) + 1);
	a.n = 0;
	match_equal(&a, &h, &r);
	stem_all(&h);
	stem_all(&r);
	match_equal(&a, &h, &r);
	match_synonyms(&a, &h, &r, wn);
	if (t && n && a.n) {
		qsort(a.p, a.n, sizeof(*a.p), by_hyp);
		for (chunks = 1, i = 0; i + 1 < a.n; i++)
			if (!(a.p[i + 1].h == a.p[i].h + 1 && a.p[i + 1].r == a.p[i].r + 1))
				chunks++;
		precision = (double)a.n / (double)t;
		recall = (double)a.n / (double)n;
		fmean = precision * recall / (ALPHA * precision + (1 - ALPHA) * recall);
		frag = (double)chunks / (double)a.n;
		score = (1 - GAMMA * pow(frag, BETA)) * fmean;
	}
	free(a.p);
	list_free(&h);
	list_free(&r);
	return score;
}
