// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Sums of struct ops_bd (see breakdown.h). */
#include <string.h>

#include "kernel/breakdown.h"

/*
 * ops_bd_add treats struct ops_bd as an array of uint64_t counters, which it is: every
 * field is one. This count makes the build stop when a field is added, so whoever adds
 * it checks that it is a uint64_t counter that sums (then bump the count here).
 */
#define OPS_BD_NFIELDS (17 + OPS_BD_BLK)
_Static_assert(sizeof(struct ops_bd) == OPS_BD_NFIELDS * sizeof(uint64_t),
	       "struct ops_bd changed: every field must be a summable uint64_t; update OPS_BD_NFIELDS");

/* two counters at a time: this runs once per operation (op_agg_add), and the compiler
 * does not vectorize the plain loop at -O2; memcpy makes the loads alignment-free */
typedef uint64_t u64x2 __attribute__((vector_size(16)));

void ops_bd_add(struct ops_bd *dst, const struct ops_bd *src)
{
	unsigned char *d = (unsigned char *)dst;
	const unsigned char *s = (const unsigned char *)src;
	unsigned i;
	u64x2 a, b;

	for (i = 0; i + 2 <= OPS_BD_NFIELDS; i += 2) {
		memcpy(&a, d + i * sizeof(uint64_t), sizeof(a));
		memcpy(&b, s + i * sizeof(uint64_t), sizeof(b));
		a += b;
		memcpy(d + i * sizeof(uint64_t), &a, sizeof(a));
	}
	for (; i < OPS_BD_NFIELDS; i++)
		((uint64_t *)dst)[i] += ((const uint64_t *)src)[i];
}

void ops_wbd_add(struct ops_wbd *dst, const struct ops_wbd *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (unsigned i = 0; i < OPS_WBD_NFIELDS; i++)
		d[i] += s[i];
}
