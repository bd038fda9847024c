// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope run: the scenario runner. Reads a suite (the built-in default, a file, or one
 * workload from the command line), starts the kernel collector, runs every scenario's
 * repetitions, and writes report.json, report.txt, report.html, bench.txt and trace.json
 * into the output directory.
 *
 * Life cycle, one function per step (cmd_run, at the end, is the list): parse_args ->
 * load_suite -> plan_run (everything checked before anything runs or is written; bad
 * input: one sentence, exit 2) -> start_collector -> run_scenarios (a progress line on a
 * terminal, a watchdog per repetition) -> stop_collector -> write_outputs (metrics and
 * targets derived; report/outdir.c assembles the output directory in a temp directory
 * next to it and renames it into place) -> run_exit_status.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/fmt.h"
#include "kernel/collector.h"
#include "cli/commands.h"
#include "report/envinfo.h"
#include "stats/exemplar.h"
#include "kernel/oprec.h"
#include "workloads/params.h"
#include "workloads/plugins.h"
#include "stacks/profile.h"
#include "stats/noise.h"
#include "stats/waitfor.h"
#include "report/outdir.h"
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
	const char *globs[MAX_CLI_ITEMS]; /* --scenario: run only the scenarios they match */
	int nglobs;
	bool list;            /* print the scenario ids and exit */
	bool sequential;      /* --order sequential: each scenario's repetitions together */
	struct run_settings cli;
	bool no_kernel, quick, verbose;
	bool stacks;          /* off-CPU, waker, fault stacks and on-CPU samples */
	bool bpf_stats;       /* time opscope's own BPF programs (kernel BPF stats) */
	bool hooks_only;      /* programs attached but returning at once; no breakdown */
	bool why;             /* who ended each wait, and what the threads waited on did */
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
"                   [--plugin FILE ...]\n"
"                   [--reps N] [--warmup D] [--duration D] [--timeout D] [--max-ops N]\n"
"                   [--no-kernel | --stacks [--freq HZ] [--min-block D]] [--why]\n"
"                   [--target NAME=VALUE | --target SPEC ...] [--scenario GLOB ...]\n"
"                   [--order interleaved|sequential] [--list] [--quick] [--verbose]\n"
"\n"
"Without --suite or --workload, runs the default suite\n"
"(userspace/workloads/suites/default.suite, about a minute). Writes DIR/report.json,\n"
"report.txt, report.html (the tables and charts, one page for a browser), bench.txt and\n"
"trace.json (the slowest ops' timelines, for ui.perfetto.dev; default DIR ./%s/) and\n"
"prints the tables. Exit 0: all passed; 1: a target failed; 2: bad input or failure.\n"
"\n"
"  -s, --suite FILE        scenarios from a suite file (docs/SUITES.md)\n"
"  -w, --workload W        one workload; -p NAME=V1,V2,... sweeps a parameter\n"
"  -p, --param NAME=VALUE  a workload parameter (repeatable)\n"
"      --plugin FILE       load your own pool, channel or functions from a shared object\n"
"                          (repeatable; -p impl=NAME, -w bench -p fn=NAME; docs/PLUGINS.md)\n"
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
"      --why               why ops waited: who ended each blocked interval (a thread,\n"
"                          a timer, an interrupt) and what the threads waited on were\n"
"                          doing meanwhile; adds a \"Why it waited\" table, the wait-for\n"
"                          graph DIR/waitfor/<scenario>.svg and trace.json's wakeup arrows\n"
"      --hooks-only        attach the programs but have them return at once: the\n"
"                          kernel's own cost of the hooks (no breakdown; for overhead\n"
"                          measurements against --no-kernel)\n"
"      --bpf-stats         time opscope's own BPF programs and report what they cost\n"
"                          (the kernel's BPF stats; adds a clock read to each run)\n"
"  -t, --target NAME=V     override a target threshold, or NAME=off\n"
"  -t, --target SPEC       add a target on any metric, op kind and percentile, e.g.\n"
"                          'stream.rt p95 <= 5s' (docs/SUITES.md, \"Targets\")\n"
"  -c, --scenario GLOB     run only the scenarios whose id or group GLOB matches\n"
"                          (repeatable), e.g. 'pool-workers/*' or 'channel-*'\n"
"      --list              print the ids of the scenarios that would run, and exit\n"
"      --order O           interleaved (default: repetition 1 of every scenario, then\n"
"                          repetition 2, ...) or sequential (each scenario's together)\n"
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
			/* what each loaded plugin's implementation says of itself */
			for (int v = 0; d->type == WL_P_ENUM && d->enum_vals[v]; v++)
				if (plugins_help(d->enum_vals, v))
					fprintf(f, "      %s=%s: %s\n", d->name, d->enum_vals[v],
						plugins_help(d->enum_vals, v));
		}
	}
}

