/*
 * rankmodel.c - the built-in ranker's model and features (see rankmodel.h).
 *
 * Structure: the data files are loaded once and turned into read-only tables
 * (per-term ancestors in decreasing IC, per-term postings of units); the
 * best match of a query term against every unit is cached per term, one byte
 * per unit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datafile.h"
#include "input.h"
#include "json.h"
#include "rankmodel.h"
#include "util.h"

const char *const rank_method_name[2] = { "disease", "gene" };

const char *const rank_feature_name[RANK_NFEAT] = {
	"match", "breadth", "absent", "exact", "specific", "size", "genes", "cover"
};

const char *const rank_feature_meaning[RANK_NFEAT] = {
	"mean over present terms of the information content of their best match in the disease's annotations (Resnik best match)",
	"the disease's mean best match against random queries (broadly annotated diseases match anything)",
	"information content of the excluded terms the disease is annotated with, per present term (positive weight: an excluded term is evidence for the diseases that carry it)",
	"share of present terms annotated to the disease as the term itself or a more specific one",
	"information content of the single most informative matched term",
	"ln(1 + terms in the disease's propagated annotation profile)",
	"ln(genes linked to the disease): a disease shared by many genes says less about each",
	"share of the disease's own annotations (IC-weighted) that the patient shows, as the term or a more specific one (the reverse direction of match)",
};

const double rank_base_weights[RANK_NFEAT] = { 1.0, -0.75, 0.25, 0, 0, 0, 0, 0 };

void u32b_push(struct u32buf *b, uint32_t x)
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
static void propagate(const struct rank_model *m, const uint32_t *terms, size_t n, uint32_t *mark, uint32_t stamp,
		      struct u32buf *out)
{
	size_t i, j, start = out->n;

	for (i = 0; i < n; i++) {
		const uint32_t *a = hpo_row(&m->onto.ancestors, terms[i]);
		uint32_t na = hpo_row_len(&m->onto.ancestors, terms[i]);

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

int rank_row_has(const struct hpo_rows *r, size_t row, uint32_t x)
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

void rank_scratch_init(struct rank_scratch *s, const struct rank_model *m)
{
	s->raw = ecalloc(m->nunits ? m->nunits : 1, sizeof(*s->raw));
	s->seen = ecalloc(m->nunits ? m->nunits : 1, sizeof(*s->seen));
	s->gscore = ecalloc(m->ngenes ? m->ngenes : 1, sizeof(*s->gscore));
	s->mx = ecalloc(m->nunits ? m->nunits : 1, sizeof(*s->mx));
	s->tseen = ecalloc(m->onto.n ? m->onto.n : 1, sizeof(*s->tseen));
	s->tstamp = 0;
	s->feat = ecalloc((m->nunits ? m->nunits : 1) * RANK_NFEAT, sizeof(*s->feat));
	s->stamp = 0;
}

void rank_scratch_release(struct rank_scratch *s)
{
	free(s->raw);
	free(s->seen);
	free(s->gscore);
	free(s->mx);
	free(s->feat);
	free(s->tseen);
}

/*
 * best(q, .) for every unit, cached per term: vec[u] is 0 when no ancestor of
 * q with IC > 0 is in u's profile, else 1 + the index in anc_ic's row of q of
 * the most informative one.  Ancestor rows longer than 255 are not cached.
 * Built on first use by whichever thread needs it (published atomically; a
 * thread that loses the race frees its copy), so memory is at most one byte
 * per unit per distinct term used.
 */

