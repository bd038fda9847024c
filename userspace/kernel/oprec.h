/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Operation recording for driver threads. Each thread registers once (one map lookup
 * for its whole life) and then reads its own accounting slot through mmap: begin and
 * end of an operation cost two clock reads and two slot copies, no syscall.
 *
 *	struct ops_thread t;
 *	ops_thread_register(&t);            // once, in the thread itself
 *	struct ops_snap a, b; struct ops_bd bd;
 *	ops_set_kind(&t, kind);
 *	ops_snap_take(&t, &a);
 *	... the operation ...
 *	ops_snap_take(&t, &b);
 *	ops_snap_delta(&t, &a, &b, &bd);    // bd.lat_ns and the kernel breakdown
 *	op_agg_add(agg, &bd);
 *
 * Without a kernel collector (--no-kernel, or before one is started) registration
 * gives no slot and snapshots carry the clock only: latency works, the breakdown is 0.
 */
#ifndef OPSCOPE_OPREC_H
#define OPSCOPE_OPREC_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>
#include "opscope.h"
#include "kernel/breakdown.h"

/*
 * A longer history of a thread's off-CPU intervals than the slot's ring holds, kept in
 * userspace by the thread itself (ops_hist_sync after each piece of work it does for
 * another thread), so that the thread an op waited for can still find that op's
 * intervals when it records the op late: a pool worker moves on to other tasks before
 * the caller takes the result. Written like the slot's ring (entry, then seq with
 * release), read with the same checks (ex_ring_copy).
 */
#define OPS_HIST_RING 256
struct ops_off_hist {
	__u64 seq;     /* entries ever written; (seq - 1) % OPS_HIST_RING is the newest */
	uint64_t kseq; /* the slot's off_seq this history has copied up to */
	uint64_t lost; /* intervals the slot's ring no longer held at a sync */
	struct ops_off_hist *next; /* for its owner to keep a list until readers are done */
	struct ops_off off[OPS_HIST_RING];
};

struct ops_thread {
	volatile struct ops_slot *slot; /* NULL when there is no kernel collector */
	struct ops_off_hist *hist;      /* NULL unless ops_hist_sync was ever called */
	uint32_t tid;
	uint32_t gen;
	/* slot blk_nr entry -> process-wide blocked-syscall index (sysnames.h), 0xff unknown */
	uint8_t blk_idx[OPS_BLK_SYS];
	/* run --why: snapshots also copy the slot's why counters (kernel/why.h) */
	bool why;
	uint8_t why_idx[OPS_WHY_SYS]; /* slot why.sys_nr1 entry -> blk index, 0xff unknown */
};

/*
 * The counters of a snapshot, in the order of struct ops_slot's counter block so that a
 * snapshot is one copy (checked by the static assertions below).
 */
struct ops_snap {
	uint64_t ts; /* CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns() */
	uint64_t on_ns, blocked_ns, runq_ns, vcsw, ivcsw, syscalls, syscall_ns, faults;
	uint64_t map_calls, map_bytes, unmap_bytes, migrations;
	uint64_t blk_other_ns, blk_nosys_ns;
	uint64_t steal_ns;
	uint64_t blk_ns[OPS_BLK_SYS];
	uint64_t kfaults;
	struct ops_why_ctr why; /* copied only when the thread's why is set */
};

#define OPS_SNAP_CTR_BYTES \
	(offsetof(struct ops_snap, kfaults) + 8 - offsetof(struct ops_snap, on_ns))
_Static_assert(offsetof(struct ops_slot, kfaults) + 8 - offsetof(struct ops_slot, on_ns) ==
		       OPS_SNAP_CTR_BYTES, "ops_snap counters must mirror ops_slot");
_Static_assert(offsetof(struct ops_slot, migrations) - offsetof(struct ops_slot, on_ns) ==
		       offsetof(struct ops_snap, migrations) - offsetof(struct ops_snap, on_ns),
	       "ops_snap counters must mirror ops_slot");
_Static_assert(offsetof(struct ops_slot, blk_ns) - offsetof(struct ops_slot, on_ns) ==
		       offsetof(struct ops_snap, blk_ns) - offsetof(struct ops_snap, on_ns),
	       "ops_snap counters must mirror ops_slot");
_Static_assert(offsetof(struct ops_slot, steal_ns) - offsetof(struct ops_slot, on_ns) ==
		       offsetof(struct ops_snap, steal_ns) - offsetof(struct ops_snap, on_ns),
	       "ops_snap counters must mirror ops_slot");

static inline uint64_t ops_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Register the calling thread with the running collector, if any. Returns 0 (also when
 * there is no collector: t->slot is then NULL), or -errno when a collector runs but the
 * thread got no slot (all slots in use). */
int ops_thread_register(struct ops_thread *t);

/*
 * Describe slot as the slot of thread tid, without a lookup: for a thread of a followed
 * process (a pool worker process: its copy of the collector's map descriptors is closed,
 * the slot array stays mapped across fork), and for its parent, which reads the same
 * slot to make the breakdown of the snapshots the worker sends. Returns 0, or -ESRCH
 * (t->slot then NULL) when slot is NULL or belongs to another thread.
 */
int ops_thread_of(struct ops_thread *t, volatile struct ops_slot *slot, uint32_t tid);

/* The operation kind the thread is running now, so the kernel side can tag stacks. */
static inline void ops_set_kind(struct ops_thread *t, uint32_t kind)
{
	if (t->slot)
		t->slot->op_kind = kind;
}

