// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The clock model's fit (kernel/clockfit.h): the offset the samples say, and segments that
 * never jump, slope at most CLOCKFIT_MAX_PPM, reach their target and then stay flat.
 */
#include <check.h>
#include <stdlib.h>
#include "kernel/clockfit.h"

#define MS 1000000ll

/* Two CPUs' windows: the smallest of the windows asked for, and its sample count. */
START_TEST(target_is_the_smallest_in_range)
{
	struct ops_cal cal[2 * OPS_CAL_WINS] = {};
	int64_t off = 12345;

	cal[0] = (struct ops_cal){ .win = 10, .min_d = -1000, .n = 5 };
	cal[1] = (struct ops_cal){ .win = 11, .min_d = -1400, .n = 7 };
	cal[OPS_CAL_WINS] = (struct ops_cal){ .win = 11, .min_d = -1300, .n = 2 };
	cal[OPS_CAL_WINS + 1] = (struct ops_cal){ .win = 12, .min_d = -9000, .n = 1 };
	ck_assert_uint_eq(clockfit_target(cal, 2, 10, 11, &off), 14);
	ck_assert_int_eq(off, -1400);
	/* windows out of range, or empty, say nothing: off is left as it was */
	off = 7;
	ck_assert_uint_eq(clockfit_target(cal, 2, 20, 30, &off), 0);
	ck_assert_int_eq(off, 7);
}
END_TEST

/* Each new segment starts where the old one was at that moment: no converted time jumps. */
START_TEST(segments_are_continuous)
{
	struct ops_clock cur = { .t0 = 1000 * MS, .off0 = -5000, .slope = 3000 };
	struct ops_clock next;
	uint64_t now = cur.t0 + 50 * MS;

	ck_assert(!clockfit_next(&cur, now, -4000, &next));
	ck_assert_int_eq(clockfit_off(&next, now), clockfit_off(&cur, now));
	ck_assert_uint_eq(next.t0, now);
}
END_TEST

/* A segment reaches its target OPS_CLK_SPAN later (within the slope's rounding) and stays
 * there, should no update follow. */
START_TEST(reaches_the_target_then_flat)
{
	struct ops_clock cur = { .t0 = 0, .off0 = -5000 }, next;
	uint64_t now = 10 * MS;

	clockfit_next(&cur, now, -4500, &next);
	ck_assert_int_le(llabs(clockfit_off(&next, now + OPS_CLK_SPAN) + 4500), 1);
	ck_assert_int_eq(clockfit_off(&next, now + 10 * OPS_CLK_SPAN),
			 clockfit_off(&next, now + OPS_CLK_SPAN));
}
END_TEST

/* Far from the target, the slope is held to CLOCKFIT_MAX_PPM; past CLOCKFIT_STEP_NS it
 * steps, and says so. */
START_TEST(slope_bounded_or_step)
{
	struct ops_clock cur = { .t0 = 0, .off0 = 0 }, next;
	int64_t moved;

	ck_assert(!clockfit_next(&cur, 0, 15000, &next));
	moved = clockfit_off(&next, OPS_CLK_SPAN) - clockfit_off(&next, 0);
	ck_assert_int_le(moved, (int64_t)CLOCKFIT_MAX_PPM * OPS_CLK_SPAN / 1000000 + 1);
	ck_assert_int_gt(moved, 0);
	ck_assert(clockfit_next(&cur, 0, CLOCKFIT_STEP_NS + 1, &next));
	ck_assert_int_eq(clockfit_off(&next, 0), CLOCKFIT_STEP_NS + 1);
}
END_TEST

/* Before its start a segment extends backwards the same way (events stamped a little
 * before the model was published convert as continuously). */
START_TEST(negative_offsets_in_the_past)
{
	struct ops_clock m = { .t0 = 1000 * MS, .off0 = -2000, .slope = -4000 };

	ck_assert_int_gt(clockfit_off(&m, 990 * MS), -2000);
	ck_assert_int_eq(clockfit_off(&m, m.t0 - 2 * OPS_CLK_SPAN),
			 clockfit_off(&m, m.t0 - OPS_CLK_SPAN));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clockfit");
	TCase *tc = tcase_create("fit");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, target_is_the_smallest_in_range);
	tcase_add_test(tc, segments_are_continuous);
	tcase_add_test(tc, reaches_the_target_then_flat);
	tcase_add_test(tc, slope_bounded_or_step);
	tcase_add_test(tc, negative_offsets_in_the_past);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
