// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Aggregation of one operation kind (see opagg.h).
 *
 * Bands are defined on ranks, the same ranks hist_quantile reports: with n operations
 * sorted by latency and r(q) = hist_rank(n, q), band BAND_P50 holds ranks 1..r(0.5),
 * BAND_P90 holds r(0.5)+1..r(0.9), and so on up to BAND_MAX which ends at rank n. So the
 * counts per band are exact and add up to n, and every operation in band b has a latency
 * in the fine bucket of band_hi[b] or below it.
 *
 * The breakdown is summed per coarse bucket; the operations of one coarse bucket occupy a
 * contiguous range of ranks, so a coarse bucket lies in one band or straddles one or more
 * band edges. A straddling bucket's sums are split in proportion to how many of its ranks
 * fall into each band; the last band it touches gets the remainder, so band sums always
 * add up to the total exactly.
 *
 * Memory: a chunk (summed breakdown plus exemplar, 512 bytes) per coarse bucket, allocated
 * when the first operation lands in it; after that op_agg_add allocates nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/opagg.h"

const char *const ops_band_names[BAND_NR] = { "le-p50", "p50-p90", "p90-p99", "p99-p999",
					     "gt-p999" };

#define BD_NFIELDS (sizeof(struct ops_bd) / sizeof(uint64_t))
#define COARSE_FINE (1u << OPAGG_COARSE_SHIFT)
/* the field loops below rely on these (breakdown.c checks that every field is a u64) */
_Static_assert(offsetof(struct ops_bd, n) == 0, "ops_bd.n must be the first field");
_Static_assert(sizeof(struct ops_bd) % sizeof(uint64_t) == 0, "ops_bd is made of u64");

struct opagg_chunk {
	struct ops_bd sum; /* every operation that landed in this coarse bucket */
	struct ops_bd ex;  /* one of them: the latest power-of-two-th (ex.n == 0: none yet) */
	struct ops_wbd *w; /* run --why: why they waited, allocated with the first such op */
};

struct op_agg {
	struct hist *h;
	uint64_t errors;
	uint64_t lost; /* ops dropped because their chunk could not be allocated */
	struct opagg_chunk *chunk[OPAGG_NCOARSE];
};

struct op_agg *op_agg_new(void)
{
	struct op_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->h = hist_new();
	if (!a->h) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void op_agg_free(struct op_agg *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < OPAGG_NCOARSE; i++) {
		if (a->chunk[i])
			free(a->chunk[i]->w);
		free(a->chunk[i]);
	}
	hist_free(a->h);
	free(a);
}

static struct opagg_chunk *chunk_get(struct op_agg *a, unsigned ci)
{
	if (!a->chunk[ci])
		a->chunk[ci] = calloc(1, sizeof(struct opagg_chunk));
	return a->chunk[ci];
}

int op_agg_add(struct op_agg *a, const struct ops_bd *bd)
{
	unsigned ci = hist_bucket(bd->lat_ns) >> OPAGG_COARSE_SHIFT;
	struct opagg_chunk *c = a->chunk[ci];
	int err;

	if (__builtin_expect(bd->n != 1, 0))
		return -EINVAL;
	if (__builtin_expect(!c, 0)) {
		c = chunk_get(a, ci);
		if (!c) {
			a->lost++;
			return -ENOMEM;
		}
	}
	err = hist_add(a->h, bd->lat_ns);
	if (err)
		return err; /* counted in hist_lost() */
	ops_bd_add(&c->sum, bd);
	/* Refresh the exemplar at the 1st, 2nd, 4th, 8th ... op of the bucket: always a
	 * real operation, without copying 256 bytes on every one. */
	if (!(c->sum.n & (c->sum.n - 1)))
		c->ex = *bd;
	return 0;
}

int op_agg_add_why(struct op_agg *a, const struct ops_bd *bd, const struct ops_wbd *w)
{
	unsigned ci = hist_bucket(bd->lat_ns) >> OPAGG_COARSE_SHIFT;
	struct opagg_chunk *c = chunk_get(a, ci);
	int err;

	if (!c || (!c->w && !(c->w = calloc(1, sizeof(*c->w))))) {
		a->lost++;
		return -ENOMEM;
	}
	err = op_agg_add(a, bd);
	if (!err)
		ops_wbd_add(c->w, w);
	return err;
}

