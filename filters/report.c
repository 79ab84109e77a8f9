/*
 * rft-report - graded samples -> Top-k, MRR and reward per run, with
 * intervals, paired comparisons, a PhEval-style per-case table, an HTML page
 * and a run history.
 *
 * One pass over the input keeps, per line, only a 16-byte record (case,
 * gene, rank, flags, reward) and running sums per group, per (group, gene),
 * per (group, cohort) and per (group, predicted symbol); nothing of the JSON
 * is retained.  Figures (see rft-report(1) for the formulas):
 *
 *   Top-k     share of lines whose grade.rank <= k (Top-Max: rank not null),
 *             with a 95% Wilson interval
 *   MRR       mean of 1/rank (0 for a miss); reward: mean of grade.reward;
 *             95% percentile intervals from a bootstrap that resamples genes
 *             (.reference.hgnc), not cases: cases of one gene are correlated
 *   macro     the same figures averaged over genes, each gene weighted once
 *   compare   runs of one family (same split) against the first run: paired
 *             differences with a paired gene-cluster bootstrap, McNemar's
 *             exact test on Top-1, cases gained and lost
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/stats.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

#define MAX_BY 8
#define RMAX 1000              /* ranks kept exactly; higher ones in hist[RMAX + 1] */
#define NONE "(none)"

/* --------------------------------------------------------------- options */

enum { FMT_TABLE, FMT_JSON, FMT_TSV };

#define NMETRICS 12
static const char *const metric_name[NMETRICS] = {
	"top1", "top3", "top5", "top10", "topmax", "mrr", "reward",
	"macro_top1", "macro_top5", "macro_topmax", "macro_mrr", "macro_reward"
};

static struct {
	const char *out, *html, *history, *rejects, *date;
	const char *by[MAX_BY];
	int nby, by_given, format, unpaired, stats, allow_repeats;
	unsigned long long seed;
	long long nboot, skip_bad;
	double floor[NMETRICS];      /* --fail-below; NaN: none */
	long top;                    /* rows of the most-predicted table */
} opt;

/* --------------------------------------------------------- u64 -> index */

struct u64map {
	uint64_t *keys;
	int32_t *vals;
	size_t n, cap;
};

static void u64map_grow(struct u64map *m)
{
	size_t cap = m->cap ? 2 * m->cap : 16, i;
	uint64_t *keys = emalloc(cap * sizeof(*keys));
	int32_t *vals = emalloc(cap * sizeof(*vals));

	for (i = 0; i < cap; i++)
		vals[i] = -1;
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (m->vals[i] < 0)
			continue;
		for (j = rft_mix64(m->keys[i]) & (cap - 1); vals[j] >= 0; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
}

/* the value of key; when absent, key is added with value val (*added set) */
static long u64map_intern(struct u64map *m, uint64_t key, long val, int *added)
{
	size_t j;

	if (2 * (m->n + 1) > m->cap)
		u64map_grow(m);
	for (j = rft_mix64(key) & (m->cap - 1); m->vals[j] >= 0; j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key) {
			*added = 0;
			return m->vals[j];
		}
	m->keys[j] = key;
	m->vals[j] = (int32_t)val;
	m->n++;
	*added = 1;
	return val;
}

static void u64map_release(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}


/* ------------------------------------------------------------ the sums */

/* case-level sums of a group, or of one gene or cohort within a group */
struct agg {
	int32_t group, id;
	long long n, h1, h3, h5, h10, hmax;
	double rr, reward;
};

static void agg_add(struct agg *a, long rank, double reward)
{
	a->n++;
	if (rank > 0) {
		a->hmax++;
		a->h1 += rank <= 1;
		a->h3 += rank <= 3;
		a->h5 += rank <= 5;
		a->h10 += rank <= 10;
		a->rr += 1.0 / (double)rank;
	}
	a->reward += reward;
}

/* a predicted symbol within a group */
struct pagg {
	int32_t group, sym;
	long long first, first_hit, listed, listed_hit;
};

/* one graded line, kept for pairing */
struct rec {
	int32_t kase, gene;
	uint32_t line;           /* in its file (see group.fruns) */
	uint16_t rank;           /* 0: miss */
	uint8_t flags;
	double reward;           /* double: the figures are printed in full */
};
/* the records of a group from start on came from file (until the next run) */
struct frun {
	size_t start;
	long file;
};
#define NBOOT 7           /* top1 top3 top5 top10 topmax mrr reward */
#define F_CALL 1
#define F_PARSE 2

enum { P_GRADER, P_MODEL, P_DATA, P_TEMPLATE, P_TIE, NPROV };
static const char *const prov_name[NPROV] = { "grader", "model", "data versions", "prompt template",
	"tie rule" };
static const char *const prov_paths[NPROV][4] = {
	{ "grade.name", NULL },
	{ "sample.model", "model", NULL },
	{ "sample.data", "data", "versions", NULL },
	{ "prompt.template_hash", "template_hash", "sample.template_hash", NULL },
	{ "grade.tie_rule", NULL },
};

struct group {
	char *key;                /* by values joined by '\x1f' */
	char **vals;              /* opt.nby values */
	long family;              /* groups compared with each other */
	struct agg a;
	long long parse_err, call_err, noans, listlen, maxrank_seen;
	long long hist[RMAX + 2]; /* [0] missed, [r] rank r, [RMAX + 1] beyond */
	/* gene, cohort and symbol ids -> their sums in gene_aggs, cohort_aggs and
	 * sym_aggs (one small map a group: lines of one run come together) */
	struct u64map gene_ix, cohort_ix;
	struct strmap syms;       /* predicted symbols, to their sums: */
	int32_t *sym_agg;         /* by index in syms, the index in sym_aggs */
	size_t asym_agg;
	long max_list;
	struct rec *recs;
	size_t nrecs, arecs;
	char *prov[NPROV];
	int prov_varies[NPROV];
	struct frun *fruns;       /* where the records came from */
	size_t nfruns;
	char *ties;               /* the tie rules seen, ", "-joined */
	/* results */
	size_t ngenes;
	uint64_t datahash;        /* of the run's per-gene sums, in gene order */
	double lo[NBOOT], hi[NBOOT];      /* gene-cluster bootstrap: top1..topmax mrr reward */
	double macro[5];          /* top1 top5 topmax mrr reward */
	double mlo[5], mhi[5];    /* bootstrap over genes of the per-gene means */
	long dom_gene;            /* a gene with more than a fifth of the cases, else -1 */
	struct agg dom, without;  /* that gene's sums, and the run's without it */
	double wlo[NBOOT], whi[NBOOT];
};

static struct group *groups;
static size_t ngroups, agroups;
static struct strmap group_ix = STRMAP_INIT, families = STRMAP_INIT;
static struct strmap cases = STRMAP_INIT, genes = STRMAP_INIT, cohorts = STRMAP_INIT,
	symbols = STRMAP_INIT;
static struct agg *gene_aggs, *cohort_aggs;
static struct pagg *sym_aggs;
static size_t ngene_aggs, ncohort_aggs, nsym_aggs, agene, acohort, asym;
static int split_by = -1;     /* index of "split" among the by fields */
static struct rft_output out;

static struct agg *agg_slot(struct u64map *m, struct agg **arr, size_t *n, size_t *alloc,
			    long g, long id)
{
	int added;
	long i = u64map_intern(m, (uint64_t)id, (long)*n, &added);

	if (added) {
		if (*n >= *alloc) {
			*alloc = *alloc ? 2 * *alloc : 1024;
			*arr = erealloc(*arr, *alloc * sizeof(**arr));
		}
		(*n)++;
		memset(&(*arr)[i], 0, sizeof(**arr));
		(*arr)[i].group = (int32_t)g;
		(*arr)[i].id = (int32_t)id;
	}
	return &(*arr)[i];
}

/* the sums of predicted symbol sym (len bytes, hash) in group g: one
 * lookup in the group's own map; the symbol is interned in symbols only
 * the first time the group sees it */
static struct pagg *sym_slot(long g, const char *sym, size_t len, uint64_t hash)
{
	struct group *gr = &groups[g];
	int added;
	long j = strmap_intern_hashed(&gr->syms, sym, len, hash, &added), i;

	if (!added)
		return &sym_aggs[gr->sym_agg[j]];
	if ((size_t)j >= gr->asym_agg) {
		gr->asym_agg = gr->asym_agg ? 2 * gr->asym_agg : 64;
		gr->sym_agg = erealloc(gr->sym_agg, gr->asym_agg * sizeof(*gr->sym_agg));
	}
	if (nsym_aggs >= asym) {
		asym = asym ? 2 * asym : 1024;
		sym_aggs = erealloc(sym_aggs, asym * sizeof(*sym_aggs));
	}
	i = (long)nsym_aggs++;
	gr->sym_agg[j] = (int32_t)i;
	memset(&sym_aggs[i], 0, sizeof(*sym_aggs));
	sym_aggs[i].group = (int32_t)g;
	sym_aggs[i].sym = (int32_t)strmap_intern_hashed(&symbols, sym, len, hash, NULL);
	return &sym_aggs[i];
}

/* ----------------------------------------------------------- reading */

/* one text packed as its hash, its length and its bytes with a NUL, so that
 * the main thread interns it without hashing or measuring (a text ends at a
 * NUL, "\u0000", as C strings do) */
struct packed {
	uint64_t hash;
	uint32_t len;
};

static void pack_str(struct strbuf *sb, const char *s, size_t len)
{
	struct packed k;

	len = strnlen(s, len);
	k.hash = rft_hash64(s, len, 0);
	k.len = (uint32_t)len;
	strbuf_add(sb, (const char *)&k, sizeof(k));
	strbuf_add(sb, s, len);
	strbuf_addch(sb, '\0');
}

/* the text at *off (moved past it) */
static const char *unpack(const char *buf, uint32_t *off, struct packed *k)
{
	const char *s = buf + *off + sizeof(*k);

	memcpy(k, buf + *off, sizeof(*k));
	*off += (uint32_t)(sizeof(*k) + k->len + 1);
	return s;
}

/* intern the text at off in m */
static long intern_packed(struct strmap *m, const char *buf, uint32_t off)
{
	struct packed k;
	const char *s = unpack(buf, &off, &k);

	return strmap_intern_hashed(m, s, k.len, k.hash, NULL);
}

static const char *text_at(const char *buf, uint32_t off)
{
	return buf + off + sizeof(struct packed);
}

static long group_for(const char *buf, uint32_t off)
{
	int i, added;
	struct packed k;
	const char *key = unpack(buf, &off, &k);
	long g = strmap_intern_hashed(&group_ix, key, k.len, k.hash, &added);

	if (added) {
		struct group *gr;
		const char *p = key;

		if (ngroups == agroups) {
			agroups = agroups ? 2 * agroups : 16;
			groups = erealloc(groups, agroups * sizeof(*groups));
		}
		gr = &groups[ngroups++];
		memset(gr, 0, sizeof(*gr));
		gr->key = estrdup(key);
		gr->vals = ecalloc((size_t)opt.nby, sizeof(*gr->vals));
		for (i = 0; i < opt.nby; i++) {
			size_t n = strcspn(p, "\x1f");

			gr->vals[i] = estrndup(p, n);
			p += n + (p[n] != '\0');
		}
		gr->family = strmap_intern(&families, split_by >= 0 ? gr->vals[split_by] : "", NULL);
		gr->a.group = (int32_t)g;
	}
	return g;
}

/* add a tie rule to the run's list of those seen (absent: "list order") */
static void note_tie(struct group *g, const char *rule)
{
	const char *p;
	size_t n = strlen(rule), len;

	if (!g->ties) {
		g->ties = estrdup(rule);
		return;
	}
	for (p = g->ties;;) {
		const char *e = strstr(p, ", ");

		len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !memcmp(p, rule, n))
			return;
		if (!e)
			break;
		p = e + 2;
	}
	len = strlen(g->ties);
	g->ties = erealloc(g->ties, len + n + 3);
	memcpy(g->ties + len, ", ", 2);
	memcpy(g->ties + len + 2, rule, n + 1);
}

static void note_provenance(struct group *g, const char *const *text)
{
	int p;

	if (!g->ties || strcmp(g->ties, text[P_TIE] ? text[P_TIE] : "list order"))
		note_tie(g, text[P_TIE] ? text[P_TIE] : "list order");
	for (p = 0; p < NPROV; p++) {
		if (!text[p] || p == P_TIE)
			continue;
		if (!g->prov[p])
			g->prov[p] = estrdup(text[p]);
		else if (strcmp(g->prov[p], text[p]))
			g->prov_varies[p] = 1;
	}
}

static void tsv_row(struct strbuf *sb, long pos, const char *sym, const char *hgnc, int hit,
		    const char *id, const struct group *g)
{
	int i;

	strbuf_addf(sb, "%ld\t%.6g\t%s\t%s\t%s\t%s\t", pos, 1.0 / (double)pos, sym,
		    hit ? hgnc : "", hit ? "True" : "False", id);
	for (i = 0; i < opt.nby; i++)
		strbuf_addf(sb, "%s%s", i ? "/" : "", g->vals[i]);
	strbuf_addch(sb, '\n');
}

/*
 * A graded line is taken in two halves.  On the record loop's threads,
 * check() validates it and packs what the sums need into the job: numbers
 * into a struct taken, texts into job->line as NUL-terminated strings (the
 * raw line is no longer needed).  Then take(), on the main thread and in
 * input order, interns the texts and adds to the sums.
 */
enum { T_GROUP, T_CASE, T_HGNC, T_COHORT, T_ID, T_PROV, NTEXT = T_PROV + NPROV };

struct taken {
	double reward;
	long rank, max_list;
	size_t npred;
	int call_err, parse_err;
	uint32_t off[NTEXT];     /* where each text starts in job->line */
	unsigned has;            /* bit t: text t is there (provenance may not be) */
	uint32_t pred;           /* where the predicted symbols start */
};

static void pack(struct strbuf *sb, struct taken *t, int field, const char *s, size_t len)
{
	t->off[field] = (uint32_t)sb->len;
	t->has |= 1u << field;
	pack_str(sb, s, len);
}


/* the paths check() reads, found as spans of the line: these first, then
 * the provenance paths (prov_first[p] ...), then the --by fields (by_first ...) */
enum { S_GRADE, S_REWARD, S_RANK, S_PRED, S_MAXLIST, S_ERRORS, S_PERR, S_ERROR, S_ID, S_SPLIT,
       S_REF_HGNC, S_REF_GENES, S_COHORT, S_MODEL, S_SAMPLE_MODEL, S_ERROR_MODEL, NFIXED };
