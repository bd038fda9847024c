// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The channel's uncontended fast path against Concurrency Kit's ck_ring, in the same
 * run: one thread sends and receives one pointer-sized element at a time, so every
 * operation finds the ring neither full nor empty and nobody asleep. Compared are the
 * single-producer/single-consumer paths (chan with CHAN_SP | CHAN_SC vs
 * ck_ring_*_spsc) and the multi-producer/multi-consumer paths (chan without flags vs
 * ck_ring_*_mpmc). ck_ring moves a pointer; the channel copies an 8-byte element and
 * checks for sleepers after each operation, which is what its blocking calls cost.
 * Then the same SPSC pair across two threads: the channel's blocking send/recv against
 * ck_ring polled in a pause loop.
 */
#include <ck_ring.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "workloads/chan.h"
#include "kernel/oprec.h"

#define N 10000000
#define ROUNDS 5
#define CAP 1024

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(double), cmp_d);
	return v[ROUNDS / 2];
}

static volatile uint64_t sink;

/* Every round moves 0..N-1 (ck_ring: 1..N): a wrong sum means elements were dropped and
 * the timing measured something else, so the numbers must not be reported. */
static void check_sum(const char *what, uint64_t sum, uint64_t want)
{
	if (sum == want)
		return;
	fprintf(stderr, "bench_chan: %s moved the wrong elements (sum %llu, expected %llu); "
		"the timing is void, fix the benchmark\n", what, (unsigned long long)sum,
		(unsigned long long)want);
	exit(1);
}

static double round_chan(struct chan *c)
{
	uint64_t t0, t1, v, sum = 0;

	t0 = ops_now_ns();
	for (uint64_t i = 0; i < N; i++) {
		chan_send(c, &i);
		chan_recv(c, &v);
		sum += v;
	}
	t1 = ops_now_ns();
	check_sum("the channel", sum, (uint64_t)N * (N - 1) / 2);
	sink += sum;
	return (double)(t1 - t0) / N;
}

static double round_ck(struct ck_ring *r, struct ck_ring_buffer *b, bool mpmc)
{
	uint64_t t0, t1, sum = 0;
	void *p = NULL;

	/* The SPSC calls move p_tail but not p_head, which the MPMC calls read: a ring used
	 * both ways must start afresh, or every MPMC enqueue finds it full. */
	ck_ring_init(r, CAP);
	t0 = ops_now_ns();
	if (mpmc) {
		for (uint64_t i = 0; i < N; i++) {
			ck_ring_enqueue_mpmc(r, b, (void *)(uintptr_t)(i + 1));
			ck_ring_dequeue_mpmc(r, b, &p);
			sum += (uintptr_t)p;
		}
	} else {
		for (uint64_t i = 0; i < N; i++) {
			ck_ring_enqueue_spsc(r, b, (void *)(uintptr_t)(i + 1));
			ck_ring_dequeue_spsc(r, b, &p);
			sum += (uintptr_t)p;
		}
	}
	t1 = ops_now_ns();
	check_sum(mpmc ? "ck_ring mpmc" : "ck_ring spsc", sum, (uint64_t)N * (N + 1) / 2);
	sink += sum;
	return (double)(t1 - t0) / N;
}

/* Two threads, one producing N elements and one consuming them: SPSC throughput. */
struct xfer {
	struct chan *c;
	struct ck_ring *r;
	struct ck_ring_buffer *b;
};

static void *chan_producer(void *arg)
{
	struct xfer *x = arg;

	for (uint64_t i = 0; i < N; i++)
		chan_send(x->c, &i);
	return NULL;
}

static void *ck_producer(void *arg)
{
	struct xfer *x = arg;

	for (uint64_t i = 0; i < N; i++)
		while (!ck_ring_enqueue_spsc(x->r, x->b, (void *)(uintptr_t)(i + 1)))
			__builtin_ia32_pause();
	return NULL;
}

