// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The report's checks built from synthetic repetitions (fake workloads, no threads):
 * measured peaks held to their limits (a repetition that broke one fails its target),
 * leak verdicts from resource samples across rounds, the range target of process-mode
 * pools, CPU use, what ended a run and its windows, workload metrics, and a scenario
 * whose kernel breakdown was not followed (said in words, never zeros).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/oprec.h"
#include "report/report.h"
#include "util/jsonparse.h"
#include "workloads/params.h"

static const char *const modes[] = { "thread", "process", NULL };

static const struct wl_param_def pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "2", "workers", NULL },
	{ "mode", WL_P_ENUM, 0, 1, 0, 0, "thread", "mode", modes },
	{ NULL },
};

static int fake_run(const struct wl_config *cfg, const struct wl_ctl *ctl,
		    struct wl_result *res)
{
	return 0;
}

static const struct workload fpool = {
	.name = "pool", .help = "pool", .params = pool_params, .run = fake_run,
};

static struct scen_result *add_scenario(struct report *r, const char *id, const char *mode)
{
	struct scenario sc;
	char err[256];

	memset(&sc, 0, sizeof(sc));
	sc.wl = &fpool;
	ck_assert_int_eq(params_init(&sc.cfg, &fpool, err, sizeof(err)), 0);
	if (mode)
		ck_assert_int_eq(params_set(&sc.cfg, "mode", mode, err, sizeof(err)), 0);
	snprintf(sc.group, sizeof(sc.group), "%s", id);
	snprintf(sc.id, sizeof(sc.id), "%s", id);
	sc.set = (struct run_settings){ .reps = 3, .warmup_ns = 1000000,
					.duration_ns = 1000000000, .timeout_ns = 5000000000ll };
	return report_add_scenario(r, &sc);
}

/* One repetition of count calls of 20 us over 1 s, with facts f. */
static struct rep_result *add_rep(struct scen_result *s, uint64_t count, const struct wl_facts *f)
{
	struct ops_bd bd = { .n = 1, .lat_ns = 20000, .on_ns = 10000, .blocked_ns = 10000 };
	struct wl_result res;

	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id("pool.call");
	res.agg[0] = op_agg_new();
	for (uint64_t i = 0; i < count; i++)
		ck_assert_int_eq(op_agg_add(res.agg[0], &bd), 0);
	res.elapsed_s = 1.0;
	res.threads = 4;
	res.occupancy = -1;
	if (f)
		res.f = *f;
	ck_assert_int_eq(scen_add_rep(s, 0, &res, 8 << 20, 6 << 20, false), 0);
	return &s->reps[s->nreps - 1];
}

static struct report *new_report(void)
{
	struct report *r = report_new();

	ck_assert_ptr_nonnull(r);
	r->env.online_cpus = 2;
	r->settings = (struct run_settings){ 3, 1000000, 1000000000, 5000000000ll, 0 };
	return r;
}

static const struct target *target(const struct report *r, const char *name)
{
	for (int i = 0; i < r->ntargets; i++)
		if (!strcmp(r->targets[i].name, name))
			return &r->targets[i];
	ck_abort_msg("no target %s", name);
	return NULL;
}

static char *text_of(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(report_write_text(r, f), 0);
	fclose(f);
	return buf;
}

static struct json_doc *json_of(const struct report *r)
{
	struct json_err jerr;
	struct json_doc *doc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(report_write_json(r, f), 0);
	fclose(f);
	doc = json_parse(buf, len, 0, &jerr);
	ck_assert_msg(doc != NULL, "report.json does not parse: %s", jerr.msg);
	free(buf);
	return doc;
}

