// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The process pool's call and result frames (wl_pool_frame.h). */
#include <errno.h>
#include <string.h>
#include "workloads/wl_pool_frame.h"

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

/* type, flags, and the u16 0 after them */
static unsigned char *put_head(unsigned char *q, int type, int flags)
{
	*q++ = (unsigned char)type;
	*q++ = (unsigned char)flags;
	*q++ = 0;
	*q++ = 0;
	return q;
}

static unsigned char *put_snap(unsigned char *q, const struct ops_snap *s)
{
	uint64_t w[OPS_SNAP_WORDS - 1];

	memcpy(w, &s->on_ns, OPS_SNAP_CTR_BYTES);
	q = put_u64(q, s->ts);
	for (size_t i = 0; i < OPS_SNAP_WORDS - 1; i++)
		q = put_u64(q, w[i]);
	return q;
}

static const unsigned char *get_snap(const unsigned char *q, struct ops_snap *s)
{
	uint64_t w[OPS_SNAP_WORDS - 1];

	memset(s, 0, sizeof(*s));
	s->ts = get_u64(q);
	q += 8;
	for (size_t i = 0; i < OPS_SNAP_WORDS - 1; i++, q += 8)
		w[i] = get_u64(q);
	memcpy(&s->on_ns, w, OPS_SNAP_CTR_BYTES);
	return q;
}

size_t pool_frame_call(unsigned char *b, const struct pool_call *c)
{
	unsigned char *q = put_head(b + 4, POOL_FRAME_CALL, c->flags);

	q = put_u64(q, c->id);
	q = put_u32(q, c->caller);
	q = put_u32(q, c->slot);
	q = put_u32(q, c->n);
	memcpy(q, c->payload, c->n);
	q += c->n;
	put_u32(b, (uint32_t)(q - b - 4));
	return (size_t)(q - b);
}

size_t pool_frame_result(unsigned char *b, const struct pool_result *r)
{
	unsigned char *q = put_head(b + 4, POOL_FRAME_RESULT, r->snaps ? POOL_RESULT_SNAPS : 0);

	q = put_u32(q, (uint32_t)r->status);
	q = put_u64(q, r->id);
	q = put_u64(q, r->ser_ns);
	q = put_u32(q, r->n);
	memcpy(q, r->payload, r->n);
	q += r->n;
	if (r->snaps) {
		q = put_snap(q, &r->a);
		q = put_snap(q, &r->b);
	}
	put_u32(b, (uint32_t)(q - b - 4));
	return (size_t)(q - b);
}

uint32_t pool_frame_len(const unsigned char *b)
{
	return get_u32(b);
}

void pool_frame_set_ser(unsigned char *b, uint64_t ns)
{
	put_u64(b + 20, ns);
}

int pool_frame_call_parse(const unsigned char *b, uint32_t len, struct pool_call *c)
{
	if (len < POOL_CALL_HDR - 4 || b[4] != POOL_FRAME_CALL)
		return -EPROTO;
	c->flags = b[5];
	c->id = get_u64(b + 8);
	c->caller = get_u32(b + 16);
	c->slot = get_u32(b + 20);
	c->n = get_u32(b + 24);
	if (len - (POOL_CALL_HDR - 4) != c->n)
		return -EPROTO;
	c->payload = b + POOL_CALL_HDR;
	return 0;
}

int pool_frame_result_parse(const unsigned char *b, uint32_t len, struct pool_result *r)
{
	size_t want;

	if (len < POOL_RESULT_HDR - 4 || b[4] != POOL_FRAME_RESULT || (b[5] & ~POOL_RESULT_SNAPS))
		return -EPROTO;
	r->snaps = b[5] & POOL_RESULT_SNAPS;
	r->status = (int32_t)get_u32(b + 8);
	r->id = get_u64(b + 12);
	r->ser_ns = get_u64(b + 20);
	r->n = get_u32(b + 28);
	want = (size_t)(POOL_RESULT_HDR - 4) + r->n + (r->snaps ? POOL_SNAPS_BYTES : 0);
	if (r->n > len || len != want)
		return -EPROTO;
	r->payload = b + POOL_RESULT_HDR;
	if (r->snaps)
		get_snap(get_snap(r->payload + r->n, &r->a), &r->b);
	return 0;
}
