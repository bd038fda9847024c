// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * SVG flame graphs from folded stacks. See flamegraph.h.
 *
 * The stacks are sorted with ';' ordered before every other byte, so that all stacks
 * sharing a frame prefix are adjacent and siblings come out in name order; one pass then
 * builds the tree (the current path is kept, and cut where a stack leaves it), and a
 * second pass gives each node its x offset (its parent's offset plus the values of the
 * siblings before it). Nodes come out in pre-order, which is also the drawing order.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/flamegraph.h"
#include "stacks/folded.h"

#define PAD 10      /* left and right margin, px */
#define FRAME_H 16  /* px per level */
#define FONT_PX 12
#define CHAR_W 7.2  /* monospace glyph width at FONT_PX (0.6 em) */
#define TITLE_Y 24  /* baseline of the title (and of the buttons beside it) */
#define LINE_H 16   /* px per line of subtitle or legend */
#define BUTTON_W 100 /* room kept beside the title for "Reset zoom" and "Search" */
#define BOTTOM_H 36 /* details line */

struct rec {
	const char *stack;
	uint64_t a, b;
};

struct fnode {
	const char *name;
	size_t len;
	uint64_t v;      /* inclusive value (B in a diff) */
	uint64_t a;      /* diff: inclusive value in A */
	uint64_t x;      /* offset from the left, in value units */
	uint64_t next_x; /* where the next child starts */
	size_t parent;
	int depth;
};

struct ftree {
	struct fnode *n;
	size_t nr, cap;
	int max_depth;
};

/* Byte order, except that ';' sorts before everything (it ends a frame). */
static int stack_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = (const unsigned char *)((const struct rec *)pa)->stack;
	const unsigned char *b = (const unsigned char *)((const struct rec *)pb)->stack;

	for (;; a++, b++) {
		unsigned ca = *a == ';' ? 1 : *a, cb = *b == ';' ? 1 : *b;

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

static int ftree_push(struct ftree *t, const char *name, size_t len, size_t parent, int depth)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct fnode *n = realloc(t->n, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	memset(&t->n[t->nr], 0, sizeof(t->n[0]));
	t->n[t->nr].name = name;
	t->n[t->nr].len = len;
	t->n[t->nr].parent = parent;
	t->n[t->nr].depth = depth;
	if (depth > t->max_depth)
		t->max_depth = depth;
	t->nr++;
	return 0;
}

static int ftree_build(struct ftree *t, struct rec *recs, size_t nrec)
{
	size_t *path = NULL, pathcap = 0, pathlen = 1, i;
	int err;

	qsort(recs, nrec, sizeof(*recs), stack_cmp);
	err = ftree_push(t, "all", 3, 0, 0);
	if (err)
		return err;
	for (i = 0; i < nrec; i++) {
		const char *p = recs[i].stack;
		size_t depth = 1;

		/* the root holds every sum, so no node can overflow when it does not */
		if (__builtin_add_overflow(t->n[0].v, recs[i].b, &t->n[0].v) ||
		    __builtin_add_overflow(t->n[0].a, recs[i].a, &t->n[0].a)) {
			free(path);
			return -EOVERFLOW;
		}
		for (;;) {
			const char *e = strchr(p, ';');
			size_t len = e ? (size_t)(e - p) : strlen(p), idx;

			if (depth + 1 > pathcap) {
				size_t *np = realloc(path, (depth + 64) * sizeof(*np));

				if (!np) {
					free(path);
					return -ENOMEM;
				}
				path = np;
				pathcap = depth + 64;
				path[0] = 0;
			}
			if (depth < pathlen && t->n[path[depth]].len == len &&
			    !memcmp(t->n[path[depth]].name, p, len)) {
				idx = path[depth];
			} else {
				err = ftree_push(t, p, len, path[depth - 1], (int)depth);
				if (err) {
					free(path);
					return err;
				}
				idx = t->nr - 1;
				path[depth] = idx;
				pathlen = depth + 1;
			}
			t->n[idx].v += recs[i].b;
			t->n[idx].a += recs[i].a;
			depth++;
			if (!e)
				break;
			p = e + 1;
		}
	}
	free(path);
	/* pre-order: a parent always comes before its children */
	for (i = 1; i < t->nr; i++) {
		struct fnode *par = &t->n[t->n[i].parent];

		t->n[i].x = par->next_x;
		t->n[i].next_x = t->n[i].x;
		par->next_x += t->n[i].v;
	}
	return 0;
}

void svg_escape(FILE *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t need = 0, k;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			i++;
			continue;
		case '<':
			fputs("&lt;", out);
			i++;
			continue;
		case '>':
			fputs("&gt;", out);
			i++;
			continue;
		case '"':
			fputs("&quot;", out);
			i++;
			continue;
		case '\'':
			fputs("&apos;", out);
			i++;
			continue;
		}
		if (c < 0x80) {
			/* XML 1.0 allows no control characters but tab, LF and CR */
			fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		for (k = 1; need && k <= need; k++)
			if (i + k >= len || ((unsigned char)s[i + k] & 0xc0) != 0x80)
				need = 0;
		if (!need) {
			fputc('?', out);
			i++;
			continue;
		}
		fwrite(s + i, 1, need + 1, out);
		i += need + 1;
	}
}

