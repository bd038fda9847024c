// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Why a metric moved, for compare's regressions: the kernel breakdown components of the
 * op kind's matching latency band that moved most (with their own significance over the
 * repetitions), the counts that moved, and a differential flame graph when both runs kept
 * their stacks (compare_explain.h).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stacks/flamegraph.h"
#include "stacks/folded.h"
#include "stats/compare_explain.h"
#include "stats/signif.h"
#include "util/diag.h"
#include "util/files.h"
#include "util/fmt.h"
#include "util/sbuf.h"

/* The band of kinds[].bands that holds the operations a latency metric describes. */
static const char *band_for(const char *name)
{
	if (!strcmp(name, "p50_ns"))
		return "le-p50";
	if (!strcmp(name, "p95_ns"))
		return "p90-p99";
	if (!strcmp(name, "p99_ns"))
		return "p99-p999";
	if (!strcmp(name, "p999_ns") || !strcmp(name, "max_ns"))
		return "gt-p999";
	return NULL; /* mean, throughput: all operations */
}

/* Per-operation mean of one breakdown field in a breakdown object, n taken into account. */
static double bd_mean(const struct json_value *bd, const char *field, bool is_sum)
{
	double n = is_sum ? json_get_num(bd, "n", 0) : 1;
	const struct json_value *v = json_get(bd, field);

	if (!json_is(v, JSON_NUMBER) || n <= 0)
		return NAN;
	return json_num(v) / n;
}

static double blocked_by(const struct json_value *bd, const char *sys, bool is_sum)
{
	const struct json_value *arr = json_get(bd, "blocked_by");
	double n = is_sum ? json_get_num(bd, "n", 0) : 1;
	const struct json_value *e = json_find_by(arr, "syscall", sys);

	if (n <= 0)
		return 0;
	return json_get_num(e, "ns", 0) / n;
}

/* The per-op breakdown a metric is explained with: (breakdown, is_sum). */
static const struct json_value *breakdown_of(const struct json_value *kind, const char *name,
					     bool *is_sum, const char **label)
{
	const char *band = band_for(name);

	if (band) {
		const struct json_value *b = json_find_by(json_get(kind, "bands"), "band", band);

		*is_sum = false;
		*label = band;
		return json_get(b, "mean");
	}
	*is_sum = true;
	*label = "all ops";
	return json_get(kind, "total");
}

static const struct {
	const char *field, *label;
} time_parts[] = {
	{ "blocked_ns", "blocked" },
	{ "runq_ns", "run-queue wait" },
	{ "on_ns", "on-CPU" },
	{ "queued_ns", "queued" },
	{ "steal_ns", "stolen (steal, interrupts)" },
};

static const struct {
	const char *field, *label;
} count_parts[] = {
	{ "ivcsw", "involuntary switches" },
	{ "vcsw", "voluntary switches" },
	{ "migrations", "migrations" },
	{ "faults", "page faults" },
	{ "syscalls", "syscalls" },
};

static void fmt_ns_delta(char *buf, size_t len, double d)
{
	char v[24];

	fmt_value(v, sizeof(v), fabs(d), "ns");
	snprintf(buf, len, "%s%s", d < 0 ? "-" : "+", v);
}

/*
 * Per-repetition values of one breakdown field for an op kind: the band's mean in each
 * repetition (band NULL: over all the repetition's operations). Repetitions without a
 * breakdown, or with no operation in the band, are left out. Returns how many.
 */
static int rep_part(const struct json_value *scen, const char *op, const char *band,
		    const char *field, double *out, int max)
{
	const struct json_value *reps = json_get(scen, "repetitions");
	int n = 0;

	for (size_t i = 0; i < json_len(reps) && n < max; i++) {
		const struct json_value *k = json_find_by(json_get(json_at(reps, i), "kinds"), "op", op);
		const struct json_value *bands = json_get(k, "bands");

		if (!json_is(bands, JSON_ARRAY))
			continue;
		if (band) {
			const struct json_value *b = json_find_by(bands, "band", band);
			const struct json_value *v = json_get(json_get(b, "mean"), field);

			if (json_get_num(b, "ops", 0) > 0 && json_is(v, JSON_NUMBER))
				out[n++] = json_num(v);
		} else {
			double sum = 0, ops = 0;

			for (size_t j = 0; j < json_len(bands); j++) {
				sum += json_get_num(json_get(json_at(bands, j), "sum"), field, 0);
				ops += json_get_num(json_at(bands, j), "ops", 0);
			}
			if (ops > 0)
				out[n++] = sum / ops;
		}
	}
	return n;
}