/* Options that exclude or need each other; then --quick's settings under explicit ones. */
static int check_options(struct run_opts *o)
{
	if (o->suite_file && o->workload)
		return cmd_fail("run", "--suite and --workload exclude each other; put the "
				"workload in the suite file, or drop --suite");
	if (o->stacks && o->no_kernel)
		return cmd_fail("run", "--stacks needs the kernel collector; drop --no-kernel");
	if (o->why && o->no_kernel)
		return cmd_fail("run", "--why needs the kernel collector; drop --no-kernel");
	if (o->hooks_only && (o->no_kernel || o->stacks))
		return cmd_fail("run", "--hooks-only measures the bare hooks; drop --no-kernel and "
				"--stacks");
	if (o->nparams && !o->workload)
		return cmd_fail("run", "--param needs --workload; in a suite file, set parameters "
				"in its [scenario] sections");
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

/* The long options of opscope run; short ones are in parse_args' getopt string. */
static const struct option run_longopts[] = {
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
	{ "why", no_argument, NULL, 'Y' },
	{ "freq", required_argument, NULL, 'F' },
	{ "min-block", required_argument, NULL, 'B' },
	{ "target", required_argument, NULL, 't' },
	{ "scenario", required_argument, NULL, 'c' },
	{ "list", no_argument, NULL, 'i' },
	{ "order", required_argument, NULL, 'O' },
	{ "quick", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "plugin", required_argument, NULL, 'L' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Returns 0, 1 after --help (exit 0), or 2 after a message. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	char err[1024];
	int c;

	memset(o, 0, sizeof(*o));
	run_settings_unset(&o->cli);
	o->sample_hz = 99;
	o->min_block_ns = 50000;
	optind = 0; /* glibc: full re-initialisation, main may have used getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:o:w:p:r:d:t:c:qvhSF:", run_longopts, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 's': o->suite_file = optarg; break;
		case 'o': o->out = optarg; break;
		case 'w': o->workload = optarg; break;
		case 'p':
			if (o->nparams == MAX_CLI_ITEMS)
				return cmd_fail("run", "too many --param options; put them in a "
						"suite file");
			o->params[o->nparams++] = optarg;
			break;
		case 't':
			if (o->ntargets == MAX_CLI_ITEMS)
				return cmd_fail("run", "too many --target options; put them in a "
						"suite file");
			o->targets[o->ntargets++] = optarg;
			break;
		case 'c':
			if (o->nglobs == MAX_CLI_ITEMS)
				return cmd_fail("run", "too many --scenario options; one glob can "
						"match many scenarios (pool-*)");
			o->globs[o->nglobs++] = optarg;
			break;
		case 'i': o->list = true; break;
		case 'O':
			if (strcmp(optarg, "sequential") && strcmp(optarg, "interleaved"))
				return cmd_fail("run", "--order '%s': use interleaved (the "
						"default) or sequential", optarg);
			o->sequential = strcmp(optarg, "sequential") == 0;
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
		case 'Y': o->why = true; break;
		case 'F': {
			int64_t hz;

			if (param_parse_int(optarg, &hz) || hz < 0 || hz > 10000)
				return cmd_fail("run", "--freq: '%s' is not a sampling rate; use "
						"0 (off) to 10000 Hz", optarg);
			o->sample_hz = (int)hz;
			break;
		}
		case 'B':
			if (param_parse_duration(optarg, &o->min_block_ns) ||
			    o->min_block_ns < 0)
				return cmd_fail("run", "--min-block: '%s' is not a duration; use "
						"for example 1ms", optarg);
			break;
		case 'L':
			/* loaded at once: --help after it lists its names, and a bad plugin
			 * stops the run before anything else */
			if (plugins_load(optarg, err, sizeof(err)))
				return cmd_fail("run", "%s", err);
			break;
		case 'q': o->quick = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return cmd_fail("run", "%s needs a value; see opscope run --help",
					argv[optind - 1]);
		default:
			return cmd_fail("run", "unknown option '%s'; see opscope run --help",
					argv[optind - 1]);
		}
		/* err reads "KEY: ...": name the option as the user wrote it */
		if (key && run_settings_set(&o->cli, key, optarg, err, sizeof(err)))
			return cmd_fail("run", "--%s%s", strcmp(key, "max_ops") ? key : "max-ops",
					err + strlen(key));
	}
	if (optind < argc)
		return cmd_fail("run", "unexpected argument '%s'; options start with -- (see "
				"--help)", argv[optind]);
	return check_options(o);
}

