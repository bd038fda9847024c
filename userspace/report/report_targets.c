// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Targets: the table of named goals, overrides, and the verdicts at the end of a run.
 * A target's condition is "<", "<=", ">=" or "in" (a range lo..hi, both included). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "report/report.h"
#include "util/fmt.h"
#include "workloads/params.h"


static bool is_wl(const struct scen_result *s, const char *name)
{
	return strcmp(s->sc.wl->name, name) == 0 && s->status == SCEN_OK && s->nkinds > 0;
}

/* The first of several spellings a workload may use for a parameter. */
static bool param_any(const struct scen_result *s, const char *const *names, int64_t *v)
{
	for (; *names; names++)
		if (params_get(&s->sc.cfg, *names, v))
			return true;
	return false;
}

static const char *const payload_names[] = { "payload", "payload_bytes", "size", NULL };
static const char *const worker_names[] = { "workers", "threads", NULL };

static bool tv_pool_p50(const struct report *r, const struct scen_result *s, double *v)
{
	int64_t payload;

	if (!is_wl(s, "pool"))
		return false;
	if (param_any(s, payload_names, &payload) && payload >= 1024)
		return false;
	*v = (double)s->sum[0].p50;
	return s->sum[0].count > 0;
}

/* A pool's worker mode: "thread" when the workload has no such parameter. */
static bool pool_mode(const struct scen_result *s, const char *mode)
{
	const char *m = params_get_enum(&s->sc.cfg, "mode");

	return is_wl(s, "pool") && strcasecmp(m ? m : "thread", mode) == 0;
}

static bool per_worker(const struct scen_result *s, double *v)
{
	int64_t workers;
	double tput;

	if (!param_any(s, worker_names, &workers) || workers <= 0 ||
	    !metric_mean(s, "", "throughput", &tput))
		return false;
	*v = tput / (double)workers;
	return true;
}

static bool tv_pool_per_worker(const struct report *r, const struct scen_result *s, double *v)
{
	return pool_mode(s, "thread") && per_worker(s, v);
}

static bool tv_process_per_worker(const struct report *r, const struct scen_result *s,
				  double *v)
{
	return pool_mode(s, "process") && per_worker(s, v);
}

/* The highest peak / limit over the repetitions that measured one. */
static bool peak_ratio(const struct scen_result *s, bool busy, double *v)
{
	bool any = false;

	if (s->status != SCEN_OK)
		return false;
	for (int i = 0; i < s->nreps; i++) {
		const struct wl_peak *p = busy ? &s->reps[i].f.busy : &s->reps[i].f.inflight;
		double x;

		if (s->reps[i].status || !p->limit)
			continue;
		x = (double)p->peak / (double)p->limit;
		if (!any || x > *v)
			*v = x;
		any = true;
	}
	return any;
}

static bool tv_inflight(const struct report *r, const struct scen_result *s, double *v)
{
	return peak_ratio(s, false, v);
}

static bool tv_busy(const struct report *r, const struct scen_result *s, double *v)
{
	return peak_ratio(s, true, v);
}

static bool leak_lcb(const struct leak_fit *f, double *v)
{
	if (!f->ok)
		return false;
	*v = f->lcb > 0 ? f->lcb : 0;
	return true;
}

/* With --stacks the run's profile takes in every repetition's stacks between the rounds:
 * its counts are per thread, so it keeps growing, and symbolizing them opens (and keeps)
 * the binaries on the stacks. Memory and descriptor growth are then not the workload's
 * alone and are not judged; threads still are. */
static bool tv_leak_rss(const struct report *r, const struct scen_result *s, double *v)
{
	return !r->coll.stacks && leak_lcb(&s->leaks.rss, v);
}

static bool tv_leak_heap(const struct report *r, const struct scen_result *s, double *v)
{
	return !r->coll.stacks && leak_lcb(&s->leaks.heap, v);
}

static bool tv_leak_fds(const struct report *r, const struct scen_result *s, double *v)
{
	return !r->coll.stacks && leak_lcb(&s->leaks.fds, v);
}

static bool tv_leak_threads(const struct report *r, const struct scen_result *s, double *v)
{
	return leak_lcb(&s->leaks.threads, v);
}

static bool tv_resid_fds(const struct report *r, const struct scen_result *s, double *v)
{
	*v = s->leaks.fds.residual;
	return !r->coll.stacks && s->leaks.rounds > 0;
}

