// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope compare, the rows. Scenarios are matched by id and metrics by id
 * (docs/REPORT_SCHEMA.md). Each gated metric and each tested kernel component per op
 * kind becomes a row with its repetitions' values, medians and Welch test
 * (signif_welch); compare_judge.c then corrects the p-values for the whole family and
 * gives the verdicts and their explanations.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "stats/compare.h"
#include "util/sbuf.h"
#include "stats/signif.h"

static const char *const kind_names[CMP_K_NR] = {
	[CMP_K_THROUGHPUT] = "throughput",
	[CMP_K_LATENCY] = "latency",
	[CMP_K_MEMORY] = "memory",
	[CMP_K_ERRORS] = "errors",
	[CMP_K_KERNEL] = "kernel",
	[CMP_K_INFO] = "info",
};

const char *cmp_kind_name(enum cmp_kind k)
{
	return k < CMP_K_NR ? kind_names[k] : "?";
}

int cmp_kind_parse(const char *s)
{
	for (int k = 0; k < CMP_K_NR; k++)
		if (s && !strcmp(s, kind_names[k]))
			return k;
	return -1;
}

const char *cmp_verdict_name(enum cmp_verdict v)
{
	switch (v) {
	case CMP_SAME: return "ok";
	case CMP_NOISE: return "inconclusive";
	case CMP_REGRESSION: return "REGRESSION";
	case CMP_IMPROVEMENT: return "improvement";
	case CMP_NODATA: return "no data";
	case CMP_NEW: return "new";
	case CMP_GONE: return "gone";
	case CMP_FAILED: return "FAILED";
	case CMP_UNGATED: return "ungated";
	case CMP_SHIFT: return "shift";
	case CMP_ENVIRONMENT: return "environment";
	case CMP_POOLED: return "in group";
	case CMP_UNCONFIRMED: return "unconfirmed";
	}
	return "?";
}

void cmp_opts_init(struct cmp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind_pct[CMP_K_THROUGHPUT] = 5;
	o->kind_pct[CMP_K_LATENCY] = 10;
	o->kind_pct[CMP_K_MEMORY] = 15;
	o->kind_pct[CMP_K_ERRORS] = 10;
	o->kind_pct[CMP_K_KERNEL] = 5;
	o->kind_pct[CMP_K_INFO] = -1;
	o->alpha = CMP_DEFAULT_ALPHA;
	/* the slowest op of a 500 ms repetition is one event: too noisy to gate by default,
	 * and every metric tested costs the others power (Holm); max_ns=10% gates it again */
	o->rules[o->nrules++] = (struct cmp_rule){ .metric = "max_ns", .match = 2, .pct = -1 };
}

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* "5%", "5", "2.5%", "off" -> percent (-1 for off). */
static int parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	if (!strcmp(s, "off") || !strcmp(s, "none")) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return -EINVAL;
	if (*end == '%')
		end++;
	if (*end != '\0' || !(v >= 0 && v <= 100000))
		return -EINVAL;
	*out = v;
	return 0;
}

