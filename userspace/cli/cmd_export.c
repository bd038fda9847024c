// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope export: a run's results as OpenMetrics text for Prometheus, written to a file
 * (atomically, for node_exporter's textfile collector) or to standard output (for a
 * push to a Pushgateway). report/export_om.h says what is exported.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "report/export_om.h"
#include "stats/compare.h"
#include "util/files.h"

static void export_usage(FILE *f)
{
	fprintf(f,
		"usage: opscope export [--machine NAME] [--compare COMPARE.json] [-o FILE]\n"
		"                      REPORT|RUNDIR\n"
		"Writes the run's results as OpenMetrics text (gauges: throughput, latency per\n"
		"percentile, the kernel breakdown per op, memory, targets, the machine's noise,\n"
		"and with --compare the verdict against the baseline), labelled machine, suite,\n"
		"scenario, op and percentile. -o FILE writes it atomically (for node_exporter's\n"
		"textfile collector: a *.prom file in its directory); without -o, to standard\n"
		"output (for curl --data-binary @- to a Pushgateway). --machine: the machine\n"
		"label (default: the report's hostname).\n");
}

/* The compare --json file, checked to be one. NULL (with err) when unusable. */
static struct json_doc *load_compare(const char *path, char *err, size_t errlen)
{
	struct json_err je;
	struct json_doc *d = json_parse_file(path, 0, &je);

	if (!d) {
		snprintf(err, errlen, "%s: %s", path, je.msg);
		return NULL;
	}
	if (strcmp(json_get_str(json_root(d), "schema", ""), "opscope-compare")) {
		snprintf(err, errlen, "%s is not the output of opscope compare --json", path);
		json_doc_free(d);
		return NULL;
	}
	return d;
}

int cmd_export(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "compare", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *machine = NULL, *cmp_path = NULL, *out = NULL;
	struct json_doc *cmp = NULL;
	struct cmp_report r = { 0 };
	char err[1024];
	int c, rc = 2;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", lopts, NULL)) != -1) {
		switch (c) {
		case 'm': machine = optarg; break;
		case 'c': cmp_path = optarg; break;
		case 'o': out = optarg; break;
		case 'f':
			if (strcmp(optarg, "openmetrics"))
				return cmd_fail("export", "--format '%s': the one format is "
						"openmetrics", optarg);
			break;
		case 'h':
			export_usage(stdout);
			return 0;
		default:
			return cmd_fail("export", "unknown or incomplete option '%s'; see opscope "
					"export --help", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cmd_fail("export", "need one report (a report.json or a run directory); "
				"see opscope export --help");
	if (cmp_report_load(&r, argv[optind], err, sizeof(err)))
		return cmd_fail("export", "%s", err);
	if (cmp_path && !(cmp = load_compare(cmp_path, err, sizeof(err)))) {
		rc = cmd_fail("export", "%s", err);
		goto out;
	}
	if (out) {
		struct afile a;

		/* replaced whole: the textfile collector never reads half a file */
		if (afile_open(&a, out, err, sizeof(err)) ||
		    afile_commit(&a, om_write(a.f, r.root, machine, json_root(cmp)), err,
				 sizeof(err))) {
			rc = cmd_fail("export", "%s", err);
			goto out;
		}
	} else if (om_write(stdout, r.root, machine, json_root(cmp)) || fflush(stdout)) {
		rc = cmd_fail("export", "could not write to standard output: %s",
			      strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_doc_free(cmp);
	cmp_report_free(&r);
	return rc;
}
