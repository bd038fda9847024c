// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What libopscope costs a program per operation: begin+end detached (no opscope: one
 * word read and one written per call), and attached (two clock reads, two copies of the
 * thread's slot counters, one record into its ring), against the two clock reads any
 * latency measurement needs, and beside the driver's own recording (kernel/oprec.h) in
 * the same process and run. Also what opscope's side pays per record (decode, the
 * callback), and both again with record --why (the why counters' snapshots and their
 * difference beside each record). Attached needs root: the collector runs on this process
 * and kernel/attach.c attaches to it in-process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "opscope/ops.h"
#include "kernel/attach.h"
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "stats/opagg.h"

#define ROUND 2000  /* ops per timed round: fits one ring, drained between rounds */
#define ROUNDS 301
#define CAP 2048

static uint64_t records;

static void on_op(const struct attach_op *op, void *arg)
{
	__atomic_store_n(&records, records + op->bd.n, __ATOMIC_RELAXED);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

/* The library's control page in our own maps. */
static struct opsp_ctl *own_ctl(void)
{
	char line[512];
	unsigned long lo;
	FILE *f = fopen("/proc/self/maps", "r");
	struct opsp_ctl *c = NULL;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:" OPSP_CTL_NAME) && sscanf(line, "%lx-", &lo) == 1)
			c = (struct opsp_ctl *)lo;
	if (f)
		fclose(f);
	return c;
}

struct figures {
	double clk, lib, oprec, drain;
};

/* One round of each, interleaved, so that a noisy neighbour hits all alike. Attached, the
 * round's records are left to opscope's drain thread, on the other CPU as in real use (the
 * producer then writes ring lines the consumer last read: their cost is counted), and
 * the next round starts once they are drained (not timed). */
static void round_all(struct attach *a, struct ops_thread *t, struct op_agg *agg, int kind,
		      double *clk, double *lib, double *oprec)
{
	volatile uint64_t sink = 0;
	struct ops_snap sa, sb;
	struct ops_bd bd;
	opscope_op op;
	uint64_t t0, t1, want = __atomic_load_n(&records, __ATOMIC_RELAXED) + ROUND;

	t0 = ops_now_ns();
	for (int i = 0; i < ROUND; i++)
		sink += ops_now_ns() - ops_now_ns();
	t1 = ops_now_ns();
	*clk = (double)(t1 - t0) / ROUND;

	t0 = ops_now_ns();
	for (int i = 0; i < ROUND; i++) {
		opscope_begin(&op, kind);
		opscope_end(&op);
	}
	t1 = ops_now_ns();
	*lib = (double)(t1 - t0) / ROUND;

	t0 = ops_now_ns();
	for (int i = 0; i < ROUND; i++) {
		ops_snap_take(t, &sa);
		ops_snap_take(t, &sb);
		ops_snap_delta(t, &sa, &sb, &bd);
		op_agg_add(agg, &bd);
	}
	t1 = ops_now_ns();
	*oprec = (double)(t1 - t0) / ROUND;

	while (a && __atomic_load_n(&records, __ATOMIC_RELAXED) < want) {
		struct timespec us = { 0, 100000 };

		nanosleep(&us, NULL);
	}
	(void)sink;
}

/* opscope's side: decoding a full ring's records, synchronously. */
static double drain_cost(struct attach *a, int kind)
{
	double v[21];
	opscope_op op;

	for (int r = 0; r < 21; r++) {
		uint64_t n, t0, t1;

		attach_drain(a);
		n = __atomic_load_n(&records, __ATOMIC_RELAXED);
		for (int i = 0; i < ROUND; i++) {
			opscope_begin(&op, kind);
			opscope_end(&op);
		}
		t0 = ops_now_ns();
		attach_drain(a);
		t1 = ops_now_ns();
		n = __atomic_load_n(&records, __ATOMIC_RELAXED) - n;
		v[r] = n ? (double)(t1 - t0) / (double)n : 0;
	}
	return median(v, 21);
}

static struct figures measure(struct attach *a, int kind)
{
	double clk[ROUNDS], lib[ROUNDS], oprec[ROUNDS];
	struct op_agg *agg = op_agg_new();
	struct ops_thread t;
	struct figures f;

	ops_thread_register(&t);
	for (int r = -1; r < ROUNDS; r++) { /* round -1 warms up (ring pages, caches) */
		int i = r < 0 ? 0 : r;

		round_all(a, &t, agg, kind, &clk[i], &lib[i], &oprec[i]);
	}
	f.clk = median(clk, ROUNDS);
	f.lib = median(lib, ROUNDS);
	f.oprec = median(oprec, ROUNDS);
	f.drain = a ? drain_cost(a, kind) : 0;
	op_agg_free(agg);
	return f;
}

/* A collector on this process and opscope attached to it (why: with record --why's
 * programs and why areas); false, with err set, when either cannot start. */
static bool attached(bool why, int kind, struct figures *f, struct attach_stats *st,
		     char *err, size_t errlen)
{
	struct collector_opts copts = { .why = why };
	struct collector *c = geteuid() == 0 ? collector_start(&copts, err, errlen) : NULL;
	struct attach *a = NULL;

	if (c) {
		struct attach_opts o = {
			.pid = getpid(), .slots_fd = collector_slots_fd(c),
			.slots_len = collector_slots_len(c), .slots = collector_slots(c),
			.nrings = 4, .ring_cap = CAP, .ctl_self = own_ctl(), .on_op = on_op,
			.why = why,
		};

		a = attach_start(&o, err, errlen);
	} else if (geteuid() != 0) {
		snprintf(err, errlen, "no collector");
	}
	if (!a) {
		collector_stop(c);
		return false;
	}
	*f = measure(a, kind);
	attach_stop(a);
	attach_get_stats(a, st);
	attach_free(a);
	collector_stop(c);
	return true;
}

int main(void)
{
	struct figures det, att, why;
	struct attach_stats st, wst;
	char err[512];
	int kind = opscope_kind("bench.op");

	det = measure(NULL, kind);
	if (!attached(false, kind, &att, &st, err, sizeof(err)) ||
	    !attached(true, kind, &why, &wst, err, sizeof(err))) {
		fprintf(stderr, "bench_libops: %s; only the detached cost is measured (run as "
			"root)\n", err);
		printf("libopscope, median of %d rounds of %d ops:\n", ROUNDS, ROUND);
		printf("  begin+end detached (no opscope)       %6.1f ns/op\n", det.lib);
		printf("BENCH libops_detached_ns=%.1f\n", det.lib);
		return 0;
	}
	printf("libopscope, median of %d rounds of %d ops (beside the driver's own recording):\n",
	       ROUNDS, ROUND);
	printf("  two clock reads                       %6.1f ns/op\n", att.clk);
	printf("  begin+end detached (no opscope)       %6.1f ns/op\n", det.lib);
	printf("  begin+end attached                    %6.1f ns/op (ring drained on the other "
	       "CPU)\n", att.lib);
	printf("  libopscope beyond the clock reads     %6.1f ns/op\n", att.lib - att.clk);
	printf("  driver recording (oprec + op_agg)     %6.1f ns/op (beyond the clock: %.1f)\n",
	       att.oprec, att.oprec - att.clk);
	printf("  opscope's side: decode one record     %6.1f ns/op (in opscope, not the "
	       "program)\n", att.drain);
	printf("  records %lu, dropped %lu, unrecorded %lu\n", (unsigned long)st.records,
	       (unsigned long)st.dropped, (unsigned long)st.loss[OPSP_L_UNREC]);
	printf("  with --why: begin+end attached        %6.1f ns/op (beyond the clock: %.1f; "
	       "decode %.1f ns)\n", why.lib, why.lib - why.clk, why.drain);
	printf("BENCH libops_detached_ns=%.1f libops_attached_ns=%.1f libops_beyond_clock_ns=%.1f "
	       "clock_ns=%.1f oprec_ns=%.1f libops_why_beyond_clock_ns=%.1f\n", det.lib, att.lib,
	       att.lib - att.clk, att.clk, att.oprec, why.lib - why.clk);
	return 0;
}
