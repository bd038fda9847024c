/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The attach protocol between libopscope (in the user's program) and opscope: the
 * control page, the handshake messages, the per-thread rings and their records. Both
 * sides include this header and nothing else of each other's; fixed-width types only.
 *
 * 1. The library creates the control page at start: memfd "opscope-ctl", one page,
 *    mapped shared, fd closed. It holds the attach word, the op kind names and the
 *    misuse and loss counters.
 * 2. opscope finds it (record -p: /proc/PID/maps, then /proc/PID/map_files; record --
 *    CMD: the library connects first, named by OPSCOPE_ATTACH in its environment),
 *    writes the name of its abstract Unix socket and makes the attach word odd.
 * 3. The first call that sees a new odd word connects (one thread; the others carry on
 *    unrecorded meanwhile), says hello and gets back, with SCM_RIGHTS, the collector's
 *    slot array (the BPF map) and a memfd of rings, and maps both.
 * 4. Each thread then finds its slot by its tid in the slot array and takes a free ring:
 *    no syscall unless the kernel side has not seen the thread yet.
 * 5. At each end, one record into the thread's ring (single producer; opscope is the
 *    single consumer and writes nothing but the tail, and a ring's state when it frees
 *    it). A full ring drops the record and counts it.
 * 6. At stop opscope makes the attach word even: the next call of each thread sees it,
 *    and the mappings are replaced by empty memory (a call still in flight reads zeros
 *    instead of faulting), so the collector's memory is released.
 * 7. record --why: the rings memfd also holds a why area per ring. At begin the thread
 *    copies its slot's why counters (who ended its blocked time, bpf/opscope.h) into one
 *    of the area's last OPSP_WHY_DEPTH begin snapshots; at end it writes their
 *    difference into the area's why record of the same index as the op's record, and
 *    flags the record OPSP_F_WHY.
 */
#ifndef OPSCOPE_OPS_PROTO_H
#define OPSCOPE_OPS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "opscope.h"

#define OPSP_PROTO 3 /* 2: the why areas (record --why); 3: records on own lines */
#define OPSP_CTL_MAGIC 0x316c7463706f7370ull   /* "opspctl1" */
#define OPSP_RINGS_MAGIC 0x31676e72706f7370ull /* "opsprng1" */
#define OPSP_MSG_MAGIC 0x3167736d706f7370ull   /* "opspmsg1" */
#define OPSP_CTL_NAME "opscope-ctl"            /* /memfd:opscope-ctl in /proc/PID/maps */
#define OPSP_CTL_BYTES 4096
#define OPSP_ENV "OPSCOPE_ATTACH"              /* record -- CMD: the socket name */
#define OPSP_SOCK_LEN 100
#define OPSP_KINDS 64                           /* == OPSCOPE_KINDS_MAX */
#define OPSP_KIND_OTHER (OPSP_KINDS - 1)        /* names past the table, bad kinds */
#define OPSP_KIND_LEN 48

/* Mistakes in the program's use of the API, counted in the control page. */
enum opsp_misuse {
	OPSP_M_END_NO_BEGIN, /* end or exec_* of an op never begun, or ended twice */
	OPSP_M_BAD_KIND,     /* begin with an id opscope_kind never gave: recorded as other */
	OPSP_M_KIND_FULL,    /* opscope_kind past the table: the name got the "other" id */
	OPSP_M_ABI,          /* calls from a program built against another OPSCOPE_ABI */
	OPSP_M_BEFORE,       /* begun before opscope attached, ended after: dropped */
	OPSP_M_EXEC_OPEN,    /* ended while running elsewhere (exec_begin, no exec_end): dropped */
	OPSP_M_EXEC_BAD,     /* exec_begin twice, or exec_end without exec_begin */
	OPSP_M_NR,
};

