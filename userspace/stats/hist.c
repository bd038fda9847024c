// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Log-linear latency histogram (see hist.h).
 *
 * Bucket index of v: with shift = max(msb(v) - HIST_SUB_BITS, 0),
 *	idx = (shift << HIST_SUB_BITS) + (v >> shift)
 * Values below 2 * HIST_SUB get their own bucket (shift 0, idx == v); above, v >> shift
 * keeps the top HIST_SUB_BITS + 1 bits of v, whose leading 1 lands the index in block
 * shift + 1. A bucket is therefore 2^shift wide and starts at >= 2^(shift + SUB_BITS),
 * so its width is at most 1/HIST_SUB of any value in it and its midpoint is within
 * 1/(2 * HIST_SUB) of it. Computing shift from msb(v | HIST_SUB) makes this branch-free.
 *
 * Sums: the sum of values is kept exactly in 128 bits. The sum of squares is kept exactly
 * in 128 bits too for values inside the range (< 2^41, so a square is < 2^82 and 2^46
 * values fit); squares of clamped values, and anything that would overflow, go to a
 * long double side sum, after which the variance is computed in long double. With the
 * exact sums the variance is computed without cancellation (see hist_stddev).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/hist.h"

#define HIST_NBLOCKS (HIST_NBUCKETS / HIST_SUB)
#define HIST_TOP ((uint64_t)1 << HIST_MAX_SHIFT)

typedef unsigned __int128 u128;

struct hist {
	uint64_t *blk[HIST_NBLOCKS]; /* HIST_SUB counters each, NULL until first use */
	uint64_t count;              /* values in the buckets (lost ones excluded) */
	uint64_t lost;
	uint64_t clamped;
	uint64_t min, max;           /* true values, clamped ones included */
	u128 sum;                    /* exact sum of all counted values */
	u128 sumsq;                  /* exact sum of squares, see sumsq_ld */
	long double sumsq_ld;        /* squares that did not fit sumsq; 0 while exact */
};

_Static_assert(HIST_NBUCKETS % HIST_SUB == 0, "histogram is made of whole blocks");

static inline unsigned bucket_of(uint64_t v)
{
	unsigned shift = 63 - HIST_SUB_BITS - __builtin_clzll(v | HIST_SUB);

	return (shift << HIST_SUB_BITS) + (unsigned)(v >> shift);
}

unsigned hist_bucket(uint64_t v)
{
	if (v >= HIST_TOP)
		return HIST_NBUCKETS - 1;
	return bucket_of(v);
}

uint64_t hist_bucket_lo(unsigned idx)
{
	unsigned shift;

	if (idx >= HIST_NBUCKETS)
		return HIST_TOP;
	if (idx < 2 * HIST_SUB)
		return idx;
	shift = (idx >> HIST_SUB_BITS) - 1;
	return (uint64_t)(idx - (shift << HIST_SUB_BITS)) << shift;
}

uint64_t hist_bucket_hi(unsigned idx)
{
	unsigned shift;

	if (idx >= HIST_NBUCKETS)
		return HIST_TOP;
	if (idx < 2 * HIST_SUB)
		return idx + 1;
	shift = (idx >> HIST_SUB_BITS) - 1;
	return (uint64_t)(idx - (shift << HIST_SUB_BITS) + 1) << shift;
}

struct hist *hist_new(void)
{
	struct hist *h = calloc(1, sizeof(*h));

	if (h)
		h->min = UINT64_MAX;
	return h;
}

void hist_free(struct hist *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < HIST_NBLOCKS; i++)
		free(h->blk[i]);
	free(h);
}

/* Empties the histogram but keeps its blocks, so refilling it allocates nothing. */
void hist_reset(struct hist *h)
{
	for (unsigned i = 0; i < HIST_NBLOCKS; i++)
		if (h->blk[i])
			memset(h->blk[i], 0, HIST_SUB * sizeof(uint64_t));
	h->count = h->lost = h->clamped = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = h->sumsq = 0;
	h->sumsq_ld = 0;
}

static uint64_t *block_get(struct hist *h, unsigned b)
{
	if (!h->blk[b])
		h->blk[b] = calloc(HIST_SUB, sizeof(uint64_t));
	return h->blk[b];
}

static void sumsq_add(struct hist *h, u128 add)
{
	if (h->sumsq > ~(u128)0 - add)
		h->sumsq_ld += (long double)add;
	else
		h->sumsq += add;
}

/* The general path: any n, clamped values, first use of a block. */
int hist_add_n(struct hist *h, uint64_t v, uint64_t n)
{
	unsigned idx = hist_bucket(v);
	uint64_t *blk;
	u128 sq;

	if (!n)
		return 0;
	blk = block_get(h, idx >> HIST_SUB_BITS);
	if (!blk) {
		h->lost += n;
		return -ENOMEM;
	}
	blk[idx & (HIST_SUB - 1)] += n;
	h->count += n;
	h->sum += (u128)v * n;
	if (v >= HIST_TOP) {
		h->clamped += n;
		h->sumsq_ld += (long double)v * v * n;
	} else {
		sq = (u128)v * v;
		if (sq && n > ~(u128)0 / sq)
			h->sumsq_ld += (long double)v * v * n;
		else
			sumsq_add(h, sq * n);
	}
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	return 0;
}

