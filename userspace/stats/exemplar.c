// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Slow-operation exemplars: candidates per thread, sets per run and per scenario; the
 * trace-event writer is report/trace.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats/exemplar.h"

/* ------------------------------------------------------------ per thread, hot side */

struct ex_kind {
	uint64_t p99;   /* the thread's p99 so far, 0 unknown */
	uint64_t above; /* ops at or above p99 offered (the sample's population) */
	uint64_t rng;
	int ntop, nsamp;
	int top_min;    /* index of the fastest of top[] when full */
	struct ex_op top[EX_TOP], samp[EX_SAMPLE];
};

static uint64_t threshold(const struct ex_kind *k)
{
	uint64_t t = k->ntop < EX_TOP ? 0 : k->top[k->top_min].bd.lat_ns + 1;

	if (k->p99 && k->p99 < t)
		t = k->p99;
	return t;
}

static void find_min(struct ex_kind *k)
{
	int m = 0;

	for (int i = 1; i < k->ntop; i++)
		if (k->top[i].bd.lat_ns < k->top[m].bd.lat_ns)
			m = i;
	k->top_min = m;
}

/*
 * Copy from a ring of size `size` (a power of two) that another thread may be writing
 * (entry, then *seqp with release) the entries that overlap [begin, end], newest last,
 * at most OPS_OFF_RING of them (the newest ones). Returns how many.
 */
static uint32_t ring_copy(struct ops_off *out, const volatile __u64 *seqp,
			  const volatile struct ops_off *ring, uint64_t size, uint64_t begin,
			  uint64_t end)
{
	uint64_t seq1, seq2, first, lo, idx[OPS_OFF_RING];
	uint32_t n = 0, k = 0;

	seq1 = __atomic_load_n(seqp, __ATOMIC_ACQUIRE);
	lo = seq1 > size ? seq1 - size : 0;
	/* newest first (entries are written in the order their intervals end): stop at the
	 * first one that ended before the window */
	for (uint64_t i = seq1; i > lo && n < OPS_OFF_RING; i--) {
		struct ops_off o;

		memcpy(&o, (const void *)&ring[(i - 1) & (size - 1)], sizeof(o));
		if (o.end < begin)
			break;
		if (o.start > end || o.end < o.start)
			continue;
		idx[n] = i - 1;
		out[n++] = o;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	seq2 = __atomic_load_n(seqp, __ATOMIC_ACQUIRE);
	/* while entry seq2 is being written, entry seq2 - size is overwritten: keep only
	 * entries no write can have touched during the copy (the oldest taken come last) */
	first = seq2 + 1 > size ? seq2 + 1 - size : 0;
	while (n && idx[n - 1] < first)
		n--;
	/* oldest first */
	for (k = 0; k < n / 2; k++) {
		struct ops_off t = out[k];

		out[k] = out[n - 1 - k];
		out[n - 1 - k] = t;
	}
	return n;
}

void ex_ring_copy(struct ex_op *op, const volatile struct ops_slot *sl, uint64_t begin,
		  uint64_t end, uint64_t switches)
{
	uint32_t n;

	op->noff = 0;
	op->lost = 0;
	if (!sl)
		return;
	n = ring_copy(op->off, &sl->off_seq, sl->off, OPS_OFF_RING, begin, end);
	op->noff = n;
	if (switches > n)
		op->lost = (uint32_t)(switches - n);
}

void ex_thread_copy(struct ex_op *op, const struct ops_thread *ot, uint64_t begin,
		    uint64_t end, uint64_t switches)
{
	const struct ops_off_hist *h = ot->hist;
	uint32_t n;

	if (!h) {
		ex_ring_copy(op, ot->slot, begin, end, switches);
		return;
	}
	n = ring_copy(op->off, &h->seq, h->off, OPS_HIST_RING, begin, end);
	op->noff = n;
	op->lost = switches > n ? (uint32_t)(switches - n) : 0;
}

static void fill(struct ex_op *op, uint32_t kind, const struct ops_thread *self,
		 const struct ops_bd *bd, uint64_t end, const struct ex_exec *x)
{
	op->kind = kind;
	op->tid = self->tid;
	op->end = end;
	op->begin = end > bd->lat_ns ? end - bd->lat_ns : 0;
	op->bd = *bd;
	if (x && x->ot) {
		op->x_tid = x->ot->tid;
		op->x_begin = x->begin;
		op->x_end = x->end;
		ex_thread_copy(op, x->ot, x->begin, x->end, bd->vcsw + bd->ivcsw);
	} else {
		op->x_tid = self->tid;
		op->x_begin = op->begin;
		op->x_end = op->end;
		ex_ring_copy(op, self->slot, op->begin, op->end, bd->vcsw + bd->ivcsw);
	}
}

static struct ex_kind *kind_get(struct ex_kind **ek)
{
	if (!*ek) {
		*ek = calloc(1, sizeof(**ek));
		if (*ek)
			(*ek)->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)*ek;
	}
	return *ek;
}

