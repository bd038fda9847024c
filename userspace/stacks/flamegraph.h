/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * SVG flame graphs rendered by opscope itself from folded stacks: one self-contained
 * file with a little embedded JavaScript (hover details, click to zoom, search), no
 * external script. Root at the bottom, frame width proportional to its value, frames
 * coloured by kind: user, kernel (_[k]), unnamed (module+0x..), opscope tag frames
 * (scenario=, op=, thread=).
 *
 * The differential graph takes two folded inputs, A (before) and B (after): frame
 * widths are B's values; colour says how each frame's inclusive value changed from A to
 * B after scaling A to B's total: red grew, blue shrank, white unchanged, the stronger
 * the larger the change relative to the largest one. Stacks only in A have no width in
 * B and are counted in the subtitle instead of drawn.
 */
#ifndef OPSCOPE_FLAMEGRAPH_H
#define OPSCOPE_FLAMEGRAPH_H

#include <stdio.h>

struct folded;

struct flamegraph_opts {
	const char *title;    /* NULL: "Flame Graph" or "Differential Flame Graph" */
	const char *subtitle; /* extra words before the totals, e.g. the scenario; NULL none */
	const char *unit;     /* what values count: "samples" (default), "ns", "faults" */
	int width;            /* image width in px; 0 means 1200 */
	double min_width;     /* frames narrower than this many px are left out; 0: 0.1 */
	const char *a_name;   /* diff only: labels of the two inputs; NULL "A" / "B" */
	const char *b_name;
};

/* Frames drawn and left out (too narrow) by the last write; for tests and messages. */
struct flamegraph_stats {
	unsigned long frames;
	unsigned long omitted;
	unsigned long only_in_a; /* diff: stacks of A absent from B */
};

int flamegraph_write(FILE *out, struct folded *f, const struct flamegraph_opts *o,
		     struct flamegraph_stats *st);
int flamegraph_write_diff(FILE *out, struct folded *a, struct folded *b,
			  const struct flamegraph_opts *o, struct flamegraph_stats *st);

/* The same into a file, atomically; err gets one sentence on failure. */
int flamegraph_write_file(const char *path, struct folded *f, const struct flamegraph_opts *o,
			  char *err, size_t errlen);
int flamegraph_write_diff_file(const char *path, struct folded *a, struct folded *b,
			       const struct flamegraph_opts *o, char *err, size_t errlen);

/* XML-escape text (& < > " ' and control bytes; invalid UTF-8 becomes '?'). */
void svg_escape(FILE *out, const char *s, size_t len);

#endif /* OPSCOPE_FLAMEGRAPH_H */
