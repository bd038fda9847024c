// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * SVG flame graphs: well-formed XML (checked by a small parser here), one rect per
 * frame, escaping, widths proportional to values, label truncation, the differential
 * graph's colours, and the `opscope flamegraph` command's exit codes.
 */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "stacks/flamegraph.h"
#include "stacks/folded.h"

static struct folded *make(const char *text)
{
	struct folded *f = folded_new();
	FILE *m = fmemopen((void *)text, strlen(text), "r");
	char err[256];

	ck_assert(f && m);
	ck_assert_msg(folded_read(f, m, "t", err, sizeof(err)) == 0, "%s", err);
	fclose(m);
	return f;
}

static char *render(struct folded *f, const struct flamegraph_opts *o,
		    struct flamegraph_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_int_eq(flamegraph_write(m, f, o, st), 0);
	fclose(m);
	return buf;
}

static char *render_diff(struct folded *a, struct folded *b, struct flamegraph_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_int_eq(flamegraph_write_diff(m, a, b, NULL, st), 0);
	fclose(m);
	return buf;
}

/* Entity or character reference at s ('&' already seen)? Returns its length or 0. */
static size_t entity_len(const char *s)
{
	static const char *const names[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
	size_t i;

	for (i = 0; i < 5; i++)
		if (!strncmp(s, names[i], strlen(names[i])))
			return strlen(names[i]);
	if (s[1] == '#') {
		for (i = 2; isdigit((unsigned char)s[i]); i++)
			;
		if (i > 2 && s[i] == ';')
			return i + 1;
	}
	return 0;
}

/*
 * A small XML well-formedness check: one root element, tags balanced and named alike,
 * attribute values quoted without '<', every '&' an entity, CDATA and comments closed.
 * Returns NULL when well formed, else a static description.
 */
static const char *xml_check(const char *s)
{
	char stack[64][32];
	int depth = 0, roots = 0;

	while (*s) {
		if (!strncmp(s, "<?", 2)) {
			s = strstr(s, "?>");
			if (!s)
				return "unclosed <?";
			s += 2;
		} else if (!strncmp(s, "<!--", 4)) {
			s = strstr(s + 4, "-->");
			if (!s)
				return "unclosed comment";
			s += 3;
		} else if (!strncmp(s, "<![CDATA[", 9)) {
			if (!depth)
				return "CDATA outside the root";
			s = strstr(s + 9, "]]>");
			if (!s)
				return "unclosed CDATA";
			s += 3;
		} else if (!strncmp(s, "</", 2)) {
			size_t n = strcspn(s + 2, ">");

			if (!depth)
				return "close tag without open tag";
			depth--;
			if (n != strlen(stack[depth]) || strncmp(s + 2, stack[depth], n))
				return "mismatched close tag";
			s += 2 + n + 1;
		} else if (*s == '<') {
			size_t n = strcspn(s + 1, " \t\n/>");
			const char *p = s + 1 + n;

			if (!n || n >= 32 || depth == 64)
				return "bad tag name";
			if (!depth && ++roots > 1)
				return "more than one root element";
			memcpy(stack[depth], s + 1, n);
			stack[depth][n] = '\0';
			for (;;) {
				while (isspace((unsigned char)*p))
					p++;
				if (*p == '>' || !strncmp(p, "/>", 2))
					break;
				/* name="value" */
				while (*p && *p != '=' && *p != '>')
					p++;
				if (*p != '=' || (p[1] != '"' && p[1] != '\''))
					return "attribute without a quoted value";
				{
					char q = p[1];

					for (p += 2; *p && *p != q; p++) {
						if (*p == '<')
							return "'<' in an attribute value";
						if (*p == '&' && !entity_len(p))
							return "bare '&' in an attribute value";
					}
					if (!*p)
						return "unclosed attribute value";
					p++;
				}
			}
			if (*p == '>') {
				depth++;
				s = p + 1;
			} else {
				s = p + 2;
			}
		} else if (*s == '&') {
			size_t n = entity_len(s);

			if (!n)
				return "bare '&' in text";
			s += n;
		} else if (*s == '>') {
			return "bare '>' in text"; /* legal, but never written by us */
		} else {
			if (!depth && !isspace((unsigned char)*s))
				return "text outside the root";
			s++;
		}
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "no root element";
}

struct frame {
	char title[256];
	double x, w;
	char fill[32];
	char label[256];
};

/* Parse the frames back: <g><title>T</title><rect x= y= width= ... fill=/><text>L</text> */
static int frames_of(const char *svg, struct frame *fr, int max)
{
	const char *p = strstr(svg, "<g id=\"frames\">");
	int n = 0;

	ck_assert(p);
	while ((p = strstr(p, "<g><title>")) && n < max) {
		const char *e = strstr(p, "</title>");
		const char *r = strstr(p, "<rect "), *t;
		size_t len = (size_t)(e - p) - 10;

		if (len >= sizeof(fr[n].title))
			len = sizeof(fr[n].title) - 1;
		memcpy(fr[n].title, p + 10, len);
		fr[n].title[len] = '\0';
		*strchrnul(fr[n].title, '\n') = '\0';
		ck_assert(sscanf(strstr(r, " x=\""), " x=\"%lf\"", &fr[n].x) == 1);
		ck_assert(sscanf(strstr(r, " width=\""), " width=\"%lf\"", &fr[n].w) == 1);
		ck_assert(sscanf(strstr(r, " fill=\""), " fill=\"%31[^\"]\"", fr[n].fill) == 1);
		t = strstr(r, "<text ");
		t = strchr(t, '>') + 1;
		len = (size_t)(strstr(t, "</text>") - t);
		if (len >= sizeof(fr[n].label))
			len = sizeof(fr[n].label) - 1;
		memcpy(fr[n].label, t, len);
		fr[n].label[len] = '\0';
		n++;
		p = e;
	}
	return n;
}

static const struct frame *find(const struct frame *fr, int n, const char *title)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(fr[i].title, title))
			return &fr[i];
	ck_abort_msg("no frame titled '%s'", title);
	return NULL;
}

