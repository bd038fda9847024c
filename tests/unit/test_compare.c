// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * compare on synthetic report files written here: verdicts, thresholds, exit codes,
 * explanations, environment and implementation mismatch, bad input, and the CI writers'
 * output.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli/commands.h"
#include "stats/compare.h"
#include "report/history.h"
#include "util/jsonparse.h"
#include "report/writers_ci.h"
#include "unit/junit_schema.h"

#include "unit/compare_synth.h"

START_TEST(threshold_defaults_and_rules)
{
	struct cmp_opts o;
	char err[256];
	const char *sc = "pool-workers/workers=4";

	cmp_opts_init(&o);
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "throughput", "throughput",
					      CMP_K_THROUGHPUT), 5);
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "pool.call/p99_ns", "p99_ns",
					      CMP_K_LATENCY), 10);
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "rss_peak_bytes", "rss_peak_bytes",
					      CMP_K_MEMORY), 15);
	/* the kernel breakdown per op is tested on its own now, at 5% */
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "pool.call/on_ns", "on_ns", CMP_K_KERNEL), 5);
	/* the maximum is not gated by default */
	ck_assert(cmp_threshold_for(&o, sc, "pool.call/max_ns", "max_ns", CMP_K_LATENCY) < 0);

	ck_assert_int_eq(cmp_threshold_add(&o, "latency=5%", err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_threshold_add(&o, "pool-workers/workers=4:p99=20%", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(cmp_threshold_add(&o, "max_ns=off", err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_threshold_add(&o, "*:pool.call/p50=2.5", err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_threshold_add(&o, "pool-workers/workers=4:memory=30%", err,
					   sizeof(err)), 0);
	/* the kind default changed */
	ck_assert_double_eq(cmp_threshold_for(&o, "other", "pool.call/p99_ns", "p99_ns",
					      CMP_K_LATENCY), 5);
	/* scenario + metric name (p99 means p99_ns) beats the kind */
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "pool.call/p99_ns", "p99_ns",
					      CMP_K_LATENCY), 20);
	/* ... only in that scenario */
	ck_assert_double_eq(cmp_threshold_for(&o, "pool-workers/workers=8", "pool.call/p99_ns",
					      "p99_ns", CMP_K_LATENCY), 5);
	ck_assert(cmp_threshold_for(&o, sc, "pool.call/max_ns", "max_ns", CMP_K_LATENCY) < 0);
	ck_assert_double_eq(cmp_threshold_for(&o, "x", "pool.call/p50_ns", "p50_ns",
					      CMP_K_LATENCY), 2.5);
	ck_assert_double_eq(cmp_threshold_for(&o, "x", "channel.send/p50_ns", "p50_ns",
					      CMP_K_LATENCY), 5);
	ck_assert_double_eq(cmp_threshold_for(&o, sc, "rss_peak_bytes", "rss_peak_bytes",
					      CMP_K_MEMORY), 30);
	ck_assert_double_eq(cmp_threshold_for(&o, "x", "rss_peak_bytes", "rss_peak_bytes",
					      CMP_K_MEMORY), 15);
	/* equal specificity: the later rule wins */
	ck_assert_int_eq(cmp_threshold_add(&o, "p99=7%", err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_threshold_add(&o, "p99=8%", err, sizeof(err)), 0);
	ck_assert_double_eq(cmp_threshold_for(&o, "x", "pool.call/p99_ns", "p99_ns",
					      CMP_K_LATENCY), 8);
	/* a prefix is not a name: p9 does not match p99_ns */
	ck_assert_int_eq(cmp_threshold_add(&o, "p9=1%", err, sizeof(err)), 0);
	ck_assert_double_eq(cmp_threshold_for(&o, "x", "pool.call/p99_ns", "p99_ns",
					      CMP_K_LATENCY), 8);
}
END_TEST

START_TEST(threshold_errors)
{
	static const char *const bad[] = { "latency", "=5%", "latency=", "latency=abc",
					   "latency=5%%", ":p99=5", "sc:=5", "latency=-3",
					   "latency=5x" };
	struct cmp_opts o;
	char err[256];

	cmp_opts_init(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(cmp_threshold_add(&o, bad[i], err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err, "threshold") && strlen(err) > 20, "'%s': weak error "
			      "'%s'", bad[i], err);
	}
	ck_assert_int_eq(o.nrules, 1); /* the default max_ns=off */
	ck_assert_double_eq(o.kind_pct[CMP_K_LATENCY], 10);
}
END_TEST

/* ---- verdicts ---- */

START_TEST(identical_no_regression)
{
	struct synth a;
	struct cmp_opts o;
	struct cmp_result res;

	base_synth(&a);
	cmp_opts_init(&o);
	run_cmp(&a, &a, &o, &res);
	ck_assert_int_eq(res.regressions, 0);
	ck_assert_int_eq(res.improvements, 0);
	ck_assert(!res.env_differs);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	/* gated metrics and tested kernel components: throughput, rss, p50, p99, runq (threads
	 * is info: hidden) */
	ck_assert_int_eq(res.nrows, 5);
	ck_assert_int_eq(row(&res, "pool.call/runq_ns")->family, CMP_F_WAIT);
	ck_assert_int_eq(res.outcome, CMP_OUT_OK);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_SAME);
	ck_assert_double_eq(row(&res, "pool.call/p99_ns")->delta_pct, 0);
	ck_assert_double_eq_tol(row(&res, "pool.call/p99_ns")->p, 1.0, 1e-12);
	cmp_result_free(&res);
}
END_TEST

START_TEST(shifted_latency_regression_explained)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] + 180000; /* +180 us */
	b.band_lat = a.band_lat + 175000;
	b.band_blocked = a.band_blocked + 150000;
	b.futex = a.futex + 148000;
	b.band_runq = a.band_runq + 20000;
	b.ivcsw = 1.2;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert_int_eq(r->verdict, CMP_REGRESSION);
	ck_assert(r->significant);
	ck_assert(r->p_adj < 0.001);
	/* the effect: the ratio of geometric means, about x5.4, inside its interval */
	ck_assert(r->effect_pct > 430 && r->effect_pct < 440);
	ck_assert(r->eff_lo_pct < r->effect_pct && r->eff_hi_pct > r->effect_pct);
	ck_assert_double_eq_tol(r->base, 41000, 1e-9);
	ck_assert_double_eq_tol(r->cur, 221000, 1e-9);
	ck_assert(r->ci_lo > 170000 && r->ci_hi < 190000);
	ck_assert_ptr_nonnull(r->explain);
	ck_assert_msg(strstr(r->explain, "p99 pool.call +180 us"), "%s", r->explain);
	ck_assert_msg(strstr(r->explain, "band p99-p999"), "%s", r->explain);
	/* per-repetition band means separate fully: Welch's p of each moved component */
	ck_assert_msg(strstr(r->explain, "blocked +150 us (in futex +148 us; p <0.001)"), "%s",
		      r->explain);
	ck_assert_msg(strstr(r->explain, "run-queue wait +20 us (p <0.001)"), "%s", r->explain);
	ck_assert_msg(strstr(r->explain, "involuntary switches x3.0"), "%s", r->explain);
	/* blocked is named first: it moved most */
	ck_assert(strstr(r->explain, "blocked") < strstr(r->explain, "run-queue"));
	ck_assert_int_eq(res.regressions, 1);
	ck_assert_int_eq(row(&res, "pool.call/p50_ns")->verdict, CMP_SAME);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);

	/* the same shift with its threshold raised above it: not a regression */
	ck_assert_int_eq(cmp_threshold_add(&o, "pool-workers/workers=4:p99=500%", NULL, 0), 0);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "pool.call/p99_ns")->verdict, CMP_SAME);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

