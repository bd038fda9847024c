/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A run's output directory (`run --out DIR`): checked before anything runs, then
 * assembled whole in a temp directory next to it (report.json, report.txt, report.html,
 * bench.txt, trace.json, stacks/) and renamed into place, so DIR holds the earlier output or the
 * complete new one, never a mix. A DIR that exists is replaced only when it is empty or
 * holds a report.json. Errors come back as one sentence in err (functions prefixed
 * outdir_).
 */
#ifndef OPSCOPE_OUTDIR_H
#define OPSCOPE_OUTDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct report;
struct profile;
struct ex_trace;

struct outdir {
	char path[PATH_MAX];   /* final, without trailing slash */
	char parent[PATH_MAX];
	char tmp[PATH_MAX];    /* the temp directory being assembled, "" when none */
	bool exists;
	/* more files of the caller's (record.txt of `opscope record`), written into the
	 * temp directory dir with the others; NULL for none. 0 or -errno (err set). */
	int (*extra)(const char *dir, void *arg, char *err, size_t errlen);
	void *extra_arg;
};

/*
 * Check that out can become the output directory: its parent exists and is writable, and
 * out is missing, empty, or an earlier output (a report.json, or the record.txt of
 * `opscope record`). Returns 0 or -errno (err set).
 */
int outdir_check(const char *out, struct outdir *d, char *err, size_t errlen);

/*
 * Write the run's files into a temp directory beside d->path and rename it into place
 * (stacks/ only with prof, trace.json only with trace; writing the stacks fills in r's
 * stack counts). On failure nothing of the new output is left. Returns 0 or -errno (err
 * set).
 */
int outdir_commit(struct outdir *d, struct report *r, struct profile *prof,
		  const struct ex_trace *trace, char *err, size_t errlen);

#endif
