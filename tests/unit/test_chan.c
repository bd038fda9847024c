// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The bounded channel: order, edges, blocking, conservation under contention, and no
 * lost wakeups (a stalled stress run fails instead of hanging). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "workloads/chan.h"

struct msg {
	uint32_t prod;
	uint32_t pad;
	uint64_t seq;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(test_new_rejects_bad_args)
{
	errno = 0;
	ck_assert_ptr_null(chan_new(0, 8, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(chan_new(CHAN_MAX_CAPACITY + 1, 8, 0, 0));
	ck_assert_ptr_null(chan_new(4, 0, 0, 0));
	ck_assert_ptr_null(chan_new(4, CHAN_MAX_ELEM + 1, 0, 0));
	ck_assert_ptr_null(chan_new(4, 8, 0x80, 0));
	struct chan *c = chan_new(CHAN_MAX_CAPACITY, 8, 0, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(chan_capacity(c), CHAN_MAX_CAPACITY);
	chan_free(c);
}
END_TEST

/* Bytes per channel: the control block plus a cell (sequence word + element, 8-byte
 * aligned) per slot, the cells rounded up to a cache line. */
START_TEST(test_bytes_per_capacity)
{
	size_t prev = 0;

	for (uint32_t cap = 1; cap <= 10000; cap *= 10) {
		struct chan *c = chan_new(cap, 8, 0, 0);
		size_t b;

		ck_assert_ptr_nonnull(c);
		b = chan_bytes(c);
		ck_assert_uint_ge(b, cap * 16);
		ck_assert_uint_le(b, cap * 16 + 64 + 1024); /* the control block is < 1 KiB */
		ck_assert_uint_gt(b, prev);
		if (prev)
			ck_assert_uint_eq(b - prev, ((cap * 16 + 63) & ~63u) -
					  (((cap / 10) * 16 + 63) & ~63u));
		prev = b;
		chan_free(c);
	}
}
END_TEST

START_TEST(test_fifo_single_thread)
{
	struct chan *c = chan_new(16, sizeof(uint64_t), CHAN_SP | CHAN_SC, 0);
	uint64_t v, next_in = 0, next_out = 0;

	ck_assert_ptr_nonnull(c);
	/* uneven fill and drain, many laps round the ring */
	for (int round = 0; round < 1000; round++) {
		int nin = 1 + round % 16, nout = 1 + (round * 7) % 16;

		for (int i = 0; i < nin; i++) {
			if (chan_try_send(c, &next_in) == 0)
				next_in++;
		}
		ck_assert_uint_eq(chan_len(c), next_in - next_out);
		for (int i = 0; i < nout; i++) {
			int err = chan_try_recv(c, &v);

			if (err == -EAGAIN) {
				ck_assert_uint_eq(next_in, next_out);
				break;
			}
			ck_assert_int_eq(err, 0);
			ck_assert_uint_eq(v, next_out);
			next_out++;
		}
	}
	ck_assert_uint_gt(next_out, 5000);
	chan_free(c);
}
END_TEST

struct spsc_arg {
	struct chan *c;
	uint64_t n;
	uint64_t bad; /* first out-of-order value + 1, 0 if none */
};

static void *spsc_producer(void *arg)
{
	struct spsc_arg *a = arg;

	for (uint64_t i = 0; i < a->n; i++)
		if (chan_send(a->c, &i))
			break;
	return NULL;
}

START_TEST(test_fifo_spsc_threads)
{
	struct spsc_arg a = { .n = 500000 };
	pthread_t th;
	uint64_t v;

	a.c = chan_new(64, sizeof(uint64_t), CHAN_SP | CHAN_SC, 50);
	ck_assert_ptr_nonnull(a.c);
	pthread_create(&th, NULL, spsc_producer, &a);
	for (uint64_t i = 0; i < a.n; i++) {
		ck_assert_int_eq(chan_recv(a.c, &v), 0);
		if (v != i && !a.bad)
			a.bad = i + 1;
	}
	pthread_join(th, NULL);
	ck_assert_uint_eq(a.bad, 0);
	ck_assert_int_eq(chan_try_recv(a.c, &v), -EAGAIN);
	chan_free(a.c);
}
END_TEST

START_TEST(test_capacity_one)
{
	struct chan *c = chan_new(1, sizeof(uint64_t), 0, 0);
	uint64_t v;

	ck_assert_ptr_nonnull(c);
	for (uint64_t i = 0; i < 1000; i++) {
		ck_assert_int_eq(chan_try_recv(c, &v), -EAGAIN);
		ck_assert_int_eq(chan_try_send(c, &i), 0);
		ck_assert_uint_eq(chan_len(c), 1);
		ck_assert_int_eq(chan_try_send(c, &i), -EAGAIN);
		ck_assert_int_eq(chan_try_recv(c, &v), 0);
		ck_assert_uint_eq(v, i);
	}
	chan_free(c);
}
END_TEST

START_TEST(test_capacity_not_power_of_two)
{
	uint32_t caps[] = { 3, 10, 100 };

	for (unsigned k = 0; k < 3; k++) {
		struct chan *c = chan_new(caps[k], sizeof(uint64_t), 0, 0);
		uint64_t v, in = 0, out = 0;

		ck_assert_ptr_nonnull(c);
		for (int lap = 0; lap < 50; lap++) {
			for (uint32_t i = 0; i < caps[k]; i++, in++)
				ck_assert_int_eq(chan_try_send(c, &in), 0);
			ck_assert_int_eq(chan_try_send(c, &in), -EAGAIN);
			ck_assert_uint_eq(chan_len(c), caps[k]);
			for (uint32_t i = 0; i < caps[k] / 2 + 1; i++, out++) {
				ck_assert_int_eq(chan_try_recv(c, &v), 0);
				ck_assert_uint_eq(v, out);
			}
			while (chan_try_recv(c, &v) == 0) {
				ck_assert_uint_eq(v, out);
				out++;
			}
			ck_assert_uint_eq(in, out);
		}
		chan_free(c);
	}
}
END_TEST

START_TEST(test_elem_size_copies_whole_element)
{
	unsigned char in[1000], out[1000];
	struct chan *c = chan_new(3, sizeof(in), 0, 0);

	ck_assert_ptr_nonnull(c);
	for (int r = 0; r < 10; r++) {
		for (unsigned i = 0; i < sizeof(in); i++)
			in[i] = (unsigned char)(i * 31 + r);
		ck_assert_int_eq(chan_try_send(c, in), 0);
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(chan_try_recv(c, out), 0);
		ck_assert_mem_eq(in, out, sizeof(in));
	}
	chan_free(c);
}
END_TEST

START_TEST(test_fast_path_makes_no_wake)
{
	struct chan *c = chan_new(8, sizeof(uint64_t), 0, 0);
	struct chan_stats st;
	uint64_t v = 1;

	for (int i = 0; i < 10000; i++) {
		ck_assert_int_eq(chan_send(c, &v), 0);
		ck_assert_int_eq(chan_recv(c, &v), 0);
	}
	chan_get_stats(c, &st);
	ck_assert_uint_eq(st.wakes, 0);
	ck_assert_uint_eq(st.send_parks, 0);
	ck_assert_uint_eq(st.recv_parks, 0);
	chan_free(c);
}
END_TEST

START_TEST(test_timed_waits_time_out)
{
	struct chan *c = chan_new(2, sizeof(uint64_t), 0, 10);
	uint64_t v = 7, t0, dt;

	t0 = now_ns();
	ck_assert_int_eq(chan_recv_timed(c, &v, 30000000), -ETIMEDOUT);
	dt = now_ns() - t0;
	ck_assert_uint_ge(dt, 30000000);
	ck_assert_uint_lt(dt, 1000000000);
	ck_assert_int_eq(chan_send(c, &v), 0);
	ck_assert_int_eq(chan_send(c, &v), 0);
	t0 = now_ns();
	ck_assert_int_eq(chan_send_timed(c, &v, 30000000), -ETIMEDOUT);
	ck_assert_uint_ge(now_ns() - t0, 30000000);
	ck_assert_uint_eq(chan_len(c), 2);
	chan_free(c);
}
END_TEST

struct block_arg {
	struct chan *c;
	uint64_t v;
	int err;
	_Atomic uint64_t done_at;
};

static void *blocked_recv(void *arg)
{
	struct block_arg *a = arg;

	a->err = chan_recv(a->c, &a->v);
	atomic_store(&a->done_at, now_ns());
	return NULL;
}

static void *blocked_send(void *arg)
{
	struct block_arg *a = arg;

	a->err = chan_send(a->c, &a->v);
	atomic_store(&a->done_at, now_ns());
	return NULL;
}

START_TEST(test_recv_blocks_until_send)
{
	struct block_arg a = { 0 };
	struct chan_stats st;
	pthread_t th;
	uint64_t v = 42, sent_at;

	a.c = chan_new(4, sizeof(uint64_t), 0, 0);
	pthread_create(&th, NULL, blocked_recv, &a);
	sleep_ms(50);
	ck_assert_uint_eq(atomic_load(&a.done_at), 0); /* still blocked */
	chan_get_stats(a.c, &st);
	ck_assert_uint_ge(st.recv_parks, 1);
	sent_at = now_ns();
	ck_assert_int_eq(chan_send(a.c, &v), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.v, 42);
	ck_assert_uint_ge(atomic_load(&a.done_at), sent_at);
	chan_get_stats(a.c, &st);
	ck_assert_uint_ge(st.wakes, 1);
	chan_free(a.c);
}
END_TEST

START_TEST(test_send_blocks_until_recv)
{
	struct block_arg a = { .v = 9 };
	pthread_t th;
	uint64_t v = 1;

	a.c = chan_new(1, sizeof(uint64_t), 0, 0);
	ck_assert_int_eq(chan_send(a.c, &v), 0);
	pthread_create(&th, NULL, blocked_send, &a);
	sleep_ms(50);
	ck_assert_uint_eq(atomic_load(&a.done_at), 0);
	ck_assert_int_eq(chan_recv(a.c, &v), 0);
	ck_assert_uint_eq(v, 1);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.err, 0);
	ck_assert_int_eq(chan_recv(a.c, &v), 0);
	ck_assert_uint_eq(v, 9);
	chan_free(a.c);
}
END_TEST

START_TEST(test_close_wakes_and_drains)
{
	struct block_arg a = { 0 }, b = { .v = 5 };
	pthread_t th, th2;
	uint64_t v = 3;

	/* a parked receiver returns -EPIPE on close */
	a.c = chan_new(1, sizeof(uint64_t), 0, 0);
	pthread_create(&th, NULL, blocked_recv, &a);
	sleep_ms(30);
	chan_close(a.c);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.err, -EPIPE);
	chan_free(a.c);

	/* a parked sender returns -EPIPE; what was sent before is still delivered */
	b.c = chan_new(1, sizeof(uint64_t), 0, 0);
	ck_assert_int_eq(chan_send(b.c, &v), 0);
	pthread_create(&th2, NULL, blocked_send, &b);
	sleep_ms(30);
	chan_close(b.c);
	pthread_join(th2, NULL);
	ck_assert_int_eq(b.err, -EPIPE);
	ck_assert_int_eq(chan_try_send(b.c, &v), -EPIPE);
	v = 0;
	ck_assert_int_eq(chan_recv(b.c, &v), 0);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(chan_recv(b.c, &v), -EPIPE);
	ck_assert_int_eq(chan_try_recv(b.c, &v), -EPIPE);
	chan_free(b.c);
}
END_TEST

START_TEST(test_close_wakes_every_parked_thread)
{
	/* four senders parked on a full channel, four receivers on an empty one */
	struct block_arg snd[4], rcv[4];
	pthread_t st[4], rt[4];
	struct chan *full = chan_new(1, sizeof(uint64_t), 0, 0);
	struct chan *empty = chan_new(4, sizeof(uint64_t), 0, 0);
	struct chan_stats fs, es;
	uint64_t v = 1, t0;

	ck_assert_int_eq(chan_send(full, &v), 0);
	for (int i = 0; i < 4; i++) {
		snd[i] = (struct block_arg){ .c = full, .v = (uint64_t)i };
		rcv[i] = (struct block_arg){ .c = empty };
		pthread_create(&st[i], NULL, blocked_send, &snd[i]);
		pthread_create(&rt[i], NULL, blocked_recv, &rcv[i]);
	}
	sleep_ms(100);
	chan_get_stats(full, &fs);
	chan_get_stats(empty, &es);
	ck_assert_uint_ge(fs.send_parks, 4);
	ck_assert_uint_ge(es.recv_parks, 4);
	t0 = now_ns();
	chan_close(full);
	chan_close(empty);
	for (int i = 0; i < 4; i++) {
		pthread_join(st[i], NULL);
		pthread_join(rt[i], NULL);
		ck_assert_int_eq(snd[i].err, -EPIPE);
		ck_assert_int_eq(rcv[i].err, -EPIPE);
	}
	ck_assert_uint_lt(now_ns() - t0, 1000000000ull);
	/* the element sent before the close is still there */
	ck_assert_int_eq(chan_recv(full, &v), 0);
	ck_assert_uint_eq(v, 1);
	chan_free(full);
	chan_free(empty);
}
END_TEST

/*
 * MPMC stress: P producers send (id, seq 0..n-1) each, C consumers check that each
 * producer's sequence rises in what they see and sum count and seqs per producer. A
 * watchdog fails the test if progress stops for 3 s (a lost wakeup parks everyone).
 */
#define SP 4
#define SC 4

struct stress {
	struct chan *c;
	uint64_t n;
	_Atomic uint64_t progress;
	atomic_int producers_left;
};

struct stress_cons {
	struct stress *s;
	uint64_t count[SP], sum[SP], last[SP];
	uint64_t order_errors;
};

struct stress_prod {
	struct stress *s;
	uint32_t id;
};

static void *stress_producer(void *arg)
{
	struct stress_prod *p = arg;
	struct msg m = { .prod = p->id };

	for (m.seq = 0; m.seq < p->s->n; m.seq++) {
		if (chan_send(p->s->c, &m))
			break;
		if ((m.seq & 255) == 0)
			atomic_fetch_add_explicit(&p->s->progress, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress_cons *k = arg;
	struct msg m;
	uint64_t i = 0;

	while (chan_recv(k->s->c, &m) == 0) {
		if (m.prod >= SP) {
			k->order_errors++;
			continue;
		}
		if (k->count[m.prod] && m.seq <= k->last[m.prod])
			k->order_errors++;
		k->last[m.prod] = m.seq;
		k->count[m.prod]++;
		k->sum[m.prod] += m.seq;
		if ((++i & 255) == 0)
			atomic_fetch_add_explicit(&k->s->progress, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Returns false if progress stalled for 3 s before the producers finished. */
static bool run_stress(uint32_t cap, unsigned flags, uint32_t spin, int np, int nc, uint64_t n,
		       struct stress_cons *cons)
{
	struct stress s = { .n = n };
	struct stress_prod prods[SP];
	pthread_t pt[SP], ct[SC];
	uint64_t last = 0, last_change = now_ns();
	bool stalled = false;

	s.c = chan_new(cap, sizeof(struct msg), flags, spin);
	ck_assert_ptr_nonnull(s.c);
	memset(cons, 0, sizeof(*cons) * SC);
	for (int i = 0; i < nc; i++) {
		cons[i].s = &s;
		pthread_create(&ct[i], NULL, stress_consumer, &cons[i]);
	}
	for (int i = 0; i < np; i++) {
		prods[i].s = &s;
		prods[i].id = (uint32_t)i;
		pthread_create(&pt[i], NULL, stress_producer, &prods[i]);
	}
	/* watchdog: producers are done when every one of them has sent n */
	for (;;) {
		uint64_t p = atomic_load(&s.progress);
		uint64_t got = 0;

		for (int i = 0; i < nc; i++)
			for (int j = 0; j < np; j++)
				got += cons[i].count[j]; /* racy read: only a hint */
		if (got >= (uint64_t)np * n)
			break;
		if (p != last) {
			last = p;
			last_change = now_ns();
		} else if (now_ns() - last_change > 3000000000ull) {
			stalled = true;
			break;
		}
		sleep_ms(5);
	}
	if (stalled)
		chan_close(s.c); /* unblock everyone so the test can report */
	for (int i = 0; i < np; i++)
		pthread_join(pt[i], NULL);
	chan_close(s.c);
	for (int i = 0; i < nc; i++)
		pthread_join(ct[i], NULL);
	chan_free(s.c);
	return !stalled;
}

static void check_conservation(struct stress_cons *cons, int np, int nc, uint64_t n)
{
	for (int j = 0; j < np; j++) {
		uint64_t count = 0, sum = 0;

		for (int i = 0; i < nc; i++) {
			count += cons[i].count[j];
			sum += cons[i].sum[j];
		}
		ck_assert_uint_eq(count, n);
		ck_assert_uint_eq(sum, n * (n - 1) / 2);
	}
	for (int i = 0; i < nc; i++)
		ck_assert_uint_eq(cons[i].order_errors, 0);
}

START_TEST(test_mpmc_stress_conserves)
{
	struct stress_cons cons[SC];
	const uint64_t n = 100000;

	ck_assert_msg(run_stress(8, 0, 20, SP, SC, n, cons), "MPMC stress stalled");
	check_conservation(cons, SP, SC, n);
}
END_TEST

START_TEST(test_mpsc_spmc_stress_conserves)
{
	struct stress_cons cons[SC];
	const uint64_t n = 100000;

	ck_assert_msg(run_stress(16, CHAN_SC, 20, SP, 1, n, cons), "MPSC stress stalled");
	check_conservation(cons, SP, 1, n);
	ck_assert_msg(run_stress(16, CHAN_SP, 20, 1, SC, n, cons), "SPMC stress stalled");
	check_conservation(cons, 1, SC, n);
}
END_TEST

START_TEST(test_no_lost_wakeup_capacity_one)
{
	/* capacity 1 and no spinning: nearly every send and recv parks or wakes */
	struct stress_cons cons[SC];
	const uint64_t n = 30000;

	ck_assert_msg(run_stress(1, 0, 0, SP, SC, n, cons),
		      "stalled: a wakeup was lost (capacity 1, 4x4, no spin)");
	check_conservation(cons, SP, SC, n);
}
END_TEST

struct pp {
	struct chan *req, *resp;
	uint64_t n;
	_Atomic uint64_t progress;
};

static void *ponger(void *arg)
{
	struct pp *p = arg;
	uint64_t v;

	while (chan_recv(p->req, &v) == 0) {
		v++;
		if (chan_send(p->resp, &v))
			break;
		atomic_fetch_add_explicit(&p->progress, 1, memory_order_relaxed);
	}
	return NULL;
}

struct pinger_arg {
	struct pp *p;
	uint64_t bad, done;
};

static void *pinger(void *arg)
{
	struct pinger_arg *a = arg;
	uint64_t v;

	for (uint64_t i = 0; i < a->p->n; i++) {
		v = i * 2;
		if (chan_send(a->p->req, &v) || chan_recv(a->p->resp, &v))
			return NULL;
		if (v != i * 2 + 1)
			a->bad++;
		a->done++;
	}
	return NULL;
}

START_TEST(test_no_lost_wakeup_pingpong)
{
	/* strict alternation: every receive waits for the other thread, spin 0 parks */
	struct pp p = { .n = 50000 };
	struct pinger_arg a = { .p = &p };
	pthread_t t1, t2;
	uint64_t last = 0, last_change = now_ns();
	bool stalled = false;
	struct chan_stats st;

	p.req = chan_new(1, sizeof(uint64_t), CHAN_SP | CHAN_SC, 0);
	p.resp = chan_new(1, sizeof(uint64_t), CHAN_SP | CHAN_SC, 0);
	pthread_create(&t2, NULL, ponger, &p);
	pthread_create(&t1, NULL, pinger, &a);
	while (atomic_load(&p.progress) < p.n) {
		uint64_t v = atomic_load(&p.progress);

		if (v != last) {
			last = v;
			last_change = now_ns();
		} else if (now_ns() - last_change > 3000000000ull) {
			stalled = true;
			break;
		}
		sleep_ms(5);
	}
	chan_close(p.req);
	chan_close(p.resp);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ck_assert_msg(!stalled, "ping-pong stalled at %llu of %llu: a wakeup was lost",
		      (unsigned long long)last, (unsigned long long)p.n);
	ck_assert_uint_eq(a.done, p.n);
	ck_assert_uint_eq(a.bad, 0);
	chan_get_stats(p.req, &st);
	ck_assert_uint_gt(st.recv_parks + st.wakes, 0); /* the park path really ran */
	chan_free(p.req);
	chan_free(p.resp);
}
END_TEST

static Suite *chan_suite(void)
{
	Suite *s = suite_create("chan");
	TCase *basic = tcase_create("basic"), *block = tcase_create("blocking"),
	      *stress = tcase_create("stress");

	tcase_add_test(basic, test_new_rejects_bad_args);
	tcase_add_test(basic, test_fifo_single_thread);
	tcase_add_test(basic, test_bytes_per_capacity);
	tcase_add_test(basic, test_fifo_spsc_threads);
	tcase_add_test(basic, test_capacity_one);
	tcase_add_test(basic, test_capacity_not_power_of_two);
	tcase_add_test(basic, test_elem_size_copies_whole_element);
	tcase_add_test(basic, test_fast_path_makes_no_wake);
	tcase_set_timeout(basic, 20);
	tcase_add_test(block, test_timed_waits_time_out);
	tcase_add_test(block, test_recv_blocks_until_send);
	tcase_add_test(block, test_send_blocks_until_recv);
	tcase_add_test(block, test_close_wakes_and_drains);
	tcase_add_test(block, test_close_wakes_every_parked_thread);
	tcase_add_test(stress, test_mpmc_stress_conserves);
	tcase_add_test(stress, test_mpsc_spmc_stress_conserves);
	tcase_add_test(stress, test_no_lost_wakeup_capacity_one);
	tcase_add_test(stress, test_no_lost_wakeup_pingpong);
	tcase_set_timeout(stress, 60);
	suite_add_tcase(s, basic);
	suite_add_tcase(s, block);
	suite_add_tcase(s, stress);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
