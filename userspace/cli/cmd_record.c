// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope record: account every thread of any process, with no help from it, until the
 * command exits, a duration passes, or Ctrl-C; then print one row per thread.
 *
 *	opscope record -p PID [-f] [-d 10s] [-o DIR]
 *	opscope record [-f] [-d 10s] [-o DIR] -- CMD ARGS...
 *
 * -f follows the processes the target forks from the start of the recording on (a build,
 * a pre-forking server), and theirs: their threads get rows too, and a table per process
 * sums them.
 *
 * A program that marks its own operations with libopscope (docs/INSTRUMENTING.md) is
 * attached too (kernel/attach.h): its operations become the same outputs as `opscope run`
 * gives (report.txt's tables, report.json, bench.txt, trace.json), one scenario per op
 * kind.
 *
 * Life cycle, one function per step on a struct rec_session (cmd_record, at the end, is
 * the list): parse_args (-o DIR checked here, before anything runs) -> start_target
 * (check -p PID, or fork CMD and hold it before exec; it dies with record) ->
 * start_collector -> start_marks (listen; -p: tell the program) -> start_recording (CMD
 * may exec now, told where opscope listens) -> record_until_done -> print_prog_stats (-b)
 * -> stop_marks -> take_waits (--why) -> collect_threads -> print_summary -> report_marks
 * (the program's ops, if any) -> write_outputs (-o) -> end_session (a CMD still running
 * gets SIGTERM, then SIGKILL after a grace period).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "kernel/attach.h"
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "report/envinfo.h"
#include "report/outdir.h"
#include "report/record_json.h"
#include "report/record_text.h"
#include "report/report.h"
#include "stacks/profile.h"
#include "stats/exemplar.h"
#include "stats/waitfor.h"
#include "util/files.h"
#include "workloads/marks.h"
#include "workloads/params.h"

/* How long a command we started has to exit after SIGTERM before it gets SIGKILL. */
#define TERM_GRACE_NS 3000000000ull

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
		   "Accounts every thread of the process until it exits, DURATION passes or\n"
		   "Ctrl-C; with -f also the processes it forks, and theirs.\n"
		   "A program that marks its operations with libopscope (docs/INSTRUMENTING.md)\n"
		   "also gets their latency and kernel breakdown, as opscope run gives.\n"
		   "  -d, --duration D   stop after D (500ms, 10s)\n"
		   "  -f, --follow       also account the processes the target forks from now\n"
		   "                     on, and theirs; a table per process sums their threads\n"
		   "  -o, --out DIR      write record.txt and record.json (and stacks/ with\n"
		   "                     --stacks) into DIR; with marks also report.json,\n"
		   "                     report.txt, bench.txt, trace.json (DIR, new or an\n"
		   "                     earlier opscope output, is replaced whole, as opscope\n"
		   "                     run does)\n"
		   "  -n, --name NAME    the program's name in scenario ids (default: its comm)\n"
		   "  -r, --rep D        marks: a repetition every D (so that compare can test\n"
		   "                     significance); default one over the whole recording\n"
		   "  -s, --stacks       off-CPU, waker, page-fault stacks and on-CPU samples\n"
		   "  -F, --freq HZ      on-CPU sampling rate with --stacks (default 99, 0 off)\n"
		   "  -m, --min-block D  no stack walk for off-CPU intervals shorter than D "
		   "(default 50us)\n"
		   "  -b, --bpf-stats    time opscope's own BPF programs and print ns per run\n"
		   "      --syscalls M   time (default): count and time each syscall; count:\n"
		   "                     count them at entry, untimed (cheaper); off: neither\n"
		   "                     (cheapest; the syscall a thread blocked in is kept)\n"
		   "  -T                 the same as --syscalls count\n"
		   "      --why          who ended each wait (the wakeup programs of run --why):\n"
		   "                     marks get the why per op kind and band, and the\n"
		   "                     program's wait-for graph (DIR/waitfor/ with -o)\n"
		   "      --hooks-only   attach the programs but have them do nothing: what the\n"
		   "                     kernel's hooks alone cost (for overhead measurements)\n"
		   "  -v, --verbose      show libbpf's messages\n");
}

/* The recorded program's resident memory, sampled every tick: peak and median. */
#define RSS_SAMPLES 4096
struct rss {
	uint64_t peak;
	int n;
	uint64_t v[RSS_SAMPLES];
};

