/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Scheduling: what a thread's time off and on a CPU was, in the kernel's own figures.
 * At switch-out its on-CPU time is the growth of se.sum_exec_runtime and the switch is
 * voluntary (BLOCKED) or not (RUNNABLE) as __schedule() counts it; at switch-in the
 * interval since splits into blocked and waiting for a CPU with the clock reads of
 * schedstat's run_delay. New threads get their slot at wakeup_new; exit hands the slot
 * back. docs/ARCHITECTURE.md ("Counters") says why each figure is taken where it is.
 */
#ifndef OPSCOPE_SCHED_BPF_H
#define OPSCOPE_SCHED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "compat.bpf.h"
#include "slots.bpf.h"
#include "stacks.bpf.h"
#include "syscalls.bpf.h"
#include "wakers.bpf.h"

/* Blocked time ends: charge it to the syscall the thread blocked in. */
static __always_inline void account_blocked(struct ops_slot *s, __u64 now)
{
	__u64 d = now - s->out_ts;
	__s32 nr = s->blk_sys;
	int i;

	s->blocked_ns += d;
	if (nr < 0) {
		s->blk_nosys_ns += d;
		return;
	}
	for (i = 0; i < OPS_BLK_SYS; i++) {
		if (s->blk_nr[i] == nr) {
			s->blk_ns[i] += d;
			return;
		}
		if (s->blk_nr[i] < 0) {
			s->blk_nr[i] = nr;
			s->blk_ns[i] = d;
			return;
		}
	}
	s->blk_other_ns += d;
}

/* Remember the off-CPU interval that ends now (before the state moves on). */
static __always_inline void off_ring_add(struct ops_slot *s, __u64 now)
{
	struct ops_off *o;
	__u32 i = s->off_seq & (OPS_OFF_RING - 1);

	if (s->state == OPS_T_RUNNING)
		return; /* its switch-out escaped us: no interval to speak of */
	o = &s->off[i];
	o->start = s->out_ts;
	o->end = now;
	o->wake = s->state == OPS_T_BLOCKED ? now : s->wake_ts;
	o->sys = s->blk_sys;
	o->kstack = stacks_on ? s->pend_kstack : 0;
	o->waker = stacks_on ? s->pend_waker : 0;
	why_ring(s, o);
	s->off_seq++;
}

/*
 * A thread switches out that we thought off-CPU: it ran since, yet no switch-in reached
 * us (seen on 6.18 under load, rarely). What it waited before running is the elapsed
 * time less its run time exec; after a block, the kernel's run_delay tells how much of
 * that was waiting for a CPU.
 */
static __always_inline void repair_unseen_switch_in(struct ops_slot *s, struct task_struct *prev,
						    __u64 now, __u64 exec)
{
	__u64 since = s->state == OPS_T_RUNNABLE ? s->wake_ts : s->out_ts;

	if (now - since > exec) {
		__u64 gap = now - since - exec, w = gap;

		if (s->state == OPS_T_BLOCKED) {
			w = task_run_delay(prev) - s->rd_out;
			if (w > gap)
				w = gap;
			account_blocked(s, now - exec - w);
		}
		s->runq_ns += w;
	}
	stat_inc(OPS_STAT_MISSED_IN);
}

/* prev, a target thread and the current task, leaves the CPU at now. */
static __always_inline void switch_out(struct task_struct *prev, bool preempt,
				       unsigned long prev_state, __u64 now)
{
	struct ops_slot *s = current_slot(prev->pid, now);
	__u64 sum, exec;

	if (!s)
		return;
	/* The scheduler has just charged prev's run time (update_curr in put_prev_task):
	 * its growth since the last switch is the on-CPU time, which leaves out hypervisor
	 * steal and IRQ time, and stays right even if a switch-in escaped us. */
	sum = prev->se.sum_exec_runtime;
	exec = s->exec_last == EXEC_UNKNOWN ? now - s->in_ts : sum - s->exec_last;
	s->on_ns += exec;
	s->exec_last = sum;
	if (s->state == OPS_T_RUNNING) {
		if (now - s->in_ts > exec)
			s->steal_ns += now - s->in_ts - exec;
	} else {
		repair_unseen_switch_in(s, prev, now, exec);
	}
	s->out_ts = now;
	s->rd_out = task_run_delay(prev);
	/* The kernel counts a switch as voluntary when the task gave up the CPU in a
	 * sleeping state and was not preempted (__schedule()). */
	if (!preempt && prev_state) {
		s->nvcsw++;
		s->state = OPS_T_BLOCKED;
		s->blk_sys = blocked_syscall(s, prev);
	} else {
		s->nivcsw++;
		s->state = OPS_T_RUNNABLE;
		s->wake_ts = now;
		s->blk_sys = OPS_OFF_PREEMPTED;
	}
	offcpu_switch_out(s, prev);
}