/* What the library could not record, counted in the control page. */
enum opsp_loss {
	OPSP_L_NO_SLOT,  /* threads without a slot in the collector (its ops not recorded) */
	OPSP_L_NO_RING,  /* threads that found every ring taken (its ops not recorded) */
	OPSP_L_UNREC,    /* ops not recorded for either reason above */
	OPSP_L_ATTACH,   /* attach attempts that failed (connect, handshake, mapping) */
	OPSP_L_BUSY,     /* ops begun while another thread was attaching */
	OPSP_L_DETACHED, /* ops begun attached and ended after opscope detached */
	OPSP_L_LOST_END, /* ops begun (counted in a ring) that ended on a thread that could not
			  * record: not recorded, and not open either */
	OPSP_L_NR,
};

/* The control page. The attach word has a cache line of its own: every call reads it. */
struct opsp_ctl {
	__u64 magic;
	__u32 proto;    /* OPSP_PROTO */
	__u32 abi;      /* OPSCOPE_ABI of the library */
	__u32 pid;      /* the process that created it (a forked child makes its own) */
	__u32 bytes;    /* OPSP_CTL_BYTES */
	__u32 abi_seen; /* the last foreign OPSCOPE_ABI a call passed */
	__u32 pad_[9];
	/* line 1: odd = attached in generation (attach + 1) / 2, even = detached */
	__u32 attach __attribute__((aligned(64)));
	__u32 pad2_[15];
	char sock[OPSP_SOCK_LEN]; /* abstract socket name, written by opscope before attach */
	__u32 nkinds;             /* ids 1..nkinds are named (release-published) */
	__u64 misuse[OPSP_M_NR] __attribute__((aligned(8)));
	__u64 loss[OPSP_L_NR];
	char kind[OPSP_KINDS][OPSP_KIND_LEN]; /* kind[0] unused */
};
_Static_assert(sizeof(struct opsp_ctl) <= OPSP_CTL_BYTES, "control page overflow");

/*
 * The counters of a slot that a record carries: ops_slot from on_ns to the end of
 * blk_ns. The first OPSP_NMAIN (on_ns to steal_ns) are in every record; blk_ns[] is last
 * in the slot so that only an op that blocked writes (and makes the consumer read) the
 * record's blocked-by-syscall lines.
 */
#define OPSP_CTR_OFF offsetof(struct ops_slot, on_ns)
#define OPSP_MAIN_BYTES (offsetof(struct ops_slot, steal_ns) + 8 - OPSP_CTR_OFF)
#define OPSP_NMAIN (OPSP_MAIN_BYTES / 8)
#define OPSP_CTR_BYTES (offsetof(struct ops_slot, blk_ns) + 8 * OPS_BLK_SYS - OPSP_CTR_OFF)
#define OPSP_NCTR (OPSP_CTR_BYTES / 8)
/* indexes into a snapshot's counters (and, below OPSP_NMAIN, a record's d[]) */
#define OPSP_D(field) ((offsetof(struct ops_slot, field) - OPSP_CTR_OFF) / 8)
#define OPSP_D_BLK OPSP_D(blk_ns)
_Static_assert(OPSP_D_BLK == OPSP_NMAIN, "blk_ns must follow steal_ns in struct ops_slot");

/* Record flags. */
#define OPSP_F_FAILED 0x1 /* opscope_end_failed: an error, not timed */
#define OPSP_F_EXEC 0x2   /* ran on x_tid between exec_begin and exec_end */
#define OPSP_F_MOVED 0x4  /* ended on another thread with no exec marks: no counters */
#define OPSP_F_BLK 0x8    /* blk_ns[] and blk_nr[] are written (some blocked time) */
#define OPSP_F_WHY 0x10   /* the ring's why record of the same index is valid */

/*
 * One finished operation, on cache lines of its own: an op that did not block writes
 * the first three (header and d[]), one that did also the blocked-by-syscall part.
 */
