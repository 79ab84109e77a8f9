/*
 * rft-train - reinforcement fine-tuning of the built-in ranker's scoring
 * policy on this machine, with the grader as the reward (man/rft-train.1).
 *
 * The policy: a unit's (disease's) score is w . phi(case, unit) over the
 * gene-identity-free features of common/rankmodel.h; a gene scores as its
 * best unit.  Per case a candidate pool is fixed once: the --pool genes the
 * base ranker (rft-rank's defaults) scores highest.  A ranked list of k
 * genes is a Plackett-Luce draw over softmax(score / T) within the pool,
 * sampled with the Gumbel top-k trick.
 *
 * One step: a batch of training cases (an epoch is a seeded permutation);
 * per case G lists are drawn and scored by the grader engine rft-grade uses
 * (common/grader, the same gene_rank code and HGNC normalisation); the
 * group-relative advantage A = (r - mean r) / std r (GRPO; a group whose
 * rewards are all equal teaches nothing and is skipped) weights
 * grad log P(list) = sum_i [phi(g_i) - E_{j in rest_i} phi(j)] / T, and Adam
 * ascends the mean.  Every random draw comes from a generator seeded by
 * (seed, step, case), and the per-case gradients are summed in case order,
 * so the model is the same whatever the thread count, and a run resumed from
 * a checkpoint ends where an uninterrupted one does.
 *
 * Every --eval-interval steps (and at the last) the greedy ranking of the
 * validation pools is graded; the weights with the best validation reward
 * are the model written.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/case.h"
#include "common/datafile.h"
#include "common/grader.h"
#include "common/hgnc.h"
#include "common/fuse.h"
#include "common/input.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/rankmodel.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

#define F RANK_NFEAT
#define MAX_THREADS 64
#define INT_OPT_MAX 10000000   /* the bound of the int options */
#define CHECKPOINT_FORMAT "rftkit-train-checkpoint/1"

static struct {
	const char *train, *valid, *output, *grader, *events, *checkpoint, *resume, *explain;
	struct rank_data_opts data;
	int features;             /* inputs are candidate pools (--features), not cases */
	const char *dump;         /* --dump-features FILE */
	int method, threads, k, pool, group, batch, epochs, eval_interval;
	long long seed, split_seed, stop_after;
	double lr, temperature, l2;
	int folds, objective;     /* --folds K (0: none), enum objective */
	long long steps;          /* --steps N (-1: --epochs decides) */
	const char *grid_lr, *grid_l2, *drop;
} opt = {
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	{ NULL, NULL, NULL, { NULL }, 0 },
	0, NULL,
	RANK_DISEASE, 0, 20, 200, 16, 64, 20, 10,
	1, -1, -1,
	0.05, 1.0, 0.0,
	0, 0, -1,
	NULL, NULL, NULL
};

/* what a ranked list is worth to training and to selection */
enum objective { OBJ_REWARD, OBJ_TOP1, OBJ_MRR };
static const char *const objective_name[] = { "reward", "top1", "mrr" };

/* the start and the pull of the regulariser: rank_base_weights with the
 * --drop features at 0; a dropped feature's weight stays 0 */
static double wbase[RANK_NFEAT];
static unsigned char dropped[RANK_NFEAT];

/* ------------------------------------------------------------- random */

/* splitmix64 (common/util.h): the generator and the seed mixer (no rand():
 * same stream everywhere).  A seed step is one draw from state x. */
static uint64_t mix64(uint64_t x)
{
	return rft_splitmix64(&x);
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	return rft_splitmix64(&r->s);
}

/* uniform in (0, 1) */
static double rng_unit(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

static struct rng rng_for(uint64_t a, uint64_t b, uint64_t c)
{
	/* one gamma in: the stream rng_next has always drawn (it used to add
	 * the gamma twice a draw, once to the state and once in mix64) */
	struct rng r = { (mix64(mix64(mix64((uint64_t)opt.seed) ^ a) ^ b) ^ c) + RFT_SPLITMIX64_GAMMA };

	return r;
}

/* ------------------------------------------------------------- cases */

struct cand {
	char *symbol;
	uint32_t nunits;
	double *f;                /* nunits x F */
};

struct tcase {
	char *id;
	struct json_object *item; /* {"id","reference"}: the grader's item */
	size_t ncand;
	struct cand *c;
	int hit;                  /* a reference gene is in the pool */
	struct rank_case rc;      /* its terms (cases, not --features): for ranking every gene */
	int has_rc;
};

struct set {
	const char *path;
	struct tcase *v;
	size_t n;
	unsigned long long read, no_terms, hits;
};

static struct rank_model rm;
static int have_model;
static struct hgnc hgnc_only;     /* --features with --hgnc */
static struct grader_env genv = { NULL, 5.0, 1024, NULL };
static struct grader *grader;
static char *grader_json;
static int nthreads;

static void tcase_release(struct tcase *c)
{
	size_t i;

	for (i = 0; i < c->ncand; i++) {
		free(c->c[i].symbol);
		free(c->c[i].f);
	}
	free(c->c);
	free(c->id);
	json_object_put(c->item);
	if (c->has_rc)
		rank_case_release(&c->rc);
}

static struct json_object *make_item(struct json_object *obj, const char *ref_json)
{
	struct json_object *item = json_object_new_object(), *ref = NULL, *id = rft_json_get(obj, "id");
	struct strbuf err = STRBUF_INIT;

	if (id)
		json_object_object_add(item, "id", json_object_get(id));
	if (ref_json) {
		if (rft_json_parse(ref_json, strlen(ref_json), &ref, &err) < 0)
			die(RFT_EX_SOFTWARE, "reference: %s", err.buf);
	} else {
		ref = json_object_get(rft_json_get(obj, "reference"));
	}
	json_object_object_add(item, "reference", ref);
	strbuf_release(&err);
	return item;
}

/* does a candidate name one of the reference genes? (only for the counts) */
static int cand_is_ref(struct json_object *item, const char *symbol)
{
	struct json_object *genes = rft_json_get(rft_json_get(item, "reference"), "genes");
	size_t i;

	for (i = 0; genes && json_object_is_type(genes, json_type_array) &&
	     i < json_object_array_length(genes); i++) {
		const char *s = rft_json_get_str(json_object_array_get_idx(genes, i), "symbol");

		if (s && !strcasecmp(s, symbol))
			return 1;
	}
	return 0;
}

/* the raw inputs, parsed, before the pools are built (on threads) */
struct pending {
	struct json_object *obj;
	struct rank_case rc;
	char *ref;
	int error;
};

struct pool_job {
	struct pending *p;
	struct tcase *out;
};

static int cmp_cand_score(const double *gs, const uint32_t *tie, uint32_t a, uint32_t b)
{
	if (gs[a] != gs[b])
		return gs[a] > gs[b] ? -1 : 1;
	return tie[a] < tie[b] ? -1 : tie[a] > tie[b];
}

/*
 * Score every unit of the case whose features are in s->feat with weights w,
 * every gene as its best unit (s->gscore), and put the best K genes in top
 * (K + 1 slots), best first by score, then by the gene's tie rank, as
 * rft-rank orders them.  Returns how many (fewer when fewer genes score).
 */
static size_t top_genes(struct rank_scratch *s, const double *w, uint32_t *top, size_t K)
{
	size_t i, j, ntop = 0;

	for (i = 0; i < rm.nunits; i++)
		s->raw[i] = rank_dot(w, s->feat + i * F);
	for (i = 0; i < rm.ngenes; i++) {
		const uint32_t *u = hpo_row(&rm.gene_units, i);
		uint32_t nu = hpo_row_len(&rm.gene_units, i);
		double best;
		size_t pos;

		if (!nu)
			continue;
		best = s->raw[u[0]];
		for (j = 1; j < nu; j++)
			if (s->raw[u[j]] > best)
				best = s->raw[u[j]];
		s->gscore[i] = best;
		if (ntop == K) {
			if (cmp_cand_score(s->gscore, rm.gene_tie, (uint32_t)i, top[ntop - 1]) > 0)
				continue;
			ntop--;
		}
		pos = ntop;
		while (pos > 0 && cmp_cand_score(s->gscore, rm.gene_tie, (uint32_t)i, top[pos - 1]) < 0) {
			top[pos] = top[pos - 1];
			pos--;
		}
		top[pos] = (uint32_t)i;
		ntop++;
	}
	return ntop;
}

/* the pool of one case: the top --pool genes by the base weights */
static void build_pool(struct rank_scratch *s, const struct pending *p, struct tcase *tc)
{
	size_t i, j, ntop = 0, K = (size_t)opt.pool;
	uint32_t *top = emalloc((K + 1) * sizeof(*top));

	rank_features(&rm, s, &p->rc, s->feat);
	ntop = top_genes(s, rank_base_weights, top, K);
	tc->ncand = ntop;
	tc->c = ecalloc(ntop ? ntop : 1, sizeof(*tc->c));
	for (i = 0; i < ntop; i++) {
		const uint32_t *u = hpo_row(&rm.gene_units, top[i]);
		uint32_t nu = hpo_row_len(&rm.gene_units, top[i]);
		struct cand *c = &tc->c[i];

		c->symbol = estrdup(rm.gene_sym[top[i]]);
		c->nunits = nu;
		c->f = emalloc((size_t)nu * F * sizeof(*c->f));
		for (j = 0; j < nu; j++)
			memcpy(c->f + j * F, s->feat + (size_t)u[j] * F, F * sizeof(double));
		if (cand_is_ref(tc->item, c->symbol))
			tc->hit = 1;
	}
	free(top);
}

static struct rank_scratch scr[MAX_THREADS];

static void pool_one(size_t i, int thread, void *ctx)
{
	struct pool_job *job = ctx;

	if (!job->p[i].error)
		build_pool(&scr[thread], &job->p[i], &job->out[i]);
}

/* a candidate pool line (--features): {"id","reference","candidates":[{"symbol","units":[[..F..],..]}]} */
static int read_pool_line(struct json_object *obj, struct tcase *tc, struct strbuf *err)
{
	struct json_object *cands = rft_json_get(obj, "candidates");
	size_t i, j, k, n;

	if (!rft_json_get(obj, "reference")) {
		strbuf_addstr(err, "no \"reference\"");
		return -1;
	}
	if (!cands || !json_object_is_type(cands, json_type_array)) {
		strbuf_addstr(err, "\"candidates\" is not an array");
		return -1;
	}
	n = json_object_array_length(cands);
	tc->item = make_item(obj, NULL);
	tc->c = ecalloc(n ? n : 1, sizeof(*tc->c));
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cands, i), *units;
		const char *sym = rft_json_get_str(c, "symbol");

		units = rft_json_get(c, "units");
		if (!sym || !units || !json_object_is_type(units, json_type_array) ||
		    !json_object_array_length(units)) {
			strbuf_addf(err, "candidates[%zu] needs \"symbol\" and a non-empty \"units\" array", i);
			return -1;
		}
		tc->c[i].symbol = estrdup(sym);
		tc->c[i].nunits = (uint32_t)json_object_array_length(units);
		tc->c[i].f = emalloc((size_t)tc->c[i].nunits * F * sizeof(double));
		tc->ncand = i + 1;
		for (j = 0; j < tc->c[i].nunits; j++) {
			struct json_object *u = json_object_array_get_idx(units, j);

			if (!u || !json_object_is_type(u, json_type_array) || json_object_array_length(u) != F) {
				strbuf_addf(err, "candidates[%zu].units[%zu] is not an array of %d numbers "
					    "(match, breadth, absent, exact, specific, size, genes, cover)", i, j, F);
				return -1;
			}
			for (k = 0; k < F; k++) {
				struct json_object *x = json_object_array_get_idx(u, k);

				if (!x || !(json_object_is_type(x, json_type_double) ||
					    json_object_is_type(x, json_type_int)) ||
				    !isfinite(json_object_get_double(x))) {
					strbuf_addf(err, "candidates[%zu].units[%zu][%zu] is not a finite number", i, j, k);
					return -1;
				}
				tc->c[i].f[j * F + k] = json_object_get_double(x);
			}
		}
		if (cand_is_ref(tc->item, sym))
			tc->hit = 1;
	}
	return 0;
}

