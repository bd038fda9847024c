// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-thread kernel accounting for one target process: on-CPU, run-queue and blocked
 * time, context switches, syscalls, user page faults, memory-mapping syscalls and
 * migrations, kept as cumulative counters in a slot of an mmapable array that the
 * driver's threads read without a syscall.
 *
 * Every program is tp_btf (no tracefs). Each returns after one compare for tasks of
 * other processes, which is the common case on a busy machine.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "opscope.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING 0x00000004
/* exec_last of a thread first seen while running: its first interval is timed by the wall */
#define EXEC_UNKNOWN (~0ull)

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

/* Set by the loader before load. */
const volatile __u32 targ_tgid = 0;
/* enum ops_sys_mode: time syscalls (sys_enter + sys_exit, a clock read at each), count
 * them at entry (sys_enter only), or neither (no syscall program; which syscall a thread
 * blocked in still comes from its saved registers at the switch). */
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OPS_MAX_SLOTS);
	__type(key, __u32);   /* tid */
	__type(value, __u32); /* slot index */
} tid_slot SEC(".maps");

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

/* Per CPU: the slot of the target thread that last ran here, so the programs that run
 * in a thread's own context (syscalls, faults, its switch-out) skip the hash lookup. */
struct cur_slot {
	__u32 tid;
	__u32 idx;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cur_slot);
} cur SEC(".maps");

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

#include "stacks.bpf.h"

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
	if ((__u32)(pid_tgid >> 32) != targ_tgid)
		return 0;
	return (__u32)pid_tgid;
}

static __always_inline void cur_set(__u32 tid, __u32 idx)
{
	__u32 zero = 0;
	struct cur_slot *c = bpf_map_lookup_elem(&cur, &zero);

	if (c) {
		c->tid = tid;
		c->idx = idx;
	}
}

static __always_inline struct ops_slot *slot_of(__u32 tid)
{
	__u32 *idx = bpf_map_lookup_elem(&tid_slot, &tid);

	if (!idx)
		return NULL;
	return bpf_map_lookup_elem(&slots, idx);
}

/* The slot of tid, which is running on this CPU: from the per-CPU cache when it holds
 * this thread (the slot's own tid and state confirm it), else from the hash. */
static __always_inline struct ops_slot *running_slot(__u32 tid)
{
	__u32 zero = 0, *idx;
	struct cur_slot *c = bpf_map_lookup_elem(&cur, &zero);
	struct ops_slot *s;

	if (c && c->tid == tid) {
		__u32 i = c->idx;

		s = bpf_map_lookup_elem(&slots, &i);
		if (s && s->tid == tid && s->state != OPS_T_EXITED)
			return s;
	}
	idx = bpf_map_lookup_elem(&tid_slot, &tid);
	if (!idx)
		return NULL;
	if (c) {
		c->tid = tid;
		c->idx = *idx;
	}
	return bpf_map_lookup_elem(&slots, idx);
}

/*
 * Give a slot to a thread seen for the first time. Returns NULL (and counts why) when
 * none is left. The caller sets state and timestamps.
 */
static __noinline struct ops_slot *slot_new(__u32 tid, bool late)
{
	struct ops_slot *s;
	__u32 idx, gen;

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
	s->tgid = targ_tgid;
	s->gen = gen + 1;
	s->cpu = bpf_get_smp_processor_id();
	if (bpf_map_update_elem(&tid_slot, &tid, &idx, BPF_NOEXIST)) {
		stat_inc(OPS_STAT_TID_MAP_FULL);
		s->state = OPS_T_EXITED;
		bpf_map_push_elem(&free_slots, &idx, 0);
		return NULL;
	}
	if (late)
		stat_inc(OPS_STAT_LATE_THREAD);
	if (tid == (__u32)bpf_get_current_pid_tgid())
		cur_set(tid, idx);
	return s;
}

