// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A recorded program's marked operations as workload results (workloads/marks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/exemplar.h"
#include "stats/opagg.h"
#include "workloads/marks.h"

static const struct wl_param_def no_params[] = { { 0 } };

const struct workload wl_marks = {
	.name = "record",
	.help = "the operations a program marked with libopscope (opscope record)",
	.params = no_params,
};

/* Threads seen, by tid: for the threads metric and trace.json's track names. */
struct tname {
	uint32_t tid;
	char name[16];
	uint64_t kinds; /* bit k: it ended an op of kind k */
};

/* One op kind: an aggregate per repetition window, exemplars over all of them. */
struct mkind {
	struct op_agg **win;
	uint32_t nwin;
	struct ex_kind *ek;
	uint64_t thresh;   /* exemplar threshold (ex_kind_offer's answer) */
	uint64_t n;        /* ops offered to agg, for the p99 refresh */
};

struct marks {
	int pid;
	uint64_t rep_ns;   /* window length, 0: one window */
	struct mkind k[OPSP_KINDS];
	struct tname *t; /* open addressing, power-of-two size */
	uint32_t tcap, nt;
	uint64_t ops, lost;
};

struct marks *marks_new(int pid, uint64_t rep_ns)
{
	struct marks *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->pid = pid;
	m->rep_ns = rep_ns;
	m->tcap = 256;
	m->t = calloc(m->tcap, sizeof(*m->t));
	if (!m->t) {
		free(m);
		return NULL;
	}
	return m;
}

void marks_free(struct marks *m)
{
	if (!m)
		return;
	for (int i = 0; i < OPSP_KINDS; i++) {
		for (uint32_t w = 0; w < m->k[i].nwin; w++)
			op_agg_free(m->k[i].win[w]);
		free(m->k[i].win);
		ex_kind_free(m->k[i].ek);
	}
	free(m->t);
	free(m);
}

static void read_comm(int pid, uint32_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, tid);
	f = fopen(path, "re");
	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static int grow(struct marks *m)
{
	uint32_t cap = m->tcap * 2;
	struct tname *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->tcap; i++) {
		uint32_t h;

		if (!m->t[i].tid)
			continue;
		for (h = m->t[i].tid * 2654435761u & (cap - 1); t[h].tid; h = (h + 1) & (cap - 1))
			;
		t[h] = m->t[i];
	}
	free(m->t);
	m->t = t;
	m->tcap = cap;
	return 0;
}

/* The thread's index in the table, named at first sight; -1 out of memory. */
static int thread_of(struct marks *m, uint32_t tid)
{
	uint32_t h;

	if (!tid)
		return -1;
	if (m->nt * 2 >= m->tcap && grow(m))
		return -1;
	for (h = tid * 2654435761u & (m->tcap - 1); m->t[h].tid; h = (h + 1) & (m->tcap - 1))
		if (m->t[h].tid == tid)
			return (int)h;
	m->t[h].tid = tid;
	read_comm(m->pid, tid, m->t[h].name, sizeof(m->t[h].name));
	m->nt++;
	return (int)h;
}

/* The slow path of an op: at or above its kind's exemplar threshold. The thread whose
 * off-CPU intervals explain it is the one that ran it. */
static void offer(struct mkind *k, const struct attach_op *op)
{
	/* ops_thread's slot is not const: the exemplar code only reads it */
	volatile struct ops_slot *sl = (volatile struct ops_slot *)op->x_slot;
	struct ops_thread self = { .slot = NULL, .tid = op->tid };
	struct ops_thread ran = { .slot = sl, .tid = op->x_tid };
	struct ex_exec x = { &ran, op->x_begin, op->x_end };

	if (op->flags & OPSP_F_EXEC) {
		k->thresh = ex_kind_offer(&k->ek, op->kind, &self, &op->bd, op->end, &x);
	} else {
		self.slot = op->flags & OPSP_F_MOVED ? NULL : sl;
		k->thresh = ex_kind_offer(&k->ek, op->kind, &self, &op->bd, op->end, NULL);
	}
}

/* Kind k's aggregate of window w (the repetition an op ended in), made as needed. */
static struct op_agg *window(struct mkind *k, uint32_t w)
{
	if (w >= k->nwin) {
		struct op_agg **v = realloc(k->win, (w + 1) * sizeof(*v));

		if (!v)
			return NULL;
		memset(v + k->nwin, 0, (w + 1 - k->nwin) * sizeof(*v));
		k->win = v;
		k->nwin = w + 1;
	}
	if (!k->win[w])
		k->win[w] = op_agg_new();
	return k->win[w];
}

void marks_add(const struct attach_op *op, void *arg)
{
	struct marks *m = arg;
	struct op_agg *agg;
	struct mkind *k;
	uint32_t w = 0;
	int t;

	if (!op->kind || op->kind >= OPSP_KINDS)
		return;
	k = &m->k[op->kind];
	if (m->rep_ns && op->end > op->since)
		w = (uint32_t)((op->end - op->since) / m->rep_ns);
	agg = window(k, w);
	if (!agg) {
		m->lost++;
		return;
	}
	m->ops++;
	t = thread_of(m, op->tid);
	if (t >= 0)
		m->t[t].kinds |= 1ull << op->kind;
	if (op->flags & OPSP_F_FAILED) {
		op_agg_add_error(agg);
		return;
	}
	if (op->why ? op_agg_add_why(agg, &op->bd, op->why) : op_agg_add(agg, &op->bd)) {
		m->lost++;
		return;
	}
	if (op->bd.lat_ns >= k->thresh)
		offer(k, op);
	/* the p99 (of the window) joins the threshold so that ops above it are sampled, as
	 * wl_common.c does */
	if (!(++k->n & 4095) && k->thresh != UINT64_MAX) {
		const struct hist *h = op_agg_hist(agg);

		if (hist_count(h) >= 1000)
			k->thresh = ex_kind_set_p99(&k->ek, hist_quantile(h, 0.99));
	}
}