static const uint8_t *best_vec(const struct rank_model *m, uint32_t q)
{
	const uint32_t *a = hpo_row(&m->anc_ic, q);
	uint32_t na = hpo_row_len(&m->anc_ic, q), i, j;
	uint8_t *v = __atomic_load_n(&m->best_cache[q], __ATOMIC_ACQUIRE), *expect = NULL;

	if (v || na > 255)
		return v;
	v = ecalloc(m->nunits ? m->nunits : 1, 1);
	for (i = 0; i < na; i++) {
		const uint32_t *p = hpo_row(&m->post, a[i]);
		uint32_t np = hpo_row_len(&m->post, a[i]);

		for (j = 0; j < np; j++)
			if (!v[p[j]])
				v[p[j]] = (uint8_t)(i + 1);
	}
	if (!__atomic_compare_exchange_n(&m->best_cache[q], &expect, v, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		free(v);
		v = expect;
	}
	return v;
}

/* raw[u] += weight * best(q, u) for every unit u */
void rank_add_best(const struct rank_model *m, struct rank_scratch *s, uint32_t q, double weight)
{
	const uint32_t *a = hpo_row(&m->anc_ic, q);
	uint32_t na = hpo_row_len(&m->anc_ic, q), i, j;
	const uint8_t *v = best_vec(m, q);
	uint32_t st;

	if (v) {
		double val[256];

		val[0] = 0;
		for (i = 0; i < na; i++)
			val[i + 1] = weight * m->ic[a[i]];
		for (j = 0; j < m->nunits; j++)
			s->raw[j] += val[v[j]];
		return;
	}
	if (++s->stamp == 0) {
		memset(s->seen, 0, m->nunits * sizeof(*s->seen));
		s->stamp = 1;
	}
	st = s->stamp;
	for (i = 0; i < na; i++) {
		const uint32_t *p = hpo_row(&m->post, a[i]);
		uint32_t np = hpo_row_len(&m->post, a[i]);
		double v = weight * m->ic[a[i]];

		for (j = 0; j < np; j++)
			if (s->seen[p[j]] != st) {
				s->seen[p[j]] = st;
				s->raw[p[j]] += v;
			}
	}
}

/* mu's sums, cut into chunks of the weighted terms: chunk c's sums go to
 * acc + c * nunits, each thread keeping one scratch for its chunks */
struct mu_run {
	const struct rank_model *m;
	const uint32_t *terms;
	const double *w;
	size_t nt;
	double *acc;               /* MU_CHUNKS x m->nunits */
	struct rank_scratch *s;    /* one a thread */
};

#define MU_CHUNKS 8

static void mu_chunk(size_t c, int thread, void *ctx)
{
	struct mu_run *run = ctx;
	struct rank_scratch *s = &run->s[thread];
	size_t i, from = run->nt * c / MU_CHUNKS, to = run->nt * (c + 1) / MU_CHUNKS;

	memset(s->raw, 0, run->m->nunits * sizeof(*s->raw));
	for (i = from; i < to; i++)
		rank_add_best(run->m, s, run->terms[i], run->w[i]);
	memcpy(run->acc + c * run->m->nunits, s->raw, run->m->nunits * sizeof(*s->raw));
}

/* mu(u): mean best match of u against every direct disease annotation; the
 * chunks' sums are added in chunk order, so it does not depend on the threads */
static void compute_mu(struct rank_model *m, int nthreads)
{
	uint32_t *cnt = ecalloc(m->onto.n, sizeof(*cnt));
	uint32_t *terms = emalloc(m->onto.n * sizeof(*terms));
	double *w = emalloc(m->onto.n * sizeof(*w)), total = 0;
	size_t i, c, nt = 0;
	struct mu_run run;
	struct rank_scratch s[MU_CHUNKS];
	int t;

	for (i = 0; i < m->ann.dis_terms.off[m->ann.dis_terms.n]; i++)
		cnt[m->ann.dis_terms.idx[i]]++;
	for (i = 0; i < m->onto.n; i++)
		if (cnt[i]) {
			terms[nt] = (uint32_t)i;
			w[nt++] = cnt[i];
			total += cnt[i];
		}
	free(cnt);
	m->mu = ecalloc(m->nunits ? m->nunits : 1, sizeof(*m->mu));
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MU_CHUNKS)
		nthreads = MU_CHUNKS;
	run.m = m;
	run.terms = terms;
	run.w = w;
	run.nt = nt;
	run.acc = ecalloc((size_t)MU_CHUNKS * (m->nunits ? m->nunits : 1), sizeof(*run.acc));
	run.s = s;
	for (t = 0; t < nthreads; t++)
		rank_scratch_init(&s[t], m);
	rft_parallel_for(MU_CHUNKS, nthreads, mu_chunk, &run);
	for (t = 0; t < nthreads; t++)
		rank_scratch_release(&s[t]);
	for (c = 0; c < MU_CHUNKS; c++)
		for (i = 0; i < m->nunits; i++)
			m->mu[i] += run.acc[c * m->nunits + i];
	for (i = 0; i < m->nunits && total > 0; i++)
		m->mu[i] /= total;
	free(run.acc);
	free(terms);
	free(w);
}

static long hgnc_number(const char *id)
{
	return id ? strtol(id + 5, NULL, 10) : 0x7fffffffL;
}

static const struct rank_model *tie_model;  /* for qsort, while building */

static int cmp_gene_tie(const void *a, const void *b)
{
	const struct rank_model *m = tie_model;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	long p = hgnc_number(m->gene_hgnc[x]), q = hgnc_number(m->gene_hgnc[y]);
	int c;

	if (p != q)
		return p < q ? -1 : 1;
	c = strcmp(m->gene_sym[x], m->gene_sym[y]);
	return c ? c : (x < y ? -1 : x > y);
}

