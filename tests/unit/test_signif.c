// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Statistics on known data. Reference p-values were computed independently by full
 * enumeration of every split of the pooled values (exact) and by the textbook formula
 * with tie correction (normal), not by this code.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "stats/signif.h"

START_TEST(identical_not_significant)
{
	double a[] = { 10, 11, 12, 13, 14 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 5, a, 5, &t), 0);
	ck_assert(t.exact);
	ck_assert_double_eq_tol(t.u, 12.5, 1e-12);
	ck_assert_double_eq_tol(t.p, 1.0, 1e-12);
}
END_TEST

START_TEST(all_values_equal)
{
	double a[] = { 5, 5, 5, 5, 5 }, b[] = { 5, 5, 5, 5, 5, 5 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 5, b, 6, &t), 0);
	ck_assert_double_eq_tol(t.p, 1.0, 1e-12);
	ck_assert(t.ties);
}
END_TEST

START_TEST(separated_five_exact)
{
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 5, b, 5, &t), 0);
	ck_assert(t.exact);
	ck_assert_double_eq_tol(t.u, 0, 1e-12);
	/* 2 of the C(10,5) = 252 splits are this extreme */
	ck_assert_double_eq_tol(t.p, 2.0 / 252, 1e-12);
	ck_assert(t.z < 0); /* a below b */
	/* symmetric: swapping the samples gives the same p and the mirrored U */
	ck_assert_int_eq(signif_mwu(b, 5, a, 5, &t), 0);
	ck_assert_double_eq_tol(t.p, 2.0 / 252, 1e-12);
	ck_assert_double_eq_tol(t.u, 25, 1e-12);
}
END_TEST

START_TEST(three_reps_cannot_reach_005)
{
	double a[] = { 1, 2, 3 }, b[] = { 100, 200, 300 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 3, b, 3, &t), 0);
	ck_assert_double_eq_tol(t.p, 0.1, 1e-12);
}
END_TEST

START_TEST(exact_with_ties)
{
	double a[] = { 1, 2, 2, 3, 3 }, b[] = { 2, 3, 3, 4, 4 };
	double c[] = { 5, 5, 5, 6, 6, 7 }, d[] = { 6, 7, 7, 7, 8 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 5, b, 5, &t), 0);
	ck_assert(t.ties && t.exact);
	ck_assert_double_eq_tol(t.u, 5, 1e-12);
	ck_assert_double_eq_tol(t.p, 0.19047619047619047, 1e-9);
	/* unequal sizes, the smaller group second */
	ck_assert_int_eq(signif_mwu(c, 6, d, 5, &t), 0);
	ck_assert_double_eq_tol(t.u, 3.5, 1e-12);
	ck_assert_double_eq_tol(t.p, 0.03463203463203463, 1e-9);
}
END_TEST

START_TEST(interleaved_not_significant)
{
	double a[] = { 10.1, 10.3, 9.8, 10.0, 10.2 }, b[] = { 10.15, 10.35, 9.9, 10.05, 10.25 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 5, b, 5, &t), 0);
	ck_assert_double_eq_tol(t.u, 10, 1e-12);
	ck_assert_double_eq_tol(t.p, 0.6904761904761905, 1e-9);
}
END_TEST

START_TEST(normal_approximation)
{
	double a[40], b[40], c[35], d[35];
	struct mwu t;

	for (int i = 0; i < 40; i++) {
		a[i] = i;
		b[i] = i + 20;
	}
	ck_assert_int_eq(signif_mwu(a, 40, b, 40, &t), 0);
	ck_assert(!t.exact);
	ck_assert_double_eq_tol(t.u, 200, 1e-9);
	ck_assert_double_eq_tol(fabs(t.z), 5.769367682717247, 1e-9);
	ck_assert_double_eq_tol(t.p / 7.956952562825313e-09, 1.0, 1e-6);
	/* heavy ties: the tie-corrected variance matters */
	for (int i = 0; i < 35; i++) {
		c[i] = i % 7;
		d[i] = i % 7 + 1;
	}
	ck_assert_int_eq(signif_mwu(c, 35, d, 35, &t), 0);
	ck_assert(!t.exact && t.ties);
	ck_assert_double_eq_tol(t.u, 450, 1e-9);
	ck_assert_double_eq_tol(fabs(t.z), 1.9202481545010737, 1e-9);
	ck_assert_double_eq_tol(t.p, 0.0548265617041317, 1e-9);
}
END_TEST

