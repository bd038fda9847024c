// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for suite files: parsing, bad lines with file:line, sweep expansion and order,
 * settings precedence, and the built-in default suite (same as the file, and its size). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workloads/suite.h"

static const char *const modes[] = { "spsc", "mpsc", "spmc", "mpmc", NULL };

static const struct wl_param_def pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "inflight", WL_P_INT, 1, 500, 0, 0, "32", "calls in flight", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ NULL },
};

static const struct wl_param_def chan_params[] = {
	{ "mode", WL_P_ENUM, 0, 3, 0, 0, "spsc", "mode", modes },
	{ "producers", WL_P_INT, 1, 64, 0, 0, "1", "producers", NULL },
	{ "consumers", WL_P_INT, 1, 64, 0, 0, "1", "consumers", NULL },
	{ "capacity", WL_P_INT, 1, 65536, 0, 0, "1024", "capacity", NULL },
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
static const struct workload *const fakes[] = { &fpool, &fchan, NULL };

static struct suite *parse(const char *text, char *err, size_t len, int *rc)
{
	struct suite *s = suite_new("t.suite", "t", fakes);

	ck_assert_ptr_nonnull(s);
	*rc = suite_parse(s, text, err, len);
	return s;
}

START_TEST(test_good_suite)
{
	static const char text[] =
		"# a comment\n"
		"[run]\n"
		"reps = 5          # trailing comment\n"
		"warmup = 50ms\n"
		"duration = 200ms\n"
		"\n"
		"[targets]\n"
		"pool-p50 = 2ms\n"
		"stream.rt p95 <= 5s   # a spec: the whole line\n"
		"[scenario pool-workers]\n"
		"workload = pool\n"
		"inflight = 50\n"
		"sweep workers = 1, 2, 4\n"
		"sweep payload = 64, 4k\n"
		"reps = 2\n"
		"[scenario modes]\n"
		"  workload = channel  \n"
		"sweep mode/producers/consumers = spsc/1/1, mpmc/4/4\n"
		"[ scenario plain ]\n"
		"workload = channel\n";
	struct scenario *sc;
	char err[512];
	int rc, n;
	struct suite *s = parse(text, err, sizeof(err), &rc);

	ck_assert_msg(rc == 0, "parse failed: %s", err);
	ck_assert_int_eq(s->ngroups, 3);
	ck_assert_int_eq(s->ntargets, 2);
	ck_assert_str_eq(s->targets[0].name, "pool-p50");
	ck_assert_str_eq(s->targets[0].value, "2ms");
	ck_assert_int_eq(s->targets[0].line, 8);
	ck_assert_str_eq(s->targets[1].name, "stream.rt p95 <= 5s");
	ck_assert_str_eq(s->targets[1].value, "");
	ck_assert_int_eq(s->targets[1].line, 9);
	ck_assert_int_eq(suite_count(s), 3 * 2 + 2 + 1);

	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 9);
	/* first sweep outermost */
	ck_assert_str_eq(sc[0].id, "pool-workers/workers=1/payload=64");
	ck_assert_str_eq(sc[1].id, "pool-workers/workers=1/payload=4k");
	ck_assert_str_eq(sc[2].id, "pool-workers/workers=2/payload=64");
	ck_assert_str_eq(sc[5].id, "pool-workers/workers=4/payload=4k");
	ck_assert_str_eq(sc[5].label, "workers=4/payload=4k");
	ck_assert_str_eq(sc[5].group, "pool-workers");
	ck_assert_int_eq(sc[5].cfg.iv[0], 4);
	ck_assert_int_eq(sc[5].cfg.iv[1], 50);
	ck_assert_int_eq(sc[5].cfg.iv[2], 4096);
	ck_assert_int_eq(sc[5].nswept, 2);
	ck_assert_int_eq(sc[5].swept[0], 0);
	ck_assert_int_eq(sc[5].swept[1], 2);
	/* group reps override [run]; the rest comes from [run] */
	ck_assert_int_eq(sc[0].set.reps, 2);
	ck_assert_int_eq(sc[0].set.warmup_ns, 50000000);
	ck_assert_int_eq(sc[0].set.duration_ns, 200000000);
	ck_assert_int_eq(sc[0].set.timeout_ns, 50000000 + 200000000 + 10000000000ll);

	ck_assert_str_eq(sc[6].id, "modes/mode=spsc/producers=1/consumers=1");
	ck_assert_str_eq(sc[7].id, "modes/mode=mpmc/producers=4/consumers=4");
	ck_assert_int_eq(sc[7].cfg.iv[0], 3);
	ck_assert_int_eq(sc[7].cfg.iv[1], 4);
	ck_assert_int_eq(sc[7].cfg.iv[2], 4);
	ck_assert_int_eq(sc[7].cfg.iv[3], 1024);
	ck_assert_int_eq(sc[7].set.reps, 5);
	ck_assert_str_eq(sc[8].id, "plain");
	ck_assert_str_eq(sc[8].label, "");
	ck_assert_int_eq(sc[8].nswept, 0);
	free(sc);

	/* the command line beats everything */
	{
		struct run_settings cli;

		run_settings_unset(&cli);
		cli.reps = 1;
		cli.duration_ns = 1000000;
		ck_assert_int_eq(suite_expand(s, &cli, &sc, &n, err, sizeof(err)), 0);
		ck_assert_int_eq(sc[0].set.reps, 1);
		ck_assert_int_eq(sc[8].set.reps, 1);
		ck_assert_int_eq(sc[0].set.duration_ns, 1000000);
		ck_assert_int_eq(sc[0].set.warmup_ns, 50000000);
		free(sc);
	}
	suite_free(s);
}
END_TEST