/* Bytes of the first n characters (UTF-8 code points) of s[0..len). */
static size_t utf8_prefix(const char *s, size_t len, size_t n, size_t *chars)
{
	size_t i = 0, c = 0;

	while (i < len && c < n) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	if (chars)
		*chars = c;
	return i;
}

/* The label that fits in w px: the name, or its start and "..", or nothing. */
static void put_label(FILE *out, const char *name, size_t len, double w)
{
	long fit = (long)floor((w - 6) / CHAR_W);
	size_t total, bytes;

	if (fit < 3)
		return;
	utf8_prefix(name, len, (size_t)-1, &total);
	if (total <= (size_t)fit) {
		svg_escape(out, name, len);
		return;
	}
	bytes = utf8_prefix(name, len, (size_t)fit - 2, NULL);
	svg_escape(out, name, bytes);
	fputs("..", out);
}

static void fmt_u64(char *buf, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), i, w = 0;

	for (i = 0; i < n && (size_t)w + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[w++] = ',';
		buf[w++] = tmp[i];
	}
	buf[w] = '\0';
}

static bool unit_is_ns(const char *unit)
{
	return !strcmp(unit, "ns") || !strcmp(unit, "nanoseconds");
}

/* "1,234,567 ns (1.23 ms)" or "42 samples" */
static void fmt_value(char *buf, size_t len, uint64_t v, const char *unit)
{
	char n[40];

	fmt_u64(n, sizeof(n), v);
	if (unit_is_ns(unit) && v >= 1000) {
		double d = (double)v;
		const char *u = "us";

		if (d >= 1e9) {
			d /= 1e9;
			u = "s";
		} else if (d >= 1e6) {
			d /= 1e6;
			u = "ms";
		} else {
			d /= 1e3;
		}
		snprintf(buf, len, "%s %s (%.3g %s)", n, unit, d, u);
	} else {
		snprintf(buf, len, "%s %s", n, unit);
	}
}

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Colour of a frame in a normal graph: by kind, varied by a hash of the name so that
 * one function has one colour in every graph. */
static void frame_color(const struct fnode *n, int *r, int *g, int *b)
{
	uint32_t h = name_hash(n->name, n->len);
	double v1 = (h & 0xff) / 255.0, v2 = ((h >> 8) & 0xff) / 255.0;

	if (n->depth == 0) {
		*r = 200, *g = 200, *b = 200;
		return;
	}
	switch (folded_frame_kind(n->name, n->len)) {
	case FRAME_KERNEL: /* orange */
		*r = 225 + (int)(30 * v1), *g = 130 + (int)(60 * v2), *b = (int)(40 * v1);
		break;
	case FRAME_TAG: /* blue */
		*r = 110 + (int)(40 * v2), *g = 150 + (int)(40 * v2), *b = 215 + (int)(40 * v1);
		break;
	case FRAME_UNNAMED: /* grey */
		*r = *g = *b = 170 + (int)(40 * v1);
		break;
	default: /* warm red to yellow */
		*r = 205 + (int)(50 * v2), *g = (int)(200 * v1), *b = (int)(55 * v2);
	}
}

