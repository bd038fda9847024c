// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What the workloads share: the counting allocator, and the life cycle of one repetition
 * (start gate, warm-up, recorded phase, stop, timeout, per-thread aggregates and
 * throughput windows merged at the end, CPU time over the recorded phase, what ended
 * it). See the second half of workload.h.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "kernel/why.h"
#include "stats/exemplar.h"
#include "workloads/procstat.h"
#include "workloads/workload.h"

/* Throughput windows: about this many over warm-up + duration; 10 ms without a duration
 * (a max_ops run), never under 1 ms. */
#define WIN_PER_RUN 40
#define WIN_DEFAULT_NS 10000000ull
#define WIN_MIN_NS 1000000ull

/*
 * Counting allocator. Each thread counts into its own block (no shared cache line on
 * the allocation path); blocks are linked for wl_alloc_totals() and folded into the
 * dead-thread totals when their thread exits.
 */
struct alloc_ctr {
	_Atomic uint64_t bytes, count;
	struct alloc_ctr *next, **pprev;
};

static pthread_mutex_t ctr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alloc_ctr *ctr_list;
static uint64_t dead_bytes, dead_count;
static pthread_key_t ctr_key;
static pthread_once_t ctr_once = PTHREAD_ONCE_INIT;
static __thread struct alloc_ctr *tl_ctr;

static void ctr_release(void *p)
{
	struct alloc_ctr *c = p;

	pthread_mutex_lock(&ctr_lock);
	dead_bytes += atomic_load_explicit(&c->bytes, memory_order_relaxed);
	dead_count += atomic_load_explicit(&c->count, memory_order_relaxed);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	pthread_mutex_unlock(&ctr_lock);
	free(c);
}

static void ctr_key_init(void)
{
	pthread_key_create(&ctr_key, ctr_release);
}

static struct alloc_ctr *ctr_get(void)
{
	struct alloc_ctr *c = tl_ctr;

	if (c)
		return c;
	pthread_once(&ctr_once, ctr_key_init);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_lock(&ctr_lock);
	c->next = ctr_list;
	if (ctr_list)
		ctr_list->pprev = &c->next;
	c->pprev = &ctr_list;
	ctr_list = c;
	pthread_mutex_unlock(&ctr_lock);
	pthread_setspecific(ctr_key, c);
	tl_ctr = c;
	return c;
}

