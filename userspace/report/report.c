// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The result of a run and its writers; see report.h and docs/REPORT_SCHEMA.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "util/fmt.h"
#include "util/json.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
#include "report/report.h"
#include "kernel/sysnames.h"

/* Columns of a line: UTF-8 continuation bytes take none. */
static size_t columns(const char *s, size_t *cut_at, size_t width)
{
	size_t cols = 0, i;

	*cut_at = strlen(s);
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (cols == width)
			*cut_at = i;
		cols++;
	}
	return cols;
}

/* Print one line, cut to REPORT_WIDTH columns. */
__attribute__((format(printf, 2, 3)))
static void out_line(FILE *f, const char *fmt, ...)
{
	char buf[1024];
	size_t cut;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* trailing blanks are noise in a table */
	for (size_t n = strlen(buf); n && buf[n - 1] == ' '; n--)
		buf[n - 1] = '\0';
	if (columns(buf, &cut, REPORT_WIDTH) > REPORT_WIDTH)
		buf[cut] = '\0';
	fprintf(f, "%s\n", buf);
}

/* Print text wrapped at spaces to REPORT_WIDTH columns, continuation lines indented. */
static void out_wrapped(FILE *f, const char *text, int indent)
{
	const char *p = text;
	int first = 1;

	while (*p) {
		int avail = REPORT_WIDTH - (first ? 0 : indent);
		int n = (int)strlen(p), cut = n;

		if (n > avail) {
			cut = avail;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = avail;
		}
		out_line(f, "%*s%.*s", first ? 0 : indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		first = 0;
	}
}

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

/* ---------------------------------------------------------------- targets */

struct target_def {
	const char *name;
	const char *desc;
	const char *metric; /* the metric it reads, for readers that look it up */
	enum target_unit unit;
	const char *op; /* "<" or ">=" */
	double def;
	bool best;      /* the best value over scenarios counts (else the worst) */
	/* this scenario's value, false when the target does not apply */
	bool (*value)(const struct report *r, const struct scen_result *s, double *v);
};

static const struct metric *metric_find(const struct scen_result *s, const char *op,
					const char *name)
{
	for (int i = 0; i < s->nmetrics; i++)
		if (strcmp(s->metrics[i].name, name) == 0 && strcmp(s->metrics[i].op, op) == 0)
			return &s->metrics[i];
	return NULL;
}

static bool metric_mean(const struct scen_result *s, const char *op, const char *name,
			double *v)
{
	const struct metric *m = metric_find(s, op, name);

	if (!m || m->n == 0)
		return false;
	*v = m->mean;
	return true;
}

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

static bool tv_pool_per_worker(const struct report *r, const struct scen_result *s, double *v)
{
	int64_t workers;
	double tput;

	if (!is_wl(s, "pool") || !param_any(s, worker_names, &workers) || workers <= 0 ||
	    !metric_mean(s, "", "throughput", &tput))
		return false;
	*v = tput / (double)workers;
	return true;
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

static const struct target_def target_defs[REPORT_NTARGETS] = {
	{ "pool-p50", "pool p50 latency for payloads under 1 KiB", "pool.call/p50_ns",
	  TU_DURATION, "<", 1e6, false, tv_pool_p50 },
	{ "pool-calls-per-worker", "pool calls per second per worker", "throughput",
	  TU_RATE, ">=", 1000, false, tv_pool_per_worker },
	{ "pool-mem-per-call", "pool memory allocated per call", "bytes_per_op",
	  TU_BYTES, "<", 10240, false, tv_pool_mem },
	{ "spsc-throughput", "SPSC channel messages per second", "throughput",
	  TU_RATE, ">=", 100000, false, tv_spsc },
	{ "mpmc-throughput", "MPMC channel messages per second", "throughput",
	  TU_RATE, ">=", 50000, false, tv_mpmc },
	{ "channel-mean", "channel mean latency, every op kind", "mean_ns",
	  TU_DURATION, "<", 10000, false, tv_channel_mean },
	{ "channel-p99", "channel p99 latency, every op kind", "p99_ns",
	  TU_DURATION, "<", 100000, false, tv_channel_p99 },
	{ "streams-served", "concurrent streams served, every stream answered", "streams_served",
	  TU_COUNT, ">=", 100, true, tv_streams },
	{ "rss-steady", "steady RSS of the process", "rss_steady_bytes",
	  TU_BYTES, "<", 50.0 * 1024 * 1024, false, tv_rss },
	{ "scaling-efficiency", "scaling efficiency up to the online CPUs", "scaling.efficiency",
	  TU_RATIO, ">=", 0.7, false, tv_scaling },
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

int report_target_set(struct report *r, const char *name, const char *value, char *err,
		      size_t errlen)
{
	struct target *t = NULL;
	char names[512];
	int64_t iv;
	double v;
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
	switch (t->def->unit) {
	case TU_DURATION:
		rc = param_parse_duration(value, &iv);
		v = (double)iv;
		break;
	case TU_BYTES:
		rc = param_parse_size(value, &iv);
		v = (double)iv;
		break;
	default:
		rc = parse_scaled(value, &v);
		break;
	}
	if (rc || v < 0) {
		static const char *const what[] = {
			[TU_DURATION] = "a duration such as 2ms",
			[TU_RATE] = "a rate such as 100k",
			[TU_BYTES] = "a size such as 10k",
			[TU_RATIO] = "a ratio such as 0.7",
			[TU_COUNT] = "a count such as 100",
		};
		snprintf(err, errlen, "target %s: '%s' is not usable; use %s, or off", name, value,
			 what[t->def->unit]);
		return -EINVAL;
	}
	t->enabled = true;
	t->threshold = v;
	return 0;
}

static bool target_holds(const struct target *t, double v)
{
	if (strcmp(t->def->op, "<") == 0)
		return v < t->threshold;
	return v >= t->threshold;
}

/* Is a worse than b for this target? */
static bool target_worse(const struct target *t, double a, double b)
{
	bool lower_is_good = t->def->op[0] == '<';

	return lower_is_good ? a > b : a < b;
}

static void targets_evaluate(struct report *r)
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
	for (int i = 0; i < REPORT_NTARGETS; i++) {
		r->targets[i].def = &target_defs[i];
		r->targets[i].enabled = true;
		r->targets[i].threshold = target_defs[i].def;
		r->targets[i].scenario = -1;
		r->targets[i].value = NAN;
	}
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
	return s;
}

static void kind_name_of(const struct scen_result *s, uint32_t kind, char *buf, size_t len)
{
	const char *n = ops_kind_name(kind);

	if (!n || !*n || strcmp(n, "(none)") == 0)
		snprintf(buf, len, "%s.kind%u", s->sc.wl->name, kind);
	else
		snprintf(buf, len, "%s", n);
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
	rep->threads = res->threads;
	rep->occupancy = res->occupancy;
	rep->streams_served = res->streams_served;
	rep->sent = res->sent;
	rep->received = res->received;
	rep->rss_peak = rss_peak;
	rep->rss_steady = rss_steady;
	rep->nkinds = res->nkinds < WL_MAX_KINDS ? res->nkinds : WL_MAX_KINDS;

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
		}
	}
	for (int k = 0; k < WL_MAX_KINDS; k++) {
		op_agg_free(res->agg[k]);
		res->agg[k] = NULL;
	}
	return err;
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
	SM_ALLOCS_OP, SM_FAULTS_OP, SM_MAP_BYTES_OP, SM_THREADS, SM_OCCUPANCY, SM_NR
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

/* The summary of op kind kind in this repetition, NULL when it has none. */
static const struct op_summary *rep_kind(const struct rep_result *rep, uint32_t kind)
{
	for (int k = 0; k < rep->nkinds; k++)
		if (rep->kind[k] == kind)
			return &rep->sum[k];
	return NULL;
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
		return ops > 0;
	case SM_ALLOCS_OP:
		*v = (double)rep->allocs / ops;
		return ops > 0;
	case SM_FAULTS_OP:
		*v = (double)faults / ops;
		return r->kernel && ops > 0;
	case SM_MAP_BYTES_OP:
		*v = (double)map_bytes / ops;
		return r->kernel && ops > 0;
	case SM_THREADS:
		*v = (double)rep->threads;
		return true;
	case SM_OCCUPANCY:
		*v = rep->occupancy;
		return rep->occupancy >= 0;
	case SM_NR:
		break;
	}
	return false;
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
	if (m >= KM_ON && !r->kernel)
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

static int scen_metrics(const struct report *r, struct scen_result *s)
{
	struct metric *m;

	metrics_free(s);
	s->metrics = calloc(SM_NR + WL_MAX_KINDS * KM_NR, sizeof(*s->metrics));
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
	return 0;
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
static void bench_name(const struct report *r, const struct scen_result *s, int k, char *buf,
		       size_t len)
{
	char camel[96];

	bench_camel(s->sc.wl->name, s->kind_name[k], camel, sizeof(camel));
	snprintf(buf, len, "Benchmark%s/%s-%d", camel, s->bench_sub, r->env.online_cpus);
}

int report_finish(struct report *r)
{
	r->scenarios_failed = 0;
	for (int i = 0; i < r->nscen; i++) {
		struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++)
			op_agg_summarize(s->agg[k], &s->sum[k]);
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
	return 0;
}

/* ---------------------------------------------------------------- JSON */

static const char *const band_names[BAND_NR] = { "le-p50", "p50-p90", "p90-p99", "p99-p999",
						 "gt-p999" };

static const char *kind_str(enum metric_kind k)
{
	static const char *const n[] = { "throughput", "latency", "memory", "errors", "kernel",
					 "info" };
	return n[k];
}

static const char *better_str(enum metric_better b)
{
	return b == MB_HIGHER ? "higher" : b == MB_LOWER ? "lower" : "none";
}

static const char *blk_name(int idx, char *buf, size_t len)
{
	const char *n = sysnames_name(idx);

	if (n)
		return n;
	snprintf(buf, len, "blk%d", idx);
	return buf;
}

/* A breakdown; div > 0 writes means (sums / div), div == 0 the raw sums. */
static void json_bd(struct json_writer *jw, const struct ops_bd *bd, double div)
{
	int order[OPS_BD_BLK], n = 0;
	char nb[32];

#define BD_FIELD(f) do {						\
		if (div > 0)						\
			jsonw_double_field(jw, #f, (double)bd->f / div);	\
		else							\
			jsonw_uint_field(jw, #f, bd->f);		\
	} while (0)

	jsonw_start_object(jw);
	if (div > 0)
		jsonw_uint_field(jw, "n", 1);
	else
		jsonw_uint_field(jw, "n", bd->n);
	BD_FIELD(lat_ns);
	BD_FIELD(on_ns);
	BD_FIELD(runq_ns);
	BD_FIELD(blocked_ns);
	BD_FIELD(queued_ns);
	BD_FIELD(syscalls);
	BD_FIELD(syscall_ns);
	BD_FIELD(vcsw);
	BD_FIELD(ivcsw);
	BD_FIELD(faults);
	BD_FIELD(migrations);
	BD_FIELD(steal_ns);
	BD_FIELD(map_calls);
	BD_FIELD(map_bytes);
	BD_FIELD(unmap_bytes);
#undef BD_FIELD
	for (int i = 0; i < OPS_BD_BLK; i++)
		if (bd->blk_ns[i])
			order[n++] = i;
	/* largest first: insertion sort of at most 16 */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && bd->blk_ns[order[j]] > bd->blk_ns[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	jsonw_name(jw, "blocked_by");
	jsonw_start_array(jw);
	for (int i = 0; i < n; i++) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", blk_name(order[i], nb, sizeof(nb)));
		if (div > 0)
			jsonw_double_field(jw, "ns", (double)bd->blk_ns[order[i]] / div);
		else
			jsonw_uint_field(jw, "ns", bd->blk_ns[order[i]]);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void json_bands(struct json_writer *jw, const struct op_summary *p)
{
	jsonw_start_array(jw);
	for (int b = 0; b < BAND_NR; b++) {
		uint64_t ops = p->band[b].n;

		jsonw_start_object(jw);
		jsonw_string_field(jw, "band", band_names[b]);
		jsonw_uint_field(jw, "lo_ns", b ? p->band_hi[b - 1] : 0);
		jsonw_uint_field(jw, "hi_ns", p->band_hi[b]);
		jsonw_uint_field(jw, "ops", ops);
		jsonw_name(jw, "sum");
		json_bd(jw, &p->band[b], 0);
		jsonw_name(jw, "mean");
		if (ops) {
			json_bd(jw, &p->band[b], (double)ops);
		} else {
			struct ops_bd zero = { 0 };

			json_bd(jw, &zero, 1);
		}
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

static void json_latency(struct json_writer *jw, const struct op_summary *p)
{
	jsonw_uint_field(jw, "count", p->count);
	jsonw_uint_field(jw, "errors", p->errors);
	jsonw_double_field(jw, "mean_ns", p->count ? p->mean : NAN);
	jsonw_double_field(jw, "stddev_ns", p->count ? p->stddev : NAN);
	if (!p->count) {
		static const char *const keys[] = { "min_ns", "p50_ns", "p90_ns", "p95_ns",
						    "p99_ns", "p999_ns", "max_ns" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			jsonw_null_field(jw, keys[i]);
		return;
	}
	jsonw_uint_field(jw, "min_ns", p->min);
	jsonw_uint_field(jw, "p50_ns", p->p50);
	jsonw_uint_field(jw, "p90_ns", p->p90);
	jsonw_uint_field(jw, "p95_ns", p->p95);
	jsonw_uint_field(jw, "p99_ns", p->p99);
	jsonw_uint_field(jw, "p999_ns", p->p999);
	jsonw_uint_field(jw, "max_ns", p->max);
}

static void json_param_value(struct json_writer *jw, const struct wl_param_def *d,
			     const struct wl_config *cfg, int i)
{
	char buf[64];

	switch (d->type) {
	case WL_P_FLOAT:
		jsonw_double(jw, cfg->fv[i]);
		break;
	case WL_P_ENUM:
		param_format_value(d, cfg->iv[i], cfg->fv[i], buf, sizeof(buf));
		jsonw_string(jw, buf);
		break;
	default:
		jsonw_int(jw, cfg->iv[i]);
		break;
	}
}

static void json_metric(struct json_writer *jw, const struct metric *m, int nreps)
{
	jsonw_start_object(jw);
	jsonw_string_field(jw, "id", m->id);
	jsonw_string_field(jw, "name", m->name);
	if (m->op[0])
		jsonw_string_field(jw, "op", m->op);
	else
		jsonw_null_field(jw, "op");
	jsonw_string_field(jw, "unit", m->unit);
	jsonw_string_field(jw, "kind", kind_str(m->kind));
	jsonw_string_field(jw, "better", better_str(m->better));
	jsonw_name(jw, "reps");
	jsonw_start_array(jw);
	for (int i = 0; i < nreps; i++) {
		if (m->have[i])
			jsonw_double(jw, m->v[i]);
		else
			jsonw_null(jw);
	}
	jsonw_end_array(jw);
	jsonw_int_field(jw, "n", m->n);
	jsonw_double_field(jw, "mean", m->mean);
	jsonw_double_field(jw, "stddev", m->stddev);
	jsonw_double_field(jw, "cv", m->cv);
	jsonw_double_field(jw, "median", m->median);
	jsonw_double_field(jw, "min", m->min);
	jsonw_double_field(jw, "max", m->max);
	jsonw_end_object(jw);
}

static void json_rep(struct json_writer *jw, const struct report *r,
		     const struct scen_result *s, int i)
{
	const struct rep_result *rep = &s->reps[i];
	char kn[KIND_NAME_MAX];

	jsonw_start_object(jw);
	jsonw_int_field(jw, "rep", i);
	jsonw_string_field(jw, "status", rep->status == 0 ? "ok" :
			   rep->timed_out ? "timeout" : "error");
	jsonw_string_field(jw, "error", rep->status ? rep->error : NULL);
	jsonw_double_field(jw, "elapsed_s", rep->elapsed_s);
	{
		const struct op_summary *p = s->nkinds ? rep_kind(rep, s->kind[0]) : NULL;
		uint64_t errors = 0;

		for (int k = 0; k < rep->nkinds; k++)
			errors += rep->sum[k].errors;
		jsonw_uint_field(jw, "ops", p ? p->count : 0);
		jsonw_uint_field(jw, "errors", errors);
	}
	jsonw_uint_field(jw, "alloc_bytes", rep->alloc_bytes);
	jsonw_uint_field(jw, "allocs", rep->allocs);
	jsonw_uint_field(jw, "rss_peak_bytes", rep->rss_peak);
	jsonw_uint_field(jw, "rss_steady_bytes", rep->rss_steady);
	jsonw_uint_field(jw, "threads", rep->threads);
	jsonw_double_field(jw, "occupancy", rep->occupancy >= 0 ? rep->occupancy : NAN);
	jsonw_uint_field(jw, "sent", rep->sent);
	jsonw_uint_field(jw, "received", rep->received);
	jsonw_uint_field(jw, "streams_served", rep->streams_served);
	jsonw_name(jw, "kinds");
	jsonw_start_array(jw);
	for (int k = 0; k < rep->nkinds; k++) {
		kind_name_of(s, rep->kind[k], kn, sizeof(kn));
		jsonw_start_object(jw);
		jsonw_string_field(jw, "op", kn);
		json_latency(jw, &rep->sum[k]);
		jsonw_name(jw, "bands");
		if (r->kernel)
			json_bands(jw, &rep->sum[k]);
		else
			jsonw_null(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void json_scenario(struct json_writer *jw, const struct report *r, int idx)
{
	const struct scen_result *s = &r->scen[idx];
	const struct workload *wl = s->sc.wl;
	char buf[64];

	jsonw_start_object(jw);
	jsonw_string_field(jw, "id", s->sc.id);
	jsonw_string_field(jw, "group", s->sc.group);
	jsonw_string_field(jw, "workload", wl->name);
	jsonw_name(jw, "sweep");
	jsonw_start_object(jw);
	for (int j = 0; j < s->sc.nswept; j++) {
		int pi = s->sc.swept[j];

		jsonw_name(jw, wl->params[pi].name);
		json_param_value(jw, &wl->params[pi], &s->sc.cfg, pi);
	}
	jsonw_end_object(jw);
	if (s->nkinds) {
		char name[SCEN_ID_MAX + 200];

		bench_name(r, s, 0, name, sizeof(name));
		jsonw_string_field(jw, "bench", name);
	} else {
		jsonw_null_field(jw, "bench");
	}
	jsonw_name(jw, "params");
	jsonw_start_object(jw);
	for (int i = 0; wl->params[i].name; i++) {
		jsonw_name(jw, wl->params[i].name);
		json_param_value(jw, &wl->params[i], &s->sc.cfg, i);
	}
	jsonw_end_object(jw);
	jsonw_name(jw, "params_text");
	jsonw_start_object(jw);
	for (int i = 0; wl->params[i].name; i++) {
		param_format_value(&wl->params[i], s->sc.cfg.iv[i], s->sc.cfg.fv[i], buf,
				   sizeof(buf));
		jsonw_string_field(jw, wl->params[i].name, buf);
	}
	jsonw_end_object(jw);
	jsonw_int_field(jw, "reps", s->sc.set.reps);
	jsonw_int_field(jw, "warmup_ns", s->sc.set.warmup_ns);
	jsonw_int_field(jw, "duration_ns", s->sc.set.duration_ns);
	jsonw_int_field(jw, "max_ops", s->sc.set.max_ops);
	jsonw_int_field(jw, "timeout_ns", s->sc.set.timeout_ns);
	jsonw_string_field(jw, "status", scen_status_name(s->status));
	jsonw_string_field(jw, "error", s->error[0] ? s->error : NULL);

	jsonw_name(jw, "metrics");
	jsonw_start_array(jw);
	for (int i = 0; i < s->nmetrics; i++)
		json_metric(jw, &s->metrics[i], s->nreps);
	jsonw_end_array(jw);

	jsonw_name(jw, "repetitions");
	jsonw_start_array(jw);
	for (int i = 0; i < s->nreps; i++)
		json_rep(jw, r, s, i);
	jsonw_end_array(jw);

	jsonw_name(jw, "kinds");
	jsonw_start_array(jw);
	for (int k = 0; k < s->nkinds; k++) {
		const struct op_summary *p = &s->sum[k];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "op", s->kind_name[k]);
		json_latency(jw, p);
		if (r->kernel) {
			jsonw_name(jw, "total");
			json_bd(jw, &p->total, 0);
			jsonw_name(jw, "bands");
			json_bands(jw, p);
			jsonw_name(jw, "exemplars");
			jsonw_start_object(jw);
			jsonw_name(jw, "p50");
			if (p->ex_p50.n)
				json_bd(jw, &p->ex_p50, 0);
			else
				jsonw_null(jw);
			jsonw_name(jw, "p99");
			if (p->ex_p99.n)
				json_bd(jw, &p->ex_p99, 0);
			else
				jsonw_null(jw);
			jsonw_end_object(jw);
		} else {
			jsonw_null_field(jw, "total");
			jsonw_null_field(jw, "bands");
			jsonw_null_field(jw, "exemplars");
		}
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);

	jsonw_name(jw, "scaling");
	if (s->has_scaling) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "param", s->scale_param);
		jsonw_int_field(jw, "n", s->scale_n);
		jsonw_string_field(jw, "base", r->scen[s->scale_base].sc.id);
		jsonw_double_field(jw, "efficiency", s->scale_eff);
		jsonw_end_object(jw);
	} else {
		jsonw_null(jw);
	}
	jsonw_end_object(jw);
}

static const char *target_status_str(enum target_status s)
{
	return s == TGT_PASS ? "pass" : s == TGT_FAIL ? "fail" : "n/a";
}

static const char *target_unit_str(enum target_unit u)
{
	static const char *const n[] = { "ns", "ops/s", "bytes", "ratio", "count" };

	return n[u];
}

int report_write_json(const struct report *r, FILE *f)
{
	struct json_writer *jw = jsonw_new(f, true);
	const struct envinfo *e = &r->env;
	int ntargets = 0;

	if (!jw)
		return -ENOMEM;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "schema", REPORT_SCHEMA);
	jsonw_int_field(jw, "version", REPORT_VERSION);
	jsonw_string_field(jw, "opscope_version", OPSCOPE_VERSION);
	jsonw_string_field(jw, "created", r->created);
	jsonw_string_field(jw, "command", r->command);
	jsonw_name(jw, "suite");
	jsonw_start_object(jw);
	jsonw_string_field(jw, "file", r->suite_file[0] ? r->suite_file : NULL);
	jsonw_string_field(jw, "name", r->suite_name);
	jsonw_end_object(jw);

	jsonw_name(jw, "settings");
	jsonw_start_object(jw);
	jsonw_int_field(jw, "reps", r->settings.reps);
	jsonw_int_field(jw, "warmup_ns", r->settings.warmup_ns);
	jsonw_int_field(jw, "duration_ns", r->settings.duration_ns);
	jsonw_int_field(jw, "max_ops", r->settings.max_ops);
	jsonw_int_field(jw, "timeout_ns", r->settings.timeout_ns);
	jsonw_bool_field(jw, "kernel", r->kernel);
	jsonw_bool_field(jw, "quick", r->quick);
	jsonw_end_object(jw);

	jsonw_name(jw, "environment");
	jsonw_start_object(jw);
	jsonw_string_field(jw, "hostname", e->hostname);
	jsonw_string_field(jw, "kernel_release", e->kernel_release);
	jsonw_string_field(jw, "kernel_version", e->kernel_version);
	jsonw_string_field(jw, "arch", e->arch);
	jsonw_string_field(jw, "cpu_model", e->cpu_model);
	jsonw_int_field(jw, "online_cpus", e->online_cpus);
	jsonw_string_field(jw, "governor", e->governor);
	jsonw_uint_field(jw, "mem_total_bytes", e->mem_total);
	jsonw_string_field(jw, "opscope_version", OPSCOPE_VERSION);
	jsonw_end_object(jw);

	jsonw_name(jw, "collector");
	if (r->kernel && r->have_collector) {
		jsonw_start_object(jw);
		jsonw_uint_field(jw, "slots_used", r->coll.slots_used);
		jsonw_uint_field(jw, "slots_full", r->coll.slots_full);
		jsonw_uint_field(jw, "tid_map_full", r->coll.tid_map_full);
		jsonw_uint_field(jw, "late_threads", r->coll.late_threads);
		jsonw_uint_field(jw, "missed_switches", r->coll.missed_switches);
		jsonw_uint_field(jw, "prog_misses", r->coll.prog_misses);
		jsonw_double_field(jw, "load_ms", r->coll.load_ms);
		jsonw_name(jw, "stacks");
		if (r->coll.stacks) {
			jsonw_start_object(jw);
			jsonw_uint_field(jw, "samples", r->coll.samples);
			jsonw_uint_field(jw, "stack_fail", r->coll.stack_fail);
			jsonw_uint_field(jw, "stacks_full", r->coll.stacks_full);
			jsonw_uint_field(jw, "keys_full", r->coll.keys_full);
			jsonw_uint_field(jw, "missing_stacks", r->coll.missing_stacks);
			jsonw_uint_field(jw, "files", r->coll.stack_files);
			jsonw_end_object(jw);
		} else {
			jsonw_null(jw);
		}
		jsonw_name(jw, "bpf_programs");
		if (r->coll.bpf_stats) {
			jsonw_start_array(jw);
			for (int i = 0; i < r->coll.nprogs; i++) {
				jsonw_start_object(jw);
				jsonw_string_field(jw, "name", r->coll.progs[i].name);
				jsonw_uint_field(jw, "runs", r->coll.progs[i].runs);
				jsonw_uint_field(jw, "run_ns", r->coll.progs[i].run_ns);
				jsonw_end_object(jw);
			}
			jsonw_end_array(jw);
		} else {
			jsonw_null(jw);
		}
		jsonw_end_object(jw);
	} else {
		jsonw_null(jw);
	}

	jsonw_name(jw, "scenarios");
	jsonw_start_array(jw);
	for (int i = 0; i < r->nscen; i++)
		json_scenario(jw, r, i);
	jsonw_end_array(jw);

	jsonw_name(jw, "targets");
	jsonw_start_array(jw);
	for (int i = 0; i < REPORT_NTARGETS; i++) {
		const struct target *t = &r->targets[i];

		if (!t->enabled)
			continue;
		ntargets++;
		jsonw_start_object(jw);
		jsonw_string_field(jw, "name", t->def->name);
		jsonw_string_field(jw, "metric", t->def->metric);
		jsonw_string_field(jw, "op", t->def->op);
		jsonw_double_field(jw, "threshold", t->threshold);
		jsonw_string_field(jw, "unit", target_unit_str(t->def->unit));
		jsonw_double_field(jw, "value", t->scenario >= 0 ? t->value : NAN);
		jsonw_string_field(jw, "scenario", t->scenario >= 0 ?
				   r->scen[t->scenario].sc.id : NULL);
		jsonw_string_field(jw, "status", target_status_str(t->status));
		jsonw_string_field(jw, "description", t->def->desc);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);

	jsonw_name(jw, "summary");
	jsonw_start_object(jw);
	jsonw_int_field(jw, "scenarios", r->nscen);
	jsonw_int_field(jw, "failed", r->scenarios_failed);
	jsonw_int_field(jw, "targets", ntargets);
	jsonw_int_field(jw, "targets_failed", r->targets_failed);
	jsonw_bool_field(jw, "interrupted", r->interrupted);
	jsonw_double_field(jw, "elapsed_s", r->elapsed_s);
	jsonw_end_object(jw);
	jsonw_end_object(jw);
	return jsonw_destroy(jw);
}

/* ---------------------------------------------------------------- Go benchmark lines */

int report_write_bench(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;

	fprintf(f, "goos: linux\n");
	fprintf(f, "goarch: %s\n", strcmp(e->arch, "x86_64") == 0 ? "amd64" :
		strcmp(e->arch, "aarch64") == 0 ? "arm64" : e->arch);
	fprintf(f, "pkg: opscope/%s\n", r->suite_name);
	fprintf(f, "cpu: %s\n", e->cpu_model);
	fprintf(f, "opscope: %s\n", OPSCOPE_VERSION);
	fprintf(f, "kernel: %s\n", e->kernel_release);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++) {
			char name[SCEN_ID_MAX + 200];

			bench_name(r, s, k, name, sizeof(name));
			for (int j = 0; j < s->nreps; j++) {
				const struct rep_result *rep = &s->reps[j];
				const struct op_summary *p = rep_kind(rep, s->kind[k]);
				double n;

				if (rep->status || !p || !p->count || !(rep->elapsed_s > 0))
					continue;
				n = (double)p->count;
				fprintf(f, "%s\t%" PRIu64 "\t%.1f ns/op\t%.1f B/op\t%.3f allocs/op",
					name, p->count, rep->elapsed_s * 1e9 / n,
					(double)rep->alloc_bytes / n, (double)rep->allocs / n);
				fprintf(f, "\t%.0f mean-ns/op\t%" PRIu64 " p50-ns/op\t%" PRIu64
					" p95-ns/op\t%" PRIu64 " p99-ns/op\t%" PRIu64 " p999-ns/op",
					p->mean, p->p50, p->p95, p->p99, p->p999);
				if (r->kernel)
					fprintf(f, "\t%.4f faults/op\t%.0f runq-ns/op\t%.0f "
						"blocked-ns/op\t%.0f on-ns/op",
						(double)p->total.faults / n,
						(double)p->total.runq_ns / n,
						(double)p->total.blocked_ns / n,
						(double)p->total.on_ns / n);
				fputc('\n', f);
			}
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* ---------------------------------------------------------------- text */

/* What opscope's programs cost, from the kernel's BPF stats (run --bpf-stats). */
static void text_prog_cost(const struct report *r, FILE *f)
{
	uint64_t total = 0;
	char line[128];
	int len = 0;

	for (int i = 0; i < r->coll.nprogs; i++)
		total += r->coll.progs[i].run_ns;
	/* 100 columns even for a day-long run on 999 CPUs; then ns per run of each */
	out_line(f, "cost: opscope's BPF programs ran %.1f ms in %.1f s, %.2f%% of %d CPU%s "
		 "(BPF stats)", total / 1e6, r->elapsed_s,
		 r->elapsed_s > 0 && r->env.online_cpus > 0 ?
		 100.0 * (double)total / (r->elapsed_s * 1e9 * r->env.online_cpus) : 0.0,
		 r->env.online_cpus, r->env.online_cpus == 1 ? "" : "s");
	for (int i = 0; i < r->coll.nprogs; i++) {
		const char *name = r->coll.progs[i].name;
		char item[64];
		int n;

		if (!r->coll.progs[i].runs)
			continue;
		if (!strncmp(name, "handle_", 7))
			name += 7;
		n = snprintf(item, sizeof(item), "  %s %.0f ns x %" PRIu64, name,
			     (double)r->coll.progs[i].run_ns / (double)r->coll.progs[i].runs,
			     r->coll.progs[i].runs);
		if (len && len + n > 96) {
			out_line(f, "%s", line);
			len = 0;
		}
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%s", item);
	}
	if (len)
		out_line(f, "%s", line);
}

static void text_header(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;
	char w[32], d[32], mem[32];

	fmt_ns((double)r->settings.warmup_ns, w, sizeof(w));
	fmt_ns((double)r->settings.duration_ns, d, sizeof(d));
	fmt_bytes((double)e->mem_total, mem, sizeof(mem));
	out_line(f, "opscope %s: suite %s, %d scenario%s, %d rep%s of %s after %s warm-up%s",
		 OPSCOPE_VERSION, r->suite_name, r->nscen, r->nscen == 1 ? "" : "s",
		 r->settings.reps, r->settings.reps == 1 ? "" : "s", d, w,
		 r->kernel ? "" : ", no kernel breakdown");
	out_line(f, "host %s, kernel %s, %d CPU%s (%s), governor %s, %s RAM", e->hostname,
		 e->kernel_release, e->online_cpus, e->online_cpus == 1 ? "" : "s", e->cpu_model,
		 e->governor, mem);
	if (!r->kernel || !r->have_collector)
		return;
	out_line(f, "collector: %" PRIu64 " thread slots, %" PRIu64 " late threads "
		 "(counted from first sight), loaded in %.0f ms", r->coll.slots_used,
		 r->coll.late_threads, r->coll.load_ms);
	out_line(f, "lost: %" PRIu64 " threads w/o slot, %" PRIu64 " tid map full, %"
		 PRIu64 " skipped runs; %" PRIu64 " unseen switches repaired",
		 r->coll.slots_full, r->coll.tid_map_full, r->coll.prog_misses,
		 r->coll.missed_switches);
	if (r->coll.stacks)
		out_line(f, "stacks: %" PRIu64 " samples; lost: %" PRIu64 " failed walks, %" PRIu64
			 " table full, %" PRIu64 " counts full, %" PRIu64 " gone", r->coll.samples,
			 r->coll.stack_fail, r->coll.stacks_full,
			 r->coll.keys_full, r->coll.missing_stacks);
	if (r->coll.bpf_stats)
		text_prog_cost(r, f);
}

#define T1_FMT "%-28s %9s %6s %7s %7s %7s %7s %7s %7s %6s"

static void text_latency(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Throughput and latency (percentiles over all repetitions; CV: of throughput "
		 "across repetitions)");
	out_line(f, T1_FMT, "SCENARIO / OP", "OPS/S", "CV", "MEAN", "P50", "P95", "P99",
		 "P99.9", "MAX", "ERR%");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		if (s->status == SCEN_OK)
			out_line(f, "%s", s->sc.id);
		else
			out_line(f, "%s  [%s]", s->sc.id, scen_status_name(s->status));
		for (int k = 0; k < s->nkinds; k++) {
			const struct op_summary *p = &s->sum[k];
			const struct metric *tp = metric_find(s, s->kind_name[k], "throughput");
			char op[40], t[16], cv[16], lat[6][16], err[16];
			double errs = p->count + p->errors ?
				100.0 * (double)p->errors / (double)(p->count + p->errors) : 0;

			snprintf(op, sizeof(op), "  %s", s->kind_name[k]);
			fmt_num(tp && tp->n ? tp->mean : NAN, t, sizeof(t));
			if (tp && tp->n > 1)
				snprintf(cv, sizeof(cv), "%.1f%%", 100 * tp->cv);
			else
				snprintf(cv, sizeof(cv), "-");
			fmt_ns(p->count ? p->mean : NAN, lat[0], sizeof(lat[0]));
			fmt_ns(p->count ? (double)p->p50 : NAN, lat[1], sizeof(lat[1]));
			fmt_ns(p->count ? (double)p->p95 : NAN, lat[2], sizeof(lat[2]));
			fmt_ns(p->count ? (double)p->p99 : NAN, lat[3], sizeof(lat[3]));
			fmt_ns(p->count ? (double)p->p999 : NAN, lat[4], sizeof(lat[4]));
			fmt_ns(p->count ? (double)p->max : NAN, lat[5], sizeof(lat[5]));
			snprintf(err, sizeof(err), errs > 0 && errs < 0.1 ? "%.2f" : "%.1f", errs);
			out_line(f, T1_FMT, op, t, cv, lat[0], lat[1], lat[2], lat[3], lat[4],
				 lat[5], err);
		}
	}
}

#define T2_FMT "%-28s %8s %8s %8s %8s %8s %8s %4s %5s %5s"

static void text_resources(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Resources (means over repetitions; per op of the first op kind; SCALE: "
		 "vs the 1-worker point)");
	out_line(f, T2_FMT, "SCENARIO", "RSS-PEAK", "RSS-STDY", "B/OP", "ALLOC/OP", "FLT/OP",
		 "MAPB/OP", "THR", "OCC", "SCALE");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		char c[9][16];
		double v;

		fmt_bytes(metric_mean(s, "", "rss_peak_bytes", &v) ? v : NAN, c[0], 16);
		fmt_bytes(metric_mean(s, "", "rss_steady_bytes", &v) ? v : NAN, c[1], 16);
		fmt_bytes(metric_mean(s, "", "bytes_per_op", &v) ? v : NAN, c[2], 16);
		fmt_num(metric_mean(s, "", "allocs_per_op", &v) ? v : NAN, c[3], 16);
		fmt_num(metric_mean(s, "", "faults_per_op", &v) ? v : NAN, c[4], 16);
		fmt_bytes(metric_mean(s, "", "map_bytes_per_op", &v) ? v : NAN, c[5], 16);
		if (metric_mean(s, "", "threads", &v))
			snprintf(c[6], 16, "%.0f", v);
		else
			snprintf(c[6], 16, "-");
		if (metric_mean(s, "", "occupancy", &v))
			snprintf(c[7], 16, "%.2f", v);
		else
			snprintf(c[7], 16, "-");
		if (s->has_scaling && isfinite(s->scale_eff))
			snprintf(c[8], 16, "%.2f", s->scale_eff);
		else
			snprintf(c[8], 16, "-");
		if (strlen(s->sc.id) > 28) {
			out_line(f, "%s", s->sc.id);
			out_line(f, T2_FMT, "", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
				 c[8]);
		} else {
			out_line(f, T2_FMT, s->sc.id, c[0], c[1], c[2], c[3], c[4], c[5], c[6],
				 c[7], c[8]);
		}
	}
}

#define T3_FMT "  %-8s %7s %7s %7s %7s %7s %-12s %7s %6s %5s %5s %5s"

static void text_bd_row(FILE *f, const char *label, const struct ops_bd *bd, uint64_t ops,
			double div)
{
	char c[11][24], nb[32];
	int top = -1;

	for (int i = 0; i < OPS_BD_BLK; i++)
		if (bd->blk_ns[i] && (top < 0 || bd->blk_ns[i] > bd->blk_ns[top]))
			top = i;
	fmt_num((double)ops, c[0], 24);
	if (div <= 0) {
		for (int i = 1; i < 11; i++)
			snprintf(c[i], 24, "-");
	} else {
		fmt_ns((double)bd->lat_ns / div, c[1], 24);
		fmt_ns((double)bd->on_ns / div, c[2], 24);
		fmt_ns((double)bd->runq_ns / div, c[3], 24);
		fmt_ns((double)bd->blocked_ns / div, c[4], 24);
		snprintf(c[5], 13, "%.12s", top >= 0 ? blk_name(top, nb, sizeof(nb)) : "-");
		fmt_ns((double)bd->queued_ns / div, c[6], 24);
		fmt_num((double)bd->syscalls / div, c[7], 24);
		fmt_num((double)bd->faults / div, c[8], 24);
		fmt_num((double)bd->vcsw / div, c[9], 24);
		fmt_num((double)bd->ivcsw / div, c[10], 24);
	}
	out_line(f, T3_FMT, label, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9],
		 c[10]);
}

static void text_breakdown(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Kernel breakdown per op kind: one real p50 and p99 operation, then the "
		 "mean op of each band");
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++) {
			const struct op_summary *p = &s->sum[k];

			out_line(f, "%s  %s", s->sc.id, s->kind_name[k]);
			out_line(f, T3_FMT, "BAND", "OPS", "LAT", "ON-CPU", "RUNQ", "BLOCKED",
				 "TOP-BLOCK-IN", "QUEUED", "SYSC", "FLT", "VCS", "ICS");
			text_bd_row(f, "ex-p50", &p->ex_p50, p->ex_p50.n, p->ex_p50.n ? 1 : 0);
			text_bd_row(f, "ex-p99", &p->ex_p99, p->ex_p99.n, p->ex_p99.n ? 1 : 0);
			for (int b = 0; b < BAND_NR; b++)
				text_bd_row(f, band_names[b], &p->band[b], p->band[b].n,
					    (double)p->band[b].n);
		}
	}
}

static void fmt_target_value(const struct target *t, double v, char *buf, size_t len)
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

#define T4_FMT "%-22s %-12s %9s  %-6s %s"

static void text_targets(const struct report *r, FILE *f)
{
	fputc('\n', f);
	out_line(f, "Targets (value: the worst scenario the target applies to)");
	out_line(f, T4_FMT, "TARGET", "CONDITION", "VALUE", "RESULT", "SCENARIO");
	for (int i = 0; i < REPORT_NTARGETS; i++) {
		const struct target *t = &r->targets[i];
		char cond[32], th[16], v[16];

		if (!t->enabled)
			continue;
		fmt_target_value(t, t->threshold, th, sizeof(th));
		strip_zeros(th);
		snprintf(cond, sizeof(cond), "%s %s", t->def->op, th);
		if (t->scenario >= 0)
			fmt_target_value(t, t->value, v, sizeof(v));
		else
			snprintf(v, sizeof(v), "-");
		out_line(f, T4_FMT, t->def->name, cond, v,
			 t->status == TGT_PASS ? "PASS" : t->status == TGT_FAIL ? "FAIL" : "n/a",
			 t->scenario >= 0 ? r->scen[t->scenario].sc.id : "(no such scenario)");
	}
}

int report_write_text(const struct report *r, FILE *f)
{
	char line[600];

	text_header(r, f);
	text_latency(r, f);
	text_resources(r, f);
	if (r->kernel)
		text_breakdown(r, f);
	text_targets(r, f);
	if (r->scenarios_failed || r->interrupted) {
		fputc('\n', f);
		int skipped = 0;

		for (int i = 0; i < r->nscen; i++) {
			const struct scen_result *s = &r->scen[i];

			if (s->status == SCEN_SKIPPED)
				skipped++;
			if (s->status == SCEN_OK || s->status == SCEN_SKIPPED)
				continue;
			snprintf(line, sizeof(line), "%s %s: %s", scen_status_name(s->status),
				 s->sc.id, s->error[0] ? s->error : "not completed");
			out_wrapped(f, line, 4);
		}
		if (r->interrupted)
			out_line(f, "interrupted: %d scenario%s not run (status skipped)", skipped,
				 skipped == 1 ? "" : "s");
	}
	fputc('\n', f);
	out_line(f, "%d scenario%s, %d failed; %d target%s failed; %.1f s", r->nscen,
		 r->nscen == 1 ? "" : "s", r->scenarios_failed, r->targets_failed,
		 r->targets_failed == 1 ? "" : "s", r->elapsed_s);
	return ferror(f) ? -EIO : 0;
}
