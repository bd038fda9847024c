/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the kernel did to one operation: the differences of a thread's slot counters
 * between an operation's begin and end, plus its latency. Sums of these over many
 * operations use the same struct.
 */
#ifndef OPSCOPE_BREAKDOWN_H
#define OPSCOPE_BREAKDOWN_H

#include <stdint.h>

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
	uint64_t faults;
	uint64_t map_calls;
	uint64_t map_bytes;
	uint64_t unmap_bytes;
	uint64_t migrations;
	uint64_t steal_ns;   /* on a CPU but not charged run time: hypervisor steal, IRQs */
	uint64_t blk_ns[OPS_BD_BLK]; /* blocked ns by syscall index */
};

/* dst += src, every field. */
void ops_bd_add(struct ops_bd *dst, const struct ops_bd *src);

#endif
