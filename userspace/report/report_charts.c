// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html's per-op-kind charts, as inline SVG: the kernel breakdown as stacked bars
 * (one real p50 op, the mean op of each latency band, one real p99 op: where the tail's
 * time goes), and the latency distribution as a log-x histogram. The bars' segments are
 * the parts that add up to an op's latency (on-CPU, steal, run queue, blocked by
 * syscall, queued); time in syscalls overlaps them and is drawn as a strip underneath,
 * faults and switches are counts and are written beside the bar. Colours follow the
 * flame graphs' warm palette (on-CPU red as user code, blocked orange as kernel frames,
 * queued blue as their tag frames).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "report/report_html.h"
#include "util/fmt.h"

const char *const chart_band_colour[BAND_NR] = {
	"#d9cfe9", "#b6a3d6", "#8f76bf", "#6a4b9f", "#452874",
};

/* ---------------------------------------------------------------- breakdown bars */

enum seg { SEG_ON, SEG_STEAL, SEG_RUNQ, SEG_BLK1, SEG_BLK2, SEG_BLK3, SEG_BLKO, SEG_QUEUED,
	   SEG_GAP, SEG_NR };
#define NTOP 3

static const char *const seg_colour[SEG_NR] = {
	"#d8452b", "#eea08c", "#e6c229", "#ef7d1a", "#f59f4f", "#f8bf85", "#fbdcba",
	"#7ea6dc", "#dcdcdc",
};
static const char *const seg_desc[SEG_NR] = {
	"on-CPU", "steal (on a CPU, run time not charged: hypervisor, IRQs)",
	"run queue (runnable, waiting for a CPU)", "", "", "", "blocked elsewhere (the rest)",
	"queued (waiting for another thread to pick it up)", "not accounted",
};
#define SYS_COLOUR "#4a4a4a"

struct bd_row {
	char label[24];
	int band;   /* the band's chip colour; -1 for one real operation */
	uint64_t ops;
	bool have;
	double seg[SEG_NR], lat, parts, sys_ns, sysc, flt, vcs, ics, mig;
};

struct bd_chart {
	int top[NTOP];            /* blk indexes with most blocked ns, -1 when fewer */
	char topname[NTOP][40];
	struct bd_row row[BAND_NR + 2];
	int nrows;
	double max_total;         /* of max(lat, parts), for the absolute view */
	bool seg_used[SEG_NR], sys_used;
};

/* The op kind's blocked-in syscalls, largest first over all its bands. */
static void bd_top(struct bd_chart *c, const struct op_summary *p)
{
	uint64_t tot[OPS_BD_BLK] = { 0 };
	char nb[32];

	for (int b = 0; b < BAND_NR; b++)
		for (int i = 0; i < OPS_BD_BLK; i++)
			tot[i] += p->band[b].blk_ns[i];
	for (int t = 0; t < NTOP; t++) {
		int best = -1;

		for (int i = 0; i < OPS_BD_BLK; i++) {
			bool taken = false;

			for (int u = 0; u < t; u++)
				taken |= c->top[u] == i;
			if (!taken && tot[i] && (best < 0 || tot[i] > tot[best]))
				best = i;
		}
		c->top[t] = best;
		if (best == OPS_BLK_NOSYS)
			snprintf(c->topname[t], sizeof(c->topname[t]), "blocked outside a syscall");
		else if (best == OPS_BLK_OTHER)
			snprintf(c->topname[t], sizeof(c->topname[t]), "blocked in other syscalls");
		else if (best >= 0)
			snprintf(c->topname[t], sizeof(c->topname[t]), "blocked in %s",
				 blk_name(best, nb, sizeof(nb)));
	}
}

