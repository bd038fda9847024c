/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Slow-operation exemplars: for the slowest operations of each kind (the top EX_TOP) and a
 * sample of those above p99 (up to EX_SAMPLE), the operation's timeline: its window, its
 * breakdown, and the off-CPU intervals of the thread that ran it (from the slot's ring:
 * switched out, woken, back in, the syscall or preemption, waker, kernel stack id).
 * Written as a Chrome trace-event JSON file (trace.json) that Perfetto's UI and
 * chrome://tracing open.
 *
 * Hot path: after each recorded op the driver compares its latency with a per-thread,
 * per-kind threshold (wl_common.c); only an op at or above it calls ex_kind_offer(),
 * which copies at most OPS_OFF_RING ring entries and only when the op is kept. The
 * threshold is the smaller of the thread's slowest-EX_TOP floor and its p99 (refreshed
 * every few thousand ops from its own histogram by ex_kind_set_p99()).
 *
 *	per thread:   struct ex_kind *ek = NULL; uint64_t thr = 0;
 *	              if (bd.lat_ns >= thr) thr = ex_kind_offer(&ek, kind, &ot, &bd, end, NULL);
 *	at its end:   ex_kind_collect(ek, set); ex_kind_free(ek);
 *	per rep:      ex_set_reduce(set, kind, p99);      // EX_TOP + EX_SAMPLE per kind
 *	per run:      ex_trace_add(tr, scenario, set); ex_trace_write_file(tr, path, ...);
 */
#ifndef OPSCOPE_EXEMPLAR_H
#define OPSCOPE_EXEMPLAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kernel/breakdown.h"
#include "kernel/oprec.h"

#define EX_TOP 8    /* slowest ops kept per scenario and op kind */
#define EX_SAMPLE 8 /* further ops above p99 kept, spread over their latency range */

/* One kept operation. */
struct ex_op {
	uint32_t kind;           /* ops_kind_id() */
	uint32_t tid;            /* the thread that timed it (its track) */
	uint32_t x_tid;          /* the thread whose intervals are kept: tid, or the worker
				  * that ran a cross-thread op */
	uint32_t noff;           /* intervals in off[], oldest first */
	uint32_t lost;           /* intervals in the window the ring no longer held */
	uint32_t top;            /* 1 among the slowest, 0 a sample above p99 */
	uint64_t begin, end;     /* CLOCK_MONOTONIC ns, as tid timed it */
	uint64_t x_begin, x_end; /* the intervals' window: begin/end, or the worker's run */
	struct ops_bd bd;
	struct ops_off off[OPS_OFF_RING];
};

/* Where a cross-thread op ran: the thread whose ring explains it, and when. */
struct ex_exec {
	const struct ops_thread *ot;
	uint64_t begin, end;
};

/* One thread's candidates for one op kind (allocated at the first offer). */
struct ex_kind;

/*
 * The slow path: the op (breakdown bd, ending at end, timed by self; x when it ran on
 * another thread) is at or above the threshold. Keeps it when it is among the thread's
 * slowest or wins the p99 sample; returns the new threshold (UINT64_MAX when out of
 * memory: the thread stops offering).
 */
uint64_t ex_kind_offer(struct ex_kind **ek, uint32_t kind, const struct ops_thread *self,
		       const struct ops_bd *bd, uint64_t end, const struct ex_exec *x);
/* The thread's p99 so far; returns the new threshold. */
uint64_t ex_kind_set_p99(struct ex_kind **ek, uint64_t p99);
void ex_kind_free(struct ex_kind *ek);

/* A list of exemplars with the names of their threads. */
struct ex_set;
struct ex_set *ex_set_new(void);
void ex_set_free(struct ex_set *s);
int ex_set_add(struct ex_set *s, const struct ex_op *op); /* 0 or -ENOMEM */
/* Append ek's candidates (ek may be NULL). 0 or -ENOMEM. */
int ex_kind_collect(const struct ex_kind *ek, struct ex_set *s);
/* Name of a thread (first one given wins). 0 or -ENOMEM. */
int ex_set_name(struct ex_set *s, uint32_t tid, const char *name);
/* Move everything of src into dst (src is left empty). 0 or -ENOMEM. */
int ex_set_merge(struct ex_set *dst, struct ex_set *src);
/*
 * Keep, of the ops of kind, the EX_TOP slowest (top = 1) and up to EX_SAMPLE of the rest
 * at or above p99 (0: all of the rest), evenly spread by latency rank (top = 0).
 */
void ex_set_reduce(struct ex_set *s, uint32_t kind, uint64_t p99);
size_t ex_set_count(const struct ex_set *s);
const struct ex_op *ex_set_get(const struct ex_set *s, size_t i);
const char *ex_set_thread_name(const struct ex_set *s, uint32_t tid); /* NULL unknown */

/*
 * Copy the intervals of ring slot sl that overlap [begin, end] into op->off (oldest
 * first), safely also while sl's thread runs elsewhere: entries the kernel may be
 * overwriting are left out and counted in op->lost, as are intervals the switch counts
 * expect (switches: voluntary + involuntary in the window; 0 when unknown) but the ring
 * no longer held.
 */
void ex_ring_copy(struct ex_op *op, const volatile struct ops_slot *sl, uint64_t begin,
		  uint64_t end, uint64_t switches);
/* The same from the thread's userspace history when it keeps one (ops_hist_sync: a
 * thread that runs work for others), else from its slot's ring. */
void ex_thread_copy(struct ex_op *op, const struct ops_thread *ot, uint64_t begin,
		    uint64_t end, uint64_t switches);

/* A run's exemplars, per scenario, and the trace writer. */
struct ex_trace;
struct ex_trace *ex_trace_new(void);
void ex_trace_free(struct ex_trace *t);
/* Merge s (emptied) into the scenario's set and reduce it per kind. 0 or -ENOMEM. */
int ex_trace_add(struct ex_trace *t, const char *scenario, struct ex_set *s);
size_t ex_trace_ops(const struct ex_trace *t);
/* Scenarios in the order they were added; ex_trace_scen gives the i-th set and name. */
size_t ex_trace_nscen(const struct ex_trace *t);
const struct ex_set *ex_trace_scen(const struct ex_trace *t, size_t i, const char **name);
/*
 * The trace-event JSON: one process per scenario ("opscope: <scenario>"), one track per
 * thread; ops as complete ("X") slices with their breakdown as args, their off-CPU
 * intervals nested inside (named by syscall or "preempted", with "blocked" and "runq"
 * children); a cross-thread op's intervals nested in an "<op> (run)" slice on the track of
 * the thread that ran it, linked by a flow arrow. ts and dur in microseconds with ns
 * decimals. Ops of one thread that overlap (several calls in flight) go to extra
 * tracks named "<thread> (overlap N)", so slices on a track always nest.
 */
int ex_trace_write(const struct ex_trace *t, FILE *f);
/* Write atomically (temp file + rename); err gets one sentence on failure. The writer is
 * report/trace.c. */
int ex_trace_write_file(const struct ex_trace *t, const char *path, char *err, size_t errlen);

#endif /* OPSCOPE_EXEMPLAR_H */