/* The metric's own move: "p99 pool.call +180 us" or "throughput 41k/s -> 20k/s". */
static void explain_head(struct sbuf *b, const struct cmp_row *row, const char *op)
{
	char d[32], x[32], y[32], short_name[64];
	size_t n;

	snprintf(short_name, sizeof(short_name), "%s", row->name);
	n = strlen(short_name);
	if (n > 3 && !strcmp(short_name + n - 3, "_ns"))
		short_name[n - 3] = '\0';
	if (!strcmp(row->unit, "ns")) {
		fmt_ns_delta(d, sizeof(d), row->cur - row->base);
		sbuf_printf(b, "%s %s %s", short_name, op, d);
	} else {
		fmt_value(x, sizeof(x), row->base, row->unit);
		fmt_value(y, sizeof(y), row->cur, row->unit);
		sbuf_printf(b, "%s %s -> %s", row->metric, x, y);
	}
}

/* Both sides' breakdown of the band (or of all ops) a metric describes. */
struct explain_bd {
	const struct json_value *bs, *cs; /* the scenarios */
	const struct json_value *bb, *cb; /* their breakdowns */
	bool bsum, csum;                  /* sums over ops (else per-op means) */
	const char *label;                /* band name, or "all ops" */
	const char *op;
	const struct json_value *bw, *cw; /* run --why: the band's why split, or NULL */
};

/* run --why: a band's why object (kinds[].why.bands[]), NULL without. */
static const struct json_value *why_band(const struct json_value *kind, const char *band)
{
	return band ? json_find_by(json_get(json_get(kind, "why"), "bands"), "band", band) :
		      NULL;
}

/* The part of a why split that moved most: its words and its move. One list of parts
 * (what = "queued_ns" or "blocked_ns", then their by-op and by-syscall details). */
static const char *why_move(const struct json_value *bw, const struct json_value *cw,
			    const char *what, double *move)
{
	static const struct {
		const char *key, *words;
	} parts[] = {
		{ "on_cpu", "on-CPU" }, { "runq", "waiting for a CPU" },
		{ "blocked", "blocked" }, { "timer", "a timer" },
		{ "irq", "a device interrupt" }, { "softirq", "a softirq" },
		{ "idle_interrupt", "an interrupt on an idle CPU" },
		{ "kernel_thread", "a kernel thread" }, { "other_process", "another process" },
		{ "unknown", "not known" }, { "handoff", "the result's way back" },
	};
	const char *best = NULL;

	*move = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		double a = json_get_num(json_get(bw, what), parts[i].key, 0);
		double c = json_get_num(json_get(cw, what), parts[i].key, 0);

		if (fabs(c - a) > fabs(*move)) {
			*move = c - a;
			best = parts[i].words;
		}
	}
	return best;
}

/* "; queued +9.8 ms: pool-worker waiting for a CPU +9.1 ms" (run --why, both sides). */
static void explain_why(struct sbuf *b, const struct explain_bd *e, const char *field,
			const struct json_value *bk)
{
	const char *what = !strcmp(field, "queued_ns") ? "queued_ns" : "blocked_ns";
	const char *who = json_get_str(json_get(bk, "why"), strcmp(what, "queued_ns") ?
				       "blocked_on" : "queued_on", NULL);
	const char *words;
	double move;
	char d[32];

	if (!e->bw || !e->cw)
		return;
	words = why_move(e->bw, e->cw, what, &move);
	if (!words)
		return;
	fmt_ns_delta(d, sizeof(d), move);
	if (!strcmp(what, "queued_ns"))
		sbuf_printf(b, "; of it, %s%s%s %s", who ? who : "", who ? " " : "", words, d);
	else if (!strcmp(words, "on-CPU") || !strcmp(words, "waiting for a CPU") ||
		 !strcmp(words, "blocked"))
		sbuf_printf(b, "; of it, woken by %s, %s meanwhile, %s", who ? who : "a thread",
			    words, d);
	else
		sbuf_printf(b, "; of it, woken by %s %s", words, d);
}

struct part_move {
	const char *label, *field;
	double d;
};