static const char *const svg_css =
	"<style type=\"text/css\">\n"
	"text { font-family: monospace; font-size: 12px; fill: rgb(0,0,0); }\n"
	"#title, .title { text-anchor: middle; font-size: 17px; }\n"
	"#subtitle, .subtitle { text-anchor: middle; fill: rgb(70,70,70); }\n"
	"#legend, .legend { text-anchor: middle; font-size: 11px; fill: rgb(100,100,100); }\n"
	"#search, #matched { text-anchor: end; }\n"
	"#unzoom, #search { cursor: pointer; fill: rgb(0,0,160); }\n"
	"#frames g:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
	"#frames g { cursor: pointer; }\n"
	"#frames text { pointer-events: none; }\n"
	".hide { display: none; }\n"
	".parent { opacity: 0.5; }\n"
	"</style>\n";

/* Plain ES5, no libraries: hover details, click to zoom, search, "#s=RE" and "#z=N" in
 * the URL to search or zoom on load. */
static const char *const svg_js =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"\"use strict\";\n"
	"var W, PAD = 10, CW = 7.2, frames = [], details, unzoomBtn, searchBtn, matchedTxt;\n"
	"var searching = false;\n"
	"function init() {\n"
	"  W = +document.documentElement.getAttribute(\"width\");\n"
	"  details = document.getElementById(\"details\").firstChild;\n"
	"  unzoomBtn = document.getElementById(\"unzoom\");\n"
	"  searchBtn = document.getElementById(\"search\");\n"
	"  matchedTxt = document.getElementById(\"matched\").firstChild;\n"
	"  var fr = document.getElementById(\"frames\"), gs = fr.getElementsByTagName(\"g\");\n"
	"  for (var i = 0; i < gs.length; i++) {\n"
	"    var g = gs[i], r = g.getElementsByTagName(\"rect\")[0];\n"
	"    var t = g.getElementsByTagName(\"title\")[0].textContent.split(\"\\n\");\n"
	"    g.ox = +r.getAttribute(\"x\"); g.ow = +r.getAttribute(\"width\");\n"
	"    g.oy = +r.getAttribute(\"y\"); g.fill = r.getAttribute(\"fill\");\n"
	"    g.fname = t[0]; g.info = t.join(\"  \");\n"
	"    frames.push(g);\n"
	"  }\n"
	"  fr.addEventListener(\"click\", function (e) {\n"
	"    var g = frameOf(e.target); if (g) zoom(g); });\n"
	"  fr.addEventListener(\"mouseover\", function (e) {\n"
	"    var g = frameOf(e.target); if (g) details.nodeValue = g.info; });\n"
	"  fr.addEventListener(\"mouseout\", function () { details.nodeValue = \" \"; });\n"
	"  unzoomBtn.addEventListener(\"click\", unzoom);\n"
	"  searchBtn.addEventListener(\"click\", function () {\n"
	"    if (searching) { resetSearch(); return; }\n"
	"    var term = prompt(\"Search frames (regular expression):\", \"\");\n"
	"    if (term) search(term);\n"
	"  });\n"
	"  window.addEventListener(\"keydown\", function (e) {\n"
	"    if ((e.ctrlKey || e.metaKey) && e.keyCode === 70) {\n"
	"      e.preventDefault();\n"
	"      var term = prompt(\"Search frames (regular expression):\", \"\");\n"
	"      if (term) search(term);\n"
	"    } else if (e.keyCode === 27) { resetSearch(); unzoom(); }\n"
	"  });\n"
	"  var h = decodeURIComponent(window.location.hash || \"\");\n"
	"  var zf = frames[+h.substring(3)];\n"
	"  if (h.indexOf(\"#z=\") === 0 && zf) zoom(zf);\n"
	"  if (h.indexOf(\"#s=\") === 0) search(h.substring(3));\n"
	"}\n"
	"function frameOf(el) {\n"
	"  while (el && el.parentNode && el.parentNode.id !== \"frames\") el = el.parentNode;\n"
	"  return el && el.parentNode ? el : null;\n"
	"}\n"
	"function fit(name, w) {\n"
	"  var n = Math.floor((w - 6) / CW), c = Array.from ? Array.from(name) : name;\n"
	"  if (n < 3) return \"\";\n"
	"  return c.length <= n ? name : c.slice(0, n - 2).join(\"\") + \"..\";\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.getElementsByTagName(\"rect\")[0], t = g.getElementsByTagName(\"text\")[0];\n"
	"  r.setAttribute(\"x\", x.toFixed(2)); r.setAttribute(\"width\", w.toFixed(2));\n"
	"  t.setAttribute(\"x\", (x + 3).toFixed(2)); t.textContent = fit(g.fname, w);\n"
	"}\n"
	"function zoom(z) {\n"
	"  var x0 = z.ox, w0 = z.ow, y0 = z.oy, s = (W - 2 * PAD) / w0, e = 0.011;\n"
	"  unzoomBtn.setAttribute(\"class\", \"\");\n"
	"  for (var i = 0; i < frames.length; i++) {\n"
	"    var f = frames[i];\n"
	"    if (f.oy > y0 && f.ox <= x0 + e && f.ox + f.ow >= x0 + w0 - e) {\n"
	"      f.setAttribute(\"class\", \"parent\"); place(f, PAD, W - 2 * PAD);\n"
	"    } else if (f.oy <= y0 && f.ox >= x0 - e && f.ox + f.ow <= x0 + w0 + e) {\n"
	"      f.setAttribute(\"class\", \"\"); place(f, PAD + (f.ox - x0) * s, f.ow * s);\n"
	"    } else {\n"
	"      f.setAttribute(\"class\", \"hide\");\n"
	"    }\n"
	"  }\n"
	"}\n"
	"function unzoom() {\n"
	"  unzoomBtn.setAttribute(\"class\", \"hide\");\n"
	"  for (var i = 0; i < frames.length; i++) {\n"
	"    var f = frames[i];\n"
	"    f.setAttribute(\"class\", \"\"); place(f, f.ox, f.ow);\n"
	"  }\n"
	"}\n"
	"function search(term) {\n"
	"  var re, spans = [], sum = 0, end = -1, i;\n"
	"  try { re = new RegExp(term); } catch (err) {\n"
	"    matchedTxt.nodeValue = \"not a regular expression: \" + term; return; }\n"
	"  for (i = 0; i < frames.length; i++) {\n"
	"    var f = frames[i], r = f.getElementsByTagName(\"rect\")[0];\n"
	"    if (re.test(f.fname)) {\n"
	"      r.setAttribute(\"fill\", \"rgb(230,0,230)\"); spans.push([f.ox, f.ox + f.ow]);\n"
	"    } else {\n"
	"      r.setAttribute(\"fill\", f.fill);\n"
	"    }\n"
	"  }\n"
	"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
	"  for (i = 0; i < spans.length; i++) {\n"
	"    if (spans[i][0] >= end) { sum += spans[i][1] - spans[i][0]; end = spans[i][1]; }\n"
	"    else if (spans[i][1] > end) { sum += spans[i][1] - end; end = spans[i][1]; }\n"
	"  }\n"
	"  searching = true;\n"
	"  searchBtn.firstChild.nodeValue = \"Reset search\";\n"
	"  matchedTxt.nodeValue = \"Matched /\" + term + \"/: \" +\n"
	"    (100 * sum / (W - 2 * PAD)).toFixed(1) + \"%\";\n"
	"}\n"
	"function resetSearch() {\n"
	"  for (var i = 0; i < frames.length; i++)\n"
	"    frames[i].getElementsByTagName(\"rect\")[0].setAttribute(\"fill\", frames[i].fill);\n"
	"  searching = false;\n"
	"  searchBtn.firstChild.nodeValue = \"Search\";\n"
	"  matchedTxt.nodeValue = \" \";\n"
	"}\n"
	"]]></script>\n";

