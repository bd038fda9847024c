/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Synthetic reports for compare's unit tests (test_compare.c, test_verdict.c): a pool
 * scenario whose repetitions, band breakdowns, parameters, noise, kernel metrics and
 * targets a test sets, written to a temp directory and compared; the command run with
 * its output kept out of the log. Each test binary gets its own copy (static).
 */
#ifndef OPSCOPE_TEST_COMPARE_SYNTH_H
#define OPSCOPE_TEST_COMPARE_SYNTH_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "stats/compare.h"

static char dir[] = "/tmp/test_compare_XXXXXX";

struct synth {
	const char *scenario;
	const char *governor;
	const char *status;    /* NULL: ok */
	int version;
	int n;                 /* repetitions */
	double thr[8];         /* throughput per rep */
	double p99[8];         /* pool.call p99 per rep */
	double rss[8];         /* rss_peak_bytes per rep */
	double band_lat, band_blocked, band_runq, band_on, ivcsw; /* p99-p999 band means */
	double futex;          /* blocked in futex, of band_blocked */
	const char *impl;      /* the scenario's "impl" object as JSON, NULL: none */
	const char *spin;      /* params_text's spin, NULL: none */
	const char *impl_param; /* params_text's impl, NULL: none */
	double runnable;       /* > 0: each repetition's noise, this many tasks not ours */
	double on[8];          /* on[0] > 0: pool.call on_ns per rep (a kernel metric) */
	const char *target;    /* NULL, or the status of one target "t1" */
};

static __attribute__((unused)) void base_synth(struct synth *s)
{
	static const double thr[] = { 10000, 10100, 9900, 10050, 9950, 10020, 9980, 10010 };
	static const double p99[] = { 41000, 40500, 41500, 40800, 41200, 41100, 40900, 41050 };
	static const double rss[] = { 9e6, 9.01e6, 8.99e6, 9e6, 9.02e6, 9e6, 9e6, 9e6 };

	memset(s, 0, sizeof(*s));
	s->scenario = "pool-workers/workers=4";
	s->governor = "performance";
	s->version = 1;
	s->n = 5;
	memcpy(s->thr, thr, sizeof(thr));
	memcpy(s->p99, p99, sizeof(p99));
	memcpy(s->rss, rss, sizeof(rss));
	s->band_lat = 45000;
	s->band_blocked = 30000;
	s->band_runq = 5000;
	s->band_on = 10000;
	s->ivcsw = 0.4;
	s->futex = 29000;
}

