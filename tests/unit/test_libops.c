// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libopscope and opscope's side of the attach protocol, in one process and without root:
 * a memfd stands in for the collector's slot array (the test writes the counters a
 * kernel would), kernel/attach.c serves the handshake and drains the rings, and the
 * program side is the real library (libopscope.a) called through its public header.
 * Checked: records and their decoding, cross-thread ops, misuse and loss counters, full
 * rings, thread churn, fork, detach, the decoding of records made by hand, and record
 * --why's split carried beside the records.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "opscope/ops.h"
#include "kernel/attach.h"
#include "kernel/sysnames.h"
#include "stats/exemplar.h"
#include "workloads/marks.h"

#define STRIDE ((sizeof(struct ops_slot) + 7) & ~(size_t)7)
#define MAXOPS 200000

static char *slots;
static int slots_fd = -1;
static size_t slots_len;
static atomic_int next_slot;

static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;
static struct attach_op *got;
static size_t ngot;
/* record --why: the ops' whys (valid only during the callback), as they came */
#define MAXWHY 64
static struct ops_wbd gotw[MAXWHY];

static void on_op(const struct attach_op *op, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&got_lock);
	if (ngot < MAXOPS) {
		got[ngot] = *op;
		got[ngot].why = NULL;
		if (ngot < MAXWHY && op->why) {
			gotw[ngot] = *op->why;
			got[ngot].why = &gotw[ngot];
		}
		ngot++;
	}
	pthread_mutex_unlock(&got_lock);
}

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's slot, as the kernel side would have made it. */
static volatile struct ops_slot *fake_slot(void)
{
	int i = atomic_fetch_add(&next_slot, 1);
	volatile struct ops_slot *s = (volatile struct ops_slot *)(slots + (size_t)i * STRIDE);

	for (int j = 0; j < OPS_BLK_SYS; j++)
		s->blk_nr[j] = -1;
	s->tgid = (uint32_t)getpid();
	s->state = OPS_T_RUNNING;
	s->in_ts = now();
	s->tid = (uint32_t)syscall(SYS_gettid);
	__atomic_store_n(&s->gen, 1, __ATOMIC_RELEASE);
	return s;
}

/* The library's control page, found as opscope finds it (here in our own maps). */
static struct opsp_ctl *own_ctl(void)
{
	char line[512];
	unsigned long lo;
	FILE *f = fopen("/proc/self/maps", "r");
	struct opsp_ctl *c = NULL;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:" OPSP_CTL_NAME) && sscanf(line, "%lx-", &lo) == 1)
			c = (struct opsp_ctl *)lo;
	if (f)
		fclose(f);
	return c;
}

static struct attach *start_why(uint32_t cap, bool why)
{
	struct attach_opts o = {
		.pid = getpid(), .slots_fd = slots_fd, .slots_len = slots_len,
		.slots = (const volatile struct ops_slot *)slots, .nrings = 128, .ring_cap = cap,
		.ctl_self = own_ctl(), .on_op = on_op, .why = why,
	};
	char err[256];
	struct attach *a;

