// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for the run report: CV and scaling arithmetic, targets, Go benchmark lines,
 * report.json (parsed back), the 100-column text tables, and the JSON writer's escaping. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/fmt.h"
#include "report/envinfo.h"
#include "util/json.h"
#include "util/jsonparse.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
#include "report/report.h"

static const char *const modes[] = { "spsc", "mpsc", "spmc", "mpmc", NULL };

static const struct wl_param_def pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ NULL },
};

static const struct wl_param_def chan_params[] = {
	{ "mode", WL_P_ENUM, 0, 3, 0, 0, "spsc", "mode", modes },
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

static void make_scenario(struct scenario *sc, const struct workload *wl, const char *group,
			  const char *sweep_name, const char *sweep_val)
{
	char err[256];

	memset(sc, 0, sizeof(*sc));
	sc->wl = wl;
	ck_assert_int_eq(params_init(&sc->cfg, wl, err, sizeof(err)), 0);
	snprintf(sc->group, sizeof(sc->group), "%s", group);
	if (sweep_name) {
		ck_assert_int_eq(params_set(&sc->cfg, sweep_name, sweep_val, err, sizeof(err)), 0);
		snprintf(sc->label, sizeof(sc->label), "%s=%s", sweep_name, sweep_val);
		snprintf(sc->id, sizeof(sc->id), "%.63s/%.190s", group, sc->label);
		sc->swept[sc->nswept++] = wl_param_index(wl, sweep_name);
	} else {
		snprintf(sc->id, sizeof(sc->id), "%s", group);
	}
	sc->set = (struct run_settings){ .reps = 3, .warmup_ns = 1000000,
					 .duration_ns = 1000000000, .timeout_ns = 5000000000ll };
}

/* One repetition: count ops of kind, all with latency lat_ns, over elapsed_s. */
static void add_rep(struct scen_result *s, const char *kind, uint64_t count, uint64_t lat_ns,
		    double elapsed_s, int rc)
{
	struct wl_result res;
	struct ops_bd bd = { .n = 1, .lat_ns = lat_ns, .on_ns = lat_ns / 2,
			     .blocked_ns = lat_ns / 4, .runq_ns = lat_ns / 4, .syscalls = 2,
			     .vcsw = 1, .faults = 3 };

	bd.blk_ns[0] = lat_ns / 4;
	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id(kind);
	res.agg[0] = op_agg_new();
	ck_assert_ptr_nonnull(res.agg[0]);
	for (uint64_t i = 0; i < count; i++)
		ck_assert_int_eq(op_agg_add(res.agg[0], &bd), 0);
	res.elapsed_s = elapsed_s;
	res.alloc_bytes = count * 512;
	res.allocs = count;
	res.threads = 3;
	res.occupancy = -1;
	if (rc)
		snprintf(res.error, sizeof(res.error), "the channel lost 3 messages");
	ck_assert_int_eq(scen_add_rep(s, rc, &res, 8 << 20, 6 << 20, false), 0);
	ck_assert_ptr_null(res.agg[0]);
}

/* Two pool scenarios of one workers sweep: 1000 +- 100 calls/s, and 1600 calls/s. */
static struct report *two_point_report(void)
{
	struct report *r = report_new();
	struct scenario sc;
	struct scen_result *s;

	ck_assert_ptr_nonnull(r);
	r->env.online_cpus = 2;
	snprintf(r->env.cpu_model, sizeof(r->env.cpu_model), "Test CPU");
	snprintf(r->env.arch, sizeof(r->env.arch), "x86_64");
	r->settings = (struct run_settings){ 3, 1000000, 1000000000, 5000000000ll, 0 };

	make_scenario(&sc, &fpool, "pool-workers", "workers", "1");
	s = report_add_scenario(r, &sc);
	add_rep(s, "pool.call", 1000, 20000, 1.0, 0);
	add_rep(s, "pool.call", 1100, 20000, 1.0, 0);
	add_rep(s, "pool.call", 900, 20000, 1.0, 0);

	make_scenario(&sc, &fpool, "pool-workers", "workers", "2");
	s = report_add_scenario(r, &sc);
	for (int i = 0; i < 3; i++)
		add_rep(s, "pool.call", 1600, 2000000, 1.0, 0);
	return r;
}

static const struct metric *find_metric(const struct scen_result *s, const char *id)
{
	for (int i = 0; i < s->nmetrics; i++)
		if (strcmp(s->metrics[i].id, id) == 0)
			return &s->metrics[i];
	return NULL;
}

START_TEST(test_cv_and_scaling)
{
	struct report *r = two_point_report();
	const struct metric *m;

	report_finish(r);
	m = find_metric(&r->scen[0], "throughput");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->n, 3);
	ck_assert_double_eq_tol(m->mean, 1000, 1e-9);
	ck_assert_double_eq_tol(m->stddev, 100, 1e-9);   /* sample stddev */
	ck_assert_double_eq_tol(m->cv, 0.1, 1e-12);
	ck_assert_double_eq_tol(m->median, 1000, 1e-9);
	ck_assert_double_eq_tol(m->min, 900, 1e-9);
	ck_assert_double_eq_tol(m->max, 1100, 1e-9);
	m = find_metric(&r->scen[0], "bytes_per_op");
	ck_assert_double_eq_tol(m->mean, 512, 1e-9);
	m = find_metric(&r->scen[0], "faults_per_op");
	ck_assert_double_eq_tol(m->mean, 3, 1e-9);
	m = find_metric(&r->scen[0], "pool.call/on_ns");
	ck_assert_ptr_nonnull(m);
	ck_assert_double_eq_tol(m->mean, 10000, 1e-9);
	m = find_metric(&r->scen[0], "occupancy");
	ck_assert_int_eq(m->n, 0); /* not applicable: null */

	ck_assert(r->scen[1].has_scaling);
	ck_assert_str_eq(r->scen[1].scale_param, "workers");
	ck_assert_int_eq(r->scen[1].scale_n, 2);
	ck_assert_int_eq(r->scen[1].scale_base, 0);
	ck_assert_double_eq_tol(r->scen[1].scale_eff, 0.8, 1e-12);
	ck_assert_double_eq_tol(r->scen[0].scale_eff, 1.0, 1e-12);

	/* targets: 800 calls/s per worker at workers=2 fails; 2 ms p50 fails; scaling passes */
	ck_assert_int_eq(r->targets[1].status, TGT_FAIL);
	ck_assert_double_eq_tol(r->targets[1].value, 800, 1e-9);
	ck_assert_int_eq(r->targets[1].scenario, 1);
	ck_assert_int_eq(r->targets[0].status, TGT_FAIL);
	ck_assert_int_eq(r->targets[9].status, TGT_PASS);
	ck_assert_double_eq_tol(r->targets[9].value, 0.8, 1e-12);
	ck_assert_int_eq(r->targets[3].status, TGT_NA); /* no SPSC scenario */
	ck_assert_int_eq(r->targets_failed, 2);
	report_free(r);
}
END_TEST

