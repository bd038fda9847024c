// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Bench workload: a user's plain operation function from a plugin (OPSCOPE_BENCHMARK in
 * <opscope/plugin.h>, docs/PLUGINS.md), called by `threads` threads in a closed loop;
 * each call is one op of kind "bench.<fn>", timed with the calling thread's own slot like
 * a channel send, so it carries the whole kernel breakdown. The function's hooks run
 * untimed: setup and teardown on the workload's thread around the repetition,
 * thread_setup and thread_teardown in each thread around its calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/plugins.h"
#include "workloads/workload.h"

enum { P_FN, P_THREADS, P_ARG };

#define MAX_THREADS 256

static const struct wl_param_def bench_params[] = {
	[P_FN] = { "fn", WL_P_ENUM, 0, 0, 0, 0, NULL,
		   "the function, as a plugin registers it (--plugin FILE; docs/PLUGINS.md); "
		   "default the first one loaded", plugins_bench_names },
	[P_THREADS] = { "threads", WL_P_INT, 1, MAX_THREADS, 0, 0, "1",
			"threads calling it, each in a closed loop", NULL },
	[P_ARG] = { "arg", WL_P_INT, 0, 1ll << 40, 0, 0, "0",
		    "handed to the function as state->arg (a size, a count: its own choice)",
		    NULL },
	{ 0 },
};

struct bthread {
	struct bwl *w;
	struct wl_thr t;
	pthread_t th;
	bool started;
	opscope_state st;
};

struct bwl {
	struct wl_run run;
	const struct opscope_bench *b;
	unsigned n;
	struct bthread *thr;
};

static void *bench_main(void *arg)
{
	struct bthread *bt = arg;
	struct bwl *w = bt->w;
	const struct opscope_bench *b = w->b;
	struct ops_snap a, z;
	struct ops_bd bd;
	int rc = b->thread_setup ? b->thread_setup(&bt->st) : 0;

	if (rc) {
		wl_fail(&w->run, -EINVAL, "%s's thread_setup failed in thread %u (returned %d)",
			b->name, bt->st.thread, rc);
		wl_thr_begin(&bt->t, &w->run);
		goto out;
	}
	if (wl_thr_begin(&bt->t, &w->run))
		goto teardown;
	ops_set_kind(&bt->t.ot, w->run.kind[0]);
	while (!wl_stopping(&bt->t)) {
		if (!wl_rec(&bt->t)) {
			b->fn(&bt->st);
			bt->st.iteration++;
			wl_tick(&bt->t, ops_now_ns());
			continue;
		}
		ops_snap_take(&bt->t.ot, &a);
		rc = b->fn(&bt->st);
		ops_snap_take(&bt->t.ot, &z);
		bt->st.iteration++;
		wl_tick(&bt->t, z.ts);
		if (rc) {
			wl_record_error(&bt->t, 0, z.ts);
			continue;
		}
		ops_snap_delta(&bt->t.ot, &a, &z, &bd);
		wl_record_snaps(&bt->t, 0, &bd, &a, &z);
	}
	ops_set_kind(&bt->t.ot, 0);
teardown:
	if (b->thread_teardown)
		b->thread_teardown(&bt->st);
out:
	wl_thr_end(&bt->t);
	return NULL;
}

static int bench_config_check(const struct wl_config *cfg, char *err, size_t errlen)
{
	if (!plugins_bench(cfg->iv[P_FN])) {
		snprintf(err, errlen, "the bench workload runs a function from a plugin, and none "
			 "is loaded; %s (docs/PLUGINS.md)", plugins_enum_hint_text);
		return -EINVAL;
	}
	return 0;
}

static int bench_run(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res)
{
	const struct opscope_bench *b = plugins_bench(cfg->iv[P_FN]);
	opscope_state st = { 0 };
	char kind[64], msg[256];
	const char *kinds[1] = { kind };
	unsigned started = 0;
	bool leak = false;
	struct bwl *w;
	int err;

	err = bench_config_check(cfg, msg, sizeof(msg));
	if (err)
		return wl_result_fail(res, err, "%s", msg);
	st.arg = (uint64_t)cfg->iv[P_ARG];
	st.threads = (unsigned)cfg->iv[P_THREADS];
	if (b->setup && (err = b->setup(&st)))
		return wl_result_fail(res, -EINVAL, "%s's setup failed (returned %d)", b->name,
				      err);
	w = calloc(1, sizeof(*w));
	if (!w) {
		if (b->teardown)
			b->teardown(&st);
		return wl_result_fail(res, -ENOMEM, "out of memory setting up bench %s", b->name);
	}
	w->b = b;
	w->n = st.threads;
	snprintf(kind, sizeof(kind), "bench.%s", b->name);
	err = wl_run_init(&w->run, ctl, kinds, 1, w->n);
	w->thr = err ? NULL : calloc(w->n, sizeof(*w->thr));
	if (!err && !w->thr)
		wl_fail(&w->run, -ENOMEM, "out of memory for %u bench threads", w->n);
	for (unsigned i = 0; w->thr && i < w->n; i++) {
		struct bthread *bt = &w->thr[i];

		bt->w = w;
		bt->st = st;
		bt->st.thread = i;
		if (wl_thr_start(&w->run, &bt->th, bench_main, bt, "bench", i, w->n))
			break;
		bt->started = true;
		started++;
	}
	if (w->thr)
		wl_run_control(&w->run, started, NULL, NULL);
	for (unsigned i = 0; w->thr && i < w->n; i++)
		if (w->thr[i].started && wl_join(&w->run, w->thr[i].th, NULL, NULL))
			leak = true;
	err = wl_run_finish(&w->run, res);
	if (leak)
		return err; /* a thread may still be in the function: leave everything */
	if (b->teardown)
		b->teardown(&st);
	free(w->thr);
	wl_run_destroy(&w->run);
	free(w);
	return err;
}

const struct workload wl_bench = {
	.name = "bench",
	.help = "a plugin's operation function (OPSCOPE_BENCHMARK) called by threads in a closed "
		"loop; op bench.<fn> is one call",
	.params = bench_params,
	.run = bench_run,
	.config_check = bench_config_check,
};
