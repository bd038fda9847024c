/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * For unit tests of the report's writers: synthetic reports built from fake repetitions
 * (no threads, no kernel), with check's assertions. fixture_report() is a workers sweep
 * and a failed scenario with hostile strings everywhere; fixture_full_report() adds every
 * section that later work brought to report.txt and report.json: run --why's splits and
 * wait-for graphs, runs with peaks and throughput windows, CPU use, leak rounds, a
 * pipeline's per-stage metrics, a process-mode pool whose breakdown is not followed,
 * user-stack copies, BPF program costs and a marked program's counters.
 */
#ifndef OPSCOPE_TEST_REPORT_FIXTURE_H
#define OPSCOPE_TEST_REPORT_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel/oprec.h"
#include "kernel/sysnames.h"
#include "kernel/why.h"
#include "report/report.h"
#include "stats/waitfor.h"
#include "workloads/params.h"

static const struct wl_param_def fix_pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ NULL },
};

static const struct wl_param_def fix_pipe_params[] = {
	{ "stages", WL_P_INT, 1, 8, 0, 0, "2", "stages", NULL },
	{ NULL },
};

static int fix_run(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res)
{
	return 0;
}

static const struct workload fpool = {
	.name = "pool", .help = "pool", .params = fix_pool_params, .run = fix_run,
};

static const struct workload fpipe = {
	.name = "pipeline", .help = "pipeline", .params = fix_pipe_params, .run = fix_run,
};

#define EVIL "<script>alert(\"x\")</script>&'"

static void make_scenario_wl(struct scenario *sc, const struct workload *wl, const char *group,
			     const char *workers)
{
	char err[256];

	memset(sc, 0, sizeof(*sc));
	sc->wl = wl;
	ck_assert_int_eq(params_init(&sc->cfg, wl, err, sizeof(err)), 0);
	snprintf(sc->group, sizeof(sc->group), "%s", group);
	if (workers) {
		ck_assert_int_eq(params_set(&sc->cfg, "workers", workers, err, sizeof(err)), 0);
		snprintf(sc->label, sizeof(sc->label), "workers=%s", workers);
		snprintf(sc->id, sizeof(sc->id), "%.63s/%.190s", group, sc->label);
		sc->swept[sc->nswept++] = wl_param_index(wl, "workers");
	} else {
		snprintf(sc->id, sizeof(sc->id), "%s", group);
	}
	sc->set = (struct run_settings){ .reps = 2, .warmup_ns = 1000000,
					 .duration_ns = 1000000000, .timeout_ns = 5000000000ll };
}

static void make_scenario(struct scenario *sc, const char *group, const char *workers)
{
	make_scenario_wl(sc, &fpool, group, workers);
}

/* The breakdown of one op of latency lat: every part, two blocked-in entries. */
static struct ops_bd fix_bd(uint64_t lat, uint64_t i)
{
	struct ops_bd bd = { .n = 1, .lat_ns = lat, .on_ns = lat / 4, .runq_ns = lat / 8,
			     .blocked_ns = lat / 2, .steal_ns = lat / 16, .syscalls = 2,
			     .syscall_ns = lat / 3, .vcsw = 1, .faults = i % 3 };

	bd.queued_ns = lat - bd.on_ns - bd.runq_ns - bd.blocked_ns - bd.steal_ns;
	bd.blk_ns[OPS_BLK_NOSYS] = lat / 8;
	bd.blk_ns[OPS_BLK_OTHER] = bd.blocked_ns - lat / 8;
	return bd;
}

/* One repetition of count ops spread from base to 100 x base ns, with a breakdown. */
static void add_rep(struct scen_result *s, uint64_t count, uint64_t base, int rc)
{
	struct wl_result res;

	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id("pool.call");
	res.agg[0] = op_agg_new();
	ck_assert_ptr_nonnull(res.agg[0]);
	for (uint64_t i = 0; i < count; i++) {
		struct ops_bd bd = fix_bd(base + base * (i * i % 9973) / 100, i);

		ck_assert_int_eq(op_agg_add(res.agg[0], &bd), 0);
	}
	res.elapsed_s = 1.0;
	res.threads = 3;
	res.occupancy = -1;
	if (rc)
		snprintf(res.error, sizeof(res.error), "lost 3 messages " EVIL);
	ck_assert_int_eq(scen_add_rep(s, rc, &res, 8 << 20, 6 << 20, false), 0);
}

