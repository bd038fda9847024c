// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope history: append a run to the JSON Lines history, show trends, write HTML. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "report/history.h"
#include "stacks/folded.h"

#define hist_fail(...) cmd_fail("history", __VA_ARGS__)

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
	const char *file = HISTORY_FILE, *label = NULL, *out = NULL, *verb;
	struct history_filter flt = { 0 };
	char err[1024];
	int c, last = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 's':
			flt.scenario = optarg;
			break;
		case 'm':
			flt.metric = optarg;
			break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 1 || v > 1000000)
				return hist_fail("--last '%s' must be a number of runs (1 or more)",
						 optarg);
			last = (int)v;
			break;
		}
		case 'o':
			out = optarg;
			break;
		case 'h':
			history_usage(stdout);
			return 0;
		default:
			return hist_fail("unknown or incomplete option '%s'; see opscope history "
					 "--help", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return hist_fail("which action? append, show or html; see opscope history "
				 "--help");
	verb = argv[optind++];
	if (!strcmp(verb, "append")) {
		struct cmp_report r;

		if (argc - optind != 1)
			return hist_fail("append needs one report file or run directory");
		if (cmp_report_load(&r, argv[optind], err, sizeof(err)))
			return hist_fail("%s", err);
		int rc = history_append(file, &r, label, err, sizeof(err));

		cmp_report_free(&r);
		if (rc)
			return hist_fail("%s", err);
		printf("appended %s to %s\n", argv[optind], file);
		return 0;
	}
	if (strcmp(verb, "show") && strcmp(verb, "html"))
		return hist_fail("unknown action '%s': use append, show or html", verb);
	if (argc - optind != 0)
		return hist_fail("%s takes options only, not '%s'", verb, argv[optind]);
	if (!strcmp(verb, "html") && !out)
		return hist_fail("html needs -o FILE.html");
	struct history *h = history_load(file, last, err, sizeof(err));

	if (!h)
		return hist_fail("%s", err);
	if (!strcmp(verb, "show")) {
		history_print(stdout, h, &flt);
	} else {
		char tmp[PATH_MAX + 16];
		FILE *hf = atomic_file_open(out, tmp, sizeof(tmp), err, sizeof(err));

		if (!hf) {
			history_free(h);
			return hist_fail("%s", err);
		}
		history_html(hf, h, &flt);
		if (atomic_file_commit(hf, tmp, out, 0, err, sizeof(err))) {
			history_free(h);
			return hist_fail("%s", err);
		}
		printf("wrote %s (%d runs, %d series)\n", out, history_runs(h), history_series(h));
	}
	history_free(h);
	return 0;
}

