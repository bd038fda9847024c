// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Worker pool: N workers behind a bounded task queue (a struct chan of task pointers);
 * caller threads keep up to M calls in flight between them. The op "pool.call" runs from
 * submit to result, timed by the caller. What the kernel did to a call happened mostly
 * on the worker, so the worker snapshots its own slot around the task body and hands the
 * difference back with the result: the recorded breakdown is the worker's, with the
 * caller's latency, and queued_ns = latency - the worker's execution time (time in the
 * queue plus both hand-offs). Each caller has a completion channel sized to its window
 * and parks on it (futex) while waiting for results.
 *
 * Workers run each task body as op kind "pool.task" (the kind the kernel side tags their
 * stacks and wakeups with) and no kind while they wait for tasks. With --why a call also
 * says what the workers were doing while it was queued: the caller reads the workers'
 * slots at submit, the worker that picks it up reads them again (kernel/why.h), and the
 * difference splits the call's queued time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "workloads/chan.h"
#include "stats/exemplar.h"
#include "stats/opagg.h"
#include "kernel/oprec.h"
#include "kernel/why.h"
#include "workloads/workload.h"

enum { P_WORKERS, P_INFLIGHT, P_CALLERS, P_QUEUE, P_PAYLOAD, P_SPIN, P_ALLOC, P_SLEEP, P_IO,
       P_ERROR_RATE, P_WAIT_SPIN };
enum { IO_NONE, IO_DEVNULL, IO_PIPE };

static const char *const io_vals[] = { "none", "devnull", "pipe", NULL };

static const struct wl_param_def pool_params[] = {
	[P_WORKERS] = { "workers", WL_P_INT, 1, 256, 0, 0, "4", "worker threads", NULL },
	[P_INFLIGHT] = { "inflight", WL_P_INT, 1, 500, 0, 0, "32",
			 "calls kept in flight by all callers together", NULL },
	[P_CALLERS] = { "callers", WL_P_INT, 1, 64, 0, 0, "2",
			"caller threads; each keeps its share of inflight calls in flight",
			NULL },
	[P_QUEUE] = { "queue", WL_P_INT, 1, 65536, 0, 0, "1024", "task queue capacity", NULL },
	[P_PAYLOAD] = { "payload", WL_P_SIZE, 64, 1 << 20, 0, 0, "256",
			"bytes copied into each call and back out of it", NULL },
	[P_SPIN] = { "spin", WL_P_DURATION, 0, 1000000000, 0, 0, "0",
		     "CPU spin per task", NULL },
	[P_ALLOC] = { "alloc", WL_P_SIZE, 0, 64 << 20, 0, 0, "0",
		      "bytes allocated and touched per task", NULL },
	[P_SLEEP] = { "sleep", WL_P_DURATION, 0, 1000000000, 0, 0, "0", "sleep per task", NULL },
	[P_IO] = { "io", WL_P_ENUM, 0, 2, 0, 0, "none",
		   "small I/O syscall per task: none, devnull (write 1 byte to /dev/null), "
		   "pipe (write 1 byte to a pipe and read it back)", io_vals },
	[P_ERROR_RATE] = { "error_rate", WL_P_FLOAT, 0, 0, 0.0, 1.0, "0",
			   "fraction of calls that fail (counted, not timed)", NULL },
	[P_WAIT_SPIN] = { "wait_spin", WL_P_INT, 0, 1000000, 0, 0, "100",
			  "retries before a queue or completion wait parks on its futex", NULL },
	{ 0 },
};

/* --why: a call's queued window as the workers lived it, and the split it gives. */
struct pool_why {
	struct why_gsnap q0, q1; /* the workers at submit, and at pickup */
	struct ops_wbd w;        /* the task body's blocked split, then the queued split */
};

struct pool_task {
	uint64_t id;
	struct pool_why *why; /* --why only (not counted as the workload's allocation) */
	uint32_t caller;
	bool rec;
	bool fail;
	int status;
	uint64_t t_submit;
	struct ops_bd bd;     /* the worker's breakdown of the task body */
	struct ex_exec ran;   /* the worker and its window, for exemplars */
	unsigned char *out;   /* result payload, allocated by the worker */
	unsigned char in[];   /* call payload */
};

