/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The interface between the scenario runner (cli/cmd_run.c) and each workload (pool,
 * channel, stream, pipeline, bench). A workload declares its parameters; the runner parses them
 * from the command line or a suite file, validates them against the declared ranges, and
 * calls run() once per repetition.
 */
#ifndef OPSCOPE_WORKLOAD_H
#define OPSCOPE_WORKLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stats/opagg.h"

struct ex_set;
struct ex_kind;
struct ex_exec;
struct ops_wbd;

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

#define WL_MAX_KINDS 10
#define WL_MAX_WINDOWS 128
#define WL_MAX_XMETRICS 48

/* What ended a repetition's recorded phase. */
enum wl_end {
	WL_END_NONE,     /* never reached the recorded phase */
	WL_END_DURATION, /* the duration ran out */
	WL_END_MAX_OPS,  /* max_ops ops were recorded */
	WL_END_STOPPED,  /* the runner's stop flag (signal, watchdog) */
	WL_END_FAILED,   /* a failure or the timeout */
};

/*
 * Throughput per time window: the workload's driving ops completed in each window of
 * width_ns from the start gate, warm-up included, so that the report can say how steady
 * the recorded phase was and when the run reached its steady state. Each thread counts
 * into its own array (wl_tick); a thread whose run outlasts WL_MAX_WINDOWS windows
 * doubles its width (adding pairs), and threads merge at the widest.
 */
struct wl_windows {
	uint64_t width_ns;
	uint64_t warmup_ns; /* start gate to the recorded phase */
	uint32_t n;         /* windows up to the end of the recorded phase */
	uint32_t rec_first; /* first window wholly inside the recorded phase */
	uint32_t rec_end;   /* one past the last window wholly inside it */
	uint64_t count[WL_MAX_WINDOWS];
};

/* A measured high-water mark and the configured limit it must stay within (0: none). */
struct wl_peak {
	uint64_t peak, limit;
};

/* A workload's own metric (pipeline stage occupancy, drops, serialization cost ...),
 * reported like the runner's: one value per repetition, aggregated over them. */
enum wl_xkind { WL_XK_INFO, WL_XK_THROUGHPUT, WL_XK_LATENCY, WL_XK_MEMORY, WL_XK_ERRORS };

struct wl_xmetric {
	char name[32];      /* unique in the scenario, [a-z0-9_] */
	const char *unit;   /* "ns", "bytes", "ratio", "count", "ops/s" */
	enum wl_xkind kind;
	int better;         /* 1 higher, -1 lower, 0 neither */
	double value;
};

/* Facts of one repetition beyond its latencies; report.h copies them as they are. */
struct wl_facts {
	enum wl_end end;
	uint64_t cpu_ns;      /* CPU time of the process (and its worker processes) ... */
	uint64_t cpu_wall_ns; /* ... over this wall time, the recorded phase */
	struct wl_peak inflight; /* calls or packets in flight */
	struct wl_peak busy;     /* workers busy at once (per stage for a pipeline) */
	struct wl_windows win;
	const char *kernel_note; /* non-NULL: why the kernel breakdown is not available */
	int nx;
	struct wl_xmetric x[WL_MAX_XMETRICS];
};

/* What one repetition measured. The workload fills it; the runner owns and frees it. */
struct wl_result {
	int nkinds;
	uint32_t kind[WL_MAX_KINDS];    /* ops_kind_id() of each op kind */
	struct op_agg *agg[WL_MAX_KINDS]; /* merged over the workload's threads */
	double elapsed_s;               /* recorded phase wall time */
	uint64_t alloc_bytes, allocs;   /* driver allocator accounting, recorded phase */
	bool no_alloc;                  /* nothing counted allocations (opscope record) */
	uint64_t threads;               /* threads the workload ran */
	double occupancy;               /* mean queue/buffer fill / capacity, -1 n/a */
	uint64_t streams_served;        /* stream workload: streams that got every answer */
	uint64_t sent, received;        /* conservation checks: messages in and out */
	struct ex_set *ex;              /* slow-operation exemplars (exemplar.h), or NULL */
	/* cross-thread op kinds: the name of the threads that queue such ops, and of
	 * those the ops are queued on ("pool-caller", "pool-worker"); "" for the others */
	char queue_waiter[WL_MAX_KINDS][16], queue_on[WL_MAX_KINDS][16];
	char error[256];                /* set (non-empty) when the repetition failed */
	struct wl_facts f;
};

