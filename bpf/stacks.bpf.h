/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Stacks: on-CPU samples, off-CPU intervals (blocked and run-queue), their wakers, and
 * user page faults, counted in-kernel by (stack, op kind, thread). Included by
 * opscope.bpf.c so each tracepoint runs one program. Everything here is off unless
 * the loader sets stacks_on; the verifier then drops it as dead code.
 *
 * Stacks are interned by a 64-bit hash of their frames (own table, no stack map
 * buckets to collide). Off-CPU kernel stacks are walked at switch-in, once the interval
 * is known to be worth it (>= min_block_ns): the thread is still parked in schedule(),
 * so bpf_get_task_stack() returns the stack it blocked with. Its user stack cannot be
 * read from another task: at its next sys_exit (the return of the syscall it blocked
 * in) when a sys_exit program runs; else with task work (6.18+) on the thread's way back
 * to user mode; else at the switch-out when it left the CPU outside a syscall.
 *
 * User stacks (x86_64): not walked here, since most code runs without frame pointers.
 * Each capture copies the user registers and the stack's live bytes into ustack_ring
 * (ustack_copy); the counts that use such a copy go through the ring too, after it, and
 * userspace unwinds the copies with the binaries' unwind tables and counts them. Other
 * architectures keep the frame-pointer walk.
 */
#ifndef OPSCOPE_STACKS_BPF_H
#define OPSCOPE_STACKS_BPF_H

#include "slots.bpf.h"

#define PF_KTHREAD 0x00200000

const volatile bool stacks_on = false;
const volatile bool fault_stacks = false;
const volatile bool waker_stacks = false;
const volatile __u64 min_block_ns = 0;
/* User stack copies each CPU may make per second (a token bucket with a tenth of a
 * second's worth of burst, which the ring holds); past it a capture walks frame pointers
 * instead, interned here as before. 0: no limit. */
const volatile __u32 ustack_rate = 0;

/*
 * Task work (kernel 6.18+, x86_64; the loader sets ustack_tw when the kernel has it): a
 * callback that runs in the thread's own context on its next return to user mode. An
 * off-CPU interval found worth a stack at switch-in schedules one, which copies the
 * user stack there: the same stack the thread left user mode with, whether it blocked
 * in a page fault, was preempted, or blocked in a syscall with no sys_exit program
 * loaded (--syscalls count or off). No copy at each switch-out outside a syscall, and no
 * sys_exit program for the stacks' sake. A task work costs microseconds here (an
 * interrupt to the CPU itself, an allocation, an RCU free), the sys_exit path nothing
 * beyond the hook already paid: with syscalls timed, an interval that began inside a
 * syscall still takes its stack at the sys_exit. At most tw_rate a second per CPU;
 * past it an interval is counted without its user stack (OPS_STAT_TW_THROTTLED).
 */
const volatile bool ustack_tw = false;
const volatile __u32 tw_rate = 0;

extern int bpf_task_work_schedule_resume_impl(struct task_struct *task,
					      struct bpf_task_work *tw, void *map__map,
					      bpf_task_work_callback_t callback,
					      void *aux__prog) __weak __ksym;

struct ustack_tw_val {
	struct bpf_task_work tw;
};

/* One per slot, indexed as the slots (the loader shrinks it to 1 without ustack_tw). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OPS_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct ustack_tw_val);
} ustack_tw_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OPS_MAX_STACKS);
	__type(key, __u64);
	__type(value, struct ops_stack);
} stack_tab SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OPS_MAX_STACK_KEYS);
	__type(key, struct ops_stack_key);
	__type(value, struct ops_stack_val);
} stack_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ops_stack);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OPS_URING_BYTES);
} ustack_ring SEC(".maps");

/* A copy being assembled: the record's header and room for the stack. */
struct ustack_buf {
	struct ops_urec_stack h;
	__u8 data[OPS_USTACK_MAX + 4096]; /* + a page: the verifier bounds offset and size apart */
	__u64 seq; /* this CPU's copies so far, for the ids */
	__u64 tokens_ts; /* the token bucket (ustack_budget) */
	__u64 tw_tokens_ts; /* the task works' (offcpu_tw_schedule) */
	/* 1 while a copy is being assembled: a program that interrupts it on this CPU (an
	 * on-CPU sample, or a fault after a preemption of the task work) must not write the
	 * same buffer; it takes the CPU's second one, or walks frame pointers if that is
	 * busy too */
	__u32 busy;
};

