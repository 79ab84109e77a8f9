/*
 * rft-rank - case lines in, sample lines out: a built-in phenotype-driven
 * gene ranker, the model the demo runs when no endpoint is set.
 *
 * The model (man/rft-rank.1 has the user's view):
 *   IC(t)      = ln(N / n(t)), n(t) the diseases whose annotation profile,
 *                propagated to ancestors, holds t; N the diseases annotated.
 *   best(q, u) = IC of the most informative ancestor of query term q (q
 *                itself included) held in unit u's propagated profile
 *                (Resnik best match; no pairwise matrix).
 *   raw(u)     = sum over present terms q of best(q, u)
 *              + W * sum over absent terms e held in u's profile of IC(e)
 *   score(u)   = raw(u) - B * |Q| * mu(u), mu(u) the mean best(t, u) over
 *                a reference query: every direct disease annotation of the
 *                release (the "breadth" correction: broadly annotated units
 *                match anything).
 *   gene       = max over its units.  Units are diseases (--method disease)
 *                or genes with their diseases' profiles merged (--method gene).
 *   Ties: higher score first, then lower HGNC number, then symbol.
 *
 * With --model FILE (written by rft-train) the unit score is instead w . phi,
 * the learned weights over the features of common/rankmodel.h; without it
 * the formula above is computed as it always was (byte-identical output).
 *
 * Structure: the model is common/rankmodel (tables shared with rft-train,
 * so both compute the same features and scores).  The main
 * thread reads cases in batches; worker threads score a batch's cases, each
 * into its own slot; the main thread writes the slots in input order, so the
 * output does not depend on -j.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/case.h"
#include "common/datafile.h"
#include "common/hgnc.h"
#include "common/hpo.h"
#include "common/input.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/progress.h"
#include "common/rankmodel.h"
#include "common/sha256.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/util.h"

#define BATCH 256
#define MAX_THREADS 64
#define INT_OPT_MAX 100000   /* the bound of the whole-number options */


static struct {
	const char *output, *rejects, *model;
	struct rank_data_opts data;
	int method, k, explain, threads, stats, method_set;
	double absent_weight, breadth;
	long long skip_bad;
} opt = {
	NULL, NULL, NULL, { NULL, NULL, NULL, { NULL }, 0 },
	RANK_DISEASE, 20, 5, 0, 0, 0,
	0.25, 0.75, -1   /* absent weight and breadth: chosen on a train split, see bench-rank */
};

static struct rank_model rm;
static char *params_json;
static char *model_label;           /* "rft-rank/disease", or "rft-rank/disease+tuned" (--model tuned.json) */
static struct rank_weights model;   /* --model */

/* ------------------------------------------------------------------ cases */

struct item {
	struct json_object *obj;
	struct strbuf line;      /* the case line; becomes the sample line */
	struct strbuf ref;       /* the reference object */
	struct rank_case c;      /* its terms */
};

static struct item items[BATCH];
static size_t nitems;

static struct {
	unsigned long long cases, ranked, errors;
} count;
static struct rft_progress pg = RFT_PROGRESS_INIT;   /* cases so far: terminal, rft-run */
static struct rank_term_counts tc;


/* Read one case into an item; 0 if it was bad (skipped). */
static int take_case(struct rft_records *r, struct item *it)
{
	struct strbuf err = STRBUF_INIT;

	strbuf_reset(&it->line);
	strbuf_add(&it->line, r->line.buf, r->line.len);
	strbuf_reset(&it->ref);
	if (rft_case_reference(it->obj, &it->ref, &err) < 0 ||
	    rank_case_terms(&rm, it->obj, &it->c, &tc, &err) < 0) {
		rft_records_bad(r, "%s", err.buf);
		strbuf_release(&err);
		return 0;
	}
	strbuf_release(&err);
	return 1;
}

/* one contribution to a gene's score, for the explanation */
struct contrib {
	uint32_t q, a;
	double v;
	int absent;
};

static int cmp_contrib(const void *a, const void *b)
{
	const struct contrib *x = a, *y = b;

	if (x->v != y->v)
		return fabs(x->v) > fabs(y->v) ? -1 : 1;
	return x->q < y->q ? -1 : x->q > y->q;
}

static void put_term_name(struct strbuf *sb, uint32_t t)
{
	strbuf_addf(sb, "%s (%s)", rm.onto.label[t], hpo_id(&rm.onto, t));
}

/*
 * What makes up gene g's score through its unit u: each present term's best
 * match and each absent term u is annotated with, largest first, in c
 * (malloc'd, the caller frees); returns how many.
 */
