// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for the log-linear histogram: bucket arithmetic, quantile error against
 * exact order statistics, extremes, merge, exact mean/stddev, lazy memory. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/hist.h"

#define TOP ((uint64_t)1 << HIST_MAX_SHIFT)

/* splitmix64: small, deterministic, good enough to make test data */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in (0, 1] */
static double rng_unit(void)
{
	return ((rng_next() >> 11) + 1) * (1.0 / 9007199254740992.0);
}

static double rng_normal(void)
{
	return sqrt(-2 * log(rng_unit())) * cos(2 * M_PI * rng_unit());
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

enum dist { D_UNIFORM, D_EXP, D_LOGNORMAL, D_BIMODAL, D_NR };
static const char *const dist_name[D_NR] = { "uniform", "exponential", "lognormal", "bimodal" };

static uint64_t draw(enum dist d)
{
	switch (d) {
	case D_UNIFORM:
		return 1000 + rng_next() % 999001; /* 1us .. 1ms */
	case D_EXP:
		return (uint64_t)(-50000.0 * log(rng_unit())); /* mean 50us, many small */
	case D_LOGNORMAL:
		return (uint64_t)exp(log(200000.0) + 1.2 * rng_normal()); /* median 200us */
	case D_BIMODAL:
	default:
		if (rng_next() % 10)
			return (uint64_t)fabs(20000 + 2000 * rng_normal()); /* 90%: ~20us */
		return (uint64_t)fabs(5000000 + 500000 * rng_normal()); /* 10%: ~5ms */
	}
}

/* The quantile of each distribution is within 1% of the exact order statistic of rank
 * ceil(q * n), the rank computed here in integers from q = k / 100000. */
START_TEST(test_quantile_error)
{
	static const uint32_t qk[] = { 1, 100, 1000, 10000, 25000, 50000, 75000, 90000,
				       95000, 99000, 99900, 99990, 100000 };
	const uint64_t n = 200000;
	enum dist d = (enum dist)_i;
	uint64_t *v = malloc(n * sizeof(*v));
	struct hist *h = hist_new();

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(h);
	rng_state = 42 + _i;
	for (uint64_t i = 0; i < n; i++) {
		v[i] = draw(d);
		ck_assert_int_eq(hist_add(h, v[i]), 0);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	ck_assert_uint_eq(hist_count(h), n);
	ck_assert_uint_eq(hist_min(h), v[0]);
	ck_assert_uint_eq(hist_max(h), v[n - 1]);
	for (unsigned j = 0; j < sizeof(qk) / sizeof(qk[0]); j++) {
		double q = qk[j] / 100000.0;
		uint64_t rank = (qk[j] * n + 99999) / 100000;
		uint64_t truth = v[rank - 1], est = hist_quantile(h, q);
		double err = truth ? fabs((double)est - (double)truth) / (double)truth
				   : (double)est;

		ck_assert_uint_eq(hist_rank(n, q), rank);
		ck_assert_msg(err < 0.01, "%s q=%g: estimate %lu, truth %lu (rank %lu), error %.4f%%",
			      dist_name[d], q, (unsigned long)est, (unsigned long)truth,
			      (unsigned long)rank, 100 * err);
		/* the bound the bucket layout promises is tighter: 1/(2 * HIST_SUB) */
		ck_assert_msg(err <= 1.0 / (2 * HIST_SUB), "%s q=%g: error %.4f%% over 1/256",
			      dist_name[d], q, 100 * err);
	}
	hist_free(h);
	free(v);
}
END_TEST

START_TEST(test_exact_small_values)
{
	struct hist *h = hist_new();
	uint64_t n = 0;

	/* every value below 2 * HIST_SUB has a bucket of its own */
	for (uint64_t v = 0; v < 2 * HIST_SUB; v++) {
		ck_assert_uint_eq(hist_bucket(v), v);
		ck_assert_uint_eq(hist_bucket_lo(v), v);
		ck_assert_uint_eq(hist_bucket_hi(v), v + 1);
	}
	/* value v added v + 1 times: each quantile is an exact value */
	for (uint64_t v = 0; v < HIST_SUB; v++) {
		ck_assert_int_eq(hist_add_n(h, v, v + 1), 0);
		n += v + 1;
	}
	for (uint64_t v = 0; v < HIST_SUB; v++)
		ck_assert_uint_eq(hist_bucket_count(h, v), v + 1);
	ck_assert_uint_eq(hist_count(h), n);
	/* rank r falls on the smallest v with (v+1)(v+2)/2 >= r */
	for (uint64_t r = 1; r <= n; r += 37) {
		uint64_t want = 0;

		while ((want + 1) * (want + 2) / 2 < r)
			want++;
		ck_assert_uint_eq(hist_quantile(h, (double)r / n), want);
	}
	hist_free(h);

	h = hist_new();
	ck_assert_int_eq(hist_add(h, 77), 0);
	ck_assert_uint_eq(hist_quantile(h, 0.5), 77);
	ck_assert_uint_eq(hist_quantile(h, 0.999), 77);
	ck_assert_double_eq(hist_mean(h), 77);
	ck_assert_double_eq(hist_stddev(h), 0);
	hist_free(h);
}
END_TEST

START_TEST(test_bucket_arithmetic)
{
	/* buckets tile [0, 2^41) without gaps, in order, each < 1/HIST_SUB of its values */
	ck_assert_uint_eq(hist_bucket_lo(0), 0);
	for (unsigned i = 0; i + 1 < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);

		ck_assert_uint_eq(hi, hist_bucket_lo(i + 1));
		ck_assert_uint_gt(hi, lo);
		ck_assert_uint_eq(hist_bucket(lo), i);
		ck_assert_uint_eq(hist_bucket(hi - 1), i);
		if (lo >= HIST_SUB)
			ck_assert_uint_le((hi - lo) * HIST_SUB, lo);
	}
	ck_assert_uint_eq(hist_bucket_hi(HIST_NBUCKETS - 1), TOP);
	ck_assert_uint_eq(hist_bucket(TOP - 1), HIST_NBUCKETS - 1);
	ck_assert_uint_eq(hist_bucket(TOP), HIST_NBUCKETS - 1);
	ck_assert_uint_eq(hist_bucket(UINT64_MAX), HIST_NBUCKETS - 1);
	/* a few hand-checked ones: 1000 has msb 9, so width 4, and 1000 >> 2 = 250 */
	ck_assert_uint_eq(hist_bucket(1000), 2 * HIST_SUB + 250);
	ck_assert_uint_eq(hist_bucket_lo(2 * HIST_SUB + 250), 1000);
	ck_assert_uint_eq(hist_bucket_hi(2 * HIST_SUB + 250), 1004);
	ck_assert_uint_eq(hist_bucket(256), 256);
	ck_assert_uint_eq(hist_bucket(257), 256);
	ck_assert_uint_eq(hist_bucket(258), 257);
	/* random values land in the bucket that contains them */
	rng_state = 7;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng_next() >> (rng_next() % 64);
		unsigned idx = hist_bucket(v);

		if (v >= TOP) {
			ck_assert_uint_eq(idx, HIST_NBUCKETS - 1);
			continue;
		}
		ck_assert_uint_le(hist_bucket_lo(idx), v);
		ck_assert_uint_gt(hist_bucket_hi(idx), v);
	}
}
END_TEST