START_TEST(limit_broken_fails)
{
	struct report *r = new_report();
	struct wl_facts ok = { .inflight = { 16, 16 }, .busy = { 2, 2 } };
	struct wl_facts over = { .inflight = { 17, 16 }, .busy = { 2, 2 } };
	struct scen_result *a = add_scenario(r, "held", NULL);
	struct scen_result *b = add_scenario(r, "broken", NULL);
	char *txt;

	for (int i = 0; i < 3; i++)
		add_rep(a, 1000, &ok);
	add_rep(b, 1000, &ok);
	add_rep(b, 1000, &over); /* one repetition went past the limit */
	add_rep(b, 1000, &ok);
	report_finish(r);
	ck_assert_int_eq(target(r, "inflight-limit")->status, TGT_FAIL);
	ck_assert_double_eq_tol(target(r, "inflight-limit")->value, 17.0 / 16, 1e-12);
	ck_assert_int_eq(target(r, "inflight-limit")->scenario, 1);
	ck_assert_int_eq(target(r, "busy-limit")->status, TGT_PASS);
	ck_assert_double_eq_tol(target(r, "busy-limit")->value, 1, 1e-12);
	txt = text_of(r);
	ck_assert_ptr_nonnull(strstr(txt, "17/16"));
	ck_assert_ptr_nonnull(strstr(txt, "inflight-limit           <= 1               1.06  "
				    "FAIL"));
	free(txt);
	report_free(r);

	/* nothing measured: n/a, not a pass */
	r = new_report();
	add_rep(add_scenario(r, "none", NULL), 1000, NULL);
	report_finish(r);
	ck_assert_int_eq(target(r, "inflight-limit")->status, TGT_NA);
	report_free(r);
}
END_TEST

static void set_samples(struct scen_result *s, const uint64_t *fds, const uint64_t *rss, int n)
{
	s->start = (struct proc_sample){ true, rss[0], 1 << 20, fds[0], 5 };
	for (int i = 0; i < n; i++)
		s->reps[i].res = (struct proc_sample){ true, rss[i + 1], 1 << 20, fds[i + 1], 5 };
}

/*
 * Interleaved: "leaky" keeps one descriptor per repetition, and "clean" runs between
 * leaky's repetitions, keeping nothing. Counted from the scenario's start, clean would
 * grow by one a round (leaky's); measured from before each of its own repetitions (pre),
 * it grows by none, and leaky by one.
 */
START_TEST(leaks_interleaved)
{
	struct report *r = new_report();
	struct scen_result *a = add_scenario(r, "leaky", NULL);
	struct scen_result *b = add_scenario(r, "clean", NULL);
	uint64_t fds = 10;

	a->start = b->start = (struct proc_sample){ true, 100 << 20, 1 << 20, fds, 5 };
	for (int i = 0; i < 4; i++) {
		add_rep(a, 1000, NULL);
		a->reps[i].pre = (struct proc_sample){ true, 100 << 20, 1 << 20, fds, 5 };
		fds++;
		a->reps[i].res = (struct proc_sample){ true, 100 << 20, 1 << 20, fds, 5 };
		add_rep(b, 1000, NULL);
		b->reps[i].pre = b->reps[i].res = a->reps[i].res;
	}
	report_finish(r);
	ck_assert(a->leaks.fds.ok);
	ck_assert_double_eq_tol(a->leaks.fds.slope, 1, 1e-12);
	ck_assert_double_eq_tol(a->leaks.fds.residual, 4, 1e-12);
	ck_assert(b->leaks.fds.ok);
	ck_assert_double_eq_tol(b->leaks.fds.slope, 0, 1e-12);
	ck_assert_double_eq_tol(b->leaks.fds.residual, 0, 1e-12);
	ck_assert_int_eq(target(r, "leak-fds")->scenario, 0);
	report_free(r);
}
END_TEST

