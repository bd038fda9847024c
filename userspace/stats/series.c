// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Slopes, window spread and steady state of series inside a run; see series.h. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "stats/series.h"

/* One-sided 95% quantiles of Student's t, df 1..30. */
static const double t95[30] = {
	6.3138, 2.9200, 2.3534, 2.1318, 2.0150, 1.9432, 1.8946, 1.8595, 1.8331, 1.8125,
	1.7959, 1.7823, 1.7709, 1.7613, 1.7531, 1.7459, 1.7396, 1.7341, 1.7291, 1.7247,
	1.7207, 1.7171, 1.7139, 1.7109, 1.7081, 1.7056, 1.7033, 1.7011, 1.6991, 1.6973,
};

double series_t95(int df)
{
	const double z = 1.6448536;

	if (df < 1)
		return INFINITY;
	if (df <= 30)
		return t95[df - 1];
	/* Cornish-Fisher to the first order: within 0.001 of the table from df = 30 */
	return z + (z * z * z + z) / (4.0 * df);
}

int series_fit(const double *x, const double *y, int n, struct series_fit *f)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, sse = 0;

	memset(f, 0, sizeof(*f));
	f->n = n;
	if (n < 3)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (int i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (!(sxx > 0))
		return -EINVAL;
	f->slope = sxy / sxx;
	f->intercept = my - f->slope * mx;
	for (int i = 0; i < n; i++) {
		double r = y[i] - (f->intercept + f->slope * x[i]);

		sse += r * r;
	}
	f->df = n - 2;
	f->se = sqrt(sse / f->df / sxx);
	f->lcb = f->slope - series_t95(f->df) * f->se;
	f->ok = true;
	return 0;
}

double series_cv(const double *v, int n)
{
	double m = 0, ss = 0;

	if (n < 2)
		return NAN;
	for (int i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (int i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	return m != 0 ? sqrt(ss / (n - 1)) / fabs(m) : 0;
}

int series_mser(const double *v, int n)
{
	double best = INFINITY, sum = 0, sq = 0;
	int d_best = 0;

	if (n < 4)
		return -1;
	/* from the back, so each candidate d costs O(1): sums over v[d..n) */
	for (int d = n - 1; d >= 0; d--) {
		double k, mse;

		sum += v[d];
		sq += v[d] * v[d];
		if (d > n / 2)
			continue;
		k = n - d;
		mse = (sq - sum * sum / k) / (k * k);
		if (mse <= best) { /* ties: the earlier truncation */
			best = mse;
			d_best = d;
		}
	}
	return d_best;
}

uint32_t series_merge_factor(const uint64_t *count, uint32_t first, uint32_t end,
			     uint64_t min_count, uint32_t min_windows)
{
	uint64_t total = 0;
	uint32_t n = end > first ? end - first : 0, f = 1;

	for (uint32_t i = first; i < end; i++)
		total += count[i];
	/* the recorded windows a factor 2f leaves whole: those inside [first, end) */
	while (n && total / n < min_count) {
		uint32_t f2 = f * 2, lo = (first + f2 - 1) / f2, hi = end / f2;
		uint64_t t2 = 0;

		if (hi <= lo || hi - lo < min_windows)
			break;
		for (uint32_t i = lo * f2; i < hi * f2; i++)
			t2 += count[i];
		f = f2;
		n = hi - lo;
		total = t2;
	}
	return f;
}