void op_agg_add_error(struct op_agg *a)
{
	a->errors++;
}

/* dst += src. Chunks and histogram blocks are allocated before anything is added, so
 * on -ENOMEM dst holds what it held (plus empty chunks). */
int op_agg_merge(struct op_agg *dst, const struct op_agg *src)
{
	int err;

	if (dst == src)
		return -EINVAL;
	for (unsigned i = 0; i < OPAGG_NCOARSE; i++) {
		if (src->chunk[i] && !chunk_get(dst, i))
			return -ENOMEM;
		if (src->chunk[i] && src->chunk[i]->w && !dst->chunk[i]->w &&
		    !(dst->chunk[i]->w = calloc(1, sizeof(struct ops_wbd))))
			return -ENOMEM;
	}
	err = hist_merge(dst->h, src->h);
	if (err)
		return err;
	for (unsigned i = 0; i < OPAGG_NCOARSE; i++) {
		const struct opagg_chunk *s = src->chunk[i];
		struct opagg_chunk *d = dst->chunk[i];

		if (!s)
			continue;
		ops_bd_add(&d->sum, &s->sum);
		if (s->w)
			ops_wbd_add(d->w, s->w);
		if (!d->ex.n && s->ex.n)
			d->ex = s->ex;
	}
	dst->errors += src->errors;
	dst->lost += src->lost;
	return 0;
}

const struct hist *op_agg_hist(const struct op_agg *a)
{
	return a->h;
}

uint64_t op_agg_errors(const struct op_agg *a)
{
	return a->errors;
}

uint64_t op_agg_lost(const struct op_agg *a)
{
	return a->lost + hist_lost(a->h);
}

size_t op_agg_bytes(const struct op_agg *a)
{
	size_t bytes = sizeof(*a) + hist_bytes(a->h);

	for (unsigned i = 0; i < OPAGG_NCOARSE; i++) {
		if (a->chunk[i])
			bytes += sizeof(struct opagg_chunk);
		if (a->chunk[i] && a->chunk[i]->w)
			bytes += sizeof(struct ops_wbd);
	}
	return bytes;
}

static uint64_t coarse_count(const struct hist *h, unsigned ci)
{
	uint64_t n = 0;

	for (unsigned i = ci * COARSE_FINE; i < (ci + 1) * COARSE_FINE; i++)
		n += hist_bucket_count(h, i);
	return n;
}

/* dst += the share k/nc of src (k <= nc), field by field, and dst->n += k exactly (ops
 * are split by rank). done[] accumulates what was handed out per field, so the last
 * share of a bucket takes the remainder and the shares add up to src exactly. */
static void bd_add_share(struct ops_bd *dst, const struct ops_bd *src, uint64_t k, uint64_t nc,
			 uint64_t *done, int last)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	uint64_t part;

	for (unsigned f = 1; f < BD_NFIELDS; f++) {
		if (last)
			part = s[f] - done[f];
		else
			part = (uint64_t)((unsigned __int128)s[f] * k / nc);
		d[f] += part;
		done[f] += part;
	}
	dst->n += k;
}

/* The same for the why split (its n counts the ops that carried one). */
static void wbd_add_share(struct ops_wbd *dst, const struct ops_wbd *src, uint64_t k,
			  uint64_t nc, uint64_t *done, int last)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (unsigned f = 0; f < OPS_WBD_NFIELDS; f++) {
		uint64_t part = last ? s[f] - done[f] :
			(uint64_t)((unsigned __int128)s[f] * k / nc);

		d[f] += part;
		done[f] += part;
	}
}

