// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope compare: two reports, a verdict per metric, and the CI files a job asks for. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "report/compare_text.h"
#include "report/history.h"
#include "report/writers_ci.h"

/* compare --history: the past runs of the current report's machine, not the two runs
 * compared themselves. */
struct hist_ctx {
	struct history *h;
	const char *host;
	const char *skip[3];  /* the runs compared, and with --confirm the rerun */
	/* both runs compared were quiet: for what the code does per op, past runs flagged
	 * noisy are left out, since how far quiet runs land apart is what a change between
	 * two quiet runs must beat (a busy neighbour moves on-CPU per op up by a few
	 * percent, which hid a +10% change in every such run). Latency and throughput keep
	 * every past run: their tails move both ways, and the wider spread is the safe one. */
	bool quiet;
};

static int hist_values(const void *ctx, const char *scenario, const char *metric, bool work,
		       double *out)
{
	const struct hist_ctx *c = ctx;

	return history_values(c->h, scenario, metric, c->host, c->skip, 3, work && c->quiet,
			      out);
}

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: opscope compare [OPTIONS] BASELINE CURRENT\n"
		"  BASELINE, CURRENT: report.json files or opscope run output directories\n"
		"  --threshold [SCENARIO:]METRIC=PCT  e.g. latency=5%%, p99=20%%,\n"
		"                        pool/workers=4:p99=20%%, max_ns=off (repeatable);\n"
		"                        defaults throughput 5%%, latency 10%%, memory 15%%, "
		"errors 10%%\n"
		"  --alpha P             family-wise significance level over every metric tested\n"
		"                        (Holm; default %.2g)\n"
		"  --allow-env-mismatch  compare across kernel/CPU/governor changes anyway\n"
		"  --allow-impl-mismatch compare scenarios that ran another implementation\n"
		"                        (run --plugin: impl=, fn=) than the baseline's anyway\n"
		"  --allow-param-change  compare scenarios whose parameters differ (flagged)\n"
		"  --known-failing LIST  targets known to fail on this machine (comma-separated;\n"
		"                        a baseline's meta.json adds its own)\n"
		"  --no-targets          leave the targets out of the verdict\n"
		"  --ignore-noise        judge as if the machine's noise had not changed\n"
		"  --history FILE        past runs (opscope history append): with 5 or more of\n"
		"                        this machine, a change must beat how far runs of the\n"
		"                        same code land apart, not just the repetitions\n"
		"  --history-runs N      the last N runs of FILE (default 60)\n"
		"  --confirm RERUN       a rerun of the current build (of the scenarios flagged):\n"
		"                        a regression or improvement stands only if comparing\n"
		"                        BASELINE with RERUN flags it again\n"
		"  --all                 list unchanged metrics too\n"
		"  --md FILE             markdown summary (for a CI comment)\n"
		"  --json FILE           machine-readable result\n"
		"  --junit FILE          JUnit XML, one test case per scenario and metric\n"
		"exit status: 0 no regression; 1 a regression (beyond threshold and significant)\n"
		"or a failed scenario; 2 bad input, parameters or environment differ; 3 could\n"
		"not judge: the machine's noise changed and metrics moved with it; 4 a target\n"
		"failed that is not known to fail on this machine\n", CMP_DEFAULT_ALPHA);
}

/* What the command line asks beyond the comparison's options. */
struct cmp_cli {
	const char *md, *json, *junit, *hist_file, *confirm;
	int hist_last;
	bool all;
};

/* One option that takes no file: 0, 1 after --help, 2 after a message. */
static int compare_option(int c, const char *arg, struct cmp_opts *o, struct cmp_cli *cli)
{
	char err[1024], *end;

	switch (c) {
	case 't':
		if (cmp_threshold_add(o, arg, err, sizeof(err)))
			return cmd_fail("compare", "%s", err);
		break;
	case 'a':
		o->alpha = strtod(arg, &end);
		if (end == arg || *end || !(o->alpha > 0 && o->alpha < 1))
			return cmd_fail("compare", "--alpha '%s' must be a number between 0 and 1, "
					"e.g. 0.05", arg);
		break;
	case 'E': o->allow_env_mismatch = true; break;
	case 'I': o->allow_impl_mismatch = true; break;
	case 'P': o->allow_param_change = true; break;
	case 'k':
		if (cmp_known_add(o, arg, err, sizeof(err)))
			return cmd_fail("compare", "%s", err);
		break;
	case 'T': o->no_targets = true; break;
	case 'N': o->no_noise = true; break;
	case 'H': cli->hist_file = arg; break;
	case 'C': cli->confirm = arg; break;
	case 'R':
		cli->hist_last = (int)strtol(arg, &end, 10);
		if (end == arg || *end || cli->hist_last < CMP_HISTORY_MIN ||
		    cli->hist_last > 10000)
			return cmd_fail("compare", "--history-runs '%s': a number of runs from %d "
					"to 10000", arg, CMP_HISTORY_MIN);
		break;
	case 'A': cli->all = true; break;
	case 'm': cli->md = arg; break;
	case 'j': cli->json = arg; break;
	case 'u': cli->junit = arg; break;
	case 'h':
		compare_usage(stdout);
		return 1;
	}
	return 0;
}