START_TEST(small_significant_shift_under_threshold)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 1.04; /* +4%, every rep above every baseline rep... */
	b.p99[0] = 43500;               /* ...except noise: still significant-ish */
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert(r->delta_pct > 3 && r->delta_pct < 6);
	ck_assert_int_eq(r->verdict, CMP_SAME);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

START_TEST(large_noisy_shift_not_significant)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;
	static const double noisy_a[] = { 30000, 60000, 40000, 90000, 35000 };
	static const double noisy_b[] = { 34000, 99000, 72000, 47000, 40000 };

	base_synth(&a);
	memcpy(a.p99, noisy_a, sizeof(noisy_a));
	b = a;
	memcpy(b.p99, noisy_b, sizeof(noisy_b));
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert(r->delta_pct > 10); /* median 40000 -> 47000: +17.5% */
	ck_assert(r->effect_pct > 10); /* geometric means: +15% */
	ck_assert(r->p > 0.3);
	ck_assert_int_eq(r->verdict, CMP_NOISE);
	/* the synthetic report's runq_ns repeats p99's values: inconclusive too */
	ck_assert_int_eq(res.noise, 2);
	ck_assert_ptr_null(r->explain);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

START_TEST(throughput_drop_and_improvement)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++) {
		b.thr[i] = a.thr[i] * 0.8;  /* 20% fewer ops/s: worse */
		b.rss[i] = a.rss[i] * 0.5;  /* half the memory: better */
	}
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "throughput")->verdict, CMP_REGRESSION);
	ck_assert_ptr_nonnull(row(&res, "throughput")->explain);
	ck_assert_int_eq(row(&res, "rss_peak_bytes")->verdict, CMP_IMPROVEMENT);
	ck_assert_int_eq(res.regressions, 1);
	ck_assert_int_eq(res.improvements, 1);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);

	/* improvements alone exit 0 */
	for (int i = 0; i < b.n; i++)
		b.thr[i] = a.thr[i] * 1.5;
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(row(&res, "throughput")->verdict, CMP_IMPROVEMENT);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

