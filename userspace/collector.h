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
	bool verbose;  /* let libbpf print its own messages */
	/* Called from the collector's reaper thread with the final counters of each
	 * thread of the target that exited, before its slot is reused. May be NULL. */
	void (*on_exit)(const struct ops_slot *s, void *arg);
	void *on_exit_arg;
};

struct collector_stats {
	uint64_t slots_used;   /* slots ever handed out */
	uint64_t slots_full;   /* threads that got no slot */
	uint64_t tid_map_full;
	uint64_t late_threads; /* first seen mid-life: their counters start then */
	double load_ms;        /* open + load + attach */
};

/*
 * Open, load and attach. On failure returns NULL, sets errno, and writes one sentence
 * that says what is missing and what to do into err.
 */
struct collector *collector_start(const struct collector_opts *opts, char *err, size_t errlen);
void collector_stop(struct collector *c);
void collector_get_stats(struct collector *c, struct collector_stats *st);

/* The collector that ops_thread_register() uses (the last one started, or NULL). */
struct collector *collector_current(void);

/* The slot array (OPS_MAX_SLOTS entries) and the slot of a tid, or NULL. */
volatile struct ops_slot *collector_slots(struct collector *c);
volatile struct ops_slot *collector_slot_of(struct collector *c, uint32_t tid);
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
