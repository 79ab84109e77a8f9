/*
 * wordnet.c - WordNet 3.0's dict folder as NLTK 3.8 reads it; see wordnet.h.
 *
 * Everything is read into memory when first asked for (some 28 MB): the
 * index lines become sorted tables of lemma -> synset offsets, the
 * exception lines sorted tables of inflected form -> base forms, and the
 * data files stay as they are, a synset being the line at its byte offset.
 * Every offset an index names is checked at load to start a data line that
 * carries it, so a damaged folder is refused then, never found while grading.
 * Where NLTK lets a later line win (a lemma or an inflected form listed
 * twice), so do we.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "wordnet.h"

#define WORDNET_DEFAULT_DIR "/usr/share/wordnet"
#define NPOS 4

struct key {
	const char *s;
	size_t len;
	size_t seq;              /* line order: the last of equal keys wins */
	size_t first, n;         /* index: offsets[first..first+n); exc: the bytes after the key */
	const char *rest, *end;  /* exc: the base forms, up to the line's end */
};

struct table {
	struct key *k;
	size_t n;
};

struct rft_wordnet {
	char *index[NPOS], *data[NPOS], *exc[NPOS];
	size_t data_len[NPOS];
	struct table idx[NPOS], ex[NPOS];
	uint32_t *offsets;
};

/* NLTK's POS_LIST order and file names */
static const char pos_chars[NPOS] = { 'n', 'v', 'a', 'r' };
static const char *const pos_files[NPOS] = { "noun", "verb", "adj", "adv" };

static const char *wn_dir(void)
{
	const char *d = getenv("RFT_WORDNET_DIR");

	return d && *d ? d : WORDNET_DEFAULT_DIR;
}

const char *rft_wordnet_dir(void)
{
	return wn_dir();
}

static char *slurp(const char *dir, const char *name, size_t *len, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	strbuf_addf(&path, "%s/%s", dir, name);
	if (!(f = fopen(path.buf, "rb"))) {
		strbuf_addf(err, "WordNet: cannot open %s: %s", path.buf, strerror(errno));
		goto out;
	}
	do {
		if (cap - n < 65536)
			buf = erealloc(buf, cap = cap ? 2 * cap : 1 << 20);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		strbuf_addf(err, "WordNet: cannot read %s: %s", path.buf, strerror(errno));
		free(buf);
		buf = NULL;
	} else {
		buf[n] = 0;
		*len = n;
	}
	fclose(f);
out:
	strbuf_release(&path);
	return buf;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, m);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the last entry of t whose key is s[0..len), or NULL */