START_TEST(few_reps_low_confidence)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;

	base_synth(&a);
	a.n = 3;
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 3;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert(r->low_conf);
	ck_assert_int_eq(r->nb, 3);
	/* Welch's test has no floor like the rank test's (0.1 for 3 vs 3): a change this
	 * consistent is significant, and the row says its confidence is low */
	ck_assert(r->p < 0.001);
	ck_assert_int_eq(r->verdict, CMP_REGRESSION);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	cmp_result_free(&res);
}
END_TEST

START_TEST(env_mismatch)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;

	base_synth(&a);
	b = a;
	b.governor = "powersave";
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert(res.env_differs);
	ck_assert_str_eq(res.env_mismatch, "governor: performance -> powersave\n");
	ck_assert_int_eq(cmp_exit_status(&res, &o), 2);
	o.allow_env_mismatch = true;
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

/* A plugin's pool against the built-in one: refused unless allowed; another build of the
 * same plugin pool: noted. A report from before plugins ran the built-in pool. */
START_TEST(impl_mismatch)
{
	static const char mine1[] = "{\"name\": \"mypool\", \"plugin\": \"/p/libmy.so\", "
				    "\"build_id\": \"aaaaaaaaaaaaaaaa\", \"hash\": \"fnv1a64:1\"}";
	static const char mine2[] = "{\"name\": \"mypool\", \"plugin\": \"/p/libmy.so\", "
				    "\"build_id\": \"bbbbbbbbbbbbbbbb\", \"hash\": \"fnv1a64:2\"}";
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;

	base_synth(&a);
	b = a;
	b.impl = "{\"name\": \"builtin\", \"plugin\": null, \"build_id\": null, "
		 "\"hash\": null}";
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert(!res.impl_differs);
	ck_assert_str_eq(res.impl_mismatch, "");
	cmp_result_free(&res);

	/* the impl parameter that picked it is the implementation's to refuse, not a
	 * parameter change (run_cmp asserts the comparison itself succeeds) */
	a.impl_param = "builtin";
	b.impl_param = "mypool";
	b.impl = mine1;
	run_cmp(&a, &b, &o, &res);
	ck_assert_ptr_null(res.param_diff);
	ck_assert(res.impl_differs);
	ck_assert_str_eq(res.impl_mismatch,
			 "pool-workers/workers=4: impl builtin -> mypool (/p/libmy.so)\n");
	ck_assert_int_eq(cmp_exit_status(&res, &o), 2);
	o.allow_impl_mismatch = true;
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);

	a.impl = mine1;
	a.impl_param = "mypool";
	b.impl = mine2;
	o.allow_impl_mismatch = false;
	run_cmp(&a, &b, &o, &res);
	ck_assert(!res.impl_differs);
	ck_assert_str_eq(res.impl_mismatch, "pool-workers/workers=4: mypool from another build "
			 "(aaaaaaaaaaaa -> bbbbbbbbbbbb)\n");
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

START_TEST(missing_scenario)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	int gone = 0, added = 0;

	base_synth(&a);
	b = a;
	b.scenario = "pool-workers/workers=8";
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	for (int i = 0; i < res.nrows; i++) {
		gone += res.rows[i].verdict == CMP_GONE;
		added += res.rows[i].verdict == CMP_NEW;
	}
	ck_assert_int_eq(gone, 1);
	ck_assert_int_eq(added, 1);
	ck_assert_int_eq(res.nrows, 2);
	ck_assert_str_eq(res.rows[0].scenario, "pool-workers/workers=8");
	ck_assert_int_eq(res.rows[0].verdict, CMP_NEW);
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
}
END_TEST

/* ---- the command: exit codes and bad input ---- */

