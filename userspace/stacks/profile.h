/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A run's stacks: the counts the collector drained after each scenario, grouped by
 * scenario, op kind and kind of stack, symbolized once at the end and written as folded
 * files and SVG flame graphs:
 *
 *	DIR/stacks/<scenario>/<op>.<type>.folded   and .svg
 *
 * with <type> one of oncpu (samples), offcpu (ns blocked), runq (ns waiting for a CPU),
 * waker (ns, the stacks that ended blocked intervals), faults (user page faults) and wall
 * (on-CPU samples scaled to ns, plus offcpu and runq: the whole of an operation's
 * latency in one unit). Each stack's root frames are scenario=, op= and thread=.
 */
#ifndef OPSCOPE_PROFILE_H
#define OPSCOPE_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/collector.h"

struct profile;

/* pid: the process whose user stacks these are (its maps are read now and at write);
 * sample_hz: the on-CPU sampling rate, to scale samples into ns for the wall view.
 * Processes the collector follows (record -f) are checked one by one: those that ran
 * another program, or are gone, keep their kernel frames only (foreign_user below);
 * when pid is opscope itself (run), they are its worker processes, forks that never
 * exec, and their user stacks are named with its maps. */
struct profile *profile_new(int pid, int sample_hz);
void profile_free(struct profile *p);

/* Take the stacks gathered since the last call from c and file them under scenario. */
int profile_take(struct profile *p, struct collector *c, const char *scenario);

/* Symbolize and write every group under dir/stacks/. Returns 0 or -errno (err set). */
int profile_write(struct profile *p, const char *dir, char *err, size_t errlen);

/* Totals for the report and the loss line. */
struct profile_stats {
	uint64_t entries;        /* counted stacks taken from the kernel */
	uint64_t missing_stacks; /* stack ids no longer in the stack table */
	uint64_t short_user;     /* user stacks that look cut short (no frame pointers) */
	uint64_t user_seen;
	uint64_t user_stacks;    /* samples with a user stack */
	uint64_t cut_stacks;     /* of them, cut at a frame outside executable code */
	uint64_t cut_frames;     /* frames dropped by those cuts */
	uint64_t rooted;         /* of user_stacks, those that reach a root frame */
	uint64_t copies_missing; /* counts whose user stack copy was lost (ring full) */
	uint64_t foreign_user;   /* user stacks of another program (a followed process that
				  * exec'd, or gone): their user frames dropped, not misread */
	uint64_t unwinds;        /* copied user stacks unwound */
	uint64_t unwind_frames;  /* frames they gave */
	uint64_t unwind_bytes;   /* stack bytes they held */
	double unwind_ms;        /* time spent unwinding them */
	uint64_t files;          /* files written */
	uint64_t bytes;          /* their size */
	double symbolize_ms;
};
void profile_get_stats(const struct profile *p, struct profile_stats *st);

/* Type names as they appear in file names. */
const char *profile_type_name(uint32_t type);

#endif
