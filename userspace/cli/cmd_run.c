// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope run: the scenario runner. Reads a suite (the built-in default, a file, or one
 * workload from the command line), starts the kernel collector, runs every scenario's
 * repetitions, and writes report.json, report.txt and bench.txt into the output directory.
 *
 * Life cycle: parse and check everything (bad input: one sentence, exit 2, nothing
 * written) -> start the collector -> run, with a progress line on a terminal and a
 * watchdog per repetition -> derive metrics and targets -> assemble the output directory
 * in a temp directory next to it and rename it into place.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "util/fmt.h"
#include "kernel/collector.h"
#include "cli/commands.h"
#include "report/envinfo.h"
#include "stats/exemplar.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
#include "stacks/profile.h"
#include "report/report.h"
#include "workloads/suite.h"
#include "workloads/workload.h"

#define DEFAULT_OUT "opscope-out"
#define MAX_CLI_ITEMS 64
/* after a repetition's timeout, how long the workload gets to notice the stop flag */
#define STOP_GRACE_NS 2000000000ull
/* and how long after that the runner gives up on it entirely */
#define ABANDON_NS 30000000000ull

struct run_opts {
	const char *suite_file;
	const char *out;
	const char *workload;
	const char *params[MAX_CLI_ITEMS];
	int nparams;
	const char *targets[MAX_CLI_ITEMS];
	int ntargets;
	struct run_settings cli;
	bool no_kernel, quick, verbose;
	bool stacks;          /* off-CPU, waker, fault stacks and on-CPU samples */
	bool bpf_stats;       /* time opscope's own BPF programs (kernel BPF stats) */
	bool hooks_only;      /* programs attached but returning at once; no breakdown */
	int sample_hz;
	int64_t min_block_ns;
};

/* Set from signal handlers and the watchdog; read by the workloads through wl_ctl. */
static volatile int rep_stop;
static volatile int interrupted;

static void on_signal(int sig)
{
	interrupted = 1;
	rep_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: opscope run [--suite FILE | --workload W [--param NAME=VALUE ...]] [--out DIR]\n"
"                   [--reps N] [--warmup D] [--duration D] [--timeout D] [--max-ops N]\n"
"                   [--no-kernel | --stacks [--freq HZ] [--min-block D]]\n"
"                   [--target NAME=VALUE ...] [--quick] [--verbose]\n"
"\n"
"Without --suite or --workload, runs the default suite\n"
"(userspace/workloads/suites/default.suite, about a minute). Writes DIR/report.json,\n"
"report.txt, bench.txt and trace.json (the slowest ops' timelines, for ui.perfetto.dev;\n"
"default DIR ./%s/) and prints the tables. Exit 0: all passed; 1: a target failed;\n"
"2: bad input or failure.\n"
"\n"
"  -s, --suite FILE        scenarios from a suite file (docs/SUITES.md)\n"
"  -w, --workload W        one workload; -p NAME=V1,V2,... sweeps a parameter\n"
"  -p, --param NAME=VALUE  a workload parameter (repeatable)\n"
"  -o, --out DIR           output directory (replaced if it holds an earlier report)\n"
"  -r, --reps N            repetitions per scenario (overrides the suite)\n"
"      --warmup D          unrecorded warm-up per repetition, e.g. 100ms\n"
"  -d, --duration D        recorded time per repetition, e.g. 500ms\n"
"      --timeout D         a repetition still running this long fails\n"
"      --max-ops N         end a repetition after N recorded ops\n"
"      --no-kernel         no kernel collector: latency only, no breakdown\n"
"  -S, --stacks            also write DIR/stacks/<scenario>/<op>.<type>.folded and .svg,\n"
"                          and DIR/stacks/<scenario>/profile.pb.gz (pprof)\n"
"  -F, --freq HZ           on-CPU sampling rate with --stacks (default 99, 0 off)\n"
"      --min-block D       blocked intervals shorter than D take no stack (default 50us)\n"
"      --hooks-only        attach the programs but have them return at once: the\n"
"                          kernel's own cost of the hooks (no breakdown; for overhead\n"
"                          measurements against --no-kernel)\n"
"      --bpf-stats         time opscope's own BPF programs and report what they cost\n"
"                          (the kernel's BPF stats; adds a clock read to each run)\n"
"  -t, --target NAME=V     override a target threshold, or NAME=off\n"
"  -q, --quick             smoke run: 1 repetition of 100ms after 20ms warm-up\n"
"  -v, --verbose           let libbpf print its messages\n"
"\n", DEFAULT_OUT);
	{
		char names[512], *tok, *save = NULL;
		int col = fprintf(f, "Targets (defaults in docs/SUITES.md):");

		report_target_names(names, sizeof(names));
		for (tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			if (col + 1 + (int)strlen(tok) > 90) {
				fprintf(f, "\n ");
				col = 1;
			}
			col += fprintf(f, " %s", tok);
		}
		fprintf(f, "\n\n");
	}
	fprintf(f, "Workloads and their parameters (default in brackets):\n");
	for (int i = 0; wl_all[i]; i++) {
		const struct workload *wl = wl_all[i];

		fprintf(f, "  %s: %s\n", wl->name, wl->help ? wl->help : "");
		for (int j = 0; wl->params[j].name; j++) {
			const struct wl_param_def *d = &wl->params[j];
			char range[256];

			param_describe_range(d, range, sizeof(range));
			fprintf(f, "    %-14s %s [%s] (%s)\n", d->name, d->help ? d->help : "",
				d->def ? d->def : "-", range);
		}
	}
}

