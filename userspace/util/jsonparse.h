/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small DOM JSON parser (RFC 8259) for reading report.json and history lines back.
 * Strict: no comments, no trailing commas, no NaN/Infinity, strings must be valid
 * escapes (\uXXXX pairs become UTF-8; a lone surrogate is an error). Numbers are kept as
 * a double and, when the text is an integer that fits, also as an exact int64. Nesting
 * deeper than the depth limit is an error, so hostile input cannot exhaust the stack.
 * Errors carry a 1-based line:col of the offending byte.
 *
 *	struct json_err e;
 *	struct json_doc *d = json_parse(text, len, 0, &e);
 *	if (!d) fprintf(stderr, "%d:%d: %s\n", e.line, e.col, e.msg);
 *	const struct json_value *v = json_get(json_root(d), "schema_version");
 *	json_doc_free(d);
 *
 * Every value belongs to its document and lives until json_doc_free(). Accessors accept
 * NULL and the wrong type and then return a neutral value (NULL, 0, false), so a chain of
 * lookups needs one check at the end.
 */
#ifndef OPSCOPE_JSONPARSE_H
#define OPSCOPE_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

#define JSON_DEFAULT_DEPTH 64

struct json_doc;
struct json_value;

struct json_err {
	int line, col; /* 1-based position of the problem; 0:0 when not positional */
	char msg[160];
};

/* Parse len bytes (need not be NUL-terminated). max_depth 0 means JSON_DEFAULT_DEPTH.
 * Returns NULL with err filled (and errno EINVAL, or ENOMEM) on failure. */
struct json_doc *json_parse(const char *text, size_t len, int max_depth, struct json_err *err);
/* Read and parse a file. On failure err->msg says what went wrong (open/read failures
 * carry line 0). */
struct json_doc *json_parse_file(const char *path, int max_depth, struct json_err *err);
void json_doc_free(struct json_doc *d);
const struct json_value *json_root(const struct json_doc *d);

enum json_type json_type(const struct json_value *v);
const char *json_type_name(enum json_type t);
bool json_is(const struct json_value *v, enum json_type t);

/* Objects: member by key (first match), or NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/* Dotted path of object keys: json_path(v, "env.kernel"). */
const struct json_value *json_path(const struct json_value *v, const char *path);
/* Arrays and objects: number of elements/members; i-th element or member value. */
size_t json_len(const struct json_value *v);
const struct json_value *json_at(const struct json_value *v, size_t i);
/* Objects: key of the i-th member (in document order), or NULL. */
const char *json_key_at(const struct json_value *obj, size_t i);

bool json_bool(const struct json_value *v);
double json_num(const struct json_value *v);       /* 0 unless a number */
bool json_is_int(const struct json_value *v);      /* an integer that fits in int64 */
int64_t json_int(const struct json_value *v);      /* exact when json_is_int, else truncated */
const char *json_str(const struct json_value *v);  /* NUL-terminated, or NULL */
size_t json_str_len(const struct json_value *v);   /* bytes; strings may hold \u0000 */

/* Convenience lookups with a default for a missing or mistyped member. */
double json_get_num(const struct json_value *obj, const char *key, double def);
const char *json_get_str(const struct json_value *obj, const char *key, const char *def);
/* Arrays of objects: the first element whose string member key equals val, or NULL. */
const struct json_value *json_find_by(const struct json_value *arr, const char *key,
				      const char *val);

#endif
