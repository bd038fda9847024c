/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The in-memory result of one `opscope run` and its views: the text tables, report.json
 * (docs/REPORT_SCHEMA.md), report.html and Go benchmark lines. The runner adds scenarios and their
 * repetitions; report_finish() derives every metric, the scaling efficiencies, the
 * benchmark names and the target verdicts; the writers only read.
 * No libbpf here: unit tests build reports from synthetic repetitions.
 */
#ifndef OPSCOPE_REPORT_H
#define OPSCOPE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "report/envinfo.h"
#include "stats/noise.h"
#include "stats/opagg.h"
#include "workloads/procstat.h"
#include "workloads/suite.h"
#include "workloads/workload.h"

#define REPORT_SCHEMA "opscope-report"
#define REPORT_VERSION 1
#define REPORT_WIDTH 100 /* columns of the text report */
#define KIND_NAME_MAX 48

/* One repetition of one scenario. */
struct rep_result {
	int status;          /* 0, or -errno when it failed */
	bool timed_out;
	char error[256];
	double elapsed_s;
	uint64_t alloc_bytes, allocs, threads, streams_served, sent, received;
	bool no_alloc;       /* allocations not counted: bytes and allocs per op are null */
	double occupancy;    /* < 0: not applicable */
	uint64_t rss_peak, rss_steady;
	int nkinds;
	uint32_t kind[WL_MAX_KINDS];
	struct op_summary sum[WL_MAX_KINDS];
	struct wl_facts f;   /* what ended it, CPU, peaks, windows, own metrics */
	/* the process before it (scen_rep_begin; other scenarios' repetitions ran between
	 * this scenario's when interleaved) and after it, its result consumed (heap_bytes
	 * less the scenario's merged histograms, which are the report's) */
	struct proc_sample pre, res;
	struct rep_noise noise; /* what the machine did besides us meanwhile */
};

/* Growth of one resource across rounds (repetitions): what the scenario's own
 * repetitions added, each from right before it to its end (see report_stability.c). */
struct leak_fit {
	bool ok;          /* at least 3 rounds with samples: slope, se, lcb are set */
	int rounds;
	double slope;     /* growth per round, least squares */
	double se, lcb;   /* its standard error; slope - t(0.95, rounds - 2) * se */
	double residual;  /* left after the last teardown: the rounds' growth summed */
};

struct scen_leaks {
	int rounds;       /* repetitions with samples before and after */
	struct leak_fit rss, heap, fds, threads;
};

enum scen_status { SCEN_OK, SCEN_ERROR, SCEN_TIMEOUT, SCEN_INTERRUPTED, SCEN_SKIPPED };
enum metric_kind { MK_THROUGHPUT, MK_LATENCY, MK_MEMORY, MK_ERRORS, MK_KERNEL, MK_INFO };
enum metric_better { MB_HIGHER, MB_LOWER, MB_NONE };

/* One metric of a scenario: its value per repetition and the aggregate over them. */
struct metric {
	char id[96];
	char name[32];
	char op[KIND_NAME_MAX]; /* "" for scenario-level metrics */
	const char *unit;
	enum metric_kind kind;
	enum metric_better better;
	double *v;   /* per repetition */
	bool *have;  /* v[i] is valid */
	int n;       /* valid values */
	double mean, stddev, cv, median, min, max;
	bool workload; /* the workload's own (struct wl_xmetric) */
};

struct scen_result {
	struct scenario sc;
	enum scen_status status;
	char error[256];
	int nreps, cap_reps;
	struct rep_result *reps;
	/* aggregated over successful repetitions */
	int nkinds;
	uint32_t kind[WL_MAX_KINDS];
	char kind_name[WL_MAX_KINDS][KIND_NAME_MAX];
	struct op_agg *agg[WL_MAX_KINDS];
	struct op_summary sum[WL_MAX_KINDS];
	int nmetrics;
	struct metric *metrics;
	/* scaling efficiency against the 1-worker/1-producer point of the same sweep */
	bool has_scaling;
	char scale_param[32];
	int64_t scale_n;
	int scale_base;      /* index of the base scenario */
	double scale_eff;
	char bench_sub[SCEN_ID_MAX + SUITE_NAME_MAX]; /* "workers=4", "group/workers=4" */
	/* run --why: the wait-for graph over the repetitions (stats/waitfor.h), NULL
	 * without; and per op kind the threads a cross-thread op is queued on */
	struct waitfor *wf;
	char queue_waiter[WL_MAX_KINDS][16], queue_on[WL_MAX_KINDS][16];
	const char *kernel_note; /* why the breakdown is not available, or NULL */
	bool sample;             /* sample the process's resources (report.sample_resources) */
	struct proc_sample start; /* the process before the first repetition */
	struct proc_sample pre_next; /* before the repetition about to run (scen_rep_begin) */
	struct scen_leaks leaks;
};

