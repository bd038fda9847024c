// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel collector against the kernel's own accounting. Needs root; prints a SKIP
 * line otherwise. Each check prints what it measured, so a failure says by how much.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "kernel/sysnames.h"

#include "itest.h"

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000ull, ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = ops_now_ns() + ns;

	while (ops_now_ns() < end)
		;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* An op that sleeps X ms: blocked at least ~X, one voluntary switch, blamed on the sleep. */
static void test_sleep(void)
{
	struct ops_thread t;
	struct ops_snap a, b;
	struct ops_bd bd;
	const uint64_t x = 20 * 1000 * 1000;
	int idx = -1;

	if (ops_thread_register(&t) || !t.slot) {
		CHECK(0, "sleep: thread registration gave no slot");
		return;
	}
	ops_snap_take(&t, &a);
	sleep_ns(x);
	ops_snap_take(&t, &b);
	ops_snap_delta(&t, &a, &b, &bd);
	/* the timer never fires early, and a late one (a busy hypervisor) is blocked time
	 * too: bounded below by the sleep, above only by the op itself */
	CHECK(bd.blocked_ns >= x - x / 20 && bd.blocked_ns <= bd.lat_ns,
	      "sleep %.1f ms: blocked %.3f ms of the op's %.3f ms", x / 1e6, bd.blocked_ns / 1e6,
	      bd.lat_ns / 1e6);
	CHECK(bd.vcsw == 1, "sleep: %lu voluntary switches (want 1)", (unsigned long)bd.vcsw);
	for (int i = 0; i < OPS_BD_BLK; i++)
		if (bd.blk_ns[i] * 2 > bd.blocked_ns)
			idx = i;
	CHECK(idx >= 0 && sysnames_name(idx) && strstr(sysnames_name(idx), "nanosleep"),
	      "sleep: blocked time charged to %s", idx >= 0 ? sysnames_name(idx) : "nothing");
	{
		/* the slot's off-CPU ring has the interval, inside the op, blamed on the sleep
		 * (not always the newest: the thread may be preempted after it wakes) */
		const struct ops_slot *sl = (const struct ops_slot *)t.slot;
		const struct ops_off *o = NULL;

		for (uint64_t k = 0; k < OPS_OFF_RING && k < sl->off_seq; k++) {
			const struct ops_off *c = &sl->off[(sl->off_seq - 1 - k) % OPS_OFF_RING];

			if (c->start >= a.ts && c->end <= b.ts && c->sys == SYS_clock_nanosleep) {
				o = c;
				break;
			}
		}
		CHECK(o && o->end - o->start >= x,
		      "off-CPU ring: an interval of %.3f ms within the op, in syscall %d",
		      o ? (o->end - o->start) / 1e6 : 0.0, o ? o->sys : -1);
	}
	/* on-CPU is the scheduler's clock, latency CLOCK_MONOTONIC: allow 0.1% between them */
	CHECK(bd.on_ns + bd.runq_ns + bd.blocked_ns + bd.steal_ns <=
			      bd.lat_ns + bd.lat_ns / 1000 + 1000 &&
		      bd.on_ns + bd.runq_ns + bd.blocked_ns + bd.steal_ns + 200000 >= bd.lat_ns,
	      "sleep: on %.3f + runq %.3f + blocked %.3f ms adds up to latency %.3f ms",
	      bd.on_ns / 1e6, bd.runq_ns / 1e6, bd.blocked_ns / 1e6, bd.lat_ns / 1e6);
}

/*
 * Uninstrumented under ASan (make SANITIZE=1): its check of each store would also fault
 * in a page of shadow memory per 8 pages touched.
 */
__attribute__((noinline, no_sanitize_address)) static void touch_pages(char *p, size_t n,
									size_t page)
{
	for (size_t i = 0; i < n; i++)
		p[i * page] = 1;
	__asm__ __volatile__("" ::: "memory");
}

