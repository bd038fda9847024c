/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the libFuzzer harnesses share (tests/fuzz/fuzz_*.c, built by `make fuzz`): the
 * entry point's prototype, a NUL-terminated copy of the input, a stream over it, and
 * FUZZ_CHECK, which turns a broken promise (a writer's output that does not read back)
 * into a crash libFuzzer reports with its input.
 */
#ifndef OPSCOPE_FUZZ_H
#define OPSCOPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* The input as a C string (it may hold NUL bytes before the end); free it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* Split the input at its first "\n--\n" into two parts (b empty when there is none). */
static inline void fuzz_split(const uint8_t *data, size_t size, size_t *alen,
			      const uint8_t **b, size_t *blen)
{
	for (size_t i = 0; i + 4 <= size; i++) {
		if (!memcmp(data + i, "\n--\n", 4)) {
			*alen = i;
			*b = data + i + 4;
			*blen = size - i - 4;
			return;
		}
	}
	*alen = size;
	*b = data + size;
	*blen = 0;
}

#endif
