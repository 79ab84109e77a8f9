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
 * Structure: the data files are loaded once and turned into read-only tables
 * (per-term ancestors in decreasing IC, per-term postings of units).  The main
 * thread reads cases in batches; worker threads score a batch's cases, each
 * into its own slot; the main thread writes the slots in input order, so the
 * output does not depend on -j.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/case.h"
#include "common/datafile.h"
#include "common/hgnc.h"
#include "common/hpo.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/util.h"

#define BATCH 256
#define MAX_THREADS 64

enum { M_DISEASE, M_GENE };
static const char *const method_name[] = { "disease", "gene" };

static struct {
	const char *output, *rejects, *hpo_dir, *ontology, *hgnc;
	const char *annotations[4];
	int nannotations;
	int method, k, explain, threads, stats;
	double absent_weight, breadth;
	long long skip_bad;
} opt = {
	NULL, NULL, NULL, NULL, NULL, { NULL }, 0,
	M_DISEASE, 20, 5, 0, 0,
	0.25, 0.75, -1   /* absent weight and breadth: chosen on a train split, see bench-rank */
};

/* ----------------------------------------------------------------- model */

static struct hpo_ontology onto;
static struct hpo_annotations ann;
static struct hgnc hgnc;

static double *ic;                /* by term */
static struct hpo_rows anc_ic;    /* ancestors with IC > 0, in decreasing IC */
static struct hpo_rows unit_prof; /* propagated profile of each unit, sorted */
static struct hpo_rows post;      /* term -> units holding it */
static double *mu;                /* by unit */
static uint32_t *unit_src;        /* unit -> disease (disease method) or gene */
static size_t nunits;
static struct hpo_rows gene_units;/* gene -> units */
static const char **gene_sym;     /* output symbol */
static const char **gene_hgnc;    /* HGNC id or NULL */
static uint32_t *gene_tie;        /* tie-break rank */
static size_t ngenes, ngenes_nohgnc, ndiseases_ic;
static char *params_json, *data_json;

struct u32buf {
	uint32_t *v;
	size_t n, cap;
};

static void u32b_push(struct u32buf *b, uint32_t x)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->v = erealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n++] = x;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Build rows from per-row lists given by a callback into a u32buf. */
static void rows_from(struct hpo_rows *r, size_t n)
{
	r->n = n;
	r->off = ecalloc(n + 1, sizeof(*r->off));
	r->idx = NULL;
}

/* propagated profile of a set of direct terms, sorted, into out (appended) */
static void propagate(const uint32_t *terms, size_t n, uint32_t *mark, uint32_t stamp,
		      struct u32buf *out)
{
	size_t i, j, start = out->n;

	for (i = 0; i < n; i++) {
		const uint32_t *a = hpo_row(&onto.ancestors, terms[i]);
		uint32_t na = hpo_row_len(&onto.ancestors, terms[i]);

		for (j = 0; j < na; j++)
			if (mark[a[j]] != stamp) {
				mark[a[j]] = stamp;
				u32b_push(out, a[j]);
			}
	}
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(uint32_t), cmp_u32);
}

static const double *ic_sort_key;

static int cmp_ic_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	double p = ic_sort_key[x], q = ic_sort_key[y];

	if (p != q)
		return p > q ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int row_has(const struct hpo_rows *r, size_t row, uint32_t x)
{
	const uint32_t *v = hpo_row(r, row);
	size_t lo = 0, hi = hpo_row_len(r, row);

	while (lo < hi) {
		size_t m = (lo + hi) / 2;

		if (v[m] < x)
			lo = m + 1;
		else if (v[m] > x)
			hi = m;
		else
			return 1;
	}
	return 0;
}

/* per-thread scratch */
struct scratch {
	double *raw;
	uint32_t *seen;
	uint32_t stamp;
	double *gscore;
};

static void scratch_init(struct scratch *s)
{
	s->raw = ecalloc(nunits ? nunits : 1, sizeof(*s->raw));
	s->seen = ecalloc(nunits ? nunits : 1, sizeof(*s->seen));
	s->gscore = ecalloc(ngenes ? ngenes : 1, sizeof(*s->gscore));
	s->stamp = 0;
}

static void scratch_release(struct scratch *s)
{
	free(s->raw);
	free(s->seen);
	free(s->gscore);
}

/*
 * best(q, .) for every unit, cached per term: vec[u] is 0 when no ancestor of
 * q with IC > 0 is in u's profile, else 1 + the index in anc_ic's row of q of
 * the most informative one.  Ancestor rows longer than 255 are not cached.
 * Built on first use by whichever thread needs it (published atomically; a
 * thread that loses the race frees its copy), so memory is at most one byte
 * per unit per distinct term used.
 */
static uint8_t **best_cache;