struct pool;

struct pool_thread {
	struct pool *p;
	struct wl_thr t;
	pthread_t th;
	unsigned idx;
	bool started;
	uint32_t window;          /* callers: calls kept in flight */
	uint64_t sent, received;  /* callers: calls submitted, results taken */
	uint64_t next_id;         /* callers: id of the next call */
	int pipefd[2];            /* workers, io=pipe */
	struct why_busy busy;     /* workers: on-CPU in task bodies (--why) */
};

struct pool {
	struct wl_run run;
	struct chan *taskq;
	struct chan **done; /* one per caller */
	unsigned nworkers, ncallers;
	size_t payload, alloc;
	uint64_t spin_ns, sleep_ns;
	int io;
	int devnull;
	double error_rate;
	struct pool_thread *workers, *callers;
	uint32_t task_kind;         /* ops_kind_id("pool.task") */
	struct why_member *members; /* the workers, as --why reads them */
};

static void run_body(struct pool *p, struct pool_thread *pt, struct pool_task *task)
{
	char c = 'x';

	task->out = wl_malloc(p->payload);
	if (!task->out) {
		task->status = -ENOMEM;
		return;
	}
	memcpy(task->out, task->in, p->payload);
	if (p->spin_ns)
		wl_spin_ns(p->spin_ns);
	if (p->alloc) {
		void *m = wl_malloc(p->alloc);

		if (!m) {
			task->status = -ENOMEM;
			return;
		}
		wl_touch(m, p->alloc);
		wl_free(m, p->alloc);
	}
	if (p->sleep_ns) {
		struct timespec ts = { .tv_sec = (time_t)(p->sleep_ns / 1000000000ull),
				       .tv_nsec = (long)(p->sleep_ns % 1000000000ull) };

		nanosleep(&ts, NULL);
	}
	if (p->io == IO_DEVNULL) {
		if (write(p->devnull, &c, 1) != 1)
			task->status = -errno;
	} else if (p->io == IO_PIPE) {
		if (write(pt->pipefd[1], &c, 1) != 1 || read(pt->pipefd[0], &c, 1) != 1)
			task->status = -errno;
	}
}

static void *worker_main(void *arg)
{
	struct pool_thread *pt = arg;
	struct pool *p = pt->p;
	struct pool_task *task;
	struct ops_snap a, b;

	if (wl_thr_begin(&pt->t, &p->run))
		goto out;
	while (chan_recv(p->taskq, &task) == 0) {
		if (task->why)
			why_group_snap(p->members, p->nworkers, (uint32_t)task->id, &task->why->q1);
		ops_set_kind(&pt->t.ot, p->task_kind);
		ops_snap_take(&pt->t.ot, &a);
		/* every task, recorded or not: the queue a recorded call waits in holds both */
		if (pt->t.ot.why)
			why_busy_enter(&pt->busy, a.on_ns);
		task->status = 0;
		if (task->fail)
			task->status = -EIO; /* a failing call is refused before any work */
		else
			run_body(p, pt, task);
		ops_snap_take(&pt->t.ot, &b);
		ops_set_kind(&pt->t.ot, 0);
		ops_snap_delta(&pt->t.ot, &a, &b, &task->bd);
		if (pt->t.ot.why)
			why_busy_leave(&pt->busy, b.on_ns);
		if (task->why)
			ops_snap_why(&pt->t.ot, &a, &b, &task->bd, &task->why->w);
		task->ran = (struct ex_exec){ &pt->t.ot, a.ts, b.ts };
		if (chan_send(p->done[task->caller], &task)) {
			/* forced shutdown: nobody will take the result */
			free(task->why);
			wl_free(task->out, p->payload);
			wl_free(task, sizeof(*task) + p->payload);
		}
	}
out:
	wl_thr_end(&pt->t);
	return NULL;
}

