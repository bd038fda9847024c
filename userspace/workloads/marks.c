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

struct mkind {
	struct op_agg *agg;
	struct ex_kind *ek;
	uint64_t thresh;   /* exemplar threshold (ex_kind_offer's answer) */
	uint64_t n;        /* ops offered to agg, for the p99 refresh */
};

struct marks {
	int pid;
	struct mkind k[OPSP_KINDS];
	struct tname *t; /* open addressing, power-of-two size */
	uint32_t tcap, nt;
	uint64_t ops, lost;
};

struct marks *marks_new(int pid)
{
	struct marks *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->pid = pid;
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
		op_agg_free(m->k[i].agg);
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

void marks_add(const struct attach_op *op, void *arg)
{
	struct marks *m = arg;
	struct mkind *k;
	int t;

	if (!op->kind || op->kind >= OPSP_KINDS)
		return;
	k = &m->k[op->kind];
	if (!k->agg) {
		k->agg = op_agg_new();
		if (!k->agg) {
			m->lost++;
			return;
		}
	}
	m->ops++;
	t = thread_of(m, op->tid);
	if (t >= 0)
		m->t[t].kinds |= 1ull << op->kind;
	if (op->flags & OPSP_F_FAILED) {
		op_agg_add_error(k->agg);
		return;
	}
	if (op_agg_add(k->agg, &op->bd)) {
		m->lost++;
		return;
	}
	if (op->bd.lat_ns >= k->thresh)
		offer(k, op);
	/* the p99 joins the threshold so that ops above it are sampled, as wl_common.c */
	if (!(++k->n & 4095) && k->thresh != UINT64_MAX) {
		const struct hist *h = op_agg_hist(k->agg);

		if (hist_count(h) >= 1000)
			k->thresh = ex_kind_set_p99(&k->ek, hist_quantile(h, 0.99));
	}
}

int marks_kinds(const struct marks *m, uint32_t *ids, int max)
{
	int n = 0;

	for (uint32_t i = 1; i < OPSP_KINDS && n < max; i++)
		if (m->k[i].agg)
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

int marks_result(struct marks *m, uint32_t id, double elapsed_s, struct wl_result *res)
{
	struct mkind *k;
	const struct hist *h;
	int err;

	memset(res, 0, sizeof(*res));
	res->occupancy = -1;
	if (!id || id >= OPSP_KINDS || !m->k[id].agg)
		return -ENOENT;
	k = &m->k[id];
	h = op_agg_hist(k->agg);
	err = take_exemplars(m, id, hist_count(h) ? hist_quantile(h, 0.99) : 0, &res->ex);
	if (err)
		return err;
	res->nkinds = 1;
	res->kind[0] = id;
	res->agg[0] = k->agg;
	k->agg = NULL;
	res->elapsed_s = elapsed_s;
	res->no_alloc = true; /* the program's allocator is its own */
	for (uint32_t i = 0; i < m->tcap; i++)
		if (m->t[i].tid && (m->t[i].kinds & (1ull << id)))
			res->threads++;
	return 0;
}