uint64_t ex_kind_offer(struct ex_kind **ek, uint32_t kind, const struct ops_thread *self,
		       const struct ops_bd *bd, uint64_t end, const struct ex_exec *x)
{
	struct ex_kind *k = kind_get(ek);
	uint64_t lat = bd->lat_ns;

	if (!k)
		return UINT64_MAX;
	if (k->ntop < EX_TOP) {
		fill(&k->top[k->ntop++], kind, self, bd, end, x);
		k->top[k->ntop - 1].top = 1;
		if (k->ntop == EX_TOP)
			find_min(k);
		return threshold(k);
	}
	if (lat > k->top[k->top_min].bd.lat_ns) {
		fill(&k->top[k->top_min], kind, self, bd, end, x);
		k->top[k->top_min].top = 1;
		find_min(k);
		return threshold(k);
	}
	if (k->p99 && lat >= k->p99) {
		/* reservoir sample of the ops above p99 that were not among the slowest */
		uint64_t j;

		k->above++;
		if (k->nsamp < EX_SAMPLE) {
			j = (uint64_t)k->nsamp++;
		} else {
			k->rng ^= k->rng >> 12;
			k->rng ^= k->rng << 25;
			k->rng ^= k->rng >> 27;
			j = (k->rng * 0x2545F4914F6CDD1Dull) % k->above;
		}
		if (j < EX_SAMPLE) {
			fill(&k->samp[j], kind, self, bd, end, x);
			k->samp[j].top = 0;
		}
	}
	return threshold(k);
}

uint64_t ex_kind_set_p99(struct ex_kind **ek, uint64_t p99)
{
	struct ex_kind *k = kind_get(ek);

	if (!k)
		return UINT64_MAX;
	k->p99 = p99;
	return threshold(k);
}

void ex_kind_free(struct ex_kind *ek)
{
	free(ek);
}

/* ------------------------------------------------------------ sets */

struct ex_name {
	uint32_t tid;
	char name[16];
};

struct ex_set {
	struct ex_op *ops;
	size_t n, cap;
	struct ex_name *names;
	size_t nnames, capnames;
};

struct ex_set *ex_set_new(void)
{
	return calloc(1, sizeof(struct ex_set));
}

void ex_set_free(struct ex_set *s)
{
	if (!s)
		return;
	free(s->ops);
	free(s->names);
	free(s);
}

int ex_set_add(struct ex_set *s, const struct ex_op *op)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct ex_op *o = realloc(s->ops, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		s->ops = o;
		s->cap = cap;
	}
	s->ops[s->n++] = *op;
	return 0;
}

int ex_kind_collect(const struct ex_kind *ek, struct ex_set *s)
{
	int err = 0;

	if (!ek)
		return 0;
	for (int i = 0; i < ek->ntop && !err; i++)
		err = ex_set_add(s, &ek->top[i]);
	for (int i = 0; i < ek->nsamp && !err; i++)
		err = ex_set_add(s, &ek->samp[i]);
	return err;
}

const char *ex_set_thread_name(const struct ex_set *s, uint32_t tid)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (s->names[i].tid == tid)
			return s->names[i].name;
	return NULL;
}