/* --max-ops alone asks for a count: a duration from a lower layer does not cut it. */
START_TEST(test_max_ops_alone)
{
	struct run_settings set, cli, layer;

	run_settings_unset(&set);
	set.duration_ns = 500000000; /* the suite's [run] */
	run_settings_unset(&cli);
	cli.max_ops = 1000;
	run_settings_merge(&set, &cli);
	run_settings_resolve(&set);
	ck_assert_int_eq(set.max_ops, 1000);
	ck_assert_int_eq(set.duration_ns, 0); /* no duration limit ... */
	ck_assert_int_eq(set.timeout_ns, set.warmup_ns + 10000000000ll); /* ... a timeout */

	/* both on one layer: whichever comes first */
	run_settings_unset(&set);
	set.duration_ns = 500000000;
	cli.duration_ns = 2000000000;
	run_settings_merge(&set, &cli);
	run_settings_resolve(&set);
	ck_assert_int_eq(set.duration_ns, 2000000000);
	ck_assert_int_eq(set.max_ops, 1000);

	/* a later layer's duration still applies */
	run_settings_unset(&set);
	run_settings_unset(&cli);
	cli.max_ops = 1000;
	run_settings_unset(&layer);
	layer.duration_ns = 300000000;
	run_settings_merge(&set, &cli);
	run_settings_merge(&set, &layer);
	run_settings_resolve(&set);
	ck_assert_int_eq(set.duration_ns, 300000000);

	/* max_ops 0 (no limit) and no duration: the default duration */
	run_settings_unset(&set);
	run_settings_unset(&cli);
	cli.max_ops = 0;
	run_settings_merge(&set, &cli);
	run_settings_resolve(&set);
	ck_assert_int_eq(set.duration_ns, 500000000);
	run_settings_unset(&set);
	run_settings_resolve(&set);
	ck_assert_int_eq(set.duration_ns, 500000000);
	ck_assert_int_eq(set.max_ops, 0);
}
END_TEST