enum target_unit { TU_DURATION, TU_RATE, TU_BYTES, TU_RATIO, TU_COUNT };
enum target_status { TGT_NA, TGT_PASS, TGT_FAIL };
enum target_cmp { TC_LT, TC_LE, TC_GT, TC_GE, TC_IN };
/* Over the repetitions: the default (the mean; for a latency statistic of an op kind,
 * over every op of the scenario's repetitions merged), or one of these. */
enum target_stat { TS_DEFAULT, TS_MIN, TS_MAX, TS_MEAN, TS_MEDIAN };

struct report;
#define TARGET_MAX_CONDS 4

/* A scenario condition of a target: "workload = pool", "mode = spsc", "payload < 1k",
 * "scenario = pool-workers/ *". */
struct target_cond {
	char key[32];
	char value[64];
	enum { TCC_EQ, TCC_NE, TCC_LT, TCC_LE, TCC_GT, TCC_GE } op;
};

/*
 * A target: a condition on one metric of the scenarios it applies to, written as a spec
 * (docs/SUITES.md, "Targets"): [NAME:] [OP_KIND] METRIC [STAT] [/PARAM] CMP VALUE
 * [where COND [and COND]...]. The defaults are such specs (report_targets.c).
 */
struct target {
	char name[64];
	char desc[96];
	char spec[256];         /* the canonical spec text */
	char subject[96];       /* "stream.rt p95", "throughput/workers" (reports' "metric") */
	char op_glob[48];       /* op kind or glob; "" for a scenario-level metric */
	char metric[48];        /* metric name as report.json's metrics[] (p95_ns) or an
				 * extra value (streams_served, scaling_efficiency) */
	char per_param[32];     /* divided by this parameter, "" none */
	enum target_stat stat;
	enum target_cmp cmp;
	enum target_unit unit;
	double threshold, threshold_hi;
	int nconds;
	struct target_cond conds[TARGET_MAX_CONDS];
	bool enabled, builtin;
	/* evaluated by report_finish */
	enum target_status status;
	double value;
	int scenario;           /* index of the scenario that gave value, -1 */
	char op_found[48];      /* the op kind that gave it, "" scenario-level */
};

#define REPORT_MAX_TARGETS 64

#define REPORT_MAX_PROGS 12

struct report_collector {
	uint64_t slots_used, slots_full, tid_map_full, late_threads;
	uint64_t missed_switches, prog_misses;
	double load_ms;
	/* with stacks */
	bool stacks;
	uint64_t samples, stack_fail, stacks_full, keys_full, missing_stacks;
		/* user stacks, and those cut at a frame outside executable code */
		uint64_t user_stacks, cut_stacks, cut_frames;
		/* user stacks that reach a root frame; copied user stacks (x86_64): copies,
		 * their bytes, copies and counts lost in the kernel's ring, records dropped
		 * by the userspace queue, counts whose copy was lost, captures past the copy
		 * rate (walked by frame pointers), time unwinding */
		uint64_t rooted_stacks, ustack_copies, ustack_bytes, ustack_lost, ucount_lost;
		uint64_t urec_dropped, copies_missing, ustack_throttled;
		uint64_t tw_throttled; /* off-CPU intervals past the task-work rate */
		double unwind_ms;
	uint64_t stack_files;
	/* with --bpf-stats: what opscope's own programs cost (kernel BPF stats) */
	bool bpf_stats;
	int nprogs;
	struct {
		char name[32];
		uint64_t runs, run_ns;
	} progs[REPORT_MAX_PROGS];
};

/*
 * What a program recorded with `opscope record` marked as its own operations
 * (libopscope): the program, its attach, and every count of what was dropped or misused,
 * by name (kernel/attach.c names them). The scenarios hold the operations themselves.
 */
#define REPORT_MARK_COUNTERS 12

struct report_marks {
	char program[64];
	int pid;
	double attach_ms;      /* record -p: from telling the program to its attach; record --
				* CMD: from its start */
	uint64_t ops;          /* operations received (timed and failed) */
	uint64_t dropped;      /* records a full ring dropped */
	uint64_t open;         /* begun, not ended when the recording stopped or at exit */
	uint64_t bad_records;  /* records that made no sense */
	int nmisuse, nloss;
	struct {
		const char *name;
		uint64_t n;
	} misuse[REPORT_MARK_COUNTERS], loss[REPORT_MARK_COUNTERS];
};

