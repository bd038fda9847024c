// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * compare's judgement, once compare.c has built and tested every row: Holm's correction
 * over the whole family of tests, a verdict per row, the explanations, the parameters
 * each scenario ran with, the machine's noise in each run, the targets, and the
 * comparison's outcome (compare.h, docs/NIGHTLY.md "The verdict").
 *
 * Two families, each given half of alpha (Bonferroni between them, Holm within): what
 * the code does per op (on-CPU, syscalls, faults per op: a few pooled rows) and the rest
 * (headline metrics, waits: hundreds). In one family the few would need to beat the
 * hundreds' correction; split, a consistent change in work per op is found whatever the
 * number of headline metrics, and the chance of any false row stays below alpha.
 *
 * With past runs (compare --history) a row is tested against how far runs of the same
 * code land apart, not against its repetitions: repetitions of one process share its
 * state (a stream workload's p50 was 38 us in every repetition of one run and 66 us in
 * every repetition of the next), so they say nothing about the next process.
 *
 * A rerun (compare --confirm) tests again, with a fresh process, only the rows flagged:
 * a second stage on new data over the hypotheses the first selected keeps the
 * family-wise error at alpha, and what one process's state made of a run (a stream
 * workload's p95 doubled in every repetition of one run, then never again) does not
 * repeat, while a change in the code does.
 *
 * Why Holm and not Benjamini-Hochberg: a nightly asks one question, "did anything get
 * worse?", and a false alarm is a night someone is paged for nothing, so the error that
 * matters is the chance of any false row (family-wise), which Holm bounds under any
 * dependence between the metrics; ours are computed from the same repetitions and move
 * together (throughput up, latency down). Benjamini-Hochberg bounds the share of false
 * rows among the rows flagged: the same guarantee when nothing changed, but only under
 * positive dependence, and its extra power is in flagging the tenth row of a change
 * whose first row already makes the night red.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/compare.h"
#include "stats/compare_explain.h"
#include "stats/signif.h"
#include "util/fmt.h"
#include "util/sbuf.h"

/* ---- parameters ------------------------------------------------------------------- */

/* "SCENARIO: name a -> b" for one key whose text differs (or is in one side only). */
static int diff_key(struct sbuf *b, const char *key,
		    const struct json_value *a, const struct json_value *c, bool *first)
{
	char va[96], vc[96];

	for (int side = 0; side < 2; side++) {
		const struct json_value *v = side ? c : a;
		char *out = side ? vc : va;

		if (!v || json_is(v, JSON_NULL))
			snprintf(out, 96, "(unset)");
		else if (json_is(v, JSON_NUMBER))
			snprintf(out, 96, "%.17g", json_num(v));
		else if (json_is(v, JSON_STRING))
			snprintf(out, 96, "%s", json_str(v));
		else if (json_is(v, JSON_BOOL))
			snprintf(out, 96, "%s", json_bool(v) ? "true" : "false");
		else
			snprintf(out, 96, "?");
	}
	if (!strcmp(va, vc))
		return 0;
	sbuf_printf(b, "%s%s %s -> %s", *first ? "" : ", ", key, va, vc);
	*first = false;
	return 1;
}

/* The parameter that picks a scenario's implementation (pool and channel impl, bench fn):
 * another implementation is refused on its own (--allow-impl-mismatch), not as a parameter. */
static bool impl_param(const struct json_value *sc, const char *key)
{
	const char *wl = json_get_str(sc, "workload", "");

	if (!strcmp(key, "impl"))
		return !strcmp(wl, "pool") || !strcmp(wl, "channel");
	return !strcmp(key, "fn") && !strcmp(wl, "bench");
}

int cmp_params_check(const struct json_value *bs, const struct json_value *cs,
		     struct cmp_result *res, bool *differ)
{
	static const char *const run_keys[] = { "workload", "warmup_ns", "duration_ns",
						"max_ops" };
	const struct json_value *bp = json_get(bs, "params_text");
	const struct json_value *cp = json_get(cs, "params_text");
	const char *sid = json_get_str(cs, "id", "?");
	struct sbuf b = { 0 };
	bool first = true;
	int n = 0;

