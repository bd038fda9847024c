/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The machine's noise during a repetition, and whether a run was noisy: how much CPU
 * other processes used (/proc/stat's busy time less this process's and its children's),
 * how many tasks not ours were runnable (procs_running less our threads in state R,
 * sampled), hypervisor steal, and the load average. The runner takes a snapshot at each
 * repetition's start and end and samples runnable tasks meanwhile; compare judges two
 * runs' noise with the same numbers (noise_changed). Parsers are pure, for unit tests.
 * Prefix: noise_.
 */
#ifndef OPSCOPE_NOISE_H
#define OPSCOPE_NOISE_H

#include <stdbool.h>
#include <stdint.h>

/* One reading of the clocks noise is measured with (ticks of USER_HZ). */
struct noise_snap {
	uint64_t busy, total, steal; /* /proc/stat "cpu": busy = user..softirq, no idle */
	uint64_t ours;               /* this process's utime + stime, and its children's */
	int procs_running;
	bool ok;
};

/* What the machine did besides us during one repetition. */
struct rep_noise {
	bool valid;
	double other_cpus;     /* CPUs' worth of time other processes ran */
	double other_runnable; /* mean number of runnable tasks not ours (sampled) */
	double steal_pct;      /* % of CPU time the hypervisor took */
	double load1;          /* 1-minute load average at the end */
	int samples;           /* runnable samples taken */
};

/* Sampling state between a repetition's start and end. */
struct noise_acc {
	struct noise_snap start;
	double runnable_sum;
	int samples;
};

/*
 * A run is noisy when, in the median repetition, other processes used at least
 * NOISY_OTHER_CPUS of a CPU per online CPU, or kept NOISY_RUNNABLE runnable tasks per
 * CPU, or the hypervisor stole NOISY_STEAL_PCT: a dedicated machine shows a few
 * hundredths of each (kernel threads, cron).
 */
#define NOISY_OTHER_CPUS 0.10
#define NOISY_RUNNABLE 0.25
#define NOISY_STEAL_PCT 2.0

/*
 * Two runs' environments differ when a measure of the noise moved both beyond doubt
 * (Welch's t over the repetitions of every scenario, p < CHANGED_P: with a hundred
 * repetitions a side) and by at least these amounts: other CPU use or runnable tasks
 * not ours per online CPU, and CHANGED_REL of the baseline's, or steal. A CPU hog
 * started between two runs adds one runnable task (and one busy CPU on a quiet machine);
 * on a machine that already runs nine tasks not ours, the run-to-run drift of its load
 * moved that count by up to 0.8 (9.1 to 9.9) and a hog by 1.9 (9.9 to 11.8).
 */
#define CHANGED_P 0.001
#define CHANGED_REL 0.15
#define CHANGED_OTHER_CPUS 0.15
#define CHANGED_RUNNABLE 0.25
#define CHANGED_STEAL_PCT 2.0

/* Read /proc/stat and this process's (and its children's) CPU ticks now. */
int noise_snap_take(struct noise_snap *s);
void noise_begin(struct noise_acc *a);
/* One sample of runnable tasks not ours (call every 100 ms or so). */
void noise_sample(struct noise_acc *a);
/* The repetition ended: its noise, for a machine of ncpus online CPUs. */
void noise_end(struct noise_acc *a, int ncpus, struct rep_noise *out);

/* Parsers: /proc/stat text; a /proc/PID/stat line (state and utime + stime). 0/-EINVAL. */
int noise_parse_stat(const char *text, uint64_t *busy, uint64_t *total, uint64_t *steal,
		     int *procs_running);
int noise_parse_pidstat(const char *line, char *state, uint64_t *ticks);
/* The noise between two snapshots, for ncpus CPUs (ticks only: runnable not set). */
void noise_between(const struct noise_snap *a, const struct noise_snap *b, int ncpus,
		   struct rep_noise *out);

/* A run's noise: medians over repetitions, and whether it was noisy, in words. */
struct noise_summary {
	int n;                 /* repetitions with a measurement */
	double other_cpus, other_runnable, steal_pct, load1;
	bool noisy;
	char why[192];         /* "other processes used 0.85 CPUs (of 2)", "" when quiet */
};
void noise_summarize(const struct rep_noise *v, int n, int ncpus, struct noise_summary *out);

/*
 * Did the environment change between two runs? a and b: every repetition's noise of
 * each run; their summaries for the words. True with a sentence in why when a measure
 * moved as CHANGED_* says. ncpus: the machine's online CPUs.
 */
bool noise_changed(const struct rep_noise *a, int na, const struct rep_noise *b, int nb,
		   int ncpus, char *why, int whylen);

#endif
