// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* compare's text table: verdict per scenario and metric, the why, and a summary line. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "report/compare_text.h"
#include "stats/signif.h"
#include "util/fmt.h"

#define TEXT_WIDTH 100

/* Print text wrapped at TEXT_WIDTH, every line indented; the first after a label. */
static void print_wrapped(FILE *f, const char *indent, const char *label, const char *text)
{
	size_t col, ind = strlen(indent);

	fprintf(f, "%s%s", indent, label);
	col = ind + strlen(label);
	while (*text) {
		const char *sp = strchr(text, ' ');
		size_t w = sp ? (size_t)(sp - text) : strlen(text);

		if (col + w + 1 > TEXT_WIDTH && col > ind + strlen(label)) {
			fprintf(f, "\n%s%*s", indent, (int)strlen(label), "");
			col = ind + strlen(label);
		} else if (col > ind + strlen(label)) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, text);
		col += w;
		text += w;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

/* "+1.2" "-34.5" "+103": a percentage in at most six characters. */
static void short_pct(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "?" : v > 0 ? "+inf" : "-inf");
	else if (fabs(v) >= 99.95)
		snprintf(buf, len, "%+.0f", v);
	else if (fabs(v) >= 9.995)
		snprintf(buf, len, "%+.1f", v);
	else
		snprintf(buf, len, "%+.2f", v);
}

/* "+10.3% [+9.8,+10.9]": the effect and its 95% CI, or the medians' change untested. */
void cmp_format_change(char *buf, size_t len, const struct cmp_row *r)
{
	char d[16], lo[16], hi[16];

	if (!isfinite(r->effect_pct)) {
		fmt_delta_pct(buf, len, r->delta_pct);
		return;
	}
	fmt_delta_pct(d, sizeof(d), r->effect_pct);
	short_pct(lo, sizeof(lo), r->eff_lo_pct);
	short_pct(hi, sizeof(hi), r->eff_hi_pct);
	snprintf(buf, len, "%s [%s,%s]", d, lo, hi);
}

static void print_noise(FILE *f, const char *label, const struct noise_summary *n)
{
	char line[320];

	if (!n->n) {
		snprintf(line, sizeof(line), "not recorded (a report of an older opscope)");
	} else {
		snprintf(line, sizeof(line), "other processes used %.2f CPUs, %.1f tasks not "
			 "ours runnable, steal %.1f%%, load %.1f%s", n->other_cpus,
			 n->other_runnable, n->steal_pct, n->load1, n->noisy ? " (NOISY)" : "");
	}
	print_wrapped(f, "", label, line);
}

static void print_header(FILE *f, const struct cmp_result *res)
{
	char m[768];

	fprintf(f, "baseline: %s\ncurrent:  %s\n", res->base_path, res->cur_path);
	if (res->env_differs) {
		fprintf(f, "ENVIRONMENT MISMATCH: results are not comparable as they stand\n");
		for (const char *s = res->env_mismatch; *s;) {
			const char *nl = strchr(s, '\n');
			int n = nl ? (int)(nl - s) : (int)strlen(s);

			fprintf(f, "  %.*s\n", n, s);
			s += n + (nl ? 1 : 0);
		}
	}
	if (res->impl_mismatch[0]) {
		fprintf(f, "%s\n", res->impl_differs ? "IMPLEMENTATION MISMATCH: scenarios ran "
			"another pool, channel or function than the baseline's" :
			"implementations: the same, from other builds");
		for (const char *s = res->impl_mismatch; *s;) {
			const char *nl = strchr(s, '\n');
			int n = nl ? (int)(nl - s) : (int)strlen(s);

			fprintf(f, "  %.*s\n", n, s);
			s += n + (nl ? 1 : 0);
		}
	}
	print_noise(f, "noise, baseline: ", &res->base_noise);
	print_noise(f, "noise, current:  ", &res->cur_noise);
	if (res->noise_changed)
		print_wrapped(f, "", "NOISE CHANGED: ", res->noise_why);
	if (res->param_diff)
		print_wrapped(f, "", "PARAMETERS DIFFER (compared anyway): ", res->param_diff);
	if (res->filtered)
		fprintf(f, "%d baseline scenario%s outside the current run's --scenario filter: "
			"not compared\n", res->filtered, res->filtered == 1 ? "" : "s");
	snprintf(m, sizeof(m), "per metric, BASELINE and CURRENT are the geometric means over "
		 "repetitions, the change their ratio with its 95%% confidence interval (Welch's "
		 "t on log values)%s; P is "
		 "Holm-corrected within two families, what the code does per op (%d tests) and "
		 "the rest (%d), alpha/2 each, family-wise alpha %.3g; a regression is beyond its "
		 "threshold in the worse direction AND significant",
		 res->hist_tests ? "; rows marked ~: the medians, against how far past runs "
		 "of this machine land apart (--history)" : "", res->tests_work,
		 res->tests - res->tests_work, res->alpha);
	print_wrapped(f, "", "method: ", m);
	fputc('\n', f);
}

