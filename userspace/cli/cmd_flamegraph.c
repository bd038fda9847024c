// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope flamegraph: draw an SVG flame graph of any folded file, or a differential one
 * of two.
 *
 *   opscope flamegraph FILE.folded -o FILE.svg [--title T] [--subtitle S] [--unit U]
 *                      [--width PX]
 *   opscope flamegraph --diff A.folded B.folded -o D.svg [same options]
 *
 * Exit status: 0 written, 2 bad arguments or input (one line on stderr says which).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "stacks/flamegraph.h"
#include "stacks/folded.h"

static const char usage[] =
	"usage: opscope flamegraph FILE.folded -o FILE.svg [--title T] [--subtitle S] "
	"[--unit U] [--width PX]\n"
	"       opscope flamegraph --diff A.folded B.folded -o DIFF.svg [--title T] "
	"[--unit U] [--width PX]\n"
	"Draws a self-contained SVG flame graph (hover, click to zoom, Ctrl-F to search).\n"
	"--unit names what the counts are: samples (default), ns, faults.\n"
	"--diff: widths from B; red frames grew from A to B, blue ones shrank.\n";

struct fg_args {
	struct flamegraph_opts o;
	const char *in, *diff_a, *diff_b, *outp;
};

static struct folded *load(const char *path, int *rc)
{
	char err[512];
	struct folded *f = folded_new();

	if (!f) {
		*rc = cmd_fail("flamegraph", "out of memory reading %s", path);
		return NULL;
	}
	if (folded_read_file(f, path, err, sizeof(err))) {
		folded_free(f);
		*rc = cmd_fail("flamegraph", "%s", err);
		return NULL;
	}
	if (!folded_count(f)) {
		folded_free(f);
		*rc = cmd_fail("flamegraph", "%s has no stacks, so there is nothing to draw; a "
			       "folded line is 'frame;frame;... COUNT'", path);
		return NULL;
	}
	/* folded_total saturates: the graph's widths need the exact sum */
	if (folded_total(f) == UINT64_MAX) {
		folded_free(f);
		*rc = cmd_fail("flamegraph", "%s: the counts add up to 2^64 - 1 or more, more "
			       "than a flame graph can draw; scale them down", path);
		return NULL;
	}
	return f;
}

/*
 * Options may come before or after the input file. --diff takes two values: getopt hands
 * over A, and B is the next word, whatever it looks like (GNU getopt keeps it with its
 * option when it moves the operands to the end).
 */
static int parse_args(int argc, char **argv, struct fg_args *a)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "subtitle", required_argument, NULL, 's' },
		{ "unit", required_argument, NULL, 'u' },
		{ "width", required_argument, NULL, 'w' },
		{ "diff", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	long w;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", lopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'o': a->outp = optarg; break;
		case 't': a->o.title = optarg; break;
		case 's': a->o.subtitle = optarg; break;
		case 'u': a->o.unit = optarg; break;
		case 'w':
			errno = 0;
			w = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || w < 200 || w > 100000)
				return cmd_fail("flamegraph", "--width '%s' is not a width in "
						"pixels between 200 and 100000", optarg);
			a->o.width = (int)w;
			break;
		case 'D':
			if (optind >= argc)
				return cmd_fail("flamegraph", "--diff needs two folded files: "
						"--diff A.folded B.folded");
			a->diff_a = optarg;
			a->diff_b = argv[optind++];
			break;
		case ':':
			if (optopt == 'w')
				return cmd_fail("flamegraph", "--width needs a value in pixels");
			if (optopt == 'D')
				return cmd_fail("flamegraph", "--diff needs two folded files: "
						"--diff A.folded B.folded");
			return cmd_fail("flamegraph", "%s needs a value; see 'opscope flamegraph "
					"--help'", argv[optind - 1]);
		default:
			return cmd_fail("flamegraph", "unknown option '%s'; see 'opscope "
					"flamegraph --help'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cmd_fail("flamegraph", "one folded file at a time (got '%s' and '%s'); use "
				"--diff A B to compare two", argv[optind], argv[optind + 1]);
	a->in = optind < argc ? argv[optind] : NULL;
	if (!a->outp)
		return cmd_fail("flamegraph", "no output file; add -o FILE.svg");
	if (a->diff_a && a->in)
		return cmd_fail("flamegraph", "give either one folded file or --diff A B, not both "
				"('%s')", a->in);
	if (!a->diff_a && !a->in)
		return cmd_fail("flamegraph", "no input; give a folded file, or --diff A.folded "
				"B.folded");
	return 0;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct fg_args g = { 0 };
	struct folded *a = NULL, *b = NULL;
	char err[512];
	int rc;

	rc = parse_args(argc, argv, &g);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (g.diff_a) {
		a = load(g.diff_a, &rc);
		if (a)
			b = load(g.diff_b, &rc);
		if (!a || !b)
			goto out;
		/* the paths as given: two runs' files of one name stay apart */
		g.o.a_name = g.diff_a;
		g.o.b_name = g.diff_b;
		if (flamegraph_write_diff_file(g.outp, a, b, &g.o, err, sizeof(err))) {
			rc = cmd_fail("flamegraph", "%s", err);
			goto out;
		}
		printf("wrote %s: %zu stacks in %s, %zu in %s\n", g.outp, folded_count(b), g.diff_b,
		       folded_count(a), g.diff_a);
	} else {
		a = load(g.in, &rc);
		if (!a)
			goto out;
		if (flamegraph_write_file(g.outp, a, &g.o, err, sizeof(err))) {
			rc = cmd_fail("flamegraph", "%s", err);
			goto out;
		}
		printf("wrote %s: %zu stacks, total %" PRIu64 " %s\n", g.outp, folded_count(a),
		       folded_total(a), g.o.unit ? g.o.unit : "samples");
	}
out:
	folded_free(a);
	folded_free(b);
	return rc;
}
