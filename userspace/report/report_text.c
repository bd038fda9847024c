// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* report.txt: the tables a person reads, 100 columns (the same text is printed on stdout). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "report/report.h"
#include "stats/waitfor.h"
#include "util/fmt.h"
#include "workloads/plugins.h"

/* Columns of a line: UTF-8 continuation bytes take none. */
static size_t columns(const char *s, size_t *cut_at, size_t width)
{
	size_t cols = 0, i;

	*cut_at = strlen(s);
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (cols == width)
			*cut_at = i;
		cols++;
	}
	return cols;
}

/* Print one line, cut to REPORT_WIDTH columns. */
__attribute__((format(printf, 2, 3)))
static void out_line(FILE *f, const char *fmt, ...)
{
	char buf[1024];
	size_t cut;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* trailing blanks are noise in a table */
	for (size_t n = strlen(buf); n && buf[n - 1] == ' '; n--)
		buf[n - 1] = '\0';
	if (columns(buf, &cut, REPORT_WIDTH) > REPORT_WIDTH)
		buf[cut] = '\0';
	fprintf(f, "%s\n", buf);
}

/* Print text wrapped at spaces to REPORT_WIDTH columns, continuation lines indented. */
static void out_wrapped(FILE *f, const char *text, int indent)
{
	const char *p = text;
	int first = 1;

	while (*p) {
		int avail = REPORT_WIDTH - (first ? 0 : indent);
		int n = (int)strlen(p), cut = n;

		if (n > avail) {
			cut = avail;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = avail;
		}
		out_line(f, "%*s%.*s", first ? 0 : indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		first = 0;
	}
}


/* Text wrapped at spaces, every line indented by indent columns. */
static void out_wrapped_indent(FILE *f, const char *text, int indent)
{
	const char *p = text;

	while (*p) {
		int avail = REPORT_WIDTH - indent, n = (int)strlen(p), cut = n;

		if (n > avail) {
			cut = avail;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = avail;
		}
		out_line(f, "%*s%.*s", indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* What opscope's programs cost, from the kernel's BPF stats (run --bpf-stats). */
static void text_prog_cost(const struct report *r, FILE *f)
{
	uint64_t total = 0;
	char line[128];
	int len = 0;

	for (int i = 0; i < r->coll.nprogs; i++)
		total += r->coll.progs[i].run_ns;
	/* 100 columns even for a day-long run on 999 CPUs; then ns per run of each */
	out_line(f, "cost: opscope's BPF programs ran %.1f ms in %.1f s, %.2f%% of %d CPU%s "
		 "(BPF stats)", total / 1e6, r->elapsed_s,
		 r->elapsed_s > 0 && r->env.online_cpus > 0 ?
		 100.0 * (double)total / (r->elapsed_s * 1e9 * r->env.online_cpus) : 0.0,
		 r->env.online_cpus, r->env.online_cpus == 1 ? "" : "s");
	for (int i = 0; i < r->coll.nprogs; i++) {
		const char *name = r->coll.progs[i].name;
		char item[64];
		int n;

		if (!r->coll.progs[i].runs)
			continue;
		if (!strncmp(name, "handle_", 7))
			name += 7;
		n = snprintf(item, sizeof(item), "  %s %.0f ns x %" PRIu64, name,
			     (double)r->coll.progs[i].run_ns / (double)r->coll.progs[i].runs,
			     r->coll.progs[i].runs);
		if (len && len + n > 96) {
			out_line(f, "%s", line);
			len = 0;
		}
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%s", item);
	}
	if (len)
		out_line(f, "%s", line);
}

/* "name N, name N" of the non-zero counters, or "none". */
static void counters_line(char *buf, size_t len, int n, const char *const *names,
			  const uint64_t *v)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		if (v[i])
			o += (size_t)snprintf(buf + o, len - o, "%s%s %" PRIu64, o ? ", " : "",
					      names[i], v[i]);
	if (!o)
		snprintf(buf, len, "none");
}

/* opscope record of a marked program: its attach, what it marked, what went wrong. */
static void text_marks(const struct report *r, FILE *f)
{
	const struct report_marks *m = &r->marks;
	const char *names[REPORT_MARK_COUNTERS];
	uint64_t v[REPORT_MARK_COUNTERS];
	char line[600];

	char text[700];

	snprintf(text, sizeof(text), "marks: %s (pid %d), attached in %.1f ms; %" PRIu64 " ops; "
		 "%" PRIu64 " dropped (ring full), %" PRIu64 " still open at the end%s",
		 m->program, m->pid, m->attach_ms, m->ops, m->dropped, m->open,
		 m->bad_records ? ", bad records skipped" : "");
	out_wrapped(f, text, 4);
	for (int i = 0; i < m->nmisuse; i++) {
		names[i] = m->misuse[i].name;
		v[i] = m->misuse[i].n;
	}
	counters_line(line, sizeof(line), m->nmisuse, names, v);
	snprintf(text, sizeof(text), "misuse: %s", line);
	out_wrapped(f, text, 4);
	for (int i = 0; i < m->nloss; i++) {
		names[i] = m->loss[i].name;
		v[i] = m->loss[i].n;
	}
	counters_line(line, sizeof(line), m->nloss, names, v);
	snprintf(text, sizeof(text), "not recorded: %s", line);
	out_wrapped(f, text, 4);
}

/* The user stacks' completeness and the cost and losses of copying them. */
static void text_user_stacks(const struct report *r, FILE *f)
{
	const struct report_collector *c = &r->coll;
	char text[600];

	out_line(f, "user stacks: %" PRIu64 " of %" PRIu64 " (%.1f%%) reach a root frame "
		 "(_start, main, a thread's start)", c->rooted_stacks, c->user_stacks,
		 c->user_stacks ? 100.0 * c->rooted_stacks / c->user_stacks : 0.0);
	if (!c->ustack_copies && !c->ustack_lost && !c->ustack_throttled && !c->tw_throttled)
		return;
	snprintf(text, sizeof(text), "user stack copies: %" PRIu64 ", %.0f bytes each, unwound "
		 "in %.1f us each; %" PRIu64 " past the copy rate walked by frame pointers; "
		 "lost: %" PRIu64 " copies and %" PRIu64 " counts (ring full), %" PRIu64
		 " dropped (queue full), %" PRIu64 " counts without their copy, %" PRIu64
		 " off-CPU intervals past the task-work rate", c->ustack_copies,
		 c->ustack_copies ? (double)c->ustack_bytes / c->ustack_copies : 0.0,
		 c->ustack_copies ? 1e3 * c->unwind_ms / c->ustack_copies : 0.0,
		 c->ustack_throttled, c->ustack_lost, c->ucount_lost, c->urec_dropped,
		 c->copies_missing, c->tw_throttled);
	out_wrapped(f, text, 4);
}

static void text_header(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;
	char w[32], d[48], mem[32], n[16], line[4400];

	fmt_ns((double)r->settings.warmup_ns, w, sizeof(w));
	fmt_ns((double)r->settings.duration_ns, d, sizeof(d));
	fmt_num((double)r->settings.max_ops, n, sizeof(n));
	/* a max_ops run without a duration runs until its count (or its timeout) */
	if (r->settings.max_ops > 0 && r->settings.duration_ns == 0)
		snprintf(d, sizeof(d), "%s ops", n);
	else if (r->settings.max_ops > 0)
		snprintf(d + strlen(d), sizeof(d) - strlen(d), " or %s ops", n);
	fmt_bytes((double)e->mem_total, mem, sizeof(mem));
	out_line(f, "opscope %s: suite %s, %d scenario%s, %d rep%s of %s after %s warm-up%s",
		 OPSCOPE_VERSION, r->suite_name, r->nscen, r->nscen == 1 ? "" : "s",
		 r->settings.reps, r->settings.reps == 1 ? "" : "s", d, w,
		 r->kernel ? "" : ", no kernel breakdown");
	out_line(f, "host %s, kernel %s, %d CPU%s (%s), governor %s, %s RAM", e->hostname,
		 e->kernel_release, e->online_cpus, e->online_cpus == 1 ? "" : "s", e->cpu_model,
		 e->governor, mem);
	for (int i = 0; plugins_describe(i, line, sizeof(line)) == 0; i++)
		out_wrapped(f, line, 4);
	if (!r->kernel || !r->have_collector)
		return;
	out_line(f, "collector: %" PRIu64 " thread slots, %" PRIu64 " late threads "
		 "(counted from first sight), loaded in %.0f ms", r->coll.slots_used,
		 r->coll.late_threads, r->coll.load_ms);
	out_line(f, "lost: %" PRIu64 " threads w/o slot, %" PRIu64 " tid map full, %"
		 PRIu64 " skipped runs; %" PRIu64 " unseen switches repaired",
		 r->coll.slots_full, r->coll.tid_map_full, r->coll.prog_misses,
		 r->coll.missed_switches);
	if (r->coll.stacks) {
		out_line(f, "stacks: %" PRIu64 " samples; lost: %" PRIu64 " failed walks, %" PRIu64
			 " table full, %" PRIu64 " counts full, %" PRIu64 " gone", r->coll.samples,
			 r->coll.stack_fail, r->coll.stacks_full,
			 r->coll.keys_full, r->coll.missing_stacks);
		out_line(f, "stacks lost: %" PRIu64 " of %" PRIu64 " user stacks cut at a frame "
			 "outside executable code (%" PRIu64 " frames dropped)", r->coll.cut_stacks,
			 r->coll.user_stacks, r->coll.cut_frames);
		text_user_stacks(r, f);
	}
	if (r->coll.bpf_stats)
		text_prog_cost(r, f);
	if (r->have_marks)
		text_marks(r, f);
}

#define T1_FMT "%-28s %9s %6s %7s %7s %7s %7s %7s %7s %6s"

static void text_latency(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Throughput and latency (percentiles over all repetitions; CV: of throughput "
		 "across repetitions)");
	out_line(f, T1_FMT, "SCENARIO / OP", "OPS/S", "CV", "MEAN", "P50", "P95", "P99",
		 "P99.9", "MAX", "ERR%");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		if (s->status == SCEN_OK)
			out_line(f, "%s", s->sc.id);
		else
			out_line(f, "%s  [%s]", s->sc.id, scen_status_name(s->status));
		for (int k = 0; k < s->nkinds; k++) {
			const struct op_summary *p = &s->sum[k];
			const struct metric *tp = metric_find(s, s->kind_name[k], "throughput");
			char op[40], t[16], cv[16], lat[6][16], err[16];
			double errs = p->count + p->errors ?
				100.0 * (double)p->errors / (double)(p->count + p->errors) : 0;

			snprintf(op, sizeof(op), "  %s", s->kind_name[k]);
			fmt_num(tp && tp->n ? tp->mean : NAN, t, sizeof(t));
			if (tp && tp->n > 1)
				snprintf(cv, sizeof(cv), "%.1f%%", 100 * tp->cv);
			else
				snprintf(cv, sizeof(cv), "-");
			fmt_ns(p->count ? p->mean : NAN, lat[0], sizeof(lat[0]));
			fmt_ns(p->count ? (double)p->p50 : NAN, lat[1], sizeof(lat[1]));
			fmt_ns(p->count ? (double)p->p95 : NAN, lat[2], sizeof(lat[2]));
			fmt_ns(p->count ? (double)p->p99 : NAN, lat[3], sizeof(lat[3]));
			fmt_ns(p->count ? (double)p->p999 : NAN, lat[4], sizeof(lat[4]));
			fmt_ns(p->count ? (double)p->max : NAN, lat[5], sizeof(lat[5]));
			snprintf(err, sizeof(err), errs > 0 && errs < 0.1 ? "%.2f" : "%.1f", errs);
			out_line(f, T1_FMT, op, t, cv, lat[0], lat[1], lat[2], lat[3], lat[4],
				 lat[5], err);
		}
	}
}

#define T2_FMT "%-28s %7s %7s %7s %7s %6s %7s %4s %5s %5s %5s"

static void text_resources(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Resources (means over repetitions; per op of the first op kind; CPU%%: "
		 "process CPU / wall / CPUs)");
	out_line(f, T2_FMT, "SCENARIO", "RSS-PK", "RSS-STD", "B/OP", "ALLC/OP", "FLT/OP",
		 "MAPB/OP", "THR", "OCC", "CPU%", "SCALE");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		char c[10][16];
		double v;

		fmt_bytes(metric_mean(s, "", "rss_peak_bytes", &v) ? v : NAN, c[0], 16);
		fmt_bytes(metric_mean(s, "", "rss_steady_bytes", &v) ? v : NAN, c[1], 16);
		fmt_bytes(metric_mean(s, "", "bytes_per_op", &v) ? v : NAN, c[2], 16);
		fmt_num(metric_mean(s, "", "allocs_per_op", &v) ? v : NAN, c[3], 16);
		fmt_num(metric_mean(s, "", "faults_per_op", &v) ? v : NAN, c[4], 16);
		fmt_bytes(metric_mean(s, "", "map_bytes_per_op", &v) ? v : NAN, c[5], 16);
		if (metric_mean(s, "", "threads", &v))
			snprintf(c[6], 16, "%.0f", v);
		else
			snprintf(c[6], 16, "-");
		if (metric_mean(s, "", "occupancy", &v))
			snprintf(c[7], 16, "%.2f", v);
		else
			snprintf(c[7], 16, "-");
		if (metric_mean(s, "", "cpu_util", &v))
			snprintf(c[8], 16, "%.0f%%", 100 * v);
		else
			snprintf(c[8], 16, "-");
		if (s->has_scaling && isfinite(s->scale_eff))
			snprintf(c[9], 16, "%.2f", s->scale_eff);
		else
			snprintf(c[9], 16, "-");
		if (strlen(s->sc.id) > 28)
			out_line(f, "%s", s->sc.id);
		out_line(f, T2_FMT, strlen(s->sc.id) > 28 ? "" : s->sc.id, c[0], c[1], c[2], c[3],
			 c[4], c[5], c[6], c[7], c[8], c[9]);
	}
}

/* What ended the scenario's repetitions: one name, or "mixed". */
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

/* "peak/limit" of the highest peak over the repetitions, "-" when none was measured. */
static void fmt_peak(const struct scen_result *s, bool busy, char *buf, size_t len)
{
	uint64_t peak = 0, limit = 0;
	bool any = false;

	for (int i = 0; i < s->nreps; i++) {
		const struct wl_peak *p = busy ? &s->reps[i].f.busy : &s->reps[i].f.inflight;

		if (!p->peak && !p->limit)
			continue;
		any = true;
		peak = p->peak > peak ? p->peak : peak;
		limit = p->limit;
	}
	if (!any)
		snprintf(buf, len, "-");
	else if (limit)
		snprintf(buf, len, "%llu/%llu", (unsigned long long)peak,
			 (unsigned long long)limit);
	else
		snprintf(buf, len, "%llu/-", (unsigned long long)peak);
}

/* Mean recorded time per repetition. */
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

#define T5_FMT "%-28s %-9s %8s %8s %6s %8s %11s %9s"

static void text_runs(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Runs (per repetition; WIN-CV: throughput per window; STEADY: recorded time "
		 "before steady; peak/limit)");
	out_line(f, T5_FMT, "SCENARIO", "ENDED-BY", "OPS/REP", "TIME/REP", "WIN-CV", "STEADY",
		 "INFLIGHT", "BUSY");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		const struct metric *st = metric_find(s, "", "steady_ns");
		char c[6][24];
		double v;

		fmt_num(metric_mean(s, "", "ops", &v) ? v : NAN, c[0], sizeof(c[0]));
		fmt_ns(rep_secs(s) * 1e9, c[1], sizeof(c[1]));
		if (metric_mean(s, "", "window_cv", &v))
			snprintf(c[2], sizeof(c[2]), "%.1f%%", 100 * v);
		else
			snprintf(c[2], sizeof(c[2]), "-");
		/* the median: one disturbed repetition should not speak for the others */
		fmt_ns(st && st->n ? st->median : NAN, c[3], sizeof(c[3]));
		fmt_peak(s, false, c[4], sizeof(c[4]));
		fmt_peak(s, true, c[5], sizeof(c[5]));
		if (strlen(s->sc.id) > 28)
			out_line(f, "%s", s->sc.id);
		out_line(f, T5_FMT, strlen(s->sc.id) > 28 ? "" : s->sc.id, ended_by(s), c[0], c[1],
			 c[2], c[3], c[4], c[5]);
	}
}

