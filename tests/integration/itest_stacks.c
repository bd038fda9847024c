// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stacks end to end: known call chains are run under the collector with stacks on, then
 * written as folded files, which are read back: a function that spins shows in the
 * on-CPU stacks under its caller, one that sleeps in the off-CPU stacks above the
 * kernel's sleep path with about the slept time, one that touches fresh pages in the
 * fault stacks with the page count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "stacks/profile.h"

#include "itest.h"

#define SLEEP_MS 60
#define NSLEEP 5
#define NPAGES 2000

static volatile uint64_t sink;

/* Known call chains. No libc call may sit between them and the kernel: Debian's libc
 * has no frame pointers, so a walk from inside it skips its caller. */
void itest_spin_leaf(uint64_t ns);
void itest_spin_caller(void);
void itest_sleep_caller(void);
void itest_touch_caller(char *p, size_t page);

__attribute__((noinline)) void itest_spin_leaf(uint64_t ns)
{
	struct timespec ts;
	uint64_t end;

	/* thread CPU time, so that a loaded machine does not thin the samples; read rarely:
	 * the clock's vDSO code has no frame pointer either */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = ts.tv_sec * 1000000000ull + ts.tv_nsec + ns;
	do {
		for (int i = 0; i < 200000; i++)
			sink++;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while (ts.tv_sec * 1000000000ull + ts.tv_nsec < end);
}

__attribute__((noinline)) void itest_spin_caller(void)
{
	itest_spin_leaf(400 * 1000 * 1000ull);
	__asm__ __volatile__("" ::: "memory");
}

__attribute__((noinline)) void itest_sleep_caller(void)
{
	for (int i = 0; i < NSLEEP; i++) {
		struct timespec ts = { 0, SLEEP_MS * 1000 * 1000 };
		long ret;

		/* nanosleep(2) without libc's wrapper */
		__asm__ __volatile__("syscall"
				     : "=a"(ret)
				     : "0"(SYS_nanosleep), "D"(&ts), "S"(NULL)
				     : "rcx", "r11", "memory");
		(void)ret;
	}
	__asm__ __volatile__("" ::: "memory");
}

/* uninstrumented under ASan: its store checks would fault in shadow pages too */
__attribute__((noinline, no_sanitize_address)) void itest_touch_caller(char *p, size_t page)
{
	for (size_t i = 0; i < NPAGES; i++)
		p[i * page] = 1;
	__asm__ __volatile__("" ::: "memory");
}

/* Sum of the values of lines of file that contain every one of the needles. */
static uint64_t folded_sum(const char *file, const char *const *needles, int n)
{
	char line[16384];
	uint64_t sum = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strrchr(line, ' ');
		bool all = sp != NULL;

		for (int i = 0; all && i < n; i++)
			all = strstr(line, needles[i]) && strstr(line, needles[i]) < sp;
		if (all)
			sum += strtoull(sp + 1, NULL, 10);
	}
	fclose(f);
	return sum;
}

/* ---- just enough of profile.proto to check what profile_write() wrote ---- */
struct pbr {
	const uint8_t *p, *end;
};

static uint64_t pb_varint(struct pbr *r)
{
	uint64_t v = 0;

	for (int sh = 0; r->p < r->end && sh < 64; sh += 7) {
		uint8_t b = *r->p++;

		v |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80))
			return v;
	}
	r->p = r->end + 1; /* truncated: mark broken */
	return 0;
}

/* Next field: number, wire type, and for length-delimited ones the bytes. 0 at the end,
 * -1 when malformed. */
static int pb_field(struct pbr *r, uint32_t *num, uint64_t *val, struct pbr *sub)
{
	uint64_t key, len;

	if (r->p >= r->end)
		return 0;
	key = pb_varint(r);
	*num = (uint32_t)(key >> 3);
	switch (key & 7) {
	case 0:
		*val = pb_varint(r);
		break;
	case 2:
		len = pb_varint(r);
		if (r->p > r->end || len > (uint64_t)(r->end - r->p))
			return -1;
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
		break;
	default:
		return -1;
	}
	return r->p > r->end ? -1 : 1;
}

struct ppcheck {
	int ok;			/* gunzipped and parsed to the end */
	uint64_t samples, strings;
	uint64_t sum[5];	/* per sample type, in profile.c's order */
	int has_types, has_labels, has_func;
};

