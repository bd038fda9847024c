// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * OpenMetrics export of a report (export_om.h): one metric family at a time, each with
 * its TYPE, UNIT and HELP lines and then every sample, as the format requires; values
 * are the medians over repetitions (the numbers compare and history use).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "report/export_om.h"

void om_label_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* The labels every sample of a run carries. */
struct om_ctx {
	FILE *f;
	const char *machine, *suite;
};

static void family(const struct om_ctx *c, const char *name, const char *unit,
		   const char *help)
{
	fprintf(c->f, "# TYPE %s gauge\n", name);
	if (unit)
		fprintf(c->f, "# UNIT %s %s\n", name, unit);
	fprintf(c->f, "# HELP %s %s\n", name, help);
}

/* name{machine="",suite=""[,k="v"]...} value; extra: NULL-terminated key, value pairs */
static void sample(const struct om_ctx *c, const char *name, double v, const char *const *kv)
{
	if (!isfinite(v))
		return; /* not measured: no sample, rather than NaN on a dashboard */
	fprintf(c->f, "%s{machine=\"", name);
	om_label_escape(c->f, c->machine);
	fputs("\",suite=\"", c->f);
	om_label_escape(c->f, c->suite);
	fputc('"', c->f);
	for (; kv && kv[0]; kv += 2) {
		fprintf(c->f, ",%s=\"", kv[0]);
		om_label_escape(c->f, kv[1] ? kv[1] : "");
		fputc('"', c->f);
	}
	fprintf(c->f, "} %.12g\n", v);
}

static double median_of(const struct json_value *metrics, const char *id)
{
	const struct json_value *m = json_find_by(metrics, "id", id);
	const struct json_value *v = json_get(m, "median");

	return json_is(v, JSON_NUMBER) ? json_num(v) : NAN;
}

/* Every scenario's per-op-kind metric name (as metrics[]) under one family. */
static void per_op(const struct om_ctx *c, const struct json_value *sc, const char *family_name,
		   const char *label, const char *const *names, const char *const *values,
		   double scale)
{
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i);
		const struct json_value *kinds = json_get(s, "kinds");
		const char *sid = json_get_str(s, "id", "?");

		for (size_t k = 0; k < json_len(kinds); k++) {
			const char *op = json_get_str(json_at(kinds, k), "op", "?");

			for (int n = 0; names[n]; n++) {
				char id[160];
				/* without a label the pairs end at the op kind */
				const char *kv[] = { "scenario", sid, "op", op, label,
						     label ? values[n] : NULL, NULL };

				snprintf(id, sizeof(id), "%s/%s", op, names[n]);
				sample(c, family_name, median_of(json_get(s, "metrics"), id) *
				       scale, kv);
			}
		}
	}
}

static void scenarios(const struct om_ctx *c, const struct json_value *sc)
{
	static const char *const lat[] = { "mean_ns", "p50_ns", "p95_ns", "p99_ns", "p999_ns",
					   "max_ns", NULL };
	static const char *const pct[] = { "mean", "p50", "p95", "p99", "p999", "max" };
	static const char *const parts[] = { "on_ns", "runq_ns", "blocked_ns", "queued_ns",
					     "syscall_ns", "steal_ns", NULL };
	static const char *const part_names[] = { "on_cpu", "runq", "blocked", "queued",
						  "syscall", "steal" };
	static const char *const events[] = { "syscalls", "vcsw", "ivcsw", "faults",
					      "migrations", NULL };
	static const char *const tput[] = { "throughput", NULL };
	static const char *const mem[] = { "rss_peak_bytes", "rss_steady_bytes", "bytes_per_op",
					   "map_bytes_per_op", NULL };

	family(c, "opscope_throughput_ops_per_second", NULL,
	       "Operations per second of an op kind (median over repetitions).");
	per_op(c, sc, "opscope_throughput_ops_per_second", NULL, tput, NULL, 1);
	family(c, "opscope_latency_seconds", "seconds",
	       "Latency of an op kind at a percentile (median over repetitions).");
	per_op(c, sc, "opscope_latency_seconds", "percentile", lat, pct, 1e-9);
	family(c, "opscope_op_time_seconds", "seconds",
	       "Kernel breakdown per operation: on-CPU, run-queue wait, blocked, queued, in "
	       "syscalls, stolen (median over repetitions of the per-op mean).");
	per_op(c, sc, "opscope_op_time_seconds", "part", parts, part_names, 1e-9);
	family(c, "opscope_op_events", NULL,
	       "Kernel events per operation: syscalls, voluntary and involuntary switches, "
	       "page faults, migrations.");
	per_op(c, sc, "opscope_op_events", "event", events, events, 1);
	family(c, "opscope_memory_bytes", "bytes",
	       "Memory of a scenario: peak and steady RSS, allocated and mapped bytes per op.");
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i);

		for (int n = 0; mem[n]; n++) {
			const char *kv[] = { "scenario", json_get_str(s, "id", "?"), "what", mem[n],
					     NULL };

			sample(c, "opscope_memory_bytes", median_of(json_get(s, "metrics"),
								    mem[n]), kv);
		}
	}
	family(c, "opscope_error_ratio", "ratio", "Failed operations / all operations.");
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i);
		const char *kv[] = { "scenario", json_get_str(s, "id", "?"), NULL };

		sample(c, "opscope_error_ratio", median_of(json_get(s, "metrics"), "error_rate"),
		       kv);
	}
	family(c, "opscope_scenario_ok", NULL, "1 when the scenario completed, else 0.");
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i);
		const char *kv[] = { "scenario", json_get_str(s, "id", "?"), NULL };

		sample(c, "opscope_scenario_ok", !strcmp(json_get_str(s, "status", ""), "ok"),
		       kv);
	}
}