/* "slope (lcb)" of a leak fit, "-" with fewer than three rounds. */
static void fmt_fit(const struct leak_fit *lf, bool bytes, char *buf, size_t len)
{
	char a[12], b[12];

	if (!lf->ok) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_signed(lf->slope, bytes, a, sizeof(a));
	fmt_signed(lf->lcb, bytes, b, sizeof(b));
	snprintf(buf, len, "%s (%s)", a, b);
}

#define T6_FMT "%-28s %3s %14s %14s %10s %10s %4s %4s"

static void text_leaks(const struct report *r, FILE *f)
{
	bool any = false;

	for (int i = 0; i < r->nscen; i++)
		any |= r->scen[i].leaks.rounds > 0;
	if (!any)
		return;
	fputc('\n', f);
	out_line(f, "Leaks (growth per repetition: fitted slope (95%% lower bound); FDS, THR: "
		 "left after the last one)");
	out_line(f, T6_FMT, "SCENARIO", "RND", "RSS/ROUND", "HEAP/ROUND", "FDS/ROUND",
		 "THR/ROUND", "FDS", "THR");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		const struct scen_leaks *l = &s->leaks;
		char rnd[8], c[6][32];

		if (!l->rounds)
			continue;
		snprintf(rnd, sizeof(rnd), "%d", l->rounds);
		fmt_fit(&l->rss, true, c[0], sizeof(c[0]));
		fmt_fit(&l->heap, true, c[1], sizeof(c[1]));
		fmt_fit(&l->fds, false, c[2], sizeof(c[2]));
		fmt_fit(&l->threads, false, c[3], sizeof(c[3]));
		fmt_signed(l->fds.residual, false, c[4], sizeof(c[4]));
		fmt_signed(l->threads.residual, false, c[5], sizeof(c[5]));
		if (strlen(s->sc.id) > 28)
			out_line(f, "%s", s->sc.id);
		out_line(f, T6_FMT, strlen(s->sc.id) > 28 ? "" : s->sc.id, rnd, c[0], c[1], c[2],
			 c[3], c[4], c[5]);
	}
	if (r->coll.stacks)
		out_line(f, "--stacks: the profile grows and opens binaries between repetitions: "
			 "RSS, heap, FDS not judged");
}