static void bd_fill(struct bd_chart *c, const char *label, int band, const struct ops_bd *bd,
		    uint64_t ops, double div)
{
	struct bd_row *w = &c->row[c->nrows++];
	double blk_rest;

	memset(w, 0, sizeof(*w));
	snprintf(w->label, sizeof(w->label), "%s", label);
	w->band = band;
	w->ops = ops;
	w->have = ops > 0 && div > 0;
	if (!w->have)
		return;
	w->lat = (double)bd->lat_ns / div;
	w->seg[SEG_ON] = (double)bd->on_ns / div;
	w->seg[SEG_STEAL] = (double)bd->steal_ns / div;
	w->seg[SEG_RUNQ] = (double)bd->runq_ns / div;
	w->seg[SEG_QUEUED] = (double)bd->queued_ns / div;
	blk_rest = (double)bd->blocked_ns / div;
	for (int t = 0; t < NTOP; t++) {
		if (c->top[t] < 0)
			continue;
		w->seg[SEG_BLK1 + t] = (double)bd->blk_ns[c->top[t]] / div;
		blk_rest -= w->seg[SEG_BLK1 + t];
	}
	w->seg[SEG_BLKO] = blk_rest > 0 ? blk_rest : 0;
	for (int i = 0; i < SEG_GAP; i++)
		w->parts += w->seg[i];
	w->seg[SEG_GAP] = w->lat > w->parts ? w->lat - w->parts : 0;
	w->sys_ns = (double)bd->syscall_ns / div;
	w->sysc = (double)bd->syscalls / div;
	w->flt = (double)bd->faults / div;
	w->vcs = (double)bd->vcsw / div;
	w->ics = (double)bd->ivcsw / div;
	w->mig = (double)bd->migrations / div;
	for (int i = 0; i < SEG_NR; i++)
		c->seg_used[i] |= w->seg[i] >= 0.5;
	c->sys_used |= w->sys_ns >= 0.5;
	if (fmax(w->lat, w->parts) > c->max_total)
		c->max_total = fmax(w->lat, w->parts);
}

static const char *seg_name(const struct bd_chart *c, int i)
{
	if (i >= SEG_BLK1 && i <= SEG_BLK3)
		return c->topname[i - SEG_BLK1];
	if (i == SEG_BLKO && c->top[0] < 0)
		return "blocked";
	return seg_desc[i];
}