START_TEST(test_extremes)
{
	static const uint64_t vals[] = { 0, 1, 2, TOP - 1, TOP, TOP + 5, UINT64_MAX };
	const unsigned n = sizeof(vals) / sizeof(vals[0]);
	struct hist *h = hist_new();
	long double sum = 0, sumsq = 0, mean;

	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(hist_add(h, vals[i]), 0);
		sum += vals[i];
	}
	mean = sum / n;
	for (unsigned i = 0; i < n; i++)
		sumsq += (vals[i] - mean) * (vals[i] - mean);
	ck_assert_uint_eq(hist_count(h), n);
	ck_assert_uint_eq(hist_clamped(h), 3);
	ck_assert_uint_eq(hist_lost(h), 0);
	ck_assert_uint_eq(hist_min(h), 0);
	ck_assert_uint_eq(hist_max(h), UINT64_MAX);
	ck_assert_uint_eq(hist_bucket_count(h, 0), 1);
	ck_assert_uint_eq(hist_bucket_count(h, 1), 1);
	ck_assert_uint_eq(hist_bucket_count(h, HIST_NBUCKETS - 1), 4);
	ck_assert_uint_eq(hist_quantile(h, 0), 0);
	ck_assert_uint_eq(hist_quantile(h, 1), UINT64_MAX);
	ck_assert_uint_eq(hist_quantile(h, 0.2), 1);
	ck_assert_uint_eq(hist_quantile(h, 0.4), 2);
	/* the clamped ones report the top bucket, within 1% of 2^41 */
	ck_assert_uint_ge(hist_quantile(h, 0.99), TOP - TOP / HIST_SUB);
	ck_assert_uint_lt(hist_quantile(h, 0.99), TOP);
	/* the mean stays exact over clamped values (true values are summed) */
	ck_assert_double_eq_tol(hist_mean(h), (double)mean, (double)mean * 1e-15);
	ck_assert_double_eq_tol(hist_stddev(h), (double)sqrtl(sumsq / n),
				(double)sqrtl(sumsq / n) * 1e-12);
	/* out-of-range bucket arithmetic does not run off the table */
	ck_assert_uint_eq(hist_bucket_count(h, HIST_NBUCKETS), 0);
	ck_assert_uint_eq(hist_bucket_lo(HIST_NBUCKETS + 5), TOP);
	hist_free(h);
}
END_TEST

