// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * report.html's sweep charts: the scenarios of one suite group that differ in swept
 * parameters, drawn against the first of them (workers, capacity, streams, ...):
 * throughput with its spread over repetitions, p99, and, for workers/producers/threads
 * sweeps, the scaling efficiency report_finish() computed. Parameters swept together
 * with it (mode/producers/consumers) label the same axis; a parameter swept on its own
 * line (a cross product) makes one line per value. Numeric axes are logarithmic when
 * the values span a factor of 4 or more, as sweeps usually double.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report_html.h"
#include "util/fmt.h"
#include "workloads/params.h"

const char *const chart_series_colour[8] = {
	"#d8452b", "#3b6fb6", "#d99a00", "#4f9a48", "#8a5cb8", "#2a9d9b", "#9a5b2e", "#6f6f6f",
};

#define SW_MAXPTS 64
#define SW_MAXSER 8
#define SW_MAXP (SUITE_MAX_SWEEPS * SUITE_MAX_ZIP)

struct sweep {
	const struct report *r;
	int scen[SW_MAXPTS], nscen;    /* scenarios of the group, in suite order */
	int par[SW_MAXP], npar;        /* the parameters that vary */
	int xp;                        /* the x axis' parameter */
	bool with_x[SW_MAXP];          /* par[i] varies with x: labels the same axis */
	char xname[128];
	int npts;
	char xlabel[SW_MAXPTS][64];
	double xval[SW_MAXPTS], xpos[SW_MAXPTS];
	bool numeric, logx;
	int pt_of[SW_MAXPTS], key_of[SW_MAXPTS]; /* per scenario */
	int nkeys;
	char key[SW_MAXSER][128];
};

struct sw_series {
	char name[160];
	double y[SW_MAXPTS], lo[SW_MAXPTS], hi[SW_MAXPTS];
	bool have[SW_MAXPTS];
};

enum sw_unit { SU_RATE, SU_NS, SU_RATIO };

static const struct scenario *sw_sc(const struct sweep *w, int i)
{
	return &w->r->scen[w->scen[i]].sc;
}

static bool same_val(const struct scenario *a, const struct scenario *b, int p)
{
	return a->cfg.iv[p] == b->cfg.iv[p] && a->cfg.fv[p] == b->cfg.fv[p];
}

static void sw_value_text(const struct scenario *sc, int p, char *buf, size_t len)
{
	param_format_value(&sc->wl->params[p], sc->cfg.iv[p], sc->cfg.fv[p], buf, len);
}

/* The parameters that vary within the group, in the order of its sweep lines. */
static void sw_params(struct sweep *w)
{
	const struct scenario *s0 = sw_sc(w, 0);

	w->npar = 0;
	for (int j = 0; j < s0->nswept && w->npar < SW_MAXP; j++) {
		int p = s0->swept[j];
		bool varies = false, dup = false;

		for (int i = 0; i < w->npar; i++)
			dup |= w->par[i] == p;
		for (int i = 1; i < w->nscen && !dup; i++)
			varies |= !same_val(s0, sw_sc(w, i), p);
		if (varies && !dup)
			w->par[w->npar++] = p;
	}
}

/* Does parameter p take one value for each value of x (swept together with it)? */
static bool sw_follows(const struct sweep *w, int x, int p)
{
	for (int a = 0; a < w->nscen; a++)
		for (int b = a + 1; b < w->nscen; b++)
			if (same_val(sw_sc(w, a), sw_sc(w, b), x) &&
			    !same_val(sw_sc(w, a), sw_sc(w, b), p))
				return false;
	return true;
}

/* The x axis: the varying parameter that most others follow, the first on a tie (in
 * mode/producers/consumers = mpmc/2/2, mpmc/4/4 that is producers, not mode). */
static int sw_pick_x(const struct sweep *w)
{
	int best = w->par[0], most = -1;

	for (int i = 0; i < w->npar; i++) {
		int n = 0;

		for (int j = 0; j < w->npar; j++)
			n += sw_follows(w, w->par[i], w->par[j]);
		if (n > most) {
			most = n;
			best = w->par[i];
		}
	}
	return best;
}

