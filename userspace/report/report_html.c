// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html: the run as one self-contained page a person opens in a browser. The same
 * in-memory report as report.txt and report.json: targets with PASS/FAIL, each sweep as
 * charts, the latency and resource tables, per scenario and op kind where the time goes
 * (stacked breakdown bars) and the latency distribution, why it waited (--why), runs and
 * their stability, leaks, the workloads' own metrics (report_html_why.c,
 * report_html_runs.c), links to the flame graphs and trace.json found in the output
 * directory, the environment and every loss counter.
 * Inline CSS, SVG and one small script (tooltips, a bar-scale toggle); nothing is fetched,
 * so the page works from a file:// URL on a machine without network. Every string from
 * the run goes through html_esc() or html_href().
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "report/report_html.h"
#include "util/files.h"
#include "util/fmt.h"
#include "workloads/params.h"

/* ---------------------------------------------------------------- text */

void html_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
	}
}

void html_escf(FILE *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	html_esc(f, buf);
}

void html_href(FILE *f, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("._~/=,+-", *p);

		if (plain)
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

/* A figure ending in "us" (after a digit) ends in "µs" instead. */
static void micro(char *buf, size_t len)
{
	size_t n = strlen(buf);

	if (n >= 3 && strcmp(buf + n - 2, "us") == 0 && buf[n - 3] >= '0' && buf[n - 3] <= '9' &&
	    n + 1 < len)
		snprintf(buf + n - 2, len - (n - 2), "µs");
}

void html_ns(double ns, char *buf, size_t len)
{
	fmt_ns(ns, buf, len);
	micro(buf, len);
}

/* "10.0µs" -> "10µs", "1.50k" -> "1.5k". */
static void strip_trailing_zeros(char *s)
{
	char *dot = strchr(s, '.'), *end, *z;

	if (!dot)
		return;
	for (end = dot + 1; *end >= '0' && *end <= '9'; end++)
		;
	for (z = end; z > dot + 1 && z[-1] == '0'; z--)
		;
	if (z == dot + 1)
		z = dot;
	memmove(z, end, strlen(end) + 1);
}

void html_axis_ns(double ns, char *buf, size_t len)
{
	html_ns(ns, buf, len);
	strip_trailing_zeros(buf);
}

void html_axis_num(double v, char *buf, size_t len)
{
	fmt_num(v, buf, len);
	strip_trailing_zeros(buf);
}

/* ---------------------------------------------------------------- page frame */

static const char page_css[] =
"*{box-sizing:border-box}\n"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
"sans-serif;color:#1d1d1f;background:#fff}\n"
".in{max-width:1400px;margin:0 auto;padding:0 20px}\n"
"header{background:#2a2a2d;color:#f2f2f2;padding:16px 0 14px}\n"
"h1{font-size:21px;margin:0 0 3px;font-weight:600}\n"
".facts{color:#c4c4ca;font-size:13px}\n"
".chips{margin-top:10px;display:flex;gap:8px;flex-wrap:wrap}\n"
".chip{padding:2px 11px;border-radius:11px;background:#47474c;font-size:13px}\n"
".chip.fail{background:#c4261d;color:#fff}.chip.pass{background:#1e7b34}\n"
"nav{position:sticky;top:0;background:rgba(255,255,255,.97);border-bottom:1px solid #ddd;"
"z-index:2}\n"
"nav .in{padding:7px 20px;display:flex;gap:20px;font-size:13px;flex-wrap:wrap}\n"
"a{color:#2f62a8;text-decoration:none}a:hover{text-decoration:underline}\n"
"h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid #2a2a2d}\n"
"h3{font-size:15px;margin:20px 0 6px}\n"
".sub{font-weight:normal;color:#6b6b70;font-size:13px}\n"
"table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px}\n"
"th{text-align:left;font-weight:600;color:#3a3a3e;background:#f2f2f4;border-bottom:1px solid"
" #bbb;padding:4px 10px;white-space:nowrap}\n"
"td{padding:3px 10px;border-bottom:1px solid #ececef;white-space:nowrap}\n"
"td.n,th.n{text-align:right}td.w{white-space:normal;color:#555}\n"
"td.sc{vertical-align:top;font-weight:600;background:#fafafb}\n"
"td.strip{padding:2px 10px}td.strip svg{display:inline-block;vertical-align:middle}\n"
".badge{display:inline-block;min-width:46px;text-align:center;padding:1px 8px;"
"border-radius:3px;font-weight:700;font-size:12px;color:#fff;background:#9a9a9f}\n"
".badge.pass{background:#1e7b34}.badge.fail{background:#c4261d}\n"
"tr.fail td{background:#fdeceb}.bad{color:#c4261d;font-weight:600}\n"
".charts{display:flex;flex-wrap:wrap;gap:12px 24px;align-items:flex-start}\n"
".ctitle{font-size:13px;font-weight:600;color:#333;margin:0 0 2px}\n"
"svg{display:block;overflow:visible}\n"
"svg:not(.wf) text{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:11px;fill:#333}\n"
"svg .axis line{stroke:#e4e4e8}svg .axis text{fill:#666}\n"
"svg text.ops{fill:#77777c}svg text.one{font-style:italic}svg text.lat{font-weight:600}\n"
"svg .pmark line{stroke:#222;stroke-dasharray:3 2}svg .pmark text{font-weight:600}\n"
"svg .series .ln{stroke-width:2}svg .series .err{stroke-width:1.3}\n"
"svg .series circle{stroke:#fff;stroke-width:1}\n"
"svg .ref{stroke:#888;stroke-dasharray:4 3}svg .reftext{fill:#888}\n"
"svg rect.seg:hover,svg rect.bin:hover,svg circle:hover{stroke:#000;stroke-width:1}\n"
"svg .latmark{stroke:#000;stroke-width:2}\n"
".legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;color:#444;"
"margin:3px 0 0;max-width:840px}\n"
"h2+.note+.legend,h2+.note+.legend+.legend{max-width:none}.legend b{font-weight:600}\n"
".legend i{display:inline-block;width:11px;height:11px;margin-right:5px;"
"vertical-align:-1px;border-radius:2px}\n"
".legend i.strip{height:3px;vertical-align:3px}\n"
".note{color:#6b6b70;font-size:12.5px}\n"
".scenario{border-top:1px solid #e4e4e8;margin-top:18px}\n"
".links{font-size:13px;margin:4px 0 0}.links a{margin-right:12px}\n"
"dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;font-size:13px;"
"margin:0}\n"
"dt{color:#6b6b70}dd{margin:0;font-variant-numeric:tabular-nums}\n"
"code{font-size:12.5px;background:#f2f2f4;padding:1px 4px;border-radius:3px}\n"
"button{font:inherit;font-size:12.5px;padding:3px 10px;border:1px solid #bbb;"
"border-radius:4px;background:#f7f7f9;cursor:pointer}\n"
"#tip{position:fixed;pointer-events:none;background:#222;color:#fff;padding:5px 8px;"
"border-radius:4px;font-size:12px;max-width:440px;display:none;z-index:9}\n"
"body.abs .bd-share{display:none}body:not(.abs) .bd-abs{display:none}\n"
"footer{margin:36px 0 24px;color:#8a8a90;font-size:12px}\n"
".whys{border-top:1px solid #e4e4e8;margin-top:18px}\n"
"svg rect.wseg{stroke:#fff;stroke-width:.5}svg rect.wseg:hover{stroke:#000;stroke-width:1}\n"
"table.whywords{margin:6px 0 0;max-width:840px}table.whywords td.w{color:#333}\n"
".wfg{margin:14px 0 0}svg.wf{width:100%;max-width:640px;height:auto;"
"border:1px solid #e4e4e8}\n"
"svg.spark .warm{fill:#ececef}svg.spark .sl{stroke-width:1.4}"
"svg.spark .steady{stroke-dasharray:2 2}\n"
"td .badge{min-width:0;padding:0 5px;font-size:10.5px;margin-left:4px}\n"
"table.stages{margin:4px 0 4px}table.xm td.w{color:#1d1d1f}\n";

/* Titles become a quick tooltip; the bars' scale toggles. No script: titles still show. */
static const char page_js[] =
"(function(){var tip=document.getElementById('tip');\n"
"document.querySelectorAll('svg title').forEach(function(t){var p=t.parentNode;"
"p.setAttribute('data-tip',t.textContent);p.removeChild(t);});\n"
"document.addEventListener('mousemove',function(e){var n=e.target.closest?"
"e.target.closest('[data-tip]'):null;if(!n){tip.style.display='none';return;}\n"
"tip.textContent=n.getAttribute('data-tip');tip.style.display='block';"
"var x=e.clientX+14,y=e.clientY+14;\n"
"if(x+tip.offsetWidth>innerWidth-8)x=e.clientX-tip.offsetWidth-10;"
"if(y+tip.offsetHeight>innerHeight-8)y=e.clientY-tip.offsetHeight-10;"
"tip.style.left=x+'px';tip.style.top=y+'px';});\n"
"var b=document.getElementById('abs');if(b){b.hidden=false;"
"b.addEventListener('click',function(){var on=document.body.classList.toggle('abs');"
"b.textContent=on?'Bars: shares of each row\\u2019s latency':"
"'Bars: absolute time (one scale per chart)';});}})();\n";

static void page_head(const struct report *r, FILE *f)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", f);
	html_escf(f, "opscope: suite %s, %s", r->suite_name, r->created);
	fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n<div id=\"tip\"></div>\n",
		page_css);
}

