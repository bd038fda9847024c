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
#include <inttypes.h>
#include <stdarg.h>
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

#define fail(...) cmd_fail("flamegraph", __VA_ARGS__)

static struct folded *load(const char *path, int *rc)
{
	char err[512];
	struct folded *f = folded_new();

	if (!f) {
		*rc = fail("out of memory reading %s", path);
		return NULL;
	}
	if (folded_read_file(f, path, err, sizeof(err))) {
		folded_free(f);
		*rc = fail("%s", err);
		return NULL;
	}
	if (!folded_count(f)) {
		folded_free(f);
		*rc = fail("%s has no stacks, so there is nothing to draw; a folded line is "
			   "'frame;frame;... COUNT'", path);
		return NULL;
	}
	return f;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct flamegraph_opts o = { 0 };
	const char *in = NULL, *diff_a = NULL, *diff_b = NULL, *outp = NULL;
	struct folded *a = NULL, *b = NULL;
	char err[512];
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char **val = NULL;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(arg, "-o") || !strcmp(arg, "--output"))
			val = &outp;
		else if (!strcmp(arg, "--title"))
			val = &o.title;
		else if (!strcmp(arg, "--subtitle"))
			val = &o.subtitle;
		else if (!strcmp(arg, "--unit"))
			val = &o.unit;
		if (val) {
			if (i + 1 >= argc)
				return fail("%s needs a value; see 'opscope flamegraph --help'",
					    arg);
			*val = argv[++i];
			continue;
		}
		if (!strcmp(arg, "--width")) {
			char *end;
			long w;

			if (i + 1 >= argc)
				return fail("--width needs a value in pixels");
			errno = 0;
			w = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || w < 200 || w > 100000)
				return fail("--width '%s' is not a width in pixels between 200 "
					    "and 100000", argv[i]);
			o.width = (int)w;
			continue;
		}
		if (!strcmp(arg, "--diff")) {
			if (i + 2 >= argc)
				return fail("--diff needs two folded files: --diff A.folded "
					    "B.folded");
			diff_a = argv[++i];
			diff_b = argv[++i];
			continue;
		}
		if (arg[0] == '-' && arg[1])
			return fail("unknown option '%s'; see 'opscope flamegraph --help'", arg);
		if (in)
			return fail("one folded file at a time (got '%s' and '%s'); use --diff "
				    "A B to compare two", in, arg);
		in = arg;
	}
	if (!outp)
		return fail("no output file; add -o FILE.svg");
	if (diff_a && in)
		return fail("give either one folded file or --diff A B, not both ('%s')", in);
	if (!diff_a && !in)
		return fail("no input; give a folded file, or --diff A.folded B.folded");

	if (diff_a) {
		a = load(diff_a, &rc);
		if (a)
			b = load(diff_b, &rc);
		if (!a || !b)
			goto out;
		o.a_name = strrchr(diff_a, '/') ? strrchr(diff_a, '/') + 1 : diff_a;
		o.b_name = strrchr(diff_b, '/') ? strrchr(diff_b, '/') + 1 : diff_b;
		if (flamegraph_write_diff_file(outp, a, b, &o, err, sizeof(err))) {
			rc = fail("%s", err);
			goto out;
		}
		printf("wrote %s: %zu stacks in %s, %zu in %s\n", outp, folded_count(b), diff_b,
		       folded_count(a), diff_a);
	} else {
		a = load(in, &rc);
		if (!a)
			goto out;
		if (flamegraph_write_file(outp, a, &o, err, sizeof(err))) {
			rc = fail("%s", err);
			goto out;
		}
		printf("wrote %s: %zu stacks, total %" PRIu64 " %s\n", outp, folded_count(a),
		       folded_total(a), o.unit ? o.unit : "samples");
	}
out:
	folded_free(a);
	folded_free(b);
	return rc;
}