struct opsp_rec {
	__u16 kind;
	__u16 flags;
	__u32 tid;        /* the thread that began it */
	__u32 x_tid;      /* the thread whose counters d[] are (tid unless OPSP_F_EXEC) */
	__u32 x_slot;     /* its slot index */
	__u32 x_slot_gen; /* and the slot's generation then (for its off-CPU ring) */
	__u32 pad_;
	__u64 begin, end;       /* the operation, CLOCK_MONOTONIC ns */
	__u64 x_begin, x_end;   /* the interval d[] covers */
	__u64 d[OPSP_NMAIN];    /* counter differences (on_ns may wrap below 0: see attach.c) */
	/* OPSP_F_BLK only (else not written): blocked ns by syscall and the syscalls */
	__u64 blk_ns[OPS_BLK_SYS];
	__s32 blk_nr[OPS_BLK_SYS];
} __attribute__((aligned(64)));

/* The why counters a why record carries: struct ops_why_ctr, as u64s. */
#define OPSP_WHY_NCTR (sizeof(struct ops_why_ctr) / 8)

/* record --why: an op's why, the difference of its thread's why counters over it. */
struct opsp_why {
	__u64 d[OPSP_WHY_NCTR];
	__s32 sys_nr1[OPS_WHY_SYS]; /* the slot's why.sys_nr1 (syscall + 1 of each sys_ns) */
};

/* The thread's last begins' snapshots of its why counters (a nested op deeper than this
 * finds its snapshot overwritten: recorded without a why). */
#define OPSP_WHY_DEPTH 8
struct opsp_why_beg {
	__u64 seq;               /* the thread's begin it belongs to (counted from 1) */
	__u64 c[OPSP_WHY_NCTR];
};

/* Ring states (struct opsp_rings' state[]). */
#define OPSP_R_FREE 0
#define OPSP_R_OWNED 1  /* a live thread writes it */
#define OPSP_R_CLOSED 2 /* its thread ended: opscope drains it and frees it */
#define OPSP_MAX_RINGS 512

struct opsp_ring {
	/* producer's line */
	__u64 head;    /* records written */
	__u64 dropped; /* records dropped: the ring was full */
	__u64 begun;   /* ops begun on this thread while attached */
	__u64 ended;   /* ops ended on this thread while attached (recorded or not) */
	__u32 tid;
	__u32 pad_[7];
	/* consumer's line */
	__u64 tail __attribute__((aligned(64)));
	__u64 pad2_[7];
	struct opsp_rec rec[];
};

/*
 * The rings memfd starts with this header; ring i is at off0 + i * ring_bytes. The
 * states are here, not in the rings, so that opscope's scan touches no page of a ring
 * nobody took (the program's RSS then holds exactly the rings it wrote).
 */
struct opsp_rings {
	__u64 magic;
	__u32 proto;
	__u32 nrings;     /* at most OPSP_MAX_RINGS */
	__u32 cap;        /* records per ring, a power of two */
	__u32 rec_bytes;  /* sizeof(struct opsp_rec) */
	__u64 ring_bytes;
	__u64 off0;
	__u32 hint;       /* where the next ring search starts */
	__u32 why;        /* 1: record --why, each ring has a why area (else 0, none) */
	__u64 why_off;    /* ring i's why area at why_off + i * why_ring_bytes: */
	__u64 why_ring_bytes; /* OPSP_WHY_DEPTH opsp_why_beg, then cap opsp_why */
	/* OPSP_R_*: FREE->OWNED by the library (CAS), OWNED->CLOSED by the library at its
	 * thread's end, CLOSED->FREE by opscope once drained */
	__u32 state[OPSP_MAX_RINGS] __attribute__((aligned(64)));
};

static inline __u64 opsp_ring_bytes(__u32 cap)
{
	__u64 b = sizeof(struct opsp_ring) + (__u64)cap * sizeof(struct opsp_rec);

	return (b + 4095) & ~4095ull;
}