static void sw_text(const struct sweep *w, const struct scenario *sc, bool with_x, char *buf,
		    size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < w->npar && off < len; i++) {
		char v[64];

		if (w->with_x[i] != with_x)
			continue;
		sw_value_text(sc, w->par[i], v, sizeof(v));
		if (with_x)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "/" : "", v);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "",
						sc->wl->params[w->par[i]].name, v);
	}
}

/* Numeric points in increasing order, so that lines join neighbours. */
static void sw_sort(struct sweep *w)
{
	for (int i = 1; i < w->npts; i++)
		for (int j = i; j > 0 && w->xval[j] < w->xval[j - 1]; j--) {
			char lab[64];
			double v = w->xval[j];

			memcpy(lab, w->xlabel[j], sizeof(lab));
			memcpy(w->xlabel[j], w->xlabel[j - 1], sizeof(lab));
			memcpy(w->xlabel[j - 1], lab, sizeof(lab));
			w->xval[j] = w->xval[j - 1];
			w->xval[j - 1] = v;
			for (int s = 0; s < w->nscen; s++)
				w->pt_of[s] = w->pt_of[s] == j ? j - 1 :
					      w->pt_of[s] == j - 1 ? j : w->pt_of[s];
		}
}

/* The x positions (0..1) of the points: numeric (log or linear) or one slot each. */
static void sw_positions(struct sweep *w)
{
	double lo = INFINITY, hi = -INFINITY;

	if (w->numeric)
		sw_sort(w);
	for (int i = 0; i < w->npts; i++) {
		lo = fmin(lo, w->xval[i]);
		hi = fmax(hi, w->xval[i]);
	}
	w->logx = w->numeric && lo > 0 && hi / lo >= 4;
	for (int i = 0; i < w->npts; i++) {
		if (!w->numeric || hi <= lo)
			w->xpos[i] = w->npts > 1 ? (double)i / (w->npts - 1) : 0.5;
		else if (w->logx)
			w->xpos[i] = log(w->xval[i] / lo) / log(hi / lo);
		else
			w->xpos[i] = (w->xval[i] - lo) / (hi - lo);
	}
}

/* Points (distinct x labels) and series keys (values of the other parameters). */
static int sw_points(struct sweep *w)
{
	const struct wl_param_def *xd = &sw_sc(w, 0)->wl->params[w->xp];
	size_t off = 0;

	w->numeric = xd->type != WL_P_ENUM;
	for (int i = 0; i < w->npar; i++) {
		w->with_x[i] = w->par[i] == w->xp || sw_follows(w, w->xp, w->par[i]);
		if (w->with_x[i]) {
			const char *name = sw_sc(w, 0)->wl->params[w->par[i]].name;

			off += (size_t)snprintf(w->xname + off, sizeof(w->xname) - off, "%s%s",
						off ? "/" : "", name);
			w->numeric &= w->par[i] == w->xp;
		}
	}
	w->npts = w->nkeys = 0;
	for (int i = 0; i < w->nscen; i++) {
		const struct scenario *sc = sw_sc(w, i);
		char lab[64], key[128];
		int p, k;

		sw_text(w, sc, true, lab, sizeof(lab));
		sw_text(w, sc, false, key, sizeof(key));
		for (p = 0; p < w->npts && strcmp(w->xlabel[p], lab); p++)
			;
		if (p == w->npts) {
			snprintf(w->xlabel[p], sizeof(w->xlabel[p]), "%s", lab);
			w->xval[p] = xd->type == WL_P_FLOAT ? sc->cfg.fv[w->xp] :
				     (double)sc->cfg.iv[w->xp];
			w->npts++;
		}
		for (k = 0; k < w->nkeys && strcmp(w->key[k], key); k++)
			;
		if (k == w->nkeys) {
			if (w->nkeys == SW_MAXSER)
				return -E2BIG;
			snprintf(w->key[k], sizeof(w->key[k]), "%s", key);
			w->nkeys++;
		}
		w->pt_of[i] = p;
		w->key_of[i] = k;
	}
	sw_positions(w);
	return w->npts >= 2 ? 0 : -EINVAL;
}

/* ---------------------------------------------------------------- one chart */