	ck_assert_ptr_nonnull(o.ctl_self);
	a = attach_start(&o, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	return a;
}

static struct attach *start(uint32_t cap)
{
	return start_why(cap, false);
}

static void setup(void)
{
	slots_len = (OPS_MAX_SLOTS * STRIDE + 4095) & ~(size_t)4095;
	slots_fd = (int)syscall(SYS_memfd_create, "fake-slots", 0);
	ck_assert_int_ge(slots_fd, 0);
	ck_assert_int_eq(ftruncate(slots_fd, (off_t)slots_len), 0);
	slots = mmap(NULL, slots_len, PROT_READ | PROT_WRITE, MAP_SHARED, slots_fd, 0);
	ck_assert_ptr_ne(slots, MAP_FAILED);
	got = calloc(MAXOPS, sizeof(*got));
	ngot = 0;
	atomic_store(&next_slot, 0);
}

static void teardown(void)
{
	munmap(slots, slots_len);
	close(slots_fd);
	free(got);
}

START_TEST(detached_costs_nothing_and_counts_nothing)
{
	int k = opscope_kind("t.detached");
	struct opsp_ctl *c = own_ctl();
	opscope_op op;

	for (int i = 0; i < 1000; i++) {
		opscope_begin(&op, k);
		opscope_end(&op);
	}
	ck_assert_uint_eq(c->attach, 0);
	for (int i = 0; i < OPSP_M_NR; i++)
		ck_assert_uint_eq(c->misuse[i], 0);
	ck_assert_str_eq(c->kind[k], "t.detached");
}
END_TEST

START_TEST(same_thread_op_carries_its_counters)
{
	int k = opscope_kind("t.same");
	struct attach *a = start(0);
	volatile struct ops_slot *s = fake_slot();
	struct attach_stats st;
	opscope_op op;

	s->blk_nr[0] = 230; /* clock_nanosleep */
	opscope_begin(&op, k);
	ck_assert_uint_eq(s->op_kind, (unsigned)k);
	s->faults += 3;
	s->blocked_ns += 5000;
	s->blk_ns[0] += 5000;
	s->nvcsw += 1;
	opscope_end(&op);
	ck_assert_uint_eq(s->op_kind, 0);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_uint_eq(got[0].kind, (unsigned)k);
	ck_assert_uint_eq(got[0].bd.faults, 3);
	ck_assert_uint_eq(got[0].bd.vcsw, 1);
	ck_assert_uint_eq(got[0].bd.blocked_ns, 5000);
	ck_assert_uint_eq(got[0].bd.blk_ns[sysnames_blk_index(230)], 5000);
	ck_assert_uint_eq(got[0].bd.lat_ns, got[0].end - got[0].begin);
	ck_assert_uint_eq(got[0].tid, s->tid);
	ck_assert(got[0].x_slot == s);
	attach_get_stats(a, &st);
	ck_assert(st.attached);
	ck_assert_uint_eq(st.begun, 1);
	ck_assert_uint_eq(st.ended, 1);
	ck_assert_uint_eq(st.open, 0);
	attach_free(a);
}
END_TEST

struct xfer {
	opscope_op op;
	atomic_int stage;
	uint32_t tid;
};

static void *worker(void *arg)
{
	struct xfer *x = arg;
	volatile struct ops_slot *s = fake_slot();

	x->tid = s->tid;
	while (atomic_load(&x->stage) != 1)
		;
	opscope_exec_begin(&x->op);
	s->faults += 7;
	s->syscalls += 2;
	opscope_exec_end(&x->op);
	atomic_store(&x->stage, 2);
	return NULL;
}

START_TEST(cross_thread_op_is_the_runners_plus_queued)
{
	int k = opscope_kind("t.pool");
	struct attach *a = start(0);
	volatile struct ops_slot *s = fake_slot();
	struct timespec ms = { 0, 2000000 };
	struct xfer x = { 0 };
	pthread_t th;

	pthread_create(&th, NULL, worker, &x);
	opscope_begin(&x.op, k);
	nanosleep(&ms, NULL); /* queued */
	atomic_store(&x.stage, 1);
	while (atomic_load(&x.stage) != 2)
		;
	s->faults += 100; /* the caller's own work is not the op's */
	opscope_end(&x.op);
	pthread_join(th, NULL);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 1);
	ck_assert(got[0].flags & OPSP_F_EXEC);
	ck_assert_uint_eq(got[0].x_tid, x.tid);
	ck_assert_uint_eq(got[0].tid, s->tid);
	ck_assert_uint_eq(got[0].bd.faults, 7);
	ck_assert_uint_eq(got[0].bd.syscalls, 2);
	ck_assert_uint_ge(got[0].bd.queued_ns, 2000000);
	ck_assert_uint_eq(got[0].bd.queued_ns + (got[0].x_end - got[0].x_begin),
			  got[0].bd.lat_ns);
	attach_free(a);
}
END_TEST

static void *ender(void *arg)
{
	fake_slot();
	opscope_end(arg);
	return NULL;
}