static size_t contributions(const struct item *it, uint32_t u, struct contrib **out)
{
	struct contrib *c = emalloc((it->c.present.n + it->c.absent.n + 1) * sizeof(*c));
	size_t n = 0, i;
	/* what one absent term adds: W x IC, or the model's share w x IC / |Q| */
	double absent_w = opt.model ? model.w[RF_ABSENT] / (double)it->c.present.n : opt.absent_weight;

	for (i = 0; i < it->c.present.n; i++) {
		uint32_t q = it->c.present.v[i];
		const uint32_t *a = hpo_row(&rm.anc_ic, q);
		uint32_t na = hpo_row_len(&rm.anc_ic, q), j;

		for (j = 0; j < na; j++)
			if (rank_row_has(&rm.unit_prof, u, a[j])) {
				c[n].q = q;
				c[n].a = a[j];
				c[n].v = rm.ic[a[j]];
				c[n++].absent = 0;
				break;
			}
	}
	for (i = 0; i < it->c.absent.n; i++) {
		uint32_t e = it->c.absent.v[i];

		if (absent_w != 0 && rm.ic[e] > 0 && rank_row_has(&rm.unit_prof, u, e)) {
			c[n].q = c[n].a = e;
			c[n].v = absent_w * rm.ic[e];
			c[n++].absent = 1;
		}
	}
	if (n)
		qsort(c, n, sizeof(*c), cmp_contrib);
	*out = c;
	return n;
}

/*
 * ,"matched":[{"id","label","as"?,"as_label"?,"ic"}],"absent":[{"id","label","ic","score"}]
 * of a ranking entry: the terms its explanation names (the first --explain
 * contributions, both kinds together, largest first), as data.
 */
static void put_terms(struct strbuf *sb, const struct item *it, uint32_t u)
{
	struct contrib *c;
	size_t n = contributions(it, u, &c), i, shown = n < (size_t)opt.explain ? n : (size_t)opt.explain;
	int kind, k;

	for (kind = 0; kind < 2; kind++) {
		strbuf_addstr(sb, kind ? ",\"absent\":[" : ",\"matched\":[");
		for (i = k = 0; i < shown; i++) {
			if (c[i].absent != kind)
				continue;
			strbuf_addstr(sb, k++ ? ",{\"id\":" : "{\"id\":");
			json_put_str(sb, hpo_id(&rm.onto, c[i].q));
			strbuf_addstr(sb, ",\"label\":");
			json_put_str(sb, rm.onto.label[c[i].q]);
			if (c[i].a != c[i].q) {
				strbuf_addstr(sb, ",\"as\":");
				json_put_str(sb, hpo_id(&rm.onto, c[i].a));
				strbuf_addstr(sb, ",\"as_label\":");
				json_put_str(sb, rm.onto.label[c[i].a]);
			}
			strbuf_addstr(sb, ",\"ic\":");
			json_put_fixed(sb, rm.ic[c[i].a], 4);
			if (kind) {
				strbuf_addstr(sb, ",\"score\":");
				json_put_fixed(sb, c[i].v, 4);
			}
			strbuf_addch(sb, '}');
		}
		strbuf_addch(sb, ']');
	}
	free(c);
}