/* Two per CPU, 2 * CPU and the one after it for a copy that interrupts another on the
 * same CPU (a per-CPU array's values stop at 32 KiB); the loader sizes it to twice the
 * possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_buf);
} ustack_scratch SEC(".maps");

static __always_inline void stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += n;
}

/* Intern the stack in st (nr frames) and return its id, 0 on failure. */
static __noinline __u64 stack_intern(struct ops_stack *st)
{
	__u64 h = 0xcbf29ce484222325ull;
	__u32 n = st->nr;

	if (n == 0)
		return 0;
	for (__u32 i = 0; i < OPS_MAX_FRAMES; i++) {
		if (i >= n)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	h &= ~OPS_USTACK_COPY; /* that bit names user stack copies */
	if (!h)
		h = 1;
	if (bpf_map_update_elem(&stack_tab, &h, st, BPF_NOEXIST) == -7 /* E2BIG */) {
		stat_inc(OPS_STAT_STACKS_FULL);
		return 0;
	}
	return h;
}

static __always_inline struct ops_stack *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stack_scratch, &zero);
}

static __always_inline __u64 stack_fill(struct ops_stack *st, long len)
{
	if (len <= 0) {
		if (len < 0)
			stat_inc(OPS_STAT_STACK_FAIL);
		return 0;
	}
	st->nr = len / 8;
	return stack_intern(st);
}

/* The current thread's user stack by frame pointers, interned: the kernel's walk. */
static __always_inline __u64 ustack_walk(struct task_struct *t)
{
	struct ops_stack *st = scratch();

	if (!st)
		return 0;
	return stack_fill(st, bpf_get_task_stack(t, st->ips, sizeof(st->ips), BPF_F_USER_STACK));
}

#ifdef __TARGET_ARCH_x86
/*
 * Where the current thread's stack ends above sp, when known: the main thread's
 * mm->start_stack (argc; _start's frame sits just below), or for a thread of glibc's
 * the thread pointer, which points at its descriptor just above the stack and its
 * static TLS. Copying to there copies no more than the stack in use. 0: not known.
 */
static __always_inline __u64 ustack_top(struct task_struct *t, __u64 sp)
{
	__u64 top;

	if (t->pid == t->tgid)
		top = t->mm ? t->mm->start_stack + 64 : 0;
	else
		top = t->thread.fsbase;
	return top > sp && top - sp <= OPS_USTACK_MAX ? top : 0;
}

/* Take a token from a bucket that fills at rate a second (*ts: the time at which it was
 * empty; it holds (now - *ts) * rate, up to 100 ms' worth). rate 0: no limit. */
static __always_inline bool bucket_take(__u64 *ts, __u32 rate)
{
	__u64 now, cost;

	if (!rate)
		return true;
	now = bpf_ktime_get_ns();
	cost = 1000000000ull / rate;
	if (now - *ts > 100000000ull)
		*ts = now - 100000000ull;
	if (now - *ts < cost)
		return false;
	*ts += cost;
	return true;
}

/* A token for one copy from this CPU's bucket. */
static __always_inline bool ustack_budget(struct ustack_buf *b)
{
	return bucket_take(&b->tokens_ts, ustack_rate);
}

/* Fill buffer b (ustack_scratch[idx]) with the current thread's user registers and live
 * stack and send it to the ring; returns the copy's id, 0 when lost. */