START_TEST(op_ended_elsewhere_without_exec_is_latency_only)
{
	int k = opscope_kind("t.moved");
	struct attach *a = start(0);
	opscope_op op;
	pthread_t th;

	fake_slot();
	opscope_begin(&op, k);
	pthread_create(&th, NULL, ender, &op);
	pthread_join(th, NULL);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 1);
	ck_assert(got[0].flags & OPSP_F_MOVED);
	ck_assert_uint_eq(got[0].bd.queued_ns, got[0].bd.lat_ns);
	ck_assert_uint_eq(got[0].bd.on_ns, 0);
	attach_free(a);
}
END_TEST

START_TEST(misuse_is_counted_never_fatal)
{
	int k = opscope_kind("t.misuse");
	struct attach *a = start(0);
	struct attach_stats st;
	opscope_op op, zero;
	char name[32];

	fake_slot();
	memset(&zero, 0, sizeof(zero));
	opscope_end(&zero);                   /* end without begin */
	opscope_begin(&op, k);
	opscope_end(&op);
	opscope_end(&op);                     /* ended twice */
	opscope_begin(&op, 99);               /* a kind never given */
	opscope_end(&op);
	opscope_begin_v(&op, k, OPSCOPE_ABI + 1); /* another build */
	opscope_exec_end(&zero);              /* exec_end of nothing */
	opscope_begin(&op, k);
	opscope_exec_end(&op);                /* exec_end without exec_begin */
	opscope_exec_begin(&op);
	opscope_exec_begin(&op);              /* twice */
	opscope_end(&op);                     /* ended while still running */
	for (int i = 0; i < 70; i++) {        /* past the table */
		snprintf(name, sizeof(name), "t.many%d", i);
		opscope_kind(name);
	}
	attach_stop(a);
	attach_get_stats(a, &st);
	ck_assert_uint_eq(st.misuse[OPSP_M_END_NO_BEGIN], 3);
	ck_assert_uint_eq(st.misuse[OPSP_M_BAD_KIND], 1);
	ck_assert_uint_eq(st.misuse[OPSP_M_ABI], 1);
	ck_assert_uint_eq(st.abi_seen, OPSCOPE_ABI + 1);
	ck_assert_uint_eq(st.misuse[OPSP_M_EXEC_BAD], 2);
	ck_assert_uint_eq(st.misuse[OPSP_M_EXEC_OPEN], 1);
	ck_assert_uint_ge(st.misuse[OPSP_M_KIND_FULL], 1);
	ck_assert_uint_eq(ngot, 2);           /* the good one and the "other" one */
	ck_assert_uint_eq(got[1].kind, OPSP_KIND_OTHER);
	attach_kind_name(a, OPSP_KIND_OTHER, name, sizeof(name));
	ck_assert_str_eq(name, "other");
	ck_assert_uint_eq(st.open, 0);
	attach_free(a);
}
END_TEST

START_TEST(begun_before_attach_and_open_at_stop)
{
	int k = opscope_kind("t.edges");
	struct attach *a;
	struct attach_stats st;
	opscope_op before, open;

	fake_slot();
	opscope_begin(&before, k);            /* detached */
	a = start(0);
	opscope_end(&before);                 /* dropped, counted */
	opscope_begin(&open, k);              /* never ended */
	attach_stop(a);
	attach_get_stats(a, &st);
	ck_assert_uint_eq(st.misuse[OPSP_M_BEFORE], 1);
	ck_assert_uint_eq(st.open, 1);
	ck_assert_uint_eq(ngot, 0);
	opscope_end(&open);                   /* after detach: no crash, counted */
	ck_assert_uint_eq(own_ctl()->loss[OPSP_L_DETACHED], 1);
	attach_free(a);
}
END_TEST

START_TEST(full_ring_drops_and_counts)
{
	int k = opscope_kind("t.full");
	struct attach *a = start(8);
	struct attach_stats st;
	opscope_op op;

	fake_slot();
	for (int i = 0; i < 1000; i++) {
		opscope_begin(&op, k);
		opscope_end(&op);
	}
	attach_stop(a);
	attach_get_stats(a, &st);
	ck_assert_uint_gt(st.dropped, 0);
	ck_assert_uint_eq(st.records + st.dropped, 1000);
	ck_assert_uint_eq(ngot, st.records);
	attach_free(a);
}
END_TEST