double chart_nice_step(double max, int n)
{
	double raw = max / n, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

#define BD_W 840
#define BD_BX 168    /* bar start */
#define BD_BW 460    /* bar width */
#define BD_ROW 22
#define BD_TOP 18

/* One bar; abs: lengths against the chart's largest row instead of shares of the row. */
static void bd_bar(FILE *f, const struct bd_chart *c, const struct bd_row *w, double y,
		   bool abs)
{
	double total = fmax(w->lat, w->parts), scale = abs ? c->max_total : total, x = BD_BX;
	char a[24], b[24];

	fprintf(f, "<g class=\"%s\">", abs ? "bd-abs" : "bd-share");
	for (int i = 0; i < SEG_NR; i++) {
		double wd = scale > 0 ? w->seg[i] / scale * BD_BW : 0;

		if (w->seg[i] < 0.5)
			continue;
		html_ns(w->seg[i], a, sizeof(a));
		fprintf(f, "<rect class=\"seg\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"12\" "
			"fill=\"%s\"><title>", x, y + 3, wd, seg_colour[i]);
		html_escf(f, "%s, %s: %s (%.0f ns, %.1f%% of the latency)", w->label,
			  seg_name(c, i), a, w->seg[i], w->lat > 0 ? 100 * w->seg[i] / w->lat : 0);
		fputs("</title></rect>", f);
		x += wd;
	}
	if (w->parts > w->lat * 1.001 && scale > 0) {
		double lx = BD_BX + w->lat / scale * BD_BW;

		html_ns(w->lat, a, sizeof(a));
		html_ns(w->parts, b, sizeof(b));
		fprintf(f, "<line class=\"latmark\" x1=\"%.2f\" x2=\"%.2f\" y1=\"%.1f\" "
			"y2=\"%.1f\"><title>", lx, lx, y + 1, y + 17);
		html_escf(f, "latency %s; its parts add up to %s, %.1f%% more", a, b,
			  100 * (w->parts / w->lat - 1));
		fputs("</title></line>", f);
	}
	if (w->sys_ns >= 0.5 && scale > 0) {
		html_ns(w->sys_ns, a, sizeof(a));
		fprintf(f, "<rect class=\"sys\" x=\"%d\" y=\"%.1f\" width=\"%.2f\" height=\"2.5\" "
			"fill=\"%s\"><title>", BD_BX, y + 16, fmin(w->sys_ns / scale, 1) * BD_BW,
			SYS_COLOUR);
		html_escf(f, "%s: %s inside syscalls (%.0f ns; overlaps the parts above)", w->label,
			  a, w->sys_ns);
		fputs("</title></rect>", f);
	}
	fputs("</g>", f);
}

static void bd_axes(FILE *f, const struct bd_chart *c, int h)
{
	char t[24];
	double step;

	fputs("<g class=\"bd-share axis\">", f);
	for (int i = 0; i <= 4; i++) {
		double x = BD_BX + BD_BW * i / 4.0;

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"12\" text-anchor=\"%s\">%d%%</text>",
			x, x, BD_TOP - 2, h - 4, x, i == 0 ? "start" : i == 4 ? "end" : "middle",
			25 * i);
	}
	fputs("</g><g class=\"bd-abs axis\">", f);
	step = c->max_total > 0 ? chart_nice_step(c->max_total, 4) : 1;
	for (double v = 0; c->max_total > 0 && v <= c->max_total * 1.0001; v += step) {
		double x = BD_BX + v / c->max_total * BD_BW;

		html_axis_ns(v, t, sizeof(t));
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"12\" text-anchor=\"%s\">%s</text>",
			x, x, BD_TOP - 2, h - 4, x, v == 0 ? "start" : "middle", v == 0 ? "0" : t);
	}
	fputs("</g>", f);
}

