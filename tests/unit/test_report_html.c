// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for report.html on a synthetic report: every section and chart is there,
 * every string from the run is escaped, no URL leaves the page (only fragments and
 * relative links to files that exist), and the tags balance. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/oprec.h"
#include "report/report.h"
#include "report/report_html.h"
#include "workloads/params.h"

static const struct wl_param_def pool_params[] = {
	{ "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	{ "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256", "bytes", NULL },
	{ NULL },
};

static int fake_run(const struct wl_config *cfg, const struct wl_ctl *ctl,
		    struct wl_result *res)
{
	return 0;
}

static const struct workload fpool = {
	.name = "pool", .help = "pool", .params = pool_params, .run = fake_run,
};

#define EVIL "<script>alert(\"x\")</script>&'"

static void make_scenario(struct scenario *sc, const char *group, const char *workers)
{
	char err[256];

	memset(sc, 0, sizeof(*sc));
	sc->wl = &fpool;
	ck_assert_int_eq(params_init(&sc->cfg, &fpool, err, sizeof(err)), 0);
	snprintf(sc->group, sizeof(sc->group), "%s", group);
	if (workers) {
		ck_assert_int_eq(params_set(&sc->cfg, "workers", workers, err, sizeof(err)), 0);
		snprintf(sc->label, sizeof(sc->label), "workers=%s", workers);
		snprintf(sc->id, sizeof(sc->id), "%.63s/%.190s", group, sc->label);
		sc->swept[sc->nswept++] = wl_param_index(&fpool, "workers");
	} else {
		snprintf(sc->id, sizeof(sc->id), "%s", group);
	}
	sc->set = (struct run_settings){ .reps = 2, .warmup_ns = 1000000,
					 .duration_ns = 1000000000, .timeout_ns = 5000000000ll };
}

/* One repetition of count ops spread from base to 100 x base ns, with a breakdown. */
static void add_rep(struct scen_result *s, uint64_t count, uint64_t base, int rc)
{
	struct wl_result res;

	memset(&res, 0, sizeof(res));
	res.nkinds = 1;
	res.kind[0] = ops_kind_id("pool.call");
	res.agg[0] = op_agg_new();
	ck_assert_ptr_nonnull(res.agg[0]);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t lat = base + base * (i * i % 9973) / 100;
		struct ops_bd bd = { .n = 1, .lat_ns = lat, .on_ns = lat / 4, .runq_ns = lat / 8,
				     .blocked_ns = lat / 2, .steal_ns = lat / 16, .syscalls = 2,
				     .syscall_ns = lat / 3, .vcsw = 1, .faults = i % 3 };

		bd.queued_ns = lat - bd.on_ns - bd.runq_ns - bd.blocked_ns - bd.steal_ns;
		bd.blk_ns[OPS_BLK_NOSYS] = lat / 8;
		bd.blk_ns[OPS_BLK_OTHER] = bd.blocked_ns - lat / 8;
		ck_assert_int_eq(op_agg_add(res.agg[0], &bd), 0);
	}
	res.elapsed_s = 1.0;
	res.threads = 3;
	res.occupancy = -1;
	if (rc)
		snprintf(res.error, sizeof(res.error), "lost 3 messages " EVIL);
	ck_assert_int_eq(scen_add_rep(s, rc, &res, 8 << 20, 6 << 20, false), 0);
}

/* A workers sweep (1, 2, 4), a failed scenario, and hostile strings everywhere. */
static struct report *html_report(bool kernel)
{
	struct report *r = report_new();
	struct scenario sc;
	struct scen_result *s;
	const char *w[] = { "1", "2", "4" };

	ck_assert_ptr_nonnull(r);
	r->kernel = kernel;
	r->have_collector = kernel;
	r->coll.slots_used = 9;
	r->coll.slots_full = 2;
	r->coll.stacks = kernel;
	r->coll.user_stacks = 40;
	r->coll.cut_stacks = 3;
	r->env.online_cpus = 2;
	snprintf(r->env.hostname, sizeof(r->env.hostname), "host" EVIL);
	snprintf(r->env.cpu_model, sizeof(r->env.cpu_model), "CPU \x01 \"quoted\"");
	snprintf(r->command, sizeof(r->command), "opscope run --out 'a&b'");
	r->settings = (struct run_settings){ 2, 1000000, 1000000000, 5000000000ll, 0 };
	for (int i = 0; i < 3; i++) {
		make_scenario(&sc, "pool-workers", w[i]);
		s = report_add_scenario(r, &sc);
		add_rep(s, 5000 * (i + 1), 20000, 0);
		add_rep(s, 4000 * (i + 1), 20000, 0);
	}
	make_scenario(&sc, "odd " EVIL, NULL);
	s = report_add_scenario(r, &sc);
	add_rep(s, 100, 1000, 0);
	add_rep(s, 1, 1000, -EIO);
	ck_assert_int_eq(report_finish(r), 0);
	return r;
}

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
	struct report *r = html_report(true);
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
	struct report *r = html_report(true);
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

START_TEST(test_balanced)
{
	static const char *const tags[][2] = {
		{ "<svg", "</svg>" }, { "<table", "</table>" }, { "<section", "</section>" },
		{ "<div", "</div>" }, { "<tr", "</tr>" }, { "<g ", "</g>" }, { "<g>", "</g>" },
		{ "<title>", "</title>" }, { "<text", "</text>" },
	};
	struct report *r = html_report(true);
	char *page = render(r, NULL);
	int g_open = count(page, "<g ") + count(page, "<g>");

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		int open = !strcmp(tags[i][0], "<g ") || !strcmp(tags[i][0], "<g>") ? g_open :
			   count(page, tags[i][0]);

		ck_assert_msg(open == count(page, tags[i][1]), "%s: %d open, %d closed",
			      tags[i][0], open, count(page, tags[i][1]));
	}
	free(page);
	report_free(r);
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
	struct report *r = html_report(true);
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
	struct report *r = html_report(false);
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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