struct workload {
	const char *name;
	const char *help;
	const struct wl_param_def *params; /* terminated by an entry with name NULL */
	/* Run one repetition. Returns 0, or -errno with res->error set. */
	int (*run)(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res);
	/* Checks across parameters (see wl_config_check), or NULL when there are none. */
	int (*config_check)(const struct wl_config *cfg, char *err, size_t errlen);
	/* Does it fork processes whose breakdown needs the collector to follow them? The
	 * runner then starts the collector with follow (NULL: never). */
	bool (*forks)(const struct wl_config *cfg);
};

extern const struct workload wl_pool, wl_channel, wl_stream, wl_pipeline, wl_bench;
/* NULL-terminated list of all workloads; lookup by name. */
extern const struct workload *const wl_all[];
const struct workload *wl_find(const char *name);
/* Index of a parameter in wl->params, or -1. */
int wl_param_index(const struct workload *wl, const char *name);

/* Counting allocator for the driver: per-thread counters summed by wl_alloc_totals(). */
void *wl_malloc(size_t n);
void wl_free(void *p, size_t n);
void wl_alloc_totals(uint64_t *bytes, uint64_t *count);

/*
 * Checks across parameters that the per-parameter ranges cannot express (e.g. channel
 * mode=spsc needs producers=1 and consumers=1). Returns 0, or -EINVAL with one sentence
 * in err. The runner calls it for every scenario before anything runs, so that such bad
 * input exits 2 up front; run() repeats the check.
 */
int wl_config_check(const struct wl_config *cfg, char *err, size_t errlen);

/* Add a workload metric to res (ignored beyond WL_MAX_XMETRICS). */
void wl_xmetric(struct wl_result *res, const char *name, const char *unit, enum wl_xkind kind,
		int better, double value);

/*
 * Helpers for the workload implementations (wl_common.c); the runner needs none of them.
 *
 * A repetition (struct wl_run) goes warm-up -> record -> stop. The workload starts its
 * threads; each calls wl_thr_begin() (registers for op recording, waits at the start
 * gate), asks wl_rec() before each op whether to record it, records with wl_record(),
 * polls wl_stopping(), and ends with wl_thr_end() (merges its aggregates). The
 * workload's own thread runs wl_run_control(), which opens the gate, moves the phases
 * and enforces the timeout, then joins with wl_join() and fills the result with
 * wl_run_finish(). max_ops counts the workload's driving op (pool.call, chan.send,
 * chan.pingpong, stream.rt, a packet into the pipeline); wl_tick counts its completions
 * (a call's result, a message sent, a round trip, a packet delivered).
 */
#include <pthread.h>
#include "kernel/oprec.h"

void wl_spin_ns(uint64_t ns);          /* ns of CPU work (calibrated; longer if preempted) */
void wl_spin_calibrate(void);          /* once, if no repetition did (wl_run_init does) */
void wl_touch(void *p, size_t n);      /* write every cache line of p[0..n) */
uint64_t wl_rand(uint64_t *state);     /* xorshift64*, state must not be 0 */

enum wl_phase { WL_PH_WARMUP, WL_PH_RECORD, WL_PH_STOP };

