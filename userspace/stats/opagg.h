/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Aggregation of one operation kind: the latency histogram, plus the kernel breakdown
 * summed per coarse latency bucket (1/8 octave), so that once percentiles are known the
 * breakdown can be summed per latency band, and one exemplar operation kept per coarse
 * bucket, so a report can show what one real p50 and one real p99 operation did.
 * One writer per struct op_agg (each driver thread owns its own); merge afterwards.
 */
#ifndef OPSCOPE_OPAGG_H
#define OPSCOPE_OPAGG_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/breakdown.h"
#include "stats/hist.h"

/* Latency bands: [0,p50], (p50,p90], (p90,p99], (p99,p99.9], (p99.9,max] */
enum ops_band { BAND_P50, BAND_P90, BAND_P99, BAND_P999, BAND_MAX, BAND_NR };
/* Their names in report.json and the tables: "le-p50", "p50-p90", ... "gt-p999". */
extern const char *const ops_band_names[BAND_NR];

/* coarse bucket = fine hist bucket >> OPAGG_COARSE_SHIFT */
#define OPAGG_COARSE_SHIFT 4
#define OPAGG_NCOARSE ((HIST_NBUCKETS >> OPAGG_COARSE_SHIFT) + 1)

struct op_agg;

struct op_agg *op_agg_new(void);
void op_agg_free(struct op_agg *a);
/* Record one successful operation: bd->n must be 1 and bd->lat_ns its latency. */
int op_agg_add(struct op_agg *a, const struct ops_bd *bd);
/* The same, with why it waited (run --why): w->n must be 1. */
int op_agg_add_why(struct op_agg *a, const struct ops_bd *bd, const struct ops_wbd *w);
/* Count a failed operation (not in the latency histogram). */
void op_agg_add_error(struct op_agg *a);
int op_agg_merge(struct op_agg *dst, const struct op_agg *src);
const struct hist *op_agg_hist(const struct op_agg *a);
uint64_t op_agg_errors(const struct op_agg *a);
/* Operations dropped for lack of memory (never in the histogram nor in the sums). */
uint64_t op_agg_lost(const struct op_agg *a);
/* Bytes this aggregation holds: memory grows only with the latency ranges seen. */
size_t op_agg_bytes(const struct op_agg *a);

struct op_summary {
	uint64_t count, errors;
	uint64_t min, max, p50, p90, p95, p99, p999;
	double mean, stddev;
	uint64_t band_hi[BAND_NR];     /* upper latency bound of each band */
	struct ops_bd band[BAND_NR];   /* breakdown summed per band (band[i].n ops) */
	struct ops_bd total;           /* breakdown summed over all ops */
	struct ops_bd ex_p50, ex_p99;  /* one real operation near p50 and near p99 */
	/* run --why: why the ops waited, summed per band like band[] (wband[i].n ops of the
	 * band carried it; 0 without --why) */
	struct ops_wbd wband[BAND_NR];
	struct ops_wbd wtotal;
};

/*
 * Fill s. Band sums are exact for coarse buckets wholly inside a band; a coarse bucket
 * that straddles a band edge has its sum split in proportion to its operation counts on
 * each side (the fine histogram says how many), so counts per band are exact and sums
 * are interpolated only within one 1/8-octave bucket.
 */
void op_agg_summarize(const struct op_agg *a, struct op_summary *s);

/* Arithmetic over repeated measurements (used for throughput across repetitions). */
double stats_mean(const double *v, int n);
double stats_stddev(const double *v, int n); /* sample stddev (n-1), 0 when n < 2 */
double stats_cv(const double *v, int n);     /* stddev / mean, 0 when mean is 0 */

#endif