static const char *span_paths[RFT_JSON_MAX_SPANS] = {
	"grade", "grade.reward", "grade.rank", "grade.predicted", "grade.max_list", "grade.errors",
	"grade.errors.sample_parse_error", "error", "id", "split", "reference.hgnc",
	"reference.genes", "cohort", "model", "sample.model", "error.model",
};
static size_t nspan_paths = NFIXED, prov_first[NPROV + 1], by_first;

/*
 * The value of a number, read from its own text (rft_json_span_num): 0 and
 * *x; -1 when the value is not a number; -2 when it is a number that a
 * double cannot hold (1e999).  A number below the smallest double reads as
 * the nearest one, as every JSON reader rounds.  (NaN, Infinity and hex
 * never get here: the reader refuses the line.)
 */
static int span_number(const struct rft_json_span *v, double *x)
{
	if (rft_json_span_num(v, x) < 0)
		return -1;
	return isfinite(*x) ? 0 : -2;
}

/* what a value is, for a message: "a string", "missing", or the text of
 * a number that a double cannot hold ("1e999") */
static const char *span_what(const struct rft_json_span *v, char *buf, size_t n)
{
	enum json_type t = rft_json_span_type(v);
	double x;

	if (!v->p)
		return "missing";
	if ((t == json_type_int || t == json_type_double) && span_number(v, &x) < 0) {
		snprintf(buf, n, "%.*s%s", (int)(v->len < 24 ? v->len : 24), v->p, v->len > 24 ? "..." : "");
		return buf;
	}
	return rft_json_span_type_name(v);
}

/* a positive integer below 10^9, written as one (1.0 and 1e0 are not) */
static int span_posint(const struct rft_json_span *v, long *out_)
{
	double x;

	if (rft_json_span_type(v) != json_type_int || span_number(v, &x) < 0 || x < 1 || x > 1e9)
		return 0;
	*out_ = (long)x;
	return 1;
}

/* a value as text: strings as they are, null/missing as "(none)", else JSON */
static void span_text(struct strbuf *sb, const struct rft_json_span *v)
{
	if (rft_json_span_type(v) == json_type_null)
		strbuf_addstr(sb, NONE);
	else if (rft_json_span_str(v, sb) < 0)
		rft_json_span_put(v, sb);
}

/* the hgnc id of a reference genes array's first element, or NULL */
static const struct rft_json_span *first_gene_hgnc(const struct rft_json_span *genes, struct rft_json_span *buf,
						  struct strbuf *store, struct strbuf *tmp)
{
	static const char *const path[] = { "hgnc" };
	struct rft_json_paths *ps;
	int rc;
	struct rft_json_span first;
	size_t pos = 0;

	if (rft_json_span_type(genes) != json_type_array || !rft_json_span_next(genes, &pos, &first) ||
	    rft_json_span_type(&first) != json_type_object)
		return NULL;
	/* rare (reference.hgnc is missing): compiled each time */
	ps = rft_json_paths_new(path, 1);
	rc = rft_json_spans(first.p, first.len, ps, buf, store, tmp);
	rft_json_paths_free(ps);
	if (rc < 0 || rft_json_span_type(buf) != json_type_string)
		return NULL;
	return buf;
}

/* check one graded line and pack it (see above); on a fault, the reason in job->err */
static void check(struct rft_record_job *job, void *ctx)
{
	const struct rft_json_span *sp = job->span, *hgnc, *cohort;
	struct rft_json_span v, gene_hgnc;
	struct taken *t = job->user;
	struct strbuf *err = &job->err, *sb = &job->aux, tmp = STRBUF_INIT, store = STRBUF_INIT;
	const char *colon;
	char what[32];
	size_t i, pos;
	int p, k;

	(void)ctx;
	if (rft_json_span_type(&sp[S_GRADE]) == json_type_null) {
		strbuf_addstr(err, "no \"grade\": not a graded line (run rft-grade first)");
		return;
	}
	if (rft_json_span_type(&sp[S_GRADE]) != json_type_object) {
		strbuf_addf(err, "grade is %s, not an object", rft_json_span_type_name(&sp[S_GRADE]));
		return;
	}
	/* the value summed is the value checked: read from the reward's own text */
	switch (span_number(&sp[S_REWARD], &t->reward)) {
	case 0:
		break;
	case -2:
		strbuf_addf(err, "grade.reward %s is not finite (beyond the range of a double)",
			    span_what(&sp[S_REWARD], what, sizeof(what)));
		return;
	default:
		strbuf_addf(err, "grade.reward is %s, not a number",
			    span_what(&sp[S_REWARD], what, sizeof(what)));
		return;
	}
	if (sp[S_RANK].p && rft_json_span_type(&sp[S_RANK]) != json_type_null &&
	    !span_posint(&sp[S_RANK], &t->rank)) {
		strbuf_addf(err, "grade.rank is %s, not a positive integer or null",
			    span_what(&sp[S_RANK], what, sizeof(what)));
		return;
	}
	if (sp[S_PRED].p && rft_json_span_type(&sp[S_PRED]) != json_type_null &&
	    rft_json_span_type(&sp[S_PRED]) != json_type_array) {
		strbuf_addf(err, "grade.predicted is %s, not an array", rft_json_span_type_name(&sp[S_PRED]));
		return;
	}
	if (sp[S_MAXLIST].p && rft_json_span_type(&sp[S_MAXLIST]) != json_type_null &&
	    !span_posint(&sp[S_MAXLIST], &t->max_list)) {
		strbuf_addf(err, "grade.max_list is %s, not a positive integer",
			    span_what(&sp[S_MAXLIST], what, sizeof(what)));
		return;
	}
	if (sp[S_ERRORS].p && rft_json_span_type(&sp[S_ERRORS]) != json_type_null &&
	    rft_json_span_type(&sp[S_ERRORS]) != json_type_object) {
		strbuf_addf(err, "grade.errors is %s, not an object", rft_json_span_type_name(&sp[S_ERRORS]));
		return;
	}
	t->parse_err = rft_json_span_bool(&sp[S_PERR]);
	t->call_err = sp[S_ERROR].p && rft_json_span_type(&sp[S_ERROR]) != json_type_null;
	/* an id is a string or an integer (the reader refuses NaN and integers
	 * beyond 64 bits, so every integer reads as one) */
	if (rft_json_span_type(&sp[S_ID]) != json_type_string && rft_json_span_type(&sp[S_ID]) != json_type_int) {
		strbuf_addf(err, "id is %s, not a string (runs are paired by case id)",
			    sp[S_ID].p && rft_json_span_type(&sp[S_ID]) != json_type_null ?
			    span_what(&sp[S_ID], what, sizeof(what)) : "missing");
		return;
	}

	/* the texts, packed into aux; the predicted symbols last */
	strbuf_reset(sb);
	t->pred = 0;
	t->npred = 0;
	if (rft_json_span_type(&sp[S_PRED]) == json_type_array) {
		for (pos = 0; rft_json_span_next(&sp[S_PRED], &pos, &v); t->npred++) {
			if (rft_json_span_type(&v) != json_type_string) {
				strbuf_addf(err, "grade.predicted[%zu] is %s, not a string", t->npred,
					    rft_json_span_type_name(&v));
				goto done;
			}
			k = (int)tmp.len;
			rft_json_span_str(&v, &tmp);
			strbuf_setlen(&tmp, (size_t)k + strlen(tmp.buf + k));
			strbuf_add(&tmp, "", 1);
		}
	}
	if (t->rank > 0 && (size_t)t->rank > t->npred) {
		strbuf_addf(err, "grade.rank %ld is beyond the %zu predicted genes", t->rank, t->npred);
		goto done;
	}
	for (i = 0, pos = 0; i < t->npred; i++, pos += strlen(tmp.buf + pos) + 1)
		pack_str(sb, tmp.buf + pos, strlen(tmp.buf + pos));
	strbuf_reset(&tmp);
	/* the group key: the --by values */
	for (i = 0; i < (size_t)opt.nby; i++) {
		if (i)
			strbuf_addch(&tmp, '\x1f');
		if (!strcmp(opt.by[i], "model")) {
			const struct rft_json_span *m = &sp[S_SAMPLE_MODEL];

			/* the sample's model, else the line's, else the one a
			 * failed call names (rft-rank's error lines do) */
			if (rft_json_span_type(m) != json_type_string)
				m = &sp[S_MODEL];
			if (rft_json_span_type(m) != json_type_string)
				m = &sp[S_ERROR_MODEL];
			if (rft_json_span_str(m, &tmp) < 0)
				strbuf_addstr(&tmp, "(unknown)");
		} else if (!strcmp(opt.by[i], "@file")) {
			colon = strrchr(job->where.buf, ':');
			strbuf_add(&tmp, job->where.buf, colon ? (size_t)(colon - job->where.buf) : job->where.len);
		} else {
			span_text(&tmp, &sp[by_first + i]);
		}
	}
	pack(sb, t, T_GROUP, tmp.buf, tmp.len);
	/* the case: id, and split when there is one */
	strbuf_reset(&tmp);
	span_text(&tmp, &sp[S_ID]);
	pack(sb, t, T_ID, tmp.buf, tmp.len);
	if (sp[S_SPLIT].p) {
		strbuf_addch(&tmp, '\x1f');
		span_text(&tmp, &sp[S_SPLIT]);
	}
	pack(sb, t, T_CASE, tmp.buf, tmp.len);
	hgnc = &sp[S_REF_HGNC];
	if (rft_json_span_type(hgnc) != json_type_string)
		hgnc = first_gene_hgnc(&sp[S_REF_GENES], &gene_hgnc, &store, &tmp);
	strbuf_reset(&tmp);
	if (!hgnc || rft_json_span_str(hgnc, &tmp) < 0)
		strbuf_addstr(&tmp, "(unknown)");
	pack(sb, t, T_HGNC, tmp.buf, tmp.len);
	cohort = &sp[S_COHORT];
	strbuf_reset(&tmp);
	if (rft_json_span_str(cohort, &tmp) < 0)
		strbuf_addstr(&tmp, NONE);
	pack(sb, t, T_COHORT, tmp.buf, tmp.len);
	for (p = 0; p < NPROV; p++)
		for (k = (int)prov_first[p]; k < (int)prov_first[p + 1]; k++)
			if (sp[k].p && rft_json_span_type(&sp[k]) != json_type_null) {
				strbuf_reset(&tmp);
				span_text(&tmp, &sp[k]);
				pack(sb, t, T_PROV + p, tmp.buf, tmp.len);
				break;
			}
done:
	strbuf_release(&tmp);
	strbuf_release(&store);
}

/* the files lines come from, for naming both places of a repeated case */
static struct strmap files = STRMAP_INIT;

/* note the file of group gr's next record (a new run when it changes) and
 * return its line number */
static uint32_t note_where(struct group *gr, const char *where)
{
	static long last = -1;
	const char *colon = strrchr(where, ':');
	size_t flen = colon ? (size_t)(colon - where) : strlen(where);

	if (last < 0 || strlen(strmap_key(&files, last)) != flen || memcmp(strmap_key(&files, last), where, flen))
		last = strmap_intern_hashed(&files, where, flen, rft_hash64(where, flen, 0), NULL);
	if (!gr->nfruns || gr->fruns[gr->nfruns - 1].file != last) {
		gr->fruns = erealloc(gr->fruns, (gr->nfruns + 1) * sizeof(*gr->fruns));
		gr->fruns[gr->nfruns].start = gr->nrecs;
		gr->fruns[gr->nfruns++].file = last;
	}
	return (uint32_t)strtoul(colon ? colon + 1 : "0", NULL, 10);
}

/* "FILE:LINE" of record i of group g */
static void rec_where(const struct group *g, size_t i, struct strbuf *sb)
{
	size_t lo = 0, hi = g->nfruns;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (g->fruns[mid].start <= i)
			lo = mid;
		else
			hi = mid;
	}
	strbuf_addf(sb, "%s:%lu", g->nfruns ? strmap_key(&files, g->fruns[lo].file) : "?",
		    (unsigned long)g->recs[i].line);
}

static const char *group_label(const struct group *g, struct strbuf *sb);

/* a case may come once in a run: a second line of it is an error naming
 * both places (exit 65), unless --allow-repeats pools them (and says so) */
static void check_repeats(void)
{
	int32_t *seen = emalloc((cases.n ? cases.n : 1) * sizeof(*seen));
	static struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, lb = STRBUF_INIT;
	size_t gi, i;

	for (i = 0; i < cases.n; i++)
		seen[i] = -1;
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		size_t pooled = 0;

		for (i = 0; i < g->nrecs; i++) {
			int32_t k = g->recs[i].kase;

			if (seen[k] >= 0 && opt.allow_repeats) {
				pooled++;
			} else if (seen[k] >= 0) {
				const char *id = strmap_key(&cases, k);

				rec_where(g, (size_t)seen[k], &a);
				rec_where(g, i, &b);
				free(seen);
				die(RFT_EX_DATA, "case %.*s appears twice in run '%s': %s and %s (two rankers "
				    "or repeated samples under one name? separate them with --by, or pool them "
				    "with --allow-repeats)", (int)strcspn(id, "\x1f"), id, group_label(g, &lb),
				    a.buf, b.buf);
			}
			seen[k] = (int32_t)i;
		}
		for (i = 0; i < g->nrecs; i++)
			seen[g->recs[i].kase] = -1;
		if (pooled)
			warn("run '%s': %zu lines repeat a case of the run, pooled with it (--allow-repeats)",
			     group_label(g, &lb), pooled);
	}
	free(seen);
}

