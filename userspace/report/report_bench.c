// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bench.txt: one Go benchmark line per scenario, op kind and repetition, for benchstat. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "report/report.h"


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
				fprintf(f, "%s\t%" PRIu64 "\t%.1f ns/op\t%.1f B/op\t%.3f allocs/op",
					name, p->count, rep->elapsed_s * 1e9 / n,
					(double)rep->alloc_bytes / n, (double)rep->allocs / n);
				fprintf(f, "\t%.0f mean-ns/op\t%" PRIu64 " p50-ns/op\t%" PRIu64
					" p95-ns/op\t%" PRIu64 " p99-ns/op\t%" PRIu64 " p999-ns/op",
					p->mean, p->p50, p->p95, p->p99, p->p999);
				if (r->kernel)
					fprintf(f, "\t%.4f faults/op\t%.0f runq-ns/op\t%.0f "
						"blocked-ns/op\t%.0f on-ns/op",
						(double)p->total.faults / n,
						(double)p->total.runq_ns / n,
						(double)p->total.blocked_ns / n,
						(double)p->total.on_ns / n);
				fputc('\n', f);
			}
		}
	}
	return ferror(f) ? -EIO : 0;
}