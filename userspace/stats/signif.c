// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Mann-Whitney U with mid-ranks; exact p-values by counting the permutation distribution
 * of the doubled mid-rank sum (integers, so ties stay exact); normal approximation with
 * tie and continuity corrections beyond SIGNIF_EXACT_MAX values; bootstrap CI.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats/signif.h"

struct obs {
	double v;
	int grp; /* 0: a, 1: b */
};

static int cmp_obs(const void *x, const void *y)
{
	const struct obs *a = x, *b = y;

	return (a->v > b->v) - (a->v < b->v);
}

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/*
 * Two-sided exact p: among all C(N, n1) ways to pick n1 of the N doubled mid-ranks,
 * the share whose sum is at least as far from the mean as the observed sum w2.
 * cnt[k][s] = number of k-subsets of the items seen so far with doubled rank sum s.
 */
static int exact_p(const int *rank2, int n, int n1, long w2, double *p)
{
	long maxs = (long)n * (n + 1);
	long mean2 = (long)n1 * (n + 1);
	long dev = labs(w2 - mean2);
	double *cnt = calloc((size_t)(n1 + 1) * (size_t)(maxs + 1), sizeof(double));
	double hit = 0, total = 0;

	if (!cnt)
		return -ENOMEM;
#define CNT(k, s) cnt[(size_t)(k) * (size_t)(maxs + 1) + (size_t)(s)]
	CNT(0, 0) = 1;
	for (int j = 0; j < n; j++) {
		int top = j + 1 < n1 ? j + 1 : n1;

		for (int k = top; k >= 1; k--)
			for (long s = maxs; s >= rank2[j]; s--)
				CNT(k, s) += CNT(k - 1, s - rank2[j]);
	}
	for (long s = 0; s <= maxs; s++) {
		double c = CNT(n1, s);

		total += c;
		if (labs(s - mean2) >= dev)
			hit += c;
	}
#undef CNT
	free(cnt);
	*p = total > 0 ? hit / total : 1.0;
	if (*p > 1.0)
		*p = 1.0;
	return 0;
}

int signif_mwu(const double *a, int na, const double *b, int nb, struct mwu *out)
{
	int n = na + nb, n1, err = 0;
	struct obs *o;
	int *rank2;
	double r1 = 0, tie_sum = 0;
	long w2 = 0;

	memset(out, 0, sizeof(*out));
	if (na < 1 || nb < 1)
		return -EINVAL;
	for (int i = 0; i < na; i++)
		if (isnan(a[i]))
			return -EINVAL;
	for (int i = 0; i < nb; i++)
		if (isnan(b[i]))
			return -EINVAL;
	o = malloc((size_t)n * sizeof(*o));
	rank2 = malloc((size_t)n * sizeof(*rank2));
	if (!o || !rank2) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < na; i++)
		o[i] = (struct obs){ a[i], 0 };
	for (int i = 0; i < nb; i++)
		o[na + i] = (struct obs){ b[i], 1 };
	qsort(o, (size_t)n, sizeof(*o), cmp_obs);

	/* the smaller group is the one counted in the exact distribution */
	int small = na <= nb ? 0 : 1;

	n1 = small == 0 ? na : nb;
	for (int i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && o[j + 1].v == o[i].v)
			j++;
		int t = j - i + 1;
		int r = (i + 1) + (j + 1); /* doubled mid-rank of positions i..j (1-based) */

		if (t > 1) {
			out->ties = true;
			tie_sum += (double)t * t * t - t;
		}
		for (int k = i; k <= j; k++) {
			rank2[k] = r;
			if (o[k].grp == 0)
				r1 += r / 2.0;
			if (o[k].grp == small)
				w2 += r;
		}
		i = j + 1;
	}
	out->n1 = na;
	out->n2 = nb;
	out->u = r1 - (double)na * (na + 1) / 2.0;

	double mu = (double)na * nb / 2.0;
	double var = (double)na * nb / 12.0 * ((n + 1) - tie_sum / ((double)n * (n - 1)));

	if (var <= 0) {
		/* every value equal: no evidence of any difference */
		out->z = 0;
		out->p = 1.0;
		out->exact = n <= SIGNIF_EXACT_MAX;
		goto out;
	}
	double d = fabs(out->u - mu) - 0.5;

	out->z = (d > 0 ? d : 0) / sqrt(var);
	if (out->u < mu)
		out->z = -out->z;
	if (n <= SIGNIF_EXACT_MAX) {
		err = exact_p(rank2, n, n1, w2, &out->p);
		out->exact = err == 0;
	} else {
		out->p = erfc(fabs(out->z) / sqrt(2.0));
	}
	if (out->p > 1.0)
		out->p = 1.0;