#define bad(...) cmd_fail("run", __VA_ARGS__)

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "workload", required_argument, NULL, 'w' },
		{ "param", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-ops", required_argument, NULL, 'M' },
		{ "no-kernel", no_argument, NULL, 'K' },
		{ "bpf-stats", no_argument, NULL, 'b' },
		{ "hooks-only", no_argument, NULL, 'H' },
		{ "stacks", no_argument, NULL, 'S' },
		{ "freq", required_argument, NULL, 'F' },
		{ "min-block", required_argument, NULL, 'B' },
		{ "target", required_argument, NULL, 't' },
		{ "quick", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char err[512];
	int c;

	memset(o, 0, sizeof(*o));
	run_settings_unset(&o->cli);
	o->sample_hz = 99;
	o->min_block_ns = 50000;
	optind = 0; /* glibc: full re-initialisation, main may have used getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:o:w:p:r:d:t:qvhSF:", longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 's': o->suite_file = optarg; break;
		case 'o': o->out = optarg; break;
		case 'w': o->workload = optarg; break;
		case 'p':
			if (o->nparams == MAX_CLI_ITEMS)
				return bad("too many --param options; put them in a suite file");
			o->params[o->nparams++] = optarg;
			break;
		case 't':
			if (o->ntargets == MAX_CLI_ITEMS)
				return bad("too many --target options; put them in a suite file");
			o->targets[o->ntargets++] = optarg;
			break;
		case 'r': key = "reps"; break;
		case 'd': key = "duration"; break;
		case 'W': key = "warmup"; break;
		case 'T': key = "timeout"; break;
		case 'M': key = "max_ops"; break;
		case 'K': o->no_kernel = true; break;
		case 'b': o->bpf_stats = true; break;
		case 'H': o->hooks_only = true; break;
		case 'S': o->stacks = true; break;
		case 'F': {
			int64_t hz;

			if (param_parse_int(optarg, &hz) || hz < 0 || hz > 10000)
				return bad("--freq: '%s' is not a sampling rate; use 0 (off) "
					   "to 10000 Hz", optarg);
			o->sample_hz = (int)hz;
			break;
		}
		case 'B':
			if (param_parse_duration(optarg, &o->min_block_ns) ||
			    o->min_block_ns < 0)
				return bad("--min-block: '%s' is not a duration; use for "
					   "example 1ms", optarg);
			break;
		case 'q': o->quick = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return bad("%s needs a value; see opscope run --help", argv[optind - 1]);
		default:
			return bad("unknown option '%s'; see opscope run --help", argv[optind - 1]);
		}
		/* err reads "KEY: ...": name the option as the user wrote it */
		if (key && run_settings_set(&o->cli, key, optarg, err, sizeof(err)))
			return bad("--%s%s", strcmp(key, "max_ops") ? key : "max-ops",
				   err + strlen(key));
	}
	if (optind < argc)
		return bad("unexpected argument '%s'; options start with -- (see --help)",
			   argv[optind]);
	if (o->suite_file && o->workload)
		return bad("--suite and --workload exclude each other; put the workload in the "
			   "suite file, or drop --suite");
	if (o->stacks && o->no_kernel)
		return bad("--stacks needs the kernel collector; drop --no-kernel");
	if (o->hooks_only && (o->no_kernel || o->stacks))
		return bad("--hooks-only measures the bare hooks; drop --no-kernel and --stacks");
	if (o->nparams && !o->workload)
		return bad("--param needs --workload; in a suite file, set parameters in its "
			   "[scenario] sections");
	if (o->quick) {
		struct run_settings q = { .reps = 1, .warmup_ns = 20000000,
					  .duration_ns = 100000000, .timeout_ns = -1,
					  .max_ops = -1 };

		/* explicit options win over --quick */
		run_settings_merge(&q, &o->cli);
		o->cli = q;
	}
	return 0;
}

