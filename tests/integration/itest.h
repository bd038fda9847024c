/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The integration tests' check: prints ok or FAIL with what was measured, so a failure
 * says by how much; main() ends with ITEST_RESULT() ("N passed, N failed").
 */
#ifndef OPSCOPE_ITEST_H
#define OPSCOPE_ITEST_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                \
	do {                                            \
		if (cond) {                             \
			passed++;                       \
			printf("  ok    ");             \
		} else {                                \
			failed++;                       \
			printf("  FAIL  ");             \
		}                                       \
		printf(__VA_ARGS__);                    \
		printf("\n");                           \
	} while (0)

#endif
