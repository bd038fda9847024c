// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope history: append a run to the JSON Lines history, show trends, write HTML. */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "report/history.h"
#include "stacks/folded.h"

struct hist_opts {
	const char *file, *label, *out;
	struct history_filter flt;
	int last;
};

static void history_usage(FILE *f)
{
	fprintf(f,
		"usage: opscope history append REPORT|RUNDIR [--label TEXT]\n"
		"       opscope history show [--scenario S] [--metric M|all] [--last N]\n"
		"       opscope history html -o FILE.html [--scenario S] [--metric M|all] "
		"[--last N]\n"
		"options: --file F  the JSON Lines history (default %s)\n"
		"show/html list throughput, p50, p99 and rss_peak_bytes unless --metric says\n"
		"otherwise (a substring of the metric id, or all); --scenario filters by "
		"substring.\n", HISTORY_FILE);
}

static int history_append_run(int argc, char **argv, const void *opts)
{
	const struct hist_opts *o = opts;
	struct cmp_report r;
	char err[1024];
	int rc;

	if (argc != 2)
		return cmd_fail("history", "append needs one report file or run directory");
	if (cmp_report_load(&r, argv[1], err, sizeof(err)))
		return cmd_fail("history", "%s", err);
	rc = history_append(o->file, &r, o->label, err, sizeof(err));
	cmp_report_free(&r);
	if (rc)
		return cmd_fail("history", "%s", err);
	printf("appended %s to %s\n", argv[1], o->file);
	return 0;
}

/* show and html: the same history, as a table on stdout or as an HTML page. */
static int history_view(int argc, char **argv, const struct hist_opts *o, bool html)
{
	char tmp[PATH_MAX + 16], err[1024];
	struct history *h;
	FILE *hf;

	if (argc != 1)
		return cmd_fail("history", "%s takes options only, not '%s'", argv[0], argv[1]);
	if (html && !o->out)
		return cmd_fail("history", "html needs -o FILE.html");
	h = history_load(o->file, o->last, err, sizeof(err));
	if (!h)
		return cmd_fail("history", "%s", err);
	if (!html) {
		history_print(stdout, h, &o->flt);
		history_free(h);
		return 0;
	}
	hf = atomic_file_open(o->out, tmp, sizeof(tmp), err, sizeof(err));
	if (!hf) {
		history_free(h);
		return cmd_fail("history", "%s", err);
	}
	history_html(hf, h, &o->flt);
	if (atomic_file_commit(hf, tmp, o->out, 0, err, sizeof(err))) {
		history_free(h);
		return cmd_fail("history", "%s", err);
	}
	printf("wrote %s (%d runs, %d series)\n", o->out, history_runs(h), history_series(h));
	history_free(h);
	return 0;
}

static int history_show(int argc, char **argv, const void *opts)
{
	return history_view(argc, argv, opts, false);
}

static int history_write_html(int argc, char **argv, const void *opts)
{
	return history_view(argc, argv, opts, true);
}

static const struct cmd_verb history_verbs[] = {
	{ "append", history_append_run },
	{ "show", history_show },
	{ "html", history_write_html },
	{ NULL },
};

int cmd_history(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "scenario", required_argument, NULL, 's' },
		{ "metric", required_argument, NULL, 'm' },
		{ "last", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct hist_opts o = { .file = HISTORY_FILE };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.file = optarg;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 's':
			o.flt.scenario = optarg;
			break;
		case 'm':
			o.flt.metric = optarg;
			break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 1 || v > 1000000)
				return cmd_fail("history", "--last '%s' must be a number of runs "
						"(1 or more)", optarg);
			o.last = (int)v;
			break;
		}
		case 'o':
			o.out = optarg;
			break;
		case 'h':
			history_usage(stdout);
			return 0;
		default:
			return cmd_fail("history", "unknown or incomplete option '%s'; see opscope "
					"history --help", argv[optind - 1]);
		}
	}
	return cmd_select("history", history_verbs, argc - optind, argv + optind, &o);
}