int cmp_threshold_add(struct cmp_opts *o, const char *spec, char *err, size_t errlen)
{
	const char *eq = strrchr(spec, '=');
	struct cmp_rule r = { .match = 0 };
	char left[256];
	const char *metric;
	size_t n;

	if (!eq || eq == spec || !eq[1]) {
		seterr(err, errlen, "threshold '%s' is not of the form [SCENARIO:]METRIC=PCT "
		       "(for example latency=5%% or pool/workers=4:p99=20%%)", spec);
		return -EINVAL;
	}
	if (parse_pct(eq + 1, &r.pct)) {
		seterr(err, errlen, "threshold '%s': '%s' is not a percentage (use 5%%, 2.5 or "
		       "off)", spec, eq + 1);
		return -EINVAL;
	}
	n = (size_t)(eq - spec);
	if (n >= sizeof(left)) {
		seterr(err, errlen, "threshold '%s' is too long", spec);
		return -EINVAL;
	}
	memcpy(left, spec, n);
	left[n] = '\0';
	char *colon = strrchr(left, ':');

	if (colon) {
		*colon = '\0';
		if (!left[0] || strlen(left) >= sizeof(r.scenario)) {
			seterr(err, errlen, "threshold '%s': the scenario before ':' is empty or "
			       "too long", spec);
			return -EINVAL;
		}
		if (strcmp(left, "*"))
			strcpy(r.scenario, left);
		metric = colon + 1;
	} else {
		metric = left;
	}
	if (!metric[0] || strlen(metric) >= sizeof(r.metric)) {
		seterr(err, errlen, "threshold '%s': the metric before '=' is empty or too long",
		       spec);
		return -EINVAL;
	}
	if (!strcmp(metric, "*")) {
		r.match = 0;
	} else if (cmp_kind_parse(metric) >= 0) {
		r.match = 1;
		strcpy(r.metric, metric);
		/* a bare KIND=PCT changes the default of that kind */
		if (!r.scenario[0]) {
			o->kind_pct[cmp_kind_parse(metric)] = r.pct;
			return 0;
		}
	} else {
		r.match = strchr(metric, '/') ? 3 : 2;
		strcpy(r.metric, metric);
	}
	if (o->nrules >= CMP_MAX_RULES) {
		seterr(err, errlen, "more than %d --threshold rules", CMP_MAX_RULES);
		return -EINVAL;
	}
	o->rules[o->nrules++] = r;
	return 0;
}

/* pattern equals s, or pattern + "_ns" equals s (so p99 names p99_ns). */
static bool metric_eq(const char *pattern, const char *s)
{
	size_t n = strlen(pattern);

	if (!strcmp(pattern, s))
		return true;
	return !strncmp(pattern, s, n) && !strcmp(s + n, "_ns");
}

double cmp_threshold_for(const struct cmp_opts *o, const char *scenario, const char *metric_id,
			 const char *metric_name, enum cmp_kind kind)
{
	double pct = kind < CMP_K_NR ? o->kind_pct[kind] : -1;
	int best = -1;

	for (int i = 0; i < o->nrules; i++) {
		const struct cmp_rule *r = &o->rules[i];
		int score;

		if (r->scenario[0] && strcmp(r->scenario, scenario))
			continue;
		switch (r->match) {
		case 0:
			break;
		case 1:
			if (cmp_kind_parse(r->metric) != (int)kind)
				continue;
			break;
		case 2:
			if (!metric_eq(r->metric, metric_name))
				continue;
			break;
		default:
			if (!metric_eq(r->metric, metric_id))
				continue;
			break;
		}
		score = r->match + (r->scenario[0] ? 10 : 0);
		if (score >= best) {
			best = score;
			pct = r->pct;
		}
	}
	return pct;
}

/* ---- loading ---------------------------------------------------------------------- */

