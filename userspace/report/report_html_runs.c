// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html's tables of what each run did beyond its latencies, as report.txt has them
 * (report_text.c: Runs, Leaks, Workload metrics): what ended each scenario's repetitions,
 * ops and time per repetition, peak calls in flight and busy workers against their
 * limits, CPU use, and its stability (throughput per window drawn as a line per
 * repetition, the CV of the recorded windows, the recorded time before throughput was
 * steady); the leak checks (growth per round with its 95% lower bound, what was left
 * after the last teardown, and each resource's verdict under the leak targets); the
 * workloads' own metrics, a pipeline's per stage in a table of its own.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_html.h"
#include "stats/series.h"
#include "util/fmt.h"

/* ---------------------------------------------------------------- runs */

/* What ended the scenario's repetitions: one name, "mixed", or "-" (report.txt's). */
static const char *ended_by(const struct scen_result *s)
{
	enum wl_end e = WL_END_NONE;

	for (int i = 0; i < s->nreps; i++) {
		if (s->reps[i].status)
			continue;
		if (e != WL_END_NONE && s->reps[i].f.end != e)
			return "mixed";
		e = s->reps[i].f.end;
	}
	return e == WL_END_NONE ? "-" : wl_end_name(e);
}

/* The highest peak over the repetitions and its limit; false when none was measured. */
static bool peak_of(const struct scen_result *s, bool busy, uint64_t *peak, uint64_t *limit)
{
	bool any = false;

	*peak = *limit = 0;
	for (int i = 0; i < s->nreps; i++) {
		const struct wl_peak *p = busy ? &s->reps[i].f.busy : &s->reps[i].f.inflight;

		if (!p->peak && !p->limit)
			continue;
		any = true;
		*peak = p->peak > *peak ? p->peak : *peak;
		*limit = p->limit;
	}
	return any;
}

static void td_peak(FILE *f, const struct scen_result *s, bool busy)
{
	uint64_t peak, limit;

	if (!peak_of(s, busy, &peak, &limit)) {
		fputs("<td class=\"n\">-</td>", f);
		return;
	}
	if (!limit) {
		fprintf(f, "<td class=\"n\">%" PRIu64 "/-</td>", peak);
		return;
	}
	fprintf(f, "<td class=\"n%s\" title=\"peak %s / limit\">%" PRIu64 "/%" PRIu64 "</td>",
		peak > limit ? " bad" : "", busy ? "busy workers" : "in flight", peak, limit);
}

/* Mean recorded time per successful repetition. */
static double rep_secs(const struct scen_result *s)
{
	double sum = 0;
	int n = 0;

	for (int i = 0; i < s->nreps; i++) {
		if (s->reps[i].status)
			continue;
		sum += s->reps[i].elapsed_s;
		n++;
	}
	return n ? sum / n : NAN;
}

static void td_str(FILE *f, const char *v)
{
	fputs("<td class=\"n\">", f);
	html_esc(f, v);
	fputs("</td>", f);
}

/* As report_stability.c merges windows before it judges them: at least 64 ops a window
 * on average, unless fewer than 8 recorded windows would be left. */
#define SPARK_MIN_OPS 64
#define SPARK_MIN_N 8
#define SPARK_W 240
#define SPARK_H 36
#define SPARK_REPS 8

/* One repetition's merged window rates from the start gate; false when it has none. */
static bool rep_rates(const struct rep_result *rep, double *rate, uint32_t *n, double *width,
		      double *peak)
{
	const struct wl_windows *w = &rep->f.win;
	uint32_t m;

	if (rep->status || !w->width_ns || w->rec_end <= w->rec_first ||
	    w->rec_end > WL_MAX_WINDOWS)
		return false;
	m = series_merge_factor(w->count, w->rec_first, w->rec_end, SPARK_MIN_OPS, SPARK_MIN_N);
	*n = w->rec_end / m;
	*width = (double)w->width_ns * m;
	for (uint32_t i = 0; i < *n; i++) {
		uint64_t c = 0;

		for (uint32_t j = i * m; j < (i + 1) * m; j++)
			c += w->count[j];
		rate[i] = (double)c / (*width / 1e9);
		*peak = fmax(*peak, rate[i]);
	}
	return *n > 0;
}

/* Throughput per window, a line per repetition (up to 8), over the time from the start
 * gate; the warm-up shaded, a tick where each repetition's throughput became steady. */
static void spark(FILE *f, const struct scen_result *s)
{
	double rate[SPARK_REPS][WL_MAX_WINDOWS];
	double width[SPARK_REPS], peak = 0, tmax = 0, warm = 0;
	uint32_t n[SPARK_REPS];
	int idx[SPARK_REPS], nr = 0;
	char a[24], b[24];

	for (int i = 0; i < s->nreps && nr < SPARK_REPS; i++) {
		if (!rep_rates(&s->reps[i], rate[nr], &n[nr], &width[nr], &peak))
			continue;
		tmax = fmax(tmax, n[nr] * width[nr]);
		warm = fmax(warm, (double)s->reps[i].f.win.warmup_ns);
		idx[nr++] = i;
	}
	if (!nr || !(peak > 0) || !(tmax > 0)) {
		fputs("-", f);
		return;
	}
	fprintf(f, "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
		"<rect class=\"warm\" x=\"0\" y=\"0\" width=\"%.1f\" height=\"%d\"/>", SPARK_W,
		SPARK_H, SPARK_W, SPARK_H, fmin(warm / tmax, 1) * SPARK_W, SPARK_H);
	for (int j = 0; j < nr; j++) {
		const struct rep_result *rep = &s->reps[idx[j]];
		double st;

		fprintf(f, "<polyline class=\"sl\" fill=\"none\" stroke=\"%s\" points=\"",
			chart_series_colour[j % 8]);
		for (uint32_t i = 0; i < n[j]; i++)
			fprintf(f, "%s%.1f,%.1f", i ? " " : "", (i + 0.5) * width[j] / tmax * SPARK_W,
				SPARK_H - 2 - rate[j][i] / peak * (SPARK_H - 4));
		fputs("\"><title>", f);
		html_axis_num(peak, a, sizeof(a));
		html_ns(width[j], b, sizeof(b));
		html_escf(f, "repetition %d: %u windows of %s, up to %s ops/s; grey: warm-up",
			  idx[j] + 1, n[j], b, a);
		fputs("</title></polyline>", f);
		if (rep_steady_ns(rep, &st)) {
			double x = ((double)rep->f.win.warmup_ns + st) / tmax * SPARK_W;

			fprintf(f, "<line class=\"steady\" x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" "
				"y2=\"%d\" stroke=\"%s\"/>", x, x, SPARK_H, chart_series_colour[j % 8]);
		}
	}
	fputs("</svg>", f);
}

static void runs_row(FILE *f, const struct scen_result *s, int i)
{
	const struct metric *st = metric_find(s, "", "steady_ns");
	char c[24];
	double v;

	fprintf(f, "<tr><td><a href=\"#s-%d\">", i);
	html_esc(f, s->sc.id);
	fputs("</a></td><td>", f);
	html_esc(f, ended_by(s));
	fputs("</td>", f);
	fmt_num(metric_mean(s, "", "ops", &v) ? v : NAN, c, sizeof(c));
	td_str(f, c);
	html_ns(rep_secs(s) * 1e9, c, sizeof(c));
	td_str(f, c);
	td_peak(f, s, false);
	td_peak(f, s, true);
	if (metric_mean(s, "", "cpu_cores", &v))
		snprintf(c, sizeof(c), "%.2f", v);
	else
		snprintf(c, sizeof(c), "-");
	td_str(f, c);
	if (metric_mean(s, "", "window_cv", &v))
		snprintf(c, sizeof(c), "%.1f%%", 100 * v);
	else
		snprintf(c, sizeof(c), "-");
	td_str(f, c);
	/* the median: one disturbed repetition should not speak for the others */
	html_ns(st && st->n ? st->median : NAN, c, sizeof(c));
	td_str(f, c);
	fputs("<td class=\"strip\">", f);
	spark(f, s);
	fputs("</td></tr>\n", f);
}

void html_section_runs(const struct report *r, FILE *f)
{
	static const char *const head[] = { "ended by", "ops/rep", "time/rep", "in flight",
					    "busy", "CPU", "window CV", "to steady" };

	fputs("<h2 id=\"runs\">Runs and stability</h2>\n<p class=\"note\">Per repetition (means): "
	      "what ended it, its ops and recorded time; the highest peak of calls or packets in "
	      "flight and of busy workers against the configured limit (red: over it); CPU: the "
	      "CPUs the process kept busy (its CPU time over the recorded wall time; the "
	      "Resources table has it as a share of all CPUs); window CV: of throughput over "
	      "the recorded windows; to steady: the recorded time before throughput was steady "
	      "(median). The line: throughput per window from the start gate, one per "
	      "repetition, the warm-up shaded, a tick where it became steady.</p>\n"
	      "<table><tr><th>Scenario</th>", f);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(f, "<th%s>%s</th>", i ? " class=\"n\"" : "", head[i]);
	fputs("<th>throughput per window</th></tr>\n", f);
	for (int i = 0; i < r->nscen; i++)
		runs_row(f, &r->scen[i], i);
	fputs("</table>\n", f);
}

/* ---------------------------------------------------------------- leaks */

/* One cell: the figure and its verdict's badge. */
static void td_leak(FILE *f, const char *figure, enum target_status st, const char *target)
{
	fprintf(f, "<td class=\"n\">%s", figure);
	if (st == TGT_NA)
		fprintf(f, " <span class=\"badge\" title=\"%s: off or not judged\">n/a</span>",
			target);
	else
		fprintf(f, " <span class=\"badge %s\" title=\"target %s\">%s</span>",
			st == TGT_PASS ? "pass" : "fail", target, st == TGT_PASS ? "PASS" : "FAIL");
	fputs("</td>", f);
}

static void fit_cell(FILE *f, const struct report *r, const struct scen_result *s,
		     const struct leak_fit *lf, bool bytes, const char *target)
{
	char a[20], b[20], cell[56];

	if (!lf->ok) {
		td_leak(f, "-", target_verdict_in(r, s, target), target);
		return;
	}
	fmt_signed(lf->slope, bytes, a, sizeof(a));
	fmt_signed(lf->lcb, bytes, b, sizeof(b));
	snprintf(cell, sizeof(cell), "%s (%s)", a, b);
	td_leak(f, cell, target_verdict_in(r, s, target), target);
}

void html_section_leaks(const struct report *r, FILE *f)
{
	static const char *const head[] = { "rounds", "RSS / round", "heap / round",
					    "fds / round", "threads / round", "fds left",
					    "threads left" };
	bool any = false;

	for (int i = 0; i < r->nscen; i++)
		any |= r->scen[i].leaks.rounds > 0;
	if (!any)
		return;
	fputs("<h2 id=\"leaks\">Leaks</h2>\n<p class=\"note\">Growth per repetition (round) "
	      "since the scenario's start: the fitted slope and, in brackets, its 95% lower bound, "
	      "which the leak targets hold to their thresholds; left: what the last teardown left "
	      "behind (residual targets). Each figure's badge is this scenario's verdict.</p>\n"
	      "<table><tr><th>Scenario</th>", f);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(f, "<th class=\"n\">%s</th>", head[i]);
	fputs("</tr>\n", f);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		const struct scen_leaks *l = &s->leaks;
		char c[20];

		if (!l->rounds)
			continue;
		fprintf(f, "<tr><td><a href=\"#s-%d\">", i);
		html_esc(f, s->sc.id);
		fprintf(f, "</a></td><td class=\"n\">%d</td>", l->rounds);
		fit_cell(f, r, s, &l->rss, true, "leak-rss");
		fit_cell(f, r, s, &l->heap, true, "leak-heap");
		fit_cell(f, r, s, &l->fds, false, "leak-fds");
		fit_cell(f, r, s, &l->threads, false, "leak-threads");
		fmt_signed(l->fds.residual, false, c, sizeof(c));
		td_leak(f, c, target_verdict_in(r, s, "residual-fds"), "residual-fds");
		fmt_signed(l->threads.residual, false, c, sizeof(c));
		td_leak(f, c, target_verdict_in(r, s, "residual-threads"), "residual-threads");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (r->coll.stacks)
		fputs("<p class=\"note\">--stacks: the profile grows and opens binaries between "
		      "repetitions: RSS, heap and descriptors are not judged.</p>\n", f);
}

/* ---------------------------------------------------------------- workload metrics */

/* "s2_occupancy" -> stage 2, "occupancy"; false for a metric of no stage. */
static bool stage_of(const char *name, int *stage, const char **rest)
{
	char *end;
	long v;

	if (name[0] != 's' || name[1] < '1' || name[1] > '9')
		return false;
	v = strtol(name + 1, &end, 10);
	if (*end != '_' || !end[1])
		return false;
	*stage = (int)v;
	*rest = end + 1;
	return true;
}

#define MAX_COLS 8
#define MAX_STAGES 16

/* The stage metrics' names after "sN_", in order of first appearance. */
static int stage_cols(const struct scen_result *s, const char **col, int *nstages)
{
	int ncol = 0;

	*nstages = 0;
	for (int j = 0; j < s->nmetrics; j++) {
		const struct metric *m = &s->metrics[j];
		const char *rest;
		int st, c;

		if (!m->workload || !m->n || !stage_of(m->name, &st, &rest) || st > MAX_STAGES)
			continue;
		*nstages = st > *nstages ? st : *nstages;
		for (c = 0; c < ncol && strcmp(col[c], rest); c++)
			;
		if (c == ncol && ncol < MAX_COLS)
			col[ncol++] = rest;
	}
	return ncol;
}

/* Op kind of stage st ("pipe.s2_filter"), or -1. */
static int stage_kind(const struct scen_result *s, int st)
{
	char pre[16];

	snprintf(pre, sizeof(pre), ".s%d_", st);
	for (int k = 0; k < s->nkinds; k++)
		if (strstr(s->kind_name[k], pre))
			return k;
	return -1;
}

static void stage_table(FILE *f, const struct scen_result *s, const char **col, int ncol,
			int nstages)
{
	char v[32], name[48];

	fputs("<table class=\"stages\"><tr><th>Stage</th><th>op kind</th><th class=\"n\">p50"
	      "</th><th class=\"n\">p99</th>", f);
	for (int c = 0; c < ncol; c++) {
		fputs("<th class=\"n\">", f);
		html_esc(f, col[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (int st = 1; st <= nstages; st++) {
		int k = stage_kind(s, st);

		fprintf(f, "<tr><td class=\"n\">%d</td><td>", st);
		html_esc(f, k >= 0 ? s->kind_name[k] : "-");
		fputs("</td>", f);
		html_ns(k >= 0 && s->sum[k].count ? (double)s->sum[k].p50 : NAN, v, sizeof(v));
		td_str(f, v);
		html_ns(k >= 0 && s->sum[k].count ? (double)s->sum[k].p99 : NAN, v, sizeof(v));
		td_str(f, v);
		for (int c = 0; c < ncol; c++) {
			const struct metric *m;

			snprintf(name, sizeof(name), "s%d_%s", st, col[c]);
			m = metric_find(s, "", name);
			if (m && m->n)
				fmt_value(v, sizeof(v), m->mean, m->unit);
			else
				snprintf(v, sizeof(v), "-");
			td_str(f, v);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The scenario's metrics of no stage, as report.txt lists them. */
static void other_metrics(FILE *f, const struct scen_result *s)
{
	bool any = false;

	for (int j = 0; j < s->nmetrics; j++) {
		const struct metric *m = &s->metrics[j];
		const char *rest;
		char v[32];
		int st;

		if (!m->workload || !m->n || stage_of(m->name, &st, &rest))
			continue;
		if (any)
			fputs(" · ", f);
		any = true;
		fmt_value(v, sizeof(v), m->mean, m->unit);
		html_escf(f, "%s %s", m->name, v);
	}
}

static bool has_xmetrics(const struct scen_result *s)
{
	for (int j = 0; j < s->nmetrics; j++)
		if (s->metrics[j].workload && s->metrics[j].n)
			return true;
	return false;
}

void html_section_xmetrics(const struct report *r, FILE *f)
{
	bool title = false;

	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		const char *col[MAX_COLS];
		int nstages, ncol = stage_cols(s, col, &nstages);

		if (!has_xmetrics(s))
			continue;
		if (!title) {
			fputs("<h2 id=\"xmetrics\">Workload metrics</h2>\n<p class=\"note\">The "
			      "workloads' own figures, means over repetitions; a pipeline's per "
			      "stage beside the stage's latency (its op kind: from the packet's "
			      "entry into the stage's input channel to the end of its work).</p>\n"
			      "<table class=\"xm\"><tr><th>Scenario</th><th>Metrics</th></tr>\n", f);
			title = true;
		}
		fprintf(f, "<tr><td class=\"sc\"><a href=\"#s-%d\">", i);
		html_esc(f, s->sc.id);
		fputs("</a></td><td class=\"w\">", f);
		other_metrics(f, s);
		if (ncol)
			stage_table(f, s, col, ncol, nstages);
		fputs("</td></tr>\n", f);
	}
	if (title)
		fputs("</table>\n", f);
}
