/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Significance of a change between two sets of repetitions (one value per repetition).
 *
 * The test is the two-sided Mann-Whitney U (Wilcoxon rank-sum) test: it assumes nothing
 * about the shape of the distributions, which suits benchmark repetitions (skewed, with
 * outliers). Ties get mid-ranks. For small samples (n1 + n2 <= SIGNIF_EXACT_MAX) the
 * p-value is exact: the permutation distribution of the mid-rank sum is counted, which
 * stays exact with ties. Larger samples use the normal approximation with the tie
 * correction of the variance and a continuity correction.
 *
 * A percentile bootstrap confidence interval of the difference of medians (fixed seed, so
 * reruns print the same numbers) says how large the change plausibly is.
 *
 * Note the floor on p with few repetitions: 3 vs 3 can never reach p < 0.1, 4 vs 4 not
 * below 0.029, 5 vs 5 not below 0.008. Hence "at least 5 repetitions".
 */
#ifndef OPSCOPE_SIGNIF_H
#define OPSCOPE_SIGNIF_H

#include <stdbool.h>
#include <stdint.h>

#define SIGNIF_EXACT_MAX 60
#define SIGNIF_MIN_REPS 5          /* fewer repetitions on either side: low confidence */
#define SIGNIF_BOOT_ITERS 2000
#define SIGNIF_BOOT_SEED 0x6f7073636f7065ull /* "opscope" */

struct mwu {
	int n1, n2;
	double u;     /* U of sample a: pairs with a > b, plus half the tied pairs */
	double z;     /* normal approximation z score (also computed when exact) */
	double p;     /* two-sided p-value */
	bool exact;   /* p from the exact permutation distribution */
	bool ties;    /* some values were tied */
};

/* Test a (baseline) against b (current). Returns 0, or -EINVAL for an empty sample or
 * a NaN value, -ENOMEM. */
int signif_mwu(const double *a, int na, const double *b, int nb, struct mwu *out);

/* Percentile bootstrap CI at level conf (e.g. 0.95) of median(b) - median(a), iters
 * resamples with a deterministic generator seeded by seed. Returns 0 or -EINVAL/-ENOMEM. */
int signif_boot_median_diff(const double *a, int na, const double *b, int nb, int iters,
			    double conf, uint64_t seed, double *lo, double *hi);

/*
 * Welch's t-test of b (current) against a (baseline), on the logarithms of the values
 * when every value is positive (a change is then a ratio, and skewed repetitions become
 * nearly symmetric), else on the values themselves. Gives the effect as a relative
 * change with its confidence interval at level conf, and a continuous p-value (unlike
 * the rank test's, whose floor at 5 vs 5 repetitions is 0.008), so that a correction
 * for many metrics (signif_holm) can still find a consistent change.
 */
struct welch {
	int na, nb;
	bool logscale;       /* tested on log values */
	double d;            /* mean(b) - mean(a) on the scale tested */
	double se, df, t, p; /* p two-sided; 0 when both sides are constant and differ */
	double lo, hi;       /* confidence interval of d */
	double effect_pct;   /* the change relative to the baseline: (e^d - 1) or d / |mean a| */
	double center_a, center_b; /* what d compares: geometric (or plain) means */
	double eff_lo_pct, eff_hi_pct;
};

/* Returns 0, or -EINVAL when a side has fewer than 2 values or a value is not finite. */
int signif_welch(const double *a, int na, const double *b, int nb, double conf,
		 struct welch *out);

/*
 * One effect from several tests of the same change (a sweep's scenarios): the
 * inverse-variance weighted mean of their d (fixed effect), its standard error, df the
 * sum of theirs, and its p and interval. All must be on the same scale. 0 or -EINVAL.
 */
int signif_pool(const struct welch *v, int n, double conf, struct welch *out);

/* Student's t distribution: two-sided p of |t| with df degrees of freedom, and the
 * quantile q with P(T > q) = upper. */
double signif_t_p2(double t, double df);
double signif_t_quantile(double upper, double df);

/*
 * Holm's step-down adjustment of n p-values for a family-wise error rate: adj[i] is the
 * smallest family-wise level at which test i is rejected. NaN p-values (no test) are
 * left out of the family and get NaN.
 */
int signif_holm(const double *p, int n, double *adj);

/* Median of n values (not modified); NaN for n == 0. */
double signif_median(const double *v, int n);

/* One line naming the method, for reports. */
const char *signif_method(void);

#endif
