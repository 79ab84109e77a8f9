#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

void rft_wilson(double x, double n, double z, double *lo, double *hi)
{
	double p, z2, d, c, h;

	if (!(n > 0)) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = x / n;
	z2 = z * z;
	d = 1 + z2 / n;
	c = (p + z2 / (2 * n)) / d;
	h = z / d * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
	if (x <= 0)
		*lo = 0;   /* exact at the edges, free of rounding */
	if (x >= n)
		*hi = 1;
}

double rft_mcnemar_exact(long long b, long long c)
{
	long long n = b + c, k = b < c ? b : c, i;
	double lognorm, sum = 0, p;

	if (n <= 0)
		return 1;
	if (n <= 1000) {
		/* C(n,i) / 2^n by the ratio of successive terms from the exact
		 * 2^-n: small counts come out exact (4 vs 1 gives 0.375) */
		double t = ldexp(1.0, (int)-n);

		for (i = 0; i <= k; i++) {
			if (i)
				t = t * (double)(n - i + 1) / (double)i;
			sum += t;
		}
		p = 2 * sum;
		return p > 1 ? 1 : p;
	}
	lognorm = (double)n * log(2.0);
	for (i = 0; i <= k; i++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
			   lgamma((double)(n - i) + 1) - lognorm);
	p = 2 * sum;
	return p > 1 ? 1 : p;
}

double rft_mcnemar_log10(long long b, long long c)
{
	long long n = b + c, k = b < c ? b : c, i;
	double head, sum = 0, lp;

	if (n <= 0)
		return 0;
	/* the terms log C(n,i) - n log 2 grow with i up to k <= n/2: the last
	 * is the largest, and the sum is taken relative to it */
	head = lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1);
	for (i = 0; i <= k; i++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - head);
	lp = (head + log(sum) + log(2.0) - (double)n * log(2.0)) / log(10.0);
	return lp > 0 ? 0 : lp;
}

void rft_p_text(struct strbuf *sb, double p, double log10p, int sig)
{
	double e, m;

	if (p > 0 || (p == 0 && !isfinite(log10p))) {
		strbuf_addf(sb, "%.*g", sig, p);
		return;
	}
	e = floor(log10p);
	m = pow(10.0, log10p - e);
	if (m >= 9.9999995) {   /* rounds up to 10: carry into the exponent */
		m = 1;
		e += 1;
	}
	strbuf_addf(sb, "%.*fe%.0f", sig > 1 ? sig - 1 : 0, m, e);
}

void rft_rng_seed(struct rft_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t rft_rng_next(struct rft_rng *r)
{
	return rft_splitmix64(&r->s);
}

uint64_t rft_rng_below(struct rft_rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rft_rng_next(r);
	while (x >= limit);
	return x % n;
}

void rft_below_init(struct rft_below *b, uint64_t n)
{
	b->n = n;
	b->limit = UINT64_MAX - UINT64_MAX % n;
	b->m = UINT64_MAX / n;
}

/* high 64 bits of a * b */
static uint64_t mulhi64(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
#else
	uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
	uint64_t mid = a1 * b0 + ((a0 * b0) >> 32), mid2 = a0 * b1 + (uint32_t)mid;

	return a1 * b1 + (mid >> 32) + (mid2 >> 32);
#endif
}

uint64_t rft_rng_below_fixed(struct rft_rng *r, const struct rft_below *b)
{
	uint64_t x, q, rem;

	do
		x = rft_rng_next(r);
	while (x >= b->limit);
	/* q = floor(x * floor((2^64 - 1) / n) / 2^64) is floor(x / n) or up to
	 * two less: at most two corrections give x % n */
	q = mulhi64(x, b->m);
	rem = x - q * b->n;
	while (rem >= b->n)
		rem -= b->n;
	return rem;
}

double rft_quantile_sorted(const double *v, size_t n, double q)
{
	double h, f;
	size_t i;

	if (n == 0)
		return NAN;
	h = (double)(n - 1) * q;
	f = floor(h);
	i = (size_t)f;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - f) * (v[i + 1] - v[i]);
}

