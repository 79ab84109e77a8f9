/*
 * porter.c - NLTK 3.8's Porter stemmer (NLTK_EXTENSIONS mode); see porter.h.
 *
 * Written from the paper's rules and NLTK's documented departures from them:
 * the irregular forms looked up whole (sky/skies, dying, lying, tying, news,
 * innings, outings, cannings, howe, proceed, exceed, succeed), words of two
 * characters or fewer left as they are, "ies"/"ied" of a 4-letter word to
 * "ie", other "ied" to "i", step 1c's y -> i only after a consonant that is
 * not the whole stem, the two-letter vc stem counting as *o, step 2's "alli"
 * taken first and the step run again, "bli" -> "ble" (not "abli"), and the
 * extra step 2 rules "fulli" -> "ful" and "logi" -> "log".
 *
 * A rule list is tried in order; the first rule whose suffix the word ends
 * with decides: its condition holds and the suffix is replaced, or it fails
 * and the word is left as it is (later rules are not tried).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "porter.h"

struct word {
	uint32_t *c;
	size_t n;
};

static int is_vowel(uint32_t c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

/* the paper's consonant: not a vowel, and y only after a vowel or first */
static int cons(const uint32_t *w, size_t i)
{
	size_t k = i;
	int c;

	if (is_vowel(w[i]))
		return 0;
	if (w[i] != 'y')
		return 1;
	while (k > 0 && w[k - 1] == 'y')
		k--;
	/* w[k] is the first y of the run: a consonant at the start or after a vowel */
	c = k == 0 ? 1 : is_vowel(w[k - 1]);
	return (i - k) % 2 == 0 ? c : !c;
}

/* m of [C](VC){m}[V] over w[0..n) */
static int measure(const uint32_t *w, size_t n)
{
	size_t i;
	int m = 0, prev = -1, c;

	for (i = 0; i < n; i++) {
		if (is_vowel(w[i]))
			c = 0;
		else if (w[i] == 'y')
			c = i == 0 ? 1 : !prev;
		else
			c = 1;
		if (c && prev == 0)
			m++;
		prev = c;
	}
	return m;
}

static int contains_vowel(const uint32_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cons(w, i))
			return 1;
	return 0;
}

static int ends_double(const uint32_t *w, size_t n)
{
	return n >= 2 && w[n - 1] == w[n - 2] && cons(w, n - 1);
}

