// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Markdown, JUnit XML and JSON views of a compare result, written atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/fmt.h"
#include "stacks/flamegraph.h"
#include "stacks/folded.h"
#include "util/json.h"
#include "stats/signif.h"
#include "report/compare_text.h"
#include "report/writers_ci.h"

void ci_now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ci_xml_escape(FILE *f, const char *s)
{
	/* svg_escape() does the rest; these three are kept as references, not '?' */
	while (s && *s) {
		size_t n = strcspn(s, "\n\t\r");

		svg_escape(f, s, n);
		s += n;
		if (*s)
			fprintf(f, "&#%d;", *s++);
	}
}

void ci_md_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("<br>", f);
		else if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c < 0x20)
			fputc(' ', f);
		else if (strchr("\\`*_[]|~", c))
			fprintf(f, "\\%c", c);
		else
			fputc(c, f);
	}
}

static void json_num_or_null(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

#define MD_ALL_MAX 120

/* Rows worth a line at the top of a CI comment: decisions, not noise. */
static bool headline(const struct cmp_row *r)
{
	return r->verdict == CMP_REGRESSION || r->verdict == CMP_IMPROVEMENT ||
	       r->verdict == CMP_FAILED || r->verdict == CMP_NEW || r->verdict == CMP_GONE ||
	       r->verdict == CMP_SHIFT || r->verdict == CMP_ENVIRONMENT;
}

static void md_row(FILE *f, const struct cmp_row *r)
{
	char b[32], c[32], d[48], p[32];

	fmt_value(b, sizeof(b), r->shown_b, r->unit);
	fmt_value(c, sizeof(c), r->shown_c, r->unit);
	cmp_format_change(d, sizeof(d), r);
	fmt_p(p, sizeof(p), isfinite(r->p_adj) ? r->p_adj : r->p);
	fputs("| ", f);
	ci_md_escape(f, r->scenario);
	fputs(" | ", f);
	ci_md_escape(f, r->metric);
	fputs(" | ", f);
	ci_md_escape(f, b);
	fputs(" | ", f);
	ci_md_escape(f, c);
	fputs(" | ", f);
	ci_md_escape(f, d);
	fputs(" | ", f);
	ci_md_escape(f, p);
	fputs(" | ", f);
	if (r->verdict == CMP_REGRESSION || r->verdict == CMP_FAILED)
		fputs("**", f);
	ci_md_escape(f, cmp_verdict_name(r->verdict));
	if (r->verdict == CMP_REGRESSION || r->verdict == CMP_FAILED)
		fputs("**", f);
	if (r->low_conf && r->nb && r->nc)
		fputs(" (low confidence: n\\<5)", f);
	fputs(" |\n", f);
}

static void md_targets(FILE *f, const struct cmp_result *res)
{
	bool any = false;

	for (int i = 0; i < res->ntargets; i++) {
		const struct cmp_target *t = &res->targets[i];

		if (strcmp(t->status, "fail"))
			continue;
		if (!any)
			fputs("| Target | Condition | Value | Status |\n|---|---|--:|---|\n", f);
		any = true;
		fputs("| ", f);
		ci_md_escape(f, t->name);
		fputs(" | ", f);
		ci_md_escape(f, t->condition);
		fputs(" | ", f);
		ci_md_escape(f, t->value);
		fputs(t->known ? " | FAIL (known to fail on this machine) |\n" : " | **FAIL** |\n",
		      f);
	}
	if (any)
		fputs("\n", f);
}

static const char md_head[] =
	"| Scenario | Metric | Baseline | Current | Change [95% CI] | p (Holm) | Verdict |\n"
	"|---|---|--:|--:|--:|--:|---|\n";

void ci_markdown(FILE *f, const struct cmp_result *res)
{
	int n = 0, nhead;

	fprintf(f, "## opscope compare: %s\n\n", cmp_outcome_name(res->refused ? CMP_OUT_REFUSED :
								    res->outcome));
	ci_md_escape(f, res->outcome_why);
	fprintf(f, ".\n\n%d regression%s, %d improvement%s, %d kernel shift%s, %d put down to "
		"the machine's noise, %d inconclusive, %d failed scenario%s.\n\n",
		res->regressions, res->regressions == 1 ? "" : "s", res->improvements,
		res->improvements == 1 ? "" : "s", res->shifts, res->shifts == 1 ? "" : "s",
		res->environment, res->noise, res->failed, res->failed == 1 ? "" : "s");
	if (res->impl_mismatch[0]) {
		fputs(res->impl_differs ? "> **Implementation mismatch**: " :
		      "> Implementations from other builds: ", f);
		ci_md_escape(f, res->impl_mismatch);
		fputs("\n\n", f);
	}
	if (res->noise_changed) {
		fputs("> **The machine's noise changed**: ", f);
		ci_md_escape(f, res->noise_why);
		fputs("\n\n", f);
	}
	if (res->param_diff) {
		fputs("> **Parameters differ** (compared anyway): ", f);
		ci_md_escape(f, res->param_diff);
		fputs("\n\n", f);
	}
	md_targets(f, res);
	if (res->env_differs) {
		fputs("> **Environment mismatch**: ", f);
		ci_md_escape(f, res->env_mismatch);
		fputs("\n\n", f);
	}
	for (int i = 0; i < res->nrows; i++)
		n += headline(&res->rows[i]);
	nhead = n;
	if (n) {
		fputs(md_head, f);
		for (int i = 0; i < res->nrows; i++)
			if (headline(&res->rows[i]))
				md_row(f, &res->rows[i]);
		fputs("\n", f);
	}
	bool why = false;

	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];

		if (!r->explain && !r->flame)
			continue;
		if (!why)
			fputs("### Why\n\n", f);
		why = true;
		fputs("- **", f);
		ci_md_escape(f, r->scenario);
		fputs("** ", f);
		ci_md_escape(f, r->metric);
		fputs(": ", f);
		ci_md_escape(f, r->explain ? r->explain : "");
		if (r->flame) {
			fputs(" (differential flame graph: `", f);
			for (const char *s = r->flame; *s; s++)
				fputc(*s == '`' ? '\'' : *s, f);
			fputs("`)", f);
		}
		fputs("\n", f);
	}
	if (why)
		fputs("\n", f);
	n = 0;
	for (int i = 0; i < res->nrows; i++)
		n += cmp_row_interesting(&res->rows[i]) && !headline(&res->rows[i]);
	if (n) {
		fprintf(f, "<details><summary>%d more beyond threshold but inconclusive, or "
			"without data</summary>\n\n", n);
		fputs(md_head, f);
		for (int i = 0; i < res->nrows; i++)
			if (cmp_row_interesting(&res->rows[i]) && !headline(&res->rows[i]))
				md_row(f, &res->rows[i]);
		fputs("\n</details>\n\n", f);
	}
	/* comment size limits (GitHub: 65536 characters): the full table only when small */
	if (res->nrows <= MD_ALL_MAX) {
		fprintf(f, "<details><summary>All %d metrics</summary>\n\n", res->nrows);
		fputs(md_head, f);
		for (int i = 0; i < res->nrows; i++)
			md_row(f, &res->rows[i]);
		fputs("\n</details>\n\n", f);
	} else {
		fprintf(f, "The other %d metrics are within their thresholds (all rows: the "
			"--json or --junit output).\n\n", res->nrows - n - nhead);
	}
	fprintf(f, "Method: the change is the ratio of geometric means over repetitions with "
		"its 95%% confidence interval (Welch's t on log values; %d rows against the "
		"spread of past runs instead); p is Holm-corrected within two families (work "
		"per op: %d tests, the rest: %d), family-wise alpha %.3g.\n", res->hist_tests,
		res->tests_work, res->tests - res->tests_work, res->alpha);
}