/* add one checked line to the sums (main thread, input order) */
static void take(struct rft_record_job *job, void *ctx)
{
	struct taken *t = job->user;
	struct strbuf *tsv = ctx;
	const char *buf = job->aux.buf, *prov[NPROV];
	uint32_t off;
	long g, kase, gene, cohort, rank = t->rank;
	size_t i;
	int p;
	struct group *gr;
	struct rec *rc;
	uint32_t line;

	g = group_for(buf, t->off[T_GROUP]);
	gr = &groups[g];
	kase = intern_packed(&cases, buf, t->off[T_CASE]);
	gene = intern_packed(&genes, buf, t->off[T_HGNC]);
	cohort = intern_packed(&cohorts, buf, t->off[T_COHORT]);

	agg_add(&gr->a, rank, t->reward);
	agg_add(agg_slot(&gr->gene_ix, &gene_aggs, &ngene_aggs, &agene, g, gene), rank, t->reward);
	agg_add(agg_slot(&gr->cohort_ix, &cohort_aggs, &ncohort_aggs, &acohort, g, cohort), rank, t->reward);
	gr->hist[rank == 0 ? 0 : rank > RMAX ? RMAX + 1 : rank]++;
	gr->parse_err += t->parse_err;
	gr->call_err += t->call_err;
	gr->noans += t->npred == 0 && !t->parse_err && !t->call_err;
	gr->listlen += (long long)t->npred;
	if (t->max_list > gr->max_list)
		gr->max_list = t->max_list;
	if ((long long)t->npred > gr->maxrank_seen)
		gr->maxrank_seen = (long long)t->npred;
	for (i = 0, off = t->pred; i < t->npred; i++) {
		struct packed k;
		const char *sym = unpack(buf, &off, &k);
		struct pagg *pa = sym_slot(g, sym, k.len, k.hash);

		pa->listed++;
		pa->listed_hit += (long)i + 1 == rank;
		if (i == 0) {
			pa->first++;
			pa->first_hit += rank == 1;
		}
		if (tsv)
			tsv_row(tsv, (long)i + 1, sym, text_at(buf, t->off[T_HGNC]), (long)i + 1 == rank,
				text_at(buf, t->off[T_ID]), gr);
	}
	for (p = 0; p < NPROV; p++)
		prov[p] = t->has & (1u << (T_PROV + p)) ? text_at(buf, t->off[T_PROV + p]) : NULL;
	note_provenance(gr, prov);

	if (gr->nrecs == gr->arecs) {
		gr->arecs = gr->arecs ? 2 * gr->arecs : 256;
		gr->recs = erealloc(gr->recs, gr->arecs * sizeof(*gr->recs));
	}
	line = note_where(gr, job->where.buf);
	rc = &gr->recs[gr->nrecs++];
	rc->kase = (int32_t)kase;
	rc->line = line;
	rc->gene = (int32_t)gene;
	rc->rank = (uint16_t)(rank > 65535 ? 65535 : rank);
	rc->flags = (uint8_t)((t->call_err ? F_CALL : 0) | (t->parse_err ? F_PARSE : 0));
	rc->reward = t->reward;
	if (tsv && tsv->len > 65536) {
		rft_output_write(&out, tsv->buf, tsv->len);
		strbuf_reset(tsv);
	}
}

/* ------------------------------------------------------------ figures */

struct prop {
	double v, lo, hi;
};

static struct prop prop_of(long long x, long long n)
{
	struct prop p;

	p.v = n ? (double)x / (double)n : NAN;
	rft_wilson((double)x, (double)n, RFT_Z95, &p.lo, &p.hi);
	return p;
}

/*
 * A run's bootstrap draws are seeded by --seed, the run's name (its --by
 * values but @file, which depends on how many files are given) and a hash of
 * its own per-gene sums in gene order: adding another file, or listing the
 * lines in another order, never moves a run's intervals.
 */
static uint64_t seed_run(const struct group *g, const char *what)
{
	uint64_t h = rft_hash64((const char *)&g->datahash, sizeof(g->datahash), opt.seed);
	int i;

	for (i = 0; i < opt.nby; i++)
		if (strcmp(opt.by[i], "@file"))
			h = rft_hash64(g->vals[i], strlen(g->vals[i]) + 1, h);
	return rft_hash64(what, strlen(what), h);
}

static void agg_sub(struct agg *a, const struct agg *b)
{
	a->n -= b->n;
	a->h1 -= b->h1;
	a->h3 -= b->h3;
	a->h5 -= b->h5;
	a->h10 -= b->h10;
	a->hmax -= b->hmax;
	a->rr -= b->rr;
	a->reward -= b->reward;
}

/* the NBOOT sums of a gene (or a run) */
static void agg_vals(const struct agg *a, double *v)
{
	v[0] = (double)a->h1;
	v[1] = (double)a->h3;
	v[2] = (double)a->h5;
	v[3] = (double)a->h10;
	v[4] = (double)a->hmax;
	v[5] = a->rr;
	v[6] = a->reward;
}

/* a group's genes as bootstrap clusters, in gene (name) order: a row of
 * NCOL sums a gene: its NBOOT case-level sums, its 5 per-gene means (macro),
 * its number of cases and 1 */
#define NCOL (NBOOT + 5 + 2)
#define C_CASES (NBOOT + 5)
#define C_ONE (NBOOT + 6)
struct clusters {
	double *rows;
	size_t n;
	long dom;                 /* the dominant gene's cluster, or -1 */
};

static int cmp_gene_agg(const void *x, const void *y)
{
	const struct agg *a = *(const struct agg *const *)x, *b = *(const struct agg *const *)y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return strcmp(strmap_key(&genes, a->id), strmap_key(&genes, b->id));
}

struct boot_ctx {
	struct clusters *cl;  /* by group */
	double **scratch;     /* one a thread */
};

/* the bootstrap intervals of group gi (on a thread): the headline figures
 * and the macro ones from one set of draws, then those without a dominant
 * gene */
static void group_boot(size_t gi, int thread, void *ctx)
{
	static const int num_col[NBOOT + 5] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	static const int den_col[NBOOT + 5] = { C_CASES, C_CASES, C_CASES, C_CASES, C_CASES, C_CASES,
		C_CASES, C_ONE, C_ONE, C_ONE, C_ONE, C_ONE };
	struct boot_ctx *bc = ctx;
	struct group *g = &groups[gi];
	struct clusters *c = &bc->cl[gi];
	size_t nb = (size_t)opt.nboot, i;
	double lo[NBOOT + 5], hi[NBOOT + 5], t[NCOL];

	rft_boot_ratio_cols(c->rows, c->n, NCOL, num_col, den_col, NBOOT + 5, nb, seed_run(g, "cases"),
			    bc->scratch[thread], lo, hi);
	memcpy(g->lo, lo, sizeof(g->lo));
	memcpy(g->hi, hi, sizeof(g->hi));
	memcpy(g->mlo, lo + NBOOT, sizeof(g->mlo));
	memcpy(g->mhi, hi + NBOOT, sizeof(g->mhi));
	for (i = 0; i < NBOOT; i++)
		g->wlo[i] = g->whi[i] = NAN;
	if (c->dom < 0 || c->n < 2)
		return;
	/* the dominant gene's cluster swapped to the end, then left out */
	i = (size_t)c->dom;
	memcpy(t, c->rows + i * NCOL, sizeof(t));
	memmove(c->rows + i * NCOL, c->rows + (c->n - 1) * NCOL, sizeof(t));
	memcpy(c->rows + (c->n - 1) * NCOL, t, sizeof(t));
	rft_boot_ratio_cols(c->rows, c->n - 1, NCOL, num_col, den_col, NBOOT, nb, seed_run(g, "without"),
			    bc->scratch[thread], g->wlo, g->whi);
}

static void compute_groups(void)
{
	size_t gi, i, j, k;
	const struct agg **order = emalloc((ngene_aggs ? ngene_aggs : 1) * sizeof(*order));
	struct clusters *cl = ecalloc(ngroups ? ngroups : 1, sizeof(*cl));
	int nthreads = rft_threads(0);
	struct boot_ctx bc;

	for (i = 0; i < ngene_aggs; i++)
		order[i] = &gene_aggs[i];
	qsort(order, ngene_aggs, sizeof(*order), cmp_gene_agg);
	for (i = 0; i < ngene_aggs; i++)
		cl[order[i]->group].n++;
	for (gi = 0; gi < ngroups; gi++) {
		size_t n = cl[gi].n ? cl[gi].n : 1;

		cl[gi].rows = emalloc(n * NCOL * sizeof(double));
		groups[gi].ngenes = cl[gi].n;
		groups[gi].dom_gene = -1;
		groups[gi].datahash = 0;
		cl[gi].n = 0;
		cl[gi].dom = -1;
	}
	for (i = 0; i < ngene_aggs; i++) {
		const struct agg *a = order[i];
		struct group *g = &groups[a->group];
		struct clusters *c = &cl[a->group];
		double n = (double)a->n, *v = c->rows + c->n * NCOL, *mv = v + NBOOT;
		const char *name = strmap_key(&genes, a->id);

		agg_vals(a, v);
		v[C_CASES] = n;
		v[C_ONE] = 1;
		mv[0] = (double)a->h1 / n;
		mv[1] = (double)a->h5 / n;
		mv[2] = (double)a->hmax / n;
		mv[3] = a->rr / n;
		mv[4] = a->reward / n;
		for (j = 0; j < 5; j++)
			g->macro[j] += mv[j];
		/* the hash is of whole numbers, so that the order of the lines (which
		 * moves the last bits of a sum of fractions) leaves it alone */
		{
			int64_t w[NBOOT + 1];

			for (j = 0; j < NBOOT; j++)
				w[j] = (int64_t)llround(v[j] * 1e6);
			w[NBOOT] = a->n;
			g->datahash = rft_hash64(name, strlen(name) + 1, g->datahash);
			g->datahash = rft_hash64((const char *)w, sizeof(w), g->datahash);
		}
		/* dominance: more than a fifth of the run's cases (the largest gene) */
		if (5 * a->n > g->a.n && (g->dom_gene < 0 || a->n > g->dom.n)) {
			g->dom_gene = a->id;
			g->dom = *a;
			c->dom = (long)c->n;
		}
		c->n++;
	}
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];

		for (k = 0; k < 5; k++)
			g->macro[k] = g->ngenes ? g->macro[k] / (double)g->ngenes : NAN;
		if (g->dom_gene >= 0) {
			g->without = g->a;
			agg_sub(&g->without, &g->dom);
		}
	}
	bc.cl = cl;
	bc.scratch = emalloc((size_t)nthreads * sizeof(*bc.scratch));
	for (i = 0; i < (size_t)nthreads; i++)
		bc.scratch[i] = emalloc((size_t)(opt.nboot ? opt.nboot : 1) * (NBOOT + 5) * sizeof(double));
	rft_parallel_for(ngroups, nthreads, group_boot, &bc);
	for (i = 0; i < (size_t)nthreads; i++)
		free(bc.scratch[i]);
	free(bc.scratch);
	for (gi = 0; gi < ngroups; gi++)
		free(cl[gi].rows);
	free(cl);
	free(order);
}

/* comparisons: every run of a family against the family's first run */
#define NCMP 5    /* top1 top5 topmax mrr reward */
static const char *const cmp_name[NCMP] = { "top1", "top5", "topmax", "mrr", "reward" };

struct comparison {
	long base, run;
	int paired;
	long long ncases, gained, lost, only_base, only_run;
	double base_v[NCMP], run_v[NCMP], diff[NCMP], lo[NCMP], hi[NCMP];
	double p;                 /* McNemar, paired only */
	double lp;                /* log10 of p (finite where p underflows to 0) */
	double pflip[NCMP];       /* sign-flip permutation over genes, paired only */
	int32_t *gained_ids, *lost_ids, *gained_genes, *lost_genes;
};

static struct comparison *cmps;
static size_t ncmps;

static void rec_vals(const struct rec *r, double *v)
{
	v[0] = r->rank == 1;
	v[1] = r->rank >= 1 && r->rank <= 5;
	v[2] = r->rank >= 1;
	v[3] = r->rank ? 1.0 / r->rank : 0;
	v[4] = r->reward;
}

static const char *case_id(long k, struct strbuf *sb)
{
	const char *s = strmap_key(&cases, k);

	strbuf_reset(sb);
	strbuf_add(sb, s, strcspn(s, "\x1f"));
	return sb->buf;
}

static const char *group_label(const struct group *g, struct strbuf *sb)
{
	int i;

	strbuf_reset(sb);
	for (i = 0; i < opt.nby; i++)
		strbuf_addf(sb, "%s%s", i ? "/" : "", g->vals[i]);
	return sb->buf;
}

/* per-gene sums of the case values of a group's records (or of B - A) */
static size_t gene_sums(const struct rec *recs, size_t n, const int32_t *pairs,
			const struct rec *other, double *num, double *den, int32_t *slot)
{
	size_t i, used = 0;
	int j;

	for (i = 0; i < n; i++) {
		double v[NCMP], w[NCMP];
		int32_t s = slot[recs[i].gene];

		if (s < 0) {
			s = slot[recs[i].gene] = (int32_t)used++;
			den[s] = 0;
			for (j = 0; j < NCMP; j++)
				num[(size_t)s * NCMP + j] = 0;
		}
		rec_vals(&recs[i], v);
		if (pairs) {
			rec_vals(&other[pairs[i]], w);
			for (j = 0; j < NCMP; j++)
				v[j] -= w[j];
		}
		den[s] += 1;
		for (j = 0; j < NCMP; j++)
			num[(size_t)s * NCMP + j] += v[j];
	}
	for (i = 0; i < n; i++)
		slot[recs[i].gene] = -1;
	return used;
}

/* what a comparison's bootstrap draws from (see rft_boot_ratios) */
struct cmp_boot {
	double *num, *den, *num2, *den2;
	size_t n, n2;
	uint64_t seed;
};
static struct cmp_boot *cboots;   /* by comparison */

