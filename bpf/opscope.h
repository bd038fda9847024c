/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Types shared by the BPF programs and userspace. Fixed-width integers only, no
 * pointers, no includes: the same header is safe on both sides.
 */
#ifndef OPSCOPE_H
#define OPSCOPE_H

/* Slots in the mmapable per-thread accounting array. */
#define OPS_MAX_SLOTS 8192
/* Processes forked from the target that follow mode accounts at once. */
#define OPS_MAX_FOLLOW 4096
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
	__u32 waker;  /* tid of the waker when known (waker stacks or --why), else 0; with
		       * --why an irq number or softirq vector for those wakers */
	__u32 wake_by; /* --why: 1 + enum ops_why of who woke it, 0 not known */
	__u32 wake_kind; /* --why: the waker's op kind then (a thread of the process) */
};
#define OPS_OFF_PREEMPTED (-2)

/*
 * Why a thread waited (run --why, bpf/wakers.bpf.h): who ended each blocked interval,
 * and, when that was a thread of the process, what it was doing meanwhile. The same
 * classes split a cross-thread operation's queued time by what the threads it waited on
 * were doing (userspace, kernel/why.c).
 */
enum ops_why {
	OPS_W_ON = 0,   /* a thread of the process, on a CPU meanwhile (in which op kind) */
	OPS_W_RUNQ,     /* ... waiting for a CPU meanwhile */
	OPS_W_BLOCKED,  /* ... itself blocked meanwhile (in which syscall; ended by whom) */
	OPS_W_TIMER,    /* a timer: hrtimer expiry, or the timer softirqs */
	OPS_W_IRQ,      /* a device interrupt (I/O completion) */
	OPS_W_SOFTIRQ,  /* a softirq other than the timers' (network, block I/O completion) */
	OPS_W_IDLE,     /* an interrupt on an idle CPU that no tracepoint named (an IPI) */
	OPS_W_KTHREAD,  /* a kernel thread (kworker, ksoftirqd, ...) */
	OPS_W_PROC,     /* a thread of another process */
	OPS_W_UNKNOWN,  /* no wakeup seen, or the waker's history no longer held */
	OPS_W_HANDOFF,  /* queued time only: the result's way back to the caller */
	OPS_W_NR,
};
/* Op kinds a slot keeps the waker's on-CPU time for: kind ids 0 (none) .. 14; 15 others */
#define OPS_WHY_KINDS 16
/* Syscalls a slot keeps the waker's blocked time for; the rest go to sys_other_ns */
#define OPS_WHY_SYS 4

/* A thread's blocked time by who ended it: cumulative counters (--why), in its slot. */
struct ops_why_ctr {
	__u64 ns[OPS_W_NR];           /* blocked ns by who ended it (enum ops_why) */
	__u64 kind_ns[OPS_WHY_KINDS]; /* of ns[OPS_W_ON]: by the waker's op kind */
	__u64 sys_ns[OPS_WHY_SYS];    /* of ns[OPS_W_BLOCKED]: by the waker's syscall, sys_nr1 */
	__u64 sys_other_ns;           /* ... in a syscall with no free sys_nr1 entry, or none */
	__u64 chain_ns[OPS_W_NR];     /* of ns[OPS_W_BLOCKED]: who ended the waker's own block */
	__u64 wakeups;                /* blocked intervals whose wakeup was seen */
};

