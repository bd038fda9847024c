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
 * difference splits the call's queued time (thread mode only).
 *
 * With mode=process the workers are forked processes, each behind a proxy thread that
 * takes its tasks from the queue (wl_pool_proc.c); the collector follows them, and each
 * snapshots its own slot around the task body as a worker thread does and sends the
 * snapshots back, so a call's breakdown and queued time are made the same way. Calls
 * in flight (callers) and busy workers (threads or processes) are counted with gauges
 * whose peaks the report holds to inflight and workers. Test knobs: test_overshoot breaks
 * the in-flight limit on purpose; leak makes every leak_every-th recorded task leak
 * memory, a descriptor or a thread, for the leak checks.
 *
 * With impl=NAME a user's pool from a plugin (docs/PLUGINS.md) takes the place of the task
 * queue and the worker threads: callers submit to it, and the task function they submit
 * runs pool_exec on the user's worker, so calls are timed and broken down as here
 * (wl_pool_plug.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#include "workloads/chan.h"
#include "stats/exemplar.h"
#include "stats/opagg.h"
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "workloads/wl_pool.h"
#include "workloads/workload.h"

enum { P_WORKERS, P_INFLIGHT, P_CALLERS, P_QUEUE, P_PAYLOAD, P_SPIN, P_ALLOC, P_SLEEP, P_IO,
       P_ERROR_RATE, P_WAIT_SPIN, P_MODE, P_LEAK, P_LEAK_EVERY, P_OVERSHOOT, P_IMPL };

static const char *const io_vals[] = { "none", "devnull", "pipe", NULL };
static const char *const mode_vals[] = { "thread", "process", NULL };
static const char *const leak_vals[] = { "none", "mem", "fd", "thread", NULL };

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
	[P_MODE] = { "mode", WL_P_ENUM, 0, 1, 0, 0, "thread",
		     "thread (worker threads) or process (forked worker processes, calls and "
		     "results as length-prefixed frames over Unix sockets)", mode_vals },
	[P_LEAK] = { "leak", WL_P_ENUM, 0, 3, 0, 0, "none",
		     "test knob: every leak_every-th recorded task leaks 64 KiB (mem), an open "
		     "descriptor (fd) or a parked thread (thread)", leak_vals },
	[P_LEAK_EVERY] = { "leak_every", WL_P_INT, 1, 1000000, 0, 0, "100",
			   "test knob: recorded tasks per leak", NULL },
	[P_OVERSHOOT] = { "test_overshoot", WL_P_INT, 0, 64, 0, 0, "0",
			  "test knob: calls each caller keeps in flight beyond its share of "
			  "inflight (breaks the limit on purpose)", NULL },
	[P_IMPL] = { "impl", WL_P_ENUM, 0, 0, 0, 0, "builtin",
		     "whose pool: builtin (opscope's), or one a plugin registers (--plugin FILE; "
		     "docs/PLUGINS.md)", plugins_pool_names },
	{ 0 },
};

static void *leaked_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* leak=...: what the knob leaves behind each time a leak is due. */
static void leak_one(int kind)
{
	pthread_attr_t attr;
	pthread_t th;
	void *m;

	switch (kind) {
	case LEAK_MEM:
		m = malloc(POOL_LEAK_BYTES);
		if (m)
			wl_touch(m, POOL_LEAK_BYTES);
		__asm__ __volatile__("" : : "r"(m) : "memory"); /* kept, never freed */
		break;
	case LEAK_FD:
		(void)open("/dev/null", O_RDONLY | O_CLOEXEC);
		break;
	case LEAK_THREAD:
		if (pthread_attr_init(&attr))
			break;
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		pthread_create(&th, &attr, leaked_thread, NULL);
		pthread_attr_destroy(&attr);
		break;
	}
}

