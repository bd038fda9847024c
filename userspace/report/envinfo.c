// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Environment facts and RSS; see envinfo.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "report/envinfo.h"

/* Read a small file into buf (NUL-terminated); returns bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n, off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)off < len - 1) {
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		off += n;
	}
	close(fd);
	buf[off] = '\0';
	return off;
}

static void strip_nl(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* The first line of text that starts with key followed by one of the characters of after. */
static const char *find_line(const char *text, const char *key, const char *after)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] && strchr(after, p[klen]))
			return p;
	return NULL;
}

/* Value in kB of "Key:   123 kB" in /proc status-style text, as bytes. */
static int kb_field(const char *text, const char *key, uint64_t *out)
{
	const char *p = find_line(text, key, ":"), *num;
	char *end;
	unsigned long long v;

	if (!p)
		return -ENOENT;
	num = p + strlen(key) + 1;
	v = strtoull(num, &end, 10);
	if (end == num)
		return -EINVAL;
	*out = (uint64_t)v * 1024;
	return 0;
}

int envinfo_parse_status(const char *text, uint64_t *hwm, uint64_t *rss)
{
	int err = kb_field(text, "VmHWM", hwm);

	return err ? err : kb_field(text, "VmRSS", rss);
}

int envinfo_parse_cpu_model(const char *text, char *buf, size_t len)
{
	static const char *const keys[] = { "model name", "Model", "cpu model", "Hardware" };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *p = find_line(text, keys[k], "\t :"), *e, *v;

		if (!p)
			continue;
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		/* the value follows the colon of this line */
		v = memchr(p, ':', (size_t)(e - p));
		if (!v)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		snprintf(buf, len, "%.*s", (int)(e - v), v);
		return 0;
	}
	return -ENOENT;
}

int envinfo_rss(uint64_t *peak, uint64_t *cur)
{
	char buf[8192];
	ssize_t n = read_small("/proc/self/status", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return envinfo_parse_status(buf, peak, cur);
}

int envinfo_rss_reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "5", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

void envinfo_collect(struct envinfo *e)
{
	static char cpuinfo[65536];
	struct utsname u;
	char buf[256];
	long n;

	memset(e, 0, sizeof(*e));
	if (uname(&u) == 0) {
		snprintf(e->kernel_release, sizeof(e->kernel_release), "%s", u.release);
		snprintf(e->kernel_version, sizeof(e->kernel_version), "%s", u.version);
		snprintf(e->arch, sizeof(e->arch), "%.63s", u.machine);
	} else {
		strcpy(e->kernel_release, "unknown");
		strcpy(e->kernel_version, "unknown");
		strcpy(e->arch, "unknown");
	}
	if (gethostname(e->hostname, sizeof(e->hostname)) != 0)
		strcpy(e->hostname, "unknown");
	e->hostname[sizeof(e->hostname) - 1] = '\0';

	if (read_small("/proc/cpuinfo", cpuinfo, sizeof(cpuinfo)) < 0 ||
	    envinfo_parse_cpu_model(cpuinfo, e->cpu_model, sizeof(e->cpu_model)) != 0)
		strcpy(e->cpu_model, "unknown");

	n = sysconf(_SC_NPROCESSORS_ONLN);
	e->online_cpus = n > 0 ? (int)n : 1;

	if (read_small("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf,
		       sizeof(buf)) > 0) {
		strip_nl(buf);
		snprintf(e->governor, sizeof(e->governor), "%s", buf);
	} else {
		strcpy(e->governor, "none");
	}

	if (read_small("/proc/meminfo", buf, sizeof(buf)) < 0 ||
	    kb_field(buf, "MemTotal", &e->mem_total) != 0)
		e->mem_total = 0;
}