int marks_kinds(const struct marks *m, uint32_t *ids, int max)
{
	int n = 0;

	for (uint32_t i = 1; i < OPSP_KINDS && n < max; i++)
		if (m->k[i].nwin)
			ids[n++] = i;
	return n;
}

uint64_t marks_ops(const struct marks *m)
{
	return m->ops;
}

uint64_t marks_lost(const struct marks *m)
{
	return m->lost;
}

/* Kind id's exemplars, reduced as a run's repetition's are, with their threads named. */
static int take_exemplars(struct marks *m, uint32_t id, uint64_t p99, struct ex_set **out)
{
	struct ex_set *set = ex_set_new();
	int err;

	*out = NULL;
	if (!set)
		return -ENOMEM;
	err = ex_kind_collect(m->k[id].ek, set);
	if (!err)
		ex_set_reduce(set, id, p99);
	for (size_t i = 0; !err && i < ex_set_count(set); i++) {
		const struct ex_op *op = ex_set_get(set, i);
		uint32_t tids[2] = { op->tid, op->x_tid };

		for (int j = 0; j < 2 && !err; j++) {
			int t = thread_of(m, tids[j]);

			if (t >= 0 && m->t[t].name[0])
				err = ex_set_name(set, tids[j], m->t[t].name);
		}
	}
	if (err) {
		ex_set_free(set);
		return err;
	}
	*out = set;
	return 0;
}

int marks_windows(struct marks *m, uint64_t since, uint64_t end, double *elapsed, int max)
{
	uint64_t span = end > since ? end - since : 0;
	uint64_t n = m->rep_ns ? (span + m->rep_ns - 1) / m->rep_ns : 1, tail;

	if (!n)
		n = 1;
	if (n > (uint64_t)max)
		n = (uint64_t)max;
	/* a last window shorter than half a repetition joins the one before */
	tail = m->rep_ns ? span - (n - 1) * m->rep_ns : span;
	if (m->rep_ns && n > 1 && tail < m->rep_ns / 2)
		n--;
	for (uint64_t w = 0; w < n; w++)
		elapsed[w] = (double)(w + 1 < n ? m->rep_ns : span - w * m->rep_ns) / 1e9;
	/* ops past the last window (or in the tail it absorbed) are counted in it */
	for (int i = 1; i < OPSP_KINDS; i++) {
		struct mkind *k = &m->k[i];

		for (uint32_t w = (uint32_t)n; w < k->nwin; w++) {
			struct op_agg *last = window(k, (uint32_t)n - 1);

			if (k->win[w] && (!last || op_agg_merge(last, k->win[w])))
				return -ENOMEM;
			op_agg_free(k->win[w]);
			k->win[w] = NULL;
		}
		if (k->nwin > n)
			k->nwin = (uint32_t)n;
	}
	return (int)n;
}

/* The p99 of kind id over every window, for the exemplars' sample. */
static uint64_t kind_p99(struct mkind *k)
{
	struct op_agg *all = op_agg_new();
	uint64_t p99 = 0;

	for (uint32_t w = 0; all && w < k->nwin; w++)
		if (k->win[w] && op_agg_merge(all, k->win[w]))
			break;
	if (all && hist_count(op_agg_hist(all)))
		p99 = hist_quantile(op_agg_hist(all), 0.99);
	op_agg_free(all);
	return p99;
}

int marks_result(struct marks *m, uint32_t id, int w, double elapsed_s, struct wl_result *res)
{
	struct mkind *k;
	int err;

	memset(res, 0, sizeof(*res));
	res->occupancy = -1;
	if (!id || id >= OPSP_KINDS || !m->k[id].nwin || w < 0)
		return -ENOENT;
	k = &m->k[id];
	if (w == 0) {
		err = take_exemplars(m, id, kind_p99(k), &res->ex);
		if (err)
			return err;
	}
	res->nkinds = 1;
	res->kind[0] = id;
	/* a window with no op of this kind: an empty aggregate (throughput 0 there) */
	if ((uint32_t)w < k->nwin && k->win[w]) {
		res->agg[0] = k->win[w];
		k->win[w] = NULL;
	} else {
		res->agg[0] = op_agg_new();
		if (!res->agg[0]) {
			ex_set_free(res->ex);
			res->ex = NULL;
			return -ENOMEM;
		}
	}
	res->elapsed_s = elapsed_s;
	res->no_alloc = true; /* the program's allocator is its own */
	for (uint32_t i = 0; i < m->tcap; i++)
		if (m->t[i].tid && (m->t[i].kinds & (1ull << id)))
			res->threads++;
	return 0;
}