/* Time components that moved, largest movement first. Returns how many. */
static int time_moves(const struct explain_bd *e, struct part_move *parts)
{
	int np = 0;

	for (size_t i = 0; i < sizeof(time_parts) / sizeof(time_parts[0]); i++) {
		double a = bd_mean(e->bb, time_parts[i].field, e->bsum);
		double c = bd_mean(e->cb, time_parts[i].field, e->csum);

		if (isnan(a) || isnan(c))
			continue;
		parts[np].label = time_parts[i].label;
		parts[np].field = time_parts[i].field;
		parts[np].d = c - a;
		np++;
	}
	for (int i = 0; i < np; i++)
		for (int j = i + 1; j < np; j++)
			if (fabs(parts[j].d) > fabs(parts[i].d)) {
				struct part_move t = parts[i];

				parts[i] = parts[j];
				parts[j] = t;
			}
	return np;
}

/* The syscall whose blocked time moved most, and by how much; NULL when none. */
static const char *blocked_move(const struct explain_bd *e, double *move)
{
	const char *best = NULL;

	*move = 0;
	for (int side = 0; side < 2; side++) {
		const struct json_value *arr = json_get(side ? e->bb : e->cb, "blocked_by");

		for (size_t k = 0; k < json_len(arr); k++) {
			const char *sys = json_get_str(json_at(arr, k), "syscall", NULL);
			double dd;

			if (!sys)
				continue;
			dd = blocked_by(e->cb, sys, e->csum) - blocked_by(e->bb, sys, e->bsum);
			if (fabs(dd) > fabs(*move)) {
				*move = dd;
				best = sys;
			}
		}
	}
	return best;
}

/* One time component: "blocked +150 us (in futex +148 us; p 0.008)". */
static void explain_part(struct sbuf *b, const struct explain_bd *e, const struct part_move *p,
			 bool first)
{
	const char *bandname = strcmp(e->label, "all ops") ? e->label : NULL;
	double ra[256], rc[256];
	bool paren = false;
	struct welch t;
	char d[32];
	int na, nc;

	fmt_ns_delta(d, sizeof(d), p->d);
	sbuf_printf(b, "%s %s %s", first ? "" : ",", p->label, d);
	if (!strcmp(p->label, "blocked")) {
		double move;
		const char *sys = blocked_move(e, &move);

		if (sys) {
			fmt_ns_delta(d, sizeof(d), move);
			sbuf_printf(b, " (in %s %s", sys, d);
			paren = true;
		}
	}
	/* is the component's move itself significant over the repetitions? */
	na = rep_part(e->bs, e->op, bandname, p->field, ra, 256);
	nc = rep_part(e->cs, e->op, bandname, p->field, rc, 256);
	if (!signif_welch(ra, na, rc, nc, 0.95, &t)) {
		char pv[16];

		fmt_p(pv, sizeof(pv), t.p);
		sbuf_printf(b, "%sp %s", paren ? "; " : " (", pv);
		paren = true;
	}
	if (paren)
		sbuf_printf(b, ")");
}

/* Counts that moved by half or more: "; involuntary switches x3.0 (1 -> 3 per op)". */
static void explain_counts(struct sbuf *b, const struct explain_bd *e)
{
	bool first = true;

	for (size_t i = 0; i < sizeof(count_parts) / sizeof(count_parts[0]); i++) {
		double a = bd_mean(e->bb, count_parts[i].field, e->bsum);
		double c = bd_mean(e->cb, count_parts[i].field, e->csum);

		if (isnan(a) || isnan(c) || (a < 0.05 && c < 0.05))
			continue;
		if (a >= 0.05 && c / a < 1.5 && c / a > 1 / 1.5)
			continue;
		if (a >= 0.05)
			sbuf_printf(b, "%s %s x%.1f (%.2g -> %.2g per op)", first ? ";" : ",",
				    count_parts[i].label, c / a, a, c);
		else
			sbuf_printf(b, "%s %s %.2g -> %.2g per op", first ? ";" : ",",
				    count_parts[i].label, a, c);
		first = false;
	}
}

/*
 * "p99 pool.call +180 us; ops in band p99-p999 took +175 us more on average, of which
 * blocked +150 us (futex +148 us), run-queue wait +20 us; involuntary switches x3.0".
 */
