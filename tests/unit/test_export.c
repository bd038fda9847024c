// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The OpenMetrics export of a report: the exposition's shape (a family's TYPE, UNIT and
 * HELP before its samples, no family twice, "# EOF" last), base units, labels escaped,
 * and no sample for what was not measured. Prometheus itself reads it back in
 * tests/integration/itest_prometheus.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/export_om.h"
#include "util/jsonparse.h"

static const char report[] =
	"{\"schema\": \"opscope-report\", \"version\": 1, \"created\": \"2026-11-24T02:10:00Z\","
	" \"suite\": {\"name\": \"nightly\"}, \"environment\": {\"hostname\": \"bench-\\\"1\\\"\"},"
	" \"noise\": {\"other_cpus\": 0.25, \"other_runnable\": 1.5, \"noisy\": true},"
	" \"summary\": {\"elapsed_s\": 58.5},"
	" \"scenarios\": [{\"id\": \"pool-workers/workers=4\", \"status\": \"ok\","
	"   \"kinds\": [{\"op\": \"pool.call\"}],"
	"   \"metrics\": [{\"id\": \"pool.call/throughput\", \"median\": 41000},"
	"                 {\"id\": \"pool.call/p99_ns\", \"median\": 2500000},"
	"                 {\"id\": \"pool.call/on_ns\", \"median\": 20500},"
	"                 {\"id\": \"pool.call/p50_ns\", \"median\": null},"
	"                 {\"id\": \"rss_steady_bytes\", \"median\": 9000000}]}],"
	" \"targets\": [{\"name\": \"pool-p50\", \"unit\": \"ns\", \"value\": 1500000,"
	"   \"status\": \"fail\"}, {\"name\": \"spsc\", \"status\": \"n/a\"}]}";

static const char compare[] =
	"{\"schema\": \"opscope-compare\", \"outcome\": \"COULD NOT JUDGE\","
	" \"summary\": {\"regressions\": 0, \"environment\": 7}}";

START_TEST(exposition)
{
	struct json_err je;
	struct json_doc *r = json_parse(report, strlen(report), 0, &je);
	struct json_doc *c = json_parse(compare, strlen(compare), 0, &je);
	char *buf = NULL, *line, *save = NULL, *last = NULL, seen[4096] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(om_write(f, json_root(r), NULL, json_root(c)), 0);
	fclose(f);
	/* base units and labels */
	ck_assert_msg(strstr(buf, "opscope_latency_seconds{machine=\"bench-\\\"1\\\"\","
			     "suite=\"nightly\",scenario=\"pool-workers/workers=4\","
			     "op=\"pool.call\",percentile=\"p99\"} 0.0025\n"), "%s", buf);
	ck_assert(strstr(buf, "op=\"pool.call\",part=\"on_cpu\"} 2.05e-05\n"));
	ck_assert(strstr(buf, "opscope_throughput_ops_per_second{machine=\"bench-\\\"1\\\"\","
			      "suite=\"nightly\",scenario=\"pool-workers/workers=4\","
			      "op=\"pool.call\"} 41000\n"));
	ck_assert(strstr(buf, "target=\"pool-p50\"} 0\n"));
	ck_assert(strstr(buf, "opscope_target_value{machine=\"bench-\\\"1\\\"\",suite=\"nightly\","
			      "target=\"pool-p50\"} 0.0015\n"));
	ck_assert(strstr(buf, "opscope_run_timestamp_seconds{machine=\"bench-\\\"1\\\"\","
			      "suite=\"nightly\"} 1795486200\n"));
	ck_assert(strstr(buf, "outcome=\"COULD NOT JUDGE\"} 1\n"));
	ck_assert(strstr(buf, "verdict=\"environment\"} 7\n"));
	/* not measured, not applicable: no sample */
	ck_assert_ptr_null(strstr(buf, "percentile=\"p50\""));
	ck_assert_ptr_null(strstr(buf, "target=\"spsc\"} "));
	/* every sample's family was declared just before, once; EOF last */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		last = line;
		if (!strncmp(line, "# TYPE ", 7)) {
			snprintf(name, sizeof(name), " %.*s ", (int)strcspn(line + 7, " "),
				 line + 7);
			ck_assert_msg(!strstr(seen, name), "family twice: %s", line);
			strncat(seen, name, sizeof(seen) - strlen(seen) - 1);
			ck_assert(strstr(line, " gauge"));
			continue;
		}
		if (line[0] == '#')
			continue;
		snprintf(name, sizeof(name), " %.*s ", (int)strcspn(line, "{"), line);
		ck_assert_msg(strstr(seen, name), "sample before its TYPE: %s", line);
	}
	ck_assert_str_eq(last, "# EOF");
	free(buf);
	json_doc_free(r);
	json_doc_free(c);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, exposition);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(export_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