START_TEST(exact_agrees_with_normal_near_limit)
{
	/* 30 vs 30 is still exact (reference by an independent subset-sum count in Python:
	 * 0.004577584240547449); the normal approximation lands close */
	double a[30], b[30];
	struct mwu t;

	for (int i = 0; i < 30; i++) {
		a[i] = 1000 + (i * 37) % 50;
		b[i] = 1012 + (i * 23) % 50;
	}
	ck_assert_int_eq(signif_mwu(a, 30, b, 30, &t), 0);
	ck_assert(t.exact);
	ck_assert_double_eq_tol(t.p, 0.004577584240547449, 1e-9);
	ck_assert_double_eq_tol(fabs(t.z), 2.7948388847908294, 1e-9);
	double pn = erfc(fabs(t.z) / sqrt(2));

	ck_assert_double_eq_tol(t.p / pn, 1.0, 0.2);
}
END_TEST

START_TEST(bad_input)
{
	double a[] = { 1, NAN }, b[] = { 1, 2 };
	struct mwu t;

	ck_assert_int_eq(signif_mwu(a, 2, b, 2, &t), -EINVAL);
	ck_assert_int_eq(signif_mwu(b, 0, b, 2, &t), -EINVAL);
	ck_assert(isnan(signif_median(b, 0)));
}
END_TEST

START_TEST(median)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };

	ck_assert_double_eq(signif_median(odd, 3), 3);
	ck_assert_double_eq(signif_median(even, 4), 2.5);
	ck_assert_double_eq(odd[0], 5); /* input untouched */
}
END_TEST

START_TEST(bootstrap_ci)
{
	double a[] = { 100, 103, 98, 101, 99, 102, 100 };
	double b[7], lo, hi, lo2, hi2;

	for (int i = 0; i < 7; i++)
		b[i] = a[i] + 50;
	ck_assert_int_eq(signif_boot_median_diff(a, 7, b, 7, 2000, 0.95, SIGNIF_BOOT_SEED, &lo,
						 &hi), 0);
	ck_assert(lo <= 50 && hi >= 50);
	ck_assert(lo > 0); /* excludes "no change" */
	ck_assert(hi - lo < 10);
	/* fixed seed: the same interval every time */
	ck_assert_int_eq(signif_boot_median_diff(a, 7, b, 7, 2000, 0.95, SIGNIF_BOOT_SEED, &lo2,
						 &hi2), 0);
	ck_assert_double_eq(lo, lo2);
	ck_assert_double_eq(hi, hi2);
	/* no change: the interval holds 0 */
	ck_assert_int_eq(signif_boot_median_diff(a, 7, a, 7, 2000, 0.95, 1, &lo, &hi), 0);
	ck_assert(lo <= 0 && hi >= 0);
	ck_assert_int_eq(signif_boot_median_diff(a, 7, a, 7, 2000, 1.5, 1, &lo, &hi), -EINVAL);
}
END_TEST

/* Student's t against closed forms: df 1 is Cauchy, df 2 has p = 1 - t / sqrt(2 + t^2);
 * and against the table quantile t(0.975, 4) = 2.776445. */
START_TEST(student_t)
{
	ck_assert_double_eq_tol(signif_t_p2(1, 1), 0.5, 1e-12);
	ck_assert_double_eq_tol(signif_t_p2(2, 2), 1 - 2 / sqrt(6), 1e-12);
	ck_assert_double_eq_tol(signif_t_p2(-2, 2), 1 - 2 / sqrt(6), 1e-12);
	ck_assert_double_eq_tol(signif_t_p2(2.776445, 4), 0.05, 1e-6);
	ck_assert_double_eq_tol(signif_t_p2(0, 7), 1, 1e-12);
	ck_assert_double_eq_tol(signif_t_quantile(0.025, 4), 2.776445, 1e-5);
	ck_assert_double_eq_tol(signif_t_quantile(0.025, 10), 2.228139, 1e-5);
	ck_assert(isnan(signif_t_quantile(0.7, 4)));
}
END_TEST

/* Welch on log values; the reference (t 1.99413, df 7.8115, p 0.082115) was computed
 * apart, by Simpson's rule on Student's density. */