/* The workloads' own metrics (pipeline stages, serialization, channel bytes ...). */
static void text_xmetrics(const struct report *r, FILE *f)
{
	bool title = false;

	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		char line[2048];
		size_t off = 0;

		for (int j = 0; j < s->nmetrics && off < sizeof(line) - 64; j++) {
			const struct metric *m = &s->metrics[j];
			char v[32];

			if (!m->workload || !m->n)
				continue;
			fmt_value(v, sizeof(v), m->mean, m->unit);
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %s",
						off ? ", " : "", m->name, v);
		}
		if (!off)
			continue;
		if (!title) {
			fputc('\n', f);
			out_line(f, "Workload metrics (means over repetitions)");
			title = true;
		}
		out_line(f, "%s", s->sc.id);
		out_wrapped_indent(f, line, 2);
	}
}

#define T3_FMT "  %-8s %7s %7s %7s %7s %7s %-12s %7s %6s %5s %5s %5s"

static void text_bd_row(FILE *f, const char *label, const struct ops_bd *bd, uint64_t ops,
			double div)
{
	char c[11][24], nb[32];
	int top = -1;

	for (int i = 0; i < OPS_BD_BLK; i++)
		if (bd->blk_ns[i] && (top < 0 || bd->blk_ns[i] > bd->blk_ns[top]))
			top = i;
	fmt_num((double)ops, c[0], 24);
	if (div <= 0) {
		for (int i = 1; i < 11; i++)
			snprintf(c[i], 24, "-");
	} else {
		fmt_ns((double)bd->lat_ns / div, c[1], 24);
		fmt_ns((double)bd->on_ns / div, c[2], 24);
		fmt_ns((double)bd->runq_ns / div, c[3], 24);
		fmt_ns((double)bd->blocked_ns / div, c[4], 24);
		snprintf(c[5], 13, "%.12s", top >= 0 ? blk_name(top, nb, sizeof(nb)) : "-");
		fmt_ns((double)bd->queued_ns / div, c[6], 24);
		fmt_num((double)bd->syscalls / div, c[7], 24);
		fmt_num((double)bd->faults / div, c[8], 24);
		fmt_num((double)bd->vcsw / div, c[9], 24);
		fmt_num((double)bd->ivcsw / div, c[10], 24);
	}
	out_line(f, T3_FMT, label, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9],
		 c[10]);
}