#define SW_W 430
#define SW_H 250
#define SW_L 58
#define SW_R 414
#define SW_T 16
#define SW_B 206

struct sw_axis {
	bool log;
	double lo, hi;
};

static void sw_fmt(enum sw_unit u, double v, char *buf, size_t len)
{
	if (u == SU_NS)
		html_ns(v, buf, len);
	else if (u == SU_RATIO)
		snprintf(buf, len, "%.2f", v);
	else
		fmt_num(v, buf, len);
}

/* Axis labels: the same, without trailing zeros ("10µs", "1.5M"). */
static void sw_axis_fmt(enum sw_unit u, double v, char *buf, size_t len)
{
	if (u == SU_NS)
		html_axis_ns(v, buf, len);
	else if (u == SU_RATIO)
		snprintf(buf, len, "%g", v);
	else
		html_axis_num(v, buf, len);
}

static double sw_y(const struct sw_axis *a, double v)
{
	double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) :
		   (v - a->lo) / (a->hi - a->lo);

	return SW_B - t * (SW_B - SW_T);
}

static double sw_x(const struct sweep *w, int pt)
{
	return SW_L + 16 + w->xpos[pt] * (SW_R - SW_L - 32);
}

static void sw_yaxis(FILE *f, struct sw_axis *a, const struct sw_series *ser, int nser,
		     enum sw_unit u, double ref)
{
	double lo = INFINITY, hi = ref > 0 ? ref : 0, step;
	char t[24];

	for (int s = 0; s < nser; s++)
		for (int i = 0; i < SW_MAXPTS; i++)
			if (ser[s].have[i]) {
				lo = fmin(lo, ser[s].y[i]);
				hi = fmax(hi, fmax(ser[s].y[i], ser[s].hi[i]));
			}
	a->log = u == SU_NS && lo > 0 && hi / lo > 20;
	if (a->log) {
		a->lo = pow(10, floor(log10(lo)));
		a->hi = pow(10, ceil(log10(hi)));
		for (double d = a->lo; d <= a->hi * 1.001; d *= 10) {
			sw_axis_fmt(u, d, t, sizeof(t));
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
				"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", SW_L - 4,
				SW_R, sw_y(a, d), sw_y(a, d), SW_L - 7, sw_y(a, d) + 4, t);
		}
		return;
	}
	step = chart_nice_step(hi > 0 ? hi * 1.05 : 1, 5);
	a->lo = 0;
	a->hi = ceil((hi > 0 ? hi * 1.05 : 1) / step) * step;
	for (double v = 0; v <= a->hi * 1.0001; v += step) {
		sw_axis_fmt(u, v, t, sizeof(t));
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" "
			"y=\"%.1f\" text-anchor=\"end\">%s</text>", SW_L - 4, SW_R, sw_y(a, v),
			sw_y(a, v), SW_L - 7, sw_y(a, v) + 4, v == 0 ? "0" : t);
	}
}

static void sw_xaxis(FILE *f, const struct sweep *w)
{
	size_t longest = 0;
	bool tilt;

	for (int i = 0; i < w->npts; i++)
		longest = strlen(w->xlabel[i]) > longest ? strlen(w->xlabel[i]) : longest;
	tilt = (double)(w->npts * longest) * 6.5 > SW_R - SW_L;
	for (int i = 0; i < w->npts; i++) {
		double x = sw_x(w, i);

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>", x, x, SW_B,
			SW_B + 4);
		if (tilt)
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
				"transform=\"rotate(-25 %.1f %d)\">", x, SW_B + 15, x, SW_B + 15);
		else
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
				SW_B + 16);
		html_esc(f, w->xlabel[i]);
		fputs("</text>", f);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (SW_L + SW_R) / 2, SW_H - 4);
	html_escf(f, "%s%s", w->xname, w->logx ? " (log)" : "");
	fputs("</text>", f);
}

