// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-thread kernel accounting for one target process (and, with follow, the processes
 * it forks): on-CPU, run-queue and blocked time, context switches, syscalls, user page
 * faults, memory-mapping syscalls and migrations, kept as cumulative counters in a slot
 * of an mmapable array that the driver's threads read without a syscall.
 *
 * This file holds the programs, one per tracepoint, each a few lines that hand the event
 * to the headers that own its concern: slots.bpf.h (which threads, where their counters
 * are), sched.bpf.h (switches, wakeups, exit), wakers.bpf.h (who ended each blocked
 * interval, run --why), syscalls.bpf.h, faults.bpf.h, stacks.bpf.h (all stack
 * collection), clock.bpf.h (the run queue's clock and CLOCK_MONOTONIC), and compat.bpf.h
 * (every kernel field that
 * differs across versions, configurations or architectures). They are headers, not
 * separate objects, so that each tracepoint still runs one program.
 *
 * Every program is tp_btf (no tracefs), except on-CPU sampling (perf_event) and the scan
 * of the threads there are at attach (iter/task). Each returns after one compare for
 * tasks of other processes, which is the common case on a busy machine (the switch
 * program, after one more load: the clock model may want a sample).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "opscope.h"
#include "compat.bpf.h"
#include "clock.bpf.h"
#include "slots.bpf.h"
#include "stacks.bpf.h"
#include "syscalls.bpf.h"
#include "sched.bpf.h"
#include "faults.bpf.h"
#include "follow.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Three arguments on every kernel: prev_state, the fourth since 5.18, is read through
 * compat.bpf.h, which knows whether this kernel has it. The run queue's clock was read
 * at the start of __schedule(): both threads' intervals end and start there. */
SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 clk, mono;
	bool out, in;

	if (hooks_only)
		return 0;
	why_switch_reset();
	clk_sample_wanted(next);
	out = is_target_tgid(prev->tgid);
	in = is_target_tgid(next->tgid);
	if (!out && !in)
		return 0;
	clk = task_rq_clock(next);
	mono = clk_mono(clk);
	if (out)
		switch_out(prev, preempt, switch_prev_state(ctx, prev), clk, mono);
	if (in)
		switch_in(next, clk, mono);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	wakeup(ctx, p, false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	wakeup(ctx, p, true);
	return 0;
}

/* run --why: the waker, in its own context (wakers.bpf.h); the interrupt, softirq and
 * timer-expiry tracepoints below only say which context that is. */
SEC("tp_btf/sched_waking")
int BPF_PROG(handle_waking, struct task_struct *p)
{
	why_waking(p);
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(handle_irq_entry, int irq, struct irqaction *action)
{
	why_irq_enter(0, (__u32)irq);
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(handle_irq_exit, int irq, struct irqaction *action, int ret)
{
	why_irq_exit(0);
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(handle_softirq_entry, unsigned int vec)
{
	why_irq_enter(1, vec);
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(handle_softirq_exit, unsigned int vec)
{
	why_irq_exit(1);
	return 0;
}

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(handle_timer_entry, struct hrtimer *timer, ktime_t *now)
{
	why_irq_enter(2, 0);
	return 0;
}

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(handle_timer_exit, struct hrtimer *timer)
{
	why_irq_exit(2);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	__u32 tid = target_tid();
	struct ops_slot *s;

	if (!tid)
		return 0;
	s = current_slot(tid);
	if (!s)
		return 0;
	running_check(s);
	sys_at_entry(s, regs, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = target_tid();
	struct ops_slot *s;

	if (!tid)
		return 0;
	s = running_slot(tid);
	if (!s)
		return 0;
	running_check(s);
	offcpu_sys_exit(ctx, s);
	/* a syscall's kernel-mode faults (a read() into a fresh buffer) in the operation
	 * that made it, not the one of the next switch-out */
	if (sys_mode == OPS_SYS_TIME)
		faults_sync(s, bpf_get_current_task_btf());
	sys_at_exit(s, ret);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(handle_fault, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u32 tid = target_tid();
	struct ops_slot *s;

	if (!tid)
		return 0;
	s = current_slot(tid);
	if (!s)
		return 0;
	running_check(s);
	fault_user(ctx, s);
	return 0;
}

/* On-CPU sampling: a software cpu-clock perf event on every CPU. */
SEC("perf_event")
int handle_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tid = target_tid();
	struct ops_slot *s;

	if (!tid)
		return 0;
	s = running_slot(tid);
	stat_inc(OPS_STAT_SAMPLES);
	stack_count(OPS_ST_ONCPU, s ? s->op_kind : 0, tid, 0, cur_stack(ctx, false),
		    cur_stack(ctx, true), 1);
	return 0;
}

/* A thread of the target begins to exit: its name, while /proc still has it and before
 * pthread_join() returns (its slot closes later, at its last switch). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	thread_exiting(p);
	follow_exit(p);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	follow_fork(parent, child);
	return 0;
}

/* The threads of the target that exist at attach: the collector reads this iterator once,
 * after the clock model is ready (sched.bpf.h, thread_seed). */
SEC("iter/task")
int seed_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;

	if (!t || hooks_only || t->tgid != targ_tgid)
		return 0;
	thread_seed(t);
	return 0;
}
