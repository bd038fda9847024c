/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* opscope record's per-thread table: one row per thread, 100 columns. */
#ifndef OPSCOPE_RECORD_TEXT_H
#define OPSCOPE_RECORD_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "opscope.h"

struct rec_thread {
	struct ops_slot s;
	char comm[16];
	bool exited;
};

/* Sorts t by on-CPU time and prints the table (100 columns) with a total line. sys_mode
 * (enum ops_sys_mode) says how syscalls were accounted: the SYSCALL column shows "-"
 * when they were not, and a last line says so. */
void rec_table_print(FILE *f, struct rec_thread *t, size_t n, double secs, int sys_mode);

/* record -f: one row per process (the threads' tgid), the same columns summed over its
 * threads, largest on-CPU first, and a total line; a process is named by its leader's
 * row, else its first thread's. */
void rec_process_print(FILE *f, const struct rec_thread *t, size_t n, int sys_mode);

#endif
