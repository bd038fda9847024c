/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Why an operation waited (run --why), made from the slots: its blocked time by who ended
 * it (the difference of the slot's why counters, which bpf/wakers.bpf.h keeps), and a
 * cross-thread operation's queued time by what the threads it waited on were doing
 * meanwhile (the difference of their slots' counters over the op's queued window, read
 * by another thread: why_group_snap). Prefix why_.
 *
 *	op on its own thread:  ops_snap_why(&ot, &a, &b, &bd, &w);
 *	pool call, at submit:  why_group_snap(workers, n, first, &task->q0);
 *	       at its pickup:  why_group_snap(workers, n, first, &q1);
 *	     at its result:    why_queued(&task->q0, &q1, head_ns, tail_ns, kind, &w);
 *	a worker, around the task body: why_busy_enter(&busy, on), why_busy_leave(&busy, on)
 */
#ifndef OPSCOPE_WHY_H
#define OPSCOPE_WHY_H

#include <stdatomic.h>
#include <stdint.h>
#include "kernel/breakdown.h"
#include "kernel/oprec.h"

/* The blocked-time split of one op from its thread's two snapshots (t->why set): w->n =
 * 1; blocked time no wakeup explains (bd->blocked_ns beyond the split) is unknown. */
void ops_snap_why(struct ops_thread *t, const struct ops_snap *a, const struct ops_snap *b,
		  const struct ops_bd *bd, struct ops_wbd *w);

/* Op kind id -> index into the *_kind_ns arrays (ids from OPS_WHY_KINDS - 1 on share the
 * last), and back to a name ("another op kind" for the last). */
static inline unsigned why_kind_index(uint32_t kind)
{
	return kind < OPS_WHY_KINDS - 1 ? kind : OPS_WHY_KINDS - 1;
}
const char *why_kind_name(unsigned idx);

/*
 * How long a thread has been busy in an op kind on a CPU, kept by the thread itself (one
 * writer; readers retry on the sequence): on-CPU ns of finished spells, and the on-CPU
 * reading at the start of the current one (0: not busy now).
 */
struct why_busy {
	_Atomic uint32_t seq;
	uint64_t done_ns, base_ns;
};
void why_busy_enter(struct why_busy *b, uint64_t on_ns);
void why_busy_leave(struct why_busy *b, uint64_t on_ns);

/* One thread of a group waited on: its recording state and its busy counter. */
struct why_member {
	const struct ops_thread *ot;
	struct why_busy *busy;
};

/* At most this many members are read per snapshot (from `first`, wrapping): the split is
 * a share, and a sample of the group gives it at a bounded cost per op. */
#define WHY_GROUP_READ 8

/* What members [first, first + WHY_GROUP_READ) did up to ts, cumulatively. */
struct why_gsnap {
	uint64_t ts;
	uint64_t on_ns, busy_ns, runq_ns, blocked_ns, unknown_ns;
	uint64_t blk_ns[OPS_BD_BLK];
};
void why_group_snap(const struct why_member *m, uint32_t n, uint32_t first,
		    struct why_gsnap *s);

/*
 * The queued-time split of one op: head_ns (submit to pickup) in proportion to what the
 * group did between snapshots a and b (busy on a CPU: op kind busy_kind; otherwise on a
 * CPU: outside any op), tail_ns (the result's hand-off back) as OPS_W_HANDOFF. Adds into
 * w (q_* fields only).
 */
void why_queued(const struct why_gsnap *a, const struct why_gsnap *b, uint64_t head_ns,
		uint64_t tail_ns, uint32_t busy_kind, struct ops_wbd *w);

/* Class names for people: "on a CPU", "waiting for a CPU", "a timer", ... */
const char *why_class_name(unsigned cls);
/* ... and for report.json: "on_cpu", "runq", "blocked", "timer", ... */
const char *why_class_key(unsigned cls);

#endif
