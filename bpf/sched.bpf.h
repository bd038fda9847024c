/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Scheduling: what a thread's time off and on a CPU was, in the kernel's own figures and
 * its own clock. Every interval starts and ends at a switch, stamped with the run queue's
 * clock the scheduler itself uses there (clock.bpf.h). At switch-out the on-CPU time is
 * the growth of se.sum_exec_runtime, the rest of the interval is what the kernel charged
 * to no task (steal), and the switch is voluntary or not as the growth of the task's own
 * nvcsw and nivcsw says. At switch-in the wait for a CPU is the kernel's run_delay (its
 * growth plus the part not yet added), the rest blocked. New threads get their slot at
 * wakeup_new, the threads there were at attach from a scan of the tasks (seed_threads),
 * and a thread's last switch closes its slot. docs/ARCHITECTURE.md ("Counters") says why
 * each figure is taken where it is.
 */
#ifndef OPSCOPE_SCHED_BPF_H
#define OPSCOPE_SCHED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "clock.bpf.h"
#include "compat.bpf.h"
#include "slots.bpf.h"
#include "stacks.bpf.h"
#include "syscalls.bpf.h"
#include "wakers.bpf.h"
#include "faults.bpf.h"

/* __state of a task in its last switch, from do_task_dead() (0x80 since 4.14). */
#define TASK_DEAD 0x0080

/* Whole-life counting for the threads found at attach (record -- CMD: the command was
 * forked before the programs loaded), set by the loader before the scan. */
__u32 seed_life;

