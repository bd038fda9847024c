// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A user's bounded channel as an opscope plugin: a ring of elements behind one mutex and
 * two condition variables (deliberately unlike opscope's own, a lock-free ring with
 * futex parking). `opscope run --plugin ./libmyplugin.so -w channel -p impl=mychan` runs
 * it in the built-in channel scenarios; see docs/PLUGINS.md.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <opscope/plugin.h>

struct mychan {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned char *buf;
	uint32_t cap, elem, head, count;
	bool closed;
};

static void *mychan_create(uint32_t capacity, uint32_t elem_size, unsigned flags)
{
	struct mychan *c = calloc(1, sizeof(*c));

	(void)flags; /* one lock serves any number of senders and receivers */
	if (!c)
		return NULL;
	c->buf = malloc((size_t)capacity * elem_size);
	if (!c->buf) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->cap = capacity;
	c->elem = elem_size;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->not_empty, NULL);
	pthread_cond_init(&c->not_full, NULL);
	return c;
}

static int mychan_send(void *ch, const void *elem)
{
	struct mychan *c = ch;

	pthread_mutex_lock(&c->lock);
	while (c->count == c->cap && !c->closed)
		pthread_cond_wait(&c->not_full, &c->lock);
	if (c->closed) {
		pthread_mutex_unlock(&c->lock);
		return -EPIPE;
	}
	memcpy(c->buf + (size_t)((c->head + c->count) % c->cap) * c->elem, elem, c->elem);
	c->count++;
	pthread_cond_signal(&c->not_empty);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int mychan_recv(void *ch, void *elem)
{
	struct mychan *c = ch;

	pthread_mutex_lock(&c->lock);
	while (!c->count && !c->closed)
		pthread_cond_wait(&c->not_empty, &c->lock);
	if (!c->count) { /* closed and drained */
		pthread_mutex_unlock(&c->lock);
		return -EPIPE;
	}
	memcpy(elem, c->buf + (size_t)c->head * c->elem, c->elem);
	c->head = (c->head + 1) % c->cap;
	c->count--;
	pthread_cond_signal(&c->not_full);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void mychan_close(void *ch)
{
	struct mychan *c = ch;

	pthread_mutex_lock(&c->lock);
	c->closed = true;
	pthread_cond_broadcast(&c->not_empty);
	pthread_cond_broadcast(&c->not_full);
	pthread_mutex_unlock(&c->lock);
}

static void mychan_destroy(void *ch)
{
	struct mychan *c = ch;

	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->not_empty);
	pthread_cond_destroy(&c->not_full);
	free(c->buf);
	free(c);
}

static uint32_t mychan_len(void *ch)
{
	struct mychan *c = ch;

	return __atomic_load_n(&c->count, __ATOMIC_RELAXED); /* a racy snapshot will do */
}

static const struct opscope_chan_impl mychan = {
	.name = "mychan",
	.help = "a ring behind one mutex and two condition variables",
	.create = mychan_create,
	.send = mychan_send,
	.recv = mychan_recv,
	.close = mychan_close,
	.destroy = mychan_destroy,
	.len = mychan_len,
};
OPSCOPE_REGISTER_CHANNEL(mychan);
