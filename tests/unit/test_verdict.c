// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * compare's verdict on synthetic reports, the cases issue 14 named: a kernel work
 * regression under an inconclusive headline, parameters that differ under one scenario
 * name, the machine's noise changed between the runs, known and new failing targets,
 * past runs whose spread a within-run shift does not beat, and a rerun that confirms.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/compare.h"
#include "unit/compare_synth.h"

/* The spin 20 -> 30 us: throughput and latency inconclusive, on-CPU per op up in
 * every repetition: a regression in what the code does, said so. */
START_TEST(kernel_work_regression)
{
	static const double on_a[] = { 20500, 20700, 20400, 20600, 20550 };
	static const double noisy_a[] = { 30000, 60000, 40000, 90000, 35000 };
	static const double noisy_b[] = { 34000, 99000, 72000, 47000, 40000 };
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;

	base_synth(&a);
	memcpy(a.on, on_a, sizeof(on_a));
	memcpy(a.p99, noisy_a, sizeof(noisy_a));
	b = a;
	memcpy(b.p99, noisy_b, sizeof(noisy_b));
	for (int i = 0; i < 5; i++)
		b.on[i] = a.on[i] * 1.5;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_NOISE);
	r = row(&res, "pool.call/on_ns");
	ck_assert_int_eq(r->family, CMP_F_WORK);
	ck_assert_int_eq(r->verdict, CMP_REGRESSION);
	ck_assert(r->effect_pct > 49 && r->effect_pct < 51);
	ck_assert_msg(strstr(r->explain, "pool.call on-CPU per op 20.5 us -> 30.8 us, +50.0%"),
		      "%s", r->explain);
	ck_assert_int_eq(res.tests_work, 1);
	ck_assert_int_eq(res.outcome, CMP_OUT_REGRESSION);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);
}
END_TEST

/* Parameters that differ under one scenario name: refused by name, or compared flagged. */
START_TEST(params_differ)
{
	struct synth a, b;
	struct cmp_report ra, rb;
	struct cmp_opts o;
	struct cmp_result res;
	char pa[256], pb[256], err[1024];

	base_synth(&a);
	a.spin = "20us";
	b = a;
	b.spin = "30us";
	cmp_opts_init(&o);
	path_of(pa, sizeof(pa), "pa.json");
	path_of(pb, sizeof(pb), "pb.json");
	write_report(pa, &a);
	write_report(pb, &b);
	ck_assert_int_eq(cmp_report_load(&ra, pa, err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_report_load(&rb, pb, err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_run(&ra, &rb, &o, &res, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "pool-workers/workers=4 (spin 20us -> 30us)"), "%s", err);
	ck_assert_msg(strstr(err, "--allow-param-change"), "%s", err);
	cmp_result_free(&res);
	o.allow_param_change = true;
	ck_assert_int_eq(cmp_run(&ra, &rb, &o, &res, err, sizeof(err)), 0);
	ck_assert(row(&res, "pool.call/p99_ns")->params_differ);
	ck_assert_str_eq(res.param_diff, "pool-workers/workers=4 (spin 20us -> 30us)");
	cmp_result_free(&res);
	cmp_report_free(&ra);
	cmp_report_free(&rb);
	ck_assert_int_eq(run_command(pa, pb, NULL), 2);
	ck_assert_int_eq(run_command(pa, pb, "--allow-param-change"), 0);
}
END_TEST

/* A hog between the runs: latency and on-CPU per op moved with the machine's noise, not
 * the code's (an op that spins before it sleeps spins as long as its partner runs). */
START_TEST(noise_changed_cannot_judge)
{
	static const double on_a[] = { 20500, 20700, 20400, 20600, 20550 };
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;

	base_synth(&a);
	a.runnable = 0.1;
	memcpy(a.on, on_a, sizeof(on_a));
	b = a;
	b.runnable = 1.1;
	for (int i = 0; i < b.n; i++) {
		b.p99[i] = a.p99[i] * 2;
		b.on[i] = a.on[i] * 1.3;
	}
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert(res.noise_changed);
	ck_assert_msg(strstr(res.noise_why,
			     "tasks not ours runnable: 0.1 in the baseline, 1.1 now"),
		      "%s", res.noise_why);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_ENVIRONMENT);
	ck_assert_int_eq(row(&res, "pool.call/on_ns")->verdict, CMP_ENVIRONMENT);
	ck_assert_int_eq(res.regressions, 0);
	ck_assert_int_eq(res.outcome, CMP_OUT_UNJUDGED);
	ck_assert_int_eq(cmp_exit_status(&res, &o), CMP_EXIT_UNJUDGED);
	cmp_result_free(&res);
	/* the same noise both times: a regression, on-CPU per op among it */
	a.runnable = 1.1;
	run_cmp(&a, &b, &o, &res);
	ck_assert(!res.noise_changed);
	ck_assert_int_eq(row(&res, "pool.call/on_ns")->verdict, CMP_REGRESSION);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);
}
END_TEST

