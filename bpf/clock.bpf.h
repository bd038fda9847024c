/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Clocks: the counters are computed in the run queue's clock, the one the scheduler
 * stamps switches and waits with (read at a switch for free, it was updated just before
 * the tracepoint), and the moments userspace compares with its own readings are
 * converted to CLOCK_MONOTONIC by the model in struct ops_clock (opscope.h says why and
 * how). This file converts, and feeds the model: the switch program samples
 * CLOCK_MONOTONIC - clk when the collector wants samples (OPS_CAL_WANT every 100 ms, at
 * most one per OPS_CAL_GAP per CPU), keeping each window's smallest; the collector
 * (userspace/kernel/clockfit.c) fits and publishes the model.
 * Until the first model is published (clk_ready), conversions read CLOCK_MONOTONIC.
 */
#ifndef OPSCOPE_CLOCK_BPF_H
#define OPSCOPE_CLOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opscope.h"
#include "compat.bpf.h"

/* Written by userspace (the skeleton's mmapped .bss): the model in use is
 * clk_model[clk_idx & 1]; userspace fills the other one, then flips clk_idx. */
struct ops_clock clk_model[2];
__u32 clk_idx;
__u32 clk_ready;
/* While the first model is fitted, every switch is a sample (no OPS_CAL_GAP). */
__u32 clk_fast;
/* Samples still wanted: the collector asks for OPS_CAL_WANT every 100 ms, taken at the
 * next switches of any task (OPS_CAL_GAP apart per CPU), so the model stays fitted
 * whether or not the target runs, for one load at a switch the rest of the time. */
__u32 clk_want;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OPS_CAL_WINS);
	__type(key, __u32);
	__type(value, struct ops_cal);
} clk_cal SEC(".maps");

/* CLOCK_MONOTONIC - run-queue clock at clk. */
static __always_inline __s64 clk_off(__u64 clk)
{
	struct ops_clock *m = &clk_model[clk_idx & 1];
	__s64 d = (__s64)(clk - m->t0);

	if (d > OPS_CLK_SPAN)
		d = OPS_CLK_SPAN;
	else if (d < -OPS_CLK_SPAN)
		d = -OPS_CLK_SPAN;
	return m->off0 + ((d * m->slope) >> 32);
}

/* The CLOCK_MONOTONIC moment of run-queue clock clk. */
static __always_inline __u64 clk_mono(__u64 clk)
{
	if (!clk_ready)
		return bpf_ktime_get_ns();
	return clk + clk_off(clk);
}

/* Now, in both clocks, where no run-queue clock is at hand (a thread first seen in a
 * syscall, the threads found at attach): one CLOCK_MONOTONIC read, converted back. */
static __always_inline __u64 clk_now(__u64 *mono)
{
	__u64 m = bpf_ktime_get_ns();

	*mono = m;
	/* the offset barely moves over its own size: evaluating it at m - off is exact
	 * to well below a nanosecond */
	return m - clk_off(m - clk_model[clk_idx & 1].off0);
}

/* A calibration sample at a switch whose run-queue clock is clk (taken just before).
 * Returns whether it took one. */
static __always_inline bool clk_sample(__u64 clk)
{
	__u64 win = clk >> OPS_CAL_SHIFT;
	__u32 key = win & (OPS_CAL_WINS - 1);
	struct ops_cal *c = bpf_map_lookup_elem(&clk_cal, &key);
	__s64 d;

	if (!c || (c->win == win && clk - c->last < OPS_CAL_GAP && !clk_fast))
		return false;
	d = (__s64)(bpf_ktime_get_ns() - clk);
	if (c->win != win) {
		c->win = win;
		c->min_d = d;
		c->n = 0;
	} else if (d < c->min_d) {
		c->min_d = d;
	}
	c->last = clk;
	c->n++;
	return true;
}

/* At any switch (next: the task switched in): a sample if the collector wants some (the
 * count is not atomic: two CPUs may both take the last one). */
static __always_inline void clk_sample_wanted(struct task_struct *next)
{
	if ((clk_want || clk_fast) && clk_sample(task_rq_clock(next)) && clk_want)
		clk_want--;
}

#endif /* OPSCOPE_CLOCK_BPF_H */
