// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Why the ops waited (run --why), as words and as report.json: per op kind and latency
 * band, the mean op's queued time split by what the threads it was queued on were
 * doing, and its blocked time by who ended it (and what that thread was doing
 * meanwhile); per scenario the wait-for graph's edges. The text table is in
 * report_text.c, the graph's SVG in waitfor_svg.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/sysnames.h"
#include "kernel/why.h"
#include "report/report.h"
#include "stats/waitfor.h"
#include "util/json.h"

static int cmp_part(const void *a, const void *b)
{
	const struct why_part *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : strcmp(x->text, y->text);
}

/* Parts by share of total, largest first, those under half a percent left out. */
static int join(struct why_part *it, int n, uint64_t total, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	qsort(it, n, sizeof(*it), cmp_part);
	for (int i = 0; i < n && total; i++) {
		double pct = 100.0 * (double)it[i].ns / (double)total;

		if (pct < 0.5)
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s %.0f%%", o ? ", " : "",
			      it[i].text, pct);
	}
	return (int)(o < len ? o : len - 1);
}

static const char *sys_of(int idx, char *nb, size_t len)
{
	return blk_name(idx, nb, len);
}

/* One part; max bounds the array (the callers size it so that it never binds). */
static int part(struct why_part *it, int n, int max, uint64_t ns, int cls)
{
	if (n >= max)
		return n;
	it[n].ns = ns;
	it[n].cls = cls;
	it[n].text[0] = '\0';
	return n;
}

/* The on-CPU part of a split, by op kind; rest: the part no kind claims. */
static int kind_items(struct why_part *it, int n, int max, const uint64_t *kind_ns,
		      uint64_t on, const char *who, const char *sep)
{
	uint64_t given = 0;

	for (unsigned k = 0; k < OPS_WHY_KINDS && n < max; k++) {
		if (!kind_ns[k])
			continue;
		part(it, n, max, kind_ns[k], OPS_W_ON);
		if (k == 0)
			snprintf(it[n].text, sizeof(it[n].text), "%s%son-CPU outside any op", who, sep);
		else
			snprintf(it[n].text, sizeof(it[n].text), "%s%son-CPU in %s", who, sep,
				 why_kind_name(k));
		given += kind_ns[k];
		n++;
	}
	if (on > given && n < max) {
		part(it, n, max, on - given, OPS_W_ON);
		snprintf(it[n].text, sizeof(it[n].text), "%s%son-CPU", who, sep);
		n++;
	}
	return n;
}

/* The blocked part of a split, by syscall. */
static int sys_items(struct why_part *it, int n, int max, const uint64_t *sys_ns,
		     uint64_t blk, const char *who, const char *sep)
{
	uint64_t given = 0;
	char nb[32];

	for (int i = 0; i < OPS_BD_BLK && n < max; i++) {
		if (!sys_ns[i])
			continue;
		part(it, n, max, sys_ns[i], OPS_W_BLOCKED);
		if (i == OPS_BLK_NOSYS)
			snprintf(it[n].text, sizeof(it[n].text), "%s%sblocked outside a syscall",
				 who, sep);
		else
			snprintf(it[n].text, sizeof(it[n].text), "%s%sblocked in %s", who, sep,
				 sys_of(i, nb, sizeof(nb)));
		given += sys_ns[i];
		n++;
	}
	if (blk > given && n < max) {
		part(it, n, max, blk - given, OPS_W_BLOCKED);
		snprintf(it[n].text, sizeof(it[n].text), "%s%sblocked", who, sep);
		n++;
	}
	return n;
}

/* A part named by text alone. */
static int named(struct why_part *it, int n, int max, uint64_t ns, int cls, const char *text)
{
	if (!ns || n >= max)
		return n;
	part(it, n, max, ns, cls);
	snprintf(it[n].text, sizeof(it[n].text), "%s", text);
	return n + 1;
}

int why_parts_queued(const struct ops_wbd *w, const char *who, struct why_part *it, int max)
{
	char t[64];
	int n = 0;

	if (!who || !who[0])
		who = "threads";
	n = kind_items(it, n, max, w->q_kind_ns, w->q_ns[OPS_W_ON], who, " ");
	snprintf(t, sizeof(t), "%s waiting for a CPU", who);
	n = named(it, n, max, w->q_ns[OPS_W_RUNQ], OPS_W_RUNQ, t);
	n = sys_items(it, n, max, w->q_sys_ns, w->q_ns[OPS_W_BLOCKED], who, " ");
	n = named(it, n, max, w->q_ns[OPS_W_HANDOFF], OPS_W_HANDOFF, "the result's way back");
	return named(it, n, max, w->q_ns[OPS_W_UNKNOWN], OPS_W_UNKNOWN, "not known");
}