/* An op that touches N fresh pages: N user page faults. */
static void test_faults(void)
{
	const size_t n = 512, page = (size_t)sysconf(_SC_PAGESIZE);
	struct ops_thread t;
	struct ops_snap a, b;
	struct ops_bd bd;
	char *p;

	if (ops_thread_register(&t) || !t.slot) {
		CHECK(0, "faults: no slot");
		return;
	}
	p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		CHECK(0, "faults: mmap failed: %s", strerror(errno));
		return;
	}
	madvise(p, n * page, MADV_NOHUGEPAGE);
	ops_snap_take(&t, &a);
	touch_pages(p, n, page);
	ops_snap_take(&t, &b);
	ops_snap_delta(&t, &a, &b, &bd);
	CHECK(bd.faults + 2 >= n && bd.faults <= n + 2, "touch %zu pages: %lu user faults", n,
	      (unsigned long)bd.faults);

	/* Mapping syscalls: count and bytes. */
	ops_snap_take(&t, &a);
	munmap(p, n * page);
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, 1 << 20);
	ops_snap_take(&t, &b);
	ops_snap_delta(&t, &a, &b, &bd);
	CHECK(bd.map_calls == 3 && bd.map_bytes == 1 << 20 &&
		      bd.unmap_bytes == (1 << 20) + n * page,
	      "munmap+mmap+munmap: %lu calls, %lu bytes mapped, %lu unmapped",
	      (unsigned long)bd.map_calls, (unsigned long)bd.map_bytes,
	      (unsigned long)bd.unmap_bytes);
	CHECK(bd.syscalls == 3, "munmap+mmap+munmap: %lu syscalls counted",
	      (unsigned long)bd.syscalls);
}

static atomic_int hog_stop;

static void *hog(void *arg)
{
	pin_to(0);
	while (!atomic_load(&hog_stop))
		;
	return NULL;
}

/* An op that spins while another busy thread shares its CPU: it waits for the CPU. */
static void test_preempt(void)
{
	struct ops_thread t;
	struct ops_snap a, b;
	struct ops_bd bd;
	pthread_t th;

	pin_to(0);
	if (ops_thread_register(&t) || !t.slot) {
		CHECK(0, "preempt: no slot");
		return;
	}
	atomic_store(&hog_stop, 0);
	pthread_create(&th, NULL, hog, NULL);
	sleep_ns(5 * 1000 * 1000);
	ops_snap_take(&t, &a);
	spin_ns(60 * 1000 * 1000);
	ops_snap_take(&t, &b);
	ops_snap_delta(&t, &a, &b, &bd);
	atomic_store(&hog_stop, 1);
	pthread_join(th, NULL);
	CHECK(bd.runq_ns > 0 && bd.ivcsw > 0,
	      "spin 60 ms beside a hog: runq %.3f ms, %lu involuntary switches, on %.3f ms",
	      bd.runq_ns / 1e6, (unsigned long)bd.ivcsw, bd.on_ns / 1e6);
	/*
	 * On-CPU is the scheduler's charge, which starts at set_next_entity(), a little
	 * before the switch reaches the tracepoint: each switch-in can put a few
	 * microseconds more on-CPU than the wall clock saw (12 us per switch measured
	 * here beside a second CPU hog). Allow 20 us a switch, and 0.1%.
	 */
	CHECK(bd.on_ns + bd.runq_ns + bd.steal_ns + 200000 >= bd.lat_ns &&
		      bd.on_ns + bd.runq_ns + bd.steal_ns <=
			      bd.lat_ns + bd.lat_ns / 1000 + (bd.ivcsw + bd.vcsw + 1) * 20000,
	      "spin: on %.3f + runq %.3f + steal %.3f ms vs latency %.3f ms", bd.on_ns / 1e6,
	      bd.runq_ns / 1e6, bd.steal_ns / 1e6, bd.lat_ns / 1e6);
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
}

/* Whole-life totals against /proc/<pid>/task/<tid>/schedstat and status. */
#define NWORK 3
struct worker {
	pthread_t th;
	pid_t tid;
	int seed;
};
static pthread_barrier_t done_bar, check_bar;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t end;

	w->tid = gettid();
	pin_to(0);
	end = ops_now_ns() + 300 * 1000 * 1000ull;
	for (int i = 0; ops_now_ns() < end; i++) {
		spin_ns(2 * 1000 * 1000 + (uint64_t)w->seed * 300000);
		if (i % 3 == 0)
			sleep_ns(1000 * 1000);
		if (i % 7 == 0)
			sched_yield();
	}
	pthread_barrier_wait(&done_bar);
	pthread_barrier_wait(&check_bar); /* parked: off-CPU, counters complete */
	return NULL;
}