static void load_set(struct set *set, const char *path)
{
	struct rft_records r;
	struct json_object *obj;
	char *paths[1] = { (char *)path };
	struct pending *p = NULL;
	size_t n = 0, cap = 0, i;
	struct rank_term_counts tc;
	struct strbuf err = STRBUF_INIT, ref = STRBUF_INIT;

	memset(&tc, 0, sizeof(tc));
	set->path = path;
	rft_records_init(&r, paths, 1);
	while (rft_records_next(&r, &obj) > 0) {
		if (opt.features) {
			struct tcase c;

			memset(&c, 0, sizeof(c));
			strbuf_reset(&err);
			if (read_pool_line(obj, &c, &err) < 0) {
				tcase_release(&c);
				json_object_put(obj);
				rft_records_bad(&r, "%s", err.buf);
				continue;
			}
			set->read++;
			c.id = estrdup(rft_json_get_str(obj, "id") ? rft_json_get_str(obj, "id") : "");
			json_object_put(obj);
			set->v = erealloc(set->v, (set->n + 1) * sizeof(*set->v));
			set->v[set->n++] = c;
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			p = erealloc(p, cap * sizeof(*p));
		}
		memset(&p[n], 0, sizeof(p[n]));
		strbuf_reset(&err);
		strbuf_reset(&ref);
		if (rft_case_reference(obj, &ref, &err) < 0 ||
		    rank_case_terms(&rm, obj, &p[n].rc, &tc, &err) < 0) {
			rank_case_release(&p[n].rc);
			json_object_put(obj);
			rft_records_bad(&r, "%s", err.buf);
			continue;
		}
		set->read++;
		p[n].obj = obj;
		p[n].ref = strbuf_detach(&ref, NULL);
		p[n].error = p[n].rc.error;
		n++;
	}
	rft_records_release(&r);
	if (!opt.features) {
		struct pool_job job;

		set->v = ecalloc(n ? n : 1, sizeof(*set->v));
		for (i = 0; i < n; i++) {
			const char *id = rft_json_get_str(p[i].obj, "id");

			set->v[i].id = estrdup(id ? id : "");
			set->v[i].item = make_item(p[i].obj, p[i].ref);
			if (p[i].error)
				set->no_terms++;
		}
		job.p = p;
		job.out = set->v;
		rft_parallel_for(n, nthreads, pool_one, &job);
		set->n = n;
		for (i = 0; i < n; i++) {
			json_object_put(p[i].obj);
			/* kept for ranking every gene (evaluate_full) */
			set->v[i].rc = p[i].rc;
			set->v[i].has_rc = 1;
			free(p[i].ref);
		}
		free(p);
	}
	for (i = 0; i < set->n; i++)
		set->hits += set->v[i].hit;
	strbuf_release(&err);
	strbuf_release(&ref);
}

static void set_release(struct set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		tcase_release(&set->v[i]);
	free(set->v);
}

/* ------------------------------------------------------------- policy */

/* gene scores (best unit) and the unit behind each: s[i], arg[i] */
static void score_pool(const struct tcase *c, const double *w, double *s, uint32_t *arg)
{
	size_t i, j;

	for (i = 0; i < c->ncand; i++) {
		double best = rank_dot(w, c->c[i].f);
		uint32_t bu = 0;

		for (j = 1; j < c->c[i].nunits; j++) {
			double v = rank_dot(w, c->c[i].f + j * F);

			if (v > best) {
				best = v;
				bu = (uint32_t)j;
			}
		}
		s[i] = best;
		arg[i] = bu;
	}
}

/* indexes of the top n by key desc, then pool position (the base tie order) */
static void top_by(const double *key, size_t ncand, size_t n, uint32_t *out)
{
	size_t i, m = 0;

	for (i = 0; i < ncand; i++) {
		size_t pos;

		if (m == n) {
			if (!(key[i] > key[out[m - 1]]))
				continue;
			m--;
		}
		pos = m;
		while (pos > 0 && key[i] > key[out[pos - 1]]) {
			out[pos] = out[pos - 1];
			pos--;
		}
		out[pos] = (uint32_t)i;
		m++;
	}
}

/* a gene score as rft-rank writes it in its "ranking" (4 decimals), so that
 * the grader's tie rule sees the ties a ranked file would show */
static double score_key(double v)
{
	char buf[64];

	if (!isfinite(v))
		return v;
	snprintf(buf, sizeof(buf), "%.4f", v);
	return strtod(buf, NULL);
}

/*
 * Grade a list of pool indexes with the shared grader: the reward, and the
 * reference's rank in *rank.  With the genes' scores (s, by pool index), a
 * list in which two neighbours score the same (at rft-rank's 4 decimals)
 * is graded with its "ranking" as rft-rank writes it, so the grader's tie
 * rule (worst, by default) applies as it does to rft-rank's output.
 */
static double grade_names(struct json_object *item, const char *const *sym, const double *s, size_t n,
			  long *rank)
{
	struct json_object *sample = json_object_new_object(), *oj = json_object_new_object();
	struct json_object *genes = json_object_new_array_ext((int)n);
	struct grade_result r;
	double reward;
	size_t i;
	int tied = 0;

	for (i = 0; i < n; i++)
		json_object_array_add(genes, json_object_new_string(sym[i]));
	json_object_object_add(oj, "genes", genes);
	json_object_object_add(sample, "output_json", oj);
	for (i = 1; s && i < n && !tied; i++)
		tied = score_key(s[i]) == score_key(s[i - 1]);
	if (tied) {
		struct json_object *ranking = json_object_new_array_ext((int)n);

		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "symbol", json_object_new_string(sym[i]));
			json_object_object_add(e, "score", json_object_new_double(score_key(s[i])));
			json_object_array_add(ranking, e);
		}
		json_object_object_add(sample, "ranking", ranking);
	}
	grade_result_init(&r);
	grade_one(grader, item, sample, &r);
	reward = r.reward;
	if (rank)
		*rank = r.rank;
	grade_result_release(&r);
	json_object_put(sample);
	return reward;
}

static double grade_list(const struct tcase *c, const uint32_t *list, size_t n, const double *s,
			 long *rank)
{
	const char *sym[256], **sy = n <= 256 ? sym : emalloc(n * sizeof(*sy));
	double sc[256], *sp = n <= 256 ? sc : emalloc(n * sizeof(*sp)), r;
	size_t i;

	for (i = 0; i < n; i++) {
		sy[i] = c->c[list[i]].symbol;
		sp[i] = s ? s[list[i]] : 0;
	}
	r = grade_names(c->item, sy, s ? sp : NULL, n, rank);
	if (sy != sym)
		free(sy);
	if (sp != sc)
		free(sp);
	return r;
}

/* the objective's value of a graded list */
static double objective_value(double reward, long rank)
{
	switch (opt.objective) {
	case OBJ_TOP1: return rank == 1;
	case OBJ_MRR: return rank >= 1 ? 1.0 / (double)rank : 0;
	default: return reward;
	}
}

struct case_out {
	double grad[F];
	double reward_mean;
	int used;                 /* rewards differed: it taught something */
};

/* G Plackett-Luce lists for one case, graded; the GRPO gradient */
static void train_case(const struct tcase *c, const double *w, struct rng *rng, struct case_out *out)
{
	size_t K = c->ncand, L = (size_t)opt.k < K ? (size_t)opt.k : K, g, i, j;
	int G = opt.group;
	double *s = emalloc((K + 1) * sizeof(*s)), *key = emalloc((K + 1) * sizeof(*key));
	double *e = emalloc((K + 1) * sizeof(*e)), *rw = emalloc((size_t)G * sizeof(*rw));
	double *gl = emalloc((size_t)G * F * sizeof(*gl));
	uint32_t *arg = emalloc((K + 1) * sizeof(*arg)), *list = emalloc((L + 1) * sizeof(*list));
	unsigned char *taken = emalloc(K + 1);
	double mean = 0, var = 0, sd, T = opt.temperature;

	memset(out, 0, sizeof(*out));
	if (!K) {
		goto done;
	}
	score_pool(c, w, s, arg);
	for (g = 0; g < (size_t)G; g++) {
		double *gr = gl + g * F, mx;

		/* Gumbel top-L = a Plackett-Luce draw from softmax(s / T) */
		for (i = 0; i < K; i++)
			key[i] = s[i] / T - log(-log(rng_unit(rng)));
		top_by(key, K, L, list);
		{
			long rank = 0;
			double r = grade_list(c, list, L, s, &rank);

			rw[g] = objective_value(r, rank);
		}
		/* grad log P = sum over positions of phi(chosen) - E_rest phi, over T */
		memset(gr, 0, F * sizeof(*gr));
		memset(taken, 0, K);
		mx = s[0];
		for (i = 1; i < K; i++)
			if (s[i] > mx)
				mx = s[i];
		for (i = 0; i < K; i++)
			e[i] = exp((s[i] - mx) / T);
		for (i = 0; i < L; i++) {
			double z = 0, ex[F] = { 0 };
			const double *fc = c->c[list[i]].f + (size_t)arg[list[i]] * F;
			int k;

			for (j = 0; j < K; j++) {
				const double *fj;

				if (taken[j])
					continue;
				fj = c->c[j].f + (size_t)arg[j] * F;
				z += e[j];
				for (k = 0; k < F; k++)
					ex[k] += e[j] * fj[k];
			}
			for (k = 0; k < F; k++)
				gr[k] += (fc[k] - ex[k] / z) / T;
			taken[list[i]] = 1;
		}
	}
	for (g = 0; g < (size_t)G; g++)
		mean += rw[g];
	mean /= G;
	for (g = 0; g < (size_t)G; g++)
		var += (rw[g] - mean) * (rw[g] - mean);
	sd = sqrt(var / G);
	out->reward_mean = mean;
	if (sd > 1e-9) {
		int k;

		out->used = 1;
		for (g = 0; g < (size_t)G; g++)
			for (k = 0; k < F; k++)
				out->grad[k] += (rw[g] - mean) / sd * gl[g * F + k] / G;
	}
done:
	free(s);
	free(key);
	free(e);
	free(rw);
	free(gl);
	free(arg);
	free(list);
	free(taken);
}

/* greedy ranking of one case: its reward and the reference's rank */
static double eval_case(const struct tcase *c, const double *w, long *rank)
{
	size_t K = c->ncand, L = (size_t)opt.k < K ? (size_t)opt.k : K;
	double *s = emalloc((K + 1) * sizeof(*s)), r;
	uint32_t *arg = emalloc((K + 1) * sizeof(*arg)), *list = emalloc((L + 1) * sizeof(*list));

	score_pool(c, w, s, arg);
	top_by(s, K, L, list);
	r = grade_list(c, list, L, s, rank);
	free(s);
	free(arg);
	free(list);
	return r;
}

/* ------------------------------------------------------------- threads */

/* the steps run on rft_parallel_for: each i writes only its own slot */

struct step_ctx {
	const struct set *set;
	const size_t *idx;        /* the batch's case indexes */
	const double *w;
	long step;
	struct case_out *out;
};

static void step_one(size_t i, int thread, void *vctx)
{
	struct step_ctx *ctx = vctx;
	struct rng r = rng_for(2, (uint64_t)ctx->step, ctx->idx[i]);

	(void)thread;
	train_case(&ctx->set->v[ctx->idx[i]], ctx->w, &r, &ctx->out[i]);
}

struct eval_ctx {
	const struct set *set;
	const size_t *idx;        /* the cases evaluated (NULL: all) */
	const double *w;
	double *reward;
	long *rank;
};

static void eval_one(size_t i, int thread, void *vctx)
{
	struct eval_ctx *ctx = vctx;
	size_t c = ctx->idx ? ctx->idx[i] : i;

	(void)thread;
	ctx->reward[i] = eval_case(&ctx->set->v[c], ctx->w, &ctx->rank[i]);
}

struct evalres {
	double reward, top1, top5, topmax, mrr;
};

/* the objective's figure of an evaluation */
static double eval_objective(const struct evalres *e)
{
	switch (opt.objective) {
	case OBJ_TOP1: return e->top1;
	case OBJ_MRR: return e->mrr;
	default: return e->reward;
	}
}

/* the means of n cases' rewards and ranks (0: not listed); frees both */
static struct evalres eval_means(double *rew, long *rank, size_t n)
{
	struct evalres e = { 0, 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		e.reward += rew[i];
		e.top1 += rank[i] == 1;
		e.top5 += rank[i] >= 1 && rank[i] <= 5;
		e.topmax += rank[i] >= 1;
		e.mrr += rank[i] >= 1 ? 1.0 / (double)rank[i] : 0;
	}
	if (n) {
		e.reward /= (double)n;
		e.top1 /= (double)n;
		e.top5 /= (double)n;
		e.topmax /= (double)n;
		e.mrr /= (double)n;
	}
	free(rew);
	free(rank);
	return e;
}

/* greedy ranking of n cases of a set (idx NULL: all of it), graded */
static struct evalres evaluate_some(const struct set *set, const size_t *idx, size_t n, const double *w)
{
	double *rew = ecalloc(n ? n : 1, sizeof(*rew));
	long *rank = ecalloc(n ? n : 1, sizeof(*rank));
	struct eval_ctx ctx = { set, idx, w, rew, rank };

	rft_parallel_for(n, nthreads, eval_one, &ctx);
	return eval_means(rew, rank, n);
}

static struct evalres evaluate(const struct set *set, const double *w)
{
	return evaluate_some(set, NULL, set->n, w);
}

/*
 * The greedy ranking of every gene, as rft-rank --model ranks (score, then
 * the gene's tie rank; the top -k), graded with its scores: what the pool
 * evaluations approximate.  A gene from outside a case's pool can enter
 * this list, above the causal gene too.
 */
static void eval_full_one(size_t i, int thread, void *vctx)
{
	struct eval_ctx *ctx = vctx;
	const struct tcase *c = &ctx->set->v[i];
	struct rank_scratch *s = &scr[thread];
	size_t K = (size_t)opt.k, ntop = 0, j;
	uint32_t *top = emalloc((K + 1) * sizeof(*top));
	const char **sym = emalloc((K + 1) * sizeof(*sym));
	double *sc = emalloc((K + 1) * sizeof(*sc));

	ctx->rank[i] = 0;
	ctx->reward[i] = 0;
	if (c->has_rc && !c->rc.error) {
		rank_features(&rm, s, &c->rc, s->feat);
		ntop = top_genes(s, ctx->w, top, K);
		for (j = 0; j < ntop; j++) {
			sym[j] = rm.gene_sym[top[j]];
			sc[j] = s->gscore[top[j]];
		}
		ctx->reward[i] = grade_names(c->item, sym, sc, ntop, &ctx->rank[i]);
	}
	free(top);
	free(sym);
	free(sc);
}