START_TEST(welch_log)
{
	double a[] = { 10, 11, 12, 13, 14 }, b[] = { 12, 13, 14, 15, 16 };
	double z[] = { 0, 1, 0, 2, 0 }, c[] = { 5, 5, 5, 5, 5 }, d[] = { 6, 6, 6, 6, 6 };
	struct welch w;

	ck_assert_int_eq(signif_welch(a, 5, b, 5, 0.95, &w), 0);
	ck_assert(w.logscale);
	ck_assert_double_eq_tol(w.t, 1.9941310158888494, 1e-9);
	ck_assert_double_eq_tol(w.df, 7.81148710848927, 1e-9);
	ck_assert_double_eq_tol(w.p, 0.0821147558969576, 1e-6);
	ck_assert_double_eq_tol(w.effect_pct, 16.886326892130093, 1e-9);
	ck_assert(w.eff_lo_pct < 0 && w.eff_hi_pct > 16.9); /* not significant at 95% */
	/* a zero: tested on the values, the change relative to the baseline's mean */
	ck_assert_int_eq(signif_welch(z, 5, b, 5, 0.95, &w), 0);
	ck_assert(!w.logscale);
	ck_assert_double_eq_tol(w.effect_pct, (14 - 0.6) / 0.6 * 100, 1e-9);
	/* constant sides: equal is p 1, different is p 0 */
	ck_assert_int_eq(signif_welch(c, 5, c, 5, 0.95, &w), 0);
	ck_assert_double_eq(w.p, 1);
	ck_assert_int_eq(signif_welch(c, 5, d, 5, 0.95, &w), 0);
	ck_assert_double_eq(w.p, 0);
	ck_assert_double_eq_tol(w.effect_pct, 20, 1e-9);
	/* one value a side cannot be tested */
	ck_assert_int_eq(signif_welch(a, 1, b, 5, 0.95, &w), -EINVAL);
}
END_TEST

START_TEST(holm_and_pool)
{
	double p[] = { 0.01, NAN, 0.04, 0.03, 0.005 }, adj[5];
	struct welch v[3], out;

	/* sorted 0.005 0.01 0.03 0.04 over 4 tests: x4 x3 x2 x1, never decreasing */
	ck_assert_int_eq(signif_holm(p, 5, adj), 0);
	ck_assert_double_eq_tol(adj[4], 0.02, 1e-12);
	ck_assert_double_eq_tol(adj[0], 0.03, 1e-12);
	ck_assert_double_eq_tol(adj[3], 0.06, 1e-12);
	ck_assert_double_eq_tol(adj[2], 0.06, 1e-12);
	ck_assert(isnan(adj[1]));
	/* three equally precise tests of the same +10%: the pooled se is theirs / sqrt(3) */
	for (int i = 0; i < 3; i++)
		v[i] = (struct welch){ .na = 5, .nb = 5, .logscale = true, .d = log(1.1),
				       .se = 0.03, .df = 8 };
	ck_assert_int_eq(signif_pool(v, 3, 0.95, &out), 0);
	ck_assert_double_eq_tol(out.d, log(1.1), 1e-12);
	ck_assert_double_eq_tol(out.se, 0.03 / sqrt(3), 1e-12);
	ck_assert_double_eq_tol(out.df, 24, 1e-12);
	ck_assert_double_eq_tol(out.effect_pct, 10, 1e-9);
	ck_assert(out.p < signif_t_p2(log(1.1) / 0.03, 8));
	v[1].logscale = false;
	ck_assert_int_eq(signif_pool(v, 3, 0.95, &out), -EINVAL);
}
END_TEST

static Suite *signif_suite(void)
{
	Suite *s = suite_create("signif");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, identical_not_significant);
	tcase_add_test(tc, all_values_equal);
	tcase_add_test(tc, separated_five_exact);
	tcase_add_test(tc, three_reps_cannot_reach_005);
	tcase_add_test(tc, exact_with_ties);
	tcase_add_test(tc, interleaved_not_significant);
	tcase_add_test(tc, normal_approximation);
	tcase_add_test(tc, exact_agrees_with_normal_near_limit);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, median);
	tcase_add_test(tc, bootstrap_ci);
	tcase_add_test(tc, student_t);
	tcase_add_test(tc, welch_log);
	tcase_add_test(tc, holm_and_pool);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(signif_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
