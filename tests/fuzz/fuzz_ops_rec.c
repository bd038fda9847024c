// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The records a program writes into its rings (kernel/attach.c reads them from memory the
 * program shares, so they are input like any other): any bytes as a record and, after
 * it, its why record. A record that decodes has its latency as end - begin and
 * blocked-by-syscall parts that add up, without wrapping, to at least its blocked time
 * (more only where an on-CPU deficit was taken out of the blocked time); the why decodes
 * whatever it holds.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "kernel/attach.h"
#include "lib/ops_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opsp_rec r;
	struct opsp_why w;
	struct attach_op op;
	struct ops_wbd why;
	uint64_t sum = 0;

	if (size > sizeof(r) + sizeof(w))
		return 0;
	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	memcpy(&r, data, size < sizeof(r) ? size : sizeof(r));
	if (size > sizeof(r))
		memcpy(&w, data + sizeof(r), size - sizeof(r));
	if (attach_decode(&r, &op))
		return 0;
	FUZZ_CHECK(op.bd.lat_ns == r.end - r.begin);
	FUZZ_CHECK(op.bd.n == 1);
	for (int i = 0; i < OPS_BD_BLK; i++) {
		FUZZ_CHECK(!__builtin_add_overflow(sum, op.bd.blk_ns[i], &sum));
	}
	FUZZ_CHECK(sum >= op.bd.blocked_ns);
	attach_decode_why(&w, &op.bd, &why);
	FUZZ_CHECK(why.n == 1);
	return 0;
}
