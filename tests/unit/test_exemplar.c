// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Unit tests for slow-operation exemplars: the per-thread threshold and candidates, the
 * ring copy, the reduction to the slowest plus a sample above p99, and the trace-event
 * JSON (parsed back: well formed, ts/dur in microseconds, every slice nested or apart). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stats/exemplar.h"
#include "util/jsonparse.h"
#include "kernel/sysnames.h"

static struct ops_bd bd_of(uint64_t lat)
{
	struct ops_bd bd;

	memset(&bd, 0, sizeof(bd));
	bd.n = 1;
	bd.lat_ns = lat;
	return bd;
}

START_TEST(test_threshold_and_top)
{
	struct ops_thread self = { .slot = NULL, .tid = 42 };
	struct ex_kind *ek = NULL;
	struct ex_set *s = ex_set_new();
	uint64_t thr = 0, offered = 0;
	uint32_t kind = ops_kind_id("t.op");

	/* latencies 1..1000 us in a scrambled order; the caller's compare decides */
	for (uint64_t i = 0; i < 1000; i++) {
		uint64_t lat = ((i * 7919) % 1000 + 1) * 1000;
		struct ops_bd bd = bd_of(lat);

		if (lat >= thr) {
			thr = ex_kind_offer(&ek, kind, &self, &bd, 5000000 + i * 1000000, NULL);
			offered++;
		}
	}
	/* the slow path is rare: far fewer offers than ops */
	ck_assert_uint_lt(offered, 200);
	ck_assert_uint_gt(thr, 992 * 1000); /* floor of the 8 slowest (993..1000 us) + 1 */
	ck_assert_int_eq(ex_kind_collect(ek, s), 0);
	ck_assert_uint_eq(ex_set_count(s), EX_TOP);
	for (size_t i = 0; i < ex_set_count(s); i++) {
		const struct ex_op *op = ex_set_get(s, i);

		ck_assert_uint_ge(op->bd.lat_ns, 993 * 1000);
		ck_assert_uint_eq(op->top, 1);
		ck_assert_uint_eq(op->tid, 42);
		ck_assert_uint_eq(op->end - op->begin, op->bd.lat_ns);
	}
	/* with a p99 known, the threshold drops to it and ops above it are sampled */
	thr = ex_kind_set_p99(&ek, 990 * 1000);
	ck_assert_uint_eq(thr, 990 * 1000);
	for (uint64_t i = 0; i < 20; i++) {
		struct ops_bd bd = bd_of(990 * 1000 + i);

		ex_kind_offer(&ek, kind, &self, &bd, 2000000000ull + i * 1000000, NULL);
	}
	ex_set_free(s);
	s = ex_set_new();
	ck_assert_int_eq(ex_kind_collect(ek, s), 0);
	ck_assert_uint_eq(ex_set_count(s), EX_TOP + EX_SAMPLE);
	for (size_t i = EX_TOP; i < ex_set_count(s); i++) {
		ck_assert_uint_eq(ex_set_get(s, i)->top, 0);
		ck_assert_uint_ge(ex_set_get(s, i)->bd.lat_ns, 990 * 1000);
	}
	ex_kind_free(ek);
	ex_set_free(s);
}
END_TEST

static void put_off(struct ops_slot *sl, uint64_t start, uint64_t wake, uint64_t end, int sys)
{
	struct ops_off *o = &sl->off[sl->off_seq & (OPS_OFF_RING - 1)];

	o->start = start;
	o->wake = wake;
	o->end = end;
	o->sys = sys;
	o->waker = sys >= 0 ? 777 : 0;
	o->kstack = 0;
	sl->off_seq++;
}

START_TEST(test_ring_copy)
{
	struct ops_slot *sl = calloc(1, sizeof(*sl));
	struct ex_op *op = calloc(1, sizeof(*op));

	/* 20 intervals of 10 ns every 100 ns: the ring holds the last 16 (400..1900) */
	for (uint64_t i = 0; i < 20; i++)
		put_off(sl, i * 100, i * 100 + 5, i * 100 + 10, (int)i);
	ex_ring_copy(op, sl, 1050, 1420, 4);
	ck_assert_uint_eq(op->noff, 4); /* 1100, 1200, 1300, 1400 */
	ck_assert_uint_eq(op->off[0].start, 1100);
	ck_assert_uint_eq(op->off[3].start, 1400);
	ck_assert_uint_eq(op->lost, 0);
	/* an op back to 0: the 4 oldest intervals were overwritten, the switch count says so */
	ex_ring_copy(op, sl, 0, 2000, 20);
	/* the newest write may be under way: the entry it overwrites next is left out */
	ck_assert_uint_eq(op->noff, OPS_OFF_RING - 1);
	ck_assert_uint_eq(op->off[0].start, 500);
	ck_assert_uint_eq(op->lost, 20 - (OPS_OFF_RING - 1));
	ex_ring_copy(op, NULL, 0, 2000, 3);
	ck_assert_uint_eq(op->noff, 0);
	free(op);
	free(sl);
}
END_TEST