START_TEST(test_empty)
{
	struct hist *h = hist_new();

	ck_assert_uint_eq(hist_count(h), 0);
	ck_assert_uint_eq(hist_min(h), 0);
	ck_assert_uint_eq(hist_max(h), 0);
	ck_assert_uint_eq(hist_quantile(h, 0.5), 0);
	ck_assert_uint_eq(hist_quantile(h, 1), 0);
	ck_assert_double_eq(hist_mean(h), 0);
	ck_assert_double_eq(hist_stddev(h), 0);
	ck_assert_uint_eq(hist_rank(0, 0.5), 0);
	ck_assert_int_eq(hist_add_n(h, 5, 0), 0);
	ck_assert_uint_eq(hist_count(h), 0);
	hist_free(h);
	hist_free(NULL);
}
END_TEST

START_TEST(test_rank)
{
	ck_assert_uint_eq(hist_rank(10, 0.9), 9);
	ck_assert_uint_eq(hist_rank(10, 0.5), 5);
	ck_assert_uint_eq(hist_rank(3, 0.5), 2);
	ck_assert_uint_eq(hist_rank(100, 0.99), 99);
	ck_assert_uint_eq(hist_rank(1000, 0.999), 999);
	ck_assert_uint_eq(hist_rank(1001, 0.999), 1000);
	ck_assert_uint_eq(hist_rank(1000000000, 0.999), 999000000);
	ck_assert_uint_eq(hist_rank(1000000001, 0.5), 500000001);
	ck_assert_uint_eq(hist_rank(7, 0), 1);
	ck_assert_uint_eq(hist_rank(7, -1), 1);
	ck_assert_uint_eq(hist_rank(7, 1), 7);
	ck_assert_uint_eq(hist_rank(7, 2), 7);
	ck_assert_uint_eq(hist_rank(7, 1e-9), 1);
	ck_assert_uint_eq(hist_rank(UINT64_MAX, 1), UINT64_MAX);
}
END_TEST

static void assert_hist_equal(const struct hist *a, const struct hist *b)
{
	ck_assert_uint_eq(hist_count(a), hist_count(b));
	ck_assert_uint_eq(hist_min(a), hist_min(b));
	ck_assert_uint_eq(hist_max(a), hist_max(b));
	ck_assert_uint_eq(hist_clamped(a), hist_clamped(b));
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		ck_assert_uint_eq(hist_bucket_count(a, i), hist_bucket_count(b, i));
	/* the sums are integers, so merged and direct agree exactly */
	ck_assert_double_eq(hist_mean(a), hist_mean(b));
	ck_assert_double_eq(hist_stddev(a), hist_stddev(b));
	for (int k = 1; k < 1000; k += 7)
		ck_assert_uint_eq(hist_quantile(a, k / 1000.0), hist_quantile(b, k / 1000.0));
}

START_TEST(test_merge)
{
	struct hist *all = hist_new(), *part[3], *m = hist_new(), *empty = hist_new();

	for (int i = 0; i < 3; i++)
		part[i] = hist_new();
	rng_state = 99;
	for (int i = 0; i < 100000; i++) {
		uint64_t v = draw((enum dist)(i % D_NR));

		ck_assert_int_eq(hist_add(all, v), 0);
		ck_assert_int_eq(hist_add(part[rng_next() % 3], v), 0);
	}
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(hist_merge(m, part[i]), 0);
	ck_assert_int_eq(hist_merge(m, empty), 0);
	assert_hist_equal(m, all);
	ck_assert_int_eq(hist_merge(empty, all), 0);
	assert_hist_equal(empty, all);
	ck_assert_int_eq(hist_merge(m, m), -EINVAL);
	/* min and max come across too, clamped counts add */
	hist_reset(m);
	ck_assert_int_eq(hist_add(part[0], UINT64_MAX), 0);
	ck_assert_int_eq(hist_add(part[1], 0), 0);
	ck_assert_int_eq(hist_merge(m, part[0]), 0);
	ck_assert_int_eq(hist_merge(m, part[1]), 0);
	ck_assert_uint_eq(hist_min(m), 0);
	ck_assert_uint_eq(hist_max(m), UINT64_MAX);
	ck_assert_uint_eq(hist_clamped(m), 1);
	for (int i = 0; i < 3; i++)
		hist_free(part[i]);
	hist_free(all);
	hist_free(m);
	hist_free(empty);
}
END_TEST

