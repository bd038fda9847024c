// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A user's worker pool as an opscope plugin: N threads behind one mutex, two condition
 * variables and a ring of tasks (deliberately unlike opscope's own pool, a lock-free
 * queue with futex parking). `opscope run --plugin ./libmyplugin.so -w pool -p
 * impl=mypool` runs it in the built-in pool scenarios; see docs/PLUGINS.md.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <opscope/plugin.h>

struct task {
	opscope_task_fn fn;
	void *arg;
};

struct mypool {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	struct task *ring;
	unsigned cap, head, count;
	bool stopping;
	unsigned nthreads;
	pthread_t *threads;
};

static void *worker(void *arg)
{
	struct mypool *p = arg;

	for (;;) {
		struct task t;

		pthread_mutex_lock(&p->lock);
		while (!p->count && !p->stopping)
			pthread_cond_wait(&p->not_empty, &p->lock);
		if (!p->count) { /* stopping, and nothing left to run */
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		t = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->lock);
		t.fn(t.arg);
	}
}

static void mypool_destroy(void *pool)
{
	struct mypool *p = pool;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	free(p->threads);
	free(p->ring);
	free(p);
}

static void *mypool_create(unsigned workers, unsigned queue)
{
	struct mypool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	p->cap = queue;
	p->ring = calloc(queue, sizeof(*p->ring));
	p->threads = calloc(workers, sizeof(*p->threads));
	if (!p->ring || !p->threads) {
		mypool_destroy(p);
		errno = ENOMEM;
		return NULL;
	}
	for (; p->nthreads < workers; p->nthreads++) {
		char name[16];
		int err = pthread_create(&p->threads[p->nthreads], NULL, worker, p);

		if (err) {
			mypool_destroy(p);
			errno = err;
			return NULL;
		}
		snprintf(name, sizeof(name), "mypool-%u", p->nthreads);
		pthread_setname_np(p->threads[p->nthreads], name);
	}
	return p;
}

/* With the lock held: room in the ring (or not, when !wait). */
static int push(struct mypool *p, opscope_task_fn fn, void *arg, bool wait)
{
	while (p->count == p->cap) {
		if (!wait)
			return -EAGAIN;
		pthread_cond_wait(&p->not_full, &p->lock);
	}
	p->ring[(p->head + p->count) % p->cap] = (struct task){ fn, arg };
	p->count++;
	pthread_cond_signal(&p->not_empty);
	return 0;
}

static int mypool_submit(void *pool, opscope_task_fn fn, void *arg)
{
	struct mypool *p = pool;
	int err;

	pthread_mutex_lock(&p->lock);
	err = push(p, fn, arg, true);
	pthread_mutex_unlock(&p->lock);
	return err;
}

static int mypool_try_submit(void *pool, opscope_task_fn fn, void *arg)
{
	struct mypool *p = pool;
	int err;

	pthread_mutex_lock(&p->lock);
	err = push(p, fn, arg, false);
	pthread_mutex_unlock(&p->lock);
	return err;
}

static const struct opscope_pool_impl mypool = {
	.name = "mypool",
	.help = "mutex + condition variables + a ring of tasks",
	.create = mypool_create,
	.submit = mypool_submit,
	.try_submit = mypool_try_submit,
	.destroy = mypool_destroy,
};
OPSCOPE_REGISTER_POOL(mypool);