/*
 * Text centred across the image, wrapped at spaces so that no line is wider than
 * max_w px at cw px per character: a centred line wider than the image would be cut at
 * both ends. Each line is a <text> (the first with the id, the others id-N). Returns
 * the baseline of the last line.
 */
static double put_wrapped(FILE *out, const char *id, double cx, double y, double max_w,
			  double cw, const char *s)
{
	size_t max = max_w / cw > 8 ? (size_t)(max_w / cw) : 8, len = strlen(s);
	int line = 0;

	do {
		size_t chars = 0, i = 0, cut = 0;

		/* take code points up to max; break after the last space within */
		while (i < len && chars < max) {
			if (s[i] == ' ')
				cut = i;
			i++;
			while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			chars++;
		}
		if (i < len && cut && s[i] != ' ')
			i = cut;
		if (line)
			fprintf(out, "<text id=\"%s-%d\" class=\"%s\" x=\"%.2f\" y=\"%.2f\">", id,
				line, id, cx, y);
		else
			fprintf(out, "<text id=\"%s\" x=\"%.2f\" y=\"%.2f\">", id, cx, y);
		svg_escape(out, s, i);
		fputs("</text>\n", out);
		while (i < len && s[i] == ' ')
			i++;
		s += i;
		len -= i;
		if (len)
			y += LINE_H;
		line++;
	} while (len);
	return y;
}

