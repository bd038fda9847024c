/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * pprof output: profile.proto (github.com/google/pprof, proto/profile.proto) encoded by
 * hand in the protobuf wire format and gzipped with zlib, the file `go tool pprof`,
 * Pyroscope and Parca load. Free of libbpf.
 *
 * A profile has one or more sample types (e.g. "cpu"/"samples", "offcpu"/"nanoseconds",
 * "faults"/"count"); every sample carries one value per type, a stack (leaf first) and
 * labels (scenario, op kind, thread). Strings, functions, locations and mappings are
 * shared between samples.
 */
#ifndef OPSCOPE_PPROF_H
#define OPSCOPE_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct folded;

struct pprof_value_type {
	const char *type; /* "cpu" */
	const char *unit; /* "samples", "nanoseconds", "count" */
};

/*
 * Where a frame's code was mapped: one line of /proc/<pid>/maps (an executable one), or
 * the kernel. With has_functions the profile's names stand and pprof does not look at
 * the file; without, pprof symbolizes the frames of this mapping from the file itself
 * (and so knows their source lines: -list, -disasm).
 */
struct pprof_mapping {
	uint64_t start, limit, offset; /* memory range and its file offset */
	const char *file;              /* "/usr/bin/x", "[kernel.kallsyms]", "[vdso]" */
	const char *build_id;          /* hex, or NULL / "" */
	bool has_functions;
};

struct pprof_frame {
	const char *function; /* name, never NULL */
	const char *module;   /* binary it is in, or NULL when unknown (ignored with map) */
	uint64_t address;     /* 0 when unknown */
	const struct pprof_mapping *map; /* NULL: a mapping named by module alone */
};

struct pprof_label {
	const char *key;
	const char *str;      /* a string label, or NULL for a numeric one */
	int64_t num;
	const char *num_unit; /* numeric labels only; NULL none */
};

struct pprof;

/* NULL plus errno on failure; ntypes >= 1. The strings are copied. */
struct pprof *pprof_new(const struct pprof_value_type *types, int ntypes);
void pprof_free(struct pprof *p);

/* What one sample stands for, e.g. ("cpu", "nanoseconds", 10000000) at 100 Hz. */
int pprof_set_period(struct pprof *p, const char *type, const char *unit, int64_t period);
/* The sample type a viewer shows first (pprof otherwise shows the last one). */
int pprof_set_default_type(struct pprof *p, int type_index);
/* Wall-clock start of the profile and its length. */
void pprof_set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos);

/* Add a mapping before any sample refers to it: pprof takes the first mapping for the
 * main binary ("File:" in its reports), so the profiled program's goes first. */
int pprof_add_mapping(struct pprof *p, const struct pprof_mapping *m);

/* One sample: frames leaf first, values[ntypes]. 0 or -errno. */
int pprof_add_sample(struct pprof *p, const struct pprof_frame *frames, int nframes,
		     const int64_t *values, const struct pprof_label *labels, int nlabels);

/*
 * Every stack of a folded set as samples whose value of sample type `type_index` is the
 * stack's value (the other types 0). Tag frames ("key=value" at the root, as opscope
 * writes them) become string labels; the other frames become functions (a trailing
 * "_[k]" kept, so kernel frames stay recognizable). 0 or -errno.
 */
int pprof_add_folded(struct pprof *p, struct folded *f, int type_index);

size_t pprof_sample_count(const struct pprof *p);

/* The profile as raw (not gzipped) protobuf in a malloc'ed buffer. 0 or -errno. */
int pprof_encode(struct pprof *p, uint8_t **buf, size_t *len);
/* gzip (RFC 1952) of a buffer, in a malloc'ed buffer. 0 or -errno. */
int pprof_gzip(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen);
/* Encode, gzip and write atomically; err gets one sentence on failure. */
int pprof_write_file(struct pprof *p, const char *path, char *err, size_t errlen);

#endif /* OPSCOPE_PPROF_H */
