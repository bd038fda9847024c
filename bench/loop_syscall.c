// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Syscall-heavy loop for the overhead benchmark: N getppid() calls, prints ns/op. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kernel/oprec.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	uint64_t t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: loop_syscall COUNT (a positive number of syscalls)\n");
		return 2;
	}
	t0 = ops_now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	t1 = ops_now_ns();
	printf("RESULT ns_per_op=%.1f ops=%ld\n", (double)(t1 - t0) / n, n);
	return 0;
}