START_TEST(test_arithmetic)
{
	double v[5] = { 3, 1, 2, 100, 4 };
	bool have[5] = { true, true, true, false, true };
	struct metric m = { .v = v, .have = have };

	metric_aggregate(&m, 5);
	ck_assert_int_eq(m.n, 4);
	ck_assert_double_eq_tol(m.mean, 2.5, 1e-12);
	ck_assert_double_eq_tol(m.median, 2.5, 1e-12);
	ck_assert_double_eq_tol(m.stddev, sqrt(5.0 / 3.0), 1e-12);
	ck_assert_double_eq_tol(m.cv, sqrt(5.0 / 3.0) / 2.5, 1e-12);
	ck_assert_double_eq(m.min, 1);
	ck_assert_double_eq(m.max, 4);
	have[0] = have[1] = have[2] = have[4] = false;
	metric_aggregate(&m, 5);
	ck_assert_int_eq(m.n, 0);
	ck_assert(isnan(m.mean));
	have[2] = true;
	metric_aggregate(&m, 5);
	ck_assert_double_eq(m.stddev, 0);
	ck_assert_double_eq(m.cv, 0);

	ck_assert_double_eq_tol(scaling_efficiency(1600, 1000, 2), 0.8, 1e-12);
	ck_assert_double_eq_tol(scaling_efficiency(4000, 1000, 4), 1.0, 1e-12);
	ck_assert(isnan(scaling_efficiency(1600, 0, 2)));
	ck_assert(isnan(scaling_efficiency(1600, 1000, 0)));
}
END_TEST

