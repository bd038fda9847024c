/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A recorded program's own operations (the marks of libopscope, decoded by
 * kernel/attach.c) as workload results: per op kind the latency histogram and the
 * breakdown by band (op_agg), the error count, the slow-operation exemplars and the
 * threads that marked it. `opscope record` turns these into the same report as `opscope
 * run`, one scenario per op kind, under the pseudo-workload wl_marks ("record", no
 * parameters, never run). Functions prefixed marks_.
 *
 *	struct marks *m = marks_new(pid, rep_ns);
 *	attach_opts.on_op = marks_add; attach_opts.arg = m;   // from the drain thread
 *	... attach_stop() ...
 *	nw = marks_windows(m, since, end, elapsed, max);
 *	n = marks_kinds(m, ids, max);
 *	marks_result(m, ids[i], w, elapsed[w], &res);         // per kind and repetition
 */
#ifndef OPSCOPE_MARKS_H
#define OPSCOPE_MARKS_H

#include <stdint.h>
#include "kernel/attach.h"
#include "workloads/workload.h"

extern const struct workload wl_marks;

struct marks;

/* pid: the recorded process, whose threads are named from /proc as they are first seen;
 * rep_ns: the length of a repetition (an op falls in the one it ended in, counted from
 * the program's attach), 0 for one repetition over the whole recording. */
struct marks *marks_new(int pid, uint64_t rep_ns);
void marks_free(struct marks *m);
/* One decoded operation (attach's on_op; arg is the struct marks). One caller at a time. */
void marks_add(const struct attach_op *op, void *arg);
/* The kind ids that have operations, ascending; returns how many (at most max). */
int marks_kinds(const struct marks *m, uint32_t *ids, int max);
/* Operations (timed and failed) of every kind; ops lost for lack of memory. */
uint64_t marks_ops(const struct marks *m);
uint64_t marks_lost(const struct marks *m);
/*
 * The repetitions of a recording that covered [since, end]: their number (at most max),
 * each one's length in elapsed[]. A last one shorter than half a repetition joins the one
 * before. Call once, after the last op; -ENOMEM.
 */
int marks_windows(struct marks *m, uint64_t since, uint64_t end, double *elapsed, int max);
/*
 * Kind id's results in repetition w, elapsed_s long: its aggregate (empty when the kind
 * had no op then) and, with w 0, its exemplars over the whole recording (threads named)
 * move into res, which the caller owns as the runner owns a repetition's. 0, or -ENOMEM /
 * -ENOENT (no such kind).
 */
int marks_result(struct marks *m, uint32_t id, int w, double elapsed_s, struct wl_result *res);

#endif