static void build_model(struct rank_model *m, int nthreads)
{
	size_t nd = m->ann.disease.n, i, j;
	uint32_t *mark = ecalloc(m->onto.n, sizeof(*mark)), stamp = 0;
	struct u32buf all = { NULL, 0, 0 }, buf = { NULL, 0, 0 };
	struct hpo_rows dprof;
	uint32_t *cnt, *dis_unit;
	size_t *pfill;

	/* propagated disease profiles and IC */
	rows_from(&dprof, nd);
	for (i = 0; i < nd; i++) {
		propagate(m, hpo_row(&m->ann.dis_terms, i), hpo_row_len(&m->ann.dis_terms, i), mark, ++stamp, &all);
		dprof.off[i + 1] = (uint32_t)all.n;
	}
	dprof.idx = all.v;
	cnt = ecalloc(m->onto.n, sizeof(*cnt));
	for (i = 0; i < nd; i++)
		if (hpo_row_len(&dprof, i))
			m->ndiseases_ic++;
	for (i = 0; i < all.n; i++)
		cnt[all.v[i]]++;
	m->ic = ecalloc(m->onto.n, sizeof(*m->ic));
	for (i = 0; i < m->onto.n; i++)
		m->ic[i] = cnt[i] ? log((double)m->ndiseases_ic / cnt[i]) : 0.0;
	free(cnt);

	/* ancestors with IC > 0 by decreasing IC */
	rows_from(&m->anc_ic, m->onto.n);
	buf.n = 0;
	ic_sort_key = m->ic;
	for (i = 0; i < m->onto.n; i++) {
		const uint32_t *a = hpo_row(&m->onto.ancestors, i);
		size_t na = hpo_row_len(&m->onto.ancestors, i), start = buf.n;

		for (j = 0; j < na; j++)
			if (m->ic[a[j]] > 0)
				u32b_push(&buf, a[j]);
		if (buf.n > start)
			qsort(buf.v + start, buf.n - start, sizeof(uint32_t), cmp_ic_desc);
		m->anc_ic.off[i + 1] = (uint32_t)buf.n;
	}
	m->anc_ic.idx = buf.v ? buf.v : emalloc(sizeof(uint32_t));
	buf.v = NULL;
	buf.n = buf.cap = 0;

	/* genes: output names joined through HGNC by NCBI gene id */
	m->ngenes = m->ann.gene.n;
	m->gene_sym = emalloc((m->ngenes + 1) * sizeof(*m->gene_sym));
	m->gene_hgnc = emalloc((m->ngenes + 1) * sizeof(*m->gene_hgnc));
	for (i = 0; i < m->ngenes; i++) {
		long h = hgnc_by_entrez(&m->hgnc, strmap_key(&m->ann.gene, (long)i));

		m->gene_sym[i] = h >= 0 ? hgnc_symbol(&m->hgnc, h) : m->ann.gene_symbol[i];
		m->gene_hgnc[i] = h >= 0 ? hgnc_id(&m->hgnc, h) : NULL;
		if (h < 0)
			m->ngenes_nohgnc++;
	}
	{
		uint32_t *order = emalloc((m->ngenes + 1) * sizeof(*order));

		for (i = 0; i < m->ngenes; i++)
			order[i] = (uint32_t)i;
		tie_model = m;
		qsort(order, m->ngenes, sizeof(*order), cmp_gene_tie);
		m->gene_tie = emalloc((m->ngenes + 1) * sizeof(*m->gene_tie));
		for (i = 0; i < m->ngenes; i++)
			m->gene_tie[order[i]] = (uint32_t)i;
		free(order);
	}

	/* units and their profiles */
	rows_from(&m->unit_prof, 0);
	free(m->unit_prof.off);
	all.v = NULL;
	all.n = all.cap = 0;
	rows_from(&m->gene_units, m->ngenes);
	if (m->method == RANK_DISEASE) {
		struct u32buf gu = { NULL, 0, 0 };

		dis_unit = emalloc((nd + 1) * sizeof(*dis_unit));
		for (i = 0; i < nd; i++)
			dis_unit[i] = UINT32_MAX;
		m->unit_src = emalloc((nd + 1) * sizeof(*m->unit_src));
		for (i = 0; i < m->ngenes; i++) {
			const uint32_t *d = hpo_row(&m->ann.gene_dis, i);

			for (j = 0; j < hpo_row_len(&m->ann.gene_dis, i); j++) {
				if (!hpo_row_len(&dprof, d[j]))
					continue;
				if (dis_unit[d[j]] == UINT32_MAX) {
					dis_unit[d[j]] = (uint32_t)m->nunits;
					m->unit_src[m->nunits++] = d[j];
				}
				u32b_push(&gu, dis_unit[d[j]]);
			}
			m->gene_units.off[i + 1] = (uint32_t)gu.n;
		}
		m->gene_units.idx = gu.v ? gu.v : emalloc(sizeof(uint32_t));
		m->unit_prof.n = m->nunits;
		m->unit_prof.off = ecalloc(m->nunits + 1, sizeof(uint32_t));
		for (i = 0; i < m->nunits; i++) {
			const uint32_t *p = hpo_row(&dprof, m->unit_src[i]);

			for (j = 0; j < hpo_row_len(&dprof, m->unit_src[i]); j++)
				u32b_push(&all, p[j]);
			m->unit_prof.off[i + 1] = (uint32_t)all.n;
		}
		free(dis_unit);
	} else {
		m->unit_src = emalloc((m->ngenes + 1) * sizeof(*m->unit_src));
		m->unit_prof.off = ecalloc(m->ngenes + 1, sizeof(uint32_t));
		m->gene_units.idx = emalloc((m->ngenes + 1) * sizeof(uint32_t));
		for (i = 0; i < m->ngenes; i++) {
			const uint32_t *d = hpo_row(&m->ann.gene_dis, i);
			size_t start = all.n, k;

			++stamp;
			for (j = 0; j < hpo_row_len(&m->ann.gene_dis, i); j++) {
				const uint32_t *p = hpo_row(&dprof, d[j]);

				for (k = 0; k < hpo_row_len(&dprof, d[j]); k++)
					if (mark[p[k]] != stamp) {
						mark[p[k]] = stamp;
						u32b_push(&all, p[k]);
					}
			}
			if (all.n > start) {
				qsort(all.v + start, all.n - start, sizeof(uint32_t), cmp_u32);
				m->gene_units.idx[m->gene_units.off[i]] = (uint32_t)m->nunits;
				m->gene_units.off[i + 1] = m->gene_units.off[i] + 1;
				m->unit_src[m->nunits++] = (uint32_t)i;
				m->unit_prof.off[m->nunits] = (uint32_t)all.n;
			} else {
				m->gene_units.off[i + 1] = m->gene_units.off[i];
			}
		}
		m->unit_prof.n = m->nunits;
	}
	m->unit_prof.idx = all.v ? all.v : emalloc(sizeof(uint32_t));
	free(dprof.off);
	free(dprof.idx);
	free(mark);

	/* postings: term -> units */
	rows_from(&m->post, m->onto.n);
	for (i = 0; i < m->unit_prof.off[m->nunits]; i++)
		m->post.off[m->unit_prof.idx[i] + 1]++;
	for (i = 0; i < m->onto.n; i++)
		m->post.off[i + 1] += m->post.off[i];
	m->post.idx = emalloc((m->post.off[m->onto.n] + 1) * sizeof(uint32_t));
	pfill = ecalloc(m->onto.n, sizeof(*pfill));
	for (i = 0; i < m->nunits; i++) {
		const uint32_t *p = hpo_row(&m->unit_prof, i);

		for (j = 0; j < hpo_row_len(&m->unit_prof, i); j++)
			m->post.idx[m->post.off[p[j]] + pfill[p[j]]++] = (uint32_t)i;
	}
	free(pfill);
	m->best_cache = ecalloc(m->onto.n, sizeof(*m->best_cache));

	/* direct annotations of each unit (a gene unit: its diseases' together),
	 * their postings and summed IC, for the cover feature */
	{
		struct u32buf d = { NULL, 0, 0 };
		uint32_t *dmark = ecalloc(m->onto.n, sizeof(*dmark)), dst = 0;
		struct hpo_rows direct;

		rows_from(&direct, m->nunits);
		m->unit_direct_ic = ecalloc(m->nunits ? m->nunits : 1, sizeof(*m->unit_direct_ic));
		for (i = 0; i < m->nunits; i++) {
			const uint32_t *ds = m->method == RANK_DISEASE ? &m->unit_src[i] :
				hpo_row(&m->ann.gene_dis, m->unit_src[i]);
			size_t nds = m->method == RANK_DISEASE ? 1 : hpo_row_len(&m->ann.gene_dis, m->unit_src[i]), k;

			++dst;
			for (k = 0; k < nds; k++) {
				const uint32_t *t = hpo_row(&m->ann.dis_terms, ds[k]);

				for (j = 0; j < hpo_row_len(&m->ann.dis_terms, ds[k]); j++)
					if (dmark[t[j]] != dst) {
						dmark[t[j]] = dst;
						u32b_push(&d, t[j]);
						m->unit_direct_ic[i] += m->ic[t[j]];
					}
			}
			direct.off[i + 1] = (uint32_t)d.n;
		}
		rows_from(&m->dpost, m->onto.n);
		for (i = 0; i < d.n; i++)
			m->dpost.off[d.v[i] + 1]++;
		for (i = 0; i < m->onto.n; i++)
			m->dpost.off[i + 1] += m->dpost.off[i];
		m->dpost.idx = emalloc((m->dpost.off[m->onto.n] + 1) * sizeof(uint32_t));
		memset(dmark, 0, m->onto.n * sizeof(*dmark));
		for (i = 0; i < m->nunits; i++)
			for (j = direct.off[i]; j < direct.off[i + 1]; j++)
				m->dpost.idx[m->dpost.off[d.v[j]] + dmark[d.v[j]]++] = (uint32_t)i;
		free(direct.off);
		free(d.v);
		free(dmark);
	}
	compute_mu(m, nthreads);

	/* the unit features that do not depend on the case */
	m->unit_size = ecalloc(m->nunits ? m->nunits : 1, sizeof(*m->unit_size));
	m->unit_genes = ecalloc(m->nunits ? m->nunits : 1, sizeof(*m->unit_genes));
	for (i = 0; i < m->nunits; i++)
		m->unit_size[i] = log(1.0 + hpo_row_len(&m->unit_prof, i));
	if (m->method == RANK_DISEASE) {
		for (i = 0; i < m->gene_units.off[m->ngenes]; i++)
			m->unit_genes[m->gene_units.idx[i]] += 1;
		for (i = 0; i < m->nunits; i++)
			m->unit_genes[i] = m->unit_genes[i] > 0 ? log(m->unit_genes[i]) : 0;
	}
}