/* the k-th smallest of v[0..n) moved to v[k], smaller ones before it and
 * larger ones after (Hoare's selection, median of three; no NaN) */
static void select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double a = v[lo], b = v[mid], c = v[hi], pivot, t;

		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* the type-7 quantile q of v[0..n) (reordered), as rft_quantile_sorted gives
 * on the sorted values, without sorting */
static double quantile_select(double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q, f = floor(h), x, y;
	size_t i = (size_t)f, r;

	select_kth(v, n, i);
	x = v[i];
	if (i + 1 >= n)
		return x;
	for (y = v[i + 1], r = i + 2; r < n; r++)
		if (v[r] < y)
			y = v[r];
	return x + (h - f) * (y - x);
}

/* one replicate: sums into sn[0..m) and the returned denominator.  The n
 * clusters are drawn first, then each sum is taken in one pass (in draw
 * order, so the figures are those of summing draw by draw, but the sum
 * stays in a register) */
static double draw(struct rft_rng *r, const double *num, const double *den, size_t n,
		   size_t m, double *sn, uint32_t *idx, int with_den)
{
	double sd = 0;
	size_t i, j;
	struct rft_below below;

	rft_below_init(&below, n);
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)rft_rng_below_fixed(r, &below);
	/* four sums at a time, each its own chain of additions */
	for (j = 0; j < m; j += 4) {
		double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
		size_t left = m - j;

		if (left >= 4) {
			for (i = 0; i < n; i++) {
				const double *v = num + (size_t)idx[i] * m + j;

				t0 += v[0];
				t1 += v[1];
				t2 += v[2];
				t3 += v[3];
			}
			sn[j + 3] = t3;
			sn[j + 2] = t2;
		} else if (left == 3) {
			for (i = 0; i < n; i++) {
				const double *v = num + (size_t)idx[i] * m + j;

				t0 += v[0];
				t1 += v[1];
				t2 += v[2];
			}
			sn[j + 2] = t2;
		} else if (left == 2) {
			for (i = 0; i < n; i++) {
				const double *v = num + (size_t)idx[i] * m + j;

				t0 += v[0];
				t1 += v[1];
			}
		} else {
			for (i = 0; i < n; i++)
				t0 += num[(size_t)idx[i] * m + j];
		}
		sn[j] = t0;
		if (left >= 2)
			sn[j + 1] = t1;
	}
	if (with_den)
		for (i = 0; i < n; i++)
			sd += den[idx[i]];
	return sd;
}

#define MAX_STATS 16

/* the statistics a call takes at once: more is a caller's mistake, refused
 * by name (not NaN intervals, nor statistics left unset) */
static void check_nstats(const char *fn, size_t m)
{
	if (m > MAX_STATS)
		die(RFT_EX_SOFTWARE, "%s: at most %d statistics at once, not %zu", fn, MAX_STATS, m);
}

/* lo[j], hi[j]: the 2.5% and 97.5% quantiles of column j of scratch (m
 * columns of nboot replicates; reordered) */
static void percentile_cols(double *scratch, size_t nboot, size_t m, double *lo, double *hi)
{
	size_t j;

	for (j = 0; j < m; j++) {
		double *col = scratch + j * nboot;

		lo[j] = quantile_select(col, nboot, 0.025);
		hi[j] = quantile_select(col, nboot, 0.975);
	}
}

