// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for the per-operation-kind aggregation: band counts by rank, band sums with
 * the proportional split, exemplars, merge, lazy memory, and the repetition statistics. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/opagg.h"

#define NF (sizeof(struct ops_bd) / sizeof(uint64_t))

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return ((rng_next() >> 11) + 1) * (1.0 / 9007199254740992.0);
}

/* one operation: latency from a skewed mixture, fields that depend on it in known ways */
static struct ops_bd make_op(uint64_t i)
{
	struct ops_bd op = { .n = 1 };
	double u = rng_unit();

	if (rng_next() % 20)
		op.lat_ns = 5000 + (uint64_t)(-20000.0 * log(u)); /* fast path */
	else
		op.lat_ns = 200000 + (uint64_t)(-2000000.0 * log(u)); /* blocked ones */
	op.on_ns = op.lat_ns / 2;
	op.runq_ns = op.lat_ns / 4;
	op.blocked_ns = op.lat_ns - op.on_ns - op.runq_ns;
	op.syscalls = i % 7;
	op.vcsw = op.lat_ns > 100000;
	op.blk_ns[3] = op.blocked_ns;
	op.map_bytes = i;
	return op;
}

static uint64_t field(const struct ops_bd *bd, unsigned f)
{
	return ((const uint64_t *)bd)[f];
}

static int cmp_lat(const void *a, const void *b)
{
	const struct ops_bd *x = a, *y = b;

	return x->lat_ns < y->lat_ns ? -1 : x->lat_ns > y->lat_ns;
}

static unsigned coarse_of(uint64_t lat)
{
	return hist_bucket(lat) >> OPAGG_COARSE_SHIFT;
}

/* ranks closing each band, computed in integers: ceil(k/1000 * n) */
static void band_ranks(uint64_t n, uint64_t r[BAND_NR])
{
	static const uint64_t k[BAND_NR] = { 500, 900, 990, 999, 1000 };

	for (int b = 0; b < BAND_NR; b++)
		r[b] = (k[b] * n + 999) / 1000;
}

START_TEST(test_ops_bd_add)
{
	struct ops_bd a, b;
	uint64_t *pa = (uint64_t *)&a, *pb = (uint64_t *)&b;

	for (unsigned f = 0; f < NF; f++) {
		pa[f] = 1000 * f;
		pb[f] = f + 1;
	}
	ops_bd_add(&a, &b);
	for (unsigned f = 0; f < NF; f++)
		ck_assert_uint_eq(pa[f], 1000 * f + f + 1);
	ck_assert_uint_eq(a.blk_ns[OPS_BLK_OTHER], pa[NF - 1]);
}
END_TEST

/* Band counts follow the rank definition exactly, band sums add up to the total exactly,
 * and each band sum is off from the true sum (by rank) by no more than what the coarse
 * buckets straddling its edges hold. */
