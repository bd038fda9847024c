/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope compare: two report.json files (docs/REPORT_SCHEMA.md), scenario by scenario
 * and metric by metric: the effect of each metric with its confidence interval, a test
 * over the repetitions corrected for the number of metrics (Holm), thresholds per metric
 * kind, the kernel breakdown per op kind tested on its own, the machine's noise in each
 * run, the parameters each scenario ran with, the targets, and one verdict with its exit
 * status (cmp_exit_status).
 *
 * The comparison is a pure function of two parsed reports and the options, so the unit
 * tests drive it on synthetic reports; cmd_compare() adds files and output formats
 * (report/compare_text.h, report/writers_ci.h). compare.c builds the rows,
 * compare_judge.c tests and judges them. Prefix: cmp_.
 */
#ifndef OPSCOPE_COMPARE_H
#define OPSCOPE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "stats/noise.h"
#include "stats/signif.h"
#include "util/jsonparse.h"

#define REPORT_SCHEMA_NAME "opscope-report"
#define REPORT_SCHEMA_VERSION 1

enum cmp_kind {
	CMP_K_THROUGHPUT,
	CMP_K_LATENCY,
	CMP_K_MEMORY,
	CMP_K_ERRORS,
	CMP_K_KERNEL, /* breakdown means: explanatory, off by default */
	CMP_K_INFO,   /* never a regression */
	CMP_K_NR
};

enum cmp_verdict {
	CMP_SAME,        /* within threshold */
	CMP_NOISE,       /* beyond threshold, but not significant over the repetitions */
	CMP_REGRESSION,  /* beyond threshold and significant, in the worse direction */
	CMP_IMPROVEMENT, /* beyond threshold and significant, in the better direction */
	CMP_NODATA,      /* no repetition values on one side */
	CMP_NEW,         /* only in the current report */
	CMP_GONE,        /* only in the baseline */
	CMP_FAILED,      /* the current scenario did not complete (status != ok) */
	CMP_UNGATED,     /* threshold off for this metric: shown, never a verdict */
	CMP_SHIFT,       /* a waiting component (run queue, blocked) moved: explains */
	CMP_ENVIRONMENT, /* moved, but the machine's noise changed: not the code's */
	CMP_POOLED,      /* a scenario's kernel component, tested with its group's */
	CMP_UNCONFIRMED, /* a regression or improvement a rerun did not show again */
};

/* What a row is tested as. */
enum cmp_family {
	CMP_F_NONE,      /* not tested (missing, failed, ungated, info) */
	CMP_F_HEADLINE,  /* throughput, latency, memory, errors */
	CMP_F_WORK,      /* kernel breakdown per op of what the code does: on-CPU, syscalls,
			  * faults: a worse move is a regression even with the headline quiet */
	CMP_F_WAIT,      /* kernel breakdown per op of waiting: run queue, blocked: a move
			  * is a shift that explains, never a regression by itself */
};

/* The comparison's verdict, in the order cmp_exit_status ranks them. */
enum cmp_outcome {
	CMP_OUT_OK,           /* exit 0 */
	CMP_OUT_REGRESSION,   /* exit 1: the code got slower (or a scenario failed) */
	CMP_OUT_REFUSED,      /* exit 2: environment mismatch (kernel, CPU, governor); only
			       * named, cmp_result.refused says it */
	CMP_OUT_UNJUDGED,     /* exit 3: could not judge: the machine's noise changed */
	CMP_OUT_TARGET,       /* exit 4: a target failed that is not known to fail here */
};

#define CMP_EXIT_UNJUDGED 3
#define CMP_EXIT_TARGET 4

/* Threshold rules: "KIND=5%", "METRIC=5%", "SCENARIO:METRIC=20%", "SCENARIO:*=off". A
 * METRIC is a metric id (pool.call/p99_ns) or name (p99_ns); the suffix _ns may be left
 * out (p99). The most specific matching rule wins; among equals, the later one. */
#define CMP_MAX_RULES 64
struct cmp_rule {
	char scenario[160]; /* "" matches every scenario */
	char metric[96];    /* kind name, metric id, metric name, or "" (any metric) */
	int match;          /* 0 any, 1 kind, 2 name, 3 id */
	double pct;         /* < 0: off */
};

#define CMP_MAX_KNOWN 64

/*
 * Past runs of the same machine (compare --history): how far two runs of the same code
 * land apart, which the repetitions of one run cannot tell. values() fills out with the
 * medians of a scenario's metric in each past run, oldest first, NaN where a run lacks
 * it (the two runs compared left out), and returns how many: nruns at most. work: the
 * metric is what the code does per op (CMP_F_WORK), whose spread the caller may take
 * from quiet runs only (a busy neighbour shifts it by a few percent, one way).
 */