void *wl_malloc(size_t n)
{
	struct alloc_ctr *c = ctr_get();
	void *p = malloc(n);

	if (p && c) {
		/* one writer per block: load + store, no locked instruction */
		atomic_store_explicit(&c->bytes,
				      atomic_load_explicit(&c->bytes, memory_order_relaxed) + n,
				      memory_order_relaxed);
		atomic_store_explicit(&c->count,
				      atomic_load_explicit(&c->count, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	}
	return p;
}

void wl_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

void wl_alloc_totals(uint64_t *bytes, uint64_t *count)
{
	uint64_t b, n;

	pthread_mutex_lock(&ctr_lock);
	b = dead_bytes;
	n = dead_count;
	for (struct alloc_ctr *c = ctr_list; c; c = c->next) {
		b += atomic_load_explicit(&c->bytes, memory_order_relaxed);
		n += atomic_load_explicit(&c->count, memory_order_relaxed);
	}
	pthread_mutex_unlock(&ctr_lock);
	*bytes = b;
	*count = n;
}

/*
 * CPU work of a given length: a dependent multiply chain, its rate calibrated at the
 * start of every repetition (wl_run_init) on this thread's CPU clock, the median of
 * several short rounds. Work rather than a clock-watching loop, so that a task that
 * loses its CPU takes longer, as real work does, instead of hiding the preemption inside
 * a fixed wall time.
 *
 * Why each repetition and the median of CPU-clock rounds: calibrated once per process as
 * the fastest of 7 wall-clock rounds, the rate varied by 10% from one process to the
 * next on a busy 2-CPU VM (0.86 to 0.95 iterations/ns), so every repetition of a run did
 * up to 10% more or less work per task than the runs it was compared with: a change
 * between two runs of the same build that no number of repetitions could tell from a
 * change in the code. The median of 9 rounds of 200k iterations on the thread's CPU
 * clock (preemption not counted) varied by 1.4%, and a fresh rate per repetition makes
 * what variation is left a repetition's, which the tests over repetitions see.
 */
#define SPIN_ROUNDS 9
#define SPIN_ROUND_ITERS 200000

static double spin_iters_per_ns;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static uint64_t spin_iters(uint64_t n)
{
	uint64_t x = n | 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ __volatile__("" : "+r"(x));
	}
	return x;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void spin_calibrate(void)
{
	double rate[SPIN_ROUNDS];

	for (int r = 0; r < SPIN_ROUNDS; r++) {
		uint64_t t0 = thread_cpu_ns(), t1;
		double v;
		int j;

		spin_iters(SPIN_ROUND_ITERS);
		t1 = thread_cpu_ns();
		v = t1 > t0 ? (double)SPIN_ROUND_ITERS / (double)(t1 - t0) : 1;
		for (j = r; j > 0 && rate[j - 1] > v; j--) /* insertion sort */
			rate[j] = rate[j - 1];
		rate[j] = v;
	}
	spin_iters_per_ns = rate[SPIN_ROUNDS / 2] > 0 ? rate[SPIN_ROUNDS / 2] : 1;
}

void wl_spin_calibrate(void)
{
	pthread_once(&spin_once, spin_calibrate);
}

void wl_spin_ns(uint64_t ns)
{
	if (!ns)
		return;
	wl_spin_calibrate();
	spin_iters((uint64_t)((double)ns * spin_iters_per_ns));
}

void wl_touch(void *p, size_t n)
{
	volatile unsigned char *b = p;

	for (size_t i = 0; i < n; i += 64)
		b[i] = (unsigned char)i;
	if (n)
		b[n - 1] = 1;
}

uint64_t wl_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void futex_wait_ms(_Atomic uint32_t *word, uint32_t val, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void fmt_secs(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%.3g s", (double)ns / 1e9);
}

int wl_run_init(struct wl_run *r, const struct wl_ctl *ctl, const char *const *kinds,
		int nkinds, unsigned nthreads)
{
	memset(r, 0, sizeof(*r));
	spin_calibrate(); /* every repetition, before anything is timed (see above) */
	r->ctl = ctl;
	pthread_mutex_init(&r->lock, NULL);
	r->t_start = ops_now_ns();
	r->win_ns = ctl->duration_ns ? (ctl->warmup_ns + ctl->duration_ns) / WIN_PER_RUN :
		    WIN_DEFAULT_NS;
	if (r->win_ns < WIN_MIN_NS)
		r->win_ns = WIN_MIN_NS;
	atomic_init(&r->phase, WL_PH_WARMUP);
	atomic_init(&r->budget, (int64_t)ctl->max_ops);
	r->batch = (int64_t)(ctl->max_ops / ((uint64_t)(nthreads ? nthreads : 1) * 16));
	if (r->batch < 1)
		r->batch = 1;
	if (r->batch > 64)
		r->batch = 64;
	if (nkinds > WL_MAX_KINDS) {
		wl_fail(r, -EINVAL, "internal error: %d op kinds, at most %d", nkinds,
			WL_MAX_KINDS);
		return r->err;
	}
	for (int k = 0; k < nkinds; k++) {
		r->kind[k] = ops_kind_id(kinds[k]);
		if (!r->kind[k]) {
			wl_fail(r, -ENOSPC, "op kind table full (%d kinds) registering %s",
				OPS_MAX_KINDS, kinds[k]);
			return r->err;
		}
		r->agg[k] = op_agg_new();
		if (!r->agg[k]) {
			wl_fail(r, -ENOMEM, "out of memory for latency histograms");
			return r->err;
		}
		r->nkinds = k + 1;
	}
	r->ex = ex_set_new();
	if (!r->ex) {
		wl_fail(r, -ENOMEM, "out of memory for slow-operation exemplars");
		return r->err;
	}
	return 0;
}

void wl_run_destroy(struct wl_run *r)
{
	while (r->hists) {
		struct ops_off_hist *h = r->hists;

		r->hists = h->next;
		free(h);
	}
	ex_set_free(r->ex);
	r->ex = NULL;
	for (int k = 0; k < WL_MAX_KINDS; k++) {
		op_agg_free(r->agg[k]);
		r->agg[k] = NULL;
	}
	pthread_mutex_destroy(&r->lock);
}

void wl_fail(struct wl_run *r, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->lock);
	if (!r->err) {
		r->err = err ? err : -EIO;
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->lock);
	atomic_store_explicit(&r->budget_stop, false, memory_order_relaxed);
	if (atomic_exchange(&r->phase, WL_PH_STOP) != WL_PH_STOP)
		r->t_stop = ops_now_ns();
}

int wl_thr_begin(struct wl_thr *t, struct wl_run *r)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->run = r;
	atomic_fetch_add(&r->threads, 1);
	err = ops_thread_register(&t->ot);
	if (err) {
		wl_fail(r, err, "a workload thread got no accounting slot from the collector "
			"(all %d in use); run fewer threads", OPS_MAX_SLOTS);
	}
	for (int k = 0; !err && k < r->nkinds; k++) {
		t->agg[k] = op_agg_new();
		if (!t->agg[k]) {
			err = -ENOMEM;
			wl_fail(r, err, "out of memory for a thread's latency histograms");
		}
	}
	atomic_fetch_add(&r->ready, 1);
	if (err)
		return err;
	for (;;) {
		uint32_t g = atomic_load_explicit(&r->gate, memory_order_acquire);

		if (g == 1) {
			t->win_t0 = r->t_go;
			t->win_w = r->win_ns;
			return 0;
		}
		if (g == 2)
			return -ECANCELED;
		futex_wait_ms(&r->gate, 0, 100);
	}
}

/* The thread's p99 per kind becomes part of its exemplar threshold, so that ops above it
 * are sampled: a histogram walk (about 130 ns) every 4096 ops. */
static void ex_refresh(struct wl_thr *t)
{
	for (int k = 0; k < t->run->nkinds; k++) {
		const struct hist *h = t->agg[k] ? op_agg_hist(t->agg[k]) : NULL;

		if (h && hist_count(h) >= 1000 && t->ex_thresh[k] != UINT64_MAX)
			t->ex_thresh[k] = ex_kind_set_p99(&t->ex[k], hist_quantile(h, 0.99));
	}
}

static void flush_done(struct wl_thr *t)
{
	if (t->unflushed && t->run->ctl->ops_done)
		atomic_fetch_add_explicit(t->run->ctl->ops_done, t->unflushed,
					  memory_order_relaxed);
	t->unflushed = 0;
	/* at 1024 ops, then every 4096 */
	if (++t->flushes == 16 || !(t->flushes & 63))
		ex_refresh(t);
}

/* The thread's name for trace.json's tracks, read once at its end. */
static void ex_name_thread(struct wl_thr *t)
{
	char path[64], name[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", t->ot.tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	if (name[0] && t->run->ex)
		ex_set_name(t->run->ex, t->ot.tid, name);
}

/* Halve the resolution of win[] by times: pairs added, the upper half cleared. */
static void win_coarsen(uint64_t *win, uint32_t times)
{
	for (; times; times--) {
		for (uint32_t j = 0; j < WL_MAX_WINDOWS / 2; j++)
			win[j] = win[2 * j] + win[2 * j + 1];
		memset(win + WL_MAX_WINDOWS / 2, 0, WL_MAX_WINDOWS / 2 * sizeof(*win));
	}
}

void wl_tick_slow(struct wl_thr *t, uint64_t i)
{
	while (i >= WL_MAX_WINDOWS) {
		win_coarsen(t->win, 1);
		t->win_shift++;
		t->win_w *= 2;
		i /= 2; /* floor(floor(x / w) / 2) = floor(x / 2w) */
	}
	t->win[i]++;
}

/* Under r->lock: add the thread's windows to the run's, at the coarser of the two. */
static void win_merge(struct wl_run *r, struct wl_thr *t)
{
	if (t->win_shift > r->win_shift) {
		win_coarsen(r->win, t->win_shift - r->win_shift);
		r->win_shift = t->win_shift;
	} else if (t->win_shift < r->win_shift) {
		win_coarsen(t->win, r->win_shift - t->win_shift);
	}
	for (int i = 0; i < WL_MAX_WINDOWS; i++)
		r->win[i] += t->win[i];
}

void wl_thr_end(struct wl_thr *t)
{
	struct wl_run *r = t->run;

	flush_done(t);
	pthread_mutex_lock(&r->lock);
	ex_name_thread(t);
	for (int k = 0; k < WL_MAX_KINDS; k++) {
		if (r->ex && ex_kind_collect(t->ex[k], r->ex) && !r->err) {
			r->err = -ENOMEM;
			snprintf(r->error, sizeof(r->error),
				 "out of memory collecting slow-operation exemplars");
		}
		ex_kind_free(t->ex[k]);
		t->ex[k] = NULL;
	}
	for (int k = 0; k < r->nkinds; k++) {
		if (t->agg[k] && op_agg_merge(r->agg[k], t->agg[k]) && !r->err) {
			r->err = -ENOMEM;
			snprintf(r->error, sizeof(r->error),
				 "out of memory merging latency histograms");
		}
		op_agg_free(t->agg[k]);
		t->agg[k] = NULL;
	}
	if (t->last_end > r->t_last)
		r->t_last = t->last_end;
	win_merge(r, t);
	if (t->ot.hist) {
		/* other threads may still copy intervals from it (a late caller) */
		t->ot.hist->next = r->hists;
		r->hists = t->ot.hist;
		t->ot.hist = NULL;
	}
	pthread_mutex_unlock(&r->lock);
}

bool wl_rec(struct wl_thr *t)
{
	struct wl_run *r = t->run;
	int ph = atomic_load_explicit(&r->phase, memory_order_acquire);
	int64_t old;
	int exp = WL_PH_RECORD;

	if (ph != WL_PH_RECORD) {
		if (ph == WL_PH_STOP && t->tickets > 0 &&
		    atomic_load_explicit(&r->budget_stop, memory_order_relaxed)) {
			t->tickets--;
			return true;
		}
		return false;
	}
	if (!r->ctl->max_ops)
		return true;
	if (t->tickets == 0) {
		old = atomic_fetch_sub(&r->budget, r->batch);
		if (old <= 0) {
			atomic_store_explicit(&r->budget_stop, true, memory_order_relaxed);
			if (atomic_compare_exchange_strong(&r->phase, &exp, WL_PH_STOP))
				r->t_stop = ops_now_ns();
			return false;
		}
		t->tickets = old < r->batch ? old : r->batch;
	}
	t->tickets--;
	return true;
}

/* The slow path of recording: the op is at least t->ex_thresh[k] slow. */
static __attribute__((noinline)) void ex_offer(struct wl_thr *t, int k, const struct ops_bd *bd,
					       uint64_t end_ns, const struct ex_exec *x)
{
	t->ex_thresh[k] = ex_kind_offer(&t->ex[k], t->run->kind[k], &t->ot, bd, end_ns, x);
}

/* Every recorded op, timed or failed: the thread's last end and the ops_done progress. */
static inline __attribute__((always_inline)) void count_op(struct wl_thr *t, uint64_t end_ns)
{
	if (end_ns > t->last_end)
		t->last_end = end_ns;
	if (++t->unflushed >= 64)
		flush_done(t);
}

static inline __attribute__((always_inline)) void record(struct wl_thr *t, int k,
							  const struct ops_bd *bd, uint64_t end_ns,
							  const struct ex_exec *x,
							  const struct ops_wbd *w)
{
	if (__builtin_expect(w != NULL, 0))
		op_agg_add_why(t->agg[k], bd, w);
	else
		op_agg_add(t->agg[k], bd);
	if (__builtin_expect(bd->lat_ns >= t->ex_thresh[k], 0))
		ex_offer(t, k, bd, end_ns, x);
	count_op(t, end_ns);
}

void wl_record(struct wl_thr *t, int k, const struct ops_bd *bd, uint64_t end_ns)
{
	record(t, k, bd, end_ns, NULL, NULL);
}

void wl_record_snaps(struct wl_thr *t, int k, const struct ops_bd *bd, const struct ops_snap *a,
		     const struct ops_snap *b)
{
	struct ops_wbd w;

	if (__builtin_expect(!t->ot.why, 1)) {
		record(t, k, bd, b->ts, NULL, NULL);
		return;
	}
	ops_snap_why(&t->ot, a, b, bd, &w);
	record(t, k, bd, b->ts, NULL, &w);
}

void wl_record_ran(struct wl_thr *t, int k, const struct ops_bd *bd, uint64_t end_ns,
		   const struct ex_exec *x, const struct ops_wbd *w)
{
	record(t, k, bd, end_ns, x, w);
}

void wl_record_error(struct wl_thr *t, int k, uint64_t end_ns)
{
	op_agg_add_error(t->agg[k]);
	count_op(t, end_ns);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

int wl_thr_start(struct wl_run *r, pthread_t *th, void *(*fn)(void *), void *arg,
		 const char *name, unsigned i, unsigned n)
{
	int err = pthread_create(th, NULL, fn, arg);

	if (err) {
		wl_fail(r, -err, "cannot start %s thread %u of %u: %s; run fewer threads or raise "
			"the limit on processes (ulimit -u)", name, i + 1, n, strerror(err));
		return -err;
	}
	pthread_setname_np(*th, name);
	return 0;
}

int wl_result_fail(struct wl_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->occupancy = -1;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return err;
}

void wl_run_abort(struct wl_run *r)
{
	atomic_store_explicit(&r->gate, 2, memory_order_release);
	futex_wake_all(&r->gate);
}

static bool stop_requested(const struct wl_run *r)
{
	return r->ctl->stop && *r->ctl->stop;
}

static uint64_t cpu_now(const struct wl_run *r)
{
	return procstat_cpu_ns() + (r->cpu_extra ? r->cpu_extra(r->cpu_arg) : 0);
}

/* Why the phase is STOP when the control loop finds it so. */
static enum wl_end stop_cause(struct wl_run *r)
{
	if (!r->err && atomic_load_explicit(&r->budget_stop, memory_order_relaxed))
		return WL_END_MAX_OPS;
	return WL_END_FAILED;
}

int wl_run_control(struct wl_run *r, unsigned nthreads, double (*occupancy)(void *), void *arg)
{
	const struct wl_ctl *ctl = r->ctl;
	uint64_t deadline = ctl->timeout_ns ? r->t_start + ctl->timeout_ns : UINT64_MAX;
	uint64_t now, rec_at, end_at = UINT64_MAX, wait;
	char a[32], b[32];
	int exp;

	/* The gate opens when every thread has registered, so warm-up starts together. */
	while (atomic_load(&r->ready) < nthreads) {
		if (atomic_load(&r->phase) == WL_PH_STOP || stop_requested(r)) {
			wl_run_abort(r);
			return r->err;
		}
		if (ops_now_ns() >= deadline) {
			fmt_secs(a, sizeof(a), ctl->timeout_ns);
			wl_fail(r, -ETIMEDOUT, "only %u of %u threads started within the %s "
				"timeout; raise timeout", atomic_load(&r->ready), nthreads, a);
			wl_run_abort(r);
			return r->err;
		}
		sleep_ns(200000);
	}
	r->t_go = ops_now_ns();
	atomic_store_explicit(&r->gate, 1, memory_order_release);
	futex_wake_all(&r->gate);

	now = ops_now_ns();
	rec_at = now + ctl->warmup_ns;
	for (;;) {
		int ph = atomic_load_explicit(&r->phase, memory_order_acquire);

		now = ops_now_ns();
		if (ph == WL_PH_STOP) {
			r->end = stop_cause(r);
			break;
		}
		if (stop_requested(r)) {
			r->end = WL_END_STOPPED;
			break;
		}
		if (now >= deadline) {
			r->end = WL_END_FAILED;
			fmt_secs(a, sizeof(a), now - r->t_start);
			fmt_secs(b, sizeof(b), ctl->timeout_ns);
			if (ctl->max_ops && !ctl->duration_ns)
				wl_fail(r, -ETIMEDOUT, "repetition still running after %s (timeout "
					"%s, warm-up + %llu ops must fit; raise timeout or lower "
					"max-ops)", a, b, (unsigned long long)ctl->max_ops);
			else
				wl_fail(r, -ETIMEDOUT, "repetition still running after %s (timeout "
					"%s, warm-up + duration must fit; raise timeout or lower "
					"duration)", a, b);
			break;
		}
		if (ph == WL_PH_WARMUP && now >= rec_at) {
			wl_alloc_totals(&r->alloc_b0, &r->alloc_n0);
			r->cpu0 = cpu_now(r);
			r->t_rec = now;
			if (ctl->duration_ns)
				end_at = now + ctl->duration_ns;
			else if (!ctl->max_ops)
				end_at = now;
			atomic_store_explicit(&r->phase, WL_PH_RECORD, memory_order_release);
			continue;
		}
		if (ph == WL_PH_RECORD) {
			if (now >= end_at) {
				r->end = WL_END_DURATION;
				break;
			}
			if (occupancy) {
				r->occ_sum += occupancy(arg);
				r->occ_n++;
			}
		}
		wait = 2000000;
		if (ph == WL_PH_WARMUP && rec_at - now < wait)
			wait = rec_at - now;
		if (ph == WL_PH_RECORD && end_at - now < wait)
			wait = end_at - now;
		if (deadline - now < wait)
			wait = deadline - now;
		sleep_ns(wait);
	}
	exp = atomic_load(&r->phase);
	if (exp != WL_PH_STOP && atomic_compare_exchange_strong(&r->phase, &exp, WL_PH_STOP))
		r->t_stop = ops_now_ns();
	if (r->t_rec) {
		wl_alloc_totals(&r->alloc_b1, &r->alloc_n1);
		r->cpu1 = cpu_now(r);
		r->t_cpu1 = ops_now_ns();
	}
	return r->err;
}

static struct timespec realtime_in(uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns += (uint64_t)ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	return ts;
}

int wl_join(struct wl_run *r, pthread_t th, void (*force)(void *), void *arg)
{
	uint64_t now = ops_now_ns(), left = 50000000; /* at least 50 ms */
	struct timespec ts;
	int err;

	if (!r->ctl->timeout_ns)
		return -pthread_join(th, NULL);
	if (r->t_start + r->ctl->timeout_ns > now + left)
		left = r->t_start + r->ctl->timeout_ns - now;
	ts = realtime_in(left);
	err = pthread_timedjoin_np(th, NULL, &ts);
	if (!err)
		return 0;
	wl_fail(r, -ETIMEDOUT, "a workload thread did not finish within the timeout; "
		"raise timeout or lower the load");
	if (force)
		force(arg);
	ts = realtime_in(2000000000ull);
	err = pthread_timedjoin_np(th, NULL, &ts);
	if (!err)
		return 0;
	pthread_mutex_lock(&r->lock);
	snprintf(r->error, sizeof(r->error), "a workload thread running %s ops is stuck and "
		 "was abandoned (its memory is leaked); this is a bug in opscope, please report it",
		 r->nkinds ? ops_kind_name(r->kind[0]) : "its");
	pthread_mutex_unlock(&r->lock);
	return -ETIMEDOUT;
}

/* The windows up to the end of the recorded phase, and which of them lie wholly in it. */
static void finish_windows(const struct wl_run *r, struct wl_windows *w)
{
	uint64_t width = r->win_ns << r->win_shift, end = r->t_stop ? r->t_stop : r->t_last;
	uint64_t n;

	memset(w, 0, sizeof(*w));
	w->width_ns = width;
	if (!r->t_rec || !r->t_go || !width || end <= r->t_rec)
		return;
	w->warmup_ns = r->t_rec - r->t_go;
	n = (end - r->t_go + width - 1) / width;
	w->n = (uint32_t)(n < WL_MAX_WINDOWS ? n : WL_MAX_WINDOWS);
	w->rec_first = (uint32_t)((r->t_rec - r->t_go + width - 1) / width);
	w->rec_end = (uint32_t)((end - r->t_go) / width);
	if (w->rec_end > w->n)
		w->rec_end = w->n;
	if (w->rec_first > w->rec_end)
		w->rec_first = w->rec_end;
	memcpy(w->count, r->win, w->n * sizeof(w->count[0]));
}

int wl_run_finish(struct wl_run *r, struct wl_result *res)
{
	uint64_t end = r->t_stop > r->t_last ? r->t_stop : r->t_last;

	memset(res, 0, sizeof(*res));
	res->nkinds = r->nkinds;
	for (int k = 0; k < r->nkinds; k++) {
		res->kind[k] = r->kind[k];
		res->agg[k] = r->agg[k];
		r->agg[k] = NULL;
	}
	if (r->t_rec && end > r->t_rec)
		res->elapsed_s = (double)(end - r->t_rec) / 1e9;
	if (r->t_rec) {
		res->alloc_bytes = r->alloc_b1 - r->alloc_b0;
		res->allocs = r->alloc_n1 - r->alloc_n0;
	}
	res->threads = atomic_load(&r->threads);
	res->occupancy = r->occ_n ? r->occ_sum / (double)r->occ_n : -1;
	/* exemplars: per kind the slowest and a sample above this repetition's p99 */
	for (int k = 0; r->ex && k < r->nkinds; k++) {
		const struct hist *h = res->agg[k] ? op_agg_hist(res->agg[k]) : NULL;

		ex_set_reduce(r->ex, r->kind[k], h && hist_count(h) ? hist_quantile(h, 0.99) : 0);
	}
	res->ex = r->ex;
	r->ex = NULL;
	res->f.end = r->t_rec ? r->end : WL_END_NONE;
	if (r->t_rec && r->t_cpu1 > r->t_rec) {
		res->f.cpu_ns = r->cpu1 > r->cpu0 ? r->cpu1 - r->cpu0 : 0;
		res->f.cpu_wall_ns = r->t_cpu1 - r->t_rec;
	}
	finish_windows(r, &res->f.win);
	if (r->err)
		snprintf(res->error, sizeof(res->error), "%s", r->error);
	return r->err;
}

void wl_xmetric(struct wl_result *res, const char *name, const char *unit, enum wl_xkind kind,
		int better, double value)
{
	struct wl_xmetric *x;

	if (res->f.nx >= WL_MAX_XMETRICS)
		return;
	x = &res->f.x[res->f.nx++];
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->unit = unit;
	x->kind = kind;
	x->better = better;
	x->value = value;
}
