/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The process's own resources (prefix procstat_): resident memory as the kernel counts it
 * (VmRSS), the bytes malloc has handed out and not taken back (mallinfo2: in use in its
 * arenas plus mapped chunks), open file descriptors (/proc/self/fd), threads (Threads:),
 * CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID, what getrusage sums, in ns)
 * and of a single-threaded child (/proc/PID/schedstat). The parsers are pure, for tests.
 */
#ifndef OPSCOPE_PROCSTAT_H
#define OPSCOPE_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_sample {
	bool ok;
	uint64_t rss_bytes, heap_bytes, fds, threads;
};

/*
 * Sample RSS, fds and threads now. The allocator first returns the free memory it keeps
 * (malloc_trim), so that RSS counts what is allocated. 0, or -errno (p->ok false).
 */
int procstat_sample(struct proc_sample *p);
/*
 * The same after threads were joined: a joined thread leaves the kernel's thread count a
 * little after pthread_join returns (it is still exiting), so while more threads than in
 * prev are counted, read again, every millisecond for at most settle_ns. A leaked thread
 * stays; a finished one is gone within that time even on a loaded machine.
 */
int procstat_sample_settled(struct proc_sample *p, const struct proc_sample *prev,
			    uint64_t settle_ns);

/* CPU time of this process, all threads, ns. */
uint64_t procstat_cpu_ns(void);
/* CPU time of a single-threaded process (a forked worker), ns; 0 when it cannot be read. */
uint64_t procstat_task_cpu_ns(pid_t pid);

/* "VmRSS:" in bytes and "Threads:" of /proc/.../status text. 0 or -EINVAL. */
int procstat_parse_status(const char *text, uint64_t *rss_bytes, uint64_t *threads);
/* The first field of /proc/.../schedstat (run time, ns). 0 or -EINVAL. */
int procstat_parse_schedstat(const char *text, uint64_t *run_ns);

#endif
