// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The clock model's fit: offset from the samples, segments continuous (clockfit.h). */
#include "kernel/clockfit.h"

int64_t clockfit_off(const struct ops_clock *m, uint64_t clk)
{
	int64_t d = (int64_t)(clk - m->t0);

	if (d > OPS_CLK_SPAN)
		d = OPS_CLK_SPAN;
	else if (d < -OPS_CLK_SPAN)
		d = -OPS_CLK_SPAN;
	/* the BPF side shifts arithmetically: so does gcc for a signed operand */
	return m->off0 + ((d * m->slope) >> 32);
}

uint64_t clockfit_target(const struct ops_cal *cal, int ncpu, uint64_t from, uint64_t to,
			 int64_t *off)
{
	uint64_t n = 0;
	int64_t best = 0;

	for (int i = 0; i < ncpu * OPS_CAL_WINS; i++) {
		const struct ops_cal *c = &cal[i];

		if (!c->n || c->win < from || c->win > to)
			continue;
		if (!n || c->min_d < best)
			best = c->min_d;
		n += c->n;
	}
	if (n)
		*off = best;
	return n;
}

bool clockfit_next(const struct ops_clock *cur, uint64_t now, int64_t target,
		   struct ops_clock *next)
{
	const int64_t max_slope = (int64_t)CLOCKFIT_MAX_PPM * (1ll << 32) / 1000000;
	int64_t at = clockfit_off(cur, now), d = target - at, slope;

	next->t0 = now;
	if (d > CLOCKFIT_STEP_NS || d < -CLOCKFIT_STEP_NS) {
		next->off0 = target;
		next->slope = 0;
		return true;
	}
	/* reach the target by the segment's end (then it stays flat, should no update come):
	 * d * 2^32 / OPS_CLK_SPAN cannot overflow, d is below 2^15 here */
	slope = d * (1ll << 32) / OPS_CLK_SPAN;
	if (slope > max_slope)
		slope = max_slope;
	else if (slope < -max_slope)
		slope = -max_slope;
	next->off0 = at;
	next->slope = slope;
	return false;
}