static inline struct opsp_ring *opsp_ring_at(void *base, __u32 i)
{
	struct opsp_rings *h = (struct opsp_rings *)base;

	return (struct opsp_ring *)((char *)base + h->off0 + (__u64)i * h->ring_bytes);
}

static inline __u64 opsp_why_ring_bytes(__u32 cap)
{
	__u64 b = OPSP_WHY_DEPTH * sizeof(struct opsp_why_beg) +
		  (__u64)cap * sizeof(struct opsp_why);

	return (b + 4095) & ~4095ull;
}

/* Ring i's begin snapshots, and its why records (indexed as its records). */
static inline struct opsp_why_beg *opsp_why_beg_at(void *base, __u32 i)
{
	struct opsp_rings *h = (struct opsp_rings *)base;

	return (struct opsp_why_beg *)((char *)base + h->why_off + (__u64)i * h->why_ring_bytes);
}

static inline struct opsp_why *opsp_why_at(void *base, __u32 i)
{
	return (struct opsp_why *)(opsp_why_beg_at(base, i) + OPSP_WHY_DEPTH);
}

/*
 * A fingerprint of every layout the two sides share (the slot fields they read, the
 * rings, records and control page), so that a library built against another layout is
 * refused at the handshake instead of misreading counters.
 */
static inline __u32 opsp_layout(void)
{
	__u32 h = 2166136261u;
	const __u32 v[] = {
		sizeof(struct ops_slot), OPSP_CTR_OFF, OPSP_CTR_BYTES,
		offsetof(struct ops_slot, blk_ns), offsetof(struct ops_slot, blk_nr),
		offsetof(struct ops_slot, tid), offsetof(struct ops_slot, op_kind),
		offsetof(struct ops_slot, gen), offsetof(struct ops_slot, in_ts),
		offsetof(struct ops_slot, state), OPS_BLK_SYS, OPS_MAX_SLOTS,
		sizeof(struct opsp_rec), sizeof(struct opsp_ring), sizeof(struct opsp_rings),
		offsetof(struct opsp_ring, tail), offsetof(struct opsp_rings, state),
		sizeof(struct opsp_ctl), offsetof(struct opsp_ctl, attach),
		offsetof(struct opsp_ctl, kind), OPSP_MAX_RINGS,
		offsetof(struct ops_slot, why), sizeof(struct ops_why_slot),
		sizeof(struct opsp_why), sizeof(struct opsp_why_beg), OPSP_WHY_DEPTH,
		offsetof(struct opsp_rings, why_off),
	};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		h = (h ^ v[i]) * 16777619u;
	return h;
}

/* Handshake: the library sends hello, opscope answers welcome with SCM_RIGHTS
 * [slot array fd, rings fd] when status is 0. */
struct opsp_hello {
	__u64 magic;   /* OPSP_MSG_MAGIC */
	__u32 proto;
	__u32 abi;
	__u32 pid;
	__u32 layout;  /* opsp_layout() as the library was built */
	__u64 ctl_addr; /* where the control page is mapped in the program */
};

enum opsp_status {
	OPSP_OK = 0,
	OPSP_REFUSED_PID = 1,    /* not the recorded process */
	OPSP_REFUSED_LAYOUT = 2, /* another protocol or slot layout: rebuild */
	OPSP_REFUSED_CTL = 3,    /* opscope could not map the control page */
	OPSP_REFUSED_BUSY = 4,   /* already attached to another connection */
};

struct opsp_welcome {
	__u64 magic;
	__u32 proto;
	__u32 status;     /* enum opsp_status */
	__u32 attach;     /* the attach word this handshake belongs to (odd) */
	__u32 layout;
	__u32 slot_stride; /* bytes between slots in the array */
	__u32 nslots;
	__u64 slots_bytes; /* length to map of the slot array fd */
	__u64 rings_bytes; /* length to map of the rings fd */
};

#endif /* OPSCOPE_OPS_PROTO_H */
