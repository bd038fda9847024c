/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the kernel did to one operation: the differences of a thread's slot counters
 * between an operation's begin and end, plus its latency. Sums of these over many
 * operations use the same struct.
 */
#ifndef OPSCOPE_BREAKDOWN_H
#define OPSCOPE_BREAKDOWN_H

#include <stdint.h>
#include <linux/types.h>
#include "opscope.h"

/*
 * Blocked time by syscall uses process-wide indexes into a small table of syscall
 * numbers (see sysnames.h), so sums from different threads add without remapping.
 * Index OPS_BLK_NOSYS is "blocked outside a syscall", OPS_BLK_OTHER catches the
 * syscalls that found the table full.
 */
#define OPS_BD_BLK 16
#define OPS_BLK_NOSYS 0
#define OPS_BLK_OTHER (OPS_BD_BLK - 1)

struct ops_bd {
	uint64_t n;          /* operations summed (1 for a single op) */
	uint64_t lat_ns;     /* wall-clock latency */
	uint64_t on_ns;      /* on-CPU */
	uint64_t runq_ns;    /* waiting for a CPU */
	uint64_t blocked_ns; /* blocked (voluntary switch until wakeup) */
	uint64_t queued_ns;  /* cross-thread ops: waiting to be picked up by another thread */
	uint64_t syscalls;
	uint64_t syscall_ns;
	uint64_t vcsw;
	uint64_t ivcsw;
	uint64_t faults;     /* page faults taken in user mode */
	uint64_t map_calls;
	uint64_t map_bytes;
	uint64_t unmap_bytes;
	uint64_t migrations;
	uint64_t steal_ns;   /* time the kernel charged to no task: hypervisor steal */
	uint64_t kfaults;    /* faults on user memory taken in kernel mode (faults: user mode) */
	uint64_t blk_ns[OPS_BD_BLK]; /* blocked ns by syscall index */
};

/* dst += src, every field. */
void ops_bd_add(struct ops_bd *dst, const struct ops_bd *src);

/*
 * Why an operation waited (run --why; kernel/why.h makes them): its queued time split by
 * what the threads it waited on were doing, and its blocked time by who ended it, in the
 * classes of enum ops_why (bpf/opscope.h). Kept apart from struct ops_bd so that ops
 * recorded without --why pay nothing for it. Kinds are op kind ids (0: outside any op,
 * OPS_WHY_KINDS - 1: ids from there on), syscalls blk indexes as in ops_bd.
 */
struct ops_wbd {
	uint64_t n;                         /* operations summed */
	uint64_t q_ns[OPS_W_NR];            /* queued: the threads waited on were ... */
	uint64_t q_kind_ns[OPS_WHY_KINDS];  /* of q_ns[OPS_W_ON]: on a CPU in op kind */
	uint64_t q_sys_ns[OPS_BD_BLK];      /* of q_ns[OPS_W_BLOCKED]: blocked in syscall */
	uint64_t b_ns[OPS_W_NR];            /* blocked: ended by ... */
	uint64_t b_kind_ns[OPS_WHY_KINDS];  /* of b_ns[OPS_W_ON]: the waker's op kind */
	uint64_t b_sys_ns[OPS_BD_BLK];      /* of b_ns[OPS_W_BLOCKED]: the waker's syscall */
	uint64_t b_chain_ns[OPS_W_NR];      /* of b_ns[OPS_W_BLOCKED]: who ended the waker's
					     * own block (the chain's second step) */
	uint64_t wakeups;                   /* blocked intervals whose waker was seen */
};

#define OPS_WBD_NFIELDS (sizeof(struct ops_wbd) / sizeof(uint64_t))
/* dst += src, every field. */
void ops_wbd_add(struct ops_wbd *dst, const struct ops_wbd *src);

#endif
