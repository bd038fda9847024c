/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Log-linear latency histogram: values are bucketed by power of two, each power of two
 * split into 2^HIST_SUB_BITS linear sub-buckets, so any reported value is within
 * 1/2^HIST_SUB_BITS (< 1%) of the true one. Range 0 .. 2^HIST_MAX_SHIFT ns (about 38
 * minutes); larger values are clamped into the top bucket and counted in `clamped`.
 * Octaves are allocated on first use, so a histogram costs memory only for the ranges
 * it has seen. Not thread-safe: one writer, merged afterwards.
 */
#ifndef OPSCOPE_HIST_H
#define OPSCOPE_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_SHIFT 41
/* bucket indexes: [0, HIST_SUB) exact values, then one block of HIST_SUB per octave */
#define HIST_NBUCKETS ((HIST_MAX_SHIFT - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist;

struct hist *hist_new(void);
void hist_free(struct hist *h);
void hist_reset(struct hist *h);
/* Returns 0, or -ENOMEM when an octave could not be allocated (the value is then lost
 * and counted in hist_lost()). */
int hist_add(struct hist *h, uint64_t v);
int hist_add_n(struct hist *h, uint64_t v, uint64_t n);
int hist_merge(struct hist *dst, const struct hist *src);

uint64_t hist_count(const struct hist *h);
uint64_t hist_lost(const struct hist *h);
uint64_t hist_clamped(const struct hist *h);
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
double hist_mean(const struct hist *h);   /* exact: from a running sum */
double hist_stddev(const struct hist *h); /* population stddev, exact from running sums */
/* Smallest value v (as the midpoint of its bucket, clamped to [min, max]) such that at
 * least a fraction q (0..1) of the values are <= v. 0 for an empty histogram. */
uint64_t hist_quantile(const struct hist *h, double q);

/* The rank (1-based, in 1..count) of the value hist_quantile(q) reports: ceil(q * count),
 * tolerant of q's binary rounding (0.9 * 10 is rank 9, not 10). 0 when count is 0. */
uint64_t hist_rank(uint64_t count, double q);
/* Bytes this histogram holds (struct plus the octave blocks allocated so far). */
size_t hist_bytes(const struct hist *h);

/* Bucket arithmetic, exposed for the band aggregation and the tests. */
unsigned hist_bucket(uint64_t v);
uint64_t hist_bucket_lo(unsigned idx);
uint64_t hist_bucket_hi(unsigned idx); /* exclusive */
uint64_t hist_bucket_count(const struct hist *h, unsigned idx);

#endif