static void compare(long bi, long ri)
{
	struct group *b = &groups[bi], *r = &groups[ri];
	struct comparison c;
	struct cmp_boot cb = { NULL, NULL, NULL, NULL, 0, 0, 0 };
	size_t i, ng = genes.n ? genes.n : 1, nc = cases.n ? cases.n : 1;
	/* static: still reachable (not leaked) when a refusal dies below */
	static int32_t *where, *pairs, *slot;
	static double *num, *den;
	static struct strbuf sb = STRBUF_INIT, sb2 = STRBUF_INIT;
	int j;

	where = emalloc(nc * sizeof(*where));
	pairs = NULL;
	slot = emalloc(ng * sizeof(*slot));
	num = emalloc(ng * NCMP * sizeof(*num));
	den = emalloc(ng * sizeof(*den));
	memset(&c, 0, sizeof(c));
	c.base = bi;
	c.run = ri;
	c.paired = !opt.unpaired;
	for (i = 0; i < ng; i++)
		slot[i] = -1;
	for (j = 0; j < NCMP; j++) {
		double s = 0, t = 0, v[NCMP];

		for (i = 0; i < b->nrecs; i++) {
			rec_vals(&b->recs[i], v);
			s += v[j];
		}
		for (i = 0; i < r->nrecs; i++) {
			rec_vals(&r->recs[i], v);
			t += v[j];
		}
		c.base_v[j] = b->nrecs ? s / (double)b->nrecs : NAN;
		c.run_v[j] = r->nrecs ? t / (double)r->nrecs : NAN;
		c.diff[j] = c.run_v[j] - c.base_v[j];
	}
	if (c.paired) {
		long long ei = -1, er = -1;

		for (i = 0; i < nc; i++)
			where[i] = -1;
		for (i = 0; i < b->nrecs; i++) {
			if (where[b->recs[i].kase] >= 0)
				die(RFT_EX_DATA, "case %s appears twice in run '%s': pairing needs one line "
				    "per case and run (separate repeated samples with --by, or give --unpaired)",
				    case_id(b->recs[i].kase, &sb), group_label(b, &sb2));
			where[b->recs[i].kase] = (int32_t)i;
		}
		pairs = emalloc((r->nrecs ? r->nrecs : 1) * sizeof(*pairs));
		for (i = 0; i < r->nrecs; i++) {
			int32_t k = r->recs[i].kase, w = where[k];

			if (w == -2)
				die(RFT_EX_DATA, "case %s appears twice in run '%s': pairing needs one line "
				    "per case and run (separate repeated samples with --by, or give --unpaired)",
				    case_id(k, &sb), group_label(r, &sb2));
			if (w < 0) {
				c.only_run++;
				if (er < 0)
					er = k;
				where[k] = -2;
				continue;
			}
			pairs[i] = w;
			where[k] = -2;
		}
		for (i = 0; i < b->nrecs; i++)
			if (where[b->recs[i].kase] != -2) {
				c.only_base++;
				if (ei < 0)
					ei = b->recs[i].kase;
			}
		if (c.only_base || c.only_run) {
			struct strbuf m = STRBUF_INIT;

			strbuf_addf(&m, "runs '%s' and '%s' are not over the same cases: ",
				    group_label(b, &sb), group_label(r, &sb2));
			strbuf_addf(&m, "%lld only in the first", c.only_base);
			if (ei >= 0)
				strbuf_addf(&m, " (e.g. %s)", case_id(ei, &sb));
			strbuf_addf(&m, ", %lld only in the second", c.only_run);
			if (er >= 0)
				strbuf_addf(&m, " (e.g. %s)", case_id(er, &sb));
			strbuf_addstr(&m, "; give --unpaired to compare them as independent samples");
			strbuf_reset(&sb);
			strbuf_addstr(&sb, m.buf);
			strbuf_release(&m);
			die(RFT_EX_DATA, "%s", sb.buf);
		}
		c.ncases = (long long)r->nrecs;
		for (i = 0; i < r->nrecs; i++) {
			int hb = b->recs[pairs[i]].rank == 1, hr = r->recs[i].rank == 1;

			if (hr && !hb) {
				c.gained_ids = erealloc(c.gained_ids, (size_t)(c.gained + 1) * sizeof(int32_t));
				c.gained_genes = erealloc(c.gained_genes, (size_t)(c.gained + 1) * sizeof(int32_t));
				c.gained_genes[c.gained] = r->recs[i].gene;
				c.gained_ids[c.gained++] = r->recs[i].kase;
			} else if (hb && !hr) {
				c.lost_ids = erealloc(c.lost_ids, (size_t)(c.lost + 1) * sizeof(int32_t));
				c.lost_genes = erealloc(c.lost_genes, (size_t)(c.lost + 1) * sizeof(int32_t));
				c.lost_genes[c.lost] = r->recs[i].gene;
				c.lost_ids[c.lost++] = r->recs[i].kase;
			}
		}
		c.p = rft_mcnemar_exact(c.lost, c.gained);
		c.lp = rft_mcnemar_log10(c.lost, c.gained);
		cb.n = gene_sums(r->recs, r->nrecs, pairs, b->recs, num, den, slot);
	} else {
		cb.num2 = emalloc(ng * NCMP * sizeof(*cb.num2));
		cb.den2 = emalloc(ng * sizeof(*cb.den2));
		cb.n = gene_sums(b->recs, b->nrecs, NULL, NULL, num, den, slot);
		cb.n2 = gene_sums(r->recs, r->nrecs, NULL, NULL, cb.num2, cb.den2, slot);
		c.ncases = (long long)r->nrecs;
		c.p = c.lp = NAN;
		for (j = 0; j < NCMP; j++)
			c.pflip[j] = NAN;
	}
	/* the bootstrap runs later, all comparisons on threads */
	cb.num = num;
	cb.den = den;
	num = den = NULL;
	{
		uint64_t sb_ = seed_run(b, "compare"), sr = seed_run(r, "compare");

		cb.seed = rft_hash64((const char *)&sr, sizeof(sr), sb_);
	}
	cmps = erealloc(cmps, (ncmps + 1) * sizeof(*cmps));
	cboots = erealloc(cboots, (ncmps + 1) * sizeof(*cboots));
	cboots[ncmps] = cb;
	cmps[ncmps++] = c;
	free(where);
	free(pairs);
	free(slot);
	free(num);
	free(den);
	where = pairs = slot = NULL;
	num = den = NULL;
	strbuf_release(&sb);
	strbuf_release(&sb2);
}

static void cmp_boot_run(size_t i, int thread, void *ctx)
{
	struct cmp_boot *cb = &cboots[i];
	double **scratch = ctx;

	rft_boot_ratios(cb->num, cb->den, cb->n, NCMP, cb->num2, cb->den2, cb->n2, (size_t)opt.nboot,
			cb->seed, scratch[thread], cmps[i].lo, cmps[i].hi);
	/* paired: cb->num holds each gene's summed (run - baseline) differences */
	if (!cb->num2)
		rft_signflip_test(cb->num, cb->n, NCMP, (size_t)opt.nboot, cb->seed ^ 0x5167u, cmps[i].pflip);
}

static void compute_comparisons(void)
{
	size_t f, gi, i;
	int t, nthreads = rft_threads(0);
	double **scratch;

	for (f = 0; f < families.n; f++) {
		long base = -1;

		for (gi = 0; gi < ngroups; gi++) {
			if ((size_t)groups[gi].family != f)
				continue;
			if (base < 0)
				base = (long)gi;
			else
				compare(base, (long)gi);
		}
	}
	scratch = emalloc((size_t)nthreads * sizeof(*scratch));
	for (t = 0; t < nthreads; t++)
		scratch[t] = emalloc((size_t)(opt.nboot ? opt.nboot : 1) * NCMP * sizeof(double));
	rft_parallel_for(ncmps, nthreads, cmp_boot_run, scratch);
	for (t = 0; t < nthreads; t++)
		free(scratch[t]);
	free(scratch);
	for (i = 0; i < ncmps; i++) {
		free(cboots[i].num);
		free(cboots[i].den);
		free(cboots[i].num2);
		free(cboots[i].den2);
	}
	free(cboots);
	cboots = NULL;
}

/* ------------------------------------------------------------ helpers */

static double metric(const struct group *g, int m)
{
	const struct agg *a = &g->a;
	double n = (double)a->n;

	switch (m) {
	case 0: return (double)a->h1 / n;
	case 1: return (double)a->h3 / n;
	case 2: return (double)a->h5 / n;
	case 3: return (double)a->h10 / n;
	case 4: return (double)a->hmax / n;
	case 5: return a->rr / n;
	case 6: return a->reward / n;
	default: return g->macro[m - 7];
	}
}

static long long hits_of(const struct group *g, int m)
{
	switch (m) {
	case 0: return g->a.h1;
	case 1: return g->a.h3;
	case 2: return g->a.h5;
	case 3: return g->a.h10;
	default: return g->a.hmax;
	}
}

/* the k of the cumulative curve: max_list, else the longest list seen */
static long curve_len(const struct group *g)
{
	long k = g->max_list ? g->max_list : (long)g->maxrank_seen;

	if (k < 1)
		k = 1;
	return k > RMAX ? RMAX : k;
}

static long long cum_hits(const struct group *g, long k)
{
	long long s = 0;
	long r;

	for (r = 1; r <= k && r <= RMAX; r++)
		s += g->hist[r];
	return s;
}

#define NBUCKETS 6
static const char *const bucket_name[NBUCKETS] = { "1", "2-3", "4-5", "6-10", ">10", "missed" };

static void buckets(const struct group *g, long long *b)
{
	long r;

	memset(b, 0, NBUCKETS * sizeof(*b));
	for (r = 1; r <= RMAX + 1; r++)
		b[r == 1 ? 0 : r <= 3 ? 1 : r <= 5 ? 2 : r <= 10 ? 3 : 4] += g->hist[r];
	b[5] = g->hist[0];
}

static int cmp_pagg(const void *x, const void *y)
{
	const struct pagg *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->first != b->first)
		return a->first > b->first ? -1 : 1;
	if (a->listed != b->listed)
		return a->listed > b->listed ? -1 : 1;
	return strcmp(strmap_key(&symbols, a->sym), strmap_key(&symbols, b->sym));
}

static int cmp_cohort(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(strmap_key(&cohorts, a->id), strmap_key(&cohorts, b->id));
}

/* ------------------------------------------------------------ the table */

struct table {
	char **cells;
	size_t ncols, n, alloc;
};

static void cell(struct table *t, const char *fmt, ...) RFT_PRINTF(2, 3);
static void cell(struct table *t, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->cells = erealloc(t->cells, t->alloc * sizeof(*t->cells));
	}
	t->cells[t->n++] = strbuf_detach(&sb, NULL);
}

/* "25.0 [11.2, 46.9]" in percent, or "-" */
static void cell_prop(struct table *t, struct prop p)
{
	if (isnan(p.v))
		cell(t, "-");
	else
		cell(t, "%.1f [%.1f, %.1f]", 100 * p.v, 100 * p.lo, 100 * p.hi);
}

static void cell_est(struct table *t, double v, double lo, double hi, int pct)
{
	double s = pct ? 100 : 1;
	const char *f = pct ? "%.1f" : "%.3f";
	struct strbuf sb = STRBUF_INIT;

	if (isnan(v)) {
		cell(t, "-");
		return;
	}
	strbuf_addf(&sb, f, s * v);
	if (!isnan(lo)) {
		strbuf_addstr(&sb, " [");
		strbuf_addf(&sb, f, s * lo);
		strbuf_addstr(&sb, ", ");
		strbuf_addf(&sb, f, s * hi);
		strbuf_addch(&sb, ']');
	}
	cell(t, "%s", sb.buf);
	strbuf_release(&sb);
}