/* Lines put_wrapped would take, for the height of the image. */
static int wrapped_lines(const char *s, double max_w, double cw)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);
	int n = 1;

	if (!m)
		return 1;
	put_wrapped(m, "x", 0, 0, max_w, cw, s);
	fclose(m);
	for (size_t i = 0; i < blen; i++)
		n += !strncmp(buf + i, "<text id=\"x-", 12);
	free(buf);
	return n;
}

static void put_text(FILE *out, const char *id, double x, double y, const char *cls,
		     const char *s)
{
	fprintf(out, "<text id=\"%s\" x=\"%.2f\" y=\"%.2f\"%s%s%s>", id, x, y,
		cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	svg_escape(out, s, strlen(s));
	fputs("</text>\n", out);
}

struct render {
	const struct flamegraph_opts *o;
	const char *unit;
	bool diff;
	double scale_a; /* diff: B total / A total */
	double max_delta;
	char subtitle[512];
	char legend[512];
};

static void node_details(FILE *out, const struct fnode *n, const struct fnode *root,
			 const struct render *r)
{
	const char *an = r->o->a_name ? r->o->a_name : "A";
	const char *bn = r->o->b_name ? r->o->b_name : "B";
	char v[96], a[96];
	double pct = root->v ? 100.0 * (double)n->v / (double)root->v : 0;

	svg_escape(out, n->name, n->len);
	/* the values carry the unit, which the user names (--unit): escaped like the rest */
	fmt_value(v, sizeof(v), n->v, r->unit);
	fputc('\n', out);
	if (!r->diff) {
		svg_escape(out, v, strlen(v));
		fprintf(out, ", %.2f%%", pct);
		return;
	}
	fmt_value(a, sizeof(a), n->a, r->unit);
	svg_escape(out, bn, strlen(bn));
	fputs(": ", out);
	svg_escape(out, v, strlen(v));
	fprintf(out, " (%.2f%%), ", pct);
	svg_escape(out, an, strlen(an));
	fputs(": ", out);
	svg_escape(out, a, strlen(a));
	if (n->a) {
		double sa = (double)n->a * r->scale_a;

		fprintf(out, ", %+.1f%% after scaling to the same total",
			100.0 * ((double)n->v - sa) / sa);
	} else {
		fputs(", new", out);
	}
}

static void diff_color(const struct fnode *n, const struct render *r, int *cr, int *cg, int *cb)
{
	double d = (double)n->v - (double)n->a * r->scale_a;
	int k = r->max_delta > 0 ? (int)lround(210.0 * fabs(d) / r->max_delta) : 0;

	if (d > 0)
		*cr = 255, *cg = 255 - k, *cb = 255 - k;
	else
		*cr = 255 - k, *cg = 255 - k, *cb = 255;
}

static int render(FILE *out, struct ftree *t, struct render *r, struct flamegraph_stats *st)
{
	const struct flamegraph_opts *o = r->o;
	int width = o->width > 0 ? o->width : 1200;
	double minw = o->min_width > 0 ? o->min_width : 0.1;
	double scale = t->n[0].v ? (double)(width - 2 * PAD) / (double)t->n[0].v : 0;
	const char *title = o->title ? o->title :
			    r->diff ? "Differential Flame Graph" : "Flame Graph";
	double title_w = width - 2 * PAD - 2 * BUTTON_W, text_w = width - 2 * PAD;
	int top = TITLE_Y + (wrapped_lines(title, title_w, 10.2) - 1) * LINE_H +
		  (wrapped_lines(r->subtitle, text_w, CHAR_W) +
		   wrapped_lines(r->legend, text_w, 6.6)) * LINE_H + 18;
	int height = top + (t->max_depth + 1) * FRAME_H + BOTTOM_H;
	double ty;
	struct flamegraph_stats s = { 0 };
	char *skip = calloc(t->nr ? t->nr : 1, 1);
	size_t i;

	if (!skip)
		return -ENOMEM;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		     "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		     "onload=\"init(evt)\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		width, height, width, height);
	fputs("<!-- drawn by opscope; root at the bottom, width proportional to value -->\n",
	      out);
	fputs(svg_css, out);
	fputs(svg_js, out);
	fprintf(out, "<defs><linearGradient id=\"bg\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		     "<stop stop-color=\"#eeeeee\" offset=\"5%%\"/>"
		     "<stop stop-color=\"%s\" offset=\"95%%\"/></linearGradient></defs>\n",
		r->diff ? "#e0e0e0" : "#eeeeb0");
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"url(#bg)\"/>\n",
		width, height);
	ty = put_wrapped(out, "title", width / 2.0, TITLE_Y, title_w, 10.2, title);
	ty = put_wrapped(out, "subtitle", width / 2.0, ty + LINE_H + 4, text_w, CHAR_W,
			 r->subtitle);
	put_wrapped(out, "legend", width / 2.0, ty + LINE_H, text_w, 6.6, r->legend);
	put_text(out, "unzoom", PAD, TITLE_Y, "hide", "Reset zoom");
	put_text(out, "search", width - PAD, TITLE_Y, NULL, "Search");
	put_text(out, "details", PAD, height - 14, NULL, " ");
	put_text(out, "matched", width - PAD, height - 14, NULL, " ");
	fputs("<g id=\"frames\">\n", out);
	for (i = 0; i < t->nr; i++) {
		const struct fnode *n = &t->n[i];
		double x = PAD + (double)n->x * scale, w = (double)n->v * scale;
		double y = height - BOTTOM_H - (n->depth + 1) * FRAME_H;
		int cr, cg, cb;

		if (i && skip[n->parent]) {
			skip[i] = 1;
			continue;
		}
		if (n->v == 0 || w < minw) {
			/* a diff's A-only frames have no width in B; those are counted apart */
			skip[i] = 1;
			if (n->v)
				s.omitted++;
			continue;
		}
		if (r->diff)
			diff_color(n, r, &cr, &cg, &cb);
		else
			frame_color(n, &cr, &cg, &cb);
		fputs("<g><title>", out);
		node_details(out, n, &t->n[0], r);
		fprintf(out, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
			     "rx=\"2\" fill=\"rgb(%d,%d,%d)\"/><text x=\"%.2f\" y=\"%.1f\">",
			x, y, w, FRAME_H - 1, cr, cg, cb, x + 3, y + 11.5);
		put_label(out, n->name, n->len, w);
		fputs("</text></g>\n", out);
		s.frames++;
	}
	fputs("</g>\n</svg>\n", out);
	free(skip);
	if (st) {
		st->frames = s.frames;
		st->omitted = s.omitted;
	}
	return ferror(out) ? -EIO : 0;
}