/*
 * A blocked thread is switched in: it was woken when it was enqueued, at
 * sched_info.last_queued, in the run-queue clock schedstat's run_delay is kept in. So
 * its wait for a CPU ends in the same clock reads the kernel's does, and no program
 * needs to run at every wakeup. The rest of the interval was blocked; the thread is
 * RUNNABLE since it was woken.
 */
static __always_inline void end_block(struct ops_slot *s, struct task_struct *next, __u64 now)
{
	__u64 off = now - s->out_ts;
	__u64 lq = task_last_queued(next);
	__u64 clk = switch_in_rq_clock(next);
	/* A wait that a migration ended (woken on one CPU, moved to another before it
	 * ran) the kernel has already added to run_delay, and last_queued only holds the
	 * wait since. */
	__u64 wait = task_run_delay(next) - s->rd_out;

	if (lq && clk > lq)
		wait += clk - lq;
	if (wait > off)
		wait = off;
	account_blocked(s, now - wait);
	s->state = OPS_T_RUNNABLE;
	s->wake_ts = now - wait;
}

/* A thread switches in that we thought running: its switch-out escaped us. Charge the
 * run time it had and count the rest of the gap as waiting for a CPU. */
static __always_inline void repair_unseen_switch_out(struct ops_slot *s, struct task_struct *next,
						     __u64 now)
{
	__u64 sum = next->se.sum_exec_runtime;
	__u64 exec = s->exec_last == EXEC_UNKNOWN ? 0 : sum - s->exec_last;

	s->on_ns += exec;
	if (now - s->in_ts > exec)
		s->runq_ns += now - s->in_ts - exec;
	stat_inc(OPS_STAT_MISSED_OUT);
}

/* next, a target thread, takes this CPU at now. */
static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ops_slot *s = running_slot(next->pid);

	if (!s) {
		if (next->flags & PF_EXITING)
			return; /* past sched_process_exit: its slot is gone */
		s = slot_new(next->pid, true);
		if (!s)
			return;
	} else {
		if (s->state == OPS_T_BLOCKED)
			end_block(s, next, now);
		offcpu_switch_in(s, next, now);
		off_ring_add(s, now);
		if (s->state == OPS_T_RUNNABLE)
			s->runq_ns += now - s->wake_ts;
		else if (s->state == OPS_T_RUNNING)
			repair_unseen_switch_out(s, next, now);
		if (s->cpu != cpu)
			s->migrations++;
	}
	s->cpu = cpu;
	s->state = OPS_T_RUNNING;
	s->in_ts = now;
	s->exec_last = next->se.sum_exec_runtime;
}

/* A wakeup of p (new_task: its first, at wakeup_new). */
static __always_inline void wakeup(void *ctx, struct task_struct *p, bool new_task)
{
	struct ops_slot *s;
	__u64 now;

	if (hooks_only || p->tgid != targ_tgid)
		return;
	now = bpf_ktime_get_ns();
	s = slot_of(p->pid);
	if (!s) {
		if (!new_task)
			return; /* first seen when it runs */
		s = slot_new(p->pid, false);
		if (!s)
			return;
		/* a new thread: its first wait for a CPU starts now, and nothing before;
		 * it is placed on its first CPU already (no migration when it runs there) */
		s->state = OPS_T_RUNNABLE;
		s->out_ts = now;
		s->wake_ts = now;
		s->cpu = task_cpu_of(p);
		return;
	}
	/* Only loaded for waker stacks: the accounting itself needs no wakeup event. */
	if (s->state == OPS_T_BLOCKED)
		waker_note(ctx, s, now);
}

/* Thread p exits: charge its last run, keep its name, and queue its slot for the
 * collector to read one last time. */
static __always_inline void thread_exit(struct task_struct *p)
{
	__u32 tid, *idx;
	struct ops_slot *s;

	if (hooks_only || p->tgid != targ_tgid)
		return;
	tid = p->pid;
	idx = bpf_map_lookup_elem(&tid_slot, &tid);
	if (!idx)
		return;
	s = bpf_map_lookup_elem(&slots, idx);
	if (s) {
		if (s->state == OPS_T_RUNNING)
			s->on_ns += s->exec_last == EXEC_UNKNOWN ? bpf_ktime_get_ns() - s->in_ts :
				    p->se.sum_exec_runtime - s->exec_last;
		s->state = OPS_T_EXITED;
		bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), p->comm);
	}
	bpf_map_push_elem(&dead_slots, idx, 0);
	bpf_map_delete_elem(&tid_slot, &tid);
}

#endif /* OPSCOPE_SCHED_BPF_H */
