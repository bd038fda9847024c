/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Why a thread waited (run --why): at each wakeup of a blocked target thread, who ended
 * the interval, and what that waker was doing while the thread waited.
 *
 * The waker is read at sched_waking, which runs in the waker's context (sched_wakeup may
 * run later on the wakee's CPU, in whatever task is current there). An interrupt, a
 * timer or a softirq runs in the context of the task it hit, so that task is never the
 * waker: per-CPU depths kept by the irq_handler, softirq and hrtimer_expire tracepoints
 * say whether a wakeup comes from a hard interrupt (named by irq number), a softirq (by
 * vector; the timer softirqs count as timers) or a timer; then the idle task (an IPI),
 * kernel threads and other processes, each named as such. preempt_count would say
 * "in interrupt" without these programs, but it is a per-CPU variable, and typed ksyms
 * of data need CONFIG_KALLSYMS_ALL, which these kernels lack (docs/ARCHITECTURE.md).
 *
 * A waker that is a thread of the process: its state over the wakee's blocked interval
 * comes from its own slot, walking back from now over its off-CPU ring (OPS_OFF_RING
 * intervals: switched out, woken, back in, the syscall, who woke it): on a CPU (in its
 * op kind at the wakeup), waiting for a CPU, blocked (in which syscall, ended by whom:
 * the chain's second step). What the ring no longer holds is "unknown". The wakee's
 * slot adds it all to cumulative counters (struct ops_why_ctr), which an operation's two
 * snapshots turn into its own split, as for every other counter; and a hash counts the
 * wait per (wakee, waker) for the scenario's wait-for graph.
 *
 * Everything here is dead code unless the loader sets why_on, and its programs are
 * loaded only then.
 */
#ifndef OPSCOPE_WAKERS_BPF_H
#define OPSCOPE_WAKERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opscope.h"
#include "slots.bpf.h"

#ifndef PF_KTHREAD
#define PF_KTHREAD 0x00200000
#endif
/* softirq vectors that run timers (include/linux/interrupt.h) */
#define WHY_TIMER_SOFTIRQ 1
#define WHY_HRTIMER_SOFTIRQ 8

const volatile bool why_on = false;

/* Per CPU: how deep in hard interrupts, softirqs and timer expiries it is now. */
struct why_irqctx {
	__u32 hardirq, softirq, timer;
	__u32 irq, vec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct why_irqctx);
} why_irq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OPS_MAX_WAITFOR);
	__type(key, struct ops_waitfor_key);
	__type(value, struct ops_waitfor_val);
} waitfor SEC(".maps");

static __always_inline struct why_irqctx *why_ctx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&why_irq, &zero);
}

/* which: 0 hard interrupt, 1 softirq, 2 timer expiry; nr: irq number or vector */
static __always_inline void why_irq_enter(int which, __u32 nr)
{
	struct why_irqctx *c;

	if (!why_on || hooks_only)
		return;
	c = why_ctx();
	if (!c)
		return;
	if (which == 0) {
		c->hardirq++;
		c->irq = nr;
	} else if (which == 1) {
		c->softirq++;
		c->vec = nr;
	} else {
		c->timer++;
	}
}

/* A depth never goes below 0: an exit whose entry ran before the programs attached. */
static __always_inline void why_irq_exit(int which)
{
	struct why_irqctx *c;

	if (!why_on || hooks_only)
		return;
	c = why_ctx();
	if (!c)
		return;
	if (which == 0 && c->hardirq)
		c->hardirq--;
	else if (which == 1 && c->softirq)
		c->softirq--;
	else if (which == 2 && c->timer)
		c->timer--;
}

/*
 * At every context switch: no CPU switches tasks inside an interrupt or a softirq (not
 * on these non-RT kernels), so the depths are 0 here. This heals a depth left behind by
 * an exit that ran before its program was attached (programs attach one at a time).
 */
static __always_inline void why_switch_reset(void)
{
	struct why_irqctx *c;

	if (!why_on)
		return;
	c = why_ctx();
	if (c && (c->hardirq | c->softirq | c->timer)) {
		c->hardirq = 0;
		c->softirq = 0;
		c->timer = 0;
	}
}

/* Who is waking a task now, when it is not a thread of the process: the class, and in
 * *id the irq number, vector or tid. Returns OPS_W_ON for a thread of the process. */
