// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The process pool's frames (workloads/wl_pool_frame.c): calls and results, with the
 * worker's two snapshots, survive encoding; the breakdown made from the decoded snapshots
 * is the one made from the originals; malformed frames are refused. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/wl_pool_frame.h"

static struct ops_slot slot; /* only its blk_nr matters */

static void fill(struct ops_snap *s, uint64_t base)
{
	memset(s, 0, sizeof(*s));
	s->ts = base;
	s->on_ns = base + 1;
	s->blocked_ns = base + 2;
	s->runq_ns = base + 3;
	s->vcsw = base + 4;
	s->faults = base + 5;
	s->map_bytes = base + 6;
	s->blk_ns[0] = base + 7;
	s->blk_ns[OPS_BLK_SYS - 1] = base + 8;
	s->blk_nosys_ns = base + 9;
	s->steal_ns = base + 10;
}

START_TEST(call_round_trip)
{
	unsigned char payload[64], b[POOL_CALL_HDR + 64];
	struct pool_call c = { .flags = POOL_CALL_REC, .id = 0x1122334455667788ull,
			       .caller = 7, .slot = 42, .n = sizeof(payload), .payload = payload };
	struct pool_call d;
	size_t n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)i;
	n = pool_frame_call(b, &c);
	ck_assert_uint_eq(n, POOL_CALL_HDR + sizeof(payload));
	ck_assert_uint_eq(pool_frame_len(b), n - 4);
	ck_assert_int_eq(pool_frame_call_parse(b, pool_frame_len(b), &d), 0);
	ck_assert_uint_eq(d.flags, POOL_CALL_REC);
	ck_assert_uint_eq(d.id, c.id);
	ck_assert_uint_eq(d.caller, 7);
	ck_assert_uint_eq(d.slot, 42);
	ck_assert_uint_eq(d.n, sizeof(payload));
	ck_assert_mem_eq(d.payload, payload, sizeof(payload));
	/* little-endian on the wire: the id's low byte first */
	ck_assert_uint_eq(b[8], 0x88);
}
END_TEST

START_TEST(result_with_snapshots)
{
	unsigned char payload[16] = "0123456789abcdef";
	unsigned char b[POOL_RESULT_HDR + 16 + POOL_SNAPS_BYTES];
	struct pool_result r = { .status = 0, .id = 9, .ser_ns = 0, .n = 16, .payload = payload,
				 .snaps = true };
	struct pool_result d;
	struct ops_thread t;
	struct ops_bd x, y;
	size_t n;

	fill(&r.a, 1000);
	fill(&r.b, 5000);
	r.b.faults = 1000 + 5 + 65; /* 65 faults in the body */
	n = pool_frame_result(b, &r);
	ck_assert_uint_eq(n, POOL_RESULT_HDR + 16 + POOL_SNAPS_BYTES);
	pool_frame_set_ser(b, 321);
	ck_assert_int_eq(pool_frame_result_parse(b, pool_frame_len(b), &d), 0);
	ck_assert(d.snaps);
	ck_assert_uint_eq(d.ser_ns, 321);
	ck_assert_uint_eq(d.id, 9);
	ck_assert_mem_eq(d.payload, payload, 16);
	ck_assert_mem_eq(&d.a, &r.a, sizeof(d.a));
	ck_assert_mem_eq(&d.b, &r.b, sizeof(d.b));
	/* the breakdown from the decoded pair is the one from the originals */
	memset(slot.blk_nr, 0xff, sizeof(slot.blk_nr));
	slot.tid = 77;
	ck_assert_int_eq(ops_thread_of(&t, &slot, 77), 0);
	ops_snap_delta(&t, &r.a, &r.b, &x);
	ops_snap_delta(&t, &d.a, &d.b, &y);
	ck_assert_mem_eq(&x, &y, sizeof(x));
	ck_assert_uint_eq(y.faults, 65);
	ck_assert_uint_eq(y.lat_ns, 4000);
}
END_TEST

START_TEST(result_without_snapshots)
{
	unsigned char b[POOL_RESULT_HDR + POOL_SNAPS_BYTES];
	struct pool_result r = { .status = -EIO, .id = 3 }, d;
	size_t n = pool_frame_result(b, &r);

	ck_assert_uint_eq(n, POOL_RESULT_HDR);
	ck_assert_int_eq(pool_frame_result_parse(b, pool_frame_len(b), &d), 0);
	ck_assert(!d.snaps);
	ck_assert_int_eq(d.status, -EIO);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(malformed_refused)
{
	unsigned char p[8] = { 0 }, b[POOL_RESULT_HDR + 8 + POOL_SNAPS_BYTES];
	struct pool_result r = { .id = 1, .n = 8, .payload = p, .snaps = true }, d;
	struct pool_call c;
	size_t n = pool_frame_result(b, &r);
	uint32_t len = (uint32_t)n - 4;

	/* one byte short, one too many, a payload length past the frame */
	ck_assert_int_eq(pool_frame_result_parse(b, len - 1, &d), -EPROTO);
	ck_assert_int_eq(pool_frame_result_parse(b, len + 1, &d), -EPROTO);
	b[28] = 0xff;
	ck_assert_int_eq(pool_frame_result_parse(b, len, &d), -EPROTO);
	b[28] = 8;
	/* the snapshots flag without snapshots; an unknown flag; a call as a result */
	b[5] = 3;
	ck_assert_int_eq(pool_frame_result_parse(b, len, &d), -EPROTO);
	b[5] = POOL_RESULT_SNAPS;
	ck_assert_int_eq(pool_frame_result_parse(b, len - POOL_SNAPS_BYTES, &d), -EPROTO);
	b[4] = POOL_FRAME_CALL;
	ck_assert_int_eq(pool_frame_result_parse(b, len, &d), -EPROTO);
	ck_assert_int_eq(pool_frame_call_parse(b, 3, &c), -EPROTO);
}
END_TEST

START_TEST(slot_of_another_thread)
{
	struct ops_thread t;

	slot.tid = 5;
	slot.state = OPS_T_BLOCKED;
	ck_assert_int_eq(ops_thread_of(&t, &slot, 6), -ESRCH);
	ck_assert_ptr_null((void *)t.slot);
	slot.state = OPS_T_EXITED;
	ck_assert_int_eq(ops_thread_of(&t, &slot, 5), -ESRCH);
	ck_assert_int_eq(ops_thread_of(&t, NULL, 5), -ESRCH);
	slot.state = OPS_T_RUNNING;
	ck_assert_int_eq(ops_thread_of(&t, &slot, 5), 0);
	ck_assert_uint_eq(t.blk_idx[0], 0xff);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool_frame");
	TCase *tc = tcase_create("frames");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, call_round_trip);
	tcase_add_test(tc, result_with_snapshots);
	tcase_add_test(tc, result_without_snapshots);
	tcase_add_test(tc, malformed_refused);
	tcase_add_test(tc, slot_of_another_thread);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