/* *o, with NLTK's two-letter vc */
static int ends_cvc(const uint32_t *w, size_t n)
{
	if (n >= 3 && cons(w, n - 3) && !cons(w, n - 2) && cons(w, n - 1) &&
	    w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y')
		return 1;
	return n == 2 && !cons(w, 0) && cons(w, 1);
}

static int ends(const struct word *w, const char *suf)
{
	size_t k = strlen(suf), i;

	if (k > w->n)
		return 0;
	for (i = 0; i < k; i++)
		if (w->c[w->n - k + i] != (unsigned char)suf[i])
			return 0;
	return 1;
}

/* drop the last k characters and append rep */
static void replace(struct word *w, size_t k, const char *rep)
{
	w->n -= k;
	while (*rep)
		w->c[w->n++] = (unsigned char)*rep++;
}

enum cond { ANY, M0, M1, ION, LOGI, LL, CVC1 };

struct rule {
	const char *suf, *rep;
	enum cond cond;
};

/* the condition on the stem w[0..s) (w is the whole word) */
static int holds(enum cond cond, const struct word *w, size_t s)
{
	switch (cond) {
	case ANY: return 1;
	case M0: return measure(w->c, s) > 0;
	case M1: return measure(w->c, s) > 1;
	case ION: return measure(w->c, s) > 1 && (w->c[s - 1] == 's' || w->c[s - 1] == 't');
	case LOGI: return measure(w->c, w->n - 3) > 0;     /* the word less "ogi" */
	case LL: return measure(w->c, w->n - 1) > 1;       /* the word less one l */
	case CVC1: return measure(w->c, s) == 1 && ends_cvc(w->c, s);
	}
	return 0;
}

static void apply(struct word *w, const struct rule *r, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!ends(w, r[i].suf))
			continue;
		if (holds(r[i].cond, w, w->n - strlen(r[i].suf)))
			replace(w, strlen(r[i].suf), r[i].rep);
		return;
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BYTE_CP 0x110000u

static void step1a(struct word *w)
{
	static const struct rule r[] = {
		{ "sses", "ss", ANY }, { "ies", "i", ANY }, { "ss", "ss", ANY }, { "s", "", ANY },
	};

	if (ends(w, "ies") && w->n == 4) {
		replace(w, 3, "ie");
		return;
	}
	apply(w, r, N(r));
}

static void step1b(struct word *w)
{
	static const struct rule r[] = { { "at", "ate", ANY }, { "bl", "ble", ANY }, { "iz", "ize", ANY } };
	size_t i;
	uint32_t last;

	if (ends(w, "ied")) {
		replace(w, 3, w->n == 4 ? "ie" : "i");
		return;
	}
	if (ends(w, "eed")) {
		if (measure(w->c, w->n - 3) > 0)
			replace(w, 3, "ee");
		return;
	}
	if (ends(w, "ed") && contains_vowel(w->c, w->n - 2))
		w->n -= 2;
	else if (ends(w, "ing") && contains_vowel(w->c, w->n - 3))
		w->n -= 3;
	else
		return;
	/* the intermediate stem: AT BL IZ, then *d, then (m=1 and *o) -> E */
	for (i = 0; i < N(r); i++)
		if (ends(w, r[i].suf)) {
			replace(w, strlen(r[i].suf), r[i].rep);
			return;
		}
	if (ends_double(w->c, w->n)) {
		last = w->c[w->n - 1];
		if (last != 'l' && last != 's' && last != 'z')
			w->n--;
		return;
	}
	if (holds(CVC1, w, w->n))
		replace(w, 0, "e");
}

static void step1c(struct word *w)
{
	if (ends(w, "y") && w->n - 1 > 1 && cons(w->c, w->n - 2))
		w->c[w->n - 1] = 'i';
}

static void step2(struct word *w)
{
	static const struct rule r[] = {
		{ "ational", "ate", M0 }, { "tional", "tion", M0 }, { "enci", "ence", M0 },
		{ "anci", "ance", M0 }, { "izer", "ize", M0 }, { "bli", "ble", M0 },
		{ "alli", "al", M0 }, { "entli", "ent", M0 }, { "eli", "e", M0 },
		{ "ousli", "ous", M0 }, { "ization", "ize", M0 }, { "ation", "ate", M0 },
		{ "ator", "ate", M0 }, { "alism", "al", M0 }, { "iveness", "ive", M0 },
		{ "fulness", "ful", M0 }, { "ousness", "ous", M0 }, { "aliti", "al", M0 },
		{ "iviti", "ive", M0 }, { "biliti", "ble", M0 }, { "fulli", "ful", M0 },
		{ "logi", "log", LOGI },
	};

	/* NLTK: "alli" first, then the step again (a loop: each pass shortens) */
	while (ends(w, "alli") && measure(w->c, w->n - 4) > 0)
		replace(w, 4, "al");
	apply(w, r, N(r));
}

static void step3(struct word *w)
{
	static const struct rule r[] = {
		{ "icate", "ic", M0 }, { "ative", "", M0 }, { "alize", "al", M0 }, { "iciti", "ic", M0 },
		{ "ical", "ic", M0 }, { "ful", "", M0 }, { "ness", "", M0 },
	};

	apply(w, r, N(r));
}

static void step4(struct word *w)
{
	static const struct rule r[] = {
		{ "al", "", M1 }, { "ance", "", M1 }, { "ence", "", M1 }, { "er", "", M1 },
		{ "ic", "", M1 }, { "able", "", M1 }, { "ible", "", M1 }, { "ant", "", M1 },
		{ "ement", "", M1 }, { "ment", "", M1 }, { "ent", "", M1 }, { "ion", "", ION },
		{ "ou", "", M1 }, { "ism", "", M1 }, { "ate", "", M1 }, { "iti", "", M1 },
		{ "ous", "", M1 }, { "ive", "", M1 }, { "ize", "", M1 },
	};

	apply(w, r, N(r));
}

static void step5(struct word *w)
{
	static const struct rule ll[] = { { "ll", "l", LL } };
	int m;

	if (ends(w, "e")) {
		m = measure(w->c, w->n - 1);
		if (m > 1 || (m == 1 && !ends_cvc(w->c, w->n - 1)))
			w->n--;
	}
	apply(w, ll, N(ll));
}

/* NLTK's pool of irregular forms: the word whole, and what it stems to */
static const char *const irregular[][2] = {
	{ "sky", "sky" }, { "skies", "sky" }, { "dying", "die" }, { "lying", "lie" },
	{ "tying", "tie" }, { "news", "news" }, { "innings", "inning" }, { "inning", "inning" },
	{ "outings", "outing" }, { "outing", "outing" }, { "cannings", "canning" },
	{ "canning", "canning" }, { "howe", "howe" }, { "proceed", "proceed" },
	{ "exceed", "exceed" }, { "succeed", "succeed" },
};

char *rft_porter_stemn(const char *word, size_t len)
{
	const unsigned char *p = (const unsigned char *)word, *end = p + len;
	struct word w;
	size_t i, k, out;
	char *s;

	for (i = 0; i < N(irregular); i++)
		if (strlen(irregular[i][0]) == len && !memcmp(word, irregular[i][0], len))
			return estrdup(irregular[i][1]);
	/* decode; a byte that starts no valid character becomes BYTE_CP + byte,
	 * past Unicode: a consonant like any other, written back as that byte */
	w.c = emalloc((len + 4) * sizeof(*w.c));
	w.n = 0;
	while (p < end) {
		uint32_t c;

		k = rft_utf8_char(p, end);
		if (k == 0) {
			c = BYTE_CP + *p;
			k = 1;
		} else {
			c = rft_utf8_decode(p, k);
		}
		w.c[w.n++] = c;
		p += k;
	}
	if (w.n > 2) {
		step1a(&w);
		step1b(&w);
		step1c(&w);
		step2(&w);
		step3(&w);
		step4(&w);
		step5(&w);
	}
	s = emalloc(len + 8);
	out = 0;
	for (i = 0; i < w.n; i++) {
		uint32_t c = w.c[i];

		if (c >= BYTE_CP)
			s[out++] = (char)(c - BYTE_CP);
		else
			out += rft_utf8_encode(c, s + out);
	}
	s[out] = 0;
	free(w.c);
	return s;
}

char *rft_porter_stem(const char *word)
{
	return rft_porter_stemn(word, strlen(word));
}