START_TEST(leak_verdicts)
{
	/* fds: one more per round, exactly; RSS: noise around a level, no trend */
	uint64_t leaky_fds[] = { 10, 11, 12, 13, 14 }, flat_fds[] = { 10, 10, 10, 10, 10 };
	uint64_t noisy_rss[] = { 100 << 20, 101 << 20, (100 << 20) - 4096, 101 << 20,
				 (100 << 20) + 8192 };
	struct report *r = new_report();
	struct scen_result *a = add_scenario(r, "leaky", NULL);
	struct scen_result *b = add_scenario(r, "clean", NULL);
	struct scen_result *c = add_scenario(r, "two-rounds", NULL);
	struct json_doc *doc;
	char *txt;

	for (int i = 0; i < 4; i++) {
		add_rep(a, 1000, NULL);
		add_rep(b, 1000, NULL);
	}
	add_rep(c, 1000, NULL);
	add_rep(c, 1000, NULL);
	set_samples(a, leaky_fds, noisy_rss, 4);
	set_samples(b, flat_fds, noisy_rss, 4);
	set_samples(c, leaky_fds, noisy_rss, 2);
	report_finish(r);

	ck_assert(a->leaks.fds.ok);
	ck_assert_int_eq(a->leaks.rounds, 4);
	ck_assert_double_eq_tol(a->leaks.fds.slope, 1, 1e-12);
	ck_assert_double_eq_tol(a->leaks.fds.lcb, 1, 1e-12);
	ck_assert_double_eq_tol(a->leaks.fds.residual, 4, 1e-12);
	ck_assert(b->leaks.rss.ok && b->leaks.rss.lcb < 0); /* noise is not growth */
	ck_assert_double_eq(b->leaks.fds.slope, 0);
	/* two rounds: no slope to test, the residual still counts */
	ck_assert(!c->leaks.fds.ok);
	ck_assert_double_eq_tol(c->leaks.fds.residual, 2, 1e-12);

	ck_assert_int_eq(target(r, "leak-fds")->status, TGT_FAIL);
	ck_assert_int_eq(target(r, "leak-fds")->scenario, 0);
	ck_assert_int_eq(target(r, "residual-fds")->status, TGT_FAIL);
	ck_assert_double_eq_tol(target(r, "residual-fds")->value, 4, 1e-12);
	ck_assert_int_eq(target(r, "leak-rss")->status, TGT_PASS);
	ck_assert_int_eq(target(r, "leak-threads")->status, TGT_PASS);
	ck_assert_int_eq(target(r, "residual-threads")->status, TGT_PASS);
	ck_assert_int_eq(target(r, "leak-heap")->status, TGT_PASS);

	txt = text_of(r);
	ck_assert_ptr_nonnull(strstr(txt, "leaky                          4"));
	ck_assert_ptr_nonnull(strstr(txt, "1 (1)"));
	free(txt);
	doc = json_of(r);
	ck_assert_double_eq_tol(json_num(json_path(json_at(json_get(json_root(doc), "scenarios"),
							   0), "leaks.fds.lcb")), 1, 1e-12);
	ck_assert(json_is(json_path(json_at(json_get(json_root(doc), "scenarios"), 2),
				    "leaks.fds.lcb"), JSON_NULL));
	json_doc_free(doc);
	report_free(r);
}
END_TEST

