/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Syscalls: how many, how long, the memory-mapping ones (mmap, munmap, mremap, brk) and
 * their bytes, and which syscall a thread blocked in. The loader picks one of three
 * levels (enum ops_sys_mode, docs/ARCHITECTURE.md "Costs"): time them (sys_enter notes
 * the syscall and its entry time, sys_exit accounts it), count them at entry
 * (sys_enter only), or neither.
 */
#ifndef OPSCOPE_SYSCALLS_BPF_H
#define OPSCOPE_SYSCALLS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "slots.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#elif defined(__TARGET_ARCH_arm64)
#define NR_MMAP 222
#define NR_MUNMAP 215
#define NR_BRK 214
#define NR_MREMAP 216
#else
#error "opscope: syscall numbers for this architecture are missing"
#endif

/* sys_mode (slots.bpf.h) says which of the three levels the loader chose. */

/* A mapping (mremap) or the heap (brk) went from one size or end to another. */
static __always_inline void map_resize(struct ops_slot *s, __u64 from, __u64 to)
{
	if (to > from)
		s->map_bytes += to - from;
	else
		s->unmap_bytes += from - to;
}

/*
 * Memory-mapping syscalls counted at entry, from their arguments (sys_mode COUNT, which
 * has no sys_exit to see the result: a failed call counts as if it succeeded).
 */
static __always_inline void map_at_entry(struct ops_slot *s, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_MMAP:
		s->map_calls++;
		s->map_bytes += PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_MUNMAP:
		s->map_calls++;
		s->unmap_bytes += PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_MREMAP:
		s->map_calls++;
		/* old length, new length */
		map_resize(s, PT_REGS_PARM2_CORE_SYSCALL(regs), PT_REGS_PARM3_CORE_SYSCALL(regs));
		break;
	case NR_BRK: {
		struct task_struct *t = bpf_get_current_task_btf();
		__u64 cur = BPF_CORE_READ(t, mm, brk), start = BPF_CORE_READ(t, mm, start_brk);
		__u64 want = PT_REGS_PARM1_CORE_SYSCALL(regs); /* below start: a query */

		s->map_calls++;
		if (want >= start)
			map_resize(s, cur, want);
		break;
	}
	}
}

/* sys_mode TIME, at entry: note the syscall, its start, and what its exit will need to
 * count a memory-mapping call's bytes. */
static __always_inline void sys_note(struct ops_slot *s, struct pt_regs *regs, long id)
{
	s->sys_nr = id;
	s->sys_ts = bpf_ktime_get_ns();
	switch (id) {
	case NR_MMAP:
	case NR_MUNMAP:
		s->sys_arg = PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_MREMAP:
		s->sys_arg = PT_REGS_PARM2_CORE_SYSCALL(regs);  /* old length */
		s->sys_arg2 = PT_REGS_PARM3_CORE_SYSCALL(regs); /* new length */
		break;
	case NR_BRK: {
		struct task_struct *t = bpf_get_current_task_btf();

		s->sys_arg = BPF_CORE_READ(t, mm, brk);
		break;
	}
	}
}

static __always_inline void sys_at_entry(struct ops_slot *s, struct pt_regs *regs, long id)
{
	if (sys_mode == OPS_SYS_COUNT) {
		s->syscalls++;
		map_at_entry(s, regs, id);
		return;
	}
	sys_note(s, regs, id);
}

/* sys_mode TIME, at exit: account the syscall sys_note noted, with its result. */
static __always_inline void sys_at_exit(struct ops_slot *s, long ret)
{
	if (sys_mode != OPS_SYS_TIME || s->sys_nr < 0)
		return; /* other modes load sys_exit only for the stacks' sake */
	s->syscalls++;
	s->syscall_ns += bpf_ktime_get_ns() - s->sys_ts;
	switch (s->sys_nr) {
	case NR_MMAP:
		s->map_calls++;
		if (ret >= 0 || ret < -4095)
			s->map_bytes += s->sys_arg;
		break;
	case NR_MUNMAP:
		s->map_calls++;
		if (ret == 0)
			s->unmap_bytes += s->sys_arg;
		break;
	case NR_MREMAP:
		s->map_calls++;
		if (ret >= 0 || ret < -4095)
			map_resize(s, s->sys_arg, s->sys_arg2);
		break;
	case NR_BRK:
		s->map_calls++;
		map_resize(s, s->sys_arg, (__u64)ret);
		break;
	}
	s->sys_nr = -1;
}

/* The syscall prev is blocking in, at its switch-out: sys_enter's note when syscalls are
 * timed (cheaper than the registers' helper call, 16 ns a switch here), else its saved
 * registers. */
static __always_inline __s32 blocked_syscall(struct ops_slot *s, struct task_struct *prev)
{
	if (sys_mode == OPS_SYS_TIME)
		return s->sys_nr;
	/* the saved number alone would name a blocking page fault's error code */
	return task_in_syscall(prev) ? task_syscall(prev) : -1;
}

#endif /* OPSCOPE_SYSCALLS_BPF_H */
