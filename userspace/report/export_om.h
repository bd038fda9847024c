/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A run's results as OpenMetrics text, for Prometheus: written where node_exporter's
 * textfile collector reads (*.prom), or pushed to a Pushgateway (scripts/nightly.sh).
 * Gauges only, in base units (seconds, bytes, ratios), labelled machine, suite,
 * scenario, op (kind) and percentile; the exposition is also valid Prometheus text
 * format 0.0.4 (what the textfile collector and the Pushgateway parse): no timestamps,
 * no counters, "# EOF" last. Read from report.json (and optionally compare --json), so
 * any saved run or baseline can be exported. docs/NIGHTLY.md lists the metrics and the
 * dashboard queries. Prefix: om_.
 */
#ifndef OPSCOPE_EXPORT_OM_H
#define OPSCOPE_EXPORT_OM_H

#include <stdio.h>
#include "util/jsonparse.h"

/*
 * Write report (a parsed report.json) as OpenMetrics to f. machine: the label value
 * (NULL: the report's hostname). compare: a parsed compare --json of this run against
 * its baseline, or NULL. Returns 0 or -EIO.
 */
int om_write(FILE *f, const struct json_value *report, const char *machine,
	     const struct json_value *compare);

/* A label value escaped as the exposition formats want (\\, \", \n). */
void om_label_escape(FILE *f, const char *s);

#endif
