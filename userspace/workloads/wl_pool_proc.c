// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pool's worker processes (mode=process): fork()ed at the start of a repetition (no
 * exec), each serving one Unix stream socket. A proxy thread in opscope takes a call from
 * the task queue, encodes it as a frame and writes it; the worker decodes it, runs the
 * task body, and writes the result frame back; the frames are wl_pool_frame.h's.
 *
 * A call's serialization cost is the encoding and decoding on both sides, each timed
 * where it happens (the worker's part comes back in its result). The workers count
 * themselves busy in shared memory (struct pool_shm); their CPU time is read from
 * /proc/PID/schedstat for the scenario's CPU use.
 *
 * When the collector follows forked processes (the runner asks it to for this mode), each
 * worker has a slot from its first moment, in the slot array its fork left mapped. The
 * proxy looks the slot up once and names it in every call; the worker snapshots it
 * around the task body, as a worker thread does, and sends both snapshots back in the
 * result; the proxy makes the breakdown from them, reading the same slot for the names
 * of the syscalls it blocked in. Without a slot (--no-kernel, or no slot was left) calls
 * are recorded with their latency only, and the report says the workers were not
 * followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "workloads/procstat.h"
#include "workloads/wl_pool.h"
#include "workloads/wl_pool_frame.h"

#define REAP_NS 2000000000ull
/* a worker process pins malloc's mmap threshold here (see worker_process) */
#define WORKER_MMAP_THRESHOLD (128 * 1024)

static int write_all(int fd, const unsigned char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, unsigned char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE; /* 0: the other end is gone */
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame into b (cap bytes): its length prefix and the rest. *len: bytes after it. */
static int read_frame(int fd, unsigned char *b, size_t cap, uint32_t *len)
{
	int err = read_all(fd, b, 4);

	if (err)
		return err;
	*len = pool_frame_len(b);
	if (*len < 8 || *len > cap - 4)
		return -EPROTO;
	return read_all(fd, b + 4, *len);
}

/* ---------------------------------------------------------------- the worker process */

/* The slot the parent found for this worker (slot1: its index + 1, 0 none), described
 * once; the slot array stays mapped across fork. */
static void worker_attach(struct ops_thread *t, uint32_t slot1, uint32_t *have)
{
	struct collector *c = collector_current();

	if (slot1 == *have)
		return;
	*have = slot1;
	if (!c || !slot1 || slot1 > OPS_MAX_SLOTS ||
	    ops_thread_of(t, &collector_slots(c)[slot1 - 1], (uint32_t)gettid()))
		t->slot = NULL;
}

/* One call: the task body, with the worker's slot snapshot around it when it has one
 * (every call, recorded or not, so that the recorded ones run no code the others did not
 * warm), into r. */
static void worker_call(struct pool *p, const int pipefd[2], struct ops_thread *t,
			const struct pool_call *c, unsigned char *in, unsigned char *out,
			struct pool_result *r)
{
	*r = (struct pool_result){ .id = c->id, .payload = out, .snaps = t->slot != NULL };
	memcpy(in, c->payload, c->n);
	wl_gauge_add(&p->shm->busy, 1);
	ops_set_kind(t, p->task_kind);
	ops_snap_take(t, &r->a);
	r->status = c->flags & POOL_CALL_FAIL ? -EIO : pool_body(p, pipefd, out, in,
								 c->flags & POOL_CALL_REC, false);
	ops_snap_take(t, &r->b);
	ops_set_kind(t, 0);
	wl_gauge_sub(&p->shm->busy, 1);
	r->n = r->status ? 0 : (uint32_t)p->payload;
}

/* Serve calls on fd until the other end closes it; never returns. */
static __attribute__((noreturn)) void worker_process(struct pool *p, int fd, pid_t parent)
{
	size_t cap = POOL_RESULT_HDR + p->payload + POOL_SNAPS_BYTES;
	unsigned char *rb = malloc(cap), *wb = malloc(cap), *in = malloc(p->payload);
	unsigned char *out = malloc(p->payload);
	int pipefd[2] = { -1, -1 };
	struct ops_thread t = { 0 };
	uint32_t len, slot1 = 0;

	signal(SIGINT, SIG_IGN); /* the runner handles Ctrl-C and then closes our socket */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "pool-wproc");
	if (getppid() != parent || !rb || !wb || !in || !out)
		_exit(1);
	/* Fresh pages for every task's alloc of 128 KiB or more, as for the first: malloc
	 * would otherwise raise its threshold at the first free and serve later tasks from
	 * pages already touched. And the buffers touched now, not in the first call. */
	mallopt(M_MMAP_THRESHOLD, WORKER_MMAP_THRESHOLD);
	memset(rb, 0, cap);
	memset(wb, 0, cap);
	memset(in, 0, p->payload);
	memset(out, 0, p->payload);
	if (p->io == IO_DEVNULL)
		p->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (p->io == IO_PIPE && pipe2(pipefd, O_CLOEXEC))
		_exit(1);
	while (read_frame(fd, rb, cap, &len) == 0) {
		uint64_t t0 = ops_now_ns(), t1, t2, t3;
		struct pool_result r;
		struct pool_call c;
		size_t w;

		if (pool_frame_call_parse(rb, len, &c) || c.n != p->payload)
			_exit(2);
		worker_attach(&t, c.slot, &slot1);
		t1 = ops_now_ns();
		worker_call(p, pipefd, &t, &c, in, out, &r);
		t2 = ops_now_ns();
		w = pool_frame_result(wb, &r);
		t3 = ops_now_ns();
		pool_frame_set_ser(wb, (t1 - t0) + (t3 - t2));
		if (write_all(fd, wb, w))
			break;
	}
	_exit(0);
}

/* ---------------------------------------------------------------- the proxy thread */

/* The result frame b (len bytes after its prefix) into task: with the worker's
 * snapshots, the breakdown of its task body, as its slot (pt->wot) reads in this process.
 * 0 or -EPROTO/-ENOMEM. */
static int take_frame(struct pool *p, struct pool_thread *pt, struct pool_task *task,
		      const unsigned char *b, uint32_t len, uint64_t *worker_ser)
{
	struct pool_result r;

	if (pool_frame_result_parse(b, len, &r) || r.id != task->id ||
	    (r.status == 0 && r.n != p->payload) || (r.snaps && !pt->wot.slot))
		return -EPROTO;
	*worker_ser = r.ser_ns;
	task->status = r.status;
	if (r.snaps) {
		ops_snap_delta(&pt->wot, &r.a, &r.b, &task->bd);
		task->ran = (struct ex_exec){ &pt->wot, r.a.ts, r.b.ts };
		task->followed = true;
	}
	if (r.status)
		return 0;
	task->out = wl_malloc(p->payload);
	if (!task->out)
		return -ENOMEM;
	memcpy(task->out, r.payload, r.n);
	return 0;
}

static int proxy_call(struct pool *p, struct pool_thread *pt, struct pool_task *task)
{
	struct pool_call c = { .flags = (uint8_t)((task->fail ? POOL_CALL_FAIL : 0) |
						  (task->rec ? POOL_CALL_REC : 0)),
			       .id = task->id, .caller = task->caller, .slot = pt->wslot1,
			       .n = (uint32_t)p->payload, .payload = task->in };
	uint64_t t0, t1, t2, t3, worker_ser = 0;
	uint32_t len;
	size_t n;
	int err;

	t0 = ops_now_ns();
	n = pool_frame_call(pt->wbuf, &c);
	t1 = ops_now_ns();
	err = write_all(pt->sock, pt->wbuf, n);
	if (!err)
		err = read_frame(pt->sock, pt->rbuf, pt->buf_len, &len);
	if (err)
		return err;
	t2 = ops_now_ns();
	err = take_frame(p, pt, task, pt->rbuf, len, &worker_ser);
	t3 = ops_now_ns();
	task->ser_ns = (t1 - t0) + (t3 - t2) + worker_ser;
	task->frame_bytes = n + 4 + len;
	return err;
}

/* The worker process's slot, found once from here (its fork gave it one when the
 * collector follows), described for the breakdowns and sent with each call. */
static void proxy_find_slot(struct pool *p, struct pool_thread *pt)
{
	struct collector *c = collector_current();
	volatile struct ops_slot *sl;

	pt->wslot1 = 0;
	if (!p->followed || !c)
		return;
	sl = collector_slot_of(c, (uint32_t)pt->pid);
	if (ops_thread_of(&pt->wot, sl, (uint32_t)pt->pid) == 0)
		pt->wslot1 = (uint32_t)(sl - collector_slots(c)) + 1;
}

void *pool_proxy_main(void *arg)
{
	struct pool_thread *pt = arg;
	struct pool *p = pt->p;
	struct pool_task *task;
	bool dead = false;
	int err;

	if (wl_thr_begin(&pt->t, &p->run))
		goto out;
	proxy_find_slot(p, pt);
	while (chan_recv(p->taskq, &task) == 0) {
		task->status = 0;
		ops_set_kind(&pt->t.ot, p->task_kind);
		err = dead ? -EPIPE : proxy_call(p, pt, task);
		ops_set_kind(&pt->t.ot, 0);
		if (err) {
			task->status = err;
			if (!dead && !atomic_load(&p->closing))
				wl_fail(&p->run, err, "pool worker process %u (pid %d) failed: %s",
					pt->idx + 1, (int)pt->pid, strerror(-err));
			dead = true; /* hand the remaining calls back failed, so callers finish */
		}
		if (chan_send(p->done[task->caller], &task)) {
			free(task->why);
			wl_free(task->out, p->payload);
			wl_free(task, sizeof(*task) + p->payload);
		}
	}
out:
	wl_thr_end(&pt->t);
	return NULL;
}

/* ---------------------------------------------------------------- start and stop */

static void child_close_fds(int fd)
{
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		fd = 3;
	}
	close_range(4, ~0U, 0);
}