static const uint8_t *best_vec(uint32_t q)
{
	const uint32_t *a = hpo_row(&anc_ic, q);
	uint32_t na = hpo_row_len(&anc_ic, q), i, j;
	uint8_t *v = __atomic_load_n(&best_cache[q], __ATOMIC_ACQUIRE), *expect = NULL;

	if (v || na > 255)
		return v;
	v = ecalloc(nunits ? nunits : 1, 1);
	for (i = 0; i < na; i++) {
		const uint32_t *p = hpo_row(&post, a[i]);
		uint32_t np = hpo_row_len(&post, a[i]);

		for (j = 0; j < np; j++)
			if (!v[p[j]])
				v[p[j]] = (uint8_t)(i + 1);
	}
	if (!__atomic_compare_exchange_n(&best_cache[q], &expect, v, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		free(v);
		v = expect;
	}
	return v;
}

/* raw[u] += weight * best(q, u) for every unit u */
static void add_best(struct scratch *s, uint32_t q, double weight)
{
	const uint32_t *a = hpo_row(&anc_ic, q);
	uint32_t na = hpo_row_len(&anc_ic, q), i, j;
	const uint8_t *v = best_vec(q);
	uint32_t st;

	if (v) {
		double val[256];

		val[0] = 0;
		for (i = 0; i < na; i++)
			val[i + 1] = weight * ic[a[i]];
		for (j = 0; j < nunits; j++)
			s->raw[j] += val[v[j]];
		return;
	}
	if (++s->stamp == 0) {
		memset(s->seen, 0, nunits * sizeof(*s->seen));
		s->stamp = 1;
	}
	st = s->stamp;
	for (i = 0; i < na; i++) {
		const uint32_t *p = hpo_row(&post, a[i]);
		uint32_t np = hpo_row_len(&post, a[i]);
		double v = weight * ic[a[i]];

		for (j = 0; j < np; j++)
			if (s->seen[p[j]] != st) {
				s->seen[p[j]] = st;
				s->raw[p[j]] += v;
			}
	}
}

struct mu_job {
	const uint32_t *terms;
	const double *w;
	size_t from, to;
	double *acc;     /* nunits */
};

static void *mu_worker(void *arg)
{
	struct mu_job *jobs = arg;
	struct scratch s;
	size_t i;

	scratch_init(&s);
	for (; jobs->terms; jobs++) {
		memset(s.raw, 0, nunits * sizeof(*s.raw));
		for (i = jobs->from; i < jobs->to; i++)
			add_best(&s, jobs->terms[i], jobs->w[i]);
		memcpy(jobs->acc, s.raw, nunits * sizeof(*s.raw));
	}
	scratch_release(&s);
	return NULL;
}

/* mu(u): mean best match of u against every direct disease annotation */
#define MU_CHUNKS 8
static void compute_mu(int nthreads)
{
	uint32_t *cnt = ecalloc(onto.n, sizeof(*cnt));
	uint32_t *terms;
	double *w, total = 0;
	size_t i, nt = 0, c;
	struct mu_job jobs[MU_CHUNKS + MAX_THREADS];
	pthread_t th[MAX_THREADS];
	int t;

	for (i = 0; i < ann.dis_terms.off[ann.dis_terms.n]; i++)
		cnt[ann.dis_terms.idx[i]]++;
	terms = emalloc(onto.n * sizeof(*terms));
	w = emalloc(onto.n * sizeof(*w));
	for (i = 0; i < onto.n; i++)
		if (cnt[i]) {
			terms[nt] = (uint32_t)i;
			w[nt++] = cnt[i];
			total += cnt[i];
		}
	free(cnt);
	mu = ecalloc(nunits ? nunits : 1, sizeof(*mu));
	if (nthreads > MU_CHUNKS)
		nthreads = MU_CHUNKS;
	/* chunk c goes to thread c % nthreads; each thread's list ends with a
	 * NULL-terms sentinel; sums are added in chunk order (deterministic) */
	{
		struct mu_job *list[MAX_THREADS] = { NULL };
		double *acc = ecalloc((size_t)MU_CHUNKS * (nunits ? nunits : 1), sizeof(*acc));
		size_t k = 0;

		for (t = 0; t < nthreads; t++) {
			list[t] = &jobs[k];
			for (c = (size_t)t; c < MU_CHUNKS; c += (size_t)nthreads) {
				jobs[k].terms = terms;
				jobs[k].w = w;
				jobs[k].from = nt * c / MU_CHUNKS;
				jobs[k].to = nt * (c + 1) / MU_CHUNKS;
				jobs[k].acc = acc + c * nunits;
				k++;
			}
			jobs[k].terms = NULL;
			k++;
		}
		for (t = 1; t < nthreads; t++) {
			int e = pthread_create(&th[t], NULL, mu_worker, list[t]);

			if (e) {
				errno = e;
				die(RFT_EX_SOFTWARE, "cannot start a thread:");
			}
		}
		mu_worker(list[0]);
		for (t = 1; t < nthreads; t++)
			pthread_join(th[t], NULL);
		for (c = 0; c < MU_CHUNKS; c++)
			for (i = 0; i < nunits; i++)
				mu[i] += acc[c * nunits + i];
		for (i = 0; i < nunits && total > 0; i++)
			mu[i] /= total;
		free(acc);
	}
	free(terms);
	free(w);
}

static long hgnc_number(const char *id)
{
	return id ? strtol(id + 5, NULL, 10) : 0x7fffffffL;
}

static int cmp_gene_tie(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	long p = hgnc_number(gene_hgnc[x]), q = hgnc_number(gene_hgnc[y]);
	int c;

	if (p != q)
		return p < q ? -1 : 1;
	c = strcmp(gene_sym[x], gene_sym[y]);
	return c ? c : (x < y ? -1 : x > y);
}

static void build_model(int nthreads)
{
	size_t nd = ann.disease.n, i, j;
	uint32_t *mark = ecalloc(onto.n, sizeof(*mark)), stamp = 0;
	struct u32buf all = { NULL, 0, 0 }, buf = { NULL, 0, 0 };
	struct hpo_rows dprof;
	uint32_t *cnt, *dis_unit;
	size_t *pfill;

	/* propagated disease profiles and IC */
	rows_from(&dprof, nd);
	for (i = 0; i < nd; i++) {
		propagate(hpo_row(&ann.dis_terms, i), hpo_row_len(&ann.dis_terms, i), mark, ++stamp, &all);
		dprof.off[i + 1] = (uint32_t)all.n;
	}
	dprof.idx = all.v;
	cnt = ecalloc(onto.n, sizeof(*cnt));
	for (i = 0; i < nd; i++)
		if (hpo_row_len(&dprof, i))
			ndiseases_ic++;
	for (i = 0; i < all.n; i++)
		cnt[all.v[i]]++;
	ic = ecalloc(onto.n, sizeof(*ic));
	for (i = 0; i < onto.n; i++)
		ic[i] = cnt[i] ? log((double)ndiseases_ic / cnt[i]) : 0.0;
	free(cnt);

	/* ancestors with IC > 0 by decreasing IC */
	rows_from(&anc_ic, onto.n);
	buf.n = 0;
	ic_sort_key = ic;
	for (i = 0; i < onto.n; i++) {
		const uint32_t *a = hpo_row(&onto.ancestors, i);
		size_t na = hpo_row_len(&onto.ancestors, i), start = buf.n;

		for (j = 0; j < na; j++)
			if (ic[a[j]] > 0)
				u32b_push(&buf, a[j]);
		if (buf.n > start)
			qsort(buf.v + start, buf.n - start, sizeof(uint32_t), cmp_ic_desc);
		anc_ic.off[i + 1] = (uint32_t)buf.n;
	}
	anc_ic.idx = buf.v ? buf.v : emalloc(sizeof(uint32_t));
	buf.v = NULL;
	buf.n = buf.cap = 0;

	/* genes: output names joined through HGNC by NCBI gene id */
	ngenes = ann.gene.n;
	gene_sym = emalloc((ngenes + 1) * sizeof(*gene_sym));
	gene_hgnc = emalloc((ngenes + 1) * sizeof(*gene_hgnc));
	for (i = 0; i < ngenes; i++) {
		long h = hgnc_by_entrez(&hgnc, strmap_key(&ann.gene, (long)i));

		gene_sym[i] = h >= 0 ? hgnc_symbol(&hgnc, h) : ann.gene_symbol[i];
		gene_hgnc[i] = h >= 0 ? hgnc_id(&hgnc, h) : NULL;
		if (h < 0)
			ngenes_nohgnc++;
	}
	{
		uint32_t *order = emalloc((ngenes + 1) * sizeof(*order));

		for (i = 0; i < ngenes; i++)
			order[i] = (uint32_t)i;
		qsort(order, ngenes, sizeof(*order), cmp_gene_tie);
		gene_tie = emalloc((ngenes + 1) * sizeof(*gene_tie));
		for (i = 0; i < ngenes; i++)
			gene_tie[order[i]] = (uint32_t)i;
		free(order);
	}

	/* units and their profiles */
	rows_from(&unit_prof, 0);
	free(unit_prof.off);
	all.v = NULL;
	all.n = all.cap = 0;
	rows_from(&gene_units, ngenes);
	if (opt.method == M_DISEASE) {
		struct u32buf gu = { NULL, 0, 0 };

		dis_unit = emalloc((nd + 1) * sizeof(*dis_unit));
		for (i = 0; i < nd; i++)
			dis_unit[i] = UINT32_MAX;
		unit_src = emalloc((nd + 1) * sizeof(*unit_src));
		for (i = 0; i < ngenes; i++) {
			const uint32_t *d = hpo_row(&ann.gene_dis, i);

			for (j = 0; j < hpo_row_len(&ann.gene_dis, i); j++) {
				if (!hpo_row_len(&dprof, d[j]))
					continue;
				if (dis_unit[d[j]] == UINT32_MAX) {
					dis_unit[d[j]] = (uint32_t)nunits;
					unit_src[nunits++] = d[j];
				}
				u32b_push(&gu, dis_unit[d[j]]);
			}
			gene_units.off[i + 1] = (uint32_t)gu.n;
		}
		gene_units.idx = gu.v ? gu.v : emalloc(sizeof(uint32_t));
		unit_prof.n = nunits;
		unit_prof.off = ecalloc(nunits + 1, sizeof(uint32_t));
		for (i = 0; i < nunits; i++) {
			const uint32_t *p = hpo_row(&dprof, unit_src[i]);

			for (j = 0; j < hpo_row_len(&dprof, unit_src[i]); j++)
				u32b_push(&all, p[j]);
			unit_prof.off[i + 1] = (uint32_t)all.n;
		}
		free(dis_unit);
	} else {
		unit_src = emalloc((ngenes + 1) * sizeof(*unit_src));
		unit_prof.off = ecalloc(ngenes + 1, sizeof(uint32_t));
		gene_units.idx = emalloc((ngenes + 1) * sizeof(uint32_t));
		for (i = 0; i < ngenes; i++) {
			const uint32_t *d = hpo_row(&ann.gene_dis, i);
			size_t start = all.n, k;

			++stamp;
			for (j = 0; j < hpo_row_len(&ann.gene_dis, i); j++) {
				const uint32_t *p = hpo_row(&dprof, d[j]);

				for (k = 0; k < hpo_row_len(&dprof, d[j]); k++)
					if (mark[p[k]] != stamp) {
						mark[p[k]] = stamp;
						u32b_push(&all, p[k]);
					}
			}
			if (all.n > start) {
				qsort(all.v + start, all.n - start, sizeof(uint32_t), cmp_u32);
				gene_units.idx[gene_units.off[i]] = (uint32_t)nunits;
				gene_units.off[i + 1] = gene_units.off[i] + 1;
				unit_src[nunits++] = (uint32_t)i;
				unit_prof.off[nunits] = (uint32_t)all.n;
			} else {
				gene_units.off[i + 1] = gene_units.off[i];
			}
		}
		unit_prof.n = nunits;
	}
	unit_prof.idx = all.v ? all.v : emalloc(sizeof(uint32_t));
	free(dprof.off);
	free(dprof.idx);
	free(mark);

	/* postings: term -> units */
	rows_from(&post, onto.n);
	for (i = 0; i < unit_prof.off[nunits]; i++)
		post.off[unit_prof.idx[i] + 1]++;
	for (i = 0; i < onto.n; i++)
		post.off[i + 1] += post.off[i];
	post.idx = emalloc((post.off[onto.n] + 1) * sizeof(uint32_t));
	pfill = ecalloc(onto.n, sizeof(*pfill));
	for (i = 0; i < nunits; i++) {
		const uint32_t *p = hpo_row(&unit_prof, i);

		for (j = 0; j < hpo_row_len(&unit_prof, i); j++)
			post.idx[post.off[p[j]] + pfill[p[j]]++] = (uint32_t)i;
	}
	free(pfill);
	best_cache = ecalloc(onto.n, sizeof(*best_cache));
	compute_mu(nthreads);
}

static void release_model(void)
{
	size_t i;

	for (i = 0; i < onto.n; i++)
		free(best_cache[i]);
	free(best_cache);
	free(ic);
	free(anc_ic.off);
	free(anc_ic.idx);
	free(unit_prof.off);
	free(unit_prof.idx);
	free(post.off);
	free(post.idx);
	free(mu);
	free(unit_src);
	free(gene_units.off);
	free(gene_units.idx);
	free(gene_sym);
	free(gene_hgnc);
	free(gene_tie);
	free(params_json);
	free(data_json);
}

/* ------------------------------------------------------------------ cases */

struct item {
	struct json_object *obj;
	struct strbuf line;      /* the case line; becomes the sample line */
	struct strbuf ref;       /* the reference object */
	struct strbuf terms;     /* the "terms" report object */
	struct u32buf present, absent;
	int error;               /* no known present term */
	struct strbuf errmsg;
};

static struct item items[BATCH];
static size_t nitems;

static struct {
	unsigned long long cases, ranked, errors, present, absent, used_present, used_absent;
	unsigned long long alt, replaced, obsolete, unknown, contradictory;
} count;

static int u32b_has(const struct u32buf *b, uint32_t x)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i] == x)
			return 1;
	return 0;
}