static __always_inline __u64 ustack_fill(struct task_struct *t, struct ustack_buf *b,
					 __u32 idx)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(t);
	__u32 len = 0, want = OPS_USTACK_MAX;
	__u64 sp = r->sp, top;

	b->h.regs[0] = r->ax;
	b->h.regs[1] = r->dx;
	b->h.regs[2] = r->cx;
	b->h.regs[3] = r->bx;
	b->h.regs[4] = r->si;
	b->h.regs[5] = r->di;
	b->h.regs[6] = r->bp;
	b->h.regs[7] = sp;
	b->h.regs[8] = r->r8;
	b->h.regs[9] = r->r9;
	b->h.regs[10] = r->r10;
	b->h.regs[11] = r->r11;
	b->h.regs[12] = r->r12;
	b->h.regs[13] = r->r13;
	b->h.regs[14] = r->r14;
	b->h.regs[15] = r->r15;
	b->h.regs[16] = r->ip;
	top = ustack_top(t, sp);
	if (top)
		want = top - sp;
	for (int i = 0; i < OPS_USTACK_MAX / 4096 + 1; i++) {
		__u32 n = 4096 - ((sp + len) & 4095);

		if (len >= want)
			break;
		if (n > want - len)
			n = want - len;
		len &= OPS_USTACK_MAX - 1;
		if (n > 4096 || len + n > OPS_USTACK_MAX)
			break;
		if (bpf_probe_read_user(b->data + len, n, (void *)(sp + len)))
			break;
		len += n;
	}
	b->h.rec = OPS_UREC_STACK;
	b->h.len = len;
	b->h.top_known = top && len == want;
	b->h.tid = t->pid;
	b->h.id = OPS_USTACK_COPY | (__u64)idx << 48 |
		  (++b->seq & ((1ull << 48) - 1));
	if (len > OPS_USTACK_MAX)
		return 0;
	if (bpf_ringbuf_output(&ustack_ring, b, sizeof(b->h) + len, BPF_RB_NO_WAKEUP)) {
		stat_inc(OPS_STAT_USTACK_LOST);
		return 0;
	}
	stat_add(OPS_STAT_USTACK_BYTES, len);
	return b->h.id;
}

/*
 * Copy the current thread's user registers and live stack into the ring; returns the
 * copy's id for the counts to name, 0 when lost (past the copy rate: the frame-pointer
 * walk's interned id). The stack is read page by page, so a stack whose top is unknown
 * and lies below OPS_USTACK_MAX still yields what is mapped.
 */
static __noinline __u64 ustack_copy(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 idx = 2 * bpf_get_smp_processor_id();
	struct ustack_buf *home = bpf_map_lookup_elem(&ustack_scratch, &idx), *b = home;
	__u64 id;

	if (!b || (t->flags & PF_KTHREAD))
		return 0;
	if (!ustack_budget(home)) {
		stat_inc(OPS_STAT_USTACK_THROTTLED);
		return ustack_walk(t);
	}
	if (__sync_val_compare_and_swap(&b->busy, 0, 1) != 0) {
		/* a copy interrupted on this CPU (an on-CPU sample inside a fault's copy, a
		 * fault after a preemption of the task work): the CPU's second buffer */
		idx++;
		b = bpf_map_lookup_elem(&ustack_scratch, &idx);
		if (!b || __sync_val_compare_and_swap(&b->busy, 0, 1) != 0) {
			stat_inc(OPS_STAT_USTACK_THROTTLED);
			return ustack_walk(t);
		}
	}
	id = ustack_fill(t, b, idx);
	b->busy = 0;
	return id;
}
#endif

/* Stacks of the current task. */
static __always_inline __u64 cur_stack(void *ctx, bool user)
{
	struct ops_stack *st;

#ifdef __TARGET_ARCH_x86
	if (user)
		return ustack_copy();
#endif
	st = scratch();
	if (!st)
		return 0;
	return stack_fill(st, bpf_get_stack(ctx, st->ips, sizeof(st->ips),
					    user ? BPF_F_USER_STACK : 0));
}

static __always_inline __u64 task_kstack(struct task_struct *t)
{
	struct ops_stack *st = scratch();

	if (!st)
		return 0;
	return stack_fill(st, bpf_get_task_stack(t, st->ips, sizeof(st->ips), 0));
}

static __always_inline void stack_count(__u32 type, __u32 kind, __u32 tid, __u32 waker,
					__u64 k, __u64 u, __u64 value)
{
	struct ops_stack_key key = {
		.kstack = k, .ustack = u, .type = type, .kind = kind, .tid = tid, .waker = waker,
	};
	struct ops_stack_val *v, init = { .value = value, .count = 1 };

	if (u & OPS_USTACK_COPY) {
		/* userspace counts it once it has unwound the copy, which is ahead in the ring */
		struct ops_urec_count rc = { .rec = OPS_UREC_COUNT, .key = key, .val = init };

		if (bpf_ringbuf_output(&ustack_ring, &rc, sizeof(rc), BPF_RB_NO_WAKEUP))
			stat_inc(OPS_STAT_UCOUNT_LOST);
		return;
	}
	v = bpf_map_lookup_elem(&stack_counts, &key);
	if (v) {
		__sync_fetch_and_add(&v->value, value);
		__sync_fetch_and_add(&v->count, 1);
		return;
	}
	if (bpf_map_update_elem(&stack_counts, &key, &init, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&stack_counts, &key);
		if (v) { /* another CPU inserted it first */
			__sync_fetch_and_add(&v->value, value);
			__sync_fetch_and_add(&v->count, 1);
		} else {
			stat_inc(OPS_STAT_KEYS_FULL);
		}
	}
}

