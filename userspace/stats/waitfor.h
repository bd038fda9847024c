/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The wait-for graph of a scenario (run --why): which thread kinds waited on which, and
 * for how long. Nodes are thread names (threads of one kind share a name: pool-worker),
 * or what ended a wait when it was no thread of the process: "timer", "irq 24",
 * "softirq net_rx", "kworker", another process's thread name. An edge is one waiter,
 * the op kind it was in, the one it waited on, and the class of that (enum ops_why, or
 * WF_QUEUED for a call queued on a pool's workers). The kernel counts the blocked waits
 * per thread pair (bpf/wakers.bpf.h); waitfor_take() drains and names them. Prefix
 * waitfor_.
 */
#ifndef OPSCOPE_WAITFOR_H
#define OPSCOPE_WAITFOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "opscope.h"

#define WF_QUEUED OPS_W_NR /* an op queued on other threads (not a blocked wait) */
#define WF_NAME 40

struct wf_edge {
	char waiter[WF_NAME];
	uint32_t kind;       /* op kind of the waiter (0: none) */
	char on[WF_NAME];
	uint32_t cls;        /* enum ops_why (OPS_W_ON: any thread of the process) or WF_QUEUED */
	uint64_t ns, count;
};

struct waitfor {
	struct wf_edge *e;
	size_t n, cap;
	uint64_t lost; /* waits the kernel could not count (its table was full) */
};

struct waitfor *waitfor_new(void);
void waitfor_free(struct waitfor *g);
/* Add a wait to the edge (waiter, kind, on, cls). 0 or -ENOMEM. */
int waitfor_add(struct waitfor *g, const char *waiter, uint32_t kind, const char *on,
		uint32_t cls, uint64_t ns, uint64_t count);
/* Edges by time waited, longest first. */
void waitfor_sort(struct waitfor *g);
/* The thread kind that most often ended op kind `kind`'s blocked waits (class OPS_W_ON),
 * NULL if none; *share its part of those waits' time, *others how many more there were. */
const char *waitfor_top_waker(const struct waitfor *g, uint32_t kind, double *share,
			      int *others);
/* Kernel thread names without their instance: "kworker/u4:2" -> "kworker". */
void waitfor_kthread_name(const char *comm, char *buf, size_t len);
/* A softirq vector's name: "net_rx", "block", ...; "softirq N" for one unknown. */
const char *waitfor_softirq_name(uint32_t vec);

struct collector;
/* Drain the kernel's counted waits into g, each tid named (the collector's exited-thread
 * names, then /proc). 0 or -errno. */
int waitfor_take(struct waitfor *g, struct collector *c);

/* The graph as SVG (report/waitfor_svg.c): nodes on a circle, an arrow per edge from the
 * waiter to what it waited on, as wide as its share of the longest, labelled with the
 * time. Returns 0, -EIO on a write error. */
int waitfor_write_svg(const struct waitfor *g, const char *title, FILE *f);
/* The same as an element of an HTML page (report.html): no XML prolog, class "wf", the
 * arrow marker's id made unique with id ([A-Za-z0-9-], at most 32). */
int waitfor_write_svg_inline(const struct waitfor *g, const char *title, const char *id,
			     FILE *f);

#endif
