// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html's "Why it waited" (run --why, and record --why on a marked program): per
 * scenario and op kind, one stacked bar per latency band for the mean op's queued time
 * (what the threads it was queued on were doing) and one for its blocked time (who ended
 * it, and for a thread of the process what that thread was doing meanwhile), in parts
 * named as report.txt names them (report_why.c gives both the parts and the words), the
 * words themselves beneath; then the scenario's wait-for graph drawn inline
 * (waitfor_svg.c) with a link to waitfor/<scenario>.svg when that file is there.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_html.h"
#include "stats/waitfor.h"

/* A part's colour by its class (enum ops_why); a class's later parts take lighter shades
 * (the breakdown's colours where the meaning is the same: on-CPU red, run queue yellow,
 * blocked orange, queued blue, not known grey). */
#define SHADES 3
static const char *const why_colour[OPS_W_NR][SHADES] = {
	[OPS_W_ON] = { "#d8452b", "#e8775f", "#f2a08f" },
	[OPS_W_RUNQ] = { "#e6c229", "#eed468", "#f5e6a6" },
	[OPS_W_BLOCKED] = { "#ef7d1a", "#f59f4f", "#f8bf85" },
	[OPS_W_TIMER] = { "#2f8f83", "#5fb3a8", "#9ad1c9" },
	[OPS_W_IRQ] = { "#7b5aa6", "#9f85c2", "#c4b4dc" },
	[OPS_W_SOFTIRQ] = { "#b07cc6", "#c9a3d9", "#e0cbea" },
	[OPS_W_IDLE] = { "#6f8fae", "#9ab0c7", "#c3d1df" },
	[OPS_W_KTHREAD] = { "#5d8a2f", "#88ad61", "#b5cf98" },
	[OPS_W_PROC] = { "#a0522d", "#bf7d5c", "#d9ab93" },
	[OPS_W_UNKNOWN] = { "#cfcfd3", "#dcdce0", "#e8e8eb" },
	[OPS_W_HANDOFF] = { "#7ea6dc", "#a4c1e7", "#c9dbf1" },
};

/* ---------------------------------------------------------------- one op kind */

#define MAX_ROWS (2 * BAND_NR)
#define MAX_NAMES 48

struct why_row {
	int band;
	bool queued;            /* else blocked */
	double mean_ns;         /* of the part, per op of the band */
	uint64_t total;         /* of its parts */
	int nparts;
	struct why_part part[WHY_PARTS_MAX];
	char words[700];
};

/* The colours of one chart: every part's text over all its rows, largest first. */
struct why_name {
	char text[96];
	int cls;
	uint64_t ns;
	const char *colour;
};

struct why_names {
	int n;
	struct why_name v[MAX_NAMES];
};

struct why_chart {
	int nrows;
	struct why_row row[MAX_ROWS];
	struct why_names names;
};

static int cmp_part_ns(const void *a, const void *b)
{
	const struct why_part *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : strcmp(x->text, y->text);
}

/* Who the kind's blocked waits were ended by, for the words (as report.txt says it). */
static const char *blocked_who(const struct scen_result *s, int k)
{
	double share;
	int others;

	return s->wf ? waitfor_top_waker(s->wf, s->kind[k], &share, &others) : NULL;
}

static void add_name(struct why_names *nm, const struct why_part *p)
{
	for (int i = 0; i < nm->n; i++)
		if (!strcmp(nm->v[i].text, p->text)) {
			nm->v[i].ns += p->ns;
			return;
		}
	if (nm->n == MAX_NAMES)
		return;
	snprintf(nm->v[nm->n].text, sizeof(nm->v[0].text), "%s", p->text);
	nm->v[nm->n].cls = p->cls;
	nm->v[nm->n++].ns = p->ns;
}

static int cmp_name(const void *a, const void *b)
{
	const struct why_name *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : strcmp(x->text, y->text);
}

/* Colours by class, the class's largest part first (the same text: the same colour). */
static void name_colours(struct why_names *nm)
{
	int used[OPS_W_NR] = { 0 };

	qsort(nm->v, (size_t)nm->n, sizeof(nm->v[0]), cmp_name);
	for (int i = 0; i < nm->n; i++) {
		int c = nm->v[i].cls >= 0 && nm->v[i].cls < OPS_W_NR ? nm->v[i].cls : OPS_W_UNKNOWN;
		int sh = used[c] < SHADES ? used[c] : SHADES - 1;

		used[c]++;
		nm->v[i].colour = why_colour[c][sh];
	}
}