static const char *const how_name[] = { "term", "alt_id", "replaced", "obsolete", "unknown" };

/* Map a case's present or absent terms; 0, or -1 with a message in err. */
static int map_terms(struct item *it, const char *key, struct u32buf *out,
		     struct strbuf *mapped, struct strbuf *unknown, struct strbuf *err)
{
	struct json_object *arr = rft_json_get(it->obj, key);
	size_t i, n;

	if (!arr) {
		return 0;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		strbuf_addf(err, "%s is %s, not an array", key, rft_json_type_name(arr));
		return -1;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(arr, i);
		const char *id = rft_json_get_str(t, "id");
		enum hpo_how how;
		long x;

		if (!t || !json_object_is_type(t, json_type_object)) {
			strbuf_addf(err, "%s[%zu] is %s, not an object", key, i, rft_json_type_name(t));
			return -1;
		}
		if (!id) {
			strbuf_addf(err, "%s[%zu].id is %s, not a string", key, i,
				    rft_json_get(t, "id") ? rft_json_type_name(rft_json_get(t, "id")) : "missing");
			return -1;
		}
		if (key[0] == 'p')
			count.present++;
		else
			count.absent++;
		x = hpo_lookup(&onto, id, &how);
		switch (how) {
		case HPO_TERM: break;
		case HPO_ALT: count.alt++; break;
		case HPO_REPLACED: count.replaced++; break;
		case HPO_OBSOLETE: count.obsolete++; break;
		case HPO_UNKNOWN: count.unknown++; break;
		}
		if (how == HPO_ALT || how == HPO_REPLACED) {
			if (mapped->len > 1)
				strbuf_addch(mapped, ',');
			strbuf_addstr(mapped, "{\"id\":");
			json_put_str(mapped, id);
			strbuf_addstr(mapped, ",\"to\":");
			json_put_str(mapped, hpo_id(&onto, x));
			strbuf_addstr(mapped, ",\"how\":");
			json_put_str(mapped, how_name[how]);
			strbuf_addch(mapped, '}');
		} else if (x < 0) {
			if (unknown->len > 1)
				strbuf_addch(unknown, ',');
			strbuf_addstr(unknown, "{\"id\":");
			json_put_str(unknown, id);
			strbuf_addstr(unknown, ",\"how\":");
			json_put_str(unknown, how_name[how]);
			strbuf_addch(unknown, '}');
		}
		if (x >= 0 && !u32b_has(out, (uint32_t)x))
			u32b_push(out, (uint32_t)x);
	}
	return 0;
}

