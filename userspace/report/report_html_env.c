// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html's last section: the environment (machine, command, suite, settings, the
 * collector, the plugins loaded, a marked program's attach and counters), every loss counter with what it
 * means (red when it lost data), and with --bpf-stats what opscope's own programs cost.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "report/report_html.h"
#include "stats/waitfor.h"
#include "util/fmt.h"
#include "workloads/plugins.h"

static void dl_item(FILE *f, const char *name, const char *value)
{
	fputs("<dt>", f);
	html_esc(f, name);
	fputs("</dt><dd>", f);
	html_esc(f, value);
	fputs("</dd>\n", f);
}

/* "name N, name N" of the non-zero counters, or "none" (report.txt's words). */
static void counters(char *buf, size_t len, int n, const char *const *names, const uint64_t *v)
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

/* Each plugin loaded: its file, build and what it registers (report.txt's lines). */
static void env_plugins(FILE *f)
{
	char line[4400];

	for (int i = 0; plugins_describe(i, line, sizeof(line)) == 0; i++)
		dl_item(f, "plugins", line);
}

/* opscope record of a marked program: its attach, and what was misused or not recorded. */
static void env_marks(const struct report_marks *m, FILE *f)
{
	const char *names[REPORT_MARK_COUNTERS];
	uint64_t v[REPORT_MARK_COUNTERS];
	char b[600];

	snprintf(b, sizeof(b), "%s (pid %d), attached in %.1f ms; %" PRIu64 " ops; %" PRIu64
		 " dropped (ring full), %" PRIu64 " still open at the end%s", m->program, m->pid,
		 m->attach_ms, m->ops, m->dropped, m->open,
		 m->bad_records ? ", bad records skipped" : "");
	dl_item(f, "marks", b);
	for (int i = 0; i < m->nmisuse; i++) {
		names[i] = m->misuse[i].name;
		v[i] = m->misuse[i].n;
	}
	counters(b, sizeof(b), m->nmisuse, names, v);
	dl_item(f, "misuse", b);
	for (int i = 0; i < m->nloss; i++) {
		names[i] = m->loss[i].name;
		v[i] = m->loss[i].n;
	}
	counters(b, sizeof(b), m->nloss, names, v);
	dl_item(f, "not recorded", b);
}

static void env_facts(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;
	char b[1200];

	fputs("<h2 id=\"env\">Environment and losses</h2>\n<div class=\"charts\"><div><h3>"
	      "Environment</h3><dl>\n", f);
	dl_item(f, "host", e->hostname);
	snprintf(b, sizeof(b), "%s (%s)", e->kernel_release, e->kernel_version);
	dl_item(f, "kernel", b);
	snprintf(b, sizeof(b), "%s, %d online CPU%s, governor %s", e->cpu_model, e->online_cpus,
		 e->online_cpus == 1 ? "" : "s", e->governor);
	dl_item(f, "CPU", b);
	dl_item(f, "arch", e->arch);
	fmt_bytes((double)e->mem_total, b, sizeof(b));
	dl_item(f, "memory", b);
	dl_item(f, "opscope", OPSCOPE_VERSION);
	dl_item(f, "created", r->created);
	dl_item(f, "command", r->command);
	snprintf(b, sizeof(b), "%s%s%s", r->suite_name, r->suite_file[0] ? ", " : "",
		 r->suite_file);
	dl_item(f, "suite", b);
	{
		char w[24], d[24], t[24], m[48];

		html_ns((double)r->settings.warmup_ns, w, sizeof(w));
		html_ns((double)r->settings.duration_ns, d, sizeof(d));
		html_ns((double)r->settings.timeout_ns, t, sizeof(t));
		if (r->settings.max_ops > 0)
			snprintf(m, sizeof(m), ", at most %" PRId64 " ops", r->settings.max_ops);
		else
			m[0] = '\0';
		snprintf(b, sizeof(b), "%d repetition%s of %s after %s warm-up, timeout %s%s",
			 r->settings.reps, r->settings.reps == 1 ? "" : "s", d, w, t, m);
		dl_item(f, "settings", b);
	}
	dl_item(f, "kernel collector", !r->kernel ? "off (--no-kernel)" : r->have_collector ?
		"on" : "on (no collector statistics)");
	if (r->have_collector) {
		snprintf(b, sizeof(b), "%" PRIu64 " thread slots, %" PRIu64 " late threads, loaded "
			 "in %.0f ms", r->coll.slots_used, r->coll.late_threads, r->coll.load_ms);
		dl_item(f, "collector", b);
	}
	env_plugins(f);
	if (r->have_marks)
		env_marks(&r->marks, f);
	fputs("</dl></div>\n", f);
}

/* A counter; lost: a non-zero value lost data (else it was repaired, or is a fact). */
static void loss_row(FILE *f, const char *name, uint64_t v, bool lost, const char *what)
{
	fprintf(f, "<tr><td>%s</td><td class=\"n%s\">%" PRIu64 "</td><td class=\"w\">%s</td>"
		"</tr>\n", name, v && lost ? " bad" : "", v, what);
}