static __always_inline __u32 why_context(__u32 *id)
{
	struct why_irqctx *c = why_ctx();
	struct task_struct *cur;
	__u64 pid_tgid;

	*id = 0;
	if (c && c->timer)
		return OPS_W_TIMER;
	if (c && c->hardirq) {
		*id = c->irq;
		return OPS_W_IRQ;
	}
	if (c && c->softirq) {
		*id = c->vec;
		if (c->vec == WHY_TIMER_SOFTIRQ || c->vec == WHY_HRTIMER_SOFTIRQ)
			return OPS_W_TIMER;
		return OPS_W_SOFTIRQ;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	*id = (__u32)pid_tgid;
	if (!*id)
		return OPS_W_IDLE;
	cur = bpf_get_current_task_btf();
	if (cur->flags & PF_KTHREAD)
		return OPS_W_KTHREAD;
	if (!is_target_tgid((__u32)(pid_tgid >> 32)))
		return OPS_W_PROC;
	return OPS_W_ON;
}

/* d ns of the waker's blocked time, in syscall nr (< 0: none), into the wakee's table. */
static __always_inline void why_sys_add(struct ops_why_slot *w, __s32 nr, __u64 d)
{
	int i;

	if (nr < 0) {
		w->c.sys_other_ns += d;
		return;
	}
	for (i = 0; i < OPS_WHY_SYS; i++) {
		if (w->sys_nr1[i] == nr + 1) {
			w->c.sys_ns[i] += d;
			return;
		}
		if (!w->sys_nr1[i]) {
			w->sys_nr1[i] = nr + 1;
			w->c.sys_ns[i] = d;
			return;
		}
	}
	w->c.sys_other_ns += d;
}

/*
 * The waker ws (a thread of the process, running now) over [t0, now]: its on-CPU,
 * run-queue and blocked time, walked back over its off-CPU ring, added to the wakee's
 * counters w. What the ring does not reach is unknown.
 */
static __always_inline void why_waker_state(struct ops_why_slot *w, struct ops_slot *ws, __u64 t0,
					    __u64 now)
{
	__u64 cursor = now, on = 0, seq = ws->off_seq;
	__u32 kind = ws->op_kind < OPS_WHY_KINDS ? ws->op_kind : OPS_WHY_KINDS - 1;

	if (ws->state == OPS_T_RUNNING && ws->in_ts <= now) {
		__u64 b = ws->in_ts > t0 ? ws->in_ts : t0;

		on += now - b;
		cursor = b;
	}
	for (int i = 0; i < OPS_OFF_RING; i++) {
		struct ops_off *o;
		__u64 b, wk;

		if (cursor <= t0 || (__u64)i >= seq)
			break;
		o = &ws->off[(seq - 1 - i) & (OPS_OFF_RING - 1)];
		if (o->end < o->start || o->start >= cursor)
			break; /* not an interval before cursor: the history ends here */
		if (o->end < cursor) { /* on a CPU between this interval and the next */
			b = o->end > t0 ? o->end : t0;
			on += cursor - b;
			cursor = b;
			if (cursor <= t0)
				break;
		}
		wk = o->wake < o->start ? o->start : o->wake;
		if (wk < cursor) { /* woken, waiting for a CPU */
			b = wk > t0 ? wk : t0;
			w->c.ns[OPS_W_RUNQ] += cursor - b;
			cursor = b;
			if (cursor <= t0)
				break;
		}
		b = o->start > t0 ? o->start : t0;
		if (b < cursor) {
			__u64 d = cursor - b;

			w->c.ns[OPS_W_BLOCKED] += d;
			why_sys_add(w, o->sys, d);
			w->c.chain_ns[o->wake_by && o->wake_by <= OPS_W_NR ?
				      o->wake_by - 1 : OPS_W_UNKNOWN] += d;
			cursor = b;
		}
	}
	w->c.ns[OPS_W_ON] += on;
	w->c.kind_ns[kind & (OPS_WHY_KINDS - 1)] += on;
	if (cursor > t0)
		w->c.ns[OPS_W_UNKNOWN] += cursor - t0;
}

static __always_inline void why_waitfor_add(__u32 tid, __u32 waker, __u32 cls, __u32 kind,
					    __u64 d)
{
	struct ops_waitfor_key key = { .tid = tid, .waker = waker, .cls = cls, .kind = kind };
	struct ops_waitfor_val *v, init = { .ns = d, .count = 1 };

	v = bpf_map_lookup_elem(&waitfor, &key);
	if (!v && bpf_map_update_elem(&waitfor, &key, &init, BPF_NOEXIST) == 0)
		return;
	if (!v)
		v = bpf_map_lookup_elem(&waitfor, &key); /* another CPU inserted it first */
	if (!v) {
		stat_inc(OPS_STAT_WAITFOR_FULL);
		return;
	}
	__sync_fetch_and_add(&v->ns, d);
	__sync_fetch_and_add(&v->count, 1);
}

/*
 * sched_waking of p, in the waker's context. The wakee cannot run before this returns
 * (it is enqueued after the tracepoint), and it is off-CPU, so its slot is ours to write.
 */
static __always_inline void why_waking(struct task_struct *p)
{
	struct ops_slot *s, *ws = NULL;
	__u32 cls, id, kind = 0;
	__u64 now, d;

	if (!why_on || hooks_only || !is_target_tgid(p->tgid))
		return;
	s = slot_of(p->pid);
	/* only the first wakeup of a blocked interval: later ones find it woken */
	if (!s || s->state != OPS_T_BLOCKED || s->why.wake_ts >= s->out_ts)
		return;
	now = bpf_ktime_get_ns();
	if (now < s->out_ts)
		return;
	d = now - s->out_ts;
	cls = why_context(&id);
	if (cls == OPS_W_ON) {
		ws = running_slot(id);
		kind = ws ? ws->op_kind : 0;
	}
	s->why.wake_ts = now;
	s->why.wclass = cls;
	s->why.wtid = id;
	s->why.wkind = kind;
	s->why.c.wakeups++;
	if (cls != OPS_W_ON)
		s->why.c.ns[cls < OPS_W_NR ? cls : OPS_W_UNKNOWN] += d;
	else if (ws)
		why_waker_state(&s->why, ws, s->out_ts, now);
	else
		s->why.c.ns[OPS_W_UNKNOWN] += d;
	why_waitfor_add(p->pid, id, cls, s->op_kind, d);
}

/* At switch-in, into the off-CPU ring entry o of the interval that ends: who woke it. */
static __always_inline void why_ring(struct ops_slot *s, struct ops_off *o)
{
	if (!why_on)
		return;
	if (s->why.wake_ts < s->out_ts) {
		o->wake_by = 0; /* preempted, or its wakeup was not seen */
		return;
	}
	o->wake_by = s->why.wclass + 1;
	o->waker = s->why.wtid;
	o->wake_kind = s->why.wkind;
}

#endif /* OPSCOPE_WAKERS_BPF_H */
