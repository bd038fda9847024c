// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The result of a run: construction, metrics, and the queries its writers use (report_*.c
 * write it; see report.h and docs/REPORT_SCHEMA.md). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report/report.h"
#include "stats/waitfor.h"
#include "kernel/sysnames.h"

/* How long a resource sample waits for joined threads to leave the kernel's count. */
#define SETTLE_NS 1000000000ull

const char *scen_status_name(enum scen_status s)
{
	switch (s) {
	case SCEN_OK: return "ok";
	case SCEN_ERROR: return "error";
	case SCEN_TIMEOUT: return "timeout";
	case SCEN_INTERRUPTED: return "interrupted";
	case SCEN_SKIPPED: return "skipped";
	}
	return "?";
}

/* ---------------------------------------------------------------- construction */

struct report *report_new(void)
{
	struct report *r = calloc(1, sizeof(*r));
	time_t now = time(NULL);
	struct tm tm;

	if (!r)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	run_settings_unset(&r->settings);
	r->kernel = true;
	snprintf(r->suite_name, sizeof(r->suite_name), "cli");
	targets_init(r);
	return r;
}

static void metrics_free(struct scen_result *s)
{
	for (int i = 0; i < s->nmetrics; i++) {
		free(s->metrics[i].v);
		free(s->metrics[i].have);
	}
	free(s->metrics);
	s->metrics = NULL;
	s->nmetrics = 0;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nscen; i++) {
		struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++)
			op_agg_free(s->agg[k]);
		waitfor_free(s->wf);
		free(s->reps);
		metrics_free(s);
	}
	free(r->scen);
	free(r);
}

void report_set_command(struct report *r, int argc, char **argv)
{
	size_t off = (size_t)snprintf(r->command, sizeof(r->command), "opscope");

	for (int i = 0; i < argc && off < sizeof(r->command); i++)
		off += (size_t)snprintf(r->command + off, sizeof(r->command) - off, " %s",
					argv[i]);
}

/* The process's latest sample before the scenario being added (none: not ok). */
static const struct proc_sample *last_sample(const struct report *r)
{
	static const struct proc_sample none;
	const struct scen_result *p = r->nscen > 1 ? &r->scen[r->nscen - 2] : NULL;

	if (p && p->nreps && p->reps[p->nreps - 1].res.ok)
		return &p->reps[p->nreps - 1].res;
	return p ? &p->start : &none;
}

struct scen_result *report_add_scenario(struct report *r, const struct scenario *sc)
{
	struct scen_result *s;

	if (r->nscen == r->cap_scen) {
		int cap = r->cap_scen ? r->cap_scen * 2 : 32;

		s = realloc(r->scen, cap * sizeof(*s));
		if (!s)
			return NULL;
		r->scen = s;
		r->cap_scen = cap;
	}
	s = &r->scen[r->nscen++];
	memset(s, 0, sizeof(*s));
	s->sc = *sc;
	s->status = SCEN_OK;
	s->scale_base = -1;
	s->sample = r->sample_resources;
	/* every repetition's slot made and touched now, so that storing one later neither
	 * allocates nor faults in memory inside the rounds the leak checks measure */
	s->cap_reps = sc->set.reps > 0 ? sc->set.reps : 1;
	s->reps = malloc((size_t)s->cap_reps * sizeof(*s->reps));
	if (!s->reps) {
		r->nscen--;
		return NULL;
	}
	memset(s->reps, 0, (size_t)s->cap_reps * sizeof(*s->reps));
	if (s->sample)
		procstat_sample_settled(&s->start, last_sample(r), SETTLE_NS);
	return s;
}

void kind_name_of(const struct scen_result *s, uint32_t kind, char *buf, size_t len)
{
	const char *n = ops_kind_name(kind);

	if (!n || !*n || strcmp(n, "(none)") == 0)
		snprintf(buf, len, "%s.kind%u", s->sc.wl->name, kind);
	else
		snprintf(buf, len, "%s", n);
}

/* --why: a cross-thread op kind's queued time is a wait of its callers on the threads
 * that run it, an edge of the wait-for graph like the kernel's blocked waits. */