/* Explain gene g's score through its unit u. */
static void explain(struct strbuf *sb, const struct item *it, const struct rank_scratch *s,
		    uint32_t g, uint32_t u, double score, int rank)
{
	struct contrib *c;
	size_t n = contributions(it, u, &c), i, shown;
	double other = 0;

	strbuf_addf(sb, "%d. %s %.2f", rank, rm.gene_sym[g], score);
	if (opt.method == RANK_DISEASE) {
		uint32_t d = rm.unit_src[u];

		strbuf_addf(sb, " via %s", strmap_key(&rm.ann.disease, d));
		if (rm.ann.disease_name[d][0])
			strbuf_addf(sb, " %s", rm.ann.disease_name[d]);
	}
	strbuf_addstr(sb, ":");
	for (i = shown = 0; i < n; i++) {
		if (shown == (size_t)opt.explain) {
			other += c[i].v;
			continue;
		}
		strbuf_addstr(sb, shown++ ? "; " : " ");
		if (c[i].absent) {
			strbuf_addstr(sb, "absent ");
			put_term_name(sb, c[i].q);
			strbuf_addf(sb, " %+.2f", c[i].v);
			continue;
		}
		put_term_name(sb, c[i].q);
		if (c[i].a != c[i].q) {
			strbuf_addstr(sb, " as ");
			put_term_name(sb, c[i].a);
		}
		strbuf_addf(sb, " %.2f", c[i].v);
	}
	if (n > shown)
		strbuf_addf(sb, "; %zu more %+.2f", n - shown, other);
	if (opt.model) {
		/* the score itself: each feature's share, w_k x phi_k */
		const double *f = s->feat + (size_t)u * RANK_NFEAT;
		int k;

		strbuf_addstr(sb, "; model");
		for (k = 0; k < RANK_NFEAT; k++)
			if (model.w[k] * f[k] != 0)
				strbuf_addf(sb, " %s %+.2f", rank_feature_name[k], model.w[k] * f[k]);
	} else if (opt.breadth != 0) {
		strbuf_addf(sb, "; breadth %+.2f", -opt.breadth * (double)it->c.present.n * rm.mu[u]);
	}
	free(c);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void rank_item(struct item *it, struct rank_scratch *s)
{
	double t0 = now_ms(), sub;
	uint32_t *top = emalloc(((size_t)opt.k + 1) * sizeof(*top));
	uint32_t *topu = emalloc(((size_t)opt.k + 1) * sizeof(*topu));
	size_t ntop = 0, i, j;
	struct strbuf sample = STRBUF_INIT, oj = STRBUF_INIT, ex = STRBUF_INIT;

	if (it->c.error) {
		strbuf_addstr(&sample, "{\"code\":\"no_known_terms\",\"message\":");
		json_put_str(&sample, it->c.errmsg.buf);
		strbuf_addf(&sample, ",\"model\":%s,\"terms\":%s,\"params\":%s,\"data\":%s}",
			    model_label, it->c.terms.buf, params_json, rm.data_json);
		rft_record_set(&it->line, it->obj, "reference", it->ref.buf);
		rft_record_put(&it->line, it->obj, "error", sample.buf);
		goto done;
	}
	if (opt.model) {
		/* the learned policy: w . phi over the shared features */
		rank_features(&rm, s, &it->c, s->feat);
		for (i = 0; i < rm.nunits; i++)
			s->raw[i] = rank_dot(model.w, s->feat + i * RANK_NFEAT);
		goto scored;
	}
	memset(s->raw, 0, rm.nunits * sizeof(*s->raw));
	for (i = 0; i < it->c.present.n; i++)
		rank_add_best(&rm, s, it->c.present.v[i], 1.0);
	if (opt.absent_weight != 0)
		for (i = 0; i < it->c.absent.n; i++) {
			uint32_t e = it->c.absent.v[i];
			const uint32_t *p = hpo_row(&rm.post, e);
			uint32_t np = hpo_row_len(&rm.post, e);
			double v = opt.absent_weight * rm.ic[e];

			for (j = 0; j < np; j++)
				s->raw[p[j]] += v;
		}
	sub = opt.breadth * (double)it->c.present.n;
	for (i = 0; i < rm.nunits; i++)
		s->raw[i] -= sub * rm.mu[i];
scored:
	/* top k genes: score desc, then tie rank asc (insertion into a short list) */
	for (i = 0; i < rm.ngenes; i++) {
		const uint32_t *u = hpo_row(&rm.gene_units, i);
		uint32_t nu = hpo_row_len(&rm.gene_units, i), bu;
		double best;
		size_t pos;

		if (!nu)
			continue;
		best = s->raw[u[0]];
		bu = u[0];
		for (j = 1; j < nu; j++)
			if (s->raw[u[j]] > best) {
				best = s->raw[u[j]];
				bu = u[j];
			}
		s->gscore[i] = best;
		if (ntop == (size_t)opt.k) {
			uint32_t w = top[ntop - 1];

			if (best < s->gscore[w] || (best == s->gscore[w] && rm.gene_tie[i] > rm.gene_tie[w]))
				continue;
			ntop--;
		}
		pos = ntop;
		while (pos > 0 && (best > s->gscore[top[pos - 1]] ||
				   (best == s->gscore[top[pos - 1]] && rm.gene_tie[i] < rm.gene_tie[top[pos - 1]]))) {
			top[pos] = top[pos - 1];
			topu[pos] = topu[pos - 1];
			pos--;
		}
		top[pos] = (uint32_t)i;
		topu[pos] = bu;
		ntop++;
	}
	/* output_json */
	strbuf_addstr(&oj, "{\"genes\":[");
	for (i = 0; i < ntop; i++) {
		if (i)
			strbuf_addch(&oj, ',');
		json_put_str(&oj, rm.gene_sym[top[i]]);
	}
	strbuf_addstr(&oj, "],\"explanation\":");
	for (i = 0; i < ntop; i++) {
		if (i)
			strbuf_addch(&ex, '\n');
		explain(&ex, it, s, top[i], topu[i], s->gscore[top[i]], (int)i + 1);
	}
	json_put_str(&oj, ex.buf);
	strbuf_addch(&oj, '}');

	strbuf_addf(&sample, "{\"model\":%s,\"output_json\":%s,\"output_text\":",
		    model_label, oj.buf);
	json_put_str(&sample, oj.buf);
	strbuf_addstr(&sample, ",\"finish_reason\":\"stop\","
		      "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0},");
	strbuf_addf(&sample, "\"latency_ms\":%.0f,\"attempts\":1,\"cached\":false,\"ranking\":[",
		    now_ms() - t0);
	for (i = 0; i < ntop; i++) {
		strbuf_addstr(&sample, i ? ",{\"symbol\":" : "{\"symbol\":");
		json_put_str(&sample, rm.gene_sym[top[i]]);
		strbuf_addstr(&sample, ",\"hgnc\":");
		json_put_str_or_null(&sample, rm.gene_hgnc[top[i]]);
		strbuf_addstr(&sample, ",\"score\":");
		json_put_fixed(&sample, s->gscore[top[i]], 4);
		strbuf_addstr(&sample, ",\"via\":");
		if (opt.method == RANK_DISEASE) {
			const char *label = rm.ann.disease_name[rm.unit_src[topu[i]]];

			json_put_str(&sample, strmap_key(&rm.ann.disease, rm.unit_src[topu[i]]));
			strbuf_addstr(&sample, ",\"via_label\":");
			json_put_str_or_null(&sample, *label ? label : NULL);
		} else {
			strbuf_addstr(&sample, "null,\"via_label\":null");
		}
		put_terms(&sample, it, topu[i]);
		strbuf_addch(&sample, '}');
	}
	strbuf_addf(&sample, "],\"terms\":%s,\"params\":%s,\"data\":%s}", it->c.terms.buf,
		    params_json, rm.data_json);
	rft_record_set(&it->line, it->obj, "reference", it->ref.buf);
	rft_record_put(&it->line, it->obj, "sample", sample.buf);
done:
	strbuf_addch(&it->line, '\n');
	free(top);
	free(topu);
	strbuf_release(&sample);
	strbuf_release(&oj);
	strbuf_release(&ex);
}

/* ------------------------------------------------------------- threading */

static struct rank_scratch scr[MAX_THREADS];   /* one a thread */

static void work(size_t i, int thread, void *ctx)
{
	(void)ctx;
	rank_item(&items[i], &scr[thread]);
}

/* rank the batch on the threads, then write it in input order */
static void run_batch(struct rft_output *out)
{
	size_t i;

	rft_parallel_for(nitems, opt.threads, work, NULL);
	for (i = 0; i < nitems; i++) {
		rft_output_write(out, items[i].line.buf, items[i].line.len);
		json_object_put(items[i].obj);
		items[i].obj = NULL;
	}
	nitems = 0;
}

/* ------------------------------------------------------------------ main */

enum {
	OPT_REJECTS = 256, OPT_SKIP_BAD, OPT_STATS, OPT_ABSENT_WEIGHT, OPT_BREADTH, OPT_EXPLAIN, OPT_MODEL
};

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write the samples to FILE (atomically; default stdout)" },
	{ 'm', "method", RFT_ARG_REQ, "disease|gene", "score each disease and keep a gene's best (default), or merge a gene's diseases into one profile" },
	{ 'k', "k", RFT_ARG_REQ, "N", "list the top N genes (default 20)" },
	{ OPT_ABSENT_WEIGHT, "absent-weight", RFT_ARG_REQ, "W", "add W x IC(e) for each absent term e a unit is annotated with (default 0.25; negative penalises)" },
	{ OPT_BREADTH, "breadth", RFT_ARG_REQ, "B", "subtract B x (present terms) x the unit's mean match to random terms (default 0.75)" },
	{ OPT_MODEL, "model", RFT_ARG_REQ, "FILE", "score with the weights of a model file written by rft-train (instead of --absent-weight and --breadth)" },
	{ OPT_EXPLAIN, "explain", RFT_ARG_REQ, "N", "name up to N matched terms per listed gene (default 5)" },
	RANK_DATA_OPTIONS,
	{ 'j', "threads", RFT_ARG_REQ, "N", "worker threads (default: the CPUs, at most 8)" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write skipped bad records to FILE" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (count, reject) up to N bad records instead of stopping" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print a summary on stderr" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-rank", "[OPTION]... [FILE]...",
	"Rank candidate genes for each case line by phenotype similarity (HPO, Resnik best match)\n"
	"and write sample lines, as a model would.  With no FILE, or '-', read stdin.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data, 66 input or data file missing,\n"
	"78 a data file of the wrong kind or layout.  See rft-rank(1).\n"
};

/* the "params" object every sample line carries */
static char *params(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "{\"method\":\"%s\",\"k\":%d,", rank_method_name[opt.method], opt.k);
	if (opt.model) {
		strbuf_addstr(&sb, "\"model\":");
		json_put_str(&sb, model.name);
		strbuf_addstr(&sb, ",\"weights\":");
		rank_weights_put(&sb, model.w);
	} else {
		strbuf_addstr(&sb, "\"absent_weight\":");
		json_put_fixed(&sb, opt.absent_weight, 6);
		strbuf_addstr(&sb, ",\"breadth\":");
		json_put_fixed(&sb, opt.breadth, 6);
	}
	strbuf_addf(&sb, ",\"explain\":%d}", opt.explain);
	return strbuf_detach(&sb, NULL);
}

