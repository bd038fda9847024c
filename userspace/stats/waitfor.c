// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The wait-for graph of a scenario: edges, queries, and the drain from the kernel. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "stats/waitfor.h"

struct waitfor *waitfor_new(void)
{
	return calloc(1, sizeof(struct waitfor));
}

void waitfor_free(struct waitfor *g)
{
	if (!g)
		return;
	free(g->e);
	free(g);
}

int waitfor_add(struct waitfor *g, const char *waiter, uint32_t kind, const char *on,
		uint32_t cls, uint64_t ns, uint64_t count)
{
	struct wf_edge *e;

	for (size_t i = 0; i < g->n; i++) {
		e = &g->e[i];
		if (e->kind == kind && e->cls == cls && !strcmp(e->waiter, waiter) &&
		    !strcmp(e->on, on)) {
			e->ns += ns;
			e->count += count;
			return 0;
		}
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;

		e = realloc(g->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		g->e = e;
		g->cap = cap;
	}
	e = &g->e[g->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->waiter, sizeof(e->waiter), "%s", waiter);
	snprintf(e->on, sizeof(e->on), "%s", on);
	e->kind = kind;
	e->cls = cls;
	e->ns = ns;
	e->count = count;
	return 0;
}

static int cmp_edge(const void *a, const void *b)
{
	const struct wf_edge *x = a, *y = b;
	int c;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	c = strcmp(x->waiter, y->waiter);
	return c ? c : strcmp(x->on, y->on);
}

void waitfor_sort(struct waitfor *g)
{
	if (g->n)
		qsort(g->e, g->n, sizeof(g->e[0]), cmp_edge);
}

const char *waitfor_top_waker(const struct waitfor *g, uint32_t kind, double *share,
			      int *others)
{
	/* sum per waker name: names are few, a quadratic pass is fine */
	const char *best = NULL;
	uint64_t best_ns = 0, all = 0;
	int names = 0;

	for (size_t i = 0; i < g->n; i++) {
		const struct wf_edge *e = &g->e[i];
		uint64_t sum = 0;
		bool seen = false;

		if (e->kind != kind || e->cls != OPS_W_ON)
			continue;
		all += e->ns;
		for (size_t j = 0; j < i && !seen; j++)
			seen = g->e[j].kind == kind && g->e[j].cls == OPS_W_ON &&
			       !strcmp(g->e[j].on, e->on);
		if (seen)
			continue;
		names++;
		for (size_t j = i; j < g->n; j++)
			if (g->e[j].kind == kind && g->e[j].cls == OPS_W_ON &&
			    !strcmp(g->e[j].on, e->on))
				sum += g->e[j].ns;
		if (sum > best_ns) {
			best_ns = sum;
			best = e->on;
		}
	}
	*share = all ? (double)best_ns / (double)all : 0;
	*others = names > 0 ? names - 1 : 0;
	return best;
}

void waitfor_kthread_name(const char *comm, char *buf, size_t len)
{
	size_t n = strcspn(comm, "/:");

	/* "kworker/u4:2-events" -> "kworker"; "ksoftirqd/1" -> "ksoftirqd" */
	snprintf(buf, len, "%.*s", (int)n, comm);
	if (!buf[0])
		snprintf(buf, len, "kernel thread");
}

const char *waitfor_softirq_name(uint32_t vec)
{
	static const char *const names[] = { "hi", "timer", "net_tx", "net_rx", "block",
					     "irq_poll", "tasklet", "sched", "hrtimer", "rcu" };
	static __thread char buf[24];

	if (vec < sizeof(names) / sizeof(names[0]))
		return names[vec];
	snprintf(buf, sizeof(buf), "vector %u", vec);
	return buf;
}

/* A thread's name: the collector's (threads of the target that exited), else /proc. */
static void tid_name(struct collector *c, uint32_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	if (c && collector_thread_name(c, tid, buf, len) == 0)
		return;
	snprintf(path, sizeof(path), "/proc/%u/comm", tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, (int)len, f)) {
			buf[strcspn(buf, "\n")] = '\0';
			fclose(f);
			if (buf[0])
				return;
		} else {
			fclose(f);
		}
	}
	snprintf(buf, len, "thread %u", tid);
}

/* What ended a wait, as a node name. */
static void waker_name(struct collector *c, const struct ops_waitfor_key *k, char *buf,
		       size_t len)
{
	char comm[32];

	switch (k->cls) {
	case OPS_W_ON:
		tid_name(c, k->waker, buf, len);
		break;
	case OPS_W_TIMER:
		snprintf(buf, len, "timer");
		break;
	case OPS_W_IRQ:
		snprintf(buf, len, "irq %u", k->waker);
		break;
	case OPS_W_SOFTIRQ:
		snprintf(buf, len, "softirq %s", waitfor_softirq_name(k->waker));
		break;
	case OPS_W_IDLE:
		snprintf(buf, len, "interrupt (idle CPU)");
		break;
	case OPS_W_KTHREAD:
		tid_name(NULL, k->waker, comm, sizeof(comm));
		waitfor_kthread_name(comm, buf, len);
		break;
	case OPS_W_PROC:
		tid_name(NULL, k->waker, comm, sizeof(comm));
		snprintf(buf, len, "%.15s (other process)", comm);
		break;
	default:
		snprintf(buf, len, "unknown");
		break;
	}
}

int waitfor_take(struct waitfor *g, struct collector *c)
{
	struct waitfor_entry *v;
	struct collector_stats st;
	size_t n;
	int err;

	/* threads that exited since the reaper's last pass: their names first */
	collector_reap(c);
	err = collector_waitfor_take(c, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		char waiter[WF_NAME], on[WF_NAME];

		tid_name(c, v[i].key.tid, waiter, sizeof(waiter));
		waker_name(c, &v[i].key, on, sizeof(on));
		err = waitfor_add(g, waiter, v[i].key.kind, on,
				  v[i].key.cls < OPS_W_NR ? v[i].key.cls : OPS_W_UNKNOWN,
				  v[i].val.ns, v[i].val.count);
	}
	free(v);
	collector_get_stats(c, &st);
	g->lost = st.waitfor_full;
	return err;
}