/* The suite of a --workload run: one group named after the workload. */
static int cli_suite(const struct run_opts *o, struct suite **out)
{
	struct suite *s = suite_new(NULL, "cli", wl_all);
	struct suite_group *g;
	char err[768];

	*out = NULL;
	if (!s)
		return cmd_fail("run", "out of memory");
	/* the suite functions leave err alone when they run out of memory */
	snprintf(err, sizeof(err), "out of memory");
	if (suite_add_group(s, o->workload, 0, &g, err, sizeof(err)) ||
	    suite_group_set(s, g, "workload", o->workload, 0, err, sizeof(err))) {
		suite_free(s);
		return cmd_fail("run", "%s", err);
	}
	for (int i = 0; i < o->nparams; i++) {
		const char *kv = o->params[i], *eq = strchr(kv, '=');
		char key[160];

		if (!eq || eq == kv || (size_t)(eq - kv) + 7 > sizeof(key)) {
			suite_free(s);
			return cmd_fail("run", "--param %s: not NAME=VALUE; write for example "
					"--param workers=4", kv);
		}
		/* a list of values is a sweep */
		snprintf(key, sizeof(key), "%s%.*s", strchr(eq + 1, ',') ? "sweep " : "",
			 (int)(eq - kv), kv);
		if (suite_group_set(s, g, key, eq + 1, 0, err, sizeof(err))) {
			suite_free(s);
			return cmd_fail("run", "--param %s: %s", kv, err);
		}
	}
	*out = s;
	return 0;
}

/* ---------------------------------------------------------------- one repetition */