static int queued_edge(struct scen_result *s, int sk, const struct wl_result *res, int k,
		       const struct op_summary *sum)
{
	uint64_t q = 0;

	if (!res->queue_on[k][0])
		return 0;
	snprintf(s->queue_waiter[sk], sizeof(s->queue_waiter[sk]), "%s", res->queue_waiter[k]);
	snprintf(s->queue_on[sk], sizeof(s->queue_on[sk]), "%s", res->queue_on[k]);
	for (int c = 0; c < OPS_W_NR; c++)
		if (c != OPS_W_HANDOFF)
			q += sum->wtotal.q_ns[c];
	if (!sum->wtotal.n)
		return 0;
	if (!s->wf && !(s->wf = waitfor_new()))
		return -ENOMEM;
	return waitfor_add(s->wf, res->queue_waiter[k], res->kind[k], res->queue_on[k],
			   WF_QUEUED, q, sum->wtotal.n);
}

void scen_rep_begin(struct scen_result *s, const struct proc_sample *prev)
{
	size_t own = 0;

	if (!s->sample)
		return;
	procstat_sample_settled(&s->pre_next, prev && prev->ok ? prev : &s->start, SETTLE_NS);
	/* less the scenario's merged histograms, as after the repetition (scen_add_rep) */
	for (int k = 0; k < s->nkinds; k++)
		own += op_agg_bytes(s->agg[k]);
	s->pre_next.heap_bytes -= own < s->pre_next.heap_bytes ? own : s->pre_next.heap_bytes;
}

int scen_add_rep(struct scen_result *s, int rc, struct wl_result *res, uint64_t rss_peak,
		 uint64_t rss_steady, bool timed_out)
{
	struct rep_result *rep;
	int err = 0;

	if (s->nreps == s->cap_reps) {
		int cap = s->cap_reps ? s->cap_reps * 2 : 8;

		rep = realloc(s->reps, cap * sizeof(*rep));
		if (!rep)
			return -ENOMEM;
		s->reps = rep;
		s->cap_reps = cap;
	}
	rep = &s->reps[s->nreps++];
	memset(rep, 0, sizeof(*rep));
	rep->status = rc;
	rep->timed_out = timed_out;
	if (rc && !res->error[0])
		snprintf(res->error, sizeof(res->error), "the workload failed: %s", strerror(-rc));
	snprintf(rep->error, sizeof(rep->error), "%s", rc ? res->error : "");
	rep->elapsed_s = res->elapsed_s;
	rep->alloc_bytes = res->alloc_bytes;
	rep->allocs = res->allocs;
	rep->no_alloc = res->no_alloc;
	rep->threads = res->threads;
	rep->occupancy = res->occupancy;
	rep->streams_served = res->streams_served;
	rep->sent = res->sent;
	rep->received = res->received;
	rep->rss_peak = rss_peak;
	rep->rss_steady = rss_steady;
	rep->nkinds = res->nkinds < WL_MAX_KINDS ? res->nkinds : WL_MAX_KINDS;
	rep->f = res->f;
	if (res->f.kernel_note && !s->kernel_note)
		s->kernel_note = res->f.kernel_note;

	if (rc) {
		if (s->status == SCEN_OK) {
			s->status = timed_out ? SCEN_TIMEOUT : SCEN_ERROR;
			snprintf(s->error, sizeof(s->error), "repetition %d: %.230s", s->nreps,
				 rep->error);
		}
	}
	for (int k = 0; k < rep->nkinds; k++) {
		int sk = -1;

		rep->kind[k] = res->kind[k];
		if (res->agg[k])
			op_agg_summarize(res->agg[k], &rep->sum[k]);
		if (rc || !res->agg[k])
			continue;
		for (int j = 0; j < s->nkinds; j++)
			if (s->kind[j] == res->kind[k])
				sk = j;
		if (sk < 0 && s->nkinds < WL_MAX_KINDS) {
			sk = s->nkinds;
			s->agg[sk] = op_agg_new();
			if (!s->agg[sk]) {
				err = -ENOMEM;
				continue;
			}
			s->kind[sk] = res->kind[k];
			kind_name_of(s, res->kind[k], s->kind_name[sk], sizeof(s->kind_name[sk]));
			s->nkinds++;
		}
		if (sk >= 0) {
			int e = op_agg_merge(s->agg[sk], res->agg[k]);

			if (e)
				err = e;
			e = queued_edge(s, sk, res, k, &rep->sum[k]);
			if (e)
				err = e;
		}
	}
	for (int k = 0; k < WL_MAX_KINDS; k++) {
		op_agg_free(res->agg[k]);
		res->agg[k] = NULL;
	}
	/* the round's end: the repetition's threads joined, its result consumed */
	if (s->sample) {
		size_t own = 0;

		/* the sample before it, when the runner took one (scen_rep_begin) */
		rep->pre = s->pre_next;
		memset(&s->pre_next, 0, sizeof(s->pre_next));
		procstat_sample_settled(&rep->res, rep->pre.ok ? &rep->pre : s->nreps > 1 ?
					&s->reps[s->nreps - 2].res : &s->start, SETTLE_NS);
		/* the scenario's merged histograms grow as it records: the report's, not the
		 * workload's heap */
		for (int k = 0; k < s->nkinds; k++)
			own += op_agg_bytes(s->agg[k]);
		rep->res.heap_bytes -= own < rep->res.heap_bytes ? own : rep->res.heap_bytes;
	}
	return err;
}

