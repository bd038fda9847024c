// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The process's resources from /proc and the CPU clocks; see procstat.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "workloads/procstat.h"

/* The value of "key:" at the start of a line of text, as an integer; -EINVAL if absent. */
static int status_field(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char *end;
		unsigned long long v;

		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		errno = 0;
		v = strtoull(p + klen + 1, &end, 10);
		if (errno || end == p + klen + 1)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}

int procstat_parse_status(const char *text, uint64_t *rss_bytes, uint64_t *threads)
{
	uint64_t kb;
	int err = status_field(text, "VmRSS", &kb);

	if (err)
		return err;
	*rss_bytes = kb * 1024;
	return status_field(text, "Threads", threads);
}

int procstat_parse_schedstat(const char *text, uint64_t *run_ns)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*run_ns = v;
	return 0;
}

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* Open descriptors, without the one that lists them. */
static int count_fds(uint64_t *n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	uint64_t c = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			c++;
	closedir(d);
	*n = c ? c - 1 : 0;
	return 0;
}

int procstat_sample(struct proc_sample *p)
{
	struct mallinfo2 mi;
	char buf[4096];
	int err;

	memset(p, 0, sizeof(*p));
	malloc_trim(0);
	mi = mallinfo2();
	p->heap_bytes = mi.uordblks + mi.hblkhd;
	err = read_text("/proc/self/status", buf, sizeof(buf));
	if (!err)
		err = procstat_parse_status(buf, &p->rss_bytes, &p->threads);
	if (!err)
		err = count_fds(&p->fds);
	p->ok = err == 0;
	return err;
}

int procstat_sample_settled(struct proc_sample *p, const struct proc_sample *before,
			    uint64_t settle_ns)
{
	struct timespec ms = { 0, 1000000 };
	uint64_t waited = 0;
	int err;

	for (;;) {
		err = procstat_sample(p);
		if (err || !before->ok || p->threads <= before->threads || waited >= settle_ns)
			return err;
		nanosleep(&ms, NULL);
		waited += 1000000;
	}
}

uint64_t procstat_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t procstat_task_cpu_ns(pid_t pid)
{
	char path[64], buf[256];
	uint64_t ns;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (read_text(path, buf, sizeof(buf)) || procstat_parse_schedstat(buf, &ns))
		return 0;
	return ns;
}