	if (!bp || !cp) { /* an older report: the numbers, as far as they go */
		bp = json_get(bs, "params");
		cp = json_get(cs, "params");
	}
	for (size_t i = 0; i < sizeof(run_keys) / sizeof(run_keys[0]); i++)
		n += diff_key(&b, run_keys[i], json_get(bs, run_keys[i]),
			      json_get(cs, run_keys[i]), &first);
	for (size_t i = 0; i < json_len(cp); i++) {
		const char *k = json_key_at(cp, i);

		if (impl_param(cs, k))
			continue;
		n += diff_key(&b, k, json_get(bp, k), json_at(cp, i), &first);
	}
	for (size_t i = 0; i < json_len(bp); i++) {
		const char *k = json_key_at(bp, i);

		if (!json_get(cp, k) && !impl_param(bs, k))
			n += diff_key(&b, k, json_at(bp, i), NULL, &first);
	}
	*differ = n > 0;
	if (!n) {
		free(b.s);
		return 0;
	}
	if (!b.s)
		return -ENOMEM;
	{
		struct sbuf all = { .s = res->param_diff,
				    .len = res->param_diff ? strlen(res->param_diff) : 0,
				    .cap = res->param_diff ? strlen(res->param_diff) + 1 : 0 };

		sbuf_printf(&all, "%s%s (%s)", all.len ? "; " : "", sid, b.s);
		free(b.s);
		if (!all.s)
			return -ENOMEM;
		res->param_diff = all.s;
	}
	res->param_scenarios++;
	return 0;
}

/* ---- noise ------------------------------------------------------------------------ */

/* Every repetition's noise in a report; how many (0 for reports without noise). */
static int report_noise(const struct json_value *root, struct rep_noise **out)
{
	const struct json_value *sc = json_get(root, "scenarios");
	struct rep_noise *v = NULL;
	int n = 0, cap = 0;

	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *reps = json_get(json_at(sc, i), "repetitions");

		for (size_t j = 0; j < json_len(reps); j++) {
			const struct json_value *nz = json_get(json_at(reps, j), "noise");

			if (!json_is(nz, JSON_OBJECT))
				continue;
			if (n == cap) {
				struct rep_noise *t = realloc(v, (cap = cap ? 2 * cap : 64) *
							      sizeof(*v));

				if (!t)
					break;
				v = t;
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].valid = true;
			v[n].other_cpus = json_get_num(nz, "other_cpus", NAN);
			v[n].other_runnable = json_get_num(nz, "other_runnable", NAN);
			v[n].steal_pct = json_get_num(nz, "steal_pct", NAN);
			v[n].load1 = json_get_num(nz, "load1", NAN);
			n++;
		}
	}
	*out = v;
	return n;
}

void cmp_noise_check(const struct cmp_report *base, const struct cmp_report *cur,
		     struct cmp_result *res)
{
	int ncpus = (int)json_get_num(json_get(cur->root, "environment"), "online_cpus", 0);
	struct rep_noise *a = NULL, *c = NULL;
	int na = report_noise(base->root, &a), nc = report_noise(cur->root, &c);

	noise_summarize(a, na, ncpus, &res->base_noise);
	noise_summarize(c, nc, ncpus, &res->cur_noise);
	res->noise_changed = noise_changed(a, na, c, nc, ncpus, res->noise_why,
					   sizeof(res->noise_why));
	free(a);
	free(c);
}

/* ---- targets ---------------------------------------------------------------------- */

static bool known_in(const struct cmp_opts *o, const struct json_value *meta_known,
		     const char *name)
{
	for (int i = 0; i < o->nknown; i++)
		if (!strcmp(o->known[i], name))
			return true;
	for (size_t i = 0; i < json_len(meta_known); i++)
		if (json_str(json_at(meta_known, i)) &&
		    !strcmp(json_str(json_at(meta_known, i)), name))
			return true;
	return false;
}

/* A baseline directory's targets known to fail there (meta.json), or NULL. */
static struct json_doc *baseline_meta(const struct cmp_report *base)
{
	char path[4096 + 16];
	struct json_err je;

	snprintf(path, sizeof(path), "%s/meta.json", base->dir);
	return json_parse_file(path, 0, &je);
}

/* A target's value as the report wrote it, in its unit. */
static void target_value(const struct json_value *t, char *buf, size_t len)
{
	const struct json_value *v = json_get(t, "value");

	if (!json_is(v, JSON_NUMBER))
		snprintf(buf, len, "-");
	else
		fmt_value(buf, len, json_num(v), json_get_str(t, "unit", ""));
}