/* every case of a set ranked over all genes (needs the HPO tables: not with
 * --features, where it is the pool evaluation) */
static struct evalres evaluate_full(const struct set *set, const double *w)
{
	double *rew;
	long *rank;
	struct eval_ctx ctx;
	size_t n = set->n;

	if (!have_model)
		return evaluate(set, w);
	rew = ecalloc(n ? n : 1, sizeof(*rew));
	rank = ecalloc(n ? n : 1, sizeof(*rank));
	ctx.set = set;
	ctx.idx = NULL;
	ctx.w = w;
	ctx.reward = rew;
	ctx.rank = rank;
	rft_parallel_for(n, nthreads, eval_full_one, &ctx);
	return eval_means(rew, rank, n);
}

/* ------------------------------------------------------------- state */

struct state {
	long step;                /* steps done */
	double w[F], m[F], v[F];
	long best_step;           /* -1: none yet */
	double best_w[F];
	struct evalres best;
};

static void put_vec(struct strbuf *sb, const double *x)
{
	int k;

	strbuf_addch(sb, '[');
	for (k = 0; k < F; k++)
		strbuf_addf(sb, k ? ",%.17g" : "%.17g", x[k]);
	strbuf_addch(sb, ']');
}

/* what must match for a checkpoint to be resumed */
static void put_config(struct strbuf *sb, size_t ntrain, size_t nvalid)
{
	int k, n;

	strbuf_addf(sb, "{\"seed\":%lld,\"epochs\":%d,\"batch\":%d,\"group\":%d,\"pool\":%d,\"k\":%d,"
		    "\"lr\":%.17g,\"temperature\":%.17g,\"l2\":%.17g,\"eval_interval\":%d,\"steps\":%lld,"
		    "\"method\":\"%s\",\"train_cases\":%zu,\"valid_cases\":%zu",
		    opt.seed, opt.epochs, opt.batch, opt.group, opt.pool, opt.k, opt.lr,
		    opt.temperature, opt.l2, opt.eval_interval, opt.steps, rank_method_name[opt.method], ntrain, nvalid);
	strbuf_addf(sb, ",\"objective\":\"%s\",\"drop\":[", objective_name[opt.objective]);
	for (k = n = 0; k < F; k++)
		if (dropped[k])
			strbuf_addf(sb, n++ ? ",\"%s\"" : "\"%s\"", rank_feature_name[k]);
	strbuf_addf(sb, "],\"folds\":%d}", opt.folds);
}

static void write_checkpoint(const struct state *st, size_t ntrain, size_t nvalid)
{
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "{\"format\":\"" CHECKPOINT_FORMAT "\",\"config\":");
	put_config(&sb, ntrain, nvalid);
	strbuf_addf(&sb, ",\"step\":%ld,\"w\":", st->step);
	put_vec(&sb, st->w);
	strbuf_addstr(&sb, ",\"m\":");
	put_vec(&sb, st->m);
	strbuf_addstr(&sb, ",\"v\":");
	put_vec(&sb, st->v);
	strbuf_addf(&sb, ",\"best_step\":%ld,\"best_w\":", st->best_step);
	put_vec(&sb, st->best_w);
	strbuf_addf(&sb, ",\"best\":[%.17g,%.17g,%.17g,%.17g]}\n", st->best.reward, st->best.top1,
		    st->best.top5, st->best.topmax);
	if (rft_output_open(&out, opt.checkpoint) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	rft_output_write(&out, sb.buf, sb.len);
	if (rft_output_commit(&out) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
}

static int get_vec(struct json_object *o, const char *key, double *x)
{
	struct json_object *a = rft_json_get(o, key);
	int k;

	if (!a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) != F)
		return -1;
	for (k = 0; k < F; k++) {
		struct json_object *v = json_object_array_get_idx(a, (size_t)k);

		if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
			return -1;
		x[k] = json_object_get_double(v);
	}
	return 0;
}

static void read_checkpoint(struct state *st, size_t ntrain, size_t nvalid)
{
	struct rft_input in;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT;
	struct json_object *o = NULL, *best;
	const char *fmt;

	if (rft_input_open(&in, opt.resume) < 0)
		exit(rft_finish(RFT_EX_NOINPUT));
	if (rft_input_slurp(&in, &text, 1u << 20) < 0 || rft_input_close(&in) < 0)
		exit(rft_finish(RFT_EX_DATA));
	if (rft_json_parse(text.buf, text.len, &o, &err) < 0)
		die(RFT_EX_DATA, "%s:1: not a checkpoint: %s", opt.resume, err.buf);
	fmt = rft_json_get_str(o, "format");
	if (!fmt || strcmp(fmt, CHECKPOINT_FORMAT))
		die(RFT_EX_DATA, "%s:1: not a checkpoint of rft-train (format is not \"" CHECKPOINT_FORMAT "\")",
		    opt.resume);
	put_config(&want, ntrain, nvalid);
	strbuf_reset(&err);
	json_put_value(&err, rft_json_get(o, "config"));
	if (strcmp(err.buf, want.buf))
		die(RFT_EX_USAGE, "%s: the checkpoint is of another run: its settings %s, this run's %s",
		    opt.resume, err.buf, want.buf);
	best = rft_json_get(o, "best");
	if (!rft_json_get(o, "step") || get_vec(o, "w", st->w) || get_vec(o, "m", st->m) ||
	    get_vec(o, "v", st->v) || get_vec(o, "best_w", st->best_w) || !best ||
	    !json_object_is_type(best, json_type_array) || json_object_array_length(best) != 4)
		die(RFT_EX_DATA, "%s:1: a checkpoint member is missing or malformed", opt.resume);
	st->step = (long)json_object_get_int64(rft_json_get(o, "step"));
	st->best_step = (long)json_object_get_int64(rft_json_get(o, "best_step"));
	st->best.reward = json_object_get_double(json_object_array_get_idx(best, 0));
	st->best.top1 = json_object_get_double(json_object_array_get_idx(best, 1));
	st->best.top5 = json_object_get_double(json_object_array_get_idx(best, 2));
	st->best.topmax = json_object_get_double(json_object_array_get_idx(best, 3));
	json_object_put(o);
	strbuf_release(&text);
	strbuf_release(&err);
	strbuf_release(&want);
}

/* ------------------------------------------------------------- steps */

/* a training run: the cases it learns from (a subset of the set for a
 * cross-validation fold), its settings, this epoch's order */
struct trainer {
	const struct set *set;
	const size_t *sub;        /* the cases learnt from (NULL: all of the set) */
	size_t n;
	double lr, l2;
	size_t *order;
	long order_epoch;
	struct case_out *outs;
};

static void trainer_init(struct trainer *tr, const struct set *set, const size_t *sub, size_t n,
			 double lr, double l2)
{
	memset(tr, 0, sizeof(*tr));
	tr->set = set;
	tr->sub = sub;
	tr->n = n;
	tr->lr = lr;
	tr->l2 = l2;
	tr->order_epoch = -1;
	tr->outs = ecalloc((size_t)opt.batch, sizeof(*tr->outs));
}

static void trainer_release(struct trainer *tr)
{
	free(tr->order);
	free(tr->outs);
}

static long steps_per_epoch(size_t n)
{
	return (long)((n + (size_t)opt.batch - 1) / (size_t)opt.batch);
}

/*
 * Step st->step of a run: a batch (each epoch a seeded permutation of the
 * run's cases), the summed GRPO gradient, one Adam step up the objective,
 * then the pull to the base weights: the proximal step of the penalty
 * l2 x ||w - w_base||^2, w <- w_base + (w - w_base) / (1 + 2 lr l2), which
 * keeps w at w_base as l2 grows (Adam's step is about lr per weight, so a
 * weight settles within about 1/(2 l2) of its base).  Dropped features stay
 * at 0.  Returns the batch size; the batch's mean objective in *mean and the
 * cases whose lists were not all worth the same in *used.
 */
static size_t train_step(struct trainer *tr, struct state *st, double *mean, int *used)
{
	long step = st->step, spe = steps_per_epoch(tr->n);
	long epoch = step / spe, b0 = (step % spe) * opt.batch;
	size_t nb = tr->n - (size_t)b0 < (size_t)opt.batch ? tr->n - (size_t)b0 : (size_t)opt.batch, i;
	double grad[F] = { 0 }, rsum = 0, tt = (double)(step + 1);
	struct step_ctx ctx;
	int k;

	if (epoch != tr->order_epoch) {
		/* the epoch's order: a seeded Fisher-Yates shuffle */
		struct rng r = rng_for(1, (uint64_t)epoch, 0);

		free(tr->order);
		tr->order = emalloc((tr->n ? tr->n : 1) * sizeof(*tr->order));
		for (i = 0; i < tr->n; i++)
			tr->order[i] = tr->sub ? tr->sub[i] : i;
		for (i = tr->n; i > 1; i--) {
			size_t j = (size_t)(rng_next(&r) % i), x = tr->order[i - 1];

			tr->order[i - 1] = tr->order[j];
			tr->order[j] = x;
		}
		tr->order_epoch = epoch;
	}
	ctx.set = tr->set;
	ctx.idx = tr->order + b0;
	ctx.w = st->w;
	ctx.step = step;
	ctx.out = tr->outs;
	rft_parallel_for(nb, nthreads, step_one, &ctx);
	*used = 0;
	for (i = 0; i < nb; i++) {
		rsum += tr->outs[i].reward_mean;
		*used += tr->outs[i].used;
		for (k = 0; k < F; k++)
			grad[k] += tr->outs[i].grad[k] / (double)nb;
	}
	/* Adam, ascending the expected objective; then the pull to base */
	for (k = 0; k < F; k++) {
		double g = grad[k];

		if (dropped[k]) {
			st->w[k] = 0;
			continue;
		}
		st->m[k] = 0.9 * st->m[k] + 0.1 * g;
		st->v[k] = 0.999 * st->v[k] + 0.001 * g * g;
		st->w[k] += tr->lr * (st->m[k] / (1 - pow(0.9, tt))) /
			(sqrt(st->v[k] / (1 - pow(0.999, tt))) + 1e-8);
		if (tr->l2 > 0)
			st->w[k] = wbase[k] + (st->w[k] - wbase[k]) / (1 + 2 * tr->lr * tr->l2);
	}
	st->step = step + 1;
	*mean = nb ? rsum / (double)nb : 0;
	return nb;
}

static void state_start(struct state *st)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->w, wbase, sizeof(st->w));
	memcpy(st->best_w, st->w, sizeof(st->w));
	st->best_step = -1;
}

/* ------------------------------------------------------------- folds */

/* the key of a reference gene: its HGNC id, from the symbol when only that is
 * given and HGNC is loaded, else the symbol in capitals */
static void gene_key(struct json_object *g, struct strbuf *key)
{
	const char *id = rft_json_get_str(g, "hgnc"), *sym = rft_json_get_str(g, "symbol");

	strbuf_reset(key);
	if (id && !strncmp(id, "HGNC:", 5)) {
		strbuf_addstr(key, id);
		return;
	}
	if (sym && genv.hgnc) {
		enum hgnc_how how;
		long x = hgnc_resolve(genv.hgnc, sym, &how);

		if (x >= 0) {
			strbuf_addstr(key, hgnc_id(genv.hgnc, x));
			return;
		}
	}
	strbuf_addstr(key, "symbol:");
	for (; sym && *sym; sym++)
		strbuf_addch(key, (char)(*sym >= 'a' && *sym <= 'z' ? *sym - 'a' + 'A' : *sym));
}

static long uf_root(long *parent, long g)
{
	while (parent[g] != g) {
		parent[g] = parent[parent[g]];
		g = parent[g];
	}
	return g;
}

struct fgroup {
	long root;
	size_t cases;
	const char *key;          /* smallest gene key of the group */
	uint64_t hash;
	int fold;
};

static int cmp_fgroup(const void *a, const void *b)
{
	const struct fgroup *x = a, *y = b;

	if (x->cases != y->cases)
		return x->cases > y->cases ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return strcmp(x->key, y->key);
}

/*
 * Gene-disjoint folds of a set, as rft-split -m balanced --folds makes them:
 * the genes that share a case are one group; groups largest first (equal
 * sizes in the order of the seeded hash of their smallest gene key), each to
 * the fold with the fewest cases so far.  A case with no reference gene is a
 * group of its own.  fold[i] for case i; *ngenes the genes of each fold.
 */
