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

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>
#include "opscope.h"
#include "breakdown.h"

struct ops_thread {
	volatile struct ops_slot *slot; /* NULL when there is no kernel collector */
	uint32_t tid;
	uint32_t gen;
	/* slot blk_nr entry -> process-wide blocked-syscall index (sysnames.h), 0xff unknown */
	uint8_t blk_idx[OPS_BLK_SYS];
};

struct ops_snap {
	uint64_t ts; /* CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns() */
	uint64_t on_ns, runq_ns, blocked_ns;
	uint64_t syscalls, syscall_ns, vcsw, ivcsw, faults;
	uint64_t map_calls, map_bytes, unmap_bytes, migrations;
	uint64_t blk_ns[OPS_BLK_SYS];
	uint64_t blk_other_ns, blk_nosys_ns;
};

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

/* The operation kind the thread is running now, so the kernel side can tag stacks. */
static inline void ops_set_kind(struct ops_thread *t, uint32_t kind)
{
	if (t->slot)
		t->slot->op_kind = kind;
}

static inline void ops_snap_take(const struct ops_thread *t, struct ops_snap *s)
{
	volatile struct ops_slot *sl = t->slot;

	s->ts = ops_now_ns();
	if (!sl) {
		memset((char *)s + sizeof(s->ts), 0, sizeof(*s) - sizeof(s->ts));
		return;
	}
	/* The thread runs now, so its current on-CPU interval began at in_ts. */
	s->on_ns = sl->on_ns + (s->ts - sl->in_ts);
	s->runq_ns = sl->runq_ns;
	s->blocked_ns = sl->blocked_ns;
	s->syscalls = sl->syscalls;
	s->syscall_ns = sl->syscall_ns;
	s->vcsw = sl->nvcsw;
	s->ivcsw = sl->nivcsw;
	s->faults = sl->faults;
	s->map_calls = sl->map_calls;
	s->map_bytes = sl->map_bytes;
	s->unmap_bytes = sl->unmap_bytes;
	s->migrations = sl->migrations;
	for (int i = 0; i < OPS_BLK_SYS; i++)
		s->blk_ns[i] = sl->blk_ns[i];
	s->blk_other_ns = sl->blk_other_ns;
	s->blk_nosys_ns = sl->blk_nosys_ns;
}

/* out = b - a, with n = 1 and lat_ns = b.ts - a.ts. */
void ops_snap_delta(struct ops_thread *t, const struct ops_snap *a, const struct ops_snap *b,
		    struct ops_bd *out);

/* Operation kinds: small integers (1..OPS_MAX_KINDS-1) named once per process. */
#define OPS_MAX_KINDS 64
uint32_t ops_kind_id(const char *name); /* registers on first use; 0 when the table is full */
const char *ops_kind_name(uint32_t id);

#endif