static const struct {
	const char *text;
	int line;
	const char *needle;
} bad_cases[] = {
	{ "reps = 3\n", 1, "outside any section" },
	{ "[run]\nreps = 0\n", 2, "reps" },
	{ "[run]\nreps = many\n", 2, "reps" },
	{ "[run]\nwarmup = 10\n", 2, "warmup" },
	{ "[run]\nduration = 0\n", 2, "duration" },
	{ "[run]\ncolour = blue\n", 2, "unknown key 'colour'" },
	{ "[runn]\n", 1, "unknown section [runn]" },
	{ "[run\n", 1, "malformed section header" },
	{ "[scenario]\nworkload = pool\n", 1, "unknown section" },
	{ "[scenario a/b]\nworkload = pool\n", 1, "not usable" },
	{ "[scenario x]\nworkload = poool\n", 2, "unknown workload 'poool'; use one of pool, "
						 "channel" },
	{ "[scenario x]\nworkers = 4\nworkload = pool\n", 2, "before the workload" },
	{ "[scenario x]\nworkload = pool\nworkers = 0\n", 3, "workers: 0 is out of range; "
							   "use 1 to 256" },
	{ "[scenario x]\nworkload = pool\nworkers = 12abc\n", 3, "not an integer" },
	{ "[scenario x]\nworkload = pool\npayload = -4k\n", 3, "cannot be negative" },
	{ "[scenario x]\nworkload = channel\ncapacity = 0\n", 3, "capacity: 0 is out of range" },
	{ "[scenario x]\nworkload = pool\nthreads = 4\n", 3, "unknown parameter 'threads'" },
	{ "[scenario x]\nworkload = pool\nworkers 4\n", 3, "expected 'name = value'" },
	{ "[scenario x]\nworkload = pool\nworkers =\n", 3, "lacks a value" },
	{ "[scenario x]\nworkload = pool\nworkers = 1, 2\n", 3, "sweep workers = 1, 2" },
	{ "[scenario x]\nworkload = pool\nworkers = 2\nworkers = 4\n", 4, "already set" },
	{ "[scenario x]\nworkload = pool\nworkers = 2\nsweep workers = 1,2\n", 4,
	  "already set" },
	{ "[scenario x]\nworkload = pool\nsweep workers = 1, 0, 2\n", 3, "out of range" },
	{ "[scenario x]\nworkload = pool\nsweep workers = \n", 3, "lacks a value" },
	{ "[scenario x]\nworkload = pool\nsweep workers = ,\n", 3, "no values" },
	{ "[scenario x]\nworkload = pool\nsweep wrk = 1\n", 3, "unknown parameter 'wrk'" },
	{ "[scenario x]\nworkload = channel\nsweep mode/producers = spsc/1, mpmc\n", 3,
	  "needs 2 parts" },
	{ "[scenario x]\nworkload = channel\nsweep mode/producers = spsc/1/1\n", 3,
	  "needs 2 parts" },
	{ "[scenario x]\nworkload = pool\nworkload = channel\n", 3, "workload is set twice" },
	{ "[scenario x]\nworkload = pool\n[scenario x]\nworkload = pool\n", 3,
	  "defined twice" },
	{ "\n\n[scenario x]\nreps = 2\n", 3, "has no workload" },
	{ "[scenario x]\nworkload = pool\n[scenario y]\n[run]\n", 3, "has no workload" },
	{ "# mine\nplugin nope.so\n", 2, "plugin lines are for opscope run" },
};

START_TEST(test_bad_lines)
{
	char err[512], prefix[32];
	int rc;
	struct suite *s = parse(bad_cases[_i].text, err, sizeof(err), &rc);

	ck_assert_msg(rc != 0, "case %d should fail", _i);
	snprintf(prefix, sizeof(prefix), "t.suite:%d: ", bad_cases[_i].line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "case %d: '%s' lacks '%s'", _i,
		      err, prefix);
	ck_assert_msg(strstr(err, bad_cases[_i].needle), "case %d: '%s' lacks '%s'", _i, err,
		      bad_cases[_i].needle);
	ck_assert_msg(!strchr(err, '\n'), "one line: '%s'", err);
	suite_free(s);
}
END_TEST

START_TEST(test_expand_errors)
{
	struct scenario *sc;
	char err[512];
	int rc, n;
	struct suite *s;

	/* a repeated sweep value makes two scenarios with one name */
	s = parse("[scenario x]\nworkload = pool\nsweep workers = 2, 2\n", err, sizeof(err), &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "x/workers=2 appears twice"));
	suite_free(s);

	/* no scenarios */
	s = parse("[run]\nreps = 2\n", err, sizeof(err), &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no scenarios"));
	suite_free(s);

	/* a timeout that cannot be met */
	s = parse("[run]\nduration = 2s\ntimeout = 1s\n[scenario x]\nworkload = pool\n", err,
		  sizeof(err), &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "timeout 1s is not longer"));
	suite_free(s);

	/* sweeps multiply: 5 x 5 x 5 x 5 = 625 */
	s = parse("[scenario x]\nworkload = channel\nsweep capacity = 1,2,3,4,5\n"
		  "sweep producers = 1,2,3,4,5\nsweep consumers = 1,2,3,4,5\n"
		  "sweep mode = spsc, mpsc, spmc, mpmc, MPMC\n", err, sizeof(err), &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(suite_count(s), 625);
	/* ... but "mpmc" and "MPMC" are the same text? no: ids differ, values are equal */
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 625);
	ck_assert_str_eq(sc[624].id, "x/capacity=5/producers=5/consumers=5/mode=MPMC");
	ck_assert_int_eq(sc[624].cfg.iv[0], 3);
	free(sc);
	suite_free(s);
}
END_TEST