/* The hot path: once v's block exists, a handful of instructions and no branch that
 * depends on the value except the rarely taken range check. */
int hist_add(struct hist *h, uint64_t v)
{
	unsigned idx;
	uint64_t *blk;

	if (__builtin_expect(v >= HIST_TOP, 0))
		return hist_add_n(h, v, 1);
	idx = bucket_of(v);
	blk = h->blk[idx >> HIST_SUB_BITS];
	if (__builtin_expect(!blk, 0))
		return hist_add_n(h, v, 1);
	blk[idx & (HIST_SUB - 1)]++;
	h->count++;
	h->sum += v;
	h->sumsq += (u128)v * v;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
	return 0;
}

/* dst += src. All blocks dst needs are allocated first, so on -ENOMEM dst is unchanged. */
int hist_merge(struct hist *dst, const struct hist *src)
{
	if (dst == src)
		return -EINVAL;
	for (unsigned b = 0; b < HIST_NBLOCKS; b++)
		if (src->blk[b] && !block_get(dst, b))
			return -ENOMEM;
	for (unsigned b = 0; b < HIST_NBLOCKS; b++) {
		if (!src->blk[b])
			continue;
		for (unsigned i = 0; i < HIST_SUB; i++)
			dst->blk[b][i] += src->blk[b][i];
	}
	dst->count += src->count;
	dst->lost += src->lost;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	sumsq_add(dst, src->sumsq);
	dst->sumsq_ld += src->sumsq_ld;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t hist_count(const struct hist *h)
{
	return h->count;
}

uint64_t hist_lost(const struct hist *h)
{
	return h->lost;
}

uint64_t hist_clamped(const struct hist *h)
{
	return h->clamped;
}

uint64_t hist_min(const struct hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h->max;
}

double hist_mean(const struct hist *h)
{
	if (!h->count)
		return 0;
	return (double)((long double)h->sum / (long double)h->count);
}

/*
 * Population variance without cancellation: with S1 = q*n + r (0 <= r < n),
 *	n * var = S2 - S1^2 / n = S2 - q * (S1 + r) - r^2 / n
 * where S2 - q * (S1 + r) is computed exactly in 128 bits (it is >= r^2/n >= 0, and
 * q * (S1 + r) <= S1^2 / n <= S2 cannot overflow), leaving only the small last term and
 * the final division to floating point.
 */
double hist_stddev(const struct hist *h)
{
	u128 n = h->count, q, r, t;
	long double m2, mean;

	if (n < 2)
		return 0;
	if (h->sumsq_ld != 0) {
		mean = (long double)h->sum / (long double)n;
		m2 = ((long double)h->sumsq + h->sumsq_ld) / (long double)n - mean * mean;
		return m2 > 0 ? (double)sqrtl(m2) : 0;
	}
	q = h->sum / n;
	r = h->sum % n;
	t = h->sumsq - q * (h->sum + r);
	m2 = (long double)t - (long double)(r * r) / (long double)n;
	if (m2 <= 0)
		return 0;
	return (double)sqrtl(m2 / (long double)n);
}

uint64_t hist_rank(uint64_t count, double q)
{
	long double x, r;

	if (!count)
		return 0;
	if (!(q > 0))
		return 1;
	if (q >= 1)
		return count;
	/* q is a binary fraction: 0.9 is 0.9000000000000000222, and 0.9 * 10 must give 9.
	 * Intended products are multiples of 1e-4 or coarser, so forgive 1e-15 relative. */
	x = (long double)q * (long double)count;
	r = ceill(x - x * 1e-15L);
	if (r < 1)
		return 1;
	if (r >= (long double)count)
		return count;
	return (uint64_t)r;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, mid;

	if (!h->count)
		return 0;
	if (!(q > 0))
		return h->min;
	if (q >= 1)
		return h->max;
	rank = hist_rank(h->count, q);
	for (unsigned b = 0; b < HIST_NBLOCKS; b++) {
		if (!h->blk[b])
			continue;
		for (unsigned i = 0; i < HIST_SUB; i++) {
			seen += h->blk[b][i];
			if (seen < rank)
				continue;
			lo = hist_bucket_lo(b * HIST_SUB + i);
			mid = lo + (hist_bucket_hi(b * HIST_SUB + i) - lo) / 2;
			if (mid < h->min)
				return h->min;
			if (mid > h->max)
				return h->max;
			return mid;
		}
	}
	return h->max; /* not reached: the buckets hold count values */
}

uint64_t hist_bucket_count(const struct hist *h, unsigned idx)
{
	if (idx >= HIST_NBUCKETS || !h->blk[idx >> HIST_SUB_BITS])
		return 0;
	return h->blk[idx >> HIST_SUB_BITS][idx & (HIST_SUB - 1)];
}

size_t hist_bytes(const struct hist *h)
{
	size_t bytes = sizeof(*h);

	for (unsigned i = 0; i < HIST_NBLOCKS; i++)
		if (h->blk[i])
			bytes += HIST_SUB * sizeof(uint64_t);
	return bytes;
}