/* The user stacks' completeness, and what copying them cost and lost (report.txt's). */
static void user_stack_rows(FILE *f, const struct report_collector *c)
{
	char what[160];

	snprintf(what, sizeof(what), "of the user stacks above, %.1f%%, reach a root frame "
		 "(_start, main, a thread's start)",
		 c->user_stacks ? 100.0 * (double)c->rooted_stacks / (double)c->user_stacks : 0.0);
	loss_row(f, "user stacks rooted", c->rooted_stacks, false, what);
	if (!c->ustack_copies && !c->ustack_lost && !c->ustack_throttled && !c->tw_throttled)
		return;
	snprintf(what, sizeof(what), "user stacks copied (x86_64), %.0f bytes each, unwound in "
		 "%.1f µs each", c->ustack_copies ? (double)c->ustack_bytes / c->ustack_copies : 0.0,
		 c->ustack_copies ? 1e3 * c->unwind_ms / c->ustack_copies : 0.0);
	loss_row(f, "user stack copies", c->ustack_copies, false, what);
	loss_row(f, "past the copy rate", c->ustack_throttled, false,
		 "captures walked by frame pointers instead");
	loss_row(f, "copies lost", c->ustack_lost, true, "the kernel's ring was full");
	loss_row(f, "past the task-work rate", c->tw_throttled, true,
		 "off-CPU intervals counted without their user stack");
	loss_row(f, "counts lost", c->ucount_lost, true, "counts naming a copy, ring full");
	loss_row(f, "copies dropped", c->urec_dropped, true, "the userspace queue was full");
	loss_row(f, "counts without their copy", c->copies_missing, true,
		 "their copy never arrived");
}

/* The kernel's count of waits its wait-for table had no room for (a running total: the
 * last scenario's reading). */
static uint64_t waits_lost(const struct report *r)
{
	uint64_t n = 0;

	for (int i = 0; i < r->nscen; i++)
		if (r->scen[i].wf && r->scen[i].wf->lost > n)
			n = r->scen[i].wf->lost;
	return n;
}

static void env_losses(const struct report *r, FILE *f)
{
	const struct report_collector *c = &r->coll;
	uint64_t lost = 0, clamped = 0;

	fputs("<div><h3>Losses</h3><table><tr><th>Counter</th><th class=\"n\">Count</th>"
	      "<th>Meaning</th></tr>\n", f);
	if (r->kernel && r->have_collector) {
		loss_row(f, "threads without a slot", c->slots_full, true, "not accounted at all");
		loss_row(f, "tid map full", c->tid_map_full, true,
			 "threads the kernel side could not find");
		loss_row(f, "skipped program runs", c->prog_misses, true,
			 "BPF runs the kernel skipped");
		loss_row(f, "unseen switches repaired", c->missed_switches, false,
			 "switch-ins rebuilt from the scheduler's run time (exact on-CPU)");
	}
	if (c->stacks) {
		loss_row(f, "failed stack walks", c->stack_fail, true,
			 "stacks missing from graphs");
		loss_row(f, "stack table full", c->stacks_full, true, "stacks not stored");
		loss_row(f, "count table full", c->keys_full, true, "samples not counted");
		loss_row(f, "stacks gone", c->missing_stacks, true, "ids missing at symbolization");
		loss_row(f, "user stacks cut", c->cut_stacks, true,
			 "cut at a frame outside executable code (of the user stacks below)");
		loss_row(f, "user frames dropped", c->cut_frames, true, "by those cuts");
		loss_row(f, "user stacks", c->user_stacks, false, "seen in all");
		user_stack_rows(f, c);
	}
	if (r->why)
		loss_row(f, "waits not counted", waits_lost(r), true,
			 "the kernel's wait-for table was full (--why): the graphs lack them");
	for (int i = 0; i < r->nscen; i++)
		for (int k = 0; k < r->scen[i].nkinds; k++) {
			const struct op_agg *a = r->scen[i].agg[k];

			lost += a ? op_agg_lost(a) : 0;
			clamped += a ? hist_clamped(op_agg_hist(a)) : 0;
		}
	loss_row(f, "ops lost by the aggregation", lost, true, "dropped for lack of memory");
	loss_row(f, "latencies clamped", clamped, true,
		 "beyond the histogram's range (38 min)");
	fputs("</table>\n", f);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		if (s->status == SCEN_OK)
			continue;
		fprintf(f, "<p class=\"bad\">%s ", scen_status_name(s->status));
		html_esc(f, s->sc.id);
		fputs(": ", f);
		html_esc(f, s->error[0] ? s->error : "not completed");
		fputs("</p>\n", f);
	}
	fputs("</div>\n", f);
}

static void env_cost(const struct report *r, FILE *f)
{
	fputs("<div><h3>What opscope's BPF programs cost</h3><table><tr><th>Program</th>"
	      "<th class=\"n\">Runs</th><th class=\"n\">ns per run</th><th class=\"n\">Total ms"
	      "</th></tr>\n", f);
	for (int i = 0; i < r->coll.nprogs; i++) {
		uint64_t runs = r->coll.progs[i].runs, ns = r->coll.progs[i].run_ns;

		fputs("<tr><td>", f);
		html_esc(f, r->coll.progs[i].name);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%.0f</td>"
			"<td class=\"n\">%.2f</td></tr>\n", runs,
			runs ? (double)ns / (double)runs : 0, (double)ns / 1e6);
	}
	fputs("</table></div>\n", f);
}

void html_section_env(const struct report *r, FILE *f)
{
	env_facts(r, f);
	env_losses(r, f);
	if (r->coll.bpf_stats)
		env_cost(r, f);
}
