// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The wait-for graph as SVG (stats/waitfor.h): thread kinds and wakers on a circle, one
 * curved arrow per (waiter, waited-on) pair, bending to its right so that the two
 * directions between a pair stay apart, as wide as its share of the longest wait and
 * labelled with the time and the number of waits. Plain SVG, no script: it opens in a
 * browser or an image viewer.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stacks/flamegraph.h"
#include "stats/waitfor.h"
#include "util/fmt.h"

#define SVG_W 960
#define SVG_H 720
#define MAX_NODES 24

struct node {
	const char *name;
	uint64_t ns;   /* waits in and out */
	int thread;    /* 1: a thread of the process (a waiter, or woken by one) */
	double x, y;
};

struct pair {
	int from, to;
	uint64_t ns, count;
	int queued;
};

static int node_of(struct node *nodes, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(nodes[i].name, name))
			return i;
	if (*n == MAX_NODES)
		return -1;
	nodes[*n] = (struct node){ .name = name };
	return (*n)++;
}

static void text(FILE *f, double x, double y, const char *anchor, const char *style,
		 const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>", x, y, anchor, style);
	svg_escape(f, s, strlen(s));
	fputs("</text>\n", f);
}

/* lane: how many pairs with the same ends were drawn before (a queued and a blocked
 * edge between the same threads): each bends further, so their labels stay apart. */
static void draw_pair(FILE *f, const struct node *nodes, const struct pair *p, uint64_t max,
		      const char *marker, int lane)
{
	const struct node *a = &nodes[p->from], *b = &nodes[p->to];
	double w = 1.5 + 8.0 * sqrt((double)p->ns / (double)(max ? max : 1));
	const char *col = p->queued ? "#7b3294" : "#2b6cb0";
	char t[32], c[32], label[96];
	double lx, ly;

	fmt_ns((double)p->ns, t, sizeof(t));
	fmt_num((double)p->count, c, sizeof(c));
	snprintf(label, sizeof(label), "%s%s, %s wait%s", p->queued ? "queued " : "", t, c,
		 p->count == 1 ? "" : "s");
	if (p->from == p->to) { /* a loop outside the circle */
		double dx = a->x - SVG_W / 2.0, dy = a->y - SVG_H / 2.0;
		double d = sqrt(dx * dx + dy * dy), ux = d ? dx / d : 0, uy = d ? dy / d : -1;
		double cx = a->x + ux * (90 + 40 * lane), cy = a->y + uy * (90 + 40 * lane);

		fprintf(f, "<path d=\"M %.1f %.1f C %.1f %.1f %.1f %.1f %.1f %.1f\" fill=\"none\" "
			"stroke=\"%s\" stroke-opacity=\"0.75\" stroke-width=\"%.1f\" "
			"marker-end=\"url(#%s)\"/>\n", a->x + uy * 20, a->y - ux * 20,
			cx + uy * 50, cy - ux * 50, cx - uy * 50, cy + ux * 50, a->x - uy * 20,
			a->y + ux * 20, col, w, marker);
		lx = cx + ux * 10;
		ly = cy + uy * 10;
	} else {
		double mx = (a->x + b->x) / 2, my = (a->y + b->y) / 2;
		double dx = b->x - a->x, dy = b->y - a->y, d = sqrt(dx * dx + dy * dy);
		/* bend to the right of the direction of travel; stop short of the box */
		double bend = 40 + 50 * lane;
		double cx = mx - dy / (d ? d : 1) * bend, cy = my + dx / (d ? d : 1) * bend;
		double ex = b->x - dx / (d ? d : 1) * 34, ey = b->y - dy / (d ? d : 1) * 22;

		fprintf(f, "<path d=\"M %.1f %.1f Q %.1f %.1f %.1f %.1f\" fill=\"none\" "
			"stroke=\"%s\" stroke-opacity=\"0.75\" stroke-width=\"%.1f\" "
			"marker-end=\"url(#%s)\"/>\n", a->x, a->y, cx, cy, ex, ey, col, w, marker);
		lx = (mx + cx) / 2;
		ly = (my + cy) / 2;
	}
	text(f, lx, ly, "middle", "font-size=\"11\" fill=\"#333\"", label);
}

/* The SVG's opening: a file of its own (id NULL), or an element inside an HTML page, of
 * class "wf", with its arrow marker's id made unique by id (no namespace: the HTML parser
 * gives it). */