/* Parameter combinations the real channel workload refuses fail before anything runs. */
START_TEST(test_expand_config_check)
{
	static const struct workload *const real[] = { &wl_channel, NULL };
	struct suite *s = suite_new("c.suite", "c", real);
	struct scenario *sc;
	char err[512];
	int n;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(suite_parse(s, "[scenario c]\nworkload = channel\nmode = spsc\n"
				     "sweep producers = 1, 4\n", err, sizeof(err)), 0);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(sc);
	ck_assert_msg(strstr(err, "[scenario c]: mode=spsc needs producers=1") != NULL, "%s", err);
	suite_free(s);
}
END_TEST

/* Sweeps whose product overflows an int: 64 x 64 x 64 x 16384 = 2^32 scenarios. */
START_TEST(test_expand_too_many)
{
	static const char *const base[] = { "spsc", "mpsc", "spmc", "mpmc" };
	size_t len = 300000, off = 0;
	char *text = malloc(len), err[512];
	struct scenario *sc;
	struct suite *s;
	int rc, n;

	ck_assert_ptr_nonnull(text);
	off += snprintf(text + off, len - off, "[scenario x]\nworkload = channel\nsweep mode =");
	/* every upper/lower case spelling of the 4 modes: 64 distinct values */
	for (int m = 0; m < 4; m++)
		for (int c = 0; c < 16; c++) {
			char v[5];

			for (int i = 0; i < 4; i++)
				v[i] = (char)(c >> i & 1 ? base[m][i] - 'a' + 'A' : base[m][i]);
			v[4] = '\0';
			off += snprintf(text + off, len - off, "%s %s", m || c ? "," : "", v);
		}
	off += snprintf(text + off, len - off, "\nsweep producers = 1");
	for (int i = 2; i <= 64; i++)
		off += snprintf(text + off, len - off, ",%d", i);
	off += snprintf(text + off, len - off, "\nsweep consumers = 1");
	for (int i = 2; i <= 64; i++)
		off += snprintf(text + off, len - off, ",%d", i);
	off += snprintf(text + off, len - off, "\nsweep capacity = 1");
	for (int i = 2; i <= 16384; i++)
		off += snprintf(text + off, len - off, ",%d", i);
	ck_assert_uint_lt(off, len - 2);
	snprintf(text + off, len - off, "\n");
	s = parse(text, err, sizeof(err), &rc);
	free(text);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_int_eq(suite_count(s), SUITE_MAX_SCENARIOS + 1);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "more than 4096 scenarios"));
	suite_free(s);
}
END_TEST

