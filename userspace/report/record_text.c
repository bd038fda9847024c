// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope record's per-thread table (record_text.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The SYSCALL column: the count, or "-" when syscalls were not accounted. */
static const char *sys_col(char *buf, size_t len, uint64_t v, int sys_mode)
{
	if (sys_mode == OPS_SYS_OFF)
		return "-";
	snprintf(buf, len, "%lu", (unsigned long)v);
	return buf;
}

void rec_table_print(FILE *f, struct rec_thread *t, size_t n, double secs, int sys_mode)
{
	struct ops_slot tot = {};
	char sc[24];

	qsort(t, n, sizeof(*t), cmp_on_cpu);
	/* 100 columns: 7+16+9+9+9+20+7+7+8+8 */
	fprintf(f, "%7s %-15s %8s %8s %8s %-19s %6s %6s %7s %7s\n", "TID", "COMM", "ON-CPU",
		"RUNQ", "BLOCKED", "  BLOCKED MOST IN", "VCSW", "IVCSW", "SYSCALL", "FAULTS");
	fprintf(f, "%7s %-15s %8s %8s %8s %-19s %6s %6s %7s %7s\n", "", "", "ms", "ms", "ms", "",
		"", "", "", "");
	for (size_t i = 0; i < n; i++) {
		const struct ops_slot *s = &t[i].s;
		uint64_t bns;
		const char *bname = top_block(s, &bns);
		char blk[32];

		if (bns)
			snprintf(blk, sizeof(blk), "%.14s %3.0f%%", bname,
				 s->blocked_ns ? 100.0 * bns / s->blocked_ns : 0.0);
		else
			snprintf(blk, sizeof(blk), "-");
		fprintf(f, "%7u %-15.15s %8.1f %8.1f %8.1f   %-17s %6lu %6lu %7s %7lu%s\n", s->tid,
			t[i].comm, s->on_ns / 1e6, s->runq_ns / 1e6, s->blocked_ns / 1e6, blk,
			(unsigned long)s->nvcsw, (unsigned long)s->nivcsw,
			sys_col(sc, sizeof(sc), s->syscalls, sys_mode), (unsigned long)s->faults,
			t[i].exited ? " x" : "");
		tot.on_ns += s->on_ns;
		tot.runq_ns += s->runq_ns;
		tot.blocked_ns += s->blocked_ns;
		tot.nvcsw += s->nvcsw;
		tot.nivcsw += s->nivcsw;
		tot.syscalls += s->syscalls;
		tot.faults += s->faults;
	}
	fprintf(f, "%7s %-15s %8.1f %8.1f %8.1f   %-17s %6lu %6lu %7s %7lu\n", "all",
		"", tot.on_ns / 1e6, tot.runq_ns / 1e6, tot.blocked_ns / 1e6, "",
		(unsigned long)tot.nvcsw, (unsigned long)tot.nivcsw,
		sys_col(sc, sizeof(sc), tot.syscalls, sys_mode), (unsigned long)tot.faults);
	fprintf(f, "%zu threads over %.2f s (x: exited during the recording)\n", n, secs);
	if (sys_mode == OPS_SYS_COUNT)
		fprintf(f, "syscalls counted at entry, not timed (--syscalls count)\n");
	else if (sys_mode == OPS_SYS_OFF)
		fprintf(f, "syscalls not counted (--syscalls off); the syscall a thread blocked "
			   "in is still known\n");
}