START_TEST(command_exit_codes)
{
	struct synth a, b;
	char pa[256], pb[256], pc[256], pd[256];

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	path_of(pa, sizeof(pa), "a.json");
	path_of(pb, sizeof(pb), "b.json");
	write_report(pa, &a);
	write_report(pb, &b);
	ck_assert_int_eq(run_command(pa, pa, NULL), 0);
	ck_assert_int_eq(run_command(pa, pb, NULL), 1);
	ck_assert_int_eq(run_command(pa, pb, "--threshold=latency=off"), 0);
	/* a directory holding report.json works too */
	path_of(pc, sizeof(pc), "rundir");
	mkdir(pc, 0755);
	path_of(pd, sizeof(pd), "rundir/report.json");
	write_report(pd, &b);
	ck_assert_int_eq(run_command(pa, pc, NULL), 1);
	/* environment mismatch */
	b = a;
	b.governor = "schedutil";
	write_report(pb, &b);
	ck_assert_int_eq(run_command(pa, pb, NULL), 2);
	ck_assert_int_eq(run_command(pa, pb, "--allow-env-mismatch"), 0);
	/* usage errors */
	ck_assert_int_eq(run_command(pa, pb, "--threshold=latency"), 2);
	ck_assert_int_eq(run_command(pa, pb, "--bogus"), 2);
}
END_TEST

struct bad_report {
	const char *text;
	const char *needle;
};

static const struct bad_report bad_reports[] = {
	{ "{\"schema\": \"opscope-report\", \"version\": 1, \"scenarios\": [{\"id\"", ":1:" },
	{ "{\"schema\": \"opscope-report\", \"version\": 1, \"scenarios\": [}", "malformed" },
	{ "", "malformed JSON" },
	{ "{\"schema\": \"opscope-report\", \"version\": 2, \"scenarios\": []}", "version 2" },
	{ "{\"schema\": \"other\", \"version\": 1, \"scenarios\": []}", "not an opscope" },
	{ "{\"version\": 1, \"scenarios\": []}", "schema" },
	{ "{\"schema\": \"opscope-report\", \"version\": \"1\", \"scenarios\": []}", "version" },
	{ "{\"schema\": \"opscope-report\", \"version\": 1}", "scenarios" },
	{ "[1, 2]", "not an object" },
	{ "{\"schema\": \"opscope-report\", \"version\": 1, \"scenarios\": [{\"id\": \"s\", "
	  "\"metrics\": [{\"id\": \"m\", \"kind\": \"latency\", \"reps\": [1, \"x\"]}]}]}",
	  "reps[1]" },
};

START_TEST(bad_input)
{
	const struct bad_report *b = &bad_reports[_i];
	struct synth a;
	struct cmp_report r;
	char pa[256], pb[256], err[1024];

	base_synth(&a);
	path_of(pa, sizeof(pa), "good.json");
	path_of(pb, sizeof(pb), "bad.json");
	write_report(pa, &a);
	write_text(pb, b->text);
	ck_assert_int_ne(cmp_report_load(&r, pb, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, pb), "error does not name the file: %s", err);
	ck_assert_msg(strstr(err, b->needle), "error '%s' lacks '%s'", err, b->needle);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(run_command(pa, pb, NULL), 2);
	ck_assert_int_eq(run_command(pb, pa, NULL), 2);
}
END_TEST

START_TEST(missing_file)
{
	struct cmp_report r;
	char err[512], p[256];

	ck_assert_int_eq(cmp_report_load(&r, "/nonexistent/r.json", err, sizeof(err)), -ENOENT);
	ck_assert(strstr(err, "/nonexistent/r.json: no such file"));
	/* a directory without report.json */
	ck_assert_int_eq(cmp_report_load(&r, dir, err, sizeof(err)) != 0, 1);
	ck_assert(strstr(err, "without report.json"));
	path_of(p, sizeof(p), "nope.json");
	ck_assert_int_eq(run_command(p, p, NULL), 2);
}
END_TEST

/* ---- writers ---- */

/* A small XML well-formedness check: balanced tags, quoted attributes without raw
 * '<' or '&' that is not an entity, no raw '<' or '&' in text. */
static void check_xml(const char *s)
{
	const char *stack[64];
	size_t lens[64];
	int depth = 0;

	ck_assert(!strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39));
	s += 39;
	while (*s) {
		if (*s == '&') {
			ck_assert_msg(!strncmp(s, "&amp;", 5) || !strncmp(s, "&lt;", 4) ||
				      !strncmp(s, "&gt;", 4) || !strncmp(s, "&quot;", 6) ||
				      !strncmp(s, "&apos;", 6) || !strncmp(s, "&#", 2),
				      "bare & at '%.20s'", s);
			s++;
			continue;
		}
		if (*s != '<') {
			ck_assert_msg((unsigned char)*s >= 0x20 || *s == '\n', "control char");
			s++;
			continue;
		}
		bool close = s[1] == '/';
		const char *name = s + 1 + close;
		size_t n = strcspn(name, " />");
		const char *q = name + n;

		/* attributes */
		while (*q && *q != '>' && !(q[0] == '/' && q[1] == '>')) {
			if (*q == '"') {
				q++;
				while (*q && *q != '"') {
					ck_assert_msg(*q != '<', "raw < in attribute");
					q++;
				}
				ck_assert(*q == '"');
			}
			q++;
		}
		ck_assert_msg(*q, "unterminated tag");
		if (close) {
			ck_assert_msg(depth > 0, "close without open");
			depth--;
			ck_assert_msg(lens[depth] == n && !strncmp(stack[depth], name, n),
				      "mismatched </%.*s>", (int)n, name);
		} else if (*q != '/') {
			ck_assert(depth < 64);
			stack[depth] = name;
			lens[depth] = n;
			depth++;
		}
		s = q + (*q == '/' ? 2 : 1);
	}
	ck_assert_int_eq(depth, 0);
}