static void subtitle_totals(char *buf, size_t len, const char *pre, size_t stacks, uint64_t total,
			    const char *unit)
{
	char v[96], n[40];

	fmt_value(v, sizeof(v), total, unit);
	fmt_u64(n, sizeof(n), stacks);
	snprintf(buf, len, "%s%stotal %s in %s stacks", pre ? pre : "", pre ? ": " : "", v, n);
}

int flamegraph_write(FILE *out, struct folded *f, const struct flamegraph_opts *o,
		     struct flamegraph_stats *st)
{
	struct flamegraph_opts def = { 0 };
	struct render r = { 0 };
	struct ftree t = { 0 };
	size_t n = folded_count(f), i;
	struct rec *recs = calloc(n ? n : 1, sizeof(*recs));
	int err;

	if (!recs)
		return -ENOMEM;
	r.o = o ? o : &def;
	r.unit = r.o->unit ? r.o->unit : "samples";
	for (i = 0; i < n; i++) {
		/* NULL when sorting the stacks ran out of memory */
		folded_get(f, i, &recs[i].stack, &recs[i].b);
		if (!recs[i].stack) {
			free(recs);
			return -ENOMEM;
		}
	}
	err = ftree_build(&t, recs, n);
	if (!err) {
		subtitle_totals(r.subtitle, sizeof(r.subtitle), r.o->subtitle, n, t.n[0].v,
				r.unit);
		snprintf(r.legend, sizeof(r.legend),
			 "red to yellow: user code, orange: kernel (_[k]), blue: opscope tags, "
			 "grey: unnamed (module+0x..); click to zoom, Ctrl-F to search");
		err = render(out, &t, &r, st);
	}
	free(t.n);
	free(recs);
	return err;
}