static void table_print(struct table *t, struct strbuf *sb)
{
	size_t *w = ecalloc(t->ncols, sizeof(*w)), i, c;

	for (i = 0; i < t->n; i++)
		if (strlen(t->cells[i]) > w[i % t->ncols])
			w[i % t->ncols] = strlen(t->cells[i]);
	for (i = 0; i < t->n; i += t->ncols) {
		for (c = 0; c < t->ncols; c++)
			strbuf_addf(sb, "| %-*s ", (int)w[c], t->cells[i + c]);
		strbuf_addstr(sb, "|\n");
		if (i == 0) {
			for (c = 0; c < t->ncols; c++) {
				strbuf_addstr(sb, "|");
				strbuf_addch(sb, c >= (size_t)opt.nby ? '-' : ':');
				for (size_t k = 0; k < w[c]; k++)
					strbuf_addch(sb, '-');
				strbuf_addch(sb, c >= (size_t)opt.nby ? ':' : '-');
			}
			strbuf_addstr(sb, "|\n");
		}
	}
	for (i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	memset(t, 0, sizeof(*t));
}

static void by_header(struct table *t)
{
	int i;

	for (i = 0; i < opt.nby; i++)
		cell(t, "%s", opt.by[i]);
}

static void by_cells(struct table *t, const struct group *g)
{
	int i;

	for (i = 0; i < opt.nby; i++)
		cell(t, "%s", g->vals[i]);
}

static void esc(struct strbuf *sb, const char *s);
static void html_table(struct strbuf *sb, struct table *t);

/* the methods, as the outputs name them */
static const char *boot_method(struct strbuf *sb, const char *what)
{
	strbuf_reset(sb);
	if (opt.nboot)
		strbuf_addf(sb, "%s (percentile, B=%lld)", what, opt.nboot);
	else
		strbuf_addstr(sb, "none (--bootstrap 0)");
	return sb->buf;
}
#define M_CASES "gene-cluster bootstrap"
#define M_MACRO "bootstrap over genes of the per-gene means"
#define M_WILSON "Wilson score (cases; assumes independent cases)"
#define M_MCNEMAR "McNemar exact (cases)"
#define M_FLIP "sign-flip permutation over genes"

/* a p-value for the table: 4 significant digits, scientific below 1e-4 */
static void cell_p(struct table *t, double p, double lp)
{
	if (isnan(p)) {
		cell(t, "-");
	} else if (p == 0 && isfinite(lp)) {
		struct strbuf sb = STRBUF_INIT;

		rft_p_text(&sb, p, lp, 3);
		cell(t, "%s", sb.buf);
		strbuf_release(&sb);
	} else if (p < 1e-4) {
		cell(t, "%.2e", p);
	} else {
		cell(t, "%.4g", p);
	}
}

/* the tables are written as text (html 0) or as HTML tables (html 1) */
static void emit_table(struct strbuf *sb, struct table *t, int nleft, int html)
{
	int save = opt.nby;

	if (html) {
		html_table(sb, t);
		return;
	}
	opt.nby = nleft;
	table_print(t, sb);
	opt.nby = save;
}

static void heading(struct strbuf *sb, int html, const char *text)
{
	if (html) {
		strbuf_addstr(sb, "<h2>");
		esc(sb, text);
		strbuf_addstr(sb, "</h2>\n");
	} else {
		strbuf_addf(sb, "\n%s\n\n", text);
	}
}

static void para(struct strbuf *sb, int html, const char *text)
{
	if (html) {
		strbuf_addstr(sb, "<p>");
		esc(sb, text);
		strbuf_addstr(sb, "</p>\n");
	} else {
		strbuf_addf(sb, "%s\n", text);
	}
}

static void write_tables(struct strbuf *sb, int html)
{
	struct table t = { NULL, 0, 0, 0 };
	size_t gi, i;
	static const char *const h1[] = { "N", "Top-1 %", "Top-3 %", "Top-5 %", "Top-10 %",
		"Top-Max %", "MRR", "reward" };
	static const char *const h2[] = { "genes", "Top-1 %", "Top-5 %", "Top-Max %", "MRR",
		"reward", "parse err %", "call err %", "no answer", "mean list" };
	struct strbuf lb = STRBUF_INIT, m = STRBUF_INIT, tx = STRBUF_INIT;
	int any_dom = 0;

	if (opt.nboot)
		strbuf_addf(&tx, "Every interval: 95%%, %s, seed %llu: cases of one gene are not "
			    "independent, so genes are resampled, not cases.", boot_method(&m, M_CASES), opt.seed);
	else
		strbuf_addstr(&tx, "No bootstrap intervals (--bootstrap 0); the case-level Wilson intervals "
			      "below assume independent cases.");
	if (!html)
		strbuf_addch(&tx, '\n');
	para(sb, html, tx.buf);
	if (html)
		heading(sb, html, "Case level");
	t.ncols = (size_t)opt.nby + 8;
	by_header(&t);
	for (i = 0; i < 8; i++)
		cell(&t, "%s", h1[i]);
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		int k;

		by_cells(&t, g);
		cell(&t, "%lld", g->a.n);
		for (k = 0; k < NBOOT; k++)
			cell_est(&t, metric(g, k), g->lo[k], g->hi[k], k < 5);
		any_dom |= g->dom_gene >= 0;
	}
	emit_table(sb, &t, opt.nby, html);

	heading(sb, html, "Case level, Wilson score intervals (secondary: they assume independent cases)");
	t.ncols = (size_t)opt.nby + 5;
	by_header(&t);
	for (i = 1; i < 6; i++)
		cell(&t, "%s", h1[i]);
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		int k;

		by_cells(&t, g);
		for (k = 0; k < 5; k++)
			cell_prop(&t, prop_of(hits_of(g, k), g->a.n));
	}
	emit_table(sb, &t, opt.nby, html);

	strbuf_reset(&tx);
	strbuf_addf(&tx, "Gene level (macro: each gene weighted once; %s) and answers",
		    boot_method(&m, M_MACRO));
	heading(sb, html, tx.buf);
	t.ncols = (size_t)opt.nby + 10;
	by_header(&t);
	for (i = 0; i < 10; i++)
		cell(&t, "%s", h2[i]);
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		double n = (double)g->a.n;
		int k;

		by_cells(&t, g);
		cell(&t, "%zu", g->ngenes);
		for (k = 0; k < 5; k++)
			cell_est(&t, g->macro[k], g->mlo[k], g->mhi[k], k < 3);
		cell(&t, "%.1f", 100 * (double)g->parse_err / n);
		cell(&t, "%.1f", 100 * (double)g->call_err / n);
		cell(&t, "%lld", g->noans);
		cell(&t, "%.2f", (double)g->listlen / n);
	}
	emit_table(sb, &t, opt.nby, html);

	if (any_dom) {
		heading(sb, html, "Dominant genes: one gene holds more than a fifth of a run's cases; "
			"the run's figures without it");
		t.ncols = (size_t)opt.nby + 10;
		by_header(&t);
		cell(&t, "%s", "gene");
		cell(&t, "%s", "cases");
		cell(&t, "%s", "share %");
		cell(&t, "%s", "N without");
		for (i = 1; i < 8; i++)
			if (i != 2 && i != 4)
				cell(&t, "%s", h1[i]);
		cell(&t, "%s", "Top-1 % of the gene");
		for (gi = 0; gi < ngroups; gi++) {
			struct group *g = &groups[gi];
			const struct agg *w = &g->without;
			double v[NBOOT], n = (double)w->n;
			int k;

			if (g->dom_gene < 0)
				continue;
			by_cells(&t, g);
			cell(&t, "%s", strmap_key(&genes, g->dom_gene));
			cell(&t, "%lld", g->dom.n);
			cell(&t, "%.1f", 100 * (double)g->dom.n / (double)g->a.n);
			cell(&t, "%lld", w->n);
			agg_vals(w, v);
			for (k = 0; k < NBOOT; k++)
				if (k != 1 && k != 3)
					cell_est(&t, n > 0 ? v[k] / n : NAN, g->wlo[k], g->whi[k], k < 5);
			cell(&t, "%.1f", 100 * (double)g->dom.h1 / (double)g->dom.n);
		}
		emit_table(sb, &t, opt.nby, html);
	}

	heading(sb, html, "Tie rules of the grader (provenance; \"list order\": none recorded)");
	t.ncols = 2;
	cell(&t, "%s", "run");
	cell(&t, "%s", "tie rule");
	for (gi = 0; gi < ngroups; gi++) {
		cell(&t, "%s", group_label(&groups[gi], &lb));
		cell(&t, "%s", groups[gi].ties ? groups[gi].ties : "list order");
	}
	emit_table(sb, &t, 2, html);

	if (!ncmps)
		goto done;
	strbuf_reset(&tx);
	strbuf_addf(&tx, "Comparisons (run - baseline; %s %s)", opt.unpaired ? "unpaired" : "paired",
		    boot_method(&m, M_CASES));
	heading(sb, html, tx.buf);
	{
		static const char *const h3[] = { "baseline", "run", "cases", "d Top-1 pp", "d Top-5 pp",
			"d Top-Max pp", "d MRR", "d reward", "gained", "lost" };

		t.ncols = 10;
		for (i = 0; i < 10; i++)
			cell(&t, "%s", h3[i]);
	}
	for (i = 0; i < ncmps; i++) {
		struct comparison *c = &cmps[i];
		int j;

		cell(&t, "%s", group_label(&groups[c->base], &lb));
		cell(&t, "%s", group_label(&groups[c->run], &lb));
		cell(&t, "%lld", c->ncases);
		for (j = 0; j < NCMP; j++)
			cell_est(&t, c->diff[j], c->lo[j], c->hi[j], j < 3);
		if (c->paired) {
			cell(&t, "%lld", c->gained);
			cell(&t, "%lld", c->lost);
		} else {
			cell(&t, "%s", "-");
			cell(&t, "%s", "-");
		}
	}
	emit_table(sb, &t, 2, html);
	strbuf_reset(&tx);
	strbuf_addf(&tx, "Tests (p-values): Top-1 by %s; every figure by %s (B=%lld), "
		    "which respects clustering by gene", M_MCNEMAR, M_FLIP, opt.nboot);
	heading(sb, html, tx.buf);
	{
		static const char *const h4[] = { "baseline", "run", "McNemar Top-1", "sign-flip Top-1",
			"sign-flip Top-5", "sign-flip Top-Max", "sign-flip MRR", "sign-flip reward" };

		t.ncols = 8;
		for (i = 0; i < 8; i++)
			cell(&t, "%s", h4[i]);
	}
	for (i = 0; i < ncmps; i++) {
		struct comparison *c = &cmps[i];
		int j;

		cell(&t, "%s", group_label(&groups[c->base], &lb));
		cell(&t, "%s", group_label(&groups[c->run], &lb));
		cell_p(&t, c->paired ? c->p : NAN, c->paired ? c->lp : NAN);
		for (j = 0; j < NCMP; j++)
			cell_p(&t, c->pflip[j], NAN);
	}
	emit_table(sb, &t, 2, html);
done:
	strbuf_release(&lb);
	strbuf_release(&m);
	strbuf_release(&tx);
}

static void write_table(struct strbuf *sb)
{
	write_tables(sb, 0);
}

/* ------------------------------------------------------------- JSON */

/* a number as the shortest text that reads back as the same double
 * (scientific notation where %g chooses it); not finite: null */
static void jnum(struct strbuf *sb, const char *key, double v, int first)
{
	json_put_key(sb, key, first);
	json_put_double(sb, v);
}

static void jstr(struct strbuf *sb, const char *key, const char *v, int first)
{
	json_put_key(sb, key, first);
	json_put_str(sb, v);
}

/* a proportion: hits, value, the bootstrap interval (lo, hi: NaN for none) and
 * the Wilson one */
static void jprop_boot(struct strbuf *sb, const char *key, long long x, long long n, double lo, double hi,
		       const char *method)
{
	struct prop p = prop_of(x, n);

	json_put_key(sb, key, 0);
	strbuf_addf(sb, "{\"hits\":%lld", x);
	jnum(sb, "value", p.v, 0);
	jnum(sb, "lo", lo, 0);
	jnum(sb, "hi", hi, 0);
	jstr(sb, "interval", method, 0);
	strbuf_addstr(sb, ",\"wilson\":{");
	jnum(sb, "lo", p.lo, 1);
	jnum(sb, "hi", p.hi, 0);
	strbuf_addstr(sb, "}}");
}

/* ,"key":[...] of n cases by id, or with gene_ids of {"id":..,"gene":..} */
static void jcases(struct strbuf *sb, const char *key, const int32_t *ids, const int32_t *gene_ids,
		   long long n, struct strbuf *tmp)
{
	long long x;

	json_put_key(sb, key, 0);
	strbuf_addch(sb, '[');
	for (x = 0; x < n; x++) {
		if (x)
			strbuf_addch(sb, ',');
		if (gene_ids)
			strbuf_addstr(sb, "{\"id\":");
		json_put_str(sb, case_id(ids[x], tmp));
		if (gene_ids) {
			jstr(sb, "gene", strmap_key(&genes, gene_ids[x]), 0);
			strbuf_addch(sb, '}');
		}
	}
	strbuf_addch(sb, ']');
}

/* a rate of lines (errors): hits, value and the Wilson interval */
static void jprop(struct strbuf *sb, const char *key, long long x, long long n)
{
	struct prop p = prop_of(x, n);

	json_put_key(sb, key, 0);
	strbuf_addf(sb, "{\"hits\":%lld", x);
	jnum(sb, "value", p.v, 0);
	jnum(sb, "lo", p.lo, 0);
	jnum(sb, "hi", p.hi, 0);
	jstr(sb, "interval", M_WILSON, 0);
	strbuf_addch(sb, '}');
}

static void jest(struct strbuf *sb, const char *key, double v, double lo, double hi, const char *method)
{
	json_put_key(sb, key, 0);
	strbuf_addch(sb, '{');
	jnum(sb, "value", v, 1);
	jnum(sb, "lo", lo, 0);
	jnum(sb, "hi", hi, 0);
	if (method)
		jstr(sb, "interval", method, 0);
	strbuf_addch(sb, '}');
}

static void jby(struct strbuf *sb, const struct group *g)
{
	int i;

	strbuf_addch(sb, '{');
	for (i = 0; i < opt.nby; i++) {
		json_put_key(sb, opt.by[i], i == 0);
		json_put_str(sb, g->vals[i]);
	}
	strbuf_addch(sb, '}');
}

static void write_json(struct strbuf *sb, const char *date)
{
	size_t gi, i;
	int j;
	struct strbuf tmp = STRBUF_INIT, meth = STRBUF_INIT;

	strbuf_addstr(sb, "{\"settings\":{\"by\":[");
	for (j = 0; j < opt.nby; j++) {
		if (j)
			strbuf_addch(sb, ',');
		json_put_str(sb, opt.by[j]);
	}
	strbuf_addf(sb, "],\"seed\":%llu,\"bootstrap\":%lld,\"confidence\":0.95,\"unpaired\":%s,\"date\":",
		    opt.seed, opt.nboot, opt.unpaired ? "true" : "false");
	json_put_str(sb, date);
	jstr(sb, "interval", boot_method(&meth, M_CASES), 0);
	jstr(sb, "secondary_interval", M_WILSON, 0);
	strbuf_addf(sb, ",\"tests\":[\"%s\",\"%s (B=%lld)\"]", M_MCNEMAR, M_FLIP, opt.nboot);
	strbuf_addstr(sb, "},\"groups\":[");
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		long long b[NBUCKETS];
		long k;
		double n = (double)g->a.n;

		strbuf_addstr(sb, gi ? ",{\"by\":" : "{\"by\":");
		jby(sb, g);
		strbuf_addf(sb, ",\"n\":%lld,\"genes\":%zu", g->a.n, g->ngenes);
		boot_method(&meth, M_CASES);
		for (j = 0; j < 5; j++)
			jprop_boot(sb, metric_name[j], hits_of(g, j), g->a.n, g->lo[j], g->hi[j], meth.buf);
		jest(sb, "mrr", metric(g, 5), g->lo[5], g->hi[5], meth.buf);
		jest(sb, "reward", metric(g, 6), g->lo[6], g->hi[6], meth.buf);
		strbuf_addstr(sb, ",\"macro\":{");
		for (j = 0; j < 5; j++)
			jnum(sb, metric_name[7 + j] + 6, g->macro[j], j == 0);
		strbuf_addstr(sb, "},\"macro_intervals\":{");
		jstr(sb, "interval", boot_method(&meth, M_MACRO), 1);
		for (j = 0; j < 5; j++)
			jest(sb, metric_name[7 + j] + 6, g->macro[j], g->mlo[j], g->mhi[j], NULL);
		strbuf_addstr(sb, "},\"dominant_gene\":");
		if (g->dom_gene < 0) {
			strbuf_addstr(sb, "null");
		} else {
			const struct agg *w = &g->without;
			double v[NBOOT];

			strbuf_addstr(sb, "{\"gene\":");
			json_put_str(sb, strmap_key(&genes, g->dom_gene));
			strbuf_addf(sb, ",\"cases\":%lld", g->dom.n);
			jnum(sb, "share", (double)g->dom.n / n, 0);
			jnum(sb, "top1_of_gene", (double)g->dom.h1 / (double)g->dom.n, 0);
			strbuf_addf(sb, ",\"without\":{\"n\":%lld", w->n);
			boot_method(&meth, M_CASES);
			agg_vals(w, v);
			for (j = 0; j < NBOOT; j++)
				jest(sb, metric_name[j], w->n ? v[j] / (double)w->n : NAN, g->wlo[j], g->whi[j],
				     meth.buf);
			strbuf_addstr(sb, "}}");
		}
		jprop(sb, "parse_errors", g->parse_err, g->a.n);
		jprop(sb, "call_errors", g->call_err, g->a.n);
		strbuf_addf(sb, ",\"no_answer\":%lld", g->noans);
		jnum(sb, "mean_list_length", (double)g->listlen / n, 0);
		strbuf_addf(sb, ",\"max_list\":%ld,\"ranks\":{", g->max_list);
		buckets(g, b);
		for (j = 0; j < NBUCKETS; j++) {
			json_put_key(sb, bucket_name[j], j == 0);
			strbuf_addf(sb, "%lld", b[j]);
		}
		strbuf_addstr(sb, "},\"topk\":[");
		for (k = 1; k <= curve_len(g); k++) {
			if (k > 1)
				strbuf_addch(sb, ',');
			json_put_double(sb, (double)cum_hits(g, k) / n);
		}
		strbuf_addstr(sb, "],\"cohorts\":[");
		for (i = 0, j = 0; i < ncohort_aggs; i++) {
			struct agg *a = &cohort_aggs[i];

			if ((size_t)a->group != gi)
				continue;
			strbuf_addstr(sb, j++ ? ",{\"cohort\":" : "{\"cohort\":");
			json_put_str(sb, strmap_key(&cohorts, a->id));
			strbuf_addf(sb, ",\"n\":%lld,\"top1\":%lld,\"top5\":%lld,\"topmax\":%lld", a->n,
				    a->h1, a->h5, a->hmax);
			jnum(sb, "mrr", a->rr / (double)a->n, 0);
			strbuf_addch(sb, '}');
		}
		strbuf_addstr(sb, "],\"predicted\":[");
		for (i = 0, j = 0; i < nsym_aggs; i++) {
			struct pagg *p = &sym_aggs[i];

			if ((size_t)p->group != gi || (j >= opt.top && opt.top >= 0))
				continue;
			strbuf_addstr(sb, j++ ? ",{\"gene\":" : "{\"gene\":");
			json_put_str(sb, strmap_key(&symbols, p->sym));
			strbuf_addf(sb, ",\"first\":%lld,\"first_hit\":%lld,\"listed\":%lld,\"listed_hit\":%lld}",
				    p->first, p->first_hit, p->listed, p->listed_hit);
		}
		strbuf_addstr(sb, "],\"provenance\":{");
		for (j = 0; j < NPROV; j++) {
			json_put_key(sb, prov_name[j], j == 0);
			if (j == P_TIE)
				json_put_str(sb, g->ties ? g->ties : "list order");
			else if (g->prov[j] && g->prov_varies[j])
				strbuf_addstr(sb, "\"(varies)\"");
			else
				json_put_str_or_null(sb, g->prov[j]);
		}
		strbuf_addstr(sb, "}}");
	}
	strbuf_addstr(sb, "],\"comparisons\":[");
	for (i = 0; i < ncmps; i++) {
		struct comparison *c = &cmps[i];

		strbuf_addstr(sb, i ? ",{\"baseline\":" : "{\"baseline\":");
		jby(sb, &groups[c->base]);
		strbuf_addstr(sb, ",\"run\":");
		jby(sb, &groups[c->run]);
		strbuf_addf(sb, ",\"paired\":%s,\"cases\":%lld", c->paired ? "true" : "false", c->ncases);
		boot_method(&meth, opt.unpaired ? "unpaired gene-cluster bootstrap" : "paired gene-cluster bootstrap");
		for (j = 0; j < NCMP; j++) {
			json_put_key(sb, cmp_name[j], 0);
			strbuf_addch(sb, '{');
			jnum(sb, "baseline", c->base_v[j], 1);
			jnum(sb, "run", c->run_v[j], 0);
			jnum(sb, "diff", c->diff[j], 0);
			jnum(sb, "lo", c->lo[j], 0);
			jnum(sb, "hi", c->hi[j], 0);
			jstr(sb, "interval", meth.buf, 0);
			if (c->paired) {
				jnum(sb, "p", c->pflip[j], 0);
				strbuf_addf(sb, ",\"test\":\"%s (B=%lld)\"", M_FLIP, opt.nboot);
			}
			strbuf_addch(sb, '}');
		}
		if (c->paired) {
			strbuf_addf(sb, ",\"mcnemar_top1\":{\"gained\":%lld,\"lost\":%lld", c->gained, c->lost);
			if (c->p == 0 && isfinite(c->lp)) {
				/* below the smallest double: the exponent is kept in the text */
				json_put_key(sb, "p", 0);
				rft_p_text(sb, c->p, c->lp, 7);
			} else {
				jnum(sb, "p", c->p, 0);
			}
			jnum(sb, "log10_p", c->lp, 0);
			jstr(sb, "test", M_MCNEMAR, 0);
			strbuf_addch(sb, '}');
			jcases(sb, "gained_cases", c->gained_ids, c->gained_genes, c->gained, &tmp);
			jcases(sb, "lost_cases", c->lost_ids, c->lost_genes, c->lost, &tmp);
			jcases(sb, "gained", c->gained_ids, NULL, c->gained, &tmp);
			jcases(sb, "lost", c->lost_ids, NULL, c->lost, &tmp);
		}
		strbuf_addch(sb, '}');
	}
	strbuf_addstr(sb, "]}\n");
	strbuf_release(&tmp);
	strbuf_release(&meth);
}

