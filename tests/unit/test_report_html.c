// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for report.html on synthetic reports (tests/unit/report_fixture.h): every
 * section and chart is there when its data is and absent when not (why it waited, runs
 * and stability, leaks, workload metrics), with report.txt's words; every string from the
 * run is escaped, no URL leaves the page (only fragments and relative links to files that
 * exist), and the tags balance. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_html.h"
#include "unit/report_fixture.h"

static char *render(const struct report *r, const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write_html(r, dir, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every href=, src=, xlink:href= and url( value: a fragment or a relative path. */
static void check_no_external(const char *page)
{
	static const char *const attrs[] = { "href=\"", "src=\"", "href='", "src='", "url(" };

	ck_assert_msg(!strstr(page, "http:") && !strstr(page, "https:"), "an http(s) URL");
	ck_assert_msg(!strstr(page, "@import"), "a CSS import");
	for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++)
		for (const char *p = strstr(page, attrs[a]); p; p = strstr(p + 1, attrs[a])) {
			const char *v = p + strlen(attrs[a]);
			size_t n = strcspn(v, "\"')");

			if (!strncmp(v, "data:", 5) || *v == '#')
				continue;
			ck_assert_msg(n > 0 && *v != '/' && !memchr(v, ':', n),
				      "link leaves the page: %.60s", p);
		}
}

START_TEST(test_sections_and_charts)
{
	struct report *r = fixture_report(true);
	char *page = render(r, NULL);
	static const char *const want[] = {
		"<!DOCTYPE html>", "id=\"targets\"", "id=\"sweeps\"", "id=\"latency\"",
		"id=\"scenarios\"", "id=\"resources\"", "id=\"files\"", "id=\"env\"",
		"<svg class=\"bd\"", "<rect class=\"seg\"", "<rect class=\"sys\"",
		"<svg class=\"lh\"", "<rect class=\"bin\"", "<g class=\"pmark\"",
		"<svg class=\"sw\"", "<circle class=\"pt\"", "Scaling efficiency against workers=1",
		"<svg class=\"ts\"", "class=\"badge pass\">PASS", "class=\"badge fail\">FAIL",
		"class=\"badge fail\">error", "No flame graphs", "No trace.json",
		"threads without a slot</td><td class=\"n bad\">2<",
		"user stacks cut</td><td class=\"n bad\">3<", "user stacks</td><td class=\"n\">40<",
		"</html>\n",
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(page, want[i]), "no %s in the page", want[i]);
	/* one sweep: 3 points of throughput, p99 and efficiency each */
	ck_assert_int_eq(count(page, "<div class=\"sweep\">"), 1);
	ck_assert_int_eq(count(page, "<circle class=\"pt\""), 9);
	/* breakdown rows: p50 op, 5 bands, p99 op, for each of the 4 scenarios */
	ck_assert_int_eq(count(page, "<g class=\"bdrow\">"), 4 * 7);
	ck_assert_int_eq(count(page, "<svg class=\"lh\""), 4);
	/* the breakdown's named segments, with the blocked-in names */
	ck_assert(strstr(page, "blocked in other syscalls"));
	ck_assert(strstr(page, "blocked outside a syscall"));
	ck_assert(strstr(page, "queued (waiting for another thread"));
	free(page);
	report_free(r);
}
END_TEST

START_TEST(test_escaping)
{
	struct report *r = fixture_report(true);
	char *page = render(r, NULL);

	ck_assert_int_eq(count(page, "<script"), 1); /* only the page's own */
	ck_assert_ptr_null(strstr(page, "alert(\""));
	ck_assert(strstr(page, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
	ck_assert(strstr(page, "CPU &#xfffd; &quot;quoted&quot;"));
	ck_assert(strstr(page, "--out &#39;a&amp;b&#39;"));
	/* no raw control byte anywhere */
	for (const char *p = page; *p; p++)
		ck_assert(!iscntrl((unsigned char)*p) || *p == '\n' || *p == '\t');
	free(page);
	report_free(r);
}
END_TEST

static void check_balanced(const char *page)
{
	static const char *const tags[][2] = {
		{ "<svg", "</svg>" }, { "<table", "</table>" }, { "<section", "</section>" },
		{ "<div", "</div>" }, { "<tr", "</tr>" }, { "<g ", "</g>" }, { "<g>", "</g>" },
		{ "<title>", "</title>" }, { "<text", "</text>" }, { "<p ", "</p>" },
		{ "<polyline", "</polyline>" }, { "<defs>", "</defs>" }, { "<marker", "</marker>" },
	};
	int g_open = count(page, "<g ") + count(page, "<g>");

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		int open = !strcmp(tags[i][0], "<g ") || !strcmp(tags[i][0], "<g>") ? g_open :
			   count(page, tags[i][0]);

		ck_assert_msg(open == count(page, tags[i][1]), "%s: %d open, %d closed",
			      tags[i][0], open, count(page, tags[i][1]));
	}
}

START_TEST(test_balanced)
{
	struct report *r = fixture_report(true), *full = fixture_full_report();
	char *page = render(r, NULL), *fpage = render(full, NULL);

	check_balanced(page);
	check_balanced(fpage);
	free(page);
	free(fpage);
	report_free(r);
	report_free(full);
}
END_TEST

static void touch(const char *dir, const char *rel)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("x", f);
	fclose(f);
}

START_TEST(test_links)
{
	char dir[] = "/tmp/test_report_html.XXXXXX", path[512];
	struct report *r = fixture_report(true);
	char *page;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stacks", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/stacks/pool-workers_workers=2", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	touch(dir, "trace.json");
	touch(dir, "stacks/pool-workers_workers=2/pool.call.oncpu.svg");
	touch(dir, "stacks/pool-workers_workers=2/pool.call.wall.svg");
	touch(dir, "stacks/pool-workers_workers=2/profile.pb.gz");
	touch(dir, "stacks/pool-workers_workers=2/runq.pb.gz");
	page = render(r, dir);
	check_no_external(page);
	ck_assert(strstr(page, "<a href=\"trace.json\">"));
	ck_assert(strstr(page, "ui.perfetto.dev"));
	ck_assert_int_eq(count(page, "href=\"stacks/pool-workers_workers=2/pool.call.oncpu.svg\""),
			 2); /* in the scenario's section and in the files table */
	ck_assert_int_eq(count(page, "href=\"stacks/pool-workers_workers=2/pool.call.wall.svg\""),
			 2);
	ck_assert_int_eq(count(page, "href=\"stacks/pool-workers_workers=2/profile.pb.gz\""), 1);
	ck_assert_int_eq(count(page, "href=\"stacks/pool-workers_workers=2/runq.pb.gz\""), 1);
	ck_assert_ptr_null(strstr(page, "offcpu.pb.gz"));
	/* files that are not there get no link */
	ck_assert_ptr_null(strstr(page, "offcpu.svg"));
	ck_assert_ptr_null(strstr(page, "workers=1/pool.call"));
	ck_assert_ptr_null(strstr(page, "No flame graphs"));
	free(page);
	/* the page written into the directory, as run does */
	ck_assert_int_eq(report_write_html_dir(r, dir, path, sizeof(path)), 0);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	ck_assert_int_eq(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
	report_free(r);
}
END_TEST

/* A cross product (workers x payload): workers on the axis, one line per payload. */
START_TEST(test_cross_sweep)
{
	static const char *const payload[] = { "64", "4k" };
	struct report *r = report_new();
	struct scenario sc;
	char err[256], *page;

	ck_assert_ptr_nonnull(r);
	for (int p = 0; p < 2; p++)
		for (int w = 1; w <= 4; w *= 2) {
			char ws[8];

			snprintf(ws, sizeof(ws), "%d", w);
			make_scenario(&sc, "cross", ws);
			ck_assert_int_eq(params_set(&sc.cfg, "payload", payload[p], err,
						    sizeof(err)), 0);
			sc.swept[sc.nswept++] = wl_param_index(&fpool, "payload");
			snprintf(sc.id, sizeof(sc.id), "cross/workers=%d/payload=%s", w,
				 payload[p]);
			add_rep(report_add_scenario(r, &sc), 1000 * w, 20000, 0);
		}
	ck_assert_int_eq(report_finish(r), 0);
	page = render(r, NULL);
	ck_assert_int_eq(count(page, "<div class=\"sweep\">"), 1);
	ck_assert(strstr(page, "against workers</span>"));
	ck_assert_int_eq(count(page, "pool.call · payload=64</span>"), 2);
	ck_assert_int_eq(count(page, "pool.call · payload=4k</span>"), 2);
	ck_assert_int_eq(count(page, "<span><i style=\"background:#d8452b\"></i>payload=64"), 1);
	/* 3 workers x 2 payloads in throughput, p99 and efficiency */
	ck_assert_int_eq(count(page, "<circle class=\"pt\""), 3 * 6);
	free(page);
	report_free(r);
}
END_TEST

START_TEST(test_href_encoding)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	html_href(f, "stacks/a b\"<&>/x=1,y.svg");
	fclose(f);
	ck_assert_str_eq(buf, "stacks/a%20b%22%3C%26%3E/x=1,y.svg");
	free(buf);
}
END_TEST

START_TEST(test_no_kernel)
{
	struct report *r = fixture_report(false);
	char *page = render(r, NULL);

	check_no_external(page);
	ck_assert_ptr_null(strstr(page, "<svg class=\"bd\""));
	ck_assert_int_eq(count(page, "<svg class=\"lh\""), 4);
	ck_assert(strstr(page, "no kernel breakdown"));
	ck_assert(strstr(page, "</html>\n"));
	free(page);
	report_free(r);
}
END_TEST


/* "Why it waited": per op kind a bar per band and part, named as report.txt names the
 * parts, its words beneath, and each scenario's wait-for graph inline. */
START_TEST(test_why_section)
{
	struct report *r = fixture_full_report();
	char *page = render(r, NULL), *txt = NULL, words[700];
	const struct scen_result *chan = &r->scen[5];
	size_t len = 0;
	FILE *f = open_memstream(&txt, &len);

	ck_assert_str_eq(chan->sc.id, "why-chan");
	ck_assert(strstr(page, "<a href=\"#why\">Why it waited</a>"));
	ck_assert(strstr(page, "<h2 id=\"why\">"));
	ck_assert_int_eq(count(page, "<section class=\"whys\""), 2);
	ck_assert_int_eq(count(page, "<svg class=\"why\""), 2);
	/* why-pool: 5 bands queued and blocked; why-chan: 5 bands blocked */
	ck_assert_int_eq(count(page, "<g class=\"wyrow\">"), 5 * 2 + 5);
	ck_assert(strstr(page, "<text class=\"lat\" x=\"224\" y=\"31.0\" text-anchor=\"end\">"
			 "queued 15.6µs</text>"));
	/* the parts, in the legend and in the segments' titles */
	ck_assert(strstr(page, "</i>pool-worker on-CPU in pool.task</span>"));
	ck_assert(strstr(page, "</i>pool-worker waiting for a CPU</span>"));
	ck_assert(strstr(page, "</i>the result&#39;s way back</span>"));
	ck_assert(strstr(page, "</i>a timer</span>"));
	ck_assert(strstr(page, "</i>chan-producer blocked in clock_nanosleep</span>"));
	ck_assert(strstr(page, "</i>not seen</span>"));
	ck_assert(strstr(page, "<title>gt-p999, chan-producer blocked in clock_nanosleep: "));
	/* the words: report.txt's, for every band of why-chan */
	ck_assert_int_eq(report_write_text(r, f), 0);
	fclose(f);
	for (int b = 0; b < BAND_NR; b++) {
		why_words_blocked(&chan->sum[0].wband[b], "chan-producer", words, sizeof(words));
		ck_assert(strstr(words, "chan-producer 97%, not seen 3% (meanwhile it was blocked in "
				 "clock_nanosleep 90%"));
		ck_assert_msg(strstr(page, words), "no '%s' in the page", words);
	}
	ck_assert(strstr(txt, "chan-producer 97%, not seen 3% (meanwhile it was blocked in"));
	ck_assert(strstr(page, "pool-worker blocked in futex 7%, the result&#39;s way back 7%"));
	/* the graphs, each with its own arrow marker, and the waits lost */
	ck_assert_int_eq(count(page, "<svg class=\"wf\""), 2);
	ck_assert_int_eq(count(page, "<marker id=\"arrow-s4\""), 1);
	ck_assert_int_eq(count(page, "<marker id=\"arrow-s5\""), 1);
	ck_assert(strstr(page, "url(#arrow-s5)"));
	ck_assert_ptr_null(strstr(page, "<?xml"));
	ck_assert(strstr(page, "3 waits not counted"));
	ck_assert(strstr(page, "waits not counted</td><td class=\"n bad\">3<"));
	/* a scenario's charts link to its part */
	ck_assert(strstr(page, "<a href=\"#w-5\">Why it waited</a>"));
	ck_assert_ptr_null(strstr(page, "href=\"#w-0\""));
	free(txt);
	free(page);
	report_free(r);
}
END_TEST

/* Runs and stability, leaks, workload metrics, CPU, the note of a breakdown not
 * followed, and the user-stack copy counters. */
START_TEST(test_runs_leaks_metrics)
{
	struct report *r = fixture_full_report();
	char *page = render(r, NULL);
	static const char *const want[] = {
		"<a href=\"#runs\">", "<h2 id=\"runs\">", "<a href=\"#leaks\">", "<h2 id=\"leaks\">",
		"<a href=\"#xmetrics\">", "<h2 id=\"xmetrics\">",
		/* runs: what ended it, peaks (over the limit in red), CPUs, stability */
		"</a></td><td>max-ops</td><td class=\"n\">1.00k</td><td class=\"n\">1.00s</td>"
		"<td class=\"n bad\" title=\"peak in flight / limit\">17/16</td>"
		"<td class=\"n\" title=\"peak busy workers / limit\">4/4</td>"
		"<td class=\"n\">1.50</td><td class=\"n\">91.1%</td><td class=\"n\">40.0ms</td>",
		"<td class=\"n\" title=\"peak in flight / limit\">8/8</td>",
		"<rect class=\"warm\"", "<line class=\"steady\"",
		"repetition 1: 30 windows of 10.0ms, up to 50k ops/s; grey: warm-up",
		/* leaks: slope (lower bound) and each verdict */
		"<td class=\"n\">4</td><td class=\"n\">819B (-2.5k) <span class=\"badge\" "
		"title=\"leak-rss: off or not judged\">n/a</span></td>",
		"<td class=\"n\">1 (1) <span class=\"badge fail\" title=\"target leak-threads\">FAIL"
		"</span></td>",
		"<td class=\"n\">4 <span class=\"badge fail\" title=\"target residual-threads\">FAIL",
		"--stacks: the profile grows",
		/* the pipeline's stages */
		"<table class=\"stages\">", "<td>pipe.s2_filter</td>", "<th class=\"n\">backpressure",
		"<td class=\"n\">75%</td>", "drops 8 · chan_bytes 4 KiB",
		/* a process-mode pool */
		"Kernel breakdown not followed: worker processes are outside the collector&#39;s "
		"target.",
		/* CPU use in the resources */
		"<td class=\"n\">75%</td><td class=\"n\">-</td></tr>",
		/* user-stack root share and copies */
		"user stacks rooted</td><td class=\"n\">38<", "95.0%, reach a root frame",
		"user stack copies</td><td class=\"n\">120<", "480 bytes each, unwound in 12.5 µs",
		"past the copy rate</td><td class=\"n\">5<", "copies lost</td><td class=\"n bad\">2<",
		"counts lost</td><td class=\"n bad\">1<", "copies dropped</td><td class=\"n bad\">4<",
		"counts without their copy</td><td class=\"n bad\">6<",
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(page, want[i]), "no %s in the page", want[i]);
	ck_assert_int_eq(count(page, "<svg class=\"spark\""), 3);
	/* 11 op kinds, but the process pool's draws no bars: a breakdown not followed is no
	 * zero */
	ck_assert_int_eq(count(page, "<svg class=\"lh\""), 11);
	ck_assert_int_eq(count(page, "<svg class=\"bd\""), 10);
	free(page);
	report_free(r);
}
END_TEST

/* Without the data, no section (and no navigation link) pretends to have it. */
START_TEST(test_sections_absent)
{
	struct report *r = fixture_report(true);
	char *page = render(r, NULL);

	ck_assert_ptr_null(strstr(page, "id=\"why\""));
	ck_assert_ptr_null(strstr(page, "href=\"#why\""));
	ck_assert_ptr_null(strstr(page, "<svg class=\"why\""));
	ck_assert_ptr_null(strstr(page, "<svg class=\"wf\""));
	ck_assert_ptr_null(strstr(page, "id=\"leaks\""));
	ck_assert_ptr_null(strstr(page, "href=\"#leaks\""));
	ck_assert_ptr_null(strstr(page, "id=\"xmetrics\""));
	ck_assert_ptr_null(strstr(page, "href=\"#xmetrics\""));
	ck_assert_ptr_null(strstr(page, "waits not counted"));
	ck_assert_ptr_null(strstr(page, "user stack copies"));
	ck_assert_ptr_null(strstr(page, "<svg class=\"spark\""));
	ck_assert_ptr_null(strstr(page, "not followed"));
	/* runs are always there: what ended each run is always known */
	ck_assert(strstr(page, "id=\"runs\""));
	ck_assert(strstr(page, "user stacks rooted</td>"));
	free(page);
	report_free(r);
	/* a run with --why where no op carried a split says so */
	r = fixture_report_base(true);
	r->why = true;
	ck_assert_int_eq(report_finish(r), 0);
	page = render(r, NULL);
	ck_assert(strstr(page, "id=\"why\""));
	ck_assert(strstr(page, "No operation carried a split"));
	ck_assert_ptr_null(strstr(page, "<section class=\"whys\""));
	free(page);
	report_free(r);
}
END_TEST

/* The full report's hostile strings are escaped too, in the graphs and the tables; the
 * wait-for graph's file is linked when it is in the directory. */
START_TEST(test_full_escaping_and_links)
{
	char dir[] = "/tmp/test_report_html.XXXXXX", path[512];
	struct report *r = fixture_full_report();
	char *page;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/waitfor", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	touch(dir, "waitfor/why-chan.svg");
	page = render(r, dir);
	check_no_external(page);
	ck_assert_int_eq(count(page, "<script"), 1);
	ck_assert_ptr_null(strstr(page, "alert(\""));
	ck_assert(strstr(page, "a&lt;b&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"
			 "&apos;"));
	ck_assert_int_eq(count(page, "href=\"waitfor/why-chan.svg\""), 1);
	ck_assert_ptr_null(strstr(page, "href=\"waitfor/why-pool.svg\""));
	for (const char *p = page; *p; p++)
		ck_assert(!iscntrl((unsigned char)*p) || *p == '\n' || *p == '\t');
	free(page);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
	report_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_html");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_sections_and_charts);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_balanced);
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_cross_sweep);
	tcase_add_test(tc, test_href_encoding);
	tcase_add_test(tc, test_no_kernel);
	tcase_add_test(tc, test_why_section);
	tcase_add_test(tc, test_runs_leaks_metrics);
	tcase_add_test(tc, test_sections_absent);
	tcase_add_test(tc, test_full_escaping_and_links);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
