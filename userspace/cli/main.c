// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope: the subcommand table. Each subcommand lives in its own module. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"

#ifndef OPSCOPE_VERSION
#define OPSCOPE_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a workload suite and explain each operation's latency" },
	{ "record", cmd_record, "account every thread of any process (-p PID or -- CMD)" },
	{ "flamegraph", cmd_flamegraph, "render folded stacks as an SVG flame graph" },
	{ "compare", cmd_compare, "compare two reports, flag significant regressions" },
	{ "baseline", cmd_baseline, "save, show or list named baselines" },
	{ "history", cmd_history, "trend of each metric across runs (text and HTML)" },
	{ "export", cmd_export, "a run's results as OpenMetrics, for Prometheus" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: opscope COMMAND [OPTIONS]   (opscope COMMAND --help for details)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("opscope %s\n", OPSCOPE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		setvbuf(stdout, NULL, _IOLBF, 0);
		/*
		 * A reader of stdout that went away (`opscope compare ... | head`) must not kill
		 * opscope before it has written its files: writes then fail with EPIPE instead,
		 * which the commands treat as "nobody reads", not as their own failure.
		 */
		signal(SIGPIPE, SIG_IGN);
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "opscope: unknown command '%s'; run 'opscope --help' for the list\n",
		argv[1]);
	return 2;
}