out:
	free(o);
	free(rank2);
	return err;
}

/* Median of n >= 1 sorted values. */
static double sorted_median(const double *t, int n)
{
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2.0;
}

double signif_median(const double *v, int n)
{
	double *t, m;

	if (n <= 0)
		return NAN;
	t = malloc((size_t)n * sizeof(*t));
	if (!t)
		return NAN;
	memcpy(t, v, (size_t)n * sizeof(*t));
	qsort(t, (size_t)n, sizeof(*t), cmp_dbl);
	m = sorted_median(t, n);
	free(t);
	return m;
}

/* splitmix64: tiny, good enough for resampling, and the same everywhere */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double resample_median(const double *v, int n, double *tmp, uint64_t *s)
{
	for (int i = 0; i < n; i++)
		tmp[i] = v[rng_next(s) % (uint64_t)n];
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_dbl);
	return sorted_median(tmp, n);
}

int signif_boot_median_diff(const double *a, int na, const double *b, int nb, int iters,
			    double conf, uint64_t seed, double *lo, double *hi)
{
	double *diff, *tmp;
	uint64_t s = seed;

	if (na < 1 || nb < 1 || iters < 10 || !(conf > 0 && conf < 1))
		return -EINVAL;
	diff = malloc((size_t)iters * sizeof(*diff));
	tmp = malloc((size_t)(na > nb ? na : nb) * sizeof(*tmp));
	if (!diff || !tmp) {
		free(diff);
		free(tmp);
		return -ENOMEM;
	}
	for (int i = 0; i < iters; i++) {
		double ma = resample_median(a, na, tmp, &s);

		diff[i] = resample_median(b, nb, tmp, &s) - ma;
	}
	qsort(diff, (size_t)iters, sizeof(*diff), cmp_dbl);
	int ilo = (int)floor((1 - conf) / 2 * iters);
	int ihi = (int)ceil((1 + conf) / 2 * iters) - 1;

	if (ihi >= iters)
		ihi = iters - 1;
	*lo = diff[ilo];
	*hi = diff[ihi];
	free(diff);
	free(tmp);
	return 0;
}

const char *signif_method(void)
{
	return "two-sided Mann-Whitney U over repetitions (exact permutation p-value with "
	       "mid-ranks up to 60 values, else normal approximation with tie correction); "
	       "95% bootstrap CI of the median difference (2000 resamples, fixed seed)";
}

/* ---- Welch's t-test, Student's t distribution, Holm ------------------------------- */