static bool page_has_leaks(const struct report *r)
{
	for (int i = 0; i < r->nscen; i++)
		if (r->scen[i].leaks.rounds > 0)
			return true;
	return false;
}

static bool page_has_xmetrics(const struct report *r)
{
	for (int i = 0; i < r->nscen; i++)
		for (int j = 0; j < r->scen[i].nmetrics; j++)
			if (r->scen[i].metrics[j].workload && r->scen[i].metrics[j].n)
				return true;
	return false;
}

static void page_header(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;
	char d[24], w[24], mem[24];

	html_ns((double)r->settings.duration_ns, d, sizeof(d));
	html_ns((double)r->settings.warmup_ns, w, sizeof(w));
	fmt_bytes((double)e->mem_total, mem, sizeof(mem));
	fputs("<header><div class=\"in\"><h1>", f);
	html_escf(f, "opscope run · suite %s", r->suite_name);
	fputs("</h1><div class=\"facts\">", f);
	html_escf(f, "%s · host %s · kernel %s · %d CPU%s (%s) · %s RAM", r->created,
		  e->hostname, e->kernel_release, e->online_cpus, e->online_cpus == 1 ? "" : "s",
		  e->cpu_model, mem);
	fputs("<br>", f);
	html_escf(f, "%d scenario%s · %d rep%s of %s after %s warm-up%s · %.1f s", r->nscen,
		  r->nscen == 1 ? "" : "s", r->settings.reps, r->settings.reps == 1 ? "" : "s", d,
		  w, r->kernel ? "" : " · no kernel breakdown (--no-kernel)", r->elapsed_s);
	fputs("</div><div class=\"chips\">", f);
	fprintf(f, "<span class=\"chip%s\">%d scenario%s failed</span>",
		r->scenarios_failed ? " fail" : " pass", r->scenarios_failed,
		r->scenarios_failed == 1 ? "" : "s");
	fprintf(f, "<span class=\"chip%s\">%d target%s failed</span>",
		r->targets_failed ? " fail" : " pass", r->targets_failed,
		r->targets_failed == 1 ? "" : "s");
	if (r->interrupted)
		fputs("<span class=\"chip fail\">interrupted</span>", f);
	if (r->quick)
		fputs("<span class=\"chip\">--quick: a smoke run</span>", f);
	fputs("</div></div></header>\n<nav><div class=\"in\"><a href=\"#targets\">Targets</a>"
	      "<a href=\"#sweeps\">Sweeps</a><a href=\"#latency\">Latency</a>"
	      "<a href=\"#scenarios\">Breakdown &amp; distributions</a>", f);
	if (r->why)
		fputs("<a href=\"#why\">Why it waited</a>", f);
	fputs("<a href=\"#resources\">Resources</a><a href=\"#runs\">Runs &amp; stability</a>",
	      f);
	if (page_has_leaks(r))
		fputs("<a href=\"#leaks\">Leaks</a>", f);
	if (page_has_xmetrics(r))
		fputs("<a href=\"#xmetrics\">Workload metrics</a>", f);
	fputs("<a href=\"#files\">Flame graphs &amp; trace</a>"
	      "<a href=\"#env\">Environment &amp; losses</a></div></nav>\n"
	      "<main class=\"in\">\n", f);
}

