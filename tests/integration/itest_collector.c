// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel collector on single operations of this process: a sleep, page faults and
 * memory-mapping calls, a spin beside a hog. Whole-thread totals against /proc are
 * itest_truth's. Needs root; prints a SKIP line otherwise. Each check prints what it
 * measured, so a failure says by how much.
 */
#include <errno.h>
#include <fcntl.h>
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
		/* the slot's off-CPU ring has the sleep's interval (not always the newest: the
		 * thread may be preempted after it wakes), blamed on the sleep, as long as its
		 * blocked time (the kernel's clock, converted: its stamps can lag the moment
		 * by microseconds, so the interval is not compared with a and b) */
		const struct ops_slot *sl = (const struct ops_slot *)t.slot;
		const struct ops_off *o = NULL;

		for (uint64_t k = 0; k < OPS_OFF_RING && k < sl->off_seq; k++) {
			const struct ops_off *c = &sl->off[(sl->off_seq - 1 - k) % OPS_OFF_RING];

			if (c->sys == SYS_clock_nanosleep && c->wake - c->start >= x) {
				o = c;
				break;
			}
		}
		CHECK(o && o->wake - o->start >= bd.blocked_ns - bd.blocked_ns / 200 &&
			      o->wake - o->start <= bd.blocked_ns + bd.blocked_ns / 200,
		      "off-CPU ring: the sleep's interval, blocked %.3f ms (the op's %.3f ms), in "
		      "syscall %d", o ? (o->wake - o->start) / 1e6 : 0.0, bd.blocked_ns / 1e6,
		      o ? o->sys : -1);
	}
	{
		uint64_t parts = bd.on_ns + bd.runq_ns + bd.blocked_ns + bd.steal_ns;

		CHECK(parts <= bd.lat_ns + bd.lat_ns / 200 && parts >= bd.lat_ns - bd.lat_ns / 200,
		      "sleep: on %.3f + runq %.3f + blocked %.3f + steal %.3f ms add up to the "
		      "latency %.3f ms within 0.5%%", bd.on_ns / 1e6, bd.runq_ns / 1e6,
		      bd.blocked_ns / 1e6, bd.steal_ns / 1e6, bd.lat_ns / 1e6);
	}
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

	/* read() into fresh pages: the kernel faults them in, in kernel mode, within the op */
	{
		char *q = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		int zero = open("/dev/zero", O_RDONLY);

		if (q != MAP_FAILED && zero >= 0) {
			madvise(q, n * page, MADV_NOHUGEPAGE);
			ops_snap_take(&t, &a);
			if (read(zero, q, n * page) < 0)
				perror("read");
			ops_snap_take(&t, &b);
			ops_snap_delta(&t, &a, &b, &bd);
			CHECK(bd.kfaults == n && bd.faults == 0,
			      "read() into %zu fresh pages: %lu kernel-mode faults, %lu user-mode, "
			      "in that op", n, (unsigned long)bd.kfaults, (unsigned long)bd.faults);
			munmap(q, n * page);
		}
		if (zero >= 0)
			close(zero);
	}

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
	{
		/* every part in the scheduler's clock: they add up to the latency */
		uint64_t parts = bd.on_ns + bd.runq_ns + bd.blocked_ns + bd.steal_ns;

		CHECK(parts <= bd.lat_ns + bd.lat_ns / 200 && parts >= bd.lat_ns - bd.lat_ns / 200,
		      "spin: on %.3f + runq %.3f + blocked %.3f + steal %.3f ms add up to the "
		      "latency %.3f ms within 0.5%%", bd.on_ns / 1e6, bd.runq_ns / 1e6,
		      bd.blocked_ns / 1e6, bd.steal_ns / 1e6, bd.lat_ns / 1e6);
	}
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
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
