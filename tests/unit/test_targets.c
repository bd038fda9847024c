// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Targets as specs: what parses and what is refused in a sentence, the defaults (every
 * one a spec), and the verdicts on synthetic reports: op kinds and globs, percentiles,
 * statistics over repetitions, /PARAM, conditions, ranges, overrides.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kernel/oprec.h"
#include "report/report.h"
#include "workloads/params.h"

static const char *const modes[] = { "spsc", "mpsc", "spmc", "mpmc", NULL };

static const struct wl_param_def pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ "spin", WL_P_DURATION, 0, 1000000000, 0, 0, "0", "spin", NULL },
	{ NULL },
};

static const struct wl_param_def chan_params[] = {
	{ "mode", WL_P_ENUM, 0, 3, 0, 0, "spsc", "mode", modes },
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
static const struct workload fchan = {
	.name = "channel", .help = "channel", .params = chan_params, .run = fake_run,
};

static struct scen_result *scenario(struct report *r, const struct workload *wl,
				    const char *id, const char *k1, const char *v1)
{
	struct scenario sc;
	char err[256];

	memset(&sc, 0, sizeof(sc));
	sc.wl = wl;
	ck_assert_int_eq(params_init(&sc.cfg, wl, err, sizeof(err)), 0);
	if (k1)
		ck_assert_int_eq(params_set(&sc.cfg, k1, v1, err, sizeof(err)), 0);
	snprintf(sc.id, sizeof(sc.id), "%s", id);
	snprintf(sc.group, sizeof(sc.group), "%.*s", (int)strcspn(id, "/"), id);
	sc.set.reps = 3;
	return report_add_scenario(r, &sc);
}

/* One repetition: count ops of kind taking lat_ns each, over one second. */
static void rep(struct scen_result *s, const char *kind, uint64_t count, uint64_t lat_ns)
{
	struct wl_result res;
	struct ops_bd bd = { .n = 1, .lat_ns = lat_ns, .on_ns = lat_ns / 2 };

	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id(kind);
	res.agg[0] = op_agg_new();
	for (uint64_t i = 0; i < count; i++)
		ck_assert_int_eq(op_agg_add(res.agg[0], &bd), 0);
	res.elapsed_s = 1.0;
	res.occupancy = -1;
	ck_assert_int_eq(scen_add_rep(s, 0, &res, 8 << 20, 6 << 20, false), 0);
}

static struct target *find(struct report *r, const char *name)
{
	for (int i = 0; i < r->ntargets; i++)
		if (!strcmp(r->targets[i].name, name))
			return &r->targets[i];
	return NULL;
}

START_TEST(defaults_are_specs)
{
	struct report *r = report_new();

	/* the nineteen defaults, each parsed from its spec, in their old order */
	ck_assert_int_eq(r->ntargets, 19);
	ck_assert_str_eq(r->targets[0].name, "pool-p50");
	ck_assert_str_eq(r->targets[0].spec, "pool.call p50 < 1ms where payload < 1k");
	ck_assert_str_eq(r->targets[0].op_glob, "pool.call");
	ck_assert_str_eq(r->targets[0].metric, "p50_ns");
	ck_assert_double_eq(r->targets[0].threshold, 1e6);
	ck_assert_str_eq(r->targets[1].per_param, "workers");
	ck_assert_str_eq(r->targets[5].op_glob, "chan.*");
	ck_assert_str_eq(r->targets[1].conds[1].key, "mode");
	ck_assert_int_eq(r->targets[1].conds[1].op, TCC_NE);
	ck_assert_str_eq(r->targets[5].metric, "mean_ns");
	ck_assert_int_eq(r->targets[5].stat, TS_DEFAULT);
	ck_assert_str_eq(r->targets[7].metric, "streams_served");
	ck_assert_int_eq(r->targets[7].stat, TS_MIN);
	ck_assert_int_eq(r->targets[7].nconds, 2);
	ck_assert_str_eq(r->targets[9].name, "scaling-efficiency");
	ck_assert_str_eq(r->targets[12].name, "process-calls-per-worker");
	ck_assert_int_eq(r->targets[12].cmp, TC_IN);
	ck_assert_double_eq(r->targets[12].threshold_hi, 5000);
	ck_assert_str_eq(r->targets[13].metric, "leaks.rss_bytes.lcb");
	ck_assert_int_eq(r->targets[13].unit, TU_BYTES);
	for (int i = 0; i < r->ntargets; i++)
		ck_assert(r->targets[i].builtin && r->targets[i].enabled);
	report_free(r);
}
END_TEST

START_TEST(specs_parse)
{
	struct target t;
	char err[512];

	ck_assert_int_eq(target_parse(&t, "stream.rt p95 <= 5s", err, sizeof(err)), 0);
	ck_assert_str_eq(t.name, "stream.rt p95 <= 5s");
	ck_assert_str_eq(t.op_glob, "stream.rt");
	ck_assert_str_eq(t.metric, "p95_ns");
	ck_assert_int_eq(t.cmp, TC_LE);
	ck_assert_double_eq(t.threshold, 5e9);
	ck_assert_int_eq(t.unit, TU_DURATION);
	/* no spaces around the comparison, a name, a statistic over repetitions */
	ck_assert_int_eq(target_parse(&t, "slow:pool.call p99 max<2ms", err, sizeof(err)), 0);
	ck_assert_str_eq(t.name, "slow");
	ck_assert_int_eq(t.stat, TS_MAX);
	ck_assert_double_eq(t.threshold, 2e6);
	ck_assert_int_eq(target_parse(&t, "rss_steady_bytes median < 64M", err, sizeof(err)), 0);
	ck_assert_int_eq(t.unit, TU_BYTES);
	ck_assert_double_eq(t.threshold, 64.0 * 1024 * 1024);
	ck_assert_int_eq(t.stat, TS_MEDIAN);
	ck_assert_int_eq(target_parse(&t, "throughput/workers in 1k..5k where workload = pool "
				      "and spin >= 10us", err, sizeof(err)), 0);
	ck_assert_int_eq(t.cmp, TC_IN);
	ck_assert_double_eq(t.threshold, 1000);
	ck_assert_double_eq(t.threshold_hi, 5000);
	ck_assert_int_eq(t.nconds, 2);
	ck_assert_str_eq(t.conds[1].key, "spin");
	ck_assert_int_eq(t.conds[1].op, TCC_GE);
	ck_assert_int_eq(target_parse(&t, "pool.call on_ns < 25us", err, sizeof(err)), 0);
	ck_assert(target_is_spec("stream.rt p95 <= 5s"));
	ck_assert(!target_is_spec("pool-p50=2ms"));
}
END_TEST

START_TEST(specs_refused)
{
	static const char *const bad[] = {
		"stream.rt p77 < 1ms",            /* no such statistic */
		"p99 < 1ms",                      /* a per-op metric without its op kind */
		"stream.rt p95 <= fast",          /* not a duration */
		"stream.rt p95 <=",               /* no value */
		"throughput in 5k",               /* a range without .. */
		"throughput in 5k..1k",           /* upside down */
		"a b c d < 1",                    /* too many words */
		"stream.rt p95 < 1ms when x = 1", /* where, not when */
		"stream.rt p95 < 1ms where mode", /* half a condition */
		"bad name: throughput > 1",       /* a name is one word */
	};
	struct target t;
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(target_parse(&t, bad[i], err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(strlen(err) > 30, "'%s': weak error '%s'", bad[i], err);
	}
}
END_TEST

START_TEST(verdicts)
{
	struct report *r = report_new();
	struct scen_result *a, *b, *c;
	char err[512];
	struct target *t;

	r->env.online_cpus = 2;
	a = scenario(r, &fpool, "pool-workers/workers=1", "workers", "1");
	b = scenario(r, &fpool, "pool-workers/workers=4", "workers", "4");
	c = scenario(r, &fchan, "channel-mode/mode=mpmc", "mode", "mpmc");
	for (int i = 0; i < 3; i++) {
		rep(a, "pool.call", 1000, 20000 * (i + 1)); /* 20, 40, 60 us */
		rep(b, "pool.call", 4000, 100000);
		rep(c, "chan.send", 100000, 2000);
	}
	ck_assert_int_eq(report_target_add(r, "pool.call p99 < 80us", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_add(r, "lo: pool.call p50 max < 50us where workers = 1",
					   err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_add(r, "glob: *.* mean < 50us", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_add(r, "per: throughput/workers in 900..1100", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(report_target_add(r, "none: throughput > 1 where mode = spsc", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(report_target_add(r, "scen: pool.call p99 < 200us where scenario = "
					   "pool-workers/*", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_set(r, "pool-p50", "30us", err, sizeof(err)), 0);
	ck_assert_int_eq(report_finish(r), 0);

	/* the worst scenario: workers=4's 100 us */
	t = find(r, "pool.call p99 < 80us");
	ck_assert_int_eq(t->status, TGT_FAIL);
	ck_assert_str_eq(r->scen[t->scenario].sc.id, "pool-workers/workers=4");
	ck_assert_double_eq_tol(t->value, 100000, 1000);
	/* max over repetitions of each repetition's p50: 60 us, workers=1 only */
	t = find(r, "lo");
	ck_assert_int_eq(t->status, TGT_FAIL);
	ck_assert_double_eq_tol(t->value, 60000, 600);
	/* every op kind: the pool's 100 us mean is the worst */
	t = find(r, "glob");
	ck_assert_int_eq(t->status, TGT_FAIL);
	ck_assert_str_eq(t->op_found, "pool.call");
	/* 1000 calls/s / 1 worker and 4000 / 4: both in range; the channel has no workers */
	t = find(r, "per");
	ck_assert_int_eq(t->status, TGT_PASS);
	ck_assert_double_eq_tol(t->value, 1000, 1e-6);
	ck_assert_int_eq(find(r, "none")->status, TGT_NA);
	ck_assert_int_eq(find(r, "scen")->status, TGT_PASS);
	/* pool-p50, overridden: the merged p50 of workers=4 is 100 us */
	t = find(r, "pool-p50");
	ck_assert_int_eq(t->status, TGT_FAIL);
	ck_assert_str_eq(t->spec, "pool.call p50 < 30us where payload < 1k");
	/* channel-p99 applies to chan.send */
	ck_assert_int_eq(find(r, "channel-p99")->status, TGT_PASS);
	ck_assert_str_eq(find(r, "channel-p99")->op_found, "chan.send");
	report_free(r);
}
END_TEST

START_TEST(replacing_a_default)
{
	struct report *r = report_new();
	char err[512];

	/* a spec named like a default replaces it in place, keeping its words */
	ck_assert_int_eq(report_target_add(r, "pool-p50: pool.call p90 < 2ms", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(r->ntargets, 19);
	ck_assert_str_eq(r->targets[0].metric, "p90_ns");
	ck_assert(r->targets[0].builtin);
	ck_assert_str_eq(r->targets[0].desc, "pool p50 latency for payloads under 1 KiB");
	ck_assert_int_eq(report_target_set(r, "nope", "1", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "'stream.rt p95 <= 5s'"));
	report_free(r);
}
END_TEST

static Suite *targets_suite(void)
{
	Suite *s = suite_create("targets");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults_are_specs);
	tcase_add_test(tc, specs_parse);
	tcase_add_test(tc, specs_refused);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, replacing_a_default);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(targets_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