struct ops_why_slot {
	struct ops_why_ctr c;
	__s32 sys_nr1[OPS_WHY_SYS]; /* syscall number + 1 of each sys_ns entry, 0 unused */
	/* the wakeup of the blocked interval in progress, noted at sched_waking */
	__u64 wake_ts;  /* when it was woken; < out_ts: not woken since it blocked */
	__u32 wclass;   /* enum ops_why */
	__u32 wtid;     /* waker tid; irq number (OPS_W_IRQ); softirq vector (OPS_W_SOFTIRQ) */
	__u32 wkind;    /* the waker's op kind (a thread of the process) */
	__u32 pad_;
};

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
	__u64 faults;      /* page faults taken in user mode (page_fault_user) */
	__u64 map_calls;   /* mmap, munmap, mremap, brk */
	__u64 map_bytes;   /* bytes mapped: mmap length, mremap growth, brk growth */
	__u64 unmap_bytes; /* bytes unmapped: munmap length, mremap shrink, brk shrink */
	__u64 migrations;  /* switched in on a different CPU than last time */
	__u64 blk_other_ns; /* blocked in a syscall with no free blk_nr entry */
	__u64 blk_nosys_ns; /* blocked outside any syscall (page fault I/O, ...) */
	__u64 steal_ns;     /* time the kernel charged to no task: hypervisor steal while on
			     * a CPU, a migration's transit between run queues */
	/* last of the counters an op record carries: only ops that blocked need them */
	__u64 blk_ns[OPS_BLK_SYS]; /* blocked ns by syscall, see blk_nr */
	__u64 kfaults;             /* page faults on user memory taken in kernel mode (a read()
				    * into a fresh buffer, exec's argument copy), from the
				    * kernel's own min_flt + maj_flt less the user-mode ones */
	__s32 blk_nr[OPS_BLK_SYS]; /* syscall number of each blk_ns entry, -1 unused */

	/* identity and the driver's annotation */
	__u32 tid;
	__u32 tgid;
	__u32 op_kind; /* written by the driver: the operation kind now running, 0 none */
	__u32 gen;     /* bumped each time the slot is given to a new thread */
	__u8 comm[16]; /* thread name at exit (live threads: read /proc) */

	/*
	 * Kernel-side state, read-only for userspace. Times named *_ts are CLOCK_MONOTONIC,
	 * the clock userspace reads; *_clk are the run queue's clock (sched_clock), the clock
	 * the scheduler's own figures are kept in, in which the counters above are computed.
	 * The kernel side converts between them with struct ops_clock.
	 */
	__u64 in_ts;      /* when the thread last went on-CPU (valid when RUNNING) */
	__u64 in_clk;     /* the same moment in the run queue's clock */
	__u64 out_clk;    /* when it last went off-CPU, in the run queue's clock */
	__u64 exec_last;  /* se.sum_exec_runtime at the last switch (it only grows on a CPU) */
	__u64 rd_out;     /* sched_info.run_delay at the last switch-out */
	__u64 rd_in;      /* run_delay as it stands once the last switch-in's wait is added */
	__u64 nv_last;    /* the task's nvcsw and nivcsw at the last switch-out: their growth */
	__u64 niv_last;   /* says how the kernel counted the switch */
	__u64 flt_base;   /* the task's min_flt + maj_flt when its counting started */
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
	__u32 out_insys;    /* switched out inside a syscall: its exit gives the user stack */
	__u64 out_u;        /* else the user stack copied at switch-out, 0 none */
	__u32 wake_pid;     /* waker of the interval in progress (set at wakeup), 0 none */
	__u64 wake_k;       /* its kernel stack id */
	__u64 wake_u;       /* its user stack id */

	/* run --why: who ended this thread's blocked intervals (cleared with the slot) */
	struct ops_why_slot why;

	/* the last OPS_OFF_RING off-CPU intervals: entry (off_seq - 1) % OPS_OFF_RING is the
	 * newest; off_seq counts every interval. The owning thread reads them while it runs,
	 * when none is being written. */
	__u64 off_seq;
	struct ops_off off[OPS_OFF_RING];
};

/*
 * From the run queue's clock to CLOCK_MONOTONIC. The scheduler stamps every switch and
 * every wait with its run queue's clock (sched_clock), so the counters are computed in it
 * without reading another clock at a switch; userspace times operations with
 * CLOCK_MONOTONIC, so the moments it reads (in_ts, the off-CPU ring) are converted:
 *
 *	mono = clk + off0 + slope * clamp(clk - t0, -OPS_CLK_SPAN, OPS_CLK_SPAN) / 2^32
 *
 * The two clocks tick from the same counter but drift apart by a fraction of a ppm, so
 * userspace re-fits the offset every 100 ms from samples the switch program takes (struct
 * ops_cal) and publishes each new segment continuous with the last: the offset moves by
 * slope, never jumps, and an operation's parts still add up to its latency to the ppm.
 */
struct ops_clock {
	__u64 t0;    /* run-queue clock where this segment starts */
	__s64 off0;  /* CLOCK_MONOTONIC - run-queue clock at t0 */
	__s64 slope; /* the offset's change per ns after t0, in units of 2^-32 */
};
#define OPS_CLK_SPAN (1ll << 27) /* a segment slopes for 134 ms, then stays flat */

/*
 * Calibration samples, per CPU, in windows of 2^OPS_CAL_SHIFT ns of the run queue's clock
 * (a ring of OPS_CAL_WINS). At a switch the run queue's clock was read a few hundred ns
 * before the program runs, so CLOCK_MONOTONIC - clk is the offset plus that delay; the
 * smallest value in a window comes closest to the offset.
 */