/* What ended blocked waits, when it was no thread of the process. */
static int ender_items(const struct ops_wbd *w, struct why_part *it, int n, int max)
{
	for (int c = OPS_W_TIMER; c < OPS_W_NR; c++)
		n = named(it, n, max, w->b_ns[c], c,
			  c == OPS_W_UNKNOWN ? "not seen" : why_class_name(c));
	return n;
}

int why_parts_blocked(const struct ops_wbd *w, const char *who, struct why_part *it, int max)
{
	char t[96];
	int n;

	if (!who || !who[0])
		who = "a thread of the process";
	n = ender_items(w, it, 0, max);
	n = kind_items(it, n, max, w->b_kind_ns, w->b_ns[OPS_W_ON], who, " ");
	snprintf(t, sizeof(t), "%.40s waiting for a CPU", who);
	n = named(it, n, max, w->b_ns[OPS_W_RUNQ], OPS_W_RUNQ, t);
	return sys_items(it, n, max, w->b_sys_ns, w->b_ns[OPS_W_BLOCKED], who, " ");
}

int why_words_queued(const struct ops_wbd *w, const char *who, char *buf, size_t len)
{
	struct why_part it[WHY_PARTS_MAX];
	uint64_t total = 0;

	for (int c = 0; c < OPS_W_NR; c++)
		total += w->q_ns[c];
	return join(it, why_parts_queued(w, who, it, WHY_PARTS_MAX), total, buf, len);
}

/* The class that ended most of a waker's own blocks (the chain's second step). */
static int top_chain(const struct ops_wbd *w)
{
	int best = -1;

	for (int c = 0; c < OPS_W_NR; c++)
		if (w->b_chain_ns[c] && (best < 0 || w->b_chain_ns[c] > w->b_chain_ns[best]))
			best = c;
	return best;
}

int why_words_blocked(const struct ops_wbd *w, const char *who, char *buf, size_t len)
{
	struct why_part it[OPS_W_NR + 1], sub[WHY_PARTS_MAX];
	uint64_t total = 0, thr = w->b_ns[OPS_W_ON] + w->b_ns[OPS_W_RUNQ] +
				 w->b_ns[OPS_W_BLOCKED];
	char subtext[400];
	int n, ns = 0, ch = top_chain(w);

	if (!who || !who[0])
		who = "a thread of the process";
	for (int c = 0; c < OPS_W_NR; c++)
		total += w->b_ns[c];
	n = ender_items(w, it, 0, OPS_W_NR + 1);
	if (thr) {
		/* what the waking threads were doing meanwhile, as shares of the whole */
		ns = kind_items(sub, ns, WHY_PARTS_MAX, w->b_kind_ns, w->b_ns[OPS_W_ON], "", "");
		ns = named(sub, ns, WHY_PARTS_MAX, w->b_ns[OPS_W_RUNQ], OPS_W_RUNQ,
			   "waiting for a CPU");
		ns = sys_items(sub, ns, WHY_PARTS_MAX, w->b_sys_ns, w->b_ns[OPS_W_BLOCKED], "", "");
		join(sub, ns, total, subtext, sizeof(subtext));
		n = part(it, n, OPS_W_NR + 1, thr, OPS_W_ON);
		snprintf(it[n++].text, sizeof(it[0].text), "%.40s", who);
	}
	n = join(it, n, total, buf, len);
	if (thr && subtext[0] && (size_t)n + 40 < len)
		n += snprintf(buf + n, len - (size_t)n, " (meanwhile it was %s%s%s)", subtext,
			      ch >= 0 && w->b_ns[OPS_W_BLOCKED] ? "; its own waits ended by " : "",
			      ch >= 0 && w->b_ns[OPS_W_BLOCKED] ?
			      (ch == OPS_W_ON || ch == OPS_W_RUNQ || ch == OPS_W_BLOCKED ?
			       "another thread" : why_class_name(ch)) : "");
	return n < (int)len ? n : (int)len - 1;
}

/* ---------------------------------------------------------------- report.json */