/* Everything one `opscope record` holds from parsing to exit, released in one place. */
struct rec_session {
	/* the command line */
	struct collector_opts opts;
	const char *out;             /* -o DIR, or NULL */
	int64_t duration;            /* -d, ns; 0: until the target exits or a signal */
	char **cmd;                  /* -- CMD ARGS..., or NULL with -p */
	/* the target */
	int pid;
	int child;                   /* the command we started, until it is reaped; or 0 */
	int go_fd;                   /* a byte written here lets the child exec */
	int exec_err_fd;             /* closes on a good exec, or carries exec's errno */
	/* the recording */
	struct exited ex;            /* final slots of threads that exited meanwhile */
	struct collector *c;         /* until stopped */
	struct profile *prof;        /* -s only */
	struct sigaction old_int, old_term;
	bool catching_signals;
	uint64_t t0;
	double secs;
	uint64_t prog_ns;            /* -b: the programs' run time in all */
	struct collector_stats st;
	struct rec_thread *rows;     /* one per thread: live ones, then exited ones */
	size_t nrows;
	struct rec_rusage ru;        /* the command's, from wait4() when it exited */
	bool have_ru;
	/* the program's own operations (libopscope) */
	int argc;
	char **argv;
	const char *name;            /* --name, or NULL: its comm */
	int64_t rep_ns;              /* --rep: a repetition's length, 0 one in all */
	struct outdir od;            /* -o DIR, checked before anything runs */
	struct marks *marks;
	struct attach *att;          /* NULL when attaching could not even start */
	struct attach_stats ast;
	uint64_t t_end;
	struct rss rss;              /* the program's RSS, sampled as it runs */
	char program[64];            /* its name in scenario ids */
	struct report *rep;          /* when it marked operations */
	struct ex_trace *trace;
	struct waitfor *wf;          /* --why: the waits counted in the kernel */
};

static int parse_int_arg(const char *arg, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(arg, &end, 10);
	return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

/* Returns 0, 1 after --help (exit 0), or 2 after a message. */
static int parse_args(int argc, char **argv, struct rec_session *s)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "follow", no_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stacks", no_argument, NULL, 's' },
		{ "freq", required_argument, NULL, 'F' },
		{ "min-block", required_argument, NULL, 'm' },
		{ "bpf-stats", no_argument, NULL, 'b' },
		{ "syscalls", required_argument, NULL, 'S' },
		{ "no-syscall-time", no_argument, NULL, 'T' },
		{ "hooks-only", no_argument, NULL, 'H' },
		{ "why", no_argument, NULL, 'Y' },
		{ "name", required_argument, NULL, 'n' },
		{ "rep", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char err[512];
	struct collector_opts *opts = &s->opts;
	int64_t mb;
	long v;
	int opt;

	optind = 1;
	opts->sample_hz = 99;
	opts->min_block_ns = 50000;
	while ((opt = getopt_long(argc, argv, "+:p:d:fo:vhsF:m:bTn:r:", lo, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_int_arg(optarg, 1, INT_MAX, &v))
				return cmd_fail("record", "-p wants a process id, not '%s'",
						optarg);
			s->pid = (int)v;
			break;
		case 'd':
			if (param_parse_duration(optarg, &s->duration) || s->duration <= 0)
				return cmd_fail("record", "-d wants a duration such as 500ms or "
						"10s, not '%s'", optarg);
			break;
		case 'o': s->out = optarg; break;
		case 'f': opts->follow = true; break;
		case 'v': opts->verbose = true; break;
		case 's': opts->stacks = opts->fault_stacks = opts->waker_stacks = true; break;
		case 'F':
			if (parse_int_arg(optarg, 0, 10000, &v))
				return cmd_fail("record", "-F wants a sampling rate from 0 to "
						"10000 Hz, not '%s'", optarg);
			opts->sample_hz = (int)v;
			break;
		case 'm':
			if (param_parse_duration(optarg, &mb) || mb < 0)
				return cmd_fail("record", "--min-block wants a duration such as 0, "
						"50us or 1ms, not '%s'", optarg);
			opts->min_block_ns = (uint64_t)mb;
			break;
		case 'b': opts->bpf_stats = true; break;
		case 'S':
			if (!strcmp(optarg, "time"))
				opts->sys_mode = OPS_SYS_TIME;
			else if (!strcmp(optarg, "count"))
				opts->sys_mode = OPS_SYS_COUNT;
			else if (!strcmp(optarg, "off"))
				opts->sys_mode = OPS_SYS_OFF;
			else
				return cmd_fail("record", "--syscalls wants time, count or off, "
						"not '%s'", optarg);
			break;
		case 'T': opts->sys_mode = OPS_SYS_COUNT; break;
		case 'H': opts->hooks_only = true; break;
		case 'Y': opts->why = true; break;
		case 'n':
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 63)
				return cmd_fail("record", "--name wants a name of 1 to 63 "
						"characters without '/', not '%s'", optarg);
			s->name = optarg;
			break;
		case 'r':
			if (param_parse_duration(optarg, &s->rep_ns) || s->rep_ns < 1000000)
				return cmd_fail("record", "--rep wants a duration of 1ms or more, "
						"such as 2s, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return cmd_fail("record", "%s needs a value; see opscope record --help",
					argv[optind - 1]);
		default:
			return cmd_fail("record", "unknown option '%s'; see opscope record --help",
					argv[optind - 1]);
		}
	}
	if (!!s->pid == (optind < argc))
		return cmd_fail("record", "give either -p PID or -- CMD ARGS (one of them)");
	if (optind < argc)
		s->cmd = argv + optind;
	if (s->out && outdir_check(s->out, &s->od, err, sizeof(err)))
		return cmd_fail("record", "%s", err);
	return 0;
}