struct cmp_history {
	int nruns;
	int (*values)(const void *ctx, const char *scenario, const char *metric, bool work,
		      double *out);
	const void *ctx;
};

/* Past runs needed before they, not the repetitions, say what a change must beat. */
#define CMP_HISTORY_MIN 5

struct cmp_opts {
	double kind_pct[CMP_K_NR]; /* defaults per kind, < 0 off */
	struct cmp_rule rules[CMP_MAX_RULES];
	int nrules;
	double alpha;              /* family-wise significance level, default CMP_DEFAULT_ALPHA */
	bool allow_env_mismatch;
	bool allow_impl_mismatch;  /* scenarios that ran other implementations (plugins) */
	bool allow_param_change;   /* compare scenarios whose parameters differ (flagged) */
	bool no_targets;           /* leave the targets out of the verdict */
	bool no_noise;             /* judge as if the machine's noise had not changed */
	/* targets known to fail on this machine (--known-failing; the baseline's meta.json) */
	char known[CMP_MAX_KNOWN][128];
	int nknown;
	const struct cmp_history *history; /* NULL: the repetitions alone */
};

/* Family-wise: the chance that a comparison of two runs of the same code reports any
 * change at all, over every metric tested (Holm's correction keeps it at alpha). */
#define CMP_DEFAULT_ALPHA 0.05

void cmp_opts_init(struct cmp_opts *o);
/* Add one --threshold spec. Returns 0, or -EINVAL with one sentence in err. */
int cmp_threshold_add(struct cmp_opts *o, const char *spec, char *err, size_t errlen);
/* Threshold in percent for a metric, or < 0 when it is not gated. */
double cmp_threshold_for(const struct cmp_opts *o, const char *scenario, const char *metric_id,
			 const char *metric_name, enum cmp_kind kind);

const char *cmp_kind_name(enum cmp_kind k);
int cmp_kind_parse(const char *s); /* -1 when unknown */
const char *cmp_verdict_name(enum cmp_verdict v);

/* A loaded report: the document plus where it came from. */
struct cmp_report {
	char path[4096];  /* the report.json file */
	char dir[4096];   /* its directory (for stacks/) */
	struct json_doc *doc;
	const struct json_value *root;
};

/* Load FILE or DIR/report.json and check schema and version. Returns 0, or -errno with
 * one sentence naming the file and the problem in err. */
int cmp_report_load(struct cmp_report *r, const char *path, char *err, size_t errlen);
/* Same checks on an already parsed document (path only names it in messages). */
int cmp_report_check(const struct json_value *root, const char *path, char *err, size_t errlen);
void cmp_report_free(struct cmp_report *r);
/* Whether the run said its machine was noisy (report.json's noise.noisy). */
bool cmp_report_noisy(const struct cmp_report *r);

struct cmp_row {
	char scenario[160];
	char metric[128];    /* metric id */
	char name[64];       /* metric name */
	char op[64];         /* op kind, "" for scenario-level */
	char unit[16];
	enum cmp_kind kind;
	int better;          /* +1 higher is better, -1 lower is better, 0 none */
	int nb, nc;          /* repetition values on each side */
	double base, cur;    /* medians over repetitions */
	double shown_b, shown_c; /* what the effect compares: geometric means over
				  * repetitions, or the medians (tested against past runs) */
	double delta_pct;    /* (cur - base) / base * 100; +-INFINITY from 0 */
	double threshold_pct;
	double p;            /* NaN when no test was possible */
	bool exact;
	bool significant;
	bool low_conf;       /* fewer than SIGNIF_MIN_REPS repetitions on a side */
	double ci_lo, ci_hi; /* bootstrap CI of cur - base medians, NaN when none */
	enum cmp_family family;
	double effect_pct;   /* Welch: the change (ratio of geometric means - 1), NaN none */
	double eff_lo_pct, eff_hi_pct; /* its 95% confidence interval */
	double p_adj;        /* p after Holm's correction over every tested row */
	double floor;        /* an absolute change smaller than this is no change */
	bool params_differ;  /* the scenario ran with other parameters (--allow-param-change) */
	const struct json_value *jbs, *jcs; /* the two scenarios (for the explanations) */
	struct welch w;      /* the test (valid when isfinite(p)) */
	int nscen;           /* > 0: a group's pooled row over this many scenarios */
	int hist_runs;       /* > 0: tested against the spread of this many past runs */
	enum cmp_verdict verdict;
	char *explain;       /* regressions: what moved in the kernel breakdown (malloc) */
	char *flame;         /* differential flame graph for the scenario, or NULL (malloc) */
};