#define CHURN_THREADS 64
#define CHURN_ROUNDS 4
#define CHURN_OPS 200

static void *churner(void *arg)
{
	int k = *(int *)arg;
	opscope_op op;

	fake_slot();
	for (int i = 0; i < CHURN_OPS; i++) {
		opscope_begin(&op, k);
		opscope_end(&op);
	}
	return NULL;
}

START_TEST(threads_come_and_go_nothing_lost)
{
	int k = opscope_kind("t.churn");
	struct attach *a = start(256);
	struct attach_stats st;
	pthread_t th[CHURN_THREADS];
	opscope_op op;

	/* attach first: ops begun while another thread is attaching are not recorded */
	fake_slot();
	opscope_begin(&op, k);
	opscope_end(&op);

	for (int r = 0; r < CHURN_ROUNDS; r++) {
		for (int i = 0; i < CHURN_THREADS; i++)
			pthread_create(&th[i], NULL, churner, &k);
		for (int i = 0; i < CHURN_THREADS; i++)
			pthread_join(th[i], NULL);
		attach_drain(a); /* the ended threads' rings go back now, not in a few ms */
	}
	attach_stop(a);
	attach_get_stats(a, &st);
	/* 256 threads over 128 rings: rings were given back and taken again */
	for (int i = 0; i < OPSP_L_NR; i++)
		ck_assert_msg(st.loss[i] == 0, "%s: %lu", attach_loss_name(i),
			      (unsigned long)st.loss[i]);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.records, CHURN_THREADS * CHURN_ROUNDS * CHURN_OPS + 1);
	ck_assert_uint_eq(ngot, CHURN_THREADS * CHURN_ROUNDS * CHURN_OPS + 1);
	ck_assert_uint_eq(st.open, 0);
	attach_free(a);
}
END_TEST

START_TEST(forked_child_has_its_own_page)
{
	int k = opscope_kind("t.fork");
	struct attach *a = start(0);
	struct opsp_ctl *parent = own_ctl();
	opscope_op op;
	pid_t pid;
	int status;

	fake_slot();
	opscope_begin(&op, k);
	pid = fork();
	if (pid == 0) {
		struct opsp_ctl *c = own_ctl();
		opscope_op o2;

		/* the child's page: not attached, same kind ids, its own pid */
		if (!c || c == parent || c->attach != 0 || c->pid != (uint32_t)getpid() ||
		    strcmp(c->kind[k], "t.fork"))
			_exit(1);
		opscope_end(&op); /* the op the parent began: not the child's */
		opscope_begin(&o2, k);
		opscope_end(&o2);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	opscope_end(&op);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 1);
	attach_free(a);
}
END_TEST

START_TEST(decode_refuses_nonsense)
{
	struct opsp_rec r;
	struct attach_op op;

	memset(&r, 0, sizeof(r));
	r.kind = 3;
	r.begin = 100;
	r.end = 600;
	r.d[OPSP_D(on_ns)] = (uint64_t)-50; /* the wall-timed interval ran long */
	r.d[OPSP_D(steal_ns)] = 80;
	ck_assert_int_eq(attach_decode(&r, &op), 0);
	ck_assert_uint_eq(op.bd.lat_ns, 500);
	ck_assert_uint_eq(op.bd.on_ns, 0);
	ck_assert_uint_eq(op.bd.steal_ns, 30);
	r.kind = 0;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.kind = OPSP_KINDS;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.kind = 1;
	r.end = 50;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.end = 600;
	r.flags = 0x80;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.flags = 0; /* blocked time, but no blocked-by-syscall part written */
	r.d[OPSP_D(blocked_ns)] = 10;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.flags = OPSP_F_BLK; /* ... or parts that do not add up to it */
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.blk_ns[0] = 6;
	r.d[OPSP_D(blk_other_ns)] = 4;
	ck_assert_int_eq(attach_decode(&r, &op), 0); /* blk_nr[0] is 0: read */
	r.blk_nr[0] = -1; /* time under no syscall */
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.blk_nr[0] = 0;
	r.blk_ns[1] = UINT64_MAX; /* a sum that wraps */
	r.blk_nr[1] = 1;
	ck_assert_int_eq(attach_decode(&r, &op), -EINVAL);
	r.blk_ns[1] = 0;
	ck_assert_int_eq(attach_decode(&r, &op), 0);
	ck_assert_uint_eq(op.bd.blocked_ns, 10);
	ck_assert_uint_eq(op.bd.blk_ns[sysnames_blk_index(0)], 6);
	ck_assert_uint_eq(op.bd.blk_ns[OPS_BLK_OTHER], 4);
}
END_TEST