void cmp_targets_check(const struct cmp_report *base, const struct cmp_report *cur,
		       const struct cmp_opts *o, struct cmp_result *res)
{
	const struct json_value *bt = json_get(base->root, "targets");
	const struct json_value *ct = json_get(cur->root, "targets");
	struct json_doc *meta = baseline_meta(base);
	const struct json_value *mk = json_get(json_root(meta), "known_failing_targets");

	for (size_t i = 0; i < json_len(ct) && res->ntargets < CMP_MAX_TARGETS; i++) {
		const struct json_value *t = json_at(ct, i);
		const char *name = json_get_str(t, "name", "?");
		const struct json_value *b = json_find_by(bt, "name", name);
		struct cmp_target *x = &res->targets[res->ntargets++];
		const char *cond = json_get_str(t, "condition", NULL);

		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s", name);
		if (cond) {
			snprintf(x->condition, sizeof(x->condition), "%s", cond);
		} else {
			char th[32];

			fmt_value(th, sizeof(th), json_get_num(t, "threshold", NAN),
				  json_get_str(t, "unit", ""));
			snprintf(x->condition, sizeof(x->condition), "%s %s",
				 json_get_str(t, "op", "?"), th);
		}
		target_value(t, x->value, sizeof(x->value));
		snprintf(x->scenario, sizeof(x->scenario), "%s", json_get_str(t, "scenario", ""));
		snprintf(x->status, sizeof(x->status), "%s", json_get_str(t, "status", "n/a"));
		snprintf(x->base_status, sizeof(x->base_status), "%s",
			 b ? json_get_str(b, "status", "n/a") : "");
		if (strcmp(x->status, "fail")) {
			if (known_in(o, mk, name))
				res->targets_fixed++;
			continue;
		}
		x->known = known_in(o, mk, name);
		if (x->known)
			res->targets_known++;
		else
			res->targets_failed++;
	}
	json_doc_free(meta);
}

/* ---- verdicts --------------------------------------------------------------------- */

/*
 * Moves the machine's noise explains when it changed: how fast and how long (throughput,
 * latency), how long ops waited, how many syscalls they made, and their on-CPU time. An
 * op that synchronizes makes one syscall (a futex wait) only when it has to sleep, which
 * the load decides (bench/nightly-aa.sh: pool.call went from 0.00 to 0.29 syscalls per
 * op between two runs of one build, a busy loop beside the first); and it spins before
 * it sleeps for as long as its partner is running, which the load decides too (the
 * channel's and stream's on-CPU per op 43-68% higher in a quiet run than in the run
 * beside other jobs before it, one build). Faults and memory per op are judged whatever the
 * noise. So a change in on-CPU work on a night whose noise changed is not judged (exit
 * 3, rerun on a quiet machine), rather than a busy neighbour blamed on the code.
 */
static bool noise_explains(const struct cmp_row *r)
{
	return r->kind == CMP_K_THROUGHPUT || r->kind == CMP_K_LATENCY ||
	       r->family == CMP_F_WAIT || !strcmp(r->name, "syscalls") ||
	       !strcmp(r->name, "on_ns");
}

/* "pool.call on-CPU per op +2.1us (20.0us -> 22.1us), +10.3% [+9.8%, +10.9%]" */
static char *explain_kernel(const struct cmp_row *r)
{
	static const struct {
		const char *name, *words;
	} w[] = {
		{ "on_ns", "on-CPU" }, { "runq_ns", "waiting for a CPU" },
		{ "blocked_ns", "blocked" }, { "syscalls", "syscalls" },
		{ "faults", "page faults" },
	};
	const char *words = r->name;
	struct sbuf b = { 0 };
	char x[32], y[32];

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (!strcmp(w[i].name, r->name))
			words = w[i].words;
	fmt_value(x, sizeof(x), r->shown_b, r->unit);
	fmt_value(y, sizeof(y), r->shown_c, r->unit);
	sbuf_printf(&b, "%s %s per op %s -> %s, %+.1f%% [%+.1f%%, %+.1f%%]", r->op, words, x,
		    y, r->effect_pct, r->eff_lo_pct, r->eff_hi_pct);
	if (r->family == CMP_F_WAIT)
		sbuf_printf(&b, "; a wait, not work: it explains the latency, and may be the "
			    "machine's");
	return b.s;
}

/* The change a threshold is held against: the effect when tested, else the medians'. */
static double change_of(const struct cmp_row *r)
{
	return isfinite(r->effect_pct) ? r->effect_pct : r->delta_pct;
}