START_TEST(process_range_and_note)
{
	struct report *r = new_report();
	struct wl_facts f = { .kernel_note = "not followed: worker processes are outside the "
					     "collector's target" };
	struct scen_result *ok = add_scenario(r, "proc-ok", "process");
	struct scen_result *fast = add_scenario(r, "proc-fast", "process");
	const struct json_value *sc, *m;
	const struct metric *on;
	struct json_doc *doc;
	char err[256], *txt;

	for (int i = 0; i < 3; i++) {
		add_rep(ok, 3000, &f);   /* 1.5k calls/s per worker */
		add_rep(fast, 12000, &f); /* 6k: outside the plan's range */
	}
	report_finish(r);
	ck_assert_int_eq(target(r, "process-calls-per-worker")->status, TGT_FAIL);
	ck_assert_double_eq_tol(target(r, "process-calls-per-worker")->value, 6000, 1e-9);
	ck_assert_int_eq(target(r, "pool-calls-per-worker")->status, TGT_NA); /* threads only */
	/* the kernel breakdown is null, not zero */
	on = metric_find(ok, "pool.call", "on_ns");
	ck_assert_ptr_nonnull(on);
	ck_assert_int_eq(on->n, 0);
	ck_assert_int_eq(metric_find(ok, "", "faults_per_op")->n, 0);
	ck_assert_int_eq(metric_find(ok, "pool.call", "p50_ns")->n, 3);
	txt = text_of(r);
	ck_assert_ptr_nonnull(strstr(txt, "in 1k..5k/s"));
	ck_assert_ptr_nonnull(strstr(txt, "proc-ok  pool.call\n  not followed: worker processes "
				    "are outside the collector's target\n"));
	ck_assert_ptr_null(strstr(txt, "  le-p50"));
	free(txt);
	doc = json_of(r);
	sc = json_at(json_get(json_root(doc), "scenarios"), 0);
	ck_assert_ptr_nonnull(strstr(json_get_str(sc, "kernel_note", ""), "not followed"));
	ck_assert(json_is(json_get(json_at(json_get(sc, "kinds"), 0), "total"), JSON_NULL));
	ck_assert(json_is(json_get(json_at(json_get(json_at(json_get(sc, "repetitions"), 0),
							  "kinds"), 0), "bands"), JSON_NULL));
	for (size_t i = 0; i < json_len(json_get(json_root(doc), "targets")); i++) {
		m = json_at(json_get(json_root(doc), "targets"), i);
		if (!strcmp(json_get_str(m, "name", ""), "process-calls-per-worker")) {
			ck_assert_str_eq(json_get_str(m, "op", ""), "in");
			ck_assert_double_eq(json_num(json_get(m, "threshold")), 1000);
			ck_assert_double_eq(json_num(json_get(m, "threshold_hi")), 5000);
		}
	}
	json_doc_free(doc);

	/* a range is overridden as LO..HI */
	ck_assert_int_eq(report_target_set(r, "process-calls-per-worker", "2k..8k", err,
					   sizeof(err)), 0);
	report_finish(r);
	ck_assert_int_eq(target(r, "process-calls-per-worker")->status, TGT_FAIL); /* 1.5k */
	ck_assert_double_eq_tol(target(r, "process-calls-per-worker")->value, 1500, 1e-9);
	ck_assert_int_eq(report_target_set(r, "process-calls-per-worker", "2k", err,
					   sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is not a range; write LO..HI"));
	ck_assert_int_eq(report_target_set(r, "process-calls-per-worker", "5k..2k", err,
					   sizeof(err)), -EINVAL);
	ck_assert_int_eq(report_target_set(r, "pool-p50", "1ms..2ms", err, sizeof(err)),
			 -EINVAL);
	report_free(r);
}
END_TEST

START_TEST(runs_cpu_windows_metrics)
{
	struct report *r = new_report();
	struct scen_result *s = add_scenario(r, "counted", NULL);
	struct wl_facts f = { .end = WL_END_MAX_OPS, .cpu_ns = 1500000000,
			      .cpu_wall_ns = 1000000000 };
	const struct json_value *rep;
	struct json_doc *doc;
	char *txt;

	f.win = (struct wl_windows){ .width_ns = 10000000, .warmup_ns = 40000000, .n = 30,
				     .rec_first = 4, .rec_end = 30 };
	for (int i = 0; i < 30; i++)
		f.win.count[i] = i < 4 ? 50 : i < 8 ? 500 : 100; /* 4 recorded windows fast */
	f.x[f.nx++] = (struct wl_xmetric){ "drops", "count", WL_XK_INFO, 0, 7 };
	for (int i = 0; i < 3; i++)
		add_rep(s, 1000, &f);
	report_finish(r);
	ck_assert_double_eq_tol(metric_find(s, "", "cpu_cores")->mean, 1.5, 1e-12);
	ck_assert_double_eq_tol(metric_find(s, "", "cpu_util")->mean, 0.75, 1e-12);
	/* 26 recorded windows of 100 ops: merged 1:1 (100 >= 64), four at 500 */
	ck_assert_double_eq_tol(metric_find(s, "", "steady_ns")->mean, 4 * 10e6, 1e-3);
	ck_assert(metric_find(s, "", "window_cv")->mean > 0.5);
	ck_assert_double_eq(metric_find(s, "", "drops")->mean, 7);
	ck_assert(metric_find(s, "", "drops")->workload);
	txt = text_of(r);
	ck_assert_ptr_nonnull(strstr(txt, "counted                      max-ops      1.00k    "
				    "1.00s"));
	ck_assert_ptr_nonnull(strstr(txt, "  75%"));
	ck_assert_ptr_nonnull(strstr(txt, "Workload metrics"));
	ck_assert_ptr_nonnull(strstr(txt, "  drops 7"));
	free(txt);
	doc = json_of(r);
	rep = json_at(json_get(json_at(json_get(json_root(doc), "scenarios"), 0), "repetitions"),
		      0);
	ck_assert_str_eq(json_get_str(rep, "ended_by", ""), "max-ops");
	ck_assert_int_eq(json_len(json_path(rep, "windows.counts")), 30);
	ck_assert_int_eq(json_int(json_path(rep, "windows.recorded_first")), 4);
	ck_assert_int_eq(json_int(json_get(rep, "cpu_ns")), 1500000000);
	json_doc_free(doc);
	report_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_checks");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, limit_broken_fails);
	tcase_add_test(tc, leak_verdicts);
	tcase_add_test(tc, leaks_interleaved);
	tcase_add_test(tc, process_range_and_note);
	tcase_add_test(tc, runs_cpu_windows_metrics);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