/* A workers sweep (1, 2, 4), a failed scenario, and hostile strings everywhere; not
 * finished (report_finish) yet. */
static struct report *fixture_report_base(bool kernel)
{
	struct report *r = report_new();
	struct scenario sc;
	struct scen_result *s;
	const char *w[] = { "1", "2", "4" };

	ck_assert_ptr_nonnull(r);
	r->kernel = kernel;
	r->have_collector = kernel;
	r->coll.slots_used = 9;
	r->coll.slots_full = 2;
	r->coll.stacks = kernel;
	r->coll.user_stacks = 40;
	r->coll.cut_stacks = 3;
	r->env.online_cpus = 2;
	snprintf(r->env.hostname, sizeof(r->env.hostname), "host" EVIL);
	snprintf(r->env.cpu_model, sizeof(r->env.cpu_model), "CPU \x01 \"quoted\"");
	snprintf(r->command, sizeof(r->command), "opscope run --out 'a&b'");
	r->settings = (struct run_settings){ 2, 1000000, 1000000000, 5000000000ll, 0 };
	for (int i = 0; i < 3; i++) {
		make_scenario(&sc, "pool-workers", w[i]);
		s = report_add_scenario(r, &sc);
		add_rep(s, 5000 * (i + 1), 20000, 0);
		add_rep(s, 4000 * (i + 1), 20000, 0);
	}
	make_scenario(&sc, "odd " EVIL, NULL);
	s = report_add_scenario(r, &sc);
	add_rep(s, 100, 1000, 0);
	add_rep(s, 1, 1000, -EIO);
	return r;
}

static struct report *fixture_report(bool kernel)
{
	struct report *r = fixture_report_base(kernel);

	ck_assert_int_eq(report_finish(r), 0);
	return r;
}

/* ---------------------------------------------------------------- run --why */

/* A pool call's why: queued on workers (on-CPU in pool.task, waiting for a CPU, blocked
 * in futex, the way back), and its blocked time ended by a worker and a timer. */
static struct ops_wbd fix_why_pool(uint64_t lat)
{
	struct ops_wbd w = { .n = 1 };
	int futex = sysnames_blk_index(202);

	w.q_ns[OPS_W_ON] = lat / 2;
	w.q_kind_ns[why_kind_index(ops_kind_id("pool.task"))] = lat / 2;
	w.q_ns[OPS_W_RUNQ] = lat / 4;
	w.q_ns[OPS_W_BLOCKED] = lat / 16;
	w.q_sys_ns[futex] = lat / 16;
	w.q_ns[OPS_W_HANDOFF] = lat / 16;
	w.b_ns[OPS_W_ON] = lat / 8;
	w.b_kind_ns[why_kind_index(ops_kind_id("pool.task"))] = lat / 8;
	w.b_ns[OPS_W_TIMER] = lat / 32;
	w.wakeups = 1;
	return w;
}

/* A receiver woken by a producer that slept (its own sleeps ended by a timer). */
static struct ops_wbd fix_why_recv(uint64_t lat)
{
	struct ops_wbd w = { .n = 1 };

	w.b_ns[OPS_W_BLOCKED] = lat * 7 / 8;
	w.b_sys_ns[sysnames_blk_index(230)] = lat * 7 / 8;
	w.b_chain_ns[OPS_W_TIMER] = lat * 7 / 8;
	w.b_ns[OPS_W_ON] = lat / 16;
	w.b_kind_ns[why_kind_index(ops_kind_id("chan.send"))] = lat / 16;
	w.b_ns[OPS_W_UNKNOWN] = lat / 32;
	w.wakeups = 1;
	return w;
}

/* One repetition of count ops of kind (queued on, by waiter: cross-thread ops) with their
 * why, mk_why(lat) each. */