static int *make_folds(const struct set *set, int K, uint64_t seed, size_t *ngenes)
{
	struct strmap genes = STRMAP_INIT;
	struct strbuf key = STRBUF_INIT;
	long *first = emalloc((set->n ? set->n : 1) * sizeof(*first)), *parent = NULL, *gof;
	size_t i, j, ng = 0, cap = 0, *fcases = ecalloc((size_t)K, sizeof(*fcases));
	struct fgroup *grp = NULL;
	int *fold = emalloc((set->n ? set->n : 1) * sizeof(*fold)), f;

	for (i = 0; i < set->n; i++) {
		struct json_object *gl = rft_json_get(rft_json_get(set->v[i].item, "reference"), "genes");
		size_t n = gl && json_object_is_type(gl, json_type_array) ? json_object_array_length(gl) : 0;
		long prev = -1;

		first[i] = -1;
		for (j = 0; j <= n; j++) {
			long x;
			int added = 0;

			if (j < n) {
				gene_key(json_object_array_get_idx(gl, j), &key);
				if (!strcmp(key.buf, "symbol:"))
					continue;
			} else if (prev < 0) {
				/* no gene: the case alone */
				strbuf_reset(&key);
				strbuf_addf(&key, "case:%zu", i);
			} else {
				break;
			}
			x = strmap_intern(&genes, key.buf, &added);
			if (added) {
				parent = erealloc(parent, genes.n * sizeof(*parent));
				parent[x] = x;
			}
			if (prev >= 0) {
				long a = uf_root(parent, prev), b = uf_root(parent, x);

				if (a != b)
					parent[a > b ? a : b] = a < b ? a : b;
			}
			prev = x;
			if (first[i] < 0)
				first[i] = x;
		}
	}
	gof = emalloc((genes.n ? genes.n : 1) * sizeof(*gof));
	for (i = 0; i < genes.n; i++)
		gof[i] = -1;
	for (i = 0; i < genes.n; i++) {
		long r = uf_root(parent, (long)i);

		if (gof[r] < 0) {
			if (ng == cap) {
				cap = cap ? 2 * cap : 64;
				grp = erealloc(grp, cap * sizeof(*grp));
			}
			grp[ng].root = r;
			grp[ng].cases = 0;
			grp[ng].key = strmap_key(&genes, (long)i);
			gof[r] = (long)ng++;
		} else if (strcmp(strmap_key(&genes, (long)i), grp[gof[r]].key) < 0) {
			grp[gof[r]].key = strmap_key(&genes, (long)i);
		}
	}
	for (i = 0; i < set->n; i++)
		grp[gof[uf_root(parent, first[i])]].cases++;
	for (i = 0; i < ng; i++)
		grp[i].hash = rft_hash64(grp[i].key, strlen(grp[i].key), seed);
	if (ng)
		qsort(grp, ng, sizeof(*grp), cmp_fgroup);
	for (i = 0; i < ng; i++) {
		int best = 0;

		for (f = 1; f < K; f++)
			if (fcases[f] < fcases[best])
				best = f;
		grp[i].fold = best;
		fcases[best] += grp[i].cases;
		gof[grp[i].root] = (long)i;
	}
	for (i = 0; i < set->n; i++)
		fold[i] = grp[gof[uf_root(parent, first[i])]].fold;
	for (f = 0; f < K; f++)
		ngenes[f] = 0;
	for (i = 0; i < genes.n; i++)
		if (strncmp(strmap_key(&genes, (long)i), "case:", 5))
			ngenes[grp[gof[uf_root(parent, (long)i)]].fold]++;
	free(first);
	free(parent);
	free(gof);
	free(grp);
	free(fcases);
	strbuf_release(&key);
	strmap_release(&genes);
	return fold;
}

/* ------------------------------------------------------------- selection */

struct setting {
	double lr, l2;
};

/* cross-validation: for each setting of the grid and each fold, a run on the
 * other folds' cases, evaluated on the fold every --eval-interval steps */
struct cv {
	int K, nset, npt;
	struct setting *set;
	long *pt_step;            /* the evaluation points: 0, I, 2I, ..., total */
	int *fold;                /* by training case */
	size_t *fold_cases, *fold_genes;
	struct evalres *res;      /* [setting][fold][point] */
	int best_set, best_pt;
	double steps_per_s;
	long steps_done;
};

#define CV_RES(cv, s, f, p) ((cv)->res[((size_t)(s) * (size_t)(cv)->K + (size_t)(f)) * (size_t)(cv)->npt + (size_t)(p)])

/* mean and standard deviation over the folds of the objective at (s, p) */
static double cv_mean(const struct cv *cv, int s, int p, double *sd)
{
	double m = 0, v = 0;
	int f;

	for (f = 0; f < cv->K; f++)
		m += eval_objective(&CV_RES(cv, s, f, p));
	m /= cv->K;
	for (f = 0; f < cv->K; f++) {
		double d = eval_objective(&CV_RES(cv, s, f, p)) - m;

		v += d * d;
	}
	if (sd)
		*sd = cv->K > 1 ? sqrt(v / (cv->K - 1)) : 0;
	return m;
}

/* mean over the folds of any figure at (s, p) */
static struct evalres cv_means(const struct cv *cv, int s, int p)
{
	struct evalres e = { 0, 0, 0, 0, 0 };
	int f;

	for (f = 0; f < cv->K; f++) {
		const struct evalres *x = &CV_RES(cv, s, f, p);

		e.reward += x->reward / cv->K;
		e.top1 += x->top1 / cv->K;
		e.top5 += x->top5 / cv->K;
		e.topmax += x->topmax / cv->K;
		e.mrr += x->mrr / cv->K;
	}
	return e;
}

/* the best point of setting s: its first maximum of the mean objective */
static int cv_best_point(const struct cv *cv, int s)
{
	int p, best = 0;

	for (p = 1; p < cv->npt; p++)
		if (cv_mean(cv, s, p, NULL) > cv_mean(cv, s, best, NULL))
			best = p;
	return best;
}

/* ------------------------------------------------------------- output */

static const char *sign_reading(int k, double w)
{
	if (w == 0)
		return "unused (weight 0)";
	switch (k) {
	case RF_ABSENT:
		return w > 0 ? "positive: a disease annotated with a term the patient was checked for and "
			"does not have is ranked HIGHER (curators list the suspected syndrome's hallmarks as absent)" :
			"negative: a disease annotated with an excluded term is ranked lower (the clinical reading)";
	case RF_BREADTH:
		return w < 0 ? "negative: broadly annotated diseases, which match anything, are corrected down" :
			"positive: broadly annotated diseases are favoured";
	case RF_GENES:
		return w < 0 ? "negative: a disease shared by many genes counts less for each" :
			"positive: diseases linked to many genes are favoured";
	case RF_SIZE:
		return w < 0 ? "negative: diseases with large annotation profiles are corrected down" :
			"positive: diseases with large annotation profiles are favoured";
	default:
		return w > 0 ? "positive: more of it, higher rank" : "negative: more of it, lower rank";
	}
}

static void put_weights_obj(struct strbuf *sb, const double *w, const char *indent)
{
	int k;

	strbuf_addstr(sb, "{\n");
	for (k = 0; k < F; k++)
		strbuf_addf(sb, "%s  \"%s\": %.17g%s\n", indent, rank_feature_name[k], w[k],
			    k + 1 < F ? "," : "");
	strbuf_addf(sb, "%s}", indent);
}

static void put_eval(struct strbuf *sb, const struct evalres *e)
{
	strbuf_addstr(sb, "{\"reward_mean\":");
	json_put_fixed(sb, e->reward, 6);
	strbuf_addstr(sb, ",\"top1\":");
	json_put_fixed(sb, e->top1, 6);
	strbuf_addstr(sb, ",\"top5\":");
	json_put_fixed(sb, e->top5, 6);
	strbuf_addstr(sb, ",\"topmax\":");
	json_put_fixed(sb, e->topmax, 6);
	strbuf_addstr(sb, ",\"mrr\":");
	json_put_fixed(sb, e->mrr, 6);
	strbuf_addch(sb, '}');
}

static void put_fixed_list(struct strbuf *sb, const double *x, int n)
{
	int i;

	strbuf_addch(sb, '[');
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		json_put_fixed(sb, x[i], 6);
	}
	strbuf_addch(sb, ']');
}

/* the objective at (s, p): mean, sd and per fold */
static void put_cv_point(struct strbuf *sb, const struct cv *cv, int s, int p)
{
	double sd, m = cv_mean(cv, s, p, &sd), per[64];
	int f;

	for (f = 0; f < cv->K; f++)
		per[f] = eval_objective(&CV_RES(cv, s, f, p));
	strbuf_addf(sb, "\"step\": %ld, \"cv_mean\": ", cv->pt_step[p]);
	json_put_fixed(sb, m, 6);
	strbuf_addstr(sb, ", \"cv_sd\": ");
	json_put_fixed(sb, sd, 6);
	strbuf_addstr(sb, ", \"per_fold\": ");
	put_fixed_list(sb, per, cv->K);
}

/* provenance.selection: how the steps and the setting were chosen */
static void put_selection(struct strbuf *sb, const struct cv *cv, int have_valid)
{
	int s, f;

	if (!cv) {
		strbuf_addstr(sb, have_valid ?
			      "{\"by\": \"valid\", \"note\": \"the step with the best --valid reward: figures on --valid are optimistic\"}" :
			      "{\"by\": \"none\", \"note\": \"the last weights\"}");
		return;
	}
	strbuf_addf(sb, "{\"by\": \"cross-validation\", \"folds\": %d, \"objective\": \"%s\", "
		    "\"fold_seed\": %lld, \"valid_used\": false,\n      \"fold_cases\": [", cv->K,
		    objective_name[opt.objective], opt.split_seed >= 0 ? opt.split_seed : 0);
	for (f = 0; f < cv->K; f++)
		strbuf_addf(sb, f ? ",%zu" : "%zu", cv->fold_cases[f]);
	strbuf_addstr(sb, "], \"fold_genes\": [");
	for (f = 0; f < cv->K; f++)
		strbuf_addf(sb, f ? ",%zu" : "%zu", cv->fold_genes[f]);
	strbuf_addstr(sb, "],\n      \"base\": {");
	put_cv_point(sb, cv, 0, 0);
	strbuf_addstr(sb, "},\n      \"grid\": [");
	for (s = 0; s < cv->nset; s++) {
		strbuf_addf(sb, "%s\n        {\"lr\": %.17g, \"l2\": %.17g, ", s ? "," : "", cv->set[s].lr,
			    cv->set[s].l2);
		put_cv_point(sb, cv, s, cv_best_point(cv, s));
		strbuf_addstr(sb, ", \"at_last_step\": ");
		json_put_fixed(sb, cv_mean(cv, s, cv->npt - 1, NULL), 6);
		strbuf_addch(sb, '}');
	}
	strbuf_addf(sb, "],\n      \"selected\": {\"lr\": %.17g, \"l2\": %.17g, ", cv->set[cv->best_set].lr,
		    cv->set[cv->best_set].l2);
	put_cv_point(sb, cv, cv->best_set, cv->best_pt);
	{
		struct evalres e = cv_means(cv, cv->best_set, cv->best_pt), b = cv_means(cv, 0, 0);
		double gain[64], gm = 0, gv = 0;

		/* the gain over the base in each fold: paired, so the folds'
		 * difficulty does not enter its spread */
		for (f = 0; f < cv->K; f++) {
			gain[f] = eval_objective(&CV_RES(cv, cv->best_set, f, cv->best_pt)) -
				eval_objective(&CV_RES(cv, 0, f, 0));
			gm += gain[f] / cv->K;
		}
		for (f = 0; f < cv->K; f++)
			gv += (gain[f] - gm) * (gain[f] - gm);
		strbuf_addstr(sb, ", \"gain_mean\": ");
		json_put_fixed(sb, gm, 6);
		strbuf_addstr(sb, ", \"gain_sd\": ");
		json_put_fixed(sb, cv->K > 1 ? sqrt(gv / (cv->K - 1)) : 0, 6);
		strbuf_addstr(sb, ", \"gain_per_fold\": ");
		put_fixed_list(sb, gain, cv->K);

		strbuf_addstr(sb, ", \"cv_figures\": ");
		put_eval(sb, &e);
		strbuf_addstr(sb, ", \"cv_base_figures\": ");
		put_eval(sb, &b);
	}
	strbuf_addstr(sb, "}}");
}