START_TEST(test_formats)
{
	char b[32];

	fmt_ns(850, b, sizeof(b));
	ck_assert_str_eq(b, "850ns");
	fmt_ns(12345, b, sizeof(b));
	ck_assert_str_eq(b, "12.3us");
	fmt_ns(1.5e6, b, sizeof(b));
	ck_assert_str_eq(b, "1.50ms");
	fmt_ns(2.5e9, b, sizeof(b));
	ck_assert_str_eq(b, "2.50s");
	fmt_num(123456, b, sizeof(b));
	ck_assert_str_eq(b, "123k");
	fmt_num(1.5, b, sizeof(b));
	ck_assert_str_eq(b, "1.50");
	fmt_num(64, b, sizeof(b));
	ck_assert_str_eq(b, "64");
	fmt_num(0.001, b, sizeof(b));
	ck_assert_str_eq(b, "<.01");
	fmt_num(2.5e6, b, sizeof(b));
	ck_assert_str_eq(b, "2.50M");
	fmt_bytes(8.8 * 1024 * 1024, b, sizeof(b));
	ck_assert_str_eq(b, "8.8M");
	fmt_bytes(512, b, sizeof(b));
	ck_assert_str_eq(b, "512B");
	bench_camel("pool", "pool.call", b, sizeof(b));
	ck_assert_str_eq(b, "PoolCall");
	bench_camel("channel", "chan.send", b, sizeof(b));
	ck_assert_str_eq(b, "ChanSend");
	bench_camel("stream", "rt", b, sizeof(b));
	ck_assert_str_eq(b, "StreamRt");
}
END_TEST