static void add_why_rep(struct scen_result *s, const char *kind, const char *waiter,
			const char *on, uint64_t count, struct ops_wbd (*mk_why)(uint64_t))
{
	struct wl_result res;

	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id(kind);
	res.agg[0] = op_agg_new();
	ck_assert_ptr_nonnull(res.agg[0]);
	if (on) {
		snprintf(res.queue_waiter[0], sizeof(res.queue_waiter[0]), "%s", waiter);
		snprintf(res.queue_on[0], sizeof(res.queue_on[0]), "%s", on);
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t lat = 10000 + 10000 * (i * i % 997) / 10;
		struct ops_bd bd = fix_bd(lat, i);
		struct ops_wbd w = mk_why(lat);

		ck_assert_int_eq(op_agg_add_why(res.agg[0], &bd, &w), 0);
	}
	res.elapsed_s = 1.0;
	res.threads = 2;
	res.occupancy = -1;
	ck_assert_int_eq(scen_add_rep(s, 0, &res, 8 << 20, 6 << 20, false), 0);
}

static void fix_why(struct report *r)
{
	struct scenario sc;
	struct scen_result *s;

	r->why = true;
	make_scenario(&sc, "why-pool", NULL);
	s = report_add_scenario(r, &sc);
	add_why_rep(s, "pool.call", "pool-caller", "pool-worker", 3000, fix_why_pool);
	ck_assert_int_eq(waitfor_add(s->wf, "pool-caller", ops_kind_id("pool.call"),
				     "pool-worker", OPS_W_ON, 800000, 90), 0);
	ck_assert_int_eq(waitfor_add(s->wf, "pool-worker", 0, "timer", OPS_W_TIMER, 50000, 9),
			 0);
	make_scenario(&sc, "why-chan", NULL);
	s = report_add_scenario(r, &sc);
	add_why_rep(s, "chan.recv", NULL, NULL, 2000, fix_why_recv);
	s->wf = waitfor_new();
	ck_assert_ptr_nonnull(s->wf);
	ck_assert_int_eq(waitfor_add(s->wf, "chan-consumer", ops_kind_id("chan.recv"),
				     "chan-producer", OPS_W_ON, 900000, 700), 0);
	ck_assert_int_eq(waitfor_add(s->wf, "chan-producer", 0, "timer", OPS_W_TIMER, 950000,
				     700), 0);
	ck_assert_int_eq(waitfor_add(s->wf, "a<b" EVIL, 0, "c&d", OPS_W_ON, 10, 1), 0);
	s->wf->lost = 3;
}

/* ---------------------------------------------------------------- runs, leaks, stages */

/* The facts of a repetition: ended by max-ops, 1.5 CPUs busy of 2, 17 calls in flight
 * against a limit of 16 (broken on purpose), 4 workers of 4 busy, and throughput
 * windows that are fast for the first four recorded ones. */
static struct wl_facts fix_facts(void)
{
	struct wl_facts f = { .end = WL_END_MAX_OPS, .cpu_ns = 1500000000,
			      .cpu_wall_ns = 1000000000, .inflight = { 17, 16 },
			      .busy = { 4, 4 } };

	f.win = (struct wl_windows){ .width_ns = 10000000, .warmup_ns = 40000000, .n = 30,
				     .rec_first = 4, .rec_end = 30 };
	for (int i = 0; i < 30; i++)
		f.win.count[i] = i < 4 ? 50 : i < 8 ? 500 : 100;
	return f;
}

static void add_fact_rep(struct scen_result *s, const char *const *kinds, int nkinds,
			 const struct wl_facts *f)
{
	struct wl_result res;

	memset(&res, 0, sizeof(res));
	res.nkinds = nkinds;
	for (int k = 0; k < nkinds; k++) {
		res.kind[k] = ops_kind_id(kinds[k]);
		res.agg[k] = op_agg_new();
		ck_assert_ptr_nonnull(res.agg[k]);
		for (uint64_t i = 0; i < 1000; i++) {
			struct ops_bd bd = fix_bd(20000 + 100 * (i % 50) * (k + 1), i);

			ck_assert_int_eq(op_agg_add(res.agg[k], &bd), 0);
		}
	}
	res.elapsed_s = 1.0;
	res.threads = 4;
	res.occupancy = -1;
	res.f = *f;
	ck_assert_int_eq(scen_add_rep(s, 0, &res, 8 << 20, 6 << 20, false), 0);
}