/* Returns 0, 1 after --help, or 2 after a message; optind points at the operands. */
static int compare_args(int argc, char **argv, struct cmp_opts *o, struct cmp_cli *cli)
{
	static const struct option lopts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "allow-env-mismatch", no_argument, NULL, 'E' },
		{ "allow-impl-mismatch", no_argument, NULL, 'I' },
		{ "allow-param-change", no_argument, NULL, 'P' },
		{ "known-failing", required_argument, NULL, 'k' },
		{ "no-targets", no_argument, NULL, 'T' },
		{ "ignore-noise", no_argument, NULL, 'N' },
		{ "history", required_argument, NULL, 'H' },
		{ "history-runs", required_argument, NULL, 'R' },
		{ "confirm", required_argument, NULL, 'C' },
		{ "all", no_argument, NULL, 'A' },
		{ "md", required_argument, NULL, 'm' },
		{ "json", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, rc;

	cmp_opts_init(o);
	memset(cli, 0, sizeof(*cli));
	cli->hist_last = 60;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return cmd_fail("compare", "unknown or incomplete option '%s'; see opscope "
					"compare --help", argv[optind - 1]);
		rc = compare_option(c, optarg, o, cli);
		if (rc)
			return rc;
	}
	if (argc - optind != 2)
		return cmd_fail("compare", "need exactly two reports, BASELINE and CURRENT (got "
				"%d); see opscope compare --help", argc - optind);
	return 0;
}

/* --history: the past runs of the current report's machine. 0, or 2 after a message. */
static int load_history(const struct cmp_cli *cli, const struct cmp_report *base,
			const struct cmp_report *cur, struct hist_ctx *hc,
			struct cmp_history *hist, struct cmp_opts *o)
{
	char err[1024];

	if (!cli->hist_file)
		return 0;
	hc->h = history_load(cli->hist_file, cli->hist_last, err, sizeof(err));
	if (!hc->h)
		return cmd_fail("compare", "--history: %s", err);
	hc->host = json_get_str(json_get(cur->root, "environment"), "hostname", NULL);
	hc->skip[0] = json_get_str(base->root, "created", NULL);
	hc->skip[1] = json_get_str(cur->root, "created", NULL);
	hc->quiet = !cmp_report_noisy(base) && !cmp_report_noisy(cur);
	hist->nruns = history_runs(hc->h);
	hist->values = hist_values;
	hist->ctx = hc;
	o->history = hist;
	return 0;
}

/* --confirm: compare the baseline with the rerun, and keep what it flags again. */
static int confirm(const struct cmp_cli *cli, const struct cmp_report *base,
		   const struct cmp_report *cur, struct hist_ctx *hc, const struct cmp_opts *o,
		   struct cmp_result *res, char *err, size_t errlen)
{
	struct cmp_report again = { 0 };
	struct cmp_result r2 = { 0 };
	int rc = cmp_report_load(&again, cli->confirm, err, errlen);

	if (rc)
		return rc;
	/* the flagged run is no past run of the rerun's comparison either */
	hc->skip[2] = json_get_str(again.root, "created", NULL);
	rc = cmp_run(base, &again, o, &r2, err, errlen);
	if (!rc)
		cmp_confirm(res, &r2, o);
	cmp_result_free(&r2);
	cmp_report_free(&again);
	(void)cur;
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_report base = { 0 }, cur = { 0 };
	struct cmp_result res = { 0 };
	struct cmp_history hist = { 0 };
	struct hist_ctx hc = { 0 };
	struct cmp_opts o;
	struct cmp_cli cli;
	char err[1024];
	int status;

	status = compare_args(argc, argv, &o, &cli);
	if (status)
		return status == 1 ? 0 : status;
	status = 2;
	if (cmp_report_load(&base, argv[optind], err, sizeof(err)) ||
	    cmp_report_load(&cur, argv[optind + 1], err, sizeof(err))) {
		status = cmd_fail("compare", "%s", err);
		goto out;
	}
	if (load_history(&cli, &base, &cur, &hc, &hist, &o))
		goto out;
	if (cmp_run(&base, &cur, &o, &res, err, sizeof(err)) ||
	    (cli.confirm && confirm(&cli, &base, &cur, &hc, &o, &res, err, sizeof(err)))) {
		status = cmd_fail("compare", "%s", err);
		goto out;
	}
	status = cmp_exit_status(&res, &o);
	/* the files first: a reader of stdout that goes away (| head) must not cost them */
	if ((cli.md && ci_write_markdown(&res, cli.md, err, sizeof(err))) ||
	    (cli.json && ci_write_json(&res, cli.json, err, sizeof(err))) ||
	    (cli.junit && ci_write_junit(&res, cli.junit, err, sizeof(err)))) {
		status = cmd_fail("compare", "%s", err);
		goto out;
	}
	cmp_print_text(stdout, &res, cli.all);
	if (res.env_differs && !o.allow_env_mismatch)
		cmd_warn("compare", "the environments differ (see the top of the output); rerun on "
			 "the baseline's machine setup or pass --allow-env-mismatch");
	if (res.impl_differs && !o.allow_impl_mismatch)
		cmd_warn("compare", "scenarios ran other implementations than the baseline's (see "
			 "the top of the output); pass --allow-impl-mismatch to compare them");
	printf("exit status %d\n", status);
	/* EPIPE: the reader went away, which is not compare's failure; anything else is */
	if ((fflush(stdout) || ferror(stdout)) && errno != EPIPE)
		status = cmd_fail("compare", "cannot write the comparison to standard output: %s",
				  strerror(errno));
out:
	history_free(hc.h);
	cmp_result_free(&res);
	cmp_report_free(&base);
	cmp_report_free(&cur);
	return status;
}