static bool tv_resid_threads(const struct report *r, const struct scen_result *s, double *v)
{
	*v = s->leaks.threads.residual;
	return s->leaks.rounds > 0;
}

static bool tv_pool_mem(const struct report *r, const struct scen_result *s, double *v)
{
	return is_wl(s, "pool") && metric_mean(s, "", "bytes_per_op", v);
}

static bool channel_mode(const struct scen_result *s, const char *mode)
{
	const char *m;

	if (!is_wl(s, "channel"))
		return false;
	m = params_get_enum(&s->sc.cfg, "mode");
	return m && strcasecmp(m, mode) == 0;
}

static bool tv_spsc(const struct report *r, const struct scen_result *s, double *v)
{
	return channel_mode(s, "spsc") && metric_mean(s, "", "throughput", v);
}

static bool tv_mpmc(const struct report *r, const struct scen_result *s, double *v)
{
	return channel_mode(s, "mpmc") && metric_mean(s, "", "throughput", v);
}

static bool tv_channel_lat(const struct scen_result *s, bool p99, double *v)
{
	bool any = false;

	if (!is_wl(s, "channel"))
		return false;
	*v = 0;
	for (int k = 0; k < s->nkinds; k++) {
		double x = p99 ? (double)s->sum[k].p99 : s->sum[k].mean;

		if (!s->sum[k].count)
			continue;
		if (!any || x > *v)
			*v = x;
		any = true;
	}
	return any;
}

static bool tv_channel_mean(const struct report *r, const struct scen_result *s, double *v)
{
	return tv_channel_lat(s, false, v);
}

static bool tv_channel_p99(const struct report *r, const struct scen_result *s, double *v)
{
	return tv_channel_lat(s, true, v);
}

static bool tv_streams(const struct report *r, const struct scen_result *s, double *v)
{
	bool any = false;

	if (!is_wl(s, "stream"))
		return false;
	/* the repetition that served the fewest streams */
	for (int i = 0; i < s->nreps; i++) {
		if (s->reps[i].status)
			continue;
		if (!any || (double)s->reps[i].streams_served < *v)
			*v = (double)s->reps[i].streams_served;
		any = true;
	}
	return any;
}

static bool tv_rss(const struct report *r, const struct scen_result *s, double *v)
{
	return s->status == SCEN_OK && metric_mean(s, "", "rss_steady_bytes", v);
}

static bool tv_scaling(const struct report *r, const struct scen_result *s, double *v)
{
	if (!s->has_scaling || s->status != SCEN_OK || s->scale_n <= 1 ||
	    s->scale_n > r->env.online_cpus || !isfinite(s->scale_eff))
		return false;
	*v = s->scale_eff;
	return true;
}

/* New targets go at the end: tests and readers may know the old ones by position. */
static const struct target_def target_defs[REPORT_NTARGETS] = {
	{ "pool-p50", "pool p50 latency for payloads under 1 KiB", "pool.call/p50_ns",
	  TU_DURATION, "<", 1e6, 0, false, tv_pool_p50 },
	{ "pool-calls-per-worker", "pool calls per second per worker thread", "throughput",
	  TU_RATE, ">=", 1000, 0, false, tv_pool_per_worker },
	{ "pool-mem-per-call", "pool memory allocated per call", "bytes_per_op",
	  TU_BYTES, "<", 10240, 0, false, tv_pool_mem },
	{ "spsc-throughput", "SPSC channel messages per second", "throughput",
	  TU_RATE, ">=", 100000, 0, false, tv_spsc },
	{ "mpmc-throughput", "MPMC channel messages per second", "throughput",
	  TU_RATE, ">=", 50000, 0, false, tv_mpmc },
	{ "channel-mean", "channel mean latency, every op kind", "mean_ns",
	  TU_DURATION, "<", 10000, 0, false, tv_channel_mean },
	{ "channel-p99", "channel p99 latency, every op kind", "p99_ns",
	  TU_DURATION, "<", 100000, 0, false, tv_channel_p99 },
	{ "streams-served", "concurrent streams served, every stream answered", "streams_served",
	  TU_COUNT, ">=", 100, 0, true, tv_streams },
	{ "rss-steady", "steady RSS of the process", "rss_steady_bytes",
	  TU_BYTES, "<", 50.0 * 1024 * 1024, 0, false, tv_rss },
	{ "scaling-efficiency", "scaling efficiency up to the online CPUs", "scaling.efficiency",
	  TU_RATIO, ">=", 0.7, 0, false, tv_scaling },
	{ "inflight-limit", "peak calls or packets in flight / the configured limit",
	  "inflight_peak", TU_RATIO, "<=", 1, 0, false, tv_inflight },
	{ "busy-limit", "peak busy workers / the workers there are", "busy_peak",
	  TU_RATIO, "<=", 1, 0, false, tv_busy },
	{ "process-calls-per-worker", "pool calls per second per worker process",
	  "throughput", TU_RATE, "in", 1000, 5000, false, tv_process_per_worker },
	{ "leak-rss", "RSS growth per repetition, 95% lower bound", "leaks.rss_bytes.lcb",
	  TU_BYTES, "<", 1024.0 * 1024, 0, false, tv_leak_rss },
	{ "leak-heap", "malloc'd bytes in use gained per repetition, 95% lower bound",
	  "leaks.heap_bytes.lcb", TU_BYTES, "<", 64 * 1024, 0, false, tv_leak_heap },
	{ "leak-fds", "open descriptors gained per repetition, 95% lower bound",
	  "leaks.fds.lcb", TU_COUNT, "<", 1, 0, false, tv_leak_fds },
	{ "leak-threads", "threads gained per repetition, 95% lower bound",
	  "leaks.threads.lcb", TU_COUNT, "<", 1, 0, false, tv_leak_threads },
	{ "residual-fds", "descriptors left open after the last teardown",
	  "leaks.fds.residual", TU_COUNT, "<", 1, 0, false, tv_resid_fds },
	{ "residual-threads", "threads left running after the last teardown",
	  "leaks.threads.residual", TU_COUNT, "<", 1, 0, false, tv_resid_threads },
};