START_TEST(test_reduce)
{
	struct ex_set *s = ex_set_new();
	struct ex_op *op = calloc(1, sizeof(*op));
	uint32_t ka = ops_kind_id("r.a"), kb = ops_kind_id("r.b");

	for (uint64_t i = 1; i <= 100; i++) {
		op->kind = i % 2 ? ka : kb;
		op->bd.lat_ns = i * 10;
		op->end = i * 1000;
		ck_assert_int_eq(ex_set_add(s, op), 0);
	}
	ex_set_reduce(s, ka, 500); /* ka: 10, 30, ..., 990; p99 cut at 500 */
	{
		size_t na = 0, nb = 0, top = 0;

		for (size_t i = 0; i < ex_set_count(s); i++) {
			const struct ex_op *o = ex_set_get(s, i);

			if (o->kind == kb) {
				nb++;
				continue;
			}
			na++;
			top += o->top;
			ck_assert_uint_ge(o->bd.lat_ns, 500);
			if (o->top)
				ck_assert_uint_ge(o->bd.lat_ns, 990 - 7 * 20);
		}
		ck_assert_uint_eq(nb, 50);
		ck_assert_uint_eq(top, EX_TOP);
		ck_assert_uint_eq(na, EX_TOP + EX_SAMPLE);
	}
	free(op);
	ex_set_free(s);
}
END_TEST

/* ---- the trace, parsed back ---- */

struct sl {
	int64_t pid, tid;
	int64_t b, e; /* ns, from the microsecond text */
	const char *name, *cat;
	const struct json_value *args;
};

static int64_t us_to_ns(const struct json_value *v)
{
	double d = json_num(v);

	return (int64_t)(d * 1000.0 + (d >= 0 ? 0.5 : -0.5));
}

static const struct sl *find(const struct sl *v, int n, const char *name, int64_t tid)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && (tid < 0 || v[i].tid == tid))
			return &v[i];
	return NULL;
}

static bool inside(const struct sl *in, const struct sl *out)
{
	return in->pid == out->pid && in->tid == out->tid && in->b >= out->b && in->e <= out->e;
}

