// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* compare's text table: verdict per scenario and metric, the why, and a summary line. */
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

void cmp_print_text(FILE *f, const struct cmp_result *res, bool all)
{
	const char *last = NULL;
	char b[32], c[32], d[32], p[16], v[40];
	int hidden = 0;

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
	print_wrapped(f, "", "significance: ", signif_method());
	fprintf(f, "alpha %.3g; regression = beyond threshold in the worse direction AND "
		"significant\n\n", res->alpha);
	fprintf(f, "%-40s %11s %11s %8s %7s  %s\n", "SCENARIO / METRIC", "BASELINE", "CURRENT",
		"DELTA", "P", "VERDICT");
	for (int i = 0; i < res->nrows; i++) {
		const struct cmp_row *r = &res->rows[i];

		if (!all && !cmp_row_interesting(r)) {
			hidden++;
			continue;
		}
		if (!last || strcmp(last, r->scenario)) {
			fprintf(f, "%.*s\n", TEXT_WIDTH, r->scenario);
			last = r->scenario;
		}
		fmt_value(b, sizeof(b), r->base, r->unit);
		fmt_value(c, sizeof(c), r->cur, r->unit);
		fmt_delta_pct(d, sizeof(d), r->delta_pct);
		fmt_p(p, sizeof(p), r->p);
		snprintf(v, sizeof(v), "%s%s", cmp_verdict_name(r->verdict),
			 r->low_conf && r->nb && r->nc ? " n<5" : "");
		if (strlen(r->metric) > 38)
			fprintf(f, "  %s\n  %-38s", r->metric, "");
		else
			fprintf(f, "  %-38s", r->metric);
		fprintf(f, " %11s %11s %8s %7s  %s\n", b, c, d, p, v);
		if (r->explain)
			print_wrapped(f, "      ", "why: ", r->explain);
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
				      "a side; 3 vs 3 cannot reach p < 0.1, so such rows cannot be "
				      "significant. Run with --reps 5 or more.");
			break;
		}
	}
	char sum[512];

	snprintf(sum, sizeof(sum), "%d regression%s, %d improvement%s, %d beyond threshold but "
		 "not significant, %d failed scenario%s, %d scenario%s or metric%s in one report only",
		 res->regressions, res->regressions == 1 ? "" : "s", res->improvements,
		 res->improvements == 1 ? "" : "s", res->noise, res->failed,
		 res->failed == 1 ? "" : "s", res->missing, res->missing == 1 ? "" : "s",
		 res->missing == 1 ? "" : "s");
	fputc('\n', f);
	print_wrapped(f, "", "summary: ", sum);
}