/* -p PID: check that it exists. -- CMD: fork now, exec only once the collector runs. */
static int start_target(struct rec_session *s)
{
	pid_t parent = getpid();
	int go[2], exec_err[2], e;

	if (s->pid) {
		if (kill(s->pid, 0) && errno == ESRCH)
			return cmd_fail("record", "no process %d; check the id with ps", s->pid);
		return 0;
	}
	if (pipe2(go, O_CLOEXEC))
		return cmd_fail("record", "pipe: %s", strerror(errno));
	if (pipe2(exec_err, O_CLOEXEC)) {
		e = errno;
		close(go[0]);
		close(go[1]);
		return cmd_fail("record", "pipe: %s", strerror(e));
	}
	s->child = fork();
	if (s->child < 0) {
		e = errno;
		s->child = 0;
		close(go[0]);
		close(go[1]);
		close(exec_err[0]);
		close(exec_err[1]);
		return cmd_fail("record", "fork: %s", strerror(e));
	}
	if (s->child == 0) {
		char name[OPSP_SOCK_LEN + 1];
		ssize_t n;

		close(go[1]);
		close(exec_err[0]);
		/* dies with record, even when record is killed with SIGKILL */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		/* the command gets the default SIGPIPE that opscope itself ignores */
		signal(SIGPIPE, SIG_DFL);
		/* the go byte is where opscope listens for libopscope ("-": nowhere) */
		n = read(go[0], name, sizeof(name) - 1);
		if (n <= 0)
			_exit(127);
		name[n] = '\0';
		if (name[0] != '-')
			setenv(OPSP_ENV, name, 1);
		execvp(s->cmd[0], s->cmd);
		e = errno;
		if (write(exec_err[1], &e, sizeof(e)) != sizeof(e))
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(exec_err[1]);
	s->go_fd = go[1];
	s->exec_err_fd = exec_err[0];
	s->pid = s->child;
	return 0;
}

static int start_collector(struct rec_session *s)
{
	char err[512];

	s->opts.tgid = s->pid;
	/* a command we started is counted from its birth: it was forked before the load */
	s->opts.whole_life = s->child != 0;
	s->opts.on_exit = on_thread_exit;
	s->opts.on_exit_arg = &s->ex;
	s->c = collector_start(&s->opts, err, sizeof(err));
	if (!s->c) {
		/* the command has not run yet: nothing of it to keep */
		if (s->child) {
			kill(s->child, SIGKILL);
			waitpid(s->child, NULL, 0);
			s->child = 0;
		}
		return cmd_fail("record", "%s", err);
	}
	return 0;
}

/*
 * The program's name in scenario ids: --name, else its comm (what ps shows): -p reads it,
 * -- CMD has not run yet and its comm will be CMD's base name.
 */
static void program_name(const struct rec_session *s, char *buf, size_t len)
{
	if (s->name) {
		snprintf(buf, len, "%s", s->name);
	} else if (s->cmd) {
		const char *b = strrchr(s->cmd[0], '/');

		snprintf(buf, len, "%.15s", b ? b + 1 : s->cmd[0]);
	} else {
		read_comm(s->pid, (uint32_t)s->pid, buf, len);
	}
	for (char *p = buf; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
}

/* --why, with programs that account (not --hooks-only). */
static bool why_on(const struct rec_session *s)
{
	return s->opts.why && !s->opts.hooks_only;
}

/* --why: drain the waits the kernel counted (its table would fill on a long recording).
 * A failure is a warning: the graph lacks them, the report says how many were lost. */
static void take_waits(struct rec_session *s)
{
	int e;

	if (!why_on(s) || !s->c)
		return;
	e = s->wf ? 0 : (s->wf = waitfor_new()) ? 0 : -ENOMEM;
	if (!e)
		e = waitfor_take(s->wf, s->c);
	if (e)
		cmd_warn("record", "could not read the waits (%s); the wait-for graph lacks them",
			 strerror(-e));
}

/* Listen for libopscope in the program; -p: tell the program (it attaches at its next
 * call). Failing to is no reason not to record the rest: one warning. */
static int start_marks(struct rec_session *s)
{
	struct attach_opts o = {
		.pid = s->pid, .slots_fd = collector_slots_fd(s->c),
		.slots_len = collector_slots_len(s->c), .slots = collector_slots(s->c),
		.on_op = marks_add, .why = why_on(s),
	};
	char err[512];

	program_name(s, s->program, sizeof(s->program));
	if (s->opts.hooks_only)
		return 0; /* nothing is accounted: no slot to read */
	s->marks = marks_new(s->pid, (uint64_t)s->rep_ns);
	if (!s->marks)
		return cmd_fail("record", "out of memory");
	o.arg = s->marks;
	s->att = attach_start(&o, err, sizeof(err));
	if (!s->att)
		cmd_warn("record", "%s; the program's own operations are not recorded", err);
	return 0;
}

/* SIGINT and SIGTERM end the recording (which still prints); kept until exit. */
static void catch_signals(struct rec_session *s)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	s->catching_signals = true;
}

/* The clock starts; a command we started may exec now. */
static int start_recording(struct rec_session *s)
{
	int e = 0;
	const char *go = s->att ? attach_sock_name(s->att) : "-";

	catch_signals(s);
	s->t0 = ops_now_ns();
	if (!s->child) {
		/* on stderr: the table goes to stdout, and a script may wait for this line */
		fprintf(stderr, "opscope record: recording pid %d (%lu threads) until it exits, "
			"the duration passes or Ctrl-C\n", s->pid,
			(unsigned long)collector_slots_used(s->c));
		return 0;
	}
	if (write(s->go_fd, go, strlen(go)) != (ssize_t)strlen(go))
		stop_flag = 1;
	close(s->go_fd);
	s->go_fd = -1;
	/* The error pipe closes on a successful exec, or carries exec's errno. */
	if (read(s->exec_err_fd, &e, sizeof(e)) == sizeof(e)) {
		/* the child has exited: reap it here, there is nothing to stop */
		waitpid(s->child, NULL, 0);
		s->child = 0;
		return cmd_fail("record", "cannot run '%s': %s; check the command name and PATH",
				s->cmd[0], strerror(e));
	}
	close(s->exec_err_fd);
	s->exec_err_fd = -1;
	return 0;
}

/* The program's RSS without what opscope put there (kernel/attach.h), every 100 ms, for
 * the report of its marks: only once it has a control page (reading smaps takes its
 * mmap lock, which an unmarked program need not share). */
static void sample_rss(struct rec_session *s, unsigned tick)
{
	uint64_t v;

	if (!s->att || tick % 5 || s->rss.n == RSS_SAMPLES || !attach_found(s->att))
		return;
	v = attach_program_rss(s->att);
	if (!v)
		return;
	s->rss.v[s->rss.n++] = v;
	if (v > s->rss.peak)
		s->rss.peak = v;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
}

/* Reap the command if it exited, keeping what the kernel counted for it. */
static bool reap_child(struct rec_session *s, int flags)
{
	struct rusage ru;

	if (wait4(s->child, NULL, flags, &ru) != s->child)
		return false;
	s->ru = (struct rec_rusage){
		.minflt = (uint64_t)ru.ru_minflt, .majflt = (uint64_t)ru.ru_majflt,
		.nvcsw = (uint64_t)ru.ru_nvcsw, .nivcsw = (uint64_t)ru.ru_nivcsw,
		.utime_ns = tv_ns(&ru.ru_utime), .stime_ns = tv_ns(&ru.ru_stime),
	};
	s->have_ru = true;
	return true;
}

/* Until the target exits, the duration passes or a signal comes; stacks drained as it goes. */
static void record_until_done(struct rec_session *s)
{
	if (s->opts.stacks)
		s->prof = profile_new(s->pid, s->opts.sample_hz);
	for (unsigned tick = 0; !stop_flag; tick++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		/* drain stacks early (the target's maps are read then) and every second */
		if (s->prof && (tick == 5 || tick % 50 == 49))
			profile_take(s->prof, s->c, "record");
		if (tick % 50 == 49)
			take_waits(s);
		sample_rss(s, tick);
		if (s->duration && ops_now_ns() - s->t0 >= (uint64_t)s->duration)
			break;
		if (s->child) {
			if (reap_child(s, WNOHANG)) {
				s->child = 0;
				break;
			}
		} else if (kill(s->pid, 0) && errno == ESRCH) {
			break;
		}
		nanosleep(&ts, NULL);
	}
	s->t_end = ops_now_ns();
	s->secs = (s->t_end - s->t0) / 1e9;
	if (s->prof && profile_take(s->prof, s->c, "record"))
		cmd_warn("record", "could not read the stacks: out of memory");
}

/* Detach from the program and read the last of its records, while the slots its
 * slow operations' off-CPU intervals come from are still mapped. */
static void stop_marks(struct rec_session *s)
{
	if (!s->att)
		return;
	attach_stop(s->att);
	attach_get_stats(s->att, &s->ast);
}

/* Live threads first (their slots), then stop, which reports the rest as exited. */
static int collect_threads(struct rec_session *s)
{
	volatile struct ops_slot *sl = collector_slots(s->c);
	uint32_t used = collector_slots_used(s->c);
	struct rec_thread *rows;

	rows = s->rows = calloc(used + 1, sizeof(*rows));
	for (uint32_t i = 0; rows && i < used; i++) {
		struct rec_thread *t = &rows[s->nrows];

		/* -f: every slot is the target's or a followed process's */
		if (!sl[i].tid || sl[i].state == OPS_T_EXITED ||
		    (!s->opts.follow && sl[i].tgid != (uint32_t)s->pid))
			continue;
		t->s = *(const struct ops_slot *)&sl[i];
		if (t->s.state == OPS_T_RUNNING)
			t->s.on_ns += ops_now_ns() - t->s.in_ts;
		read_comm((int)t->s.tgid, t->s.tid, t->comm, sizeof(t->comm));
		s->nrows++;
	}
	collector_get_stats(s->c, &s->st);
	collector_stop(s->c);
	s->c = NULL;
	if (!rows)
		return cmd_fail("record", "out of memory");
	if (s->ex.n) {
		rows = realloc(s->rows, (s->nrows + s->ex.n) * sizeof(*rows));
		if (!rows)
			return 0;
		s->rows = rows;
		for (size_t i = 0; i < s->ex.n; i++, s->nrows++) {
			rows[s->nrows].s = s->ex.v[i];
			rows[s->nrows].exited = true;
			snprintf(rows[s->nrows].comm, sizeof(rows[s->nrows].comm), "%.15s",
				 (const char *)s->ex.v[i].comm);
		}
	}
	return 0;
}

/* The per-thread table, then what it cost and what was lost. */
static void print_summary(const struct rec_session *s)
{
	const struct collector_stats *st = &s->st;

	rec_table_print(stdout, s->rows, s->nrows, s->secs, s->opts.sys_mode);
	if (s->opts.follow)
		rec_process_print(stdout, s->rows, s->nrows, s->opts.sys_mode);
	if (s->opts.hooks_only)
		printf("hooks only: the programs ran and returned at once, nothing was "
		       "accounted\n");
	if (s->opts.bpf_stats) {
		uint64_t on = 0;

		for (size_t i = 0; i < s->nrows; i++)
			on += s->rows[i].s.on_ns;
		/* the programs also run, and return early, for every other process's events */
		printf("cost: opscope's programs ran %.2f ms in all (every process's events), "
		       "%.1f%% of the target's %.1f ms on-CPU\n", s->prog_ns / 1e6,
		       on ? 100.0 * (double)s->prog_ns / (double)on : 0.0, on / 1e6);
	}
	if (s->have_ru) {
		uint64_t fl = 0, k = s->ru.minflt + s->ru.majflt;

		for (size_t i = 0; i < s->nrows; i++)
			fl += s->rows[i].s.faults + s->rows[i].s.kfaults;
		if (fl == k)
			printf("the kernel's count for the command (getrusage): %lu faults, the "
			       "same\n", (unsigned long)k);
		else
			printf("the kernel's count for the command (getrusage): %lu faults; it "
			       "also holds the processes the command forked and waited for, which "
			       "record does not follow\n", (unsigned long)k);
	}
	printf("losses: %lu threads found no slot, %lu tid-map failures, %lu program runs "
	       "skipped; %lu unseen switches repaired; %lu waits for a CPU cut to their "
	       "interval (%.3f ms)\n",
	       (unsigned long)st->slots_full, (unsigned long)st->tid_map_full,
	       (unsigned long)st->prog_misses, (unsigned long)st->missed_switches,
	       (unsigned long)st->wait_cut, st->wait_cut_ns / 1e6);
	if (s->opts.follow)
		printf("follow: %lu forked processes not accounted (their table was full)\n",
		       (unsigned long)st->follow_full);
	printf("opscope itself: load+attach %.1f ms, peak RSS %.1f MiB; %lu threads found at "
	       "attach (counted from %s), %lu first seen running\n", st->load_ms,
	       self_peak_rss_kb() / 1024.0, (unsigned long)st->seeded,
	       s->opts.whole_life ? "their birth" : "then", (unsigned long)st->late_threads);
	if (s->prof) {
		struct profile_stats ps;

		profile_get_stats(s->prof, &ps);
		printf("stacks: %lu counted, %lu on-CPU samples; lost: %lu walks failed, %lu "
		       "(stack table full), %lu (count table full), %lu missing\n",
		       (unsigned long)ps.entries, (unsigned long)st->samples,
		       (unsigned long)st->stack_fail, (unsigned long)st->stacks_full,
		       (unsigned long)st->keys_full, (unsigned long)ps.missing_stacks);
		if (st->ustack_copies || st->ustack_lost || st->ustack_throttled ||
		    st->tw_throttled)
			printf("user stack copies: %" PRIu64 ", %.0f bytes each; %" PRIu64 " past "
			       "the copy rate walked by frame pointers; lost: %" PRIu64 " copies "
			       "and %" PRIu64 " counts (ring full), %" PRIu64 " dropped (queue "
			       "full), %" PRIu64 " off-CPU intervals past the task-work rate\n",
			       st->ustack_copies, st->ustack_copies ?
			       (double)st->ustack_bytes / st->ustack_copies : 0.0,
			       st->ustack_throttled, st->ustack_lost, st->ucount_lost,
			       st->urec_dropped, st->tw_throttled);
	}
}

/* The program's kind names under its own ids, so that stacks tagged with them read. */
static void name_kinds(struct rec_session *s)
{
	char name[OPSP_KIND_LEN];

	for (uint32_t id = 1; id < OPSP_KINDS; id++) {
		if (id > s->ast.nkinds && id != OPSP_KIND_OTHER)
			continue;
		attach_kind_name(s->att, id, name, sizeof(name));
		if (ops_kind_set(id, name))
			cmd_warn("record", "op kind %u (%s) clashes with another name; its stacks "
				 "are filed under the other", id, name);
	}
}

static void report_collector(struct report *r, const struct rec_session *s)
{
	r->have_collector = true;
	r->coll.slots_used = s->st.slots_used;
	r->coll.slots_full = s->st.slots_full;
	r->coll.tid_map_full = s->st.tid_map_full;
	r->coll.late_threads = s->st.late_threads;
	r->coll.missed_switches = s->st.missed_switches;
	r->coll.prog_misses = s->st.prog_misses;
	r->coll.load_ms = s->st.load_ms;
	r->coll.stacks = s->prof != NULL;
	r->coll.samples = s->st.samples;
	r->coll.stack_fail = s->st.stack_fail;
	r->coll.stacks_full = s->st.stacks_full;
	r->coll.keys_full = s->st.keys_full;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What the program marked, as run's report: printed, and kept for -o. */
static int report_marks(struct rec_session *s)
{
	const struct attach_stats *st = &s->ast;
	struct marks_run run = { .pid = s->pid, .rep_ns = (uint64_t)s->rep_ns };
	/* -p: from telling it to its handshake; -- CMD: from its start */
	uint64_t told = st->t_told ? st->t_told : s->t0;

	if (!s->att)
		return 0;
	if (!st->found && !st->attached) {
		printf("marks: none: %s\n", st->why);
		return 0;
	}
	name_kinds(s);
	if (!marks_ops(s->marks)) {
		printf("marks: the program %s, but marked no operation while recorded\n",
		       st->attached ? "attached" : "did not attach");
		return 0;
	}
	run.program = s->program;
	/* ops are recorded from the handshake on (repetitions count from there too) */
	run.since = st->t_attach ? st->t_attach : s->t0;
	run.end = s->t_end;
	run.attach_ms = st->t_attach > told ? (double)(st->t_attach - told) / 1e6 : 0;
	run.rss_peak = s->rss.peak;
	run.wf = s->wf;
	if (s->rss.n) {
		qsort(s->rss.v, (size_t)s->rss.n, sizeof(s->rss.v[0]), cmp_u64);
		run.rss_steady = s->rss.v[s->rss.n / 2];
	}
	s->rep = report_new();
	s->trace = ex_trace_new();
	if (!s->rep || !s->trace)
		return cmd_fail("record", "out of memory");
	report_set_command(s->rep, s->argc, s->argv);
	envinfo_collect(&s->rep->env);
	report_collector(s->rep, s);
	s->rep->why = why_on(s);
	s->rep->elapsed_s = s->secs;
	if (report_add_marks(s->rep, s->marks, st, &run, s->trace) || report_finish(s->rep))
		return cmd_fail("record", "out of memory building the report of the marks");
	report_marks_finish(s->rep);
	putchar('\n');
	if (report_write_text(s->rep, stdout))
		return cmd_fail("record", "the tables could not be written to standard output");
	return 0;
}

static int put_table(FILE *f, const struct rec_session *s)
{
	rec_table_print(f, s->rows, s->nrows, s->secs, s->opts.sys_mode);
	if (s->opts.follow)
		rec_process_print(f, s->rows, s->nrows, s->opts.sys_mode);
	return 0;
}

static int put_json(FILE *f, const struct rec_session *s)
{
	struct rec_info info = {
		.pid = s->pid,
		.cmd = s->cmd,
		.whole_life = s->opts.whole_life,
		.sys_mode = s->opts.sys_mode,
		.duration_ns = (uint64_t)(s->secs * 1e9),
		.rusage = s->have_ru ? &s->ru : NULL,
		.st = &s->st,
	};

	return rec_json_write(f, &info, s->rows, s->nrows);
}

/* DIR/NAME, written by put as one file (util/files.h). 0 or -errno, the sentence in err. */
static int write_file(const struct rec_session *s, const char *dir, const char *name,
		      int (*put)(FILE *f, const struct rec_session *s), char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct afile a;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = afile_open(&a, path, err, errlen);
	if (rc)
		return rc;
	return afile_commit(&a, put(a.f, s), err, errlen);
}

/* outdir's extra files: record.txt and record.json, in the directory being assembled. */
static int record_files_into(const char *dir, void *arg, char *err, size_t errlen)
{
	const struct rec_session *s = arg;
	int rc = write_file(s, dir, "record.txt", put_table, err, errlen);

	return rc ? rc : write_file(s, dir, "record.json", put_json, err, errlen);
}

/*
 * -o DIR: record.txt, record.json, and with -s the stacks under DIR/stacks/; with marks,
 * run's files too; the whole directory assembled aside and put in place (report/outdir.h).
 */
static int write_outputs(struct rec_session *s)
{
	struct profile_stats ps;
	char err[1024];

	if (!s->out)
		return 0;
	s->od.extra = record_files_into;
	s->od.extra_arg = s;
	if (outdir_commit(&s->od, s->rep, s->prof, s->trace, err, sizeof(err)))
		return cmd_fail("record", "%s", err);
	if (s->rep) {
		cmd_warn("record", "wrote %s/ (report.json, report.txt, report.html, bench.txt, "
			 "trace.json, record.txt, record.json%s%s)", s->od.path,
			 s->prof ? ", stacks/" : "", s->wf ? ", waitfor/" : "");
		return 0;
	}
	if (!s->prof)
		return 0;
	profile_get_stats(s->prof, &ps);
	printf("stacks: %lu files, %lu bytes in %s/stacks/, symbolized in %.1f ms\n",
	       (unsigned long)ps.files, (unsigned long)ps.bytes, s->od.path, ps.symbolize_ms);
	printf("stacks lost: %lu of %lu user stacks cut at a frame outside executable code "
	       "(%lu frames dropped)\n", (unsigned long)ps.cut_stacks,
	       (unsigned long)ps.user_stacks, (unsigned long)ps.cut_frames);
	printf("user stacks: %lu of %lu (%.1f%%) reach a root frame (_start, main, a thread's "
	       "start)\n", (unsigned long)ps.rooted, (unsigned long)ps.user_stacks,
	       ps.user_stacks ? 100.0 * ps.rooted / ps.user_stacks : 0.0);
	if (ps.unwinds)
		printf("user stacks unwound: %lu copies, %.0f bytes each, %.1f us each; %lu counts "
		       "without their copy\n", (unsigned long)ps.unwinds,
		       (double)ps.unwind_bytes / ps.unwinds, 1e3 * ps.unwind_ms / ps.unwinds,
		       (unsigned long)ps.copies_missing);
	if (ps.foreign_user)
		printf("stacks lost: the user frames of %lu stacks of followed processes that ran "
		       "another program (exec) or were gone, whose addresses the target's maps "
		       "cannot name\n", (unsigned long)ps.foreign_user);
	if (ps.short_user)
		printf("note: %lu of %lu user stacks look cut short: a library on them has neither "
		       "unwind tables nor frame pointers\n", (unsigned long)ps.short_user,
		       (unsigned long)ps.user_seen);
	return 0;
}

/*
 * A command still running when the recording ended (-d, Ctrl-C): SIGTERM, then SIGKILL
 * when it has not exited after TERM_GRACE_NS (it may ignore SIGTERM).
 */
static void stop_child(struct rec_session *s)
{
	uint64_t t0 = ops_now_ns();

	kill(s->child, SIGTERM);
	while (waitpid(s->child, NULL, WNOHANG) == 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (ops_now_ns() - t0 >= TERM_GRACE_NS) {
			cmd_warn("record", "'%s' did not exit within %llu s of SIGTERM; killed it "
				 "with SIGKILL", s->cmd[0], TERM_GRACE_NS / 1000000000ull);
			kill(s->child, SIGKILL);
			waitpid(s->child, NULL, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	s->child = 0;
}

static void end_session(struct rec_session *s)
{
	if (s->catching_signals) {
		sigaction(SIGINT, &s->old_int, NULL);
		sigaction(SIGTERM, &s->old_term, NULL);
	}
	if (s->go_fd >= 0)
		close(s->go_fd);
	if (s->exec_err_fd >= 0)
		close(s->exec_err_fd);
	if (s->c)
		collector_stop(s->c);
	if (s->child)
		stop_child(s);
	outdir_release(&s->od);
	attach_free(s->att); /* detaches first if the recording ended early */
	marks_free(s->marks);
	report_free(s->rep);
	ex_trace_free(s->trace);
	waitfor_free(s->wf);
	profile_free(s->prof);
	free(s->rows);
	free(s->ex.v);
}

int cmd_record(int argc, char **argv)
{
	struct rec_session s = {
		.go_fd = -1,
		.exec_err_fd = -1,
		.ex = { .lock = PTHREAD_MUTEX_INITIALIZER },
		.argc = argc,
		.argv = argv,
	};
	int rc;

	rc = parse_args(argc, argv, &s);
	if (rc) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	rc = start_target(&s);
	if (rc)
		goto out;
	rc = start_collector(&s);
	if (rc)
		goto out;
	rc = start_marks(&s);
	if (rc)
		goto out;
	rc = start_recording(&s);
	if (rc)
		goto out;
	record_until_done(&s);
	if (s.opts.bpf_stats)
		s.prog_ns = print_prog_stats(s.c);
	stop_marks(&s);
	take_waits(&s);
	rc = collect_threads(&s);
	if (rc)
		goto out;
	print_summary(&s);
	rc = report_marks(&s);
	if (rc)
		goto out;
	rc = write_outputs(&s);
out:
	end_session(&s);
	return rc;
}