/* ------------------------------------------------------------ history */

struct point {
	char *run, *date;
	double top1, mrr;
};
static struct point *trend;
static size_t ntrend;

/*
 * The history is appended in one transaction that stays open while the
 * outputs are written, and is committed only when they are safely on disk
 * (see main): a run that fails leaves the database as it was.  A database
 * this run created is removed again when the run fails, so a full disk
 * leaves no empty file that later runs would take for a history.  The
 * rollback runs as an exit hook, so that every die() on the way takes it.
 */
static struct {
	sqlite3 *db;              /* open, in a transaction, until committed */
	int created;              /* the file did not exist: remove it on failure */
} hist;

static void history_unlink(const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s%s", opt.history, suffix);
	if (unlink(sb.buf) != 0 && errno != ENOENT)
		warn("cannot remove '%s':", sb.buf);
	strbuf_release(&sb);
}

/* roll back (sqlite3_close rolls back an open transaction) and close */
static void history_abort(void)
{
	sqlite3_stmt *st;

	if (!hist.db)
		return;
	/* a statement left open would keep sqlite3_close from closing */
	while ((st = sqlite3_next_stmt(hist.db, NULL)))
		sqlite3_finalize(st);
	sqlite3_exec(hist.db, "ROLLBACK;", NULL, NULL, NULL);
	if (sqlite3_close(hist.db) != SQLITE_OK)
		warn("%s: cannot close: %s", opt.history, sqlite3_errmsg(hist.db));
	hist.db = NULL;
	if (hist.created) {
		history_unlink("");
		history_unlink("-wal");
		history_unlink("-shm");
		history_unlink("-journal");
		hist.created = 0;
	}
}

static void sqlite_die(const char *what)
{
	/* static: reachable when the exit in die() runs the leak checker */
	static struct strbuf msg = STRBUF_INIT;
	int created = hist.created;

	strbuf_addstr(&msg, hist.db ? sqlite3_errmsg(hist.db) : "out of memory");
	history_abort();
	die(RFT_EX_IOERR, "%s: %s: %s%s", opt.history, what, msg.buf,
	    created ? " (no database left)" : " (the history is unchanged)");
}

/* open the history, append this report's rows and read the trend (with them) */
static void history_begin(const char *date)
{
	static sqlite3_stmt *st;  /* static: reachable when an error dies */
	static struct strbuf lb = STRBUF_INIT;
	size_t gi;
	int j, fd;

	/* O_EXCL: a file made here, and only such a file, is removed on failure */
	fd = open(opt.history, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0) {
		hist.created = 1;
		close(fd);
	} else if (errno != EEXIST) {
		die(RFT_EX_IOERR, "%s: cannot create:", opt.history);
	}
	rft_atexit(history_abort);
	if (sqlite3_open_v2(opt.history, &hist.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		sqlite_die("cannot open");
	sqlite3_busy_timeout(hist.db, 10000);
	if (sqlite3_exec(hist.db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) != SQLITE_OK)
		sqlite_die("cannot open");
	if (sqlite3_exec(hist.db, "BEGIN IMMEDIATE;"
			 "CREATE TABLE IF NOT EXISTS report_runs (date TEXT NOT NULL, run TEXT NOT NULL,"
			 " n INTEGER, top1 REAL, top3 REAL, top5 REAL, top10 REAL, topmax REAL,"
			 " mrr REAL, reward REAL, macro_top1 REAL, macro_top5 REAL, macro_topmax REAL,"
			 " macro_mrr REAL, macro_reward REAL, parse_error_rate REAL, call_error_rate REAL,"
			 " by_json TEXT);", NULL, NULL, NULL) != SQLITE_OK)
		sqlite_die("cannot prepare the history");
	if (sqlite3_prepare_v2(hist.db, "INSERT INTO report_runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		sqlite_die("cannot prepare the insert");
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		struct strbuf bj = STRBUF_INIT;
		double n = (double)g->a.n;
		int rc = SQLITE_OK;

		jby(&bj, g);
		rc |= sqlite3_bind_text(st, 1, date, -1, SQLITE_TRANSIENT);
		rc |= sqlite3_bind_text(st, 2, group_label(g, &lb), -1, SQLITE_TRANSIENT);
		rc |= sqlite3_bind_int64(st, 3, g->a.n);
		for (j = 0; j < NMETRICS; j++)
			rc |= sqlite3_bind_double(st, 4 + j, metric(g, j));
		rc |= sqlite3_bind_double(st, 16, (double)g->parse_err / n);
		rc |= sqlite3_bind_double(st, 17, (double)g->call_err / n);
		rc |= sqlite3_bind_text(st, 18, bj.buf, -1, SQLITE_TRANSIENT);
		strbuf_release(&bj);
		if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			st = NULL;
			sqlite_die("cannot append");
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(hist.db, "SELECT run, date, top1, mrr FROM report_runs ORDER BY run, date, rowid",
			       -1, &st, NULL) != SQLITE_OK)
		sqlite_die("cannot read the history");
	while ((j = sqlite3_step(st)) == SQLITE_ROW) {
		struct point *p;
		const unsigned char *run = sqlite3_column_text(st, 0), *day = sqlite3_column_text(st, 1);

		trend = erealloc(trend, (ntrend + 1) * sizeof(*trend));
		p = &trend[ntrend++];
		p->run = estrdup(run ? (const char *)run : "");
		p->date = estrdup(day ? (const char *)day : "");
		p->top1 = sqlite3_column_double(st, 2);
		p->mrr = sqlite3_column_double(st, 3);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (j != SQLITE_DONE)
		sqlite_die("cannot read the history");
	strbuf_release(&lb);
}

/* commit what history_begin appended: 0, or -1 with a message printed (the
 * transaction then rolled back, and a database made by this run removed) */
static int history_commit(void)
{
	int created = hist.created;

	if (sqlite3_exec(hist.db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		error("%s: cannot commit: %s%s", opt.history, sqlite3_errmsg(hist.db),
		      created ? " (no database left)" : " (the history is unchanged)");
		history_abort();
		return -1;
	}
	hist.created = 0;
	/* committed: the rows are in, whatever closing says */
	if (sqlite3_close(hist.db) != SQLITE_OK)
		warn("%s: the rows are in, but closing the database failed: %s", opt.history,
		     sqlite3_errmsg(hist.db));
	hist.db = NULL;
	return 0;
}

/* --------------------------------------------------------------- HTML */

static void esc(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		default: strbuf_addch(sb, *s);
		}
	}
}

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
	"#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22" };
#define NPAL (sizeof(palette) / sizeof(*palette))
static const char *const bucket_color[NBUCKETS] = { "#1a9850", "#91cf60", "#d9ef8b", "#fee08b",
	"#fc8d59", "#d73027" };

#define CW 640
#define CH 300
#define ML 50
#define MB 40
#define MT 15
#define MR 15

static void axes(struct strbuf *sb, const char *xlabel, long kmax)
{
	int i;

	strbuf_addf(sb, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
		    ML, MT, CW - ML - MR, CH - MT - MB);
	for (i = 0; i <= 4; i++) {
		double y = MT + (CH - MT - MB) * (1 - i / 4.0);

		strbuf_addf(sb, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			    "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d%%</text>\n",
			    ML, CW - MR, y, y, ML - 4, y + 4, i * 25);
	}
	if (kmax > 0)
		strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\">1</text>"
			    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%ld</text>\n",
			    ML, CH - MB + 14, CW - MR, CH - MB + 14, kmax);
	strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">", (CW + ML) / 2, CH - 8);
	esc(sb, xlabel);
	strbuf_addstr(sb, "</text>\n");
}

static void legend(struct strbuf *sb, const char *cls)
{
	struct strbuf lb = STRBUF_INIT;
	size_t gi;

	strbuf_addf(sb, "<p class=\"%s\">", cls);
	for (gi = 0; gi < ngroups; gi++) {
		strbuf_addf(sb, "<span style=\"color:%s\">&#9632;</span> ", palette[gi % NPAL]);
		esc(sb, group_label(&groups[gi], &lb));
		strbuf_addstr(sb, " &nbsp; ");
	}
	strbuf_addstr(sb, "</p>\n");
	strbuf_release(&lb);
}

/* a step for about six ticks over 1..kmax: 1, 2, 5, 10, 20, 50, ... */
static long tick_step(long kmax)
{
	long step = 1;

	for (;;) {
		if (kmax / step <= 8)
			return step;
		if (kmax / (2 * step) <= 8)
			return 2 * step;
		if (kmax / (5 * step) <= 8)
			return 5 * step;
		step *= 10;
	}
}

#define BAND_CHUNK 16   /* rft_boot_ratios takes at most 16 statistics at once */

/* gene ids by name */
static int cmp_gene_name(const void *x, const void *y)
{
	return strcmp(strmap_key(&genes, *(const int32_t *)x), strmap_key(&genes, *(const int32_t *)y));
}

/* the 95% band of group g's cumulative Top-k curve, k = 1..K: the gene-cluster
 * bootstrap of each k's share, the same draws for every k (one seed) */
static void curve_band(const struct group *g, long K, double *lo, double *hi)
{
	size_t ng = genes.n ? genes.n : 1, i, used = 0, nb = (size_t)opt.nboot;
	int32_t *slot = emalloc(ng * sizeof(*slot)), *ids = emalloc(ng * sizeof(*ids));
	double *cum = ecalloc(ng * (size_t)K, sizeof(*cum)), *den = ecalloc(ng, sizeof(*den));
	double *chunk = emalloc(ng * BAND_CHUNK * sizeof(*chunk));
	double *scratch = emalloc((nb ? nb : 1) * BAND_CHUNK * sizeof(*scratch));
	long k, k0;

	for (i = 0; i < ng; i++)
		slot[i] = -1;
	/* genes in name order, as compute_groups orders them */
	for (i = 0; i < g->nrecs; i++) {
		const struct rec *r = &g->recs[i];

		if (slot[r->gene] < 0) {
			slot[r->gene] = 0;
			ids[used++] = r->gene;
		}
	}
	qsort(ids, used, sizeof(*ids), cmp_gene_name);
	for (i = 0; i < used; i++)
		slot[ids[i]] = (int32_t)i;
	for (i = 0; i < g->nrecs; i++) {
		const struct rec *r = &g->recs[i];
		size_t s = (size_t)slot[r->gene];

		den[s] += 1;
		if (r->rank >= 1)
			for (k = r->rank; k <= K; k++)
				cum[s * (size_t)K + (size_t)(k - 1)] += 1;
	}
	for (k0 = 0; k0 < K; k0 += BAND_CHUNK) {
		long m = K - k0 < BAND_CHUNK ? K - k0 : BAND_CHUNK;
		size_t gi;

		for (gi = 0; gi < used; gi++)
			for (k = 0; k < m; k++)
				chunk[gi * (size_t)m + (size_t)k] = cum[gi * (size_t)K + (size_t)(k0 + k)];
		rft_boot_ratios(chunk, den, used, (size_t)m, NULL, NULL, 0, nb, seed_run(g, "curve"), scratch,
				lo + k0, hi + k0);
	}
	free(slot);
	free(ids);
	free(cum);
	free(den);
	free(chunk);
	free(scratch);
}

