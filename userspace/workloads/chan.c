// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Bounded channel: see chan.h.
 *
 * The ring. Cell i holds a sequence word and the element. For position p (positions
 * count up forever; cell = p mod capacity) the cell's sequence is 2p while the cell is
 * free for the producer of p, 2p+1 once that producer has published, and 2(p+capacity)
 * once the consumer of p has taken the element (which is "free for p + capacity").
 * Counting in steps of two keeps "full for p" (2p+1) and "free for p+1" (2p+2) apart
 * when the capacity is 1, where Vyukov's original steps of one would collide.
 * A producer claims p by a compare-and-swap on enq_pos (a plain store with CHAN_SP),
 * writes the element and publishes the new sequence; a consumer likewise on deq_pos.
 *
 * Blocking. Each direction has a futex word whose low bit means "someone may be asleep
 * here"; the rest counts up in steps of two. A thread that found the ring full (empty)
 * spins, then sets the bit (reading the word as it does), tries once more, and parks on
 * the word if it still cannot proceed. The other side publishes its cell with a
 * sequentially consistent exchange and then reads the word: by the usual store-buffer
 * argument either it sees the bit, or the sleeper's retry sees the published cell. A
 * waker that sees the bit clears it while adding two, so the word differs from what
 * any not-yet-sleeping waiter read, and wakes every sleeper; the ones that find nothing
 * set the bit again. So only the first operation after a thread parks pays for a
 * syscall, however long the sleeper takes to get a CPU, and no wakeup is lost: the cell
 * a blocked thread waits on is the one at its own position, and its owner always looks
 * at the bit after publishing it, even when a later cell was published first.
 * (Waking one sleeper and clearing the bit only when the wake found nobody looks
 * cheaper but is wrong: a sleeper that re-arms an already set bit leaves the word
 * unchanged, so the late "clear" succeeds and strands it; the ping-pong test catches
 * that within a few thousand round trips.)
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "workloads/chan.h"

#define CACHE_LINE 64

struct chan_cell {
	_Atomic uint64_t seq;
	unsigned char data[];
};

struct chan {
	/* read-only after chan_new */
	unsigned char *cells;
	uint64_t mask;  /* capacity - 1 when the capacity is a power of two */
	uint32_t cap;
	uint32_t elem_size;
	uint32_t stride;
	uint32_t spin;
	bool pow2, sp, sc;
	size_t cells_bytes;

	_Alignas(CACHE_LINE) _Atomic uint64_t enq_pos;
	_Alignas(CACHE_LINE) _Atomic uint64_t deq_pos;

	/* futex words (bit 0: a thread may sleep here), read on every operation and
	 * written only around parking: read-mostly */
	_Alignas(CACHE_LINE) _Atomic uint32_t not_full;
	_Atomic uint32_t not_empty;
	atomic_int closed;