static void bd_row_svg(FILE *f, const struct bd_chart *c, const struct bd_row *w, double y)
{
	char lat[24], o[16], a[16], b[16], d[16];

	fprintf(f, "<g class=\"bdrow\"><rect x=\"2\" y=\"%.1f\" width=\"9\" height=\"9\" "
		"fill=\"%s\"%s/>", y + 4.5, w->band >= 0 ? chart_band_colour[w->band] : "#fff",
		w->band >= 0 ? "" : " stroke=\"#333\"");
	fprintf(f, "<text x=\"16\" y=\"%.1f\"%s>", y + 13, w->band < 0 ? " class=\"one\"" : "");
	html_esc(f, w->label);
	fmt_num((double)w->ops, o, sizeof(o));
	fprintf(f, "</text><text class=\"ops\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", BD_BX - 6,
		y + 13);
	if (w->band >= 0)
		html_escf(f, "%s op%s", o, w->ops == 1 ? "" : "s");
	fputs("</text>", f);
	if (!w->have) {
		fprintf(f, "<text class=\"ops\" x=\"%d\" y=\"%.1f\">%s</text></g>", BD_BX + 4,
			y + 13, w->band < 0 ? "no exemplar kept" : "no operations");
		return;
	}
	bd_bar(f, c, w, y, false);
	bd_bar(f, c, w, y, true);
	html_ns(w->lat, lat, sizeof(lat));
	fmt_num(w->sysc, a, sizeof(a));
	fmt_num(w->flt, b, sizeof(b));
	fmt_num(w->vcs + w->ics, d, sizeof(d));
	fprintf(f, "<text class=\"lat\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		BD_BX + BD_BW + 70, y + 13);
	html_esc(f, lat);
	fprintf(f, "<title>");
	html_escf(f, "%s: latency %.0f ns; per op %s syscalls, %s faults, %.2f voluntary and "
		  "%.2f involuntary switches, %.2f migrations", w->label, w->lat, a, b, w->vcs,
		  w->ics, w->mig);
	fprintf(f, "</title></text><text class=\"ops\" x=\"%d\" y=\"%.1f\">", BD_BX + BD_BW + 78,
		y + 13);
	html_escf(f, "%s sc · %s flt · %s cs", a, b, d);
	fputs("</text></g>\n", f);
}

/* An HTML legend naming the segments this chart uses. */
static void bd_legend(FILE *f, const struct bd_chart *c)
{
	fputs("<div class=\"legend\">", f);
	for (int i = 0; i < SEG_NR; i++) {
		if (!c->seg_used[i])
			continue;
		fprintf(f, "<span><i style=\"background:%s\"></i>", seg_colour[i]);
		html_esc(f, seg_name(c, i));
		fputs("</span>", f);
	}
	if (c->sys_used)
		fprintf(f, "<span><i class=\"strip\" style=\"background:%s\"></i>in syscalls "
			"(overlaps)</span>", SYS_COLOUR);
	fputs("<span class=\"note\">sc: syscalls, flt: faults, cs: context switches per op"
	      "</span></div>\n", f);
}

void chart_breakdown(FILE *f, const struct scen_result *s, int k)
{
	static const char *const labels[BAND_NR] = { "≤ p50", "p50–p90", "p90–p99",
						     "p99–p99.9", "> p99.9" };
	const struct op_summary *p = &s->sum[k];
	struct bd_chart c;
	int h;

	memset(&c, 0, sizeof(c));
	bd_top(&c, p);
	bd_fill(&c, "p50 op (one real op)", -1, &p->ex_p50, p->ex_p50.n, 1);
	for (int b = 0; b < BAND_P999; b++)
		bd_fill(&c, labels[b], b, &p->band[b], p->band[b].n, (double)p->band[b].n);
	bd_fill(&c, "p99 op (one real op)", -1, &p->ex_p99, p->ex_p99.n, 1);
	for (int b = BAND_P999; b < BAND_NR; b++)
		bd_fill(&c, labels[b], b, &p->band[b], p->band[b].n, (double)p->band[b].n);
	h = BD_TOP + c.nrows * BD_ROW + 4;
	fprintf(f, "<div class=\"chart\"><div class=\"ctitle\">Where the time goes: ");
	html_esc(f, s->kind_name[k]);
	fprintf(f, "</div><svg class=\"bd\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\">", BD_W, h, BD_W, h);
	bd_axes(f, &c, h);
	fprintf(f, "<text class=\"ops\" x=\"%d\" y=\"12\" text-anchor=\"end\">latency</text>",
		BD_BX + BD_BW + 70);
	for (int i = 0; i < c.nrows; i++)
		bd_row_svg(f, &c, &c.row[i], BD_TOP + i * BD_ROW);
	fputs("</svg>", f);
	bd_legend(f, &c);
	fputs("</div>\n", f);
}

void chart_breakdown_legend(FILE *f)
{
	fputs("<div class=\"legend\"><b>Bars</b>", f);
	for (int i = 0; i < SEG_NR; i++) {
		if (i >= SEG_BLK2 && i <= SEG_BLKO)
			continue;
		fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>", seg_colour[i],
			i == SEG_BLK1 ? "blocked in a syscall (lighter: the op kind's next "
			"syscalls)" : seg_desc[i]);
	}
	fprintf(f, "<span><i class=\"strip\" style=\"background:%s\"></i>time inside syscalls "
		"(overlaps on-CPU and blocked)</span></div>\n<div class=\"legend\"><b>Bands</b>",
		SYS_COLOUR);
	for (int b = 0; b < BAND_NR; b++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>", chart_band_colour[b],
			ops_band_names[b]);
	fputs("<span><i style=\"background:#fff;border:1px solid #333\"></i>one real op"
	      "</span></div>\n", f);
}

/* ---------------------------------------------------------------- latency histogram */