/* Continued fraction of the regularized incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 300; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + aa * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + aa / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

/* I_x(a, b) */
static double ibeta(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double signif_t_p2(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;
	return ibeta(df / 2, 0.5, df / (df + t * t));
}

double signif_t_quantile(double upper, double df)
{
	double lo = 0, hi = 1;

	if (!(upper > 0 && upper < 0.5) || !(df > 0))
		return NAN;
	while (signif_t_p2(hi, df) / 2 > upper && hi < 1e12)
		hi *= 2;
	for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
		double mid = (lo + hi) / 2;

		if (signif_t_p2(mid, df) / 2 > upper)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

static void effect_from_log(struct welch *w);

static void mean_var(const double *v, int n, bool logs, double *mean, double *var)
{
	double s = 0, ss = 0;

	for (int i = 0; i < n; i++)
		s += logs ? log(v[i]) : v[i];
	*mean = s / n;
	for (int i = 0; i < n; i++) {
		double x = (logs ? log(v[i]) : v[i]) - *mean;

		ss += x * x;
	}
	*var = ss / (n - 1);
}

int signif_welch(const double *a, int na, const double *b, int nb, double conf,
		 struct welch *out)
{
	double ma, va, mb, vb, q, ra = 0;
	bool logs = true;

	memset(out, 0, sizeof(*out));
	if (na < 2 || nb < 2 || !(conf > 0 && conf < 1))
		return -EINVAL;
	for (int i = 0; i < na; i++) {
		if (!isfinite(a[i]))
			return -EINVAL;
		logs &= a[i] > 0;
		ra += a[i];
	}
	for (int i = 0; i < nb; i++) {
		if (!isfinite(b[i]))
			return -EINVAL;
		logs &= b[i] > 0;
	}
	ra /= na;
	mean_var(a, na, logs, &ma, &va);
	mean_var(b, nb, logs, &mb, &vb);
	out->center_a = logs ? exp(ma) : ma;
	out->center_b = logs ? exp(mb) : mb;
	out->na = na;
	out->nb = nb;
	out->logscale = logs;
	out->d = mb - ma;
	out->se = sqrt(va / na + vb / nb);
	if (out->se > 0) {
		double ta = va / na, tb = vb / nb;

		out->df = (ta + tb) * (ta + tb) /
			  (ta * ta / (na - 1) + tb * tb / (nb - 1));
		out->t = out->d / out->se;
		out->p = signif_t_p2(out->t, out->df);
		q = signif_t_quantile((1 - conf) / 2, out->df);
	} else {
		/* both sides constant: equal, or different beyond doubt */
		out->df = na + nb - 2;
		out->t = out->d == 0 ? 0 : out->d > 0 ? INFINITY : -INFINITY;
		out->p = out->d == 0 ? 1 : 0;
		q = 0;
	}
	out->lo = out->d - q * out->se;
	out->hi = out->d + q * out->se;
	if (logs) {
		effect_from_log(out);
	} else if (ra != 0) {
		out->effect_pct = out->d / fabs(ra) * 100;
		out->eff_lo_pct = out->lo / fabs(ra) * 100;
		out->eff_hi_pct = out->hi / fabs(ra) * 100;
	} else {
		out->effect_pct = out->d == 0 ? 0 : out->d > 0 ? INFINITY : -INFINITY;
		out->eff_lo_pct = out->lo == 0 ? 0 : out->lo > 0 ? INFINITY : -INFINITY;
		out->eff_hi_pct = out->hi == 0 ? 0 : out->hi > 0 ? INFINITY : -INFINITY;
	}
	return 0;
}

/* The relative effect and its interval from d, lo, hi on the log scale. */
static void effect_from_log(struct welch *w)
{
	w->effect_pct = expm1(w->d) * 100;
	w->eff_lo_pct = expm1(w->lo) * 100;
	w->eff_hi_pct = expm1(w->hi) * 100;
}

int signif_pool(const struct welch *v, int n, double conf, struct welch *out)
{
	double sw = 0, swd = 0, q;

	memset(out, 0, sizeof(*out));
	if (n < 1 || !(conf > 0 && conf < 1))
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		/* a constant side gives se 0: weigh it as a very precise test, not an infinite
		 * one (1e-4 on the log scale is a hundredth of a percent) */
		double se = v[i].se > 1e-4 ? v[i].se : 1e-4, w = 1 / (se * se);

		if (v[i].logscale != v[0].logscale || !isfinite(v[i].d))
			return -EINVAL;
		sw += w;
		swd += w * v[i].d;
		out->na += v[i].na;
		out->nb += v[i].nb;
		out->df += v[i].df;
	}
	out->logscale = v[0].logscale;
	out->d = swd / sw;
	out->se = 1 / sqrt(sw);
	out->t = out->d / out->se;
	out->p = signif_t_p2(out->t, out->df);
	q = signif_t_quantile((1 - conf) / 2, out->df);
	out->lo = out->d - q * out->se;
	out->hi = out->d + q * out->se;
	if (out->logscale)
		effect_from_log(out);
	else
		out->effect_pct = out->eff_lo_pct = out->eff_hi_pct = NAN;
	return 0;
}

struct pidx {
	double p;
	int i;
};

static int cmp_pidx(const void *x, const void *y)
{
	const struct pidx *a = x, *b = y;

	return (a->p > b->p) - (a->p < b->p);
}

int signif_holm(const double *p, int n, double *adj)
{
	struct pidx *s = malloc((size_t)(n > 0 ? n : 1) * sizeof(*s));
	double run = 0;
	int m = 0;

	if (!s)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		adj[i] = NAN;
		if (!isnan(p[i]))
			s[m++] = (struct pidx){ p[i], i };
	}
	qsort(s, (size_t)m, sizeof(*s), cmp_pidx);
	/* the k-th smallest is multiplied by (m - k); adjusted values never decrease */
	for (int k = 0; k < m; k++) {
		double v = s[k].p * (m - k);

		if (v > 1)
			v = 1;
		if (v > run)
			run = v;
		adj[s[k].i] = run;
	}
	free(s);
	return 0;
}