/* Read one case into an item; 0 if it was bad (skipped). */
static int take_case(struct rft_records *r, struct item *it)
{
	struct strbuf err = STRBUF_INIT, mapped = STRBUF_INIT, unknown = STRBUF_INIT;
	size_t i, k;

	strbuf_reset(&it->line);
	strbuf_add(&it->line, r->line.buf, r->line.len);
	strbuf_reset(&it->ref);
	strbuf_reset(&it->terms);
	strbuf_reset(&it->errmsg);
	it->present.n = it->absent.n = 0;
	it->error = 0;
	strbuf_addch(&mapped, '[');
	strbuf_addch(&unknown, '[');
	if (rft_case_reference(it->obj, &it->ref, &err) < 0 ||
	    map_terms(it, "present", &it->present, &mapped, &unknown, &err) < 0 ||
	    map_terms(it, "absent", &it->absent, &mapped, &unknown, &err) < 0) {
		rft_records_bad(r, "%s", err.buf);
		strbuf_release(&err);
		strbuf_release(&mapped);
		strbuf_release(&unknown);
		return 0;
	}
	/* a term both present and absent (after mapping) counts as present */
	for (i = k = 0; i < it->absent.n; i++) {
		if (u32b_has(&it->present, it->absent.v[i])) {
			count.contradictory++;
			continue;
		}
		it->absent.v[k++] = it->absent.v[i];
	}
	it->absent.n = k;
	strbuf_addch(&mapped, ']');
	strbuf_addch(&unknown, ']');
	strbuf_addf(&it->terms, "{\"present\":%zu,\"absent\":%zu,\"mapped\":%s,\"unknown\":%s}",
		    it->present.n, it->absent.n, mapped.buf, unknown.buf);
	count.used_present += it->present.n;
	count.used_absent += it->absent.n;
	if (!it->present.n) {
		it->error = 1;
		strbuf_addf(&it->errmsg, "no present term of the case is a known term of HPO %s",
			    onto.version ? onto.version : "(unknown release)");
	}
	strbuf_release(&err);
	strbuf_release(&mapped);
	strbuf_release(&unknown);
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
	strbuf_addf(sb, "%s (%s)", onto.label[t], hpo_id(&onto, t));
}