START_TEST(test_bands_against_truth)
{
	const uint64_t n = 60000;
	struct ops_bd *ops = malloc(n * sizeof(*ops));
	struct op_agg *a = op_agg_new();
	struct op_summary s;
	uint64_t r[BAND_NR], nsum = 0;

	ck_assert_ptr_nonnull(ops);
	ck_assert_ptr_nonnull(a);
	rng_state = 11;
	for (uint64_t i = 0; i < n; i++) {
		ops[i] = make_op(i);
		ck_assert_int_eq(op_agg_add(a, &ops[i]), 0);
	}
	op_agg_summarize(a, &s);
	qsort(ops, n, sizeof(*ops), cmp_lat);
	band_ranks(n, r);

	ck_assert_uint_eq(s.count, n);
	ck_assert_uint_eq(s.min, ops[0].lat_ns);
	ck_assert_uint_eq(s.max, ops[n - 1].lat_ns);
	ck_assert_uint_eq(s.band_hi[BAND_MAX], s.max);
	ck_assert_uint_eq(s.band_hi[BAND_P50], s.p50);
	ck_assert_uint_eq(s.band_hi[BAND_P99], s.p99);
	ck_assert_uint_le(s.p50, s.p90);
	ck_assert_uint_le(s.p90, s.p95);
	ck_assert_uint_le(s.p95, s.p99);
	ck_assert_uint_le(s.p99, s.p999);
	ck_assert(fabs((double)s.p99 - ops[r[BAND_P99] - 1].lat_ns) <
		  0.01 * ops[r[BAND_P99] - 1].lat_ns);
	for (int b = 0; b < BAND_NR; b++) {
		uint64_t want = r[b] - (b ? r[b - 1] : 0);

		ck_assert_msg(s.band[b].n == want, "band %d holds %lu ops, rank definition says %lu",
			      b, (unsigned long)s.band[b].n, (unsigned long)want);
		nsum += s.band[b].n;
	}
	ck_assert_uint_eq(nsum, n);
	ck_assert_uint_eq(s.total.n, n);

	for (unsigned f = 1; f < NF; f++) {
		uint64_t total = 0, bands = 0;

		for (uint64_t i = 0; i < n; i++)
			total += field(&ops[i], f);
		for (int b = 0; b < BAND_NR; b++)
			bands += field(&s.band[b], f);
		ck_assert_msg(field(&s.total, f) == total, "field %u: total %lu, direct %lu", f,
			      (unsigned long)field(&s.total, f), (unsigned long)total);
		ck_assert_msg(bands == total, "field %u: bands add to %lu, total %lu", f,
			      (unsigned long)bands, (unsigned long)total);

		for (int b = 0; b < BAND_NR; b++) {
			uint64_t lo = b ? r[b - 1] : 0, truth = 0, slack = 0, est;
			uint64_t edges[2] = { lo, r[b] };

			for (uint64_t i = lo; i < r[b]; i++)
				truth += field(&ops[i], f);
			/* an edge between ranks e and e+1 that cuts a coarse bucket lets that
			 * bucket's sum move across it */
			for (int e = 0; e < 2; e++) {
				uint64_t k = edges[e];
				unsigned c;

				if (k == 0 || k >= n)
					continue;
				c = coarse_of(ops[k - 1].lat_ns);
				if (c != coarse_of(ops[k].lat_ns))
					continue;
				for (uint64_t i = 0; i < n; i++)
					if (coarse_of(ops[i].lat_ns) == c)
						slack += field(&ops[i], f);
			}
			est = field(&s.band[b], f);
			ck_assert_msg((est > truth ? est - truth : truth - est) <= slack,
				      "field %u band %d: %lu, true %lu, allowed slack %lu", f, b,
				      (unsigned long)est, (unsigned long)truth,
				      (unsigned long)slack);
		}
	}
	/* the slow band really is slower per op: on-CPU share grows with latency here */
	ck_assert_uint_gt(s.band[BAND_MAX].on_ns / s.band[BAND_MAX].n,
			  s.band[BAND_P50].on_ns / s.band[BAND_P50].n);
	free(ops);
	op_agg_free(a);
}
END_TEST

static struct ops_bd op_at(uint64_t lat, uint64_t on)
{
	struct ops_bd op = { .n = 1, .lat_ns = lat, .on_ns = on, .syscalls = 1 };

	return op;
}

static void add_at(struct op_agg *a, uint64_t lat, uint64_t on)
{
	struct ops_bd op = op_at(lat, on);

	ck_assert_msg(op_agg_add(a, &op) == 0, "op_agg_add of an op of %lu ns failed",
		      (unsigned long)lat);
}

