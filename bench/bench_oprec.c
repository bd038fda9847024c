// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Cost of recording one operation in the driver: begin and end snapshots of the thread's
 * slot, the difference, and the histogram/breakdown update, against the two clock reads
 * that any latency measurement needs anyway. Also times the collector's load+attach.
 * With root the slot is the real mmapped one; without, latency-only mode is measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "stats/opagg.h"
#include "kernel/oprec.h"

#define N 5000000
#define ROUNDS 5

static double per_op(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) / N;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct collector_opts opts = {};
	struct collector *c = NULL;
	struct collector_stats st = {};
	struct ops_thread t;
	struct op_agg *agg = op_agg_new();
	double clk[ROUNDS], snap[ROUNDS], full[ROUNDS];
	volatile uint64_t sink = 0;
	char err[512];

	if (geteuid() == 0) {
		c = collector_start(&opts, err, sizeof(err));
		if (!c)
			fprintf(stderr, "bench_oprec: %s (measuring latency-only mode)\n", err);
		else
			collector_get_stats(c, &st);
	}
	ops_thread_register(&t);
	for (int r = 0; r < ROUNDS; r++) {
		struct ops_snap a, b;
		struct ops_bd bd;
		uint64_t t0, t1;

		t0 = ops_now_ns();
		for (int i = 0; i < N; i++)
			sink += ops_now_ns() - ops_now_ns();
		t1 = ops_now_ns();
		clk[r] = per_op(t0, t1);

		t0 = ops_now_ns();
		for (int i = 0; i < N; i++) {
			ops_snap_take(&t, &a);
			ops_snap_take(&t, &b);
			ops_snap_delta(&t, &a, &b, &bd);
			sink += bd.lat_ns;
		}
		t1 = ops_now_ns();
		snap[r] = per_op(t0, t1);

		t0 = ops_now_ns();
		for (int i = 0; i < N; i++) {
			ops_snap_take(&t, &a);
			ops_snap_take(&t, &b);
			ops_snap_delta(&t, &a, &b, &bd);
			op_agg_add(agg, &bd);
		}
		t1 = ops_now_ns();
		full[r] = per_op(t0, t1);
	}
	qsort(clk, ROUNDS, sizeof(double), cmp_d);
	qsort(snap, ROUNDS, sizeof(double), cmp_d);
	qsort(full, ROUNDS, sizeof(double), cmp_d);
	printf("op recording (%s), median of %d rounds of %d ops:\n",
	       t.slot ? "kernel slot mmapped" : "latency only, no collector", ROUNDS, N);
	printf("  two clock reads                       %6.1f ns/op\n", clk[ROUNDS / 2]);
	printf("  begin+end snapshot + delta            %6.1f ns/op\n", snap[ROUNDS / 2]);
	printf("  ... + histogram and band aggregation  %6.1f ns/op\n", full[ROUNDS / 2]);
	printf("  recording overhead beyond the clock   %6.1f ns/op\n",
	       full[ROUNDS / 2] - clk[ROUNDS / 2]);
	if (c)
		printf("collector load+attach                   %6.1f ms\n", st.load_ms);
	printf("BENCH oprec_ns_per_op=%.1f clock_ns_per_op=%.1f load_attach_ms=%.1f\n",
	       full[ROUNDS / 2], clk[ROUNDS / 2], st.load_ms);
	op_agg_free(agg);
	collector_stop(c);
	return sink == 42 ? 1 : 0;
}