/* A target of the current run, beside the baseline's. */
struct cmp_target {
	char name[128];
	char condition[96];   /* "< 1ms" */
	char value[32];       /* the current run's value, formatted */
	char scenario[160];
	char status[8];       /* current: pass, fail, n/a */
	char base_status[8];  /* the baseline's, "" when it had no such target */
	bool known;           /* failing and known to fail on this machine */
};

#define CMP_MAX_TARGETS 128

struct cmp_result {
	char base_path[4096], cur_path[4096];
	char env_mismatch[1024]; /* "" or lines "key: base -> current" */
	bool env_differs;
	/* "" or lines "scenario: impl base -> current (plugin)": scenarios whose pool,
	 * channel or bench function is another implementation (impl_differs), or the same
	 * plugin implementation from another build (a note only) */
	char impl_mismatch[1024];
	bool impl_differs;
	struct cmp_row *rows;
	int nrows, cap;
	int regressions, improvements, noise, failed, missing;
	int shifts, environment; /* kernel shifts; moves put down to the environment */
	int unconfirmed;         /* flagged, but not again in the rerun (--confirm) */
	bool confirmed;          /* a rerun was compared (--confirm) */
	int tests;               /* rows tested (in the two Holm families) */
	int tests_work;          /* of them, what the code does per op (the second family) */
	int hist_tests;          /* rows tested against past runs (compare --history) */
	double alpha;
	/* the machine's noise in each run, and whether it changed (stats/noise.h) */
	struct noise_summary base_noise, cur_noise;
	bool noise_changed;
	char noise_why[320];
	/* parameters that differ, "scenario: name a -> b" per line */
	char *param_diff;
	int param_scenarios;
	int filtered;            /* baseline scenarios outside the current --scenario filter */
	struct cmp_target targets[CMP_MAX_TARGETS];
	int ntargets, targets_failed, targets_known, targets_fixed;
	enum cmp_outcome outcome;  /* what the rows say, the machines aside */
	bool refused;              /* ...but the machines differ (exit 2 without allow) */
	char outcome_why[512];
};

/* Compare two loaded reports. Returns 0 or -ENOMEM / -EINVAL (err says why). */
int cmp_run(const struct cmp_report *base, const struct cmp_report *cur,
	    const struct cmp_opts *o, struct cmp_result *res, char *err, size_t errlen);
void cmp_result_free(struct cmp_result *res);

/*
 * The exit status for a result: 0 nothing regressed; 1 a regression or a failed scenario;
 * 2 environment mismatch without allow; 3 could not judge (the machine's noise changed
 * between the runs, and nothing the noise cannot explain moved); 4 a target failed that
 * is not known to fail on this machine. The first that applies, in that order.
 */
int cmp_exit_status(const struct cmp_result *res, const struct cmp_opts *o);
const char *cmp_outcome_name(enum cmp_outcome o);

/*
 * Confirmation (compare --confirm RERUN): again is the comparison of the baseline with a
 * rerun of the current build in a fresh process (of the scenarios res flagged). A
 * regression or improvement of res stands only if again flags the same row the same
 * way; else it becomes CMP_UNCONFIRMED. The counts and the outcome are redone.
 */
void cmp_confirm(struct cmp_result *res, const struct cmp_result *again,
		 const struct cmp_opts *o);

/* Add --known-failing NAME[,NAME...]. 0 or -EINVAL (err says why). */
int cmp_known_add(struct cmp_opts *o, const char *list, char *err, size_t errlen);

/* Within stats/ (compare_judge.c): test every row, correct, judge; the parameters,
 * noise and targets of the two reports. */
int cmp_judge(const struct cmp_report *base, const struct cmp_report *cur,
	      const struct cmp_opts *o, struct cmp_result *res);
int cmp_params_check(const struct json_value *bs, const struct json_value *cs,
		     struct cmp_result *res, bool *differ);
void cmp_noise_check(const struct cmp_report *base, const struct cmp_report *cur,
		     struct cmp_result *res);
void cmp_targets_check(const struct cmp_report *base, const struct cmp_report *cur,
		       const struct cmp_opts *o, struct cmp_result *res);
/* The repetitions' values of a metric (non-null numbers), at most max. */
int cmp_reps_values(const struct json_value *m, double *out, int max);

/* A row worth showing by default: neither within threshold nor ungated. */
bool cmp_row_interesting(const struct cmp_row *r);

#endif