#define LH_W 490
#define LH_H 248
#define LH_L 46     /* plot area */
#define LH_R 478
#define LH_T 42
#define LH_B 218
#define LH_PER_OCT 4
#define LH_NBINS ((HIST_MAX_SHIFT + 2) * LH_PER_OCT)

struct lh {
	double bins[LH_NBINS];
	int b0, b1;         /* first and last bin shown */
	double maxc, total;
};

static int lh_bin(uint64_t v)
{
	int b = v <= 1 ? 0 : (int)floor(log2((double)v) * LH_PER_OCT);

	return b < LH_NBINS ? b : LH_NBINS - 1;
}

static double lh_x(const struct lh *l, double bin)
{
	return LH_L + (bin - l->b0) / (l->b1 + 1 - l->b0) * (LH_R - LH_L);
}

static double lh_xv(const struct lh *l, double v)
{
	return lh_x(l, log2(v > 1 ? v : 1) * LH_PER_OCT);
}

static double lh_y(const struct lh *l, double c)
{
	double top = log10(l->maxc) + 0.15, bot = log10(0.5);

	return LH_B - (log10(c) - bot) / (top - bot) * (LH_B - LH_T);
}

static void lh_axes(FILE *f, const struct lh *l)
{
	double lo = pow(2, (double)l->b0 / LH_PER_OCT);
	double hi = pow(2, (double)(l->b1 + 1) / LH_PER_OCT);
	bool fine = hi / lo < 1000; /* up to 3 decades: 2x and 5x ticks too */
	char t[24];

	fputs("<g class=\"axis\">", f);
	for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10) {
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
			double v = d * m, x = lh_xv(l, v);

			if (v < lo || v > hi || (m > 1 && !fine))
				continue;
			html_axis_ns(v, t, sizeof(t));
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
				"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
				x, x, LH_T, LH_B + 4, x, LH_B + 16, t);
		}
	}
	for (double c = 1; c <= l->maxc; c *= 10) {
		double y = lh_y(l, c);

		html_axis_num(c, t, sizeof(t));
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" "
			"y=\"%.1f\" text-anchor=\"end\">%s</text>", LH_L - 4, LH_R, y, y, LH_L - 7,
			y + 4, t);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">latency (log)</text>"
		"<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">"
		"ops (log)</text></g>", (LH_L + LH_R) / 2, LH_H - 2, (LH_T + LH_B) / 2,
		(LH_T + LH_B) / 2);
}

static void lh_marks(FILE *f, const struct lh *l, const struct op_summary *p)
{
	const struct { const char *name; uint64_t v; } m[] = {
		{ "p50", p->p50 }, { "p90", p->p90 }, { "p99", p->p99 }, { "p99.9", p->p999 },
		{ "max", p->max },
	};
	double last[3] = { -1e9, -1e9, -1e9 };
	char t[24];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		double x = lh_xv(l, (double)m[i].v);
		int lane = 0;

		/* the lowest label lane with room, else the one whose last label is farthest */
		for (int j = 0; j < 3; j++) {
			if (x - last[j] >= 40) {
				lane = j;
				break;
			}
			if (last[j] < last[lane])
				lane = j;
		}
		last[lane] = x;
		html_ns((double)m[i].v, t, sizeof(t));
		fprintf(f, "<g class=\"pmark\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text><title>",
			x, x, LH_T - 2 - 12 * lane, LH_B, x, LH_T - 4 - 12 * lane, m[i].name);
		html_escf(f, "%s = %s (%" PRIu64 " ns)", m[i].name, t, m[i].v);
		fputs("</title></g>", f);
	}
}

static int lh_band(const struct op_summary *p, double v)
{
	for (int b = 0; b < BAND_NR - 1; b++)
		if (v <= (double)p->band_hi[b])
			return b;
	return BAND_NR - 1;
}