static const struct key *lookup(const struct table *t, const char *s, size_t len)
{
	size_t lo = 0, hi = t->n;

	/* the first key greater than s (any seq) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct key *k = &t->k[mid];
		size_t m = k->len < len ? k->len : len;
		int c = memcmp(k->s, s, m);

		if (c < 0 || (c == 0 && k->len <= len))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || t->k[lo - 1].len != len || memcmp(t->k[lo - 1].s, s, len))
		return NULL;
	return &t->k[lo - 1];
}

static const char *tok(const char **p, const char *end, size_t *len)
{
	const char *s;

	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
		(*p)++;
	s = *p;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\r')
		(*p)++;
	*len = (size_t)(*p - s);
	return *len ? s : NULL;
}

static int tok_num(const char **p, const char *end, int base, unsigned long *v)
{
	size_t len;
	const char *s = tok(p, end, &len);
	char tmp[24], *e;

	if (!s || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	*v = strtoul(tmp, &e, base);
	return *e || errno || tmp[0] == '-' ? -1 : 0;
}

/* the index file of pos i: lemma pos synset_cnt p_cnt [ptr...] sense_cnt
 * tagsense_cnt offset...; lines starting with a space are the licence */
static int load_index(struct rft_wordnet *wn, int i, const char *dir, size_t *noff, size_t *capoff,
		      struct strbuf *err)
{
	char *p = wn->index[i], *line;
	size_t lineno = 0, cap = 0;
	struct table *t = &wn->idx[i];

	for (line = p; *line; line = p) {
		const char *q = line, *end, *s;
		unsigned long nsyn, nptr, nsense, tag, off, j;
		size_t len, klen;
		struct key k;

		lineno++;
		p = strchr(line, '\n');
		end = p ? p : line + strlen(line);
		p = p ? p + 1 : (char *)end;
		if (*line == ' ' || end == line)
			continue;
		s = tok(&q, end, &klen);
		if (!tok(&q, end, &len) || tok_num(&q, end, 10, &nsyn) < 0 || nsyn == 0 ||
		    tok_num(&q, end, 10, &nptr) < 0)
			goto bad;
		for (j = 0; j < nptr; j++)
			if (!tok(&q, end, &len))
				goto bad;
		if (tok_num(&q, end, 10, &nsense) < 0 || nsense != nsyn || tok_num(&q, end, 10, &tag) < 0)
			goto bad;
		k.s = s;
		k.len = klen;
		k.seq = lineno;
		k.first = *noff;
		k.n = nsyn;
		k.rest = k.end = NULL;
		for (j = 0; j < nsyn; j++) {
			if (tok_num(&q, end, 10, &off) < 0 || off + 8 > wn->data_len[i])
				goto bad;
			/* the synset line at off must carry off as its first field */
			if ((off > 0 && wn->data[i][off - 1] != '\n') ||
			    strtoul(wn->data[i] + off, NULL, 10) != off || wn->data[i][off + 8] != ' ')
				goto bad;
			if (*noff == *capoff)
				wn->offsets = erealloc(wn->offsets, (*capoff = *capoff ? 2 * *capoff : 1 << 18) *
						       sizeof(*wn->offsets));
			wn->offsets[(*noff)++] = (uint32_t)off;
		}
		if (t->n == cap)
			t->k = erealloc(t->k, (cap = cap ? 2 * cap : 1 << 14) * sizeof(*t->k));
		t->k[t->n++] = k;
	}
	qsort(t->k, t->n, sizeof(*t->k), key_cmp);
	return 0;
bad:
	strbuf_addf(err, "WordNet: %s/index.%s:%zu: not an index line of WordNet 3.0 (or an offset "
		    "data.%s does not hold)", dir, pos_files[i], lineno, pos_files[i]);
	return -1;
}

/* an exception file: inflected-form base-form... */
static void load_exc(struct rft_wordnet *wn, int i)
{
	char *p = wn->exc[i], *line;
	size_t lineno = 0, cap = 0;
	struct table *t = &wn->ex[i];

	for (line = p; *line; line = p) {
		const char *q = line, *end, *s;
		size_t len;
		struct key k;

		lineno++;
		p = strchr(line, '\n');
		end = p ? p : line + strlen(line);
		p = p ? p + 1 : (char *)end;
		if (!(s = tok(&q, end, &len)))
			continue;      /* NLTK would stop at a blank line; WordNet has none */
		k.s = s;
		k.len = len;
		k.seq = lineno;
		k.first = k.n = 0;
		k.rest = q;
		k.end = end;
		if (t->n == cap)
			t->k = erealloc(t->k, (cap = cap ? 2 * cap : 1 << 10) * sizeof(*t->k));
		t->k[t->n++] = k;
	}
	qsort(t->k, t->n, sizeof(*t->k), key_cmp);
}

static void wn_free(struct rft_wordnet *wn)
{
	int i;

	if (!wn)
		return;
	for (i = 0; i < NPOS; i++) {
		free(wn->index[i]);
		free(wn->data[i]);
		free(wn->exc[i]);
		free(wn->idx[i].k);
		free(wn->ex[i].k);
	}
	free(wn->offsets);
	free(wn);
}

static struct rft_wordnet *wn_load(struct strbuf *err)
{
	const char *dir = wn_dir();
	struct rft_wordnet *wn = ecalloc(1, sizeof(*wn));
	size_t noff = 0, capoff = 0, len;
	char name[32];
	int i;

	for (i = 0; i < NPOS; i++) {
		snprintf(name, sizeof(name), "data.%s", pos_files[i]);
		if (!(wn->data[i] = slurp(dir, name, &wn->data_len[i], err)))
			goto bad;
		snprintf(name, sizeof(name), "index.%s", pos_files[i]);
		if (!(wn->index[i] = slurp(dir, name, &len, err)))
			goto bad;
		snprintf(name, sizeof(name), "%s.exc", pos_files[i]);
		if (!(wn->exc[i] = slurp(dir, name, &len, err)))
			goto bad;
		if (load_index(wn, i, dir, &noff, &capoff, err) < 0)
			goto bad;
		load_exc(wn, i);
	}
	return wn;
bad:
	wn_free(wn);
	if (!strstr(err->buf, "RFT_WORDNET_DIR"))
		strbuf_addf(err, " (METEOR needs the WordNet 3.0 dict folder: $RFT_WORDNET_DIR, else %s, "
			    "which Debian's wordnet-base installs)", WORDNET_DEFAULT_DIR);
	return NULL;
}

static pthread_mutex_t wn_lock = PTHREAD_MUTEX_INITIALIZER;
static int wn_tried;
static struct rft_wordnet *wn_loaded;
static struct strbuf wn_err = STRBUF_INIT;

const struct rft_wordnet *rft_wordnet_get(struct strbuf *err)
{
	struct rft_wordnet *wn;

	if (pthread_mutex_lock(&wn_lock))
		die(RFT_EX_SOFTWARE, "WordNet: cannot take the load lock");
	if (!wn_tried) {
		wn_loaded = wn_load(&wn_err);
		wn_tried = 1;
	}
	wn = wn_loaded;
	if (!wn)
		strbuf_addstr(err, wn_err.buf);
	pthread_mutex_unlock(&wn_lock);
	return wn;
}

/* ------------------------------------------------------------- morphy */

struct subst {
	const char *old, *rep;
};

static const struct subst noun_rules[] = {
	{ "s", "" }, { "ses", "s" }, { "ves", "f" }, { "xes", "x" }, { "zes", "z" },
	{ "ches", "ch" }, { "shes", "sh" }, { "men", "man" }, { "ies", "y" }, { NULL, NULL },
};
static const struct subst verb_rules[] = {
	{ "s", "" }, { "ies", "y" }, { "es", "e" }, { "es", "" }, { "ed", "e" }, { "ed", "" },
	{ "ing", "e" }, { "ing", "" }, { NULL, NULL },
};
static const struct subst adj_rules[] = {
	{ "er", "" }, { "est", "" }, { "er", "e" }, { "est", "e" }, { NULL, NULL },
};
static const struct subst no_rules[] = { { NULL, NULL } };
static const struct subst *const pos_rules[NPOS] = { noun_rules, verb_rules, adj_rules, no_rules };

struct forms {
	char **s;
	size_t n, cap;
};

static void forms_add(struct forms *f, const char *s, size_t len, const char *tail)
{
	size_t tl = strlen(tail), i;
	char *x;

	/* the same form twice changes nothing morphy returns: keep it once, so
	 * that rounds of rules cannot multiply the forms */
	for (i = 0; i < f->n; i++)
		if (strlen(f->s[i]) == len + tl && !memcmp(f->s[i], s, len) && !memcmp(f->s[i] + len, tail, tl))
			return;
	x = emalloc(len + tl + 1);
	memcpy(x, s, len);
	memcpy(x + len, tail, tl + 1);
	if (f->n + 1 >= f->cap)
		f->s = erealloc(f->s, (f->cap = f->cap ? 2 * f->cap : 8) * sizeof(*f->s));
	f->s[f->n++] = x;
	f->s[f->n] = NULL;
}

static void forms_free(struct forms *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->s[i]);
	free(f->s);
	f->s = NULL;
	f->n = f->cap = 0;
}

