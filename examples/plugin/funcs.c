// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two operations registered as benchmark functions, the simplest form of an opscope
 * plugin: `opscope run --plugin ./libmyplugin.so -w bench -p fn=NAME -p threads=N` calls
 * one in N threads, each call an operation with its kernel breakdown.
 *
 *	touch_pages  maps arg fresh pages (4 by default), writes one byte in each, unmaps
 *	             them: arg page faults per call, and two memory-mapping syscalls
 *	sleep_1ms    sleeps 1 ms: blocked in clock_nanosleep for 1 ms per call (its
 *	             thread_setup sets the thread's timer slack to 1 ns, so the sleep is
 *	             not rounded up by the default 50 us)
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <opscope/plugin.h>

static int touch_pages(opscope_state *st)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = st->arg ? st->arg : 4;
	unsigned char *m = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1; /* counted as a failed operation */
	for (size_t i = 0; i < n; i++)
		m[i * page] = 1;
	munmap(m, n * page);
	return 0;
}
OPSCOPE_BENCHMARK(touch_pages);

static int slack_1ns(opscope_state *st)
{
	(void)st;
	return prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

static int sleep_1ms(opscope_state *st)
{
	struct timespec ts = { 0, 1000000 };

	(void)st;
	return nanosleep(&ts, NULL);
}

static const struct opscope_bench sleep_bench = {
	.name = "sleep_1ms",
	.help = "nanosleep(1 ms), timer slack 1 ns",
	.fn = sleep_1ms,
	.thread_setup = slack_1ns,
};
OPSCOPE_REGISTER_BENCH(sleep_bench);