static void take_result(struct pool *p, struct pool_thread *pt, struct pool_task *task,
			unsigned char *sink)
{
	uint64_t now = ops_now_ns(), head, tail, exec;
	struct ops_bd bd;

	pt->received++;
	if (task->status == 0) {
		memcpy(&head, task->out, sizeof(head));
		memcpy(&tail, task->out + p->payload - sizeof(tail), sizeof(tail));
		if (head != task->id || tail != task->id)
			wl_fail(&p->run, -EPROTO, "pool call %llu came back with the payload of "
				"call %llu: results were mixed up", (unsigned long long)task->id,
				(unsigned long long)head);
		memcpy(sink, task->out, p->payload);
	}
	if (task->rec) {
		if (task->status) {
			wl_record_error(&pt->t, 0, now);
		} else {
			struct ops_wbd *w = NULL;

			bd = task->bd;
			exec = bd.lat_ns;
			bd.lat_ns = now - task->t_submit;
			bd.queued_ns = bd.lat_ns > exec ? bd.lat_ns - exec : 0;
			if (task->why) {
				/* submit to pickup, as the workers spent it; then the result's
				 * way back */
				uint64_t qh = task->ran.begin > task->t_submit ?
						task->ran.begin - task->t_submit : 0;
				uint64_t qt = now > task->ran.end ? now - task->ran.end : 0;

				w = &task->why->w;
				why_queued(&task->why->q0, &task->why->q1, qh, qt,
					   p->task_kind, w);
			}
			wl_record_ran(&pt->t, 0, &bd, now, &task->ran, w);
		}
	}
	free(task->why);
	if (task->out)
		wl_free(task->out, p->payload);
	wl_free(task, sizeof(*task) + p->payload);
}

/* A new call: payload copied in and stamped with its id, failure decided, clock read. */
static struct pool_task *new_call(struct pool *p, struct pool_thread *pt, uint64_t *rng,
				  uint64_t threshold, const unsigned char *src)
{
	bool rec = wl_rec(&pt->t);
	struct pool_task *task = wl_malloc(sizeof(*task) + p->payload);

	if (!task) {
		wl_fail(&p->run, -ENOMEM, "out of memory for a pool call");
		return NULL;
	}
	task->id = pt->next_id++;
	task->caller = pt->idx;
	task->rec = rec;
	task->fail = threshold && wl_rand(rng) < threshold;
	task->out = NULL;
	task->why = NULL;
	memcpy(task->in, src, p->payload);
	memcpy(task->in, &task->id, sizeof(task->id));
	memcpy(task->in + p->payload - sizeof(task->id), &task->id, sizeof(task->id));
	if (rec && pt->t.ot.why) {
		task->why = calloc(1, sizeof(*task->why));
		if (task->why)
			why_group_snap(p->members, p->nworkers, (uint32_t)task->id,
				       &task->why->q0);
	}
	task->t_submit = ops_now_ns();
	return task;
}

