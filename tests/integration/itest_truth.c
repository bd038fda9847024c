// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The collector against the kernel's own accounting, exactly. A child process starts the
 * collector on itself, creates the truth workload's threads (tests/fixtures/
 * truth_work.h: preemption, sleeps, yields, faults in both modes, wakeups, sleeps entered
 * with a signal pending, syscalls), lets them work and park, copies their slots, stops
 * the collector, and only then reads /proc twice (the two readings must be equal: nothing
 * moves). Every thread was born after the collector started, so opscope counts its whole
 * life, as /proc does:
 *  - on-CPU == schedstat's run time, to the nanosecond;
 *  - run-queue wait == schedstat's wait time, within 0.5%;
 *  - voluntary and involuntary switches == status's ctxt_switches, exactly;
 *  - user-mode + kernel-mode faults == stat's minflt + majflt, exactly;
 * and each operation (one step of a thread's work, timed by the thread itself) is split
 * into on-CPU, run-queue, blocked and steal that add up to its latency within 0.5%; each
 * sleep's off-CPU interval, converted to CLOCK_MONOTONIC, lies within its operation.
 * The same again with a CPU hog on every CPU (separate processes, pinned). Needs root.
 */
#include <math.h>
#include <sys/wait.h>
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "fixtures/truth_work.h"

#include "itest.h"

/* What a thread's operations showed: how many, how many did not add up, the worst. */
struct op_stats {
	atomic_ulong n, bad, ring_n, ring_bad, ring_lag;
	_Atomic double worst;      /* largest |parts - latency| / latency */
	_Atomic double ring_worst; /* largest |interval - off-CPU parts| / off-CPU parts */
	struct ops_bd worst_bd;    /* the first op over 0.5%, to say how it missed */
	atomic_int have_worst;
};
static struct op_stats ops[TW_NR];

static __thread struct ops_thread me;
static __thread struct ops_snap op_a;
static __thread uint64_t seq_a;
static __thread bool registered;

/* A snapshot and the off-CPU ring's sequence, both from the same moment. */
static void snap_seq(struct ops_snap *sn, uint64_t *seq)
{
	const volatile struct ops_slot *s = me.slot;
	uint64_t in;

	do {
		in = s->in_ts;
		ops_snap_take(&me, sn);
		*seq = s->off_seq;
	} while (s->in_ts != in);
}

static void op_begin(int kind)
{
	if (!registered) {
		registered = true;
		ops_thread_register(&me);
	}
	if (me.slot)
		snap_seq(&op_a, &seq_a);
}

static void max_double(_Atomic double *v, double x)
{
	double cur = atomic_load(v);

	while (x > cur && !atomic_compare_exchange_weak(v, &cur, x))
		;
}

static double rel(uint64_t got, uint64_t want)
{
	return want ? fabs((double)got - (double)want) / (double)want : (got ? 1 : 0);
}

/*
 * A sleep that was the op's one off-CPU interval: its ring entry, converted to
 * CLOCK_MONOTONIC, is as long as the op's blocked and run-queue time, and blames the
 * sleep. Only when the entry lies within the op's own clock readings: a stamp the
 * kernel took with a run-queue clock that lagged (an update skipped) can fall before the
 * op began, and the op's split then moved that lag out of its off-CPU time (the parts
 * still add up); those are counted, not compared.
 */
static void check_ring(int kind, const struct ops_bd *bd, uint64_t a, uint64_t b,
		       uint64_t seq_b)
{
	const struct ops_slot *s = (const struct ops_slot *)me.slot;
	const struct ops_off *o = &s->off[seq_a % OPS_OFF_RING];
	double err;

	if (seq_b != seq_a + 1 || bd->vcsw != 1 || bd->ivcsw != 0)
		return;
	if (o->start < a || o->end > b) {
		atomic_fetch_add(&ops[kind].ring_lag, 1);
		return;
	}
	err = rel(o->end - o->start, bd->blocked_ns + bd->runq_ns);
	atomic_fetch_add(&ops[kind].ring_n, 1);
	if (err > 0.005 || o->sys != SYS_clock_nanosleep)
		atomic_fetch_add(&ops[kind].ring_bad, 1);
	max_double(&ops[kind].ring_worst, err);
}

static void op_end(int kind)
{
	struct ops_snap b;
	struct ops_bd bd;
	uint64_t seq_b;
	double err;

	if (!me.slot)
		return;
	snap_seq(&b, &seq_b);
	ops_snap_delta(&me, &op_a, &b, &bd);
	err = rel(bd.on_ns + bd.runq_ns + bd.blocked_ns + bd.steal_ns, bd.lat_ns);
	atomic_fetch_add(&ops[kind].n, 1);
	if (err > 0.005) {
		atomic_fetch_add(&ops[kind].bad, 1);
		if (atomic_exchange(&ops[kind].have_worst, 1) == 0)
			ops[kind].worst_bd = bd;
	}
	max_double(&ops[kind].worst, err);
	if (kind == TW_SLEEP || kind == TW_SIG_SLEEP)
		check_ring(kind, &bd, op_a.ts, b.ts, seq_b);
}

/* A thread's figures in /proc: schedstat, status's switches, stat's faults. */
struct kfig {
	uint64_t run, wait, vol, invol, minflt, majflt, pcount;
};

static int read_kfig(pid_t tid, struct kfig *k)
{
	char path[96], line[1024], *p;
	FILE *f;
	int ok = 0;

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lu %lu %lu", (unsigned long *)&k->run, (unsigned long *)&k->wait,
			 (unsigned long *)&k->pcount) != 3)
		ok = -1;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %lu", (unsigned long *)&k->vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %lu", (unsigned long *)&k->invol);
	}
	if (f)
		fclose(f);
	else
		ok = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	/* after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt */
	if (!f || !fgets(line, sizeof(line), f) || !(p = strrchr(line, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %lu %*u %lu", (unsigned long *)&k->minflt,
		   (unsigned long *)&k->majflt) != 2)
		ok = -1;
	if (f)
		fclose(f);
	return ok;
}

