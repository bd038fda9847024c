/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Why a metric moved: compare's explanations (stats/compare_explain.c), used by compare.c. */
#ifndef OPSCOPE_COMPARE_EXPLAIN_H
#define OPSCOPE_COMPARE_EXPLAIN_H

#include "stats/compare.h"

/*
 * A latency (or throughput) row: the metric's move, then what moved in the breakdown of
 * the band of op kind op (bk, ck: the "kinds" entries of each side; bs, cs: the scenarios,
 * for per-repetition significance). band_metric names the band ("p99_ns"). Returns a
 * sentence (malloc), or NULL when out of memory.
 */
char *cmp_explain_latency(const struct json_value *bs, const struct json_value *cs,
			  const struct json_value *bk, const struct json_value *ck,
			  const struct cmp_row *row, const char *op, const char *band_metric);
/* A memory row: its move and the moves of the related per-op metrics (malloc). */
char *cmp_explain_memory(const struct json_value *bs, const struct json_value *cs,
			 const struct cmp_row *row);
/*
 * Differential flame graph of a scenario's op kind, when both reports' directories hold
 * its folded stacks: written next to the current report's; returns its path (malloc) or
 * NULL (and warns when the files were there but the graph could not be written).
 */
char *cmp_flame_path(const struct cmp_report *base, const struct cmp_report *cur,
		     const char *scenario, const char *op);

#endif
