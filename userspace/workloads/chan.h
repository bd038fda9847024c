/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A bounded channel of fixed-size elements: a lock-free ring of sequence-numbered cells
 * (Vyukov's bounded MPMC queue, with sequence numbers counted in steps of two so that a
 * capacity of 1 works too), plus blocking send/recv that spin a while and then park on a
 * futex. A "may be asleep" bit in each futex word keeps the fast path free of syscalls
 * when nobody sleeps, and costs one wake per park however slowly the sleeper resumes.
 *
 *	struct chan *c = chan_new(1024, sizeof(struct msg), CHAN_SP | CHAN_SC, 100);
 *	chan_send(c, &m);        // blocks while full; -EPIPE once closed
 *	chan_recv(c, &m);        // blocks while empty; -EPIPE once closed and drained
 *	chan_close(c);           // wakes every parked thread
 *	chan_free(c);
 *
 * CHAN_SP / CHAN_SC promise a single producer / single consumer thread at a time; the
 * matching side then skips its compare-and-swap. Any side without the flag may be used
 * by any number of threads.
 */
#ifndef OPSCOPE_CHAN_H
#define OPSCOPE_CHAN_H

#include <stddef.h>
#include <stdint.h>

enum chan_flags {
	CHAN_SP = 1 << 0, /* single producer */
	CHAN_SC = 1 << 1, /* single consumer */
};

#define CHAN_MAX_CAPACITY 65536u
#define CHAN_MAX_ELEM (1u << 20)

struct chan;

struct chan_stats {
	uint64_t send_parks; /* times a sender went to sleep on a full channel */
	uint64_t recv_parks; /* times a receiver went to sleep on an empty channel */
	uint64_t wakes;      /* FUTEX_WAKE calls made by send, recv and close */
};

/*
 * capacity 1..CHAN_MAX_CAPACITY elements of elem_size 1..CHAN_MAX_ELEM bytes; spin is
 * how many times a blocking call retries before it parks. NULL with errno EINVAL or
 * ENOMEM on failure.
 */
struct chan *chan_new(uint32_t capacity, uint32_t elem_size, unsigned flags, uint32_t spin);
void chan_free(struct chan *c);

/* Non-blocking: 0, -EAGAIN (full / empty), or -EPIPE (closed; recv: closed and empty). */
int chan_try_send(struct chan *c, const void *elem);
int chan_try_recv(struct chan *c, void *elem);

/* Blocking: 0 or -EPIPE. A closed channel still hands out what it holds. */
int chan_send(struct chan *c, const void *elem);
int chan_recv(struct chan *c, void *elem);

/* Blocking with a limit: also -ETIMEDOUT after timeout_ns. */
int chan_send_timed(struct chan *c, const void *elem, uint64_t timeout_ns);
int chan_recv_timed(struct chan *c, void *elem, uint64_t timeout_ns);

/*
 * Refuse further sends and wake every parked sender and receiver. Idempotent. A send
 * already under way when the channel is closed may still succeed after a receiver has
 * seen "closed and empty" (-EPIPE); to hand every sent element over, stop the senders
 * before closing (the workloads join their producers first).
 */
void chan_close(struct chan *c);

/* Elements held now (a racy snapshot, exact when quiescent), and the capacity. */
uint32_t chan_len(const struct chan *c);
uint32_t chan_capacity(const struct chan *c);
void chan_get_stats(const struct chan *c, struct chan_stats *st);
/* Bytes the channel occupies: its control block and its cells (cache-line aligned). */
size_t chan_bytes(const struct chan *c);

#endif