static void json_classes(struct json_writer *jw, const char *name, const uint64_t *ns,
			 double div, bool queued)
{
	jsonw_name(jw, name);
	jsonw_start_object(jw);
	for (int c = 0; c < OPS_W_NR; c++) {
		if (queued && c >= OPS_W_TIMER && c <= OPS_W_PROC)
			continue; /* never a queued op's: those end blocked waits */
		if (!queued && c == OPS_W_HANDOFF)
			continue;
		jsonw_double_field(jw, why_class_key(c), (double)ns[c] / div);
	}
	jsonw_end_object(jw);
}

static void json_kinds(struct json_writer *jw, const char *name, const uint64_t *kind_ns,
		       double div)
{
	jsonw_name(jw, name);
	jsonw_start_array(jw);
	for (unsigned k = 0; k < OPS_WHY_KINDS; k++) {
		if (!kind_ns[k])
			continue;
		jsonw_start_object(jw);
		jsonw_string_field(jw, "op", k ? why_kind_name(k) : NULL);
		jsonw_double_field(jw, "ns", (double)kind_ns[k] / div);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

static void json_sys(struct json_writer *jw, const char *name, const uint64_t *sys_ns,
		     double div)
{
	char nb[32];

	jsonw_name(jw, name);
	jsonw_start_array(jw);
	for (int i = 0; i < OPS_BD_BLK; i++) {
		if (!sys_ns[i])
			continue;
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", sys_of(i, nb, sizeof(nb)));
		jsonw_double_field(jw, "ns", (double)sys_ns[i] / div);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

/* The thread kind that ended most of kind's blocked waits, for the words. */
static const char *blocked_who(const struct scen_result *s, uint32_t kind)
{
	double share;
	int others;

	return s->wf ? waitfor_top_waker(s->wf, kind, &share, &others) : NULL;
}

void report_why_json(struct json_writer *jw, const struct scen_result *s, int k)
{
	const struct op_summary *p = &s->sum[k];
	char words[600];

	jsonw_name(jw, "why");
	if (!p->wtotal.n) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_string_field(jw, "queued_on", s->queue_on[k][0] ? s->queue_on[k] : NULL);
	jsonw_string_field(jw, "blocked_on", blocked_who(s, s->kind[k]));
	jsonw_name(jw, "bands");
	jsonw_start_array(jw);
	for (int b = 0; b < BAND_NR; b++) {
		const struct ops_wbd *w = &p->wband[b];
		double div = p->band[b].n ? (double)p->band[b].n : 1;

		jsonw_start_object(jw);
		jsonw_string_field(jw, "band", ops_band_names[b]);
		jsonw_uint_field(jw, "ops", p->band[b].n);
		jsonw_uint_field(jw, "ops_with_why", w->n);
		json_classes(jw, "queued_ns", w->q_ns, div, true);
		json_kinds(jw, "queued_on_cpu_by_op", w->q_kind_ns, div);
		json_sys(jw, "queued_blocked_by_syscall", w->q_sys_ns, div);
		json_classes(jw, "blocked_ns", w->b_ns, div, false);
		json_kinds(jw, "blocked_waker_on_cpu_by_op", w->b_kind_ns, div);
		json_sys(jw, "blocked_waker_blocked_by_syscall", w->b_sys_ns, div);
		json_classes(jw, "blocked_waker_blocked_ended_by", w->b_chain_ns, div, false);
		jsonw_double_field(jw, "wakeups", (double)w->wakeups / div);
		why_words_queued(w, s->queue_on[k], words, sizeof(words));
		jsonw_string_field(jw, "queued_text", words[0] ? words : NULL);
		why_words_blocked(w, blocked_who(s, s->kind[k]), words, sizeof(words));
		jsonw_string_field(jw, "blocked_text", words[0] ? words : NULL);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

void report_waitfor_json(struct json_writer *jw, const struct scen_result *s)
{
	jsonw_name(jw, "waitfor");
	if (!s->wf) {
		jsonw_null(jw);
		return;
	}
	waitfor_sort(s->wf);
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "lost", s->wf->lost);
	jsonw_name(jw, "edges");
	jsonw_start_array(jw);
	for (size_t i = 0; i < s->wf->n; i++) {
		const struct wf_edge *e = &s->wf->e[i];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "waiter", e->waiter);
		jsonw_string_field(jw, "op", e->kind ? ops_kind_name(e->kind) : NULL);
		jsonw_string_field(jw, "waited_on", e->on);
		jsonw_string_field(jw, "how", e->cls == WF_QUEUED ? "queued" :
				   e->cls == OPS_W_ON ? "thread" : why_class_key(e->cls));
		jsonw_uint_field(jw, "ns", e->ns);
		jsonw_uint_field(jw, "waits", e->count);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}