/* Blocked time ends: charge d ns to the syscall the thread blocked in. */
static __always_inline void account_blocked(struct ops_slot *s, __u64 d)
{
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

/* Remember the off-CPU interval that ends at mono (before the state moves on). */
static __always_inline void off_ring_add(struct ops_slot *s, __u64 mono)
{
	struct ops_off *o;
	__u32 i = s->off_seq & (OPS_OFF_RING - 1);

	if (s->state == OPS_T_RUNNING)
		return; /* its switch-out escaped us: no interval to speak of */
	o = &s->off[i];
	o->start = s->out_ts;
	o->end = mono;
	o->wake = s->wake_ts;
	o->sys = s->blk_sys;
	o->kstack = stacks_on ? s->pend_kstack : 0;
	o->waker = stacks_on ? s->pend_waker : 0;
	why_ring(s, o);
	s->off_seq++;
}

/*
 * How long t, switched in at clk after being off-CPU since s->out_clk, waited for a CPU,
 * in the kernel's own figure: what run_delay grew by since the switch-out (waits a
 * migration ended: the kernel adds them when it moves a waiting task), plus the wait
 * since last_queued that sched_info_arrive() is about to add with this same clock read.
 */
static __always_inline __u64 kernel_wait(struct ops_slot *s, struct task_struct *t, __u64 clk)
{
	__u64 wait = task_run_delay(t) - s->rd_out;
	__u64 lq = task_last_queued(t);

	if (lq && clk > lq)
		wait += clk - lq;
	return wait;
}

/*
 * The off-CPU interval of a thread ends at clk: its wait for a CPU is the kernel's own
 * figure, the rest was blocked (after a voluntary switch) or, after a preemption, time
 * in transit between run queues that the kernel charged to nobody (steal). The thread
 * is RUNNABLE since it was woken.
 */
static __always_inline void end_off_cpu(struct ops_slot *s, struct task_struct *next, __u64 clk,
					__u64 mono)
{
	__u64 off = clk - s->out_clk;
	__u64 wait = kernel_wait(s, next, clk);

	if (wait > off) {
		/* run queues' clocks apart by more than the interval (or the kernel counted a
		 * wait that began before it): counted, and cut to the interval */
		stat_inc(OPS_STAT_WAIT_CUT);
		stat_add(OPS_STAT_WAIT_CUT_NS, wait - off);
		wait = off;
	}
	s->runq_ns += wait;
	if (s->state == OPS_T_BLOCKED) {
		account_blocked(s, off - wait);
		s->wake_ts = mono - wait;
	} else {
		s->steal_ns += off - wait;
	}
	s->state = OPS_T_RUNNABLE;
}

/*
 * A thread we thought off-CPU is running: its switch-in reached no program. This kernel
 * (6.18 here) does not trace switches away from some tasks (its own agent's threads), so
 * the switch into the next one is never seen. The kernel still noted when the thread
 * arrived (sched_info.last_arrival, in the clock of that switch) and added the wait that
 * ended there to run_delay, so the interval closes as it would have at the switch-in:
 * exactly, whenever the thread next enters the kernel (a syscall, a fault, its
 * switch-out). The run time since then is still the growth of sum_exec_runtime, which did
 * not move while it was off-CPU. now: this moment, in the run queue's clock.
 */
static __always_inline void repair_arrival(struct ops_slot *s, struct task_struct *t, __u64 now)
{
	__u64 arr = task_last_arrival(t), mono;
	__u32 cpu = bpf_get_smp_processor_id();

	if (arr <= s->out_clk || arr > now)
		arr = now; /* not noted (no wait to end): the interval ends now */
	mono = clk_mono(arr);
	end_off_cpu(s, t, arr, mono);
	off_ring_add(s, mono);
	if (s->cpu != cpu)
		s->migrations++;
	s->cpu = cpu;
	s->state = OPS_T_RUNNING;
	s->in_clk = arr;
	s->in_ts = mono;
	s->rd_in = task_run_delay(t);
	stat_inc(OPS_STAT_MISSED_IN);
}

/* At an event in the thread's own context (a syscall, a fault): the thread runs, so a
 * slot that says otherwise missed its switch-in. */
static __always_inline void running_check(struct ops_slot *s)
{
	__u64 mono;

	if (s->state != OPS_T_RUNNING)
		repair_arrival(s, bpf_get_current_task_btf(), clk_now(&mono));
}

/* On-CPU time since the last switch of t, which leaves the CPU at clk. The scheduler has
 * just charged its run time (update_curr() in put_prev_task()); its growth leaves out
 * hypervisor steal, which is the rest of the interval. */
static __always_inline void account_run(struct ops_slot *s, struct task_struct *t, __u64 clk)
{
	__u64 sum, exec, rest, hidden;

	if (s->state != OPS_T_RUNNING)
		repair_arrival(s, t, clk);
	sum = t->se.sum_exec_runtime;
	exec = s->exec_last == EXEC_UNKNOWN ? clk - s->in_clk : sum - s->exec_last;
	s->on_ns += exec;
	s->exec_last = sum;
	rest = clk - s->in_clk > exec ? clk - s->in_clk - exec : 0;
	/* A wait the kernel counted since the switch-in: the thread left the CPU and came
	 * back without either switch reaching a program. It was waiting then, not stolen. */
	hidden = task_run_delay(t) - s->rd_in;
	if ((__s64)hidden > 0) {
		if (hidden > rest)
			hidden = rest;
		s->runq_ns += hidden;
		rest -= hidden;
		stat_inc(OPS_STAT_MISSED_OUT);
	}
	s->steal_ns += rest;
}

/*
 * The thread's last switch (do_task_dead()): account its last run, keep its name, and
 * queue its slot for the collector to read one last time. Here rather than at
 * sched_process_exit, which comes before exit_mm(): the run time and the faults of the
 * exit itself (robust futex list, clear_child_tid) are the thread's too.
 */
static __always_inline void thread_gone(struct ops_slot *s, struct task_struct *t, __u64 clk)
{
	__u32 tid = t->pid, *v, idx;

	account_run(s, t, clk);
	faults_sync(s, t);
	offcpu_gone(s);
	/* every switch the kernel counted, this last one too (getrusage's sums leave out
	 * what a thread other than the leader did after it was released: its last switch,
	 * and any preemption on its way there) */
	s->nvcsw += t->nvcsw - s->nv_last;
	s->nivcsw += t->nivcsw - s->niv_last;
	s->state = OPS_T_EXITED;
	bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), t->comm);
	v = bpf_map_lookup_elem(&tid_idx, &tid);
	if (!v || !*v)
		return;
	idx = *v - 1;
	/* only its own entry: a tid is free for a new thread once the old one is released,
	 * which can be before this, its last switch */
	__sync_val_compare_and_swap(v, idx + 1, 0);
	bpf_map_push_elem(&dead_slots, &idx, 0);
}

