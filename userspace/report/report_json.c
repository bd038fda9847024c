// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* report.json: everything in the report, versioned (docs/REPORT_SCHEMA.md). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "report/report.h"
#include "util/fmt.h"
#include "util/json.h"
#include "workloads/params.h"
#include "workloads/plugins.h"


static const char *kind_str(enum metric_kind k)
{
	static const char *const n[] = { "throughput", "latency", "memory", "errors", "kernel",
					 "info" };
	return n[k];
}

static const char *better_str(enum metric_better b)
{
	return b == MB_HIGHER ? "higher" : b == MB_LOWER ? "lower" : "none";
}

/* A breakdown; div > 0 writes means (sums / div), div == 0 the raw sums. */
static void json_bd(struct json_writer *jw, const struct ops_bd *bd, double div)
{
	int order[OPS_BD_BLK], n = 0;
	char nb[32];

#define BD_FIELD(f) do {						\
		if (div > 0)						\
			jsonw_double_field(jw, #f, (double)bd->f / div);	\
		else							\
			jsonw_uint_field(jw, #f, bd->f);		\
	} while (0)

	jsonw_start_object(jw);
	if (div > 0)
		jsonw_uint_field(jw, "n", 1);
	else
		jsonw_uint_field(jw, "n", bd->n);
	BD_FIELD(lat_ns);
	BD_FIELD(on_ns);
	BD_FIELD(runq_ns);
	BD_FIELD(blocked_ns);
	BD_FIELD(queued_ns);
	BD_FIELD(syscalls);
	BD_FIELD(syscall_ns);
	BD_FIELD(vcsw);
	BD_FIELD(ivcsw);
	BD_FIELD(faults);
	BD_FIELD(kfaults);
	BD_FIELD(migrations);
	BD_FIELD(steal_ns);
	BD_FIELD(map_calls);
	BD_FIELD(map_bytes);
	BD_FIELD(unmap_bytes);
#undef BD_FIELD
	for (int i = 0; i < OPS_BD_BLK; i++)
		if (bd->blk_ns[i])
			order[n++] = i;
	fmt_order_desc(order, n, bd->blk_ns); /* largest first */
	jsonw_name(jw, "blocked_by");
	jsonw_start_array(jw);
	for (int i = 0; i < n; i++) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "syscall", blk_name(order[i], nb, sizeof(nb)));
		if (div > 0)
			jsonw_double_field(jw, "ns", (double)bd->blk_ns[order[i]] / div);
		else
			jsonw_uint_field(jw, "ns", bd->blk_ns[order[i]]);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void json_bands(struct json_writer *jw, const struct op_summary *p)
{
	jsonw_start_array(jw);
	for (int b = 0; b < BAND_NR; b++) {
		uint64_t ops = p->band[b].n;

		jsonw_start_object(jw);
		jsonw_string_field(jw, "band", ops_band_names[b]);
		jsonw_uint_field(jw, "lo_ns", b ? p->band_hi[b - 1] : 0);
		jsonw_uint_field(jw, "hi_ns", p->band_hi[b]);
		jsonw_uint_field(jw, "ops", ops);
		jsonw_name(jw, "sum");
		json_bd(jw, &p->band[b], 0);
		jsonw_name(jw, "mean");
		if (ops) {
			json_bd(jw, &p->band[b], (double)ops);
		} else {
			struct ops_bd zero = { 0 };

			json_bd(jw, &zero, 1);
		}
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

static void json_latency(struct json_writer *jw, const struct op_summary *p)
{
	jsonw_uint_field(jw, "count", p->count);
	jsonw_uint_field(jw, "errors", p->errors);
	jsonw_double_field(jw, "mean_ns", p->count ? p->mean : NAN);
	jsonw_double_field(jw, "stddev_ns", p->count ? p->stddev : NAN);
	if (!p->count) {
		static const char *const keys[] = { "min_ns", "p50_ns", "p90_ns", "p95_ns",
						    "p99_ns", "p999_ns", "max_ns" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			jsonw_null_field(jw, keys[i]);
		return;
	}
	jsonw_uint_field(jw, "min_ns", p->min);
	jsonw_uint_field(jw, "p50_ns", p->p50);
	jsonw_uint_field(jw, "p90_ns", p->p90);
	jsonw_uint_field(jw, "p95_ns", p->p95);
	jsonw_uint_field(jw, "p99_ns", p->p99);
	jsonw_uint_field(jw, "p999_ns", p->p999);
	jsonw_uint_field(jw, "max_ns", p->max);
}

static void json_param_value(struct json_writer *jw, const struct wl_param_def *d,
			     const struct wl_config *cfg, int i)
{
	char buf[64];

	switch (d->type) {
	case WL_P_FLOAT:
		jsonw_double(jw, cfg->fv[i]);
		break;
	case WL_P_ENUM:
		param_format_value(d, cfg->iv[i], cfg->fv[i], buf, sizeof(buf));
		jsonw_string(jw, buf);
		break;
	default:
		jsonw_int(jw, cfg->iv[i]);
		break;
	}
}

static void json_metric(struct json_writer *jw, const struct metric *m, int nreps)
{
	jsonw_start_object(jw);
	jsonw_string_field(jw, "id", m->id);
	jsonw_string_field(jw, "name", m->name);
	if (m->op[0])
		jsonw_string_field(jw, "op", m->op);
	else
		jsonw_null_field(jw, "op");
	jsonw_string_field(jw, "unit", m->unit);
	jsonw_string_field(jw, "kind", kind_str(m->kind));
	jsonw_string_field(jw, "better", better_str(m->better));
	jsonw_name(jw, "reps");
	jsonw_start_array(jw);
	for (int i = 0; i < nreps; i++) {
		if (m->have[i])
			jsonw_double(jw, m->v[i]);
		else
			jsonw_null(jw);
	}
	jsonw_end_array(jw);
	jsonw_int_field(jw, "n", m->n);
	jsonw_double_field(jw, "mean", m->mean);
	jsonw_double_field(jw, "stddev", m->stddev);
	jsonw_double_field(jw, "cv", m->cv);
	jsonw_double_field(jw, "median", m->median);
	jsonw_double_field(jw, "min", m->min);
	jsonw_double_field(jw, "max", m->max);
	jsonw_end_object(jw);
}

static void json_peak(struct json_writer *jw, const char *name, const struct wl_peak *p)
{
	jsonw_name(jw, name);
	if (!p->peak && !p->limit) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "peak", p->peak);
	if (p->limit)
		jsonw_uint_field(jw, "limit", p->limit);
	else
		jsonw_null_field(jw, "limit");
	jsonw_end_object(jw);
}

static void json_proc(struct json_writer *jw, const char *name, const struct proc_sample *p)
{
	jsonw_name(jw, name);
	if (!p->ok) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "rss_bytes", p->rss_bytes);
	jsonw_uint_field(jw, "heap_bytes", p->heap_bytes);
	jsonw_uint_field(jw, "fds", p->fds);
	jsonw_uint_field(jw, "threads", p->threads);
	jsonw_end_object(jw);
}

static void json_windows(struct json_writer *jw, const struct wl_windows *w)
{
	jsonw_name(jw, "windows");
	if (!w->width_ns || !w->n) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "width_ns", w->width_ns);
	jsonw_uint_field(jw, "warmup_ns", w->warmup_ns);
	jsonw_uint_field(jw, "recorded_first", w->rec_first);
	jsonw_uint_field(jw, "recorded_end", w->rec_end);
	jsonw_name(jw, "counts");
	jsonw_start_array(jw);
	for (uint32_t i = 0; i < w->n && i < WL_MAX_WINDOWS; i++)
		jsonw_uint(jw, w->count[i]);
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

/* What a repetition did beyond its latencies (struct wl_facts). */
static void json_rep_facts(struct json_writer *jw, const struct rep_result *rep)
{
	const struct wl_facts *f = &rep->f;

	jsonw_string_field(jw, "ended_by", wl_end_name(f->end));
	jsonw_uint_field(jw, "cpu_ns", f->cpu_ns);
	jsonw_uint_field(jw, "cpu_wall_ns", f->cpu_wall_ns);
	json_peak(jw, "inflight", &f->inflight);
	json_peak(jw, "busy", &f->busy);
	json_windows(jw, &f->win);
	json_proc(jw, "resources", &rep->res);
	json_proc(jw, "resources_before", &rep->pre);
}

static void json_leak(struct json_writer *jw, const char *name, const struct leak_fit *f)
{
	jsonw_name(jw, name);
	jsonw_start_object(jw);
	jsonw_double_field(jw, "slope", f->ok ? f->slope : NAN);
	jsonw_double_field(jw, "se", f->ok ? f->se : NAN);
	jsonw_double_field(jw, "lcb", f->ok ? f->lcb : NAN);
	jsonw_double_field(jw, "residual", f->residual);
	jsonw_end_object(jw);
}

static void json_leaks(struct json_writer *jw, const struct scen_result *s)
{
	const struct scen_leaks *l = &s->leaks;

	jsonw_name(jw, "leaks");
	if (!l->rounds) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_int_field(jw, "rounds", l->rounds);
	json_proc(jw, "start", &s->start);
	json_leak(jw, "rss_bytes", &l->rss);
	json_leak(jw, "heap_bytes", &l->heap);
	json_leak(jw, "fds", &l->fds);
	json_leak(jw, "threads", &l->threads);
	jsonw_end_object(jw);
}

/* What the machine did besides us during a repetition (stats/noise.h). */
static void json_rep_noise(struct json_writer *jw, const struct rep_noise *n)
{
	if (!n->valid) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_double_field(jw, "other_cpus", n->other_cpus);
	jsonw_double_field(jw, "other_runnable", n->other_runnable);
	jsonw_double_field(jw, "steal_pct", n->steal_pct);
	jsonw_double_field(jw, "load1", n->load1);
	jsonw_int_field(jw, "samples", n->samples);
	jsonw_end_object(jw);
}

static void json_rep(struct json_writer *jw, const struct report *r,
		     const struct scen_result *s, int i)
{
	const struct rep_result *rep = &s->reps[i];
	char kn[KIND_NAME_MAX];

	jsonw_start_object(jw);
	jsonw_int_field(jw, "rep", i);
	jsonw_string_field(jw, "status", rep->status == 0 ? "ok" :
			   rep->timed_out ? "timeout" : "error");
	jsonw_string_field(jw, "error", rep->status ? rep->error : NULL);
	jsonw_double_field(jw, "elapsed_s", rep->elapsed_s);
	{
		const struct op_summary *p = s->nkinds ? rep_kind(rep, s->kind[0]) : NULL;
		uint64_t errors = 0;

		for (int k = 0; k < rep->nkinds; k++)
			errors += rep->sum[k].errors;
		jsonw_uint_field(jw, "ops", p ? p->count : 0);
		jsonw_uint_field(jw, "errors", errors);
	}
	if (rep->no_alloc) {
		jsonw_name(jw, "alloc_bytes");
		jsonw_null(jw);
		jsonw_name(jw, "allocs");
		jsonw_null(jw);
	} else {
		jsonw_uint_field(jw, "alloc_bytes", rep->alloc_bytes);
		jsonw_uint_field(jw, "allocs", rep->allocs);
	}
	jsonw_uint_field(jw, "rss_peak_bytes", rep->rss_peak);
	jsonw_uint_field(jw, "rss_steady_bytes", rep->rss_steady);
	jsonw_uint_field(jw, "threads", rep->threads);
	jsonw_double_field(jw, "occupancy", rep->occupancy >= 0 ? rep->occupancy : NAN);
	jsonw_uint_field(jw, "sent", rep->sent);
	jsonw_uint_field(jw, "received", rep->received);
	jsonw_uint_field(jw, "streams_served", rep->streams_served);
	json_rep_facts(jw, rep);
	jsonw_name(jw, "noise");
	json_rep_noise(jw, &rep->noise);
	jsonw_name(jw, "kinds");
	jsonw_start_array(jw);
	for (int k = 0; k < rep->nkinds; k++) {
		kind_name_of(s, rep->kind[k], kn, sizeof(kn));
		jsonw_start_object(jw);
		jsonw_string_field(jw, "op", kn);
		json_latency(jw, &rep->sum[k]);
		jsonw_name(jw, "bands");
		if (r->kernel && !rep->f.kernel_note)
			json_bands(jw, &rep->sum[k]);
		else
			jsonw_null(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

/* Whose implementation the scenario ran (pool and channel impl, bench fn), and from
 * which plugin build; null for workloads without one. */
static void json_impl(struct json_writer *jw, const struct scen_result *s)
{
	const struct plugins_file *f;
	const char *name;

	jsonw_name(jw, "impl");
	if (!plugins_scenario_impl(&s->sc.cfg, &name, &f)) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_string_field(jw, "name", name);
	jsonw_string_field(jw, "plugin", f ? f->path : NULL);
	jsonw_string_field(jw, "build_id", f && f->build_id[0] ? f->build_id : NULL);
	jsonw_string_field(jw, "hash", f ? f->hash : NULL);
	jsonw_end_object(jw);
}

static void json_scenario(struct json_writer *jw, const struct report *r, int idx)
{
	const struct scen_result *s = &r->scen[idx];
	const struct workload *wl = s->sc.wl;
	char buf[64];

	jsonw_start_object(jw);
	jsonw_string_field(jw, "id", s->sc.id);
	jsonw_string_field(jw, "group", s->sc.group);
	jsonw_string_field(jw, "workload", wl->name);
	jsonw_name(jw, "sweep");
	jsonw_start_object(jw);
	for (int j = 0; j < s->sc.nswept; j++) {
		int pi = s->sc.swept[j];

		jsonw_name(jw, wl->params[pi].name);
		json_param_value(jw, &wl->params[pi], &s->sc.cfg, pi);
	}
	jsonw_end_object(jw);
	if (s->nkinds) {
		char name[SCEN_ID_MAX + 200];

		bench_name(r, s, 0, name, sizeof(name));
		jsonw_string_field(jw, "bench", name);
	} else {
		jsonw_null_field(jw, "bench");
	}
	jsonw_name(jw, "params");
	jsonw_start_object(jw);
	for (int i = 0; wl->params[i].name; i++) {
		jsonw_name(jw, wl->params[i].name);
		json_param_value(jw, &wl->params[i], &s->sc.cfg, i);
	}
	jsonw_end_object(jw);
	jsonw_name(jw, "params_text");
	jsonw_start_object(jw);
	for (int i = 0; wl->params[i].name; i++) {
		param_format_value(&wl->params[i], s->sc.cfg.iv[i], s->sc.cfg.fv[i], buf,
				   sizeof(buf));
		jsonw_string_field(jw, wl->params[i].name, buf);
	}
	jsonw_end_object(jw);
	json_impl(jw, s);
	jsonw_int_field(jw, "reps", s->sc.set.reps);
	jsonw_int_field(jw, "warmup_ns", s->sc.set.warmup_ns);
	jsonw_int_field(jw, "duration_ns", s->sc.set.duration_ns);
	jsonw_int_field(jw, "max_ops", s->sc.set.max_ops);
	jsonw_int_field(jw, "timeout_ns", s->sc.set.timeout_ns);
	jsonw_string_field(jw, "status", scen_status_name(s->status));
	jsonw_string_field(jw, "error", s->error[0] ? s->error : NULL);
	jsonw_string_field(jw, "kernel_note", r->kernel ? s->kernel_note : NULL);
	json_leaks(jw, s);

	jsonw_name(jw, "metrics");
	jsonw_start_array(jw);
	for (int i = 0; i < s->nmetrics; i++)
		json_metric(jw, &s->metrics[i], s->nreps);
	jsonw_end_array(jw);

	jsonw_name(jw, "repetitions");
	jsonw_start_array(jw);
	for (int i = 0; i < s->nreps; i++)
		json_rep(jw, r, s, i);
	jsonw_end_array(jw);

	jsonw_name(jw, "kinds");
	jsonw_start_array(jw);
	for (int k = 0; k < s->nkinds; k++) {
		const struct op_summary *p = &s->sum[k];

		jsonw_start_object(jw);
		jsonw_string_field(jw, "op", s->kind_name[k]);
		json_latency(jw, p);
		if (r->kernel && !s->kernel_note) {
			jsonw_name(jw, "total");
			json_bd(jw, &p->total, 0);
			jsonw_name(jw, "bands");
			json_bands(jw, p);
			jsonw_name(jw, "exemplars");
			jsonw_start_object(jw);
			jsonw_name(jw, "p50");
			if (p->ex_p50.n)
				json_bd(jw, &p->ex_p50, 0);
			else
				jsonw_null(jw);
			jsonw_name(jw, "p99");
			if (p->ex_p99.n)
				json_bd(jw, &p->ex_p99, 0);
			else
				jsonw_null(jw);
			jsonw_end_object(jw);
		} else {
			jsonw_null_field(jw, "total");
			jsonw_null_field(jw, "bands");
			jsonw_null_field(jw, "exemplars");
		}
		if (r->why)
			report_why_json(jw, s, k);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	if (r->why)
		report_waitfor_json(jw, s);

	jsonw_name(jw, "scaling");
	if (s->has_scaling) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "param", s->scale_param);
		jsonw_int_field(jw, "n", s->scale_n);
		jsonw_string_field(jw, "base", r->scen[s->scale_base].sc.id);
		jsonw_double_field(jw, "efficiency", s->scale_eff);
		jsonw_end_object(jw);
	} else {
		jsonw_null(jw);
	}
	jsonw_end_object(jw);
}

static const char *target_status_str(enum target_status s)
{
	return s == TGT_PASS ? "pass" : s == TGT_FAIL ? "fail" : "n/a";
}

static const char *target_unit_str(enum target_unit u)
{
	static const char *const n[] = { "ns", "ops/s", "bytes", "ratio", "count" };

	return n[u];
}

/* opscope record of a marked program: docs/REPORT_SCHEMA.md, "marks". */
static void json_marks(struct json_writer *jw, const struct report_marks *m)
{
	jsonw_start_object(jw);
	jsonw_string_field(jw, "program", m->program);
	jsonw_int_field(jw, "pid", m->pid);
	jsonw_double_field(jw, "attach_ms", m->attach_ms);
	jsonw_uint_field(jw, "ops", m->ops);
	jsonw_uint_field(jw, "dropped", m->dropped);
	jsonw_uint_field(jw, "open", m->open);
	jsonw_uint_field(jw, "bad_records", m->bad_records);
	jsonw_name(jw, "misuse");
	jsonw_start_object(jw);
	for (int i = 0; i < m->nmisuse; i++)
		jsonw_uint_field(jw, m->misuse[i].name, m->misuse[i].n);
	jsonw_end_object(jw);
	jsonw_name(jw, "not_recorded");
	jsonw_start_object(jw);
	for (int i = 0; i < m->nloss; i++)
		jsonw_uint_field(jw, m->loss[i].name, m->loss[i].n);
	jsonw_end_object(jw);
	jsonw_end_object(jw);
}

/* targets[]: the enabled ones, with their verdicts. Returns how many. */
static int json_targets(struct json_writer *jw, const struct report *r)
{
	int ntargets = 0;

	jsonw_start_array(jw);
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		char cond[64], mid[128];

		if (!t->enabled)
			continue;
		ntargets++;
		target_condition(t, cond, sizeof(cond));
		/* "metric" keeps its version-1 form, the metric id it reads */
		snprintf(mid, sizeof(mid), "%s%s%s", t->op_glob, t->op_glob[0] ? "/" : "",
			 t->metric);
		jsonw_start_object(jw);
		jsonw_string_field(jw, "name", t->name);
		jsonw_string_field(jw, "spec", t->spec);
		jsonw_string_field(jw, "metric", mid);
		jsonw_string_field(jw, "subject", t->subject);
		jsonw_string_field(jw, "op", target_cmp_str(t->cmp));
		jsonw_double_field(jw, "threshold", t->threshold);
		if (t->cmp == TC_IN)
			jsonw_double_field(jw, "threshold_hi", t->threshold_hi);
		jsonw_string_field(jw, "condition", cond);
		jsonw_string_field(jw, "unit", target_unit_str(t->unit));
		jsonw_double_field(jw, "value", t->scenario >= 0 ? t->value : NAN);
		jsonw_string_field(jw, "scenario", t->scenario >= 0 ?
				   r->scen[t->scenario].sc.id : NULL);
		jsonw_string_field(jw, "op_kind", t->op_found[0] ? t->op_found : NULL);
		jsonw_string_field(jw, "status", target_status_str(t->status));
		jsonw_string_field(jw, "description", t->desc[0] ? t->desc : t->spec);
		jsonw_bool_field(jw, "default", t->builtin);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	return ntargets;
}

/* The run-wide settings and the run's noise (docs/REPORT_SCHEMA.md). */
static void json_settings(struct json_writer *jw, const struct report *r)
{
	jsonw_name(jw, "settings");
	jsonw_start_object(jw);
	jsonw_int_field(jw, "reps", r->settings.reps);
	jsonw_int_field(jw, "warmup_ns", r->settings.warmup_ns);
	jsonw_int_field(jw, "duration_ns", r->settings.duration_ns);
	jsonw_int_field(jw, "max_ops", r->settings.max_ops);
	jsonw_int_field(jw, "timeout_ns", r->settings.timeout_ns);
	jsonw_bool_field(jw, "kernel", r->kernel);
	jsonw_bool_field(jw, "quick", r->quick);
	jsonw_string_field(jw, "order", r->sequential ? "sequential" : "interleaved");
	jsonw_name(jw, "scenario_filter");
	if (r->scenario_filter[0]) {
		jsonw_start_array(jw);
		for (const char *p = r->scenario_filter; *p;) {
			const char *nl = strchr(p, '\n');
			char g[256];

			snprintf(g, sizeof(g), "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
			jsonw_string(jw, g);
			p = nl ? nl + 1 : p + strlen(p);
		}
		jsonw_end_array(jw);
	} else {
		jsonw_null(jw);
	}
	jsonw_end_object(jw);

	jsonw_name(jw, "noise");
	jsonw_start_object(jw);
	jsonw_int_field(jw, "repetitions", r->noise.n);
	jsonw_double_field(jw, "other_cpus", r->noise.other_cpus);
	jsonw_double_field(jw, "other_runnable", r->noise.other_runnable);
	jsonw_double_field(jw, "steal_pct", r->noise.steal_pct);
	jsonw_double_field(jw, "load1", r->noise.load1);
	jsonw_bool_field(jw, "noisy", r->noise.noisy);
	jsonw_string_field(jw, "why", r->noise.noisy ? r->noise.why : NULL);
	jsonw_end_object(jw);
}

/* Where and how the run ran: suite, settings, the machine. */
static void json_setup(struct json_writer *jw, const struct report *r)
{
	const struct envinfo *e = &r->env;

	jsonw_name(jw, "suite");
	jsonw_start_object(jw);
	jsonw_string_field(jw, "file", r->suite_file[0] ? r->suite_file : NULL);
	jsonw_string_field(jw, "name", r->suite_name);
	jsonw_end_object(jw);

	json_settings(jw, r);

	jsonw_name(jw, "environment");
	jsonw_start_object(jw);
	jsonw_string_field(jw, "hostname", e->hostname);
	jsonw_string_field(jw, "kernel_release", e->kernel_release);
	jsonw_string_field(jw, "kernel_version", e->kernel_version);
	jsonw_string_field(jw, "arch", e->arch);
	jsonw_string_field(jw, "cpu_model", e->cpu_model);
	jsonw_int_field(jw, "online_cpus", e->online_cpus);
	jsonw_string_field(jw, "governor", e->governor);
	jsonw_uint_field(jw, "mem_total_bytes", e->mem_total);
	jsonw_string_field(jw, "opscope_version", OPSCOPE_VERSION);
	jsonw_end_object(jw);
}

/* collector.stacks: the stack counts and their losses, or null without --stacks. */
static void json_stacks(struct json_writer *jw, const struct report_collector *c)
{
	jsonw_name(jw, "stacks");
	if (!c->stacks) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "samples", c->samples);
	jsonw_uint_field(jw, "stack_fail", c->stack_fail);
	jsonw_uint_field(jw, "stacks_full", c->stacks_full);
	jsonw_uint_field(jw, "keys_full", c->keys_full);
	jsonw_uint_field(jw, "missing_stacks", c->missing_stacks);
	jsonw_uint_field(jw, "user_stacks", c->user_stacks);
	jsonw_uint_field(jw, "user_stacks_cut", c->cut_stacks);
	jsonw_uint_field(jw, "user_frames_cut", c->cut_frames);
	jsonw_uint_field(jw, "user_stacks_rooted", c->rooted_stacks);
	jsonw_uint_field(jw, "user_stack_copies", c->ustack_copies);
	jsonw_uint_field(jw, "user_stack_bytes", c->ustack_bytes);
	jsonw_uint_field(jw, "user_copies_throttled", c->ustack_throttled);
	jsonw_uint_field(jw, "user_copies_lost", c->ustack_lost);
	jsonw_uint_field(jw, "offcpu_past_task_work_rate", c->tw_throttled);
	jsonw_uint_field(jw, "user_counts_lost", c->ucount_lost);
	jsonw_uint_field(jw, "user_records_dropped", c->urec_dropped);
	jsonw_uint_field(jw, "user_counts_without_copy", c->copies_missing);
	jsonw_double_field(jw, "unwind_ms", c->unwind_ms);
	jsonw_uint_field(jw, "files", c->stack_files);
	jsonw_end_object(jw);
}

/* collector: its slots, losses, stacks and programs' cost, or null without the kernel. */
static void json_collector(struct json_writer *jw, const struct report *r)
{
	const struct report_collector *c = &r->coll;

	jsonw_name(jw, "collector");
	if (!r->kernel || !r->have_collector) {
		jsonw_null(jw);
		return;
	}
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "slots_used", c->slots_used);
	jsonw_uint_field(jw, "slots_full", c->slots_full);
	jsonw_uint_field(jw, "tid_map_full", c->tid_map_full);
	jsonw_uint_field(jw, "late_threads", c->late_threads);
	jsonw_uint_field(jw, "missed_switches", c->missed_switches);
	jsonw_uint_field(jw, "prog_misses", c->prog_misses);
	jsonw_double_field(jw, "load_ms", c->load_ms);
	json_stacks(jw, c);
	jsonw_name(jw, "bpf_programs");
	if (c->bpf_stats) {
		jsonw_start_array(jw);
		for (int i = 0; i < c->nprogs; i++) {
			jsonw_start_object(jw);
			jsonw_string_field(jw, "name", c->progs[i].name);
			jsonw_uint_field(jw, "runs", c->progs[i].runs);
			jsonw_uint_field(jw, "run_ns", c->progs[i].run_ns);
			jsonw_end_object(jw);
		}
		jsonw_end_array(jw);
	} else {
		jsonw_null(jw);
	}
	jsonw_end_object(jw);
}

int report_write_json(const struct report *r, FILE *f)
{
	struct json_writer *jw = jsonw_new(f, true);
	int ntargets = 0;

	if (!jw)
		return -ENOMEM;
	jsonw_start_object(jw);
	jsonw_string_field(jw, "schema", REPORT_SCHEMA);
	jsonw_int_field(jw, "version", REPORT_VERSION);
	jsonw_string_field(jw, "opscope_version", OPSCOPE_VERSION);
	jsonw_string_field(jw, "created", r->created);
	jsonw_string_field(jw, "command", r->command);
	json_setup(jw, r);
	json_collector(jw, r);

	jsonw_name(jw, "marks");
	if (r->have_marks)
		json_marks(jw, &r->marks);
	else
		jsonw_null(jw);

	jsonw_name(jw, "scenarios");
	jsonw_start_array(jw);
	for (int i = 0; i < r->nscen; i++)
		json_scenario(jw, r, i);
	jsonw_end_array(jw);

	jsonw_name(jw, "targets");
	ntargets = json_targets(jw, r);

	jsonw_name(jw, "summary");
	jsonw_start_object(jw);
	jsonw_int_field(jw, "scenarios", r->nscen);
	jsonw_int_field(jw, "failed", r->scenarios_failed);
	jsonw_int_field(jw, "targets", ntargets);
	jsonw_int_field(jw, "targets_failed", r->targets_failed);
	jsonw_bool_field(jw, "interrupted", r->interrupted);
	jsonw_double_field(jw, "elapsed_s", r->elapsed_s);
	jsonw_end_object(jw);
	jsonw_end_object(jw);
	return jsonw_destroy(jw);
}