#define OPS_CAL_SHIFT 26          /* 67 ms */
#define OPS_CAL_WINS 16           /* a second of history */
#define OPS_CAL_GAP (1ull << 17)  /* at most one sample per 131 us per CPU */
#define OPS_CAL_WANT 64           /* samples the collector asks for every 100 ms */
struct ops_cal {
	__u64 win;   /* window number (clk >> OPS_CAL_SHIFT) */
	__u64 last;  /* clk of the last sample */
	__s64 min_d; /* smallest CLOCK_MONOTONIC - clk in the window */
	__u64 n;     /* samples in the window */
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

/*
 * User stacks on x86_64 are not walked in the kernel: each capture copies the thread's
 * user registers and the live part of its stack (from sp up to the stack's top, at most
 * OPS_USTACK_MAX bytes) into a ring buffer, and userspace unwinds the copy with the
 * binaries' own unwind tables (stacks/unwind.c). A count whose user stack is such a copy
 * names it by the copy's id (OPS_USTACK_COPY set; kernel-interned ids never have that
 * bit) and travels through the same ring, after the copy, instead of the count table.
 */
#define OPS_USTACK_MAX 32768   /* power of two */
#define OPS_UREGS 17           /* DWARF registers 0-16 */
#define OPS_USTACK_COPY (1ull << 63)
#define OPS_URING_BYTES (2u << 20)  /* the ring's size: 200 MB/s at the 10 ms drain */
#define OPS_USTACK_RATE 2500        /* copies per second and CPU */
#define OPS_TW_RATE 1000            /* task works per second and CPU (stacks.bpf.h) */

enum ops_urec_type {
	OPS_UREC_STACK = 1, /* struct ops_urec_stack and its bytes */
	OPS_UREC_COUNT = 2, /* struct ops_urec_count */
};

struct ops_urec_stack {
	__u32 rec;   /* OPS_UREC_STACK */
	__u32 len;   /* stack bytes that follow this header, copied from regs[7] (sp) up */
	__u64 id;    /* OPS_USTACK_COPY | cpu << 48 | sequence */
	__u32 tid;
	__u32 top_known; /* len reached the stack's known top (else OPS_USTACK_MAX or a fault) */
	/* x86_64 DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15, then rip */
	__u64 regs[OPS_UREGS];
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

/* run --why: the wait-for graph, counted in-kernel per (wakee, waker) and drained per
 * scenario. */
#define OPS_MAX_WAITFOR 4096
struct ops_waitfor_key {
	__u32 tid;    /* the thread that waited (blocked) */
	__u32 waker;  /* waker tid; irq number; softirq vector; 0 */
	__u32 cls;    /* enum ops_why of the waker (OPS_W_ON for any thread of the process) */
	__u32 kind;   /* op kind of the waiting thread then */
};
struct ops_waitfor_val {
	__u64 ns;     /* blocked ns, until woken */
	__u64 count;  /* wakeups */
};

struct ops_urec_count {
	__u32 rec;  /* OPS_UREC_COUNT */
	__u32 pad_;
	struct ops_stack_key key; /* ustack: a copy's id */
	struct ops_stack_val val;
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
	OPS_STAT_MISSED_IN,     /* a thread running that we thought off-CPU: repaired */
	OPS_STAT_WAITFOR_FULL,  /* --why: wait-for edge table full, a wait not counted */
	OPS_STAT_USTACK_LOST,   /* user stack copy dropped, ring full: counted without it */
	OPS_STAT_UCOUNT_LOST,   /* count of a copied user stack dropped, ring full */
	OPS_STAT_USTACK_BYTES,  /* bytes of user stack copied into the ring */
	OPS_STAT_USTACK_THROTTLED, /* past the copy rate (or interrupting another copy on
				    * its CPU): frame-pointer walk instead */
	OPS_STAT_SEEDED,        /* threads of the target found at attach (counted from then) */
	OPS_STAT_WAIT_CUT,      /* a wait for a CPU the kernel counted longer than the interval
				 * it ended: cut to the interval */
	OPS_STAT_WAIT_CUT_NS,   /* ... and the ns cut */
	OPS_STAT_FOLLOW_FULL,   /* follow: a forked process not followed, the table was full */
	OPS_STAT_TW_THROTTLED,  /* off-CPU intervals past the task-work rate: counted without
				 * their user stack */
	OPS_STAT_NR,
};

#endif /* OPSCOPE_H */
