/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope compare: two report.json files (docs/REPORT_SCHEMA.md), scenario by scenario
 * and metric by metric, with a significance test over the repetitions, thresholds per
 * metric kind, and for every regression the kernel breakdown component that moved.
 *
 * The comparison is a pure function of two parsed reports and the options, so the unit
 * tests drive it on synthetic reports; cmd_compare() adds files and output formats
 * (report/compare_text.h, report/writers_ci.h). Prefix: cmp_.
 */
#ifndef OPSCOPE_COMPARE_H
#define OPSCOPE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
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
};

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

struct cmp_opts {
	double kind_pct[CMP_K_NR]; /* defaults per kind, < 0 off */
	struct cmp_rule rules[CMP_MAX_RULES];
	int nrules;
	double alpha;              /* significance level, default CMP_DEFAULT_ALPHA */
	bool allow_env_mismatch;
	bool allow_impl_mismatch; /* scenarios that ran other implementations (plugins) */
};

/* 0.01, not 0.05: a report has a dozen gated metrics per scenario, and a nightly alarm
 * that is false one night in three gets ignored. 5 vs 5 repetitions can reach 0.008. */
#define CMP_DEFAULT_ALPHA 0.01

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
	double delta_pct;    /* (cur - base) / base * 100; +-INFINITY from 0 */
	double threshold_pct;
	double p;            /* NaN when no test was possible */
	bool exact;
	bool significant;
	bool low_conf;       /* fewer than SIGNIF_MIN_REPS repetitions on a side */
	double ci_lo, ci_hi; /* bootstrap CI of cur - base medians, NaN when none */
	enum cmp_verdict verdict;
	char *explain;       /* regressions: what moved in the kernel breakdown (malloc) */
	char *flame;         /* differential flame graph for the scenario, or NULL (malloc) */
};

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
	double alpha;
};

/* Compare two loaded reports. Returns 0 or -ENOMEM / -EINVAL (err says why). */
int cmp_run(const struct cmp_report *base, const struct cmp_report *cur,
	    const struct cmp_opts *o, struct cmp_result *res, char *err, size_t errlen);
void cmp_result_free(struct cmp_result *res);

/* The exit status for a result: 0 nothing regressed, 1 regression or failed scenario,
 * 2 environment or implementation mismatch without allow. */
int cmp_exit_status(const struct cmp_result *res, const struct cmp_opts *o);

/* A row worth showing by default: neither within threshold nor ungated. */
bool cmp_row_interesting(const struct cmp_row *r);

#endif