/* every rule of r whose suffix each form ends with, applied once */
static void apply_rules(const struct subst *r, const struct forms *in, struct forms *out)
{
	size_t i, j, len, ol;

	for (i = 0; i < in->n; i++) {
		len = strlen(in->s[i]);
		for (j = 0; r[j].old; j++) {
			ol = strlen(r[j].old);
			if (ol <= len && !memcmp(in->s[i] + len - ol, r[j].old, ol))
				forms_add(out, in->s[i], len - ol, r[j].rep);
		}
	}
}

/* keep the forms in the index of pos p (NLTK's filter_forms) into out */
static void filter_forms(const struct rft_wordnet *wn, int p, const struct forms *in, struct forms *out)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (lookup(&wn->idx[p], in->s[i], strlen(in->s[i])))
			forms_add(out, in->s[i], strlen(in->s[i]), "");
}

static int pos_number(char pos)
{
	int i;

	for (i = 0; i < NPOS; i++)
		if (pos_chars[i] == pos)
			return i;
	return -1;
}

static void morphy(const struct rft_wordnet *wn, int p, const char *word, size_t len, struct forms *res)
{
	const struct key *e = lookup(&wn->ex[p], word, len);
	struct forms cur = { 0 }, next = { 0 }, all = { 0 };

	if (e) {
		const char *q = e->rest, *s;
		size_t l;

		forms_add(&all, word, len, "");
		while ((s = tok(&q, e->end, &l)))
			forms_add(&all, s, l, "");
		filter_forms(wn, p, &all, res);
		forms_free(&all);
		return;
	}
	forms_add(&cur, word, len, "");
	apply_rules(pos_rules[p], &cur, &next);
	forms_free(&cur);
	forms_add(&all, word, len, "");
	for (size_t i = 0; i < next.n; i++)
		forms_add(&all, next.s[i], strlen(next.s[i]), "");
	filter_forms(wn, p, &all, res);
	forms_free(&all);
	while (!res->n && next.n) {
		cur = next;
		next.s = NULL;
		next.n = next.cap = 0;
		apply_rules(pos_rules[p], &cur, &next);
		forms_free(&cur);
		filter_forms(wn, p, &next, res);
	}
	forms_free(&next);
}

