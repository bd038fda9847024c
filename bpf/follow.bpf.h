/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Follow mode: the processes the target forks are accounted too, and the processes they
 * fork, from their first moment (the fork hook runs before the child is first woken,
 * whose slot is made at wakeup_new). A process leaves the table when its last thread
 * exits. A fork that finds the table full is counted (OPS_STAT_FOLLOW_FULL) and that
 * process is not accounted. Without follow both hooks return at once.
 */
#ifndef OPSCOPE_FOLLOW_BPF_H
#define OPSCOPE_FOLLOW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "slots.bpf.h"

/* parent forked child: a new process (not a thread) of an accounted one is followed. */
static __always_inline void follow_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid;
	__u8 one = 1;

	if (!follow || hooks_only || child->pid != child->tgid || !is_target_tgid(parent->tgid))
		return;
	if (bpf_map_update_elem(&followed, &tgid, &one, BPF_ANY))
		stat_inc(OPS_STAT_FOLLOW_FULL);
}

/* Thread p exits: when it was its followed process's last, the process leaves the table.
 * signal->live drops to 0 with the last thread, before this tracepoint. */
static __always_inline void follow_exit(struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (!follow || hooks_only || tgid == targ_tgid || p->signal->live.counter)
		return;
	bpf_map_delete_elem(&followed, &tgid);
}

#endif /* OPSCOPE_FOLLOW_BPF_H */