/* the first 12 hex digits of the sha256 of a file's bytes */
static void file_sha12(const char *path, struct strbuf *sb)
{
	struct rft_input in;
	struct strbuf text = STRBUF_INIT;
	char hex[65];

	if (rft_input_open(&in, path) < 0)
		die(RFT_EX_NOINPUT, "cannot reopen the model file '%s'", path);
	if (rft_input_slurp(&in, &text, 16u << 20) < 0 || rft_input_close(&in) < 0)
		die(RFT_EX_IOERR, "cannot read the model file '%s' again", path);
	rft_sha256_hex(text.buf, text.len, hex);
	strbuf_add(sb, hex, 12);
	strbuf_release(&text);
}

/*
 * Every setting that changes the ranking, when not the default, goes into
 * the model name, so that two differently configured rankers never share a
 * name (rft-report groups runs by it): ";k=N", ";absent_weight=X",
 * ";breadth=X" and "@SHA" (the first 12 hex digits of the sha256 of the
 * model file's bytes).  The data files are not named: their versions are in
 * every sample's "data".  The defaults give "rft-rank/disease".
 */
static void name_params(struct strbuf *name)
{
	if (opt.model) {
		strbuf_addch(name, '@');
		file_sha12(opt.model, name);
	}
	if (opt.k != 20)
		strbuf_addf(name, ";k=%d", opt.k);
	/* the shortest text that reads back as the value (0.3, not 0.29999999999999999) */
	if (!opt.model && opt.absent_weight != 0.25) {
		strbuf_addstr(name, ";absent_weight=");
		json_put_double(name, opt.absent_weight);
	}
	if (!opt.model && opt.breadth != 0.75) {
		strbuf_addstr(name, ";breadth=");
		json_put_double(name, opt.breadth);
	}
}