static void sw_points_svg(FILE *f, const struct sweep *w, const struct sw_axis *a,
			  const struct sw_series *s, const char *colour, enum sw_unit u)
{
	char t[24], lo[24], hi[24];
	int prev = -1;

	fprintf(f, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">", colour, colour);
	for (int i = 0; i < w->npts; i++) {
		if (!s->have[i])
			continue;
		if (prev >= 0)
			fprintf(f, "<line class=\"ln\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\"/>", sw_x(w, prev), sw_y(a, s->y[prev]), sw_x(w, i),
				sw_y(a, s->y[i]));
		prev = i;
	}
	for (int i = 0; i < w->npts; i++) {
		if (!s->have[i])
			continue;
		if (s->hi[i] > s->lo[i])
			fprintf(f, "<line class=\"err\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
				"y2=\"%.1f\"/>", sw_x(w, i), sw_x(w, i), sw_y(a, s->lo[i]),
				sw_y(a, s->hi[i]));
		sw_fmt(u, s->y[i], t, sizeof(t));
		fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>",
			sw_x(w, i), sw_y(a, s->y[i]));
		html_escf(f, "%s = %s: %s %s", w->xname, w->xlabel[i], s->name, t);
		if (s->hi[i] > s->lo[i]) {
			sw_fmt(u, s->lo[i], lo, sizeof(lo));
			sw_fmt(u, s->hi[i], hi, sizeof(hi));
			html_escf(f, " (repetitions from %s to %s)", lo, hi);
		}
		fputs("</title></circle>", f);
	}
	fputs("</g>", f);
}

static void sw_plot(FILE *f, const struct sweep *w, const char *title, enum sw_unit u,
		    const struct sw_series *ser, int nser, double ref)
{
	struct sw_axis a;

	fputs("<div class=\"chart\"><div class=\"ctitle\">", f);
	html_esc(f, title);
	fprintf(f, "</div><svg class=\"sw\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\"><g class=\"axis\">", SW_W, SW_H, SW_W, SW_H);
	sw_yaxis(f, &a, ser, nser, u, ref);
	sw_xaxis(f, w);
	fputs("</g>", f);
	if (ref > 0)
		fprintf(f, "<line class=\"ref\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
			"<text class=\"reftext\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">ideal"
			"</text>",
			SW_L, SW_R, sw_y(&a, ref), sw_y(&a, ref), SW_R - 2, sw_y(&a, ref) - 4);
	for (int s = 0; s < nser; s++)
		sw_points_svg(f, w, &a, &ser[s], chart_series_colour[s % 8], u);
	fputs("</svg><div class=\"legend\">", f);
	for (int s = 0; s < nser; s++) {
		fprintf(f, "<span><i style=\"background:%s\"></i>", chart_series_colour[s % 8]);
		html_esc(f, ser[s].name);
		fputs("</span>", f);
	}
	fputs("</div></div>\n", f);
}

/* ---------------------------------------------------------------- one sweep */

/* Series of one op kind name per key: throughput (which == 0) or p99 (which == 1).
 * *dropped counts the series beyond max. */
static int sw_kind_series(const struct sweep *w, int which, struct sw_series *ser, int max,
			  int *dropped)
{
	int n = 0;

	*dropped = 0;

	for (int i = 0; i < w->nscen; i++) {
		const struct scen_result *s = &w->r->scen[w->scen[i]];

		for (int k = 0; k < s->nkinds; k++) {
			const struct metric *m = metric_find(s, s->kind_name[k], "throughput");
			char name[160];
			int j;

			snprintf(name, sizeof(name), "%s%s%s", s->kind_name[k],
				 w->key[w->key_of[i]][0] ? " · " : "", w->key[w->key_of[i]]);
			for (j = 0; j < n && strcmp(ser[j].name, name); j++)
				;
			if (j == n) {
				if (n == max) {
					(*dropped)++;
					continue;
				}
				memset(&ser[n], 0, sizeof(ser[n]));
				snprintf(ser[n].name, sizeof(ser[n].name), "%s", name);
				n++;
			}
			if (s->status != SCEN_OK || !s->sum[k].count)
				continue;
			struct sw_series *o = &ser[j];
			int p = w->pt_of[i];

			if (which == 0 && m && m->n) {
				o->y[p] = m->mean;
				o->lo[p] = m->n > 1 ? m->min : m->mean;
				o->hi[p] = m->n > 1 ? m->max : m->mean;
				o->have[p] = true;
			} else if (which == 1) {
				o->y[p] = o->lo[p] = o->hi[p] = (double)s->sum[k].p99;
				o->have[p] = true;
			}
		}
	}
	return n;
}

