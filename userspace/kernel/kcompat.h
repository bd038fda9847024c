/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel compatibility, the userspace half of bpf/compat.bpf.h: what the running
 * kernel's BTF says about the things that changed across versions and that CO-RE cannot
 * decide inside the programs, read before load. Prefix kcompat_.
 */
#ifndef OPSCOPE_KCOMPAT_H
#define OPSCOPE_KCOMPAT_H

#include <stdbool.h>
#include <stddef.h>

/* The oldest kernel the BPF programs load on (docs/ARCHITECTURE.md, "Kernels", says
 * why): the one place the number is written in code. */
#define KCOMPAT_MIN_KERNEL "5.15"

struct btf;

/* The loader's .rodata knobs for bpf/compat.bpf.h. */
struct kcompat {
	bool switch_has_prev_state; /* sched_switch has its prev_state argument (5.18+) */
	bool task_work;             /* BPF programs can schedule task work (6.18+) */
};

/*
 * Read the kernel's BTF (btf: /sys/kernel/btf/vmlinux, loaded by the caller) and fill
 * *kc. Returns 0, or -ENOTSUP with one sentence in why (what is missing, what to do)
 * when the kernel lacks something the programs cannot count without.
 */
int kcompat_check(const struct btf *btf, struct kcompat *kc, char *why, size_t len);

#endif
