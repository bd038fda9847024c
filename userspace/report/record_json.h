/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope record's machine-readable result, record.json (schema "opscope-record",
 * docs/REPORT_SCHEMA.md): every counter of every thread and their sums for the process,
 * in nanoseconds and counts, with what was lost and how the recording was made.
 */
#ifndef OPSCOPE_RECORD_JSON_H
#define OPSCOPE_RECORD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kernel/collector.h"
#include "report/record_text.h"

/* What the kernel said about the command record started, from wait4() once it exited. */
struct rec_rusage {
	uint64_t minflt, majflt, nvcsw, nivcsw;
	uint64_t utime_ns, stime_ns;
};

struct rec_info {
	int pid;
	char **cmd;               /* the command record started, NULL with -p */
	bool whole_life;          /* counted from the threads' birth (-- CMD), else from attach */
	int sys_mode;             /* enum ops_sys_mode */
	uint64_t duration_ns;
	const struct rec_rusage *rusage; /* NULL unless the command exited and was reaped */
	const struct collector_stats *st;
};

/* Writes the document to f; returns 0 or -errno (-EIO when a write failed). */
int rec_json_write(FILE *f, const struct rec_info *info, const struct rec_thread *t, size_t n);

#endif
