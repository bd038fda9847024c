/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The pool workload's insides, shared by its three parts: wl_pool.c (parameters, callers,
 * worker threads, the repetition), wl_pool_proc.c (mode=process: forked worker
 * processes behind proxy threads, calls and results as length-prefixed frames over a
 * Unix stream socket) and wl_pool_plug.c (impl=NAME: a user's pool from a plugin, its
 * workers running opscope's task function). Not for other workloads.
 */
#ifndef OPSCOPE_WL_POOL_H
#define OPSCOPE_WL_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "kernel/why.h"
#include "stats/exemplar.h"
#include "workloads/chan.h"
#include "workloads/plugins.h"
#include "workloads/workload.h"

enum { IO_NONE, IO_DEVNULL, IO_PIPE };
enum { MODE_THREAD, MODE_PROCESS };
enum { LEAK_NONE, LEAK_MEM, LEAK_FD, LEAK_THREAD };

#define POOL_LEAK_BYTES (64 * 1024) /* leak=mem: bytes leaked (and touched) per leak */

/* --why: a call's queued window as the workers lived it, and the split it gives. */
struct pool_why {
	struct why_gsnap q0, q1; /* the workers at submit, and at pickup */
	struct ops_wbd w;        /* the task body's blocked split, then the queued split */
};

struct pool;

struct pool_task {
	struct pool *p;
	uint64_t id;
	struct pool_why *why; /* --why only (not counted as the workload's allocation) */
	uint32_t caller;
	bool rec;
	bool fail;
	int status;
	uint64_t t_submit;
	uint64_t ser_ns;      /* process mode: encoding and decoding, both sides */
	uint64_t frame_bytes; /* process mode: request + result frames */
	struct ops_bd bd;     /* the worker's breakdown of the task body */
	struct ex_exec ran;   /* the worker and its window, for exemplars */
	bool followed;        /* process mode: bd is the worker process's (its snapshots) */
	unsigned char *out;   /* result payload, allocated by the worker */
	unsigned char in[];   /* call payload */
};

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
	/* process mode, proxies: the worker process and the frames */
	int sock;
	pid_t pid;
	unsigned char *wbuf, *rbuf;
	size_t buf_len;
	uint64_t ser_ns, ser_calls, frame_bytes; /* recorded calls */
	struct ops_thread wot;    /* the worker process's slot, read from here */
	uint32_t wslot1;          /* its index + 1, sent with each call; 0 none */
};

/* Shared with the worker processes (MAP_SHARED): what they count for the parent. */
struct pool_shm {
	struct wl_gauge busy;
	_Atomic uint64_t leaks_due;  /* recorded tasks seen, for leak_every */
};

struct pool {
	struct wl_run run;
	struct chan *taskq;
	struct chan **done; /* one per caller */
	unsigned nworkers, ncallers;
	size_t payload, alloc;
	uint64_t spin_ns, sleep_ns;
	int io, mode, leak;
	uint64_t leak_every;
	int devnull;
	uint32_t overshoot;
	double error_rate;
	struct pool_thread *workers, *callers;
	struct wl_gauge inflight;
	struct pool_shm *shm; /* thread mode too: one definition of busy and leaks */
	uint32_t task_kind;         /* ops_kind_id("pool.task") */
	struct why_member *members; /* the workers, as --why reads them */
	bool followed;        /* process mode: the collector follows the worker processes */
	atomic_bool closing;  /* teardown under way: a closed socket is not a failure */
	/* impl=NAME (wl_pool_plug.c): the user's pool instead of taskq and workers */
	const struct opscope_pool_impl *impl;
	void *up;                   /* what impl->create returned, until destroyed */
	uint64_t plug_id;           /* this pool among all (a worker's thread-local record) */
	uint32_t queue;             /* the queue bound given to create */
	struct wl_gauge queued;     /* submitted, not yet picked up by a worker */
	pthread_mutex_t plug_lock;  /* plug_thrs */
	struct pool_plug_thr *plug_thrs; /* the user's workers that ran tasks */
	char plug_worker[16];       /* their name (the first registered), once stopped */
};

/*
 * The task body, in a worker thread or a worker process: the payload copied from in to
 * out, then spin, allocate-and-touch, sleep, the I/O syscall, and a leak when due.
 * own_alloc: count allocations with wl_malloc (threads) or not (processes). 0 or -errno.
 */
int pool_body(struct pool *p, const int pipefd[2], unsigned char *out, const unsigned char *in,
	      bool rec, bool own_alloc);

/*
 * A task on the thread that runs it (a worker thread, or a user's worker under
 * impl=NAME): the body timed with that thread's slot (ot), and the task handed back to
 * its caller. busy and pipefd are that thread's.
 */
void pool_exec(struct pool *p, struct ops_thread *ot, struct why_busy *busy,
	       const int pipefd[2], struct pool_task *task);

/* impl=NAME (wl_pool_plug.c). pool_plug_start creates the user's pool (0 or -errno with
 * the failure recorded); pool_plug_submit hands it a task (0, -EAGAIN when it is full
 * and !block, -EPIPE after a failure it recorded); pool_plug_occupancy is the fill of
 * its queue as opscope sees it; pool_plug_stop destroys it and frees what start made. */
int pool_plug_start(struct pool *p);
int pool_plug_submit(struct pool *p, struct pool_task *task, bool block);
double pool_plug_occupancy(struct pool *p);
void pool_plug_stop(struct pool *p);

/* A caller's submit: the built-in queue, or the user's pool. */
static inline int pool_submit(struct pool *p, struct pool_task *task, bool block)
{
	if (p->impl)
		return pool_plug_submit(p, task, block);
	return block ? chan_send(p->taskq, &task) : chan_try_send(p->taskq, &task);
}

/* Process mode (wl_pool_proc.c). pool_procs_start forks the workers (0 or -errno with the
 * failure recorded); pool_proxy_main is the proxy thread of worker pt; pool_procs_force
 * unblocks the proxies and kills the workers; pool_procs_stop closes the sockets, reaps
 * the workers and frees what start made. */
int pool_procs_start(struct pool *p);
void *pool_proxy_main(void *arg);
void pool_procs_force(struct pool *p);
void pool_procs_stop(struct pool *p);
uint64_t pool_procs_cpu_ns(void *arg);

#endif
