// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Sums of struct ops_bd (see breakdown.h). */
#include "breakdown.h"

/*
 * ops_bd_add treats struct ops_bd as an array of uint64_t counters, which it is: every
 * field is one. This count makes the build stop when a field is added, so whoever adds
 * it checks that it is a uint64_t counter that sums (then bump the count here).
 */
#define OPS_BD_NFIELDS (15 + OPS_BD_BLK)
_Static_assert(sizeof(struct ops_bd) == OPS_BD_NFIELDS * sizeof(uint64_t),
	       "struct ops_bd changed: every field must be a summable uint64_t; update OPS_BD_NFIELDS");

void ops_bd_add(struct ops_bd *dst, const struct ops_bd *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (unsigned i = 0; i < OPS_BD_NFIELDS; i++)
		d[i] += s[i];
}