START_TEST(test_targets_override)
{
	struct report *r = two_point_report();
	char err[512];

	ck_assert_int_eq(report_target_set(r, "pool-p50", "5ms", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_set(r, "pool-calls-per-worker", "0.5k", err,
					   sizeof(err)), 0);
	ck_assert_double_eq_tol(r->targets[1].threshold, 500, 1e-9);
	ck_assert_int_eq(report_target_set(r, "scaling-efficiency", "0.9", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_set(r, "rss-steady", "off", err, sizeof(err)), 0);
	ck_assert_int_eq(report_target_set(r, "pool-p5O", "1ms", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "unknown target 'pool-p5O'; use one of pool-p50"));
	ck_assert_int_eq(report_target_set(r, "pool-p50", "fast", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "a duration such as 2ms"));
	report_finish(r);
	ck_assert_int_eq(r->targets[0].status, TGT_PASS);
	ck_assert_int_eq(r->targets[1].status, TGT_PASS);
	ck_assert_int_eq(r->targets[9].status, TGT_FAIL);
	ck_assert(!r->targets[8].enabled);
	ck_assert_int_eq(r->targets_failed, 1);
	report_free(r);
}
END_TEST

START_TEST(test_bench_lines)
{
	struct report *r = two_point_report();
	struct scenario sc;
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	int nbench = 0, nhdr = 0;
	FILE *f;

	/* a failed repetition writes no line */
	make_scenario(&sc, &fchan, "chan", "capacity", "10");
	add_rep(report_add_scenario(r, &sc), "chan.send", 500, 1000, 0.5, 0);
	add_rep(&r->scen[2], "chan.send", 500, 1000, 0.5, -EIO);
	report_finish(r);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(report_write_bench(r, f), 0);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[256], unit[32];
		unsigned long long n;
		double nsop, v;
		int off, k;
		char *p;

		if (strncmp(line, "Benchmark", 9) != 0) {
			ck_assert_msg(strstr(line, ": "), "header '%s' is key: value", line);
			nhdr++;
			continue;
		}
		nbench++;
		ck_assert_int_eq(sscanf(line, "%255s %llu %lf %31s%n", name, &n, &nsop, unit,
					&off), 4);
		ck_assert_str_eq(unit, "ns/op");
		if (nbench <= 3) {
			ck_assert_str_eq(name, "BenchmarkPoolCall/workers=1-2");
			ck_assert_double_eq_tol(nsop, 1e9 / (double)n, 0.05);
		} else if (nbench <= 6) {
			ck_assert_str_eq(name, "BenchmarkPoolCall/workers=2-2");
			ck_assert_int_eq(n, 1600);
		} else {
			ck_assert_str_eq(name, "BenchmarkChanSend/capacity=10-2");
			ck_assert_int_eq(n, 500);
			ck_assert_double_eq_tol(nsop, 1e6, 0.05);
		}
		/* then value-unit pairs, every unit per op */
		p = line + off;
		k = 0;
		while (sscanf(p, "%lf %31s%n", &v, unit, &off) == 2) {
			ck_assert_msg(strstr(unit, "/op"), "unit '%s' is per op", unit);
			if (k == 0)
				ck_assert_str_eq(unit, "B/op");
			if (k == 1)
				ck_assert_str_eq(unit, "allocs/op");
			if (strcmp(unit, "p50-ns/op") == 0 && nbench > 3 && nbench <= 6)
				ck_assert_double_eq_tol(v, 2000000, 2000000 / 100.0);
			p += off;
			k++;
		}
		ck_assert_int_ge(k, 7);
	}
	ck_assert_int_eq(nbench, 3 + 3 + 1);
	ck_assert_int_ge(nhdr, 4);
	free(buf);
	report_free(r);
}
END_TEST

static size_t cols(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

START_TEST(test_text_width)
{
	struct report *r = two_point_report();
	struct scenario sc;
	char *buf = NULL, *p, *nl;
	size_t len = 0, widest = 0;
	int lines = 0;
	FILE *f;

	make_scenario(&sc, &fchan, "a-very-long-scenario-group-name-that-goes-on-and-on-and-on",
		      "capacity", "65536");
	add_rep(report_add_scenario(r, &sc), "chan.a-very-long-op-kind-name-too", 500, 123456789,
		0.5, 0);
	add_rep(&r->scen[2], "chan.a-very-long-op-kind-name-too", 5, 1000, 0.5, -ETIMEDOUT);
	snprintf(r->env.hostname, sizeof(r->env.hostname), "%0200d", 7);
	r->have_collector = true;
	r->coll = (struct report_collector){ .slots_used = 123456, .slots_full = 99999,
					     .tid_map_full = 99999, .missed_switches = 99999,
					     .prog_misses = 99999, .late_threads = 99999,
					     .stacks = true, .samples = 9999999,
					     .stack_fail = 99999, .stacks_full = 99999,
					     .keys_full = 99999, .missing_stacks = 99999,
					     .user_stacks = 99999, .rooted_stacks = 99999,
					     .ustack_copies = 9999999, .ustack_bytes = 999999999,
					     .ustack_throttled = 9999999, .ustack_lost = 99999,
					     .ucount_lost = 99999, .urec_dropped = 99999,
					     .copies_missing = 99999, .unwind_ms = 99999.9 };
	report_finish(r);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(report_write_text(r, f), 0);
	fclose(f);
	for (p = buf; *p; p = nl + 1) {
		size_t c;

		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		c = cols(p, nl - p);
		ck_assert_msg(c <= REPORT_WIDTH, "line of %zu columns: %.*s", c, (int)(nl - p), p);
		if (c > widest)
			widest = c;
		lines++;
	}
	ck_assert_int_gt(lines, 30);
	ck_assert_int_ge(widest, 95); /* the tables use the width */
	/* the user stack copies' losses, wrapped, not cut */
	ck_assert_ptr_nonnull(strstr(buf, "99999 counts without their copy"));
	ck_assert_ptr_nonnull(strstr(buf, "99999 of 99999 (100.0%) reach a root frame"));
	ck_assert_ptr_nonnull(strstr(buf, "FAIL"));
	ck_assert_ptr_nonnull(strstr(buf, "PASS"));
	ck_assert_ptr_nonnull(strstr(buf, "pool-workers/workers=2"));
	/* the failure, wrapped to the width: its words are all there */
	ck_assert_ptr_nonnull(strstr(buf, "error a-very-long-scenario-group-name"));
	ck_assert_ptr_nonnull(strstr(buf, "repetition 2:"));
	ck_assert_ptr_nonnull(strstr(buf, "messages"));
	ck_assert_ptr_nonnull(strstr(buf, "  ex-p99"));
	/* the loss lines keep their last number even with five-digit counts */
	ck_assert_ptr_nonnull(strstr(buf, "99999 unseen switches repaired\n"));
	ck_assert_ptr_nonnull(strstr(buf, "99999 gone\n"));
	free(buf);
	report_free(r);
}
END_TEST

START_TEST(test_json_report)
{
	struct report *r = two_point_report();
	const struct json_value *root, *scen, *m = NULL, *v;
	struct json_err jerr;
	struct json_doc *doc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	add_rep(&r->scen[1], "pool.call", 1, 1000, 1.0, -EIO); /* a failed 4th repetition */
	report_finish(r);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(report_write_json(r, f), 0);
	fclose(f);
	doc = json_parse(buf, len, 0, &jerr);
	ck_assert_msg(doc != NULL, "report.json does not parse: %d:%d %s", jerr.line, jerr.col,
		      jerr.msg);
	root = json_root(doc);
	ck_assert_str_eq(json_get_str(root, "schema", ""), "opscope-report");
	ck_assert_int_eq(json_int(json_get(root, "version")), 1);
	ck_assert_int_eq(json_int(json_path(root, "environment.online_cpus")), 2);
	ck_assert(json_is(json_get(root, "collector"), JSON_NULL));
	scen = json_at(json_get(root, "scenarios"), 1);
	ck_assert_str_eq(json_get_str(scen, "id", ""), "pool-workers/workers=2");
	ck_assert_str_eq(json_get_str(scen, "bench", ""), "BenchmarkPoolCall/workers=2-2");
	ck_assert_str_eq(json_get_str(scen, "status", ""), "error");
	ck_assert_int_eq(json_int(json_path(scen, "sweep.workers")), 2);
	ck_assert_str_eq(json_path(scen, "params_text.payload") ?
			 json_str(json_path(scen, "params_text.payload")) : "", "256");
	for (size_t i = 0; i < json_len(json_get(scen, "metrics")); i++) {
		v = json_at(json_get(scen, "metrics"), i);
		if (strcmp(json_get_str(v, "id", ""), "pool.call/p50_ns") == 0)
			m = v;
	}
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(json_get_str(m, "kind", ""), "latency");
	ck_assert_str_eq(json_get_str(m, "better", ""), "lower");
	ck_assert_str_eq(json_get_str(m, "op", ""), "pool.call");
	ck_assert_int_eq(json_len(json_get(m, "reps")), 4);
	ck_assert(json_is(json_at(json_get(m, "reps"), 3), JSON_NULL));
	ck_assert_int_eq(json_int(json_get(m, "n")), 3);
	ck_assert_double_eq_tol(json_num(json_at(json_get(m, "reps"), 0)), 2000000, 20000);
	v = json_at(json_get(scen, "kinds"), 0);
	ck_assert_int_eq(json_len(json_get(v, "bands")), 5);
	ck_assert_str_eq(json_get_str(json_at(json_get(v, "bands"), 0), "band", ""), "le-p50");
	ck_assert_int_eq(json_int(json_path(v, "exemplars.p50.n")), 1);
	ck_assert_int_eq(json_int(json_path(v, "total.faults")), 3 * 4800);
	v = json_at(json_path(v, "total.blocked_by"), 0);
	ck_assert_str_eq(json_get_str(v, "syscall", ""), "(no syscall)");
	ck_assert_double_eq_tol(json_num(json_path(scen, "scaling.efficiency")), 0.8, 1e-9);
	ck_assert_int_eq(json_len(json_get(root, "targets")), r->ntargets);
	ck_assert_int_eq(json_int(json_path(root, "summary.failed")), 1);
	json_doc_free(doc);
	free(buf);
	report_free(r);
}
END_TEST

static char *jw_run(bool pretty, void (*fn)(struct json_writer *), int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer *jw = jsonw_new(f, pretty);

	fn(jw);
	*rc = jsonw_destroy(jw);
	fclose(f);
	return buf;
}

static void jw_escapes(struct json_writer *jw)
{
	jsonw_start_object(jw);
	jsonw_string_field(jw, "s", "a\"b\\c\n\t\r\x01/\x7f");
	jsonw_string_field(jw, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	jsonw_string_field(jw, "bad", "x\xff" "y\xc0\xaf" "z\xed\xa0\x80" "\xe2\x82");
	jsonw_name(jw, "a");
	jsonw_start_array(jw);
	jsonw_int(jw, -2);
	jsonw_uint(jw, 18446744073709551615ull);
	jsonw_double(jw, 1.5);
	jsonw_double(jw, NAN);
	jsonw_double(jw, INFINITY);
	jsonw_double(jw, 3.0);
	jsonw_bool(jw, true);
	jsonw_null(jw);
	jsonw_string(jw, NULL);
	jsonw_start_object(jw);
	jsonw_end_object(jw);
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void jw_unbalanced(struct json_writer *jw)
{
	jsonw_start_object(jw);
	jsonw_name(jw, "a");
	jsonw_start_array(jw);
	jsonw_end_object(jw);
}

static void jw_value_without_name(struct json_writer *jw)
{
	jsonw_start_object(jw);
	jsonw_int(jw, 1);
	jsonw_end_object(jw);
}

static void jw_two_documents(struct json_writer *jw)
{
	jsonw_start_object(jw);
	jsonw_end_object(jw);
	jsonw_int(jw, 1);
}

START_TEST(test_json_writer)
{
	int rc;
	char *out = jw_run(false, jw_escapes, &rc);

	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out,
		"{\"s\":\"a\\\"b\\\\c\\n\\t\\r\\u0001/\x7f\","
		"\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
		"\"bad\":\"x\\ufffdy\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","
		"\"a\":[-2,18446744073709551615,1.5,null,null,3,true,null,null,{}]}");
	free(out);

	/* the pretty form parses back to the same strings */
	out = jw_run(true, jw_escapes, &rc);
	ck_assert_int_eq(rc, 0);
	{
		struct json_err e;
		struct json_doc *d = json_parse(out, strlen(out), 0, &e);

		ck_assert_msg(d != NULL, "%s", e.msg);
		ck_assert_str_eq(json_get_str(json_root(d), "s", ""), "a\"b\\c\n\t\r\x01/\x7f");
		ck_assert_int_eq(json_len(json_get(json_root(d), "a")), 10);
		json_doc_free(d);
	}
	ck_assert_ptr_nonnull(strstr(out, "\n  \"s\": "));
	free(out);

	free(jw_run(false, jw_unbalanced, &rc));
	ck_assert_int_eq(rc, -EINVAL);
	free(jw_run(false, jw_value_without_name, &rc));
	ck_assert_int_eq(rc, -EINVAL);
	free(jw_run(false, jw_two_documents, &rc));
	ck_assert_int_eq(rc, -EINVAL);
}
END_TEST

START_TEST(test_envinfo)
{
	static const char status[] = "Name:\topscope\nVmPeak:\t  99999 kB\nVmHWM:\t    2048 kB\n"
				     "VmRSS:\t    1024 kB\nThreads:\t1\n";
	static const char cpuinfo[] = "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
				      "model\t\t: 1\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n";
	uint64_t hwm = 0, rss = 0, peak0, peak1, cur;
	struct envinfo e;
	char model[64];
	size_t big = 64 << 20;
	char *p;

	ck_assert_int_eq(envinfo_parse_status(status, &hwm, &rss), 0);
	ck_assert_int_eq(hwm, 2048 * 1024);
	ck_assert_int_eq(rss, 1024 * 1024);
	ck_assert_int_eq(envinfo_parse_status("VmRSS: 1 kB\n", &hwm, &rss), -ENOENT);
	ck_assert_int_eq(envinfo_parse_cpu_model(cpuinfo, model, sizeof(model)), 0);
	ck_assert_str_eq(model, "AMD EPYC 7B13");
	ck_assert_int_eq(envinfo_parse_cpu_model("processor : 0\n", model, sizeof(model)),
			 -ENOENT);

	envinfo_collect(&e);
	ck_assert_int_ge(e.online_cpus, 1);
	ck_assert_int_gt(e.mem_total, 0);
	ck_assert_int_gt(strlen(e.kernel_release), 0);
	ck_assert_int_gt(strlen(e.governor), 0);

	/* the peak follows a 64 MiB touch, and a reset brings it back down */
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 1, big);
	ck_assert_int_eq(envinfo_rss(&peak0, &cur), 0);
	ck_assert_uint_ge(peak0, big);
	munmap(p, big);
	if (envinfo_rss_reset_peak() == 0) {
		ck_assert_int_eq(envinfo_rss(&peak1, &cur), 0);
		ck_assert_msg(peak1 + big / 2 < peak0, "peak %llu after reset, %llu before",
			      (unsigned long long)peak1, (unsigned long long)peak0);
	}
}
END_TEST

/* Benchmark sub-names: the sweep point, prefixed with the group only where two scenarios of
 * one workload would otherwise share a name. */
START_TEST(test_bench_names)
{
	static const char *const want[] = { "a/workers=2", "b/workers=2", "workers=4", "c",
					    "workers=2" };
	struct report *r = report_new();
	struct scenario sc;

	ck_assert_ptr_nonnull(r);
	make_scenario(&sc, &fpool, "a", "workers", "2");
	ck_assert_ptr_nonnull(report_add_scenario(r, &sc));
	make_scenario(&sc, &fpool, "b", "workers", "2");
	ck_assert_ptr_nonnull(report_add_scenario(r, &sc));
	make_scenario(&sc, &fpool, "b", "workers", "4");
	ck_assert_ptr_nonnull(report_add_scenario(r, &sc));
	make_scenario(&sc, &fpool, "c", NULL, NULL);
	ck_assert_ptr_nonnull(report_add_scenario(r, &sc));
	/* another workload may use the same name */
	make_scenario(&sc, &fchan, "d", "capacity", "2");
	snprintf(sc.label, sizeof(sc.label), "workers=2");
	ck_assert_ptr_nonnull(report_add_scenario(r, &sc));
	report_finish(r);
	for (int i = 0; i < 5; i++)
		ck_assert_str_eq(r->scen[i].bench_sub, want[i]);
	report_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_cv_and_scaling);
	tcase_add_test(tc, test_arithmetic);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_bench_names);
	tcase_add_test(tc, test_targets_override);
	tcase_add_test(tc, test_bench_lines);
	tcase_add_test(tc, test_text_width);
	tcase_add_test(tc, test_json_report);
	tcase_add_test(tc, test_json_writer);
	tcase_add_test(tc, test_envinfo);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
