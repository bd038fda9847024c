// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for parameter parsing: units, ranges, garbage, and the error sentences. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/params.h"
#include "workloads/plugins.h"

static const char *const modes[] = { "spsc", "mpsc", "spmc", "mpmc", NULL };

static const struct wl_param_def fake_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ "sleep", WL_P_DURATION, 0, 1000000000, 0, 0, "0", "sleep", NULL },
	{ "error_rate", WL_P_FLOAT, 0, 0, 0.0, 1.0, "0", "errors", NULL },
	{ "mode", WL_P_ENUM, 0, 3, 0, 0, "spsc", "mode", modes },
	{ "capacity", WL_P_INT, 1, 65536, 0, 0, "1024", "capacity", NULL },
	{ NULL },
};

static int fake_run(const struct wl_config *cfg, const struct wl_ctl *ctl,
		    struct wl_result *res)
{
	return 0;
}

static const struct workload fake = {
	.name = "fake", .help = "a test workload", .params = fake_params, .run = fake_run,
};

START_TEST(test_sizes)
{
	static const struct { const char *s; int64_t v; } ok[] = {
		{ "0", 0 }, { "64", 64 }, { "4k", 4096 }, { "4K", 4096 }, { "4KiB", 4096 },
		{ "4kb", 4096 }, { "1M", 1 << 20 }, { "1MiB", 1 << 20 }, { "2G", 2ll << 30 },
		{ "1.5k", 1536 }, { "64B", 64 }, { "-4k", -4096 }, { "1T", 1ll << 40 },
	};
	static const char *const bad[] = { "", "k", "12abc", "4kk", "1.2.3", "4 k", "0x10",
					   "--4", "4Q", ".", "1e3" };
	int64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(param_parse_size(ok[i].s, &v) == 0, "'%s' should parse", ok[i].s);
		ck_assert_int_eq(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(param_parse_size(bad[i], &v) == -EINVAL, "'%s' should fail",
			      bad[i]);
	ck_assert_int_eq(param_parse_size("99999999999T", &v), -ERANGE);
}
END_TEST

START_TEST(test_durations)
{
	static const struct { const char *s; int64_t v; } ok[] = {
		{ "0", 0 }, { "500ns", 500 }, { "20us", 20000 }, { "20\xc2\xb5s", 20000 },
		{ "1ms", 1000000 }, { "1.5ms", 1500000 }, { "2s", 2000000000 },
		{ "0.25s", 250000000 }, { "1min", 60000000000ll }, { "20US", 20000 },
	};
	static const char *const bad[] = { "20", "ms", "12abc", "1m", "5x", "", "1.5",
					   "20 us" };
	int64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(param_parse_duration(ok[i].s, &v) == 0, "'%s' should parse",
			      ok[i].s);
		ck_assert_int_eq(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(param_parse_duration(bad[i], &v) == -EINVAL, "'%s' should fail",
			      bad[i]);
}
END_TEST

START_TEST(test_ints_floats)
{
	int64_t v;
	double f;

	ck_assert_int_eq(param_parse_int("12", &v), 0);
	ck_assert_int_eq(v, 12);
	ck_assert_int_eq(param_parse_int("-3", &v), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(param_parse_int("12abc", &v), -EINVAL);
	ck_assert_int_eq(param_parse_int("1.5", &v), -EINVAL);
	ck_assert_int_eq(param_parse_int("", &v), -EINVAL);
	ck_assert_int_eq(param_parse_int("4k", &v), -EINVAL);
	ck_assert_int_eq(param_parse_int("99999999999999999999", &v), -ERANGE);

	ck_assert_int_eq(param_parse_float("0.01", &f), 0);
	ck_assert_double_eq_tol(f, 0.01, 1e-12);
	ck_assert_int_eq(param_parse_float("5%", &f), 0);
	ck_assert_double_eq_tol(f, 0.05, 1e-12);
	ck_assert_int_eq(param_parse_float("1e-3", &f), 0);
	ck_assert_double_eq_tol(f, 0.001, 1e-15);
	ck_assert_int_eq(param_parse_float("nan", &f), -EINVAL);
	ck_assert_int_eq(param_parse_float("inf", &f), -EINVAL);
	ck_assert_int_eq(param_parse_float("0.1x", &f), -EINVAL);
	ck_assert_int_eq(param_parse_float("5%%", &f), -EINVAL);
	ck_assert_int_eq(param_parse_float("0x10", &f), -EINVAL);
	ck_assert_int_eq(param_parse_float("1.5E2", &f), 0);
	ck_assert_double_eq_tol(f, 150, 1e-9);
}
END_TEST

START_TEST(test_format_roundtrip)
{
	static const int64_t sizes[] = { 0, 1, 64, 1000, 1024, 1536, 4096, 1 << 20, 3ll << 30 };
	static const int64_t durs[] = { 0, 1, 500, 20000, 1500000, 1000000000, 2500000000ll };
	char buf[32];
	int64_t v;

	param_format_size(4096, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4k");
	param_format_size(1 << 20, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1M");
	param_format_size(1536, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1536");
	param_format_duration(20000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "20us");
	param_format_duration(1500000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1500us");
	param_format_duration(2000000000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2s");
	param_format_duration(501, buf, sizeof(buf));
	ck_assert_str_eq(buf, "501ns");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		param_format_size(sizes[i], buf, sizeof(buf));
		ck_assert_int_eq(param_parse_size(buf, &v), 0);
		ck_assert_int_eq(v, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		param_format_duration(durs[i], buf, sizeof(buf));
		ck_assert_int_eq(param_parse_duration(buf, &v), 0);
		ck_assert_int_eq(v, durs[i]);
	}
}
END_TEST

START_TEST(test_ranges_and_messages)
{
	struct wl_config cfg;
	char err[512];

	ck_assert_int_eq(params_init(&cfg, &fake, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.iv[0], 4);
	ck_assert_int_eq(cfg.iv[1], 256);
	ck_assert_int_eq(cfg.iv[4], 0);

	/* workers 0: names the parameter and the allowed range */
	ck_assert_int_eq(params_set(&cfg, "workers", "0", err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "workers"));
	ck_assert_ptr_nonnull(strstr(err, "1 to 256"));
	ck_assert_int_eq(cfg.iv[0], 4); /* unchanged on error */

	ck_assert_int_eq(params_set(&cfg, "capacity", "0", err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "capacity"));
	ck_assert_ptr_nonnull(strstr(err, "1 to 65536"));

	ck_assert_int_eq(params_set(&cfg, "workers", "12abc", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'12abc' is not an integer"));

	ck_assert_int_eq(params_set(&cfg, "payload", "-4k", err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "cannot be negative"));
	ck_assert_ptr_nonnull(strstr(err, "64 to 1M"));
	ck_assert_int_eq(params_set(&cfg, "payload", "2M", err, sizeof(err)), -ERANGE);
	ck_assert_int_eq(params_set(&cfg, "payload", "32", err, sizeof(err)), -ERANGE);
	ck_assert_int_eq(params_set(&cfg, "payload", "1M", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.iv[1], 1 << 20);
	ck_assert_int_eq(params_set(&cfg, "payload", "4kx", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a size"));

	ck_assert_int_eq(params_set(&cfg, "sleep", "20", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a duration"));
	ck_assert_int_eq(params_set(&cfg, "sleep", "2s", err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "0 to 1s"));
	ck_assert_int_eq(params_set(&cfg, "sleep", "20us", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.iv[2], 20000);

	ck_assert_int_eq(params_set(&cfg, "error_rate", "1.5", err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "0 to 1"));
	ck_assert_int_eq(params_set(&cfg, "error_rate", "1%", err, sizeof(err)), 0);
	ck_assert_double_eq_tol(cfg.fv[3], 0.01, 1e-12);

	ck_assert_int_eq(params_set(&cfg, "mode", "MPMC", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.iv[4], 3);
	ck_assert_str_eq(params_get_enum(&cfg, "mode"), "mpmc");
	ck_assert_int_eq(params_set(&cfg, "mode", "xpsc", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "one of spsc, mpsc, spmc, mpmc"));

	ck_assert_int_eq(params_set(&cfg, "wrokers", "4", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "unknown parameter 'wrokers' for workload fake"));
	ck_assert_ptr_nonnull(strstr(err, "workers, payload, sleep"));

	ck_assert_int_eq(params_set_kv(&cfg, "workers=16", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.iv[0], 16);
	ck_assert_int_eq(params_set_kv(&cfg, "workers", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(params_set_kv(&cfg, "=4", err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_format_value)
{
	char buf[32];

	param_format_value(&fake_params[1], 4096, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "4k");
	param_format_value(&fake_params[4], 2, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "spmc");
	param_format_value(&fake_params[3], 0, 0.25, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0.25");
	param_describe_range(&fake_params[4], buf, sizeof(buf));
	ck_assert_str_eq(buf, "one of spsc, mpsc, spmc, mpmc");
}
END_TEST

/* An enum of plugins' names: none yet, and how to add one. */
START_TEST(test_enum_hint)
{
	const struct wl_param_def d = { "fn", WL_P_ENUM, 0, 0, 0, 0, NULL, "f",
					plugins_bench_names };
	char err[512];
	int64_t iv;
	double fv;

	ck_assert_ptr_null(plugins_bench_names[0]);
	ck_assert_int_eq(param_parse_value(&d, "f1", &iv, &fv, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "fn: 'f1' is not a valid value; use one of (none), or name the "
			 "plugin that registers it with --plugin FILE (in a suite, a 'plugin FILE' "
			 "line above this one)");
	/* other enums: no hint */
	ck_assert_int_eq(param_parse_value(&fake_params[4], "x", &iv, &fv, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "mode: 'x' is not a valid value; use one of spsc, mpsc, spmc, mpmc");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("params");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_ints_floats);
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_ranges_and_messages);
	tcase_add_test(tc, test_format_value);
	tcase_add_test(tc, test_enum_hint);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
