/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope history: one JSON line per run appended to a history file (JSON Lines: each
 * line a complete object, so a crash can only cut the last line, which readers skip with
 * a warning), and views of each metric's trend across runs: a terminal sparkline per
 * scenario and metric, and one self-contained HTML page (inline SVG and CSS, no script,
 * no network) with a chart per scenario and metric.
 *
 * Line: {"schema": "opscope-history", "version": 1, "created": ..., "appended": ...,
 *        "label": ..., "report": ..., "environment": {...},
 *        "scenarios": {"<id>": {"status": "ok", "metrics": {"<metric id>":
 *            {"median": 41230, "cv": 0.02, "n": 5, "unit": "ns", "kind": "latency",
 *             "better": "lower"}, ...}}, ...}}
 */
#ifndef OPSCOPE_HISTORY_H
#define OPSCOPE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "stats/compare.h"

#define HISTORY_FILE "/var/lib/opscope/history.jsonl"
#define HISTORY_SCHEMA "opscope-history"

/* Append the summary of a loaded report as one line. label may be NULL. */
int history_append(const char *file, const struct cmp_report *r, const char *label, char *err,
		   size_t errlen);

struct history;

/* Read a history file, keeping the last `last` runs (0: all). Bad lines are skipped with
 * a warning on stderr naming file:line. NULL with err on failure (no file, no runs). */
struct history *history_load(const char *file, int last, char *err, size_t errlen);
void history_free(struct history *h);
int history_runs(const struct history *h);
int history_series(const struct history *h);
/*
 * The medians of (scenario, metric) in the loaded runs, oldest first, NaN where a run
 * lacks it, of the runs made on host (NULL: any) not created at any of the nskip times
 * in skip (a comparison's own runs), and with quiet_only not flagged noisy when they
 * ran. out holds history_runs() values. Returns how many.
 */
int history_values(const struct history *h, const char *scenario, const char *metric,
		   const char *host, const char *const *skip, int nskip, bool quiet_only,
		   double *out);

/* Which series a view shows: scenario and metric substrings (NULL: any); metric "all"
 * shows every metric, NULL the default set (throughput, p50, p99, rss_peak_bytes). */
struct history_filter {
	const char *scenario;
	const char *metric;
};

void history_print(FILE *f, const struct history *h, const struct history_filter *flt);
void history_html(FILE *f, const struct history *h, const struct history_filter *flt);

/* UTF-8 sparkline of n values (NaN: a gap) into buf; returns buf. */
char *history_sparkline(char *buf, size_t len, const double *v, int n);

#endif
