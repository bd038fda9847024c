// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Machine noise per repetition (noise.h): /proc/stat's CPU times and procs_running, this
 * process's threads and its children (from /proc/self/task/ * /children) read the same
 * way, the load average; the medians of a run and the comparison of two runs.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stats/noise.h"
#include "stats/signif.h"

#define MAX_CHILDREN 256

static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, off = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)off < len - 1) {
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	close(fd);
	buf[off] = '\0';
	return off;
}

int noise_parse_stat(const char *text, uint64_t *busy, uint64_t *total, uint64_t *steal,
		     int *procs_running)
{
	unsigned long long v[8] = { 0 };
	const char *pr;

	/* cpu  user nice system idle iowait irq softirq steal [guest guest_nice] */
	if (strncmp(text, "cpu ", 4) ||
	    sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
		return -EINVAL;
	/* guest time is already in user */
	*busy = v[0] + v[1] + v[2] + v[5] + v[6];
	*steal = v[7];
	*total = *busy + v[3] + v[4] + v[7];
	pr = strstr(text, "\nprocs_running ");
	*procs_running = pr ? atoi(pr + 15) : -1;
	return 0;
}

int noise_parse_pidstat(const char *line, char *state, uint64_t *ticks)
{
	/* "PID (comm) S ppid ... utime stime": comm may hold spaces and parentheses */
	const char *p = strrchr(line, ')');
	unsigned long long ut, st;

	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	*state = p[2];
	/* after the state: ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime */
	if (sscanf(p + 3, "%*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	*ticks = ut + st;
	return 0;
}

/* Our children's pids (each thread's children file; CONFIG_PROC_CHILDREN), at most max. */
static int children(int *pids, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[64], buf[4096];
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char *p, *end;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/children", e->d_name);
		if (read_text(path, buf, sizeof(buf)) <= 0)
			continue;
		for (p = buf; n < max; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			pids[n++] = (int)v;
		}
	}
	closedir(d);
	return n;
}

/* Runnable threads of a task directory ("/proc/self/task", "/proc/PID/task"). */
static int running_in(const char *taskdir)
{
	DIR *d = opendir(taskdir);
	struct dirent *e;
	char path[300], buf[1024], state;
	uint64_t ticks;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%.16s/stat", taskdir, e->d_name);
		if (read_text(path, buf, sizeof(buf)) > 0 &&
		    !noise_parse_pidstat(buf, &state, &ticks) && state == 'R')
			n++;
	}
	closedir(d);
	return n;
}

int noise_snap_take(struct noise_snap *s)
{
	char buf[8192], path[64];
	int pids[MAX_CHILDREN], n;
	uint64_t t;
	char st;

	memset(s, 0, sizeof(*s));
	if (read_text("/proc/stat", buf, sizeof(buf)) <= 0 ||
	    noise_parse_stat(buf, &s->busy, &s->total, &s->steal, &s->procs_running))
		return -EIO;
	if (read_text("/proc/self/stat", buf, sizeof(buf)) <= 0 ||
	    noise_parse_pidstat(buf, &st, &s->ours))
		return -EIO;
	n = children(pids, MAX_CHILDREN);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pids[i]);
		if (read_text(path, buf, sizeof(buf)) > 0 && !noise_parse_pidstat(buf, &st, &t))
			s->ours += t;
	}
	s->ok = true;
	return 0;
}

void noise_begin(struct noise_acc *a)
{
	memset(a, 0, sizeof(*a));
	noise_snap_take(&a->start);
}

void noise_sample(struct noise_acc *a)
{
	char buf[8192], taskdir[64];
	int pids[MAX_CHILDREN], n, ours, running;
	uint64_t busy, total, steal;

	if (read_text("/proc/stat", buf, sizeof(buf)) <= 0 ||
	    noise_parse_stat(buf, &busy, &total, &steal, &running) || running < 0)
		return;
	ours = running_in("/proc/self/task");
	n = children(pids, MAX_CHILDREN);
	for (int i = 0; i < n; i++) {
		snprintf(taskdir, sizeof(taskdir), "/proc/%d/task", pids[i]);
		ours += running_in(taskdir);
	}
	/* the two readings are not one instant: a thread of ours may have started running
	 * in between, so never below zero */
	a->runnable_sum += running > ours ? running - ours : 0;
	a->samples++;
}

void noise_between(const struct noise_snap *a, const struct noise_snap *b, int ncpus,
		   struct rep_noise *out)
{
	double total, busy, ours;

	memset(out, 0, sizeof(*out));
	if (!a->ok || !b->ok || b->total <= a->total || ncpus <= 0)
		return;
	total = (double)(b->total - a->total);
	busy = (double)(b->busy - a->busy);
	ours = b->ours >= a->ours ? (double)(b->ours - a->ours) : 0;
	out->other_cpus = busy > ours ? (busy - ours) / total * ncpus : 0;
	out->steal_pct = (double)(b->steal - a->steal) / total * 100.0;
	out->valid = true;
}

