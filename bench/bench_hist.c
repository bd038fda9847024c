// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Micro benchmark of the per-operation hot path: ns per hist_add and per op_agg_add over
 * 10M adds (after a warm-up that allocates every block the values need), printed in Go
 * benchmark format. Values cycle through a table that fits in cache, so this measures
 * the aggregation, not the data generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats/opagg.h"

#define ADDS 10000000u
#define NVALS 65536u /* power of two */
#define NOPS 4096u   /* power of two; 4096 x 248 B = 1 MB */

static uint64_t rng_state = 1;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* latencies spread over 1us .. 1ms, log-uniform, so many buckets are touched */
static uint64_t rand_lat(void)
{
	unsigned octave = 10 + rng_next() % 10;

	return ((uint64_t)1 << octave) + (rng_next() & (((uint64_t)1 << octave) - 1));
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
	uint64_t *vals = malloc(NVALS * sizeof(*vals));
	struct ops_bd *ops = calloc(NOPS, sizeof(*ops));
	struct hist *h = hist_new();
	struct op_agg *a = op_agg_new();
	struct op_summary s;
	double t0, t_hist, t_agg;

	if (!vals || !ops || !h || !a) {
		fprintf(stderr, "bench_hist: out of memory allocating the test data; free some memory\n");
		return 1;
	}
	for (unsigned i = 0; i < NVALS; i++)
		vals[i] = rand_lat();
	for (unsigned i = 0; i < NOPS; i++) {
		ops[i].n = 1;
		ops[i].lat_ns = vals[i];
		ops[i].on_ns = vals[i] / 2;
		ops[i].runq_ns = vals[i] / 8;
		ops[i].blocked_ns = vals[i] - ops[i].on_ns - ops[i].runq_ns;
		ops[i].syscalls = 1 + i % 5;
		ops[i].vcsw = i & 1;
		ops[i].blk_ns[i % OPS_BD_BLK] = ops[i].blocked_ns;
	}

	/* warm-up: allocate every block and chunk the timed loops will use */
	for (unsigned i = 0; i < NVALS; i++)
		hist_add(h, vals[i]);
	for (unsigned i = 0; i < NOPS; i++)
		op_agg_add(a, &ops[i]);
	hist_reset(h);

	t0 = now_ns();
	for (unsigned i = 0; i < ADDS; i++)
		hist_add(h, vals[i & (NVALS - 1)]);
	t_hist = now_ns() - t0;

	t0 = now_ns();
	for (unsigned i = 0; i < ADDS; i++)
		op_agg_add(a, &ops[i & (NOPS - 1)]);
	t_agg = now_ns() - t0;

	op_agg_summarize(a, &s);
	printf("BenchmarkHistAdd\t%u\t%.2f ns/op\n", ADDS, t_hist / ADDS);
	printf("BenchmarkOpAggAdd\t%u\t%.2f ns/op\n", ADDS, t_agg / ADDS);
	/* keeps the loops observable, and a sanity line for whoever reads the output */
	fprintf(stderr, "hist: %lu values, p50 %lu ns; op_agg: %lu ops, p99 %lu ns, %zu bytes\n",
		(unsigned long)hist_count(h), (unsigned long)hist_quantile(h, 0.5),
		(unsigned long)s.count, (unsigned long)s.p99, op_agg_bytes(a));
	op_agg_free(a);
	hist_free(h);
	free(ops);
	free(vals);
	return 0;
}