struct report {
	struct envinfo env;
	char created[32];
	char command[1024];
	char suite_file[1024]; /* "" for the built-in suite and command-line runs */
	char suite_name[SUITE_NAME_MAX];
	struct run_settings settings;
	char scenario_filter[1024]; /* run --scenario globs, one per line; "" all */
	bool sequential;      /* --order sequential (else repetitions interleaved) */
	struct noise_summary noise; /* the machine's noise over every repetition */
	bool kernel, quick, interrupted;
	bool why;             /* run --why */
	/* sample RSS, descriptors and threads at each scenario's start and after each
	 * repetition (the runner; reports built by tests carry their own samples) */
	bool sample_resources;
	bool have_collector;
	struct report_collector coll;
	bool have_marks;            /* opscope record of a marked program */
	struct report_marks marks;
	double elapsed_s;
	int nscen, cap_scen;
	struct scen_result *scen;
	struct target targets[REPORT_MAX_TARGETS];
	int ntargets;
	int scenarios_failed, targets_failed;
};

struct report *report_new(void);
void report_free(struct report *r);
void report_set_command(struct report *r, int argc, char **argv);

struct scen_result *report_add_scenario(struct report *r, const struct scenario *sc);
/*
 * A repetition of s is about to run: sample the process (when s samples), settled after
 * prev, the latest sample of the run (NULL: s's start). Repetitions of other scenarios
 * may have run since s's last one (interleaved), so what a repetition made is measured
 * from here to its end, never from s's previous repetition.
 */
void scen_rep_begin(struct scen_result *s, const struct proc_sample *prev);
/*
 * Add one repetition: rc is what the workload's run() returned. Summarizes res, merges its
 * aggregates into the scenario's and frees them (res->agg[] are NULL afterwards); then,
 * with sample_resources, samples the process (the round's end for the leak checks).
 */
int scen_add_rep(struct scen_result *s, int rc, struct wl_result *res, uint64_t rss_peak,
		 uint64_t rss_steady, bool timed_out);

/*
 * Derive metrics, scaling, benchmark names and target verdicts. Call once, at the end.
 * Returns 0, or -ENOMEM (the report is then incomplete and must not be written).
 */
int report_finish(struct report *r);

int report_write_text(const struct report *r, FILE *f);
int report_write_json(const struct report *r, FILE *f);
int report_write_bench(const struct report *r, FILE *f);
/*
 * report.html: one self-contained page (inline CSS, SVG and a little script; no network).
 * dir, when not NULL, is the output directory the page will sit in: it links the
 * trace.json and stacks/<scenario>/ files found there. report_write_html_dir() writes
 * DIR/report.html after those files; returns 0 or -errno with err set.
 */
int report_write_html(const struct report *r, const char *dir, FILE *f);
int report_write_html_dir(const struct report *r, const char *dir, char *err, size_t errlen);
/* The "Why it waited" table (report_why.c); nothing without --why. */
void report_why_text(const struct report *r, FILE *f);
struct json_writer;
/* An op kind's why, per band, into report.json (report_why.c). */
void report_why_json(struct json_writer *jw, const struct scen_result *s, int k);
/* A scenario's wait-for graph into report.json (report_why.c). */
void report_waitfor_json(struct json_writer *jw, const struct scen_result *s);
/* The queued or blocked part of a why split, in words (report_why.c): "pool-worker
 * on-CPU in pool.task 61%, pool-worker waiting for a CPU 35%, ...". who names the
 * threads waited on (NULL: "threads"). Returns the length written. */
int why_words_queued(const struct ops_wbd *w, const char *who, char *buf, size_t len);
int why_words_blocked(const struct ops_wbd *w, const char *who, char *buf, size_t len);
/* The same splits as parts, for charts (report_html_why.c), in no order: the queued
 * part's as worded above; the blocked part's finest, a thread's share split by what it was
 * doing meanwhile ("chan-producer blocked in clock_nanosleep"). Each part's cls is an enum
 * ops_why. Return how many (at most max; WHY_PARTS_MAX always holds them). */
struct why_part {
	uint64_t ns;
	int cls;
	char text[96];
};
#define WHY_PARTS_MAX (OPS_WHY_KINDS + OPS_BD_BLK + 16)
int why_parts_queued(const struct ops_wbd *w, const char *who, struct why_part *p, int max);
int why_parts_blocked(const struct ops_wbd *w, const char *who, struct why_part *p, int max);