int cmp_report_check(const struct json_value *root, const char *path, char *err, size_t errlen)
{
	const struct json_value *schema = json_get(root, "schema");
	const struct json_value *ver = json_get(root, "version");
	const struct json_value *sc = json_get(root, "scenarios");

	if (!json_is(root, JSON_OBJECT)) {
		seterr(err, errlen, "%s: not an opscope report: the top level is a JSON %s, not "
		       "an object", path, json_type_name(json_type(root)));
		return -EINVAL;
	}
	if (!json_is(schema, JSON_STRING)) {
		seterr(err, errlen, "%s: not an opscope report: no \"schema\" string (write it "
		       "with opscope run)", path);
		return -EINVAL;
	}
	if (strcmp(json_str(schema), REPORT_SCHEMA_NAME)) {
		seterr(err, errlen, "%s: schema is \"%.60s\", not \"%s\": this is not an opscope "
		       "report", path, json_str(schema), REPORT_SCHEMA_NAME);
		return -EINVAL;
	}
	if (!json_is_int(ver) || json_int(ver) < 1) {
		seterr(err, errlen, "%s: \"version\" is missing or not a positive integer", path);
		return -EINVAL;
	}
	if (json_int(ver) > REPORT_SCHEMA_VERSION) {
		seterr(err, errlen, "%s: report version %lld is newer than this opscope reads "
		       "(%d): use the opscope that wrote it, or upgrade", path,
		       (long long)json_int(ver), REPORT_SCHEMA_VERSION);
		return -EINVAL;
	}
	if (!json_is(sc, JSON_ARRAY)) {
		seterr(err, errlen, "%s: no \"scenarios\" array: the report is incomplete", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i);
		const struct json_value *m = json_get(s, "metrics");

		if (!json_is(json_get(s, "id"), JSON_STRING)) {
			seterr(err, errlen, "%s: scenario %zu has no \"id\" string", path, i);
			return -EINVAL;
		}
		if (!json_is(m, JSON_ARRAY) && !json_is(m, JSON_NULL) && m) {
			seterr(err, errlen, "%s: scenario %s: \"metrics\" is not an array", path,
			       json_get_str(s, "id", "?"));
			return -EINVAL;
		}
		for (size_t j = 0; j < json_len(m); j++) {
			const struct json_value *e = json_at(m, j);
			const struct json_value *reps = json_get(e, "reps");

			if (!json_is(json_get(e, "id"), JSON_STRING) ||
			    !json_is(json_get(e, "kind"), JSON_STRING)) {
				seterr(err, errlen, "%s: scenario %s: metric %zu lacks an \"id\" "
				       "or \"kind\" string", path, json_get_str(s, "id", "?"), j);
				return -EINVAL;
			}
			if (reps && !json_is(reps, JSON_ARRAY) && !json_is(reps, JSON_NULL)) {
				seterr(err, errlen, "%s: scenario %s: metric %s: \"reps\" is not "
				       "an array", path, json_get_str(s, "id", "?"),
				       json_get_str(e, "id", "?"));
				return -EINVAL;
			}
			for (size_t k = 0; k < json_len(reps); k++) {
				enum json_type t = json_type(json_at(reps, k));

				if (t != JSON_NUMBER && t != JSON_NULL) {
					seterr(err, errlen, "%s: scenario %s: metric %s: reps[%zu] "
					       "is a %s, not a number or null", path,
					       json_get_str(s, "id", "?"),
					       json_get_str(e, "id", "?"), k, json_type_name(t));
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

bool cmp_report_noisy(const struct cmp_report *r)
{
	return json_bool(json_get(json_get(r->root, "noise"), "noisy"));
}

int cmp_report_load(struct cmp_report *r, const char *path, char *err, size_t errlen)
{
	struct json_err je;
	struct stat st;

	memset(r, 0, sizeof(*r));
	if (stat(path, &st)) {
		int e = errno;

		seterr(err, errlen, "%s: %s", path, e == ENOENT ? "no such file or directory" :
		       strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		if (snprintf(r->path, sizeof(r->path), "%s/report.json", path) >=
		    (int)sizeof(r->path)) {
			seterr(err, errlen, "%s: path too long", path);
			return -ENAMETOOLONG;
		}
		snprintf(r->dir, sizeof(r->dir), "%s", path);
		if (access(r->path, F_OK)) {
			seterr(err, errlen, "%s: a directory without report.json; give a report "
			       "file or an opscope run output directory", path);
			return -ENOENT;
		}
	} else {
		const char *slash;

		snprintf(r->path, sizeof(r->path), "%s", path);
		slash = strrchr(path, '/');
		if (slash)
			snprintf(r->dir, sizeof(r->dir), "%.*s", (int)(slash - path), path);
		else
			snprintf(r->dir, sizeof(r->dir), ".");
		if (!r->dir[0])
			snprintf(r->dir, sizeof(r->dir), "/");
	}
	r->doc = json_parse_file(r->path, 0, &je);
	if (!r->doc) {
		int e = errno ? errno : EINVAL;

		if (je.line)
			seterr(err, errlen, "%s:%d:%d: malformed JSON: %s", r->path, je.line,
			       je.col, je.msg);
		else
			seterr(err, errlen, "%s: %s", r->path, je.msg);
		return -e;
	}
	r->root = json_root(r->doc);
	int rc = cmp_report_check(r->root, r->path, err, errlen);

	if (rc) {
		cmp_report_free(r);
		return rc;
	}
	return 0;
}

void cmp_report_free(struct cmp_report *r)
{
	json_doc_free(r->doc);
	r->doc = NULL;
	r->root = NULL;
}

/* ---- comparison ------------------------------------------------------------------- */

int cmp_reps_values(const struct json_value *m, double *out, int max)
{
	const struct json_value *reps = json_get(m, "reps");
	int n = 0;

	for (size_t i = 0; i < json_len(reps) && n < max; i++) {
		const struct json_value *v = json_at(reps, i);

		if (json_is(v, JSON_NUMBER))
			out[n++] = json_num(v);
	}
	return n;
}

static struct cmp_row *add_row(struct cmp_result *res)
{
	if (res->nrows == res->cap) {
		int cap = res->cap ? res->cap * 2 : 64;
		struct cmp_row *r = realloc(res->rows, (size_t)cap * sizeof(*r));

		if (!r)
			return NULL;
		res->rows = r;
		res->cap = cap;
	}
	struct cmp_row *row = &res->rows[res->nrows++];

	memset(row, 0, sizeof(*row));
	row->p = row->p_adj = NAN;
	row->ci_lo = row->ci_hi = NAN;
	row->effect_pct = row->eff_lo_pct = row->eff_hi_pct = NAN;
	row->delta_pct = NAN;
	row->base = row->cur = NAN;
	return row;
}

static void env_check(const struct json_value *be, const struct json_value *ce,
		      struct cmp_result *res)
{
	static const char *const keys[] = { "kernel_release", "cpu_model", "online_cpus",
					    "governor" };
	size_t off = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct json_value *a = json_get(be, keys[i]), *b = json_get(ce, keys[i]);
		char va[128], vb[128];

		if (!a || !b || json_is(a, JSON_NULL) || json_is(b, JSON_NULL))
			continue;
		if (json_is(a, JSON_NUMBER))
			snprintf(va, sizeof(va), "%g", json_num(a));
		else
			snprintf(va, sizeof(va), "%s", json_str(a) ? json_str(a) : "?");
		if (json_is(b, JSON_NUMBER))
			snprintf(vb, sizeof(vb), "%g", json_num(b));
		else
			snprintf(vb, sizeof(vb), "%s", json_str(b) ? json_str(b) : "?");
		if (!strcmp(va, vb))
			continue;
		res->env_differs = true;
		off += (size_t)snprintf(res->env_mismatch + off, sizeof(res->env_mismatch) - off,
					"%s: %s -> %s\n", keys[i], va, vb);
		if (off >= sizeof(res->env_mismatch))
			off = sizeof(res->env_mismatch) - 1;
	}
}

/* The implementation a scenario of a report ran: scenarios.impl.name; a pool or channel
 * of a report from before plugins ran the built-in one. NULL: the workload has none. */
static const char *impl_name(const struct json_value *sc)
{
	const struct json_value *im = json_get(sc, "impl");
	const char *wl = json_get_str(sc, "workload", "");

	if (im && json_is(im, JSON_OBJECT))
		return json_get_str(im, "name", "?");
	return !strcmp(wl, "pool") || !strcmp(wl, "channel") ? "builtin" : NULL;
}

/* The build of a plugin implementation: its build id, else the hash of its file. */
static const char *impl_build(const struct json_value *sc)
{
	const struct json_value *im = json_get(sc, "impl");
	const char *id = json_get_str(im, "build_id", NULL);

	return id ? id : json_get_str(im, "hash", NULL);
}

/* Another implementation in the current run refuses the comparison (unless allowed);
 * another build of the same one is what a nightly job compares, and only noted. */
static void impl_check(const struct json_value *bs, const struct json_value *cs,
		       struct cmp_result *res)
{
	const char *b = impl_name(bs), *c = impl_name(cs), *bb = impl_build(bs);
	const char *cb = impl_build(cs), *plugin = json_get_str(json_get(cs, "impl"), "plugin", "");
	size_t off = strlen(res->impl_mismatch), room = sizeof(res->impl_mismatch) - off;
	int n;

	if (!b && !c)
		return;
	if (b && c && !strcmp(b, c)) {
		if (!bb || !cb || !strcmp(bb, cb))
			return;
		n = snprintf(res->impl_mismatch + off, room, "%s: %s from another build (%.12s -> "
			     "%.12s)\n", json_get_str(cs, "id", "?"), c, bb, cb);
	} else {
		res->impl_differs = true;
		n = snprintf(res->impl_mismatch + off, room, "%s: impl %s -> %s%s%s%s\n",
			     json_get_str(cs, "id", "?"), b ? b : "none", c ? c : "none",
			     *plugin ? " (" : "", plugin, *plugin ? ")" : "");
	}
	if (n < 0 || (size_t)n >= room) /* full: end with an ellipsis line */
		snprintf(res->impl_mismatch + sizeof(res->impl_mismatch) - 5, 5, "...\n");
}

/*
 * The kernel breakdown components tested per op kind on their own (the issue a headline
 * metric can hide): what the code does per op (work) and what it waits per op (wait).
 * floor: a smaller absolute change per op is no change, however significant.
 */
static const struct {
	const char *name;
	enum cmp_family family;
	double floor;
} tested_kernel[] = {
	{ "on_ns", CMP_F_WORK, 50 },
	{ "syscalls", CMP_F_WORK, 0.05 },
	{ "faults", CMP_F_WORK, 0.05 },
	{ "runq_ns", CMP_F_WAIT, 200 },
	{ "blocked_ns", CMP_F_WAIT, 200 },
};

/* A kernel metric's family, CMP_F_NONE when it only explains. */
static enum cmp_family kernel_family(const char *name, double *floor)
{
	for (size_t i = 0; i < sizeof(tested_kernel) / sizeof(tested_kernel[0]); i++)
		if (!strcmp(name, tested_kernel[i].name)) {
			*floor = tested_kernel[i].floor;
			return tested_kernel[i].family;
		}
	return CMP_F_NONE;
}

/* The values and the tests of a row both reports hold. */
static void test_row(struct cmp_row *row, const double *a, const double *c)
{
	struct welch w;

	row->base = signif_median(a, row->nb);
	row->cur = signif_median(c, row->nc);
	row->shown_b = row->base;
	row->shown_c = row->cur;
	if (row->base == row->cur)
		row->delta_pct = 0;
	else if (row->base == 0)
		row->delta_pct = row->cur > 0 ? INFINITY : -INFINITY;
	else
		row->delta_pct = (row->cur - row->base) / fabs(row->base) * 100.0;
	if (signif_welch(a, row->nb, c, row->nc, 0.95, &w) == 0) {
		row->w = w;
		row->p = w.p;
		row->shown_b = w.center_a;
		row->shown_c = w.center_b;
		row->effect_pct = w.effect_pct;
		row->eff_lo_pct = w.eff_lo_pct;
		row->eff_hi_pct = w.eff_hi_pct;
	}
	signif_boot_median_diff(a, row->nb, c, row->nc, SIGNIF_BOOT_ITERS, 0.95,
				SIGNIF_BOOT_SEED, &row->ci_lo, &row->ci_hi);
}

/* One metric of a scenario both reports hold; bm or cm is NULL when only one side has it.
 * The verdict is compare_judge.c's, once every row is tested. */
static int compare_metric(const struct json_value *bs, const struct json_value *cs,
			  const struct json_value *bm, const struct json_value *cm,
			  const struct cmp_opts *o, struct cmp_result *res, bool params_differ)
{
	const struct json_value *m = cm ? cm : bm;
	const char *sid = json_get_str(cs, "id", "?");
	const char *mid = json_get_str(m, "id", "?");
	const char *name = json_get_str(m, "name", mid);
	const char *better = json_get_str(m, "better", "none");
	int kind = cmp_kind_parse(json_get_str(m, "kind", ""));
	enum cmp_family fam = CMP_F_HEADLINE;
	double thr, floor = 0, a[256], c[256];
	struct cmp_row *row;

	if (kind < 0)
		kind = CMP_K_INFO; /* a kind this opscope does not know: show, never gate */
	thr = cmp_threshold_for(o, sid, mid, name, (enum cmp_kind)kind);
	if (kind == CMP_K_KERNEL) {
		fam = kernel_family(name, &floor);
		if (fam == CMP_F_NONE)
			return 0; /* explains the others; no row of its own */
	}
	if ((kind == CMP_K_KERNEL || kind == CMP_K_INFO) && thr < 0)
		return 0; /* explanatory metrics: rows only when someone gates them */
	/* the primary op kind's throughput is the scenario's: one test, not two */
	if (!strcmp(name, "throughput") && json_get_str(m, "op", NULL) &&
	    !strcmp(json_get_str(m, "op", ""),
		    json_get_str(json_at(json_get(cs, "kinds"), 0), "op", "")))
		return 0;
	row = add_row(res);
	if (!row)
		return -ENOMEM;
	snprintf(row->scenario, sizeof(row->scenario), "%s", sid);
	snprintf(row->metric, sizeof(row->metric), "%s", mid);
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->op, sizeof(row->op), "%s", json_get_str(m, "op", ""));
	snprintf(row->unit, sizeof(row->unit), "%s", json_get_str(m, "unit", ""));
	row->kind = (enum cmp_kind)kind;
	row->better = !strcmp(better, "higher") ? 1 : !strcmp(better, "lower") ? -1 : 0;
	row->threshold_pct = thr;
	row->floor = floor;
	row->params_differ = params_differ;
	row->jbs = bs;
	row->jcs = cs;
	if (!bm || !cm) {
		row->verdict = bm ? CMP_GONE : CMP_NEW;
		res->missing++;
		return 0;
	}
	row->nb = cmp_reps_values(bm, a, 256);
	row->nc = cmp_reps_values(cm, c, 256);
	row->low_conf = row->nb < SIGNIF_MIN_REPS || row->nc < SIGNIF_MIN_REPS;
	if (!row->nb || !row->nc) {
		row->verdict = CMP_NODATA;
		return 0;
	}
	test_row(row, a, c);
	if (thr < 0 || row->better == 0) {
		row->verdict = CMP_UNGATED;
		return 0;
	}
	row->family = fam;
	return 0;
}

/* Do two rows hold the same kernel component of the same op kind in one suite group? */
static bool same_group(const struct cmp_row *a, const struct cmp_row *b)
{
	return !strcmp(a->metric, b->metric) &&
	       !strcmp(json_get_str(a->jcs, "group", ""), json_get_str(b->jcs, "group", ""));
}

static bool poolable(const struct cmp_row *r)
{
	return (r->family == CMP_F_WORK || r->family == CMP_F_WAIT) && isfinite(r->p) &&
	       r->w.logscale && json_get_str(r->jcs, "group", NULL);
}

/* The pooled row of the group of row first (its members from first on). */
static int pool_one(struct cmp_result *res, int first)
{
	struct welch *v = malloc((size_t)res->nrows * sizeof(*v));
	double lb = 0, lc = 0;
	struct cmp_row *row;
	int n = 0, nr = res->nrows;

	if (!v)
		return -ENOMEM;
	for (int i = first; i < nr; i++) {
		struct cmp_row *r = &res->rows[i];

		if (!poolable(r) || !same_group(r, &res->rows[first]))
			continue;
		v[n++] = r->w;
		lb += log(r->base > 0 ? r->base : 1e-300);
		lc += log(r->cur > 0 ? r->cur : 1e-300);
	}
	if (n < 2) {
		free(v);
		return 0;
	}
	row = add_row(res);
	if (!row) {
		free(v);
		return -ENOMEM;
	}
	*row = res->rows[first];
	row->explain = row->flame = NULL;
	snprintf(row->scenario, sizeof(row->scenario), "%s/*",
		 json_get_str(row->jcs, "group", "?"));
	row->nscen = n;
	row->nb = row->nc = 0;
	row->low_conf = false;
	row->params_differ = false;
	for (int i = first; i < nr; i++) {
		struct cmp_row *r = &res->rows[i];

		if (!poolable(r) || !same_group(r, &res->rows[first]))
			continue;
		row->nb += r->nb;
		row->nc += r->nc;
		row->low_conf |= r->low_conf;
		row->params_differ |= r->params_differ;
		r->family = CMP_F_NONE;
		r->verdict = CMP_POOLED;
	}
	/* the medians' geometric means, and the pooled effect */
	row->base = row->shown_b = exp(lb / n);
	row->cur = row->shown_c = exp(lc / n);
	row->delta_pct = (row->cur - row->base) / row->base * 100;
	row->ci_lo = row->ci_hi = NAN;
	signif_pool(v, n, 0.95, &row->w);
	row->p = row->w.p;
	row->effect_pct = row->w.effect_pct;
	row->eff_lo_pct = row->w.eff_lo_pct;
	row->eff_hi_pct = row->w.eff_hi_pct;
	free(v);
	return 0;
}

/*
 * The kernel components of a sweep's scenarios are tested together: a change in what
 * the code does per op shows in every point of the sweep, and a test over all of them
 * finds a change of a few percent that five repetitions of one scenario cannot. Each
 * pooled row replaces its members in the family (their own tests stay in the rows).
 */
static int pool_groups(struct cmp_result *res)
{
	int nr = res->nrows;

	for (int i = 0; i < nr; i++) {
		int err;

		if (!poolable(&res->rows[i]))
			continue;
		err = pool_one(res, i);
		if (err)
			return err;
	}
	return 0;
}

/* Is a baseline scenario outside the current run's --scenario filter? */
static bool filtered_out(const struct json_value *cur_root, const struct json_value *bs)
{
	const struct json_value *f = json_get(json_get(cur_root, "settings"), "scenario_filter");
	const char *id = json_get_str(bs, "id", ""), *group = json_get_str(bs, "group", "");

	if (!json_is(f, JSON_ARRAY))
		return false;
	for (size_t i = 0; i < json_len(f); i++) {
		const char *g = json_str(json_at(f, i));

		if (g && (!fnmatch(g, id, 0) || !fnmatch(g, group, 0)))
			return false;
	}
	return true;
}

static int compare_scenario(const struct json_value *bs, const struct json_value *cs,
			    const struct cmp_opts *o, struct cmp_result *res)
{
	const struct json_value *bms = json_get(bs, "metrics"), *cms = json_get(cs, "metrics");
	bool differ = false;
	int err;

	if (!bs || !cs) {
		/* a scenario in one report only: one row, not one per metric */
		struct cmp_row *row = add_row(res);

		if (!row)
			return -ENOMEM;
		snprintf(row->scenario, sizeof(row->scenario), "%s",
			 json_get_str(cs ? cs : bs, "id", "?"));
		snprintf(row->metric, sizeof(row->metric), "(scenario)");
		snprintf(row->name, sizeof(row->name), "scenario");
		row->kind = CMP_K_INFO;
		row->verdict = cs ? CMP_NEW : CMP_GONE;
		row->explain = strdup(cs ? "only in the current report: the suite gained it" :
				      "only in the baseline: the current run did not have it");
		res->missing++;
		return 0;
	}
	err = cmp_params_check(bs, cs, res, &differ);
	if (err)
		return err;
	if (strcmp(json_get_str(cs, "status", "ok"), "ok")) {
		struct cmp_row *row = add_row(res);
		struct sbuf b = { 0 };

		if (!row)
			return -ENOMEM;
		snprintf(row->scenario, sizeof(row->scenario), "%s", json_get_str(cs, "id", "?"));
		snprintf(row->metric, sizeof(row->metric), "status");
		snprintf(row->name, sizeof(row->name), "status");
		row->verdict = CMP_FAILED;
		row->kind = CMP_K_INFO;
		sbuf_printf(&b, "current scenario status is %s: %s",
			    json_get_str(cs, "status", "?"),
			    json_get_str(cs, "error", "no error recorded"));
		row->explain = b.s;
		res->failed++;
	}
	/* current metrics in order, then metrics only the baseline has */
	for (size_t i = 0; i < json_len(cms); i++) {
		const struct json_value *cm = json_at(cms, i);
		const struct json_value *bm = json_find_by(bms, "id", json_get_str(cm, "id", ""));

		err = compare_metric(bs, cs, bm, cm, o, res, differ);
		if (err)
			return err;
	}
	for (size_t i = 0; i < json_len(bms); i++) {
		const struct json_value *bm = json_at(bms, i);

		if (json_find_by(cms, "id", json_get_str(bm, "id", "")))
			continue;
		err = compare_metric(bs, cs, bm, NULL, o, res, differ);
		if (err)
			return err;
	}
	return 0;
}

int cmp_run(const struct cmp_report *base, const struct cmp_report *cur,
	    const struct cmp_opts *o, struct cmp_result *res, char *err, size_t errlen)
{
	const struct json_value *bsc = json_get(base->root, "scenarios");
	const struct json_value *csc = json_get(cur->root, "scenarios");
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->base_path, sizeof(res->base_path), "%s", base->path);
	snprintf(res->cur_path, sizeof(res->cur_path), "%s", cur->path);
	res->alpha = o->alpha;
	env_check(json_get(base->root, "environment"), json_get(cur->root, "environment"), res);
	for (size_t i = 0; i < json_len(csc); i++) {
		const struct json_value *cs = json_at(csc, i);
		const struct json_value *bs = json_find_by(bsc, "id", json_get_str(cs, "id", ""));

		if (bs)
			impl_check(bs, cs, res);
		rc = compare_scenario(bs, cs, o, res);
		if (rc)
			goto fail;
	}
	for (size_t i = 0; i < json_len(bsc); i++) {
		const struct json_value *bs = json_at(bsc, i);

		if (json_find_by(csc, "id", json_get_str(bs, "id", "")))
			continue;
		if (filtered_out(cur->root, bs)) {
			res->filtered++;
			continue;
		}
		rc = compare_scenario(bs, NULL, o, res);
		if (rc)
			goto fail;
	}
	if (res->param_diff && !o->allow_param_change) {
		seterr(err, errlen, "%d scenario%s ran with other parameters than in the "
		       "baseline, so their numbers measure something else: %s; compare runs "
		       "of the same suite, or pass --allow-param-change to compare them anyway "
		       "(flagged)", res->param_scenarios, res->param_scenarios == 1 ? "" : "s",
		       res->param_diff);
		return -EINVAL;
	}
	rc = pool_groups(res);
	if (!rc)
		rc = cmp_judge(base, cur, o, res);
	if (rc)
		goto fail;
	return 0;
fail:
	seterr(err, errlen, "out of memory while comparing");
	return rc;
}

void cmp_result_free(struct cmp_result *res)
{
	for (int i = 0; i < res->nrows; i++) {
		free(res->rows[i].explain);
		free(res->rows[i].flame);
	}
	free(res->rows);
	free(res->param_diff);
	res->rows = NULL;
	res->param_diff = NULL;
	res->nrows = res->cap = 0;
}

const char *cmp_outcome_name(enum cmp_outcome o)
{
	switch (o) {
	case CMP_OUT_OK: return "OK";
	case CMP_OUT_REGRESSION: return "REGRESSION";
	case CMP_OUT_REFUSED: return "NOT COMPARABLE";
	case CMP_OUT_UNJUDGED: return "COULD NOT JUDGE";
	case CMP_OUT_TARGET: return "TARGET FAILED";
	}
	return "?";
}

int cmp_exit_status(const struct cmp_result *res, const struct cmp_opts *o)
{
	if ((res->env_differs && !o->allow_env_mismatch) ||
	    (res->impl_differs && !o->allow_impl_mismatch))
		return 2;
	switch (res->outcome) {
	case CMP_OUT_REGRESSION: return 1;
	case CMP_OUT_REFUSED: return 2;
	case CMP_OUT_UNJUDGED: return CMP_EXIT_UNJUDGED;
	case CMP_OUT_TARGET: return CMP_EXIT_TARGET;
	case CMP_OUT_OK: break;
	}
	return 0;
}

int cmp_known_add(struct cmp_opts *o, const char *list, char *err, size_t errlen)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n) {
			if (o->nknown >= CMP_MAX_KNOWN || n >= sizeof(o->known[0])) {
				seterr(err, errlen, "--known-failing: more than %d names, or a "
				       "name longer than %zu characters", CMP_MAX_KNOWN,
				       sizeof(o->known[0]) - 1);
				return -EINVAL;
			}
			snprintf(o->known[o->nknown++], sizeof(o->known[0]), "%.*s", (int)n, p);
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

bool cmp_row_interesting(const struct cmp_row *r)
{
	return r->verdict != CMP_SAME && r->verdict != CMP_UNGATED && r->verdict != CMP_POOLED;
}
