// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The statistics behind the stability and leak checks on known data: the slope fit with
 * its standard error and lower bound (worked by hand below), Student's t quantiles, the
 * CV of windows, MSER steady-state detection, window merging; and the /proc parsers.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "stats/series.h"
#include "workloads/procstat.h"

START_TEST(fit_perfect_line)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 5, 7, 9, 11, 13 };
	struct series_fit f;

	ck_assert_int_eq(series_fit(x, y, 5, &f), 0);
	ck_assert(f.ok);
	ck_assert_int_eq(f.df, 3);
	ck_assert_double_eq_tol(f.slope, 2, 1e-12);
	ck_assert_double_eq_tol(f.intercept, 3, 1e-12);
	ck_assert_double_eq_tol(f.se, 0, 1e-12);
	/* no spread: the growth is certain */
	ck_assert_double_eq_tol(f.lcb, 2, 1e-12);
}
END_TEST

START_TEST(fit_noisy)
{
	/* by hand: sxx = 5, sxy = 5.5, slope 1.1, intercept 0, residuals -0.1 0.8 -1.3 0.6,
	 * SSE 2.7, se = sqrt(2.7 / 2 / 5), lcb = 1.1 - 2.9200 * se */
	double x[] = { 1, 2, 3, 4 }, y[] = { 1, 3, 2, 5 };
	struct series_fit f;

	ck_assert_int_eq(series_fit(x, y, 4, &f), 0);
	ck_assert_double_eq_tol(f.slope, 1.1, 1e-12);
	ck_assert_double_eq_tol(f.intercept, 0, 1e-12);
	ck_assert_double_eq_tol(f.se, sqrt(0.27), 1e-12);
	ck_assert_double_eq_tol(f.lcb, 1.1 - 2.92 * sqrt(0.27), 1e-9);
	ck_assert(f.lcb < 0); /* four noisy rounds cannot prove this growth */
}
END_TEST

START_TEST(fit_too_few)
{
	double x[] = { 1, 2, 3 }, y[] = { 1, 2, 3 }, same[] = { 2, 2, 2 };
	struct series_fit f;

	ck_assert_int_eq(series_fit(x, y, 2, &f), -EINVAL);
	ck_assert(!f.ok);
	ck_assert_int_eq(series_fit(same, y, 3, &f), -EINVAL);
	ck_assert(!f.ok);
	ck_assert_int_eq(series_fit(x, y, 3, &f), 0);
	ck_assert_int_eq(f.df, 1);
}
END_TEST

START_TEST(t_quantiles)
{
	ck_assert_double_eq_tol(series_t95(1), 6.3138, 1e-4);
	ck_assert_double_eq_tol(series_t95(10), 1.8125, 1e-4);
	ck_assert_double_eq_tol(series_t95(30), 1.6973, 1e-4);
	ck_assert_double_eq_tol(series_t95(40), 1.6839, 1e-3);
	ck_assert_double_eq_tol(series_t95(120), 1.6577, 1e-3);
	ck_assert_double_eq_tol(series_t95(100000), 1.6449, 1e-3);
	ck_assert(isinf(series_t95(0)));
	for (int df = 1; df < 200; df++)
		ck_assert(series_t95(df + 1) < series_t95(df));
}
END_TEST

START_TEST(cv)
{
	double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 }, z[] = { -1, 1 };

	ck_assert_double_eq_tol(series_cv(v, 8), sqrt(32.0 / 7) / 5, 1e-12);
	ck_assert(isnan(series_cv(v, 1)));
	ck_assert_double_eq(series_cv(z, 2), 0);
}
END_TEST

START_TEST(mser_ramp_then_flat)
{
	double v[20];

	for (int i = 0; i < 20; i++)
		v[i] = i < 4 ? 25.0 * i : 100;
	ck_assert_int_eq(series_mser(v, 20), 4);
}
END_TEST

