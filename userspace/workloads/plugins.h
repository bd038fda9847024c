/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Users' implementations inside the driver (docs/PLUGINS.md): shared objects built
 * against the public <opscope/plugin.h>, named with `run --plugin FILE` or a suite's
 * `plugin FILE` line, loaded here (dlopen, ABI check, every registration checked before
 * any is taken). Their pools, channels and benchmark functions become values of the
 * workloads' enum parameters: pool and channel `impl` (index 0 is "builtin", opscope's
 * own) and bench `fn`. The name arrays below are those parameters' enum_vals, so a name
 * is checked, listed in errors and in --help like any other value. Prefix: plugins_.
 */
#ifndef OPSCOPE_PLUGINS_H
#define OPSCOPE_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define OPSCOPE_PLUGIN_HOST
#include "lib/include/opscope/plugin.h"
#include "workloads/workload.h"

#define PLUGINS_MAX_FILES 16
#define PLUGINS_MAX_IMPLS 32 /* per type */
#define PLUGINS_NAME_MAX 32  /* names: 1 to 31 characters */

enum plugins_type { PLUGINS_POOL, PLUGINS_CHANNEL, PLUGINS_BENCH, PLUGINS_NTYPES };

/* A loaded shared object: what report.json says about it. */
struct plugins_file {
	char path[4096];   /* absolute (realpath) */
	char build_id[80]; /* lowercase hex of its GNU build id, "" when it has none */
	char hash[40];     /* "fnv1a64:<16 hex digits>" of the file's bytes at load */
};

/* The enum values: "builtin" then the plugins' pools / channels; the plugins' benchmark
 * functions (none until a plugin registers one). NULL-terminated. */
extern const char *plugins_pool_names[PLUGINS_MAX_IMPLS + 2];
extern const char *plugins_chan_names[PLUGINS_MAX_IMPLS + 2];
extern const char *plugins_bench_names[PLUGINS_MAX_IMPLS + 1];
/* For the parameters' error messages: how to make a name available. */
extern const char plugins_enum_hint_text[];
/* That text when vals is one of the name arrays above, else NULL. */
const char *plugins_enum_hint(const char *const *vals);

/*
 * Load the plugin at path (a file name alone means ./name). 0 (also when that file is
 * loaded already), or -errno with one sentence in err naming the file, the problem and
 * the fix: missing or unreadable file, not a shared object, not a plugin, another ABI,
 * no or bad registrations, a name taken by another plugin.
 */
int plugins_load(const char *path, char *err, size_t errlen);

/* The implementation at enum index idx of the parameter (NULL for builtin or out of
 * range). */
const struct opscope_pool_impl *plugins_pool(int64_t idx);
const struct opscope_chan_impl *plugins_chan(int64_t idx);
const struct opscope_bench *plugins_bench(int64_t idx);

/* The help line of value idx of a parameter whose enum_vals are one of the name arrays
 * (for --help), or NULL. */
const char *plugins_help(const char *const *vals, int64_t idx);

/* One line about loaded plugin i (its file, build and what it registers) for the text
 * report: 0, or -ENOENT when fewer are loaded. */
int plugins_describe(int i, char *buf, size_t len);

/*
 * Which implementation a scenario runs: for a workload with a pool or channel impl or a
 * bench fn parameter, true with *name its value and *file the plugin that registered it
 * (NULL for builtin); false for workloads without one (stream, pipeline).
 */
bool plugins_scenario_impl(const struct wl_config *cfg, const char **name,
			   const struct plugins_file **file);

#endif
