// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Each workload run briefly through wl->run, without a kernel collector: the counts must
 * add up (calls submitted = results, messages sent = received with no loss or
 * duplicate, every stream answered), the error rate must match its setting, max_ops and
 * the stop flag must end a run, and a stuck run must end with a timeout error instead of
 * hanging. Prints "N passed, N failed" last; exits non-zero on a failure.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "stats/opagg.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
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

static void test_param_tables(void)
{
	begin("workload table: names, lookup, parameter index and defaults parse");
	check(wl_find("pool") == &wl_pool && wl_find("channel") == &wl_channel &&
	      wl_find("stream") == &wl_stream && wl_find("nope") == NULL, "wl_find");
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
	test_pool_attribution();
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