static void pprof_check(const char *path, struct ppcheck *pc)
{
	static uint8_t raw[64 << 20];
	uint8_t gz[4096];
	z_stream z = { 0 };
	struct pbr r, sub, s2;
	uint64_t v;
	uint32_t num;
	int rc, zr = Z_OK;
	size_t n;
	FILE *f = fopen(path, "rb");

	memset(pc, 0, sizeof(*pc));
	if (!f || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		if (f)
			fclose(f);
		return;
	}
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	while (zr == Z_OK && (n = fread(gz, 1, sizeof(gz), f)) > 0) {
		z.next_in = gz;
		z.avail_in = (uInt)n;
		zr = inflate(&z, Z_NO_FLUSH);
	}
	fclose(f);
	inflateEnd(&z);
	if (zr != Z_STREAM_END)
		return;
	r.p = raw;
	r.end = raw + z.total_out;
	while ((rc = pb_field(&r, &num, &v, &sub)) == 1) {
		if (num == 6) { /* string_table */
			char s[128];
			size_t len = (size_t)(sub.end - sub.p) < sizeof(s) - 1 ?
					     (size_t)(sub.end - sub.p) : sizeof(s) - 1;

			memcpy(s, sub.p, len);
			s[len] = '\0';
			pc->strings++;
			pc->has_types += !strcmp(s, "offcpu") || !strcmp(s, "runq") ||
					 !strcmp(s, "faults") || !strcmp(s, "cpu");
			pc->has_labels += !strcmp(s, "scenario") || !strcmp(s, "thread");
			pc->has_func += !strcmp(s, "itest_sleep_caller");
		} else if (num == 2) { /* sample: field 2 holds the values, packed */
			pc->samples++;
			while ((rc = pb_field(&sub, &num, &v, &s2)) == 1) {
				for (int i = 0; num == 2 && s2.p < s2.end && i < 5; i++)
					pc->sum[i] += pb_varint(&s2);
			}
			if (rc < 0)
				return;
		}
	}
	pc->ok = rc == 0;
}

