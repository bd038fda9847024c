// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * run --why without the kernel: the queued-time split from two group snapshots, its
 * band sums, the words people read, and the wait-for graph (edges, the top waker, the
 * SVG). Every expected figure is worked out by hand in the comment beside it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/oprec.h"
#include "kernel/sysnames.h"
#include "kernel/why.h"
#include "report/report.h"
#include "stats/opagg.h"
#include "stats/waitfor.h"

START_TEST(queued_split_follows_the_workers)
{
	struct why_gsnap a = { .ts = 1000 }, b = { .ts = 2000 };
	struct ops_wbd w = { 0 };
	uint32_t task = ops_kind_id("pool.task");
	int futex = sysnames_blk_index(202);

	/* the workers over the window: 600 on a CPU (500 of it in tasks), 300 waiting for a
	 * CPU, 100 blocked in futex; the call waited 1000 in the queue and 50 on the way
	 * back */
	b.on_ns = 600;
	b.busy_ns = 500;
	b.runq_ns = 300;
	b.blocked_ns = 100;
	b.blk_ns[futex] = 100;
	why_queued(&a, &b, 1000, 50, task, &w);
	ck_assert_uint_eq(w.q_ns[OPS_W_ON], 600);
	ck_assert_uint_eq(w.q_kind_ns[why_kind_index(task)], 500);
	ck_assert_uint_eq(w.q_kind_ns[0], 100);
	ck_assert_uint_eq(w.q_ns[OPS_W_RUNQ], 300);
	ck_assert_uint_eq(w.q_ns[OPS_W_BLOCKED], 100);
	ck_assert_uint_eq(w.q_sys_ns[futex], 100);
	ck_assert_uint_eq(w.q_ns[OPS_W_HANDOFF], 50);
	ck_assert_uint_eq(w.q_ns[OPS_W_UNKNOWN], 0);
}
END_TEST

START_TEST(queued_split_without_data_is_unknown)
{
	struct why_gsnap a = { .ts = 1000, .on_ns = 500 }, b = { .ts = 2000, .on_ns = 400 };
	struct ops_wbd w = { 0 };

	/* a counter that went backwards (a slot reused between the reads): not split */
	why_queued(&a, &b, 700, 10, 1, &w);
	ck_assert_uint_eq(w.q_ns[OPS_W_UNKNOWN], 700);
	ck_assert_uint_eq(w.q_ns[OPS_W_ON], 0);
	ck_assert_uint_eq(w.q_ns[OPS_W_HANDOFF], 10);
	memset(&w, 0, sizeof(w));
	a.on_ns = b.on_ns = 0;
	why_queued(&a, &b, 700, 0, 1, &w);
	ck_assert_uint_eq(w.q_ns[OPS_W_UNKNOWN], 700);
}
END_TEST