START_TEST(test_load)
{
	char path[] = "/tmp/test_suite_XXXXXX";
	struct suite *s;
	char err[512];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "[scenario a]\nworkload = pool\nsweep workers = 1,2\n", 48),
			 48);
	close(fd);
	ck_assert_int_eq(suite_load(path, fakes, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(suite_count(s), 2);
	ck_assert_str_eq(s->file, path);
	suite_free(s);
	unlink(path);

	ck_assert_int_eq(suite_load("/nonexistent/x.suite", fakes, &s, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "cannot read suite file /nonexistent/x.suite"));
}
END_TEST

/* A suite's plugin lines go to the runner's loader, relative to the suite file's folder
 * (absolute ones as they are), where they stand; without a loader they are refused. */
static char loaded[4096];

static int fake_loader(const char *path, char *err, size_t errlen)
{
	snprintf(loaded, sizeof(loaded), "%s", path);
	if (!strstr(path, "bad"))
		return 0;
	snprintf(err, errlen, "plugin %s: bad", path);
	return -EINVAL;
}

START_TEST(test_plugin_lines)
{
	struct suite *s = suite_new("/nonexistent/suites/x.suite", "x", fakes);
	char err[512];

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(suite_parse(s, "plugin lib.so\n", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "/nonexistent/suites/x.suite:1: plugin lines are for opscope run; "
			 "this reader loads no plugin");
	suite_plugin_loader = fake_loader;
	ck_assert_int_eq(suite_parse(s, "plugin ../lib/libmine.so\n", err, sizeof(err)), 0);
	ck_assert_str_eq(loaded, "/nonexistent/suites/../lib/libmine.so");
	ck_assert_int_eq(suite_parse(s, "[run]\nplugin = /elsewhere/libmine.so\n", err,
				     sizeof(err)), 0);
	ck_assert_str_eq(loaded, "/elsewhere/libmine.so");
	ck_assert_int_eq(suite_parse(s, "\n\nplugin libbad.so\n", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "/nonexistent/suites/x.suite:3: plugin "
			 "/nonexistent/suites/libbad.so: bad");
	ck_assert_int_eq(suite_parse(s, "plugin\n", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "x.suite:1: plugin needs a file"));
	suite_plugin_loader = NULL;
	suite_free(s);
}
END_TEST

/* The repository root, from this file's path as the compiler saw it. */
static void repo_path(const char *rel, char *buf, size_t len)
{
	const char *me = __FILE__, *p = strstr(me, "tests/unit/");

	snprintf(buf, len, "%.*s%s", p ? (int)(p - me) : 0, me, rel);
}

START_TEST(test_default_suite_matches_file)
{
	char path[4096], *text;
	FILE *f;
	long n;

	repo_path("userspace/workloads/suites/default.suite", path, sizeof(path));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, n + 1);
	ck_assert_int_eq(fread(text, 1, n, f), n);
	fclose(f);
	ck_assert_msg(strcmp(text, suite_default_text) == 0,
		      "suite.c's suite_default_text differs from %s; copy the file into it", path);
	free(text);
}
END_TEST

START_TEST(test_default_suite_expands)
{
	struct suite *s = suite_new(NULL, "default", wl_all);
	struct scenario *sc;
	char err[512];
	double total_s = 0;
	int n;

	ck_assert_int_eq(suite_parse(s, suite_default_text, err, sizeof(err)), 0);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), 0);
	/* workers 5 + in-flight 5 + capacity 5 + SPSC vs MPMC 2 + streams 5 + pipeline 2 +
	 * process pool 1 */
	ck_assert_int_eq(n, 25);
	for (int i = 0; i < n; i++)
		total_s += sc[i].set.reps * (sc[i].set.warmup_ns + sc[i].set.duration_ns) / 1e9;
	/* "about a minute", with room for start-up */
	ck_assert_msg(total_s >= 30 && total_s <= 60, "default suite measures %.1f s", total_s);
	ck_assert_str_eq(sc[0].id, "pool-workers/workers=1");
	ck_assert_str_eq(sc[16].id, "channel-mode/mode=mpmc/producers=4/consumers=4");
	ck_assert_str_eq(sc[21].id, "stream-streams/streams=200");
	ck_assert_str_eq(sc[23].id, "pipeline/slow_spin=15us/slow_stage=3");
	ck_assert_str_eq(sc[24].id, "pool-process");
	free(sc);
	suite_free(s);
}
END_TEST

/* The nightly's long suite parses, runs every workload, and gives the leak checks a slope
 * (at least 3 repetitions everywhere). */
START_TEST(test_long_suite)
{
	struct suite *s = NULL;
	struct scenario *sc;
	char path[4096], err[512];
	bool seen[8] = { false };
	int n;

	repo_path("userspace/workloads/suites/long.suite", path, sizeof(path));
	ck_assert_msg(suite_load(path, wl_all, &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(suite_expand(s, NULL, &sc, &n, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++) {
		ck_assert_int_ge(sc[i].set.reps, 3);
		for (int w = 0; wl_all[w]; w++)
			seen[w] |= sc[i].wl == wl_all[w];
	}
	/* bench runs a plugin's function: no built-in suite can have it */
	for (int w = 0; wl_all[w]; w++)
		ck_assert_msg(seen[w] || wl_all[w] == &wl_bench, "long.suite has no %s scenario",
			      wl_all[w]->name);
	free(sc);
	suite_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("suite");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_good_suite);
	tcase_add_loop_test(tc, test_bad_lines, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_plugin_lines);
	tcase_add_test(tc, test_expand_errors);
	tcase_add_test(tc, test_expand_too_many);
	tcase_add_test(tc, test_expand_config_check);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_default_suite_matches_file);
	tcase_add_test(tc, test_default_suite_expands);
	tcase_add_test(tc, test_max_ops_alone);
	tcase_add_test(tc, test_long_suite);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