/* Cases where the answer is known by hand. */
START_TEST(test_band_split_known)
{
	struct op_agg *a = op_agg_new();
	struct op_summary s;

	/* two ops in one coarse bucket (1000 and 1001 ns): rank 1 is band p50, rank 2 is
	 * band p90; the bucket's on_ns (100 + 300) is split 1:1 whichever op is which */
	ck_assert_uint_eq(coarse_of(1000), coarse_of(1001));
	add_at(a, 1000, 100);
	add_at(a, 1001, 300);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.band[BAND_P50].n, 1);
	ck_assert_uint_eq(s.band[BAND_P50].on_ns, 200);
	ck_assert_uint_eq(s.band[BAND_P90].n, 1);
	ck_assert_uint_eq(s.band[BAND_P90].on_ns, 200);
	ck_assert_uint_eq(s.band[BAND_P50].lat_ns + s.band[BAND_P90].lat_ns, 2001);
	for (int b = BAND_P99; b < BAND_NR; b++) {
		ck_assert_uint_eq(s.band[b].n, 0);
		ck_assert_uint_eq(s.band[b].on_ns, 0);
	}
	op_agg_free(a);

	/* 10 ops at 100 ns (on 1 each) and 10 at 10000 ns (on 7 each): n = 20, ranks
	 * p50 = 10, p90 = 18, p99 = p99.9 = 20. The first bucket is wholly band p50 (sum
	 * exact); the second straddles: 8 of its 10 ops go to band p90 (70 * 8/10 = 56),
	 * 2 to band p99 (14), none beyond. */
	a = op_agg_new();
	for (int i = 0; i < 10; i++) {
		add_at(a, 100, 1);
		add_at(a, 10000, 7);
	}
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.p50, 100);
	ck_assert_uint_eq(s.band[BAND_P50].n, 10);
	ck_assert_uint_eq(s.band[BAND_P50].on_ns, 10);
	ck_assert_uint_eq(s.band[BAND_P50].lat_ns, 1000);
	ck_assert_uint_eq(s.band[BAND_P90].n, 8);
	ck_assert_uint_eq(s.band[BAND_P90].on_ns, 56);
	ck_assert_uint_eq(s.band[BAND_P90].lat_ns, 80000);
	ck_assert_uint_eq(s.band[BAND_P99].n, 2);
	ck_assert_uint_eq(s.band[BAND_P99].on_ns, 14);
	ck_assert_uint_eq(s.band[BAND_P999].n, 0);
	ck_assert_uint_eq(s.band[BAND_MAX].n, 0);
	ck_assert_uint_eq(s.total.on_ns, 80);
	ck_assert_uint_eq(s.total.syscalls, 20);
	op_agg_free(a);

	/* a split that does not divide: on 2 + 3 + 5 = 10 over 3 ops in one bucket; ranks
	 * p50 = 2, p90 = 3. Band p50 gets floor(10 * 2/3) = 6, band p90 the remainder 4. */
	a = op_agg_new();
	add_at(a, 5000, 2);
	add_at(a, 5001, 3);
	add_at(a, 5002, 5);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.band[BAND_P50].n, 2);
	ck_assert_uint_eq(s.band[BAND_P50].on_ns, 6);
	ck_assert_uint_eq(s.band[BAND_P90].n, 1);
	ck_assert_uint_eq(s.band[BAND_P90].on_ns, 4);
	ck_assert_uint_eq(s.band[BAND_P90].syscalls, 1);
	op_agg_free(a);
}
END_TEST

/* The p50 and p99 exemplars are real operations from the coarse bucket of p50 and p99,
 * and an exemplar is a real operation of its bucket. */