static void html_curves(struct strbuf *sb)
{
	long kmax = 1, k, step;
	size_t gi;

	for (gi = 0; gi < ngroups; gi++)
		if (curve_len(&groups[gi]) > kmax)
			kmax = curve_len(&groups[gi]);
	strbuf_addf(sb, "<h2>Cumulative Top-k</h2>\n<p>share of cases whose causal gene is ranked k or better; "
		    "bands: 95%% gene-cluster bootstrap (B=%lld)</p>\n<svg id=\"topk\" xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"cumulative Top-k\">\n", opt.nboot, CW, CH);
	axes(sb, "k (rank of the causal gene at most k)", 0);
	step = tick_step(kmax);
	for (k = 1; k <= kmax; k = (k == 1 && step > 1) ? step : k + step) {
		double x = ML + (kmax > 1 ? (double)(CW - ML - MR) * (double)(k - 1) / (double)(kmax - 1) : 0);

		strbuf_addf(sb, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
			    "<text class=\"tick\" x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%ld</text>\n",
			    x, x, CH - MB, CH - MB + 4, x, CH - MB + 16, k);
	}
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		long K = curve_len(g);
		double *lo = emalloc((size_t)K * sizeof(*lo)), *hi = emalloc((size_t)K * sizeof(*hi));

#define CX(k) (ML + (kmax > 1 ? (double)(CW - ML - MR) * (double)((k) - 1) / (double)(kmax - 1) : 0))
#define CY(v) (MT + (CH - MT - MB) * (1 - (v)))
		curve_band(g, K, lo, hi);
		if (opt.nboot && !isnan(lo[0])) {
			strbuf_addf(sb, "<path class=\"band\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" d=\"",
				    palette[gi % NPAL]);
			for (k = 1; k <= K; k++)
				strbuf_addf(sb, "%s%.1f,%.1f", k == 1 ? "M" : " L", CX(k), CY(hi[k - 1]));
			for (k = K; k >= 1; k--)
				strbuf_addf(sb, " L%.1f,%.1f", CX(k), CY(lo[k - 1]));
			strbuf_addstr(sb, " Z\"/>\n");
		}
		strbuf_addf(sb, "<path class=\"curve\" fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"",
			    palette[gi % NPAL]);
		for (k = 1; k <= K; k++)
			strbuf_addf(sb, "%s%.1f,%.1f", k == 1 ? "M" : " L", CX(k),
				    CY((double)cum_hits(g, k) / (double)g->a.n));
		strbuf_addstr(sb, "\"/>\n");
		if (K == 1)
			strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", CX(1),
				    CY((double)cum_hits(g, 1) / (double)g->a.n), palette[gi % NPAL]);
#undef CX
#undef CY
		free(lo);
		free(hi);
	}
	strbuf_addstr(sb, "</svg>\n");
	legend(sb, "legend");
}

static void html_buckets(struct strbuf *sb)
{
	struct strbuf lb = STRBUF_INIT;
	size_t gi;
	int j, rowh = 26, h = (int)ngroups * rowh + 40, lw = 200;

	strbuf_addf(sb, "<h2>Rank of the causal gene</h2>\n<svg id=\"buckets\" xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"rank buckets\">\n", CW + lw - ML, h);
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];
		long long b[NBUCKETS];
		double x = lw, y = 5 + (double)gi * rowh;

		buckets(g, b);
		strbuf_addf(sb, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", lw - 6, y + 15);
		esc(sb, group_label(g, &lb));
		strbuf_addstr(sb, "</text>\n");
		for (j = 0; j < NBUCKETS; j++) {
			double w = (double)(CW - ML - MR) * (double)b[j] / (double)g->a.n;

			if (b[j] == 0)
				continue;
			strbuf_addf(sb, "<rect class=\"bucket\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
				    "fill=\"%s\"><title>%s: %lld</title></rect>\n", x, y, w, rowh - 6,
				    bucket_color[j], bucket_name[j], b[j]);
			x += w;
		}
	}
	strbuf_addf(sb, "</svg>\n<p class=\"legend\">");
	for (j = 0; j < NBUCKETS; j++)
		strbuf_addf(sb, "<span style=\"color:%s\">&#9632;</span> %s &nbsp; ", bucket_color[j],
			    j == 4 ? "&gt;10" : bucket_name[j]);
	strbuf_addstr(sb, "</p>\n");
	strbuf_release(&lb);
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void html_trend(struct strbuf *sb)
{
	size_t i, s, ndates = 0;
	char **dates = NULL;
	int run = 0;

	strbuf_addstr(sb, "<h2>Trend (history)</h2>\n");
	if (!opt.history) {
		strbuf_addstr(sb, "<p>no history: give <code>--history FILE</code></p>\n");
		return;
	}
	/* x: the distinct dates in order */
	for (i = 0; i < ntrend; i++) {
		for (s = 0; s < ndates && strcmp(dates[s], trend[i].date); s++)
			;
		if (s == ndates) {
			dates = erealloc(dates, (ndates + 1) * sizeof(*dates));
			dates[ndates++] = trend[i].date;
		}
	}
	qsort(dates, ndates, sizeof(*dates), strcmp_ptr);
	strbuf_addf(sb, "<svg id=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "role=\"img\" aria-label=\"Top-1 over time\">\n", CW, CH);
	axes(sb, "Top-1 by report date", 0);
	if (ndates) {
		strbuf_addf(sb, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", ML, CH - MB + 14);
		esc(sb, dates[0]);
		strbuf_addf(sb, "</text><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", CW - MR, CH - MB + 14);
		esc(sb, dates[ndates - 1]);
		strbuf_addstr(sb, "</text>\n");
	}
	for (i = 0; i < ntrend; run++) {
		size_t j = i;

		strbuf_addf(sb, "<path class=\"trend\" fill=\"none\" stroke-width=\"2\" stroke=\"%s\" d=\"",
			    palette[run % NPAL]);
		for (; j < ntrend && !strcmp(trend[j].run, trend[i].run); j++) {
			for (s = 0; strcmp(dates[s], trend[j].date); s++)
				;
			strbuf_addf(sb, "%s%.1f,%.1f", j == i ? "M" : " L",
				    ML + (ndates > 1 ? (double)(CW - ML - MR) * (double)s / (double)(ndates - 1) : 0),
				    MT + (CH - MT - MB) * (1 - trend[j].top1));
		}
		strbuf_addstr(sb, "\"><title>");
		esc(sb, trend[i].run);
		strbuf_addstr(sb, "</title></path>\n");
		i = j;
	}
	/* a marker on every point: a run with one report is a single point */
	for (i = 0, run = 0; i < ntrend; run++) {
		size_t j = i;

		for (; j < ntrend && !strcmp(trend[j].run, trend[i].run); j++) {
			for (s = 0; strcmp(dates[s], trend[j].date); s++)
				;
			strbuf_addf(sb, "<circle class=\"point\" r=\"4\" fill=\"%s\" cx=\"%.1f\" cy=\"%.1f\"/>\n",
				    palette[run % NPAL],
				    ML + (ndates > 1 ? (double)(CW - ML - MR) * (double)s / (double)(ndates - 1) : 0),
				    MT + (CH - MT - MB) * (1 - trend[j].top1));
		}
		i = j;
	}
	strbuf_addstr(sb, "</svg>\n<p class=\"legend\">");
	for (i = 0, run = 0; i < ntrend; run++) {
		size_t j = i;

		strbuf_addf(sb, "<span style=\"color:%s\">&#9632;</span> ", palette[run % NPAL]);
		esc(sb, trend[i].run);
		strbuf_addstr(sb, " &nbsp; ");
		while (j < ntrend && !strcmp(trend[j].run, trend[i].run))
			j++;
		i = j;
	}
	strbuf_addstr(sb, "</p>\n<table><tr><th>run</th><th>date</th><th>Top-1 %</th><th>MRR</th></tr>\n");
	for (i = 0; i < ntrend; i++) {
		strbuf_addstr(sb, "<tr><td>");
		esc(sb, trend[i].run);
		strbuf_addstr(sb, "</td><td>");
		esc(sb, trend[i].date);
		strbuf_addf(sb, "</td><td>%.1f</td><td>%.3f</td></tr>\n", 100 * trend[i].top1, trend[i].mrr);
	}
	strbuf_addstr(sb, "</table>\n");
	free(dates);
}

static void html_table(struct strbuf *sb, struct table *t)
{
	size_t i;

	strbuf_addstr(sb, "<table>\n");
	for (i = 0; i < t->n; i++) {
		const char *td = i < t->ncols ? "th" : "td";

		if (i % t->ncols == 0)
			strbuf_addstr(sb, "<tr>");
		strbuf_addf(sb, "<%s>", td);
		esc(sb, t->cells[i]);
		strbuf_addf(sb, "</%s>", td);
		if (i % t->ncols == t->ncols - 1)
			strbuf_addstr(sb, "</tr>\n");
		free(t->cells[i]);
	}
	strbuf_addstr(sb, "</table>\n");
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* the cases a comparison gained and lost at Top-1, by id and gene */
static void html_cases(struct strbuf *sb)
{
	struct table t = { NULL, 0, 0, 0 };
	struct strbuf lb = STRBUF_INIT, lb2 = STRBUF_INIT, id = STRBUF_INIT;
	size_t i;
	long long x;

	for (i = 0; i < ncmps; i++) {
		struct comparison *c = &cmps[i];

		if (!c->paired)
			continue;
		strbuf_addstr(sb, "<h2>Cases gained and lost at Top-1: ");
		esc(sb, group_label(&groups[c->run], &lb));
		strbuf_addstr(sb, " against ");
		esc(sb, group_label(&groups[c->base], &lb2));
		strbuf_addstr(sb, "</h2>\n");
		if (!c->gained && !c->lost) {
			strbuf_addstr(sb, "<p>none</p>\n");
			continue;
		}
		t.ncols = 3;
		cell(&t, "%s", "case");
		cell(&t, "%s", "gene");
		cell(&t, "%s", "Top-1");
		for (x = 0; x < c->gained; x++) {
			cell(&t, "%s", case_id(c->gained_ids[x], &id));
			cell(&t, "%s", strmap_key(&genes, c->gained_genes[x]));
			cell(&t, "%s", "gained");
		}
		for (x = 0; x < c->lost; x++) {
			cell(&t, "%s", case_id(c->lost_ids[x], &id));
			cell(&t, "%s", strmap_key(&genes, c->lost_genes[x]));
			cell(&t, "%s", "lost");
		}
		html_table(sb, &t);
	}
	strbuf_release(&lb);
	strbuf_release(&lb2);
	strbuf_release(&id);
}

/* the data versions of every run as a table: one column a run, one row a
 * key of the versions object (a value that is not an object shown as text) */
static void html_data_versions(struct strbuf *sb)
{
	struct table t = { NULL, 0, 0, 0 };
	struct strbuf lb = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object **obj = ecalloc(ngroups ? ngroups : 1, sizeof(*obj));
	struct strmap keys = STRMAP_INIT;
	size_t gi, k;

	strbuf_addstr(sb, "<h2>Data versions</h2>\n");
	for (gi = 0; gi < ngroups; gi++) {
		const char *v = groups[gi].prov[P_DATA];

		strbuf_reset(&err);
		if (v && !groups[gi].prov_varies[P_DATA] && rft_json_parse(v, strlen(v), &obj[gi], &err) == 0 &&
		    json_object_is_type(obj[gi], json_type_object)) {
			json_object_object_foreach(obj[gi], key, val) {
				(void)val;
				strmap_intern(&keys, key, NULL);
			}
		} else if (obj[gi]) {
			json_object_put(obj[gi]);
			obj[gi] = NULL;
		}
	}
	t.ncols = 1 + ngroups;
	cell(&t, "%s", "data");
	for (gi = 0; gi < ngroups; gi++)
		cell(&t, "%s", group_label(&groups[gi], &lb));
	for (k = 0; k < keys.n; k++) {
		cell(&t, "%s", strmap_key(&keys, (long)k));
		for (gi = 0; gi < ngroups; gi++) {
			struct json_object *val = NULL;

			if (obj[gi] && json_object_object_get_ex(obj[gi], strmap_key(&keys, (long)k), &val))
				cell(&t, "%s", json_object_is_type(val, json_type_string) ? json_object_get_string(val) :
				     json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
			else
				cell(&t, "%s", "-");
		}
	}
	/* runs whose versions are not an object, vary, or are missing */
	cell(&t, "%s", "as recorded");
	for (gi = 0; gi < ngroups; gi++) {
		const struct group *g = &groups[gi];

		if (obj[gi])
			cell(&t, "%s", "(above)");
		else
			cell(&t, "%s%s", g->prov[P_DATA] ? g->prov[P_DATA] : "not recorded",
			     g->prov_varies[P_DATA] ? " (and others)" : "");
	}
	html_table(sb, &t);
	for (gi = 0; gi < ngroups; gi++)
		if (obj[gi])
			json_object_put(obj[gi]);
	free(obj);
	strmap_release(&keys);
	strbuf_release(&lb);
	strbuf_release(&err);
}

static void write_html(struct strbuf *sb, const char *date)
{
	struct table t = { NULL, 0, 0, 0 };
	struct strbuf lb = STRBUF_INIT, txt = STRBUF_INIT;
	size_t gi, i;
	int j, rows;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width\">\n"
		      "<title>rft-report</title>\n<style>\n"
		      "body{font-family:sans-serif;margin:1.5em;max-width:1300px}"
		      "h2{font-size:1.15em;margin:1.4em 0 0.4em}"
		      "table{border-collapse:collapse;margin:0.3em 0 1em;max-width:100%}"
		      "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;font-size:12.5px;"
		      "overflow-wrap:break-word}"
		      "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
		      "svg{max-width:100%;height:auto}p{max-width:1100px}\n"
		      "</style></head><body>\n<h1>rft-report</h1>\n<p>report date ");
	esc(sb, date);
	strbuf_addf(sb, "; seed %llu</p>\n", opt.seed);
	write_tables(sb, 1);
	html_cases(sb);
	html_curves(sb);
	html_buckets(sb);
	html_trend(sb);

	strbuf_addstr(sb, "<h2>Per cohort</h2>\n");
	t.ncols = 7;
	cell(&t, "%s", "run"); cell(&t, "%s", "cohort"); cell(&t, "%s", "N"); cell(&t, "%s", "Top-1 %");
	cell(&t, "%s", "Top-5 %"); cell(&t, "%s", "Top-Max %"); cell(&t, "%s", "MRR");
	for (i = 0, rows = 0; i < ncohort_aggs; i++) {
		struct agg *a = &cohort_aggs[i];
		double n = (double)a->n;

		if (i && a->group != cohort_aggs[i - 1].group)
			rows = 0;
		if (rows++ >= 100)
			continue;
		cell(&t, "%s", group_label(&groups[a->group], &lb));
		cell(&t, "%s", strmap_key(&cohorts, a->id));
		cell(&t, "%lld", a->n);
		cell(&t, "%.1f", 100 * (double)a->h1 / n);
		cell(&t, "%.1f", 100 * (double)a->h5 / n);
		cell(&t, "%.1f", 100 * (double)a->hmax / n);
		cell(&t, "%.3f", a->rr / n);
	}
	html_table(sb, &t);

	strbuf_addstr(sb, "<h2>Most-predicted genes</h2>\n<p>first: times ranked first; hit: the "
		      "share of those where it was the causal gene; listed: times anywhere in the list</p>\n");
	t.ncols = 6;
	cell(&t, "%s", "run"); cell(&t, "%s", "gene"); cell(&t, "%s", "first"); cell(&t, "%s", "hit % when first");
	cell(&t, "%s", "listed"); cell(&t, "%s", "hit % when listed");
	for (i = 0, rows = 0; i < nsym_aggs; i++) {
		struct pagg *p = &sym_aggs[i];

		if (i && p->group != sym_aggs[i - 1].group)
			rows = 0;
		if (rows++ >= (opt.top < 0 ? 1000000 : opt.top))
			continue;
		cell(&t, "%s", group_label(&groups[p->group], &lb));
		cell(&t, "%s", strmap_key(&symbols, p->sym));
		cell(&t, "%lld", p->first);
		if (p->first)
			cell(&t, "%.1f", 100 * (double)p->first_hit / (double)p->first);
		else
			cell(&t, "%s", "-");
		cell(&t, "%lld", p->listed);
		cell(&t, "%.1f", 100 * (double)p->listed_hit / (double)p->listed);
	}
	html_table(sb, &t);

	strbuf_addstr(sb, "<h2>Provenance</h2>\n");
	t.ncols = NPROV;
	cell(&t, "%s", "run");
	for (j = 0; j < NPROV; j++)
		if (j != P_DATA)
			cell(&t, "%s", prov_name[j]);
	for (gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];

		cell(&t, "%s", group_label(g, &lb));
		for (j = 0; j < NPROV; j++)
			if (j == P_TIE)
				cell(&t, "%s", g->ties ? g->ties : "list order");
			else if (j != P_DATA)
				cell(&t, "%s%s", g->prov[j] ? g->prov[j] : "not recorded",
				     g->prov_varies[j] ? " (and others)" : "");
	}
	html_table(sb, &t);
	html_data_versions(sb);
	strbuf_addf(sb, "<p>made by rft-report (rftkit %s)</p>\n</body></html>\n", RFT_VERSION);
	strbuf_release(&lb);
	strbuf_release(&txt);
}

/* --------------------------------------------------------------- main */

enum {
	OPT_BY = 256, OPT_JSON, OPT_TSV, OPT_HTML, OPT_HISTORY, OPT_DATE, OPT_SEED, OPT_BOOTSTRAP,
	OPT_UNPAIRED, OPT_FAIL_BELOW, OPT_TOP, OPT_SKIP_BAD, OPT_REJECTS, OPT_STATS, OPT_ALLOW_REPEATS
};

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write the report to FILE (atomically) instead of stdout" },
	{ OPT_BY, "by", RFT_ARG_REQ, "FIELD,...", "group by these fields (dotted paths; model, @file; default model,split)" },
	{ OPT_JSON, "json", RFT_ARG_NONE, NULL, "write every figure as one JSON object instead of the table" },
	{ OPT_TSV, "tsv", RFT_ARG_NONE, NULL, "write the per-case PhEval-style gene table instead" },
	{ OPT_HTML, "html", RFT_ARG_REQ, "FILE", "also write a self-contained HTML page with charts" },
	{ OPT_HISTORY, "history", RFT_ARG_REQ, "FILE", "append the summary to SQLite FILE; the HTML shows the trend" },
	{ OPT_DATE, "date", RFT_ARG_REQ, "DATE", "the report's date (default: now, UTC, ISO 8601)" },
	{ OPT_SEED, "seed", RFT_ARG_REQ, "N", "bootstrap seed (default 1)" },
	{ OPT_BOOTSTRAP, "bootstrap", RFT_ARG_REQ, "N", "bootstrap replicates (default 1000; 0: no intervals)" },
	{ OPT_UNPAIRED, "unpaired", RFT_ARG_NONE, NULL, "compare runs over different cases as independent samples" },
	{ OPT_ALLOW_REPEATS, "allow-repeats", RFT_ARG_NONE, NULL, "pool lines of one case within a run (repeated samples) instead of refusing them" },
	{ OPT_FAIL_BELOW, "fail-below", RFT_ARG_REQ, "M=F,...", "exit 1 when a figure (top1, mrr, ...) is below F" },
	{ OPT_TOP, "top", RFT_ARG_REQ, "N", "rows of the most-predicted genes per run (default 15)" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (count, reject) up to N bad records instead of stopping" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write skipped bad records to FILE" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print the number of lines read on stderr" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-report", "[OPTION]... [GRADED.jsonl]...",
	"Summarise graded samples per run: Top-1/3/5/10/Max, MRR and reward with 95%\n"
	"intervals, gene-level (macro) figures, and paired comparisons of runs.",
	options,
	"metrics for --fail-below: top1 top3 top5 top10 topmax mrr reward macro_top1\n"
	"macro_top5 macro_topmax macro_mrr macro_reward (values 0..1).\n"
	"exit status: 0 ok, 1 a figure below its --fail-below floor, 64 usage, 65 bad\n"
	"data (a case twice in a run, or runs over different cases), 66 input\n"
	"missing, 74 I/O error.\n"
	"See rft-report(1).\n"
};

static void parse_by(const char *arg)
{
	const char *p = arg;

	opt.nby = 0;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > 100)
			die(RFT_EX_USAGE, "bad field list '%s'", arg);
		if (opt.nby == MAX_BY)
			die(RFT_EX_USAGE, "at most %d --by fields", MAX_BY);
		opt.by[opt.nby++] = estrndup(p, n);
		p += n + (p[n] == ',');
	}
	if (!opt.nby)
		die(RFT_EX_USAGE, "--by needs at least one field");
}

