// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel compatibility checks before load, from the running kernel's BTF: the knobs
 * bpf/compat.bpf.h needs where CO-RE cannot decide (a tracepoint's argument count), and
 * a refusal in words where a field the counters depend on has no exact fallback. No
 * kernel access here: the caller passes the BTF, so unit tests can build their own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "kernel/kcompat.h"

/* Whether the struct (or union) id has a member named name, also inside its anonymous
 * struct and union members. */
static bool type_has_member(const struct btf *btf, int id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || !(btf_is_struct(t) || btf_is_union(t)) || depth > 8)
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		if (m->name_off == 0) {
			if (type_has_member(btf, m->type, name, depth + 1))
				return true;
		} else if (strcmp(btf__name_by_offset(btf, m->name_off), name) == 0) {
			return true;
		}
	}
	return false;
}

static bool has_member(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	return id > 0 && type_has_member(btf, id, name, 0);
}

/* Arguments of a tracepoint as tp_btf programs see them (the btf_trace_<name> typedef
 * is a pointer to a function whose first parameter, void *__data, is not one), or
 * -ENOENT when the kernel has no such tracepoint. */
static int tp_args(const struct btf *btf, const char *tp)
{
	char name[64];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -ENOENT;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return -ENOENT;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -ENOENT;
	return btf_vlen(t) - 1;
}

static int refuse(char *why, size_t len, const char *sentence)
{
	snprintf(why, len, "%s", sentence);
	return -ENOTSUP;
}

int kcompat_check(const struct btf *btf, struct kcompat *kc, char *why, size_t len)
{
	int n = tp_args(btf, "sched_switch");

	memset(kc, 0, sizeof(*kc));
	if (n < 3)
		return refuse(why, len,
			      "this kernel's BTF has no sched_switch tracepoint with its task "
			      "arguments (btf_trace_sched_switch): opscope needs Linux "
			      KCOMPAT_MIN_KERNEL "+ with BTF");
	/* preempt, prev, next, and prev_state since fa2c3254d7cf (5.18) */
	kc->switch_has_prev_state = n >= 4;
	/* the kfunc by its 6.18 name (stacks.bpf.h: off-CPU user stacks in task work) */
	kc->task_work = btf__find_by_name_kind(btf, "bpf_task_work_schedule_resume_impl",
					       BTF_KIND_FUNC) > 0;
	if (!has_member(btf, "task_struct", "sched_info") ||
	    !has_member(btf, "sched_info", "run_delay") ||
	    !has_member(btf, "sched_info", "last_queued"))
		return refuse(why, len,
			      "this kernel is built without CONFIG_SCHED_INFO (its BTF has no "
			      "task_struct.sched_info): opscope takes each thread's wait for a "
			      "CPU from the scheduler's own figure there and will not guess it; "
			      "use a kernel built with CONFIG_SCHEDSTATS=y or "
			      "CONFIG_TASK_DELAY_ACCT=y");
	if (!has_member(btf, "sched_entity", "cfs_rq") || !has_member(btf, "cfs_rq", "rq"))
		return refuse(why, len,
			      "this kernel is built without CONFIG_FAIR_GROUP_SCHED (its BTF has no "
			      "se.cfs_rq->rq): opscope reads the run queue's clock through it to "
			      "end each wait for a CPU where the kernel does, and has no other way "
			      "to it; use a kernel built with CONFIG_FAIR_GROUP_SCHED=y");
	return 0;
}
