// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Each workload run briefly through wl->run, without a kernel collector: the counts must
 * add up (calls submitted = results, messages sent = received with no loss or
 * duplicate, every stream answered, packets emitted = delivered + dropped), the error
 * and drop rates must match their settings, max_ops and the stop flag must end a run, a
 * stuck run must end with a timeout error instead of hanging, measured peaks stay within
 * their limits (and a test knob breaks one), the leak knob leaks exactly what it should,
 * and worker processes are reaped. Every check holds by construction, beside CPU hogs.
 * Prints "N passed, N failed" last; exits non-zero on a failure.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "stats/opagg.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
#include "workloads/procstat.h"
#include "stats/exemplar.h"
#include "workloads/workload.h"

static int passed, failed, skipped;
static const char *cur;
static bool cur_ok;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	cur_ok = false;
	fprintf(stderr, "  FAIL %s: ", cur);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void begin(const char *name)
{
	cur = name;
	cur_ok = true;
}

static void end(void)
{
	printf("%s %s\n", cur_ok ? "ok  " : "FAIL", cur);
	fflush(stdout);
	if (cur_ok)
		passed++;
	else
		failed++;
}

static uint64_t now_ns(void)
{
	return ops_now_ns();
}

/* Run wl with "k=v" settings; returns run()'s result. */
static int run_wl(const struct workload *wl, const char *const *kv, struct wl_ctl *ctl,
		  struct wl_result *res)
{
	struct wl_config cfg;
	char err[512];
	int rc;

	rc = params_init(&cfg, wl, err, sizeof(err));
	check(rc == 0, "params_init: %s", err);
	for (int i = 0; kv && kv[i]; i++) {
		rc = params_set_kv(&cfg, kv[i], err, sizeof(err));
		check(rc == 0, "%s: %s", kv[i], err);
	}
	memset(res, 0, sizeof(*res));
	return wl->run(&cfg, ctl, res);
}

static void ctl_init(struct wl_ctl *ctl, atomic_ullong *done, volatile int *stop,
		     uint64_t dur_ms)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->warmup_ns = 50000000;
	ctl->duration_ns = dur_ms * 1000000ull;
	ctl->timeout_ns = 10000000000ull;
	ctl->ops_done = done;
	ctl->stop = stop;
}

static void free_res(struct wl_result *res)
{
	for (int k = 0; k < res->nkinds; k++)
		op_agg_free(res->agg[k]);
	ex_set_free(res->ex);
	res->ex = NULL;
}

static int kind_index(const struct wl_result *res, const char *name)
{
	for (int k = 0; k < res->nkinds; k++)
		if (!strcmp(ops_kind_name(res->kind[k]), name))
			return k;
	return -1;
}

/* Common checks: success, the kind exists with ops, ops_done agrees, sane fields. */
static void check_basic(int rc, struct wl_result *res, atomic_ullong *done, const char *kind,
			double dur_s, struct op_summary *s)
{
	int k;
	uint64_t total = 0;

	check(rc == 0, "run returned %d: %s", rc, res->error);
	check(res->error[0] == 0, "error set: %s", res->error);
	k = kind_index(res, kind);
	check(k >= 0, "no op kind %s in the result", kind);
	if (k < 0)
		return;
	op_agg_summarize(res->agg[k], s);
	check(s->count > 0, "no %s ops recorded", kind);
	for (int i = 0; i < res->nkinds; i++) {
		struct op_summary si;

		op_agg_summarize(res->agg[i], &si);
		total += si.count + si.errors;
	}
	check(atomic_load(done) == total, "ops_done %llu but %llu ops recorded",
	      (unsigned long long)atomic_load(done), (unsigned long long)total);
	check(res->elapsed_s >= dur_s * 0.95 && res->elapsed_s < dur_s + 1.0,
	      "elapsed %.3f s for a %.3f s run", res->elapsed_s, dur_s);
	check(s->p50 > 0 && s->p50 <= s->p99 && s->p99 <= s->max, "percentiles out of order: "
	      "p50 %llu p99 %llu max %llu", (unsigned long long)s->p50,
	      (unsigned long long)s->p99, (unsigned long long)s->max);
	check(res->threads > 0, "threads not set");
	printf("     %s: %llu ops, %.0f/s, p50 %.1f us, p99 %.1f us, max %.1f us, "
	       "%.0f B/op, occupancy %.2f\n", kind, (unsigned long long)s->count,
	       res->elapsed_s > 0 ? (double)s->count / res->elapsed_s : 0, s->p50 / 1e3,
	       s->p99 / 1e3, s->max / 1e3,
	       s->count ? (double)res->alloc_bytes / (double)s->count : 0, res->occupancy);
}