START_TEST(test_wellformed_and_every_frame)
{
	struct folded *f = make("main;a;b 300\nmain;a;c 100\nmain;d 200\nother 400\n");
	struct flamegraph_stats st;
	struct frame fr[32];
	char *svg = render(f, NULL, &st);
	const char *bad = xml_check(svg);
	int n;

	ck_assert_msg(!bad, "not well formed: %s", bad);
	n = frames_of(svg, fr, 32);
	/* all, main, a, b, c, d, other */
	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(st.frames, 7);
	ck_assert_uint_eq(st.omitted, 0);
	ck_assert_str_eq(fr[0].title, "all");
	ck_assert_ptr_nonnull(strstr(svg, "total 1,000 samples in 4 stacks"));
	ck_assert_ptr_nonnull(strstr(svg, "<script"));
	ck_assert_ptr_nonnull(strstr(svg, "function zoom("));
	ck_assert_ptr_nonnull(strstr(svg, "function search("));
	/* nothing fetched from elsewhere */
	ck_assert_ptr_null(strstr(svg, "src="));
	ck_assert_ptr_null(strstr(svg, "href="));
	free(svg);
	folded_free(f);
}
END_TEST

START_TEST(test_widths_proportional)
{
	struct folded *f = make("main;a;b 300\nmain;a;c 100\nmain;d 200\nother 400\n");
	struct frame fr[32];
	char *svg = render(f, &(struct flamegraph_opts){ .width = 1000 }, NULL);
	const struct frame *all, *b, *c, *a, *d, *other, *m;
	int n = frames_of(svg, fr, 32);

	all = find(fr, n, "all");
	m = find(fr, n, "main");
	a = find(fr, n, "a");
	b = find(fr, n, "b");
	c = find(fr, n, "c");
	d = find(fr, n, "d");
	other = find(fr, n, "other");
	ck_assert(fabs(all->w - 980.0) < 0.02); /* width minus two 10 px margins */
	ck_assert(fabs(b->w - 3 * c->w) < 0.02);
	ck_assert(fabs(a->w - 4 * c->w) < 0.02);
	ck_assert(fabs(m->w - 0.6 * all->w) < 0.02);
	ck_assert(fabs(other->w - 0.4 * all->w) < 0.02);
	ck_assert(fabs(d->w - 0.2 * all->w) < 0.02);
	/* children start at their parent and follow each other in name order */
	ck_assert(fabs(a->x - m->x) < 0.02);
	ck_assert(fabs(b->x - a->x) < 0.02);
	ck_assert(fabs(c->x - (b->x + b->w)) < 0.02);
	ck_assert(fabs(d->x - (a->x + a->w)) < 0.02);
	ck_assert(fabs(other->x - (m->x + m->w)) < 0.02);
	free(svg);
	folded_free(f);
}
END_TEST

