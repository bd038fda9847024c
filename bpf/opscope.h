/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Types shared by the BPF programs and userspace. Fixed-width integers only, no
 * pointers, no includes: the same header is safe on both sides.
 */
#ifndef OPSCOPE_H
#define OPSCOPE_H

/* Slots in the mmapable per-thread accounting array. */
#define OPS_MAX_SLOTS 8192
/* Distinct syscalls a slot keeps blocked time for; the rest go to blk_other_ns. */
#define OPS_BLK_SYS 8

/* Off-CPU intervals each slot remembers (a ring), for slow-operation timelines. */
#define OPS_OFF_RING 16

/* One off-CPU interval of a thread, written when it ends (at switch-in). */
struct ops_off {
	__u64 start;  /* switched out (CLOCK_MONOTONIC ns) */
	__u64 wake;   /* woken (== start when preempted: it waited for a CPU throughout) */
	__u64 end;    /* switched back in */
	__u64 kstack; /* kernel stack id it blocked with (stacks on, long enough), else 0 */
	__s32 sys;    /* syscall it blocked in; -1 none; OPS_OFF_PREEMPTED when preempted */
	__u32 waker;  /* tid of the waker when known (waker stacks on), else 0 */
};
#define OPS_OFF_PREEMPTED (-2)

/* Thread state as the collector tracks it. */
enum ops_tstate {
	OPS_T_RUNNING = 0,  /* on a CPU */
	OPS_T_RUNNABLE = 1, /* on a run queue: preempted, or woken and not yet running */
	OPS_T_BLOCKED = 2,  /* switched out voluntarily, not yet woken */
	OPS_T_EXITED = 3,
};

/*
 * One thread's cumulative counters. The kernel side writes it; the owning thread reads
 * it through mmap while running in userspace, where it is consistent: every event for
 * the thread happens while the thread is in the kernel. on_ns only counts completed
 * on-CPU intervals; a running reader adds (now - in_ts) itself.
 */
struct ops_slot {
	/* cumulative counters */
	__u64 on_ns;       /* on-CPU time, completed intervals, as the scheduler charges it */
	__u64 blocked_ns;  /* off-CPU after a voluntary switch, until woken */
	__u64 runq_ns;     /* on a run queue: preempted, and wakeup-to-run delay */
	__u64 nvcsw;       /* voluntary context switches */
	__u64 nivcsw;      /* involuntary context switches */
	__u64 syscalls;    /* syscalls completed */
	__u64 syscall_ns;  /* wall time inside syscalls, completed ones */
	__u64 faults;      /* user page faults */
	__u64 map_calls;   /* mmap, munmap, mremap, brk */
	__u64 map_bytes;   /* bytes mapped: mmap length, mremap growth, brk growth */
	__u64 unmap_bytes; /* bytes unmapped: munmap length, mremap shrink, brk shrink */
	__u64 migrations;  /* switched in on a different CPU than last time */
	__u64 blk_ns[OPS_BLK_SYS]; /* blocked ns by syscall, see blk_nr */
	__u64 blk_other_ns;        /* blocked in a syscall with no free blk_nr entry */
	__u64 blk_nosys_ns;        /* blocked outside any syscall (page fault I/O, ...) */
	__u64 steal_ns;            /* on a CPU but not charged run time: hypervisor steal, IRQs */
	__s32 blk_nr[OPS_BLK_SYS]; /* syscall number of each blk_ns entry, -1 unused */

	/* identity and the driver's annotation */
	__u32 tid;
	__u32 tgid;
	__u32 op_kind; /* written by the driver: the operation kind now running, 0 none */
	__u32 gen;     /* bumped each time the slot is given to a new thread */
	__u8 comm[16]; /* thread name at exit (live threads: read /proc) */

	/* kernel-side state, read-only for userspace */
	__u64 in_ts;      /* when the thread last went on-CPU (valid when RUNNING) */
	__u64 exec_last;  /* se.sum_exec_runtime at the last switch (it only grows on a CPU) */
	__u64 rd_out;     /* sched_info.run_delay at the last switch-out */
	__u64 out_ts;     /* when it last went off-CPU */
	__u64 wake_ts;    /* when it was last woken (RUNNABLE after BLOCKED) */
	__u64 sys_ts;     /* entry time of the syscall in progress */
	__u64 sys_arg;    /* syscall argument kept for sys_exit: length, or mm->brk */
	__u64 sys_arg2;   /* second one (mremap new length) */
	__s32 sys_nr;     /* syscall in progress, -1 none */
	__s32 blk_sys;    /* syscall the thread is blocked in, -1 none */
	__u32 state;      /* enum ops_tstate */
	__u32 cpu;        /* CPU it last ran on */