static void text_breakdown(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Kernel breakdown per op kind: one real p50 and p99 operation, then the "
		 "mean op of each band");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++) {
			const struct op_summary *p = &s->sum[k];

			out_line(f, "%s  %s", s->sc.id, s->kind_name[k]);
			if (s->kernel_note) {
				out_line(f, "  %s", s->kernel_note);
				continue;
			}
			out_line(f, T3_FMT, "BAND", "OPS", "LAT", "ON-CPU", "RUNQ", "BLOCKED",
				 "TOP-BLOCK-IN", "QUEUED", "SYSC", "FLT", "VCS", "ICS");
			text_bd_row(f, "ex-p50", &p->ex_p50, p->ex_p50.n, p->ex_p50.n ? 1 : 0);
			text_bd_row(f, "ex-p99", &p->ex_p99, p->ex_p99.n, p->ex_p99.n ? 1 : 0);
			for (int b = 0; b < BAND_NR; b++)
				text_bd_row(f, ops_band_names[b], &p->band[b], p->band[b].n,
					    (double)p->band[b].n);
		}
	}
}

/* run --why: per op kind and band, why the mean op waited, in words. */
void report_why_text(const struct report *r, FILE *f)
{
	char line[900], words[700], t[16];

	if (!r->why)
		return;
	fputc('\n', f);
	out_wrapped(f, "Why it waited (--why): per op kind and band, the mean op's queued time by "
		    "what the threads it was queued on were doing, and its blocked time by who "
		    "ended it; which thread kinds wait on which: waitfor/<scenario>.svg", 2);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++) {
			const struct op_summary *p = &s->sum[k];
			double share = 0;
			int others = 0;
			const char *who = s->wf ? waitfor_top_waker(s->wf, s->kind[k], &share,
								    &others) : NULL;

			if (!p->wtotal.n)
				continue;
			out_line(f, "%s  %s", s->sc.id, s->kind_name[k]);
			for (int b = 0; b < BAND_NR; b++) {
				const struct ops_wbd *w = &p->wband[b];
				double n = (double)p->band[b].n;

				if (!w->n || !n)
					continue;
				if ((double)p->band[b].queued_ns / n >= 1000 &&
				    why_words_queued(w, s->queue_on[k], words, sizeof(words))) {
					fmt_ns((double)p->band[b].queued_ns / n, t, sizeof(t));
					snprintf(line, sizeof(line), "  %-8s  queued %s: %s",
						 ops_band_names[b], t, words);
					out_wrapped(f, line, 22);
				}
				if ((double)p->band[b].blocked_ns / n >= 1000 &&
				    why_words_blocked(w, who, words, sizeof(words))) {
					fmt_ns((double)p->band[b].blocked_ns / n, t, sizeof(t));
					snprintf(line, sizeof(line), "  %-8s  blocked %s: %s",
						 ops_band_names[b], t, words);
					out_wrapped(f, line, 22);
				}
			}
		}
	}
}