/* A second opinion from libxml2 when it is installed (Debian: libxml2-utils). */
static void xmllint(const char *svg)
{
	char path[] = "/tmp/opscope-fg-xmllint-XXXXXX", cmd[128];
	int fd, rc;
	FILE *f;

	if (system("command -v xmllint >/dev/null 2>&1")) {
		fprintf(stderr, "test_flamegraph: xmllint not installed, only the built-in check\n");
		return;
	}
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(svg, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
	rc = system(cmd);
	unlink(path);
	ck_assert_msg(rc == 0, "xmllint rejects the SVG");
}

START_TEST(test_escaping)
{
	struct folded *f = folded_new();
	struct frame fr[8];
	char *svg;
	int n;

	ck_assert_int_eq(folded_add_stack(f, "main;vector<int>::push&pop;\"q\" 'a'", 5), 0);
	ck_assert_int_eq(folded_add_stack(f, "main;bad\x01\xff utf8 caf\xc3\xa9", 5), 0);
	svg = render(f, &(struct flamegraph_opts){ .title = "<b>&", .unit = "faults" }, NULL);
	ck_assert_msg(!xml_check(svg), "not well formed: %s", xml_check(svg));
	ck_assert_ptr_nonnull(strstr(svg, "vector&lt;int&gt;::push&amp;pop"));
	ck_assert_ptr_nonnull(strstr(svg, "&quot;q&quot; &apos;a&apos;"));
	ck_assert_ptr_nonnull(strstr(svg, ">&lt;b&gt;&amp;</text>"));
	ck_assert_ptr_null(strstr(svg, "<int>"));
	/* a control byte and a stray byte become '?', valid UTF-8 stays */
	ck_assert_ptr_nonnull(strstr(svg, "bad?? utf8 caf\xc3\xa9"));
	n = frames_of(svg, fr, 8);
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(svg, "5 faults, 50.00%"));
	xmllint(svg);
	free(svg);
	folded_free(f);
}
END_TEST

START_TEST(test_labels_truncated)
{
	struct folded *f = make("a_very_long_function_name_that_cannot_fit 10\nx 990\n");
	struct frame fr[8];
	char *svg = render(f, NULL, NULL);
	const struct frame *l;
	int n = frames_of(svg, fr, 8);

	/* 10/1000 of 1180 px = 11.8 px: one character and "..", no room: no label */
	l = find(fr, n, "a_very_long_function_name_that_cannot_fit");
	ck_assert(fabs(l->w - 11.8) < 0.02);
	ck_assert_str_eq(l->label, "");
	free(svg);
	folded_free(f);

	f = make("a_very_long_function_name_that_cannot_fit 100\nx 900\n");
	svg = render(f, NULL, NULL);
	n = frames_of(svg, fr, 8);
	/* 118 px: floor((118 - 6) / 7.2) = 15 characters, the last two being ".." */
	l = find(fr, n, "a_very_long_function_name_that_cannot_fit");
	ck_assert_str_eq(l->label, "a_very_long_f..");
	ck_assert_str_eq(find(fr, n, "x")->label, "x");
	free(svg);
	folded_free(f);
}
END_TEST

static int rgb(const struct frame *fr, int n, const char *title, int *r, int *g, int *b)
{
	return sscanf(find(fr, n, title)->fill, "rgb(%d,%d,%d)", r, g, b);
}

START_TEST(test_colors_by_kind)
{
	struct folded *f = make("scenario=pool;op=get;main;libc.so.6+0x10;schedule_[k] 10\n");
	struct frame fr[8];
	char *svg = render(f, NULL, NULL);
	int n = frames_of(svg, fr, 8), r, g, b;

	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(rgb(fr, n, "scenario=pool", &r, &g, &b), 3);
	ck_assert(b > r && b > g); /* tags blue */
	ck_assert_int_eq(rgb(fr, n, "schedule_[k]", &r, &g, &b), 3);
	ck_assert(r >= 225 && g >= 130 && b <= 40); /* kernel orange */
	ck_assert_int_eq(rgb(fr, n, "libc.so.6+0x10", &r, &g, &b), 3);
	ck_assert(r == g && g == b); /* unnamed grey */
	ck_assert_int_eq(rgb(fr, n, "main", &r, &g, &b), 3);
	ck_assert(r >= 205 && b <= 55); /* user warm */
	free(svg);
	folded_free(f);
}
END_TEST

START_TEST(test_narrow_frames_omitted)
{
	struct folded *f = make("big 1000000\nsmall;child 1\n");
	struct flamegraph_stats st;
	struct frame fr[8];
	char *svg = render(f, NULL, &st);

	/* 1/1000001 of 1180 px is below 0.1 px: left out, with its child */
	ck_assert_int_eq(frames_of(svg, fr, 8), 2);
	ck_assert_uint_eq(st.frames, 2);
	ck_assert_uint_eq(st.omitted, 1);
	free(svg);
	folded_free(f);
}
END_TEST

