/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel collector: loads and attaches the BPF programs for one target process,
 * maps the per-thread accounting slots, and reports what it lost.
 */
#ifndef OPSCOPE_COLLECTOR_H
#define OPSCOPE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "opscope.h"

struct collector;

struct collector_opts {
	int tgid;      /* process whose threads are accounted; 0 = this process */
	bool follow;   /* also the processes it forks from now on, and theirs (slots carry
			* each thread's own tgid); off, the kernel side compares one tgid */
	bool verbose;  /* let libbpf print its own messages */
	/* Called from the collector's reaper thread with the final counters of each
	 * thread of the target that exited, before its slot is reused. May be NULL. */
	void (*on_exit)(const struct ops_slot *s, void *arg);
	void *on_exit_arg;

	/* Stacks (all off unless stacks is set). */
	bool stacks;          /* off-CPU stacks, and the ones below when set */
	bool fault_stacks;    /* user stack at each user page fault */
	bool waker_stacks;    /* stacks of the thread that ended each blocked interval */
	uint64_t min_block_ns; /* off-CPU intervals shorter than this take no stack walk */
	int sample_hz;        /* on-CPU sampling rate per CPU (cpu-clock), 0 off */
	bool bpf_stats;       /* have the kernel time every program run (costs a clock read) */
	int sys_mode;         /* enum ops_sys_mode: time (default), count, or off */
	bool hooks_only;      /* attach the programs but have them return at once: the
			       * kernel's own cost of the hooks, for overhead measurements */
	bool why;             /* who ended each blocked interval (bpf/wakers.bpf.h): loads
			       * sched_waking and the interrupt, softirq and timer programs */
	bool whole_life;      /* the threads there are at attach are counted from their
			       * birth, not from attach, for what the kernel keeps a count of
			       * (record -- CMD: the command was forked before the load) */
};

/* Run count and time of one of opscope's BPF programs (kernel BPF stats). */
struct prog_stat {
	char name[32];
	uint64_t run_cnt, run_time_ns;
	uint64_t recursion_misses; /* runs the kernel skipped (program already active on the CPU) */
};
/* Fill up to max entries; returns how many. Times are 0 unless opts.bpf_stats. */
int collector_prog_stats(struct collector *c, struct prog_stat *out, int max);

struct collector_stats {
	uint64_t slots_used;   /* slots ever handed out */
	uint64_t slots_full;   /* threads that got no slot */
	uint64_t tid_map_full;
	uint64_t late_threads; /* first seen mid-life: their counters start then */
	double load_ms;        /* open + load + attach */
	uint64_t stack_fail;   /* stack walks that returned an error */
	uint64_t stacks_full;  /* stacks lost: stack table full */
	uint64_t keys_full;    /* samples or intervals lost: count table full */
	uint64_t samples;      /* on-CPU samples of the target */
	uint64_t missed_switches; /* thread state found inconsistent: a switch event was lost */
	uint64_t prog_misses;     /* program runs the kernel skipped, all programs */
	uint64_t waitfor_full;    /* --why: waits not counted, the wait-for table was full */
	/* copied user stacks (x86_64; bpf/opscope.h OPS_UREC_*) */
	uint64_t ustack_copies;   /* copies that reached userspace */
	uint64_t ustack_bytes;    /* stack bytes copied, in all */
	uint64_t ustack_lost;     /* copies lost: the kernel's ring was full */
	uint64_t ustack_throttled; /* past the copy rate: walked by frame pointers instead */
	uint64_t tw_throttled;     /* off-CPU intervals past the task-work rate: no user stack */
	uint64_t ucount_lost;     /* counts of copied stacks lost: the ring was full */
	uint64_t urec_dropped;    /* records dropped in userspace: the queue was full */
	uint64_t seeded;          /* threads of the target found at attach */
	uint64_t wait_cut, wait_cut_ns; /* waits for a CPU the kernel counted longer than
					 * their interval, and the ns cut from them */
	/* the clock model (kernel/clockfit.h): updates, steps, and the offset's last value */
	uint64_t clock_updates, clock_steps;
	int64_t clock_off_ns;     /* CLOCK_MONOTONIC - run-queue clock */
	/* the model's largest distance from the tightest pair of readings of a window (how
	 * well it agrees with CLOCK_MONOTONIC) */
	int64_t clock_err_ns;
	uint64_t follow_full;     /* follow: forked processes not accounted, table full */
};