static void parse_floors(const char *arg)
{
	const char *p = arg;

	while (*p) {
		size_t n = strcspn(p, "=,");
		int m;
		char *end;
		double v;

		for (m = 0; m < NMETRICS; m++)
			if (strlen(metric_name[m]) == n && !strncmp(p, metric_name[m], n))
				break;
		if (m == NMETRICS || p[n] != '=')
			die(RFT_EX_USAGE, "bad --fail-below '%s': want METRIC=VALUE,... with METRIC one of "
			    "top1 top3 top5 top10 topmax mrr reward macro_top1 macro_top5 macro_topmax "
			    "macro_mrr macro_reward", arg);
		p += n + 1;
		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p || !(v >= 0) || v > 1)
			die(RFT_EX_USAGE, "bad value in --fail-below '%s' (want 0..1)", arg);
		opt.floor[m] = v;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			die(RFT_EX_USAGE, "bad --fail-below '%s'", arg);
	}
}

static int check_floors(void)
{
	struct strbuf lb = STRBUF_INIT;
	size_t gi;
	int m, failed = 0;

	for (gi = 0; gi < ngroups; gi++)
		for (m = 0; m < NMETRICS; m++) {
			double v = metric(&groups[gi], m);

			if (isnan(opt.floor[m]) || !(v < opt.floor[m]))
				continue;
			warn("%s: %s %.4f is below %g", group_label(&groups[gi], &lb), metric_name[m], v,
			     opt.floor[m]);
			failed = 1;
		}
	strbuf_release(&lb);
	return failed;
}

static void release_all(void)
{
	size_t i;
	int j;

	for (i = 0; i < ngroups; i++) {
		for (j = 0; j < opt.nby; j++)
			free(groups[i].vals[j]);
		free(groups[i].vals);
		free(groups[i].key);
		free(groups[i].recs);
		free(groups[i].fruns);
		free(groups[i].ties);
		for (j = 0; j < NPROV; j++)
			free(groups[i].prov[j]);
		u64map_release(&groups[i].gene_ix);
		u64map_release(&groups[i].cohort_ix);
		strmap_release(&groups[i].syms);
		free(groups[i].sym_agg);
	}
	free(groups);
	for (i = 0; i < ncmps; i++) {
		free(cmps[i].gained_ids);
		free(cmps[i].lost_ids);
		free(cmps[i].gained_genes);
		free(cmps[i].lost_genes);
	}
	free(cmps);
	for (i = 0; i < ntrend; i++) {
		free(trend[i].run);
		free(trend[i].date);
	}
	free(trend);
	for (j = 0; j < opt.nby; j++)
		free((char *)opt.by[j]);
	strmap_release(&group_ix);
	strmap_release(&families);
	strmap_release(&cases);
	strmap_release(&genes);
	strmap_release(&cohorts);
	strmap_release(&symbols);
	strmap_release(&files);
	free(gene_aggs);
	free(cohort_aggs);
	free(sym_aggs);
}

int main(int argc, char **argv)
{
	struct rft_records r;
	struct rft_output html;
	struct strbuf err = STRBUF_INIT, tsv = STRBUF_INIT, doc = STRBUF_INIT;
	char datebuf[32];
	const char *date;
	int c, m, status = RFT_EX_OK, html_open = 0;

	rft_init("rft-report");
	opt.seed = 1;
	opt.nboot = 1000;
	opt.skip_bad = -1;
	opt.top = 15;
	for (m = 0; m < NMETRICS; m++)
		opt.floor[m] = NAN;
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.out = optarg; break;
		case OPT_BY:
			for (m = 0; m < opt.nby; m++)
				free((char *)opt.by[m]);
			parse_by(optarg);
			opt.by_given = 1;
			break;
		case OPT_JSON: opt.format = FMT_JSON; break;
		case OPT_TSV: opt.format = FMT_TSV; break;
		case OPT_HTML: opt.html = optarg; break;
		case OPT_HISTORY: opt.history = optarg; break;
		case OPT_DATE:
			if (!*optarg)
				die(RFT_EX_USAGE, "--date needs a value");
			opt.date = optarg;
			break;
		case OPT_SEED: opt.seed = (unsigned long long)rft_opt_count("seed", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_BOOTSTRAP:
			opt.nboot = rft_opt_count("bootstrap", optarg, 0, 1000000);
			break;
		case OPT_UNPAIRED: opt.unpaired = 1; break;
		case OPT_ALLOW_REPEATS: opt.allow_repeats = 1; break;
		case OPT_FAIL_BELOW: parse_floors(optarg); break;
		case OPT_TOP: opt.top = (long)rft_opt_count("top", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_STATS: opt.stats = 1; break;
		}
	}
	if (!opt.by_given) {
		/* several files: each is a run of its own unless --by says otherwise */
		if (argc - optind > 1)
			parse_by("@file,model,split");
		else
			parse_by("model,split");
	}
	for (m = 0; m < opt.nby; m++)
		if (!strcmp(opt.by[m], "split"))
			split_by = m;
	if (opt.date) {
		date = opt.date;
	} else {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(datebuf, sizeof(datebuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		date = datebuf;
	}

	if (rft_output_open(&out, opt.out) < 0) {
		status = RFT_EX_IOERR;
		goto done;
	}
	if (opt.format == FMT_TSV) {
		static const char head[] = "rank\tscore\tgene_symbol\tgene_identifier\ttrue_positive\tcase_id\trun\n";

		rft_output_write(&out, head, sizeof(head) - 1);
	}
	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&r, opt.rejects) < 0) {
		rft_records_release(&r);
		status = RFT_EX_IOERR;
		goto fail;
	}
	/* find only what is read, with no tree built: sample lines carry long
	 * texts (the answer, the prompt) that a report never looks at */
	for (m = 0; m < NPROV; m++) {
		int k;

		prov_first[m] = nspan_paths;
		for (k = 0; prov_paths[m][k]; k++)
			span_paths[nspan_paths++] = prov_paths[m][k];
	}
	prov_first[NPROV] = nspan_paths;
	by_first = nspan_paths;
	for (m = 0; m < opt.nby; m++)
		span_paths[nspan_paths++] = opt.by[m];
	r.spans = span_paths;
	r.nspans = nspan_paths;
	rft_records_map(&r, rft_threads(0), sizeof(struct taken), check, take,
			opt.format == FMT_TSV ? &tsv : NULL);
	if (opt.stats)
		warn("%llu lines read, %zu runs, %zu cases, %zu genes%s", r.nread, ngroups, cases.n, genes.n,
		     r.nbad ? ", some bad records skipped" : "");
	rft_records_release(&r);
	if (rft_records_commit_rejects(&r) < 0) {
		status = RFT_EX_IOERR;
		goto fail;
	}
	if (!ngroups)
		die(RFT_EX_DATA, "no graded lines: nothing to report");

	check_repeats();
	compute_groups();
	compute_comparisons();
	if (nsym_aggs)
		qsort(sym_aggs, nsym_aggs, sizeof(*sym_aggs), cmp_pagg);
	if (ncohort_aggs)
		qsort(cohort_aggs, ncohort_aggs, sizeof(*cohort_aggs), cmp_cohort);
	/* the history's transaction stays open until the outputs are on disk */
	if (opt.history)
		history_begin(date);

	if (opt.format == FMT_TSV)
		strbuf_add(&doc, tsv.buf, tsv.len);
	else if (opt.format == FMT_JSON)
		write_json(&doc, date);
	else
		write_table(&doc);
	rft_output_write(&out, doc.buf, doc.len);
	if (opt.html) {
		strbuf_reset(&doc);
		write_html(&doc, date);
		if (rft_output_open(&html, opt.html) < 0) {
			status = RFT_EX_IOERR;
			goto fail;
		}
		html_open = 1;
		rft_output_write(&html, doc.buf, doc.len);
	}
	/* a full disk shows here, before the history says this report was made */
	if (rft_output_sync(&out) < 0 || (html_open && rft_output_sync(&html) < 0) ||
	    (opt.history && history_commit() < 0)) {
		status = RFT_EX_IOERR;
		goto fail;
	}
	if (html_open) {
		html_open = 0;
		if (rft_output_commit(&html) < 0) {
			status = RFT_EX_IOERR;
			goto fail;
		}
	}
	if (rft_output_commit(&out) < 0) {
		status = RFT_EX_IOERR;
		goto done;
	}
	if (check_floors())
		status = RFT_EX_FAIL;
	goto done;
fail:
	/* nothing half-made is left: the history rolled back, the outputs removed */
	history_abort();
	if (html_open)
		rft_output_abort(&html);
	rft_output_abort(&out);
done:
	strbuf_release(&err);
	strbuf_release(&tsv);
	strbuf_release(&doc);
	release_all();
	return rft_finish(status);
}