#define RSS_SAMPLES 4096
#define NOISE_SAMPLE_NS 100000000ull

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
	struct noise_acc noise;   /* the machine's noise during the repetition */
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
	uint64_t last_progress = 0, last_rss = 0, last_noise = 0;

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
		/* runnable tasks not ours: sampled through the whole repetition */
		if (now - last_noise >= NOISE_SAMPLE_NS) {
			noise_sample(&m->noise);
			last_noise = now;
		}
		if (!m->timed_out && since > m->timeout_ns + STOP_GRACE_NS) {
			m->timed_out = true;
			rep_stop = 1;
		}
		if (m->timed_out && since > m->timeout_ns + STOP_GRACE_NS + ABANDON_NS) {
			/* the workload ignores its stop flag: nothing left but to give up */
			fputc('\n', stderr); /* off the progress line */
			cmd_fail("run", "scenario %s did not stop %.0f s after its timeout; giving "
				 "up without writing a report", m->id,
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

static void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	ex_trace_free(m->trace);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

static struct monitor *monitor_new(int nscenarios)
{
	struct monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->tty = isatty(STDERR_FILENO);
	m->n = nscenarios;
	m->trace = ex_trace_new();
	if (!m->trace) {
		monitor_free(m);
		return NULL;
	}
	return m;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run_rep(struct scen_result *s, struct monitor *m, uint64_t *ops_total, int ncpus)
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
	struct rep_noise noise;
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
	noise_begin(&m->noise);
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
			cmd_warn("run", "out of memory keeping the slow operations of %s for "
				 "trace.json", sc->id);
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
	noise_end(&m->noise, ncpus, &noise);
	err = scen_add_rep(s, rc, &res, peak, steady, m->timed_out || rc == -ETIMEDOUT);
	if (s->nreps)
		s->reps[s->nreps - 1].noise = noise;
	return err;
}

/* ---------------------------------------------------------------- the run's steps */

/* Everything one `opscope run` holds from parsing to exit, released in one place. */
struct run_session {
	struct run_opts o;
	struct suite *suite;
	struct scenario *scs;        /* the suite expanded */
	int n;                       /* scenarios in scs */
	struct report *r;
	struct outdir od;
	struct collector *coll;      /* none with --no-kernel, and once stopped */
	struct profile *prof;        /* --stacks only */
	struct monitor *mon;
	struct sigaction old_int, old_term;
	bool catching_signals;
	struct proc_sample last_sample; /* the process after the latest repetition */
};

/* The suite from --suite FILE, from --workload and its --param options, or the default. */
static int load_suite(struct run_session *s)
{
	char err[1024];

	if (s->o.suite_file) {
		if (suite_load(s->o.suite_file, wl_all, &s->suite, err, sizeof(err)))
			return cmd_fail("run", "%s", err);
		return 0;
	}
	if (s->o.workload)
		return cli_suite(&s->o, &s->suite);
	s->suite = suite_new(NULL, "default", wl_all);
	if (!s->suite)
		return cmd_fail("run", "out of memory");
	if (suite_parse(s->suite, suite_default_text, err, sizeof(err)))
		return cmd_fail("run", "the built-in default suite is broken: %s", err);
	return 0;
}

/* One target from a suite line or --target: a spec adds (or replaces) a target,
 * NAME=VALUE sets a threshold. */
static int apply_target(struct report *r, const char *name, const char *value, char *err,
			size_t errlen)
{
	char n[128];
	const char *eq;

	if (target_is_spec(name))
		return report_target_add(r, name, err, errlen);
	if (value)
		return report_target_set(r, name, value, err, errlen);
	eq = strchr(name, '=');
	if (!eq || eq == name || (size_t)(eq - name) >= sizeof(n)) {
		snprintf(err, errlen, "--target %s: neither NAME=VALUE nor a spec; write for "
			 "example --target pool-p50=2ms or --target 'stream.rt p95 <= 5s'", name);
		return -EINVAL;
	}
	snprintf(n, sizeof(n), "%.*s", (int)(eq - name), name);
	while (n[0] && n[strlen(n) - 1] == ' ')
		n[strlen(n) - 1] = '\0';
	return report_target_set(r, n, eq + 1 + strspn(eq + 1, " "), err, errlen);
}

static int apply_targets(struct report *r, const struct suite *s, const struct run_opts *o)
{
	char err[768];

	for (int i = 0; i < s->ntargets; i++) {
		const struct suite_kv *kv = &s->targets[i];

		if (apply_target(r, kv->name, kv->value[0] ? kv->value : NULL, err, sizeof(err)))
			return cmd_fail("run", "%s:%d: %s", s->file ? s->file : "suite",
					kv->line, err);
	}
	for (int i = 0; i < o->ntargets; i++)
		if (apply_target(r, o->targets[i], NULL, err, sizeof(err)))
			return cmd_fail("run", "%s", err);
	return 0;
}

/* Does a --scenario glob match this scenario (its id, or its group)? */
static bool glob_matches(const char *glob, const struct scenario *sc)
{
	return fnmatch(glob, sc->id, 0) == 0 || fnmatch(glob, sc->group, 0) == 0;
}

/* --scenario: keep the scenarios some glob matches, in suite order; a glob that matches
 * nothing is a mistake (a typo would otherwise run nothing and pass). */
static int select_scenarios(struct run_session *s)
{
	const struct run_opts *o = &s->o;
	int n = 0;

	if (!o->nglobs)
		return 0;
	for (int g = 0; g < o->nglobs; g++) {
		bool any = false;

		for (int i = 0; i < s->n && !any; i++)
			any = glob_matches(o->globs[g], &s->scs[i]);
		if (!any)
			return cmd_fail("run", "--scenario '%s' matches none of the suite's %d "
					"scenarios; opscope run --list shows their ids (e.g. %s)",
					o->globs[g], s->n, s->n ? s->scs[0].id : "none");
	}
	for (int i = 0; i < s->n; i++) {
		bool keep = false;

		for (int g = 0; g < o->nglobs && !keep; g++)
			keep = glob_matches(o->globs[g], &s->scs[i]);
		if (keep)
			s->scs[n++] = s->scs[i];
	}
	s->n = n;
	return 0;
}

/*
 * Everything the user gave, checked before anything runs or is written: the scenarios,
 * the targets and the output directory; then the report's header (command, suite,
 * settings, machine).
 */
static int plan_run(struct run_session *s, int argc, char **argv)
{
	const struct run_opts *o = &s->o;
	struct report *r;
	char err[1024];

	if (suite_expand(s->suite, &o->cli, &s->scs, &s->n, err, sizeof(err)))
		return cmd_fail("run", "%s", err);
	if (select_scenarios(s))
		return 2;
	if (o->list) {
		for (int i = 0; i < s->n; i++)
			printf("%s\n", s->scs[i].id);
		return 1;
	}
	r = s->r = report_new();
	if (!r)
		return cmd_fail("run", "out of memory");
	if (apply_targets(r, s->suite, o))
		return 2;
	if (outdir_check(o->out ? o->out : DEFAULT_OUT, &s->od, err, sizeof(err)))
		return cmd_fail("run", "%s", err);
	report_set_command(r, argc, argv);
	snprintf(r->suite_file, sizeof(r->suite_file), "%s", s->suite->file ? s->suite->file : "");
	snprintf(r->suite_name, sizeof(r->suite_name), "%s", s->suite->name);
	run_settings_unset(&r->settings);
	run_settings_merge(&r->settings, &s->suite->set);
	run_settings_merge(&r->settings, &o->cli);
	run_settings_resolve(&r->settings);
	/* hooks only: the programs are attached, but nothing is accounted */
	r->kernel = !o->no_kernel && !o->hooks_only;
	r->quick = o->quick;
	r->why = o->why;
	r->sample_resources = true; /* RSS, descriptors, threads per round: the leak checks */
	r->sequential = o->sequential;
	for (int g = 0, off = 0; g < o->nglobs && off < (int)sizeof(r->scenario_filter); g++)
		off += snprintf(r->scenario_filter + off, sizeof(r->scenario_filter) - off, "%s\n",
				o->globs[g]);
	envinfo_collect(&r->env);
	return 0;
}

/* The kernel collector (unless --no-kernel): the workloads' threads register themselves. */
static int start_collector(struct run_session *s)
{
	const struct run_opts *o = &s->o;
	struct collector_opts copts = { .tgid = 0, .verbose = o->verbose,
					.bpf_stats = o->bpf_stats,
					.hooks_only = o->hooks_only, .why = o->why };
	char err[1024];

	if (o->no_kernel)
		return 0;
	copts.follow = scenarios_fork(s->scs, s->n); /* pool mode=process: follow them */
	if (o->stacks) {
		copts.stacks = copts.fault_stacks = copts.waker_stacks = true;
		copts.sample_hz = o->sample_hz;
		copts.min_block_ns = (uint64_t)o->min_block_ns;
		s->prof = profile_new(getpid(), o->sample_hz);
		if (!s->prof)
			return cmd_fail("run", "out of memory");
	}
	s->coll = collector_start(&copts, err, sizeof(err));
	if (!s->coll)
		return cmd_fail("run", "%s, or pass --no-kernel for latency without the breakdown",
				err);
	return 0;
}

/* SIGINT and SIGTERM end the current repetition and skip the rest; kept until exit. */
static void catch_signals(struct run_session *s)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	s->catching_signals = true;
	interrupted = 0;
}

/* After a repetition: drain what the kernel counted for the scenario (waits, stacks). */
static void drain_rep(struct run_session *s, struct scen_result *sr)
{
	const char *id = sr->sc.id;

	/* --why: the waits counted in the kernel, drained as the stacks are */
	if (s->o.why && s->coll) {
		int e = sr->wf ? 0 : (sr->wf = waitfor_new()) ? 0 : -ENOMEM;

		if (!e)
			e = waitfor_take(sr->wf, s->coll);
		if (e)
			cmd_warn("run", "could not read the waits of %s (%s); its wait-for "
				 "graph lacks them", id, strerror(-e));
	}
	/* drained after every repetition so the stack tables never fill up */
	if (s->prof) {
		int e = profile_take(s->prof, s->coll, id);

		if (e)
			cmd_warn("run", "could not read the stacks of %s (%s); its flame "
				 "graphs lack them", id, strerror(-e));
	}
}

/* Repetition j of scenario i, unless that scenario is done; -ENOMEM: results not kept. */
static int run_one(struct run_session *s, int i, int j, uint64_t *ops_total)
{
	struct scen_result *sr = &s->r->scen[i];
	struct monitor *mon = s->mon;

	/* a timed-out workload may leave threads behind: do not pile up more */
	if (j >= s->scs[i].set.reps || sr->status == SCEN_TIMEOUT)
		return 0;
	mon->id = s->scs[i].id;
	mon->idx = i;
	mon->reps = s->scs[i].set.reps;
	mon->rep = j;
	/* what the process holds right before: the repetition's growth is measured from here
	 * (the scenario's previous repetition may be several scenarios ago) */
	scen_rep_begin(sr, &s->last_sample);
	if (run_rep(sr, mon, ops_total, s->r->env.online_cpus) == -ENOMEM)
		return -ENOMEM;
	if (sr->nreps && sr->reps[sr->nreps - 1].res.ok)
		s->last_sample = sr->reps[sr->nreps - 1].res;
	drain_rep(s, sr);
	return 0;
}

/*
 * Every scenario's repetitions, with a progress line on a terminal; a signal skips the
 * rest. Interleaved (the default): repetition 1 of every scenario, then repetition 2,
 * and so on, so that a drift in the machine's load spreads over every scenario's
 * repetitions instead of moving all of one scenario's together. --order sequential
 * runs each scenario's repetitions back to back.
 */
static int run_scenarios(struct run_session *s)
{
	uint64_t t0, ops_total = 0;
	int maxreps = 0;

	s->mon = monitor_new(s->n);
	if (!s->mon)
		return cmd_fail("run", "out of memory");
	for (int i = 0; i < s->n; i++) {
		if (!report_add_scenario(s->r, &s->scs[i]))
			return cmd_fail("run", "out of memory");
		if (s->scs[i].set.reps > maxreps)
			maxreps = s->scs[i].set.reps;
	}
	catch_signals(s);
	t0 = ops_now_ns();
	s->mon->run_start_ns = t0;
	if (s->o.sequential) {
		for (int i = 0; i < s->n && !interrupted; i++)
			for (int j = 0; j < s->scs[i].set.reps && !interrupted; j++)
				if (run_one(s, i, j, &ops_total))
					return cmd_fail("run", "out of memory");
	} else {
		for (int j = 0; j < maxreps && !interrupted; j++)
			for (int i = 0; i < s->n && !interrupted; i++)
				if (run_one(s, i, j, &ops_total))
					return cmd_fail("run", "out of memory");
	}
	if (interrupted) {
		for (int i = 0; i < s->n; i++) {
			struct scen_result *sr = &s->r->scen[i];

			/* a scenario with all its repetitions done stays ok */
			if (sr->status != SCEN_OK || sr->nreps >= s->scs[i].set.reps)
				continue;
			sr->status = sr->nreps ? SCEN_INTERRUPTED : SCEN_SKIPPED;
			if (sr->nreps)
				snprintf(sr->error, sizeof(sr->error), "interrupted by a signal");
		}
	}
	if (s->mon->tty)
		fprintf(stderr, "\r\033[K");
	s->r->interrupted = interrupted;
	s->r->elapsed_s = (double)(ops_now_ns() - t0) / 1e9;
	return 0;
}

/* What each of opscope's BPF programs cost (--bpf-stats), into the report. */
static void keep_prog_stats(struct report *r, struct collector *coll)
{
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

/* The collector's own counts and losses into the report, then detach its programs. */
static void stop_collector(struct run_session *s)
{
	struct report *r = s->r;
	struct collector_stats st;

	if (!s->coll)
		return;
	collector_get_stats(s->coll, &st);
	r->have_collector = true;
	r->coll.slots_used = st.slots_used;
	r->coll.slots_full = st.slots_full;
	r->coll.tid_map_full = st.tid_map_full;
	r->coll.late_threads = st.late_threads;
	r->coll.missed_switches = st.missed_switches;
	r->coll.prog_misses = st.prog_misses;
	r->coll.load_ms = st.load_ms;
	r->coll.stacks = s->prof != NULL;
	r->coll.samples = st.samples;
	r->coll.stack_fail = st.stack_fail;
	r->coll.stacks_full = st.stacks_full;
	r->coll.keys_full = st.keys_full;
	r->coll.ustack_copies = st.ustack_copies;
	r->coll.ustack_bytes = st.ustack_bytes;
	r->coll.ustack_lost = st.ustack_lost;
	r->coll.ustack_throttled = st.ustack_throttled;
	r->coll.tw_throttled = st.tw_throttled;
	r->coll.ucount_lost = st.ucount_lost;
	r->coll.urec_dropped = st.urec_dropped;
	if (s->o.bpf_stats)
		keep_prog_stats(r, s->coll);
	if (st.slots_full || st.tid_map_full || st.prog_misses)
		cmd_warn("run", "the collector lost accounting: %" PRIu64 " threads without a "
			 "slot, %" PRIu64 " tid map full, %" PRIu64 " skipped program runs; "
			 "breakdowns are incomplete", st.slots_full, st.tid_map_full,
			 st.prog_misses);
	collector_stop(s->coll);
	s->coll = NULL;
}

/* Derive the metrics, assemble the output directory, print the tables. */
static int write_outputs(struct run_session *s)
{
	char err[1024];
	bool shown;

	if (report_finish(s->r))
		return cmd_fail("run", "out of memory deriving the metrics; no report written");
	if (outdir_commit(&s->od, s->r, s->prof, s->mon->trace, err, sizeof(err)))
		return cmd_fail("run", "%s", err);
	shown = report_write_text(s->r, stdout) == 0 && fflush(stdout) == 0;
	/* EPIPE: the reader went away (run | head), which is no failure of the run */
	if (!shown && errno == EPIPE)
		shown = true;
	cmd_warn("run", "wrote %s/ (report.json, report.txt, report.html, bench.txt, "
		 "trace.json%s%s)", s->od.path, s->prof ? ", stacks/" : "",
		 s->o.why ? ", waitfor/" : "");
	if (!shown)
		return cmd_fail("run", "the tables could not be written to standard output; read "
				"them in %s/report.txt", s->od.path);
	return 0;
}

/* 0: all passed; 1: a target failed; 2: a scenario failed or the run was interrupted. */
static int run_exit_status(const struct report *r)
{
	if (r->interrupted || r->scenarios_failed)
		return 2;
	return r->targets_failed ? 1 : 0;
}

static void end_session(struct run_session *s)
{
	if (s->catching_signals) {
		sigaction(SIGINT, &s->old_int, NULL);
		sigaction(SIGTERM, &s->old_term, NULL);
	}
	if (s->coll)
		collector_stop(s->coll);
	outdir_release(&s->od);
	profile_free(s->prof);
	monitor_free(s->mon);
	report_free(s->r);
	free(s->scs);
	suite_free(s->suite);
}

int cmd_run(int argc, char **argv)
{
	struct run_session s = { 0 };
	int rc;

	suite_plugin_loader = plugins_load; /* a suite's plugin lines */
	rc = parse_args(argc, argv, &s.o);
	if (rc)
		return rc == 1 ? 0 : rc;
	rc = load_suite(&s);
	if (rc)
		goto out;
	rc = plan_run(&s, argc, argv);
	if (rc) {
		rc = rc == 1 ? 0 : rc; /* --list */
		goto out;
	}
	rc = start_collector(&s);
	if (rc)
		goto out;
	rc = run_scenarios(&s);
	if (rc)
		goto out;
	stop_collector(&s);
	rc = write_outputs(&s);
	if (rc)
		goto out;
	rc = run_exit_status(s.r);
out:
	end_session(&s);
	return rc;
}