	_Alignas(CACHE_LINE) _Atomic uint64_t send_parks;
	_Atomic uint64_t recv_parks;
	_Atomic uint64_t wakes;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline struct chan_cell *cell_at(const struct chan *c, uint64_t pos)
{
	uint64_t i = c->pow2 ? (pos & c->mask) : (pos % c->cap);

	return (struct chan_cell *)(c->cells + i * c->stride);
}

/* Element copy; pointer-sized elements (the common case) skip the memcpy call. */
static inline void elem_copy(void *dst, const void *src, uint32_t n)
{
	if (n == sizeof(uint64_t)) {
		uint64_t v;

		__builtin_memcpy(&v, src, sizeof(v));
		__builtin_memcpy(dst, &v, sizeof(v));
		return;
	}
	memcpy(dst, src, n);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep while *word == val, until woken or the CLOCK_MONOTONIC deadline (0: none). */
static void futex_wait_until(_Atomic uint32_t *word, uint32_t val, uint64_t deadline)
{
	struct timespec ts, *tsp = NULL;

	if (deadline) {
		ts.tv_sec = (time_t)(deadline / 1000000000ull);
		ts.tv_nsec = (long)(deadline % 1000000000ull);
		tsp = &ts;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. EAGAIN (the word
	 * changed), EINTR and ETIMEDOUT all just send the caller round its loop again. */
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, val, tsp, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

struct chan *chan_new(uint32_t capacity, uint32_t elem_size, unsigned flags, uint32_t spin)
{
	struct chan *c;
	size_t bytes;

	if (capacity < 1 || capacity > CHAN_MAX_CAPACITY || elem_size < 1 ||
	    elem_size > CHAN_MAX_ELEM || (flags & ~(unsigned)(CHAN_SP | CHAN_SC))) {
		errno = EINVAL;
		return NULL;
	}
	c = aligned_alloc(CACHE_LINE, sizeof(*c));
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->cap = capacity;
	c->elem_size = elem_size;
	c->stride = (uint32_t)((sizeof(struct chan_cell) + elem_size + 7) & ~(size_t)7);
	c->spin = spin;
	c->pow2 = (capacity & (capacity - 1)) == 0;
	c->mask = capacity - 1;
	c->sp = flags & CHAN_SP;
	c->sc = flags & CHAN_SC;
	bytes = (size_t)c->stride * capacity;
	bytes = (bytes + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
	c->cells_bytes = bytes;
	c->cells = aligned_alloc(CACHE_LINE, bytes);
	if (!c->cells) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	memset(c->cells, 0, bytes);
	for (uint32_t i = 0; i < capacity; i++)
		atomic_init(&cell_at(c, i)->seq, 2ull * i);
	return c;
}

size_t chan_bytes(const struct chan *c)
{
	return sizeof(*c) + c->cells_bytes;
}

void chan_free(struct chan *c)
{
	if (!c)
		return;
	free(c->cells);
	free(c);
}

/* After publishing: wake the threads parked on word, if its bit says there may be any. */
static inline void wake_if_sleeping(struct chan *c, _Atomic uint32_t *word)
{
	uint32_t w = atomic_load_explicit(word, memory_order_seq_cst);

	if (!(w & 1))
		return;
	/* A failed exchange means another waker (or close) changed the word and wakes. */
	if (!atomic_compare_exchange_strong_explicit(word, &w, (w + 2) & ~1u,
						     memory_order_seq_cst, memory_order_relaxed))
		return;
	atomic_fetch_add_explicit(&c->wakes, 1, memory_order_relaxed);
	futex_wake(word, INT_MAX);
}

int chan_try_send(struct chan *c, const void *elem)
{
	struct chan_cell *cell;
	uint64_t pos, seq;
	int64_t dif;

	if (atomic_load_explicit(&c->closed, memory_order_relaxed))
		return -EPIPE;
	pos = atomic_load_explicit(&c->enq_pos, memory_order_relaxed);
	for (;;) {
		cell = cell_at(c, pos);
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (int64_t)(seq - 2 * pos);
		if (dif == 0) {
			if (c->sp) {
				atomic_store_explicit(&c->enq_pos, pos + 1, memory_order_relaxed);
				break;
			}
			if (atomic_compare_exchange_weak_explicit(&c->enq_pos, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return -EAGAIN; /* the cell still holds the element of pos - capacity */
		} else {
			pos = atomic_load_explicit(&c->enq_pos, memory_order_relaxed);
		}
	}
	elem_copy(cell->data, elem, c->elem_size);
	/* seq_cst so that the waiter check below cannot be ordered before the publish */
	atomic_exchange_explicit(&cell->seq, 2 * pos + 1, memory_order_seq_cst);
	wake_if_sleeping(c, &c->not_empty);
	return 0;
}

static int try_recv_once(struct chan *c, void *elem)
{
	struct chan_cell *cell;
	uint64_t pos, seq;
	int64_t dif;

	pos = atomic_load_explicit(&c->deq_pos, memory_order_relaxed);
	for (;;) {
		cell = cell_at(c, pos);
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (int64_t)(seq - (2 * pos + 1));
		if (dif == 0) {
			if (c->sc) {
				atomic_store_explicit(&c->deq_pos, pos + 1, memory_order_relaxed);
				break;
			}
			if (atomic_compare_exchange_weak_explicit(&c->deq_pos, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return -EAGAIN; /* not yet published */
		} else {
			pos = atomic_load_explicit(&c->deq_pos, memory_order_relaxed);
		}
	}
	elem_copy(elem, cell->data, c->elem_size);
	atomic_exchange_explicit(&cell->seq, 2 * (pos + c->cap), memory_order_seq_cst);
	wake_if_sleeping(c, &c->not_full);
	return 0;
}

int chan_try_recv(struct chan *c, void *elem)
{
	int err = try_recv_once(c, elem);

	if (err != -EAGAIN)
		return err;
	if (!atomic_load_explicit(&c->closed, memory_order_acquire))
		return -EAGAIN;
	/* Closed: a send that saw the channel open before the close may still be
	 * publishing; one more look takes what it left, later ones are the caller's
	 * (chan.h: stop the senders before closing). */
	err = try_recv_once(c, elem);
	return err == -EAGAIN ? -EPIPE : err;
}

static int chan_block(struct chan *c, void *elem, bool send, uint64_t timeout_ns)
{
	_Atomic uint32_t *word = send ? &c->not_full : &c->not_empty;
	_Atomic uint64_t *parks = send ? &c->send_parks : &c->recv_parks;
	uint64_t deadline = 0;
	uint32_t v;
	int err;

	for (;;) {
		for (uint32_t i = 0;; i++) {
			err = send ? chan_try_send(c, elem) : chan_try_recv(c, elem);
			if (err != -EAGAIN)
				return err;
			if (i >= c->spin)
				break;
			cpu_relax();
		}
		if (timeout_ns && !deadline)
			deadline = mono_ns() + timeout_ns;
		v = atomic_fetch_or_explicit(word, 1, memory_order_seq_cst) | 1;
		atomic_thread_fence(memory_order_seq_cst);
		err = send ? chan_try_send(c, elem) : chan_try_recv(c, elem);
		if (err == -EAGAIN && deadline && mono_ns() >= deadline)
			err = -ETIMEDOUT;
		if (err != -EAGAIN)
			return err;
		atomic_fetch_add_explicit(parks, 1, memory_order_relaxed);
		futex_wait_until(word, v, deadline);
	}
}

int chan_send(struct chan *c, const void *elem)
{
	int err = chan_try_send(c, elem);

	return err == -EAGAIN ? chan_block(c, (void *)elem, true, 0) : err;
}

int chan_recv(struct chan *c, void *elem)
{
	int err = try_recv_once(c, elem);

	return err == -EAGAIN ? chan_block(c, elem, false, 0) : err;
}

int chan_send_timed(struct chan *c, const void *elem, uint64_t timeout_ns)
{
	int err = chan_try_send(c, elem);

	return err == -EAGAIN ? chan_block(c, (void *)elem, true, timeout_ns ? timeout_ns : 1)
			      : err;
}

int chan_recv_timed(struct chan *c, void *elem, uint64_t timeout_ns)
{
	int err = try_recv_once(c, elem);

	return err == -EAGAIN ? chan_block(c, elem, false, timeout_ns ? timeout_ns : 1) : err;
}

void chan_close(struct chan *c)
{
	atomic_store_explicit(&c->closed, 1, memory_order_seq_cst);
	atomic_fetch_add_explicit(&c->not_full, 2, memory_order_seq_cst);
	atomic_fetch_add_explicit(&c->not_empty, 2, memory_order_seq_cst);
	atomic_fetch_add_explicit(&c->wakes, 2, memory_order_relaxed);
	futex_wake(&c->not_full, INT_MAX);
	futex_wake(&c->not_empty, INT_MAX);
}

uint32_t chan_len(const struct chan *c)
{
	uint64_t d = atomic_load_explicit(&c->deq_pos, memory_order_relaxed);
	uint64_t e = atomic_load_explicit(&c->enq_pos, memory_order_relaxed);

	if (e <= d)
		return 0;
	return e - d > c->cap ? c->cap : (uint32_t)(e - d);
}

uint32_t chan_capacity(const struct chan *c)
{
	return c->cap;
}

void chan_get_stats(const struct chan *c, struct chan_stats *st)
{
	st->send_parks = atomic_load_explicit(&c->send_parks, memory_order_relaxed);
	st->recv_parks = atomic_load_explicit(&c->recv_parks, memory_order_relaxed);
	st->wakes = atomic_load_explicit(&c->wakes, memory_order_relaxed);
}