#define T4_FMT "%-24s %-13s %9s  %-6s %s"

static void text_targets(const struct report *r, FILE *f)
{
	int n = 0;

	for (int i = 0; i < r->ntargets; i++)
		n += r->targets[i].enabled;
	if (!n)
		return; /* record: no target applies to a program's own ops */
	fputc('\n', f);
	out_line(f, "Targets (value: the worst scenario the target applies to)");
	out_line(f, T4_FMT, "TARGET", "CONDITION", "VALUE", "RESULT", "SCENARIO");
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		char cond[48], v[16], where[SCEN_ID_MAX + 64];

		if (!t->enabled)
			continue;
		target_condition(t, cond, sizeof(cond));
		if (t->scenario >= 0)
			target_format_value(t, t->value, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "-");
		/* an op kind glob: which op kind was the worst */
		snprintf(where, sizeof(where), "%s%s%s%s", t->scenario >= 0 ?
			 r->scen[t->scenario].sc.id : "(no such scenario)",
			 t->op_found[0] && strchr(t->op_glob, '*') ? " (" : "",
			 strchr(t->op_glob, '*') ? t->op_found : "",
			 t->op_found[0] && strchr(t->op_glob, '*') ? ")" : "");
		if (strlen(t->name) > 24)
			out_line(f, "%s", t->name);
		out_line(f, T4_FMT, strlen(t->name) > 24 ? "" : t->name, cond, v,
			 t->status == TGT_PASS ? "PASS" : t->status == TGT_FAIL ? "FAIL" : "n/a",
			 where);
	}
}

