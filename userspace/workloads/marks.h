/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A recorded program's own operations (the marks of libopscope, decoded by
 * kernel/attach.c) as workload results: per op kind the latency histogram and the
 * breakdown by band (op_agg), the error count, the slow-operation exemplars and the
 * threads that marked it. `opscope record` turns these into the same report as `opscope
 * run`, one scenario per op kind, under the pseudo-workload wl_marks ("record", no
 * parameters, never run). Functions prefixed marks_.
 *
 *	struct marks *m = marks_new(pid);
 *	attach_opts.on_op = marks_add; attach_opts.arg = m;   // from the drain thread
 *	... attach_stop() ...
 *	n = marks_kinds(m, ids, max);
 *	marks_result(m, ids[i], secs, &res);                  // per kind
 */
#ifndef OPSCOPE_MARKS_H
#define OPSCOPE_MARKS_H

#include <stdint.h>
#include "kernel/attach.h"
#include "workloads/workload.h"

extern const struct workload wl_marks;

struct marks;

/* pid: the recorded process, whose threads are named from /proc as they are first seen. */
struct marks *marks_new(int pid);
void marks_free(struct marks *m);
/* One decoded operation (attach's on_op; arg is the struct marks). One caller at a time. */
void marks_add(const struct attach_op *op, void *arg);
/* The kind ids that have operations, ascending; returns how many (at most max). */
int marks_kinds(const struct marks *m, uint32_t *ids, int max);
/* Operations (timed and failed) of every kind; ops lost for lack of memory. */
uint64_t marks_ops(const struct marks *m);
uint64_t marks_lost(const struct marks *m);
/*
 * Kind id's results over elapsed_s seconds: its aggregate and its exemplars (threads
 * named) move into res, which the caller owns as the runner owns a repetition's. 0, or
 * -ENOMEM / -ENOENT (no such kind).
 */
int marks_result(struct marks *m, uint32_t id, double elapsed_s, struct wl_result *res);

#endif