static void summary(void)
{
	size_t i;
	int nd = 0;

	for (i = 0; i < rm.ann.disease.n; i++)
		nd += hpo_row_len(&rm.ann.dis_terms, i) > 0;
	warn("%llu cases read, %llu ranked, %llu errors (no_known_terms %llu); terms: %llu present, "
	     "%llu absent, %llu alt ids and %llu obsolete ids mapped, %llu unknown, %llu obsolete "
	     "without replacement, %llu absent also present; %llu present and %llu absent terms used",
	     count.cases, count.ranked, count.errors, count.errors, tc.present, tc.absent,
	     tc.alt, tc.replaced, tc.unknown, tc.obsolete, tc.contradictory,
	     tc.used_present, tc.used_absent);
	warn("model: %s, %zu units, %zu genes (%zu without HGNC id); HPO %s (%zu terms, %zu alt ids, "
	     "%zu obsolete); %d annotated diseases", rank_method_name[opt.method], rm.nunits, rm.ngenes,
	     rm.ngenes_nohgnc, rm.onto.version ? rm.onto.version : "?", rm.onto.n, rm.onto.nalt, rm.onto.nobsolete, nd);
	for (i = 0; i < (size_t)rm.ann.nfiles; i++)
		warn("%s: version %s, %llu rows (%llu NOT, %llu skipped: not phenotype, %llu unknown "
		     "terms, %llu alt/obsolete mapped)", rm.ann.files[i].path,
		     rm.ann.files[i].version ? rm.ann.files[i].version : "?", rm.ann.files[i].rows,
		     rm.ann.files[i].not_rows, rm.ann.files[i].skipped_rows, rm.ann.files[i].unknown_rows,
		     rm.ann.files[i].mapped_rows);
}