void rft_boot_ratios(const double *num, const double *den, size_t n, size_t m,
		     const double *num2, const double *den2, size_t n2,
		     size_t nboot, uint64_t seed, double *scratch, double *lo, double *hi)
{
	struct rft_rng r;
	double sn[MAX_STATS], sn2[MAX_STATS];
	uint32_t *idx;
	size_t b, j, tries = 0;

	check_nstats("rft_boot_ratios", m);
	for (j = 0; j < m; j++)
		lo[j] = hi[j] = NAN;
	if (nboot == 0 || n == 0 || m == 0 || (num2 && n2 == 0))
		return;
	if (n > UINT32_MAX || n2 > UINT32_MAX)
		return;
	idx = emalloc((n > n2 ? n : n2) * sizeof(*idx));
	rft_rng_seed(&r, seed);
	for (b = 0; b < nboot; ) {
		double sd = draw(&r, num, den, n, m, sn, idx, 1), sd2 = 1;

		if (num2)
			sd2 = draw(&r, num2, den2, n2, m, sn2, idx, 1);
		if (!(sd > 0) || !(sd2 > 0)) {
			if (++tries > 100 * nboot) {
				free(idx);
				return;   /* (nearly) every denominator is 0 */
			}
			continue;
		}
		for (j = 0; j < m; j++)
			scratch[j * nboot + b] = num2 ? sn2[j] / sd2 - sn[j] / sd : sn[j] / sd;
		b++;
	}
	free(idx);
	percentile_cols(scratch, nboot, m, lo, hi);
}

void rft_boot_ratio_cols(const double *sums, size_t n, size_t m, const int *num_col,
			 const int *den_col, size_t nstat, size_t nboot, uint64_t seed,
			 double *scratch, double *lo, double *hi)
{
	struct rft_rng r;
	double sn[MAX_STATS];
	uint32_t *idx;
	size_t b, j, tries = 0;
	static const double none = 0;

	check_nstats("rft_boot_ratio_cols", m);
	for (j = 0; j < nstat; j++)
		lo[j] = hi[j] = NAN;
	if (nboot == 0 || n == 0 || m == 0 || n > UINT32_MAX)
		return;
	idx = emalloc(n * sizeof(*idx));
	rft_rng_seed(&r, seed);
	for (b = 0; b < nboot; ) {
		int ok = 1;

		(void)draw(&r, sums, &none, n, m, sn, idx, 0);
		for (j = 0; j < nstat; j++)
			ok &= sn[den_col[j]] > 0;
		if (!ok) {
			if (++tries > 100 * nboot) {
				free(idx);
				return;
			}
			continue;
		}
		for (j = 0; j < nstat; j++)
			scratch[j * nboot + b] = sn[num_col[j]] / sn[den_col[j]];
		b++;
	}
	free(idx);
	percentile_cols(scratch, nboot, nstat, lo, hi);
}

void rft_signflip_test(const double *d, size_t n, size_t m, size_t nperm, uint64_t seed,
		       double *p)
{
	struct rft_rng r;
	double t[MAX_STATS], tol[MAX_STATS], ts[MAX_STATS];
	size_t count[MAX_STATS], b, i, j;

	check_nstats("rft_signflip_test", m);
	for (j = 0; j < m; j++)
		p[j] = NAN;
	if (nperm == 0)
		return;
	for (j = 0; j < m; j++) {
		double a = 0;

		t[j] = 0;
		for (i = 0; i < n; i++) {
			t[j] += d[i * m + j];
			a += fabs(d[i * m + j]);
		}
		t[j] = fabs(t[j]);
		tol[j] = 1e-12 * a;
		count[j] = 0;
	}
	rft_rng_seed(&r, seed);
	for (b = 0; b < nperm; b++) {
		uint64_t bits = 0;

		for (j = 0; j < m; j++)
			ts[j] = 0;
		for (i = 0; i < n; i++) {
			const double *v = d + i * m;
			double sg;

			if (i % 64 == 0)
				bits = rft_rng_next(&r);
			sg = (double)(1 - 2 * (int)(bits & 1));   /* no branch on a coin */
			for (j = 0; j < m; j++)
				ts[j] += sg * v[j];
			bits >>= 1;
		}
		for (j = 0; j < m; j++)
			count[j] += fabs(ts[j]) >= t[j] - tol[j];
	}
	for (j = 0; j < m; j++)
		p[j] = (1.0 + (double)count[j]) / (1.0 + (double)nperm);
}
