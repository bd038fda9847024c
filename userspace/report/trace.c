// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* trace.json: a run's slow-operation exemplars as Chrome trace events (stats/exemplar.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel/sysnames.h"
#include "kernel/why.h"
#include "stacks/folded.h"
#include "stats/exemplar.h"
#include "util/json.h"

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

/*
 * Where slices are drawn: on a grid of 125 ns. The format's times are microseconds, and
 * a reader adds ts + dur in binary floating point (speedscope, after subtracting the
 * track's first ts) or rounds each of ts and dur to ns on its own (Perfetto). A child
 * that ends where its parent ends must still do so after that arithmetic, or the
 * reader sees it end after its parent and misdraws the track. 125 ns = 1/8 us is the
 * finest step that is exact both as three decimals and as a binary fraction, so every
 * ts and dur printed is an exact double, their sums and differences are exact, and
 * ts * 1000 is a whole number: each reader gets the integer nesting computed here.
 * Rounding to the nearest step keeps order (a <= b gives q(a) <= q(b)), so nesting
 * survives the grid; the args keep the exact nanoseconds.
 */
#define TRACE_GRID_NS 125

static uint64_t grid(uint64_t ns)
{
	return (ns + TRACE_GRID_NS / 2) / TRACE_GRID_NS * TRACE_GRID_NS;
}