int main(int argc, char **argv)
{
	struct rft_records r;
	struct rft_output out;
	int c, t;
	struct json_object *obj;
	size_t i;

	rft_init("rft-rank");
	rft_data_argv0(argv[0]);
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.output = optarg; break;
		case 'm':
			opt.method = rank_method_arg(optarg);
			opt.method_set = 1;
			break;
		case OPT_MODEL: opt.model = optarg; break;
		case 'k': opt.k = (int)rft_opt_count("k", optarg, 1, INT_OPT_MAX); break;
		case OPT_ABSENT_WEIGHT: opt.absent_weight = rft_opt_num("absent-weight", optarg, -INFINITY); break;
		case OPT_BREADTH: opt.breadth = rft_opt_num("breadth", optarg, -INFINITY); break;
		case OPT_EXPLAIN: opt.explain = (int)rft_opt_count("explain", optarg, 0, INT_OPT_MAX); break;
		default: rank_data_option(&opt.data, c, optarg); break;
		case 'j': opt.threads = (int)rft_opt_count("threads", optarg, 1, INT_OPT_MAX); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_STATS: opt.stats = 1; break;
		}
	}
	opt.threads = rft_threads(opt.threads);
	if (opt.threads > MAX_THREADS)
		opt.threads = MAX_THREADS;

	if (opt.model) {
		int rc = rank_weights_load(&model, opt.model);

		if (rc)
			return rft_finish(rc);
		if (opt.method_set && opt.method != model.method)
			die(RFT_EX_USAGE, "--method %s, but the model '%s' was trained with --method %s",
			    rank_method_name[opt.method], opt.model, rank_method_name[model.method]);
		opt.method = model.method;
	}
	rft_progress_put(&pg, "loading the HPO and annotation data");
	rank_model_load(&rm, &opt.data, opt.method, opt.threads);
	params_json = params();
	{
		struct strbuf sb = STRBUF_INIT, name = STRBUF_INIT;
		const char *b;

		strbuf_addf(&name, "rft-rank/%s", rank_method_name[opt.method]);
		if (opt.model) {
			b = strrchr(opt.model, '/') ? strrchr(opt.model, '/') + 1 : opt.model;
			strbuf_addch(&name, '+');
			strbuf_addstr(&name, b);
			if (name.len > 5 && !strcmp(name.buf + name.len - 5, ".json"))
				strbuf_setlen(&name, name.len - 5);
		}
		name_params(&name);
		json_put_str(&sb, name.buf);
		model_label = strbuf_detach(&sb, NULL);
		strbuf_release(&name);
	}
	for (t = 0; t < opt.threads; t++)
		rank_scratch_init(&scr[t], &rm);

	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	setvbuf(out.fp, NULL, _IOFBF, 1 << 16);
	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&r, opt.rejects) < 0)
		return rft_finish(RFT_EX_IOERR);
	while (rft_records_next(&r, &obj) > 0) {
		struct item *it = &items[nitems];

		it->obj = obj;
		if (!take_case(&r, it)) {
			json_object_put(obj);
			it->obj = NULL;
			continue;
		}
		count.cases++;
		if (it->c.error)
			count.errors++;
		else
			count.ranked++;
		if (++nitems == BATCH) {
			run_batch(&out);
			rft_progress_put(&pg, "%llu cases ranked", count.cases);
		}
	}
	if (nitems)
		run_batch(&out);
	rft_progress_put(&pg, "%llu cases ranked", count.cases);
	rft_progress_end(&pg);
	rft_records_release(&r);

	if (opt.stats || isatty(STDERR_FILENO))
		summary();
	for (i = 0; i < BATCH; i++) {
		strbuf_release(&items[i].line);
		strbuf_release(&items[i].ref);
		rank_case_release(&items[i].c);
	}
	for (t = 0; t < opt.threads; t++)
		rank_scratch_release(&scr[t]);
	rank_model_release(&rm);
	rank_weights_release(&model);
	free(params_json);
	free(model_label);
	if (rft_records_commit_rejects(&r) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	return rft_finish(RFT_EX_OK);
}