/* The running thread's slot, created on first sight. */
static __always_inline struct ops_slot *current_slot(__u32 tid)
{
	struct ops_slot *s = running_slot(tid);

	if (!s) {
		if (bpf_get_current_task_btf()->flags & PF_EXITING)
			return NULL;
		s = slot_new(tid, true);
		if (s) {
			s->state = OPS_T_RUNNING;
			s->in_ts = bpf_ktime_get_ns();
			/* its run time is charged only at ticks and switches: the
			 * figure now may be stale, so time this interval by the wall */
			s->exec_last = EXEC_UNKNOWN;
		}
	}
	return s;
}

/*
 * The syscall a task switched out in, from the registers saved at its entry to the
 * kernel: orig_ax holds the syscall number, and -1 after an interrupt or exception (a
 * task preempted in user mode, or blocked in a page fault). Needs no syscall program.
 */
static __always_inline __s32 task_syscall(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (!regs)
		return -1;
#if defined(__TARGET_ARCH_x86)
	return (__s32)regs->orig_ax;
#else
	return regs->syscallno; /* NO_SYSCALL (-1) outside a syscall */
#endif
}

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
	s->off_seq++;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct ops_slot *s;
	__u64 now = 0;
	__u32 cpu;

	if (hooks_only)
		return 0;
	if (prev->tgid == targ_tgid) {
		now = bpf_ktime_get_ns();
		s = running_slot(prev->pid);
		if (!s && !(prev->flags & PF_EXITING)) {
			s = slot_new(prev->pid, true);
			if (s) {
				s->state = OPS_T_RUNNING;
				s->in_ts = now;
				s->exec_last = EXEC_UNKNOWN;
			}
		}
		if (s) {
			/* The scheduler has just charged prev's run time (update_curr in
			 * put_prev_task): its growth since the last switch is the on-CPU
			 * time, which leaves out hypervisor steal and IRQ time, and stays
			 * right even if a switch-in escaped us. */
			__u64 sum = prev->se.sum_exec_runtime;
			__u64 exec = s->exec_last == EXEC_UNKNOWN ? now - s->in_ts :
				     sum - s->exec_last;

			s->on_ns += exec;
			s->exec_last = sum;
			if (s->state == OPS_T_RUNNING) {
				if (now - s->in_ts > exec)
					s->steal_ns += now - s->in_ts - exec;
			} else {
				/* It ran since it went off-CPU, yet no switch-in reached
				 * us (seen on 6.18 under load, rarely). What it waited
				 * before running is the elapsed time less its run time;
				 * after a block, the kernel's run_delay tells how much of
				 * that was waiting for a CPU. */
				__u64 since = s->state == OPS_T_RUNNABLE ? s->wake_ts : s->out_ts;

				if (now - since > exec) {
					__u64 gap = now - since - exec, w = gap;

					if (s->state == OPS_T_BLOCKED) {
						w = prev->sched_info.run_delay - s->rd_out;
						if (w > gap)
							w = gap;
						account_blocked(s, now - exec - w);
					}
					s->runq_ns += w;
				}
				stat_inc(OPS_STAT_MISSED_IN);
			}
			s->out_ts = now;
			s->rd_out = prev->sched_info.run_delay;
			/* The kernel counts a switch as voluntary when the task gave up the
			 * CPU in a sleeping state and was not preempted (__schedule()). */
			if (!preempt && prev_state) {
				s->nvcsw++;
				s->state = OPS_T_BLOCKED;
				/* sys_enter/sys_exit keep sys_nr when they are loaded: cheaper
				 * than the registers' helper call (16 ns a switch here) */
				s->blk_sys = sys_mode == OPS_SYS_TIME ? s->sys_nr :
					     task_syscall(prev);
			} else {
				s->nivcsw++;
				s->state = OPS_T_RUNNABLE;
				s->wake_ts = now;
				s->blk_sys = OPS_OFF_PREEMPTED;
			}
		}
	}
	if (next->tgid == targ_tgid) {
		if (!now)
			now = bpf_ktime_get_ns();
		cpu = bpf_get_smp_processor_id();
		{
			__u32 tid = next->pid, *idx = bpf_map_lookup_elem(&tid_slot, &tid);

			s = idx ? bpf_map_lookup_elem(&slots, idx) : NULL;
			if (s)
				cur_set(tid, *idx);
		}
		if (!s) {
			if (next->flags & PF_EXITING)
				return 0; /* past sched_process_exit: its slot is gone */
			s = slot_new(next->pid, true);
			if (!s)
				return 0;
		} else {
			if (s->state == OPS_T_BLOCKED) {
				/* It was woken when it was enqueued: sched_info.last_queued,
				 * in the run-queue clock schedstat's run_delay is kept in. So
				 * the wait ends in the same clock reads the kernel's does, and
				 * no program needs to run at every wakeup. */
				__u64 off = now - s->out_ts;
				__u64 lq = next->sched_info.last_queued;
				/* the run queue it is on (this CPU's), through its entity */
				__u64 clk = next->se.cfs_rq->rq->clock;
				/* A wait that a migration ended (woken on one CPU, moved to
				 * another before it ran) the kernel has already added to
				 * run_delay, and last_queued only holds the wait since. */
				__u64 wait = next->sched_info.run_delay - s->rd_out;

				if (lq && clk > lq)
					wait += clk - lq;
				if (wait > off)
					wait = off;
				account_blocked(s, now - wait);
				s->state = OPS_T_RUNNABLE;
				s->wake_ts = now - wait;
			}
			offcpu_switch_in(s, next, now);
			off_ring_add(s, now);
			if (s->state == OPS_T_RUNNABLE)
				s->runq_ns += now - s->wake_ts;
			else if (s->state == OPS_T_RUNNING) {
				/* its switch-out escaped us: charge the run time it had
				 * and count the rest of the gap as waiting for a CPU */
				__u64 sum = next->se.sum_exec_runtime;
				__u64 exec = s->exec_last == EXEC_UNKNOWN ? 0 : sum - s->exec_last;

				s->on_ns += exec;
				if (now - s->in_ts > exec)
					s->runq_ns += now - s->in_ts - exec;
				stat_inc(OPS_STAT_MISSED_OUT);
			}
			if (s->cpu != cpu)
				s->migrations++;
		}
		s->cpu = cpu;
		s->state = OPS_T_RUNNING;
		s->in_ts = now;
		s->exec_last = next->se.sum_exec_runtime;
	}
	return 0;
}

