// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The machine's noise: /proc/stat and /proc/PID/stat as the kernel writes them, the
 * noise between two readings, a run's summary (noisy or quiet, in words), and whether
 * two runs' noise differs (a hog, or the drift of a busy machine's load).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include "stats/noise.h"

START_TEST(parse_proc)
{
	static const char stat[] =
		"cpu  10132153 290696 3084719 46828483 16683 0 25195 175 0 0\n"
		"cpu0 1393280 32966 572056 13366834 1839 0 12183 100 0 0\n"
		"intr 1462898 0 0\nctxt 22152489\nbtime 1696226402\nprocesses 155806\n"
		"procs_running 3\nprocs_blocked 0\n";
	uint64_t busy, total, steal, ticks;
	int running;
	char st;

	ck_assert_int_eq(noise_parse_stat(stat, &busy, &total, &steal, &running), 0);
	ck_assert_uint_eq(busy, 10132153ull + 290696 + 3084719 + 0 + 25195);
	ck_assert_uint_eq(steal, 175);
	ck_assert_uint_eq(total, busy + 46828483ull + 16683 + 175);
	ck_assert_int_eq(running, 3);
	ck_assert_int_eq(noise_parse_stat("intr 1\n", &busy, &total, &steal, &running), -EINVAL);
	/* a comm with spaces and parentheses: the state follows the last ')' */
	ck_assert_int_eq(noise_parse_pidstat("4242 (we (ir) d) R 1 4242 4242 0 -1 4194560 1 0 "
					     "0 0 150 25 0 0 20 0 1 0", &st, &ticks), 0);
	ck_assert_int_eq(st, 'R');
	ck_assert_uint_eq(ticks, 175);
	ck_assert_int_eq(noise_parse_pidstat("4242 (x", &st, &ticks), -EINVAL);
}
END_TEST

START_TEST(between_and_summary)
{
	struct noise_snap a = { .busy = 1000, .total = 2000, .steal = 0, .ours = 500, .ok = true };
	struct noise_snap b = { .busy = 1900, .total = 3000, .steal = 50, .ours = 900, .ok = true };
	struct rep_noise v[5];
	struct noise_summary s;

	/* 1000 ticks on 2 CPUs: 900 busy of which 400 ours: others used 0.5 * 2 CPUs */
	noise_between(&a, &b, 2, &v[0]);
	ck_assert(v[0].valid);
	ck_assert_double_eq_tol(v[0].other_cpus, 1.0, 1e-12);
	ck_assert_double_eq_tol(v[0].steal_pct, 5.0, 1e-12);
	/* no time passed: no measurement */
	noise_between(&a, &a, 2, &v[1]);
	ck_assert(!v[1].valid);

	for (int i = 0; i < 5; i++)
		v[i] = (struct rep_noise){ .valid = true, .other_cpus = 0.02 * i,
					   .other_runnable = 0.1, .steal_pct = 0, .load1 = 0.3 };
	noise_summarize(v, 5, 2, &s);
	ck_assert_int_eq(s.n, 5);
	ck_assert_double_eq_tol(s.other_cpus, 0.04, 1e-12);
	ck_assert(!s.noisy);
	ck_assert_str_eq(s.why, "");
	for (int i = 0; i < 5; i++)
		v[i].other_runnable = 9;
	noise_summarize(v, 5, 2, &s);
	ck_assert(s.noisy);
	ck_assert_str_eq(s.why, "9.0 tasks not ours runnable");
	noise_summarize(v, 0, 2, &s);
	ck_assert_int_eq(s.n, 0);
	ck_assert(!s.noisy);
}
END_TEST

START_TEST(changed)
{
	struct rep_noise a[100], b[100];
	char why[256];

	/* a quiet machine, then a hog: one more runnable task and one more busy CPU */
	for (int i = 0; i < 100; i++) {
		a[i] = (struct rep_noise){ .valid = true, .other_cpus = 0.02 + 0.001 * (i % 7),
					   .other_runnable = 0.1 * (i % 3), .load1 = 0.2 };
		b[i] = a[i];
		b[i].other_cpus += 1.0;
		b[i].other_runnable += 1.0;
	}
	ck_assert(noise_changed(a, 100, b, 100, 2, why, sizeof(why)));
	ck_assert_msg(strstr(why, "other processes used 0.02 CPUs in the baseline, 1.02 now"),
		      "%s", why);
	/* the same machine twice */
	ck_assert(!noise_changed(a, 100, a, 100, 2, why, sizeof(why)));
	/* a busy machine drifting from 9.1 to 9.9 runnable tasks: under 15% of it */
	for (int i = 0; i < 100; i++) {
		a[i].other_runnable = 9.1 + (i % 5) * 0.1 - 0.2;
		b[i] = a[i];
		b[i].other_runnable += 0.8;
	}
	ck_assert(!noise_changed(a, 100, b, 100, 2, why, sizeof(why)));
	/* ... and a hog on it: 9.1 to 11.8 */
	for (int i = 0; i < 100; i++)
		b[i].other_runnable = a[i].other_runnable + 2.7;
	ck_assert(noise_changed(a, 100, b, 100, 2, why, sizeof(why)));
	ck_assert_msg(strstr(why, "tasks not ours runnable: 9.1 in the baseline, 11.8 now"),
		      "%s", why);
	/* no noise recorded (an older report): no change claimed */
	ck_assert(!noise_changed(a, 0, b, 100, 2, why, sizeof(why)));
}
END_TEST

static Suite *noise_suite(void)
{
	Suite *s = suite_create("noise");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_proc);
	tcase_add_test(tc, between_and_summary);
	tcase_add_test(tc, changed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(noise_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