/* ---------------------------------------------------------------- tables */

static void section_targets(const struct report *r, FILE *f)
{
	int n = 0;

	fputs("<h2 id=\"targets\">Targets</h2>\n<table><tr><th>Target</th><th>Condition</th>"
	      "<th class=\"n\">Value</th><th>Result</th><th>Scenario (the worst it applies to)"
	      "</th><th>What it checks</th></tr>\n", f);
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		const char *cls = t->status == TGT_PASS ? "pass" : t->status == TGT_FAIL ?
				  "fail" : "na";
		char cond[32], v[24];

		if (!t->enabled)
			continue;
		n++;
		target_condition(t, cond, sizeof(cond));
		micro(cond, sizeof(cond));
		if (t->scenario >= 0)
			target_format_value(t, t->value, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "-");
		micro(v, sizeof(v));
		fprintf(f, "<tr%s><td>", t->status == TGT_FAIL ? " class=\"fail\"" : "");
		html_esc(f, t->name);
		fputs("</td><td>", f);
		html_esc(f, cond);
		fputs("</td><td class=\"n\">", f);
		html_esc(f, v);
		fprintf(f, "</td><td><span class=\"badge %s\">%s</span></td><td>", cls,
			t->status == TGT_PASS ? "PASS" : t->status == TGT_FAIL ? "FAIL" : "n/a");
		if (t->scenario >= 0) {
			fprintf(f, "<a href=\"#s-%d\">", t->scenario);
			html_esc(f, r->scen[t->scenario].sc.id);
			fputs("</a>", f);
		} else {
			fputs("<span class=\"note\">no such scenario in this run</span>", f);
		}
		if (t->op_found[0] && strchr(t->op_glob, '*')) {
			fputs(" (", f);
			html_esc(f, t->op_found);
			fputs(")", f);
		}
		fputs("</td><td class=\"w\">", f);
		html_esc(f, t->desc[0] ? t->desc : t->spec);
		if (t->desc[0]) {
			fputs(": <code>", f);
			html_esc(f, t->spec);
			fputs("</code>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (!n)
		fputs("<p class=\"note\">All targets are off.</p>\n", f);
}

static void td_text(FILE *f, const char *v)
{
	fputs("<td class=\"n\">", f);
	html_esc(f, v);
	fputs("</td>", f);
}

/* The scenario's cell: its id (a link to its charts), spanning its op kinds' rows. */
static void scen_cell(FILE *f, const struct scen_result *s, int i, int rows)
{
	fprintf(f, "<td class=\"sc\" rowspan=\"%d\"><a href=\"#s-%d\">", rows, i);
	html_esc(f, s->sc.id);
	fputs("</a>", f);
	if (s->status != SCEN_OK)
		fprintf(f, " <span class=\"badge fail\">%s</span>", scen_status_name(s->status));
	fputs("</td>", f);
}

/* The log scale shared by the latency table's tail strips: fastest p50 to slowest max. */
static void tail_scale(const struct report *r, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = 0;
	for (int i = 0; i < r->nscen; i++)
		for (int k = 0; k < r->scen[i].nkinds; k++) {
			const struct op_summary *p = &r->scen[i].sum[k];

			if (!p->count)
				continue;
			*lo = fmin(*lo, (double)(p->p50 ? p->p50 : 1));
			*hi = fmax(*hi, (double)p->max);
		}
}

static void latency_row(FILE *f, const struct scen_result *s, int k, double lo, double hi)
{
	const struct op_summary *p = &s->sum[k];
	const struct metric *tp = metric_find(s, s->kind_name[k], "throughput");
	double v[6] = { p->mean, (double)p->p50, (double)p->p95, (double)p->p99, (double)p->p999,
			(double)p->max };
	double errs = p->count + p->errors ?
		100.0 * (double)p->errors / (double)(p->count + p->errors) : 0;
	char t[24];

	fputs("<td>", f);
	html_esc(f, s->kind_name[k]);
	fputs("</td>", f);
	fmt_num(tp && tp->n ? tp->mean : NAN, t, sizeof(t));
	td_text(f, t);
	if (tp && tp->n > 1)
		snprintf(t, sizeof(t), "%.1f%%", 100 * tp->cv);
	else
		snprintf(t, sizeof(t), "-");
	td_text(f, t);
	for (int j = 0; j < 6; j++) {
		html_ns(p->count ? v[j] : NAN, t, sizeof(t));
		td_text(f, t);
	}
	snprintf(t, sizeof(t), errs > 0 && errs < 0.1 ? "%.2f" : "%.1f", errs);
	td_text(f, t);
	fputs("<td class=\"strip\">", f);
	if (p->count)
		chart_tail_strip(f, p, lo, hi);
	fputs("</td></tr>\n", f);
}

static void section_latency(const struct report *r, FILE *f)
{
	static const char *const head[] = { "ops/s", "CV", "mean", "p50", "p95", "p99", "p99.9",
					    "max", "err%" };
	char a[24], b[24];
	double lo, hi;

	tail_scale(r, &lo, &hi);
	html_ns(lo, a, sizeof(a));
	html_ns(hi, b, sizeof(b));
	fputs("<h2 id=\"latency\">Throughput and latency</h2>\n<p class=\"note\">Percentiles over"
	      " all repetitions; CV: of throughput across repetitions. The strip draws p50 (dot) to"
	      " max on one log scale for the whole table, coloured by band as in the histograms."
	      "</p>\n<table><tr><th>Scenario</th><th>Op</th>", f);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(f, "<th class=\"n\">%s</th>", head[i]);
	fprintf(f, "<th>p50 → max, log scale %s to %s</th></tr>\n", a, b);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		fputs("<tr>", f);
		scen_cell(f, s, i, s->nkinds ? s->nkinds : 1);
		if (!s->nkinds)
			fputs("<td colspan=\"11\" class=\"note\">no operations</td></tr>\n", f);
		for (int k = 0; k < s->nkinds; k++) {
			if (k)
				fputs("<tr>", f);
			latency_row(f, s, k, lo, hi);
		}
	}
	fputs("</table>\n", f);
}

static void section_resources(const struct report *r, FILE *f)
{
	static const char *const head[] = { "RSS peak", "RSS steady", "B/op", "allocs/op",
					    "faults/op", "map B/op", "threads", "occupancy", "CPU",
					    "scaling" };

	fputs("<h2 id=\"resources\">Resources</h2>\n<p class=\"note\">Means over repetitions; per "
	      "op of the first op kind; CPU: the process's CPU time over the wall time and the "
	      "CPUs; scaling: efficiency against the 1-worker point of the same sweep.</p>\n"
	      "<table><tr><th>Scenario</th>", f);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		fprintf(f, "<th class=\"n\">%s</th>", head[i]);
	fputs("</tr>\n", f);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		char c[10][24];
		double v;

		fmt_bytes(metric_mean(s, "", "rss_peak_bytes", &v) ? v : NAN, c[0], 24);
		fmt_bytes(metric_mean(s, "", "rss_steady_bytes", &v) ? v : NAN, c[1], 24);
		fmt_bytes(metric_mean(s, "", "bytes_per_op", &v) ? v : NAN, c[2], 24);
		fmt_num(metric_mean(s, "", "allocs_per_op", &v) ? v : NAN, c[3], 24);
		fmt_num(metric_mean(s, "", "faults_per_op", &v) ? v : NAN, c[4], 24);
		fmt_bytes(metric_mean(s, "", "map_bytes_per_op", &v) ? v : NAN, c[5], 24);
		/* v is read after metric_mean() wrote it: never in one argument list */
		if (metric_mean(s, "", "threads", &v))
			snprintf(c[6], 24, "%.0f", v);
		else
			snprintf(c[6], 24, "-");
		if (metric_mean(s, "", "occupancy", &v))
			snprintf(c[7], 24, "%.2f", v);
		else
			snprintf(c[7], 24, "-");
		if (metric_mean(s, "", "cpu_util", &v))
			snprintf(c[8], 24, "%.0f%%", 100 * v);
		else
			snprintf(c[8], 24, "-");
		if (s->has_scaling && isfinite(s->scale_eff))
			snprintf(c[9], 24, "%.2f", s->scale_eff);
		else
			snprintf(c[9], 24, "-");
		fprintf(f, "<tr><td><a href=\"#s-%d\">", i);
		html_esc(f, s->sc.id);
		fputs("</a></td>", f);
		for (int j = 0; j < 10; j++)
			td_text(f, c[j]);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* ---------------------------------------------------------------- links */

static const char *const stack_types[][2] = {
	{ "wall", "wall clock" }, { "oncpu", "on-CPU" }, { "offcpu", "off-CPU" },
	{ "runq", "run queue" }, { "waker", "wakers" }, { "faults", "page faults" },
};
#define NSTACK_TYPES (sizeof(stack_types) / sizeof(stack_types[0]))

/* "stacks/<scenario>/NAME" as written by stacks/profile.c (scenario_dir: '/' -> '_'). */
static void stack_path(const struct scen_result *s, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "stacks/%s", s->sc.id);

	for (int i = 7; i < n && (size_t)i < len; i++)
		if (buf[i] == '/')
			buf[i] = '_';
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "/%s", name);
}

