/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Within report/: the pieces of report.html (report_write_html() in report.h). html_*
 * escape and format text for the page (report_html.c) and write its later sections
 * (report_html_why.c: why it waited; report_html_runs.c: runs and stability, leaks,
 * workload metrics; report_html_env.c: environment and losses); chart_* draw its inline
 * SVG charts (report_charts.c: a breakdown's stacked bars and a latency histogram per op
 * kind; report_sweeps.c: each sweep's throughput, p99 and scaling efficiency). Every
 * string that reaches the page passes through html_esc() or html_href().
 */
#ifndef OPSCOPE_REPORT_HTML_H
#define OPSCOPE_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "report/report.h"

/* s escaped for HTML text and attribute values; control characters become U+FFFD. */
void html_esc(FILE *f, const char *s);
/* printf, then html_esc. */
void html_escf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A relative link: bytes outside [A-Za-z0-9._~/=,+-] percent-encoded. */
void html_href(FILE *f, const char *path);
/* fmt_ns with "µs" for "us": the same figures as report.txt. */
void html_ns(double ns, char *buf, size_t len);
/* For axis ticks: html_ns and fmt_num without trailing zeros ("10µs", "1k"). */
void html_axis_ns(double ns, char *buf, size_t len);
void html_axis_num(double v, char *buf, size_t len);

/* Is dir/rel a regular file (dir NULL: no)? Only files that exist are linked. */
bool html_file_in(const char *dir, const char *rel);

/* Sections (each writes its <h2> with the id the page's navigation links to). Why it
 * waited: only for a run with --why; leaks: only when some scenario has rounds;
 * workload metrics: only when some workload reported its own. */
void html_section_why(const struct report *r, const char *dir, FILE *f);
void html_section_runs(const struct report *r, FILE *f);
void html_section_leaks(const struct report *r, FILE *f);
void html_section_xmetrics(const struct report *r, FILE *f);
/* Environment and losses, and the BPF programs' cost with --bpf-stats
 * (report_html_env.c). */
void html_section_env(const struct report *r, FILE *f);
/* Has the scenario a part in "Why it waited" (so its charts may link there)? */
bool html_why_link(const struct report *r, const struct scen_result *s);

/* The kernel breakdown of op kind k of s as stacked bars (p50 op, bands, p99 op). */
void chart_breakdown(FILE *f, const struct scen_result *s, int k);
/* p50 to max of one op kind on a log scale from lo to hi ns, coloured by band. */
void chart_tail_strip(FILE *f, const struct op_summary *p, double lo, double hi);
/* The latency distribution of op kind k of s: a log-x histogram with percentile marks. */
void chart_latency(FILE *f, const struct scen_result *s, int k);
/* The legend of the breakdown's fixed segments (once per page). */
void chart_breakdown_legend(FILE *f);

/* Each sweep of the report as charts; returns how many it drew, or -ENOMEM. */
int chart_sweeps(FILE *f, const struct report *r);

/* A "nice" axis step (1, 2 or 5 times a power of ten) giving about n ticks up to max. */
double chart_nice_step(double max, int n);
/* Colours of series in a chart with several lines. */
extern const char *const chart_series_colour[8];
/* Colours of the latency bands (histogram bars, the breakdown's row chips). */
extern const char *const chart_band_colour[BAND_NR];

#endif
