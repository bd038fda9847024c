// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bench.txt: one Go benchmark line per scenario, op kind and repetition, for benchstat. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "report/report.h"


/*
 * The values of one line. benchstat compares a benchmark's lines unit by unit and
 * tidies each unit ("blocked-ns/op" to "blocked-sec/op"): every line of a benchmark
 * carries the same units in the same order, and every value of a unit is written the
 * same way (an -ns/op value always with one decimal, 0 as "0.0" like any other), so
 * its repetitions stay one row of one table.
 */
static void bench_values(FILE *f, const struct report *r, const struct rep_result *rep,
			 const struct op_summary *p, double n)
{
	const struct {
		const char *unit;
		double v;
		int prec;
	} col[] = {
		{ "ns/op", rep->elapsed_s * 1e9 / n, 1 },
		{ "B/op", (double)rep->alloc_bytes / n, 1 },
		{ "allocs/op", (double)rep->allocs / n, 3 },
		{ "mean-ns/op", p->mean, 1 },
		{ "p50-ns/op", (double)p->p50, 1 },
		{ "p95-ns/op", (double)p->p95, 1 },
		{ "p99-ns/op", (double)p->p99, 1 },
		{ "p999-ns/op", (double)p->p999, 1 },
		/* with the collector only: the same for every line of a report */
		{ "faults/op", (double)p->total.faults / n, 4 },
		{ "runq-ns/op", (double)p->total.runq_ns / n, 1 },
		{ "blocked-ns/op", (double)p->total.blocked_ns / n, 1 },
		{ "on-ns/op", (double)p->total.on_ns / n, 1 },
	};
	/* a scenario whose breakdown was not followed has no kernel columns, not zeros */
	size_t ncol = r->kernel && !rep->f.kernel_note ? sizeof(col) / sizeof(col[0]) : 8;

	for (size_t i = 0; i < ncol; i++) {
		/* record: the program's allocator is not ours to count (true of every line) */
		if (rep->no_alloc && (i == 1 || i == 2))
			continue;
		fprintf(f, "\t%.*f %s", col[i].prec, col[i].v, col[i].unit);
	}
}

int report_write_bench(const struct report *r, FILE *f)
{
	const struct envinfo *e = &r->env;

	fprintf(f, "goos: linux\n");
	fprintf(f, "goarch: %s\n", strcmp(e->arch, "x86_64") == 0 ? "amd64" :
		strcmp(e->arch, "aarch64") == 0 ? "arm64" : e->arch);
	fprintf(f, "pkg: opscope/%s\n", r->suite_name);
	fprintf(f, "cpu: %s\n", e->cpu_model);
	fprintf(f, "opscope: %s\n", OPSCOPE_VERSION);
	fprintf(f, "kernel: %s\n", e->kernel_release);
	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];

		for (int k = 0; k < s->nkinds; k++) {
			char name[SCEN_ID_MAX + 200];

			bench_name(r, s, k, name, sizeof(name));
			for (int j = 0; j < s->nreps; j++) {
				const struct rep_result *rep = &s->reps[j];
				const struct op_summary *p = rep_kind(rep, s->kind[k]);
				double n;

				if (rep->status || !p || !p->count || !(rep->elapsed_s > 0))
					continue;
				n = (double)p->count;
				fprintf(f, "%s\t%" PRIu64, name, p->count);
				bench_values(f, r, rep, p, n);
				fputc('\n', f);
			}
		}
	}
	return ferror(f) ? -EIO : 0;
}