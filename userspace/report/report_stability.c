// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stability within a repetition and leaks across repetitions. A repetition's throughput
 * per time window (struct wl_windows) gives the spread of the recorded phase (CV of the
 * windows wholly inside it) and the recorded time before throughput was steady (MSER over
 * those windows: 0 when the warm-up had reached steady state; the warm-up's own windows
 * are not compared with them, since recording itself costs throughput). A scenario's rounds (its
 * repetitions, the process sampled at the scenario's start and after each) give the
 * growth per round of resident memory, malloc'd bytes in use, open descriptors and
 * threads, as a least-squares slope with its standard error and one-sided 95% lower
 * bound, and what was left after the last teardown. See docs/SUITES.md, "Stability"
 * and "Leaks".
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "report/report.h"
#include "stats/series.h"

/* Windows are merged until they hold this many ops on average (so that counting noise,
 * about 1/sqrt(ops), stays under an eighth), unless fewer than WIN_MIN_N recorded windows
 * would be left. */
#define WIN_MIN_OPS 64
#define WIN_MIN_N 8

const char *wl_end_name(enum wl_end e)
{
	switch (e) {
	case WL_END_NONE: return "none";
	case WL_END_DURATION: return "duration";
	case WL_END_MAX_OPS: return "max-ops";
	case WL_END_STOPPED: return "stopped";
	case WL_END_FAILED: return "failed";
	}
	return "?";
}

/* Window rates (ops/s) from the start gate to the end of the recorded phase, merged;
 * [*first, *end) are the recorded ones. Returns how many, 0 when there are none. */
static uint32_t merged_rates(const struct wl_windows *w, double *rate, uint32_t *first,
			     uint32_t *end, double *width_ns)
{
	uint32_t f, n;

	if (!w->width_ns || w->rec_end <= w->rec_first || w->rec_end > WL_MAX_WINDOWS)
		return 0;
	f = series_merge_factor(w->count, w->rec_first, w->rec_end, WIN_MIN_OPS, WIN_MIN_N);
	n = w->rec_end / f;
	*width_ns = (double)w->width_ns * f;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t c = 0;

		for (uint32_t j = i * f; j < (i + 1) * f; j++)
			c += w->count[j];
		rate[i] = (double)c / (*width_ns / 1e9);
	}
	*first = (w->rec_first + f - 1) / f;
	*end = n;
	return n;
}

bool rep_window_cv(const struct rep_result *rep, double *cv)
{
	double rate[WL_MAX_WINDOWS], width;
	uint32_t first, end;

	if (rep->status || !merged_rates(&rep->f.win, rate, &first, &end, &width) ||
	    end < first + 2)
		return false;
	*cv = series_cv(rate + first, (int)(end - first));
	return isfinite(*cv);
}

bool rep_steady_ns(const struct rep_result *rep, double *ns)
{
	double rate[WL_MAX_WINDOWS], width;
	uint32_t first, end;
	int d = -1;

	if (rep->status)
		return false;
	if (merged_rates(&rep->f.win, rate, &first, &end, &width) && end > first)
		d = series_mser(rate + first, (int)(end - first));
	if (d < 0)
		return false;
	*ns = d * width;
	return true;
}

static void fit_one(struct leak_fit *lf, const double *x, const double *cum, int n)
{
	struct series_fit f;

	memset(lf, 0, sizeof(*lf));
	lf->rounds = n;
	if (n)
		lf->residual = cum[n - 1];
	if (series_fit(x, cum, n, &f) == 0) {
		lf->ok = true;
		lf->slope = f.slope;
		lf->se = f.se;
		lf->lcb = f.lcb;
	}
}

/*
 * The samples: s_0 at the scenario's start, b_r before repetition r and s_r after it (its
 * threads joined, its result consumed). The growth after round r is what the scenario's
 * own repetitions added: the sum of s_i - b_i for i <= r (run alone, b_r is s_{r-1} and
 * the sum is s_r - s_0; interleaved, other scenarios' repetitions ran between b_r and
 * s_{r-1}, and their growth is theirs). A repetition without b_r counts from s_{r-1}. The
 * fit is of that growth against r = 1..R, so the first round's one-time growth (caches,
 * arenas, things made lazily) sets the intercept, not the slope. The residual is the
 * growth after the last round.
 */
void scen_leaks_fit(struct scen_result *s)
{
	double x[s->nreps > 0 ? s->nreps : 1], rss[s->nreps > 0 ? s->nreps : 1];
	double fds[s->nreps > 0 ? s->nreps : 1], thr[s->nreps > 0 ? s->nreps : 1];
	double heap[s->nreps > 0 ? s->nreps : 1];
	const struct proc_sample *prev = &s->start;
	double c_rss = 0, c_heap = 0, c_fds = 0, c_thr = 0;
	int n = 0;

	for (int i = 0; s->start.ok && i < s->nreps && s->reps[i].res.ok; i++) {
		const struct proc_sample *p = &s->reps[i].res;
		const struct proc_sample *b = s->reps[i].pre.ok ? &s->reps[i].pre : prev;

		c_rss += (double)p->rss_bytes - (double)b->rss_bytes;
		c_heap += (double)p->heap_bytes - (double)b->heap_bytes;
		c_fds += (double)p->fds - (double)b->fds;
		c_thr += (double)p->threads - (double)b->threads;
		x[n] = n + 1;
		rss[n] = c_rss;
		heap[n] = c_heap;
		fds[n] = c_fds;
		thr[n] = c_thr;
		prev = p;
		n++;
	}
	s->leaks.rounds = n;
	fit_one(&s->leaks.rss, x, rss, n);
	fit_one(&s->leaks.heap, x, heap, n);
	fit_one(&s->leaks.fds, x, fds, n);
	fit_one(&s->leaks.threads, x, thr, n);
}