static void write_model(const struct state *st, const double *w, const struct set *train,
			const struct set *valid, const struct evalres *base_valid,
			const struct evalres *tuned_valid, long total_steps, const struct cv *cv)
{
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT;
	int k;

	strbuf_addstr(&sb, "{\n  \"format\": \"" RANK_MODEL_FORMAT "\",\n  \"method\": \"");
	strbuf_addstr(&sb, rank_method_name[opt.method]);
	strbuf_addstr(&sb, "\",\n  \"weights\": ");
	put_weights_obj(&sb, w, "  ");
	strbuf_addstr(&sb, ",\n  \"base_weights\": ");
	put_weights_obj(&sb, rank_base_weights, "  ");
	strbuf_addstr(&sb, ",\n  \"meaning\": {\n");
	for (k = 0; k < F; k++) {
		strbuf_addf(&sb, "    \"%s\": {\"feature\": ", rank_feature_name[k]);
		json_put_str(&sb, rank_feature_meaning[k]);
		strbuf_addstr(&sb, ", \"learned\": ");
		json_put_str(&sb, sign_reading(k, w[k]));
		strbuf_addf(&sb, "}%s\n", k + 1 < F ? "," : "");
	}
	strbuf_addstr(&sb, "  },\n  \"provenance\": {\n    \"created_by\": \"rft-train " RFT_VERSION "\",\n");
	strbuf_addstr(&sb, "    \"data\": ");
	if (have_model)
		strbuf_addstr(&sb, rm.data_json);
	else
		strbuf_addstr(&sb, "{\"features\":\"given (--features)\"}");
	strbuf_addstr(&sb, ",\n    \"train\": {\"file\": ");
	json_put_str(&sb, train->path);
	strbuf_addf(&sb, ", \"cases\": %zu, \"reference_in_pool\": %llu}", train->n, train->hits);
	strbuf_addstr(&sb, ",\n    \"valid\": ");
	if (valid) {
		strbuf_addstr(&sb, "{\"file\": ");
		json_put_str(&sb, valid->path);
		strbuf_addf(&sb, ", \"cases\": %zu, \"reference_in_pool\": %llu, \"base\": ", valid->n, valid->hits);
		put_eval(&sb, base_valid);
		strbuf_addstr(&sb, ", \"tuned\": ");
		put_eval(&sb, tuned_valid);
		strbuf_addstr(&sb, cv ? ", \"used_for_selection\": false}" : ", \"used_for_selection\": true}");
	} else {
		strbuf_addstr(&sb, "null");
	}
	strbuf_addstr(&sb, ",\n    \"split_seed\": ");
	if (opt.split_seed >= 0)
		strbuf_addf(&sb, "%lld", opt.split_seed);
	else
		strbuf_addstr(&sb, "null");
	strbuf_addstr(&sb, ",\n    \"grader\": ");
	strbuf_addstr(&sb, grader_json);
	strbuf_addstr(&sb, ",\n    \"hyperparameters\": ");
	put_config(&sb, train->n, valid ? valid->n : 0);
	strbuf_addf(&sb, ",\n    \"algorithm\": \"GRPO: Plackett-Luce lists over softmax(w . phi / T) "
		    "within each case's top-%d base candidates, group-relative advantages, Adam\"", opt.pool);
	strbuf_addstr(&sb, ",\n    \"selection\": ");
	put_selection(&sb, cv, valid != NULL);
	strbuf_addf(&sb, ",\n    \"steps\": %ld,\n    \"best_step\": %ld\n  }\n}\n", total_steps,
		    st->best_step);
	if (rft_output_open(&out, opt.output) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	rft_output_write(&out, sb.buf, sb.len);
	if (rft_output_commit(&out) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
}

/* --dump-features: the pools in the --features format */
static void dump_pools(const struct set *set, const char *path)
{
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT;
	size_t i, j, u;
	int k;

	if (rft_output_open(&out, path) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	for (i = 0; i < set->n; i++) {
		const struct tcase *c = &set->v[i];

		strbuf_reset(&sb);
		strbuf_addstr(&sb, "{\"id\":");
		json_put_str(&sb, c->id);
		strbuf_addstr(&sb, ",\"reference\":");
		json_put_value(&sb, rft_json_get(c->item, "reference"));
		strbuf_addstr(&sb, ",\"candidates\":[");
		for (j = 0; j < c->ncand; j++) {
			strbuf_addstr(&sb, j ? ",{\"symbol\":" : "{\"symbol\":");
			json_put_str(&sb, c->c[j].symbol);
			strbuf_addstr(&sb, ",\"units\":[");
			for (u = 0; u < c->c[j].nunits; u++) {
				strbuf_addstr(&sb, u ? ",[" : "[");
				for (k = 0; k < F; k++)
					strbuf_addf(&sb, k ? ",%.17g" : "%.17g", c->c[j].f[u * F + k]);
				strbuf_addch(&sb, ']');
			}
			strbuf_addstr(&sb, "]}");
		}
		strbuf_addstr(&sb, "]}\n");
		rft_output_write(&out, sb.buf, sb.len);
	}
	if (rft_output_commit(&out) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
}

static double jnum(struct json_object *o, const char *key)
{
	struct json_object *v = rft_json_get(o, key);

	return v ? json_object_get_double(v) : NAN;
}

static void print_point(const char *label, struct json_object *p)
{
	struct json_object *per = rft_json_get(p, "per_fold");
	size_t f;

	printf("  %-26s step %4.0f  CV %.4f +- %.4f (sd over folds)  per fold:", label, jnum(p, "step"),
	       jnum(p, "cv_mean"), jnum(p, "cv_sd"));
	for (f = 0; per && json_object_is_type(per, json_type_array) && f < json_object_array_length(per); f++)
		printf(" %.3f", json_object_get_double(json_object_array_get_idx(per, f)));
	putchar('\n');
}

/* the selection recorded in a model's provenance, when it has one */
static void explain_selection(const char *path)
{
	struct rft_input in;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, lab = STRBUF_INIT;
	struct json_object *o = NULL, *sel, *grid, *v;
	size_t i;

	if (rft_input_open(&in, path) < 0 || rft_input_slurp(&in, &text, 16u << 20) < 0 ||
	    rft_input_close(&in) < 0 || rft_json_parse(text.buf, text.len, &o, &err) < 0)
		goto out;
	sel = rft_json_get(rft_json_get(o, "provenance"), "selection");
	if (!sel || !rft_json_get_str(sel, "by")) {
		goto out;
	}
	if (strcmp(rft_json_get_str(sel, "by"), "cross-validation")) {
		printf("Selection: %s (%s).\n", rft_json_get_str(sel, "by"),
		       rft_json_get_str(sel, "note") ? rft_json_get_str(sel, "note") : "");
		goto out;
	}
	printf("Selection: cross-validation over %.0f gene-disjoint folds of the training genes (objective %s;\n"
	       "the validation split took no part):\n", jnum(sel, "folds"),
	       rft_json_get_str(sel, "objective") ? rft_json_get_str(sel, "objective") : "?");
	print_point("base weights", rft_json_get(sel, "base"));
	grid = rft_json_get(sel, "grid");
	for (i = 0; grid && json_object_is_type(grid, json_type_array) && i < json_object_array_length(grid); i++) {
		v = json_object_array_get_idx(grid, i);
		strbuf_reset(&lab);
		strbuf_addf(&lab, "lr %g l2 %g, best", jnum(v, "lr"), jnum(v, "l2"));
		print_point(lab.buf, v);
	}
	v = rft_json_get(sel, "selected");
	strbuf_reset(&lab);
	strbuf_addf(&lab, "SELECTED lr %g l2 %g", jnum(v, "lr"), jnum(v, "l2"));
	print_point(lab.buf, v);
	{
		struct json_object *g = rft_json_get(v, "gain_per_fold");

		printf("  gain over the base          %+.4f +- %.4f (sd over folds)  per fold:", jnum(v, "gain_mean"),
		       jnum(v, "gain_sd"));
		for (i = 0; g && json_object_is_type(g, json_type_array) && i < json_object_array_length(g); i++)
			printf(" %+.3f", json_object_get_double(json_object_array_get_idx(g, i)));
		putchar('\n');
	}
	v = rft_json_get(rft_json_get(o, "provenance"), "valid");
	if (v && json_object_is_type(v, json_type_object))
		printf("Untouched split (%s, %.0f cases): Top-1 %.1f%% -> %.1f%%, reward %.4f -> %.4f, MRR %.4f -> %.4f\n",
		       rft_json_get_str(v, "file") ? rft_json_get_str(v, "file") : "?", jnum(v, "cases"),
		       100 * jnum(rft_json_get(v, "base"), "top1"), 100 * jnum(rft_json_get(v, "tuned"), "top1"),
		       jnum(rft_json_get(v, "base"), "reward_mean"), jnum(rft_json_get(v, "tuned"), "reward_mean"),
		       jnum(rft_json_get(v, "base"), "mrr"), jnum(rft_json_get(v, "tuned"), "mrr"));
out:
	json_object_put(o);
	strbuf_release(&text);
	strbuf_release(&err);
	strbuf_release(&lab);
}

/* --explain MODEL: the weights and what they mean */
static int explain_model(const char *path)
{
	struct rank_weights rw;
	int rc = rank_weights_load(&rw, path), k;

	if (rc)
		return rc;
	printf("%s: method %s\n%-9s %10s %10s  meaning\n", path, rank_method_name[rw.method], "feature",
	       "base", "learned");
	for (k = 0; k < F; k++)
		printf("%-9s %10.4f %10.4f  %s\n%31s-> %s\n", rank_feature_name[k], rank_base_weights[k],
		       rw.w[k], rank_feature_meaning[k], "", sign_reading(k, rw.w[k]));
	printf("A gene's score is its best disease's sum of weight x feature; only differences within a\n"
	       "case matter (the scale sets how sure the policy is: softmax temperature %g in training).\n",
	       opt.temperature);
	explain_selection(path);
	rank_weights_release(&rw);
	return RFT_EX_OK;
}

/* ------------------------------------------------------------------ main */

enum {
	OPT_TRAIN = 256, OPT_VALID, OPT_GRADER, OPT_EVENTS, OPT_CHECKPOINT, OPT_RESUME, OPT_EXPLAIN,
	OPT_SEED, OPT_SPLIT_SEED, OPT_EPOCHS, OPT_BATCH, OPT_GROUP, OPT_POOL, OPT_LR, OPT_TEMP, OPT_L2,
	OPT_EVAL, OPT_STOP, OPT_FEATURES, OPT_DUMP, OPT_FOLDS, OPT_GRID_LR, OPT_GRID_L2, OPT_DROP,
	OPT_OBJECTIVE, OPT_STEPS, OPT_FUSE, OPT_FUSE_RULE
};

static const struct rft_opt options[] = {
	{ OPT_TRAIN, "train", RFT_ARG_REQ, "FILE", "training cases (case lines; required)" },
	{ OPT_VALID, "valid", RFT_ARG_REQ, "FILE", "validation cases (gene-disjoint from train): evaluated every --eval-interval steps; the best weights are kept" },
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write the model file to FILE (atomically; default stdout)" },
	{ 'g', "grader", RFT_ARG_REQ, "FILE", "grader JSON as rft-grade takes it (default: gene_rank, reciprocal, max_list 20)" },
	{ OPT_SEED, "seed", RFT_ARG_REQ, "N", "seed of every random draw (default 1)" },
	{ OPT_EPOCHS, "epochs", RFT_ARG_REQ, "N", "passes over the training cases (default 20)" },
	{ OPT_STEPS, "steps", RFT_ARG_REQ, "N", "train exactly N steps (instead of --epochs passes; 0: the base weights); not with --folds" },
	{ OPT_BATCH, "batch", RFT_ARG_REQ, "N", "training cases per step (default 64)" },
	{ OPT_GROUP, "group", RFT_ARG_REQ, "G", "ranked lists sampled per case (default 16)" },
	{ OPT_POOL, "pool", RFT_ARG_REQ, "K", "candidates per case: the top K genes of the base ranker (default 200)" },
	{ 'k', "k", RFT_ARG_REQ, "N", "length of a sampled list (default 20)" },
	{ OPT_LR, "lr", RFT_ARG_REQ, "X", "Adam's learning rate (default 0.05)" },
	{ OPT_TEMP, "temperature", RFT_ARG_REQ, "T", "softmax temperature of the policy (default 1)" },
	{ OPT_L2, "l2", RFT_ARG_REQ, "X", "penalty X ||w - w_base||^2 pulling the weights to the base weights (default 0)" },
	{ OPT_FOLDS, "folds", RFT_ARG_REQ, "K", "choose the steps, --lr and --l2 by cross-validation over K gene-disjoint folds of --train; --valid is then only reported" },
	{ OPT_GRID_LR, "grid-lr", RFT_ARG_REQ, "X,..", "learning rates tried with --folds (default --lr if given, else 0.02,0.05)" },
	{ OPT_GRID_L2, "grid-l2", RFT_ARG_REQ, "X,..", "--l2 values tried with --folds (default --l2 if given, else 0,0.3,3)" },
	{ OPT_OBJECTIVE, "objective", RFT_ARG_REQ, "reward|top1|mrr", "what a ranked list is worth in training and selection: the grader's reward (default), 1 when the causal gene is first, or 1/rank" },
	{ OPT_DROP, "drop", RFT_ARG_REQ, "FEATURE,..", "hold these features' weights at 0 (an ablation; the base weights then have them at 0 too)" },
	{ OPT_EVAL, "eval-interval", RFT_ARG_REQ, "N", "evaluate on --valid every N steps (default 10)" },
	{ OPT_EVENTS, "events", RFT_ARG_REQ, "FILE", "write one JSON metrics event per step to FILE (default: stderr unless it is a terminal)" },
	{ OPT_CHECKPOINT, "checkpoint", RFT_ARG_REQ, "FILE", "write the training state to FILE at every evaluation" },
	{ OPT_RESUME, "resume", RFT_ARG_REQ, "FILE", "continue from a checkpoint (same data and settings)" },
	{ OPT_STOP, "stop-after", RFT_ARG_REQ, "N", "stop after step N, as if interrupted (the checkpoint is written; no model)" },
	{ OPT_SPLIT_SEED, "split-seed", RFT_ARG_REQ, "N", "the seed rft-split used, recorded in the model's provenance" },
	{ OPT_EXPLAIN, "explain", RFT_ARG_REQ, "MODEL", "print a model file's weights and their meaning, and exit" },
	{ OPT_FEATURES, "features", RFT_ARG_NONE, NULL, "--train/--valid hold candidate pools with features (as --dump-features writes), not cases" },
	{ OPT_DUMP, "dump-features", RFT_ARG_REQ, "FILE", "write the training pools with their features to FILE and exit" },
	{ 'm', "method", RFT_ARG_REQ, "disease|gene", "units of the ranker (default disease)" },
	RANK_DATA_OPTIONS,
	{ OPT_FUSE, "fuse", RFT_ARG_NONE, NULL, "fit rft-fuse's run weights, depth and k for the RUNs given as arguments (sample files) by the grader on gene-disjoint --folds (default 5); write the fusion spec" },
	{ OPT_FUSE_RULE, "fuse-rule", RFT_ARG_REQ, "RULE", "the rule --fuse fits: rrf (default), borda, score, rankedpairs" },
	{ 'j', "threads", RFT_ARG_REQ, "N", "threads (default: the CPUs, at most 8); the model does not depend on it" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-train", "--train FILE [--valid FILE] [OPTION]...\n   or: rft-train --fuse [--fuse-rule RULE] [--folds K] [OPTION]... RUN...",
	"Reinforcement fine-tuning of the built-in ranker's scoring policy, with the grader as the\n"
	"reward (GRPO over Plackett-Luce ranked lists); writes a model file for rft-rank --model.",
	options,
	"exit status: 0 ok, 64 usage (or a checkpoint of another run), 65 bad data (FILE:LINE),\n"
	"66 input missing, 74 I/O error, 78 bad grader or model file.  See rft-train(1).\n"
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the gene keys of some cases, each once, as a JSON array */
static void put_fold_genes(struct strbuf *sb, const struct set *set, const size_t *idx, size_t n)
{
	struct strmap seen = STRMAP_INIT;
	struct strbuf key = STRBUF_INIT;
	size_t i, j;

	strbuf_addch(sb, '[');
	for (i = 0; i < n; i++) {
		struct json_object *gl = rft_json_get(rft_json_get(set->v[idx[i]].item, "reference"), "genes");
		size_t ng = gl && json_object_is_type(gl, json_type_array) ? json_object_array_length(gl) : 0;

		for (j = 0; j < ng; j++) {
			int added = 0;

			gene_key(json_object_array_get_idx(gl, j), &key);
			if (!strcmp(key.buf, "symbol:"))
				continue;
			strmap_intern(&seen, key.buf, &added);
			if (added) {
				if (seen.n > 1)
					strbuf_addch(sb, ',');
				json_put_str(sb, key.buf);
			}
		}
	}
	strbuf_addch(sb, ']');
	strbuf_release(&key);
	strmap_release(&seen);
}

/* the cross-validation of the grid; the selected setting and point in
 * cv->best_set, cv->best_pt */
static void run_cv(struct cv *cv, const struct set *train, long total, FILE *evfp, int tty)
{
	size_t *sub = emalloc((train->n ? train->n : 1) * sizeof(*sub));
	size_t *held = emalloc((train->n ? train->n : 1) * sizeof(*held)), ns, nh, i;
	double t0 = now_s(), best = 0;
	int s, f, p;

	cv->npt = 1 + (int)(total / opt.eval_interval) + (total % opt.eval_interval != 0);
	cv->pt_step = emalloc((size_t)cv->npt * sizeof(*cv->pt_step));
	for (p = 0; p < cv->npt; p++)
		cv->pt_step[p] = (long)p * opt.eval_interval < total ? (long)p * opt.eval_interval : total;
	cv->res = ecalloc((size_t)cv->nset * (size_t)cv->K * (size_t)cv->npt, sizeof(*cv->res));
	cv->fold_cases = ecalloc((size_t)cv->K, sizeof(*cv->fold_cases));
	cv->fold_genes = ecalloc((size_t)cv->K, sizeof(*cv->fold_genes));
	cv->fold = make_folds(train, cv->K, (uint64_t)(opt.split_seed >= 0 ? opt.split_seed : 0), cv->fold_genes);
	for (i = 0; i < train->n; i++)
		cv->fold_cases[cv->fold[i]]++;
	for (f = 0; f < cv->K; f++)
		if (!cv->fold_cases[f])
			die(RFT_EX_DATA, "%s: %d folds need at least %d groups of genes; the training cases have fewer",
			    train->path, cv->K, cv->K);
	for (f = 0; f < cv->K; f++) {
		struct evalres base;

		for (i = ns = nh = 0; i < train->n; i++) {
			if (cv->fold[i] == f)
				held[nh++] = i;
			else
				sub[ns++] = i;
		}
		base = evaluate_some(train, held, nh, wbase);
		for (s = 0; s < cv->nset; s++) {
			struct trainer tr;
			struct state st;
			double ts = now_s(), mean;
			int used;

			CV_RES(cv, s, f, 0) = base;
			state_start(&st);
			trainer_init(&tr, train, sub, ns, cv->set[s].lr, cv->set[s].l2);
			for (p = 1; st.step < total;) {
				train_step(&tr, &st, &mean, &used);
				if (p < cv->npt && st.step == cv->pt_step[p])
					CV_RES(cv, s, f, p++) = evaluate_some(train, held, nh, st.w);
			}
			trainer_release(&tr);
			cv->steps_done += total;
			if (evfp) {
				struct strbuf sb = STRBUF_INIT;

				strbuf_addf(&sb, "{\"object\":\"fine_tuning.job.event\",\"type\":\"cv\",\"level\":\"info\","
					    "\"created_at\":%lld,\"message\":\"Fold %d/%d, setting %d/%d\",\"data\":{"
					    "\"fold\":%d,\"fold_cases\":%zu,\"setting\":%d,\"lr\":%.17g,\"l2\":%.17g,"
					    "\"steps\":%ld,\"objective\":\"%s\",\"curve\":[", (long long)time(NULL), f + 1,
					    cv->K, s + 1, cv->nset, f, nh, s, cv->set[s].lr, cv->set[s].l2, total,
					    objective_name[opt.objective]);
				for (p = 0; p < cv->npt; p++) {
					strbuf_addf(&sb, p ? ",{\"step\":%ld,\"value\":" : "{\"step\":%ld,\"value\":",
						    cv->pt_step[p]);
					json_put_fixed(&sb, eval_objective(&CV_RES(cv, s, f, p)), 6);
					strbuf_addch(&sb, '}');
				}
				strbuf_addch(&sb, ']');
				if (s == 0) {
					/* the fold's genes, once: the folds can be audited */
					strbuf_addstr(&sb, ",\"genes\":");
					put_fold_genes(&sb, train, held, nh);
				}
				strbuf_addf(&sb, ",\"run_s\":%.3f,\"steps_per_s\":%.1f}}\n", now_s() - ts,
					    (double)total / (now_s() - ts + 1e-9));
				if (fwrite(sb.buf, 1, sb.len, evfp) != sb.len)
					die(RFT_EX_IOERR, "writing events:");
				fflush(evfp);
				strbuf_release(&sb);
			}
			if (tty)
				fprintf(stderr, "\rrft-train: cross-validation fold %d/%d, setting %d/%d ", f + 1, cv->K,
					s + 1, cv->nset);
		}
	}
	cv->steps_per_s = (double)cv->steps_done / (now_s() - t0 + 1e-9);
	/* the setting and point with the best mean objective over the folds;
	 * the first of equals (grid order, fewest steps), so the base when
	 * nothing beats it */
	cv->best_set = 0;
	cv->best_pt = 0;
	best = cv_mean(cv, 0, 0, NULL);
	for (s = 0; s < cv->nset; s++) {
		p = cv_best_point(cv, s);
		if (cv_mean(cv, s, p, NULL) > best) {
			best = cv_mean(cv, s, p, NULL);
			cv->best_set = s;
			cv->best_pt = p;
		}
	}
	if (tty)
		fputc('\n', stderr);
	free(sub);
	free(held);
}

static void cv_release(struct cv *cv)
{
	free(cv->set);
	free(cv->pt_step);
	free(cv->fold);
	free(cv->fold_cases);
	free(cv->fold_genes);
	free(cv->res);
}

/* "0.01,0.05": a list of numbers >= 0 */
static double *num_list(const char *name, const char *v, int *n)
{
	double *x = NULL;
	const char *p = v;

	*n = 0;
	for (;;) {
		char *end;
		double d;

		errno = 0;
		d = strtod(p, &end);
		if (end == p || errno || !isfinite(d) || d < 0 || (*end && *end != ','))
			die(RFT_EX_USAGE, "option '--%s' needs numbers >= 0 separated by commas, not '%s'", name, v);
		x = erealloc(x, (size_t)(*n + 1) * sizeof(*x));
		x[(*n)++] = d;
		if (!*end)
			break;
		p = end + 1;
	}
	if (*n > 16)
		die(RFT_EX_USAGE, "option '--%s': at most 16 values", name);
	return x;
}

/* --drop match,absent: the features held at 0 */
static void parse_drop(const char *v)
{
	const char *p = v;

	while (*p) {
		size_t len = strcspn(p, ",");
		int k;

		for (k = 0; k < F; k++)
			if (strlen(rank_feature_name[k]) == len && !strncmp(p, rank_feature_name[k], len))
				break;
		if (k == F)
			die(RFT_EX_USAGE, "--drop: unknown feature '%.*s' (known: match, breadth, absent, exact, "
			    "specific, size, genes, cover)", (int)len, p);
		dropped[k] = 1;
		p += len;
		if (*p == ',')
			p++;
	}
}

/* the grader normalises names with HGNC, as rft-grade does by default */
static void load_hgnc_only(void)
{
	struct strbuf err = STRBUF_INIT;
	char *path = rft_hgnc_path(opt.data.hgnc);

	if (!path) {
		warn("warning: no HGNC file (--hgnc or RFT_HGNC): gene names are compared as "
		     "written, case-insensitively");
	} else {
		if (hgnc_load(&hgnc_only, path, &err) < 0)
			die(access(path, R_OK) == 0 ? RFT_EX_CONFIG : RFT_EX_NOINPUT, "%s", err.buf);
		genv.hgnc = &hgnc_only;
	}
	free(path);
	strbuf_release(&err);
}

static void load_grader(void)
{
	struct strbuf text = STRBUF_INIT;
	struct json_object *o = NULL;
	struct strbuf err = STRBUF_INIT;

	grader = grader_load_file(opt.grader, &genv);
	if (grader_uses_python(grader))
		nthreads = 1;   /* one python worker */
	if (opt.grader) {
		struct rft_input in;

		if (rft_input_open(&in, opt.grader) < 0 || rft_input_slurp(&in, &text, 16u << 20) < 0 ||
		    rft_input_close(&in) < 0 || rft_json_parse(text.buf, text.len, &o, &err) < 0)
			die(RFT_EX_CONFIG, "%s: cannot read the grader again", opt.grader);
		strbuf_reset(&text);
		json_put_value(&text, o);
		json_object_put(o);
		grader_json = strbuf_detach(&text, NULL);
	} else {
		grader_json = estrdup("{\"type\":\"gene_rank\",\"name\":\"gene_rank\",\"max_list\":20,"
				      "\"curve\":\"reciprocal\",\"default\":true}");
	}
	strbuf_release(&err);
	strbuf_release(&text);
}

/* ------------------------------------------------------------- fusion */

/*
 * --fuse: fit rft-fuse's run weights, depth and (rrf) k by search, each
 * setting worth the mean objective of its fused lists as the grader grades
 * them.  The cases are the runs' cases (all runs must have each); the folds
 * are gene-disjoint (make_folds); each fold's setting is fitted on the other
 * folds and scored on it, beside the default setting (weights 1, depth 0,
 * k 60); the spec's setting is then fitted on every case.
 */
struct fsetting {
	double *w;
	size_t depth;
	double k;
};

struct fuse_fit {
	struct fuse_case *cases;
	size_t ncase, nruns;
	char **names, **files;
	enum fuse_rule rule;
	struct set set;             /* items, for make_folds and the grader */
	double *val;                /* by case: the last evaluation */
};

struct fuse_eval_ctx {
	const struct fuse_fit *ff;
	const struct fsetting *st;
	const size_t *idx;
};

static void fuse_eval_one(size_t i, int thread, void *vctx)
{
	const struct fuse_eval_ctx *ctx = vctx;
	const struct fuse_fit *ff = ctx->ff;
	size_t ci = ctx->idx[i], n, j;
	const struct fuse_case *c = &ff->cases[ci];
	struct fuse_list *lists = ecalloc(fuse_case_nlines(c) + 1, sizeof(*lists));
	struct fuse_params p = FUSE_PARAMS_INIT;
	struct fuse_result res = FUSE_RESULT_INIT;
	char **sym;
	long rank = -1;
	double reward;

	(void)thread;
	p.rule = ff->rule;
	p.depth = ctx->st->depth;
	p.k = ctx->st->k;
	n = fuse_case_lists(c, ctx->st->w, lists);
	fuse_rank(&p, lists, n, &res);
	sym = emalloc((res.n + 1) * sizeof(*sym));
	for (j = 0; j < res.n; j++)
		sym[j] = estrndup(res.items[j].symbol, res.items[j].symlen);
	reward = grade_names(ff->set.v[ci].item, (const char *const *)sym, NULL, res.n, &rank);
	ff->val[ci] = objective_value(reward, rank);
	for (j = 0; j < res.n; j++)
		free(sym[j]);
	free(sym);
	fuse_result_release(&res);
	free(lists);
}

/* the mean objective of setting st over the cases idx[0..n) (sum in order) */
static double fuse_eval(const struct fuse_fit *ff, const struct fsetting *st, const size_t *idx, size_t n)
{
	struct fuse_eval_ctx ctx = { ff, st, idx };
	double sum = 0;
	size_t i;

	for (i = 0; i < ff->nruns && !(st->w[i] > 0); i++)
		;
	if (i == ff->nruns)
		return -1;   /* nothing to fuse */
	rft_parallel_for(n, nthreads, fuse_eval_one, &ctx);
	for (i = 0; i < n; i++)
		sum += ff->val[idx[i]];
	return n ? sum / (double)n : 0;
}

static const size_t fuse_depths[] = { 0, 3, 5, 10, 20 };
static const double fuse_ks[] = { 1, 10, 30, 60 };
static const double fuse_weights[] = { 0, 0.25, 0.5, 1, 2, 4 };
#define NELEM(a) (sizeof(a) / sizeof(*(a)))

/* try a change: keep it when it is strictly better, or as good and it
 * lowers the weight of run r (r < 0: none) */
static void fuse_try(const struct fuse_fit *ff, struct fsetting *st, struct fsetting *cand,
		     const size_t *idx, size_t n, double *best, long r)
{
	double v = fuse_eval(ff, cand, idx, n);

	if (v > *best || (r >= 0 && v == *best && cand->w[r] < st->w[r])) {
		*best = v;
		memcpy(st->w, cand->w, ff->nruns * sizeof(*st->w));
		st->depth = cand->depth;
		st->k = cand->k;
	} else {
		memcpy(cand->w, st->w, ff->nruns * sizeof(*st->w));
		cand->depth = st->depth;
		cand->k = st->k;
	}
}

/* coordinate search from the default setting: depth (x k), each weight in
 * turn (two passes), depth (x k) again; on a tie the setting in hand is
 * kept, except that a lower weight wins a tie: a run that changes nothing
 * (a dominated one under ranked pairs) goes to 0 */
static double fuse_search(const struct fuse_fit *ff, const size_t *idx, size_t n, struct fsetting *st)
{
	struct fsetting cand;
	double best;
	size_t r, a, b, pass, round;
	size_t nk = ff->rule == FUSE_RRF ? NELEM(fuse_ks) : 1;

	for (r = 0; r < ff->nruns; r++)
		st->w[r] = 1;
	st->depth = 0;
	st->k = FUSE_RRF_K;
	cand.w = emalloc(ff->nruns * sizeof(*cand.w));
	memcpy(cand.w, st->w, ff->nruns * sizeof(*cand.w));
	cand.depth = st->depth;
	cand.k = st->k;
	best = fuse_eval(ff, st, idx, n);
	for (round = 0; round < 2; round++) {
		for (a = 0; a < NELEM(fuse_depths); a++)
			for (b = 0; b < nk; b++) {
				cand.depth = fuse_depths[a];
				if (ff->rule == FUSE_RRF)
					cand.k = fuse_ks[b];
				fuse_try(ff, st, &cand, idx, n, &best, -1);
			}
		for (pass = 0; round == 0 && pass < 2; pass++)
			for (r = 0; r < ff->nruns; r++)
				for (a = 0; a < NELEM(fuse_weights); a++) {
					cand.w[r] = fuse_weights[a];
					fuse_try(ff, st, &cand, idx, n, &best, (long)r);
				}
	}
	free(cand.w);
	return best;
}

static void put_fsetting(struct strbuf *sb, const struct fuse_fit *ff, const struct fsetting *st)
{
	size_t r;

	strbuf_addf(sb, "\"rule\":\"%s\"", fuse_rule_name(ff->rule));
	if (ff->rule == FUSE_RRF) {
		strbuf_addstr(sb, ",\"k\":");
		json_put_double(sb, st->k);
	}
	strbuf_addf(sb, ",\"depth\":%zu,\"weights\":{", st->depth);
	for (r = 0; r < ff->nruns; r++) {
		json_put_key(sb, ff->names[r], r == 0);
		json_put_double(sb, st->w[r]);
	}
	strbuf_addch(sb, '}');
}

static void fuse_load(struct fuse_fit *ff, char **args, size_t nargs)
{
	struct strmap ids = STRMAP_INIT;
	struct strbuf err = STRBUF_INIT;
	size_t alloc = 0, r, i;
	struct json_object *obj;

	ff->nruns = nargs;
	ff->names = ecalloc(nargs, sizeof(*ff->names));
	ff->files = ecalloc(nargs, sizeof(*ff->files));
	for (r = 0; r < nargs; r++) {
		fuse_run_arg(args[r], &ff->names[r], &ff->files[r]);
		if (!*ff->names[r])
			die(RFT_EX_USAGE, "run '%s' has no name: give it as NAME=FILE", args[r]);
		for (i = 0; i < r; i++)
			if (!strcmp(ff->names[i], ff->names[r]))
				die(RFT_EX_USAGE, "two runs are named '%s': name them NAME=FILE", ff->names[r]);
	}
	for (r = 0; r < nargs; r++) {
		struct rft_records rec;

		rft_records_init(&rec, &ff->files[r], 1);
		while (rft_records_next(&rec, &obj) > 0) {
			const char *id = fuse_line_id(obj);
			int added = 0;
			long x;

			if (!id)
				rft_records_bad(&rec, "no string \"id\": cannot tell which case the line is");
			x = strmap_intern(&ids, id, &added);
			if (added) {
				if (ff->ncase == alloc) {
					alloc = alloc ? 2 * alloc : 256;
					ff->cases = erealloc(ff->cases, alloc * sizeof(*ff->cases));
					ff->set.v = erealloc(ff->set.v, alloc * sizeof(*ff->set.v));
				}
				fuse_case_init(&ff->cases[ff->ncase], id, nargs, obj);
				memset(&ff->set.v[ff->ncase], 0, sizeof(ff->set.v[ff->ncase]));
				ff->set.v[ff->ncase].id = estrdup(id);
				ff->set.v[ff->ncase].item = make_item(obj, NULL);
				ff->ncase++;
			}
			strbuf_reset(&err);
			if (fuse_case_add(&ff->cases[x], r, obj, &err) < 0)
				rft_records_bad(&rec, "%s", err.buf);
			json_object_put(obj);
		}
		rft_records_release(&rec);
	}
	for (i = 0; i < ff->ncase; i++)
		for (r = 0; r < nargs; r++)
			if (!ff->cases[i].runs[r].n)
				die(RFT_EX_DATA, "case '%s' is missing from run '%s' (%s): every run must have every case",
				    ff->cases[i].id, ff->names[r], ff->files[r]);
	ff->set.n = ff->ncase;
	ff->set.path = ff->files[0];
	ff->val = ecalloc(ff->ncase + 1, sizeof(*ff->val));
	strmap_release(&ids);
	strbuf_release(&err);
}

static int fuse_fit_main(char **args, size_t nargs, const char *rule)
{
	struct fuse_fit ff;
	struct fsetting st, def;
	struct strbuf sb = STRBUF_INIT;
	struct rft_output out;
	size_t *all, *sub, *held, ns, nh, i, r, *fgenes;
	int K = opt.folds ? opt.folds : 5, f, *fold;
	double cv_sum = 0, cv_def = 0, fit_all, def_all;

	memset(&ff, 0, sizeof(ff));
	if (fuse_rule_parse(rule, &ff.rule) < 0)
		die(RFT_EX_USAGE, "--fuse-rule must be rrf, borda, score or rankedpairs, not '%s'", rule);
	if (!nargs)
		die(RFT_EX_USAGE, "--fuse needs the runs (files of sample lines) as arguments");
	fuse_load(&ff, args, nargs);
	if (!ff.ncase)
		die(RFT_EX_DATA, "%s: no case to fit on", ff.files[0]);
	st.w = emalloc(nargs * sizeof(*st.w));
	def.w = emalloc(nargs * sizeof(*def.w));
	for (r = 0; r < nargs; r++)
		def.w[r] = 1;
	def.depth = 0;
	def.k = FUSE_RRF_K;
	all = emalloc(ff.ncase * sizeof(*all));
	sub = emalloc(ff.ncase * sizeof(*sub));
	held = emalloc(ff.ncase * sizeof(*held));
	for (i = 0; i < ff.ncase; i++)
		all[i] = i;
	fgenes = ecalloc((size_t)K, sizeof(*fgenes));
	fold = make_folds(&ff.set, K, (uint64_t)(opt.split_seed >= 0 ? opt.split_seed : 0), fgenes);
	strbuf_addstr(&sb, "{");
	strbuf_addstr(&sb, "\"per_fold\":[");
	for (f = 0; f < K; f++) {
		double v, d;

		for (i = ns = nh = 0; i < ff.ncase; i++) {
			if (fold[i] == f)
				held[nh++] = i;
			else
				sub[ns++] = i;
		}
		if (!nh)
			die(RFT_EX_DATA, "%d folds need at least %d groups of genes; the cases have fewer", K, K);
		fit_all = fuse_search(&ff, sub, ns, &st);
		v = fuse_eval(&ff, &st, held, nh);
		d = fuse_eval(&ff, &def, held, nh);
		cv_sum += v;
		cv_def += d;
		strbuf_addf(&sb, "%s{\"cases\":%zu,\"genes\":%zu,\"held_out\":", f ? "," : "", nh, fgenes[f]);
		json_put_double(&sb, v);
		strbuf_addstr(&sb, ",\"default_held_out\":");
		json_put_double(&sb, d);
		strbuf_addstr(&sb, ",\"fitted_on_rest\":");
		json_put_double(&sb, fit_all);
		strbuf_addch(&sb, ',');
		put_fsetting(&sb, &ff, &st);
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, "]");
	fit_all = fuse_search(&ff, all, ff.ncase, &st);
	def_all = fuse_eval(&ff, &def, all, ff.ncase);
	{
		/* the spec: the setting first (rft-fuse --spec reads it), then how it was fitted */
		struct strbuf spec = STRBUF_INIT;

		strbuf_addch(&spec, '{');
		put_fsetting(&spec, &ff, &st);
		strbuf_addf(&spec, ",\"fit\":{\"objective\":\"%s\",\"grader\":%s,\"cases\":%zu,\"folds\":%d,"
			    "\"fold_seed\":%lld,\"runs\":[", objective_name[opt.objective], grader_json, ff.ncase, K,
			    opt.split_seed >= 0 ? opt.split_seed : 0);
		for (r = 0; r < nargs; r++) {
			strbuf_addstr(&spec, r ? ",{\"name\":" : "{\"name\":");
			json_put_str(&spec, ff.names[r]);
			strbuf_addstr(&spec, ",\"file\":");
			json_put_str(&spec, ff.files[r]);
			strbuf_addch(&spec, '}');
		}
		strbuf_addstr(&spec, "],\"all\":");
		json_put_double(&spec, fit_all);
		strbuf_addstr(&spec, ",\"default_all\":");
		json_put_double(&spec, def_all);
		strbuf_addstr(&spec, ",\"cv_held_out\":");
		json_put_double(&spec, cv_sum / K);
		strbuf_addstr(&spec, ",\"cv_default_held_out\":");
		json_put_double(&spec, cv_def / K);
		strbuf_addch(&spec, ',');
		strbuf_add(&spec, sb.buf + 1, sb.len - 1);
		strbuf_addstr(&spec, "}}\n");
		if (rft_output_open(&out, opt.output) < 0)
			return RFT_EX_IOERR;
		rft_output_write(&out, spec.buf, spec.len);
		if (rft_output_commit(&out) < 0)
			return RFT_EX_IOERR;
		strbuf_release(&spec);
	}
	warn("fusion (%s) fitted on %zu cases: %s %.4f (default setting %.4f); held out over %d gene-disjoint folds "
	     "%.4f (default %.4f)", fuse_rule_name(ff.rule), ff.ncase, objective_name[opt.objective], fit_all,
	     def_all, K, cv_sum / K, cv_def / K);
	for (i = 0; i < ff.ncase; i++) {
		fuse_case_release(&ff.cases[i]);
		tcase_release(&ff.set.v[i]);
	}
	for (r = 0; r < nargs; r++) {
		free(ff.names[r]);
		free(ff.files[r]);
	}
	free(ff.cases);
	free(ff.set.v);
	free(ff.names);
	free(ff.files);
	free(ff.val);
	free(st.w);
	free(def.w);
	free(all);
	free(sub);
	free(held);
	free(fgenes);
	free(fold);
	strbuf_release(&sb);
	return RFT_EX_OK;
}

int main(int argc, char **argv)
{
	struct set train, valid;
	struct state st;
	struct evalres base_valid = { 0, 0, 0, 0, 0 }, last = { 0, 0, 0, 0, 0 };
	struct rft_output ev;
	FILE *evfp = NULL;
	int c, t, tty = isatty(STDERR_FILENO), have_valid, lr_set = 0, l2_set = 0;
	long total, step0;
	double t0, t_start;
	struct trainer tr;
	struct cv cv;
	int fuse_mode = 0;
	const char *fuse_rule = NULL;

	rft_init("rft-train");
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case OPT_TRAIN: opt.train = optarg; break;
		case OPT_VALID: opt.valid = optarg; break;
		case 'o': opt.output = optarg; break;
		case 'g': opt.grader = optarg; break;
		case OPT_SEED: opt.seed = rft_opt_count("seed", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_EPOCHS: opt.epochs = (int)rft_opt_count("epochs", optarg, 0, INT_OPT_MAX); break;
		case OPT_BATCH: opt.batch = (int)rft_opt_count("batch", optarg, 1, INT_OPT_MAX); break;
		case OPT_GROUP: opt.group = (int)rft_opt_count("group", optarg, 2, INT_OPT_MAX); break;
		case OPT_POOL: opt.pool = (int)rft_opt_count("pool", optarg, 1, INT_OPT_MAX); break;
		case 'k': opt.k = (int)rft_opt_count("k", optarg, 1, INT_OPT_MAX); break;
		case OPT_LR: opt.lr = rft_opt_num("lr", optarg, 0); lr_set = 1; break;
		case OPT_TEMP: opt.temperature = rft_opt_num("temperature", optarg, 1e-6); break;
		case OPT_L2: opt.l2 = rft_opt_num("l2", optarg, 0); l2_set = 1; break;
		case OPT_FOLDS: opt.folds = (int)rft_opt_count("folds", optarg, 2, 64); break;
		case OPT_GRID_LR: opt.grid_lr = optarg; break;
		case OPT_GRID_L2: opt.grid_l2 = optarg; break;
		case OPT_DROP: opt.drop = optarg; break;
		case OPT_STEPS: opt.steps = rft_opt_count("steps", optarg, 0, 100000000); break;
		case OPT_OBJECTIVE:
			for (t = 0; t < 3 && strcmp(optarg, objective_name[t]); t++)
				;
			if (t == 3)
				die(RFT_EX_USAGE, "--objective must be reward, top1 or mrr, not '%s'", optarg);
			opt.objective = t;
			break;
		case OPT_EVAL: opt.eval_interval = (int)rft_opt_count("eval-interval", optarg, 1, INT_OPT_MAX); break;
		case OPT_EVENTS: opt.events = optarg; break;
		case OPT_CHECKPOINT: opt.checkpoint = optarg; break;
		case OPT_RESUME: opt.resume = optarg; break;
		case OPT_STOP: opt.stop_after = rft_opt_count("stop-after", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_SPLIT_SEED: opt.split_seed = rft_opt_count("split-seed", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_EXPLAIN: opt.explain = optarg; break;
		case OPT_FEATURES: opt.features = 1; break;
		case OPT_DUMP: opt.dump = optarg; break;
		case 'm':
			opt.method = rank_method_arg(optarg);
			break;
		default: rank_data_option(&opt.data, c, optarg); break;
		case 'j': opt.threads = (int)rft_opt_count("threads", optarg, 1, INT_OPT_MAX); break;
		case OPT_FUSE: fuse_mode = 1; break;
		case OPT_FUSE_RULE: fuse_rule = optarg; break;
		}
	}
	if (opt.explain)
		return rft_finish(explain_model(opt.explain));
	if (fuse_mode) {
		if (opt.train || opt.valid || opt.steps >= 0 || opt.checkpoint || opt.resume)
			die(RFT_EX_USAGE, "--fuse takes the runs as arguments; not --train, --valid, --steps, --checkpoint, --resume");
		nthreads = rft_threads(opt.threads);
		if (nthreads > MAX_THREADS)
			nthreads = MAX_THREADS;
		load_grader();
		load_hgnc_only();
		t = fuse_fit_main(argv + optind, (size_t)(argc - optind), fuse_rule ? fuse_rule : "rrf");
		grader_free(grader);
		free(grader_json);
		if (genv.hgnc)
			hgnc_release(&hgnc_only);
		rft_json_thread_done();
		return rft_finish(t);
	}
	if (!opt.train)
		die(RFT_EX_USAGE, "--train FILE is required (see --help)");
	if (optind < argc)
		die(RFT_EX_USAGE, "unexpected argument '%s': name inputs with --train and --valid", argv[optind]);
	if (opt.stop_after > 0 && !opt.checkpoint)
		die(RFT_EX_USAGE, "--stop-after needs --checkpoint (the state to resume from)");
	if (opt.folds && (opt.checkpoint || opt.resume || opt.steps >= 0))
		die(RFT_EX_USAGE, "--folds cannot be combined with --checkpoint, --resume or --steps");
	if (!opt.folds && (opt.grid_lr || opt.grid_l2))
		die(RFT_EX_USAGE, "--grid-lr and --grid-l2 need --folds (the grid is chosen by cross-validation)");
	memset(&cv, 0, sizeof(cv));
	if (opt.folds) {
		/* the grid: --grid-lr x --grid-l2; an axis not given is --lr / --l2
		 * when that is, else the default grid's */
		static const double def_lr[] = { 0.02, 0.05 }, def_l2[] = { 0, 0.3, 3 };
		double *lrs, *l2s;
		int nlr, nl2, a, b;

		if (opt.grid_lr) {
			lrs = num_list("grid-lr", opt.grid_lr, &nlr);
		} else {
			nlr = lr_set ? 1 : 2;
			lrs = emalloc((size_t)nlr * sizeof(*lrs));
			memcpy(lrs, lr_set ? &opt.lr : def_lr, (size_t)nlr * sizeof(*lrs));
		}
		if (opt.grid_l2) {
			l2s = num_list("grid-l2", opt.grid_l2, &nl2);
		} else {
			nl2 = l2_set ? 1 : 3;
			l2s = emalloc((size_t)nl2 * sizeof(*l2s));
			memcpy(l2s, l2_set ? &opt.l2 : def_l2, (size_t)nl2 * sizeof(*l2s));
		}
		cv.K = opt.folds;
		cv.nset = nlr * nl2;
		cv.set = emalloc((size_t)cv.nset * sizeof(*cv.set));
		for (a = 0; a < nlr; a++)
			for (b = 0; b < nl2; b++) {
				cv.set[a * nl2 + b].lr = lrs[a];
				cv.set[a * nl2 + b].l2 = l2s[b];
			}
		free(lrs);
		free(l2s);
	}
	if (opt.drop)
		parse_drop(opt.drop);
	for (t = 0; t < F; t++)
		wbase[t] = dropped[t] ? 0 : rank_base_weights[t];
	nthreads = rft_threads(opt.threads);
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	load_grader();
	t_start = now_s();

	/* data: the ranker's tables, or given features */
	if (!opt.features) {
		rank_model_load(&rm, &opt.data, opt.method, nthreads);
		have_model = 1;
		genv.hgnc = &rm.hgnc;
		for (t = 0; t < nthreads; t++)
			rank_scratch_init(&scr[t], &rm);
	} else {
		load_hgnc_only();
	}
	memset(&train, 0, sizeof(train));
	memset(&valid, 0, sizeof(valid));
	load_set(&train, opt.train);
	if (opt.dump) {
		dump_pools(&train, opt.dump);
		goto out;
	}
	have_valid = opt.valid != NULL;
	if (have_valid)
		load_set(&valid, opt.valid);
	if (!train.n)
		die(RFT_EX_DATA, "%s: no training cases", opt.train);

	if (opt.events) {
		if (rft_output_open(&ev, opt.events) < 0)
			return rft_finish(RFT_EX_IOERR);
		evfp = ev.fp;
	} else if (!tty) {
		evfp = stderr;
	}
	total = opt.steps >= 0 ? (long)opt.steps : steps_per_epoch(train.n) * opt.epochs;
	if (opt.folds) {
		/* selection: cross-validation over gene-disjoint folds of --train;
		 * --valid is not read until the model is chosen */
		run_cv(&cv, &train, total, evfp, tty);
		opt.lr = cv.set[cv.best_set].lr;
		opt.l2 = cv.set[cv.best_set].l2;
		total = cv.pt_step[cv.best_pt];
		opt.steps = total;
	}

	/* state */
	state_start(&st);
	if (have_valid) {
		base_valid = evaluate(&valid, wbase);
		if (!opt.resume && !opt.folds) {
			st.best = base_valid;
			st.best_step = 0;
		}
	}
	if (opt.resume)
		read_checkpoint(&st, train.n, valid.n);

	trainer_init(&tr, &train, NULL, train.n, opt.lr, opt.l2);
	t0 = now_s();
	step0 = st.step;
	while (st.step < total) {
		long epoch = st.step / steps_per_epoch(train.n);
		double ts = now_s(), mean;
		int used = 0, evald = 0;
		size_t nb = train_step(&tr, &st, &mean, &used);

		/* the validation curve: with --folds only reported, else the best
		 * point is the model */
		if (have_valid && (st.step % opt.eval_interval == 0 || st.step == total)) {
			last = evaluate(&valid, st.w);
			evald = 1;
			if (!opt.folds && last.reward > st.best.reward) {
				st.best = last;
				st.best_step = st.step;
				memcpy(st.best_w, st.w, sizeof(st.w));
			}
		}
		if (opt.checkpoint && (evald || st.step == total || st.step == opt.stop_after ||
				       (!have_valid && st.step % opt.eval_interval == 0)))
			write_checkpoint(&st, train.n, valid.n);
		if (evfp) {
			struct strbuf sb = STRBUF_INIT;

			strbuf_addf(&sb, "{\"object\":\"fine_tuning.job.event\",\"type\":\"metrics\","
				    "\"level\":\"info\",\"created_at\":%lld,\"message\":\"Step %ld/%ld\","
				    "\"data\":{\"step\":%ld,\"total_steps\":%ld,\"epoch\":%ld,"
				    "\"train_reward_mean\":", (long long)time(NULL), st.step, total, st.step,
				    total, epoch + 1);
			json_put_fixed(&sb, mean, 6);
			strbuf_addf(&sb, ",\"train_cases\":%zu,\"train_cases_learning\":%d", nb, used);
			if (evald) {
				strbuf_addstr(&sb, ",\"valid_reward_mean\":");
				json_put_fixed(&sb, last.reward, 6);
				strbuf_addstr(&sb, ",\"valid_top1\":");
				json_put_fixed(&sb, last.top1, 6);
				strbuf_addstr(&sb, ",\"valid_top5\":");
				json_put_fixed(&sb, last.top5, 6);
				strbuf_addstr(&sb, ",\"valid_topmax\":");
				json_put_fixed(&sb, last.topmax, 6);
			} else {
				strbuf_addstr(&sb, ",\"valid_reward_mean\":null,\"valid_top1\":null");
			}
			strbuf_addstr(&sb, ",\"weights\":");
			rank_weights_put(&sb, st.w);
			strbuf_addf(&sb, ",\"step_time_ms\":%.1f,\"elapsed_s\":%.3f}}\n", (now_s() - ts) * 1e3,
				    now_s() - t_start);
			if (fwrite(sb.buf, 1, sb.len, evfp) != sb.len)
				die(RFT_EX_IOERR, "writing events:");
			fflush(evfp);
			strbuf_release(&sb);
		}
		if (tty)
			fprintf(stderr, "\rrft-train: step %ld/%ld  train %s %.3f  valid reward %.3f "
				"top1 %.1f%% (best %.3f at %ld)  %.1f steps/s ", st.step, total,
				objective_name[opt.objective], mean, last.reward, 100 * last.top1, st.best.reward,
				st.best_step, (double)(st.step - step0) / (now_s() - t0 + 1e-9));
		if (opt.stop_after > 0 && st.step == opt.stop_after)
			break;
	}
	trainer_release(&tr);
	if (tty)
		fputc('\n', stderr);
	if (!(opt.stop_after > 0 && st.step == opt.stop_after && st.step < total)) {
		const double *w = have_valid && !opt.folds ? st.best_w : st.w;
		struct evalres tuned = last;

		/* the figures recorded: every gene ranked, as rft-rank --model does */
		if (have_valid) {
			base_valid = evaluate_full(&valid, wbase);
			tuned = evaluate_full(&valid, w);
		}

		if (!have_valid || opt.folds)
			st.best_step = st.step;
		write_model(&st, w, &train, have_valid ? &valid : NULL, &base_valid, &tuned, total,
			    opt.folds ? &cv : NULL);
		if (tty)
			warn("%ld steps in %.1f s (%.1f steps/s); %zu train cases (%llu with the reference in "
			     "the pool)%s", total - step0, now_s() - t0, (double)(total - step0) / (now_s() - t0 + 1e-9), train.n,
			     train.hits, have_valid ? "" : "; no --valid: the last weights are the model");
	}
	if (opt.events && rft_output_commit(&ev) < 0)
		return rft_finish(RFT_EX_IOERR);
	cv_release(&cv);
	set_release(&valid);
out:
	set_release(&train);
	if (have_model) {
		for (t = 0; t < nthreads; t++)
			rank_scratch_release(&scr[t]);
		rank_model_release(&rm);
	} else if (genv.hgnc) {
		hgnc_release(&hgnc_only);
	}
	grader_free(grader);
	free(grader_json);
	return rft_finish(RFT_EX_OK);
}
