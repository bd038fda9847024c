/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An output directory (`run --out DIR`, `record -o DIR`): checked before anything runs,
 * then assembled whole in a staging directory next to it (report.json, report.txt,
 * report.html, bench.txt, trace.json, stacks/, or record.txt) and put in place by one
 * rename, so DIR holds the earlier output or the complete new one, never a mix. A DIR
 * that exists is replaced only when it is empty or is an earlier opscope output: it
 * carries the marker util/files.h describes and nothing that marker does not list. Of the
 * earlier output only the listed files are removed. Errors come back as one sentence in
 * err (functions prefixed outdir_).
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
	char path[PATH_MAX];          /* final, without trailing slash */
	char parent[PATH_MAX];
	char base[NAME_MAX + 1];      /* its name in parent */
	char tmp[PATH_MAX + NAME_MAX + 2]; /* the staging directory's path, "" when none */
	char tmpname[NAME_MAX + 1];
	int parentfd, tmpfd;          /* valid while held */
	bool held;                    /* outdir_check succeeded: outdir_release frees */
	bool exists;
	/* more files of the caller's (record.txt of `opscope record`), written into the
	 * staging directory dir with the others; NULL for none. 0 or -errno (err set). */
	int (*extra)(const char *dir, void *arg, char *err, size_t errlen);
	void *extra_arg;
};

/*
 * Check that out can become the output directory: its parent exists and is writable, and
 * out is missing, empty, or an earlier output. Staging directories an interrupted opscope
 * left beside it are removed. Returns 0 or -errno (err set); on 0, outdir_release later.
 */
int outdir_check(const char *out, struct outdir *d, char *err, size_t errlen);

/* Make the staging directory (d->tmp, d->tmpfd): write the files there. */
int outdir_begin(struct outdir *d, char *err, size_t errlen);
/*
 * Mark what was written and put it in place, replacing an earlier output (checked again
 * now) and removing that one's files. On failure nothing of the new output is left.
 */
int outdir_finish(struct outdir *d, char *err, size_t errlen);
/* Remove the staging directory, if any. */
void outdir_abort(struct outdir *d);
/* Abort if needed and close what outdir_check opened. Safe on a zeroed struct. */
void outdir_release(struct outdir *d);

/*
 * The files in one call: begin, write (the report's files only with r, stacks/ only with
 * prof, trace.json only with trace, then d->extra; writing the stacks fills in r's stack
 * counts), finish. Returns 0 or -errno (err set).
 */
int outdir_commit(struct outdir *d, struct report *r, struct profile *prof,
		  const struct ex_trace *trace, char *err, size_t errlen);

#endif