static void print_targets(FILE *f, const struct cmp_result *res)
{
	bool any = false;

	for (int i = 0; i < res->ntargets; i++) {
		const struct cmp_target *t = &res->targets[i];
		const char *what;

		if (strcmp(t->status, "fail") && strcmp(t->base_status, "fail"))
			continue;
		if (!any)
			fprintf(f, "\nTargets that fail now or failed in the baseline\n%-30s "
				"%-14s %9s  %s\n", "TARGET", "CONDITION", "VALUE", "STATUS");
		any = true;
		what = strcmp(t->status, "fail") ? "passes now" : t->known ?
		       "FAIL, known to fail on this machine" : "FAIL";
		fprintf(f, "%-30.30s %-14.14s %9.9s  %s%s%s\n", t->name, t->condition, t->value,
			what, t->scenario[0] ? " in " : "", t->scenario);
	}
}

void cmp_print_text(FILE *f, const struct cmp_result *res, bool all)
{
	const char *last = NULL;
	char b[32], c[32], d[48], p[16], v[40];
	int hidden = 0;

	print_header(f, res);
	fprintf(f, "%-31s %9s %9s  %-21s %7s  %s\n", "SCENARIO / METRIC", "BASELINE",
		"CURRENT", "CHANGE [95% CI]", "P(HOLM)", "VERDICT");
	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];

		if (!all && !cmp_row_interesting(r)) {
			hidden++;
			continue;
		}
		if (!last || strcmp(last, r->scenario)) {
			fprintf(f, "%.*s%s\n", TEXT_WIDTH - 20, r->scenario,
				r->params_differ ? "  (parameters differ)" : "");
			last = r->scenario;
		}
		fmt_value(b, sizeof(b), r->shown_b, r->unit);
		fmt_value(c, sizeof(c), r->shown_c, r->unit);
		cmp_format_change(d, sizeof(d), r);
		fmt_p(p, sizeof(p), isfinite(r->p_adj) ? r->p_adj : r->p);
		snprintf(v, sizeof(v), "%s%s%s", r->hist_runs ? "~" : "",
			 cmp_verdict_name(r->verdict), r->low_conf && r->nb && r->nc ? " n<5" : "");
		if (strlen(r->metric) > 29)
			fprintf(f, "  %s\n  %-29s", r->metric, "");
		else
			fprintf(f, "  %-29s", r->metric);
		fprintf(f, " %9s %9s  %-21s %7s  %s\n", b, c, d, p, v);
		if (r->explain)
			print_wrapped(f, "      ", r->family == CMP_F_HEADLINE || !r->family ?
				      "why: " : "what: ", r->explain);
		if (r->flame)
			print_wrapped(f, "      ", "diff flame graph: ", r->flame);
	}
	if (hidden)
		fprintf(f, "(%d rows within threshold or ungated not shown; --all shows them)\n",
			hidden);
	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];

		if (r->low_conf && r->nb && r->nc) {
			print_wrapped(f, "", "n<5: ", "low confidence: fewer than 5 repetitions on "
				      "a side; the interval is wide and the correction for many "
				      "metrics leaves little power. Run with --reps 5 or more.");
			break;
		}
	}
	print_targets(f, res);
	char sum[600];

	snprintf(sum, sizeof(sum), "%d regression%s, %d improvement%s%s, %d kernel shift%s, %d "
		 "put down to the machine's noise, %d inconclusive, %d not confirmed by the "
		 "rerun, %d failed scenario%s, %d "
		 "scenario%s or metric%s in one report only; targets: %d failed, %d known to "
		 "fail here, %d known but passing now",
		 res->regressions, res->regressions == 1 ? "" : "s", res->improvements,
		 res->improvements == 1 ? "" : "s", res->confirmed ? " (confirmed by a rerun)" :
		 "", res->shifts, res->shifts == 1 ? "" : "s",
		 res->environment, res->noise, res->unconfirmed, res->failed,
		 res->failed == 1 ? "" : "s",
		 res->missing, res->missing == 1 ? "" : "s", res->missing == 1 ? "" : "s",
		 res->targets_failed, res->targets_known, res->targets_fixed);
	fputc('\n', f);
	print_wrapped(f, "", "summary: ", sum);
	snprintf(sum, sizeof(sum), "%s: %s", cmp_outcome_name(res->refused ? CMP_OUT_REFUSED :
							       res->outcome), res->outcome_why);
	print_wrapped(f, "", "verdict: ", sum);
}