int pool_body(struct pool *p, const int pipefd[2], unsigned char *out, const unsigned char *in,
	      bool rec, bool own_alloc)
{
	char c = 'x';

	memcpy(out, in, p->payload);
	if (p->spin_ns)
		wl_spin_ns(p->spin_ns);
	if (p->alloc) {
		void *m = own_alloc ? wl_malloc(p->alloc) : malloc(p->alloc);

		if (!m)
			return -ENOMEM;
		wl_touch(m, p->alloc);
		if (own_alloc)
			wl_free(m, p->alloc);
		else
			free(m);
	}
	if (p->sleep_ns) {
		struct timespec ts = { .tv_sec = (time_t)(p->sleep_ns / 1000000000ull),
				       .tv_nsec = (long)(p->sleep_ns % 1000000000ull) };

		nanosleep(&ts, NULL);
	}
	if (p->io == IO_DEVNULL) {
		if (write(p->devnull, &c, 1) != 1)
			return -errno;
	} else if (p->io == IO_PIPE) {
		if (write(pipefd[1], &c, 1) != 1 || read(pipefd[0], &c, 1) != 1)
			return -errno;
	}
	if (rec && p->leak != LEAK_NONE &&
	    (atomic_fetch_add(&p->shm->leaks_due, 1) + 1) % p->leak_every == 0)
		leak_one(p->leak);
	return 0;
}

void pool_exec(struct pool *p, struct ops_thread *ot, struct why_busy *busy,
	       const int pipefd[2], struct pool_task *task)
{
	struct ops_snap a, b;

	wl_gauge_add(&p->shm->busy, 1);
	if (task->why)
		why_group_snap(p->members, p->nworkers, (uint32_t)task->id, &task->why->q1);
	ops_set_kind(ot, p->task_kind);
	ops_snap_take(ot, &a);
	/* every task, recorded or not: the queue a recorded call waits in holds both */
	if (ot->why)
		why_busy_enter(busy, a.on_ns);
	task->status = 0;
	if (task->fail) {
		task->status = -EIO; /* a failing call is refused before any work */
	} else {
		task->out = wl_malloc(p->payload);
		task->status = task->out ? pool_body(p, pipefd, task->out, task->in, task->rec,
						     true) : -ENOMEM;
	}
	ops_snap_take(ot, &b);
	ops_set_kind(ot, 0);
	wl_gauge_sub(&p->shm->busy, 1);
	ops_snap_delta(ot, &a, &b, &task->bd);
	if (ot->why)
		why_busy_leave(busy, b.on_ns);
	if (task->why)
		ops_snap_why(ot, &a, &b, &task->bd, &task->why->w);
	/* its intervals stay findable after this worker moves on to other tasks */
	ops_hist_sync(ot);
	task->ran = (struct ex_exec){ ot, a.ts, b.ts };
	if (chan_send(p->done[task->caller], &task)) {
		/* forced shutdown: nobody will take the result */
		free(task->why);
		wl_free(task->out, p->payload);
		wl_free(task, sizeof(*task) + p->payload);
	}
}

static void *worker_main(void *arg)
{
	struct pool_thread *pt = arg;
	struct pool *p = pt->p;
	struct pool_task *task;

	if (wl_thr_begin(&pt->t, &p->run))
		goto out;
	while (chan_recv(p->taskq, &task) == 0)
		pool_exec(p, &pt->t.ot, &pt->busy, pt->pipefd, task);
out:
	wl_thr_end(&pt->t);
	return NULL;
}

