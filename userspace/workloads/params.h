/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Parameter values as users write them: integers, sizes (64, 4k, 1M, 2G; binary units),
 * durations (500ns, 20us, 1.5ms, 2s), floats (0.01 or 1%) and enum names, checked
 * against a workload's struct wl_param_def. Pure functions: no I/O, unit-tested.
 */
#ifndef OPSCOPE_PARAMS_H
#define OPSCOPE_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include "workloads/workload.h"

/* Each returns 0, -EINVAL for text that is not such a value, -ERANGE for overflow. */
int param_parse_int(const char *s, int64_t *out);
int param_parse_size(const char *s, int64_t *out);     /* bytes; may be negative */
int param_parse_duration(const char *s, int64_t *out); /* ns; may be negative */
int param_parse_float(const char *s, double *out);

/* Canonical text: 4k, 1M, 20us, 1.5ms ... (parses back to the same value). */
void param_format_size(int64_t bytes, char *buf, size_t len);
void param_format_duration(int64_t ns, char *buf, size_t len);

/*
 * Parse text as the value of parameter d and check it against d's range. On error returns
 * -EINVAL or -ERANGE and writes one sentence into err naming the parameter, what is
 * wrong and the allowed values.
 */
int param_parse_value(const struct wl_param_def *d, const char *text, int64_t *iv, double *fv,
		      char *err, size_t errlen);
/* Text of a parsed value, as param_parse_value accepts it. */
void param_format_value(const struct wl_param_def *d, int64_t iv, double fv, char *buf,
			size_t len);
/* The allowed range of d in words: "1 to 256", "64 to 1M", "one of spsc, mpsc". */
void param_describe_range(const struct wl_param_def *d, char *buf, size_t len);

/* Fill cfg with wl's defaults. Fails (-EINVAL, err set) only for a bad default. */
int params_init(struct wl_config *cfg, const struct workload *wl, char *err, size_t errlen);
/* Set parameter name to text. Unknown names get a sentence listing the known ones. */
int params_set(struct wl_config *cfg, const char *name, const char *text, char *err,
	       size_t errlen);
/* "name=value": split and params_set. */
int params_set_kv(struct wl_config *cfg, const char *kv, char *err, size_t errlen);

/* Integer value of a parameter by name (INT/SIZE/DURATION/ENUM index); false if absent. */
bool params_get(const struct wl_config *cfg, const char *name, int64_t *out);
/* Enum value name of a parameter, or NULL when absent or not an enum. */
const char *params_get_enum(const struct wl_config *cfg, const char *name);

#endif