static void junit_message(FILE *f, const struct cmp_row *r)
{
	char b[32], c[32], d[48], msg[512];

	fmt_value(b, sizeof(b), r->base, r->unit);
	fmt_value(c, sizeof(c), r->cur, r->unit);
	cmp_format_change(d, sizeof(d), r);
	snprintf(msg, sizeof(msg), "%s %s (%s -> %s), p=%.3g (Holm), threshold %.3g%%",
		 r->metric, d, b, c, isfinite(r->p_adj) ? r->p_adj : r->p, r->threshold_pct);
	ci_xml_escape(f, msg);
}

/* The targets: a failure per target that fails and is not known to fail here. */
static void junit_targets(FILE *f, const struct cmp_result *res)
{
	fprintf(f, "  <testsuite name=\"targets\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
		"skipped=\"%d\">\n", res->ntargets, res->targets_failed, res->targets_known);
	for (int i = 0; i < res->ntargets; i++) {
		const struct cmp_target *t = &res->targets[i];
		char msg[512];

		fputs("    <testcase classname=\"opscope.targets\" name=\"", f);
		ci_xml_escape(f, t->name);
		fputs("\" time=\"0\">", f);
		snprintf(msg, sizeof(msg), "%s: %s %s in %s", t->name, t->value, t->condition,
			 t->scenario[0] ? t->scenario : "no scenario");
		if (!strcmp(t->status, "fail")) {
			fputs(t->known ? "\n      <skipped message=\"known to fail on this "
			      "machine: " : "\n      <failure type=\"target\" message=\"", f);
			ci_xml_escape(f, msg);
			fputs("\"/>\n    ", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

void ci_junit(FILE *f, const struct cmp_result *res)
{
	int fails = 0, errors = 0;

	for (int i = 0; i < res->nrows; i++) {
		enum cmp_verdict v = res->rows[i].verdict;

		fails += v == CMP_REGRESSION;
		errors += v == CMP_FAILED;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	/* Jenkins' JUnit schema allows name, time, tests, failures and errors on
	 * <testsuites>; skipped counts go on each <testsuite> only */
	fprintf(f, "<testsuites name=\"opscope compare\" tests=\"%d\" failures=\"%d\" "
		"errors=\"%d\">\n", res->nrows + 2 + res->ntargets,
		fails + res->env_differs + res->targets_failed, errors + res->noise_changed);
	fprintf(f, "  <testsuite name=\"environment\" tests=\"2\" failures=\"%d\" "
		"errors=\"%d\" skipped=\"0\">\n    <testcase classname=\"opscope.environment\" "
		"name=\"same kernel, CPU and governor\" time=\"0\">", res->env_differs,
		res->noise_changed);
	if (res->env_differs) {
		fputs("\n      <failure type=\"environment\" message=\"environment mismatch\">", f);
		ci_xml_escape(f, res->env_mismatch);
		fputs("</failure>\n    ", f);
	}
	fputs("</testcase>\n    <testcase classname=\"opscope.environment\" name=\"the "
	      "machine's noise unchanged\" time=\"0\">", f);
	if (res->noise_changed) {
		fputs("\n      <error type=\"noise\" message=\"could not judge: ", f);
		ci_xml_escape(f, res->noise_why);
		fputs("\"/>\n    ", f);
	}
	fputs("</testcase>\n  </testsuite>\n", f);
	junit_targets(f, res);
	for (int i = 0; i < res->nrows;) {
		const char *sc = res->rows[i].scenario;
		int j = i, sf = 0, se = 0, ss = 0;

		while (j < res->nrows && !strcmp(res->rows[j].scenario, sc)) {
			enum cmp_verdict v = res->rows[j].verdict;

			sf += v == CMP_REGRESSION;
			se += v == CMP_FAILED;
			ss += v == CMP_NODATA || v == CMP_NEW || v == CMP_GONE;
			j++;
		}
		fputs("  <testsuite name=\"", f);
		ci_xml_escape(f, sc);
		fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n",
			j - i, sf, se, ss);
		for (int k = i; k < j; k++) {
			const struct cmp_row *r = &res->rows[k];

			fputs("    <testcase classname=\"opscope.", f);
			ci_xml_escape(f, sc);
			fputs("\" name=\"", f);
			ci_xml_escape(f, r->metric);
			fputs("\" time=\"0\">", f);
			switch (r->verdict) {
			case CMP_REGRESSION:
				fputs("\n      <failure type=\"regression\" message=\"", f);
				junit_message(f, r);
				fputs("\">", f);
				ci_xml_escape(f, r->explain ? r->explain : "");
				if (r->flame) {
					fputs("\ndifferential flame graph: ", f);
					ci_xml_escape(f, r->flame);
				}
				fputs("</failure>\n    ", f);
				break;
			case CMP_FAILED:
				fputs("\n      <error type=\"failed\" message=\"", f);
				ci_xml_escape(f, r->explain ? r->explain : "scenario failed");
				fputs("\"/>\n    ", f);
				break;
			case CMP_NODATA:
			case CMP_NEW:
			case CMP_GONE:
				fputs("\n      <skipped message=\"", f);
				ci_xml_escape(f, cmp_verdict_name(r->verdict));
				fputs("\"/>\n    ", f);
				break;
			default:
				if (r->verdict != CMP_SAME) {
					fputs("\n      <system-out>", f);
					junit_message(f, r);
					fputs(": ", f);
					ci_xml_escape(f, cmp_verdict_name(r->verdict));
					fputs("</system-out>\n    ", f);
				}
				break;
			}
			fputs("</testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
		i = j;
	}
	fputs("</testsuites>\n", f);
}

static void json_noise(FILE *f, const struct noise_summary *n)
{
	if (!n->n) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"repetitions\": %d, \"other_cpus\": ", n->n);
	json_num_or_null(f, n->other_cpus);
	fputs(", \"other_runnable\": ", f);
	json_num_or_null(f, n->other_runnable);
	fputs(", \"steal_pct\": ", f);
	json_num_or_null(f, n->steal_pct);
	fputs(", \"load1\": ", f);
	json_num_or_null(f, n->load1);
	fprintf(f, ", \"noisy\": %s, \"why\": ", n->noisy ? "true" : "false");
	if (n->noisy)
		json_write_escaped(f, n->why);
	else
		fputs("null", f);
	fputs("}", f);
}

static void json_str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		json_write_escaped(f, s);
	else
		fputs("null", f);
}

static void json_head(FILE *f, const struct cmp_result *res)
{
	fputs("{\n  \"schema\": \"opscope-compare\",\n  \"version\": 2,\n  \"baseline\": ", f);
	json_write_escaped(f, res->base_path);
	fputs(",\n  \"current\": ", f);
	json_write_escaped(f, res->cur_path);
	fputs(",\n  \"method\": \"Welch's t-test on log values per metric over repetitions; "
	      "effect = ratio of geometric means - 1 with its 95% CI; Holm's correction over "
	      "every tested row (family-wise alpha)\",\n  \"alpha\": ", f);
	json_num_or_null(f, res->alpha);
	fprintf(f, ",\n  \"tests\": %d,\n  \"tests_work\": %d,\n  \"tests_history\": %d,\n"
		"  \"outcome\": ", res->tests, res->tests_work, res->hist_tests);
	json_write_escaped(f, cmp_outcome_name(res->refused ? CMP_OUT_REFUSED : res->outcome));
	fputs(",\n  \"outcome_why\": ", f);
	json_write_escaped(f, res->outcome_why);
	fprintf(f, ",\n  \"environment_mismatch\": %s,\n  \"environment_diff\": ",
		res->env_differs ? "true" : "false");
	json_write_escaped(f, res->env_mismatch);
	fprintf(f, ",\n  \"implementation_mismatch\": %s,\n  \"implementation_diff\": ",
		res->impl_differs ? "true" : "false");
	json_write_escaped(f, res->impl_mismatch);
	fputs(",\n  \"noise\": {\"baseline\": ", f);
	json_noise(f, &res->base_noise);
	fputs(", \"current\": ", f);
	json_noise(f, &res->cur_noise);
	fprintf(f, ", \"changed\": %s, \"why\": ", res->noise_changed ? "true" : "false");
	json_str_or_null(f, res->noise_changed ? res->noise_why : NULL);
	fputs("},\n  \"parameters_differ\": ", f);
	json_str_or_null(f, res->param_diff);
	fprintf(f, ",\n  \"filtered_out\": %d,\n  \"summary\": { \"regressions\": %d, "
		"\"improvements\": %d, \"shifts\": %d, \"environment\": %d, "
		"\"not_significant\": %d, \"unconfirmed\": %d, \"failed\": %d, \"missing\": %d, "
		"\"targets_failed\": %d, \"targets_known\": %d, \"targets_fixed\": %d },\n"
		"  \"targets\": [", res->filtered, res->regressions, res->improvements,
		res->shifts, res->environment, res->noise, res->unconfirmed, res->failed,
		res->missing,
		res->targets_failed, res->targets_known, res->targets_fixed);
	for (int i = 0; i < res->ntargets; i++) {
		const struct cmp_target *t = &res->targets[i];

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		json_write_escaped(f, t->name);
		fputs(", \"condition\": ", f);
		json_write_escaped(f, t->condition);
		fputs(", \"value\": ", f);
		json_write_escaped(f, t->value);
		fputs(", \"scenario\": ", f);
		json_str_or_null(f, t->scenario);
		fputs(", \"status\": ", f);
		json_write_escaped(f, t->status);
		fputs(", \"baseline_status\": ", f);
		json_str_or_null(f, t->base_status);
		fprintf(f, ", \"known_failing\": %s}", t->known ? "true" : "false");
	}
	fputs(res->ntargets ? "\n  ],\n  \"rows\": [" : "],\n  \"rows\": [", f);
}

static const char *family_name(enum cmp_family fam)
{
	static const char *const n[] = { "none", "headline", "work", "wait" };

	return fam <= CMP_F_WAIT ? n[fam] : "?";
}

static void json_interval(FILE *f, double lo, double hi)
{
	if (isfinite(lo) && isfinite(hi)) {
		fputs("[", f);
		json_num_or_null(f, lo);
		fputs(", ", f);
		json_num_or_null(f, hi);
		fputs("]", f);
	} else {
		fputs("null", f);
	}
}

void ci_json(FILE *f, const struct cmp_result *res)
{
	json_head(f, res);
	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];

		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"scenario\": ", f);
		json_write_escaped(f, r->scenario);
		fprintf(f, ", \"scenarios_pooled\": %d, \"history_runs\": %d, \"metric\": ",
			r->nscen, r->hist_runs);
		json_write_escaped(f, r->metric);
		fputs(", \"op\": ", f);
		json_str_or_null(f, r->op);
		fputs(", \"unit\": ", f);
		json_write_escaped(f, r->unit);
		fputs(", \"kind\": ", f);
		json_write_escaped(f, cmp_kind_name(r->kind));
		fprintf(f, ", \"family\": \"%s\", \"better\": \"%s\", \"n_baseline\": %d, "
			"\"n_current\": %d, \"baseline\": ", family_name(r->family),
			r->better > 0 ? "higher" : r->better < 0 ? "lower" : "none", r->nb, r->nc);
		json_num_or_null(f, r->base);
		fputs(", \"current\": ", f);
		json_num_or_null(f, r->cur);
		fputs(", \"delta_pct\": ", f);
		json_num_or_null(f, r->delta_pct);
		fputs(", \"baseline_compared\": ", f);
		json_num_or_null(f, r->shown_b);
		fputs(", \"current_compared\": ", f);
		json_num_or_null(f, r->shown_c);
		fputs(", \"effect_pct\": ", f);
		json_num_or_null(f, r->effect_pct);
		fputs(", \"ci95_effect_pct\": ", f);
		json_interval(f, r->eff_lo_pct, r->eff_hi_pct);
		fputs(", \"threshold_pct\": ", f);
		json_num_or_null(f, r->threshold_pct >= 0 ? r->threshold_pct : NAN);
		fputs(", \"p\": ", f);
		json_num_or_null(f, r->p);
		fputs(", \"p_holm\": ", f);
		json_num_or_null(f, r->p_adj);
		fprintf(f, ", \"significant\": %s, \"low_confidence\": %s, \"params_differ\": "
			"%s, \"ci95_median_diff\": ", r->significant ? "true" : "false",
			r->low_conf ? "true" : "false", r->params_differ ? "true" : "false");
		json_interval(f, r->ci_lo, r->ci_hi);
		fputs(", \"verdict\": ", f);
		json_write_escaped(f, cmp_verdict_name(r->verdict));
		fputs(", \"explanation\": ", f);
		json_str_or_null(f, r->explain);
		fputs(", \"flamegraph\": ", f);
		json_str_or_null(f, r->flame);
		fputs("}", f);
	}
	fputs("\n  ]\n}\n", f);
}

typedef void (*writer_fn)(FILE *f, const struct cmp_result *res);

static int write_with(writer_fn fn, const struct cmp_result *res, const char *path, char *err,
		      size_t errlen)
{
	char tmp[4096 + 16];
	FILE *f = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);

	if (!f)
		return -errno;
	fn(f, res);
	return atomic_file_commit(f, tmp, path, 0, err, errlen);
}

int ci_write_markdown(const struct cmp_result *res, const char *path, char *err, size_t errlen)
{
	return write_with(ci_markdown, res, path, err, errlen);
}

int ci_write_junit(const struct cmp_result *res, const char *path, char *err, size_t errlen)
{
	return write_with(ci_junit, res, path, err, errlen);
}

int ci_write_json(const struct cmp_result *res, const char *path, char *err, size_t errlen)
{
	return write_with(ci_json, res, path, err, errlen);
}