static void sw_draw(FILE *f, const struct sweep *w, struct sw_series *ser)
{
	const struct scen_result *s0 = &w->r->scen[w->scen[0]];
	const char *scale = NULL;
	char title[160];
	int n, dropped;

	fputs("<div class=\"sweep\"><h3>", f);
	html_esc(f, s0->sc.group);
	fputs(" <span class=\"sub\">", f);
	html_escf(f, "%s, %d scenarios, against %s", s0->sc.wl->name, w->nscen, w->xname);
	fputs("</span></h3><div class=\"charts\">", f);
	n = sw_kind_series(w, 0, ser, SW_MAXSER, &dropped);
	sw_plot(f, w, "Throughput (ops/s, mean; bars: range over repetitions)", SU_RATE, ser, n,
		0);
	n = sw_kind_series(w, 1, ser, SW_MAXSER, &dropped);
	sw_plot(f, w, "p99 latency", SU_NS, ser, n, 0);
	for (int i = 0; i < w->nscen; i++)
		if (w->r->scen[w->scen[i]].has_scaling)
			scale = w->r->scen[w->scen[i]].scale_param;
	if (scale) {
		for (int k = 0; k < w->nkeys; k++) {
			memset(&ser[k], 0, sizeof(ser[k]));
			snprintf(ser[k].name, sizeof(ser[k].name), "%s", w->key[k][0] ? w->key[k] :
				 "throughput(n) / (n × throughput(1))");
		}
		for (int i = 0; i < w->nscen; i++) {
			const struct scen_result *s = &w->r->scen[w->scen[i]];
			struct sw_series *o = &ser[w->key_of[i]];
			int p = w->pt_of[i];

			if (!s->has_scaling || !isfinite(s->scale_eff))
				continue;
			o->y[p] = o->lo[p] = o->hi[p] = s->scale_eff;
			o->have[p] = true;
		}
		snprintf(title, sizeof(title), "Scaling efficiency against %s=1", scale);
		sw_plot(f, w, title, SU_RATIO, ser, w->nkeys, 1.0);
	}
	fputs("</div>", f);
	if (dropped)
		fprintf(f, "<p class=\"note\">%d more line%s (op kind and value of the other swept "
			"parameters) not drawn: the charts keep %d; the tables have them all.</p>",
			dropped, dropped == 1 ? "" : "s", SW_MAXSER);
	fputs("</div>\n", f);
}

int chart_sweeps(FILE *f, const struct report *r)
{
	struct sw_series *ser = calloc(SW_MAXSER, sizeof(*ser));
	bool *done = calloc(r->nscen ? r->nscen : 1, sizeof(*done));
	struct sweep *w = calloc(1, sizeof(*w));
	int drawn = 0, members, rc;

	if (!ser || !done || !w)
		drawn = -ENOMEM;
	for (int i = 0; drawn >= 0 && i < r->nscen; i++) {
		const struct scenario *sc = &r->scen[i].sc;

		if (done[i] || !sc->nswept)
			continue;
		memset(w, 0, sizeof(*w));
		w->r = r;
		members = 0;
		for (int j = i; j < r->nscen; j++) {
			if (r->scen[j].sc.wl != sc->wl || strcmp(r->scen[j].sc.group, sc->group))
				continue;
			done[j] = true;
			if (members++ < SW_MAXPTS)
				w->scen[w->nscen++] = j;
		}
		if (w->nscen < 2)
			continue;
		sw_params(w);
		if (!w->npar)
			continue;
		w->xp = sw_pick_x(w);
		rc = sw_points(w);
		if (rc == -E2BIG || members > SW_MAXPTS) {
			fputs("<p class=\"note\">", f);
			html_escf(f, "%s: not charted: its sweep has %s; see the tables.",
				  sc->group, rc == -E2BIG ? "more than 8 combinations of the "
				  "other swept parameters" : "more than 64 scenarios");
			fputs("</p>\n", f);
			continue;
		}
		if (rc)
			continue;
		sw_draw(f, w, ser);
		drawn++;
	}
	free(ser);
	free(done);
	free(w);
	return drawn;
}