/* Every thread parked: its slot says it blocked in read() (the park), and the kernel
 * has counted that switch (the tracepoint runs after the counters move). */
static bool all_parked(struct collector *c)
{
	for (int k = 0; k < TW_NR; k++) {
		volatile struct ops_slot *s = collector_slot_of(c, atomic_load(&tw.t[k].tid));

		if (!s || s->state != OPS_T_BLOCKED || s->blk_sys != SYS_read)
			return false;
	}
	return true;
}

static void compare(const char *pass, int k, const struct ops_slot *s, const struct kfig *f)
{
	const char *n = tw_names[k];
	double rq = f->wait ? ((double)s->runq_ns - (double)f->wait) / (double)f->wait : 0;

	CHECK(s->on_ns == f->run, "%s %s: on-CPU %lu ns, schedstat %lu ns", pass, n,
	      (unsigned long)s->on_ns, (unsigned long)f->run);
	CHECK(fabs(rq) <= 0.005, "%s %s: run-queue %lu ns, schedstat %lu ns (%+.4f%%)", pass, n,
	      (unsigned long)s->runq_ns, (unsigned long)f->wait, 100 * rq);
	CHECK(s->nvcsw == f->vol && s->nivcsw == f->invol,
	      "%s %s: switches %lu voluntary, %lu involuntary; status %lu, %lu", pass, n,
	      (unsigned long)s->nvcsw, (unsigned long)s->nivcsw, (unsigned long)f->vol,
	      (unsigned long)f->invol);
	CHECK(s->faults + s->kfaults == f->minflt + f->majflt,
	      "%s %s: faults %lu in user mode + %lu in kernel mode; stat %lu", pass, n,
	      (unsigned long)s->faults, (unsigned long)s->kfaults,
	      (unsigned long)(f->minflt + f->majflt));
}

static void report_ops(const char *pass)
{
	for (int k = 0; k < TW_NR; k++) {
		struct op_stats *o = &ops[k];

		if (!atomic_load(&o->n))
			continue;
		CHECK(atomic_load(&o->bad) == 0,
		      "%s %s: %lu operations, %lu whose parts miss the latency by more than 0.5%% "
		      "(worst %.4f%%)", pass, tw_names[k], atomic_load(&o->n), atomic_load(&o->bad),
		      100 * atomic_load(&o->worst));
		if (atomic_load(&o->have_worst)) {
			const struct ops_bd *w = &o->worst_bd;

			printf("  note  %s %s: one such op: latency %lu ns = on %lu + run-queue "
			       "%lu + blocked %lu + steal %lu ns; %lu voluntary, %lu involuntary "
			       "switches\n", pass, tw_names[k], (unsigned long)w->lat_ns,
			       (unsigned long)w->on_ns, (unsigned long)w->runq_ns,
			       (unsigned long)w->blocked_ns, (unsigned long)w->steal_ns,
			       (unsigned long)w->vcsw, (unsigned long)w->ivcsw);
		}
		if (atomic_load(&o->ring_n))
			CHECK(atomic_load(&o->ring_bad) == 0,
			      "%s %s: %lu sleeps' off-CPU intervals, %lu not as long as the op's "
			      "blocked and run-queue time within 0.5%% or not in clock_nanosleep "
			      "(worst %.4f%%; %lu stamped by a lagging clock, not compared)", pass,
			      tw_names[k], atomic_load(&o->ring_n), atomic_load(&o->ring_bad),
			      100 * atomic_load(&o->ring_worst), atomic_load(&o->ring_lag));
	}
}