static int read_schedstat(pid_t tid, uint64_t *run, uint64_t *wait)
{
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%lu %lu", (unsigned long *)run, (unsigned long *)wait);
	fclose(f);
	return n == 2 ? 0 : -1;
}

static int read_ctxt(pid_t tid, uint64_t *vol, uint64_t *invol)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "voluntary_ctxt_switches: %lu", (unsigned long *)vol);
		sscanf(line, "nonvoluntary_ctxt_switches: %lu", (unsigned long *)invol);
	}
	fclose(f);
	return 0;
}

static bool within(uint64_t got, uint64_t want, double rel, uint64_t abs_ns)
{
	uint64_t d = got > want ? got - want : want - got;

	return d <= abs_ns || d <= want * rel;
}

static void test_schedstat(struct collector *c)
{
	struct worker w[NWORK];

	pthread_barrier_init(&done_bar, NULL, NWORK + 1);
	pthread_barrier_init(&check_bar, NULL, NWORK + 1);
	for (int i = 0; i < NWORK; i++) {
		w[i].seed = i;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&done_bar);
	/* let every worker park in the barrier (a loaded machine may take a while) */
	for (int tries = 0; tries < 100; tries++) {
		bool parked = true;

		sleep_ns(10 * 1000 * 1000);
		for (int i = 0; i < NWORK; i++) {
			volatile struct ops_slot *s = collector_slot_of(c, w[i].tid);

			parked = parked && s && s->state == OPS_T_BLOCKED;
		}
		if (parked)
			break;
	}
	for (int i = 0; i < NWORK; i++) {
		volatile struct ops_slot *s = collector_slot_of(c, w[i].tid);
		uint64_t run = 0, wait = 0, vol = 0, invol = 0;

		if (!s || read_schedstat(w[i].tid, &run, &wait) || read_ctxt(w[i].tid, &vol, &invol)) {
			CHECK(0, "thread %d: no slot or unreadable /proc files", w[i].tid);
			continue;
		}
		CHECK(s->state == OPS_T_BLOCKED, "thread %d: parked (state %u)", w[i].tid, s->state);
		CHECK(within(s->on_ns, run, 0.02, 100000),
		      "thread %d on-CPU: opscope %.3f ms, schedstat %.3f ms (%+.2f%%)", w[i].tid,
		      s->on_ns / 1e6, run / 1e6, 100.0 * ((double)s->on_ns - run) / (run ? run : 1));
		CHECK(within(s->runq_ns, wait, 0.02, 100000),
		      "thread %d run-queue wait: opscope %.3f ms, schedstat %.3f ms (%+.2f%%)",
		      w[i].tid, s->runq_ns / 1e6, wait / 1e6,
		      100.0 * ((double)s->runq_ns - wait) / (wait ? wait : 1));
		CHECK(s->nvcsw + 1 >= vol && s->nvcsw <= vol + 1,
		      "thread %d voluntary switches: opscope %lu, status %lu", w[i].tid,
		      (unsigned long)s->nvcsw, (unsigned long)vol);
		CHECK(s->nivcsw + 1 >= invol && s->nivcsw <= invol + 1,
		      "thread %d involuntary switches: opscope %lu, status %lu", w[i].tid,
		      (unsigned long)s->nivcsw, (unsigned long)invol);
	}
	pthread_barrier_wait(&check_bar);
	for (int i = 0; i < NWORK; i++)
		pthread_join(w[i].th, NULL);
}

int main(void)
{
	struct collector_opts opts = {};
	struct collector_stats st;
	struct collector *c;
	char err[512];

	if (geteuid() != 0) {
		printf("SKIP itest_collector: needs root to load BPF programs\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	c = collector_start(&opts, err, sizeof(err));
	if (!c) {
		printf("  FAIL  collector_start: %s\n", err);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	collector_get_stats(c, &st);
	printf("collector: loaded and attached in %.1f ms\n", st.load_ms);
	test_sleep();
	test_faults();
	test_preempt();
	test_schedstat(c);
	collector_get_stats(c, &st);
	CHECK(st.slots_full == 0 && st.tid_map_full == 0,
	      "losses: %lu threads without a slot, %lu tid-map failures",
	      (unsigned long)st.slots_full, (unsigned long)st.tid_map_full);
	printf("  note  %lu inconsistent switch states, %lu program runs skipped by the kernel\n",
	       (unsigned long)st.missed_switches, (unsigned long)st.prog_misses);
	collector_stop(c);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