static void *caller_main(void *arg)
{
	struct pool_thread *pt = arg;
	struct pool *p = pt->p;
	struct chan *done = p->done[pt->idx];
	uint64_t rng = 0x9E3779B97F4A7C15ull * (pt->idx + 1);
	uint64_t threshold = 0, outstanding = 0;
	unsigned char *src = NULL, *sink = NULL;
	struct pool_task *task, *pending = NULL;

	if (p->error_rate >= 1.0)
		threshold = UINT64_MAX;
	else if (p->error_rate > 0)
		threshold = (uint64_t)(p->error_rate * 18446744073709551616.0);
	src = malloc(p->payload);
	sink = malloc(p->payload);
	if (!src || !sink) {
		wl_fail(&p->run, -ENOMEM, "out of memory for a caller's payload buffers");
		wl_thr_begin(&pt->t, &p->run);
		goto out;
	}
	memset(src, 0xa5, p->payload);
	if (wl_thr_begin(&pt->t, &p->run))
		goto out;
	ops_set_kind(&pt->t.ot, p->run.kind[0]);
	for (;;) {
		while (outstanding < pt->window && (pending || !wl_stopping(&pt->t))) {
			int err;

			if (!pending) {
				pending = new_call(p, pt, &rng, threshold, src);
				if (!pending)
					break;
			}
			/* A full queue is back-pressure the call's latency includes; but take
			 * the results already due first, so that they are not delayed too. */
			err = chan_try_send(p->taskq, &pending);
			if (err == -EAGAIN && outstanding)
				break;
			if (err == -EAGAIN)
				err = chan_send(p->taskq, &pending);
			if (err)
				goto out; /* forced shutdown */
			pending = NULL;
			pt->sent++;
			outstanding++;
		}
		if (!outstanding)
			break;
		if (chan_recv(done, &task))
			break; /* forced shutdown */
		outstanding--;
		take_result(p, pt, task, sink);
		/* take every result that is already there before submitting again */
		while (outstanding && chan_try_recv(done, &task) == 0) {
			outstanding--;
			take_result(p, pt, task, sink);
		}
	}
out:
	if (pending) {
		free(pending->why);
		wl_free(pending, sizeof(*pending) + p->payload);
	}
	wl_thr_end(&pt->t);
	free(src);
	free(sink);
	return NULL;
}

static double pool_occupancy(void *arg)
{
	struct pool *p = arg;

	return (double)chan_len(p->taskq) / (double)chan_capacity(p->taskq);
}

static void pool_force(void *arg)
{
	struct pool *p = arg;

	chan_close(p->taskq);
	for (unsigned i = 0; i < p->ncallers; i++)
		chan_close(p->done[i]);
}

static void drain_free(struct pool *p, struct chan *c)
{
	struct pool_task *task;

	while (chan_try_recv(c, &task) == 0) {
		if (task->out)
			wl_free(task->out, p->payload);
		free(task->why);
		wl_free(task, sizeof(*task) + p->payload);
	}
}

