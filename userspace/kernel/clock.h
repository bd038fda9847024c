/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The collector's side of the clock model (bpf/clock.bpf.h): it reads the switch
 * program's calibration samples, fits the model (kernel/clockfit.h) and publishes it into
 * the programs' global data, first at start, then every 100 ms from the reaper thread.
 */
#ifndef OPSCOPE_CLOCK_H
#define OPSCOPE_CLOCK_H

#include <stdint.h>
#include <linux/types.h>
#include "opscope.h"

/* Where the programs keep the model and what steers the sampling (their mmapped .bss),
 * and what this side keeps between updates. */
struct clock_sync {
	int cal_fd;              /* the per-CPU clk_cal map */
	struct ops_clock *model; /* clk_model[2] */
	__u32 *idx;              /* clk_idx: the copy in use is model[*idx & 1] */
	__u32 *ready, *fast, *want;
	int ncpu;
	struct ops_cal *cal;     /* ncpu * OPS_CAL_WINS, as last read */
	uint64_t updates, steps;
	int64_t err;             /* the model's largest distance from what the samples said */
};

/* Fit and publish the first model, from samples taken at every switch for up to 200 ms
 * (most machines give enough within a few). 0, -ETIME without samples, or -errno. */
int clock_sync_start(struct clock_sync *k);
/* Re-fit from the last second's samples and ask for the next ones (every 100 ms). */
void clock_sync_update(struct clock_sync *k);
/* CLOCK_MONOTONIC - run-queue clock, as the model in use says at its segment's start. */
int64_t clock_sync_offset(const struct clock_sync *k);
void clock_sync_free(struct clock_sync *k);

#endif