/* The slot of the calling thread says it is off-CPU: its switch-in reached no program
 * (see docs/ARCHITECTURE.md, "Counters"). One syscall lets the kernel side close the
 * interval it missed (sys_enter does, when syscalls are accounted). */
void ops_slot_catch_up(void);

static inline void ops_snap_take(const struct ops_thread *t, struct ops_snap *s)
{
	const volatile struct ops_slot *sl = t->slot;
	uint64_t in;

	if (!sl) {
		s->ts = ops_now_ns();
		return;
	}
	/*
	 * Every kernel write to the slot happens while its thread is in the kernel, but the
	 * thread can be preempted anywhere, between the clock read and the copy too: the
	 * switch-in then moves in_ts, and the snapshot is taken again. A slot that says the
	 * thread is off-CPU missed a switch-in (also one that came during the copy): one
	 * syscall lets the kernel side close that interval, twice at most (without syscall
	 * programs nothing does, and the running interval is left out).
	 */
	for (int i = 0;; i++) {
		if (__builtin_expect(sl->state != OPS_T_RUNNING, 0) && i < 2)
			ops_slot_catch_up();
		in = sl->in_ts;
		__asm__ __volatile__("" ::: "memory");
		s->ts = ops_now_ns();
		memcpy(&s->on_ns, (const void *)&sl->on_ns, OPS_SNAP_CTR_BYTES);
		if (__builtin_expect(t->why, 0))
			memcpy(&s->why, (const void *)&sl->why.c, sizeof(s->why));
		__asm__ __volatile__("" ::: "memory");
		if (sl->in_ts == in && (sl->state == OPS_T_RUNNING || i >= 2))
			break;
	}
	/* The current on-CPU interval began at in_ts (unknown if the catch-up could not
	 * run: no syscall program). */
	if (sl->state == OPS_T_RUNNING)
		s->on_ns += s->ts - in;
}

/* Adds the blocked-by-syscall differences into o->blk_ns (zeroed by the caller). */
void ops_snap_delta_blk(struct ops_thread *t, const struct ops_snap *a, const struct ops_snap *b,
			struct ops_bd *o);

/*
 * A snapshot times the running interval by the clock; a finished one is split into the
 * scheduler's run time and steal. Their sum is exact across that boundary, the split is
 * not: when on-CPU comes out negative, the deficit belongs to steal. And when the kernel
 * stamped the switch-out that ended the interval with a run-queue clock older than the
 * first snapshot (an update skipped right after a wakeup), the thread was still running
 * when the operation began: the rest of the deficit comes out of its off-CPU time.
 */
static inline void ops_snap_deficit(struct ops_bd *o)
{
	uint64_t deficit = 0 - o->on_ns, d; /* unsigned: on_ns may be INT64_MIN */

	o->on_ns = 0;
	d = o->steal_ns < deficit ? o->steal_ns : deficit;
	o->steal_ns -= d;
	deficit -= d;
	d = o->runq_ns < deficit ? o->runq_ns : deficit;
	o->runq_ns -= d;
	deficit -= d;
	o->blocked_ns -= o->blocked_ns < deficit ? o->blocked_ns : deficit;
}

/* out = b - a, with n = 1 and lat_ns = b.ts - a.ts. Inline: it runs once per operation. */
static inline void ops_snap_delta(struct ops_thread *t, const struct ops_snap *a,
				  const struct ops_snap *b, struct ops_bd *o)
{
	memset(o, 0, sizeof(*o));
	o->n = 1;
	o->lat_ns = b->ts > a->ts ? b->ts - a->ts : 0;
	if (!t->slot)
		return;
	o->on_ns = b->on_ns - a->on_ns;
	o->steal_ns = b->steal_ns - a->steal_ns;
	o->runq_ns = b->runq_ns - a->runq_ns;
	o->blocked_ns = b->blocked_ns - a->blocked_ns;
	if ((int64_t)o->on_ns < 0)
		ops_snap_deficit(o);
	o->syscalls = b->syscalls - a->syscalls;
	o->syscall_ns = b->syscall_ns - a->syscall_ns;
	o->vcsw = b->vcsw - a->vcsw;
	o->ivcsw = b->ivcsw - a->ivcsw;
	o->faults = b->faults - a->faults;
	o->kfaults = b->kfaults - a->kfaults;
	o->map_calls = b->map_calls - a->map_calls;
	o->map_bytes = b->map_bytes - a->map_bytes;
	o->unmap_bytes = b->unmap_bytes - a->unmap_bytes;
	o->migrations = b->migrations - a->migrations;
	if (o->blocked_ns)
		ops_snap_delta_blk(t, a, b, o);
}

/*
 * Copy the slot's intervals that ended since the last call into t->hist (allocated at
 * the first call; without memory the history stays off and readers use the slot's ring).
 * Only the thread itself may call it, while it runs: its slot is stable then.
 */
void ops_hist_sync_slow(struct ops_thread *t, uint64_t kseq);
static inline void ops_hist_sync(struct ops_thread *t)
{
	uint64_t k;

	if (!t->slot)
		return;
	k = t->slot->off_seq;
	if (!t->hist || k != t->hist->kseq)
		ops_hist_sync_slow(t, k);
}

/* Operation kinds: small integers (1..OPS_MAX_KINDS-1) named once per process. */
#define OPS_MAX_KINDS 64
uint32_t ops_kind_id(const char *name); /* registers on first use; 0 when the table is full */
const char *ops_kind_name(uint32_t id);
/* Name id as a recorded program did (kernel/attach.h): its ids are kept, so stacks tagged
 * with them read right. 0, or -EEXIST when id already has another name, -EINVAL. */
int ops_kind_set(uint32_t id, const char *name);

#endif