static int pool_run(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res)
{
	static const char *const kinds[] = { "pool.call" };
	struct pool *p;
	unsigned started = 0, spin;
	bool leak = false;
	uint64_t sent = 0, received = 0;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return wl_result_fail(res, -ENOMEM, "out of memory setting up the pool");
	p->nworkers = (unsigned)cfg->iv[P_WORKERS];
	p->ncallers = (unsigned)cfg->iv[P_CALLERS];
	if (p->ncallers > cfg->iv[P_INFLIGHT])
		p->ncallers = (unsigned)cfg->iv[P_INFLIGHT];
	p->payload = (size_t)cfg->iv[P_PAYLOAD];
	p->alloc = (size_t)cfg->iv[P_ALLOC];
	p->spin_ns = (uint64_t)cfg->iv[P_SPIN];
	p->sleep_ns = (uint64_t)cfg->iv[P_SLEEP];
	p->io = (int)cfg->iv[P_IO];
	p->error_rate = cfg->fv[P_ERROR_RATE];
	p->devnull = -1;
	spin = (unsigned)cfg->iv[P_WAIT_SPIN];

	err = wl_run_init(&p->run, ctl, kinds, 1, p->nworkers + p->ncallers);
	if (err)
		goto finish;
	if (p->io == IO_DEVNULL) {
		p->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (p->devnull < 0) {
			wl_fail(&p->run, -errno, "cannot open /dev/null for io=devnull: %s",
				strerror(errno));
			goto finish;
		}
	}
	p->task_kind = ops_kind_id("pool.task");
	p->workers = calloc(p->nworkers, sizeof(*p->workers));
	p->members = calloc(p->nworkers, sizeof(*p->members));
	for (unsigned i = 0; p->workers && p->members && i < p->nworkers; i++)
		p->members[i] = (struct why_member){ &p->workers[i].t.ot, &p->workers[i].busy };
	p->callers = calloc(p->ncallers, sizeof(*p->callers));
	p->done = calloc(p->ncallers, sizeof(*p->done));
	for (unsigned i = 0; p->workers && i < p->nworkers; i++)
		p->workers[i].pipefd[0] = p->workers[i].pipefd[1] = -1;
	p->taskq = chan_new((uint32_t)cfg->iv[P_QUEUE], sizeof(struct pool_task *), 0, spin);
	if (!p->workers || !p->callers || !p->done || !p->taskq || !p->members) {
		wl_fail(&p->run, -ENOMEM, "out of memory setting up the pool");
		goto finish;
	}
	for (unsigned i = 0; i < p->ncallers; i++) {
		struct pool_thread *pt = &p->callers[i];

		pt->window = (uint32_t)(cfg->iv[P_INFLIGHT] / p->ncallers +
					(i < cfg->iv[P_INFLIGHT] % p->ncallers));
		/* one consumer; never full: at most window results are outstanding */
		p->done[i] = chan_new(pt->window, sizeof(struct pool_task *), CHAN_SC, spin);
		if (!p->done[i]) {
			wl_fail(&p->run, -ENOMEM, "out of memory setting up the pool");
			goto finish;
		}
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct pool_thread *pt = &p->workers[i];

		if (p->io == IO_PIPE && pipe2(pt->pipefd, O_CLOEXEC)) {
			wl_fail(&p->run, -errno, "cannot create a pipe for io=pipe: %s",
				strerror(errno));
			goto finish;
		}
	}

	for (unsigned i = 0; i < p->nworkers + p->ncallers; i++) {
		bool worker = i < p->nworkers;
		struct pool_thread *pt = worker ? &p->workers[i] : &p->callers[i - p->nworkers];

		pt->p = p;
		pt->idx = worker ? i : i - p->nworkers;
		pt->next_id = (uint64_t)pt->idx << 40;
		if (wl_thr_start(&p->run, &pt->th, worker ? worker_main : caller_main, pt,
				 worker ? "pool-worker" : "pool-caller", i, p->nworkers + p->ncallers))
			break;
		pt->started = true;
		started++;
	}
	if (wl_run_control(&p->run, started, pool_occupancy, p))
		pool_force(p);

	/* Callers finish their outstanding calls, then the workers see a closed queue. */
	for (unsigned i = 0; i < p->ncallers; i++)
		if (p->callers[i].started && wl_join(&p->run, p->callers[i].th, pool_force, p))
			leak = true;
	chan_close(p->taskq);
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->workers[i].started && wl_join(&p->run, p->workers[i].th, pool_force, p))
			leak = true;
	for (unsigned i = 0; i < p->ncallers; i++) {
		sent += p->callers[i].sent;
		received += p->callers[i].received;
	}
	if (!p->run.err && sent != received)
		wl_fail(&p->run, -EPROTO, "pool lost calls: %llu submitted, %llu results",
			(unsigned long long)sent, (unsigned long long)received);

finish:
	err = wl_run_finish(&p->run, res);
	snprintf(res->queue_waiter[0], sizeof(res->queue_waiter[0]), "pool-caller");
	snprintf(res->queue_on[0], sizeof(res->queue_on[0]), "pool-worker");
	res->sent = sent;
	res->received = received;
	if (leak)
		return err; /* a thread may still use p: leave it */
	if (p->taskq)
		drain_free(p, p->taskq);
	for (unsigned i = 0; p->done && i < p->ncallers; i++) {
		if (p->done[i])
			drain_free(p, p->done[i]);
		chan_free(p->done[i]);
	}
	for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
		if (p->workers[i].pipefd[0] >= 0) {
			close(p->workers[i].pipefd[0]);
			close(p->workers[i].pipefd[1]);
		}
	}
	chan_free(p->taskq);
	if (p->devnull >= 0)
		close(p->devnull);
	free(p->done);
	free(p->workers);
	free(p->members);
	free(p->callers);
	wl_run_destroy(&p->run);
	free(p);
	return err;
}

const struct workload wl_pool = {
	.name = "pool",
	.help = "a worker pool behind a bounded task queue; op pool.call is submit to result",
	.params = pool_params,
	.run = pool_run,
};
