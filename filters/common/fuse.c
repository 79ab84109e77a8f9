/*
 * fuse.c - rank fusion rules (see fuse.h for the rules, written once).
 */
#include "fuse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"
#include "strmap.h"
#include "util.h"

static const char *const rule_names[] = { "rrf", "borda", "score", "rankedpairs" };

const char *fuse_rule_name(enum fuse_rule rule)
{
	return (unsigned)rule < sizeof(rule_names) / sizeof(*rule_names) ? rule_names[rule] : "?";
}

int fuse_rule_parse(const char *name, enum fuse_rule *rule)
{
	size_t i;

	for (i = 0; i < sizeof(rule_names) / sizeof(*rule_names); i++)
		if (!strcmp(name, rule_names[i])) {
			*rule = (enum fuse_rule)i;
			return 0;
		}
	return -1;
}

void fuse_result_release(struct fuse_result *res)
{
	free(res->items);
	res->items = NULL;
	res->n = res->alloc = res->lists = res->unscored = 0;
}

struct fgene {
	struct fuse_item it;
	const char *key;     /* borrowed from the strmap */
	size_t mark;         /* 1 + the list that named it last */
};

/* the tie order: better best rank, more lists, key bytes */
static int tie_cmp(const struct fgene *a, const struct fgene *b)
{
	if (a->it.best != b->it.best)
		return a->it.best < b->it.best ? -1 : 1;
	if (a->it.nlists != b->it.nlists)
		return a->it.nlists > b->it.nlists ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int score_cmp(const void *pa, const void *pb)
{
	const struct fgene *a = pa, *b = pb;

	if (a->it.score != b->it.score)
		return a->it.score > b->it.score ? -1 : 1;
	return tie_cmp(a, b);
}

/* qsort of pointers into the genes (no global: threads may fuse at once) */
static int tie_ptr_cmp(const void *pa, const void *pb)
{
	return tie_cmp(*(const struct fgene *const *)pa, *(const struct fgene *const *)pb);
}

struct pair {
	double margin;
	size_t win, lose;   /* places in the tie order */
};

static int pair_cmp(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;

	if (a->margin != b->margin)
		return a->margin > b->margin ? -1 : 1;
	if (a->win != b->win)
		return a->win < b->win ? -1 : 1;
	return a->lose < b->lose ? -1 : a->lose > b->lose;
}

/* Tideman's ranked pairs over the cut lists; genes are placed in tie order
 * (tord[p] is the gene at place p) and the result written in res->items */
static void ranked_pairs(const struct fgene *g, size_t C, const struct fuse_list *lists, size_t nl,
			 const size_t *cut, const size_t *off, struct fuse_result *res)
{
	size_t *tord = emalloc((C ? C : 1) * sizeof(*tord)), *place = emalloc((C ? C : 1) * sizeof(*place));
	double *d = ecalloc(C * C + 1, sizeof(*d));
	size_t *inlist = ecalloc(C ? C : 1, sizeof(*inlist));
	size_t words = (C + 63) / 64, i, j, l, np = 0;
	uint64_t *reach = ecalloc(C * words + 1, sizeof(*reach));
	unsigned char *lock = ecalloc(C * C + 1, 1);
	size_t *indeg = ecalloc(C ? C : 1, sizeof(*indeg));
	unsigned char *taken = ecalloc(C ? C : 1, 1);
	struct pair *pairs;

	const struct fgene **byp = emalloc((C ? C : 1) * sizeof(*byp));

	for (i = 0; i < C; i++)
		byp[i] = &g[i];
	qsort(byp, C, sizeof(*byp), tie_ptr_cmp);
	for (i = 0; i < C; i++)
		tord[i] = (size_t)(byp[i] - g);
	free(byp);
	for (i = 0; i < C; i++)
		place[tord[i]] = i;
	/* d[a][b] in places, summed list by list in the order given */
	for (l = 0; l < nl; l++) {
		double w = lists[l].weight;

		if (!(w > 0))
			continue;
		for (i = off[l]; i < off[l + 1]; i++)
			inlist[place[cut[i]]] = l + 1;
		for (i = off[l]; i < off[l + 1]; i++) {
			size_t a = place[cut[i]];

			for (j = i + 1; j < off[l + 1]; j++)
				d[a * C + place[cut[j]]] += w;
			for (j = 0; j < C; j++)
				if (inlist[j] != l + 1)
					d[a * C + j] += w;
		}
	}
	pairs = emalloc((C * (C ? C - 1 : 0) / 2 + 1) * sizeof(*pairs));
	for (i = 0; i < C; i++)
		for (j = i + 1; j < C; j++) {
			double m = d[i * C + j] - d[j * C + i];

			if (m > 0)
				pairs[np++] = (struct pair){ m, i, j };
			else if (m < 0)
				pairs[np++] = (struct pair){ -m, j, i };
		}
	qsort(pairs, np, sizeof(*pairs), pair_cmp);
	for (i = 0; i < np; i++) {
		size_t a = pairs[i].win, b = pairs[i].lose, x;

		if (reach[b * words + a / 64] >> (a % 64) & 1)
			continue;   /* b already beats a: a cycle */
		for (x = 0; x < C; x++)
			if (x == a || (reach[x * words + a / 64] >> (a % 64) & 1)) {
				for (j = 0; j < words; j++)
					reach[x * words + j] |= reach[b * words + j];
				reach[x * words + b / 64] |= (uint64_t)1 << (b % 64);
			}
		lock[a * C + b] = 1;
		indeg[b]++;
	}
	/* the first unbeaten gene in tie order, again and again */
	for (i = 0; i < C; i++) {
		size_t p = C;

		for (j = 0; j < C; j++)
			if (!taken[j] && !indeg[j]) {
				p = j;
				break;
			}
		if (p == C)
			die(RFT_EX_SOFTWARE, "ranked pairs: the locked pairs have a cycle");
		taken[p] = 1;
		for (j = 0; j < C; j++)
			if (lock[p * C + j])
				indeg[j]--;
		res->items[i] = g[tord[p]].it;
		res->items[i].score = NAN;
	}
	free(tord);
	free(place);
	free(d);
	free(inlist);
	free(reach);
	free(lock);
	free(indeg);
	free(taken);
	free(pairs);
}

int fuse_rank(const struct fuse_params *p, const struct fuse_list *lists, size_t nlists,
	      struct fuse_result *res)
{
	struct strmap m = STRMAP_INIT;
	struct strbuf key = STRBUF_INIT;
	struct fgene *g = NULL;
	size_t ng = 0, galloc = 0, total = 0, l, i, maxn = 0;
	size_t *cut, *off, *orig;

	res->n = res->lists = res->unscored = 0;
	for (l = 0; l < nlists; l++)
		total += lists[l].n;
	cut = emalloc((total ? total : 1) * sizeof(*cut));
	orig = emalloc((total ? total : 1) * sizeof(*orig));
	off = emalloc((nlists + 1) * sizeof(*off));
	off[0] = 0;
	for (l = 0; l < nlists; l++) {
		const struct fuse_list *L = &lists[l];
		size_t c = off[l];

		if (L->weight > 0) {
			res->lists++;
			for (i = 0; i < L->n && (!p->depth || c - off[l] < p->depth); i++) {
				size_t b, k;
				const char *s = rft_trim(L->genes[i], &b);
				long idx;
				int added = 0;

				if (!b)
					continue;
				strbuf_reset(&key);
				for (k = 0; k < b; k++)
					strbuf_addch(&key, s[k] >= 'a' && s[k] <= 'z' ? s[k] - 'a' + 'A' : s[k]);
				idx = strmap_intern(&m, key.buf, &added);
				if (added) {
					if (ng == galloc) {
						galloc = galloc ? 2 * galloc : 64;
						g = erealloc(g, galloc * sizeof(*g));
					}
					memset(&g[ng], 0, sizeof(g[ng]));
					g[ng].it.symbol = s;
					g[ng].it.symlen = b;
					g[ng].it.best = SIZE_MAX;
					ng++;
				}
				if (g[idx].mark == l + 1)
					continue;   /* named before in this list */
				g[idx].mark = l + 1;
				if (!g[idx].it.hgnc && L->hgnc && L->hgnc[i] && *L->hgnc[i])
					g[idx].it.hgnc = L->hgnc[i];
				orig[c] = i;
				cut[c++] = (size_t)idx;
			}
		}
		off[l + 1] = c;
		if (c - off[l] > maxn)
			maxn = c - off[l];
	}
	for (i = 0; i < ng; i++)
		g[i].key = strmap_key(&m, (long)i);
	for (l = 0; l < nlists; l++)
		for (i = off[l]; i < off[l + 1]; i++) {
			struct fgene *x = &g[cut[i]];
			size_t r = i - off[l] + 1;

			if (r < x->it.best)
				x->it.best = r;
			x->it.nlists++;
		}
	if (ng > res->alloc) {
		res->alloc = ng;
		res->items = erealloc(res->items, ng * sizeof(*res->items));
	}
	res->n = ng;
	if (p->rule == FUSE_RANKEDPAIRS) {
		ranked_pairs(g, ng, lists, nlists, cut, off, res);
	} else {
		size_t D = p->depth ? p->depth : maxn;

		for (l = 0; l < nlists; l++) {
			const struct fuse_list *L = &lists[l];
			size_t n = off[l + 1] - off[l];
			double w = L->weight, mn = 0, mx = 0;
			int scored = 1;

			if (!n)
				continue;
			if (p->rule == FUSE_SCORE) {
				for (i = off[l]; i < off[l + 1] && scored; i++)
					scored = L->scores && isfinite(L->scores[orig[i]]);
				if (!scored)
					res->unscored++;
				for (i = off[l]; i < off[l + 1]; i++) {
					double s = scored ? L->scores[orig[i]] : (double)(n - (i - off[l]));

					if (i == off[l] || s < mn)
						mn = s;
					if (i == off[l] || s > mx)
						mx = s;
				}
			}
			for (i = off[l]; i < off[l + 1]; i++) {
				size_t r = i - off[l] + 1;
				double v;

				if (p->rule == FUSE_RRF) {
					v = w / (p->k + (double)r);
				} else if (p->rule == FUSE_BORDA) {
					v = w * (double)(D - r + 1);
				} else {
					double s = scored ? L->scores[orig[i]] : (double)(n - r + 1);

					v = mx == mn ? w * 1.0 : w * ((s - mn) / (mx - mn));
				}
				g[cut[i]].it.score += v;
			}
		}
		if (ng)
			qsort(g, ng, sizeof(*g), score_cmp);
		for (i = 0; i < ng; i++)
			res->items[i] = g[i].it;
	}
	strmap_release(&m);
	strbuf_release(&key);
	free(g);
	free(cut);
	free(orig);
	free(off);
	return 0;
}

/* ------------------------------------------------------------ cases */

static int name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

void fuse_run_arg(const char *arg, char **name, char **file)
{
	const char *eq = strchr(arg, '='), *base;
	size_t n;

	if (eq && name_ok(arg, (size_t)(eq - arg)) && eq[1]) {
		*name = estrndup(arg, (size_t)(eq - arg));
		*file = estrdup(eq + 1);
		return;
	}
	*file = estrdup(arg);
	if (!strcmp(arg, "-")) {
		*name = estrdup("stdin");
		return;
	}
	base = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
	n = strlen(base);
	if (n > 3 && rft_has_suffix(base, ".gz"))
		n -= 3;
	if (n > 6 && !strncmp(base + n - 6, ".jsonl", 6))
		n -= 6;
	else if (n > 5 && !strncmp(base + n - 5, ".json", 5))
		n -= 5;
	*name = estrndup(base, n);
}

const char *fuse_line_id(struct json_object *obj)
{
	return rft_json_get_str(obj, "id");
}

void fuse_case_init(struct fuse_case *c, const char *id, size_t nruns, struct json_object *obj)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_object_iterator it, end;
	int first = 1;

	memset(c, 0, sizeof(*c));
	c->id = estrdup(id);
	c->nruns = nruns;
	c->runs = ecalloc(nruns ? nruns : 1, sizeof(*c->runs));
	strbuf_addch(&sb, '{');
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);

		if (!strcmp(k, "sample") || !strcmp(k, "error") || !strcmp(k, "grade"))
			continue;
		json_put_key(&sb, k, first);
		json_put_value(&sb, json_object_iter_peek_value(&it));
		first = 0;
	}
	c->base_empty = first;
	c->base = strbuf_detach(&sb, NULL);
}

