/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Page faults: the user page faults a target thread takes (the page_fault_user
 * tracepoint, x86), and with fault stacks on, the user stack of each.
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

#endif /* OPSCOPE_FAULTS_BPF_H */
