/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Page faults on a target thread's user memory: the ones taken in user mode, counted as
 * they happen (the page_fault_user tracepoint, x86), with the user stack of each when
 * fault stacks are on; and the ones the kernel takes on the thread's behalf in kernel
 * mode (copying into a fresh buffer in read(), exec copying its arguments, get_user_pages),
 * which no tracepoint shows: those are the growth of the task's own fault counters
 * (min_flt + maj_flt, what getrusage and /proc report) beyond the user-mode ones, taken
 * whenever the thread is in the kernel anyway (its switch-out, its last switch, a
 * syscall's return).
 */
#ifndef OPSCOPE_FAULTS_BPF_H
#define OPSCOPE_FAULTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "slots.bpf.h"
#include "stacks.bpf.h"

/* A user page fault of the current thread, whose slot is s (ctx: the fault program's). */
static __always_inline void fault_user(void *ctx, struct ops_slot *s)
{
	s->faults++;
	if (stacks_on && fault_stacks)
		stack_count(OPS_ST_FAULT, s->op_kind, s->tid, 0, 0, cur_stack(ctx, true), 1);
}

/*
 * Bring s->kfaults up to the kernel's count for t. The kernel counts a user-mode fault
 * when it completes (mm_account_fault()), the tracepoint when it starts: one in progress
 * (a major fault that blocks) is in faults and not yet in the kernel's count, so kfaults
 * only ever grows. A user-mode fault the kernel does not complete (SIGSEGV) stays in
 * faults and never reaches the kernel's count.
 */
static __always_inline void faults_sync(struct ops_slot *s, struct task_struct *t)
{
	__u64 k = t->min_flt + t->maj_flt - s->flt_base;

	if (k > s->faults && k - s->faults > s->kfaults)
		s->kfaults = k - s->faults;
}

#endif /* OPSCOPE_FAULTS_BPF_H */
