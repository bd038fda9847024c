// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Why an operation waited: its blocked and queued time split (see why.h). */
#include <string.h>
#include "kernel/oprec.h"
#include "kernel/sysnames.h"
#include "kernel/why.h"

void ops_snap_why(struct ops_thread *t, const struct ops_snap *a, const struct ops_snap *b,
		  const struct ops_bd *bd, struct ops_wbd *w)
{
	const struct ops_why_ctr *x = &a->why, *y = &b->why;
	uint64_t sum = 0;

	memset(w, 0, sizeof(*w));
	w->n = 1;
	if (!t->slot || !t->why)
		return;
	for (int i = 0; i < OPS_W_NR; i++) {
		w->b_ns[i] = y->ns[i] - x->ns[i];
		w->b_chain_ns[i] = y->chain_ns[i] - x->chain_ns[i];
		sum += w->b_ns[i];
	}
	for (int i = 0; i < OPS_WHY_KINDS; i++)
		w->b_kind_ns[i] = y->kind_ns[i] - x->kind_ns[i];
	for (int i = 0; i < OPS_WHY_SYS; i++) {
		uint64_t d = y->sys_ns[i] - x->sys_ns[i];

		if (!d)
			continue;
		/* a slot's entries are assigned once per thread: cache their index */
		if (t->why_idx[i] == 0xff)
			t->why_idx[i] = (uint8_t)sysnames_blk_index(t->slot->why.sys_nr1[i] - 1);
		w->b_sys_ns[t->why_idx[i]] += d;
	}
	w->b_sys_ns[OPS_BLK_OTHER] += y->sys_other_ns - x->sys_other_ns;
	w->wakeups = y->wakeups - x->wakeups;
	/* blocked time whose wakeup was not seen (before --why saw the thread, or an
	 * interval that began before the op and was woken after) */
	if (bd->blocked_ns > sum)
		w->b_ns[OPS_W_UNKNOWN] += bd->blocked_ns - sum;
}

const char *why_kind_name(unsigned idx)
{
	if (idx == 0)
		return "no op";
	if (idx >= OPS_WHY_KINDS - 1)
		return "another op kind";
	return ops_kind_name(idx);
}

void why_busy_enter(struct why_busy *b, uint64_t on_ns)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	b->base_ns = on_ns ? on_ns : 1;
	atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

void why_busy_leave(struct why_busy *b, uint64_t on_ns)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	if (b->base_ns && on_ns > b->base_ns)
		b->done_ns += on_ns - b->base_ns;
	b->base_ns = 0;
	atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

/* A member's busy time up to on_now (its on-CPU reading now). */
static uint64_t busy_read(struct why_busy *b, uint64_t on_now)
{
	for (int tries = 0; tries < 4; tries++) {
		uint32_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
		uint64_t done = b->done_ns, base = b->base_ns;

		atomic_thread_fence(memory_order_acquire);
		if (!(s1 & 1) && atomic_load_explicit(&b->seq, memory_order_relaxed) == s1)
			return done + (base && on_now > base ? on_now - base : 0);
	}
	return b->done_ns;
}

/* One member's slot, read from another thread: the counters plus the interval in
 * progress. The switch count moves with every kernel write that matters here, so an
 * unchanged count before and after means a consistent read. Returns 0, or -1 when the
 * slot kept moving (the member then counts as unknown for this snapshot). */