static void judge_row(struct cmp_row *r, const struct cmp_result *res)
{
	double change = change_of(r), worse;
	bool significant = isfinite(r->p_adj) && r->p_adj < res->alpha;

	r->significant = significant;
	if (fabs(change) <= r->threshold_pct || change == 0 ||
	    fabs(r->cur - r->base) < r->floor) {
		r->verdict = CMP_SAME;
		return;
	}
	if (!significant) {
		r->verdict = CMP_NOISE;
		return;
	}
	worse = r->better > 0 ? -change : change;
	if (r->family == CMP_F_WAIT)
		r->verdict = CMP_SHIFT;
	else if (res->noise_changed && noise_explains(r))
		r->verdict = CMP_ENVIRONMENT;
	else
		r->verdict = worse > 0 ? CMP_REGRESSION : CMP_IMPROVEMENT;
}

/* A regressed headline row's explanation (the breakdown of its op kind) and diff graph. */
static void explain_headline(const struct cmp_report *base, const struct cmp_report *cur,
			     struct cmp_result *res, int idx)
{
	struct cmp_row *row = &res->rows[idx];
	const struct json_value *ckinds = json_get(row->jcs, "kinds");
	const struct json_value *bkinds = json_get(row->jbs, "kinds");
	const char *xop = row->op[0] ? row->op : json_get_str(json_at(ckinds, 0), "op", "");
	char key[96];

	if (row->kind == CMP_K_MEMORY) {
		row->explain = cmp_explain_memory(row->jbs, row->jcs, row);
	} else if (row->kind == CMP_K_LATENCY || row->kind == CMP_K_THROUGHPUT) {
		const struct json_value *bk = json_find_by(bkinds, "op", xop);
		const struct json_value *ck = json_find_by(ckinds, "op", xop);

		row->explain = cmp_explain_latency(row->jbs, row->jcs, bk, ck, row, xop,
						   row->kind == CMP_K_LATENCY ? row->name :
						   "mean_ns");
	}
	if (row->verdict != CMP_REGRESSION || !xop[0])
		return;
	/* one diff per scenario and op kind, however many of its metrics regressed */
	snprintf(key, sizeof(key), "/%s.", xop);
	for (int i = 0; i < idx; i++) {
		const struct cmp_row *o2 = &res->rows[i];

		if (o2->flame && !strcmp(o2->scenario, row->scenario) && strstr(o2->flame, key)) {
			row->flame = strdup(o2->flame);
			return;
		}
	}
	row->flame = cmp_flame_path(base, cur, row->scenario, xop);
}

/* What the comparison says, and why, in one sentence. */
static void outcome(struct cmp_result *res, const struct cmp_opts *o)
{
	/* with the noise changed, a move that is not significant may be the noise's too */
	int moved = res->environment + res->noise;

	if (res->regressions || res->failed) {
		res->outcome = CMP_OUT_REGRESSION;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "%d regression%s, %d "
			 "failed scenario%s%s", res->regressions, res->regressions == 1 ? "" : "s",
			 res->failed, res->failed == 1 ? "" : "s", res->noise_changed ?
			 " (in what the code does per op, which the machine's noise does not "
			 "explain; the noise changed too)" : "");
	} else if (res->noise_changed && !o->no_noise && moved) {
		res->outcome = CMP_OUT_UNJUDGED;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "the machine's noise "
			 "changed between the runs (%s): %d metric%s moved with it, and they "
			 "measure the machine as much as the code; rerun both on a quiet machine",
			 res->noise_why, moved, moved == 1 ? "" : "s");
	} else if (res->targets_failed && !o->no_targets) {
		res->outcome = CMP_OUT_TARGET;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "%d target%s failed that "
			 "%s not known to fail on this machine%s", res->targets_failed,
			 res->targets_failed == 1 ? "" : "s",
			 res->targets_failed == 1 ? "is" : "are", res->noise_changed ?
			 " (the machine's noise changed between the runs too: rerun both on a "
			 "quiet machine before blaming the code)" : "");
	} else {
		res->outcome = CMP_OUT_OK;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "no regression%s%s",
			 res->improvements ? " (improvements listed)" : "",
			 res->noise_changed ? "; the machine's noise changed, but nothing moved "
			 "with it" : "");
	}
}

/* The medians' log ratio of a row, or of a pooled row's members (their mean). */
static bool log_ratio(const struct cmp_result *res, int idx, double *d)
{
	const struct cmp_row *r = &res->rows[idx];
	int n = 0;

	*d = 0;
	if (!r->nscen) {
		if (!(r->base > 0) || !(r->cur > 0))
			return false;
		*d = log(r->cur / r->base);
		return true;
	}
	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *m = &res->rows[i];

		if (m->verdict != CMP_POOLED || strcmp(m->metric, r->metric) ||
		    strncmp(m->scenario, r->scenario, strlen(r->scenario) - 1))
			continue;
		if (!(m->base > 0) || !(m->cur > 0))
			return false;
		*d += log(m->cur / m->base);
		n++;
	}
	*d /= n ? n : 1;
	return n > 0;
}

