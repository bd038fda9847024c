// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Page-fault-heavy loop for the overhead benchmark: map 1 MiB, touch every page, unmap;
 * prints ns per page fault. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kernel/oprec.h"

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	const size_t len = 1 << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t t0, t1;

	if (rounds <= 0) {
		fprintf(stderr, "usage: loop_fault ROUNDS (a positive number of 1 MiB rounds)\n");
		return 2;
	}
	t0 = ops_now_ns();
	for (long r = 0; r < rounds; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("loop_fault: mmap");
			return 1;
		}
		madvise(p, len, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < len; i += page)
			p[i] = 1;
		munmap(p, len);
	}
	t1 = ops_now_ns();
	printf("RESULT ns_per_op=%.1f ops=%ld\n", (double)(t1 - t0) / (rounds * (len / page)),
	       rounds * (long)(len / page));
	return 0;
}