/* One counted wait (--why): who waited on whom, how long, how often. */
struct waitfor_entry {
	struct ops_waitfor_key key;
	struct ops_waitfor_val val;
};

/* Read and clear the waits counted so far (--why; one repetition's worth). On success
 * *out is malloc'd (free it; NULL when there are none) and *n set; returns 0 or -errno. */
int collector_waitfor_take(struct collector *c, struct waitfor_entry **out, size_t *n);

/* One counted stack: what the kernel side aggregated under one key. */
struct stack_entry {
	struct ops_stack_key key;
	struct ops_stack_val val;
};

/* Read and clear the stack counts gathered so far (one scenario's worth). On success
 * *out is malloc'd (free it) and *n set; returns 0 or -errno. */
int collector_stacks_take(struct collector *c, struct stack_entry **out, size_t *n);
/*
 * Copied user stacks and the counts that name them (struct ops_urec_stack and its bytes,
 * struct ops_urec_count), in the order the kernel wrote them: a background thread moves
 * them from the kernel's ring into a bounded queue, and this hands each queued record to
 * fn, twice over (pass 0, then pass 1: a count's copy is ahead of it, so the first pass
 * can learn which copies are worth unwinding), and forgets them. fn returns 0, or -errno
 * to stop (returned).
 */
typedef int (*collector_urec_fn)(const void *rec, size_t len, int pass, void *arg);
int collector_urecs_take(struct collector *c, collector_urec_fn fn, void *arg);
/* Read the final counters and names of threads that exited, now (the reaper thread
 * does it every 100 ms). */
void collector_reap(struct collector *c);
/* Name of a thread of the target that exited (remembered from its last moment). */
int collector_thread_name(struct collector *c, uint32_t tid, char *buf, size_t len);
/* The process of thread tid as its slot has it (live, or reaped lately), 0 if unknown. */
uint32_t collector_thread_tgid(struct collector *c, uint32_t tid);
/* Frames of a stack id, innermost first: returns their number (0 for id 0), or -ENOENT. */
int collector_stack_frames(struct collector *c, uint64_t id, uint64_t *ips, int max);

/*
 * Open, load and attach. On failure returns NULL, sets errno, and writes one sentence
 * that says what is missing and what to do into err.
 */
struct collector *collector_start(const struct collector_opts *opts, char *err, size_t errlen);
void collector_stop(struct collector *c);
void collector_get_stats(struct collector *c, struct collector_stats *st);

/* Was it started with opts.why (who ended each blocked interval)? */
bool collector_why(struct collector *c);
/* Was it started with opts.follow (the target's forked processes are accounted too)? */
bool collector_follows(struct collector *c);

/* The collector that ops_thread_register() uses (the last one started, or NULL). */
struct collector *collector_current(void);

/* The slot array (OPS_MAX_SLOTS entries) and the slot of a tid, or NULL. */
volatile struct ops_slot *collector_slots(struct collector *c);
volatile struct ops_slot *collector_slot_of(struct collector *c, uint32_t tid);
/* The slot array's map fd and the length to mmap it with (marked programs map it too,
 * kernel/attach.h). */
int collector_slots_fd(struct collector *c);
size_t collector_slots_len(struct collector *c);
/* Slots [0, n) have been handed out at least once; a slot with tid 0 is free. */
uint32_t collector_slots_used(struct collector *c);

/*
 * Explain a failure to load: privileges, BTF, program types, verifier. Pure function of
 * its inputs so that unit tests can drive every branch without root.
 */
struct load_env {
	bool is_root;
	bool has_cap_bpf, has_cap_perfmon, has_cap_sys_admin;
	bool has_btf;
	int err;                /* negative errno from the failing libbpf call */
	const char *stage;      /* "open", "load", "attach" */
	const char *prog;       /* program that failed, or NULL */
	const char *verifier_tail; /* last lines of the verifier log, or NULL */
};
void collector_explain(const struct load_env *env, char *buf, size_t len);

#endif