static __always_inline int on_wakeup(void *ctx, struct task_struct *p, bool new_task)
{
	struct ops_slot *s;
	__u64 now;

	if (hooks_only || p->tgid != targ_tgid)
		return 0;
	now = bpf_ktime_get_ns();
	s = slot_of(p->pid);
	if (!s) {
		if (!new_task)
			return 0; /* first seen when it runs */
		s = slot_new(p->pid, false);
		if (!s)
			return 0;
		/* a new thread: its first wait for a CPU starts now, and nothing before;
		 * it is placed on its first CPU already (no migration when it runs there) */
		s->state = OPS_T_RUNNABLE;
		s->out_ts = now;
		s->wake_ts = now;
		s->cpu = p->thread_info.cpu;
		return 0;
	}
	/* Only loaded for waker stacks: the accounting itself needs no wakeup event. */
	if (s->state == OPS_T_BLOCKED)
		waker_note(ctx, s, now);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	return on_wakeup(ctx, p, false);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	return on_wakeup(ctx, p, true);
}

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
	if (sys_mode == OPS_SYS_COUNT) {
		s->syscalls++;
		map_at_entry(s, regs, id);
		return 0;
	}
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
	offcpu_sys_exit(ctx, s);
	/* other modes load this program only for the stacks' sake */
	if (sys_mode != OPS_SYS_TIME || s->sys_nr < 0)
		return 0;
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
	s->faults++;
	if (stacks_on && fault_stacks)
		stack_count(OPS_ST_FAULT, s->op_kind, s->tid, 0, 0, cur_stack(ctx, true), 1);
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

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	__u32 tid, *idx;
	struct ops_slot *s;

	if (hooks_only || p->tgid != targ_tgid)
		return 0;
	tid = p->pid;
	idx = bpf_map_lookup_elem(&tid_slot, &tid);
	if (!idx)
		return 0;
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
	return 0;
}