int pool_procs_start(struct pool *p)
{
	pid_t parent = getpid();

	for (unsigned i = 0; i < p->nworkers; i++) {
		struct pool_thread *pt = &p->workers[i];
		int sv[2];
		pid_t pid;

		pt->buf_len = POOL_RESULT_HDR + p->payload + POOL_SNAPS_BYTES;
		pt->wbuf = malloc(pt->buf_len);
		pt->rbuf = malloc(pt->buf_len);
		if (!pt->wbuf || !pt->rbuf) {
			wl_fail(&p->run, -ENOMEM, "out of memory for the worker processes' frames");
			return p->run.err;
		}
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			wl_fail(&p->run, -errno, "cannot create a socket pair for worker process "
				"%u: %s; raise the open file limit (ulimit -n)", i + 1,
				strerror(errno));
			return p->run.err;
		}
		pid = fork();
		if (pid < 0) {
			wl_fail(&p->run, -errno, "cannot fork worker process %u of %u: %s; run "
				"fewer workers or raise the limit on processes (ulimit -u)", i + 1,
				p->nworkers, strerror(errno));
			close(sv[0]);
			close(sv[1]);
			return p->run.err;
		}
		if (pid == 0) {
			child_close_fds(sv[1]);
			worker_process(p, 3, parent);
		}
		close(sv[1]);
		pt->sock = sv[0];
		pt->pid = pid;
	}
	p->run.cpu_extra = pool_procs_cpu_ns;
	p->run.cpu_arg = p;
	return 0;
}

