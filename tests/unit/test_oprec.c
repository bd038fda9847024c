// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Op recording arithmetic: the per-op difference of two snapshots. */
#include <check.h>
#include <stdlib.h>
#include "kernel/oprec.h"

static struct ops_slot slot; /* only its address matters: "a collector runs" */

START_TEST(plain_difference)
{
	struct ops_thread t = { .slot = &slot };
	struct ops_snap a = { .ts = 1000, .on_ns = 100, .runq_ns = 5, .steal_ns = 1, .faults = 2 };
	struct ops_snap b = { .ts = 3000, .on_ns = 900, .runq_ns = 505, .steal_ns = 21,
			      .faults = 9 };
	struct ops_bd o;

	ops_snap_delta(&t, &a, &b, &o);
	ck_assert_uint_eq(o.n, 1);
	ck_assert_uint_eq(o.lat_ns, 2000);
	ck_assert_uint_eq(o.on_ns, 800);
	ck_assert_uint_eq(o.runq_ns, 500);
	ck_assert_uint_eq(o.steal_ns, 20);
	ck_assert_uint_eq(o.faults, 7);
}
END_TEST

/* The begin snapshot timed its running interval by the wall (1000 ns of it); the kernel
 * then charged only 700 ns of run time and 300 ns of steal, and the op blocked. On-CPU
 * comes out 100 ns short: on-CPU + steal must stay exact, with on-CPU never negative. */
START_TEST(negative_on_cpu_moves_to_steal)
{
	struct ops_thread t = { .slot = &slot };
	struct ops_snap a = { .ts = 0, .on_ns = 1000, .steal_ns = 0 };
	struct ops_snap b = { .ts = 20000, .on_ns = 900, .steal_ns = 300, .blocked_ns = 0 };
	struct ops_bd o;

	ops_snap_delta(&t, &a, &b, &o);
	ck_assert_uint_eq(o.on_ns, 0);
	ck_assert_uint_eq(o.steal_ns, 200);
	ck_assert_uint_eq(o.on_ns + o.steal_ns, (b.on_ns + b.steal_ns) - (a.on_ns + a.steal_ns));
}
END_TEST

START_TEST(no_collector_gives_latency_only)
{
	struct ops_thread t = { .slot = NULL };
	struct ops_snap a = { .ts = 10, .on_ns = 5 }, b = { .ts = 50, .on_ns = 99 };
	struct ops_bd o;

	ops_snap_delta(&t, &a, &b, &o);
	ck_assert_uint_eq(o.lat_ns, 40);
	ck_assert_uint_eq(o.on_ns, 0);
}
END_TEST

/* The kernel stamped the switch-out with a run-queue clock 300 ns older than the first
 * snapshot: on-CPU comes out 300 ns short with no steal to take it from, and the parts
 * still add up to the latency, the off-CPU time 300 ns shorter. */
START_TEST(stale_switch_out_comes_off_the_wait)
{
	struct ops_thread t = { .slot = &slot };
	struct ops_snap a = { .ts = 1000, .on_ns = 1300 };
	struct ops_snap b = { .ts = 21000, .on_ns = 1000, .runq_ns = 200, .blocked_ns = 20100 };
	struct ops_bd o;

	ops_snap_delta(&t, &a, &b, &o);
	ck_assert_uint_eq(o.on_ns, 0);
	ck_assert_uint_eq(o.runq_ns, 0);
	ck_assert_uint_eq(o.blocked_ns, 20000);
	ck_assert_uint_eq(o.on_ns + o.runq_ns + o.blocked_ns + o.steal_ns, o.lat_ns);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oprec");
	TCase *tc = tcase_create("delta");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, plain_difference);
	tcase_add_test(tc, negative_on_cpu_moves_to_steal);
	tcase_add_test(tc, stale_switch_out_comes_off_the_wait);
	tcase_add_test(tc, no_collector_gives_latency_only);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