/* Thread p begins to exit (sched_process_exit): keep its name in its slot. */
static __always_inline void thread_exiting(struct task_struct *p)
{
	struct ops_slot *s;

	if (hooks_only || !is_target_tgid(p->tgid))
		return;
	s = slot_of(p->pid);
	if (s)
		bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), p->comm);
}

/* prev, a target thread and the current task, leaves the CPU at clk (mono: the same
 * moment in CLOCK_MONOTONIC). */
static __always_inline void switch_out(struct task_struct *prev, bool preempt,
				       unsigned long prev_state, __u64 clk, __u64 mono)
{
	struct ops_slot *s = running_slot(prev->pid);
	__u64 nv, niv, dv, di;
	bool vol;

	if (!s) {
		if (prev_state & TASK_DEAD)
			return; /* first seen in its last switch: nothing to count */
		s = current_slot(prev->pid);
		if (!s)
			return;
	}
	if (prev_state & TASK_DEAD) {
		thread_gone(s, prev, clk);
		return;
	}
	account_run(s, prev, clk);
	faults_sync(s, prev);
	/* __schedule() has counted this switch already: the counter that grew says how.
	 * Both grow only after a switch-out that escaped us; then, and for a thread first
	 * seen right here (neither grew since its baseline), the tracepoint's view decides. */
	nv = prev->nvcsw;
	niv = prev->nivcsw;
	dv = nv - s->nv_last;
	di = niv - s->niv_last;
	s->nv_last = nv;
	s->niv_last = niv;
	if (dv + di == 0) {
		vol = !preempt && prev_state;
		dv = vol;
		di = !vol;
	} else {
		vol = dv && (!di || (!preempt && prev_state));
	}
	s->nvcsw += dv;
	s->nivcsw += di;
	s->out_clk = clk;
	s->out_ts = mono;
	s->rd_out = task_run_delay(prev);
	if (vol) {
		/* blocked, or (a sleep entered with a signal pending) still runnable: the
		 * kernel's run_delay at switch-in tells which part was which */
		s->state = OPS_T_BLOCKED;
		s->blk_sys = blocked_syscall(s, prev);
	} else {
		s->state = OPS_T_RUNNABLE;
		s->wake_ts = mono;
		s->blk_sys = OPS_OFF_PREEMPTED;
	}
	offcpu_switch_out(s, prev);
}

/* A thread switches in that we thought running: its switch-out escaped us. It ran for
 * what its run time grew by, waited for what run_delay grew by (and is about to), and
 * the rest of the gap it was blocked, if the kernel counted a voluntary switch, else it
 * was stolen. */
static __always_inline void repair_unseen_switch_out(struct ops_slot *s, struct task_struct *next,
						     __u64 clk)
{
	__u64 sum = next->se.sum_exec_runtime;
	__u64 exec = s->exec_last == EXEC_UNKNOWN ? 0 : sum - s->exec_last;
	__u64 gap = clk - s->in_clk > exec ? clk - s->in_clk - exec : 0;
	__u64 lq = task_last_queued(next), w = task_run_delay(next) - s->rd_in;

	if (lq && clk > lq)
		w += clk - lq;
	if ((__s64)w < 0)
		w = 0;
	if (w > gap)
		w = gap;
	s->on_ns += exec;
	s->runq_ns += w;
	gap -= w;
	if (next->nvcsw != s->nv_last) {
		s->blk_sys = -1;
		account_blocked(s, gap);
	} else {
		s->steal_ns += gap;
	}
	stat_inc(OPS_STAT_MISSED_OUT);
}

