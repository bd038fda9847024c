/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Slots: which threads are accounted, and where. One slot per thread of the target
 * process (and, with follow, of the processes it forks: follow.bpf.h) in an mmapable
 * array the driver's threads read without a syscall; a tid-to-slot index (an array by
 * tid); the queues through which exited threads' slots go to userspace and come back;
 * and the loss counters (enum ops_stat). Slots are handed out in the kernel on a
 * thread's first sight.
 */
#ifndef OPSCOPE_SLOTS_BPF_H
#define OPSCOPE_SLOTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opscope.h"
#include "clock.bpf.h"
#include "compat.bpf.h"

#define PF_EXITING 0x00000004
/* exec_last of a thread first seen while running: its first interval is timed by the wall */
#define EXEC_UNKNOWN (~0ull)

/* Set by the loader before load. */
const volatile __u32 targ_tgid = 0;
/* Also account the processes the target forks, and theirs (follow.bpf.h): off, every
 * compare below is the one with targ_tgid. */
const volatile bool follow = false;

/* follow: the processes forked from the target (tgid -> 1), until their last thread exits */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OPS_MAX_FOLLOW);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* Is tgid an accounted process: the target, or (follow) one forked from it? */
static __always_inline bool is_target_tgid(__u32 tgid)
{
	if (tgid == targ_tgid)
		return true;
	return follow && bpf_map_lookup_elem(&followed, &tgid);
}
/* enum ops_sys_mode: time syscalls (sys_enter + sys_exit, a clock read at each), count
 * them at entry (sys_enter only), or neither (no syscall program; which syscall a thread
 * blocked in still comes from its saved registers at the switch). syscalls.bpf.h does
 * the work; stacks.bpf.h asks whether a sys_exit program runs. */
const volatile __u32 sys_mode = OPS_SYS_TIME;

/* Every program returns at once: what the kernel's hooks cost before opscope does any
 * work (record --hooks-only, for overhead measurements). */
const volatile bool hooks_only = false;

/* Next never-used slot; recycled slots come from free_slots first. */
__u32 next_slot = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, OPS_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct ops_slot);
} slots SEC(".maps");

/* tid -> slot index + 1 (0: none), indexed directly: an array lookup costs a few
 * instructions where a hash lookup cost 15-20 ns at every switch-in. The loader sizes it
 * to pid_max; a thread with a tid beyond it (pid_max raised after the start) gets no
 * slot, and is counted in OPS_STAT_TID_MAP_FULL. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);   /* tid */
	__type(value, __u32); /* slot index + 1 */
} tid_idx SEC(".maps");

/* Slots of exited threads, for userspace to read one last time and recycle. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, OPS_MAX_SLOTS);
	__type(value, __u32);
} dead_slots SEC(".maps");

/* Slots userspace has read one last time, ready for new threads (slot_new clears them). */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, OPS_MAX_SLOTS);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OPS_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		(*v)++;
}

/*
 * The current thread's tid when it belongs to the profiled process, else 0 (the idle
 * task is tid 0 and never a target). The first thing every program that runs in a
 * thread's own context does; with hooks_only it is all they do.
 */
static __always_inline __u32 target_tid(void)
{
	__u64 pid_tgid;

	if (hooks_only)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!is_target_tgid((__u32)(pid_tgid >> 32)))
		return 0;
	return (__u32)pid_tgid;
}

/* The slot of thread tid, or NULL. */
static __always_inline struct ops_slot *slot_of(__u32 tid)
{
	__u32 *v = bpf_map_lookup_elem(&tid_idx, &tid), idx;

	if (!v || !*v)
		return NULL;
	idx = *v - 1;
	return bpf_map_lookup_elem(&slots, &idx);
}

/* The slot of tid, which is running (or is being switched in) on this CPU. (Once a
 * per-CPU cache of the last thread's slot, worth it while the index was a hash.) */
static __always_inline struct ops_slot *running_slot(__u32 tid)
{
	return slot_of(tid);
}

/*
 * Counting starts now for t (its slot s): the kernel's own figures for it become the
 * baselines whose growth the counters take (thread_seed() with seed_life takes the
 * figures themselves as counts).
 */
static __always_inline void slot_baseline(struct ops_slot *s, struct task_struct *t)
{
	s->exec_last = t->se.sum_exec_runtime;
	s->rd_out = task_run_delay(t);
	s->rd_in = s->rd_out;
	s->nv_last = t->nvcsw;
	s->niv_last = t->nivcsw;
	s->flt_base = t->min_flt + t->maj_flt;
}

/*
 * Give a slot to a thread seen for the first time. Returns NULL (and counts why) when
 * none is left, or when another CPU gave it one meanwhile. The caller sets state,
 * timestamps and baselines.
 */
static __noinline struct ops_slot *slot_new(__u32 tid, __u32 tgid, __u32 cpu, bool late)
{
	struct ops_slot *s;
	__u32 idx, gen, *v;

	if (bpf_map_pop_elem(&free_slots, &idx)) {
		idx = __sync_fetch_and_add(&next_slot, 1);
		if (idx >= OPS_MAX_SLOTS) {
			stat_inc(OPS_STAT_SLOTS_FULL);
			return NULL;
		}
	}
	s = bpf_map_lookup_elem(&slots, &idx);
	if (!s)
		return NULL;
	gen = s->gen;
	/* the off-CPU ring keeps older entries: their times predate the new thread */
	__builtin_memset(s, 0, __builtin_offsetof(struct ops_slot, off_seq));
	s->off_seq = 0;
	for (int i = 0; i < OPS_BLK_SYS; i++)
		s->blk_nr[i] = -1;
	s->sys_nr = -1;
	s->blk_sys = -1;
	s->tid = tid;
	s->tgid = tgid;
	s->gen = gen + 1;
	s->cpu = cpu;
	v = bpf_map_lookup_elem(&tid_idx, &tid);
	if (!v || __sync_val_compare_and_swap(v, 0, idx + 1) != 0) {
		/* no entry: a tid beyond pid_max at the start; taken: another CPU gave the
		 * thread its slot first (its first events raced, or they raced the scan at
		 * attach), and this event goes uncounted */
		if (!v)
			stat_inc(OPS_STAT_TID_MAP_FULL);
		s->state = OPS_T_EXITED;
		s->tid = 0;
		bpf_map_push_elem(&free_slots, &idx, 0);
		return NULL;
	}
	if (late)
		stat_inc(OPS_STAT_LATE_THREAD);
	return s;
}

/*
 * The slot of the current thread tid (a target thread, running), created on first
 * sight unless the thread is exiting. Its first interval on the CPU starts then and is
 * timed by the clock, since the scheduler charges its run time only at ticks and
 * switches and the figure now may be stale.
 */
static __always_inline struct ops_slot *current_slot(__u32 tid)
{
	struct ops_slot *s = running_slot(tid);
	struct task_struct *t;
	__u64 mono;

	if (s)
		return s;
	t = bpf_get_current_task_btf();
	if (t->flags & PF_EXITING)
		return NULL;
	s = slot_new(tid, t->tgid, bpf_get_smp_processor_id(), true);
	if (s) {
		slot_baseline(s, t);
		s->state = OPS_T_RUNNING;
		s->in_clk = clk_now(&mono);
		s->in_ts = mono;
		s->exec_last = EXEC_UNKNOWN;
	}
	return s;
}

#endif /* OPSCOPE_SLOTS_BPF_H */
