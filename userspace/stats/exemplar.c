// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Slow-operation exemplars: candidates per thread, sets per run, trace-event JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "stats/exemplar.h"
#include "stacks/folded.h"
#include "util/json.h"
#include "kernel/sysnames.h"

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

void ex_ring_copy(struct ex_op *op, const volatile struct ops_slot *sl, uint64_t begin,
		  uint64_t end, uint64_t switches)
{
	struct ops_off tmp[OPS_OFF_RING];
	uint64_t seq1, seq2, base, first;
	uint32_t n = 0;

	op->noff = 0;
	op->lost = 0;
	if (!sl)
		return;
	seq1 = __atomic_load_n(&sl->off_seq, __ATOMIC_ACQUIRE);
	base = seq1 > OPS_OFF_RING ? seq1 - OPS_OFF_RING : 0;
	for (uint64_t i = base; i < seq1; i++)
		memcpy(&tmp[i - base], (const void *)&sl->off[i & (OPS_OFF_RING - 1)],
		       sizeof(tmp[0]));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	seq2 = __atomic_load_n(&sl->off_seq, __ATOMIC_ACQUIRE);
	/* while interval seq2 is being written, entry seq2 - OPS_OFF_RING is overwritten:
	 * keep only entries no write can have touched during the copy */
	first = base;
	if (seq2 + 1 > OPS_OFF_RING && seq2 + 1 - OPS_OFF_RING > first)
		first = seq2 + 1 - OPS_OFF_RING;
	for (uint64_t i = first; i < seq1; i++) {
		const struct ops_off *o = &tmp[i - base];

		if (o->end < begin || o->start > end || o->end < o->start)
			continue;
		op->off[n++] = *o;
	}
	op->noff = n;
	if (switches > n)
		op->lost = (uint32_t)(switches - n);
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
		ex_ring_copy(op, x->ot->slot, x->begin, x->end, bd->vcsw + bd->ivcsw);
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

/* A slice that takes a whole track of its thread (op or cross-thread run) and its lane. */
struct ex_top {
	uint32_t tid;
	uint64_t b, e;
	size_t op;
	int run; /* 0: the op on tid; 1: its run on x_tid */
	uint32_t lane;
};

static int cmp_top(const void *a, const void *b)
{
	const struct ex_top *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return x->e > y->e ? -1 : x->e < y->e;
}

#define EX_LANES 64
#define EX_LANE_TID(tid, lane) ((uint64_t)(tid) + (uint64_t)(lane) * 10000000)

/* microseconds with the ns as three decimals: exact, so nesting survives */
static void put_us(FILE *f, const char *key, uint64_t ns)
{
	fprintf(f, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

static void slice(FILE *f, uint32_t pid, uint64_t tid, const char *name, const char *cat,
		  uint64_t b, uint64_t e)
{
	fprintf(f, ",\n{\"ph\":\"X\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64 ",\"name\":", pid, tid);
	json_write_escaped(f, name);
	fprintf(f, ",\"cat\":\"%s\"", cat);
	put_us(f, "ts", b);
	put_us(f, "dur", e > b ? e - b : 0);
}

static const char *interval_name(const struct ops_off *o)
{
	if (o->sys == OPS_OFF_PREEMPTED)
		return "preempted";
	if (o->sys < 0)
		return o->wake > o->start ? "blocked (no syscall)" : "preempted";
	return sysnames_of_nr(o->sys);
}

static void write_intervals(FILE *f, uint32_t pid, uint64_t tid, const struct ex_op *op)
{
	for (uint32_t i = 0; i < op->noff; i++) {
		const struct ops_off *o = &op->off[i];
		uint64_t b = o->start < op->x_begin ? op->x_begin : o->start;
		uint64_t e = o->end > op->x_end ? op->x_end : o->end;
		uint64_t w = o->wake < b ? b : o->wake > e ? e : o->wake;

		if (e <= b)
			continue;
		slice(f, pid, tid, interval_name(o), "offcpu", b, e);
		fprintf(f, ",\"args\":{\"blocked_ns\":%" PRIu64 ",\"runq_ns\":%" PRIu64,
			w - b, e - w);
		if (o->sys >= 0)
			fprintf(f, ",\"syscall\":\"%s\"", sysnames_of_nr(o->sys));
		if (o->waker)
			fprintf(f, ",\"waker_tid\":%" PRIu32, o->waker);
		if (o->kstack)
			fprintf(f, ",\"kstack_id\":\"0x%016" PRIx64 "\"", (uint64_t)o->kstack);
		fputs("}}", f);
		if (w > b) {
			slice(f, pid, tid, "blocked", "offcpu.blocked", b, w);
			fputs("}", f);
		}
		if (e > w) {
			slice(f, pid, tid, "runq", "offcpu.runq", w, e);
			fputs("}", f);
		}
	}
}

static void write_op_args(FILE *f, const struct ex_op *op)
{
	const struct ops_bd *d = &op->bd;

	fprintf(f, ",\"args\":{\"exemplar\":\"%s\",\"lat_ns\":%" PRIu64 ",\"on_cpu_ns\":%" PRIu64
		",\"runq_ns\":%" PRIu64 ",\"blocked_ns\":%" PRIu64 ",\"steal_ns\":%" PRIu64
		",\"queued_ns\":%" PRIu64 ",\"syscalls\":%" PRIu64 ",\"syscall_ns\":%" PRIu64
		",\"faults\":%" PRIu64 ",\"voluntary_switches\":%" PRIu64
		",\"involuntary_switches\":%" PRIu64 ",\"migrations\":%" PRIu64
		",\"map_calls\":%" PRIu64 ",\"intervals\":%" PRIu32 ",\"intervals_lost\":%" PRIu32,
		op->top ? "slowest" : "above p99", d->lat_ns, d->on_ns, d->runq_ns,
		d->blocked_ns, d->steal_ns, d->queued_ns, d->syscalls, d->syscall_ns, d->faults,
		d->vcsw, d->ivcsw, d->migrations, d->map_calls, op->noff, op->lost);
	if (op->x_tid != op->tid)
		fprintf(f, ",\"ran_on_tid\":%" PRIu32, op->x_tid);
	for (int i = 0; i < OPS_BD_BLK; i++) {
		const char *nm;
		char key[80];

		if (!d->blk_ns[i] || !(nm = sysnames_name(i)))
			continue;
		snprintf(key, sizeof(key), "blocked_in %s", nm);
		fputs(",", f);
		json_write_escaped(f, key);
		fprintf(f, ":%" PRIu64, d->blk_ns[i]);
	}
	fputs("}}", f);
}

static int write_scenario(FILE *f, const struct ex_scen *sc, uint32_t pid, uint64_t *flow)
{
	const struct ex_set *s = sc->set;
	struct ex_top *tp = calloc(s->n * 2 + 1, sizeof(*tp));
	size_t nt = 0;
	char pname[320];

	if (!tp)
		return -ENOMEM;
	snprintf(pname, sizeof(pname), "opscope: %s", sc->name);
	fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,\"name\":\"process_name\","
		"\"args\":{\"name\":", pid);
	json_write_escaped(f, pname);
	fprintf(f, "}},\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,"
		"\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%" PRIu32 "}}", pid, pid);
	if (pid > 1)
		fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,"
			"\"name\":\"process_labels\",\"args\":{\"labels\":\"opscope\"}}", pid);
	for (size_t i = 0; i < s->n; i++) {
		const struct ex_op *op = &s->ops[i];

		tp[nt++] = (struct ex_top){ op->tid, op->begin, op->end, i, 0, 0 };
		if (op->x_tid != op->tid)
			tp[nt++] = (struct ex_top){ op->x_tid, op->x_begin, op->x_end, i, 1, 0 };
	}
	qsort(tp, nt, sizeof(*tp), cmp_top);
	/* lanes: per thread, the first lane whose last slice ended before this begins */
	for (size_t i = 0, j; i < nt; i = j) {
		uint64_t last[EX_LANES];
		uint32_t nl = 0;

		for (j = i; j < nt && tp[j].tid == tp[i].tid; j++) {
			uint32_t l;

			for (l = 0; l < nl && last[l] > tp[j].b; l++)
				;
			if (l == nl && nl < EX_LANES)
				nl++;
			if (l == EX_LANES)
				l = EX_LANES - 1; /* never reached with EX_TOP + EX_SAMPLE ops */
			last[l] = tp[j].e;
			tp[j].lane = l;
		}
		for (uint32_t l = 0; l < nl; l++) {
			const char *nm = ex_set_thread_name(s, tp[i].tid);
			char tname[96];

			if (l)
				snprintf(tname, sizeof(tname), "%s %u (overlap %u)", nm ? nm : "thread",
					 tp[i].tid, l);
			else
				snprintf(tname, sizeof(tname), "%s %u", nm ? nm : "thread", tp[i].tid);
			fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
				",\"name\":\"thread_name\",\"args\":{\"name\":", pid,
				EX_LANE_TID(tp[i].tid, l));
			json_write_escaped(f, tname);
			fprintf(f, "}},\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
				",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRIu64
				"}}", pid, EX_LANE_TID(tp[i].tid, l),
				(uint64_t)tp[i].tid * EX_LANES + l);
		}
	}
	for (size_t i = 0; i < nt; i++) {
		const struct ex_op *op = &s->ops[tp[i].op];
		uint64_t tid = EX_LANE_TID(tp[i].tid, tp[i].lane);
		char name[96];

		if (!tp[i].run) {
			slice(f, pid, tid, ops_kind_name(op->kind), "op", op->begin, op->end);
			write_op_args(f, op);
			if (op->x_tid == op->tid) {
				write_intervals(f, pid, tid, op);
				continue;
			}
			/* a flow arrow from the op to where it ran */
			for (size_t j = 0; j < nt; j++) {
				if (tp[j].op != tp[i].op || !tp[j].run)
					continue;
				(*flow)++;
				fprintf(f, ",\n{\"ph\":\"s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
					",\"name\":\"runs on\",\"cat\":\"flow\",\"id\":%" PRIu64, pid,
					tid, *flow);
				put_us(f, "ts", op->begin);
				fprintf(f, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%" PRIu32
					",\"tid\":%" PRIu64 ",\"name\":\"runs on\",\"cat\":\"flow\","
					"\"id\":%" PRIu64, pid, EX_LANE_TID(tp[j].tid, tp[j].lane),
					*flow);
				put_us(f, "ts", op->x_begin);
				fputs("}", f);
			}
			continue;
		}
		snprintf(name, sizeof(name), "%s (run)", ops_kind_name(op->kind));
		slice(f, pid, tid, name, "run", op->x_begin, op->x_end);
		fprintf(f, ",\"args\":{\"for_tid\":%" PRIu32 ",\"intervals\":%" PRIu32
			",\"intervals_lost\":%" PRIu32 "}}", op->tid, op->noff, op->lost);
		write_intervals(f, pid, tid, op);
	}
	free(tp);
	return 0;
}

int ex_trace_write(const struct ex_trace *t, FILE *f)
{
	uint64_t flow = 0;
	int err = 0;

	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"opscope\","
	      "\"clock\":\"CLOCK_MONOTONIC\",\"content\":\"slow-operation exemplars\"},\n"
	      "\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"process_labels\","
	      "\"args\":{\"labels\":\"opscope\"}}", f);
	for (size_t i = 0; i < t->n && !err; i++)
		err = write_scenario(f, &t->sc[i], (uint32_t)i + 1, &flow);
	fputs("\n]}\n", f);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

int ex_trace_write_file(const struct ex_trace *t, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);
	int rc;

	if (!f)
		return -errno;
	rc = ex_trace_write(t, f);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory writing %s", path);
	return atomic_file_commit(f, tmp, path, rc, err, errlen);
}
