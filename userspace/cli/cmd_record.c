// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope record: account every thread of any process, with no help from it, until the
 * command exits, a duration passes, or Ctrl-C; then print one row per thread.
 *
 *	opscope record -p PID [-d 10s] [-o DIR]
 *	opscope record [-d 10s] [-o DIR] -- CMD ARGS...
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "report/record_text.h"
#include "stacks/profile.h"
#include "workloads/params.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
}

/* Final slots of threads that exited during the recording (the reaper thread adds). */
struct exited {
	pthread_mutex_t lock;
	struct ops_slot *v;
	size_t n, cap;
};

static void on_thread_exit(const struct ops_slot *s, void *arg)
{
	struct exited *ex = arg;

	pthread_mutex_lock(&ex->lock);
	if (ex->n == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 64;
		struct ops_slot *v = realloc(ex->v, cap * sizeof(*v));

		if (!v)
			goto out;
		ex->v = v;
		ex->cap = cap;
	}
	ex->v[ex->n++] = *s;
out:
	pthread_mutex_unlock(&ex->lock);
}

static void read_comm(int pid, uint32_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, tid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static int write_outputs(const char *dir, struct rec_thread *t, size_t n, double secs,
			 int sys_mode)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "opscope record: cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/record.txt", dir);
	snprintf(tmp, sizeof(tmp), "%s/.record.txt.tmp", dir);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "opscope record: cannot write %s: %s\n", tmp, strerror(errno));
		return -errno;
	}
	rec_table_print(f, t, n, secs, sys_mode);
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "opscope record: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static long self_peak_rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Prints the per-program table; returns the programs' run time in all, ns. */
static uint64_t print_prog_stats(struct collector *c)
{
	struct prog_stat ps[16];
	int n = collector_prog_stats(c, ps, 16);
	uint64_t total = 0;

	printf("%-22s %12s %10s %10s\n", "BPF PROGRAM", "RUNS", "NS/RUN", "MS");
	for (int i = 0; i < n; i++) {
		printf("%-22s %12lu %10.1f %10.2f\n", ps[i].name, (unsigned long)ps[i].run_cnt,
		       ps[i].run_cnt ? (double)ps[i].run_time_ns / ps[i].run_cnt : 0.0,
		       ps[i].run_time_ns / 1e6);
		total += ps[i].run_time_ns;
	}
	return total;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: opscope record -p PID [OPTIONS]\n"
		   "       opscope record [OPTIONS] -- CMD [ARGS...]\n"
		   "Accounts every thread of the process (not the processes it forks) until "
		   "it exits,\nDURATION passes or Ctrl-C.\n"
		   "  -d, --duration D   stop after D (500ms, 10s)\n"
		   "  -o, --out DIR      write record.txt (and stacks/ with --stacks) into DIR\n"
		   "  -s, --stacks       off-CPU, waker, page-fault stacks and on-CPU samples\n"
		   "  -F, --freq HZ      on-CPU sampling rate with --stacks (default 99, 0 off)\n"
		   "  -m, --min-block D  no stack walk for off-CPU intervals shorter than D "
		   "(default 50us)\n"
		   "  -b, --bpf-stats    time opscope's own BPF programs and print ns per run\n"
		   "      --syscalls M   time (default): count and time each syscall; count:\n"
		   "                     count them at entry, untimed (cheaper); off: neither\n"
		   "                     (cheapest; the syscall a thread blocked in is kept)\n"
		   "  -T                 the same as --syscalls count\n"
		   "      --hooks-only   attach the programs but have them do nothing: what the\n"
		   "                     kernel's hooks alone cost (for overhead measurements)\n"
		   "  -v, --verbose      show libbpf's messages\n");
}