	/* an off-CPU interval whose user stack is taken at the next sys_exit */
	__u64 pend_kstack;  /* kernel stack id it blocked with */
	__u64 pend_blocked; /* ns blocked */
	__u64 pend_runq;    /* ns waiting for a CPU afterwards */
	__u64 pend_wk;      /* waker's kernel stack id, 0 none */
	__u64 pend_wu;      /* waker's user stack id, 0 none */
	__u32 pend_waker;   /* waker tid, 0 none */
	__u32 pend_kind;    /* op kind when it went off-CPU */
	__u32 pend;         /* 1 while an interval waits for its user stack */
	__u32 wake_pid;     /* waker of the interval in progress (set at wakeup), 0 none */
	__u64 wake_k;       /* its kernel stack id */
	__u64 wake_u;       /* its user stack id */

	/* the last OPS_OFF_RING off-CPU intervals: entry (off_seq - 1) % OPS_OFF_RING is the
	 * newest; off_seq counts every interval. The owning thread reads them while it runs,
	 * when none is being written. */
	__u64 off_seq;
	struct ops_off off[OPS_OFF_RING];
};

/* Stack ids are 64-bit hashes of the frames; 0 means "no stack". */
#define OPS_MAX_FRAMES 64
#define OPS_MAX_STACKS 16384
#define OPS_MAX_STACK_KEYS 32768

struct ops_stack {
	__u32 nr;
	__u32 pad_;
	__u64 ips[OPS_MAX_FRAMES];
};

enum ops_stack_type {
	OPS_ST_ONCPU = 1,   /* value: samples */
	OPS_ST_BLOCKED = 2, /* value: ns blocked */
	OPS_ST_RUNQ = 3,    /* value: ns waiting for a CPU */
	OPS_ST_WAKER = 4,   /* stacks of the waker; value: ns the wakee was blocked */
	OPS_ST_FAULT = 5,   /* value: user page faults */
};

struct ops_stack_key {
	__u64 kstack;
	__u64 ustack;
	__u32 type;   /* enum ops_stack_type */
	__u32 kind;   /* op kind of the thread at that moment */
	__u32 tid;    /* the thread (the wakee for OPS_ST_WAKER) */
	__u32 waker;  /* OPS_ST_WAKER: waker tid */
};

struct ops_stack_val {
	__u64 value;
	__u64 count;
};

/* How syscalls are accounted (the loader's choice; TIME is the zero default). */
enum ops_sys_mode {
	OPS_SYS_TIME = 0,  /* count and time each (sys_enter + sys_exit, two clock reads) */
	OPS_SYS_COUNT = 1, /* count at entry, mapped bytes from the arguments (sys_enter only) */
	OPS_SYS_OFF = 2,   /* neither: no syscall program (blocked-in-syscall still known) */
};

/* Global counters, one per CPU in a per-CPU array, summed by userspace. */
enum ops_stat {
	OPS_STAT_SLOTS_FULL,    /* a thread could not get a slot: nothing counted for it */
	OPS_STAT_TID_MAP_FULL,  /* tid-to-slot insert failed */
	OPS_STAT_LATE_THREAD,   /* first seen mid-life: counters start then */
	OPS_STAT_STACK_FAIL,    /* stack walk returned an error */
	OPS_STAT_STACKS_FULL,   /* stack table full: stack lost */
	OPS_STAT_KEYS_FULL,     /* stack count table full: sample or interval lost */
	OPS_STAT_SAMPLES,       /* on-CPU samples taken for the target */
	OPS_STAT_MISSED_OUT,    /* switch-in of a thread we thought running: repaired */
	OPS_STAT_MISSED_IN,     /* switch-out of a thread we thought off-CPU: repaired */
	OPS_STAT_NR,
};

#endif /* OPSCOPE_H */