char *cmp_explain_latency(const struct json_value *bs, const struct json_value *cs,
			  const struct json_value *bk, const struct json_value *ck,
			  const struct cmp_row *row, const char *op, const char *band_metric)
{
	struct explain_bd e = { .bs = bs, .cs = cs, .op = op };
	struct part_move parts[sizeof(time_parts) / sizeof(time_parts[0])];
	struct sbuf b = { 0 };
	char d[32], x[32], y[32];
	double lat_d;
	int np, shown = 0;

	e.bb = breakdown_of(bk, band_metric, &e.bsum, &e.label);
	e.cb = breakdown_of(ck, band_metric, &e.csum, &e.label);
	e.bw = why_band(bk, band_for(band_metric));
	e.cw = why_band(ck, band_for(band_metric));
	explain_head(&b, row, op);
	if (!json_is(e.bb, JSON_OBJECT) || !json_is(e.cb, JSON_OBJECT)) {
		sbuf_printf(&b, "; no kernel breakdown in %s (run without --no-kernel to "
			    "explain it)", !json_is(e.bb, JSON_OBJECT) &&
			    !json_is(e.cb, JSON_OBJECT) ? "either report" :
			    !json_is(e.bb, JSON_OBJECT) ? "the baseline" : "the current report");
		return b.s;
	}
	lat_d = bd_mean(e.cb, "lat_ns", e.csum) - bd_mean(e.bb, "lat_ns", e.bsum);
	fmt_ns_delta(d, sizeof(d), lat_d);
	if (strcmp(e.label, "all ops"))
		sbuf_printf(&b, "; %s ops in band %s took %s on average (", op, e.label, d);
	else
		sbuf_printf(&b, "; %s ops took %s on average (", op, d);
	fmt_value(x, sizeof(x), bd_mean(e.bb, "lat_ns", e.bsum), "ns");
	fmt_value(y, sizeof(y), bd_mean(e.cb, "lat_ns", e.csum), "ns");
	sbuf_printf(&b, "%s -> %s), of which", x, y);
	np = time_moves(&e, parts);
	for (int i = 0; i < np && shown < 3; i++) {
		if (shown && fabs(parts[i].d) < 0.1 * fabs(lat_d))
			break;
		explain_part(&b, &e, &parts[i], !shown);
		/* --why: which part of the largest move grew */
		if (!shown && (!strcmp(parts[i].field, "queued_ns") ||
			       !strcmp(parts[i].field, "blocked_ns")))
			explain_why(&b, &e, parts[i].field, ck);
		shown++;
	}
	if (!shown)
		sbuf_printf(&b, " no time component moved");
	explain_counts(&b, &e);
	return b.s;
}

char *cmp_explain_memory(const struct json_value *bs, const struct json_value *cs,
			 const struct cmp_row *row)
{
	static const char *const related[] = { "faults_per_op", "map_bytes_per_op",
					       "allocs_per_op", "bytes_per_op" };
	struct sbuf b = { 0 };
	char x[32], y[32];

	fmt_value(x, sizeof(x), row->base, row->unit);
	fmt_value(y, sizeof(y), row->cur, row->unit);
	sbuf_printf(&b, "%s %s -> %s", row->metric, x, y);
	for (size_t i = 0; i < sizeof(related) / sizeof(related[0]); i++) {
		const struct json_value *bm = json_find_by(json_get(bs, "metrics"), "id", related[i]);
		const struct json_value *cm = json_find_by(json_get(cs, "metrics"), "id", related[i]);
		const char *unit = json_get_str(cm, "unit", "");

		if (!strcmp(related[i], row->metric) || !json_is(json_get(bm, "median"),
								  JSON_NUMBER) ||
		    !json_is(json_get(cm, "median"), JSON_NUMBER))
			continue;
		fmt_value(x, sizeof(x), json_get_num(bm, "median", 0), unit);
		fmt_value(y, sizeof(y), json_get_num(cm, "median", 0), unit);
		sbuf_printf(&b, "; %s %s -> %s", related[i], x, y);
	}
	return b.s;
}

/*
 * Thread tag frames (thread=tid-8613) name threads of one process: two runs never share
 * them, so every stack would look new. Fold them away before diffing two runs.
 */
static struct folded *folded_without_threads(struct folded *in)
{
	struct folded *out = folded_new();
	char *buf = NULL;
	size_t cap = 0;

