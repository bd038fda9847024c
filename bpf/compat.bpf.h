/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel compatibility: every kernel field or tracepoint argument opscope reads that was
 * added, moved or renamed across versions, or exists only with some configurations or on
 * some architectures, is read here and nowhere else. Each fix names the kernel commit
 * that made it necessary. Fallbacks are chosen by CO-RE (bpf_core_field_exists and
 * ___flavour structs, resolved by libbpf against the running kernel's BTF at load) or,
 * where CO-RE cannot tell, by a .rodata knob the loader sets from that BTF
 * (userspace/kernel/kcompat.c). The verifier sees the knobs and the existence checks as
 * constants and drops the branch a kernel does not take, so no fallback costs anything
 * where it is not used. Where no exact fallback exists the loader refuses the kernel with
 * a sentence before load: opscope does not count from a field that is not there.
 *
 * Together these leave Linux 5.15 as the oldest kernel the programs load on; what sets
 * that floor is elsewhere (bpf_task_pt_regs, see task_syscall below; docs/ARCHITECTURE.md,
 * "Kernels", has the whole list).
 */
#ifndef OPSCOPE_COMPAT_BPF_H
#define OPSCOPE_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * sched_switch's prev_state argument. fa2c3254d7cf ("sched/tracing: Don't re-read
 * p->state when emitting sched_switch event", 5.18) added it: the state __schedule()
 * read on entry, which decides whether it counts the switch as voluntary. Before it the
 * tracepoint had three arguments and itself read the task's state, which is what the
 * fallback reads. The two differ in one case: a task that went to sleep with a signal
 * already pending, which the kernel sets running again while still counting a voluntary
 * switch; the task's state then reads 0, and so has the argument since 8feb053d5319
 * (6.16, also in some stable kernels). There (6.18 included) and before 5.18,
 * switch_out() counts such a switch involuntary where /proc counts it voluntary.
 *
 * A tp_btf program that reads an argument the kernel's prototype lacks is rejected at
 * load, and no CO-RE relocation tells how many arguments a tracepoint has. So the loader
 * counts them in the btf_trace_sched_switch typedef of the kernel's BTF and sets this
 * knob. A knob rather than twin programs: sched_switch still runs one program, under one
 * name (what --bpf-stats and the benchmarks report), and the object holds the switch
 * code once; the verifier never looks at the branch this kernel does not take, so the
 * other kernel's context read cannot fail the load.
 */
const volatile bool switch_has_prev_state = false;

/* task_struct::state became __state (unsigned int) in 2f064a59a11f ("sched: Change
 * task_struct::state", 5.14). */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return ((struct task_struct___pre_5_14 *)t)->state;
}

/* The state prev switched out in (ctx: the sched_switch program's arguments). */
static __always_inline unsigned long switch_prev_state(unsigned long long *ctx,
						       struct task_struct *prev)
{
	if (switch_has_prev_state)
		return (unsigned int)ctx[3];
	return task_state(prev);
}

/*
 * The clock of the run queue a task is on, the clock in which the kernel stamps
 * sched_info.last_queued and adds to run_delay. At sched_switch it was updated at the
 * start of __schedule(), and prev and next are on the same run queue. The task's
 * scheduling entity leads to it (se.cfs_rq->rq), but both pointers exist only with
 * CONFIG_FAIR_GROUP_SCHED (on in the common distribution kernels, and here). Without it
 * nothing leads from a task to its run queue but the per-CPU variable runqueues, a typed
 * ksym; and the verifier resolves every ksym a program names before it looks at which
 * code is reachable, through kallsyms, which lists data symbols only with
 * CONFIG_KALLSYMS_ALL (off on the 6.18 kernel opscope is developed on: the program failed
 * to load with that fallback in it, unused). So there is no fallback: the loader refuses
 * a kernel without CONFIG_FAIR_GROUP_SCHED.
 */
static __always_inline __u64 task_rq_clock(struct task_struct *t)
{
	return t->se.cfs_rq->rq->clock;
}

/*
 * sched_info: the kernel's own accounting of a task's waits for a CPU (schedstat's
 * run_delay). It exists only with CONFIG_SCHED_INFO (selected by SCHEDSTATS and
 * TASK_DELAY_ACCT; on in every distribution's configuration), and since c5895d3f06cb
 * ("sched: Simplify sched_info_on()", 5.14) the kernel keeps it up to date whenever it
 * exists. Nothing else gives the same figure, so the loader refuses a kernel without it.
 */
static __always_inline __u64 task_run_delay(struct task_struct *t)
{
	return t->sched_info.run_delay;
}

/* When the task last arrived on a CPU (sched_info_arrive()), in rq clock ns. */
static __always_inline __u64 task_last_arrival(struct task_struct *t)
{
	return t->sched_info.last_arrival;
}

/* When the task was last put on a run queue (0: it is not waiting), in rq clock ns. */
static __always_inline __u64 task_last_queued(struct task_struct *t)
{
	return t->sched_info.last_queued;
}

/* The CPU of a task moved from task_struct into thread_info in bcf9033e5449 ("sched:
 * move CPU field back into thread_info if THREAD_INFO_IN_TASK=y", 5.16). */
struct task_struct___pre_5_16 {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_cpu_of(struct task_struct *t)
{
	if (bpf_core_field_exists(t->thread_info.cpu))
		return t->thread_info.cpu;
	return ((struct task_struct___pre_5_16 *)t)->cpu;
}

/*
 * The syscall a task switched out in, from the registers saved at its entry to the
 * kernel: -1 after an interrupt or exception (a task preempted in user mode, or blocked
 * in a page fault). Needs no syscall program. bpf_task_pt_regs() came with dd6e10fbd9fb
 * (5.15), the newest thing opscope needs; it is called only when no syscall program
 * notes the syscall (sys_mode count or off), so in the default mode the verifier drops
 * it. The register is per architecture: x86 keeps the number in orig_ax (-1 outside a
 * syscall); arm64 in syscallno (NO_SYSCALL, -1, outside one).
 */
static __always_inline __s32 task_syscall(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (!regs)
		return -1;
#if defined(__TARGET_ARCH_x86)
	return (__s32)regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
#error "opscope: where this architecture saves the syscall number is missing"
#endif
}

/*
 * Is t inside a syscall's body: entered, its return value not stored yet? x86's entry
 * saves -ENOSYS as the return value and the call's own result replaces it when the call
 * returns; so a thread preempted on its way back to user mode (exit_to_user_mode_loop,
 * after sys_exit: orig_ax still holds the number) is not, nor is one in an exception
 * (orig_ax holds the error code there, ax the user's register). arm64 keeps no such
 * mark: there the number alone decides.
 */
static __always_inline bool task_in_syscall(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (!regs)
		return false;
#if defined(__TARGET_ARCH_x86)
	return (long)regs->orig_ax >= 0 && (long)regs->ax == -38 /* -ENOSYS */;
#else
	return task_syscall(t) >= 0;
#endif
}

#endif /* OPSCOPE_COMPAT_BPF_H */