static char *dup_str(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? estrdup(json_object_get_string(v)) : NULL;
}

int fuse_case_add(struct fuse_case *c, size_t run, struct json_object *obj, struct strbuf *err)
{
	struct fuse_case_run *cr = &c->runs[run];
	struct json_object *sample = rft_json_get(obj, "sample"), *genes, *ranking;
	struct fuse_line *L;
	const char *model;
	size_t i, j, nr;

	if (!sample && !rft_json_get(obj, "error")) {
		strbuf_addstr(err, "neither \"sample\" nor \"error\": not a sample line");
		return -1;
	}
	if (sample && !json_object_is_type(sample, json_type_object)) {
		strbuf_addf(err, "\"sample\" is %s, not an object", rft_json_type_name(sample));
		return -1;
	}
	if (cr->n == cr->alloc) {
		cr->alloc = cr->alloc ? 2 * cr->alloc : 4;
		cr->lines = erealloc(cr->lines, cr->alloc * sizeof(*cr->lines));
	}
	L = &cr->lines[cr->n++];
	memset(L, 0, sizeof(*L));
	if (!sample) {
		L->error = 1;
		return 0;
	}
	model = rft_json_get_str(sample, "model");
	if (model) {
		for (i = 0; i < cr->nmodels && strcmp(cr->models[i], model); i++)
			;
		if (i == cr->nmodels) {
			cr->models = erealloc(cr->models, (cr->nmodels + 1) * sizeof(*cr->models));
			cr->models[cr->nmodels++] = estrdup(model);
		}
	}
	genes = rft_json_get(rft_json_get(sample, "output_json"), "genes");
	if (!genes || !json_object_is_type(genes, json_type_array)) {
		L->unparsed = 1;
		return 0;
	}
	L->n = json_object_array_length(genes);
	L->genes = ecalloc(L->n + 1, sizeof(*L->genes));
	L->hgnc = ecalloc(L->n + 1, sizeof(*L->hgnc));
	for (i = 0; i < L->n; i++) {
		struct json_object *e = json_object_array_get_idx(genes, i);

		L->genes[i] = json_object_is_type(e, json_type_object) ? dup_str(rft_json_get(e, "symbol")) : dup_str(e);
	}
	ranking = rft_json_get(sample, "ranking");
	if (!ranking || !json_object_is_type(ranking, json_type_array))
		return 0;
	L->scores = emalloc((L->n + 1) * sizeof(*L->scores));
	nr = json_object_array_length(ranking);
	for (i = 0; i < L->n; i++) {
		L->scores[i] = NAN;
		if (!L->genes[i])
			continue;
		for (j = 0; j < nr; j++) {
			struct json_object *e = json_object_array_get_idx(ranking, j), *sc;
			const char *sym = rft_json_get_str(e, "symbol");

			if (!sym || strcmp(sym, L->genes[i]))
				continue;
			sc = rft_json_get(e, "score");
			if (sc && (json_object_is_type(sc, json_type_double) || json_object_is_type(sc, json_type_int)))
				L->scores[i] = json_object_get_double(sc);
			L->hgnc[i] = dup_str(rft_json_get(e, "hgnc"));
			break;
		}
	}
	return 0;
}