/* Each past run's log median of a row (a pooled row: the mean over its members, where
 * the run has them all). Returns how many runs gave one. */
static int past_logs(const struct cmp_result *res, int idx, const struct cmp_history *h,
		     double *out)
{
	const struct cmp_row *r = &res->rows[idx];
	double *v = malloc((size_t)(h->nruns + 1) * sizeof(*v));
	int nr = h->nruns, members = 0, n = 0;

	if (!v)
		return 0;
	for (int j = 0; j < nr; j++)
		out[j] = 0;
	for (int i = r->nscen ? 0 : idx; i < (r->nscen ? res->nrows : idx + 1); i++) {
		const struct cmp_row *m = &res->rows[i];

		if (r->nscen && (m->verdict != CMP_POOLED || strcmp(m->metric, r->metric) ||
				 strncmp(m->scenario, r->scenario, strlen(r->scenario) - 1)))
			continue;
		nr = h->values(h->ctx, m->scenario, m->metric, r->family == CMP_F_WORK, v);
		for (int j = 0; j < nr; j++)
			out[j] += v[j] > 0 ? log(v[j]) : NAN;
		members++;
	}
	for (int j = 0; j < nr; j++)
		if (isfinite(out[j]))
			out[n++] = out[j] / members;
	free(v);
	return n;
}

/* The log of the current run's median of a row (a pooled row: the mean over its members). */
static bool log_current(const struct cmp_result *res, int idx, double *v)
{
	const struct cmp_row *r = &res->rows[idx];
	int n = 0;

	*v = 0;
	for (int i = r->nscen ? 0 : idx; i < (r->nscen ? res->nrows : idx + 1); i++) {
		const struct cmp_row *m = &res->rows[i];

		if (r->nscen && (m->verdict != CMP_POOLED || strcmp(m->metric, r->metric) ||
				 strncmp(m->scenario, r->scenario, strlen(r->scenario) - 1)))
			continue;
		if (!(m->cur > 0))
			return false;
		*v += log(m->cur);
		n++;
	}
	*v /= n ? n : 1;
	return n > 0;
}

/*
 * Test a row against the spread of past runs. Each run's median is the truth plus its
 * own run's offset, so the difference of two runs has twice a run's variance: the
 * change from the baseline is tested against that. And the current run must itself be
 * unusual among the past runs, the same way (its distance from their mean against one
 * run's spread): a baseline that was itself the odd run out makes every run after it
 * look changed, and only this second test sees it. Both must hold (the larger p).
 */
