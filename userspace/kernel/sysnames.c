// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include "kernel/breakdown.h"
#include "kernel/sysnames.h"

struct sysname {
	int nr;
	const char *name;
};

#define S(x) { SYS_##x, #x }
/* The syscalls a profiled thread plausibly blocks in or maps memory with. */
static const struct sysname names[] = {
	S(read), S(write), S(readv), S(writev), S(pread64), S(pwrite64), S(preadv), S(pwritev),
	S(futex), S(nanosleep), S(clock_nanosleep), S(sched_yield), S(poll), S(ppoll),
	S(epoll_wait), S(epoll_pwait), S(epoll_pwait2), S(pselect6), S(recvfrom), S(recvmsg),
	S(recvmmsg), S(sendto), S(sendmsg), S(sendmmsg), S(accept), S(accept4), S(connect),
	S(wait4), S(waitid), S(openat), S(close), S(fsync), S(fdatasync), S(mmap), S(munmap),
	S(mremap), S(brk), S(madvise), S(mprotect), S(ioctl), S(io_uring_enter), S(io_getevents),
	S(rt_sigtimedwait), S(rt_sigsuspend), S(msgrcv), S(msgsnd), S(semop), S(semtimedop),
	S(getrandom), S(clone), S(clone3), S(execve), S(exit), S(exit_group), S(splice),
	S(sendfile), S(copy_file_range), S(fallocate), S(flock), S(fcntl), S(statx), S(newfstatat),
	S(getdents64), S(bpf), S(perf_event_open), S(gettid), S(getpid), S(membarrier),
#ifdef SYS_select
	S(select),
#endif
#ifdef SYS_pause
	S(pause),
#endif
};
#undef S

const char *sysnames_of_nr(int nr)
{
	static __thread char buf[24];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	snprintf(buf, sizeof(buf), "syscall_%d", nr);
	return buf;
}

/* blk index -> syscall nr + 1 (0: unassigned); index 0 and OPS_BLK_OTHER stay 0. */
static atomic_int blk_nr_tab[OPS_BD_BLK];

int sysnames_blk_index(int nr)
{
	if (nr < 0)
		return OPS_BLK_NOSYS;
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