const char *target_name(const struct target *t)
{
	return t->def->name;
}

void report_target_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < REPORT_NTARGETS && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					target_defs[i].name);
}

/* A number with an optional decimal k/M/G suffix: 100k, 1.5M. */
static int parse_scaled(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double mult = 1;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': mult = 1e3; break;
	case 'M': mult = 1e6; break;
	case 'G': mult = 1e9; break;
	default: break;
	}
	if (mult != 1)
		buf[n - 1] = '\0';
	if (param_parse_float(buf, out))
		return -EINVAL;
	*out *= mult;
	return 0;
}

/* One threshold in the target's unit. 0 or -EINVAL. */
static int parse_threshold(const struct target *t, const char *value, double *v)
{
	int64_t iv;
	int rc;

	switch (t->def->unit) {
	case TU_DURATION:
		rc = param_parse_duration(value, &iv);
		*v = (double)iv;
		break;
	case TU_BYTES:
		rc = param_parse_size(value, &iv);
		*v = (double)iv;
		break;
	default:
		rc = parse_scaled(value, v);
		break;
	}
	return rc || *v < 0 ? -EINVAL : 0;
}

int report_target_set(struct report *r, const char *name, const char *value, char *err,
		      size_t errlen)
{
	struct target *t = NULL;
	char names[1024], lo[64];
	const char *dots;
	double v, hi = 0;
	int rc = 0;

	for (int i = 0; i < REPORT_NTARGETS; i++)
		if (strcmp(r->targets[i].def->name, name) == 0)
			t = &r->targets[i];
	if (!t) {
		report_target_names(names, sizeof(names));
		snprintf(err, errlen, "unknown target '%s'; use one of %s", name, names);
		return -ENOENT;
	}
	if (strcmp(value, "off") == 0) {
		t->enabled = false;
		return 0;
	}
	dots = strstr(value, "..");
	if (strcmp(t->def->op, "in") == 0) {
		/* a range: LO..HI */
		if (!dots || (size_t)(dots - value) >= sizeof(lo)) {
			snprintf(err, errlen, "target %s: '%s' is not a range; write LO..HI, for "
				 "example 1k..5k, or off", name, value);
			return -EINVAL;
		}
		snprintf(lo, sizeof(lo), "%.*s", (int)(dots - value), value);
		rc = parse_threshold(t, lo, &v) || parse_threshold(t, dots + 2, &hi) || hi < v;
	} else {
		rc = dots ? -EINVAL : parse_threshold(t, value, &v);
	}
	if (rc) {
		static const char *const what[] = {
			[TU_DURATION] = "a duration such as 2ms",
			[TU_RATE] = "a rate such as 100k",
			[TU_BYTES] = "a size such as 10k",
			[TU_RATIO] = "a ratio such as 0.7",
			[TU_COUNT] = "a count such as 100",
		};
		snprintf(err, errlen, "target %s: '%s' is not usable; use %s%s, or off", name,
			 value, strcmp(t->def->op, "in") ? "" : "a range LO..HI of ",
			 what[t->def->unit]);
		return -EINVAL;
	}
	t->enabled = true;
	t->threshold = v;
	t->threshold_hi = hi;
	return 0;
}