int report_write_text(const struct report *r, FILE *f)
{
	char line[600];

	text_header(r, f);
	text_latency(r, f);
	text_resources(r, f);
	text_runs(r, f);
	text_leaks(r, f);
	text_xmetrics(r, f);
	if (r->kernel)
		text_breakdown(r, f);
	report_why_text(r, f);
	text_targets(r, f);
	if (r->scenarios_failed || r->interrupted) {
		fputc('\n', f);
		int skipped = 0;

		for (int i = 0; i < r->nscen; i++) {
			const struct scen_result *s = &r->scen[i];

			if (s->status == SCEN_SKIPPED)
				skipped++;
			if (s->status == SCEN_OK || s->status == SCEN_SKIPPED)
				continue;
			snprintf(line, sizeof(line), "%s %s: %s", scen_status_name(s->status),
				 s->sc.id, s->error[0] ? s->error : "not completed");
			out_wrapped(f, line, 4);
		}
		if (r->interrupted)
			out_line(f, "interrupted: %d scenario%s not run (status skipped)", skipped,
				 skipped == 1 ? "" : "s");
	}
	fputc('\n', f);
	if (r->noise.n) {
		if (r->noise.noisy)
			snprintf(line, sizeof(line), "NOISY machine during the run: %s; results "
				 "may move for reasons that are not the code's", r->noise.why);
		else
			snprintf(line, sizeof(line), "machine quiet during the run: other "
				 "processes used %.2f CPUs, %.1f tasks not ours runnable, steal %.1f%% "
				 "(medians over repetitions)", r->noise.other_cpus,
				 r->noise.other_runnable, r->noise.steal_pct);
		out_wrapped(f, line, 4);
	}
	out_line(f, "%d scenario%s, %d failed; %d target%s failed; %.1f s", r->nscen,
		 r->nscen == 1 ? "" : "s", r->scenarios_failed, r->targets_failed,
		 r->targets_failed == 1 ? "" : "s", r->elapsed_s);
	return ferror(f) ? -EIO : 0;
}