static void targets(const struct om_ctx *c, const struct json_value *t)
{
	family(c, "opscope_target_pass", NULL,
	       "1 when the target holds, 0 when it fails (no sample: applies to nothing).");
	for (size_t i = 0; i < json_len(t); i++) {
		const struct json_value *x = json_at(t, i);
		const char *st = json_get_str(x, "status", "n/a");
		const char *kv[] = { "target", json_get_str(x, "name", "?"), NULL };

		if (strcmp(st, "n/a"))
			sample(c, "opscope_target_pass", !strcmp(st, "pass"), kv);
	}
	family(c, "opscope_target_value", NULL,
	       "The value a target was held against (seconds for durations, else its unit).");
	for (size_t i = 0; i < json_len(t); i++) {
		const struct json_value *x = json_at(t, i);
		double scale = !strcmp(json_get_str(x, "unit", ""), "ns") ? 1e-9 : 1;
		const char *kv[] = { "target", json_get_str(x, "name", "?"), NULL };

		sample(c, "opscope_target_value", json_get_num(x, "value", NAN) * scale, kv);
	}
}

static void run_facts(const struct om_ctx *c, const struct json_value *root)
{
	const struct json_value *n = json_get(root, "noise");
	const char *created = json_get_str(root, "created", NULL);
	struct tm tm = { 0 };
	double when = NAN;

	if (created && strptime(created, "%Y-%m-%dT%H:%M:%SZ", &tm))
		when = (double)timegm(&tm);
	family(c, "opscope_run_timestamp_seconds", "seconds", "When the run started (Unix time).");
	sample(c, "opscope_run_timestamp_seconds", when, NULL);
	family(c, "opscope_run_duration_seconds", "seconds", "How long the run took.");
	sample(c, "opscope_run_duration_seconds",
	       json_get_num(json_get(root, "summary"), "elapsed_s", NAN), NULL);
	family(c, "opscope_noise_other_cpus", NULL,
	       "CPUs' worth of time other processes used during the repetitions (median).");
	sample(c, "opscope_noise_other_cpus", json_get_num(n, "other_cpus", NAN), NULL);
	family(c, "opscope_noise_other_runnable", NULL,
	       "Runnable tasks not opscope's during the repetitions (median).");
	sample(c, "opscope_noise_other_runnable", json_get_num(n, "other_runnable", NAN), NULL);
	family(c, "opscope_noisy", NULL, "1 when the machine was noisy during the run.");
	if (n)
		sample(c, "opscope_noisy", json_bool(json_get(n, "noisy")), NULL);
}

/* A comparison with the baseline: the verdict and its counts. */
static void compare_facts(const struct om_ctx *c, const struct json_value *cmp)
{
	static const char *const counts[] = { "regressions", "improvements", "shifts",
					      "environment", "not_significant", "failed",
					      "targets_failed", "targets_known", NULL };
	static const char *const outcomes[] = { "OK", "REGRESSION", "NOT COMPARABLE",
						"COULD NOT JUDGE", "TARGET FAILED", NULL };
	const struct json_value *sum = json_get(cmp, "summary");
	const char *out = json_get_str(cmp, "outcome", "");

	family(c, "opscope_compare_outcome", NULL,
	       "1 for the comparison's outcome with the baseline, 0 for the others.");
	for (int i = 0; outcomes[i]; i++) {
		const char *kv[] = { "outcome", outcomes[i], NULL };

		sample(c, "opscope_compare_outcome", !strcmp(out, outcomes[i]), kv);
	}
	family(c, "opscope_compare_rows", NULL,
	       "Rows of the comparison with the baseline, by verdict.");
	for (int i = 0; counts[i]; i++) {
		const char *kv[] = { "verdict", counts[i], NULL };

		sample(c, "opscope_compare_rows", json_get_num(sum, counts[i], NAN), kv);
	}
}

int om_write(FILE *f, const struct json_value *report, const char *machine,
	     const struct json_value *compare)
{
	const struct json_value *env = json_get(report, "environment");
	struct om_ctx c = {
		.f = f,
		.machine = machine ? machine : json_get_str(env, "hostname", "unknown"),
		.suite = json_get_str(json_get(report, "suite"), "name", "unknown"),
	};

	run_facts(&c, report);
	scenarios(&c, json_get(report, "scenarios"));
	targets(&c, json_get(report, "targets"));
	if (compare)
		compare_facts(&c, compare);
	fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}
