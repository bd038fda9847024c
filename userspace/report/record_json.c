// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* opscope record's record.json (record_json.h; the schema is docs/REPORT_SCHEMA.md). */
#include <errno.h>
#include <string.h>
#include "kernel/sysnames.h"
#include "report/record_json.h"
#include "util/fmt.h"
#include "util/json.h"

static const char *sys_mode_name(int m)
{
	return m == OPS_SYS_COUNT ? "count" : m == OPS_SYS_OFF ? "off" : "time";
}

/* Blocked time by the syscall it was spent in, largest first. */
static void blocked_by(struct json_writer *jw, const struct ops_slot *s)
{
	int order[OPS_BLK_SYS], n = 0;
	uint64_t ns[OPS_BLK_SYS];

	for (int i = 0; i < OPS_BLK_SYS; i++) {
		ns[i] = s->blk_ns[i];
		if (s->blk_nr[i] >= 0 && ns[i])
			order[n++] = i;
	}
	fmt_order_desc(order, n, ns);
	jsonw_name(jw, "blocked_by");
	jsonw_start_array(jw);
	for (int i = 0; i < n; i++) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", sysnames_of_nr(s->blk_nr[order[i]]));
		jsonw_int_field(jw, "nr", s->blk_nr[order[i]]);
		jsonw_uint_field(jw, "ns", s->blk_ns[order[i]]);
		jsonw_end_object(jw);
	}
	if (s->blk_other_ns) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", "(other)");
		jsonw_null_field(jw, "nr");
		jsonw_uint_field(jw, "ns", s->blk_other_ns);
		jsonw_end_object(jw);
	}
	if (s->blk_nosys_ns) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", "(no syscall)");
		jsonw_null_field(jw, "nr");
		jsonw_uint_field(jw, "ns", s->blk_nosys_ns);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

/* The counters of one thread, or of their sum (blocked_by only for a thread). */
static void counters(struct json_writer *jw, const struct ops_slot *s, int sys_mode,
		     bool thread)
{
	jsonw_uint_field(jw, "on_cpu_ns", s->on_ns);
	jsonw_uint_field(jw, "runq_ns", s->runq_ns);
	jsonw_uint_field(jw, "blocked_ns", s->blocked_ns);
	jsonw_uint_field(jw, "steal_ns", s->steal_ns);
	jsonw_uint_field(jw, "vcsw", s->nvcsw);
	jsonw_uint_field(jw, "ivcsw", s->nivcsw);
	if (sys_mode == OPS_SYS_OFF)
		jsonw_null_field(jw, "syscalls");
	else
		jsonw_uint_field(jw, "syscalls", s->syscalls);
	if (sys_mode == OPS_SYS_TIME)
		jsonw_uint_field(jw, "syscall_ns", s->syscall_ns);
	else
		jsonw_null_field(jw, "syscall_ns");
	jsonw_uint_field(jw, "faults", s->faults + s->kfaults);
	jsonw_uint_field(jw, "faults_user", s->faults);
	jsonw_uint_field(jw, "faults_kernel", s->kfaults);
	jsonw_uint_field(jw, "migrations", s->migrations);
	if (sys_mode == OPS_SYS_OFF) {
		jsonw_null_field(jw, "map_calls");
		jsonw_null_field(jw, "map_bytes");
		jsonw_null_field(jw, "unmap_bytes");
	} else {
		jsonw_uint_field(jw, "map_calls", s->map_calls);
		jsonw_uint_field(jw, "map_bytes", s->map_bytes);
		jsonw_uint_field(jw, "unmap_bytes", s->unmap_bytes);
	}
	if (thread)
		blocked_by(jw, s);
}

static void sum_into(struct ops_slot *tot, const struct ops_slot *s)
{
	tot->on_ns += s->on_ns;
	tot->runq_ns += s->runq_ns;
	tot->blocked_ns += s->blocked_ns;
	tot->steal_ns += s->steal_ns;
	tot->nvcsw += s->nvcsw;
	tot->nivcsw += s->nivcsw;
	tot->syscalls += s->syscalls;
	tot->syscall_ns += s->syscall_ns;
	tot->faults += s->faults;
	tot->kfaults += s->kfaults;
	tot->migrations += s->migrations;
	tot->map_calls += s->map_calls;
	tot->map_bytes += s->map_bytes;
	tot->unmap_bytes += s->unmap_bytes;
}