START_TEST(mser_steady_from_the_start)
{
	double flat[16], alt[20];

	for (int i = 0; i < 16; i++)
		flat[i] = 10;
	for (int i = 0; i < 20; i++)
		alt[i] = i % 2 ? 11 : 9;
	ck_assert_int_eq(series_mser(flat, 16), 0);
	/* noise without a trend: dropping any of it only shrinks the sample */
	ck_assert_int_eq(series_mser(alt, 20), 0);
}
END_TEST

START_TEST(mser_step_and_limits)
{
	double v[20], late[10];

	for (int i = 0; i < 20; i++)
		v[i] = i < 5 ? 100 : 60 + (i % 3); /* a higher start, then steady with noise */
	ck_assert_int_eq(series_mser(v, 20), 5);
	/* never more than half: a series still moving at its end is not "steady at n-1" */
	for (int i = 0; i < 10; i++)
		late[i] = i;
	ck_assert_int_le(series_mser(late, 10), 5);
	ck_assert_int_eq(series_mser(v, 3), -1);
}
END_TEST

START_TEST(merge_factor)
{
	uint64_t c[64];

	for (int i = 0; i < 64; i++)
		c[i] = 10;
	/* 10 ops a window: 2 -> 20, 4 -> 40 with 8 windows left; 8 would leave 4 */
	ck_assert_uint_eq(series_merge_factor(c, 0, 32, 64, 8), 4);
	ck_assert_uint_eq(series_merge_factor(c, 0, 64, 64, 8), 8);
	/* misaligned recorded phase: windows 3..35; at 4, only 1..8 of 4 are whole: 7 */
	ck_assert_uint_eq(series_merge_factor(c, 3, 35, 64, 8), 2);
	for (int i = 0; i < 64; i++)
		c[i] = 100;
	ck_assert_uint_eq(series_merge_factor(c, 0, 32, 64, 8), 1);
	ck_assert_uint_eq(series_merge_factor(c, 5, 5, 64, 8), 1);
}
END_TEST

START_TEST(procstat_parsers)
{
	const char *status = "Name:\topscope\nVmHWM:\t  2000 kB\nVmRSS:\t  1234 kB\n"
			     "Threads:\t7\nSigQ:\t0/1\n";
	uint64_t rss = 0, thr = 0, ns = 0;

	ck_assert_int_eq(procstat_parse_status(status, &rss, &thr), 0);
	ck_assert_uint_eq(rss, 1234 * 1024);
	ck_assert_uint_eq(thr, 7);
	ck_assert_int_eq(procstat_parse_status("VmRSS:\t1 kB\n", &rss, &thr), -EINVAL);
	ck_assert_int_eq(procstat_parse_status("Threads:\t3\n", &rss, &thr), -EINVAL);
	ck_assert_int_eq(procstat_parse_schedstat("123456789 5000 42\n", &ns), 0);
	ck_assert_uint_eq(ns, 123456789);
	ck_assert_int_eq(procstat_parse_schedstat("x 1 2", &ns), -EINVAL);
	ck_assert_int_eq(procstat_parse_schedstat("12x 1 2", &ns), -EINVAL);
}
END_TEST

START_TEST(procstat_self)
{
	struct proc_sample a, b;

	ck_assert_int_eq(procstat_sample(&a), 0);
	ck_assert(a.ok && a.rss_bytes > 0 && a.threads >= 1 && a.fds >= 3);
	ck_assert_int_eq(procstat_sample_settled(&b, &a, 0), 0);
	ck_assert_uint_eq(b.threads, a.threads);
	ck_assert_uint_eq(b.fds, a.fds);
	ck_assert_uint_gt(procstat_cpu_ns(), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("series");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fit_perfect_line);
	tcase_add_test(tc, fit_noisy);
	tcase_add_test(tc, fit_too_few);
	tcase_add_test(tc, t_quantiles);
	tcase_add_test(tc, cv);
	tcase_add_test(tc, mser_ramp_then_flat);
	tcase_add_test(tc, mser_steady_from_the_start);
	tcase_add_test(tc, mser_step_and_limits);
	tcase_add_test(tc, merge_factor);
	tcase_add_test(tc, procstat_parsers);
	tcase_add_test(tc, procstat_self);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