/* record --why: an op's why counters' difference rides beside its record; an op nested
 * deeper than the begin snapshots, a cross-thread op and a run without --why carry none. */
START_TEST(why_rides_beside_the_record)
{
	int k = opscope_kind("t.why");
	struct attach *a = start_why(0, true);
	volatile struct ops_slot *s = fake_slot();
	opscope_op op, nest[OPSP_WHY_DEPTH + 1];
	const struct ops_wbd *w;

	s->why.sys_nr1[1] = 230 + 1; /* the waker blocked in clock_nanosleep */
	s->why.c.ns[OPS_W_BLOCKED] = 7; /* before the op: not its */
	opscope_begin(&op, k);
	s->blocked_ns += 1000; /* and to one of its parts, as the kernel side does */
	s->blk_nosys_ns += 1000;
	s->why.c.ns[OPS_W_BLOCKED] += 900;
	s->why.c.sys_ns[1] += 900;
	s->why.c.chain_ns[OPS_W_TIMER] += 900;
	s->why.c.ns[OPS_W_ON] += 50;
	s->why.c.kind_ns[3] += 50;
	s->why.c.wakeups += 2;
	opscope_end(&op);
	/* nested one deeper than the snapshots: the outermost's is overwritten */
	for (int i = 0; i <= OPSP_WHY_DEPTH; i++)
		opscope_begin(&nest[i], k);
	s->why.c.ns[OPS_W_TIMER] += 10;
	for (int i = OPSP_WHY_DEPTH; i >= 0; i--)
		opscope_end(&nest[i]);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 2 + OPSP_WHY_DEPTH);
	w = got[0].why;
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->n, 1);
	ck_assert_uint_eq(w->b_ns[OPS_W_BLOCKED], 900);
	ck_assert_uint_eq(w->b_sys_ns[sysnames_blk_index(230)], 900);
	ck_assert_uint_eq(w->b_chain_ns[OPS_W_TIMER], 900);
	ck_assert_uint_eq(w->b_ns[OPS_W_ON], 50);
	ck_assert_uint_eq(w->b_kind_ns[3], 50);
	ck_assert_uint_eq(w->wakeups, 2);
	/* the blocked time no wakeup explains: not seen */
	ck_assert_uint_eq(w->b_ns[OPS_W_UNKNOWN], 1000 - 950);
	for (int i = 1; i <= OPSP_WHY_DEPTH; i++) {
		ck_assert_ptr_nonnull(got[i].why);
		ck_assert_uint_eq(got[i].why->b_ns[OPS_W_TIMER], 10);
	}
	ck_assert_ptr_null(got[1 + OPSP_WHY_DEPTH].why); /* the outermost */
	attach_free(a);

	/* without --why: no why areas, no split */
	ngot = 0;
	a = start(0);
	opscope_begin(&op, k);
	s->why.c.ns[OPS_W_TIMER] += 10;
	opscope_end(&op);
	attach_stop(a);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_ptr_null(got[0].why);
	ck_assert_uint_eq(got[0].flags & OPSP_F_WHY, 0);
	attach_free(a);
}
END_TEST