struct wl_run {
	const struct wl_ctl *ctl;
	_Atomic int phase;            /* enum wl_phase */
	atomic_bool budget_stop;      /* STOP came from max_ops running out (and nothing else) */
	_Atomic int64_t budget;       /* max_ops tickets not yet handed out */
	int64_t batch;                /* tickets a thread takes at a time */
	_Atomic uint32_t gate;        /* start gate futex word: 0 shut, 1 open, 2 aborted */
	atomic_uint ready;            /* threads waiting at the gate */
	atomic_uint threads;          /* threads that called wl_thr_begin */
	uint64_t t_start, t_rec, t_stop, t_last; /* CLOCK_MONOTONIC ns */
	uint64_t alloc_b0, alloc_n0, alloc_b1, alloc_n1;
	double occ_sum;
	uint64_t occ_n;
	pthread_mutex_t lock;         /* err, error, agg, t_last */
	int err;
	char error[256];
	int nkinds;
	uint32_t kind[WL_MAX_KINDS];
	struct op_agg *agg[WL_MAX_KINDS];
	struct ex_set *ex;            /* the threads' exemplar candidates, under lock */
	/* the threads' interval histories (ops_hist_sync), freed once no thread can read
	 * them: at wl_run_destroy, after every thread was joined (under lock) */
	struct ops_off_hist *hists;
	enum wl_end end;              /* what ended the recorded phase */
	/* throughput windows: origin (start gate), base width, merged counts (under lock) */
	uint64_t t_go, win_ns;
	uint32_t win_shift;
	uint64_t win[WL_MAX_WINDOWS];
	/* CPU time over the recorded phase; cpu_extra adds worker processes' CPU time */
	uint64_t cpu0, cpu1, t_cpu1;
	uint64_t (*cpu_extra)(void *arg);
	void *cpu_arg;
};

/* One driver thread's recording state. */
struct wl_thr {
	struct wl_run *run;
	struct ops_thread ot;
	struct op_agg *agg[WL_MAX_KINDS];
	int64_t tickets;     /* max_ops tickets held */
	uint64_t unflushed;  /* recorded ops not yet added to ctl->ops_done */
	uint64_t last_end;   /* end of this thread's last recorded op */
	/* slow-operation exemplars: an op at least ex_thresh[k] slow is offered */
	uint64_t ex_thresh[WL_MAX_KINDS];
	struct ex_kind *ex[WL_MAX_KINDS];
	uint32_t flushes;    /* flush_done() calls: every 64th refreshes the p99 */
	/* throughput windows (wl_tick): origin, this thread's width, counts */
	uint64_t win_t0, win_w;
	uint32_t win_shift;
	uint64_t win[WL_MAX_WINDOWS];
};

/* Kind names become ops_kind_id()s in r->kind[]. 0 or -errno (r->error set). */
int wl_run_init(struct wl_run *r, const struct wl_ctl *ctl, const char *const *kinds,
		int nkinds, unsigned nthreads);