static const char *colour_of(const struct why_names *nm, const char *text)
{
	for (int i = 0; i < nm->n; i++)
		if (!strcmp(nm->v[i].text, text))
			return nm->v[i].colour;
	return why_colour[OPS_W_UNKNOWN][0];
}

/* The rows report.txt prints for op kind k: per band with a split, the queued and the
 * blocked part when its mean is 1 us or more. */
static void why_fill(struct why_chart *c, const struct scen_result *s, int k)
{
	const struct op_summary *p = &s->sum[k];
	const char *who = blocked_who(s, k);

	memset(c, 0, sizeof(*c));
	for (int b = 0; b < BAND_NR; b++) {
		const struct ops_wbd *w = &p->wband[b];
		double n = (double)p->band[b].n;

		if (!w->n || !n)
			continue;
		for (int q = 1; q >= 0; q--) {
			struct why_row *r = &c->row[c->nrows];
			double mean = (double)(q ? p->band[b].queued_ns : p->band[b].blocked_ns) / n;

			if (mean < 1000)
				continue;
			if (q)
				why_words_queued(w, s->queue_on[k], r->words, sizeof(r->words));
			else
				why_words_blocked(w, who, r->words, sizeof(r->words));
			if (!r->words[0])
				continue;
			r->band = b;
			r->queued = q;
			r->mean_ns = mean;
			r->nparts = q ? why_parts_queued(w, s->queue_on[k], r->part, WHY_PARTS_MAX) :
				    why_parts_blocked(w, who, r->part, WHY_PARTS_MAX);
			qsort(r->part, (size_t)r->nparts, sizeof(r->part[0]), cmp_part_ns);
			for (int i = 0; i < r->nparts; i++) {
				r->total += r->part[i].ns;
				add_name(&c->names, &r->part[i]);
			}
			c->nrows++;
		}
	}
	name_colours(&c->names);
}

#define WY_W 760
#define WY_BX 230    /* bar start */
#define WY_BW 520    /* bar width */
#define WY_ROW 22
#define WY_TOP 18

static void why_bar(FILE *f, const struct why_chart *c, const struct why_row *r, double y)
{
	double x = WY_BX;
	char a[24];

	for (int i = 0; i < r->nparts && r->total; i++) {
		double share = (double)r->part[i].ns / (double)r->total;
		double wd = share * WY_BW;

		html_ns(r->mean_ns * share, a, sizeof(a));
		fprintf(f, "<rect class=\"wseg\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"12\" "
			"fill=\"%s\"><title>", x, y + 3, wd, colour_of(&c->names, r->part[i].text));
		html_escf(f, "%s, %s: %s (%.1f%%)", ops_band_names[r->band], r->part[i].text, a,
			  100 * share);
		fputs("</title></rect>", f);
		x += wd;
	}
}

static void why_svg(FILE *f, const struct why_chart *c)
{
	int h = WY_TOP + c->nrows * WY_ROW + 4;
	char t[24];

	fprintf(f, "<svg class=\"why\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><g class=\"axis\">", WY_W, h, WY_W, h);
	for (int i = 0; i <= 4; i++) {
		double x = WY_BX + WY_BW * i / 4.0;

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"12\" text-anchor=\"%s\">%d%%</text>", x, x, WY_TOP - 2,
			h - 4, x, i == 0 ? "start" : i == 4 ? "end" : "middle", 25 * i);
	}
	fputs("</g>", f);
	for (int i = 0; i < c->nrows; i++) {
		const struct why_row *r = &c->row[i];
		double y = WY_TOP + i * WY_ROW;

		fprintf(f, "<g class=\"wyrow\"><rect x=\"2\" y=\"%.1f\" width=\"9\" height=\"9\" "
			"fill=\"%s\"/><text x=\"16\" y=\"%.1f\">%s</text>", y + 4.5,
			chart_band_colour[r->band], y + 13, ops_band_names[r->band]);
		html_ns(r->mean_ns, t, sizeof(t));
		fprintf(f, "<text class=\"lat\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s %s"
			"</text>", WY_BX - 6, y + 13, r->queued ? "queued" : "blocked", t);
		why_bar(f, c, r, y);
		fputs("</g>\n", f);
	}
	fputs("</svg>", f);
}

static void why_legend(FILE *f, const struct why_chart *c)
{
	fputs("<div class=\"legend\">", f);
	for (int i = 0; i < c->names.n; i++) {
		fprintf(f, "<span><i style=\"background:%s\"></i>", c->names.v[i].colour);
		html_esc(f, c->names.v[i].text);
		fputs("</span>", f);
	}
	fputs("</div>\n", f);
}

