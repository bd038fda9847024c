/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope's side of the attach protocol (lib/ops_proto.h): find a marked program's
 * control page, serve the handshake that hands it the collector's slot array and a memfd
 * of per-thread rings, drain the rings in a thread of its own and turn each record into
 * a breakdown (struct ops_bd) for a callback; at the end, detach and say what was lost
 * and what the program did wrong. No libbpf here: the slot array arrives as an fd, so
 * unit tests drive the whole protocol with a memfd standing in for it.
 *
 *	struct attach_opts o = { .pid = pid, .slots_fd = ..., .on_op = fn, .arg = x };
 *	struct attach *a = attach_start(&o, err, sizeof(err));  // -p: the program is told
 *	... record -- CMD: setenv(OPSP_ENV, attach_sock_name(a)) in the child before exec
 *	attach_stop(a);                                         // detach, final drain
 *	attach_get_stats(a, &st); attach_kind_name(a, id, ...);
 *	attach_free(a);
 */
#ifndef OPSCOPE_ATTACH_H
#define OPSCOPE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/breakdown.h"
#include "lib/ops_proto.h"

/* One operation the program marked, decoded. */
struct attach_op {
	uint32_t kind;          /* the program's kind id, 1..OPSP_KINDS-1 */
	uint32_t tid;           /* the thread that began it */
	uint32_t x_tid;         /* the thread whose counters bd holds (0: none, OPSP_F_MOVED) */
	uint32_t flags;         /* OPSP_F_* */
	uint64_t begin, end;    /* CLOCK_MONOTONIC ns */
	uint64_t x_begin, x_end;
	struct ops_bd bd;       /* lat_ns = end - begin; queued_ns = the part not run on x_tid */
	uint64_t since;         /* when the program attached: the marks' recording began */
	/* x_tid's slot while it still belongs to x_tid (for its off-CPU ring), else NULL */
	const volatile struct ops_slot *x_slot;
	/* record --why: who ended its blocked time (w->n = 1), valid during the callback;
	 * NULL when it carries none (no --why, a cross-thread op, nested too deep) */
	const struct ops_wbd *why;
};

struct attach_opts {
	int pid;                /* the recorded process */
	/* the collector's slot array: fd (sent to the program), its length, our mapping */
	int slots_fd;
	size_t slots_len;
	const volatile struct ops_slot *slots;
	uint32_t nrings;        /* rings (threads marking at once); 0: OPSP default */
	uint32_t ring_cap;      /* records per ring, a power of two; 0: default */
	bool why;               /* record --why: rings with why areas (lib/ops_proto.h) */
	/* In-process use (tests, bench): the control page is this mapping of our own, not
	 * one to find in /proc/PID/maps. */
	struct opsp_ctl *ctl_self;
	/* Called from the drain thread for every record. */
	void (*on_op)(const struct attach_op *op, void *arg);
	void *arg;
};

struct attach;

/*
 * Listen, make the rings, start the drain thread and, when the program already has a
 * control page (record -p, or ctl_self), tell it to attach. A program without one is no
 * error (attach_get_stats says so). NULL with one sentence in err on failure.
 */
struct attach *attach_start(const struct attach_opts *o, char *err, size_t errlen);
/* The abstract socket's name, for OPSP_ENV in the environment of record -- CMD. */
const char *attach_sock_name(const struct attach *a);
/* Detach (the program notices at its next call), drain what is left, stop the thread. */
void attach_stop(struct attach *a);
void attach_free(struct attach *a);
/* Has the program a control page (it links libopscope)? */
bool attach_found(struct attach *a);
/* The program's resident memory without opscope's mappings in it (the rings it wrote,
 * the control page, the slot array once it attached): the sum of the other mappings' Rss
 * in /proc/PID/smaps; 0 when the process is gone. */
uint64_t attach_program_rss(struct attach *a);
/* Drain the rings now (the thread does it every 1 to 5 ms); tests use it. */
void attach_drain(struct attach *a);

struct attach_stats {
	bool found;              /* a control page was found (the program links libopscope) */
	bool attached;           /* the handshake succeeded */
	char why[256];           /* when not attached: why, in words */
	uint32_t abi, abi_seen;  /* the library's OPSCOPE_ABI; a foreign one calls passed */
	uint64_t t_attach;       /* when the handshake was answered (CLOCK_MONOTONIC ns) */
	uint64_t t_told;         /* when opscope told a running program to attach; 0 when
				  * the program came first (record -- CMD) */
	uint64_t t_first;        /* the first recorded op's begin, 0 none */
	uint64_t records;        /* ops received */
	uint64_t bad_records;    /* records that made no sense (skipped) */
	uint64_t dropped;        /* records a full ring dropped */
	uint64_t begun, ended;   /* ops begun and ended while attached (rings' counters) */
	uint64_t open;           /* begun, not ended when recording stopped (or at exit) */
	uint64_t misuse[OPSP_M_NR];
	uint64_t loss[OPSP_L_NR];
	uint64_t refused;        /* connections refused: another process, or a bad hello */
	int refused_pid;         /* the last process refused for not being the recorded one */
	uint32_t nkinds;         /* kind ids 1..nkinds named */
	uint32_t rings_used;     /* rings ever taken */
};
void attach_get_stats(struct attach *a, struct attach_stats *st);
/* The program's name for kind id (1..OPSP_KINDS-1), made safe for file and scenario
 * names: no '/', no spaces or control characters; "kindN" when it has none. */
void attach_kind_name(struct attach *a, uint32_t id, char *buf, size_t len);
/* Names of a misuse and a loss counter, for reports ("end_without_begin", ...). */
const char *attach_misuse_name(int m);
const char *attach_loss_name(int l);

/* Decode one record (exposed for unit tests): 0, or -EINVAL when it makes no sense. */
int attach_decode(const struct opsp_rec *r, struct attach_op *op);
/* Decode an op's why record, bd its breakdown (for the blocked time no wakeup explains,
 * "not seen"), as kernel/why.c's ops_snap_why does for run's ops. */
void attach_decode_why(const struct opsp_why *w, const struct ops_bd *bd, struct ops_wbd *out);

#endif /* OPSCOPE_ATTACH_H */