size_t fuse_case_nlines(const struct fuse_case *c)
{
	size_t r, n = 0;

	for (r = 0; r < c->nruns; r++)
		n += c->runs[r].n;
	return n;
}

size_t fuse_case_lists(const struct fuse_case *c, const double *weights, struct fuse_list *out)
{
	size_t r, i, n = 0;

	for (r = 0; r < c->nruns; r++) {
		const struct fuse_case_run *cr = &c->runs[r];

		for (i = 0; i < cr->n; i++) {
			const struct fuse_line *L = &cr->lines[i];

			if (L->error)
				continue;
			out[n].genes = (const char *const *)L->genes;
			out[n].hgnc = (const char *const *)L->hgnc;
			out[n].scores = L->scores;
			out[n].n = L->n;
			out[n].weight = weights[r] / (double)cr->n;
			n++;
		}
	}
	return n;
}

void fuse_case_release(struct fuse_case *c)
{
	size_t r, i, j;

	for (r = 0; r < c->nruns; r++) {
		struct fuse_case_run *cr = &c->runs[r];

		for (i = 0; i < cr->n; i++) {
			for (j = 0; j < cr->lines[i].n; j++) {
				free(cr->lines[i].genes[j]);
				free(cr->lines[i].hgnc[j]);
			}
			free(cr->lines[i].genes);
			free(cr->lines[i].hgnc);
			free(cr->lines[i].scores);
		}
		free(cr->lines);
		for (i = 0; i < cr->nmodels; i++)
			free(cr->models[i]);
		free(cr->models);
	}
	free(c->runs);
	free(c->id);
	free(c->base);
	memset(c, 0, sizeof(*c));
}