void rank_model_release(struct rank_model *m)
{
	size_t i;

	for (i = 0; i < m->onto.n; i++)
		free(m->best_cache[i]);
	free(m->best_cache);
	free(m->ic);
	free(m->anc_ic.off);
	free(m->anc_ic.idx);
	free(m->unit_prof.off);
	free(m->unit_prof.idx);
	free(m->post.off);
	free(m->post.idx);
	free(m->mu);
	free(m->unit_src);
	free(m->gene_units.off);
	free(m->gene_units.idx);
	free(m->gene_sym);
	free(m->gene_hgnc);
	free(m->gene_tie);
	free(m->unit_size);
	free(m->unit_direct_ic);
	free(m->dpost.off);
	free(m->dpost.idx);
	free(m->unit_genes);
	free(m->data_json);
	hgnc_release(&m->hgnc);
	hpo_annotations_release(&m->ann);
	hpo_ontology_release(&m->onto);
}

int u32b_has(const struct u32buf *b, uint32_t x)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i] == x)
			return 1;
	return 0;
}

static const char *const how_name[] = { "term", "alt_id", "replaced", "obsolete", "unknown" };

/* Map a case's present or absent terms; 0, or -1 with a message in err. */
static int map_terms(const struct rank_model *m, struct json_object *obj, const char *key, struct u32buf *out,
		     struct rank_term_counts *count,
		     struct strbuf *mapped, struct strbuf *unknown, struct strbuf *err)
{
	struct json_object *arr = rft_json_get(obj, key);
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
			count->present++;
		else
			count->absent++;
		x = hpo_lookup(&m->onto, id, &how);
		switch (how) {
		case HPO_TERM: break;
		case HPO_ALT: count->alt++; break;
		case HPO_REPLACED: count->replaced++; break;
		case HPO_OBSOLETE: count->obsolete++; break;
		case HPO_UNKNOWN: count->unknown++; break;
		}
		if (how == HPO_ALT || how == HPO_REPLACED) {
			if (mapped->len > 1)
				strbuf_addch(mapped, ',');
			strbuf_addstr(mapped, "{\"id\":");
			json_put_str(mapped, id);
			strbuf_addstr(mapped, ",\"to\":");
			json_put_str(mapped, hpo_id(&m->onto, x));
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
/* ------------------------------------------------------------- data files */

static int is_ontology(const char *name)
{
	return !strncmp(name, "hp", 2) && (rft_has_suffix(name, ".json") || rft_has_suffix(name, ".json.gz"));
}

static int is_hpoa(const char *name)
{
	return rft_has_suffix(name, ".hpoa") || rft_has_suffix(name, ".hpoa.gz");
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

static void load_data(struct rank_model *m, const struct rank_data_opts *opt)
{
	char *hpo_dir = NULL, *ont = NULL, *hgnc_file = NULL, *ann_files[4] = { NULL };
	const char *env;
	int i, rc, nann = 0;
	struct strbuf sb = STRBUF_INIT;

	if (opt->hpo_dir)
		hpo_dir = estrdup(opt->hpo_dir);
	else if ((env = getenv("RFT_HPO_DIR")) && *env)
		hpo_dir = estrdup(env);
	else if (!opt->ontology || !opt->nannotations)
		hpo_dir = rft_data_default("hpo");
	if (!hpo_dir && (!opt->ontology || !opt->nannotations))
		rft_data_die("HPO", "hpo", "--hpo-dir DIR (or --ontology and --annotations)", "RFT_HPO_DIR");
	ont = opt->ontology ? estrdup(opt->ontology) : rft_find_in_dir(hpo_dir, is_ontology, 1, "ontology (hp*.json[.gz])", "ontology");
	if (opt->nannotations) {
		for (i = 0; i < opt->nannotations; i++)
			ann_files[nann++] = estrdup(opt->annotations[i]);
	} else {
		ann_files[nann] = rft_find_in_dir(hpo_dir, is_hpoa, 0, "disease annotation (*.hpoa[.gz])", "annotations");
		if (ann_files[nann])
			nann++;
		ann_files[nann++] = rft_find_in_dir(hpo_dir, is_genes_to_phenotype, 1, "gene annotation (genes_to_phenotype*)", "annotations");
	}
	if (!(hgnc_file = rft_hgnc_path(opt->hgnc)))
		rft_data_die("HGNC", "hgnc", RFT_HGNC_OPT, "RFT_HGNC");

	if ((rc = hpo_ontology_load(&m->onto, ont)))
		exit(rft_finish(rc));
	hpo_annotations_init(&m->ann);
	for (i = 0; i < nann; i++)
		if ((rc = hpo_annotations_load(&m->ann, &m->onto, ann_files[i])))
			exit(rft_finish(rc));
	hpo_annotations_finish(&m->ann);
	if (access(hgnc_file, R_OK) < 0)
		die(RFT_EX_NOINPUT, "cannot open '%s':", hgnc_file);
	if (hgnc_load(&m->hgnc, hgnc_file, &sb) < 0)
		die(strstr(sb.buf, "not an HGNC") || strstr(sb.buf, "no genes") ? RFT_EX_CONFIG : RFT_EX_DATA,
		    "%s", sb.buf);
	for (i = 0; i < m->ann.nfiles; i++)
		if (m->ann.files[i].kind == HPO_FILE_GENES)
			break;
	if (i == m->ann.nfiles)
		die(RFT_EX_CONFIG, "no gene annotation file (genes_to_phenotype) among the annotations");

	strbuf_addstr(&sb, "{\"hpo\":");
	json_put_str_or_null(&sb, m->onto.version);
	strbuf_addstr(&sb, ",\"ontology\":");
	json_put_str(&sb, base(ont));
	strbuf_addstr(&sb, ",\"annotations\":[");
	for (i = 0; i < m->ann.nfiles; i++) {
		strbuf_addstr(&sb, i ? ",{\"file\":" : "{\"file\":");
		json_put_str(&sb, base(m->ann.files[i].path));
		strbuf_addstr(&sb, ",\"version\":");
		json_put_str_or_null(&sb, m->ann.files[i].version);
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, "],\"hgnc\":");
	json_put_str(&sb, base(hgnc_file));
	strbuf_addch(&sb, '}');
	m->data_json = strbuf_detach(&sb, NULL);

	free(hpo_dir);
	free(ont);
	free(hgnc_file);
	for (i = 0; i < nann; i++)
		free(ann_files[i]);
}
int rank_case_terms(const struct rank_model *m, struct json_object *obj, struct rank_case *c,
		    struct rank_term_counts *count, struct strbuf *err)
{
	struct strbuf mapped = STRBUF_INIT, unknown = STRBUF_INIT;
	size_t i, k;
	int ret = -1;

	strbuf_reset(&c->terms);
	strbuf_reset(&c->errmsg);
	c->present.n = c->absent.n = 0;
	c->error = 0;
	strbuf_addch(&mapped, '[');
	strbuf_addch(&unknown, '[');
	if (map_terms(m, obj, "present", &c->present, count, &mapped, &unknown, err) < 0 ||
	    map_terms(m, obj, "absent", &c->absent, count, &mapped, &unknown, err) < 0)
		goto out;
	/* a term both present and absent (after mapping) counts as present */
	for (i = k = 0; i < c->absent.n; i++) {
		if (u32b_has(&c->present, c->absent.v[i])) {
			count->contradictory++;
			continue;
		}
		c->absent.v[k++] = c->absent.v[i];
	}
	c->absent.n = k;
	strbuf_addch(&mapped, ']');
	strbuf_addch(&unknown, ']');
	strbuf_addf(&c->terms, "{\"present\":%zu,\"absent\":%zu,\"mapped\":%s,\"unknown\":%s}",
		    c->present.n, c->absent.n, mapped.buf, unknown.buf);
	count->used_present += c->present.n;
	count->used_absent += c->absent.n;
	if (!c->present.n) {
		c->error = 1;
		strbuf_addf(&c->errmsg, "no present term of the case is a known term of HPO %s",
			    m->onto.version ? m->onto.version : "(unknown release)");
	}
	ret = 0;
out:
	strbuf_release(&mapped);
	strbuf_release(&unknown);
	return ret;
}

void rank_case_release(struct rank_case *c)
{
	free(c->present.v);
	free(c->absent.v);
	c->present.v = c->absent.v = NULL;
	c->present.n = c->present.cap = c->absent.n = c->absent.cap = 0;
	strbuf_release(&c->terms);
	strbuf_release(&c->errmsg);
}

void rank_features(const struct rank_model *m, struct rank_scratch *s, const struct rank_case *c,
		   double *f)
{
	size_t i, j, u, nu = m->nunits;
	double nq = c->present.n ? (double)c->present.n : 1.0;

	memset(f, 0, nu * RANK_NFEAT * sizeof(*f));
	memset(s->raw, 0, nu * sizeof(*s->raw));
	memset(s->mx, 0, nu * sizeof(*s->mx));
	for (i = 0; i < c->present.n; i++) {
		uint32_t q = c->present.v[i];
		const uint32_t *a = hpo_row(&m->anc_ic, q);
		uint32_t na = hpo_row_len(&m->anc_ic, q), st;
		const uint8_t *v = best_vec(m, q);
		const uint32_t *p;
		uint32_t np;

		if (v) {
			double val[256];

			val[0] = 0;
			for (j = 0; j < na; j++)
				val[j + 1] = m->ic[a[j]];
			for (u = 0; u < nu; u++) {
				double x = val[v[u]];

				s->raw[u] += x;
				if (x > s->mx[u])
					s->mx[u] = x;
			}
		} else {
			if (++s->stamp == 0) {
				memset(s->seen, 0, nu * sizeof(*s->seen));
				s->stamp = 1;
			}
			st = s->stamp;
			for (j = 0; j < na; j++) {
				double x = m->ic[a[j]];

				p = hpo_row(&m->post, a[j]);
				np = hpo_row_len(&m->post, a[j]);
				for (u = 0; u < np; u++)
					if (s->seen[p[u]] != st) {
						s->seen[p[u]] = st;
						s->raw[p[u]] += x;
						if (x > s->mx[p[u]])
							s->mx[p[u]] = x;
					}
			}
		}
		p = hpo_row(&m->post, q);
		np = hpo_row_len(&m->post, q);
		for (u = 0; u < np; u++)
			f[(size_t)p[u] * RANK_NFEAT + RF_EXACT] += 1.0 / nq;
	}
	for (i = 0; i < c->absent.n; i++) {
		uint32_t e = c->absent.v[i];
		const uint32_t *p = hpo_row(&m->post, e);
		uint32_t np = hpo_row_len(&m->post, e);

		for (u = 0; u < np; u++)
			f[(size_t)p[u] * RANK_NFEAT + RF_ABSENT] += m->ic[e] / nq;
	}
	/* cover: the unit's direct terms among the ancestors of the present terms */
	if (++s->tstamp == 0) {
		memset(s->tseen, 0, m->onto.n * sizeof(*s->tseen));
		s->tstamp = 1;
	}
	for (i = 0; i < c->present.n; i++) {
		const uint32_t *a = hpo_row(&m->onto.ancestors, c->present.v[i]);
		uint32_t na = hpo_row_len(&m->onto.ancestors, c->present.v[i]);

		for (j = 0; j < na; j++) {
			const uint32_t *p = hpo_row(&m->dpost, a[j]);
			uint32_t np = hpo_row_len(&m->dpost, a[j]);

			if (s->tseen[a[j]] == s->tstamp)
				continue;
			s->tseen[a[j]] = s->tstamp;
			for (u = 0; u < np; u++)
				f[(size_t)p[u] * RANK_NFEAT + RF_COVER] += m->ic[a[j]];
		}
	}
	for (u = 0; u < nu; u++) {
		double *x = f + u * RANK_NFEAT;

		x[RF_COVER] = m->unit_direct_ic[u] > 0 ? x[RF_COVER] / m->unit_direct_ic[u] : 0;

		x[RF_MATCH] = s->raw[u] / nq;
		x[RF_BREADTH] = m->mu[u];
		x[RF_SPECIFIC] = s->mx[u];
		x[RF_SIZE] = m->unit_size[u];
		x[RF_GENES] = m->unit_genes[u];
	}
}

void rank_model_load(struct rank_model *m, const struct rank_data_opts *o, int method,
		     int nthreads)
{
	memset(m, 0, sizeof(*m));
	m->method = method;
	load_data(m, o);
	build_model(m, nthreads);
}

/* the 1-based line of the first needle at or after from, else of from */
static size_t line_of(const char *text, const char *from, const char *needle)
{
	const char *hit = strstr(from, needle), *p;
	size_t line = 1;

	if (!hit)
		hit = from;
	for (p = text; p < hit; p++)
		line += *p == '\n';
	return line;
}

int rank_weights_load(struct rank_weights *rw, const char *path)
{
	struct rft_input in;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, key = STRBUF_INIT;
	struct json_object *o = NULL, *w, *v;
	const char *s, *wtext;
	int k, rc = RFT_EX_CONFIG;
	size_t line;

	memset(rw, 0, sizeof(*rw));
	if (rft_input_open(&in, path) < 0)
		return RFT_EX_NOINPUT;
	rw->name = estrdup(path);
	if (rft_input_slurp(&in, &text, 16u << 20) < 0 || rft_input_close(&in) < 0)
		goto out;
	if (rft_json_parse(text.buf, text.len, &o, &err) < 0) {
		if (sscanf(err.buf, "invalid JSON at line %zu", &line) == 1)
			error("%s:%zu: not a model file: %s", path, line, err.buf);
		else
			error("%s:1: not a model file: %s", path, err.buf);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		error("%s:1: not a model file: not a JSON object", path);
		goto out;
	}
	s = rft_json_get_str(o, "format");
	if (!s || strcmp(s, RANK_MODEL_FORMAT)) {
		error("%s:%zu: not a model file: \"format\" is %s%s%s, not \"" RANK_MODEL_FORMAT "\"", path,
		      line_of(text.buf, text.buf, "\"format\""), s ? "\"" : "", s ? s : "missing", s ? "\"" : "");
		goto out;
	}
	s = rft_json_get_str(o, "method");
	if (s && !strcmp(s, "disease"))
		rw->method = RANK_DISEASE;
	else if (s && !strcmp(s, "gene"))
		rw->method = RANK_GENE;
	else {
		error("%s:%zu: \"method\" must be \"disease\" or \"gene\"", path,
		      line_of(text.buf, text.buf, "\"method\""));
		goto out;
	}
	w = rft_json_get(o, "weights");
	wtext = strstr(text.buf, "\"weights\"");
	if (!w || !json_object_is_type(w, json_type_object) || !wtext) {
		error("%s:%zu: \"weights\" must be an object of feature weights", path,
		      line_of(text.buf, text.buf, "\"weights\""));
		goto out;
	}
	{
		struct json_object_iterator it = json_object_iter_begin(w), end = json_object_iter_end(w);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *name = json_object_iter_peek_name(&it);

			strbuf_reset(&key);
			strbuf_addch(&key, '"');
			strbuf_addstr(&key, name);
			strbuf_addch(&key, '"');
			line = line_of(text.buf, wtext, key.buf);
			for (k = 0; k < RANK_NFEAT; k++)
				if (!strcmp(name, rank_feature_name[k]))
					break;
			if (k == RANK_NFEAT) {
				error("%s:%zu: unknown feature '%s' (known: match, breadth, absent, exact, "
				      "specific, size, genes, cover)", path, line, name);
				goto out;
			}
			v = json_object_iter_peek_value(&it);
			if (!v || !(json_object_is_type(v, json_type_double) ||
				    json_object_is_type(v, json_type_int)) ||
			    !isfinite(json_object_get_double(v))) {
				error("%s:%zu: the weight of '%s' is not a finite number", path, line, name);
				goto out;
			}
			rw->w[k] = json_object_get_double(v);
		}
	}
	rc = 0;
out:
	if (rc)
		rank_weights_release(rw);
	json_object_put(o);
	strbuf_release(&text);
	strbuf_release(&err);
	strbuf_release(&key);
	return rc;
}

void rank_weights_release(struct rank_weights *rw)
{
	free(rw->name);
	rw->name = NULL;
}

void rank_weights_put(struct strbuf *sb, const double *w)
{
	int k;

	for (k = 0; k < RANK_NFEAT; k++) {
		strbuf_addstr(sb, k ? ",\"" : "{\"");
		strbuf_addstr(sb, rank_feature_name[k]);
		strbuf_addstr(sb, "\":");
		json_put_fixed(sb, w[k], 6);
	}
	strbuf_addch(sb, '}');
}

int rank_data_option(struct rank_data_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_HPO_DIR: o->hpo_dir = arg; return 1;
	case OPT_ONTOLOGY: o->ontology = arg; return 1;
	case OPT_ANNOTATIONS:
		if (o->nannotations == 4)
			die(RFT_EX_USAGE, "at most 4 --annotations files");
		o->annotations[o->nannotations++] = arg;
		return 1;
	case OPT_HGNC: o->hgnc = arg; return 1;
	}
	return 0;
}

int rank_method_arg(const char *arg)
{
	if (!strcmp(arg, "disease"))
		return RANK_DISEASE;
	if (!strcmp(arg, "gene"))
		return RANK_GENE;
	die(RFT_EX_USAGE, "unknown method '%s' (disease or gene)", arg);
	return -1;
}