static __attribute__((noinline)) char *capture(void (*fn)(FILE *, const struct cmp_result *),
					       const struct cmp_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, r);
	fclose(f);
	return buf;
}

static int count(const char *s, const char *needle)
{
	size_t off = 0, len = strlen(needle);
	int n = 0;

	while (strstr(s + off, needle)) {
		off = (size_t)(strstr(s + off, needle) - s) + len;
		n++;
	}
	return n;
}

START_TEST(junit_wellformed_escaped)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	char *x;

	base_synth(&a);
	a.scenario = "weird<&>\\\"'|name";
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	b.governor = "power<save>";
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	x = capture(ci_junit, &res);
	check_xml(x);
	check_jenkins_junit(x);
	/* a test case per row, two for the environment (machines, noise), one per target */
	ck_assert_int_eq(count(x, "<testcase "), res.nrows + 2 + res.ntargets);
	ck_assert_int_eq(count(x, "<failure "), 2); /* environment + p99 */
	ck_assert(strstr(x, "failures=\"2\""));
	/* the report's JSON string "weird<&>\"'|name" decodes to weird<&>"'|name */
	ck_assert(strstr(x, "name=\"weird&lt;&amp;&gt;&quot;&apos;|name\""));
	ck_assert(strstr(x, "power&lt;save&gt;"));
	ck_assert(strstr(x, "name=\"pool.call/p99_ns\""));
	free(x);
	cmp_result_free(&res);
}
END_TEST

START_TEST(markdown_wellformed_escaped)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	char *m;
	int rows = 0;

	base_synth(&a);
	a.scenario = "a|b*c_d<e>";
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	m = capture(ci_markdown, &res);
	ck_assert(!strncmp(m, "## opscope compare: REGRESSION\n", 31));
	ck_assert(strstr(m, "a\\|b\\*c\\_d&lt;e&gt;"));
	ck_assert(strstr(m, "**REGRESSION**"));
	ck_assert(strstr(m, "<details>") && strstr(m, "</details>"));
	/* every table line has exactly 8 unescaped pipes (7 columns) */
	for (char *line = m; line && *line;) {
		char *nl = strchr(line, '\n');

		if (*line == '|') {
			int pipes = 0;

			for (char *p = line; p < (nl ? nl : line + strlen(line)); p++)
				pipes += *p == '|' && (p == line || p[-1] != '\\');
			ck_assert_msg(pipes == 8, "row with %d pipes: %.*s", pipes,
				      (int)(nl ? nl - line : (long)strlen(line)), line);
			rows++;
		}
		line = nl ? nl + 1 : NULL;
	}
	/* header+rule, the regression and the run-queue shift (the synthetic runq_ns repeats
	 * p99's values); header+rule and all rows in details */
	ck_assert_int_eq(rows, 2 + 2 + 2 + res.nrows);
	free(m);
	cmp_result_free(&res);
}
END_TEST

START_TEST(json_output_parses)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	struct json_err e;
	struct json_doc *d;
	char *j;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	j = capture(ci_json, &res);
	d = json_parse(j, strlen(j), 0, &e);
	ck_assert_msg(d, "compare JSON does not parse: %d:%d %s", e.line, e.col, e.msg);
	ck_assert_str_eq(json_get_str(json_root(d), "schema", ""), "opscope-compare");
	ck_assert_int_eq(json_int(json_path(json_root(d), "summary.regressions")), 1);
	ck_assert_uint_eq(json_len(json_get(json_root(d), "rows")), (size_t)res.nrows);
	const struct json_value *r = json_at(json_get(json_root(d), "rows"), 3);

	ck_assert_str_eq(json_get_str(r, "metric", ""), "pool.call/p99_ns");
	ck_assert_str_eq(json_get_str(r, "verdict", ""), "REGRESSION");
	ck_assert_double_eq_tol(json_get_num(r, "delta_pct", 0), 100, 1e-9);
	ck_assert(json_is(json_get(r, "explanation"), JSON_STRING));
	json_doc_free(d);
	free(j);
	cmp_result_free(&res);
}
END_TEST