/* Explain gene g's score through its unit u. */
static void explain(struct strbuf *sb, const struct item *it, uint32_t g, uint32_t u, double score,
		    int rank)
{
	struct contrib *c = emalloc((it->present.n + it->absent.n + 1) * sizeof(*c));
	size_t n = 0, i, shown;
	double other = 0;

	for (i = 0; i < it->present.n; i++) {
		uint32_t q = it->present.v[i];
		const uint32_t *a = hpo_row(&anc_ic, q);
		uint32_t na = hpo_row_len(&anc_ic, q), j;

		for (j = 0; j < na; j++)
			if (row_has(&unit_prof, u, a[j])) {
				c[n].q = q;
				c[n].a = a[j];
				c[n].v = ic[a[j]];
				c[n++].absent = 0;
				break;
			}
	}
	for (i = 0; i < it->absent.n; i++) {
		uint32_t e = it->absent.v[i];

		if (opt.absent_weight != 0 && ic[e] > 0 && row_has(&unit_prof, u, e)) {
			c[n].q = c[n].a = e;
			c[n].v = opt.absent_weight * ic[e];
			c[n++].absent = 1;
		}
	}
	if (n)
		qsort(c, n, sizeof(*c), cmp_contrib);
	strbuf_addf(sb, "%d. %s %.2f", rank, gene_sym[g], score);
	if (opt.method == M_DISEASE) {
		uint32_t d = unit_src[u];

		strbuf_addf(sb, " via %s", strmap_key(&ann.disease, d));
		if (ann.disease_name[d][0])
			strbuf_addf(sb, " %s", ann.disease_name[d]);
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
	if (opt.breadth != 0)
		strbuf_addf(sb, "; breadth %+.2f", -opt.breadth * (double)it->present.n * mu[u]);
	free(c);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void rank_item(struct item *it, struct scratch *s)
{
	double t0 = now_ms(), sub;
	uint32_t *top = emalloc(((size_t)opt.k + 1) * sizeof(*top));
	uint32_t *topu = emalloc(((size_t)opt.k + 1) * sizeof(*topu));
	size_t ntop = 0, i, j;
	struct strbuf sample = STRBUF_INIT, oj = STRBUF_INIT, ex = STRBUF_INIT;

	if (it->error) {
		strbuf_addstr(&sample, "{\"code\":\"no_known_terms\",\"message\":");
		json_put_str(&sample, it->errmsg.buf);
		strbuf_addf(&sample, ",\"model\":\"rft-rank/%s\",\"terms\":%s,\"params\":%s,\"data\":%s}",
			    method_name[opt.method], it->terms.buf, params_json, data_json);
		rft_record_set(&it->line, it->obj, "reference", it->ref.buf);
		rft_record_put(&it->line, it->obj, "error", sample.buf);
		goto done;
	}
	memset(s->raw, 0, nunits * sizeof(*s->raw));
	for (i = 0; i < it->present.n; i++)
		add_best(s, it->present.v[i], 1.0);
	if (opt.absent_weight != 0)
		for (i = 0; i < it->absent.n; i++) {
			uint32_t e = it->absent.v[i];
			const uint32_t *p = hpo_row(&post, e);
			uint32_t np = hpo_row_len(&post, e);
			double v = opt.absent_weight * ic[e];

			for (j = 0; j < np; j++)
				s->raw[p[j]] += v;
		}
	sub = opt.breadth * (double)it->present.n;
	for (i = 0; i < nunits; i++)
		s->raw[i] -= sub * mu[i];
	/* top k genes: score desc, then tie rank asc (insertion into a short list) */
	for (i = 0; i < ngenes; i++) {
		const uint32_t *u = hpo_row(&gene_units, i);
		uint32_t nu = hpo_row_len(&gene_units, i), bu;
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

			if (best < s->gscore[w] || (best == s->gscore[w] && gene_tie[i] > gene_tie[w]))
				continue;
			ntop--;
		}
		pos = ntop;
		while (pos > 0 && (best > s->gscore[top[pos - 1]] ||
				   (best == s->gscore[top[pos - 1]] && gene_tie[i] < gene_tie[top[pos - 1]]))) {
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
		json_put_str(&oj, gene_sym[top[i]]);
	}
	strbuf_addstr(&oj, "],\"explanation\":");
	for (i = 0; i < ntop; i++) {
		if (i)
			strbuf_addch(&ex, '\n');
		explain(&ex, it, top[i], topu[i], s->gscore[top[i]], (int)i + 1);
	}
	json_put_str(&oj, ex.buf);
	strbuf_addch(&oj, '}');

	strbuf_addf(&sample, "{\"model\":\"rft-rank/%s\",\"output_json\":%s,\"output_text\":",
		    method_name[opt.method], oj.buf);
	json_put_str(&sample, oj.buf);
	strbuf_addstr(&sample, ",\"finish_reason\":\"stop\","
		      "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0},");
	strbuf_addf(&sample, "\"latency_ms\":%.0f,\"attempts\":1,\"cached\":false,\"ranking\":[",
		    now_ms() - t0);
	for (i = 0; i < ntop; i++) {
		strbuf_addstr(&sample, i ? ",{\"symbol\":" : "{\"symbol\":");
		json_put_str(&sample, gene_sym[top[i]]);
		strbuf_addstr(&sample, ",\"hgnc\":");
		json_put_str_or_null(&sample, gene_hgnc[top[i]]);
		strbuf_addstr(&sample, ",\"score\":");
		json_put_fixed(&sample, s->gscore[top[i]], 4);
		strbuf_addstr(&sample, ",\"via\":");
		if (opt.method == M_DISEASE)
			json_put_str(&sample, strmap_key(&ann.disease, unit_src[topu[i]]));
		else
			strbuf_addstr(&sample, "null");
		strbuf_addch(&sample, '}');
	}
	strbuf_addf(&sample, "],\"terms\":%s,\"params\":%s,\"data\":%s}", it->terms.buf,
		    params_json, data_json);
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

static size_t next_item;
static pthread_mutex_t mu_lock = PTHREAD_MUTEX_INITIALIZER;
static struct scratch scr[MAX_THREADS];

static void *work(void *arg)
{
	struct scratch *s = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&mu_lock);
		i = next_item++;
		pthread_mutex_unlock(&mu_lock);
		if (i >= nitems)
			break;
		rank_item(&items[i], s);
	}
	return NULL;
}

static void run_batch(struct rft_output *out)
{
	pthread_t th[MAX_THREADS];
	int t, n = opt.threads;
	size_t i;

	if ((size_t)n > nitems)
		n = (int)nitems;
	next_item = 0;
	for (t = 1; t < n; t++) {
		int e = pthread_create(&th[t], NULL, work, &scr[t]);

		if (e) {
			errno = e;
			die(RFT_EX_SOFTWARE, "cannot start a thread:");
		}
	}
	work(&scr[0]);
	for (t = 1; t < n; t++)
		pthread_join(th[t], NULL);
	for (i = 0; i < nitems; i++) {
		rft_output_write(out, items[i].line.buf, items[i].line.len);
		json_object_put(items[i].obj);
		items[i].obj = NULL;
	}
	nitems = 0;
}

/* ------------------------------------------------------------- data files */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

static int is_ontology(const char *name)
{
	return !strncmp(name, "hp", 2) && (has_suffix(name, ".json") || has_suffix(name, ".json.gz"));
}

static int is_hpoa(const char *name)
{
	return has_suffix(name, ".hpoa") || has_suffix(name, ".hpoa.gz");
}

static int is_genes_to_phenotype(const char *name)
{
	return !strncmp(name, "genes_to_phenotype", 18);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void load_data(void)
{
	char *hpo_dir = NULL, *ont = NULL, *hgnc_file = NULL, *ann_files[4] = { NULL };
	const char *env;
	int i, rc, nann = 0;
	struct strbuf sb = STRBUF_INIT;

	if (opt.hpo_dir)
		hpo_dir = estrdup(opt.hpo_dir);
	else if ((env = getenv("RFT_HPO_DIR")) && *env)
		hpo_dir = estrdup(env);
	else if (!opt.ontology || !opt.nannotations)
		hpo_dir = rft_data_default("hpo");
	if (!hpo_dir && (!opt.ontology || !opt.nannotations))
		die(RFT_EX_NOINPUT, "no HPO data: give --hpo-dir DIR (or --ontology and --annotations)");
	ont = opt.ontology ? estrdup(opt.ontology) : rft_find_in_dir(hpo_dir, is_ontology, 1, "ontology (hp*.json[.gz])", "ontology");
	if (opt.nannotations) {
		for (i = 0; i < opt.nannotations; i++)
			ann_files[nann++] = estrdup(opt.annotations[i]);
	} else {
		ann_files[nann] = rft_find_in_dir(hpo_dir, is_hpoa, 0, "disease annotation (*.hpoa[.gz])", "annotations");
		if (ann_files[nann])
			nann++;
		ann_files[nann++] = rft_find_in_dir(hpo_dir, is_genes_to_phenotype, 1, "gene annotation (genes_to_phenotype*)", "annotations");
	}
	if (!(hgnc_file = rft_hgnc_path(opt.hgnc)))
		die(RFT_EX_NOINPUT, "no HGNC data: give --hgnc FILE");

	if ((rc = hpo_ontology_load(&onto, ont)))
		exit(rft_finish(rc));
	hpo_annotations_init(&ann);
	for (i = 0; i < nann; i++)
		if ((rc = hpo_annotations_load(&ann, &onto, ann_files[i])))
			exit(rft_finish(rc));
	hpo_annotations_finish(&ann);
	if (access(hgnc_file, R_OK) < 0)
		die(RFT_EX_NOINPUT, "cannot open '%s':", hgnc_file);
	if (hgnc_load(&hgnc, hgnc_file, &sb) < 0)
		die(strstr(sb.buf, "not an HGNC") || strstr(sb.buf, "no genes") ? RFT_EX_CONFIG : RFT_EX_DATA,
		    "%s", sb.buf);
	for (i = 0; i < ann.nfiles; i++)
		if (ann.files[i].kind == HPO_FILE_GENES)
			break;
	if (i == ann.nfiles)
		die(RFT_EX_CONFIG, "no gene annotation file (genes_to_phenotype) among the annotations");

	strbuf_addstr(&sb, "{\"hpo\":");
	json_put_str_or_null(&sb, onto.version);
	strbuf_addstr(&sb, ",\"ontology\":");
	json_put_str(&sb, base(ont));
	strbuf_addstr(&sb, ",\"annotations\":[");
	for (i = 0; i < ann.nfiles; i++) {
		strbuf_addstr(&sb, i ? ",{\"file\":" : "{\"file\":");
		json_put_str(&sb, base(ann.files[i].path));
		strbuf_addstr(&sb, ",\"version\":");
		json_put_str_or_null(&sb, ann.files[i].version);
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, "],\"hgnc\":");
	json_put_str(&sb, base(hgnc_file));
	strbuf_addch(&sb, '}');
	data_json = strbuf_detach(&sb, NULL);

	strbuf_addf(&sb, "{\"method\":\"%s\",\"k\":%d,\"absent_weight\":", method_name[opt.method], opt.k);
	json_put_fixed(&sb, opt.absent_weight, 6);
	strbuf_addstr(&sb, ",\"breadth\":");
	json_put_fixed(&sb, opt.breadth, 6);
	strbuf_addf(&sb, ",\"explain\":%d}", opt.explain);
	params_json = strbuf_detach(&sb, NULL);

	free(hpo_dir);
	free(ont);
	free(hgnc_file);
	for (i = 0; i < nann; i++)
		free(ann_files[i]);
}

/* ------------------------------------------------------------------ main */

enum {
	OPT_REJECTS = 256, OPT_SKIP_BAD, OPT_STATS, OPT_HPO_DIR, OPT_ONTOLOGY, OPT_ANNOTATIONS,
	OPT_HGNC, OPT_ABSENT_WEIGHT, OPT_BREADTH, OPT_EXPLAIN
};

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write the samples to FILE (atomically; default stdout)" },
	{ 'm', "method", RFT_ARG_REQ, "disease|gene", "score each disease and keep a gene's best (default), or merge a gene's diseases into one profile" },
	{ 'k', "k", RFT_ARG_REQ, "N", "list the top N genes (default 20)" },
	{ OPT_ABSENT_WEIGHT, "absent-weight", RFT_ARG_REQ, "W", "add W x IC(e) for each absent term e a unit is annotated with (default 0.25; negative penalises)" },
	{ OPT_BREADTH, "breadth", RFT_ARG_REQ, "B", "subtract B x (present terms) x the unit's mean match to random terms (default 0.75)" },
	{ OPT_EXPLAIN, "explain", RFT_ARG_REQ, "N", "name up to N matched terms per listed gene (default 5)" },
	{ OPT_HPO_DIR, "hpo-dir", RFT_ARG_REQ, "DIR", "HPO release folder: hp*.json[.gz], *.hpoa[.gz], genes_to_phenotype* (default $RFT_HPO_DIR, else testdata/hpo)" },
	{ OPT_ONTOLOGY, "ontology", RFT_ARG_REQ, "FILE", "the HPO ontology (obographs JSON), instead of the one in --hpo-dir" },
	{ OPT_ANNOTATIONS, "annotations", RFT_ARG_REQ, "FILE", "an annotation file (phenotype.hpoa, genes_to_phenotype.txt); repeat; replaces those in --hpo-dir" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE|DIR", "HGNC complete set, joining NCBI gene ids to HGNC (default $RFT_HGNC, else testdata/hgnc)" },
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

static double num_arg(const char *name, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(d))
		die(RFT_EX_USAGE, "option '--%s' needs a number, not '%s'", name, v);
	return d;
}

static int count_arg(const char *name, const char *v, long long min)
{
	long long n = rft_parse_count(v);

	if (n < min || n > 100000)
		die(RFT_EX_USAGE, "option '--%s' needs a whole number %s%lld, not '%s'", name,
		    min ? ">= " : ">= ", min, v);
	return (int)n;
}

static void summary(void)
{
	size_t i;
	int nd = 0;

	for (i = 0; i < ann.disease.n; i++)
		nd += hpo_row_len(&ann.dis_terms, i) > 0;
	warn("%llu cases read, %llu ranked, %llu errors (no_known_terms %llu); terms: %llu present, "
	     "%llu absent, %llu alt ids and %llu obsolete ids mapped, %llu unknown, %llu obsolete "
	     "without replacement, %llu absent also present; %llu present and %llu absent terms used",
	     count.cases, count.ranked, count.errors, count.errors, count.present, count.absent,
	     count.alt, count.replaced, count.unknown, count.obsolete, count.contradictory,
	     count.used_present, count.used_absent);
	warn("model: %s, %zu units, %zu genes (%zu without HGNC id); HPO %s (%zu terms, %zu alt ids, "
	     "%zu obsolete); %d annotated diseases", method_name[opt.method], nunits, ngenes,
	     ngenes_nohgnc, onto.version ? onto.version : "?", onto.n, onto.nalt, onto.nobsolete, nd);
	for (i = 0; i < (size_t)ann.nfiles; i++)
		warn("%s: version %s, %llu rows (%llu NOT, %llu skipped: not phenotype, %llu unknown "
		     "terms, %llu alt/obsolete mapped)", ann.files[i].path,
		     ann.files[i].version ? ann.files[i].version : "?", ann.files[i].rows,
		     ann.files[i].not_rows, ann.files[i].skipped_rows, ann.files[i].unknown_rows,
		     ann.files[i].mapped_rows);
}

int main(int argc, char **argv)
{
	struct rft_records r;
	struct rft_output out;
	int c, t;
	struct json_object *obj;
	size_t i;

	rft_init("rft-rank");
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.output = optarg; break;
		case 'm':
			if (!strcmp(optarg, "disease"))
				opt.method = M_DISEASE;
			else if (!strcmp(optarg, "gene"))
				opt.method = M_GENE;
			else
				die(RFT_EX_USAGE, "unknown method '%s' (disease or gene)", optarg);
			break;
		case 'k': opt.k = count_arg("k", optarg, 1); break;
		case OPT_ABSENT_WEIGHT: opt.absent_weight = num_arg("absent-weight", optarg); break;
		case OPT_BREADTH: opt.breadth = num_arg("breadth", optarg); break;
		case OPT_EXPLAIN: opt.explain = count_arg("explain", optarg, 0); break;
		case OPT_HPO_DIR: opt.hpo_dir = optarg; break;
		case OPT_ONTOLOGY: opt.ontology = optarg; break;
		case OPT_ANNOTATIONS:
			if (opt.nannotations == 4)
				die(RFT_EX_USAGE, "at most 4 --annotations files");
			opt.annotations[opt.nannotations++] = optarg;
			break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case 'j': opt.threads = count_arg("threads", optarg, 1); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_STATS: opt.stats = 1; break;
		}
	}
	opt.threads = rft_threads(opt.threads);
	if (opt.threads > MAX_THREADS)
		opt.threads = MAX_THREADS;

	load_data();
	build_model(opt.threads);
	for (t = 0; t < opt.threads; t++)
		scratch_init(&scr[t]);

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
		if (it->error)
			count.errors++;
		else
			count.ranked++;
		if (++nitems == BATCH)
			run_batch(&out);
	}
	if (nitems)
		run_batch(&out);
	rft_records_release(&r);

	if (opt.stats || isatty(STDERR_FILENO))
		summary();
	for (i = 0; i < BATCH; i++) {
		strbuf_release(&items[i].line);
		strbuf_release(&items[i].ref);
		strbuf_release(&items[i].terms);
		strbuf_release(&items[i].errmsg);
		free(items[i].present.v);
		free(items[i].absent.v);
	}
	for (t = 0; t < opt.threads; t++)
		scratch_release(&scr[t]);
	release_model();
	hgnc_release(&hgnc);
	hpo_annotations_release(&ann);
	hpo_ontology_release(&onto);
	if (rft_records_commit_rejects(&r) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	return rft_finish(RFT_EX_OK);
}
