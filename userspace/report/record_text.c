// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope record's per-thread table (record_text.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/sysnames.h"
#include "report/record_text.h"

static int cmp_on_cpu(const void *a, const void *b)
{
	const struct rec_thread *x = a, *y = b;
	uint64_t tx = x->s.on_ns + x->s.runq_ns + x->s.blocked_ns;
	uint64_t ty = y->s.on_ns + y->s.runq_ns + y->s.blocked_ns;

	if (x->s.on_ns != y->s.on_ns)
		return x->s.on_ns < y->s.on_ns ? 1 : -1;
	return tx < ty ? 1 : tx > ty ? -1 : (int)x->s.tid - (int)y->s.tid;
}

/* The syscall a thread spent most blocked time in, and that time. */
static const char *top_block(const struct ops_slot *s, uint64_t *ns)
{
	const char *name = "-";
	uint64_t best = 0;

	for (int i = 0; i < OPS_BLK_SYS; i++) {
		if (s->blk_nr[i] >= 0 && s->blk_ns[i] > best) {
			best = s->blk_ns[i];
			name = sysnames_of_nr(s->blk_nr[i]);
		}
	}
	if (s->blk_nosys_ns > best) {
		best = s->blk_nosys_ns;
		name = "(no syscall)";
	}
	if (s->blk_other_ns > best) {
		best = s->blk_other_ns;
		name = "(other)";
	}
	*ns = best;
	return name;
}

/* A count in at most w characters: exact while it fits, else in k, M or G (record.json
 * has every count exact). */
static const char *count_col(char *buf, size_t len, int w, uint64_t v)
{
	static const char unit[] = "kMGTP";
	double x = (double)v;
	int u = -1;

	snprintf(buf, len, "%*lu", w, (unsigned long)v);
	if ((int)strlen(buf) <= w)
		return buf;
	do {
		x /= 1000;
		u++;
		snprintf(buf, len, "%*.1f%c", w - 1, x, unit[u]);
	} while ((int)strlen(buf) > w && u < 4);
	return buf;
}

/* A time in at most 8 characters: ms with one decimal, or whole seconds past 100 s. */
static const char *ms_col(char *buf, size_t len, uint64_t ns)
{
	if (ns < 99999950000ull)
		snprintf(buf, len, "%8.1f", ns / 1e6);
	else
		snprintf(buf, len, "%7.0fs", ns / 1e9);
	return buf;
}

/* The SYSCALL column: the count, or "-" when syscalls were not accounted. */
static const char *sys_col(char *buf, size_t len, uint64_t v, int sys_mode)
{
	if (sys_mode == OPS_SYS_OFF)
		return "      -";
	return count_col(buf, len, 7, v);
}

/* The BLOCKED MOST IN column, 20 characters: a name cut to 15 (~ marks a cut), share. */
static const char *blk_col(char *buf, size_t len, const struct ops_slot *s)
{
	uint64_t bns;
	const char *name = top_block(s, &bns);
	char cut[16];

	if (!bns)
		return "-";
	snprintf(cut, sizeof(cut), "%s", name);
	if (strlen(name) > 15)
		cut[14] = '~';
	snprintf(buf, len, "%-15s %3.0f%%", cut, s->blocked_ns ? 100.0 * bns / s->blocked_ns : 0.0);
	return buf;
}

/* One row: 100 columns (7+16+9+9+9+21+7+7+8+7) whatever the values. */
static void row(FILE *f, const char *tid, const char *comm, const struct ops_slot *s,
		const char *blk, int sys_mode, const char *mark)
{
	char on[16], rq[16], bl[16], v[16], iv[16], sc[16], fl[16];

	fprintf(f, "%7s %-15.15s %8s %8s %8s %-20.20s %6s %6s %7s %6s%s\n", tid, comm,
		ms_col(on, sizeof(on), s->on_ns), ms_col(rq, sizeof(rq), s->runq_ns),
		ms_col(bl, sizeof(bl), s->blocked_ns), blk, count_col(v, sizeof(v), 6, s->nvcsw),
		count_col(iv, sizeof(iv), 6, s->nivcsw),
		sys_col(sc, sizeof(sc), s->syscalls, sys_mode),
		count_col(fl, sizeof(fl), 6, s->faults + s->kfaults), mark);
}