START_TEST(failed_scenario)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	char *x;

	base_synth(&a);
	b = a;
	b.status = "timeout";
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	ck_assert_int_eq(res.failed, 1);
	ck_assert_int_eq(res.regressions, 0);
	ck_assert_int_eq(row(&res, "status")->verdict, CMP_FAILED);
	ck_assert(strstr(row(&res, "status")->explain, "timeout: repetition 3: timed out"));
	ck_assert_int_eq(cmp_exit_status(&res, &o), 1);
	x = capture(ci_junit, &res);
	check_xml(x);
	check_jenkins_junit(x);
	ck_assert_int_eq(count(x, "<error "), 1);
	free(x);
	cmp_result_free(&res);
}
END_TEST

START_TEST(sparkline)
{
	double v[] = { 1, 2, 3, 4, 5, 6, 7, 8 }, g[] = { 5, NAN, 5 };
	char buf[64];

	ck_assert_str_eq(history_sparkline(buf, sizeof(buf), v, 8),
			 "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
	/* a flat series sits mid-height; a missing run is a gap */
	ck_assert_str_eq(history_sparkline(buf, sizeof(buf), g, 3), "\u2584 \u2584");
	/* never overflows: 3 bytes per bar, room for 2 */
	ck_assert_str_eq(history_sparkline(buf, 8, v, 8), "\u2581\u2582");
}
END_TEST

START_TEST(history_roundtrip)
{
	struct synth a, b;
	struct cmp_report ra, rb;
	struct history *h;
	char pa[256], pb[256], hf[256], err[512];
	char *out;
	size_t len;
	FILE *f;

	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	path_of(pa, sizeof(pa), "a.json");
	path_of(pb, sizeof(pb), "b.json");
	path_of(hf, sizeof(hf), "h.jsonl");
	write_report(pa, &a);
	write_report(pb, &b);
	ck_assert_int_eq(cmp_report_load(&ra, pa, err, sizeof(err)), 0);
	ck_assert_int_eq(cmp_report_load(&rb, pb, err, sizeof(err)), 0);
	ck_assert_msg(history_append(hf, &ra, "r1", err, sizeof(err)) == 0, "%s", err);
	/* a line cut short by a crash, between two good ones */
	f = fopen(hf, "a");
	fputs("{\"schema\": \"opscope-history\", \"version\": 1, \"scena\n", f);
	fclose(f);
	ck_assert_int_eq(history_append(hf, &rb, "r2", err, sizeof(err)), 0);
	ck_assert_int_eq(history_append(hf, &ra, NULL, err, sizeof(err)), 0);
	h = history_load(hf, 0, err, sizeof(err));
	ck_assert_msg(h, "%s", err);
	ck_assert_int_eq(history_runs(h), 3);
	/* throughput, rss_peak_bytes, p50, p99 (threads: info, runq: kernel are left out) */
	ck_assert_int_eq(history_series(h), 5); /* with the kernel's runq_ns */
	f = open_memstream(&out, &len);
	history_print(f, h, NULL);
	fclose(f);
	ck_assert_msg(strstr(out, "pool.call/p99_ns"), "%s", out);
	/* p99 41.1 us -> 82.2 us -> 41.1 us: low, high, low */
	ck_assert_msg(strstr(out, "\u2581\u2588\u2581"), "%s", out);
	ck_assert_msg(strstr(out, "-50.0%"), "%s", out);
	free(out);
	f = open_memstream(&out, &len);
	history_html(f, h, &(struct history_filter){ .metric = "all" });
	fclose(f);
	ck_assert(!strncmp(out, "<!DOCTYPE html>", 15));
	ck_assert_int_eq(count(out, "<svg "), 5); /* with the kernel's runq_ns */
	ck_assert_int_eq(count(out, "<circle "), 15);
	ck_assert_ptr_null(strstr(out, "<script"));
	free(out);
	history_free(h);
	/* --last 1 keeps the newest run only */
	h = history_load(hf, 1, err, sizeof(err));
	ck_assert_int_eq(history_runs(h), 1);
	history_free(h);
	cmp_report_free(&ra);
	cmp_report_free(&rb);
	ck_assert_ptr_null(history_load("/nonexistent/h.jsonl", 0, err, sizeof(err)));
	ck_assert(strstr(err, "history append"));
}
END_TEST

/* A run's noise goes into the history with it, and a comparison of two quiet runs can
 * take the spread of what the code does per op from the quiet past runs alone. */
START_TEST(history_keeps_noisy_runs_apart)
{
	static const char *const lines =
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c1\", "
		"\"noisy\": false, \"scenarios\": {\"s\": {\"metrics\": "
		"{\"x\": {\"median\": 10}}}}}\n"
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c2\", "
		"\"noisy\": true, \"scenarios\": {\"s\": {\"metrics\": "
		"{\"x\": {\"median\": 12}}}}}\n"
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c3\", "
		"\"scenarios\": {\"s\": {\"metrics\": {\"x\": {\"median\": 11}}}}}\n";
	struct synth a;
	struct cmp_report ra;
	struct history *h;
	char hf[256], pa[256], err[512], *line = NULL;
	double v[4];
	size_t cap = 0;
	FILE *f;

	path_of(hf, sizeof(hf), "noisy.jsonl");
	f = fopen(hf, "w");
	fputs(lines, f);
	fclose(f);
	h = history_load(hf, 0, err, sizeof(err));
	ck_assert_msg(h, "%s", err);
	ck_assert_int_eq(history_values(h, "s", "x", NULL, NULL, 0, false, v), 3);
	ck_assert(v[0] == 10 && v[1] == 12 && v[2] == 11);
	/* quiet only: the noisy run left out; a line from before the flag counts as quiet */
	ck_assert_int_eq(history_values(h, "s", "x", NULL, NULL, 0, true, v), 2);
	ck_assert(v[0] == 10 && v[1] == 11);
	history_free(h);
	/* append writes the report's own noise.noisy */
	base_synth(&a);
	path_of(pa, sizeof(pa), "q.json");
	write_report(pa, &a);
	ck_assert_int_eq(cmp_report_load(&ra, pa, err, sizeof(err)), 0);
	path_of(hf, sizeof(hf), "q.jsonl");
	unlink(hf);
	ck_assert_msg(history_append(hf, &ra, "q", err, sizeof(err)) == 0, "%s", err);
	f = fopen(hf, "r");
	ck_assert(getline(&line, &cap, f) > 0);
	fclose(f);
	ck_assert_msg(strstr(line, "\"noisy\": false"), "%s", line);
	free(line);
	cmp_report_free(&ra);
}
END_TEST

/* Lines that parse as JSON but have the wrong shape are skipped, not dereferenced. */
START_TEST(history_wrong_shapes)
{
	static const char *const lines =
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c1\", "
		"\"scenarios\": [{\"metrics\": {\"a\": {\"median\": 1}}}]}\n"
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c2\", "
		"\"scenarios\": {\"s\": {\"metrics\": [{\"median\": 1}]}}}\n"
		"{\"schema\": \"opscope-history\", \"version\": 1, \"created\": \"c3\", "
		"\"scenarios\": {\"s\": {\"metrics\": {\"throughput\": {\"median\": 7}}}}}\n";
	struct history *h;
	char hf[256], err[512];
	char *out;
	size_t len;
	FILE *f;

	path_of(hf, sizeof(hf), "shapes.jsonl");
	write_text(hf, lines);
	h = history_load(hf, 0, err, sizeof(err));
	ck_assert_msg(h, "%s", err);
	/* the array of scenarios is skipped; the array of metrics is a run with no series */
	ck_assert_int_eq(history_runs(h), 2);
	ck_assert_int_eq(history_series(h), 1);
	f = open_memstream(&out, &len);
	history_print(f, h, NULL);
	fclose(f);
	ck_assert_msg(strstr(out, "c2 .. c3"), "%s", out);
	ck_assert_msg(strstr(out, "throughput"), "%s", out);
	free(out);
	history_free(h);
}
END_TEST

/* What history append writes, history load reads back, whatever bytes the label holds. */
START_TEST(history_label_not_utf8)
{
	struct synth a;
	struct cmp_report ra;
	struct history *h;
	char pa[256], hf[256], err[512];

	base_synth(&a);
	path_of(pa, sizeof(pa), "a.json");
	path_of(hf, sizeof(hf), "label.jsonl");
	write_report(pa, &a);
	ck_assert_int_eq(cmp_report_load(&ra, pa, err, sizeof(err)), 0);
	ck_assert_msg(history_append(hf, &ra, "rev\xff\xc3", err, sizeof(err)) == 0, "%s", err);
	cmp_report_free(&ra);
	h = history_load(hf, 0, err, sizeof(err));
	ck_assert_msg(h, "%s", err);
	ck_assert_int_eq(history_runs(h), 1);
	history_free(h);
}
END_TEST

START_TEST(differential_flamegraph)
{
	struct synth a, b;
	struct cmp_opts o;
	struct cmp_result res;
	const struct cmp_row *r;
	char p[512], head[64] = "";
	FILE *f;

	/* both reports live in dir, so both see these stacks (scenario '/' becomes '_') */
	path_of(p, sizeof(p), "stacks");
	mkdir(p, 0755);
	path_of(p, sizeof(p), "stacks/pool-workers_workers=4");
	mkdir(p, 0755);
	path_of(p, sizeof(p), "stacks/pool-workers_workers=4/pool.call.offcpu.folded");
	write_text(p, "scenario=pool;op=pool.call;main;do_call;futex_wait_[k] 150000\n"
		      "scenario=pool;op=pool.call;main;do_call;schedule_[k] 20000\n");
	base_synth(&a);
	b = a;
	for (int i = 0; i < b.n; i++)
		b.p99[i] = a.p99[i] * 2;
	cmp_opts_init(&o);
	run_cmp(&a, &b, &o, &res);
	r = row(&res, "pool.call/p99_ns");
	ck_assert_int_eq(r->verdict, CMP_REGRESSION);
	ck_assert_ptr_nonnull(r->flame);
	ck_assert_msg(strstr(r->flame, "/stacks/pool-workers_workers=4/pool.call.offcpu.diff.svg"),
		      "%s", r->flame);
	f = fopen(r->flame, "r");
	ck_assert_msg(f, "%s was not written", r->flame);
	ck_assert_ptr_nonnull(fgets(head, sizeof(head), f));
	fclose(f);
	ck_assert_msg(strstr(head, "<?xml") || strstr(head, "<svg"), "%s", head);
	/* the scenario-level throughput row has no regression here: no link */
	ck_assert_ptr_null(row(&res, "throughput")->flame);
	cmp_result_free(&res);
}
END_TEST

START_TEST(null_reps_no_data)
{
	static const char *const fmt =
		"{\"schema\": \"opscope-report\", \"version\": 1, \"scenarios\": [{\"id\": "
		"\"s\", \"status\": \"ok\", \"metrics\": [{\"id\": \"x.op/p99_ns\", \"name\": "
		"\"p99_ns\", \"op\": \"x.op\", \"unit\": \"ns\", \"kind\": \"latency\", "
		"\"better\": \"lower\", \"reps\": %s}]}]}";
	struct cmp_report ra, rb;
	struct cmp_result res;
	struct cmp_opts o;
	char pa[256], pb[256], text[1024], err[512];

	path_of(pa, sizeof(pa), "a.json");
	path_of(pb, sizeof(pb), "b.json");
	snprintf(text, sizeof(text), fmt, "[100, 101, 99, 100, 102]");
	write_text(pa, text);
	/* every repetition of the current run failed: its values are null */
	snprintf(text, sizeof(text), fmt, "[null, null, null]");
	write_text(pb, text);
	ck_assert_msg(cmp_report_load(&ra, pa, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(cmp_report_load(&rb, pb, err, sizeof(err)) == 0, "%s", err);
	cmp_opts_init(&o);
	ck_assert_int_eq(cmp_run(&ra, &rb, &o, &res, err, sizeof(err)), 0);
	ck_assert_int_eq(res.nrows, 1);
	ck_assert_int_eq(res.rows[0].verdict, CMP_NODATA);
	ck_assert_int_eq(res.rows[0].nb, 5);
	ck_assert_int_eq(res.rows[0].nc, 0);
	ck_assert(isnan(res.rows[0].p));
	ck_assert_int_eq(cmp_exit_status(&res, &o), 0);
	cmp_result_free(&res);
	cmp_report_free(&ra);
	cmp_report_free(&rb);
}
END_TEST

static Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, threshold_defaults_and_rules);
	tcase_add_test(tc, threshold_errors);
	tcase_add_test(tc, identical_no_regression);
	tcase_add_test(tc, shifted_latency_regression_explained);
	tcase_add_test(tc, small_significant_shift_under_threshold);
	tcase_add_test(tc, large_noisy_shift_not_significant);
	tcase_add_test(tc, throughput_drop_and_improvement);
	tcase_add_test(tc, few_reps_low_confidence);
	tcase_add_test(tc, env_mismatch);
	tcase_add_test(tc, impl_mismatch);
	tcase_add_test(tc, missing_scenario);
	tcase_add_test(tc, command_exit_codes);
	tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof(bad_reports) / sizeof(bad_reports[0])));
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, junit_wellformed_escaped);
	tcase_add_test(tc, markdown_wellformed_escaped);
	tcase_add_test(tc, json_output_parses);
	tcase_add_test(tc, failed_scenario);
	tcase_add_test(tc, null_reps_no_data);
	tcase_add_test(tc, differential_flamegraph);
	tcase_add_test(tc, sparkline);
	tcase_add_test(tc, history_roundtrip);
	tcase_add_test(tc, history_keeps_noisy_runs_apart);
	tcase_add_test(tc, history_wrong_shapes);
	tcase_add_test(tc, history_label_not_utf8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(compare_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
