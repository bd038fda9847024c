// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Targets: conditions on any metric, op kind and percentile of the scenarios they apply
 * to, written as specs (docs/SUITES.md, "Targets"):
 *
 *	[NAME:] [OP_KIND] METRIC [min|max|mean|median] [/PARAM] CMP VALUE
 *		[where KEY OP VALUE [and KEY OP VALUE]...]
 *
 * for example "stream.rt p95 <= 5s", "chan.* p99 < 100us", "throughput/workers >= 1k
 * where workload = pool". The default targets are such specs too (default_targets[]);
 * NAME=VALUE overrides a threshold. The verdicts at the end of a run: the worst value
 * over the scenarios (and op kinds) a target applies to.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "report/report.h"
#include "util/fmt.h"
#include "workloads/params.h"

/* The defaults, in the order readers may know them by (new ones at the end). */
static const struct {
	const char *spec, *desc;
} default_targets[] = {
	{ "pool-p50: pool.call p50 < 1ms where payload < 1k",
	  "pool p50 latency for payloads under 1 KiB" },
	{ "pool-calls-per-worker: throughput/workers >= 1k where workload = pool and "
	  "mode != process", "pool calls per second per worker thread" },
	{ "pool-mem-per-call: bytes_per_op < 10k where workload = pool",
	  "pool memory allocated per call" },
	{ "spsc-throughput: throughput >= 100k where workload = channel and mode = spsc",
	  "SPSC channel messages per second" },
	{ "mpmc-throughput: throughput >= 50k where workload = channel and mode = mpmc",
	  "MPMC channel messages per second" },
	{ "channel-mean: chan.* mean < 10us where workload = channel",
	  "channel mean latency, every op kind" },
	{ "channel-p99: chan.* p99 < 100us where workload = channel",
	  "channel p99 latency, every op kind" },
	{ "streams-served: streams_served min >= 100 where workload = stream and "
	  "streams >= 100", "streams that got every answer, with 100 or more streams" },
	{ "rss-steady: rss_steady_bytes < 50M", "steady RSS of the process" },
	{ "scaling-efficiency: scaling_efficiency >= 0.7",
	  "scaling efficiency up to the online CPUs" },
	{ "inflight-limit: inflight_ratio <= 1",
	  "peak calls or packets in flight / the configured limit" },
	{ "busy-limit: busy_ratio <= 1", "peak busy workers / the workers there are" },
	{ "process-calls-per-worker: throughput/workers in 1k..5k where workload = pool and "
	  "mode = process", "pool calls per second per worker process" },
	{ "leak-rss: leaks.rss_bytes.lcb < 1M",
	  "RSS growth per repetition, 95% lower bound" },
	{ "leak-heap: leaks.heap_bytes.lcb < 64k",
	  "malloc'd bytes in use gained per repetition, 95% lower bound" },
	{ "leak-fds: leaks.fds.lcb < 1",
	  "open descriptors gained per repetition, 95% lower bound" },
	{ "leak-threads: leaks.threads.lcb < 1",
	  "threads gained per repetition, 95% lower bound" },
	{ "residual-fds: leaks.fds.residual < 1", "descriptors left open after the last teardown" },
	{ "residual-threads: leaks.threads.residual < 1",
	  "threads left running after the last teardown" },
};

/* Latency statistics of an op kind: its merged summary by default, or per repetition. */
static const struct {
	const char *name; /* as metrics[] name it (or would) */
	size_t off;       /* uint64_t in struct op_summary, or (size_t)-1: the mean */
} lat_stats[] = {
	{ "mean_ns", (size_t)-1 },
	{ "min_ns", offsetof(struct op_summary, min) },
	{ "p50_ns", offsetof(struct op_summary, p50) },
	{ "p90_ns", offsetof(struct op_summary, p90) },
	{ "p95_ns", offsetof(struct op_summary, p95) },
	{ "p99_ns", offsetof(struct op_summary, p99) },
	{ "p999_ns", offsetof(struct op_summary, p999) },
	{ "max_ns", offsetof(struct op_summary, max) },
};