/* microseconds with the ns as three decimals, from an integer on the grid */
static void put_us(FILE *f, const char *key, uint64_t ns)
{
	fprintf(f, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

/* A complete event from b to e (ns, already on the grid): ts and dur from integers. */
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

/*
 * --why: who woke an interval. Each waker gets a track of its own beside the threads'
 * ("chan-producer 1234: wakeups", or "timer: wakeups" for what is no thread), holding a
 * one-step slice at each wakeup, from which a flow arrow goes to the woken interval.
 * Separate tracks, so that these slices never cut across a thread's op slices.
 */
#define WAKE_TRACK_BASE 700000000ull
#define WAKE_TRACKS 256

struct wake_tracks {
	uint64_t id[WAKE_TRACKS];
	uint32_t n;
	uint64_t *flow;
};

static uint64_t wake_track(const struct ops_off *o)
{
	uint32_t cls = o->wake_by - 1;

	if (cls == OPS_W_ON)
		return WAKE_TRACK_BASE + o->waker;
	return WAKE_TRACK_BASE - 1 - cls; /* one per class of non-thread waker */
}

static void wake_arrow(FILE *f, uint32_t pid, uint64_t tid, const struct ops_off *o, uint64_t gw,
		       struct wake_tracks *wt)
{
	uint64_t track = wake_track(o);
	uint32_t i;

	for (i = 0; i < wt->n && wt->id[i] != track; i++)
		;
	if (i == wt->n) {
		if (wt->n == WAKE_TRACKS)
			return; /* more wakers than tracks: the interval keeps its args */
		wt->id[wt->n++] = track;
	}
	slice(f, pid, track, "wake", "wake", gw, gw + TRACE_GRID_NS);
	fprintf(f, ",\"args\":{\"woken_tid\":%" PRIu64 "}}", tid % 10000000);
	(*wt->flow)++;
	fprintf(f, ",\n{\"ph\":\"s\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
		",\"name\":\"wakes\",\"cat\":\"wake\",\"id\":%" PRIu64, pid, track, *wt->flow);
	put_us(f, "ts", gw);
	fprintf(f, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
		",\"name\":\"wakes\",\"cat\":\"wake\",\"id\":%" PRIu64, pid, tid, *wt->flow);
	put_us(f, "ts", gw);
	fputs("}", f);
}

static void wake_track_names(FILE *f, uint32_t pid, const struct ex_set *s,
			     const struct wake_tracks *wt)
{
	for (uint32_t i = 0; i < wt->n; i++) {
		uint64_t id = wt->id[i];
		char name[96];

		if (id >= WAKE_TRACK_BASE) {
			uint32_t tid = (uint32_t)(id - WAKE_TRACK_BASE);
			const char *nm = ex_set_thread_name(s, tid);

			snprintf(name, sizeof(name), "%s %u: wakeups", nm ? nm : "thread", tid);
		} else {
			snprintf(name, sizeof(name), "%s: wakeups",
				 why_class_key((unsigned)(WAKE_TRACK_BASE - 1 - id)));
		}
		fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
			",\"name\":\"thread_name\",\"args\":{\"name\":", pid, id);
		json_write_escaped(f, name);
		fprintf(f, "}},\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu64
			",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRIu64
			"}}", pid, id, id);
	}
}

static void write_intervals(FILE *f, uint32_t pid, uint64_t tid, const struct ex_op *op,
			    struct wake_tracks *wt)
{
	for (uint32_t i = 0; i < op->noff; i++) {
		const struct ops_off *o = &op->off[i];
		uint64_t b = o->start < op->x_begin ? op->x_begin : o->start;
		uint64_t e = o->end > op->x_end ? op->x_end : o->end;
		uint64_t w = o->wake < b ? b : o->wake > e ? e : o->wake;
		/* drawn on the grid, inside the op's own (gridded) window */
		uint64_t gb = grid(b), ge = grid(e), gw = grid(w);

		if (e <= b || ge <= gb)
			continue;
		slice(f, pid, tid, interval_name(o), "offcpu", gb, ge);
		fprintf(f, ",\"args\":{\"blocked_ns\":%" PRIu64 ",\"runq_ns\":%" PRIu64,
			w - b, e - w);
		if (o->sys >= 0)
			fprintf(f, ",\"syscall\":\"%s\"", sysnames_of_nr(o->sys));
		if (o->wake_by && o->wake_by - 1 == OPS_W_ON)
			fprintf(f, ",\"waker_tid\":%" PRIu32, o->waker);
		else if (o->waker && !o->wake_by)
			fprintf(f, ",\"waker_tid\":%" PRIu32, o->waker);
		if (o->wake_by)
			fprintf(f, ",\"woken_by\":\"%s\"", o->wake_by - 1 == OPS_W_ON ? "thread" :
				why_class_key(o->wake_by - 1));
		if (o->wake_by && o->wake_kind)
			fprintf(f, ",\"waker_op\":\"%s\"", ops_kind_name(o->wake_kind));
		if (o->kstack)
			fprintf(f, ",\"kstack_id\":\"0x%016" PRIx64 "\"", (uint64_t)o->kstack);
		fputs("}}", f);
		if (gw > gb) {
			slice(f, pid, tid, "blocked", "offcpu.blocked", gb, gw);
			fputs("}", f);
		}
		if (ge > gw) {
			slice(f, pid, tid, "runq", "offcpu.runq", gw, ge);
			fputs("}", f);
		}
		/* also when it ran at once (gw == ge): the arrow then ends where it did */
		if (o->wake_by && o->wake_by <= OPS_W_NR && gw > gb && gw <= ge)
			wake_arrow(f, pid, tid, o, gw, wt);
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

static int write_scenario(FILE *f, const char *scenario, const struct ex_set *s, uint32_t pid,
			  uint64_t *flow)
{
	size_t nops = ex_set_count(s);
	struct ex_top *tp = calloc(nops * 2 + 1, sizeof(*tp));
	struct wake_tracks *wt = calloc(1, sizeof(*wt));
	size_t nt = 0;
	char pname[320];

	if (!tp || !wt) {
		free(tp);
		free(wt);
		return -ENOMEM;
	}
	wt->flow = flow;
	snprintf(pname, sizeof(pname), "opscope: %s", scenario);
	fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,\"name\":\"process_name\","
		"\"args\":{\"name\":", pid);
	json_write_escaped(f, pname);
	fprintf(f, "}},\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,"
		"\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%" PRIu32 "}}", pid, pid);
	if (pid > 1)
		fprintf(f, ",\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":0,"
			"\"name\":\"process_labels\",\"args\":{\"labels\":\"opscope\"}}", pid);
	for (size_t i = 0; i < nops; i++) {
		const struct ex_op *op = ex_set_get(s, i);

		tp[nt++] = (struct ex_top){ op->tid, grid(op->begin), grid(op->end), i, 0, 0 };
		if (op->x_tid != op->tid)
			tp[nt++] = (struct ex_top){ op->x_tid, grid(op->x_begin), grid(op->x_end), i,
						    1, 0 };
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
		const struct ex_op *op = ex_set_get(s, tp[i].op);
		uint64_t tid = EX_LANE_TID(tp[i].tid, tp[i].lane);
		char name[96];

		if (!tp[i].run) {
			slice(f, pid, tid, ops_kind_name(op->kind), "op", tp[i].b, tp[i].e);
			write_op_args(f, op);
			if (op->x_tid == op->tid) {
				write_intervals(f, pid, tid, op, wt);
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
				put_us(f, "ts", tp[i].b);
				fprintf(f, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"pid\":%" PRIu32
					",\"tid\":%" PRIu64 ",\"name\":\"runs on\",\"cat\":\"flow\","
					"\"id\":%" PRIu64, pid, EX_LANE_TID(tp[j].tid, tp[j].lane),
					*flow);
				put_us(f, "ts", tp[j].b);
				fputs("}", f);
			}
			continue;
		}
		snprintf(name, sizeof(name), "%s (run)", ops_kind_name(op->kind));
		slice(f, pid, tid, name, "run", tp[i].b, tp[i].e);
		fprintf(f, ",\"args\":{\"for_tid\":%" PRIu32 ",\"intervals\":%" PRIu32
			",\"intervals_lost\":%" PRIu32 "}}", op->tid, op->noff, op->lost);
		write_intervals(f, pid, tid, op, wt);
	}
	wake_track_names(f, pid, s, wt);
	free(tp);
	free(wt);
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
	for (size_t i = 0; i < ex_trace_nscen(t) && !err; i++) {
		const char *name;
		const struct ex_set *s = ex_trace_scen(t, i, &name);

		err = write_scenario(f, name, s, (uint32_t)i + 1, &flow);
	}
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