static void history_test(struct cmp_result *res, int idx, const struct cmp_history *h)
{
	struct cmp_row *r = &res->rows[idx];
	double *x = malloc((size_t)(h->nruns + 1) * sizeof(*x)), d, mean = 0, ss = 0, se, q;
	double now, sd, t2, p2;
	int n;

	if (!x)
		return;
	n = past_logs(res, idx, h, x);
	if (n < CMP_HISTORY_MIN || !log_ratio(res, idx, &d) || !log_current(res, idx, &now)) {
		free(x);
		return;
	}
	for (int i = 0; i < n; i++)
		mean += x[i] / n;
	for (int i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	sd = sqrt(ss / (n - 1));
	if (sd < 1e-4)
		sd = 1e-4; /* a constant history: a hundredth of a percent */
	se = sd * sqrt(2);
	r->w.d = d;
	r->w.se = se;
	r->w.df = n - 1;
	r->w.t = d / se;
	r->p = signif_t_p2(r->w.t, r->w.df);
	t2 = (now - mean) / (sd * sqrt(1 + 1.0 / n));
	p2 = (t2 > 0) == (d > 0) ? signif_t_p2(t2, r->w.df) : 1;
	if (p2 > r->p)
		r->p = p2;
	q = signif_t_quantile(0.025, r->w.df);
	r->effect_pct = expm1(d) * 100;
	r->eff_lo_pct = expm1(d - q * se) * 100;
	r->eff_hi_pct = expm1(d + q * se) * 100;
	r->hist_runs = n;
	if (!r->nscen) {
		r->shown_b = r->base;
		r->shown_c = r->cur;
	}
	res->hist_tests++;
	free(x);
}

/* Holm within each family, doubled for the two families; NaN outside them. */
static int correct(struct cmp_result *res, double *adj)
{
	double *p = malloc((size_t)(res->nrows ? res->nrows : 1) * sizeof(*p));
	double *a = malloc((size_t)(res->nrows ? res->nrows : 1) * sizeof(*a));
	int rc = p && a ? 0 : -ENOMEM;

	for (int fam = 0; !rc && fam < 2; fam++) {
		for (int i = 0; i < res->nrows; i++) {
			const struct cmp_row *r = &res->rows[i];
			bool in = r->family != CMP_F_NONE && isfinite(r->p) &&
				  (r->family == CMP_F_WORK) == (fam == 1);

			p[i] = in ? r->p : NAN;
			res->tests += in;
			res->tests_work += in && fam == 1;
		}
		rc = signif_holm(p, res->nrows, a);
		for (int i = 0; !rc && i < res->nrows; i++)
			if (!isnan(p[i]))
				adj[i] = fmin(1, 2 * a[i]);
	}
	free(p);
	free(a);
	return rc;
}

void cmp_confirm(struct cmp_result *res, const struct cmp_result *again,
		 const struct cmp_opts *o)
{
	res->confirmed = true;
	for (int i = 0; i < res->nrows; i++) {
		struct cmp_row *r = &res->rows[i];
		const struct cmp_row *a = NULL;

		if (r->verdict != CMP_REGRESSION && r->verdict != CMP_IMPROVEMENT)
			continue;
		for (int j = 0; j < again->nrows && !a; j++)
			if (!strcmp(again->rows[j].scenario, r->scenario) &&
			    !strcmp(again->rows[j].metric, r->metric))
				a = &again->rows[j];
		if (a && a->verdict == r->verdict)
			continue;
		if (r->verdict == CMP_REGRESSION)
			res->regressions--;
		else
			res->improvements--;
		r->verdict = CMP_UNCONFIRMED;
		res->unconfirmed++;
	}
	outcome(res, o);
}

int cmp_judge(const struct cmp_report *base, const struct cmp_report *cur,
	      const struct cmp_opts *o, struct cmp_result *res)
{
	double *adj = malloc((size_t)(res->nrows ? res->nrows : 1) * sizeof(*adj));
	int rc = 0;

	if (!adj)
		return -ENOMEM;
	for (int i = 0; i < res->nrows; i++) {
		adj[i] = NAN;
		if (o->history && o->history->nruns && res->rows[i].family != CMP_F_NONE &&
		    res->rows[i].nb && res->rows[i].nc)
			history_test(res, i, o->history);
	}
	rc = correct(res, adj);
	if (rc)
		goto out;
	cmp_noise_check(base, cur, res);
	if (o->no_noise)
		res->noise_changed = false;
	cmp_targets_check(base, cur, o, res);
	for (int i = 0; i < res->nrows; i++) {
		struct cmp_row *r = &res->rows[i];

		if (r->family == CMP_F_NONE)
			continue;
		r->p_adj = adj[i];
		judge_row(r, res);
		switch (r->verdict) {
		case CMP_REGRESSION: res->regressions++; break;
		case CMP_IMPROVEMENT: res->improvements++; break;
		case CMP_NOISE: res->noise++; break;
		case CMP_SHIFT: res->shifts++; break;
		case CMP_ENVIRONMENT: res->environment++; break;
		default: break;
		}
		if (r->verdict == CMP_SAME || r->verdict == CMP_NOISE)
			continue;
		if (r->family == CMP_F_HEADLINE && r->verdict != CMP_IMPROVEMENT)
			explain_headline(base, cur, res, i);
		else if (r->family != CMP_F_HEADLINE)
			r->explain = explain_kernel(r);
	}
	outcome(res, o);
	/* the machines differ: nothing above counts until they do not, or one says so */
	if (res->env_differs && !o->allow_env_mismatch) {
		res->refused = true;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "the machines differ "
			 "(kernel, CPU or governor); rerun on the baseline's set-up or pass "
			 "--allow-env-mismatch");
	} else if (res->impl_differs && !o->allow_impl_mismatch) {
		res->refused = true;
		snprintf(res->outcome_why, sizeof(res->outcome_why), "scenarios ran other "
			 "implementations than the baseline's (run --plugin); pass "
			 "--allow-impl-mismatch to compare them");
	}
out:
	free(adj);
	return rc;
}