int cmd_record(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stacks", no_argument, NULL, 's' },
		{ "freq", required_argument, NULL, 'F' },
		{ "min-block", required_argument, NULL, 'm' },
		{ "bpf-stats", no_argument, NULL, 'b' },
		{ "syscalls", required_argument, NULL, 'S' },
		{ "no-syscall-time", no_argument, NULL, 'T' },
		{ "hooks-only", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct exited ex = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct collector_opts opts = { .on_exit = on_thread_exit, .on_exit_arg = &ex };
	struct collector_stats st;
	struct collector *c = NULL;
	struct rec_thread *rows = NULL;
	struct profile *prof = NULL;
	const char *out = NULL;
	int64_t duration = 0;
	uint64_t t0;
	int pid = 0, child = 0, go[2] = { -1, -1 }, ex_err[2] = { -1, -1 }, ret = 2, opt;
	int status = 0;
	size_t nrows = 0;
	uint64_t prog_ns = 0;
	char err[512];
	double secs;

	optind = 1;
	opts.sample_hz = 99;
	opts.min_block_ns = 50000;
	while ((opt = getopt_long(argc, argv, "+:p:d:o:vhsF:m:bT", lo, NULL)) != -1) {
		char *end;
		long v;

		switch (opt) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v <= 0 || v > INT_MAX) {
				fprintf(stderr, "opscope record: -p wants a process id, not '%s'\n",
					optarg);
				return 2;
			}
			pid = (int)v;
			break;
		case 'd':
			if (param_parse_duration(optarg, &duration) || duration <= 0) {
				fprintf(stderr, "opscope record: -d wants a duration such as 500ms or "
						"10s, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 's':
			opts.stacks = opts.fault_stacks = opts.waker_stacks = true;
			break;
		case 'F':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 0 || v > 10000) {
				fprintf(stderr, "opscope record: -F wants a sampling rate from 0 to "
						"10000 Hz, not '%s'\n", optarg);
				return 2;
			}
			opts.sample_hz = (int)v;
			break;
		case 'm': {
			int64_t mb;

			if (param_parse_duration(optarg, &mb) || mb < 0) {
				fprintf(stderr, "opscope record: --min-block wants a duration such as "
						"0, 50us or 1ms, not '%s'\n", optarg);
				return 2;
			}
			opts.min_block_ns = (uint64_t)mb;
			break;
		}
		case 'b':
			opts.bpf_stats = true;
			break;
		case 'S':
			if (!strcmp(optarg, "time")) {
				opts.sys_mode = OPS_SYS_TIME;
			} else if (!strcmp(optarg, "count")) {
				opts.sys_mode = OPS_SYS_COUNT;
			} else if (!strcmp(optarg, "off")) {
				opts.sys_mode = OPS_SYS_OFF;
			} else {
				fprintf(stderr, "opscope record: --syscalls wants time, count or off, "
						"not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
			opts.sys_mode = OPS_SYS_COUNT;
			break;
		case 'H':
			opts.hooks_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return cmd_fail("record", "%s needs a value; see opscope record --help",
					argv[optind - 1]);
		default:
			return cmd_fail("record", "unknown option '%s'; see opscope record --help",
					argv[optind - 1]);
		}
	}
	if (!!pid == (optind < argc)) {
		fprintf(stderr, "opscope record: give either -p PID or -- CMD ARGS (one of them)\n");
		return 2;
	}
	if (pid && kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "opscope record: no process %d; check the id with ps\n", pid);
		return 2;
	}
	if (!pid) {
		/* Fork now, exec only once the collector runs, so nothing is missed. */
		if (pipe2(go, O_CLOEXEC) || pipe2(ex_err, O_CLOEXEC)) {
			fprintf(stderr, "opscope record: pipe: %s\n", strerror(errno));
			return 2;
		}
		child = fork();
		if (child < 0) {
			fprintf(stderr, "opscope record: fork: %s\n", strerror(errno));
			return 2;
		}
		if (child == 0) {
			char b;

			int e;

			close(go[1]);
			close(ex_err[0]);
			if (read(go[0], &b, 1) != 1)
				_exit(127);
			execvp(argv[optind], argv + optind);
			e = errno;
			if (write(ex_err[1], &e, sizeof(e)) != sizeof(e))
				_exit(127);
			_exit(127);
		}
		close(go[0]);
		close(ex_err[1]);
		pid = child;
	}
	opts.tgid = pid;
	c = collector_start(&opts, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "opscope record: %s\n", err);
		if (child) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
		}
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = ops_now_ns();
	if (child) {
		int e = 0;

		if (write(go[1], "g", 1) != 1)
			stop_flag = 1;
		close(go[1]);
		/* The error pipe closes on a successful exec, or carries exec's errno. */
		if (read(ex_err[0], &e, sizeof(e)) == sizeof(e)) {
			fprintf(stderr, "opscope record: cannot run '%s': %s; check the command "
					"name and PATH\n", argv[optind], strerror(e));
			close(ex_err[0]);
			collector_stop(c);
			waitpid(child, NULL, 0);
			return 2;
		}
		close(ex_err[0]);
	}
	if (opts.stacks)
		prof = profile_new(pid, opts.sample_hz);
	for (unsigned tick = 0; !stop_flag; tick++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		/* drain stacks early (the target's maps are read then) and every second */
		if (prof && (tick == 5 || tick % 50 == 49))
			profile_take(prof, c, "record");
		if (duration && ops_now_ns() - t0 >= (uint64_t)duration)
			break;
		if (child) {
			if (waitpid(child, &status, WNOHANG) == child) {
				child = 0;
				break;
			}
		} else if (kill(pid, 0) && errno == ESRCH) {
			break;
		}
		nanosleep(&ts, NULL);
	}
	secs = (ops_now_ns() - t0) / 1e9;
	if (prof && profile_take(prof, c, "record"))
		fprintf(stderr, "opscope record: could not read the stacks: out of memory\n");
	if (opts.bpf_stats)
		prog_ns = print_prog_stats(c);

	/* Live threads first (their slots), then stop, which reports the rest as exited. */
	{
		volatile struct ops_slot *sl = collector_slots(c);
		uint32_t used = collector_slots_used(c);

		rows = calloc(used + 1, sizeof(*rows));
		for (uint32_t i = 0; rows && i < used; i++) {
			if (!sl[i].tid || sl[i].tgid != (uint32_t)pid || sl[i].state == OPS_T_EXITED)
				continue;
			rows[nrows].s = *(const struct ops_slot *)&sl[i];
			if (rows[nrows].s.state == OPS_T_RUNNING)
				rows[nrows].s.on_ns += ops_now_ns() - rows[nrows].s.in_ts;
			read_comm(pid, rows[nrows].s.tid, rows[nrows].comm, sizeof(rows[nrows].comm));
			nrows++;
		}
	}
	collector_get_stats(c, &st);
	collector_stop(c);
	if (rows && ex.n) {
		struct rec_thread *r = realloc(rows, (nrows + ex.n) * sizeof(*rows));

		if (r) {
			rows = r;
			for (size_t i = 0; i < ex.n; i++, nrows++) {
				rows[nrows].s = ex.v[i];
				rows[nrows].exited = true;
				snprintf(rows[nrows].comm, sizeof(rows[nrows].comm), "%.15s",
					 (const char *)ex.v[i].comm);
			}
		}
	}
	if (!rows) {
		fprintf(stderr, "opscope record: out of memory\n");
		goto out;
	}
	rec_table_print(stdout, rows, nrows, secs, opts.sys_mode);
	if (opts.hooks_only)
		printf("hooks only: the programs ran and returned at once, nothing was accounted\n");
	if (opts.bpf_stats) {
		uint64_t on = 0;

		for (size_t i = 0; i < nrows; i++)
			on += rows[i].s.on_ns;
		/* the programs also run, and return early, for every other process's events */
		printf("cost: opscope's programs ran %.2f ms in all (every process's events), "
		       "%.1f%% of the target's %.1f ms on-CPU\n", prog_ns / 1e6,
		       on ? 100.0 * (double)prog_ns / (double)on : 0.0, on / 1e6);
	}
	printf("losses: %lu threads found no slot, %lu tid-map failures, %lu program runs "
	       "skipped; %lu unseen switches repaired\n",
	       (unsigned long)st.slots_full, (unsigned long)st.tid_map_full,
	       (unsigned long)st.prog_misses, (unsigned long)st.missed_switches);
	printf("opscope itself: load+attach %.1f ms, peak RSS %.1f MiB; %lu threads were already "
	       "running (counted from first sight)\n", st.load_ms, self_peak_rss_kb() / 1024.0,
	       (unsigned long)st.late_threads);
	if (prof) {
		struct profile_stats ps;

		profile_get_stats(prof, &ps);
		printf("stacks: %lu counted, %lu on-CPU samples; lost: %lu walks failed, %lu "
		       "(stack table full), %lu (count table full), %lu missing\n",
		       (unsigned long)ps.entries, (unsigned long)st.samples,
		       (unsigned long)st.stack_fail, (unsigned long)st.stacks_full,
		       (unsigned long)st.keys_full, (unsigned long)ps.missing_stacks);
	}
	ret = 0;
	if (out && write_outputs(out, rows, nrows, secs, opts.sys_mode))
		ret = 2;
	if (out && prof && ret == 0) {
		if (profile_write(prof, out, err, sizeof(err))) {
			fprintf(stderr, "opscope record: %s\n", err);
			ret = 2;
		} else {
			struct profile_stats ps;

			profile_get_stats(prof, &ps);
			printf("stacks: %lu files, %lu bytes in %s/stacks/, symbolized in %.1f ms\n",
			       (unsigned long)ps.files, (unsigned long)ps.bytes, out,
			       ps.symbolize_ms);
			if (ps.short_user)
				printf("note: %lu of %lu user stacks look cut short: a library on "
				       "them was built without frame pointers\n",
				       (unsigned long)ps.short_user, (unsigned long)ps.user_seen);
		}
	}
out:
	if (child) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	profile_free(prof);
	free(rows);
	free(ex.v);
	return ret;
}
