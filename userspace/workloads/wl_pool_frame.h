/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The process pool's frames (mode=process, wl_pool_proc.c): a call from a proxy thread to
 * its worker process and the result back, length-prefixed and little-endian:
 *
 *	call:   u32 length of the rest | u8 type 1 | u8 flags (1 fail, 2 recorded) | u16 0 |
 *	        u64 call id | u32 caller | u32 worker's slot + 1 (0: none) |
 *	        u32 payload length | payload
 *	result: u32 length of the rest | u8 type 2 | u8 flags (1 snapshots) | u16 0 |
 *	        i32 status | u64 call id | u64 worker's decode + encode ns |
 *	        u32 payload length | payload | [2 snapshots]
 *
 * A snapshot is the worker's slot as ops_snap_take read it (clock, then the counters in
 * struct ops_snap's order, OPS_SNAP_WORDS u64s in all), taken before and after the task
 * body; the parent makes the breakdown from the two. Pure code: no I/O, no allocation.
 */
#ifndef OPSCOPE_WL_POOL_FRAME_H
#define OPSCOPE_WL_POOL_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/oprec.h"

enum { POOL_FRAME_CALL = 1, POOL_FRAME_RESULT = 2 };
enum { POOL_CALL_FAIL = 1, POOL_CALL_REC = 2 };
enum { POOL_RESULT_SNAPS = 1 };

#define POOL_CALL_HDR 28   /* bytes before a call's payload, its length prefix included */
#define POOL_RESULT_HDR 32 /* the same for a result */
#define OPS_SNAP_WORDS (1 + OPS_SNAP_CTR_BYTES / 8)
#define POOL_SNAPS_BYTES (2 * 8 * OPS_SNAP_WORDS)

struct pool_call {
	uint8_t flags;       /* POOL_CALL_* */
	uint64_t id;
	uint32_t caller;
	uint32_t slot;       /* the worker's slot index + 1, 0 none (kernel not followed) */
	uint32_t n;          /* payload bytes */
	const unsigned char *payload;
};

struct pool_result {
	int32_t status;
	uint64_t id;
	uint64_t ser_ns;     /* the worker's decode + encode */
	uint32_t n;          /* payload bytes */
	const unsigned char *payload;
	bool snaps;          /* a and b were taken (the worker had its slot) */
	struct ops_snap a, b; /* around the task body; why counters not carried (zero) */
};

/* Encode into b, which holds POOL_CALL_HDR + c->n (calls) or POOL_RESULT_HDR + r->n +
 * POOL_SNAPS_BYTES (results) bytes; returns the frame's length, its prefix included. */
size_t pool_frame_call(unsigned char *b, const struct pool_call *c);
size_t pool_frame_result(unsigned char *b, const struct pool_result *r);
/* The length prefix at b: the bytes of the frame after it. */
uint32_t pool_frame_len(const unsigned char *b);
/* The worker's serialization ns, written into an encoded result once known. */
void pool_frame_set_ser(unsigned char *b, uint64_t ns);

/* Decode a frame of len bytes after its prefix (b points at the prefix); the payload
 * pointer points into b. 0, or -EPROTO when it is not a well-formed frame of that type. */
int pool_frame_call_parse(const unsigned char *b, uint32_t len, struct pool_call *c);
int pool_frame_result_parse(const unsigned char *b, uint32_t len, struct pool_result *r);

#endif