/* Values that are no metric of metrics[]: scenario-level, with their units. */
static const struct {
	const char *name, *unit;
} extra_values[] = {
	{ "streams_served", "count" },
	{ "scaling_efficiency", "ratio" },
	{ "inflight_ratio", "ratio" },         /* the highest peak / limit over repetitions */
	{ "busy_ratio", "ratio" },
	{ "leaks.rss_bytes.lcb", "bytes" },    /* growth per repetition, 95% lower bound */
	{ "leaks.heap_bytes.lcb", "bytes" },
	{ "leaks.fds.lcb", "count" },
	{ "leaks.threads.lcb", "count" },
	{ "leaks.fds.residual", "count" },     /* left after the last teardown */
	{ "leaks.threads.residual", "count" },
};

static int lat_index(const char *name)
{
	for (size_t i = 0; i < sizeof(lat_stats) / sizeof(lat_stats[0]); i++)
		if (!strcmp(lat_stats[i].name, name))
			return (int)i;
	return -1;
}

static const char *extra_unit(const char *name)
{
	for (size_t i = 0; i < sizeof(extra_values) / sizeof(extra_values[0]); i++)
		if (!strcmp(extra_values[i].name, name))
			return extra_values[i].unit;
	return NULL;
}

static enum target_unit unit_of(const char *unit)
{
	if (!strcmp(unit, "ns"))
		return TU_DURATION;
	if (!strcmp(unit, "bytes"))
		return TU_BYTES;
	if (!strcmp(unit, "ops/s"))
		return TU_RATE;
	if (!strcmp(unit, "ratio"))
		return TU_RATIO;
	return TU_COUNT;
}

const char *target_name(const struct target *t)
{
	return t->name;
}

const char *target_cmp_str(enum target_cmp c)
{
	static const char *const s[] = { "<", "<=", ">", ">=", "in" };

	return c <= TC_IN ? s[c] : "?";
}

void report_target_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(default_targets) / sizeof(default_targets[0]) &&
	     off < len; i++) {
		const char *c = strchr(default_targets[i].spec, ':');

		off += (size_t)snprintf(buf + off, len - off, "%s%.*s", i ? ", " : "",
					(int)(c - default_targets[i].spec),
					default_targets[i].spec);
	}
}

/* ---- parsing ---------------------------------------------------------------------- */