/* The suite of a --workload run: one group named after the workload. */
static int cli_suite(const struct run_opts *o, struct suite **out)
{
	struct suite *s = suite_new(NULL, "cli", wl_all);
	struct suite_group *g;
	char err[768];

	*out = NULL;
	if (!s)
		return bad("out of memory");
	/* the suite functions leave err alone when they run out of memory */
	snprintf(err, sizeof(err), "out of memory");
	if (suite_add_group(s, o->workload, 0, &g, err, sizeof(err)) ||
	    suite_group_set(s, g, "workload", o->workload, 0, err, sizeof(err))) {
		suite_free(s);
		return bad("%s", err);
	}
	for (int i = 0; i < o->nparams; i++) {
		const char *kv = o->params[i], *eq = strchr(kv, '=');
		char key[160];

		if (!eq || eq == kv || (size_t)(eq - kv) + 7 > sizeof(key)) {
			suite_free(s);
			return bad("--param %s: not NAME=VALUE; write for example "
				   "--param workers=4", kv);
		}
		/* a list of values is a sweep */
		snprintf(key, sizeof(key), "%s%.*s", strchr(eq + 1, ',') ? "sweep " : "",
			 (int)(eq - kv), kv);
		if (suite_group_set(s, g, key, eq + 1, 0, err, sizeof(err))) {
			suite_free(s);
			return bad("--param %s: %s", kv, err);
		}
	}
	*out = s;
	return 0;
}

/* ---------------------------------------------------------------- output directory */

struct outdir {
	char path[PATH_MAX];   /* final, without trailing slash */
	char parent[PATH_MAX];
	char tmp[PATH_MAX];    /* the temp directory being assembled, "" when none */
	bool exists;
};