START_TEST(test_exemplars)
{
	const uint64_t n = 20000;
	struct op_agg *a = op_agg_new();
	struct op_summary s;
	struct ops_bd op;

	rng_state = 23;
	for (uint64_t i = 0; i < n; i++) {
		op = make_op(i);
		ck_assert_int_eq(op_agg_add(a, &op), 0);
	}
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.ex_p50.n, 1);
	ck_assert_uint_eq(s.ex_p99.n, 1);
	ck_assert_uint_eq(coarse_of(s.ex_p50.lat_ns), coarse_of(s.p50));
	ck_assert_uint_eq(coarse_of(s.ex_p99.lat_ns), coarse_of(s.p99));
	/* within 1/8 octave of the percentile */
	ck_assert(fabs((double)s.ex_p50.lat_ns - s.p50) <= s.p50 / 8.0);
	ck_assert(fabs((double)s.ex_p99.lat_ns - s.p99) <= s.p99 / 8.0);
	/* real ops: the fields hold together as make_op built them */
	ck_assert_uint_eq(s.ex_p50.on_ns, s.ex_p50.lat_ns / 2);
	ck_assert_uint_eq(s.ex_p99.blk_ns[3], s.ex_p99.blocked_ns);
	ck_assert_uint_lt(s.ex_p99.map_bytes, n);
	op_agg_free(a);

	/* the exemplar is refreshed at the 1st, 2nd, 4th ... op of its bucket */
	a = op_agg_new();
	add_at(a, 3000, 1);
	add_at(a, 3001, 2);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.ex_p50.on_ns, 2);
	ck_assert_uint_eq(s.ex_p50.lat_ns, 3001);
	add_at(a, 3002, 3);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.ex_p50.on_ns, 2); /* the 3rd is not copied */
	add_at(a, 3003, 4);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.ex_p50.on_ns, 4); /* the 4th is */
	op_agg_free(a);

	/* empty: no exemplar, all zero */
	a = op_agg_new();
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(s.ex_p50.n, 0);
	ck_assert_uint_eq(s.p99, 0);
	ck_assert_uint_eq(s.total.n, 0);
	op_agg_free(a);
}
END_TEST

START_TEST(test_merge)
{
	struct op_agg *all = op_agg_new(), *part[3], *m = op_agg_new();
	struct op_summary sa, sm;
	struct ops_bd op;

	for (int i = 0; i < 3; i++)
		part[i] = op_agg_new();
	rng_state = 31;
	for (uint64_t i = 0; i < 30000; i++) {
		op = make_op(i);
		ck_assert_int_eq(op_agg_add(all, &op), 0);
		ck_assert_int_eq(op_agg_add(part[rng_next() % 3], &op), 0);
	}
	op_agg_add_error(part[1]);
	op_agg_add_error(part[2]);
	op_agg_add_error(all);
	op_agg_add_error(all);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(op_agg_merge(m, part[i]), 0);
	ck_assert_int_eq(op_agg_merge(m, m), -EINVAL);
	op_agg_summarize(all, &sa);
	op_agg_summarize(m, &sm);
	ck_assert_uint_eq(sm.errors, 2);
	ck_assert_uint_eq(op_agg_errors(m), 2);
	/* everything but the exemplars (which op was last differs) is identical */
	ck_assert_mem_eq(&sm, &sa, offsetof(struct op_summary, ex_p50));
	ck_assert_uint_eq(coarse_of(sm.ex_p50.lat_ns), coarse_of(sm.p50));
	ck_assert_uint_eq(coarse_of(sm.ex_p99.lat_ns), coarse_of(sm.p99));
	for (int i = 0; i < 3; i++)
		op_agg_free(part[i]);
	op_agg_free(all);
	op_agg_free(m);

	/* dst keeps its own exemplar and takes src's where it has none: dst has one op at
	 * 1000 (on 1), src one at 1000 (on 2) and one at 1e6 (on 3) */
	part[0] = op_agg_new();
	part[1] = op_agg_new();
	op = op_at(1000, 1);
	ck_assert_int_eq(op_agg_add(part[0], &op), 0);
	op = op_at(1000, 2);
	ck_assert_int_eq(op_agg_add(part[1], &op), 0);
	op = op_at(1000000, 3);
	ck_assert_int_eq(op_agg_add(part[1], &op), 0);
	ck_assert_int_eq(op_agg_merge(part[0], part[1]), 0);
	op_agg_summarize(part[0], &sm);
	ck_assert_uint_eq(sm.count, 3);
	ck_assert_uint_eq(sm.ex_p50.on_ns, 1);
	ck_assert_uint_eq(sm.ex_p99.on_ns, 3);
	ck_assert_uint_eq(sm.total.on_ns, 6);
	op_agg_free(part[0]);
	op_agg_free(part[1]);
}
END_TEST