static void svg_open(FILE *f, const char *id, const char *marker)
{
	if (!id)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
	fprintf(f, "<svg %s width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s "
		"font-family=\"Verdana, sans-serif\">\n"
		"<defs><marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
		"markerWidth=\"5\" markerHeight=\"5\" orient=\"auto-start-reverse\">"
		"<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfdfd\"/>\n",
		id ? "class=\"wf\"" : "version=\"1.1\"", SVG_W, SVG_H, SVG_W, SVG_H,
		id ? "role=\"img\"" : "xmlns=\"http://www.w3.org/2000/svg\"", marker);
}

static int write_svg(const struct waitfor *g, const char *title, const char *id, FILE *f)
{
	struct node nodes[MAX_NODES];
	struct pair *pairs = calloc(g->n + 1, sizeof(*pairs));
	int nn = 0, np = 0, dropped = 0;
	uint64_t max = 0;
	char marker[48];

	if (!pairs)
		return -ENOMEM;
	/* edges by (waiter, waited on), over op kinds and classes */
	for (size_t i = 0; i < g->n; i++) {
		const struct wf_edge *e = &g->e[i];
		int a = node_of(nodes, &nn, e->waiter), b = node_of(nodes, &nn, e->on), j;

		if (a < 0 || b < 0) {
			dropped++;
			continue;
		}
		nodes[a].thread = 1;
		if (e->cls == OPS_W_ON || e->cls == WF_QUEUED)
			nodes[b].thread = 1;
		nodes[a].ns += e->ns;
		nodes[b].ns += e->ns;
		for (j = 0; j < np && !(pairs[j].from == a && pairs[j].to == b &&
					pairs[j].queued == (e->cls == WF_QUEUED)); j++)
			;
		if (j == np)
			pairs[np++] = (struct pair){ a, b, 0, 0, e->cls == WF_QUEUED };
		pairs[j].ns += e->ns;
		pairs[j].count += e->count;
		if (pairs[j].ns > max)
			max = pairs[j].ns;
	}
	for (int i = 0; i < nn; i++) {
		double a = -M_PI / 2 + 2 * M_PI * i / (nn ? nn : 1);

		nodes[i].x = SVG_W / 2.0 + (nn > 1 ? 290 * cos(a) : 0);
		nodes[i].y = SVG_H / 2.0 + 20 + (nn > 1 ? 250 * sin(a) : 0);
	}
	snprintf(marker, sizeof(marker), "arrow%s%.32s", id ? "-" : "", id ? id : "");
	svg_open(f, id, marker);
	text(f, SVG_W / 2.0, 26, "middle", "font-size=\"17\"", title);
	text(f, SVG_W / 2.0, 46, "middle", "font-size=\"12\" fill=\"#555\"",
	     "an arrow from a waiter to what ended its waits (blue: blocked until woken; "
	     "purple: queued on), width by time");
	if (!nn)
		text(f, SVG_W / 2.0, SVG_H / 2.0, "middle", "font-size=\"14\" fill=\"#777\"",
		     "no waits were seen");
	for (int i = 0; i < np; i++) {
		int lane = 0;

		for (int j = 0; j < i; j++)
			lane += pairs[j].from == pairs[i].from && pairs[j].to == pairs[i].to;
		draw_pair(f, nodes, &pairs[i], max, marker, lane);
	}
	for (int i = 0; i < nn; i++) {
		const struct node *n = &nodes[i];
		double w = 14 + 7.2 * (double)strlen(n->name);

		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"26\" rx=\"8\" "
			"fill=\"%s\" stroke=\"#333\"/>\n", n->x - w / 2, n->y - 13, w,
			n->thread ? "#dbe9f6" : "#fde2c4");
		text(f, n->x, n->y + 5, "middle", "font-size=\"13\"", n->name);
	}
	if (dropped || g->lost) {
		char msg[128];

		snprintf(msg, sizeof(msg), "not drawn: %d edges past %d nodes; lost: %" PRIu64
			 " waits (table full)", dropped, MAX_NODES, g->lost);
		text(f, 10, SVG_H - 10, "start", "font-size=\"11\" fill=\"#a00\"", msg);
	}
	fputs("</svg>\n", f);
	free(pairs);
	return ferror(f) ? -EIO : 0;
}

int waitfor_write_svg(const struct waitfor *g, const char *title, FILE *f)
{
	return write_svg(g, title, NULL, f);
}

int waitfor_write_svg_inline(const struct waitfor *g, const char *title, const char *id,
			     FILE *f)
{
	return write_svg(g, title, id, f);
}
