// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The report of `opscope record` on a program that marks its own operations: one
 * scenario per op kind, one repetition each, so that report.txt, report.json, bench.txt
 * and trace.json come out of the same writers as `opscope run`'s and compare, baseline
 * and history read them unchanged (report.h, docs/REPORT_SCHEMA.md). With --why, each op
 * kind's why per band comes with its ops (kernel/attach.c decodes it), and every scenario
 * gets the program's wait-for graph.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kernel/attach.h"
#include "report/report.h"
#include "stats/exemplar.h"
#include "stats/waitfor.h"
#include "workloads/marks.h"

static void marks_counters(struct report_marks *rm, const struct attach_stats *st)
{
	for (int i = 0; i < OPSP_M_NR && rm->nmisuse < REPORT_MARK_COUNTERS; i++) {
		rm->misuse[rm->nmisuse].name = attach_misuse_name(i);
		rm->misuse[rm->nmisuse++].n = st->misuse[i];
	}
	for (int i = 0; i < OPSP_L_NR && rm->nloss < REPORT_MARK_COUNTERS; i++) {
		rm->loss[rm->nloss].name = attach_loss_name(i);
		rm->loss[rm->nloss++].n = st->loss[i];
	}
}

/* A scenario for kind id: group the program, label the kind. */
static void marks_scenario(struct scenario *sc, const struct marks_run *run, uint32_t id,
			   int nreps, double rep_s)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->group, sizeof(sc->group), "%s", run->program);
	snprintf(sc->label, sizeof(sc->label), "%s", ops_kind_name(id));
	snprintf(sc->id, sizeof(sc->id), "%.63s/%.47s", sc->group, sc->label);
	sc->wl = &wl_marks;
	sc->cfg.wl = &wl_marks;
	sc->set.reps = nreps;
	sc->set.warmup_ns = 0;
	sc->set.duration_ns = (int64_t)(rep_s * 1e9);
	sc->set.timeout_ns = 0;
	sc->set.max_ops = 0;
}

static void marks_header(struct report *r, struct marks *m, const struct attach_stats *st,
			 const struct marks_run *run, int nreps, double rep_s)
{
	struct report_marks *rm = &r->marks;

	r->have_marks = true;
	memset(rm, 0, sizeof(*rm));
	snprintf(rm->program, sizeof(rm->program), "%s", run->program);
	rm->pid = run->pid;
	rm->attach_ms = run->attach_ms;
	rm->ops = marks_ops(m);
	rm->dropped = st->dropped;
	rm->open = st->open;
	rm->bad_records = st->bad_records;
	marks_counters(rm, st);
	snprintf(r->suite_name, sizeof(r->suite_name), "record");
	r->settings.reps = nreps;
	r->settings.warmup_ns = 0;
	r->settings.duration_ns = (int64_t)(rep_s * 1e9);
	r->settings.timeout_ns = 0;
	r->settings.max_ops = 0;
	/* the targets are the built-in workloads': none applies to a program's own ops */
	for (int i = 0; i < r->ntargets; i++)
		r->targets[i].enabled = false;
}

#define MAX_WINDOWS 1000

/* record --why: the program's wait-for graph, the scenario's own copy (report_free frees
 * it with the scenario). */
static int marks_waitfor(struct scen_result *s, const struct waitfor *g)
{
	if (!g)
		return 0;
	s->wf = waitfor_new();
	if (!s->wf)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		const struct wf_edge *e = &g->e[i];
		int err = waitfor_add(s->wf, e->waiter, e->kind, e->on, e->cls, e->ns, e->count);

		if (err)
			return err;
	}
	s->wf->lost = g->lost;
	return 0;
}

int report_add_marks(struct report *r, struct marks *m, const struct attach_stats *st,
		     const struct marks_run *run, struct ex_trace *trace)
{
	double elapsed[MAX_WINDOWS];
	uint32_t ids[OPSP_KINDS];
	int n = marks_kinds(m, ids, OPSP_KINDS);
	int nw = marks_windows(m, run->since, run->end, elapsed, MAX_WINDOWS);

	if (nw < 0)
		return nw;
	marks_header(r, m, st, run, nw, elapsed[0]);
	for (int i = 0; i < n; i++) {
		struct scenario sc;
		struct scen_result *s;

		marks_scenario(&sc, run, ids[i], nw, elapsed[0]);
		s = report_add_scenario(r, &sc);
		if (!s || marks_waitfor(s, run->wf))
			return -ENOMEM;
		for (int w = 0; w < nw; w++) {
			struct wl_result res;
			int err = marks_result(m, ids[i], w, elapsed[w], &res);

			if (err)
				return err;
			if (res.ex && trace && ex_trace_add(trace, sc.id, res.ex)) {
				ex_set_free(res.ex);
				op_agg_free(res.agg[0]);
				return -ENOMEM;
			}
			ex_set_free(res.ex);
			res.ex = NULL;
			err = scen_add_rep(s, 0, &res, run->rss_peak, run->rss_steady, false);
			if (err)
				return err;
		}
	}
	return 0;
}

void report_marks_finish(struct report *r)
{
	/* "BenchmarkRecordParse/<program>-2": the program is the sub-benchmark */
	for (int i = 0; r->have_marks && i < r->nscen; i++)
		snprintf(r->scen[i].bench_sub, sizeof(r->scen[i].bench_sub), "%s",
			 r->scen[i].sc.group);
}