/* next, a target thread, takes this CPU at clk (mono in CLOCK_MONOTONIC). */
static __always_inline void switch_in(struct task_struct *next, __u64 clk, __u64 mono)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ops_slot *s = running_slot(next->pid);

	if (!s) {
		if (next->flags & PF_EXITING)
			return; /* first seen on its way out: nothing worth a slot */
		s = slot_new(next->pid, next->tgid, cpu, true);
		if (!s)
			return;
		slot_baseline(s, next);
	} else {
		if (s->state == OPS_T_BLOCKED || s->state == OPS_T_RUNNABLE)
			end_off_cpu(s, next, clk, mono);
		else if (s->state == OPS_T_RUNNING)
			repair_unseen_switch_out(s, next, clk);
		offcpu_switch_in(s, next, mono);
		off_ring_add(s, mono);
		if (s->cpu != cpu)
			s->migrations++;
	}
	s->cpu = cpu;
	s->state = OPS_T_RUNNING;
	s->in_clk = clk;
	s->in_ts = mono;
	s->exec_last = next->se.sum_exec_runtime;
	/* what run_delay will read once sched_info_arrive() has added this wait */
	s->rd_in = task_run_delay(next);
	if (task_last_queued(next) && clk > task_last_queued(next))
		s->rd_in += clk - task_last_queued(next);
}

/* A wakeup of p (new_task: its first, at wakeup_new). */
static __always_inline void wakeup(void *ctx, struct task_struct *p, bool new_task)
{
	struct ops_slot *s;

	if (hooks_only || !is_target_tgid(p->tgid))
		return;
	s = slot_of(p->pid);
	if (!s) {
		__u64 lq;

		if (!new_task)
			return; /* first seen when it runs */
		s = slot_new(p->pid, p->tgid, task_cpu_of(p), false);
		if (!s)
			return;
		slot_baseline(s, p);
		/* a new thread: its first wait for a CPU started when it was queued (just
		 * now), and nothing before; it is placed on its first CPU already (no
		 * migration when it runs there) */
		lq = task_last_queued(p);
		s->state = OPS_T_RUNNABLE;
		s->out_clk = lq ? lq : task_rq_clock(p);
		s->out_ts = clk_mono(s->out_clk);
		s->wake_ts = s->out_ts;
		return;
	}
	/* Only loaded for waker stacks: the accounting itself needs no wakeup event. */
	if (s->state == OPS_T_BLOCKED)
		waker_note(ctx, s, bpf_ktime_get_ns());
}

/*
 * A thread of the target that was there before the programs were attached (the scan at
 * attach, the iter/task program): a slot from now on, in the state it is in. Counting
 * starts now, or, with seed_life, at the thread's birth for what the kernel keeps a
 * count of (run time, run-queue wait, switches, faults; not blocked time nor syscalls).
 */
static __always_inline void thread_seed(struct task_struct *t)
{
	struct ops_slot *s;
	__u64 clk, mono;

	if (slot_of(t->pid))
		return; /* its own events got there first */
	s = slot_new(t->pid, t->tgid, task_cpu_of(t), false);
	if (!s)
		return;
	stat_inc(OPS_STAT_SEEDED);
	slot_baseline(s, t);
	if (seed_life) {
		s->on_ns = s->exec_last;
		s->runq_ns = s->rd_out;
		s->nvcsw = s->nv_last;
		s->nivcsw = s->niv_last;
		s->faults = s->flt_base;
		s->flt_base = 0;
	}
	clk = clk_now(&mono);
	if (t->on_cpu) {
		s->state = OPS_T_RUNNING;
		s->in_clk = clk;
		s->in_ts = mono;
		return;
	}
	s->out_clk = clk;
	s->out_ts = mono;
	s->wake_ts = mono;
	if (task_state(t) == 0) {
		__u64 lq = task_last_queued(t);

		/* preempted or new, waiting for a CPU since it was queued: the kernel adds that
		 * whole wait to run_delay when the thread arrives, so the interval starts
		 * there, not at the scan (else the switch-in cut the wait to the scan) */
		if (lq && lq < clk) {
			s->out_clk = lq;
			s->out_ts = clk_mono(lq);
			s->wake_ts = s->out_ts;
		}
		s->state = OPS_T_RUNNABLE;
		s->blk_sys = OPS_OFF_PREEMPTED;
	} else {
		s->state = OPS_T_BLOCKED; /* in the syscall its saved registers name */
		s->blk_sys = task_syscall(t);
	}
}

#endif /* OPSCOPE_SCHED_BPF_H */