START_TEST(words_for_people)
{
	struct ops_wbd w = { .n = 1 };
	uint32_t task = ops_kind_id("pool.task"), send = ops_kind_id("chan.send");
	int futex = sysnames_blk_index(202), ns = sysnames_blk_index(230);
	char buf[512];

	/* the example: 61% on-CPU in pool.task, 35% waiting for a CPU, 4% futex */
	w.q_ns[OPS_W_ON] = 610;
	w.q_kind_ns[why_kind_index(task)] = 610;
	w.q_ns[OPS_W_RUNQ] = 350;
	w.q_ns[OPS_W_BLOCKED] = 40;
	w.q_sys_ns[futex] = 40;
	why_words_queued(&w, "pool-worker", buf, sizeof(buf));
	ck_assert_str_eq(buf, "pool-worker on-CPU in pool.task 61%, pool-worker waiting for a CPU "
			 "35%, pool-worker blocked in futex 4%");
	/* a receiver woken by a producer that slept, and once by a timer */
	memset(&w, 0, sizeof(w));
	w.b_ns[OPS_W_BLOCKED] = 900;
	w.b_sys_ns[ns] = 900;
	w.b_chain_ns[OPS_W_TIMER] = 900;
	w.b_ns[OPS_W_ON] = 80;
	w.b_kind_ns[why_kind_index(send)] = 80;
	w.b_ns[OPS_W_TIMER] = 20;
	why_words_blocked(&w, "chan-producer", buf, sizeof(buf));
	ck_assert_str_eq(buf, "chan-producer 98%, a timer 2% (meanwhile it was blocked in "
			 "clock_nanosleep 90%, on-CPU in chan.send 8%; its own waits ended by a "
			 "timer)");
	/* nothing to say: empty */
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(why_words_queued(&w, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(bands_carry_the_split)
{
	struct op_agg *a = op_agg_new();
	struct op_summary s;
	uint64_t q = 0;

	ck_assert_ptr_nonnull(a);
	/* 100 ops of 1..100 us, each queued 10 ns waiting for a CPU: every band's split is
	 * 10 ns per op, and the bands add up to the total */
	for (int i = 1; i <= 100; i++) {
		struct ops_bd bd = { .n = 1, .lat_ns = (uint64_t)i * 1000, .queued_ns = 10 };
		struct ops_wbd w = { .n = 1 };

		w.q_ns[OPS_W_RUNQ] = 10;
		ck_assert_int_eq(op_agg_add_why(a, &bd, &w), 0);
	}
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.wtotal.n, 100);
	ck_assert_uint_eq(s.wtotal.q_ns[OPS_W_RUNQ], 1000);
	for (int b = 0; b < BAND_NR; b++) {
		q += s.wband[b].q_ns[OPS_W_RUNQ];
		ck_assert_uint_eq(s.wband[b].q_ns[OPS_W_RUNQ], 10 * s.band[b].n);
	}
	ck_assert_uint_eq(q, 1000);
	op_agg_free(a);
}
END_TEST

START_TEST(graph_edges_and_svg)
{
	struct waitfor *g = waitfor_new();
	uint32_t recv = ops_kind_id("chan.recv");
	double share;
	int others;
	char name[32], *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(waitfor_add(g, "chan-consumer", recv, "chan-producer", OPS_W_ON, 700, 7), 0);
	ck_assert_int_eq(waitfor_add(g, "chan-consumer", recv, "chan-producer", OPS_W_ON, 200, 2), 0);
	ck_assert_int_eq(waitfor_add(g, "chan-consumer", recv, "opscope", OPS_W_ON, 100, 1), 0);
	ck_assert_int_eq(waitfor_add(g, "chan-producer", 0, "timer", OPS_W_TIMER, 5000, 50), 0);
	ck_assert_uint_eq(g->n, 3); /* the same edge twice is one edge */
	ck_assert_str_eq(waitfor_top_waker(g, recv, &share, &others), "chan-producer");
	ck_assert_double_eq_tol(share, 0.9, 1e-9);
	ck_assert_int_eq(others, 1);
	ck_assert_ptr_null(waitfor_top_waker(g, 0, &share, &others));
	waitfor_sort(g);
	ck_assert_str_eq(g->e[0].on, "timer");
	waitfor_kthread_name("kworker/u4:2-events", name, sizeof(name));
	ck_assert_str_eq(name, "kworker");
	ck_assert_str_eq(waitfor_softirq_name(3), "net_rx");
	/* the SVG: a document with a node per name and an arrow per pair, names escaped */
	ck_assert_int_eq(waitfor_add(g, "a<b", 0, "c&d", OPS_W_ON, 1, 1), 0);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(waitfor_write_svg(g, "wait-for: test", f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "<svg "));
	ck_assert_ptr_nonnull(strstr(buf, ">chan-producer</text>"));
	ck_assert_ptr_nonnull(strstr(buf, ">a&lt;b</text>"));
	ck_assert_ptr_nonnull(strstr(buf, ">c&amp;d</text>"));
	ck_assert_ptr_null(strstr(buf, "a<b"));
	ck_assert_ptr_nonnull(strstr(buf, "</svg>\n"));
	free(buf);
	waitfor_free(g);
}
END_TEST

static Suite *why_suite(void)
{
	Suite *s = suite_create("why");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, queued_split_follows_the_workers);
	tcase_add_test(tc, queued_split_without_data_is_unknown);
	tcase_add_test(tc, words_for_people);
	tcase_add_test(tc, bands_carry_the_split);
	tcase_add_test(tc, graph_edges_and_svg);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(why_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