START_TEST(why_decodes_as_run_does)
{
	struct opsp_why w;
	struct ops_bd bd = { .n = 1, .blocked_ns = 100 };
	struct ops_wbd out;
	struct ops_why_ctr *d = (struct ops_why_ctr *)w.d;

	memset(&w, 0, sizeof(w));
	d->ns[OPS_W_BLOCKED] = 60;
	d->sys_ns[0] = 40;     /* a syscall with no number: counted as other */
	d->sys_ns[2] = 20;
	d->sys_other_ns = 5;
	w.sys_nr1[2] = 202 + 1; /* futex */
	d->ns[OPS_W_IRQ] = 30;
	attach_decode_why(&w, &bd, &out);
	ck_assert_uint_eq(out.b_sys_ns[sysnames_blk_index(202)], 20);
	ck_assert_uint_eq(out.b_sys_ns[OPS_BLK_OTHER], 45);
	ck_assert_uint_eq(out.b_ns[OPS_W_IRQ], 30);
	ck_assert_uint_eq(out.b_ns[OPS_W_UNKNOWN], 10);
	/* more explained than blocked (a wait begun before the op): nothing unknown */
	bd.blocked_ns = 50;
	attach_decode_why(&w, &bd, &out);
	ck_assert_uint_eq(out.b_ns[OPS_W_UNKNOWN], 0);
}
END_TEST

/* An op of kind 1 ending at `end` ns after the attach at 1000, lat 10 ns. */
static void mark_at(struct marks *m, uint64_t end, uint32_t flags)
{
	struct attach_op op = { .kind = 1, .tid = 0, .flags = flags, .since = 1000,
				.begin = 1000 + end - 10, .end = 1000 + end };

	op.bd.n = 1;
	op.bd.lat_ns = 10;
	marks_add(&op, m);
}

START_TEST(marks_cut_into_repetitions)
{
	struct marks *m = marks_new(getpid(), 100);
	double el[8];
	struct wl_result res;
	int n;

	for (uint64_t t = 5; t < 340; t += 10) /* 34 ops over 340 ns: windows of 100 */
		mark_at(m, t, 0);
	mark_at(m, 150, OPSP_F_FAILED);
	/* 340 ns: 3 full windows and a 40 ns tail, which joins the third */
	n = marks_windows(m, 1000, 1340, el, 8);
	ck_assert_int_eq(n, 3);
	ck_assert(el[0] == 100e-9 && el[1] == 100e-9 && el[2] == 140e-9);
	ck_assert_int_eq(marks_result(m, 1, 0, el[0], &res), 0);
	ck_assert_uint_eq(hist_count(op_agg_hist(res.agg[0])), 10);
	ck_assert(res.no_alloc);
	op_agg_free(res.agg[0]);
	ex_set_free(res.ex);
	ck_assert_int_eq(marks_result(m, 1, 1, el[1], &res), 0);
	ck_assert_uint_eq(op_agg_errors(res.agg[0]), 1);
	ck_assert(res.ex == NULL); /* exemplars come with the first repetition */
	op_agg_free(res.agg[0]);
	ck_assert_int_eq(marks_result(m, 1, 2, el[2], &res), 0);
	ck_assert_uint_eq(hist_count(op_agg_hist(res.agg[0])), 14);
	op_agg_free(res.agg[0]);
	ck_assert_int_eq(marks_result(m, 2, 0, el[0], &res), -ENOENT);
	ck_assert_uint_eq(marks_ops(m), 35);
	marks_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libops");
	TCase *tc = tcase_create("attach");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, detached_costs_nothing_and_counts_nothing);
	tcase_add_test(tc, same_thread_op_carries_its_counters);
	tcase_add_test(tc, cross_thread_op_is_the_runners_plus_queued);
	tcase_add_test(tc, op_ended_elsewhere_without_exec_is_latency_only);
	tcase_add_test(tc, misuse_is_counted_never_fatal);
	tcase_add_test(tc, begun_before_attach_and_open_at_stop);
	tcase_add_test(tc, full_ring_drops_and_counts);
	tcase_add_test(tc, threads_come_and_go_nothing_lost);
	tcase_add_test(tc, forked_child_has_its_own_page);
	tcase_add_test(tc, decode_refuses_nonsense);
	tcase_add_test(tc, why_rides_beside_the_record);
	tcase_add_test(tc, why_decodes_as_run_does);
	tcase_add_test(tc, marks_cut_into_repetitions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
