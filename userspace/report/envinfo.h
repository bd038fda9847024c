/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The machine a run happened on, as a report records it (and compare checks), and the
 * process's own resident memory.
 */
#ifndef OPSCOPE_ENVINFO_H
#define OPSCOPE_ENVINFO_H

#include <stddef.h>
#include <stdint.h>

#ifndef OPSCOPE_VERSION
#define OPSCOPE_VERSION "0.1.0"
#endif

struct envinfo {
	char hostname[256];
	char kernel_release[128];
	char kernel_version[256];
	char arch[64];
	char cpu_model[256];
	char governor[64];   /* cpu0's cpufreq governor, "none" without cpufreq */
	int online_cpus;
	uint64_t mem_total;  /* bytes */
};

/* Fill e from uname, /proc and /sys; fields that cannot be read say "unknown". */
void envinfo_collect(struct envinfo *e);

/* Peak (VmHWM) and current (VmRSS) resident memory of this process, in bytes. */
int envinfo_rss(uint64_t *peak, uint64_t *cur);
/* Reset the peak to the current RSS (writes 5 to /proc/self/clear_refs). */
int envinfo_rss_reset_peak(void);

/* Parsers behind the above, pure for unit tests. */
int envinfo_parse_status(const char *text, uint64_t *hwm, uint64_t *rss);
/* "model name" (x86) or equivalent line of /proc/cpuinfo text into buf. */
int envinfo_parse_cpu_model(const char *text, char *buf, size_t len);

#endif