START_TEST(test_add_n_equals_adds)
{
	struct hist *a = hist_new(), *b = hist_new();

	rng_state = 5;
	for (int i = 0; i < 2000; i++) {
		uint64_t v = draw(D_LOGNORMAL), n = rng_next() % 5;

		ck_assert_int_eq(hist_add_n(a, v, n), 0);
		for (uint64_t j = 0; j < n; j++)
			ck_assert_int_eq(hist_add(b, v), 0);
	}
	assert_hist_equal(a, b);
	hist_free(a);
	hist_free(b);
}
END_TEST

/* Mean and stddev against a direct two-pass computation, on values of about two minutes
 * whose spread is a few ns: the case where sum-of-squares formulas lose everything. */
START_TEST(test_mean_stddev)
{
	const int n = 1000000;
	const uint64_t base = 120000000000ull;
	uint64_t *v = malloc(n * sizeof(*v));
	struct hist *h = hist_new();
	long double sum = 0, m2 = 0, mean, sd;

	ck_assert_ptr_nonnull(v);
	rng_state = 3;
	for (int i = 0; i < n; i++) {
		v[i] = base + rng_next() % 16;
		sum += v[i];
		ck_assert_int_eq(hist_add(h, v[i]), 0);
	}
	mean = sum / n;
	for (int i = 0; i < n; i++)
		m2 += (v[i] - mean) * (v[i] - mean);
	sd = sqrtl(m2 / n);
	ck_assert_double_eq_tol(hist_mean(h), (double)mean, 1e-6);
	ck_assert_double_eq_tol(hist_stddev(h), (double)sd, (double)sd * 1e-9);
	ck_assert_double_gt(hist_stddev(h), 4); /* uniform 0..15: sd = 4.61 */
	ck_assert_double_lt(hist_stddev(h), 5);
	free(v);
	hist_free(h);

	/* a billion values (through hist_add_n), half 2 min, half 2 min + 2 ns: sd is 1 */
	h = hist_new();
	ck_assert_int_eq(hist_add_n(h, base, 500000000), 0);
	ck_assert_int_eq(hist_add_n(h, base + 2, 500000000), 0);
	ck_assert_double_eq(hist_mean(h), (double)(base + 1));
	ck_assert_double_eq_tol(hist_stddev(h), 1.0, 1e-12);
	/* and an odd count, where the sum does not divide: {b, b+1, b+1} x 333333333 */
	hist_reset(h);
	ck_assert_int_eq(hist_add_n(h, base, 333333333), 0);
	ck_assert_int_eq(hist_add_n(h, base + 1, 666666666), 0);
	ck_assert_double_eq_tol(hist_stddev(h), sqrt(2.0) / 3, 1e-12);
	hist_free(h);
}
END_TEST

START_TEST(test_lazy_memory)
{
	struct hist *h = hist_new();
	size_t base = hist_bytes(h), blk = HIST_SUB * sizeof(uint64_t);

	/* three octaves: [1024, 2048), [2^20, 2^21), [2^30, 2^31) */
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(hist_add(h, 1024 + i), 0);
		ck_assert_int_eq(hist_add(h, (1u << 20) + 1000 * i), 0);
		ck_assert_int_eq(hist_add(h, (1u << 30) + 1000000 * i), 0);
	}
	ck_assert_uint_eq(hist_bytes(h), base + 3 * blk);
	ck_assert_uint_lt(hist_bytes(h), 4 * 1024 + base);
	/* reset keeps the blocks: refilling allocates nothing */
	hist_reset(h);
	ck_assert_uint_eq(hist_count(h), 0);
	ck_assert_uint_eq(hist_quantile(h, 0.5), 0);
	ck_assert_uint_eq(hist_bytes(h), base + 3 * blk);
	ck_assert_int_eq(hist_add(h, 1500), 0);
	ck_assert_uint_eq(hist_bytes(h), base + 3 * blk);
	ck_assert_uint_eq(hist_min(h), 1500);
	ck_assert_uint_eq(hist_max(h), 1500);
	hist_free(h);
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_quantile_error, 0, D_NR);
	tcase_add_test(tc, test_exact_small_values);
	tcase_add_test(tc, test_bucket_arithmetic);
	tcase_add_test(tc, test_extremes);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_rank);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_add_n_equals_adds);
	tcase_add_test(tc, test_mean_stddev);
	tcase_add_test(tc, test_lazy_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