/* ---------------------------------------------------------------- queries */

const struct metric *metric_find(const struct scen_result *s, const char *op, const char *name)
{
	for (int i = 0; i < s->nmetrics; i++)
		if (strcmp(s->metrics[i].name, name) == 0 && strcmp(s->metrics[i].op, op) == 0)
			return &s->metrics[i];
	return NULL;
}

bool metric_mean(const struct scen_result *s, const char *op, const char *name, double *v)
{
	const struct metric *m = metric_find(s, op, name);

	if (!m || m->n == 0)
		return false;
	*v = m->mean;
	return true;
}

const char *blk_name(int idx, char *buf, size_t len)
{
	const char *n = sysnames_name(idx);

	if (n)
		return n;
	snprintf(buf, len, "blk%d", idx);
	return buf;
}

/* ---------------------------------------------------------------- metrics */

double scaling_efficiency(double tput_n, double tput_1, int64_t n)
{
	if (n <= 0 || !(tput_1 > 0) || !isfinite(tput_n))
		return NAN;
	return tput_n / ((double)n * tput_1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void metric_aggregate(struct metric *m, int nreps)
{
	double vals[nreps > 0 ? nreps : 1];
	int n = 0;

	for (int i = 0; i < nreps; i++)
		if (m->have[i] && isfinite(m->v[i]))
			vals[n++] = m->v[i];
	m->n = n;
	if (n == 0) {
		m->mean = m->stddev = m->cv = m->median = m->min = m->max = NAN;
		return;
	}
	m->mean = stats_mean(vals, n);
	m->stddev = stats_stddev(vals, n);
	m->cv = m->mean != 0 ? m->stddev / m->mean : 0;
	qsort(vals, n, sizeof(vals[0]), cmp_double);
	m->min = vals[0];
	m->max = vals[n - 1];
	m->median = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}

enum smetric {
	SM_THROUGHPUT, SM_OPS, SM_ERROR_RATE, SM_RSS_PEAK, SM_RSS_STEADY, SM_BYTES_OP,
	SM_ALLOCS_OP, SM_FAULTS_OP, SM_MAP_BYTES_OP, SM_THREADS, SM_OCCUPANCY,
	SM_CPU_CORES, SM_CPU_UTIL, SM_INFLIGHT_PEAK, SM_BUSY_PEAK, SM_WINDOW_CV, SM_STEADY,
	SM_RSS_GROWTH, SM_HEAP_GROWTH, SM_FD_GROWTH, SM_THREAD_GROWTH, SM_NR
};

/* What a metric is, apart from its values: one type for both tables below. */
struct metric_def {
	const char *name, *unit;
	enum metric_kind kind;
	enum metric_better better;
};

static const struct metric_def smetrics[SM_NR] = {
	[SM_THROUGHPUT] = { "throughput", "ops/s", MK_THROUGHPUT, MB_HIGHER },
	[SM_OPS] = { "ops", "ops", MK_INFO, MB_NONE },
	[SM_ERROR_RATE] = { "error_rate", "ratio", MK_ERRORS, MB_LOWER },
	[SM_RSS_PEAK] = { "rss_peak_bytes", "bytes", MK_MEMORY, MB_LOWER },
	[SM_RSS_STEADY] = { "rss_steady_bytes", "bytes", MK_MEMORY, MB_LOWER },
	[SM_BYTES_OP] = { "bytes_per_op", "bytes", MK_MEMORY, MB_LOWER },
	[SM_ALLOCS_OP] = { "allocs_per_op", "allocs", MK_MEMORY, MB_LOWER },
	[SM_FAULTS_OP] = { "faults_per_op", "faults", MK_MEMORY, MB_LOWER },
	[SM_MAP_BYTES_OP] = { "map_bytes_per_op", "bytes", MK_MEMORY, MB_LOWER },
	[SM_THREADS] = { "threads", "threads", MK_INFO, MB_NONE },
	[SM_OCCUPANCY] = { "occupancy", "ratio", MK_INFO, MB_NONE },
	[SM_CPU_CORES] = { "cpu_cores", "cpus", MK_INFO, MB_NONE },
	[SM_CPU_UTIL] = { "cpu_util", "ratio", MK_INFO, MB_NONE },
	[SM_INFLIGHT_PEAK] = { "inflight_peak", "count", MK_INFO, MB_NONE },
	[SM_BUSY_PEAK] = { "busy_peak", "count", MK_INFO, MB_NONE },
	[SM_WINDOW_CV] = { "window_cv", "ratio", MK_INFO, MB_NONE },
	[SM_STEADY] = { "steady_ns", "ns", MK_INFO, MB_NONE },
	[SM_RSS_GROWTH] = { "rss_growth_bytes", "bytes", MK_INFO, MB_NONE },
	[SM_HEAP_GROWTH] = { "heap_growth_bytes", "bytes", MK_INFO, MB_NONE },
	[SM_FD_GROWTH] = { "fd_growth", "count", MK_INFO, MB_NONE },
	[SM_THREAD_GROWTH] = { "thread_growth", "count", MK_INFO, MB_NONE },
};

enum kmetric {
	KM_THROUGHPUT, KM_MEAN, KM_P50, KM_P95, KM_P99, KM_P999, KM_MAX, KM_STDDEV,
	KM_ON, KM_RUNQ, KM_BLOCKED, KM_QUEUED, KM_SYSCALL_NS, KM_STEAL,
	KM_SYSCALLS, KM_VCSW, KM_IVCSW, KM_FAULTS, KM_MIGRATIONS, KM_NR
};

static const struct metric_def kmetrics[KM_NR] = {
	[KM_THROUGHPUT] = { "throughput", "ops/s", MK_THROUGHPUT, MB_HIGHER },
	[KM_MEAN] = { "mean_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_P50] = { "p50_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_P95] = { "p95_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_P99] = { "p99_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_P999] = { "p999_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_MAX] = { "max_ns", "ns", MK_LATENCY, MB_LOWER },
	[KM_STDDEV] = { "stddev_ns", "ns", MK_INFO, MB_NONE },
	[KM_ON] = { "on_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_RUNQ] = { "runq_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_BLOCKED] = { "blocked_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_QUEUED] = { "queued_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_SYSCALL_NS] = { "syscall_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_STEAL] = { "steal_ns", "ns", MK_KERNEL, MB_LOWER },
	[KM_SYSCALLS] = { "syscalls", "count", MK_KERNEL, MB_LOWER },
	[KM_VCSW] = { "vcsw", "count", MK_KERNEL, MB_LOWER },
	[KM_IVCSW] = { "ivcsw", "count", MK_KERNEL, MB_LOWER },
	[KM_FAULTS] = { "faults", "count", MK_KERNEL, MB_LOWER },
	[KM_MIGRATIONS] = { "migrations", "count", MK_KERNEL, MB_LOWER },
};

const char *report_metric_unit(const char *name, bool op_level)
{
	if (op_level) {
		for (int i = 0; i < KM_NR; i++)
			if (!strcmp(kmetrics[i].name, name))
				return kmetrics[i].unit;
		return NULL;
	}
	for (int i = 0; i < SM_NR; i++)
		if (!strcmp(smetrics[i].name, name))
			return smetrics[i].unit;
	return NULL;
}

/* The summary of op kind kind in this repetition, NULL when it has none. */
const struct op_summary *rep_kind(const struct rep_result *rep, uint32_t kind)
{
	for (int k = 0; k < rep->nkinds; k++)
		if (rep->kind[k] == kind)
			return &rep->sum[k];
	return NULL;
}

/* The scenario metrics of the facts a repetition carries beyond its latencies. */
/* The sample a repetition's growth is measured from: the previous one's, or the start. */
/* The process before a repetition: sampled right before it (other scenarios' repetitions
 * may have run since this scenario's previous one), else after the previous one. */
static const struct proc_sample *prev_sample(const struct scen_result *s,
					     const struct rep_result *rep)
{
	long i = rep - s->reps;

	if (rep->pre.ok)
		return &rep->pre;
	return i > 0 ? &s->reps[i - 1].res : i == 0 ? &s->start : NULL;
}

static bool fmetric_value(const struct report *r, const struct scen_result *s,
			  const struct rep_result *rep, enum smetric m, double *v)
{
	const struct wl_facts *f = &rep->f;
	const struct proc_sample *a = &rep->res, *b = prev_sample(s, rep);
	bool proc = a->ok && b && b->ok;

	switch (m) {
	case SM_CPU_CORES:
		*v = (double)f->cpu_ns / (double)f->cpu_wall_ns;
		return f->cpu_wall_ns > 0;
	case SM_CPU_UTIL:
		*v = (double)f->cpu_ns / (double)f->cpu_wall_ns / r->env.online_cpus;
		return f->cpu_wall_ns > 0 && r->env.online_cpus > 0;
	case SM_INFLIGHT_PEAK:
		*v = (double)f->inflight.peak;
		return f->inflight.peak || f->inflight.limit;
	case SM_BUSY_PEAK:
		*v = (double)f->busy.peak;
		return f->busy.peak || f->busy.limit;
	case SM_WINDOW_CV:
		return rep_window_cv(rep, v);
	case SM_STEADY:
		return rep_steady_ns(rep, v);
	case SM_RSS_GROWTH:
		*v = proc ? (double)a->rss_bytes - (double)b->rss_bytes : 0;
		return proc;
	case SM_HEAP_GROWTH:
		*v = proc ? (double)a->heap_bytes - (double)b->heap_bytes : 0;
		return proc;
	case SM_FD_GROWTH:
		*v = proc ? (double)a->fds - (double)b->fds : 0;
		return proc;
	case SM_THREAD_GROWTH:
		*v = proc ? (double)a->threads - (double)b->threads : 0;
		return proc;
	default:
		return false;
	}
}

static bool smetric_value(const struct report *r, const struct scen_result *s,
			  const struct rep_result *rep, enum smetric m, double *v)
{
	const struct op_summary *p = s->nkinds ? rep_kind(rep, s->kind[0]) : NULL;
	double ops = p ? (double)p->count : 0;
	uint64_t errors = 0, count = 0, faults = 0, map_bytes = 0;

	if (rep->status)
		return false;
	for (int k = 0; k < rep->nkinds; k++) {
		errors += rep->sum[k].errors;
		count += rep->sum[k].count;
		faults += rep->sum[k].total.faults;
		map_bytes += rep->sum[k].total.map_bytes;
	}
	switch (m) {
	case SM_THROUGHPUT:
		if (!p || !(rep->elapsed_s > 0))
			return false;
		*v = ops / rep->elapsed_s;
		return true;
	case SM_OPS:
		*v = ops;
		return p != NULL;
	case SM_ERROR_RATE:
		*v = errors + count ? (double)errors / (double)(errors + count) : 0;
		return errors + count > 0;
	case SM_RSS_PEAK:
		*v = (double)rep->rss_peak;
		return rep->rss_peak > 0;
	case SM_RSS_STEADY:
		*v = (double)rep->rss_steady;
		return rep->rss_steady > 0;
	case SM_BYTES_OP:
		*v = (double)rep->alloc_bytes / ops;
		return ops > 0 && !rep->no_alloc;
	case SM_ALLOCS_OP:
		*v = (double)rep->allocs / ops;
		return ops > 0 && !rep->no_alloc;
	case SM_FAULTS_OP:
		*v = (double)faults / ops;
		return r->kernel && !rep->f.kernel_note && ops > 0;
	case SM_MAP_BYTES_OP:
		*v = (double)map_bytes / ops;
		return r->kernel && !rep->f.kernel_note && ops > 0;
	case SM_THREADS:
		*v = (double)rep->threads;
		return true;
	case SM_OCCUPANCY:
		*v = rep->occupancy;
		return rep->occupancy >= 0;
	default:
		return fmetric_value(r, s, rep, m, v);
	}
}

static bool kmetric_value(const struct report *r, const struct rep_result *rep, uint32_t kind,
			  enum kmetric m, double *v)
{
	const struct op_summary *p = rep_kind(rep, kind);
	const struct ops_bd *t;
	double n;

	if (rep->status || !p)
		return false;
	n = (double)p->count;
	t = &p->total;
	switch (m) {
	case KM_THROUGHPUT:
		*v = n / rep->elapsed_s;
		return rep->elapsed_s > 0;
	case KM_MEAN: *v = p->mean; break;
	case KM_P50: *v = (double)p->p50; break;
	case KM_P95: *v = (double)p->p95; break;
	case KM_P99: *v = (double)p->p99; break;
	case KM_P999: *v = (double)p->p999; break;
	case KM_MAX: *v = (double)p->max; break;
	case KM_STDDEV: *v = p->stddev; break;
	case KM_ON: *v = (double)t->on_ns / n; break;
	case KM_RUNQ: *v = (double)t->runq_ns / n; break;
	case KM_BLOCKED: *v = (double)t->blocked_ns / n; break;
	case KM_QUEUED: *v = (double)t->queued_ns / n; break;
	case KM_SYSCALL_NS: *v = (double)t->syscall_ns / n; break;
	case KM_STEAL: *v = (double)t->steal_ns / n; break;
	case KM_SYSCALLS: *v = (double)t->syscalls / n; break;
	case KM_VCSW: *v = (double)t->vcsw / n; break;
	case KM_IVCSW: *v = (double)t->ivcsw / n; break;
	case KM_FAULTS: *v = (double)t->faults / n; break;
	case KM_MIGRATIONS: *v = (double)t->migrations / n; break;
	case KM_NR: return false;
	}
	if (m >= KM_ON && (!r->kernel || rep->f.kernel_note))
		return false;
	return p->count > 0;
}

static struct metric *metric_new(struct scen_result *s, const char *op,
				 const struct metric_def *def)
{
	struct metric *m = &s->metrics[s->nmetrics];
	int n = s->nreps ? s->nreps : 1;

	memset(m, 0, sizeof(*m));
	m->v = calloc(n, sizeof(*m->v));
	m->have = calloc(n, sizeof(*m->have));
	if (!m->v || !m->have) {
		free(m->v);
		free(m->have);
		return NULL;
	}
	snprintf(m->name, sizeof(m->name), "%s", def->name);
	snprintf(m->op, sizeof(m->op), "%s", op);
	snprintf(m->id, sizeof(m->id), "%s%s%s", op, *op ? "/" : "", def->name);
	m->unit = def->unit;
	m->kind = def->kind;
	m->better = def->better;
	s->nmetrics++;
	return m;
}

static const enum metric_kind xkinds[] = {
	[WL_XK_INFO] = MK_INFO, [WL_XK_THROUGHPUT] = MK_THROUGHPUT, [WL_XK_LATENCY] = MK_LATENCY,
	[WL_XK_MEMORY] = MK_MEMORY, [WL_XK_ERRORS] = MK_ERRORS,
};

/* The workload's own metrics: one per name, in the order the repetitions first give them. */
static int scen_xmetrics(struct scen_result *s, int cap)
{
	for (int i = 0; i < s->nreps; i++) {
		const struct wl_facts *f = &s->reps[i].f;

		for (int j = 0; j < f->nx && j < WL_MAX_XMETRICS; j++) {
			const struct wl_xmetric *x = &f->x[j];
			struct metric_def def = { x->name, x->unit, xkinds[x->kind],
						  x->better > 0 ? MB_HIGHER :
						  x->better < 0 ? MB_LOWER : MB_NONE };
			struct metric *m;

			if (metric_find(s, "", x->name) || s->nmetrics == cap)
				continue;
			m = metric_new(s, "", &def);
			if (!m)
				return -ENOMEM;
			m->workload = true;
			for (int k = 0; k < s->nreps; k++) {
				const struct wl_facts *g = &s->reps[k].f;

				for (int l = 0; l < g->nx && !s->reps[k].status; l++) {
					if (strcmp(g->x[l].name, x->name))
						continue;
					m->v[k] = g->x[l].value;
					m->have[k] = true;
				}
			}
			metric_aggregate(m, s->nreps);
		}
	}
	return 0;
}

static int scen_metrics(const struct report *r, struct scen_result *s)
{
	int cap = SM_NR + WL_MAX_KINDS * KM_NR + WL_MAX_XMETRICS;
	struct metric *m;

	metrics_free(s);
	s->metrics = calloc(cap, sizeof(*s->metrics));
	if (!s->metrics)
		return -ENOMEM;
	for (int i = 0; i < SM_NR; i++) {
		m = metric_new(s, "", &smetrics[i]);
		if (!m)
			return -ENOMEM;
		for (int j = 0; j < s->nreps; j++)
			m->have[j] = smetric_value(r, s, &s->reps[j], i, &m->v[j]);
		metric_aggregate(m, s->nreps);
	}
	for (int k = 0; k < s->nkinds; k++) {
		for (int i = 0; i < KM_NR; i++) {
			m = metric_new(s, s->kind_name[k], &kmetrics[i]);
			if (!m)
				return -ENOMEM;
			for (int j = 0; j < s->nreps; j++)
				m->have[j] = kmetric_value(r, &s->reps[j], s->kind[k], i,
							   &m->v[j]);
			metric_aggregate(m, s->nreps);
		}
	}
	return scen_xmetrics(s, cap);
}

/* Same parameters except the one at index skip? */
static bool same_except(const struct scenario *a, const struct scenario *b, int skip)
{
	if (a->wl != b->wl || strcmp(a->group, b->group) != 0)
		return false;
	for (int i = 0; a->wl->params[i].name; i++) {
		if (i == skip)
			continue;
		if (a->cfg.iv[i] != b->cfg.iv[i] || a->cfg.fv[i] != b->cfg.fv[i])
			return false;
	}
	return true;
}

static void scen_scaling(struct report *r, int idx)
{
	static const char *const scale_params[] = { "workers", "producers", "threads", NULL };
	struct scen_result *s = &r->scen[idx];

	s->has_scaling = false;
	s->scale_eff = NAN;
	for (int p = 0; scale_params[p]; p++) {
		int pi = wl_param_index(s->sc.wl, scale_params[p]);
		bool swept = false;

		if (pi < 0)
			continue;
		for (int j = 0; j < s->sc.nswept; j++)
			swept |= s->sc.swept[j] == pi;
		if (!swept)
			continue;
		for (int b = 0; b < r->nscen; b++) {
			const struct scen_result *base = &r->scen[b];
			double tn, t1;

			if (base->sc.cfg.iv[pi] != 1 || !same_except(&s->sc, &base->sc, pi))
				continue;
			s->has_scaling = true;
			snprintf(s->scale_param, sizeof(s->scale_param), "%s", scale_params[p]);
			s->scale_n = s->sc.cfg.iv[pi];
			s->scale_base = b;
			if (metric_mean(s, "", "throughput", &tn) &&
			    metric_mean(base, "", "throughput", &t1))
				s->scale_eff = scaling_efficiency(tn, t1, s->scale_n);
			return;
		}
	}
}

void bench_camel(const char *workload, const char *kind, char *buf, size_t len)
{
	size_t off = 0;
	bool up = true;
	size_t wl = strlen(workload);
	char full[128];

	/* "pool.call" and "chan.send" stay as they are; "call" becomes "pool.call" */
	if ((strncmp(kind, workload, wl) == 0 && kind[wl] == '.') || strchr(kind, '.'))
		snprintf(full, sizeof(full), "%s", kind);
	else
		snprintf(full, sizeof(full), "%s.%s", workload, kind);
	for (const char *p = full; *p && off + 1 < len; p++) {
		unsigned char c = (unsigned char)*p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			up = true;
			continue;
		}
		buf[off++] = up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c;
		up = false;
	}
	buf[off] = '\0';
}

/* A scenario's benchmark sub-name before clashes are resolved: its sweep point or group. */
static const char *bench_base(const struct scenario *sc)
{
	return sc->label[0] ? sc->label : sc->group;
}

static void bench_names(struct report *r)
{
	/* two scenarios of one workload with one name would merge in benchstat */
	for (int i = 0; i < r->nscen; i++) {
		struct scen_result *s = &r->scen[i];
		bool clash = false;

		for (int j = 0; j < r->nscen && !clash; j++)
			clash = j != i && r->scen[j].sc.wl == s->sc.wl &&
				strcmp(bench_base(&s->sc), bench_base(&r->scen[j].sc)) == 0;
		if (clash && s->sc.label[0])
			snprintf(s->bench_sub, sizeof(s->bench_sub), "%s/%s", s->sc.group,
				 s->sc.label);
		else
			snprintf(s->bench_sub, sizeof(s->bench_sub), "%s", bench_base(&s->sc));
	}
}

/* "BenchmarkPoolCall/workers=4-2": the Go benchmark name of op kind k of s. */
void bench_name(const struct report *r, const struct scen_result *s, int k, char *buf,
		size_t len)
{
	char camel[96];

	bench_camel(s->sc.wl->name, s->kind_name[k], camel, sizeof(camel));
	snprintf(buf, len, "Benchmark%s/%s-%d", camel, s->bench_sub, r->env.online_cpus);
}

/* The run's noise: the medians over every repetition of every scenario. */
static int report_noise(struct report *r)
{
	struct rep_noise *all;
	int n = 0, cap = 0;

	for (int i = 0; i < r->nscen; i++)
		cap += r->scen[i].nreps;
	all = calloc(cap ? cap : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (int i = 0; i < r->nscen; i++)
		for (int j = 0; j < r->scen[i].nreps; j++)
			all[n++] = r->scen[i].reps[j].noise;
	noise_summarize(all, n, r->env.online_cpus, &r->noise);
	free(all);
	return 0;
}

int report_finish(struct report *r)
{
	r->scenarios_failed = 0;
	for (int i = 0; i < r->nscen; i++) {
		struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++)
			op_agg_summarize(s->agg[k], &s->sum[k]);
		scen_leaks_fit(s);
		if (scen_metrics(r, s))
			return -ENOMEM;
		if (s->status != SCEN_OK)
			r->scenarios_failed++;
	}
	for (int i = 0; i < r->nscen; i++)
		scen_scaling(r, i);
	/* a 1-worker point is its own base: only worth showing when others refer to it */
	for (int i = 0; i < r->nscen; i++) {
		struct scen_result *s = &r->scen[i];
		bool used = false;

		if (!s->has_scaling || s->scale_base != i)
			continue;
		for (int j = 0; j < r->nscen; j++)
			used |= j != i && r->scen[j].has_scaling && r->scen[j].scale_base == i;
		if (!used) {
			s->has_scaling = false;
			s->scale_eff = NAN;
		}
	}
	bench_names(r);
	targets_evaluate(r);
	return report_noise(r);
}