static void take_result(struct pool *p, struct pool_thread *pt, struct pool_task *task,
			unsigned char *sink)
{
	uint64_t now = ops_now_ns(), head, tail, exec;
	struct ops_bd bd;

	wl_gauge_sub(&p->inflight, 1);
	wl_tick(&pt->t, now);
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
	if (task->rec && !task->status && p->mode == MODE_PROCESS) {
		pt->ser_ns += task->ser_ns;
		pt->frame_bytes += task->frame_bytes;
		pt->ser_calls++;
	}
	if (task->rec) {
		if (task->status) {
			wl_record_error(&pt->t, 0, now);
		} else if (p->mode == MODE_PROCESS && !task->followed) {
			/* latency only: the worker process was not followed */
			bd = (struct ops_bd){ .n = 1, .lat_ns = now - task->t_submit };
			wl_record(&pt->t, 0, &bd, now);
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
	task->p = p;
	task->id = pt->next_id++;
	task->caller = pt->idx;
	task->rec = rec;
	task->fail = threshold && wl_rand(rng) < threshold;
	task->out = NULL;
	task->why = NULL;
	task->ser_ns = task->frame_bytes = 0;
	task->followed = false;
	/* the workers' split of the queued time: threads only (processes are not followed) */
	if (rec && pt->t.ot.why && p->mode == MODE_THREAD && !p->impl) {
		task->why = calloc(1, sizeof(*task->why));
		if (task->why)
			why_group_snap(p->members, p->nworkers, (uint32_t)task->id,
				       &task->why->q0);
	}
	memcpy(task->in, src, p->payload);
	memcpy(task->in, &task->id, sizeof(task->id));
	memcpy(task->in + p->payload - sizeof(task->id), &task->id, sizeof(task->id));
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
	/* a process-mode call not followed has no breakdown: no exemplars showing zeros */
	if (p->mode == MODE_PROCESS && !p->followed)
		pt->t.ex_thresh[0] = UINT64_MAX;
	for (;;) {
		while (outstanding < pt->window + p->overshoot &&
		       (pending || !wl_stopping(&pt->t))) {
			int err;

			if (!pending) {
				pending = new_call(p, pt, &rng, threshold, src);
				if (!pending)
					break;
			}
			/* A full queue is back-pressure the call's latency includes; but take
			 * the results already due first, so that they are not delayed too. */
			wl_gauge_add(&p->inflight, 1);
			err = pool_submit(p, pending, false);
			if (err == -EAGAIN && outstanding) {
				wl_gauge_sub(&p->inflight, 1);
				break;
			}
			if (err == -EAGAIN)
				err = pool_submit(p, pending, true);
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

	if (p->impl)
		return pool_plug_occupancy(p);
	return (double)chan_len(p->taskq) / (double)chan_capacity(p->taskq);
}

static void pool_force(void *arg)
{
	struct pool *p = arg;

	if (p->taskq)
		chan_close(p->taskq);
	for (unsigned i = 0; i < p->ncallers; i++)
		chan_close(p->done[i]);
	if (p->mode == MODE_PROCESS)
		pool_procs_force(p);
}

static void drain_free(struct pool *p, struct chan *c)
{
	struct pool_task *task;

	while (chan_try_recv(c, &task) == 0) {
		free(task->why);
		if (task->out)
			wl_free(task->out, p->payload);
		wl_free(task, sizeof(*task) + p->payload);
	}
}

/* Queue, completion channels, per-worker pipes (thread mode) or processes. 0 or -errno
 * with the failure recorded. */
static int pool_setup(struct pool *p, const struct wl_config *cfg, unsigned spin)
{
	p->workers = calloc(p->nworkers, sizeof(*p->workers));
	p->callers = calloc(p->ncallers, sizeof(*p->callers));
	p->done = calloc(p->ncallers, sizeof(*p->done));
	p->members = calloc(p->nworkers, sizeof(*p->members));
	for (unsigned i = 0; p->workers && p->members && i < p->nworkers; i++)
		p->members[i] = (struct why_member){ &p->workers[i].t.ot, &p->workers[i].busy };
	for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
		p->workers[i].pipefd[0] = p->workers[i].pipefd[1] = -1;
		p->workers[i].sock = -1;
	}
	if (!p->impl)
		p->taskq = chan_new(p->queue, sizeof(struct pool_task *), 0, spin);
	p->shm = mmap(NULL, sizeof(*p->shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (p->shm == MAP_FAILED)
		p->shm = NULL;
	if (!p->workers || !p->callers || !p->done || (!p->taskq && !p->impl) || !p->shm ||
	    !p->members) {
		wl_fail(&p->run, -ENOMEM, "out of memory setting up the pool");
		return p->run.err;
	}
	for (unsigned i = 0; i < p->ncallers; i++) {
		struct pool_thread *pt = &p->callers[i];

		pt->window = (uint32_t)(cfg->iv[P_INFLIGHT] / p->ncallers +
					(i < cfg->iv[P_INFLIGHT] % p->ncallers));
		/* one consumer; never full: at most window (+ overshoot) results outstanding */
		p->done[i] = chan_new(pt->window + p->overshoot, sizeof(struct pool_task *),
				      CHAN_SC, spin);
		if (!p->done[i]) {
			wl_fail(&p->run, -ENOMEM, "out of memory setting up the pool");
			return p->run.err;
		}
	}
	if (p->mode == MODE_PROCESS)
		return pool_procs_start(p);
	if (p->io == IO_DEVNULL) {
		p->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (p->devnull < 0) {
			wl_fail(&p->run, -errno, "cannot open /dev/null for io=devnull: %s",
				strerror(errno));
			return p->run.err;
		}
	}
	if (p->impl) /* the user's workers: their pipes come with their first task */
		return pool_plug_start(p);
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct pool_thread *pt = &p->workers[i];

		if (p->io == IO_PIPE && pipe2(pt->pipefd, O_CLOEXEC)) {
			wl_fail(&p->run, -errno, "cannot create a pipe for io=pipe: %s",
				strerror(errno));
			return p->run.err;
		}
	}
	return 0;
}

static void pool_teardown(struct pool *p)
{
	if (p->taskq)
		drain_free(p, p->taskq);
	for (unsigned i = 0; p->done && i < p->ncallers; i++) {
		if (p->done[i])
			drain_free(p, p->done[i]);
		chan_free(p->done[i]);
	}
	if (p->mode == MODE_PROCESS && p->workers)
		pool_procs_stop(p);
	if (p->impl)
		pool_plug_stop(p);
	for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
		if (p->workers[i].pipefd[0] >= 0) {
			close(p->workers[i].pipefd[0]);
			close(p->workers[i].pipefd[1]);
		}
	}
	chan_free(p->taskq);
	if (p->devnull >= 0)
		close(p->devnull);
	if (p->shm)
		munmap(p->shm, sizeof(*p->shm));
	free(p->done);
	free(p->members);
	free(p->workers);
	free(p->callers);
	wl_run_destroy(&p->run);
	free(p);
}

/* The peaks against their limits, the bytes per channel, serialization in process mode. */
static void pool_facts(struct pool *p, const struct wl_config *cfg, struct wl_result *res)
{
	uint64_t ser = 0, calls = 0, bytes = 0;

	res->f.inflight = (struct wl_peak){ wl_gauge_peak(&p->inflight),
					    (uint64_t)cfg->iv[P_INFLIGHT] };
	if (p->shm)
		res->f.busy = (struct wl_peak){ wl_gauge_peak(&p->shm->busy), p->nworkers };
	if (p->taskq)
		wl_xmetric(res, "queue_bytes", "bytes", WL_XK_MEMORY, -1,
			   (double)chan_bytes(p->taskq));
	if (p->mode != MODE_PROCESS)
		return;
	if (!p->followed)
		res->f.kernel_note = "not followed: worker processes are outside the collector's "
				     "target";
	for (unsigned i = 0; p->workers && i < p->nworkers; i++) {
		ser += p->workers[i].ser_ns;
		calls += p->workers[i].ser_calls;
		bytes += p->workers[i].frame_bytes;
	}
	for (unsigned i = 0; p->callers && i < p->ncallers; i++) {
		ser += p->callers[i].ser_ns;
		calls += p->callers[i].ser_calls;
		bytes += p->callers[i].frame_bytes;
	}
	if (calls) {
		wl_xmetric(res, "serialize_ns", "ns", WL_XK_LATENCY, -1, (double)ser / calls);
		wl_xmetric(res, "frame_bytes", "bytes", WL_XK_INFO, 0, (double)bytes / calls);
	}
}

/* A user's pool runs its tasks on its own threads: there is no process mode for it. */
static int pool_config_check(const struct wl_config *cfg, char *err, size_t errlen)
{
	if (cfg->iv[P_IMPL] && cfg->iv[P_MODE] == MODE_PROCESS) {
		snprintf(err, errlen, "impl=%s runs its tasks on its own threads, and mode=process "
			 "is the built-in pool's; drop mode=process or impl",
			 plugins_pool_names[cfg->iv[P_IMPL]]);
		return -EINVAL;
	}
	return 0;
}

/* mode=process forks the workers: their breakdown needs the collector to follow them. */
static bool pool_forks(const struct wl_config *cfg)
{
	return cfg->iv[P_MODE] == MODE_PROCESS;
}

static int pool_run(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res)
{
	static const char *const kinds[] = { "pool.call" };
	struct pool *p;
	unsigned started = 0;
	bool leak = false;
	uint64_t sent = 0, received = 0;
	int err;

	char msg[256];

	err = pool_config_check(cfg, msg, sizeof(msg));
	if (err)
		return wl_result_fail(res, err, "%s", msg);
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
	p->mode = (int)cfg->iv[P_MODE];
	p->leak = (int)cfg->iv[P_LEAK];
	p->leak_every = (uint64_t)cfg->iv[P_LEAK_EVERY];
	p->overshoot = (uint32_t)cfg->iv[P_OVERSHOOT];
	p->error_rate = cfg->fv[P_ERROR_RATE];
	p->devnull = -1;
	p->task_kind = ops_kind_id("pool.task");
	p->queue = (uint32_t)cfg->iv[P_QUEUE];
	p->impl = plugins_pool(cfg->iv[P_IMPL]);
	/* the runner asks the collector to follow forked processes for this mode (forks) */
	p->followed = p->mode == MODE_PROCESS && collector_follows(collector_current());

	err = wl_run_init(&p->run, ctl, kinds, 1, p->nworkers + p->ncallers);
	if (err || pool_setup(p, cfg, (unsigned)cfg->iv[P_WAIT_SPIN]))
		goto finish;
	/* with a user's pool, its own workers run the tasks: start the callers only */
	for (unsigned i = p->impl ? p->nworkers : 0; i < p->nworkers + p->ncallers; i++) {
		bool worker = i < p->nworkers;
		struct pool_thread *pt = worker ? &p->workers[i] : &p->callers[i - p->nworkers];
		bool proxy = worker && p->mode == MODE_PROCESS;
		void *(*fn)(void *) = !worker ? caller_main : proxy ? pool_proxy_main : worker_main;
		const char *name = !worker ? "pool-caller" : proxy ? "pool-proxy" : "pool-worker";

		pt->p = p;
		pt->idx = worker ? i : i - p->nworkers;
		pt->next_id = (uint64_t)pt->idx << 40;
		if (wl_thr_start(&p->run, &pt->th, fn, pt, name, i, p->nworkers + p->ncallers))
			break;
		pt->started = true;
		started++;
	}
	if (wl_run_control(&p->run, started, pool_occupancy, p))
		pool_force(p);

	/* Callers finish their outstanding calls, then the workers see a closed queue (or
	 * the user's pool is destroyed: every task it was given has run). */
	for (unsigned i = 0; i < p->ncallers; i++)
		if (p->callers[i].started && wl_join(&p->run, p->callers[i].th, pool_force, p))
			leak = true;
	atomic_store(&p->closing, true);
	if (p->taskq)
		chan_close(p->taskq);
	else if (!leak)
		pool_plug_stop(p);
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
	res->sent = sent;
	res->received = received;
	snprintf(res->queue_waiter[0], sizeof(res->queue_waiter[0]), "pool-caller");
	snprintf(res->queue_on[0], sizeof(res->queue_on[0]), "%s",
		 p->impl ? p->plug_worker : "pool-worker");
	pool_facts(p, cfg, res);
	if (leak)
		return err; /* a thread may still use p: leave it */
	pool_teardown(p);
	return err;
}

const struct workload wl_pool = {
	.name = "pool",
	.help = "a worker pool (threads, or forked processes) behind a bounded task queue; op "
		"pool.call is submit to result",
	.params = pool_params,
	.run = pool_run,
	.config_check = pool_config_check,
	.forks = pool_forks,
};