/* struct ops_slot's pend: what takes the pending interval's user stack */
#define PEND_SYS_EXIT 1
#define PEND_TW 2

/* A pending off-CPU interval, taken out of its slot. */
struct pend_iv {
	__u64 kstack, blocked, runq, wk, wu;
	__u32 waker, kind, tid;
};

static __always_inline void pend_take(struct ops_slot *s, struct pend_iv *p)
{
	p->kstack = s->pend_kstack;
	p->blocked = s->pend_blocked;
	p->runq = s->pend_runq;
	p->wk = s->pend_wk;
	p->wu = s->pend_wu;
	p->waker = s->pend_waker;
	p->kind = s->pend_kind;
	p->tid = s->tid;
	s->pend = 0;
	s->pend_waker = 0;
}

/* Count a pending off-CPU interval with user stack u (0: unknown). */
static __always_inline void pend_emit(const struct pend_iv *p, __u64 u)
{
	if (p->blocked)
		stack_count(OPS_ST_BLOCKED, p->kind, p->tid, 0, p->kstack, u, p->blocked);
	if (p->runq)
		stack_count(OPS_ST_RUNQ, p->kind, p->tid, 0, p->kstack, u, p->runq);
	if (p->waker)
		stack_count(OPS_ST_WAKER, p->kind, p->tid, p->waker, p->wk, p->wu, p->blocked);
}

static __always_inline void offcpu_emit(struct ops_slot *s, __u64 u)
{
	struct pend_iv p;

	pend_take(s, &p);
	pend_emit(&p, u);
}

#ifdef __TARGET_ARCH_x86
/* The task work: in the thread's context, on its way back to user mode. The interval is
 * taken out of the slot first, so that one which ends while this runs (the thread
 * preempted here) is a new one, not added to this after it was counted. */
static int ustack_tw_cb(struct bpf_map *map, void *key, void *value)
{
	struct ops_slot *s = bpf_map_lookup_elem(&slots, key);
	struct pend_iv p;

	if (!s || s->tid != (__u32)bpf_get_current_pid_tgid() || s->pend != PEND_TW)
		return 0;
	pend_take(s, &p);
	pend_emit(&p, ustack_copy());
	return 0;
}

/* Take a token for one task work from this CPU's bucket (as ustack_budget). */
static __always_inline bool tw_budget(void)
{
	__u32 idx = 2 * bpf_get_smp_processor_id();
	struct ustack_buf *b = bpf_map_lookup_elem(&ustack_scratch, &idx);

	return b && bucket_take(&b->tw_tokens_ts, tw_rate);
}
#endif

/* Keep s's interval pending until t's next return to user mode copies its user stack;
 * past the rate, or if the work cannot be scheduled, count the interval now without it
 * (and why). */
static __always_inline void offcpu_tw_schedule(struct ops_slot *s, struct task_struct *t)
{
#ifdef __TARGET_ARCH_x86
	__u32 tid = t->pid, *ix = bpf_map_lookup_elem(&tid_idx, &tid), idx;
	struct ustack_tw_val *v;

	if (!tw_budget()) {
		stat_inc(OPS_STAT_TW_THROTTLED);
		offcpu_emit(s, 0);
		return;
	}
	s->pend = PEND_TW;
	if (ix && *ix) {
		idx = *ix - 1;
		v = bpf_map_lookup_elem(&ustack_tw_map, &idx);
		if (v && !bpf_task_work_schedule_resume_impl(t, &v->tw, &ustack_tw_map,
							     ustack_tw_cb, NULL))
			return;
	}
	stat_inc(OPS_STAT_USTACK_LOST);
#endif
	offcpu_emit(s, 0);
}

/*
 * At switch-in of t (its slot s, before the counters move on): if the interval that ends
 * now is worth a stack, walk t's kernel stack and keep the interval pending until the
 * thread's user stack can be taken.
 */
