// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The collector's side of the clock model: samples in, model out (kernel/clock.h). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel/clock.h"
#include "kernel/clockfit.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read every CPU's calibration windows into k->cal. */
static int cal_read(struct clock_sync *k)
{
	struct ops_cal v[k->ncpu];

	for (__u32 w = 0; w < OPS_CAL_WINS; w++) {
		if (bpf_map_lookup_elem(k->cal_fd, &w, v))
			return -errno;
		for (int cpu = 0; cpu < k->ncpu; cpu++)
			k->cal[cpu * OPS_CAL_WINS + w] = v[cpu];
	}
	return 0;
}

/* Publish model m: fill the copy the programs do not use, then point them at it. */
static void publish(struct clock_sync *k, const struct ops_clock *m)
{
	__u32 idx = *k->idx + 1;

	k->model[idx & 1] = *m;
	__atomic_store_n(k->idx, idx, __ATOMIC_RELEASE);
	if (!*k->ready)
		__atomic_store_n(k->ready, 1, __ATOMIC_RELEASE);
	k->updates++;
}

/*
 * Re-fit the clock model, or fit the first one. The offset is at most the smallest
 * CLOCK_MONOTONIC - clk of the last second's complete windows: each sample is an upper
 * bound (the clock was read before the program ran), a single window's smallest is one to
 * a few hundred ns above the best, and over a second the clocks drift apart by tens of ns
 * here. Returns 0, or -EAGAIN when there are no samples.
 */
static int fit(struct clock_sync *k, bool first)
{
	const struct ops_clock *cur = &k->model[*k->idx & 1];
	uint64_t mono = mono_ns(), now, win;
	struct ops_clock next;
	int64_t target, err;
	int e = cal_read(k);

	if (e)
		return e;
	/* now in the run queue's clock: the current model, or before one the samples */
	now = mono - (first ? 0 : clockfit_off(cur, mono - cur->off0));
	win = now >> OPS_CAL_SHIFT;
	if (!clockfit_target(k->cal, k->ncpu, first ? 0 : win - (OPS_CAL_WINS - 1),
			     first ? ~0ull : win - 1, &target))
		return -EAGAIN;
	if (first) {
		next = (struct ops_clock){ .t0 = mono - target, .off0 = target };
	} else {
		/* how far the model in use had strayed from what the samples say now */
		err = clockfit_off(cur, now) - target;
		if (err < 0)
			err = -err;
		if (err > k->err)
			k->err = err;
		if (clockfit_next(cur, now, target, &next))
			k->steps++;
	}
	publish(k, &next);
	return 0;
}

int clock_sync_start(struct clock_sync *k)
{
	k->ncpu = libbpf_num_possible_cpus();
	if (k->ncpu <= 0)
		return k->ncpu ? k->ncpu : -EINVAL;
	k->cal = calloc((size_t)k->ncpu * OPS_CAL_WINS, sizeof(*k->cal));
	if (!k->cal)
		return -ENOMEM;
	*k->fast = 1;
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 1000 * 1000 };
		uint64_t n;
		int64_t off;

		nanosleep(&ts, NULL);
		if (cal_read(k))
			break;
		n = clockfit_target(k->cal, k->ncpu, 0, ~0ull, &off);
		if (n >= 2000 || (n && i >= 30)) {
			*k->fast = 0;
			return fit(k, true);
		}
	}
	*k->fast = 0;
	return -ETIME;
}

void clock_sync_update(struct clock_sync *k)
{
	if (!k->cal)
		return;
	fit(k, false);
	*k->want = OPS_CAL_WANT;
}

int64_t clock_sync_offset(const struct clock_sync *k)
{
	return k->model ? k->model[*k->idx & 1].off0 : 0;
}

void clock_sync_free(struct clock_sync *k)
{
	free(k->cal);
	k->cal = NULL;
}