static __attribute__((unused)) void reps(FILE *f, const double *v, int n)
{
	fputs("[", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.17g", i ? ", " : "", v[i]);
	fputs("]", f);
}

static __attribute__((unused)) void metric(FILE *f, const char *id, const char *name,
						   const char *op, const char *unit, const char *kind, const char *better, const double *v, int n, bool comma)
{
	fprintf(f, "{\"id\": \"%s\", \"name\": \"%s\", \"op\": %s%s%s, \"unit\": \"%s\", "
		"\"kind\": \"%s\", \"better\": \"%s\", \"reps\": ", id, name, op ? "\"" : "",
		op ? op : "null", op ? "\"" : "", unit, kind, better);
	reps(f, v, n);
	double sorted[8];

	memcpy(sorted, v, (size_t)n * sizeof(double));
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (sorted[j] < sorted[i]) {
				double t = sorted[i];

				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	fprintf(f, ", \"n\": %d, \"median\": %.17g}%s\n", n,
		n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2, comma ? "," : "");
}

static __attribute__((unused)) void breakdown(FILE *f, double lat, double on, double runq,
						      double blocked, double ivcsw, double futex)
{
	fprintf(f, "{\"n\": 1, \"lat_ns\": %g, \"on_ns\": %g, \"runq_ns\": %g, "
		"\"blocked_ns\": %g, \"queued_ns\": 0, \"syscalls\": 2, \"syscall_ns\": %g, "
		"\"vcsw\": 1, \"ivcsw\": %g, \"faults\": 0, \"migrations\": 0, "
		"\"map_calls\": 0, \"map_bytes\": 0, \"unmap_bytes\": 0, \"blocked_by\": "
		"[{\"syscall\": \"futex\", \"ns\": %g}, {\"syscall\": \"(no syscall)\", "
		"\"ns\": %g}]}", lat, on, runq, blocked, blocked, ivcsw, futex, blocked - futex);
}

static __attribute__((unused)) void write_report(const char *path, const struct synth *s)
{
	static const char *const bands[] = { "le-p50", "p50-p90", "p90-p99", "p99-p999",
					     "gt-p999" };
	FILE *f = fopen(path, "w");
	double p50[8];

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < s->n; i++)
		p50[i] = 20000 + 10.0 * i; /* the same in every report */
	fprintf(f, "{\"schema\": \"opscope-report\", \"version\": %d, \"created\": "
		"\"2026-11-24T02:10:00Z\",\n\"environment\": {\"hostname\": \"h\", "
		"\"kernel_release\": \"6.18.0\", \"cpu_model\": \"Test CPU\", \"online_cpus\": 2, "
		"\"governor\": \"%s\"},\n", s->version, s->governor);
	if (s->target)
		fprintf(f, "\"targets\": [{\"name\": \"t1\", \"op\": \"<\", \"threshold\": 1, "
			"\"unit\": \"ns\", \"value\": 2, \"status\": \"%s\"}],\n", s->target);
	fprintf(f, "\"scenarios\": [{\"id\": \"%s\", \"group\": \"pool-workers\", "
		"\"workload\": \"pool\", \"params_text\": {\"workers\": \"4\"%s%s%s%s%s%s}, "
		"%s%s%s\"status\": \"%s\", \"error\": %s, \"reps\": %d,\n\"metrics\": [\n",
		s->scenario, s->spin ? ", \"spin\": \"" : "", s->spin ? s->spin : "",
		s->spin ? "\"" : "", s->impl_param ? ", \"impl\": \"" : "",
		s->impl_param ? s->impl_param : "", s->impl_param ? "\"" : "",
		s->impl ? "\"impl\": " : "", s->impl ? s->impl : "",
		s->impl ? ", " : "", s->status ? s->status : "ok",
		s->status ? "\"repetition 3: timed out after 10 s\"" : "null", s->n);
	if (s->on[0] > 0)
		metric(f, "pool.call/on_ns", "on_ns", "pool.call", "ns", "kernel", "lower", s->on,
		       s->n, true);
	metric(f, "throughput", "throughput", NULL, "ops/s", "throughput", "higher", s->thr,
	       s->n, true);
	metric(f, "rss_peak_bytes", "rss_peak_bytes", NULL, "bytes", "memory", "lower", s->rss,
	       s->n, true);
	metric(f, "threads", "threads", NULL, "threads", "info", "none", s->thr, s->n, true);
	metric(f, "pool.call/p50_ns", "p50_ns", "pool.call", "ns", "latency", "lower", p50,
	       s->n, true);
	metric(f, "pool.call/p99_ns", "p99_ns", "pool.call", "ns", "latency", "lower", s->p99,
	       s->n, true);
	metric(f, "pool.call/runq_ns", "runq_ns", "pool.call", "ns", "kernel", "lower", s->p99,
	       s->n, false);
	/* per-repetition band means, jittered, so compare can test a component over reps */
	fputs("],\n\"repetitions\": [", f);
	for (int r = 0; r < s->n; r++) {
		fprintf(f, "%s{\"rep\": %d, \"status\": \"ok\", ", r ? ", " : "", r);
		if (s->runnable > 0)
			fprintf(f, "\"noise\": {\"other_cpus\": 0.5, \"other_runnable\": %g, "
				"\"steal_pct\": 0, \"load1\": 1}, ", s->runnable + 0.01 * r);
		fputs("\"kinds\": [{\"op\": \"pool.call\", \"bands\": [{\"band\": \"p99-p999\", "
		      "\"ops\": 10, \"mean\": ", f);
		breakdown(f, s->band_lat + 100 * r, s->band_on + 10 * r, s->band_runq - 50 * r,
			  s->band_blocked + 70 * r, s->ivcsw, s->futex + 70 * r);
		fputs("}]}]}", f);
	}
	fputs("],\n\"kinds\": [{\"op\": \"pool.call\", \"count\": 1000, \"total\": ", f);
	breakdown(f, 20000, 8000, 2000, 10000, 0.1, 9000);
	fputs(", \"bands\": [", f);
	for (int b = 0; b < 5; b++) {
		fprintf(f, "%s{\"band\": \"%s\", \"lo_ns\": 0, \"hi_ns\": 0, \"ops\": 10, "
			"\"sum\": null, \"mean\": ", b ? ", " : "", bands[b]);
		if (b == 3)
			breakdown(f, s->band_lat, s->band_on, s->band_runq, s->band_blocked,
				  s->ivcsw, s->futex);
		else
			breakdown(f, 1000.0 * (b + 1), 500, 100, 400, 0.1, 300);
		fputs("}", f);
	}
	fputs("]}]}]}\n", f);
	fclose(f);
}

static __attribute__((unused)) void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Write both reports and compare them with opts. */
static __attribute__((unused)) void run_cmp(const struct synth *a, const struct synth *b,
						    const struct cmp_opts *o, struct cmp_result *res)
{
	struct cmp_report ra, rb;
	char pa[256], pb[256], err[512];

	path_of(pa, sizeof(pa), "base.json");
	path_of(pb, sizeof(pb), "cur.json");
	write_report(pa, a);
	write_report(pb, b);
	ck_assert_msg(cmp_report_load(&ra, pa, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(cmp_report_load(&rb, pb, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(cmp_run(&ra, &rb, o, res, err, sizeof(err)), 0);
	cmp_report_free(&ra);
	cmp_report_free(&rb);
}

static __attribute__((unused)) const struct cmp_row *row(const struct cmp_result *res,
							 const char *metric)
{
	for (int i = 0; i < res->nrows; i++)
		if (!strcmp(res->rows[i].metric, metric))
			return &res->rows[i];
	ck_abort_msg("no row %s", metric);
	return NULL;
}

/* ---- thresholds ---- */

static __attribute__((unused)) int run_command(const char *base, const char *cur, const char *extra)
{
	char *argv[8];
	int argc = 0;
	FILE *saved;
	int rc;

	argv[argc++] = "compare";
	if (extra)
		argv[argc++] = (char *)extra;
	argv[argc++] = (char *)base;
	argv[argc++] = (char *)cur;
	argv[argc] = NULL;
	/* keep the table out of the test log */
	fflush(stdout);
	saved = stdout;
	stdout = fopen("/dev/null", "w");
	rc = cmd_compare(argc, argv);
	fclose(stdout);
	stdout = saved;
	return rc;
}

static __attribute__((unused)) void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static __attribute__((unused)) void setup(void)
{
	if (!mkdtemp(dir))
		ck_abort_msg("mkdtemp failed");
}

static __attribute__((unused)) void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	strcpy(dir, "/tmp/test_compare_XXXXXX");
}

#endif