void chart_latency(FILE *f, const struct scen_result *s, int k)
{
	const struct op_summary *p = &s->sum[k];
	const struct hist *h = s->agg[k] ? op_agg_hist(s->agg[k]) : NULL;
	struct lh l;
	char a[24], b[24], n[16];

	fputs("<div class=\"chart\"><div class=\"ctitle\">Latency distribution: ", f);
	html_esc(f, s->kind_name[k]);
	fputs("</div>", f);
	if (!h || !p->count) {
		fputs("<p class=\"note\">no operations</p></div>\n", f);
		return;
	}
	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t c = hist_bucket_count(h, i);

		if (c)
			l.bins[lh_bin(hist_bucket_lo(i))] += (double)c;
	}
	l.b0 = lh_bin(p->min);
	l.b1 = lh_bin(p->max);
	for (int i = l.b0; i <= l.b1; i++) {
		l.maxc = fmax(l.maxc, l.bins[i]);
		l.total += l.bins[i];
	}
	/* at least two octaves wide, so a narrow distribution is not one wide block */
	while (l.b1 - l.b0 < 2 * LH_PER_OCT) {
		if (l.b0 > 0)
			l.b0--;
		l.b1++;
	}
	fprintf(f, "<svg class=\"lh\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\">", LH_W, LH_H, LH_W, LH_H);
	lh_axes(f, &l);
	for (int i = l.b0; i <= l.b1; i++) {
		double lo = pow(2, (double)i / LH_PER_OCT);
		double hi = pow(2, (double)(i + 1) / LH_PER_OCT);
		double x0 = lh_x(&l, i), x1 = lh_x(&l, i + 1), y;

		if (!l.bins[i])
			continue;
		y = lh_y(&l, l.bins[i]);
		html_ns(lo, a, sizeof(a));
		html_ns(hi, b, sizeof(b));
		fmt_num(l.bins[i], n, sizeof(n));
		fprintf(f, "<rect class=\"bin\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			"height=\"%.2f\" fill=\"%s\"><title>", x0 + 0.5, y, x1 - x0 - 1, LH_B - y,
			chart_band_colour[lh_band(p, sqrt(lo * hi))]);
		html_escf(f, "%s to %s: %.0f ops (%.2f%%)", a, b, l.bins[i],
			  100 * l.bins[i] / l.total);
		fputs("</title></rect>", f);
	}
	lh_marks(f, &l, p);
	fputs("</svg></div>\n", f);
}

/* ---------------------------------------------------------------- tail strip */

#define TS_W 260
#define TS_H 14

void chart_tail_strip(FILE *f, const struct op_summary *p, double lo, double hi)
{
	const double v[] = { (double)p->p50, (double)p->p90, (double)p->p99, (double)p->p999,
			     (double)p->max };
	double x[5], span = log(hi / lo);
	char t[5][24];

	for (int i = 0; i < 5; i++) {
		double r = span > 0 ? log(fmax(v[i], lo) / lo) / span : 0;

		x[i] = 4 + fmin(fmax(r, 0), 1) * (TS_W - 8);
		html_ns(v[i], t[i], sizeof(t[i]));
	}
	fprintf(f, "<svg class=\"ts\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
		"<line x1=\"4\" x2=\"%d\" y1=\"7\" y2=\"7\" stroke=\"#ececef\"/>", TS_W, TS_H, TS_W,
		TS_H, TS_W - 4);
	for (int i = 0; i < 4; i++)
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
			x[i], i < 3 ? 3 : 5, fmax(x[i + 1] - x[i], 0.5), i < 3 ? 8 : 4,
			chart_band_colour[i + 1]);
	fprintf(f, "<circle cx=\"%.1f\" cy=\"7\" r=\"3.5\" fill=\"#222\"/><title>", x[0]);
	html_escf(f, "p50 %s, p90 %s, p99 %s, p99.9 %s, max %s", t[0], t[1], t[2], t[3], t[4]);
	fputs("</title></svg>", f);
}