static __always_inline void offcpu_switch_in(struct ops_slot *s, struct task_struct *t,
					     __u64 now)
{
	__u64 blocked, runq;

	/* Called with s RUNNABLE since wake_ts (blocked before, if woken), or RUNNING
	 * when its switch-out escaped us (then there is no interval to speak of). */
	if (!stacks_on || s->state != OPS_T_RUNNABLE)
		return;
	blocked = s->wake_ts - s->out_ts;
	runq = now - s->wake_ts;
	if (s->pend) {
		/* Still inside the syscall it blocked in (preempted, or blocked again,
		 * before returning): the same user stack applies, so add to it. */
		s->pend_blocked += blocked;
		s->pend_runq += runq;
		s->wake_pid = 0;
		return;
	}
	if (now - s->out_ts < min_block_ns) {
		s->wake_pid = 0;
		return;
	}
	s->pend_kstack = task_kstack(t);
	s->pend_blocked = blocked;
	s->pend_runq = runq;
	s->pend_kind = s->op_kind;
	s->pend_waker = s->wake_pid;
	s->pend_wk = s->wake_k;
	s->pend_wu = s->wake_u;
	s->wake_pid = 0;
	/* In a syscall with sys_exit loaded: its return gives the user stack. Otherwise
	 * (preempted in user mode, blocked in a fault, or no sys_exit) a task work takes
	 * it, or without one it was copied at the switch-out, if at all. */
	if (s->out_insys)
		s->pend = PEND_SYS_EXIT;
	else if (ustack_tw)
		offcpu_tw_schedule(s, t);
	else
		offcpu_emit(s, s->out_u);
}

/*
 * At the switch-out of s's thread t, the current task: a thread that leaves the CPU
 * inside a syscall keeps its user stack until the syscall returns, where it is taken if
 * the interval proves long enough. One preempted in user mode, or blocked in a page
 * fault, resumes user code on return, so no later moment of its own sees that stack:
 * copy it now, from its own address space, whatever the interval's length. Involuntary
 * switches are the rarer kind (ticks, wakeup preemption), and a copy costs about as much
 * as a frame-pointer walk.
 */
static __always_inline void offcpu_switch_out(struct ops_slot *s, struct task_struct *t)
{
	if (!stacks_on)
		return;
	if (ustack_tw) {
		/* sys_exit is loaded only with syscalls timed, and then sys_nr says exactly
		 * whether the thread is between a syscall's entry and exit */
		s->out_insys = sys_mode == OPS_SYS_TIME && s->sys_nr >= 0;
		return;
	}
	s->out_u = 0;
	/* not from the syscall number alone: it stays after the call returns, and a
	 * thread preempted on its way out would wait for the next call's sys_exit, which
	 * would give its user stack (and its kernel stack, of this switch) to that call */
	s->out_insys = task_in_syscall(t);
#ifdef __TARGET_ARCH_x86
	if (!s->out_insys && !s->pend)
		s->out_u = ustack_copy();
#endif
}

/* The thread's last switch: an interval still waiting for its user stack (the thread
 * ended without returning to user mode) is counted without one, and the loss with it. */
static __always_inline void offcpu_gone(struct ops_slot *s)
{
	if (!stacks_on || !s->pend)
		return;
	stat_inc(OPS_STAT_USTACK_LOST);
	offcpu_emit(s, 0);
}

static __always_inline void offcpu_sys_exit(void *ctx, struct ops_slot *s)
{
	if (!stacks_on || s->pend != PEND_SYS_EXIT)
		return;
	offcpu_emit(s, cur_stack(ctx, true));
}

/* At the wakeup of blocked thread s by the current task: remember who woke it. */
static __always_inline void waker_note(void *ctx, struct ops_slot *s, __u64 now)
{
	if (!stacks_on || !waker_stacks || now - s->out_ts < min_block_ns)
		return;
	/* The waker's user stack says who made us wait; its kernel stack is nearly
	 * always futex_wake -> try_to_wake_up, worth a walk only when there is no user
	 * stack (a timer, an interrupt, a kernel thread, another process). */
	__u64 id = bpf_get_current_pid_tgid();

	s->wake_pid = (__u32)id;
	/* the idle task and kernel threads have no user stack to walk; another process's
	 * user stack could not be named with the target's binaries */
	s->wake_u = !s->wake_pid || (bpf_get_current_task_btf()->flags & PF_KTHREAD) ||
		    !is_target_tgid(id >> 32) ? 0 : cur_stack(ctx, true);
	s->wake_k = s->wake_u ? 0 : cur_stack(ctx, false);
	if (!s->wake_pid)
		s->wake_pid = 0xffffffff; /* woken from interrupt context on an idle CPU */
}

#endif /* OPSCOPE_STACKS_BPF_H */
