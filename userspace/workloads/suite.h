/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Suite files: the scenarios of a run, pinned in version control. The format is
 * documented in docs/SUITES.md; in short:
 *
 *	[run]                      # defaults for every scenario
 *	reps = 5
 *	warmup = 100ms
 *	duration = 500ms
 *
 *	[targets]                  # override default targets: name = threshold | off
 *	pool-p50 = 2ms
 *
 *	[scenario pool-workers]    # one group of scenarios
 *	workload = pool
 *	inflight = 50              # a fixed parameter
 *	sweep workers = 1, 2, 4    # one scenario per value; several sweeps multiply
 *	sweep mode/producers = spsc/1, mpmc/4   # values that vary together
 *
 * A suite is parsed and checked against the workloads' parameter tables up front, so
 * every mistake is reported with file:line before anything runs. Expansion turns each
 * group into its scenarios (one per sweep point) with fully resolved settings.
 */
#ifndef OPSCOPE_SUITE_H
#define OPSCOPE_SUITE_H

#include <stddef.h>
#include <stdint.h>
#include "workloads/workload.h"

#define SUITE_MAX_ZIP 8      /* parameters varied together in one sweep line */
#define SUITE_MAX_SWEEPS 8   /* sweep lines per group */
#define SUITE_MAX_SCENARIOS 4096
#define SUITE_NAME_MAX 64
#define SCEN_ID_MAX 256

/* How a scenario runs. -1 means "not set here" until resolved. */
struct run_settings {
	int reps;
	int64_t warmup_ns;
	int64_t duration_ns; /* resolved 0: no duration limit (a max_ops run) */
	int64_t timeout_ns; /* resolved default: warmup + duration + 10 s, per repetition */
	int64_t max_ops;
};

void run_settings_unset(struct run_settings *s);
/* Copy every field that is set in over into dst. A layer that sets max_ops and no
 * duration asks for a count: it clears dst's duration (0, no limit). */
void run_settings_merge(struct run_settings *dst, const struct run_settings *over);
/* Built-in defaults for fields still unset. */
void run_settings_resolve(struct run_settings *s);
/* Set run key (reps, warmup, duration, timeout, max_ops) from text. Returns 0, -ENOENT
 * when key is not a run key, or -EINVAL/-ERANGE with err set. */
int run_settings_set(struct run_settings *s, const char *key, const char *text, char *err,
		     size_t errlen);

struct suite_kv {
	char *name, *value;
	int line;
};

struct suite_sweep {
	int nnames;
	char *names[SUITE_MAX_ZIP];
	int pidx[SUITE_MAX_ZIP];
	int nvals;
	char **vals; /* nvals rows of nnames texts */
	int line;
};

struct suite_group {
	char *name;
	const struct workload *wl;
	int line;
	struct run_settings set;
	int nparams;
	struct suite_kv *params;
	int nsweeps;
	struct suite_sweep sweeps[SUITE_MAX_SWEEPS];
};

struct suite {
	char *file; /* as given, or NULL (built-in default, command line) */
	char *name;
	struct run_settings set;
	int ntargets;
	struct suite_kv *targets;   /* NAME = VALUE, or a spec as name with value "" */
	int ngroups;
	struct suite_group *groups;
	const struct workload *const *wls; /* where workload names are looked up */
};

/* One scenario: a group at one sweep point. */
struct scenario {
	char id[SCEN_ID_MAX];       /* group or group/k=v/k=v */
	char group[SUITE_NAME_MAX];
	char label[SCEN_ID_MAX];    /* k=v/k=v of the sweep point, "" without a sweep */
	int nswept;
	int swept[SUITE_MAX_SWEEPS * SUITE_MAX_ZIP]; /* indexes into wl->params */
	const struct workload *wl;
	struct wl_config cfg;
	struct run_settings set;    /* fully resolved */
};

/*
 * How a suite's "plugin FILE" line loads FILE (resolved against the suite file's folder):
 * the runner sets plugins_load (workloads/plugins.h); NULL, the default, refuses such
 * lines, so that parsing alone (tests, fuzzing) never loads code.
 */
extern int (*suite_plugin_loader)(const char *path, char *err, size_t errlen);

/* wls: NULL-terminated workload list (wl_all in the binary, fakes in tests). */
struct suite *suite_new(const char *file, const char *name, const struct workload *const *wls);
void suite_free(struct suite *s);

/* Parse suite text into s; errors read "FILE:LINE: problem; fix". */
int suite_parse(struct suite *s, const char *text, char *err, size_t errlen);
/* Read and parse a suite file. The suite's name is the file's base name sans .suite. */
int suite_load(const char *path, const struct workload *const *wls, struct suite **out,
	       char *err, size_t errlen);

/* Building blocks of the parser, also used for command-line runs (line 0: no prefix). */
int suite_add_group(struct suite *s, const char *name, int line, struct suite_group **out,
		    char *err, size_t errlen);
/* A key in a [scenario] group: workload, a run key, "sweep P[/P...]" or a parameter. */
int suite_group_set(struct suite *s, struct suite_group *g, const char *key,
		    const char *value, int line, char *err, size_t errlen);

/* Number of scenarios the suite expands to. */
int suite_count(const struct suite *s);
/*
 * Expand into scenarios (allocated array, caller frees). Settings resolve as: built-in
 * defaults < [run] < group < cli (cli may be NULL).
 */
int suite_expand(const struct suite *s, const struct run_settings *cli, struct scenario **out,
		 int *n, char *err, size_t errlen);

/* The built-in default suite; the same text as userspace/workloads/suites/default.suite. */
extern const char suite_default_text[];

/* Does any of the n scenarios fork processes (workload->forks) that the collector must
 * follow? Else it keeps the kernel side's one-process compare. */
bool scenarios_fork(const struct scenario *scs, int n);

#endif