static int outdir_check(const char *out, struct outdir *d)
{
	struct stat st;
	char probe[PATH_MAX + 16];
	size_t n;
	char *slash;

	memset(d, 0, sizeof(*d));
	if (!*out)
		return bad("--out is empty; give a directory path");
	/* room for the temp directory's name next to it: ".NAME.tmp-XXXXXX" */
	if (strlen(out) + 16 >= sizeof(d->path))
		return bad("--out %s: the path is too long; choose a shorter one", out);
	snprintf(d->path, sizeof(d->path), "%s", out);
	n = strlen(d->path);
	while (n > 1 && d->path[n - 1] == '/')
		d->path[--n] = '\0';
	snprintf(d->parent, sizeof(d->parent), "%s", d->path);
	slash = strrchr(d->parent, '/');
	if (!slash)
		snprintf(d->parent, sizeof(d->parent), ".");
	else if (slash == d->parent)
		d->parent[1] = '\0';
	else
		*slash = '\0';
	if (stat(d->parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return bad("the parent of --out %s does not exist; create %s or choose another "
			   "directory", d->path, d->parent);
	if (access(d->parent, W_OK | X_OK) != 0)
		return bad("cannot write in %s (%s); choose another --out", d->parent,
			   strerror(errno));
	if (lstat(d->path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return bad("--out %s exists and is not a directory; choose another path",
				   d->path);
		snprintf(probe, sizeof(probe), "%s/report.json", d->path);
		if (access(probe, F_OK) != 0) {
			/* an empty directory is fine to replace; anything else is not ours */
			int fd = open(d->path, O_RDONLY | O_DIRECTORY);
			bool empty = true;

			if (fd >= 0) {
				DIR *dir = fdopendir(fd);
				struct dirent *de;

				while (dir && (de = readdir(dir)))
					if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
						empty = false;
				if (dir)
					closedir(dir);
				else
					close(fd);
			}
			if (!empty)
				return bad("--out %s exists and holds no report.json, so it "
					   "is not an earlier opscope output; remove it or "
					   "choose another path", d->path);
		}
		d->exists = true;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *path)
{
	if (*path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write one file of the output directory. */
static int write_file(const char *dir, const char *name, const struct report *r,
		      int (*writer)(const struct report *, FILE *))
{
	char path[PATH_MAX + 64];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "opscope run: cannot create %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = writer(r, f);
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "opscope run: writing %s failed: %s\n", path, strerror(-rc));
	return rc;
}

static int outdir_commit(struct outdir *d, struct report *r, struct profile *prof,
			 const struct ex_trace *trace)
{
	char base[PATH_MAX];
	const char *b = strrchr(d->path, '/');
	int rc;

	snprintf(base, sizeof(base), "%s", b ? b + 1 : d->path);
	/* cannot overflow: outdir_check left room for the prefix and suffix */
	if (snprintf(d->tmp, sizeof(d->tmp), "%s/.%s.tmp-XXXXXX", d->parent, base) >=
	    (int)sizeof(d->tmp) || !mkdtemp(d->tmp)) {
		fprintf(stderr, "opscope run: cannot create a temp directory in %s: %s\n",
			d->parent, strerror(errno));
		d->tmp[0] = '\0';
		return -EIO;
	}
	chmod(d->tmp, 0755);
	if (prof) {
		struct profile_stats ps;
		char err[512];

		rc = profile_write(prof, d->tmp, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "opscope run: %s\n", err);
			goto fail;
		}
		profile_get_stats(prof, &ps);
		r->coll.missing_stacks = ps.missing_stacks;
		r->coll.stack_files = ps.files;
		if (ps.short_user)
			fprintf(stderr, "opscope run: %" PRIu64 " of %" PRIu64 " user stacks look "
				"cut short: a library on them was built without frame pointers\n",
				ps.short_user, ps.user_seen);
	}
	if (trace) {
		char path[PATH_MAX + 16], err[512];

		snprintf(path, sizeof(path), "%s/trace.json", d->tmp);
		rc = ex_trace_write_file(trace, path, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "opscope run: %s\n", err);
			goto fail;
		}
	}
	rc = write_file(d->tmp, "report.json", r, report_write_json);
	if (!rc)
		rc = write_file(d->tmp, "report.txt", r, report_write_text);
	if (!rc)
		rc = write_file(d->tmp, "bench.txt", r, report_write_bench);
	if (rc)
		goto fail;

	if (d->exists) {
		/* swap atomically, then delete the earlier output now at the temp path */
		if (syscall(SYS_renameat2, AT_FDCWD, d->tmp, AT_FDCWD, d->path,
			    2 /* RENAME_EXCHANGE */) == 0) {
			rm_tree(d->tmp);
			d->tmp[0] = '\0';
			return 0;
		}
		/* no RENAME_EXCHANGE on this file system: move the old one aside first */
		char old[PATH_MAX + 32];

		snprintf(old, sizeof(old), "%s.old", d->tmp);
		if (rename(d->path, old) != 0) {
			rc = -errno;
			fprintf(stderr, "opscope run: cannot replace %s: %s\n", d->path,
				strerror(-rc));
			goto fail;
		}
		if (rename(d->tmp, d->path) != 0) {
			rc = -errno;
			rename(old, d->path);
			fprintf(stderr, "opscope run: cannot rename %s to %s: %s\n", d->tmp,
				d->path, strerror(-rc));
			goto fail;
		}
		rm_tree(old);
		d->tmp[0] = '\0';
		return 0;
	}
	if (rename(d->tmp, d->path) != 0) {
		rc = -errno;
		fprintf(stderr, "opscope run: cannot rename %s to %s: %s\n", d->tmp, d->path,
			strerror(-rc));
		goto fail;
	}
	d->tmp[0] = '\0';
	return 0;
fail:
	rm_tree(d->tmp);
	d->tmp[0] = '\0';
	return rc;
}

/* ---------------------------------------------------------------- one repetition */

#define RSS_SAMPLES 4096

struct monitor {
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool tty;
	atomic_ullong ops;
	struct ex_trace *trace; /* slow-operation exemplars of the run, for trace.json */
	uint64_t start_ns, run_start_ns;
	uint64_t warmup_ns, timeout_ns;
	uint64_t ops_before;      /* ops of earlier repetitions and scenarios */
	const char *id;
	int idx, n, rep, reps;
	bool timed_out, abandoned;
	int nrss;
	uint64_t rss[RSS_SAMPLES];
};

static void progress(struct monitor *m, uint64_t now)
{
	char ops[16], line[256];

	fmt_num((double)(m->ops_before + atomic_load(&m->ops)), ops, sizeof(ops));
	snprintf(line, sizeof(line), "[%d/%d] %s rep %d/%d  %.1fs  %s ops", m->idx + 1, m->n,
		 m->id, m->rep + 1, m->reps, (double)(now - m->run_start_ns) / 1e9, ops);
	if (strlen(line) > 99)
		line[99] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

static void *monitor_main(void *arg)
{
	struct monitor *m = arg;
	uint64_t last_progress = 0, last_rss = 0;

	pthread_mutex_lock(&m->lock);
	while (!m->done) {
		uint64_t now = ops_now_ns(), since = now - m->start_ns;
		struct timespec ts;
		uint64_t peak, cur;

		if (m->tty && now - last_progress >= 250000000ull) {
			progress(m, now);
			last_progress = now;
		}
		/* steady RSS: sampled in the recorded phase only */
		if (since >= m->warmup_ns && now - last_rss >= 50000000ull &&
		    m->nrss < RSS_SAMPLES && envinfo_rss(&peak, &cur) == 0) {
			m->rss[m->nrss++] = cur;
			last_rss = now;
		}
		if (!m->timed_out && since > m->timeout_ns + STOP_GRACE_NS) {
			m->timed_out = true;
			rep_stop = 1;
		}
		if (m->timed_out && since > m->timeout_ns + STOP_GRACE_NS + ABANDON_NS) {
			/* the workload ignores its stop flag: nothing left but to give up */
			fprintf(stderr, "\nopscope run: scenario %s did not stop %.0f s after its "
				"timeout; giving up without writing a report\n", m->id,
				(double)(STOP_GRACE_NS + ABANDON_NS) / 1e9);
			_exit(2);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_rep(struct scen_result *s, struct monitor *m, uint64_t *ops_total)
{
	const struct scenario *sc = &s->sc;
	struct wl_result res;
	struct wl_ctl ctl = {
		.warmup_ns = (uint64_t)sc->set.warmup_ns,
		.duration_ns = (uint64_t)sc->set.duration_ns,
		.max_ops = (uint64_t)sc->set.max_ops,
		.timeout_ns = (uint64_t)sc->set.timeout_ns,
		.ops_done = &m->ops,
		.stop = &rep_stop,
	};
	uint64_t peak = 0, cur = 0, steady = 0;
	int rc, err;

	memset(&res, 0, sizeof(res));
	res.occupancy = -1;
	atomic_store(&m->ops, 0);
	m->ops_before = *ops_total;
	m->done = false;
	m->timed_out = false;
	m->nrss = 0;
	m->warmup_ns = ctl.warmup_ns;
	m->timeout_ns = ctl.timeout_ns;
	envinfo_rss_reset_peak();
	m->start_ns = ops_now_ns();
	if (!interrupted)
		rep_stop = 0;
	err = pthread_create(&m->th, NULL, monitor_main, m);
	if (err) {
		snprintf(res.error, sizeof(res.error), "cannot start the monitor thread: %s",
			 strerror(err));
		return scen_add_rep(s, -err, &res, 0, 0, false);
	}

	rc = sc->wl->run(&sc->cfg, &ctl, &res);
	if (res.ex) {
		if (m->trace && ex_trace_add(m->trace, sc->id, res.ex))
			fprintf(stderr, "opscope run: out of memory keeping the slow operations "
				"of %s for trace.json\n", sc->id);
		ex_set_free(res.ex);
		res.ex = NULL;
	}

	pthread_mutex_lock(&m->lock);
	m->done = true;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->th, NULL);

	envinfo_rss(&peak, &cur);
	if (m->nrss) {
		qsort(m->rss, m->nrss, sizeof(m->rss[0]), cmp_u64);
		steady = m->rss[m->nrss / 2];
	} else {
		steady = cur;
	}
	if (m->timed_out && !rc) {
		rc = -ETIMEDOUT;
		snprintf(res.error, sizeof(res.error), "still running %.1f s after its start; "
			 "stopped (timeout %.1f s)",
			 (double)(ops_now_ns() - m->start_ns) / 1e9, (double)ctl.timeout_ns / 1e9);
	}
	if (interrupted && !m->timed_out) {
		rc = -EINTR;
		snprintf(res.error, sizeof(res.error), "interrupted by a signal");
	}
	*ops_total += atomic_load(&m->ops);
	return scen_add_rep(s, rc, &res, peak, steady, m->timed_out || rc == -ETIMEDOUT);
}

/* ---------------------------------------------------------------- cmd_run */

static int apply_targets(struct report *r, const struct suite *s, const struct run_opts *o)
{
	char err[512];

	for (int i = 0; i < s->ntargets; i++) {
		if (report_target_set(r, s->targets[i].name, s->targets[i].value, err,
				      sizeof(err)))
			return bad("%s:%d: %s", s->file ? s->file : "suite", s->targets[i].line,
				   err);
	}
	for (int i = 0; i < o->ntargets; i++) {
		const char *kv = o->targets[i], *eq = strchr(kv, '=');
		char name[128];

		if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name))
			return bad("--target %s: not NAME=VALUE; write for example "
				   "--target pool-p50=2ms", kv);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		if (report_target_set(r, name, eq + 1, err, sizeof(err)))
			return bad("%s", err);
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct suite *suite = NULL;
	struct scenario *scs = NULL;
	struct report *r = NULL;
	struct collector *coll = NULL;
	struct profile *prof = NULL;
	struct monitor *mon = NULL;
	struct outdir od;
	struct sigaction sa = { 0 }, old_int, old_term;
	char err[1024];
	uint64_t t0, ops_total = 0;
	int n = 0, rc;
	bool shown;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;

	/* 1. Everything the user gave, checked before anything runs or is written. */
	if (o.suite_file) {
		if (suite_load(o.suite_file, wl_all, &suite, err, sizeof(err)))
			return bad("%s", err);
	} else if (o.workload) {
		if (cli_suite(&o, &suite))
			return 2;
	} else {
		suite = suite_new(NULL, "default", wl_all);
		if (!suite)
			return bad("out of memory");
		if (suite_parse(suite, suite_default_text, err, sizeof(err))) {
			suite_free(suite);
			return bad("the built-in default suite is broken: %s", err);
		}
	}
	if (suite_expand(suite, &o.cli, &scs, &n, err, sizeof(err))) {
		rc = bad("%s", err);
		goto out;
	}
	r = report_new();
	if (!r) {
		rc = bad("out of memory");
		goto out;
	}
	if (apply_targets(r, suite, &o)) {
		rc = 2;
		goto out;
	}
	if (outdir_check(o.out ? o.out : DEFAULT_OUT, &od)) {
		rc = 2;
		goto out;
	}
	report_set_command(r, argc, argv);
	snprintf(r->suite_file, sizeof(r->suite_file), "%s", suite->file ? suite->file : "");
	snprintf(r->suite_name, sizeof(r->suite_name), "%s", suite->name);
	run_settings_unset(&r->settings);
	run_settings_merge(&r->settings, &suite->set);
	run_settings_merge(&r->settings, &o.cli);
	run_settings_resolve(&r->settings);
	/* hooks only: the programs are attached, but nothing is accounted */
	r->kernel = !o.no_kernel && !o.hooks_only;
	r->quick = o.quick;
	envinfo_collect(&r->env);

	/* 2. The kernel collector: the workloads' threads register with it themselves. */
	if (!o.no_kernel) {
		struct collector_opts copts = { .tgid = 0, .verbose = o.verbose,
						.bpf_stats = o.bpf_stats,
						.hooks_only = o.hooks_only };

		if (o.stacks) {
			copts.stacks = copts.fault_stacks = copts.waker_stacks = true;
			copts.sample_hz = o.sample_hz;
			copts.min_block_ns = (uint64_t)o.min_block_ns;
			prof = profile_new(getpid(), o.sample_hz);
			if (!prof) {
				rc = bad("out of memory");
				goto out;
			}
		}

		coll = collector_start(&copts, err, sizeof(err));
		if (!coll) {
			rc = bad("%s, or pass --no-kernel for latency without the breakdown",
				 err);
			goto out;
		}
	}

	/* 3. Run. */
	mon = calloc(1, sizeof(*mon));
	if (!mon) {
		rc = bad("out of memory");
		goto out;
	}
	pthread_mutex_init(&mon->lock, NULL);
	pthread_cond_init(&mon->cond, NULL);
	mon->tty = isatty(STDERR_FILENO);
	mon->trace = ex_trace_new();
	if (!mon->trace) {
		rc = bad("out of memory");
		goto out;
	}
	mon->n = n;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	interrupted = 0;
	t0 = ops_now_ns();
	mon->run_start_ns = t0;
	for (int i = 0; i < n; i++) {
		struct scen_result *s = report_add_scenario(r, &scs[i]);

		if (!s) {
			rc = bad("out of memory");
			goto out_signals;
		}
		if (interrupted) {
			s->status = SCEN_SKIPPED;
			continue;
		}
		mon->id = scs[i].id;
		mon->idx = i;
		mon->reps = scs[i].set.reps;
		for (int j = 0; j < scs[i].set.reps && !interrupted; j++) {
			mon->rep = j;
			if (run_rep(s, mon, &ops_total) == -ENOMEM) {
				rc = bad("out of memory");
				goto out_signals;
			}
			/* drained after every repetition so the stack tables never fill up */
			if (prof) {
				int e = profile_take(prof, coll, scs[i].id);

				if (e)
					fprintf(stderr, "opscope run: could not read the stacks of "
						"%s (%s); its flame graphs lack them\n", scs[i].id,
						strerror(-e));
			}
			/* a timed-out workload may leave threads behind: do not pile up more */
			if (s->status == SCEN_TIMEOUT)
				break;
		}
		if (interrupted) {
			s->status = SCEN_INTERRUPTED;
			snprintf(s->error, sizeof(s->error), "interrupted by a signal");
		}
	}
	if (mon->tty)
		fprintf(stderr, "\r\033[K");
	r->interrupted = interrupted;
	r->elapsed_s = (double)(ops_now_ns() - t0) / 1e9;

	if (coll) {
		struct collector_stats st;

		collector_get_stats(coll, &st);
		r->have_collector = true;
		r->coll.slots_used = st.slots_used;
		r->coll.slots_full = st.slots_full;
		r->coll.tid_map_full = st.tid_map_full;
		r->coll.late_threads = st.late_threads;
		r->coll.missed_switches = st.missed_switches;
		r->coll.prog_misses = st.prog_misses;
		r->coll.load_ms = st.load_ms;
		r->coll.stacks = prof != NULL;
		r->coll.samples = st.samples;
		r->coll.stack_fail = st.stack_fail;
		r->coll.stacks_full = st.stacks_full;
		r->coll.keys_full = st.keys_full;
		if (o.bpf_stats) {
			struct prog_stat ps[REPORT_MAX_PROGS];
			int np = collector_prog_stats(coll, ps, REPORT_MAX_PROGS);

			r->coll.bpf_stats = true;
			for (int i = 0; i < np; i++) {
				snprintf(r->coll.progs[i].name, sizeof(r->coll.progs[i].name), "%.31s",
					 ps[i].name);
				r->coll.progs[i].runs = ps[i].run_cnt;
				r->coll.progs[i].run_ns = ps[i].run_time_ns;
			}
			r->coll.nprogs = np;
		}
		if (st.slots_full || st.tid_map_full || st.prog_misses)
			fprintf(stderr, "opscope run: the collector lost accounting: %" PRIu64
				" threads without a slot, %" PRIu64 " tid map full, %" PRIu64
				" skipped program runs; breakdowns are incomplete\n",
				st.slots_full, st.tid_map_full, st.prog_misses);
		collector_stop(coll);
		coll = NULL;
	}

	/* 4. Derive, write, show. */
	if (report_finish(r)) {
		rc = bad("out of memory deriving the metrics; no report written");
		goto out_signals;
	}
	if (outdir_commit(&od, r, prof, mon->trace)) {
		rc = 2;
		goto out_signals;
	}
	shown = report_write_text(r, stdout) == 0 && fflush(stdout) == 0;
	fprintf(stderr, "opscope run: wrote %s/ (report.json, report.txt, bench.txt, "
		"trace.json%s)\n", od.path, prof ? ", stacks/" : "");
	if (!shown) {
		rc = bad("the tables could not be written to standard output; read them in "
			 "%s/report.txt", od.path);
		goto out_signals;
	}
	if (r->interrupted || r->scenarios_failed)
		rc = 2;
	else if (r->targets_failed)
		rc = 1;
	else
		rc = 0;

out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	if (coll)
		collector_stop(coll);
	profile_free(prof);
	if (mon) {
		ex_trace_free(mon->trace);
		pthread_mutex_destroy(&mon->lock);
		pthread_cond_destroy(&mon->cond);
		free(mon);
	}
	report_free(r);
	free(scs);
	suite_free(suite);
	return rc;
}
