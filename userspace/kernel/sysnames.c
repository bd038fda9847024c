// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Syscall names, from the kernel's own table: sysnames.gen.h is generated at build time
 * from the kernel headers' asm/unistd.h (Makefile), every __NR_ macro with its value.
 * And the process-wide table of blocked-in syscall indexes (sysnames.h).
 */
#include <asm/unistd.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include "kernel/breakdown.h"
#include "kernel/sysnames.h"

struct sysname {
	int nr;
	const char *name;
};

static const struct sysname names[] = {
#include "sysnames.gen.h"
};

const char *sysnames_of_nr(int nr)
{
	static __thread char buf[24];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	/* newer than the headers opscope was built with */
	snprintf(buf, sizeof(buf), "syscall_%d", nr);
	return buf;
}

/* blk index -> syscall nr + 1 (0: unassigned); index 0 and OPS_BLK_OTHER stay 0. */
static atomic_int blk_nr_tab[OPS_BD_BLK];

int sysnames_blk_index(int nr)
{
	if (nr < 0)
		return OPS_BLK_NOSYS;
	if (nr == INT_MAX)
		return OPS_BLK_OTHER; /* no syscall has it, and nr + 1 would overflow */
	for (int i = 1; i < OPS_BLK_OTHER; i++) {
		int cur = atomic_load_explicit(&blk_nr_tab[i], memory_order_acquire);

		if (cur == nr + 1)
			return i;
		if (cur == 0) {
			int expect = 0;

			if (atomic_compare_exchange_strong(&blk_nr_tab[i], &expect, nr + 1))
				return i;
			if (expect == nr + 1)
				return i;
		}
	}
	return OPS_BLK_OTHER;
}

int sysnames_blk_nr(int idx)
{
	if (idx <= 0 || idx >= OPS_BLK_OTHER)
		return -1;
	return atomic_load(&blk_nr_tab[idx]) - 1;
}

const char *sysnames_name(int idx)
{
	int nr;

	if (idx == OPS_BLK_NOSYS)
		return "(no syscall)";
	if (idx == OPS_BLK_OTHER)
		return "(other)";
	nr = sysnames_blk_nr(idx);
	return nr < 0 ? NULL : sysnames_of_nr(nr);
}
