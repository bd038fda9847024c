/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Statistics of a series inside a run (prefix series_): the growth of a resource across
 * rounds (a least-squares slope with its standard error and a one-sided 95% lower
 * confidence bound), the spread of throughput across time windows (coefficient of
 * variation), and where a series reaches its steady state (MSER: the truncation that
 * minimises the marginal standard error of the mean of what is left, White 1997).
 * Pure functions, unit-tested.
 */
#ifndef OPSCOPE_SERIES_H
#define OPSCOPE_SERIES_H

#include <stdbool.h>
#include <stdint.h>

/* y = intercept + slope * x by least squares. */
struct series_fit {
	bool ok;          /* n >= 3 and x not all equal */
	int n;
	double slope, intercept;
	double se;        /* standard error of the slope (0 for a perfect line) */
	int df;           /* n - 2 */
	double lcb;       /* slope - t(0.95, df) * se: the growth we are 95% sure of */
};

int series_fit(const double *x, const double *y, int n, struct series_fit *f);

/* The one-sided 95% quantile of Student's t with df degrees of freedom (df >= 1). */
double series_t95(int df);

/* Sample standard deviation / mean (0 when the mean is 0; NaN for n < 2). */
double series_cv(const double *v, int n);

/*
 * MSER over v[0..n): the d in [0, n/2] minimising
 *	sum_{i >= d} (v[i] - mean(v[d..n)))^2 / (n - d)^2,
 * the number of leading values to drop so that the rest is as steady as the data can
 * tell. -1 for n < 4.
 */
int series_mser(const double *v, int n);

/*
 * Throughput windows merged for statistics: counts of width w, windows [first, end)
 * wholly in the recorded phase. Returns the merge factor f (a power of two): windows
 * are joined f at a time until they hold at least min_count ops on average over the
 * recorded ones, or fewer than min_windows would remain.
 */
uint32_t series_merge_factor(const uint64_t *count, uint32_t first, uint32_t end,
			     uint64_t min_count, uint32_t min_windows);

#endif