static bool target_holds(const struct target *t, double v)
{
	if (strcmp(t->def->op, "<") == 0)
		return v < t->threshold;
	if (strcmp(t->def->op, "<=") == 0)
		return v <= t->threshold;
	if (strcmp(t->def->op, "in") == 0)
		return v >= t->threshold && v <= t->threshold_hi;
	return v >= t->threshold;
}

/* How far v is outside a range target's bounds (0 inside). */
static double outside(const struct target *t, double v)
{
	return v < t->threshold ? t->threshold - v : v > t->threshold_hi ? v - t->threshold_hi : 0;
}

/* Is a worse than b for this target? */
static bool target_worse(const struct target *t, double a, double b)
{
	bool lower_is_good = t->def->op[0] == '<';

	if (strcmp(t->def->op, "in") == 0)
		return outside(t, a) > outside(t, b);
	return lower_is_good ? a > b : a < b;
}

void targets_evaluate(struct report *r)
{
	r->targets_failed = 0;
	for (int i = 0; i < REPORT_NTARGETS; i++) {
		struct target *t = &r->targets[i];

		t->status = TGT_NA;
		t->scenario = -1;
		t->value = NAN;
		if (!t->enabled)
			continue;
		for (int j = 0; j < r->nscen; j++) {
			double v;

			if (!t->def->value(r, &r->scen[j], &v) || !isfinite(v))
				continue;
			if (t->scenario < 0 || (t->def->best ? target_worse(t, t->value, v) :
						target_worse(t, v, t->value))) {
				t->value = v;
				t->scenario = j;
			}
		}
		if (t->scenario >= 0) {
			t->status = target_holds(t, t->value) ? TGT_PASS : TGT_FAIL;
			if (t->status == TGT_FAIL)
				r->targets_failed++;
		}
	}
}

void targets_init(struct report *r)
{
	for (int i = 0; i < REPORT_NTARGETS; i++) {
		r->targets[i].def = &target_defs[i];
		r->targets[i].enabled = true;
		r->targets[i].threshold = target_defs[i].def;
		r->targets[i].threshold_hi = target_defs[i].def_hi;
		r->targets[i].scenario = -1;
		r->targets[i].value = NAN;
	}
}

void target_format_value(const struct target *t, double v, char *buf, size_t len)
{
	switch (t->def->unit) {
	case TU_DURATION:
		fmt_ns(v, buf, len);
		break;
	case TU_BYTES:
		fmt_bytes(v, buf, len);
		break;
	case TU_RATE: {
		char n[16];

		fmt_num(v, n, sizeof(n));
		snprintf(buf, len, "%.12s/s", n);
		break;
	}
	case TU_RATIO:
		snprintf(buf, len, "%.2f", v);
		break;
	case TU_COUNT:
		snprintf(buf, len, "%.0f", v);
		break;
	}
}

/* "1.00ms" -> "1ms", "50.0k/s" -> "50k/s", "0.70" -> "0.7": for thresholds. */
static void strip_zeros(char *s)
{
	char *dot = strchr(s, '.'), *end;

	if (!dot)
		return;
	end = dot + 1;
	while (*end >= '0' && *end <= '9')
		end++;
	char *z = end;

	while (z > dot + 1 && z[-1] == '0')
		z--;
	if (z == dot + 1)
		z = dot;
	memmove(z, end, strlen(end) + 1);
}

void target_condition(const struct target *t, char *buf, size_t len)
{
	char th[16], hi[16];

	target_format_value(t, t->threshold, th, sizeof(th));
	strip_zeros(th);
	if (strcmp(t->def->op, "in") == 0) {
		target_format_value(t, t->threshold_hi, hi, sizeof(hi));
		strip_zeros(hi);
		if (strlen(th) > 2 && !strcmp(th + strlen(th) - 2, "/s"))
			th[strlen(th) - 2] = '\0'; /* "in 1k..5k/s" */
		snprintf(buf, len, "in %s..%s", th, hi);
		return;
	}
	snprintf(buf, len, "%s %s", t->def->op, th);
}