/* A failing target: exit 4, unless known to fail on this machine. */
START_TEST(targets_known_and_new)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	char err[256];

	base_synth(&a);
	a.target = "fail";
	b = a;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(res.ntargets, 1);
	ck_assert_int_eq(res.targets_failed, 1);
	ck_assert_int_eq(cmp_exit_status(&res, &o), CMP_EXIT_TARGET);
	cmp_result_free(&res);
	ck_assert_int_eq(cmp_known_add(&o, "x,t1", err, sizeof(err)), 0);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(res.targets_failed, 0);
	ck_assert_int_eq(res.targets_known, 1);
	ck_assert(res.targets[0].known);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
	/* a known one that passes now is counted as such */
	b.target = "pass";
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(res.targets_fixed, 1);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

/* Past runs: a shift the repetitions call certain is within how far runs land apart. */
static int fake_history(const void *ctx, const char *scenario, const char *metric, bool work,
			double *out)
{
	/* ten past runs of p99 (and everything else) spread by +-30% */
	static const double spread[] = { 1.0, 1.3, 0.75, 1.2, 0.8, 1.25, 0.7, 1.1, 0.9, 1.3 };

	for (int i = 0; i < 10; i++)
		out[i] = 41000 * spread[i];
	return 10;
}

START_TEST(history_spread)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_history h = { .nruns = 10, .values = fake_history };
	struct cmp_result res;
	const struct cmp_row *r;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 1.4;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_REGRESSION);
	cmp_result_free(&res);
	o.history = &h;
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert_int_eq(r->hist_runs, 10);
	ck_assert_int_eq(r->verdict, CMP_NOISE);
	ck_assert(r->eff_lo_pct < 0);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

/* Ten past runs of p99 within 1% of 41 us (and everything else the same way). */
static int steady_history(const void *ctx, const char *scenario, const char *metric,
			  bool work, double *out)
{
	static const double spread[] = { 1.0, 1.01, 0.99, 1.005, 0.995, 1.0, 1.01, 0.99,
					  1.0, 1.003 };

	for (int i = 0; i < 10; i++)
		out[i] = 41000 * spread[i];
	return 10;
}

/* The baseline was the odd run out (p99 20% low): the current run, typical of the past
 * runs, is not a regression; a current run 20% above them all is. */
START_TEST(history_outlier_baseline)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_history h = { .nruns = 10, .values = steady_history };
	struct cmp_result res;

	base_synth(&a);
	b = a;
	for (int i = 0; i < a.n; i++)
		a.p99[i] = b.p99[i] * 0.8;
	cmp_opts_init(&o);
	o.history = &h;
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->hist_runs, 10);
	ck_assert(row(&res, "pool.call/p99_ns")->effect_pct > 20);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_NOISE);
	ck_assert_int_eq(res.regressions, 0);
	cmp_result_free(&res);
	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 1.2;
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_REGRESSION);
	cmp_result_free(&res);
}
END_TEST

/* A rerun of the current build confirms what it flags again, and only that. */
START_TEST(rerun_confirms)
{
	struct synth a, b, c;
	struct cmp_opts o;
	struct cmp_result res, again;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	cmp_opts_init(&o);
	/* the rerun shows it again: it stands */
	run_cmp(&a, &b, &o, &res);
	run_cmp(&a, &b, &o, &again);
	ck_assert_int_eq(res.regressions, 1);
	cmp_confirm(&res, &again, &o);
	ck_assert_int_eq(res.regressions, 1);
	ck_assert(res.confirmed);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);
	cmp_result_free(&again);
	/* the rerun is like the baseline: the first run's state, not the code */
	c = a;
	run_cmp(&a, &b, &o, &res);
	run_cmp(&a, &c, &o, &again);
	cmp_confirm(&res, &again, &o);
	ck_assert_int_eq(res.regressions, 0);
	ck_assert_int_eq(res.unconfirmed, 1);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_UNCONFIRMED);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
	cmp_result_free(&again);
}
END_TEST

static Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kernel_work_regression);
	tcase_add_test(tc, params_differ);
	tcase_add_test(tc, noise_changed_cannot_judge);
	tcase_add_test(tc, targets_known_and_new);
	tcase_add_test(tc, history_spread);
	tcase_add_test(tc, rerun_confirms);
	tcase_add_test(tc, history_outlier_baseline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verdict_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