static void rusage_obj(struct json_writer *jw, const struct rec_rusage *ru)
{
	jsonw_name(jw, "rusage");
	if (!ru) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "minflt", ru->minflt);
	jsonw_uint_field(jw, "majflt", ru->majflt);
	jsonw_uint_field(jw, "nvcsw", ru->nvcsw);
	jsonw_uint_field(jw, "nivcsw", ru->nivcsw);
	jsonw_uint_field(jw, "utime_ns", ru->utime_ns);
	jsonw_uint_field(jw, "stime_ns", ru->stime_ns);
	jsonw_end_object(jw);
}

static void collector_obj(struct json_writer *jw, const struct collector_stats *st)
{
	jsonw_name(jw, "losses");
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "threads_without_slot", st->slots_full);
	jsonw_uint_field(jw, "tid_map_failures", st->tid_map_full);
	jsonw_uint_field(jw, "program_runs_skipped", st->prog_misses);
	jsonw_uint_field(jw, "unseen_switches_repaired", st->missed_switches);
	jsonw_uint_field(jw, "waits_cut", st->wait_cut);
	jsonw_uint_field(jw, "waits_cut_ns", st->wait_cut_ns);
	jsonw_end_object(jw);
	jsonw_name(jw, "collector");
	jsonw_start_object(jw);
	jsonw_double_field(jw, "load_ms", st->load_ms);
	jsonw_uint_field(jw, "threads_found_at_attach", st->seeded);
	jsonw_uint_field(jw, "threads_first_seen_running", st->late_threads);
	jsonw_uint_field(jw, "clock_updates", st->clock_updates);
	jsonw_uint_field(jw, "clock_steps", st->clock_steps);
	jsonw_int_field(jw, "clock_offset_ns", st->clock_off_ns);
	jsonw_int_field(jw, "clock_error_ns", st->clock_err_ns);
	jsonw_end_object(jw);
}

int rec_json_write(FILE *f, const struct rec_info *info, const struct rec_thread *t, size_t n)
{
	struct json_writer *jw = jsonw_new(f, true);
	struct ops_slot tot = {};

	if (!jw)
		return -ENOMEM;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "schema", "opscope-record");
	jsonw_uint_field(jw, "version", 1);
	jsonw_int_field(jw, "pid", info->pid);
	jsonw_name(jw, "command");
	if (info->cmd) {
		jsonw_start_array(jw);
		for (char **a = info->cmd; *a; a++)
			jsonw_string(jw, *a);
		jsonw_end_array(jw);
	} else {
		jsonw_null(jw);
	}
	jsonw_string_field(jw, "counted_from", info->whole_life ? "birth" : "attach");
	jsonw_string_field(jw, "syscalls_mode", sys_mode_name(info->sys_mode));
	jsonw_uint_field(jw, "duration_ns", info->duration_ns);
	jsonw_name(jw, "threads");
	jsonw_start_array(jw);
	for (size_t i = 0; i < n; i++) {
		jsonw_start_object(jw);
		jsonw_uint_field(jw, "tid", t[i].s.tid);
		jsonw_string_field(jw, "comm", t[i].comm);
		jsonw_bool_field(jw, "exited", t[i].exited);
		counters(jw, &t[i].s, info->sys_mode, true);
		jsonw_end_object(jw);
		sum_into(&tot, &t[i].s);
	}
	jsonw_end_array(jw);
	jsonw_name(jw, "process");
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "threads", n);
	counters(jw, &tot, info->sys_mode, false);
	jsonw_end_object(jw);
	rusage_obj(jw, info->rusage);
	collector_obj(jw, info->st);
	jsonw_end_object(jw);
	fputc('\n', f);
	return jsonw_destroy(jw);
}