void noise_end(struct noise_acc *a, int ncpus, struct rep_noise *out)
{
	struct noise_snap end;
	char buf[256];

	noise_snap_take(&end);
	noise_between(&a->start, &end, ncpus, out);
	out->samples = a->samples;
	out->other_runnable = a->samples ? a->runnable_sum / a->samples : NAN;
	out->load1 = NAN;
	if (read_text("/proc/loadavg", buf, sizeof(buf)) > 0)
		out->load1 = strtod(buf, NULL);
}

/* Median of one field over the valid repetitions (NaN when none). */
static double field_median(const struct rep_noise *v, int n, size_t off)
{
	double *t = malloc((size_t)(n > 0 ? n : 1) * sizeof(*t)), m;
	int k = 0;

	if (!t)
		return NAN;
	for (int i = 0; i < n; i++) {
		double x = *(const double *)((const char *)&v[i] + off);

		if (v[i].valid && isfinite(x))
			t[k++] = x;
	}
	m = signif_median(t, k);
	free(t);
	return m;
}

void noise_summarize(const struct rep_noise *v, int n, int ncpus, struct noise_summary *out)
{
	int off = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++)
		out->n += v[i].valid;
	out->other_cpus = field_median(v, n, offsetof(struct rep_noise, other_cpus));
	out->other_runnable = field_median(v, n, offsetof(struct rep_noise, other_runnable));
	out->steal_pct = field_median(v, n, offsetof(struct rep_noise, steal_pct));
	out->load1 = field_median(v, n, offsetof(struct rep_noise, load1));
	if (!out->n || ncpus <= 0)
		return;
	if (out->other_cpus >= NOISY_OTHER_CPUS * ncpus)
		off += snprintf(out->why + off, sizeof(out->why) - off, "%sother processes "
				"used %.2f CPUs (of %d)", off ? "; " : "", out->other_cpus, ncpus);
	if (isfinite(out->other_runnable) && out->other_runnable >= NOISY_RUNNABLE * ncpus &&
	    off < (int)sizeof(out->why))
		off += snprintf(out->why + off, sizeof(out->why) - off, "%s%.1f tasks not "
				"ours runnable", off ? "; " : "", out->other_runnable);
	if (out->steal_pct >= NOISY_STEAL_PCT && off < (int)sizeof(out->why))
		snprintf(out->why + off, sizeof(out->why) - off, "%shypervisor steal %.1f%%",
			 off ? "; " : "", out->steal_pct);
	out->noisy = out->why[0] != '\0';
}

/* One measure of the noise over the repetitions of each run: moved beyond doubt and by
 * at least min? Writes the medians. */
static bool measure_moved(const struct rep_noise *a, int na, const struct rep_noise *b,
			  int nb, size_t off, double min, double *ma, double *mb)
{
	double *x = malloc((size_t)(na + nb + 1) * sizeof(*x)), *y;
	struct welch w;
	int nx = 0, ny = 0;
	bool moved = false;

	*ma = *mb = NAN;
	if (!x)
		return false;
	y = x + na;
	for (int i = 0; i < na; i++) {
		double v = *(const double *)((const char *)&a[i] + off);

		if (a[i].valid && isfinite(v))
			x[nx++] = v;
	}
	for (int i = 0; i < nb; i++) {
		double v = *(const double *)((const char *)&b[i] + off);

		if (b[i].valid && isfinite(v))
			y[ny++] = v;
	}
	*ma = signif_median(x, nx);
	*mb = signif_median(y, ny);
	if (nx && ny && fabs(*mb - *ma) >= min && fabs(*mb - *ma) >= CHANGED_REL * fabs(*ma)) {
		/* few repetitions (an older or a short run): the medians must do */
		moved = nx < 3 || ny < 3 ||
			(!signif_welch(x, nx, y, ny, 0.95, &w) && w.p < CHANGED_P);
	}
	free(x);
	return moved;
}

bool noise_changed(const struct rep_noise *a, int na, const struct rep_noise *b, int nb,
		   int ncpus, char *why, int whylen)
{
	double ma, mb;
	int off = 0;

	why[0] = '\0';
	if (ncpus <= 0)
		return false;
	if (measure_moved(a, na, b, nb, offsetof(struct rep_noise, other_cpus),
			  CHANGED_OTHER_CPUS * ncpus, &ma, &mb))
		off += snprintf(why + off, whylen - off, "other processes used %.2f CPUs in the "
				"baseline, %.2f now", ma, mb);
	if (measure_moved(a, na, b, nb, offsetof(struct rep_noise, other_runnable),
			  CHANGED_RUNNABLE * ncpus, &ma, &mb) && off < whylen)
		off += snprintf(why + off, whylen - off, "%stasks not ours runnable: %.1f in the "
				"baseline, %.1f now", off ? "; " : "", ma, mb);
	if (measure_moved(a, na, b, nb, offsetof(struct rep_noise, steal_pct),
			  CHANGED_STEAL_PCT, &ma, &mb) && off < whylen)
		snprintf(why + off, whylen - off, "%shypervisor steal %.1f%% in the baseline, "
			 "%.1f%% now", off ? "; " : "", ma, mb);
	return why[0] != '\0';
}
