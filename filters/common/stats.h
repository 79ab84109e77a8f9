/*
 * stats.h - the interval estimates and tests rftkit reports use: Wilson score
 * intervals for proportions, a seeded random generator and percentile
 * (cluster) bootstrap intervals, McNemar's exact test, and a sign-flip
 * permutation test over clusters.
 *
 * Everything here is deterministic: the generator is splitmix64 seeded by the
 * caller, so a report is reproducible from its --seed.
 *
 * Ownership rule: functions take borrowed arrays and allocate nothing the
 * caller must free; rft_boot_ratios() works in a caller-provided
 * scratch array.
 */
#ifndef RFT_STATS_H
#define RFT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* z for a two-sided 95% interval: the 0.975 quantile of the normal */
#define RFT_Z95 1.959963984540054

/*
 * Wilson score interval for x successes in n trials at normal quantile z:
 *   p = x/n, c = (p + z^2/2n) / (1 + z^2/n),
 *   h = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2),  interval [c-h, c+h]
 * (clamped to [0,1]).  n == 0 gives [0,1].
 */
void rft_wilson(double x, double n, double z, double *lo, double *hi);

/*
 * McNemar's exact test (two-sided) for b and c discordant pairs:
 * with n = b + c and k = min(b, c),  p = min(1, 2 * sum_{i<=k} C(n,i) / 2^n);
 * p = 1 when n == 0.  For n <= 1000 the terms come from 2^-n by their
 * ratios (exact for small n, far below 1e-300 without underflow to 0 for
 * the sums that matter); beyond, in log space.
 */
double rft_mcnemar_exact(long long b, long long c);
/* log10 of the same p (0 for p = 1), in log space throughout: finite where
 * p itself is below the smallest double (2,000 pairs all one way: 1e-600) */
double rft_mcnemar_log10(long long b, long long c);
/* p as text: "%.3g"-like, or mantissa and exponent from log10p when p
 * underflowed to 0 (never "0" unless p is exactly 0) */
void rft_p_text(struct strbuf *sb, double p, double log10p, int sig);

/* splitmix64: a tiny, seedable, well-mixed generator */
struct rft_rng {
	uint64_t s;
};
void rft_rng_seed(struct rft_rng *r, uint64_t seed);
uint64_t rft_rng_next(struct rft_rng *r);
/* uniform in [0, n) without modulo bias (n > 0) */
uint64_t rft_rng_below(struct rft_rng *r, uint64_t n);
/* The same draws for one n used many times (a bootstrap): the two 64-bit
 * divisions a draw costs are done once by rft_below_init; the results equal
 * rft_rng_below's exactly. */
struct rft_below {
	uint64_t n, limit, m;
};
void rft_below_init(struct rft_below *b, uint64_t n);
uint64_t rft_rng_below_fixed(struct rft_rng *r, const struct rft_below *b);

/*
 * Quantile of sorted values v[0..n) by linear interpolation between order
 * statistics (Hyndman and Fan's type 7, R's default): h = (n-1)q,
 * v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h]).
 */
double rft_quantile_sorted(const double *v, size_t n, double q);

/*
 * Percentile cluster bootstrap of m ratios of sums, drawn together.  There
 * are n clusters (genes); cluster i contributes num[i*m + j] to the
 * numerator of statistic j and den[i] to every denominator (e.g. the sum of
 * a gene's reciprocal ranks and its number of cases).  Each of nboot
 * replicates draws n clusters with replacement and computes, for every j,
 * sum(num_j)/sum(den) (a replicate whose denominator is 0 is drawn again).
 * With num2 (not NULL) a second, independent set of n2 clusters is drawn too
 * and the statistic is ratio2 - ratio1 (an unpaired comparison).
 * scratch holds nboot * m doubles; lo[j], hi[j] receive the 2.5% and 97.5%
 * quantiles (type 7).  nboot == 0 or no cluster: NaN.
 */
void rft_boot_ratios(const double *num, const double *den, size_t n, size_t m,
		     const double *num2, const double *den2, size_t n2,
		     size_t nboot, uint64_t seed, double *scratch, double *lo, double *hi);

/*
 * The same percentile cluster bootstrap for ratios of any two of m column
 * sums, all from one set of draws: cluster i has sums[i*m + c] in column c
 * (m at most 16); statistic s is sum(column num_col[s]) / sum(column
 * den_col[s]) over the drawn clusters (a replicate with a denominator <= 0
 * is drawn again).  One draw serves case-level ratios (hits / cases) and
 * gene-level means (per-gene mean / 1) together.  scratch holds
 * nboot * nstat doubles; lo[s], hi[s] as for rft_boot_ratios.
 */
void rft_boot_ratio_cols(const double *sums, size_t n, size_t m, const int *num_col,
			 const int *den_col, size_t nstat, size_t nboot, uint64_t seed,
			 double *scratch, double *lo, double *hi);

/*
 * Sign-flip permutation test over clusters (genes) of paired differences,
 * for m statistics at once.  Cluster i contributes d[i*m + j], its summed
 * (run - baseline) difference for statistic j; T_j = sum_i d[i*m + j].
 * Under the null hypothesis of no difference each cluster's sum is as
 * likely to have either sign, so each of nperm permutations flips every
 * cluster's sign (all m statistics together) with probability 1/2 and
 * counts |T*_j| >= |T_j| (less a relative 1e-12 for rounding).  p[j] =
 * (1 + count) / (1 + nperm): never 0.  nperm == 0 or n == 0: p[j] = NaN
 * (n == 0 and nperm > 0: 1).  m at most 16.
 */
void rft_signflip_test(const double *d, size_t n, size_t m, size_t nperm, uint64_t seed,
		       double *p);

#endif
