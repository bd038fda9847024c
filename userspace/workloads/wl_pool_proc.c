// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pool's worker processes (mode=process): fork()ed at the start of a repetition (no
 * exec), each serving one Unix stream socket. A proxy thread in opscope takes a call from
 * the task queue, encodes it as a frame and writes it; the worker decodes it, runs the
 * task body, and writes the result frame back. Frames are length-prefixed, little-endian:
 *
 *	call:   u32 length of the rest | u8 type 1 | u8 flags (1 fail, 2 recorded) | u16 0 |
 *	        u64 call id | u32 caller | u32 payload length | payload
 *	result: u32 length of the rest | u8 type 2 | u8 0 | u16 0 | i32 status |
 *	        u64 call id | u64 worker's decode + encode ns | u32 payload length | payload
 *
 * A call's serialization cost is the encoding and decoding on both sides, each timed
 * where it happens (the worker's part comes back in its result). The workers count
 * themselves busy in shared memory (struct pool_shm); their CPU time is read from
 * /proc/PID/schedstat for the scenario's CPU use. The kernel breakdown does not follow
 * them yet (they are other processes than the collector's target): calls are recorded
 * with their latency only, and the report says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kernel/oprec.h"
#include "workloads/procstat.h"
#include "workloads/wl_pool.h"

enum { FRAME_CALL = 1, FRAME_RESULT = 2 };
enum { FL_FAIL = 1, FL_REC = 2 };
#define CALL_HDR 24   /* bytes before a call's payload, its length prefix included */
#define RESULT_HDR 32 /* the same for a result */
#define REAP_NS 2000000000ull

static unsigned char *put_u16(unsigned char *b, uint16_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	return b + 2;
}

static unsigned char *put_u32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return b + 4;
}

static unsigned char *put_u64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return b + 8;
}

static uint32_t get_u32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(const unsigned char *b)
{
	return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

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
	*len = get_u32(b);
	if (*len < 8 || *len > cap - 4)
		return -EPROTO;
	return read_all(fd, b + 4, *len);
}

/* ---------------------------------------------------------------- the worker process */

static size_t encode_result(unsigned char *b, int status, uint64_t id, const unsigned char *out,
			    size_t n)
{
	unsigned char *q = b + 4;

	*q++ = FRAME_RESULT;
	*q++ = 0;
	q = put_u16(q, 0);
	q = put_u32(q, (uint32_t)status);
	q = put_u64(q, id);
	q = put_u64(q, 0); /* the worker's serialization ns, filled in once known */
	q = put_u32(q, (uint32_t)n);
	memcpy(q, out, n);
	q += n;
	put_u32(b, (uint32_t)(q - b - 4));
	return (size_t)(q - b);
}

/* Serve calls on fd until the other end closes it; never returns. */
static __attribute__((noreturn)) void worker_process(struct pool *p, int fd, pid_t parent)
{
	size_t cap = RESULT_HDR + p->payload;
	unsigned char *rb = malloc(cap), *wb = malloc(cap), *in = malloc(p->payload);
	unsigned char *out = malloc(p->payload);
	int pipefd[2] = { -1, -1 };
	uint32_t len;

	signal(SIGINT, SIG_IGN); /* the runner handles Ctrl-C and then closes our socket */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "pool-wproc");
	if (getppid() != parent || !rb || !wb || !in || !out)
		_exit(1);
	if (p->io == IO_DEVNULL)
		p->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (p->io == IO_PIPE && pipe2(pipefd, O_CLOEXEC))
		_exit(1);
	while (read_frame(fd, rb, cap, &len) == 0) {
		uint64_t t0 = ops_now_ns(), t1, t2, t3, id;
		uint32_t n;
		int flags, status;
		size_t w;

		/* decode the call */
		if (rb[4] != FRAME_CALL || len < CALL_HDR - 4)
			_exit(2);
		flags = rb[5];
		id = get_u64(rb + 8);
		n = get_u32(rb + 20);
		if (n != p->payload || len != CALL_HDR - 4 + n)
			_exit(2);
		memcpy(in, rb + CALL_HDR, n);
		t1 = ops_now_ns();

		wl_gauge_add(&p->shm->busy, 1);
		status = flags & FL_FAIL ? -EIO : pool_body(p, pipefd, out, in, flags & FL_REC,
							     false);
		wl_gauge_sub(&p->shm->busy, 1);

		t2 = ops_now_ns();
		w = encode_result(wb, status, id, out, status ? 0 : p->payload);
		t3 = ops_now_ns();
		put_u64(wb + 20, (t1 - t0) + (t3 - t2));
		if (write_all(fd, wb, w))
			break;
	}
	_exit(0);
}

/* ---------------------------------------------------------------- the proxy thread */

static size_t encode_call(unsigned char *b, const struct pool_task *t, size_t payload)
{
	unsigned char *q = b + 4;

	*q++ = FRAME_CALL;
	*q++ = (unsigned char)((t->fail ? FL_FAIL : 0) | (t->rec ? FL_REC : 0));
	q = put_u16(q, 0);
	q = put_u64(q, t->id);
	q = put_u32(q, t->caller);
	q = put_u32(q, (uint32_t)payload);
	memcpy(q, t->in, payload);
	q += payload;
	put_u32(b, (uint32_t)(q - b - 4));
	return (size_t)(q - b);
}

/* The result frame b (len bytes after its prefix) into task. 0 or -EPROTO/-ENOMEM. */
static int decode_result(struct pool *p, struct pool_task *task, const unsigned char *b,
			 uint32_t len, uint64_t *worker_ser)
{
	int32_t status;
	uint32_t n;

	if (len < RESULT_HDR - 4 || b[4] != FRAME_RESULT || get_u64(b + 12) != task->id)
		return -EPROTO;
	status = (int32_t)get_u32(b + 8);
	*worker_ser = get_u64(b + 20);
	n = get_u32(b + 28);
	if (len != RESULT_HDR - 4 + n || (status == 0 && n != p->payload))
		return -EPROTO;
	task->status = status;
	if (status)
		return 0;
	task->out = wl_malloc(p->payload);
	if (!task->out)
		return -ENOMEM;
	memcpy(task->out, b + RESULT_HDR, n);
	return 0;
}

static int proxy_call(struct pool *p, struct pool_thread *pt, struct pool_task *task)
{
	uint64_t t0, t1, t2, t3, worker_ser = 0;
	uint32_t len;
	size_t n;
	int err;

	t0 = ops_now_ns();
	n = encode_call(pt->wbuf, task, p->payload);
	t1 = ops_now_ns();
	err = write_all(pt->sock, pt->wbuf, n);
	if (!err)
		err = read_frame(pt->sock, pt->rbuf, pt->buf_len, &len);
	if (err)
		return err;
	t2 = ops_now_ns();
	err = decode_result(p, task, pt->rbuf, len, &worker_ser);
	t3 = ops_now_ns();
	task->ser_ns = (t1 - t0) + (t3 - t2) + worker_ser;
	task->frame_bytes = n + 4 + len;
	return err;
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
	while (chan_recv(p->taskq, &task) == 0) {
		task->status = 0;
		ops_set_kind(&pt->t.ot, p->task_kind);
		/* collector hook: snapshot worker process pt->pid's slot around this call here */
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

		pt->buf_len = RESULT_HDR + p->payload;
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
