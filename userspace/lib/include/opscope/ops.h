/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libopscope: mark your program's own operations so that `opscope record` explains each
 * one from the kernel's side (on-CPU, waiting for a CPU, blocked and in which syscall,
 * syscalls, page faults, context switches), per operation kind, with the p50 and p99
 * operation and every latency band, exactly as `opscope run` does for its own workloads.
 * See docs/INSTRUMENTING.md.
 *
 *	static int k_parse;
 *	k_parse = opscope_kind("parse");          // once: a name -> a small id
 *
 *	opscope_op op;                           // the caller's storage (stack is fine)
 *	opscope_begin(&op, k_parse);
 *	... the operation ...
 *	opscope_end(&op);
 *
 * An operation handed to another thread (a pool call): begin and end it where it is
 * submitted and completed, and mark where it runs with exec_begin/exec_end on the thread
 * that runs it (the same opscope_op, shared with that thread like the task itself). Its
 * breakdown is then the running thread's, and the rest of its latency counts as queued.
 *
 * Without opscope attached each call reads one word and returns: no clock read, no
 * syscall, no error, no output. Attached, a thread's first call registers it once (a few
 * syscalls, outside any operation); after that no call makes a syscall. Every function
 * is thread-safe, returns nothing that needs checking and never blocks. Mistakes (an end
 * without its begin, an unknown kind, an operation still open at exit) are counted and
 * printed in opscope's report, never a crash.
 *
 * C and C++ (the header is extern "C"). Link with -lopscope (pkg-config opscope).
 */
#ifndef OPSCOPE_OPS_H
#define OPSCOPE_OPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface. The inline functions below pass it to the library, which
 * counts and ignores calls from a program built against another version. */
#define OPSCOPE_ABI 1

/* Operation kinds: ids 1..OPSCOPE_KINDS_MAX-1. The last id collects the names that did not
 * fit (counted, reported as "other"). */
#define OPSCOPE_KINDS_MAX 64

/* One operation in flight. Its contents are the library's; keep it alive from begin to
 * end. 320 bytes: the thread's counters at begin. */
typedef struct opscope_op {
	uint64_t opaque[40];
} opscope_op;

/* The real entry points; call the inline wrappers below (other languages call these with
 * abi = OPSCOPE_ABI). */
int opscope_kind_v(const char *name, int abi);
void opscope_begin_v(opscope_op *op, int kind, int abi);
void opscope_end_v(opscope_op *op, int abi);
void opscope_end_failed_v(opscope_op *op, int abi);
void opscope_exec_begin_v(opscope_op *op, int abi);
void opscope_exec_end_v(opscope_op *op, int abi);

/*
 * The id of an operation kind, registered on first use (thread-safe; the same name gives
 * the same id). Names up to 47 bytes; use lowercase words joined by '.', such as
 * "db.query". Call it once per kind and keep the id: it takes a lock.
 */
static inline int opscope_kind(const char *name)
{
	return opscope_kind_v(name, OPSCOPE_ABI);
}

/* An operation of kind (an id from opscope_kind) begins on the calling thread. */
static inline void opscope_begin(opscope_op *op, int kind)
{
	opscope_begin_v(op, kind, OPSCOPE_ABI);
}

/* It ends (on the thread that began it, or on any thread when exec_begin/exec_end marked
 * where it ran). */
static inline void opscope_end(opscope_op *op)
{
	opscope_end_v(op, OPSCOPE_ABI);
}

/* It ends and failed: counted in the error rate, not in the latency percentiles. */
static inline void opscope_end_failed(opscope_op *op)
{
	opscope_end_failed_v(op, OPSCOPE_ABI);
}

/* The calling thread starts running an operation another thread began (a pool worker
 * taking a task). */
static inline void opscope_exec_begin(opscope_op *op)
{
	opscope_exec_begin_v(op, OPSCOPE_ABI);
}

/* ... and is done with it (before handing the result back). */
static inline void opscope_exec_end(opscope_op *op)
{
	opscope_exec_end_v(op, OPSCOPE_ABI);
}

#ifdef __cplusplus
}
#endif

#endif /* OPSCOPE_OPS_H */