	for (size_t i = 0; out && i < folded_count(in); i++) {
		const char *stack;
		uint64_t v;
		size_t len, o = 0;

		folded_get(in, i, &stack, &v);
		if (!stack) /* its sorted index could not be allocated */
			goto fail;
		len = strlen(stack);
		if (len + 1 > cap) {
			char *t = realloc(buf, len + 1);

			if (!t)
				goto fail;
			buf = t;
			cap = len + 1;
		}
		for (const char *f = stack; *f;) {
			const char *semi = strchr(f, ';');
			size_t n = semi ? (size_t)(semi - f) : strlen(f);

			if (strncmp(f, "thread=", 7)) {
				if (o)
					buf[o++] = ';';
				memcpy(buf + o, f, n);
				o += n;
			}
			f += n + (semi ? 1 : 0);
		}
		buf[o] = '\0';
		if (o && folded_add_stack(out, buf, v))
			goto fail;
	}
	free(buf);
	return out;
fail:
	free(buf);
	folded_free(out);
	return NULL;
}

/*
 * The SVG into CUR's output directory (util/files.h): only through real directories, never
 * a link, and listed in the directory's marker, so a later run --out there still knows
 * it for opscope's own.
 */
static int write_diff(const char *root, const char *rel, struct folded *a, struct folded *b,
		      const struct flamegraph_opts *fo, char *err, size_t errlen)
{
	struct afile af;
	int rc = afile_open_beneath(&af, root, rel, err, errlen);

	if (rc)
		return rc;
	rc = afile_commit(&af, flamegraph_write_diff(af.f, a, b, fo, NULL), err, errlen);
	if (!rc && files_tree_note(root, rel))
		cmd_warn("compare", "could not list %s in the marker of %s: a run --out there "
			 "will take it for a file opscope did not write", rel, root);
	return rc;
}

/*
 * Differential flame graph of a scenario's op kind: when both reports' directories hold
 * its folded stacks (DIR/stacks/<scenario, '/' as '_'>/<op>.<type>.folded, as
 * profile.c writes them), render CUR/stacks/.../<op>.<type>.diff.svg with the flame
 * graph module: red frames grew from baseline to current. "wall" (the whole latency in
 * ns) is preferred, then "offcpu". Returns the path (malloc), or NULL.
 */
char *cmp_flame_path(const struct cmp_report *base, const struct cmp_report *cur,
		     const char *scenario, const char *op)
{
	static const char *const types[] = { "wall", "offcpu" };
	char sc[512], a[8192], c[8192], err[512], title[768];
	char *path = NULL, *rel;

	if (!op || !op[0])
		return NULL;
	snprintf(sc, sizeof(sc), "%s", scenario);
	for (char *q = sc; *q; q++)
		if (*q == '/')
			*q = '_';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct flamegraph_opts fo = { 0 };
		struct folded *fa, *fc;
		int rc;

		snprintf(a, sizeof(a), "%s/stacks/%s/%s.%s.folded", base->dir, sc, op, types[i]);
		snprintf(c, sizeof(c), "%s/stacks/%s/%s.%s.folded", cur->dir, sc, op, types[i]);
		if (access(a, R_OK) || access(c, R_OK))
			continue;
		if (asprintf(&rel, "stacks/%s/%s.%s.diff.svg", sc, op, types[i]) < 0)
			return NULL;
		if (asprintf(&path, "%s/%s", cur->dir, rel) < 0) {
			free(rel);
			return NULL;
		}
		fa = folded_new();
		fc = folded_new();
		rc = !fa || !fc ? -ENOMEM : folded_read_file(fa, a, err, sizeof(err));
		if (!rc)
			rc = folded_read_file(fc, c, err, sizeof(err));
		if (!rc) {
			struct folded *na = folded_without_threads(fa);
			struct folded *nc = folded_without_threads(fc);

			folded_free(fa);
			folded_free(fc);
			fa = na;
			fc = nc;
			if (!fa || !fc) {
				rc = -ENOMEM;
				snprintf(err, sizeof(err), "out of memory");
			}
		}
		if (!rc) {
			snprintf(title, sizeof(title), "%s %s: %s time, baseline -> current",
				 scenario, op, types[i]);
			fo.title = title;
			fo.unit = "ns";
			fo.a_name = "baseline";
			fo.b_name = "current";
			rc = write_diff(cur->dir, rel, fa, fc, &fo, err, sizeof(err));
		}
		free(rel);
		folded_free(fa);
		folded_free(fc);
		if (rc) {
			cmd_warn("compare", "no differential flame graph for %s %s: %s", scenario,
				 op, err);
			free(path);
			return NULL;
		}
		return path;
	}
	return NULL;
}