/*
 * opscope record: one scenario per op kind the program marked ("<program>/<kind>", the
 * pseudo-workload "record", a repetition per record --rep window), the marks' counters,
 * and the slow ops for
 * trace (ex_trace_add per scenario). The program's kind names must already be registered
 * under its own ids (ops_kind_set). Call before report_finish; afterwards
 * report_marks_finish names the benchmarks after the program. 0 or -ENOMEM.
 */
struct marks;
struct attach_stats;
struct ex_trace;
struct waitfor;
struct marks_run {
	const char *program;
	int pid;
	uint64_t since, end;       /* the marks cover [since, end] (CLOCK_MONOTONIC ns) */
	uint64_t rep_ns;           /* a repetition's length (record --rep), 0 one in all */
	uint64_t rss_peak, rss_steady; /* the program's, without opscope's shared memory */
	double attach_ms;
	/* record --why: the program's wait-for graph over the recording, which every
	 * scenario gets a copy of (its kinds' edges are among them); NULL without */
	const struct waitfor *wf;
};
int report_add_marks(struct report *r, struct marks *m, const struct attach_stats *st,
		     const struct marks_run *run, struct ex_trace *trace);
void report_marks_finish(struct report *r);

/*
 * Targets: the defaults are set by report_new. report_target_set: "NAME=VALUE" overrides
 * a target's threshold ("off" disables it). report_target_add: a spec adds a target
 * (or, named like a default, replaces it). Both return 0, or -EINVAL/-ENOENT/-ENOSPC
 * with one sentence in err.
 */
int report_target_set(struct report *r, const char *name, const char *value, char *err,
		      size_t errlen);
int report_target_add(struct report *r, const char *spec, char *err, size_t errlen);
/* Parse a spec into t (not added anywhere). 0 or -EINVAL with err set. */
int target_parse(struct target *t, const char *spec, char *err, size_t errlen);
/* Does text look like a spec (it holds a comparison), rather than NAME=VALUE? */
bool target_is_spec(const char *text);
const char *target_name(const struct target *t);
void report_target_names(char *buf, size_t len);
/* Within report/: the default targets (report_new), their verdicts (report_finish). */
void targets_init(struct report *r);
void targets_evaluate(struct report *r);
/* The verdict of the target named NAME on scenario s alone (report.html's per-scenario
 * badges): TGT_NA when there is no such target, it is off, or it does not apply. */
enum target_status target_verdict_in(const struct report *r, const struct scen_result *s,
				     const char *name);
/* A target's value as the tables print it ("1.20ms", "50.0k/s"), and its condition
 * ("< 1ms", ">= 50k/s", "in 1k..5k/s"). */
void target_format_value(const struct target *t, double v, char *buf, size_t len);
void target_condition(const struct target *t, char *buf, size_t len);
const char *target_cmp_str(enum target_cmp c);

/* The unit of a metric name of metrics[] (per op kind, or scenario-level), NULL when
 * there is no such metric. */
const char *report_metric_unit(const char *name, bool op_level);

/* Queries on a finished report, for its writers. */
const struct metric *metric_find(const struct scen_result *s, const char *op, const char *name);
/* A metric's mean over repetitions; false when the scenario has no such metric. */
bool metric_mean(const struct scen_result *s, const char *op, const char *name, double *v);
/* The summary of op kind `kind` in one repetition, or NULL. */
const struct op_summary *rep_kind(const struct rep_result *rep, uint32_t kind);
/* An op kind's name as the scenario's workload spells it. */
void kind_name_of(const struct scen_result *s, uint32_t kind, char *buf, size_t len);
/* The Go benchmark name of the scenario's k-th op kind. */
void bench_name(const struct report *r, const struct scen_result *s, int k, char *buf,
		size_t len);
/* The name of a blocked-in syscall index (sysnames.h), or "blkN" when it has none. */
const char *blk_name(int idx, char *buf, size_t len);

/* Stability and leaks (report_stability.c): a repetition's window CV and recorded time
 * before steady throughput (false when it has too few windows), and a scenario's growth
 * across rounds. */
bool rep_window_cv(const struct rep_result *rep, double *cv);
bool rep_steady_ns(const struct rep_result *rep, double *ns);
void scen_leaks_fit(struct scen_result *s);
const char *wl_end_name(enum wl_end e);

/* Arithmetic, exposed for the tests. */
double scaling_efficiency(double tput_n, double tput_1, int64_t n);
void metric_aggregate(struct metric *m, int nreps);
void bench_camel(const char *workload, const char *kind, char *buf, size_t len);
const char *scen_status_name(enum scen_status s);

#endif