bool html_file_in(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if (!dir || snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Links to op kind k's flame graphs in dir; returns how many (f NULL: only counts). */
static int stack_links(FILE *f, const struct scen_result *s, int k, const char *dir)
{
	char name[KIND_NAME_MAX + 16], rel[SCEN_ID_MAX + 96];
	int n = 0;

	for (size_t t = 0; t < NSTACK_TYPES; t++) {
		snprintf(name, sizeof(name), "%s.%s.svg", s->kind_name[k], stack_types[t][0]);
		stack_path(s, name, rel, sizeof(rel));
		if (!html_file_in(dir, rel))
			continue;
		n++;
		if (!f)
			continue;
		fputs("<a href=\"", f);
		html_href(f, rel);
		fprintf(f, "\">%s</a>", stack_types[t][1]);
	}
	return n;
}

/* The scenario's pprof files in dir (stacks/profile.c: one per kind of stack). */
static void pprof_links(FILE *f, const struct scen_result *s, const char *dir)
{
	static const char *const pp[][2] = {
		{ "profile.pb.gz", "on-CPU" }, { "offcpu.pb.gz", "off-CPU" },
		{ "runq.pb.gz", "run queue" }, { "waker.pb.gz", "wakers" },
		{ "faults.pb.gz", "faults" },
	};
	char rel[SCEN_ID_MAX + 96];

	for (size_t i = 0; i < sizeof(pp) / sizeof(pp[0]); i++) {
		stack_path(s, pp[i][0], rel, sizeof(rel));
		if (!html_file_in(dir, rel))
			continue;
		fputs("<a href=\"", f);
		html_href(f, rel);
		fprintf(f, "\" title=\"%s\">%s</a> ", pp[i][0], pp[i][1]);
	}
}

static void section_files(const struct report *r, const char *dir, FILE *f)
{
	int graphs = 0;

	for (int i = 0; i < r->nscen; i++)
		for (int k = 0; k < r->scen[i].nkinds; k++)
			graphs += stack_links(NULL, &r->scen[i], k, dir);
	fputs("<h2 id=\"files\">Flame graphs and trace</h2>\n", f);
	if (html_file_in(dir, "trace.json"))
		fputs("<p><a href=\"trace.json\">trace.json</a>: the slowest operations' timelines "
		      "with their off-CPU intervals. Open it in ui.perfetto.dev (Open trace file: "
		      "it is read in the browser, not uploaded) or chrome://tracing.</p>\n", f);
	else
		fputs("<p class=\"note\">No trace.json in this directory.</p>\n", f);
	if (!graphs) {
		fputs("<p class=\"note\">No flame graphs: run with --stacks to have them.</p>\n",
		      f);
		return;
	}
	fputs("<table><tr><th>Scenario</th><th>pprof (all op kinds)</th><th>Op</th><th>Flame "
	      "graphs (SVG: click to zoom, search)</th></tr>\n", f);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		int rows = 0, row = 0;

		for (int k = 0; k < s->nkinds; k++)
			rows += stack_links(NULL, s, k, dir) > 0;
		if (!rows)
			continue;
		for (int k = 0; k < s->nkinds; k++) {
			if (!stack_links(NULL, s, k, dir))
				continue;
			fputs("<tr>", f);
			if (!row++) {
				scen_cell(f, s, i, rows);
				fprintf(f, "<td class=\"sc links\" rowspan=\"%d\">", rows);
				pprof_links(f, s, dir);
				fputs("</td>", f);
			}
			fputs("<td>", f);
			html_esc(f, s->kind_name[k]);
			fputs("</td><td class=\"links\">", f);
			stack_links(f, s, k, dir);
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

/* ---------------------------------------------------------------- per scenario */

static void scen_params(FILE *f, const struct scen_result *s)
{
	const struct workload *wl = s->sc.wl;
	char v[64];

	fputs("<span class=\"sub\">", f);
	html_esc(f, wl->name);
	for (int i = 0; wl->params[i].name; i++) {
		param_format_value(&wl->params[i], s->sc.cfg.iv[i], s->sc.cfg.fv[i], v, sizeof(v));
		html_escf(f, " · %s=%s", wl->params[i].name, v);
	}
	fputs("</span>", f);
}

static void section_scenarios(const struct report *r, const char *dir, FILE *f)
{
	fputs("<h2 id=\"scenarios\">Where the time goes, and the latency distributions</h2>\n", f);
	if (r->kernel) {
		fputs("<p class=\"note\">Per op kind, stacked bars of what the kernel did during "
		      "one real p50 operation, the mean operation of each latency band and one "
		      "real p99 operation (rows in order of latency; hover for the ns). The bands' "
		      "colours mark the same ranges in the histogram beside. "
		      "<button id=\"abs\" hidden>Bars: absolute time (one scale per chart)"
		      "</button></p>\n", f);
		chart_breakdown_legend(f);
	} else {
		fputs("<p class=\"note\">Run without the kernel collector (--no-kernel): latency "
		      "distributions only.</p>\n", f);
	}
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		fprintf(f, "<section class=\"scenario\" id=\"s-%d\"><h3>", i);
		html_esc(f, s->sc.id);
		if (s->status != SCEN_OK)
			fprintf(f, " <span class=\"badge fail\">%s</span>",
				scen_status_name(s->status));
		fputs(" ", f);
		scen_params(f, s);
		fputs("</h3>\n", f);
		if (s->status != SCEN_OK) {
			fputs("<p class=\"bad\">", f);
			html_esc(f, s->error[0] ? s->error : "not completed");
			fputs("</p>\n", f);
		}
		if (r->kernel && s->kernel_note) {
			fputs("<p class=\"note\">Kernel breakdown ", f);
			html_esc(f, s->kernel_note);
			fputs(".</p>\n", f);
		}
		for (int k = 0; k < s->nkinds; k++) {
			fputs("<div class=\"charts\">", f);
			if (r->kernel && !s->kernel_note)
				chart_breakdown(f, s, k);
			chart_latency(f, s, k);
			fputs("</div>\n", f);
			if (stack_links(NULL, s, k, dir)) {
				fputs("<div class=\"links\">Flame graphs of ", f);
				html_esc(f, s->kind_name[k]);
				fputs(": ", f);
				stack_links(f, s, k, dir);
				fputs("</div>\n", f);
			}
		}
		if (html_why_link(r, s))
			fprintf(f, "<div class=\"links\"><a href=\"#w-%d\">Why it waited</a>: the "
				"queued and blocked time of each band split, and the wait-for graph"
				"</div>\n", i);
		fputs("</section>\n", f);
	}
}

/* ---------------------------------------------------------------- the page */

int report_write_html(const struct report *r, const char *dir, FILE *f)
{
	int sweeps;

	page_head(r, f);
	page_header(r, f);
	section_targets(r, f);
	fputs("<h2 id=\"sweeps\">Sweeps</h2>\n", f);
	sweeps = chart_sweeps(f, r);
	if (sweeps < 0)
		return sweeps;
	if (!sweeps)
		fputs("<p class=\"note\">No sweeps in this run: a sweep is a group of scenarios "
		      "that differ in one parameter (workers, capacity, streams...).</p>\n", f);
	section_latency(r, f);
	section_scenarios(r, dir, f);
	if (r->why)
		html_section_why(r, dir, f);
	section_resources(r, f);
	html_section_runs(r, f);
	html_section_leaks(r, f);
	html_section_xmetrics(r, f);
	section_files(r, dir, f);
	html_section_env(r, f);
	fputs("</div>\n<footer>", f);
	html_escf(f, "Written by opscope %s from the same result as report.json and report.txt."
		  " Self-contained: no part of this page is fetched from anywhere.",
		  OPSCOPE_VERSION);
	fprintf(f, "</footer></main>\n<script>\n%s</script>\n</body></html>\n", page_js);
	return ferror(f) ? -EIO : 0;
}

int report_write_html_dir(const struct report *r, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct afile a;
	int rc;

	if (snprintf(path, sizeof(path), "%s/report.html", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s/report.html: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	/* written whole or not at all, never through a link (util/files.h) */
	rc = afile_open(&a, path, err, errlen);
	if (rc)
		return rc;
	return afile_commit(&a, report_write_html(r, dir, a.f), err, errlen);
}