/* A number with an optional decimal k/M/G suffix: 100k, 1.5M. */
static int parse_scaled(const char *s, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double mult = 1;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (n > 2 && !strcmp(buf + n - 2, "/s"))
		buf[n -= 2] = '\0';
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
static int parse_threshold(enum target_unit u, const char *value, double *v)
{
	int64_t iv;
	int rc;

	switch (u) {
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

static const char *const unit_words[] = {
	[TU_DURATION] = "a duration such as 2ms",
	[TU_RATE] = "a rate such as 100k",
	[TU_BYTES] = "a size such as 10k",
	[TU_RATIO] = "a ratio such as 0.7",
	[TU_COUNT] = "a count such as 100",
};

/* VALUE or LO..HI into t's thresholds. 0 or -EINVAL with err. */
static int parse_values(struct target *t, const char *value, char *err, size_t errlen)
{
	const char *dots = strstr(value, "..");
	char lo[64];
	int rc;

	if (t->cmp == TC_IN) {
		if (!dots || (size_t)(dots - value) >= sizeof(lo)) {
			snprintf(err, errlen, "target %s: '%s' is not a range; write LO..HI, for "
				 "example 1k..5k", t->name, value);
			return -EINVAL;
		}
		snprintf(lo, sizeof(lo), "%.*s", (int)(dots - value), value);
		rc = parse_threshold(t->unit, lo, &t->threshold) ||
		     parse_threshold(t->unit, dots + 2, &t->threshold_hi) ||
		     t->threshold_hi < t->threshold;
	} else {
		rc = dots ? -EINVAL : parse_threshold(t->unit, value, &t->threshold);
	}
	if (rc) {
		snprintf(err, errlen, "target %s: '%s' is not usable; use %s%s, or off", t->name,
			 value, t->cmp == TC_IN ? "a range LO..HI of " : "", unit_words[t->unit]);
		return -EINVAL;
	}
	return 0;
}

/* Split off the next whitespace-separated word of *p (modified in place). */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* Copy text with operators spaced out and runs of blanks made one space. */
static void normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;
	bool space = true;

	for (const char *p = in; *p && o + 4 < len; p++) {
		bool op = strchr("<>=!", *p) != NULL;

		if (op && !space && (p == in || !strchr("<>=!", p[-1])))
			out[o++] = ' ';
		if (isspace((unsigned char)*p)) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		out[o++] = *p;
		space = false;
		if (op && !strchr("<>=!", p[1])) {
			out[o++] = ' ';
			space = true;
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static int parse_cmp(const char *w, enum target_cmp *c)
{
	static const char *const s[] = { "<", "<=", ">", ">=", "in" };

	for (int i = 0; i <= TC_IN; i++)
		if (!strcmp(w, s[i])) {
			*c = (enum target_cmp)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_cond_op(const char *w, int *op)
{
	static const char *const s[] = { "=", "!=", "<", "<=", ">", ">=" };

	for (int i = 0; i < 6; i++)
		if (!strcmp(w, s[i])) {
			*op = i;
			return 0;
		}
	if (!strcmp(w, "==")) {
		*op = TCC_EQ;
		return 0;
	}
	return -EINVAL;
}

/* "where K OP V [and K OP V]..." after the value. */
static int parse_conds(struct target *t, char **p, char *err, size_t errlen)
{
	char *w;

	while ((w = next_word(p))) {
		char *key = next_word(p), *op = next_word(p), *val = next_word(p);
		struct target_cond *c;
		int cop;

		if (strcmp(w, t->nconds ? "and" : "where")) {
			snprintf(err, errlen, "target %s: '%s' where '%s' was expected; conditions "
				 "read: where KEY OP VALUE [and KEY OP VALUE]", t->name, w,
				 t->nconds ? "and" : "where");
			return -EINVAL;
		}
		if (!key || !op || !val || parse_cond_op(op, &cop)) {
			snprintf(err, errlen, "target %s: a condition reads KEY OP VALUE, with OP "
				 "one of = != < <= > >= (for example: where mode = spsc)", t->name);
			return -EINVAL;
		}
		if (t->nconds == TARGET_MAX_CONDS || strlen(key) >= sizeof(c->key) ||
		    strlen(val) >= sizeof(c->value)) {
			snprintf(err, errlen, "target %s: at most %d conditions, each key under "
				 "32 and value under 64 characters", t->name, TARGET_MAX_CONDS);
			return -EINVAL;
		}
		c = &t->conds[t->nconds++];
		snprintf(c->key, sizeof(c->key), "%s", key);
		snprintf(c->value, sizeof(c->value), "%s", val);
		c->op = cop;
	}
	return 0;
}

/* The subject's words: [OP_KIND] METRIC [STAT], METRIC possibly "METRIC/PARAM". */
static int parse_subject(struct target *t, char *words[], int n, char *err, size_t errlen)
{
	static const char *const stats[] = { NULL, "min", "max", "mean", "median" };
	char name[48], *slash;
	const char *unit = NULL;
	int mi = 0;

	/* a last word min/max/mean/median is a statistic over repetitions, unless it is
	 * the metric of an op kind ("chan.* mean": the mean latency) */
	if (n == 3 || (n == 2 && (report_metric_unit(words[0], false) ||
				  extra_unit(words[0])))) {
		for (int i = 1; i <= TS_MEDIAN; i++)
			if (!strcmp(words[n - 1], stats[i])) {
				t->stat = (enum target_stat)i;
				n--;
				break;
			}
	}
	if (n == 2) {
		snprintf(t->op_glob, sizeof(t->op_glob), "%s", words[0]);
		mi = 1;
	} else if (n != 1) {
		snprintf(err, errlen, "target %s: '%s' is not [OP_KIND] METRIC [min|max|mean|"
			 "median] [/PARAM]; for example 'stream.rt p95' or 'throughput/workers'",
			 t->name, t->subject);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s", words[mi]);
	slash = strchr(name, '/');
	if (slash) {
		*slash = '\0';
		snprintf(t->per_param, sizeof(t->per_param), "%s", slash + 1);
	}
	/* p95 is p95_ns; mean is mean_ns */
	if (lat_index(name) < 0 && strlen(name) + 3 < sizeof(name)) {
		char ns[48];

		snprintf(ns, sizeof(ns), "%s_ns", name);
		if (lat_index(ns) >= 0 || report_metric_unit(ns, true))
			snprintf(name, sizeof(name), "%s", ns);
	}
	snprintf(t->metric, sizeof(t->metric), "%s", name);
	if (t->op_glob[0])
		unit = lat_index(name) >= 0 ? "ns" : report_metric_unit(name, true);
	else
		unit = report_metric_unit(name, false) ? report_metric_unit(name, false) :
		       extra_unit(name);
	if (!unit) {
		snprintf(err, errlen, "target %s: no metric '%s'%s%s; use a latency statistic "
			 "(mean, min, p50, p90, p95, p99, p999, max) or a metric of report.json "
			 "(docs/REPORT_SCHEMA.md)%s", t->name, name, t->op_glob[0] ?
			 " of op kind " : "", t->op_glob, t->op_glob[0] ? "" :
			 "; per op kind, name the kind first: 'pool.call p99'");
		return -EINVAL;
	}
	t->unit = unit_of(unit);
	if (t->per_param[0] && !valid_name(t->per_param)) {
		snprintf(err, errlen, "target %s: '/%s' does not name a parameter", t->name,
			 t->per_param);
		return -EINVAL;
	}
	return 0;
}

bool target_is_spec(const char *text)
{
	return strpbrk(text, "<>") || strstr(text, " in ");
}

int target_parse(struct target *t, const char *spec, char *err, size_t errlen)
{
	char buf[256], *p, *colon, *w, *words[8];
	int n = 0;

	memset(t, 0, sizeof(*t));
	t->scenario = -1;
	t->value = NAN;
	t->enabled = true;
	normalize(spec, buf, sizeof(buf));
	if (strlen(spec) >= sizeof(buf) - 32) {
		snprintf(err, errlen, "target '%.40s...' is too long", spec);
		return -EINVAL;
	}
	p = buf;
	colon = strchr(buf, ':');
	/* a name: one word and a colon, before the comparison */
	if (colon && (!strpbrk(buf, "<>") || colon < strpbrk(buf, "<>")) &&
	    (!strchr(buf, ' ') || strchr(buf, ' ') > colon)) {
		*colon = '\0';
		if (!valid_name(buf)) {
			snprintf(err, errlen, "target '%s': the name before ':' may hold letters, "
				 "digits, '.', '_' and '-' only", spec);
			return -EINVAL;
		}
		snprintf(t->name, sizeof(t->name), "%.63s", buf);
		p = colon + 1;
	}
	while (isspace((unsigned char)*p))
		p++;
	snprintf(t->spec, sizeof(t->spec), "%s", p);
	if (!t->name[0])
		snprintf(t->name, sizeof(t->name), "%.63s", p);
	/* the subject: the words before the comparison */
	while ((w = next_word(&p)) && parse_cmp(w, &t->cmp)) {
		if (n == 8)
			break;
		words[n++] = w;
	}
	if (!w || !n) {
		snprintf(err, errlen, "target '%s' is not [NAME:] [OP_KIND] METRIC CMP VALUE "
			 "[where ...]; for example 'stream.rt p95 <= 5s' (CMP: < <= > >= in)",
			 spec);
		return -EINVAL;
	}
	for (int i = 0, off = 0; i < n; i++)
		off += snprintf(t->subject + off, sizeof(t->subject) - off, "%s%s", i ? " " : "",
				words[i]);
	if (parse_subject(t, words, n, err, errlen))
		return -EINVAL;
	w = next_word(&p);
	if (!w) {
		snprintf(err, errlen, "target %s: no value after '%s'", t->name,
			 target_cmp_str(t->cmp));
		return -EINVAL;
	}
	if (parse_values(t, w, err, errlen))
		return -EINVAL;
	return parse_conds(t, &p, err, errlen);
}

int report_target_add(struct report *r, const char *spec, char *err, size_t errlen)
{
	struct target t;
	int rc = target_parse(&t, spec, err, errlen);

	if (rc)
		return rc;
	for (int i = 0; i < r->ntargets; i++)
		if (!strcmp(r->targets[i].name, t.name)) {
			/* a default given a new condition keeps its place and words */
			if (r->targets[i].builtin) {
				t.builtin = true;
				snprintf(t.desc, sizeof(t.desc), "%s", r->targets[i].desc);
			}
			r->targets[i] = t;
			return 0;
		}
	if (r->ntargets == REPORT_MAX_TARGETS) {
		snprintf(err, errlen, "more than %d targets", REPORT_MAX_TARGETS);
		return -ENOSPC;
	}
	r->targets[r->ntargets++] = t;
	return 0;
}

int report_target_set(struct report *r, const char *name, const char *value, char *err,
		      size_t errlen)
{
	struct target *t = NULL;
	char names[1024];

	for (int i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i].name, name) == 0)
			t = &r->targets[i];
	if (!t) {
		report_target_names(names, sizeof(names));
		snprintf(err, errlen, "unknown target '%s'; use one of %s, or add one with a "
			 "spec such as 'stream.rt p95 <= 5s' (docs/SUITES.md)", name, names);
		return -ENOENT;
	}
	if (strcmp(value, "off") == 0) {
		t->enabled = false;
		return 0;
	}
	if (parse_values(t, value, err, errlen))
		return -EINVAL;
	t->enabled = true;
	/* the spec says the new threshold too */
	{
		char th[32], cond[64], *where = strstr(t->spec, " where ");

		snprintf(th, sizeof(th), "%s", where ? where : "");
		target_condition(t, cond, sizeof(cond));
		snprintf(t->spec, sizeof(t->spec), "%s %s%s", t->subject, cond, th);
	}
	return 0;
}

void targets_init(struct report *r)
{
	char err[256];

	r->ntargets = 0;
	for (size_t i = 0; i < sizeof(default_targets) / sizeof(default_targets[0]); i++) {
		struct target *t = &r->targets[r->ntargets];

		if (target_parse(t, default_targets[i].spec, err, sizeof(err)))
			continue; /* a unit test keeps every default parsing */
		t->builtin = true;
		snprintf(t->desc, sizeof(t->desc), "%s", default_targets[i].desc);
		r->ntargets++;
	}
}

/* ---- evaluation ------------------------------------------------------------------- */

static bool cmp_num(double a, int op, double b)
{
	switch (op) {
	case TCC_EQ: return a == b;
	case TCC_NE: return a != b;
	case TCC_LT: return a < b;
	case TCC_LE: return a <= b;
	case TCC_GT: return a > b;
	default: return a >= b;
	}
}

/* Does a condition hold for scenario s? A parameter the workload lacks: no. */
static bool cond_holds(const struct target_cond *c, const struct scen_result *s)
{
	const struct workload *wl = s->sc.wl;
	const struct wl_param_def *d;
	int pi;
	double want, have;
	int64_t iv;

	if (!strcmp(c->key, "workload") || !strcmp(c->key, "scenario") ||
	    !strcmp(c->key, "group")) {
		const char *v = !strcmp(c->key, "workload") ? wl->name :
				!strcmp(c->key, "group") ? s->sc.group : s->sc.id;
		bool eq = !fnmatch(c->value, v, 0) ||
			  (!strcmp(c->key, "scenario") && !fnmatch(c->value, s->sc.group, 0));

		return c->op == TCC_NE ? !eq : c->op == TCC_EQ && eq;
	}
	pi = wl_param_index(wl, c->key);
	if (pi < 0)
		return c->op == TCC_NE; /* a workload without the parameter: only != holds */
	d = &wl->params[pi];
	if (d->type == WL_P_ENUM) {
		const char *v = params_get_enum(&s->sc.cfg, c->key);
		bool eq = v && !strcasecmp(v, c->value);

		return c->op == TCC_NE ? !eq : c->op == TCC_EQ && eq;
	}
	switch (d->type) {
	case WL_P_SIZE:
		if (param_parse_size(c->value, &iv))
			return false;
		want = (double)iv;
		break;
	case WL_P_DURATION:
		if (param_parse_duration(c->value, &iv))
			return false;
		want = (double)iv;
		break;
	case WL_P_FLOAT:
		if (param_parse_float(c->value, &want))
			return false;
		break;
	default:
		if (parse_scaled(c->value, &want))
			return false;
		break;
	}
	have = d->type == WL_P_FLOAT ? s->sc.cfg.fv[pi] : (double)s->sc.cfg.iv[pi];
	return cmp_num(have, c->op, want);
}

/* The repetitions' values reduced by stat (mean by default). */
static bool reduce(const double *v, int n, enum target_stat st, double *out)
{
	double acc = 0, *t;

	if (!n)
		return false;
	switch (st) {
	case TS_MIN:
	case TS_MAX:
		acc = v[0];
		for (int i = 1; i < n; i++)
			acc = st == TS_MIN ? fmin(acc, v[i]) : fmax(acc, v[i]);
		break;
	case TS_MEDIAN:
		t = malloc((size_t)n * sizeof(*t));
		if (!t)
			return false;
		memcpy(t, v, (size_t)n * sizeof(*t));
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
				double x = t[j];

				t[j] = t[j - 1];
				t[j - 1] = x;
			}
		acc = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
		free(t);
		break;
	default:
		for (int i = 0; i < n; i++)
			acc += v[i];
		acc /= n;
		break;
	}
	*out = acc;
	return isfinite(acc);
}

static double lat_of(const struct op_summary *p, int li)
{
	if (lat_stats[li].off == (size_t)-1)
		return p->mean;
	return (double)*(const uint64_t *)((const char *)p + lat_stats[li].off);
}

/* The highest peak / limit over the repetitions that measured one. */
static bool peak_ratio(const struct scen_result *s, bool busy, double *v)
{
	bool any = false;

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

/*
 * The leak checks' figures. With --stacks the run's profile takes in every repetition's
 * stacks between the rounds: its counts are per thread, so it keeps growing, and
 * symbolizing them opens (and keeps) the binaries on the stacks. Memory and descriptor
 * growth are then not the workload's alone and are not judged; threads still are.
 */
static bool leak_value(const struct report *r, const struct scen_result *s, const char *name,
		       double *v)
{
	static const struct {
		const char *name;
		size_t off;
		bool residual, memory_or_fds;
	} leaks[] = {
		{ "leaks.rss_bytes.lcb", offsetof(struct scen_leaks, rss), false, true },
		{ "leaks.heap_bytes.lcb", offsetof(struct scen_leaks, heap), false, true },
		{ "leaks.fds.lcb", offsetof(struct scen_leaks, fds), false, true },
		{ "leaks.threads.lcb", offsetof(struct scen_leaks, threads), false, false },
		{ "leaks.fds.residual", offsetof(struct scen_leaks, fds), true, true },
		{ "leaks.threads.residual", offsetof(struct scen_leaks, threads), true, false },
	};

	for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		const struct leak_fit *f;

		if (strcmp(leaks[i].name, name))
			continue;
		f = (const struct leak_fit *)((const char *)&s->leaks + leaks[i].off);
		if (leaks[i].memory_or_fds && r->coll.stacks)
			return false;
		if (leaks[i].residual) {
			*v = f->residual;
			return s->leaks.rounds > 0;
		}
		if (!f->ok)
			return false;
		*v = f->lcb > 0 ? f->lcb : 0;
		return true;
	}
	return false;
}

/* A scenario-level extra value (no metric of metrics[]). */
static bool extra_value(const struct report *r, const struct target *t,
			const struct scen_result *s, double *v)
{
	if (!strcmp(t->metric, "scaling_efficiency")) {
		if (!s->has_scaling || s->scale_n <= 1 || s->scale_n > r->env.online_cpus ||
		    !isfinite(s->scale_eff))
			return false;
		*v = s->scale_eff;
		return true;
	}
	if (!strcmp(t->metric, "inflight_ratio") || !strcmp(t->metric, "busy_ratio"))
		return peak_ratio(s, !strcmp(t->metric, "busy_ratio"), v);
	if (!strncmp(t->metric, "leaks.", 6))
		return leak_value(r, s, t->metric, v);
	if (!strcmp(t->metric, "streams_served")) {
		double vals[s->nreps > 0 ? s->nreps : 1];
		int n = 0;

		if (strcmp(s->sc.wl->name, "stream"))
			return false;
		for (int i = 0; i < s->nreps; i++)
			if (!s->reps[i].status)
				vals[n++] = (double)s->reps[i].streams_served;
		return reduce(vals, n, t->stat, v);
	}
	return false;
}

/* The value of t in scenario s, op kind k (-1: scenario-level). */
static bool value_of(const struct report *r, const struct target *t,
		     const struct scen_result *s, int k, double *v)
{
	const char *op = k >= 0 ? s->kind_name[k] : "";
	int li = k >= 0 ? lat_index(t->metric) : -1;
	const struct metric *m;

	if (li >= 0 && t->stat == TS_DEFAULT) {
		if (!s->sum[k].count)
			return false;
		*v = lat_of(&s->sum[k], li);
	} else if (li >= 0) {
		double vals[s->nreps > 0 ? s->nreps : 1];
		int n = 0;

		for (int i = 0; i < s->nreps; i++) {
			const struct op_summary *p = rep_kind(&s->reps[i], s->kind[k]);

			if (!s->reps[i].status && p && p->count)
				vals[n++] = lat_of(p, li);
		}
		if (!reduce(vals, n, t->stat, v))
			return false;
	} else if ((m = metric_find(s, op, t->metric))) {
		double vals[s->nreps > 0 ? s->nreps : 1];
		int n = 0;

		for (int i = 0; i < s->nreps; i++)
			if (m->have[i] && isfinite(m->v[i]))
				vals[n++] = m->v[i];
		if (!reduce(vals, n, t->stat, v))
			return false;
	} else if (k >= 0 || !extra_value(r, t, s, v)) {
		return false;
	}
	if (t->per_param[0]) {
		int64_t d;

		if (!params_get(&s->sc.cfg, t->per_param, &d) || d <= 0)
			return false;
		*v /= (double)d;
	}
	return isfinite(*v);
}

static bool target_holds(const struct target *t, double v)
{
	switch (t->cmp) {
	case TC_LT: return v < t->threshold;
	case TC_LE: return v <= t->threshold;
	case TC_GT: return v > t->threshold;
	case TC_GE: return v >= t->threshold;
	case TC_IN: return v >= t->threshold && v <= t->threshold_hi;
	}
	return false;
}

/* How far v is outside a range target's bounds (0 inside). */
static double outside(const struct target *t, double v)
{
	return v < t->threshold ? t->threshold - v : v > t->threshold_hi ? v - t->threshold_hi : 0;
}

/* Is a worse than b for this target? */
static bool target_worse(const struct target *t, double a, double b)
{
	if (t->cmp == TC_IN)
		return outside(t, a) > outside(t, b);
	return t->cmp == TC_LT || t->cmp == TC_LE ? a > b : a < b;
}

static void consider(struct target *t, int j, const char *op, double v)
{
	if (t->scenario >= 0 && !target_worse(t, v, t->value))
		return;
	t->value = v;
	t->scenario = j;
	snprintf(t->op_found, sizeof(t->op_found), "%s", op);
}

static void evaluate_one(struct report *r, struct target *t)
{
	t->status = TGT_NA;
	t->scenario = -1;
	t->value = NAN;
	t->op_found[0] = '\0';
	if (!t->enabled)
		return;
	for (int j = 0; j < r->nscen; j++) {
		const struct scen_result *s = &r->scen[j];
		bool applies = s->status == SCEN_OK;
		double v;

		for (int c = 0; c < t->nconds && applies; c++)
			applies = cond_holds(&t->conds[c], s);
		if (!applies)
			continue;
		if (!t->op_glob[0]) {
			if (value_of(r, t, s, -1, &v))
				consider(t, j, "", v);
			continue;
		}
		for (int k = 0; k < s->nkinds; k++)
			if (!fnmatch(t->op_glob, s->kind_name[k], 0) && value_of(r, t, s, k, &v))
				consider(t, j, s->kind_name[k], v);
	}
	if (t->scenario >= 0) {
		t->status = target_holds(t, t->value) ? TGT_PASS : TGT_FAIL;
		if (t->status == TGT_FAIL)
			r->targets_failed++;
	}
}

enum target_status target_verdict_in(const struct report *r, const struct scen_result *s,
				     const char *name)
{
	const struct target *t = NULL;
	bool applies = s->status == SCEN_OK, judged = false;
	double v;

	for (int i = 0; i < r->ntargets && !t; i++)
		if (!strcmp(r->targets[i].name, name))
			t = &r->targets[i];
	if (!t || !t->enabled)
		return TGT_NA;
	for (int c = 0; c < t->nconds && applies; c++)
		applies = cond_holds(&t->conds[c], s);
	if (!applies)
		return TGT_NA;
	if (!t->op_glob[0])
		return !value_of(r, t, s, -1, &v) ? TGT_NA :
		       target_holds(t, v) ? TGT_PASS : TGT_FAIL;
	for (int k = 0; k < s->nkinds; k++) {
		if (fnmatch(t->op_glob, s->kind_name[k], 0) || !value_of(r, t, s, k, &v))
			continue;
		if (!target_holds(t, v))
			return TGT_FAIL;
		judged = true;
	}
	return judged ? TGT_PASS : TGT_NA;
}

void targets_evaluate(struct report *r)
{
	r->targets_failed = 0;
	for (int i = 0; i < r->ntargets; i++)
		evaluate_one(r, &r->targets[i]);
}

/* ---- formatting ------------------------------------------------------------------- */

void target_format_value(const struct target *t, double v, char *buf, size_t len)
{
	switch (t->unit) {
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
		if (fabs(v) >= 1000)
			fmt_num(v, buf, len);
		else
			snprintf(buf, len, "%.3g", v);
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
	if (t->cmp == TC_IN) {
		target_format_value(t, t->threshold_hi, hi, sizeof(hi));
		strip_zeros(hi);
		if (strlen(th) > 2 && !strcmp(th + strlen(th) - 2, "/s"))
			th[strlen(th) - 2] = '\0'; /* "in 1k..5k/s" */
		snprintf(buf, len, "in %s..%s", th, hi);
		return;
	}
	snprintf(buf, len, "%s %s", target_cmp_str(t->cmp), th);
}
