// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pool workload with impl=NAME: a user's pool from a plugin (<opscope/plugin.h>,
 * docs/PLUGINS.md) in place of the built-in task queue and worker threads. Callers
 * submit plug_task(task) to it; plug_task runs on whichever of the user's threads the
 * pool picks, and there does what a built-in worker does (pool_exec): snapshot that
 * thread's slot, run the task body, snapshot again, hand the result back. So a call's
 * breakdown is the user's worker's and its queued time is the user's queue, exactly as
 * for the built-in pool.
 *
 * A user's thread is registered with the collector at its first task of a repetition
 * (one map lookup, before that task's first snapshot), and keeps a record here: its
 * slot, its pipe for io=pipe, its name for trace.json. The thread-local pointer to the
 * record carries the pool's id, so a thread the user keeps across repetitions (a
 * process-wide pool) registers again with each new pool instead of reading a freed one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workloads/wl_pool.h"

struct pool_plug_thr {
	struct ops_thread ot;
	struct why_busy busy;
	int pipefd[2];
	char name[16];
	struct pool_plug_thr *next;
};

static _Atomic uint64_t pool_ids;
static __thread struct pool_plug_thr *tl_thr;
static __thread uint64_t tl_pool;

/* The calling thread's name, for trace.json's tracks. */
static void thread_name(uint32_t tid, char *name, size_t len)
{
	char path[64];
	FILE *f;

	name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(name, (int)len, f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
}

/* The calling thread's first task of this pool: register it, and keep its record. */
static struct pool_plug_thr *plug_thr_new(struct pool *p)
{
	struct pool_plug_thr *t = calloc(1, sizeof(*t));
	int err;

	if (!t) {
		wl_fail(&p->run, -ENOMEM, "out of memory for a %s worker's record", p->impl->name);
		return NULL;
	}
	t->pipefd[0] = t->pipefd[1] = -1;
	err = ops_thread_register(&t->ot);
	if (err) {
		wl_fail(&p->run, err, "a worker of pool %s got no accounting slot from the "
			"collector (all %d in use); run fewer threads", p->impl->name,
			OPS_MAX_SLOTS);
		free(t);
		return NULL;
	}
	if (p->io == IO_PIPE && pipe2(t->pipefd, O_CLOEXEC)) {
		wl_fail(&p->run, -errno, "cannot create a pipe for io=pipe: %s", strerror(errno));
		free(t);
		return NULL;
	}
	thread_name(t->ot.tid, t->name, sizeof(t->name));
	atomic_fetch_add(&p->run.threads, 1);
	pthread_mutex_lock(&p->run.lock);
	if (p->run.ex && t->name[0])
		ex_set_name(p->run.ex, t->ot.tid, t->name);
	pthread_mutex_unlock(&p->run.lock);
	pthread_mutex_lock(&p->plug_lock);
	t->next = p->plug_thrs;
	p->plug_thrs = t;
	pthread_mutex_unlock(&p->plug_lock);
	tl_thr = t;
	tl_pool = p->plug_id;
	return t;
}

/* What the user's pool runs: one task, timed on this thread. */
static void plug_task(void *arg)
{
	struct pool_task *task = arg;
	struct pool *p = task->p;
	struct pool_plug_thr *t = tl_pool == p->plug_id ? tl_thr : plug_thr_new(p);
	static const int nopipe[2] = { -1, -1 };
	struct ops_thread none = { 0 };

	wl_gauge_sub(&p->queued, 1);
	if (!t) {
		/* the repetition failed already; refuse the call so that its caller is not
		 * left waiting for it */
		task->fail = true;
		pool_exec(p, &none, NULL, nopipe, task);
		return;
	}
	pool_exec(p, &t->ot, &t->busy, t->pipefd, task);
}

int pool_plug_start(struct pool *p)
{
	pthread_mutex_init(&p->plug_lock, NULL);
	p->plug_id = atomic_fetch_add(&pool_ids, 1) + 1;
	errno = 0;
	p->up = p->impl->create(p->nworkers, p->queue);
	if (!p->up) {
		int e = errno ? errno : EIO;

		wl_fail(&p->run, -e, "pool %s (plugin) could not be created with %u workers and a "
			"queue of %u: %s", p->impl->name, p->nworkers, p->queue, strerror(e));
		return p->run.err;
	}
	return 0;
}

int pool_plug_submit(struct pool *p, struct pool_task *task, bool block)
{
	const struct opscope_pool_impl *im = p->impl;
	int err;

	wl_gauge_add(&p->queued, 1);
	if (!block && im->try_submit)
		err = im->try_submit(p->up, plug_task, task);
	else
		err = im->submit(p->up, plug_task, task);
	if (!err)
		return 0;
	wl_gauge_sub(&p->queued, 1);
	if (err == -EAGAIN && !block && im->try_submit)
		return -EAGAIN;
	wl_fail(&p->run, err < 0 ? err : -EIO, "pool %s (plugin) refused a task: %s "
		"returned %d", im->name, block || !im->try_submit ? "submit" : "try_submit", err);
	return -EPIPE;
}

double pool_plug_occupancy(struct pool *p)
{
	int64_t q = atomic_load_explicit(&p->queued.cur, memory_order_relaxed);
	double f = p->queue ? (double)q / (double)p->queue : 0;

	return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* Destroy the user's pool (every task it was given has run), then the records of its
 * threads. Idempotent: the run calls it once its callers are done, teardown again. */
void pool_plug_stop(struct pool *p)
{
	struct pool_plug_thr *t, *next;

	if (!p->plug_id)
		return;
	if (p->up) {
		p->impl->destroy(p->up);
		p->up = NULL;
	}
	pthread_mutex_lock(&p->plug_lock);
	t = p->plug_thrs;
	p->plug_thrs = NULL;
	pthread_mutex_unlock(&p->plug_lock);
	pthread_mutex_lock(&p->run.lock);
	for (struct pool_plug_thr *h = t; h; h = h->next) {
		/* interval histories: freed with the run (wl_run_destroy), as a worker's */
		if (h->ot.hist) {
			h->ot.hist->next = p->run.hists;
			p->run.hists = h->ot.hist;
			h->ot.hist = NULL;
		}
	}
	pthread_mutex_unlock(&p->run.lock);
	for (; t; t = next) {
		next = t->next;
		if (t->name[0]) /* the last in the list registered first */
			snprintf(p->plug_worker, sizeof(p->plug_worker), "%s", t->name);
		if (t->pipefd[0] >= 0) {
			close(t->pipefd[0]);
			close(t->pipefd[1]);
		}
		free(t);
	}
}