int ex_set_name(struct ex_set *s, uint32_t tid, const char *name)
{
	if (ex_set_thread_name(s, tid))
		return 0;
	if (s->nnames == s->capnames) {
		size_t cap = s->capnames ? s->capnames * 2 : 16;
		struct ex_name *n = realloc(s->names, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->names = n;
		s->capnames = cap;
	}
	s->names[s->nnames].tid = tid;
	snprintf(s->names[s->nnames].name, sizeof(s->names[0].name), "%s", name);
	s->nnames++;
	return 0;
}

int ex_set_merge(struct ex_set *dst, struct ex_set *src)
{
	int err = 0;

	for (size_t i = 0; i < src->n && !err; i++)
		err = ex_set_add(dst, &src->ops[i]);
	for (size_t i = 0; i < src->nnames && !err; i++)
		err = ex_set_name(dst, src->names[i].tid, src->names[i].name);
	src->n = 0;
	src->nnames = 0;
	return err;
}

static int cmp_lat_desc(const void *a, const void *b)
{
	const struct ex_op *x = a, *y = b;

	if (x->bd.lat_ns != y->bd.lat_ns)
		return x->bd.lat_ns < y->bd.lat_ns ? 1 : -1;
	return x->end < y->end ? -1 : x->end > y->end;
}

void ex_set_reduce(struct ex_set *s, uint32_t kind, uint64_t p99)
{
	size_t n = 0, w = 0, rest, keep;

	/* ops of kind to the front, slowest first */
	for (size_t i = 0; i < s->n; i++) {
		if (s->ops[i].kind != kind)
			continue;
		if (i != n) {
			struct ex_op t = s->ops[n];

			s->ops[n] = s->ops[i];
			s->ops[i] = t;
		}
		n++;
	}
	if (!n)
		return;
	qsort(s->ops, n, sizeof(s->ops[0]), cmp_lat_desc);
	for (size_t i = 0; i < n && i < EX_TOP; i++)
		s->ops[i].top = 1;
	w = n < EX_TOP ? n : EX_TOP;
	rest = 0;
	for (size_t i = w; i < n; i++)
		if (!p99 || s->ops[i].bd.lat_ns >= p99)
			rest++;
	keep = rest < EX_SAMPLE ? rest : EX_SAMPLE;
	/* the rest above p99 are ops w .. w+rest-1 (sorted); take keep of them, spread */
	for (size_t j = 0; j < keep; j++) {
		size_t src = w + j * rest / keep;

		s->ops[w + j] = s->ops[src];
		s->ops[w + j].top = 0;
	}
	w += keep;
	/* drop the others of kind: move the ops of other kinds down */
	if (w < n) {
		memmove(&s->ops[w], &s->ops[n], (s->n - n) * sizeof(s->ops[0]));
		s->n -= n - w;
	}
}

size_t ex_set_count(const struct ex_set *s)
{
	return s ? s->n : 0;
}

const struct ex_op *ex_set_get(const struct ex_set *s, size_t i)
{
	return i < s->n ? &s->ops[i] : NULL;
}

/* ------------------------------------------------------------ trace */

struct ex_scen {
	char *name;
	struct ex_set *set;
};

struct ex_trace {
	struct ex_scen *sc;
	size_t n;
};

struct ex_trace *ex_trace_new(void)
{
	return calloc(1, sizeof(struct ex_trace));
}

void ex_trace_free(struct ex_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->sc[i].name);
		ex_set_free(t->sc[i].set);
	}
	free(t->sc);
	free(t);
}

int ex_trace_add(struct ex_trace *t, const char *scenario, struct ex_set *s)
{
	struct ex_scen *sc = NULL;
	uint32_t kinds[OPS_MAX_KINDS];
	int nk = 0, err;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->sc[i].name, scenario))
			sc = &t->sc[i];
	if (!sc) {
		sc = realloc(t->sc, (t->n + 1) * sizeof(*sc));
		if (!sc)
			return -ENOMEM;
		t->sc = sc;
		sc = &t->sc[t->n];
		sc->name = strdup(scenario);
		sc->set = ex_set_new();
		if (!sc->name || !sc->set) {
			free(sc->name);
			ex_set_free(sc->set);
			return -ENOMEM;
		}
		t->n++;
	}
	err = ex_set_merge(sc->set, s);
	if (err)
		return err;
	for (size_t i = 0; i < sc->set->n; i++) {
		int j;

		for (j = 0; j < nk && kinds[j] != sc->set->ops[i].kind; j++)
			;
		if (j == nk && nk < OPS_MAX_KINDS)
			kinds[nk++] = sc->set->ops[i].kind;
	}
	for (int j = 0; j < nk; j++)
		ex_set_reduce(sc->set, kinds[j], 0);
	return 0;
}

size_t ex_trace_ops(const struct ex_trace *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->sc[i].set->n;
	return n;
}

size_t ex_trace_nscen(const struct ex_trace *t)
{
	return t->n;
}

const struct ex_set *ex_trace_scen(const struct ex_trace *t, size_t i, const char **name)
{
	*name = t->sc[i].name;
	return t->sc[i].set;
}