static void fix_runs_and_leaks(struct report *r)
{
	static const char *const call[] = { "pool.call" };
	static const char *const pipe[] = { "pipe.packet", "pipe.s1_parse", "pipe.s2_filter" };
	struct wl_facts f = fix_facts();
	struct scenario sc;
	struct scen_result *s;

	/* four rounds, one descriptor and one thread more each: leak-threads fails (with
	 * --stacks, as here, descriptors are not judged) */
	make_scenario(&sc, "leaky", NULL);
	s = report_add_scenario(r, &sc);
	for (int i = 0; i < 4; i++)
		add_fact_rep(s, call, 1, &f);
	s->start = (struct proc_sample){ true, 100 << 20, 1 << 20, 10, 5 };
	for (int i = 0; i < 4; i++)
		s->reps[i].res = (struct proc_sample){ true, (100 << 20) + 4096 * (i % 2),
						       1 << 20, 11 + (uint64_t)i,
						       6 + (uint64_t)i };
	/* a pipeline of two stages with its own metrics */
	make_scenario_wl(&sc, &fpipe, "pipeline-stages", NULL);
	s = report_add_scenario(r, &sc);
	f.inflight = (struct wl_peak){ 8, 8 };
	for (int i = 0; i < 3; i++) {
		f.nx = 0;
		f.x[f.nx++] = (struct wl_xmetric){ "s1_occupancy", "ratio", WL_XK_INFO, 0, 0.25 };
		f.x[f.nx++] = (struct wl_xmetric){ "s1_backpressure", "ratio", WL_XK_INFO, 0, 0.1 };
		f.x[f.nx++] = (struct wl_xmetric){ "s1_busy_peak", "count", WL_XK_INFO, 0, 2 };
		f.x[f.nx++] = (struct wl_xmetric){ "s2_occupancy", "ratio", WL_XK_INFO, 0, 0.75 };
		f.x[f.nx++] = (struct wl_xmetric){ "s2_busy_peak", "count", WL_XK_INFO, 0, 1 };
		f.x[f.nx++] = (struct wl_xmetric){ "drops", "count", WL_XK_INFO, 0, 7 + i };
		f.x[f.nx++] = (struct wl_xmetric){ "chan_bytes", "bytes", WL_XK_MEMORY, -1, 4096 };
		add_fact_rep(s, pipe, 3, &f);
	}
	/* a process-mode pool: its workers are not followed by the collector */
	make_scenario(&sc, "pool-process", NULL);
	s = report_add_scenario(r, &sc);
	f = fix_facts();
	f.kernel_note = "not followed: worker processes are outside the collector's target";
	add_fact_rep(s, call, 1, &f);
	add_fact_rep(s, call, 1, &f);
}

/* Everything: see the top of this file. */
static struct report *fixture_full_report(void)
{
	struct report *r = fixture_report_base(true);
	struct report_collector *c = &r->coll;

	c->rooted_stacks = 38;
	c->ustack_copies = 120;
	c->ustack_bytes = 120 * 480;
	c->ustack_throttled = 5;
	c->ustack_lost = 2;
	c->ucount_lost = 1;
	c->urec_dropped = 4;
	c->copies_missing = 6;
	c->unwind_ms = 1.5;
	c->bpf_stats = true;
	c->nprogs = 2;
	snprintf(c->progs[0].name, sizeof(c->progs[0].name), "handle_switch");
	c->progs[0].runs = 1000;
	c->progs[0].run_ns = 180000;
	snprintf(c->progs[1].name, sizeof(c->progs[1].name), "handle_waking");
	c->progs[1].runs = 10;
	c->progs[1].run_ns = 1200;
	fix_why(r);
	fix_runs_and_leaks(r);
	ck_assert_int_eq(report_finish(r), 0);
	return r;
}

#endif