void wl_run_destroy(struct wl_run *r);
/* Record the first failure (printf-style sentence) and stop the repetition. */
void wl_fail(struct wl_run *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* In a driver thread: register and wait for the start. 0, or -errno: return at once
 * (after wl_thr_end). */
int wl_thr_begin(struct wl_thr *t, struct wl_run *r);
void wl_thr_end(struct wl_thr *t);
/* Is the op about to start recorded? (Takes a max_ops ticket.) */
bool wl_rec(struct wl_thr *t);
/* Should the thread stop starting new ops? (A thread holding tickets when max_ops ran
 * out may still use them.) */
static inline bool wl_stopping(const struct wl_thr *t)
{
	const struct wl_run *r = t->run;

	if (atomic_load_explicit(&r->phase, memory_order_acquire) != WL_PH_STOP)
		return false;
	return !(t->tickets > 0 && atomic_load_explicit(&r->budget_stop, memory_order_relaxed));
}
/* Record one op of kind index k (into r->kind[]), bd->lat_ns its latency, ending at
 * end_ns; or count it as failed. */
void wl_record(struct wl_thr *t, int k, const struct ops_bd *bd, uint64_t end_ns);
/* The same for an op this thread timed with snapshots a and b (bd their delta, b->ts its
 * end): with --why, the split of its blocked time by who ended it comes along. */
void wl_record_snaps(struct wl_thr *t, int k, const struct ops_bd *bd, const struct ops_snap *a,
		     const struct ops_snap *b);
/* The same for an op that ran on another thread (a pool call): x says which thread ran
 * it and when, so a slow op's exemplar keeps that thread's off-CPU intervals; w is why
 * it waited (--why), or NULL. */
void wl_record_ran(struct wl_thr *t, int k, const struct ops_bd *bd, uint64_t end_ns,
		   const struct ex_exec *x, const struct ops_wbd *w);
void wl_record_error(struct wl_thr *t, int k, uint64_t end_ns);

/* One of the workload's driving ops completed at now (warm-up too): the throughput
 * windows. Called by the thread that completes it, recorded or not. */
void wl_tick_slow(struct wl_thr *t, uint64_t i);
static inline void wl_tick(struct wl_thr *t, uint64_t now)
{
	uint64_t i;

	if (now < t->win_t0 || !t->win_w)
		return;
	i = (now - t->win_t0) / t->win_w;
	if (i < WL_MAX_WINDOWS)
		t->win[i]++;
	else
		wl_tick_slow(t, i);
}

/*
 * A count with a measured high-water mark (calls in flight, busy workers), kept with
 * atomics by the threads that change it. The peak is what the count reached, not what
 * the configuration allows: the report holds one to the other.
 */
struct wl_gauge {
	_Atomic int64_t cur, peak;
};

static inline void wl_gauge_add(struct wl_gauge *g, int64_t n)
{
	int64_t v = atomic_fetch_add_explicit(&g->cur, n, memory_order_relaxed) + n;
	int64_t p = atomic_load_explicit(&g->peak, memory_order_relaxed);

	while (v > p && !atomic_compare_exchange_weak_explicit(&g->peak, &p, v,
							       memory_order_relaxed,
							       memory_order_relaxed))
		;
}

static inline void wl_gauge_sub(struct wl_gauge *g, int64_t n)
{
	atomic_fetch_sub_explicit(&g->cur, n, memory_order_relaxed);
}

static inline uint64_t wl_gauge_peak(struct wl_gauge *g)
{
	int64_t p = atomic_load_explicit(&g->peak, memory_order_relaxed);

	return p > 0 ? (uint64_t)p : 0;
}

/*
 * In the workload's own thread, once nthreads threads were started: open the gate when
 * all wait there, run warm-up and the recorded phase (sampling occupancy(arg) when
 * given, a fraction 0..1), and return once the phase is STOP: 0, or -errno with the
 * failure recorded (timeout, stop gate never reached, a thread's failure).
 */
int wl_run_control(struct wl_run *r, unsigned nthreads, double (*occupancy)(void *),
		   void *arg);
/* Start a driver thread fn(arg) named name (stacks and record tables merge threads by
 * name); it is thread i (from 0) of n. 0, or -errno with the failure recorded. */
int wl_thr_start(struct wl_run *r, pthread_t *th, void *(*fn)(void *), void *arg,
		 const char *name, unsigned i, unsigned n);
/* A repetition that failed before its wl_run existed: res cleared, occupancy n/a, the
 * sentence in res->error. Returns err. */
int wl_result_fail(struct wl_result *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Shut the start gate for good (a thread could not be started). */
void wl_run_abort(struct wl_run *r);
/* Join th within the repetition's timeout; past it call force(arg) (which must make
 * every thread return) and wait 2 s more. 0, or -ETIMEDOUT if th is still running: the
 * caller must then leak everything th may touch. */
int wl_join(struct wl_run *r, pthread_t th, void (*force)(void *), void *arg);
/* Fill res from the run: kinds and merged aggregates (moved to res), elapsed time,
 * allocation, occupancy, threads, what ended it, CPU time, throughput windows, error.
 * Returns r->err. The workload adds its peaks and metrics (res->f) afterwards. */
int wl_run_finish(struct wl_run *r, struct wl_result *res);

#endif
