/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The clock model the kernel side converts run-queue clock readings to CLOCK_MONOTONIC
 * with (struct ops_clock, bpf/opscope.h): the offset the samples say, and each new
 * segment continuous with the last so that no converted time ever jumps. Pure functions
 * of their inputs, unit-tested; the collector reads the samples and publishes.
 */
#ifndef OPSCOPE_CLOCKFIT_H
#define OPSCOPE_CLOCKFIT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "opscope.h"

/* A correction slews at most this fast (ppm); a larger offset change is stepped. */
#define CLOCKFIT_MAX_PPM 20
#define CLOCKFIT_STEP_NS 20000

/* CLOCK_MONOTONIC - run-queue clock at clk under model m (what the BPF side computes). */
int64_t clockfit_off(const struct ops_clock *m, uint64_t clk);

/*
 * The offset the samples say: the smallest CLOCK_MONOTONIC - clk of the windows numbered
 * [from, to] on any CPU (cal holds OPS_CAL_WINS windows per CPU, ncpu CPUs). Returns the
 * samples behind it, 0 when those windows have none (then *off is untouched).
 */
uint64_t clockfit_target(const struct ops_cal *cal, int ncpu, uint64_t from, uint64_t to,
			 int64_t *off);

/*
 * The next segment, from run-queue clock now on: continuous with cur there, and sloped
 * to reach target by OPS_CLK_SPAN later, at most CLOCKFIT_MAX_PPM; an offset further away than
 * CLOCKFIT_STEP_NS (a clock stepped, a host that paused) is taken at once instead.
 * Returns true when it stepped.
 */
bool clockfit_next(const struct ops_clock *cur, uint64_t now, int64_t target,
		   struct ops_clock *next);

#endif