static const struct ops_bd *nearest_exemplar(const struct op_agg *a, unsigned ci)
{
	for (unsigned d = 0; d < OPAGG_NCOARSE; d++) {
		if (ci >= d && a->chunk[ci - d] && a->chunk[ci - d]->ex.n)
			return &a->chunk[ci - d]->ex;
		if (ci + d < OPAGG_NCOARSE && a->chunk[ci + d] && a->chunk[ci + d]->ex.n)
			return &a->chunk[ci + d]->ex;
	}
	return NULL;
}

void op_agg_summarize(const struct op_agg *a, struct op_summary *s)
{
	static const double band_q[BAND_NR] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	const struct hist *h = a->h;
	uint64_t rank_hi[BAND_NR], seen = 0;
	unsigned ci_p50 = 0, ci_p99 = 0;
	const struct ops_bd *ex;

	memset(s, 0, sizeof(*s));
	s->errors = a->errors;
	s->count = hist_count(h);
	if (!s->count)
		return;
	s->min = hist_min(h);
	s->max = hist_max(h);
	s->p50 = hist_quantile(h, 0.5);
	s->p90 = hist_quantile(h, 0.9);
	s->p95 = hist_quantile(h, 0.95);
	s->p99 = hist_quantile(h, 0.99);
	s->p999 = hist_quantile(h, 0.999);
	s->mean = hist_mean(h);
	s->stddev = hist_stddev(h);
	s->band_hi[BAND_P50] = s->p50;
	s->band_hi[BAND_P90] = s->p90;
	s->band_hi[BAND_P99] = s->p99;
	s->band_hi[BAND_P999] = s->p999;
	s->band_hi[BAND_MAX] = s->max;
	for (int b = 0; b < BAND_NR; b++)
		rank_hi[b] = hist_rank(s->count, band_q[b]);

	for (unsigned ci = 0; ci < OPAGG_NCOARSE; ci++) {
		/* every bucket with ops has its chunk: op_agg_add and op_agg_merge allocate
		 * it before the histogram counts anything there */
		const struct opagg_chunk *c = a->chunk[ci];
		uint64_t nc = coarse_count(h, ci), done[BD_NFIELDS] = { 0 };
		uint64_t wdone[OPS_WBD_NFIELDS] = { 0 };
		uint64_t first = seen + 1, last = seen + nc; /* ranks held by this bucket */

		if (!nc)
			continue;
		seen = last;
		if (first <= rank_hi[BAND_P50] && rank_hi[BAND_P50] <= last)
			ci_p50 = ci;
		if (first <= rank_hi[BAND_P99] && rank_hi[BAND_P99] <= last)
			ci_p99 = ci;
		ops_bd_add(&s->total, &c->sum);
		if (c->w)
			ops_wbd_add(&s->wtotal, c->w);
		for (int b = 0; b < BAND_NR; b++) {
			uint64_t lo = b ? rank_hi[b - 1] + 1 : 1;
			uint64_t from = lo > first ? lo : first;
			uint64_t to = rank_hi[b] < last ? rank_hi[b] : last;

			/* the band holding rank `last` is the last one this bucket reaches */
			if (from <= to)
				bd_add_share(&s->band[b], &c->sum, to - from + 1, nc, done,
					     to == last);
			if (from <= to && c->w)
				wbd_add_share(&s->wband[b], c->w, to - from + 1, nc, wdone,
					      to == last);
		}
	}

	ex = nearest_exemplar(a, ci_p50);
	if (ex)
		s->ex_p50 = *ex;
	ex = nearest_exemplar(a, ci_p99);
	if (ex)
		s->ex_p99 = *ex;
}

double stats_mean(const double *v, int n)
{
	long double sum = 0;

	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	return (double)(sum / n);
}

double stats_stddev(const double *v, int n)
{
	long double mean, d, m2 = 0;

	if (n < 2)
		return 0;
	mean = stats_mean(v, n);
	for (int i = 0; i < n; i++) {
		d = v[i] - mean;
		m2 += d * d;
	}
	return (double)sqrtl(m2 / (n - 1));
}

double stats_cv(const double *v, int n)
{
	double mean = stats_mean(v, n);

	if (mean == 0)
		return 0;
	return stats_stddev(v, n) / mean;
}
