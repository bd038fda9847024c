/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small streaming JSON writer: values go straight to a FILE as they are written, with
 * commas, indentation and string escaping handled here. Strings are escaped per RFC 8259;
 * bytes that are not valid UTF-8 become U+FFFD so the output always parses. Non-finite
 * doubles are written as null.
 *
 *	struct json_writer *jw = jsonw_new(f, true);
 *	jsonw_start_object(jw);
 *	jsonw_string_field(jw, "schema", "opscope-report");
 *	jsonw_name(jw, "reps");
 *	jsonw_start_array(jw);
 *	jsonw_uint(jw, 3);
 *	jsonw_end_array(jw);
 *	jsonw_end_object(jw);
 *	err = jsonw_destroy(jw);   // -EIO if any write failed, -EINVAL if unbalanced
 */
#ifndef OPSCOPE_JSON_H
#define OPSCOPE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer;

struct json_writer *jsonw_new(FILE *f, bool pretty);
/* Frees the writer; returns 0, -EIO when a write failed, -EINVAL when objects or arrays
 * were left open, a name had no value or a second top-level value followed the first.
 * Does not close the FILE. */
int jsonw_destroy(struct json_writer *jw);

void jsonw_start_object(struct json_writer *jw);
void jsonw_end_object(struct json_writer *jw);
void jsonw_start_array(struct json_writer *jw);
void jsonw_end_array(struct json_writer *jw);
/* The key of the next value; only inside an object. */
void jsonw_name(struct json_writer *jw, const char *name);

void jsonw_string(struct json_writer *jw, const char *s); /* NULL writes null */
void jsonw_int(struct json_writer *jw, int64_t v);
void jsonw_uint(struct json_writer *jw, uint64_t v);
void jsonw_double(struct json_writer *jw, double v);
void jsonw_bool(struct json_writer *jw, bool v);
void jsonw_null(struct json_writer *jw);

void jsonw_string_field(struct json_writer *jw, const char *name, const char *s);
void jsonw_int_field(struct json_writer *jw, const char *name, int64_t v);
void jsonw_uint_field(struct json_writer *jw, const char *name, uint64_t v);
void jsonw_double_field(struct json_writer *jw, const char *name, double v);
void jsonw_bool_field(struct json_writer *jw, const char *name, bool v);
void jsonw_null_field(struct json_writer *jw, const char *name);

/* Write s as a quoted, escaped JSON string to f (also used by other writers). */
void json_write_escaped(FILE *f, const char *s);

#endif