START_TEST(test_diff_colors)
{
	/* A total 400, B total 800: A is scaled by 2 before comparing */
	struct folded *a = make("main;grow 100\nmain;shrink 200\nmain;same 50\nmain;gone 50\n");
	struct folded *b = make("main;grow 500\nmain;shrink 100\nmain;same 100\nmain;new 100\n");
	struct flamegraph_stats st;
	struct frame fr[16];
	char *svg = render_diff(a, b, &st);
	int n, r, g, bl;

	ck_assert_msg(!xml_check(svg), "not well formed: %s", xml_check(svg));
	xmllint(svg);
	n = frames_of(svg, fr, 16);
	ck_assert_int_eq(n, 6); /* all, main, grow, new, same, shrink; "gone" has no width */
	ck_assert_uint_eq(st.only_in_a, 1);
	/* grow: 500 - 200 = +300, the largest change: full red */
	ck_assert_str_eq(find(fr, n, "grow")->fill, "rgb(255,45,45)");
	/* shrink: 100 - 400 = -300: full blue */
	ck_assert_str_eq(find(fr, n, "shrink")->fill, "rgb(45,45,255)");
	/* same: 100 - 100 = 0: white */
	ck_assert_str_eq(find(fr, n, "same")->fill, "rgb(255,255,255)");
	/* new: +100, a third of the largest change: light red */
	ck_assert_int_eq(sscanf(find(fr, n, "new")->fill, "rgb(%d,%d,%d)", &r, &g, &bl), 3);
	ck_assert_int_eq(r, 255);
	ck_assert_int_eq(g, 185);
	/* widths come from B */
	ck_assert(fabs(find(fr, n, "grow")->w - 5 * find(fr, n, "same")->w) < 0.02);
	ck_assert_ptr_nonnull(strstr(svg, "+150.0% after scaling"));
	ck_assert_ptr_nonnull(strstr(svg, "1 stack only in A not drawn"));
	free(svg);
	folded_free(a);
	folded_free(b);
}
END_TEST

static char dir[] = "/tmp/opscope-fgtest-XXXXXX";

static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
	       const char *a6)
{
	char *argv[8] = { "flamegraph", (char *)a1, (char *)a2, (char *)a3, (char *)a4,
			  (char *)a5, (char *)a6, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	return cmd_flamegraph(argc, argv);
}

START_TEST(test_command)
{
	char in[128], bad[128], empty[128], out[128], dout[128];
	struct stat st;
	FILE *f;

	ck_assert(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in.folded", dir);
	snprintf(bad, sizeof(bad), "%s/bad.folded", dir);
	snprintf(empty, sizeof(empty), "%s/empty.folded", dir);
	snprintf(out, sizeof(out), "%s/out.svg", dir);
	snprintf(dout, sizeof(dout), "%s/diff.svg", dir);
	f = fopen(in, "w");
	fputs("main;a 3\nmain;b 1\n", f);
	fclose(f);
	f = fopen(bad, "w");
	fputs("main;a 3\nmain;b one\n", f);
	fclose(f);
	f = fopen(empty, "w");
	fclose(f);

	ck_assert_int_eq(run(in, "-o", out, "--unit", "ns", NULL), 0);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_gt(st.st_size, 1000);
	ck_assert_int_eq(run(in, NULL, NULL, NULL, NULL, NULL), 2);       /* no -o */
	ck_assert_int_eq(run(bad, "-o", out, NULL, NULL, NULL), 2);      /* bad line */
	ck_assert_int_eq(run(empty, "-o", out, NULL, NULL, NULL), 2);    /* no stacks */
	ck_assert_int_eq(run("/nonexistent", "-o", out, NULL, NULL, NULL), 2);
	ck_assert_int_eq(run(in, "-o", out, "--bogus", NULL, NULL), 2);
	ck_assert_int_eq(run(in, in, "-o", out, NULL, NULL), 2);
	ck_assert_int_eq(run(in, "-o", out, "--width", "12x", NULL), 2);
	ck_assert_int_eq(run("-o", "/nonexistent/dir/x.svg", in, NULL, NULL, NULL), 2);
	ck_assert_int_eq(run("--diff", in, in, "-o", dout, NULL), 0);
	ck_assert_int_eq(stat(dout, &st), 0);
	ck_assert_int_eq(run("--diff", in, NULL, NULL, NULL, NULL), 2);
	ck_assert_int_eq(run("--diff", in, bad, "-o", dout, NULL), 2);
	/* no temp file left behind by the failed or the good writes */
	snprintf(out, sizeof(out), "ls %s | grep -q tmp", dir);
	ck_assert_int_ne(system(out), 0);
	snprintf(out, sizeof(out), "rm -rf %s", dir);
	ck_assert_int_eq(system(out), 0);
}
END_TEST

static Suite *fg_suite(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_wellformed_and_every_frame);
	tcase_add_test(tc, test_widths_proportional);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_labels_truncated);
	tcase_add_test(tc, test_colors_by_kind);
	tcase_add_test(tc, test_narrow_frames_omitted);
	tcase_add_test(tc, test_diff_colors);
	tcase_add_test(tc, test_command);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
