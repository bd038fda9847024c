// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel compatibility checks before load: each kernel shape (sched_switch with and
 * without prev_state, with and without sched_info, with and without the run queue
 * reached through se.cfs_rq->rq) built as a small BTF in memory, so every branch runs
 * without root and without that kernel.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kernel/kcompat.h"

struct shape {
	int switch_args;      /* sched_switch's arguments after __data; 0: no tracepoint */
	bool sched_info;      /* CONFIG_SCHED_INFO */
	bool sched_info_anon; /* ... inside an anonymous struct member of task_struct */
	bool fair_group;      /* CONFIG_FAIR_GROUP_SCHED: se.cfs_rq and cfs_rq.rq */
	bool runqueues;       /* the per-CPU runqueues variable (no substitute for the above) */
};

static const struct shape linux_6_18 = {
	.switch_args = 4, .sched_info = true, .fair_group = true, .runqueues = true,
};

/* The types kcompat_check looks at, shaped as s says. */
static struct btf *kernel_btf(const struct shape *s)
{
	struct btf *b = btf__new_empty();
	int u64, u32, boolean, rq, rq_ptr, cfs_rq, cfs_rq_ptr, se, si, task, task_ptr, proto;

	ck_assert_ptr_nonnull(b);
	u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	rq = btf__add_struct(b, "rq", 8);
	btf__add_field(b, "clock", u64, 0, 0);
	rq_ptr = btf__add_ptr(b, rq);
	cfs_rq = btf__add_struct(b, "cfs_rq", 8);
	if (s->fair_group)
		btf__add_field(b, "rq", rq_ptr, 0, 0);
	else
		btf__add_field(b, "nr_running", u32, 0, 0);
	cfs_rq_ptr = btf__add_ptr(b, cfs_rq);
	se = btf__add_struct(b, "sched_entity", 16);
	btf__add_field(b, "sum_exec_runtime", u64, 0, 0);
	if (s->fair_group)
		btf__add_field(b, "cfs_rq", cfs_rq_ptr, 64, 0);
	si = btf__add_struct(b, "sched_info", 16);
	btf__add_field(b, "run_delay", u64, 0, 0);
	btf__add_field(b, "last_queued", u64, 64, 0);
	if (s->sched_info_anon) {
		int anon = btf__add_struct(b, NULL, 16);

		btf__add_field(b, "sched_info", si, 0, 0);
		task = btf__add_struct(b, "task_struct", 32);
		btf__add_field(b, "se", se, 0, 0);
		btf__add_field(b, NULL, anon, 128, 0);
	} else {
		task = btf__add_struct(b, "task_struct", 32);
		btf__add_field(b, "se", se, 0, 0);
		if (s->sched_info)
			btf__add_field(b, "sched_info", si, 128, 0);
	}
	task_ptr = btf__add_ptr(b, task);
	if (s->switch_args) {
		int void_ptr = btf__add_ptr(b, 0);

		/* parameters must follow their prototype: no other type in between */
		proto = btf__add_func_proto(b, 0);
		btf__add_func_param(b, "__data", void_ptr);
		btf__add_func_param(b, "preempt", boolean);
		btf__add_func_param(b, "prev", task_ptr);
		btf__add_func_param(b, "next", task_ptr);
		if (s->switch_args > 3)
			btf__add_func_param(b, "prev_state", u32);
		ck_assert_int_gt(btf__add_typedef(b, "btf_trace_sched_switch",
						  btf__add_ptr(b, proto)), 0);
	}
	if (s->runqueues)
		ck_assert_int_gt(btf__add_var(b, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, rq), 0);
	return b;
}

static char why[512];

static int check_shape(const struct shape *s, struct kcompat *kc)
{
	struct btf *b = kernel_btf(s);
	int e;

	why[0] = '\0';
	e = kcompat_check(b, kc, why, sizeof(why));
	btf__free(b);
	return e;
}

START_TEST(current_kernel_has_prev_state)
{
	struct kcompat kc;

	ck_assert_int_eq(check_shape(&linux_6_18, &kc), 0);
	ck_assert(kc.switch_has_prev_state);
}
END_TEST

START_TEST(before_5_18_reads_the_task_state)
{
	struct shape s = linux_6_18;
	struct kcompat kc;

	s.switch_args = 3;
	ck_assert_int_eq(check_shape(&s, &kc), 0);
	ck_assert(!kc.switch_has_prev_state);
}
END_TEST

START_TEST(no_sched_info_is_refused)
{
	struct shape s = linux_6_18;
	struct kcompat kc;

	s.sched_info = false;
	ck_assert_int_eq(check_shape(&s, &kc), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "CONFIG_SCHED_INFO"));
	ck_assert_ptr_null(strchr(why, '\n'));
}
END_TEST

START_TEST(sched_info_inside_an_anonymous_member)
{
	struct shape s = linux_6_18;
	struct kcompat kc;

	s.sched_info = false;
	s.sched_info_anon = true;
	ck_assert_int_eq(check_shape(&s, &kc), 0);
}
END_TEST

START_TEST(no_fair_group_sched_is_refused)
{
	struct shape s = linux_6_18;
	struct kcompat kc;

	/* runqueues stays: a typed ksym needs CONFIG_KALLSYMS_ALL to load, so it is no
	 * fallback (bpf/compat.bpf.h) */
	s.fair_group = false;
	ck_assert_int_eq(check_shape(&s, &kc), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "CONFIG_FAIR_GROUP_SCHED"));
}
END_TEST

START_TEST(no_sched_switch_is_refused)
{
	struct shape s = linux_6_18;
	struct kcompat kc;

	s.switch_args = 0;
	ck_assert_int_eq(check_shape(&s, &kc), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "sched_switch"));
	ck_assert_ptr_nonnull(strstr(why, "Linux " KCOMPAT_MIN_KERNEL "+"));
}
END_TEST

START_TEST(refusal_truncates_safely)
{
	struct shape s = linux_6_18;
	struct btf *b;
	struct kcompat kc;
	char small[16];

	s.sched_info = false;
	b = kernel_btf(&s);
	ck_assert_int_eq(kcompat_check(b, &kc, small, sizeof(small)), -ENOTSUP);
	btf__free(b);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kcompat");
	TCase *tc = tcase_create("btf");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, current_kernel_has_prev_state);
	tcase_add_test(tc, before_5_18_reads_the_task_state);
	tcase_add_test(tc, no_sched_info_is_refused);
	tcase_add_test(tc, sched_info_inside_an_anonymous_member);
	tcase_add_test(tc, no_fair_group_sched_is_refused);
	tcase_add_test(tc, no_sched_switch_is_refused);
	tcase_add_test(tc, refusal_truncates_safely);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