START_TEST(test_trace_json)
{
	struct ex_trace *tr = ex_trace_new();
	struct ex_set *s = ex_set_new();
	struct ex_op *op = calloc(1, sizeof(*op));
	uint32_t kind = ops_kind_id("tr.call");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_err e;
	struct json_doc *d;
	const struct json_value *ev;
	struct sl v[64];
	int n = 0, nthread_names = 0;

	/* a same-thread op 1 ms .. 3 ms with a sleep (blocked, then run-queue wait) and a
	 * preemption inside */
	op->kind = kind;
	op->tid = op->x_tid = 100;
	op->top = 1;
	op->begin = op->x_begin = 1000000;
	op->end = op->x_end = 3000000;
	op->bd = bd_of(2000000);
	op->noff = 2;
	op->off[0] = (struct ops_off){ 1100000, 1600000, 1650001, 0xabc, SYS_clock_nanosleep, 7,
				       0, 0 };
	op->off[1] = (struct ops_off){ 2000000, 2000000, 2100000, 0, OPS_OFF_PREEMPTED, 0, 0, 0 };
	ck_assert_int_eq(ex_set_add(s, op), 0);
	/* a second op of the same thread overlapping the first: another track */
	op->begin = op->x_begin = 2500000;
	op->end = op->x_end = 4000000;
	op->bd = bd_of(1500000);
	op->noff = 0;
	ck_assert_int_eq(ex_set_add(s, op), 0);
	/* a cross-thread op: timed by 100, ran on 200 from 5.2 to 5.8 ms */
	op->begin = 5000000;
	op->end = 6000000;
	op->bd = bd_of(1000000);
	op->x_tid = 200;
	op->x_begin = 5200000;
	op->x_end = 5800000;
	op->noff = 1;
	op->off[0] = (struct ops_off){ 5300000, 5700000, 5750000, 0, SYS_clock_nanosleep, 0, 0, 0 };
	ck_assert_int_eq(ex_set_add(s, op), 0);
	ck_assert_int_eq(ex_set_name(s, 100, "caller"), 0);
	ck_assert_int_eq(ex_set_name(s, 200, "worker \"1\""), 0);
	ck_assert_int_eq(ex_trace_add(tr, "pool/sleep=1ms", s), 0);
	ck_assert_uint_eq(ex_trace_ops(tr), 3);
	ck_assert_int_eq(ex_trace_write(tr, f), 0);
	fclose(f);

	d = json_parse(buf, len, 0, &e);
	ck_assert_msg(d != NULL, "trace.json does not parse: %d:%d: %s\n%s", e.line, e.col,
		      e.msg, buf);
	ev = json_get(json_root(d), "traceEvents");
	ck_assert(json_is(ev, JSON_ARRAY));
	for (size_t i = 0; i < json_len(ev); i++) {
		const struct json_value *x = json_at(ev, i);
		const char *ph = json_get_str(x, "ph", "");

		ck_assert(json_is(json_get(x, "pid"), JSON_NUMBER));
		ck_assert(json_is(json_get(x, "tid"), JSON_NUMBER));
		ck_assert(json_is(json_get(x, "name"), JSON_STRING));
		if (!strcmp(ph, "M")) {
			if (!strcmp(json_get_str(x, "name", ""), "thread_name"))
				nthread_names++;
			ck_assert(json_is(json_path(x, "args"), JSON_OBJECT));
			continue;
		}
		if (strcmp(ph, "X"))
			continue;
		ck_assert(json_is(json_get(x, "ts"), JSON_NUMBER));
		ck_assert(json_is(json_get(x, "dur"), JSON_NUMBER));
		ck_assert_int_lt(n, 64);
		v[n].pid = json_int(json_get(x, "pid"));
		v[n].tid = json_int(json_get(x, "tid"));
		v[n].b = us_to_ns(json_get(x, "ts"));
		v[n].e = v[n].b + us_to_ns(json_get(x, "dur"));
		v[n].name = json_get_str(x, "name", "");
		v[n].cat = json_get_str(x, "cat", "");
		v[n].args = json_get(x, "args");
		n++;
	}
	/* caller, caller (overlap 1), worker */
	ck_assert_int_eq(nthread_names, 3);
	/* every two slices on a track nest or are apart */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			if (i == j || v[i].pid != v[j].pid || v[i].tid != v[j].tid)
				continue;
			ck_assert_msg(v[i].e <= v[j].b || v[j].e <= v[i].b ||
					      inside(&v[i], &v[j]) || inside(&v[j], &v[i]),
				      "%s and %s overlap without nesting", v[i].name, v[j].name);
		}
	{
		const struct sl *o = find(v, n, "tr.call", 100), *z, *b, *q, *p;

		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(o->b, 1000000); /* ts 1000.000 us */
		ck_assert_int_eq(o->e, 3000000);
		ck_assert_int_eq(json_int(json_get(o->args, "lat_ns")), 2000000);
		ck_assert_str_eq(json_get_str(o->args, "exemplar", ""), "slowest");
		z = find(v, n, "clock_nanosleep", 100);
		ck_assert_ptr_nonnull(z);
		ck_assert(inside(z, o));
		ck_assert_int_eq(json_int(json_get(z->args, "waker_tid")), 7);
		ck_assert_str_eq(json_get_str(z->args, "kstack_id", ""), "0x0000000000000abc");
		b = find(v, n, "blocked", 100);
		q = find(v, n, "runq", 100);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_nonnull(q);
		ck_assert(inside(b, z) && inside(q, z));
		ck_assert_int_eq(b->b, 1100000);
		ck_assert_int_eq(b->e, 1600000);
		/* drawn on the 125 ns grid; the args keep the exact ns */
		ck_assert_int_eq(q->e, 1650000);
		ck_assert_int_eq(json_int(json_get(z->args, "runq_ns")), 50001);
		p = find(v, n, "preempted", 100);
		ck_assert_ptr_nonnull(p);
		ck_assert(inside(p, o));
	}
	{
		const struct sl *r = find(v, n, "tr.call (run)", 200), *z;

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->b, 5200000);
		z = find(v, n, "clock_nanosleep", 200);
		ck_assert_ptr_nonnull(z);
		ck_assert(inside(z, r));
		ck_assert_int_eq(json_int(json_get(r->args, "for_tid")), 100);
	}
	{
		/* the overlapping op went to another track of the same process */
		int on_main = 0;

		for (int i = 0; i < n; i++)
			on_main += !strcmp(v[i].name, "tr.call") && v[i].tid == 100;
		ck_assert_int_eq(on_main, 2); /* the first and the cross-thread one */
		ck_assert_ptr_nonnull(find(v, n, "tr.call", 100 + 10000000));
	}
	json_doc_free(d);
	free(buf);
	free(op);
	ex_set_free(s);
	ex_trace_free(tr);
}
END_TEST

START_TEST(test_trace_file)
{
	struct ex_trace *tr = ex_trace_new();
	char dir[] = "/tmp/test_exemplarXXXXXX", path[128], err[256];
	struct json_doc *d;
	struct json_err e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trace.json", dir);
	ck_assert_int_eq(ex_trace_write_file(tr, path, err, sizeof(err)), 0);
	d = json_parse_file(path, 0, &e);
	ck_assert_ptr_nonnull(d);
	ck_assert(json_is(json_get(json_root(d), "traceEvents"), JSON_ARRAY));
	json_doc_free(d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/no/such/dir/trace.json", dir);
	ck_assert_int_ne(ex_trace_write_file(tr, path, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "trace.json"));
	rmdir(dir);
	ex_trace_free(tr);
}
END_TEST

static Suite *exemplar_suite(void)
{
	Suite *s = suite_create("exemplar");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_threshold_and_top);
	tcase_add_test(tc, test_ring_copy);
	tcase_add_test(tc, test_reduce);
	tcase_add_test(tc, test_trace_json);
	tcase_add_test(tc, test_trace_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exemplar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