void rec_table_print(FILE *f, struct rec_thread *t, size_t n, double secs, int sys_mode)
{
	struct ops_slot tot = {};

	qsort(t, n, sizeof(*t), cmp_on_cpu);
	fprintf(f, "%7s %-15s %8s %8s %8s %-20s %6s %6s %7s %6s\n", "TID", "COMM", "ON-CPU",
		"RUNQ", "BLOCKED", "BLOCKED MOST IN", "VCSW", "IVCSW", "SYSCALL", "FAULTS");
	fprintf(f, "%7s %-15s %8s %8s %8s %-20s %6s %6s %7s %6s\n", "", "", "ms", "ms", "ms", "",
		"", "", "", "");
	for (size_t i = 0; i < n; i++) {
		const struct ops_slot *s = &t[i].s;
		char tid[16], blk[32];

		snprintf(tid, sizeof(tid), "%u", s->tid);
		row(f, tid, t[i].comm, s, blk_col(blk, sizeof(blk), s), sys_mode,
		    t[i].exited ? " x" : "");
		tot.on_ns += s->on_ns;
		tot.runq_ns += s->runq_ns;
		tot.blocked_ns += s->blocked_ns;
		tot.nvcsw += s->nvcsw;
		tot.nivcsw += s->nivcsw;
		tot.syscalls += s->syscalls;
		tot.faults += s->faults;
		tot.kfaults += s->kfaults;
	}
	row(f, "all", "", &tot, "", sys_mode, "");
	fprintf(f, "%zu threads over %.2f s (x: exited during the recording)\n", n, secs);
	fprintf(f, "faults: %lu taken in user mode, %lu taken by the kernel on user memory "
		   "(copies into fresh buffers, exec)\n", (unsigned long)tot.faults,
		(unsigned long)tot.kfaults);
	if (sys_mode == OPS_SYS_COUNT)
		fprintf(f, "syscalls counted at entry, not timed (--syscalls count)\n");
	else if (sys_mode == OPS_SYS_OFF)
		fprintf(f, "syscalls not counted (--syscalls off); the syscall a thread blocked "
			   "in is still known\n");
}

struct rec_proc {
	struct ops_slot tot; /* tid: threads; tgid: the process */
	char comm[16];
};

static int cmp_proc(const void *a, const void *b)
{
	const struct rec_proc *x = a, *y = b;

	if (x->tot.on_ns != y->tot.on_ns)
		return x->tot.on_ns < y->tot.on_ns ? 1 : -1;
	return (int)x->tot.tgid - (int)y->tot.tgid;
}

static void proc_add(struct ops_slot *tot, const struct ops_slot *s)
{
	tot->tid++;
	tot->on_ns += s->on_ns;
	tot->runq_ns += s->runq_ns;
	tot->blocked_ns += s->blocked_ns;
	tot->nvcsw += s->nvcsw;
	tot->nivcsw += s->nivcsw;
	tot->syscalls += s->syscalls;
	tot->faults += s->faults;
}

static void proc_row(FILE *f, const char *id, const char *comm, const struct ops_slot *t,
		     int sys_mode)
{
	char sc[24], thr[24];

	snprintf(thr, sizeof(thr), "%u", t->tid);
	fprintf(f, "%7s %-15.15s %8.1f %8.1f %8.1f   %-17s %6lu %6lu %7s %7lu\n", id, comm,
		t->on_ns / 1e6, t->runq_ns / 1e6, t->blocked_ns / 1e6, thr,
		(unsigned long)t->nvcsw, (unsigned long)t->nivcsw,
		sys_col(sc, sizeof(sc), t->syscalls, sys_mode), (unsigned long)t->faults);
}

void rec_process_print(FILE *f, const struct rec_thread *t, size_t n, int sys_mode)
{
	struct rec_proc *p = calloc(n ? n : 1, sizeof(*p));
	struct ops_slot all = {};
	size_t np = 0;

	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < np && p[j].tot.tgid != t[i].s.tgid; j++)
			;
		if (j == np) {
			p[np].tot.tgid = t[i].s.tgid;
			np++;
		}
		if (!p[j].comm[0] || t[i].s.tid == t[i].s.tgid)
			snprintf(p[j].comm, sizeof(p[j].comm), "%s", t[i].comm);
		proc_add(&p[j].tot, &t[i].s);
		proc_add(&all, &t[i].s);
	}
	qsort(p, np, sizeof(*p), cmp_proc);
	fprintf(f, "%7s %-15s %8s %8s %8s   %-17s %6s %6s %7s %7s\n", "PID", "COMM", "ON-CPU",
		"RUNQ", "BLOCKED", "THREADS", "VCSW", "IVCSW", "SYSCALL", "FAULTS");
	for (size_t j = 0; j < np; j++) {
		char id[16];

		snprintf(id, sizeof(id), "%u", p[j].tot.tgid);
		proc_row(f, id, p[j].comm, &p[j].tot, sys_mode);
	}
	proc_row(f, "all", "", &all, sys_mode);
	fprintf(f, "%zu processes: the command and the processes forked from it (-f)\n", np);
	free(p);
}