/* One pass, in this (child) process. Returns the number of failed checks. */
static int pass(const char *name)
{
	struct collector_opts opts = {};
	struct ops_slot sl[TW_NR];
	struct kfig k1[TW_NR], k2[TW_NR];
	struct collector_stats st;
	struct collector *c;
	char err[512];
	int tries;

	c = collector_start(&opts, err, sizeof(err));
	if (!c) {
		CHECK(0, "%s: collector_start: %s", name, err);
		return failed;
	}
	tw_op_begin = op_begin;
	tw_op_end = op_end;
	if (tw_create() || tw_run()) {
		CHECK(0, "%s: the workload did not run: %s", name, strerror(errno));
		return failed;
	}
	for (tries = 0; tries < 1000 && !all_parked(c); tries++)
		tw_nap(10 * 1000 * 1000);
	CHECK(tries < 1000, "%s: every thread parked", name);
	for (int k = 0; k < TW_NR; k++) {
		volatile struct ops_slot *s = collector_slot_of(c, atomic_load(&tw.t[k].tid));

		if (!s) {
			CHECK(0, "%s %s: thread %d has no slot", name, tw_names[k],
			      atomic_load(&tw.t[k].tid));
			return failed;
		}
		memcpy(&sl[k], (const void *)s, sizeof(sl[k]));
	}
	collector_get_stats(c, &st);
	printf("  note  %s: %lu switch-ins no program saw, repaired; %lu program runs skipped\n",
	       name, (unsigned long)st.missed_switches, (unsigned long)st.prog_misses);
	CHECK(st.clock_err_ns <= 1000 && st.clock_steps == 0,
	      "%s: the clock model within %ld ns of CLOCK_MONOTONIC's tightest readings "
	      "(%lu updates, %lu steps)", name, (long)st.clock_err_ns,
	      (unsigned long)st.clock_updates, (unsigned long)st.clock_steps);
	collector_stop(c);
	for (int k = 0; k < TW_NR; k++)
		read_kfig(atomic_load(&tw.t[k].tid), &k1[k]);
	tw_nap(20 * 1000 * 1000);
	for (int k = 0; k < TW_NR; k++)
		read_kfig(atomic_load(&tw.t[k].tid), &k2[k]);
	CHECK(!memcmp(k1, k2, sizeof(k1)), "%s: /proc read twice, 20 ms apart: the same", name);
	for (int k = 0; k < TW_NR; k++)
		compare(name, k, &sl[k], &k2[k]);
	report_ops(name);
	return failed;
}

/* A pass in a child process (each needs its own threads and collector). */
static void run_pass(const char *name)
{
	int st = 0;
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p == 0) {
		int f;

		passed = failed = 0; /* the parent's count of earlier passes is not ours */
		f = pass(name);

		printf("%s: %d passed, %d failed\n", name, passed, f);
		fflush(stdout);
		_exit(f ? 1 : 0);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
		failed++;
		printf("  FAIL  %s (%s %d)\n", name, WIFEXITED(st) ? "exit status" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	} else {
		passed++;
		printf("  ok    %s\n", name);
	}
}

int main(int argc, char **argv)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pid_t hogs[256];
	int nhog = 0;
	bool only_hogs = argc > 1 && !strcmp(argv[1], "--hogs");

	if (geteuid() != 0) {
		printf("SKIP itest_truth: needs root to load BPF programs\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	if (!only_hogs)
		run_pass("quiet");
	/* a CPU hog on every CPU, each its own process, so that it is no thread of ours */
	for (int cpu = 0; cpu < ncpu && nhog < 256; cpu++) {
		pid_t p = fork();

		if (p == 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			for (;;)
				;
		}
		if (p > 0)
			hogs[nhog++] = p;
	}
	run_pass("hogs");
	for (int i = 0; i < nhog; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
