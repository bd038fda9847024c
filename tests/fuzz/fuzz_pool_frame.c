// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The process pool's frames (workloads/wl_pool_frame.c): any bytes as a call or a result
 * frame. A frame that parses encodes back to the same bytes (the flags' unused bits and
 * the reserved u16 aside), and the payload it names lies inside the input.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "workloads/wl_pool_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *b, *e;
	struct pool_result r;
	struct pool_call c;

	if (size < 8 || size > 1 << 16)
		return 0;
	b = malloc(size);
	e = malloc(size + POOL_RESULT_HDR + POOL_SNAPS_BYTES);
	if (!b || !e)
		goto out;
	memcpy(b, data, size);
	b[6] = b[7] = 0; /* reserved: not carried */
	if (pool_frame_call_parse(b, (uint32_t)size - 4, &c) == 0) {
		FUZZ_CHECK(c.payload + c.n == b + size);
		FUZZ_CHECK(pool_frame_call(e, &c) == size);
		FUZZ_CHECK(memcmp(e + 4, b + 4, size - 4) == 0);
	}
	if (pool_frame_result_parse(b, (uint32_t)size - 4, &r) == 0) {
		FUZZ_CHECK(r.payload + r.n <= b + size);
		FUZZ_CHECK(pool_frame_result(e, &r) == size);
		FUZZ_CHECK(memcmp(e + 8, b + 8, size - 8) == 0);
	}
out:
	free(b);
	free(e);
	return 0;
}
