/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * User stacks from copies: the kernel side copies a thread's user registers and the live
 * part of its stack (bpf/opscope.h struct ops_urec_stack) and this walks the copy with
 * the unwind tables of the binaries the process maps (.eh_frame, and .debug_frame where
 * a binary or its separate debug file has one), through elfutils' libdwfl; where a
 * function has no table, libdwfl follows the frame pointer. The walk reads only the
 * copy, never the live process: a frame that needs memory outside it ends the walk.
 *
 * An unwinder is one process's address space as libdwfl sees it: the modules of
 * /proc/<pid>/maps, reported at creation and again at each unwinder_refresh (a library
 * loaded later), each binary's tables read once.
 */
#ifndef OPSCOPE_UNWIND_H
#define OPSCOPE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct unwinder;
struct ops_urec_stack;

/* NULL plus errno when libdwfl cannot be set up (no process, no module readable). */
struct unwinder *unwinder_new(int pid);
void unwinder_free(struct unwinder *u);
/* Report the process's mappings again while it lives (libraries loaded since). */
void unwinder_refresh(struct unwinder *u);

/*
 * Walk one copy (the record's header followed by rec->len stack bytes) into ips,
 * innermost frame first, the first being the interrupted instruction and the others
 * return addresses (as the kernel's stack walks give them). Returns the number of frames;
 * *root is set when the walk ended where the unwind tables say the stack ends (the
 * outermost frame: _start, a thread's clone3), not where the copy or a table ran out.
 */
int unwinder_walk(struct unwinder *u, const struct ops_urec_stack *rec, uint64_t *ips,
		  int max, bool *root);

struct unwind_stats {
	uint64_t walks, frames, rooted;
	uint64_t bytes;  /* stack bytes walked */
	double ms;       /* time spent walking */
};
void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *st);

#endif /* OPSCOPE_UNWIND_H */