uint64_t pool_procs_cpu_ns(void *arg)
{
	struct pool *p = arg;
	uint64_t ns = 0;

	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->workers[i].pid > 0)
			ns += procstat_task_cpu_ns(p->workers[i].pid);
	return ns;
}

void pool_procs_force(struct pool *p)
{
	atomic_store(&p->closing, true);
	for (unsigned i = 0; i < p->nworkers; i++) {
		if (p->workers[i].sock >= 0)
			shutdown(p->workers[i].sock, SHUT_RDWR);
		if (p->workers[i].pid > 0)
			kill(p->workers[i].pid, SIGKILL);
	}
}

/* Close the sockets (a worker exits at end of file), then reap every worker: SIGKILL for
 * one that is still there after REAP_NS. */
void pool_procs_stop(struct pool *p)
{
	struct timespec ms = { 0, 1000000 };
	uint64_t deadline = ops_now_ns() + REAP_NS;

	for (unsigned i = 0; i < p->nworkers; i++) {
		if (p->workers[i].sock >= 0)
			close(p->workers[i].sock);
		p->workers[i].sock = -1;
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct pool_thread *pt = &p->workers[i];

		while (pt->pid > 0) {
			pid_t r = waitpid(pt->pid, NULL, WNOHANG);

			if (r == pt->pid || (r < 0 && errno != EINTR)) {
				pt->pid = 0;
			} else if (ops_now_ns() >= deadline) {
				kill(pt->pid, SIGKILL);
				waitpid(pt->pid, NULL, 0);
				pt->pid = 0;
			} else {
				nanosleep(&ms, NULL);
			}
		}
		free(pt->wbuf);
		free(pt->rbuf);
		pt->wbuf = pt->rbuf = NULL;
	}
}