static double xfer_round(struct xfer *x, bool ck)
{
	uint64_t t0, t1, sum = 0, v;
	pthread_t th;
	void *p;

	t0 = ops_now_ns();
	if (pthread_create(&th, NULL, ck ? ck_producer : chan_producer, x)) {
		/* without the producer the receive loop below would wait forever */
		fprintf(stderr, "bench_chan: cannot start the producer thread; raise the limit "
			"on processes (ulimit -u)\n");
		exit(1);
	}
	for (uint64_t i = 0; i < N; i++) {
		if (ck) {
			while (!ck_ring_dequeue_spsc(x->r, x->b, &p))
				__builtin_ia32_pause();
			sum += (uintptr_t)p;
		} else {
			chan_recv(x->c, &v);
			sum += v;
		}
	}
	pthread_join(th, NULL);
	t1 = ops_now_ns();
	if (ck)
		check_sum("ck_ring across threads", sum, (uint64_t)N * (N + 1) / 2);
	else
		check_sum("the channel across threads", sum, (uint64_t)N * (N - 1) / 2);
	sink += sum;
	return (double)(t1 - t0) / N;
}

int main(void)
{
	struct chan *sp = chan_new(CAP, sizeof(uint64_t), CHAN_SP | CHAN_SC, 100);
	struct chan *mp = chan_new(CAP, sizeof(uint64_t), 0, 100);
	struct ck_ring_buffer *buf = calloc(CAP, sizeof(*buf));
	double c_sp[ROUNDS], c_mp[ROUNDS], k_sp[ROUNDS], k_mp[ROUNDS];
	struct chan_stats st1, st2;
	struct ck_ring ring;
	double a, b, c, d;

	if (!sp || !mp || !buf) {
		fprintf(stderr, "bench_chan: out of memory\n");
		return 2;
	}
	ck_ring_init(&ring, CAP);
	round_chan(sp); /* warm up caches and the branch predictor once */
	round_ck(&ring, buf, false);
	/* interleave the contenders so frequency or noise shifts hit them alike */
	for (int r = 0; r < ROUNDS; r++) {
		c_sp[r] = round_chan(sp);
		k_sp[r] = round_ck(&ring, buf, false);
		c_mp[r] = round_chan(mp);
		k_mp[r] = round_ck(&ring, buf, true);
	}
	a = median(c_sp);
	b = median(k_sp);
	c = median(c_mp);
	d = median(k_mp);
	chan_get_stats(sp, &st1);
	chan_get_stats(mp, &st2);
	printf("channel fast path, one thread, send+recv of one element, median of %d x %d:\n",
	       ROUNDS, N);
	printf("  spsc  opscope chan %6.1f ns   ck_ring %6.1f ns   ratio %.2f\n", a, b, a / b);
	printf("  mpmc  opscope chan %6.1f ns   ck_ring %6.1f ns   ratio %.2f\n", c, d, c / d);
	printf("  futex wakes on the fast path: %llu (must be 0)\n",
	       (unsigned long long)(st1.wakes + st2.wakes));
	printf("BENCH chan_spsc_ns=%.1f ck_spsc_ns=%.1f spsc_ratio=%.2f chan_mpmc_ns=%.1f "
	       "ck_mpmc_ns=%.1f mpmc_ratio=%.2f\n", a, b, a / b, c, d, c / d);

	/* two threads: the channel parks when it must, ck_ring busy-polls */
	{
		struct xfer x = { .c = sp, .r = &ring, .b = buf };
		double xc[ROUNDS], xk[ROUNDS];

		for (int r = 0; r < ROUNDS; r++) {
			xc[r] = xfer_round(&x, false);
			xk[r] = xfer_round(&x, true);
		}
		a = median(xc);
		b = median(xk);
		printf("spsc across two threads, %d elements, median of %d:\n", N, ROUNDS);
		printf("  opscope chan %6.1f ns/msg (%.1fM msgs/s)   ck_ring %6.1f ns/msg "
		       "(%.1fM msgs/s)   ratio %.2f\n", a, 1e3 / a, b, 1e3 / b, a / b);
		printf("BENCH chan_xfer_ns=%.1f ck_xfer_ns=%.1f xfer_ratio=%.2f\n", a, b, a / b);
	}
	chan_free(sp);
	chan_free(mp);
	free(buf);
	return st1.wakes + st2.wakes ? 1 : 0;
}