static int member_read(const volatile struct ops_slot *sl, uint64_t ts, struct why_gsnap *s,
		       uint64_t *on_now)
{
	for (int tries = 0; tries < 4; tries++) {
		uint64_t sw = sl->nvcsw + sl->nivcsw, on, runq, blk, blks[OPS_BD_BLK] = { 0 };
		uint32_t state = sl->state;
		uint64_t in_ts = sl->in_ts, out_ts = sl->out_ts, wake_ts = sl->wake_ts;
		uint64_t why_wake = sl->why.wake_ts;
		int32_t bsys = sl->blk_sys;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		on = sl->on_ns;
		runq = sl->runq_ns;
		blk = sl->blocked_ns;
		for (int i = 0; i < OPS_BLK_SYS; i++)
			if (sl->blk_ns[i] && sl->blk_nr[i] >= 0)
				blks[sysnames_blk_index(sl->blk_nr[i])] += sl->blk_ns[i];
		blks[OPS_BLK_OTHER] += sl->blk_other_ns;
		blks[OPS_BLK_NOSYS] += sl->blk_nosys_ns;
		/* the interval in progress */
		if (state == OPS_T_RUNNING && ts > in_ts) {
			on += ts - in_ts;
		} else if (state == OPS_T_RUNNABLE && ts > wake_ts) {
			runq += ts - wake_ts;
		} else if (state == OPS_T_BLOCKED && ts > out_ts) {
			/* woken (--why saw it) and waiting for a CPU since, or still blocked */
			uint64_t until = why_wake >= out_ts && why_wake < ts ? why_wake : ts;

			blk += until - out_ts;
			blks[sysnames_blk_index(bsys)] += until - out_ts;
			runq += ts - until;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (sl->nvcsw + sl->nivcsw != sw || sl->state != state)
			continue;
		s->on_ns += on;
		s->runq_ns += runq;
		s->blocked_ns += blk;
		for (int i = 0; i < OPS_BD_BLK; i++)
			s->blk_ns[i] += blks[i];
		*on_now = on;
		return 0;
	}
	return -1;
}

void why_group_snap(const struct why_member *m, uint32_t n, uint32_t first,
		    struct why_gsnap *s)
{
	uint32_t k = n < WHY_GROUP_READ ? n : WHY_GROUP_READ;

	memset(s, 0, sizeof(*s));
	s->ts = ops_now_ns();
	for (uint32_t j = 0; j < k; j++) {
		const struct why_member *x = &m[(first + j) % n];
		uint64_t on_now = 0;

		if (!x->ot->slot || member_read(x->ot->slot, s->ts, s, &on_now)) {
			s->unknown_ns += s->ts; /* differences of ts: the whole window */
			continue;
		}
		if (x->busy)
			s->busy_ns += busy_read(x->busy, on_now);
	}
}

/* part * num / den without overflow */
static uint64_t share(uint64_t part, uint64_t num, uint64_t den)
{
	return den ? (uint64_t)((unsigned __int128)part * num / den) : 0;
}

void why_queued(const struct why_gsnap *a, const struct why_gsnap *b, uint64_t head_ns,
		uint64_t tail_ns, uint32_t busy_kind, struct ops_wbd *w)
{
	uint64_t on = b->on_ns - a->on_ns, busy = b->busy_ns - a->busy_ns;
	uint64_t runq = b->runq_ns - a->runq_ns, blk = b->blocked_ns - a->blocked_ns;
	uint64_t unk = b->unknown_ns - a->unknown_ns, tot, given = 0;
	unsigned ki = why_kind_index(busy_kind);

	/* deltas of counters read at two moments: guard against a torn or reused slot */
	if ((int64_t)on < 0 || (int64_t)runq < 0 || (int64_t)blk < 0 || (int64_t)unk < 0) {
		w->q_ns[OPS_W_UNKNOWN] += head_ns;
		w->q_ns[OPS_W_HANDOFF] += tail_ns;
		return;
	}
	if (busy > on)
		busy = on;
	tot = on + runq + blk + unk;
	w->q_ns[OPS_W_HANDOFF] += tail_ns;
	if (!tot) {
		w->q_ns[OPS_W_UNKNOWN] += head_ns;
		return;
	}
	w->q_ns[OPS_W_ON] += share(head_ns, on, tot);
	w->q_kind_ns[ki] += share(head_ns, busy, tot);
	w->q_kind_ns[0] += share(head_ns, on, tot) - share(head_ns, busy, tot);
	w->q_ns[OPS_W_RUNQ] += share(head_ns, runq, tot);
	w->q_ns[OPS_W_BLOCKED] += share(head_ns, blk, tot);
	given = share(head_ns, on, tot) + share(head_ns, runq, tot) + share(head_ns, blk, tot);
	for (int i = 0; i < OPS_BD_BLK; i++) {
		uint64_t d = b->blk_ns[i] - a->blk_ns[i];

		if ((int64_t)d > 0)
			w->q_sys_ns[i] += share(share(head_ns, blk, tot), d, blk);
	}
	/* members not read, and rounding: the rest of the window */
	w->q_ns[OPS_W_UNKNOWN] += head_ns - given;
}

static const char *const class_names[OPS_W_NR] = {
	[OPS_W_ON] = "on a CPU",
	[OPS_W_RUNQ] = "waiting for a CPU",
	[OPS_W_BLOCKED] = "blocked",
	[OPS_W_TIMER] = "a timer",
	[OPS_W_IRQ] = "a device interrupt (I/O completion)",
	[OPS_W_SOFTIRQ] = "a softirq (network or block I/O)",
	[OPS_W_IDLE] = "an interrupt on an idle CPU",
	[OPS_W_KTHREAD] = "a kernel thread",
	[OPS_W_PROC] = "another process",
	[OPS_W_UNKNOWN] = "unknown",
	[OPS_W_HANDOFF] = "the result's hand-off",
};

static const char *const class_keys[OPS_W_NR] = {
	[OPS_W_ON] = "on_cpu", [OPS_W_RUNQ] = "runq", [OPS_W_BLOCKED] = "blocked",
	[OPS_W_TIMER] = "timer", [OPS_W_IRQ] = "irq", [OPS_W_SOFTIRQ] = "softirq",
	[OPS_W_IDLE] = "idle_interrupt", [OPS_W_KTHREAD] = "kernel_thread",
	[OPS_W_PROC] = "other_process", [OPS_W_UNKNOWN] = "unknown", [OPS_W_HANDOFF] = "handoff",
};

const char *why_class_name(unsigned cls)
{
	return cls < OPS_W_NR ? class_names[cls] : "unknown";
}

const char *why_class_key(unsigned cls)
{
	return cls < OPS_W_NR ? class_keys[cls] : "unknown";
}