int main(void)
{
	struct collector_opts opts = {
		.stacks = true, .fault_stacks = true, .waker_stacks = true,
		.min_block_ns = 1000 * 1000, .sample_hz = 997,
	};
	struct collector_stats st;
	struct profile_stats ps;
	struct collector *c;
	struct profile *p;
	struct ops_thread t;
	char err[512], dir[] = "/tmp/opscope-itest-stacksXXXXXX", path[512];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *mem;

	if (geteuid() != 0) {
		printf("SKIP itest_stacks: needs root to load BPF programs\n");
		printf("0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	c = collector_start(&opts, err, sizeof(err));
	if (!c) {
		printf("  FAIL  collector_start: %s\n0 passed, 1 failed\n", err);
		return 1;
	}
	p = profile_new(getpid(), opts.sample_hz);
	ops_thread_register(&t);
	ops_set_kind(&t, ops_kind_id("itest.op"));
	itest_spin_caller();
	itest_sleep_caller();
	mem = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(mem, NPAGES * page, MADV_NOHUGEPAGE);
	itest_touch_caller(mem, page);
	ops_set_kind(&t, 0);

	if (!mkdtemp(dir) || profile_take(p, c, "itest") || profile_write(p, dir, err, sizeof(err))) {
		printf("  FAIL  writing stacks: %s\n", err);
		failed++;
		goto out;
	}
	collector_get_stats(c, &st);
	profile_get_stats(p, &ps);
	printf("stacks: %lu entries, %lu samples, %lu files, %lu bytes, symbolized in %.1f ms\n",
	       (unsigned long)ps.entries, (unsigned long)st.samples, (unsigned long)ps.files,
	       (unsigned long)ps.bytes, ps.symbolize_ms);

	{
		const char *n[] = { "scenario=itest", "op=itest.op", "itest_spin_caller;itest_spin_leaf" };
		uint64_t v;

		snprintf(path, sizeof(path), "%s/stacks/itest/itest.op.oncpu.folded", dir);
		v = folded_sum(path, n, 3);
		/* 400 ms of CPU time at 997 Hz is ~400 samples */
		CHECK(v >= 150 && v <= 480, "on-CPU: %lu samples under itest_spin_caller;"
		      "itest_spin_leaf (spun 400 ms of CPU time at 997 Hz)", (unsigned long)v);
	}
	{
		/* the kernel leaves scheduler functions (schedule, do_nanosleep: .sched.text)
		 * out of a parked task's stack; the syscall's own path stays */
		const char *n[] = { "itest_sleep_caller", "__x64_sys_nanosleep_[k]",
				    "hrtimer_nanosleep_[k]" };
		uint64_t v, want = (uint64_t)NSLEEP * SLEEP_MS * 1000 * 1000;

		snprintf(path, sizeof(path), "%s/stacks/itest/itest.op.offcpu.folded", dir);
		v = folded_sum(path, n, 3);
		CHECK(v >= want * 95 / 100 && v <= want * 110 / 100,
		      "off-CPU: %.1f ms under itest_sleep_caller;...;hrtimer_nanosleep_[k] (slept %.1f ms)",
		      v / 1e6, want / 1e6);
	}
	{
		const char *n[] = { "itest_touch_caller" };
		uint64_t v;

		snprintf(path, sizeof(path), "%s/stacks/itest/itest.op.faults.folded", dir);
		v = folded_sum(path, n, 1);
		CHECK(v >= NPAGES - 2 && v <= NPAGES + 2,
		      "faults: %lu under itest_touch_caller (touched %d pages)", (unsigned long)v,
		      NPAGES);
	}
	{
		const char *n[] = { "itest_spin_leaf", "[on-cpu]" };
		const char *m[] = { "itest_sleep_caller", "[blocked]" };

		snprintf(path, sizeof(path), "%s/stacks/itest/itest.op.wall.folded", dir);
		CHECK(folded_sum(path, n, 2) > 100 * 1000 * 1000ull &&
			      folded_sum(path, m, 2) > 250 * 1000 * 1000ull,
		      "wall view: on-CPU and blocked time of the op in one graph, in ns");
		snprintf(path, sizeof(path), "%s/stacks/itest/itest.op.wall.svg", dir);
		CHECK(access(path, R_OK) == 0, "flame graph written: %s", path);
	}
	{
		struct ppcheck pc, po, pf;
		uint64_t want = (uint64_t)NSLEEP * SLEEP_MS * 1000 * 1000;

		/* one pprof file per kind of stack: on-CPU (samples and cpu ns), off-CPU ns,
		 * faults; every sample has a value in each type of its file */
		snprintf(path, sizeof(path), "%s/stacks/itest/profile.pb.gz", dir);
		pprof_check(path, &pc);
		snprintf(path, sizeof(path), "%s/stacks/itest/offcpu.pb.gz", dir);
		pprof_check(path, &po);
		snprintf(path, sizeof(path), "%s/stacks/itest/faults.pb.gz", dir);
		pprof_check(path, &pf);
		CHECK(pc.ok && pc.samples > 0 && po.ok && po.samples > 0 && pf.ok && pf.samples > 0,
		      "pprof: profile.pb.gz, offcpu.pb.gz and faults.pb.gz gunzip and parse as "
		      "protobuf, %lu, %lu and %lu samples", (unsigned long)pc.samples,
		      (unsigned long)po.samples, (unsigned long)pf.samples);
		CHECK(pc.has_types == 1 && po.has_types == 1 && pf.has_types == 1 &&
			      pc.has_labels == 2 && po.has_func == 1,
		      "pprof: sample types cpu, offcpu, faults; scenario and thread labels; "
		      "itest_sleep_caller among the off-CPU functions");
		/* off-CPU also holds the collector's reaper thread, asleep all along, so
		 * the upper bound is the test's own length: nothing from before it */
		CHECK(pc.sum[0] >= 150 && pc.sum[1] == pc.sum[0] * (1000000000ull / 997) &&
			      po.sum[0] >= want * 95 / 100 && po.sum[0] < 30 * 1000000000ull &&
			      pf.sum[0] >= NPAGES - 2,
		      "pprof totals: %lu on-CPU samples (%.1f ms of CPU), %.1f ms off-CPU (slept "
		      "%.1f), %lu faults (touched %d pages)", (unsigned long)pc.sum[0],
		      pc.sum[1] / 1e6, po.sum[0] / 1e6, want / 1e6, (unsigned long)pf.sum[0],
		      NPAGES);
	}
	CHECK(st.stacks_full == 0 && st.keys_full == 0 && ps.missing_stacks == 0,
	      "losses: %lu stacks lost (table full), %lu counts lost, %lu missing, %lu walk errors",
	      (unsigned long)st.stacks_full, (unsigned long)st.keys_full,
	      (unsigned long)ps.missing_stacks, (unsigned long)st.stack_fail);
out:
	profile_free(p);
	collector_stop(c);
	if (!failed) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("note: could not remove %s\n", dir);
	} else {
		printf("outputs kept in %s\n", dir);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