START_TEST(test_bad_input_and_errors)
{
	struct op_agg *a = op_agg_new();
	struct ops_bd op = op_at(1000, 1);
	struct op_summary s;

	op.n = 2;
	ck_assert_int_eq(op_agg_add(a, &op), -EINVAL);
	op.n = 0;
	ck_assert_int_eq(op_agg_add(a, &op), -EINVAL);
	op_agg_add_error(a);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(s.errors, 1);
	ck_assert_uint_eq(hist_count(op_agg_hist(a)), 0);
	ck_assert_uint_eq(op_agg_lost(a), 0);
	/* a clamped latency is still an op with a band and a breakdown */
	add_at(a, UINT64_MAX, 9);
	op_agg_summarize(a, &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.max, UINT64_MAX);
	ck_assert_uint_eq(s.band[BAND_P50].on_ns, 9);
	ck_assert_uint_eq(s.ex_p99.on_ns, 9);
	ck_assert_uint_eq(hist_clamped(op_agg_hist(a)), 1);
	op_agg_free(a);
	op_agg_free(NULL);
}
END_TEST

/* Memory follows the ranges seen: three octaves cost three histogram blocks and the
 * 3 x 8 coarse chunks inside them, and nothing more however many ops follow. */
START_TEST(test_lazy_memory)
{
	struct op_agg *a = op_agg_new();
	size_t base = op_agg_bytes(a), one, chunk, full;
	const size_t blk = HIST_SUB * sizeof(uint64_t);
	const uint64_t oct[3] = { 1024, 1u << 20, 1u << 30 };
	struct ops_bd op;

	add_at(a, oct[0], 1);
	one = op_agg_bytes(a);
	/* same octave, next coarse bucket: one more chunk, no histogram block */
	op = op_at(oct[0] + oct[0] / 8, 1);
	ck_assert_uint_ne(coarse_of(op.lat_ns), coarse_of(oct[0]));
	ck_assert_int_eq(op_agg_add(a, &op), 0);
	chunk = op_agg_bytes(a) - one;
	ck_assert_uint_eq(one - base, blk + chunk);
	ck_assert_uint_ge(chunk, 2 * sizeof(struct ops_bd));

	rng_state = 1;
	for (int i = 0; i < 100000; i++) {
		uint64_t o = oct[i % 3];

		add_at(a, o + rng_next() % o, 1);
	}
	full = op_agg_bytes(a);
	ck_assert_uint_eq(full, base + 3 * blk + 3 * 8 * chunk);
	ck_assert_msg(full < 20 * 1024, "3 octaves cost %zu bytes", full);
	for (int i = 0; i < 100000; i++) {
		add_at(a, oct[i % 3] + (uint64_t)i % oct[i % 3], 1);
	}
	ck_assert_uint_eq(op_agg_bytes(a), full);
	op_agg_free(a);
}
END_TEST

START_TEST(test_stats)
{
	const double v[] = { 1, 2, 3, 4 };
	const double big[] = { 1e12 + 1, 1e12 + 2, 1e12 + 3 };
	const double zero[] = { -1, 1 };

	ck_assert_double_eq(stats_mean(v, 4), 2.5);
	ck_assert_double_eq_tol(stats_stddev(v, 4), sqrt(5.0 / 3), 1e-15);
	ck_assert_double_eq_tol(stats_cv(v, 4), sqrt(5.0 / 3) / 2.5, 1e-15);
	ck_assert_double_eq(stats_stddev(v, 1), 0);
	ck_assert_double_eq(stats_mean(v, 0), 0);
	ck_assert_double_eq(stats_stddev(v, 0), 0);
	ck_assert_double_eq(stats_cv(v, 0), 0);
	ck_assert_double_eq_tol(stats_stddev(big, 3), 1, 1e-9);
	ck_assert_double_eq(stats_mean(zero, 2), 0);
	ck_assert_double_eq(stats_cv(zero, 2), 0);
}
END_TEST

static Suite *opagg_suite(void)
{
	Suite *s = suite_create("opagg");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ops_bd_add);
	tcase_add_test(tc, test_bands_against_truth);
	tcase_add_test(tc, test_band_split_known);
	tcase_add_test(tc, test_exemplars);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_bad_input_and_errors);
	tcase_add_test(tc, test_lazy_memory);
	tcase_add_test(tc, test_stats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(opagg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