char **rft_wordnet_morphy(const struct rft_wordnet *wn, const char *word, size_t len, char pos)
{
	struct forms res = { 0 };
	int p = pos_number(pos);

	if (p >= 0)
		morphy(wn, p, word, len, &res);
	if (!res.s)
		res.s = ecalloc(1, sizeof(*res.s));
	return res.s;
}

void rft_wordnet_free_forms(char **forms)
{
	size_t i;

	for (i = 0; forms && forms[i]; i++)
		free(forms[i]);
	free(forms);
}

/* the lemma names of the synset at off in data file p: offset lex_filenum
 * ss_type w_cnt (2 hex digits) then w_cnt pairs of word and lex_id */
static void synset_names(const struct rft_wordnet *wn, int p, uint32_t off,
			 void (*fn)(const char *, size_t, void *), void *ctx)
{
	const char *q = wn->data[p] + off, *end = strchr(q, '\n'), *s;
	unsigned long n, i;
	size_t len, j;

	if (!end)
		end = q + strlen(q);
	if (!tok(&q, end, &len) || !tok(&q, end, &len) || !tok(&q, end, &len) ||
	    tok_num(&q, end, 16, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!(s = tok(&q, end, &len)) || !tok(&q, end, &j))
			return;
		/* NLTK's (.*?)(\(.*\))?$: a name ending in ')' loses all from its first '(' */
		if (len && s[len - 1] == ')') {
			const char *paren = memchr(s, '(', len);

			if (paren)
				len = (size_t)(paren - s);
		}
		fn(s, len, ctx);
	}
}

void rft_wordnet_lemma_names(const struct rft_wordnet *wn, const char *word, size_t len,
			     void (*fn)(const char *name, size_t len, void *ctx), void *ctx)
{
	int p;

	for (p = 0; p < NPOS; p++) {
		struct forms res = { 0 };
		size_t i, j;

		morphy(wn, p, word, len, &res);
		for (i = 0; i < res.n; i++) {
			const struct key *k = lookup(&wn->idx[p], res.s[i], strlen(res.s[i]));

			for (j = 0; k && j < k->n; j++)
				synset_names(wn, p, wn->offsets[k->first + j], fn, ctx);
		}
		forms_free(&res);
	}
}