/* The words of report.txt, one row per bar. */
static void why_words(FILE *f, const struct why_chart *c)
{
	char t[24];

	fputs("<table class=\"whywords\"><tr><th>Band</th><th>Mean op</th><th>Why (as "
	      "report.txt says it)</th></tr>\n", f);
	for (int i = 0; i < c->nrows; i++) {
		const struct why_row *r = &c->row[i];

		html_ns(r->mean_ns, t, sizeof(t));
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%s %s</td><td class=\"w\">",
			ops_band_names[r->band], r->queued ? "queued" : "blocked", t);
		html_esc(f, r->words);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void why_kind(FILE *f, const struct scen_result *s, int k)
{
	struct why_chart *c = calloc(1, sizeof(*c));

	fputs("<div class=\"chart\"><div class=\"ctitle\">Why it waited: ", f);
	html_esc(f, s->kind_name[k]);
	fputs("</div>", f);
	if (!c) {
		fputs("<p class=\"note\">out of memory</p></div>\n", f);
		return;
	}
	why_fill(c, s, k);
	if (!c->nrows) {
		fputs("<p class=\"note\">No band's mean op was queued or blocked 1 µs or more."
		      "</p></div>\n", f);
		free(c);
		return;
	}
	why_svg(f, c);
	why_legend(f, c);
	why_words(f, c);
	fputs("</div>\n", f);
	free(c);
}

/* ---------------------------------------------------------------- the graph */

/* "waitfor/<scenario>.svg" as outdir.c writes it ('/' in the id becomes '_'). */
static void waitfor_path(const struct scen_result *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "waitfor/%s.svg", s->sc.id);

	for (int i = 8; i < n && (size_t)i < len; i++)
		if (buf[i] == '/')
			buf[i] = '_';
}

static void why_graph(FILE *f, const struct scen_result *s, int i, const char *dir)
{
	char rel[SCEN_ID_MAX + 32], id[16], title[SCEN_ID_MAX + 40];

	waitfor_path(s, rel, sizeof(rel));
	fputs("<div class=\"wfg\"><div class=\"ctitle\">Wait-for graph: which thread kinds "
	      "waited on which", f);
	if (html_file_in(dir, rel)) {
		fputs(" · <a href=\"", f);
		html_href(f, rel);
		fputs("\">", f);
		html_esc(f, rel);
		fputs("</a>", f);
	}
	fputs("</div>", f);
	if (s->wf->lost)
		fprintf(f, "<p class=\"bad\">%" PRIu64 " waits not counted: the kernel's wait-for "
			"table was full.</p>", s->wf->lost);
	snprintf(id, sizeof(id), "s%d", i);
	snprintf(title, sizeof(title), "%s", s->sc.id);
	waitfor_sort(s->wf);
	waitfor_write_svg_inline(s->wf, title, id, f);
	fputs("</div>\n", f);
}

/* ---------------------------------------------------------------- the section */

static bool scen_has_why(const struct scen_result *s)
{
	for (int k = 0; k < s->nkinds; k++)
		if (s->sum[k].wtotal.n)
			return true;
	return s->wf != NULL;
}

void html_section_why(const struct report *r, const char *dir, FILE *f)
{
	int shown = 0;

	fputs("<h2 id=\"why\">Why it waited</h2>\n<p class=\"note\">--why: per op kind and "
	      "band, the mean op's queued time split by what the threads it was queued on were "
	      "doing, and its blocked time by who ended it (a thread of the process: split by "
	      "what it was doing meanwhile). Each bar is that part's 100%; beneath, the same in "
	      "report.txt's words. Then which thread kinds waited on which, over the scenario."
	      "</p>\n", f);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		if (!scen_has_why(s))
			continue;
		shown++;
		fprintf(f, "<section class=\"whys\" id=\"w-%d\"><h3><a href=\"#s-%d\">", i, i);
		html_esc(f, s->sc.id);
		fputs("</a></h3>\n", f);
		for (int k = 0; k < s->nkinds; k++)
			if (s->sum[k].wtotal.n)
				why_kind(f, s, k);
		if (s->wf)
			why_graph(f, s, i, dir);
		fputs("</section>\n", f);
	}
	if (!shown)
		fputs("<p class=\"note\">No operation carried a split: no op kind waited on "
		      "another thread while it was recorded.</p>\n", f);
}

bool html_why_link(const struct report *r, const struct scen_result *s)
{
	return r->why && scen_has_why(s);
}
