/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The interface between the scenario runner (run.c) and each workload (pool, channel,
 * stream). A workload declares its parameters; the runner parses them from the command
 * line or a suite file, validates them against the declared ranges, and calls run()
 * once per repetition.
 */
#ifndef OPSCOPE_WORKLOAD_H
#define OPSCOPE_WORKLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "opagg.h"

enum wl_ptype {
	WL_P_INT,      /* plain integer */
	WL_P_SIZE,     /* bytes: 64, 4k, 1M (binary units) */
	WL_P_DURATION, /* ns: 500ns, 20us, 1ms, 2s */
	WL_P_FLOAT,    /* 0.01 */
	WL_P_ENUM,     /* one of enum_vals; value is its index */
};

struct wl_param_def {
	const char *name;
	enum wl_ptype type;
	int64_t min, max;      /* inclusive, for INT/SIZE/DURATION/ENUM index */
	double fmin, fmax;     /* for FLOAT */
	const char *def;       /* default, as text in the same syntax the user writes */
	const char *help;
	const char *const *enum_vals; /* NULL-terminated, WL_P_ENUM only */
};

#define WL_MAX_PARAMS 24

/* Parsed parameter values, in the order of the workload's params table. */
struct wl_config {
	const struct workload *wl;
	int64_t iv[WL_MAX_PARAMS]; /* INT, SIZE (bytes), DURATION (ns), ENUM (index) */
	double fv[WL_MAX_PARAMS];  /* FLOAT */
};

/* How long to run one repetition; owned by the runner. */
struct wl_ctl {
	uint64_t warmup_ns;    /* run, but record nothing, this long first */
	uint64_t duration_ns;  /* then record this long ... */
	uint64_t max_ops;      /* ... or until this many ops (0: no limit) */
	uint64_t timeout_ns;   /* a repetition still running this long after start fails */
	atomic_ullong *ops_done; /* the workload adds completed recorded ops here (progress) */
	volatile int *stop;    /* set by the runner on SIGINT/SIGTERM: finish early */
};

#define WL_MAX_KINDS 4

/* What one repetition measured. The workload fills it; the runner owns and frees it. */
struct wl_result {
	int nkinds;
	uint32_t kind[WL_MAX_KINDS];    /* ops_kind_id() of each op kind */
	struct op_agg *agg[WL_MAX_KINDS]; /* merged over the workload's threads */
	double elapsed_s;               /* recorded phase wall time */
	uint64_t alloc_bytes, allocs;   /* driver allocator accounting, recorded phase */
	uint64_t threads;               /* threads the workload ran */
	double occupancy;               /* mean queue/buffer fill / capacity, -1 n/a */
	uint64_t streams_served;        /* stream workload: streams that got every answer */
	uint64_t sent, received;        /* conservation checks: messages in and out */
	char error[256];                /* set (non-empty) when the repetition failed */
};

struct workload {
	const char *name;
	const char *help;
	const struct wl_param_def *params; /* terminated by an entry with name NULL */
	/* Run one repetition. Returns 0, or -errno with res->error set. */
	int (*run)(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res);
};

extern const struct workload wl_pool, wl_channel, wl_stream;
/* NULL-terminated list of all workloads; lookup by name. */
extern const struct workload *const wl_all[];
const struct workload *wl_find(const char *name);
/* Index of a parameter in wl->params, or -1. */
int wl_param_index(const struct workload *wl, const char *name);

/* Counting allocator for the driver: per-thread counters summed by wl_alloc_totals(). */
void *wl_malloc(size_t n);
void wl_free(void *p, size_t n);
void wl_alloc_totals(uint64_t *bytes, uint64_t *count);

#endif