static void test_pool_basic(void)
{
	const char *kv[] = { "workers=2", "inflight=16", "callers=2", "payload=1k", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	int rc;

	begin("pool: calls submitted = results, allocation counted, queue time split out");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	check(res.sent > 0 && res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	check(res.sent >= s.count, "recorded %llu calls but only %llu submitted",
	      (unsigned long long)s.count, (unsigned long long)res.sent);
	check(s.errors == 0, "%llu errors with error_rate 0", (unsigned long long)s.errors);
	check(res.threads == 4, "threads %llu, expected 2 workers + 2 callers",
	      (unsigned long long)res.threads);
	/* each call allocates its task (+1 KiB payload) and its result (1 KiB) */
	check(res.allocs >= s.count && res.alloc_bytes >= s.count * 2048,
	      "allocs %llu, bytes %llu for %llu calls", (unsigned long long)res.allocs,
	      (unsigned long long)res.alloc_bytes, (unsigned long long)s.count);
	check(res.allocs <= (s.count + 200) * 3, "allocs %llu for %llu calls: too many",
	      (unsigned long long)res.allocs, (unsigned long long)s.count);
	check(res.occupancy >= 0 && res.occupancy <= 1, "occupancy %f", res.occupancy);
	check(s.total.queued_ns > 0 && s.total.queued_ns < s.total.lat_ns,
	      "queued %llu of latency %llu", (unsigned long long)s.total.queued_ns,
	      (unsigned long long)s.total.lat_ns);
	free_res(&res);
	end();
}

static void test_pool_error_rate(void)
{
	const char *kv[] = { "workers=2", "inflight=8", "error_rate=0.2", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	double rate;
	int rc;

	begin("pool: error_rate=0.2 fails about a fifth of the calls, counted not timed");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	rate = (double)s.errors / (double)(s.count + s.errors);
	check(s.count + s.errors > 1000, "only %llu calls", (unsigned long long)(s.count + s.errors));
	/* binomial: 5 standard deviations of the observed rate, plus a little */
	check(fabs(rate - 0.2) < 5 * sqrt(0.16 / (double)(s.count + s.errors + 1)) + 0.005,
	      "error rate %.4f (%llu of %llu)", rate,
	      (unsigned long long)s.errors, (unsigned long long)(s.count + s.errors));
	check(hist_count(op_agg_hist(res.agg[0])) == s.count, "failed calls were timed");
	check(res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_pool_task_body(void)
{
	const char *kv[] = { "workers=2", "inflight=4", "spin=50us", "alloc=64k",
			     "io=pipe", "payload=64k", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	int rc;

	begin("pool: spin, alloc-and-touch, pipe I/O and large payload in the task body");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	check(s.p50 >= 50000, "p50 %llu ns below the 50 us spin", (unsigned long long)s.p50);
	check(res.alloc_bytes >= s.count * (64 * 1024 * 3), "alloc bytes %llu for %llu calls",
	      (unsigned long long)res.alloc_bytes, (unsigned long long)s.count);
	check(res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_pool_small_queue(void)
{
	/*
	 * The task spins so that the workers, not the callers, are the
	 * bottleneck: with trivial tasks two workers can drain a 4-slot queue
	 * as fast as two callers fill it and the fill level is up to the
	 * scheduler.
	 */
	const char *kv[] = { "workers=2", "inflight=64", "callers=2", "queue=4", "spin=20us",
			     NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	int rc;

	begin("pool: a queue smaller than the calls in flight back-pressures callers");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	check(res.sent > 0 && res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	check(res.occupancy > 0.3, "occupancy %.2f of a 4-slot queue with 64 calls in flight",
	      res.occupancy);
	free_res(&res);
	end();
}

static void test_pool_max_ops(void)
{
	const char *kv[] = { "workers=2", "inflight=20", "callers=2", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	uint64_t t0;
	int rc;

	begin("pool: max_ops=5000 records exactly 5000 calls and stops early");
	ctl_init(&ctl, &done, NULL, 20000);
	ctl.max_ops = 5000;
	ctl.timeout_ns = 30000000000ull;
	t0 = now_ns();
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check(rc == 0, "run returned %d: %s", rc, res.error);
	op_agg_summarize(res.agg[0], &s);
	check(s.count == 5000, "recorded %llu calls", (unsigned long long)s.count);
	check(now_ns() - t0 < 5000000000ull, "took %.1f s", (now_ns() - t0) / 1e9);
	check(res.elapsed_s > 0 && res.elapsed_s < 5, "elapsed %.3f", res.elapsed_s);
	check(atomic_load(&done) == 5000, "ops_done %llu", (unsigned long long)atomic_load(&done));
	check(res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_pool_timeout(void)
{
	const char *kv[] = { "workers=1", "inflight=4", "sleep=300ms", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	uint64_t t0, dt;
	int rc;

	begin("pool: a run over its timeout fails with an error and does not hang");
	ctl_init(&ctl, &done, NULL, 5000);
	ctl.timeout_ns = 400000000ull;
	t0 = now_ns();
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	dt = now_ns() - t0;
	check(rc == -ETIMEDOUT, "returned %d (%s), expected -ETIMEDOUT", rc, res.error);
	check(strstr(res.error, "timeout") != NULL, "error text: '%s'", res.error);
	check(dt < 4000000000ull, "took %.2f s to give up", dt / 1e9);
	free_res(&res);
	end();
}

static void test_stream_timeout(void)
{
	/* 100 requests of 50 ms of server work each: far beyond a 300 ms timeout */
	const char *kv[] = { "streams=100", "conns=1", "clients=1", "server_spin=50ms", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	uint64_t t0, dt;
	int rc;

	begin("stream: a stuck server ends the run with a timeout error, no hang");
	ctl_init(&ctl, &done, NULL, 5000);
	ctl.timeout_ns = 300000000ull;
	t0 = now_ns();
	rc = run_wl(&wl_stream, kv, &ctl, &res);
	dt = now_ns() - t0;
	check(rc == -ETIMEDOUT, "returned %d (%s), expected -ETIMEDOUT", rc, res.error);
	check(strstr(res.error, "timeout") != NULL, "error text: '%s'", res.error);
	check(strstr(res.error, "stuck") == NULL, "a thread was abandoned: '%s'", res.error);
	check(dt < 2000000000ull, "took %.2f s to give up", dt / 1e9);
	free_res(&res);
	end();
}

/*
 * With the kernel collector: a pool call's breakdown is the worker's, handed back with
 * the result. One worker, calls of 300 us CPU spin, two in flight: each call's worker
 * on-CPU time must cover the spin, and worker time + queued time = the latency.
 */
static void test_pool_attribution(void)
{
	const char *kv[] = { "workers=1", "inflight=2", "callers=1", "spin=300us", NULL };
	struct collector_opts opts = { 0 };
	struct collector *col;
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	char err[512];
	double n, on, worker, queued, lat;
	int rc;

	begin("pool with the kernel collector: the worker's breakdown comes back with the call");
	if (geteuid() != 0) {
		printf("SKIP %s: needs root for the kernel collector\n", cur);
		skipped++;
		return;
	}
	col = collector_start(&opts, err, sizeof(err));
	check(col != NULL, "collector_start: %s", err);
	if (!col) {
		end();
		return;
	}
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	collector_stop(col);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	n = (double)s.count;
	on = s.total.on_ns / n;
	worker = (s.total.on_ns + s.total.runq_ns + s.total.blocked_ns) / n;
	queued = s.total.queued_ns / n;
	lat = s.total.lat_ns / n;
	printf("     per call: latency %.1f us = worker %.1f us (on-CPU %.1f) + queued %.1f us\n",
	       lat / 1e3, worker / 1e3, on / 1e3, queued / 1e3);
	/* the spin is calibrated CPU work: about 300 us on-CPU whatever the preemption */
	check(on >= 200000 && on <= 450000, "worker on-CPU %.1f us per call, spin is 300 us",
	      on / 1e3);
	check(queued > 0.3 * lat, "queued %.1f us of %.1f us: the second call in flight waits "
	      "for the only worker", queued / 1e3, lat / 1e3);
	check(fabs(worker + queued - lat) < 0.1 * lat, "worker %.1f + queued %.1f != latency "
	      "%.1f us", worker / 1e3, queued / 1e3, lat / 1e3);
	free_res(&res);
	end();
}

static volatile int stop_flag;

static void *stopper(void *arg)
{
	struct timespec ts = { 0, 150000000 };

	(void)arg;
	nanosleep(&ts, NULL);
	stop_flag = 1;
	return NULL;
}

static void test_stop_flag(void)
{
	const char *kv[] = { "mode=mpmc", "producers=2", "consumers=2", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	pthread_t th;
	uint64_t t0, dt;
	int rc;

	begin("channel: the stop flag ends a long run early and cleanly");
	stop_flag = 0;
	ctl_init(&ctl, &done, &stop_flag, 20000);
	if (pthread_create(&th, NULL, stopper, NULL)) {
		check(false, "cannot start the stopper thread");
		end();
		return;
	}
	t0 = now_ns();
	rc = run_wl(&wl_channel, kv, &ctl, &res);
	dt = now_ns() - t0;
	pthread_join(th, NULL);
	check(rc == 0, "returned %d: %s", rc, res.error);
	check(dt < 2000000000ull, "took %.2f s after stop", dt / 1e9);
	check(res.sent == res.received && res.sent > 0, "sent %llu received %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_channel(const char *name, const char *const *kv, bool pingpong)
{
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s, r;
	struct wl_ctl ctl;
	int rc;

	begin(name);
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_channel, kv, &ctl, &res);
	check_basic(rc, &res, &done, pingpong ? "chan.pingpong" : "chan.send", 0.3, &s);
	check(res.sent > 0 && res.sent == res.received, "sent %llu, received %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	if (!pingpong) {
		int k = kind_index(&res, "chan.recv");

		check(k >= 0, "no chan.recv kind");
		if (k >= 0) {
			op_agg_summarize(res.agg[k], &r);
			check(r.count > 0, "no recv ops recorded");
			/* what is sent in the recorded phase is received, give or take the
			 * phase edges and what sits in the channel */
			check(r.count <= res.received && s.count <= res.sent,
			      "recorded more than moved");
		}
		check(res.occupancy >= 0 && res.occupancy <= 1, "occupancy %f", res.occupancy);
	}
	check(s.errors == 0, "%llu errors", (unsigned long long)s.errors);
	free_res(&res);
	end();
}

static void test_channel_bad_mode(void)
{
	const char *kv[] = { "mode=spsc", "producers=4", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	int rc;

	struct wl_config cfg;
	char err[256];

	begin("channel: mode=spsc with 4 producers is refused with a sentence");
	check(params_init(&cfg, &wl_channel, err, sizeof(err)) == 0, "params_init");
	check(wl_config_check(&cfg, err, sizeof(err)) == 0, "defaults refused: %s", err);
	check(params_set_kv(&cfg, "producers=4", err, sizeof(err)) == 0, "producers=4");
	check(wl_config_check(&cfg, err, sizeof(err)) == -EINVAL, "spsc with 4 producers "
	      "passed the check");
	check(strstr(err, "mode=spsc") != NULL, "check text: '%s'", err);
	check(params_set_kv(&cfg, "mode=mpsc", err, sizeof(err)) == 0, "mode=mpsc");
	check(wl_config_check(&cfg, err, sizeof(err)) == 0, "mpsc 4x1 refused: %s", err);
	check(params_init(&cfg, &wl_pool, err, sizeof(err)) == 0 &&
	      wl_config_check(&cfg, err, sizeof(err)) == 0, "pool defaults refused");
	ctl_init(&ctl, &done, NULL, 100);
	rc = run_wl(&wl_channel, kv, &ctl, &res);
	check(rc == -EINVAL, "returned %d", rc);
	check(strstr(res.error, "producers=1") != NULL, "error text: '%s'", res.error);
	free_res(&res);
	end();
}

static void test_stream(const char *name, const char *const *kv, uint64_t nstreams)
{
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	int rc;

	begin(name);
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_stream, kv, &ctl, &res);
	check_basic(rc, &res, &done, "stream.rt", 0.3, &s);
	check(res.streams_served == nstreams, "%llu of %llu streams served",
	      (unsigned long long)res.streams_served, (unsigned long long)nstreams);
	check(res.sent > 0 && res.sent == res.received, "requests %llu, answers %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	check(s.count >= nstreams, "only %llu round trips for %llu streams",
	      (unsigned long long)s.count, (unsigned long long)nstreams);
	free_res(&res);
	end();
}

/* ---------------------------------------------------------------- pipeline */

static const struct wl_xmetric *xmetric(const struct wl_result *res, const char *name)
{
	for (int i = 0; i < res->f.nx; i++)
		if (!strcmp(res->f.x[i].name, name))
			return &res->f.x[i];
	return NULL;
}

static uint64_t kind_count(const struct wl_result *res, const char *name, struct op_summary *s)
{
	int k = kind_index(res, name);

	memset(s, 0, sizeof(*s));
	if (k < 0)
		return UINT64_MAX;
	op_agg_summarize(res->agg[k], s);
	return s->count;
}

static void test_pipeline_conservation(void)
{
	const char *kv[] = { "stages=4", "workers=2", "drop_rate=0.2", "spin=2us", NULL };
	static const char *const stages[] = { "pipe.s1_parse", "pipe.s2_filter",
					      "pipe.s3_transform", "pipe.s4_aggregate" };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s, st[4];
	const struct wl_xmetric *drops, *ratio;
	struct wl_ctl ctl;
	int rc;

	begin("pipeline: emitted = delivered + dropped; each stage sees what the last passed on");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pipeline, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pipe.packet", 0.3, &s);
	check(res.sent > 0 && res.sent == res.received, "emitted %llu, delivered + dropped %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	for (int k = 0; k < 4; k++)
		check(kind_count(&res, stages[k], &st[k]) != UINT64_MAX, "no kind %s", stages[k]);
	/* recorded packets: all parsed and filtered; the filter's drops go no further; every
	 * packet that reached the aggregate stage is a delivered one */
	check(st[0].count == st[1].count, "parse %llu, filter %llu",
	      (unsigned long long)st[0].count, (unsigned long long)st[1].count);
	check(st[2].count == st[3].count && st[3].count == s.count, "transform %llu, aggregate "
	      "%llu, end to end %llu", (unsigned long long)st[2].count,
	      (unsigned long long)st[3].count, (unsigned long long)s.count);
	drops = xmetric(&res, "drops");
	ratio = xmetric(&res, "drop_ratio");
	check(drops && ratio, "no drops or drop_ratio metric");
	if (drops && ratio) {
		double n = (double)res.sent;

		/* binomial: 5 standard deviations of the observed fraction */
		check(fabs(ratio->value - 0.2) < 5 * sqrt(0.16 / n) + 0.005, "drop ratio %.4f of "
		      "%.0f packets", ratio->value, n);
		check(fabs(drops->value - ratio->value * n) < 0.5, "drops %.0f", drops->value);
		check(st[1].count - st[2].count <= (uint64_t)drops->value, "recorded drops %llu "
		      "beyond all drops %.0f", (unsigned long long)(st[1].count - st[2].count),
		      drops->value);
	}
	check(res.f.inflight.limit == 64 && res.f.inflight.peak >= 1 &&
	      res.f.inflight.peak <= 64, "in flight peak %llu of %llu",
	      (unsigned long long)res.f.inflight.peak, (unsigned long long)res.f.inflight.limit);
	check(res.f.busy.limit == 2 && res.f.busy.peak >= 1 && res.f.busy.peak <= 2,
	      "busy peak %llu of %llu per stage", (unsigned long long)res.f.busy.peak,
	      (unsigned long long)res.f.busy.limit);
	check(xmetric(&res, "s2_occupancy") && xmetric(&res, "s3_backpressure") &&
	      !xmetric(&res, "s4_backpressure") && xmetric(&res, "chan_bytes"),
	      "per-stage metrics missing or a back-pressure for the last stage");
	free_res(&res);
	end();
}

static void test_pipeline_max_ops(void)
{
	const char *kv[] = { "stages=3", "inflight=16", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s, st;
	struct wl_ctl ctl;
	int rc;

	begin("pipeline: max_ops=3000 delivers and records exactly 3000 packets, then stops");
	ctl_init(&ctl, &done, NULL, 0);
	ctl.max_ops = 3000;
	ctl.timeout_ns = 30000000000ull;
	rc = run_wl(&wl_pipeline, kv, &ctl, &res);
	check(rc == 0, "run returned %d: %s", rc, res.error);
	check(kind_count(&res, "pipe.packet", &s) == 3000, "recorded %llu packets",
	      (unsigned long long)s.count);
	check(kind_count(&res, "pipe.s2_filter", &st) == 3000, "filter recorded %llu",
	      (unsigned long long)st.count);
	check(res.f.end == WL_END_MAX_OPS, "ended by %d, not max_ops", res.f.end);
	check(res.sent == res.received, "emitted %llu, delivered %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_pipeline_open_loop(void)
{
	const char *kv[] = { "stages=2", "rate=20000", "capacity=8", "spin=5us", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	int rc;

	begin("pipeline: an offered rate, in flight held by what the channels can hold");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pipeline, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pipe.packet", 0.3, &s);
	/* 2 stages x (8 in the channel + 1 in the worker) + 1 at the source */
	check(res.f.inflight.limit == 19 && res.f.inflight.peak <= 19, "in flight %llu of %llu",
	      (unsigned long long)res.f.inflight.peak, (unsigned long long)res.f.inflight.limit);
	/* at most the offered rate (plus what the warm-up left queued) */
	check(res.sent <= 20000 * (0.05 + 0.3 + 1.0) + 1, "emitted %llu at 20k/s",
	      (unsigned long long)res.sent);
	check(res.sent == res.received, "emitted %llu, delivered %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static bool start_collector(struct collector **col)
{
	struct collector_opts opts = { 0 };
	char err[512];

	if (geteuid() != 0) {
		printf("SKIP %s: needs root for the kernel collector\n", cur);
		skipped++;
		return false;
	}
	*col = collector_start(&opts, err, sizeof(err));
	check(*col != NULL, "collector_start: %s", err);
	if (!*col)
		end();
	return *col != NULL;
}

/*
 * With the kernel collector: a packet's end-to-end breakdown is the sum of its stages'
 * (each the stage worker's own over its work). No drops, so the recorded packets are the
 * same set at every stage: the sums agree to the nanosecond.
 */
static void test_pipeline_attribution(void)
{
	const char *kv[] = { "stages=3", "spin=20us", "inflight=8", NULL };
	static const char *const stages[] = { "pipe.s1_parse", "pipe.s2_filter",
					      "pipe.s3_aggregate" };
	struct op_summary s, st;
	uint64_t on = 0, runq = 0, blocked = 0, sysc = 0, work = 0;
	struct collector *col;
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	int rc;

	begin("pipeline with the kernel collector: end to end = the sum of the stages");
	if (!start_collector(&col))
		return;
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pipeline, kv, &ctl, &res);
	collector_stop(col);
	check_basic(rc, &res, &done, "pipe.packet", 0.3, &s);
	for (int k = 0; k < 3; k++) {
		check(kind_count(&res, stages[k], &st) == s.count, "%s recorded %llu of %llu",
		      stages[k], (unsigned long long)st.count, (unsigned long long)s.count);
		on += st.total.on_ns;
		runq += st.total.runq_ns;
		blocked += st.total.blocked_ns;
		sysc += st.total.syscalls;
		work += st.total.lat_ns - st.total.queued_ns;
	}
	check(s.total.on_ns == on && s.total.runq_ns == runq && s.total.blocked_ns == blocked &&
	      s.total.syscalls == sysc, "end to end on %llu runq %llu blocked %llu syscalls %llu; "
	      "stages %llu %llu %llu %llu", (unsigned long long)s.total.on_ns,
	      (unsigned long long)s.total.runq_ns, (unsigned long long)s.total.blocked_ns,
	      (unsigned long long)s.total.syscalls, (unsigned long long)on,
	      (unsigned long long)runq, (unsigned long long)blocked, (unsigned long long)sysc);
	/* 20 us of calibrated CPU work at each of 3 stages */
	check(on >= s.count * 3 * 15000, "on-CPU %.1f us per packet, 60 us of spin",
	      (double)on / s.count / 1e3);
	check(s.total.queued_ns + work == s.total.lat_ns, "queued %llu + work %llu != latency %llu",
	      (unsigned long long)s.total.queued_ns, (unsigned long long)work,
	      (unsigned long long)s.total.lat_ns);
	free_res(&res);
	end();
}

/* ---------------------------------------------------------------- process pool, limits */

static void test_pool_process(void)
{
	const char *kv[] = { "mode=process", "workers=2", "inflight=4", "spin=50us",
			     "payload=4k", "error_rate=0.1", NULL };
	const struct wl_xmetric *ser, *fb;
	atomic_ullong done = 0;
	struct wl_result res;
	struct op_summary s;
	struct wl_ctl ctl;
	double rate;
	int rc;

	begin("pool mode=process: calls over sockets to forked workers, counted and serialized");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check_basic(rc, &res, &done, "pool.call", 0.3, &s);
	check(res.sent > 0 && res.sent == res.received, "submitted %llu, results %llu",
	      (unsigned long long)res.sent, (unsigned long long)res.received);
	rate = (double)s.errors / (double)(s.count + s.errors);
	check(fabs(rate - 0.1) < 5 * sqrt(0.09 / (double)(s.count + s.errors + 1)) + 0.005,
	      "error rate %.4f", rate);
	check(res.f.kernel_note && strstr(res.f.kernel_note, "not followed"), "no kernel note");
	check(s.total.on_ns == 0 && s.total.queued_ns == 0, "a breakdown where none was "
	      "measured: on %llu queued %llu", (unsigned long long)s.total.on_ns,
	      (unsigned long long)s.total.queued_ns);
	ser = xmetric(&res, "serialize_ns");
	fb = xmetric(&res, "frame_bytes");
	check(ser && ser->value > 0, "no serialization cost");
	/* a call frame (28 + 4096) and a result (32 + 4096, or 32 for a failed call; no
	 * snapshots: this collector does not follow the workers) */
	check(fb && fb->value > 4124 && fb->value <= 28 + 32 + 2 * 4096, "frame bytes %.0f",
	      fb ? fb->value : -1);
	check(res.f.inflight.peak >= 1 && res.f.inflight.peak <= 4 && res.f.inflight.limit == 4,
	      "in flight %llu of %llu", (unsigned long long)res.f.inflight.peak,
	      (unsigned long long)res.f.inflight.limit);
	check(res.f.busy.peak >= 1 && res.f.busy.peak <= 2 && res.f.busy.limit == 2,
	      "busy %llu of %llu", (unsigned long long)res.f.busy.peak,
	      (unsigned long long)res.f.busy.limit);
	/* the workers' 50 us of calibrated work per call is CPU time whatever the load */
	check(res.f.cpu_ns >= s.count * 25000, "CPU %.1f ms for %llu calls of 50 us work",
	      res.f.cpu_ns / 1e6, (unsigned long long)s.count);
	check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a worker process was not "
	      "reaped");
	free_res(&res);
	end();
}

static void test_pool_process_timeout(void)
{
	const char *kv[] = { "mode=process", "workers=1", "inflight=2", "sleep=1s", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	uint64_t t0;
	int rc;

	begin("pool mode=process: a stuck worker process ends in a timeout, and is reaped");
	ctl_init(&ctl, &done, NULL, 5000);
	ctl.timeout_ns = 300000000ull;
	t0 = now_ns();
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check(rc == -ETIMEDOUT, "returned %d (%s)", rc, res.error);
	check(now_ns() - t0 < 5000000000ull, "took %.1f s", (now_ns() - t0) / 1e9);
	check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a worker process was left");
	free_res(&res);
	end();
}

static void test_pool_peaks(void)
{
	const char *ok[] = { "workers=3", "inflight=12", "callers=2", NULL };
	const char *over[] = { "workers=1", "inflight=4", "callers=1", "queue=64",
			       "test_overshoot=3", "sleep=1ms", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	int rc;

	begin("pool: measured peaks stay within inflight and workers; test_overshoot breaks it");
	ctl_init(&ctl, &done, NULL, 200);
	rc = run_wl(&wl_pool, ok, &ctl, &res);
	check(rc == 0, "returned %d: %s", rc, res.error);
	check(res.f.inflight.limit == 12 && res.f.inflight.peak >= 6 &&
	      res.f.inflight.peak <= 12, "in flight %llu of %llu",
	      (unsigned long long)res.f.inflight.peak, (unsigned long long)res.f.inflight.limit);
	check(res.f.busy.limit == 3 && res.f.busy.peak >= 1 && res.f.busy.peak <= 3,
	      "busy %llu of %llu", (unsigned long long)res.f.busy.peak,
	      (unsigned long long)res.f.busy.limit);
	free_res(&res);
	/* one caller submits its window and 3 more before it takes any result */
	atomic_store(&done, 0);
	rc = run_wl(&wl_pool, over, &ctl, &res);
	check(rc == 0, "returned %d: %s", rc, res.error);
	check(res.f.inflight.peak == 7 && res.f.inflight.limit == 4, "in flight %llu of %llu, "
	      "want 7 of 4", (unsigned long long)res.f.inflight.peak,
	      (unsigned long long)res.f.inflight.limit);
	free_res(&res);
	end();
}

/* The leak knob leaks exactly one unit per leak_every recorded tasks: max_ops makes it a
 * count, so the process's descriptors and threads grow by exactly that much. */
static void test_pool_leak_knob(void)
{
	static const char *const kinds[] = { "none", "fd", "thread" };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;

	begin("pool leak knob: fd and thread leaks of exactly max_ops / leak_every, none clean");
	for (int i = 0; i < 3; i++) {
		char leak[32];
		const char *kv[] = { "workers=2", "leak_every=100", leak, NULL };
		struct proc_sample a, b;
		uint64_t want = i ? 20 : 0;
		int rc;

		snprintf(leak, sizeof(leak), "leak=%s", kinds[i]);
		ctl_init(&ctl, &done, NULL, 0);
		ctl.max_ops = 2000;
		ctl.timeout_ns = 30000000000ull;
		procstat_sample(&a);
		rc = run_wl(&wl_pool, kv, &ctl, &res);
		procstat_sample_settled(&b, &a, 1000000000ull);
		check(rc == 0, "%s: returned %d: %s", leak, rc, res.error);
		check(b.fds - a.fds == (i == 1 ? want : 0) &&
		      b.threads - a.threads == (i == 2 ? want : 0), "%s: %lld more fds, %lld more "
		      "threads", leak, (long long)(b.fds - a.fds),
		      (long long)(b.threads - a.threads));
		free_res(&res);
	}
	end();
}

static void test_facts(void)
{
	const char *kv[] = { "workers=2", "inflight=8", NULL };
	atomic_ullong done = 0;
	struct wl_result res;
	struct wl_ctl ctl;
	uint64_t in = 0;
	int rc;

	begin("facts: what ended it, CPU over the recorded phase, throughput windows");
	ctl_init(&ctl, &done, NULL, 300);
	rc = run_wl(&wl_pool, kv, &ctl, &res);
	check(rc == 0, "returned %d: %s", rc, res.error);
	check(res.f.end == WL_END_DURATION, "ended by %d", res.f.end);
	check(res.f.cpu_wall_ns >= 300000000ull && res.f.cpu_ns > 0, "CPU %llu ns over %llu ns",
	      (unsigned long long)res.f.cpu_ns, (unsigned long long)res.f.cpu_wall_ns);
	/* (50 ms + 300 ms) / 40 windows; the warm-up's windows come first */
	check(res.f.win.width_ns == 350000000ull / 40, "window %llu ns",
	      (unsigned long long)res.f.win.width_ns);
	check(res.f.win.warmup_ns >= 50000000ull && res.f.win.rec_first >= 5 &&
	      res.f.win.rec_end > res.f.win.rec_first + 20 && res.f.win.n >= res.f.win.rec_end,
	      "windows %u..%u of %u after %llu ns", res.f.win.rec_first, res.f.win.rec_end,
	      res.f.win.n, (unsigned long long)res.f.win.warmup_ns);
	for (uint32_t i = 0; i < res.f.win.n; i++)
		in += res.f.win.count[i];
	check(in > 0 && in <= res.received, "%llu calls in the windows, %llu completed",
	      (unsigned long long)in, (unsigned long long)res.received);
	free_res(&res);
	end();
}

static void test_param_tables(void)
{
	begin("workload table: names, lookup, parameter index and defaults parse");
	check(wl_find("pool") == &wl_pool && wl_find("channel") == &wl_channel &&
	      wl_find("stream") == &wl_stream && wl_find("pipeline") == &wl_pipeline &&
	      wl_find("nope") == NULL, "wl_find");
	check(wl_param_index(&wl_pool, "inflight") >= 0, "pool has no inflight");
	check(wl_param_index(&wl_channel, "capacity") >= 0, "channel has no capacity");
	check(wl_param_index(&wl_stream, "streams") >= 0, "stream has no streams");
	check(wl_param_index(&wl_stream, "bogus") == -1, "bogus parameter found");
	for (int i = 0; wl_all[i]; i++) {
		struct wl_config cfg;
		char err[512];

		check(params_init(&cfg, wl_all[i], err, sizeof(err)) == 0, "%s: %s",
		      wl_all[i]->name, err);
	}
	end();
}

int main(void)
{
	static const char *const spsc[] = { "mode=spsc", NULL };
	static const char *const spsc_cap1[] = { "mode=spsc", "capacity=1", "spin=0", NULL };
	static const char *const mpmc[] = { "mode=mpmc", "producers=4", "consumers=4",
					    "capacity=10", NULL };
	static const char *const mpsc[] = { "mode=mpsc", "producers=3", "elem_size=256", NULL };
	static const char *const spmc[] = { "mode=spmc", "consumers=3", "capacity=100", NULL };
	static const char *const pp[] = { "mode=mpmc", "producers=2", "consumers=2",
					  "pattern=pingpong", NULL };
	static const char *const st_unix[] = { "streams=100", "conns=4", "clients=2", NULL };
	static const char *const st_tcp[] = { "streams=200", "conns=8", "clients=2",
					      "transport=tcp", "resp_size=16k", NULL };
	static const char *const st_many[] = { "streams=1000", "conns=3", "clients=3",
					       "req_size=0", "resp_size=0", NULL };

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_param_tables();
	test_pool_basic();
	test_pool_error_rate();
	test_pool_task_body();
	test_pool_small_queue();
	test_pool_max_ops();
	test_pool_timeout();
	test_channel("channel: spsc sent = received, nothing lost or duplicated", spsc, false);
	test_channel("channel: spsc capacity 1, no spin (every op may park)", spsc_cap1, false);
	test_channel("channel: mpmc 4x4 capacity 10 conserves messages", mpmc, false);
	test_channel("channel: mpsc 3x1, 256-byte elements", mpsc, false);
	test_channel("channel: spmc 1x3", spmc, false);
	test_channel("channel: pingpong 2 pingers, 2 pongers, answers routed back", pp, true);
	test_channel_bad_mode();
	test_stop_flag();
	test_stream("stream: 100 streams over 4 socketpairs all answered", st_unix, 100);
	test_stream("stream: 200 streams over 8 TCP connections, 16k answers", st_tcp, 200);
	test_stream("stream: 1000 streams over 3 connections, empty payloads", st_many, 1000);
	test_stream_timeout();
	test_pipeline_conservation();
	test_pipeline_max_ops();
	test_pipeline_open_loop();
	test_pool_process();
	test_pool_process_timeout();
	test_pool_peaks();
	test_pool_leak_knob();
	test_facts();
	test_pool_attribution();
	test_pipeline_attribution();
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