int flamegraph_write_diff(FILE *out, struct folded *a, struct folded *b,
			  const struct flamegraph_opts *o, struct flamegraph_stats *st)
{
	struct flamegraph_opts def = { 0 };
	struct render r = { 0 };
	struct ftree t = { 0 };
	size_t na = folded_count(a), nb = folded_count(b), i, nr = 0;
	struct rec *recs = calloc(na + nb + 1, sizeof(*recs));
	unsigned long only_a = 0;
	const char *an, *bn;
	char tb[96], ta[96];
	int err;

	if (!recs)
		return -ENOMEM;
	r.o = o ? o : &def;
	r.diff = true;
	r.unit = r.o->unit ? r.o->unit : "samples";
	err = -ENOMEM; /* folded_get gives a NULL stack when sorting runs out of memory */
	for (i = 0; i < nb; i++, nr++) {
		folded_get(b, i, &recs[nr].stack, &recs[nr].b);
		if (!recs[nr].stack)
			goto out;
		recs[nr].a = folded_lookup(a, recs[nr].stack);
	}
	for (i = 0; i < na; i++) {
		folded_get(a, i, &recs[nr].stack, &recs[nr].a);
		if (!recs[nr].stack)
			goto out;
		if (folded_lookup(b, recs[nr].stack))
			continue;
		recs[nr++].b = 0;
		only_a++;
	}
	err = ftree_build(&t, recs, nr);
	if (err)
		goto out;
	r.scale_a = t.n[0].a ? (double)t.n[0].v / (double)t.n[0].a : 0;
	for (i = 0; i < t.nr; i++) {
		double d = fabs((double)t.n[i].v - (double)t.n[i].a * r.scale_a);

		if (t.n[i].v && d > r.max_delta)
			r.max_delta = d;
	}
	fmt_value(tb, sizeof(tb), folded_total(b), r.unit);
	fmt_value(ta, sizeof(ta), folded_total(a), r.unit);
	an = r.o->a_name ? r.o->a_name : "A";
	bn = r.o->b_name ? r.o->b_name : "B";
	snprintf(r.subtitle, sizeof(r.subtitle), "%s%s%s: %s against %s: %s",
		 r.o->subtitle ? r.o->subtitle : "", r.o->subtitle ? "; " : "", bn, tb, an, ta);
	snprintf(r.legend, sizeof(r.legend),
		 "widths from %s; red grew, blue shrank (%s scaled to the same total); %lu "
		 "stack%s only in %s not drawn; click to zoom, Ctrl-F to search",
		 bn, an, only_a, only_a == 1 ? "" : "s", an);
	err = render(out, &t, &r, st);
	if (st)
		st->only_in_a = only_a;
out:
	free(t.n);
	free(recs);
	return err;
}

int flamegraph_write_file(const char *path, struct folded *f, const struct flamegraph_opts *o,
			  char *err, size_t errlen)
{
	char tmp[4096];
	FILE *out = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);

	if (!out)
		return -errno;
	return atomic_file_commit(out, tmp, path, flamegraph_write(out, f, o, NULL), err,
				  errlen);
}

int flamegraph_write_diff_file(const char *path, struct folded *a, struct folded *b,
			       const struct flamegraph_opts *o, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *out = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);

	if (!out)
		return -errno;
	return atomic_file_commit(out, tmp, path, flamegraph_write_diff(out, a, b, o, NULL), err,
				  errlen);
}
