// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Streaming JSON writer; see json.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "util/json.h"

#define JSONW_MAX_DEPTH 64

struct json_writer {
	FILE *f;
	bool pretty;
	int depth;
	bool bad;          /* unbalanced use: reported by jsonw_destroy */
	bool named;        /* a name was written and awaits its value */
	bool top;          /* the one top-level value was started */
	bool first[JSONW_MAX_DEPTH]; /* no element written yet at this depth */
	char kind[JSONW_MAX_DEPTH];  /* '{' or '[' */
};

struct json_writer *jsonw_new(FILE *f, bool pretty)
{
	struct json_writer *jw = calloc(1, sizeof(*jw));

	if (!jw)
		return NULL;
	jw->f = f;
	jw->pretty = pretty;
	return jw;
}

int jsonw_destroy(struct json_writer *jw)
{
	int err = 0;

	if (!jw)
		return 0;
	if (jw->bad || jw->depth != 0 || jw->named)
		err = -EINVAL;
	if (jw->pretty && !err)
		fputc('\n', jw->f);
	if (ferror(jw->f))
		err = -EIO;
	free(jw);
	return err;
}

static void jsonw_indent(struct json_writer *jw)
{
	if (!jw->pretty)
		return;
	fputc('\n', jw->f);
	for (int i = 0; i < jw->depth; i++)
		fputs("  ", jw->f);
}

/* Separator and indentation before a value or a name. */
static void jsonw_before(struct json_writer *jw, bool is_name)
{
	if (jw->named) {
		/* the value of a name: nothing to separate */
		if (is_name)
			jw->bad = true;
		jw->named = false;
		return;
	}
	if (jw->depth == 0) {
		/* a document holds one value: a second one would not parse */
		if (jw->top)
			jw->bad = true;
		jw->top = true;
		return;
	}
	if (jw->kind[jw->depth - 1] == '{' && !is_name)
		jw->bad = true; /* a value without a name inside an object */
	if (!jw->first[jw->depth - 1])
		fputc(',', jw->f);
	jw->first[jw->depth - 1] = false;
	jsonw_indent(jw);
}

static void jsonw_open(struct json_writer *jw, char kind)
{
	jsonw_before(jw, false);
	fputc(kind, jw->f);
	if (jw->depth >= JSONW_MAX_DEPTH) {
		jw->bad = true;
		return;
	}
	jw->kind[jw->depth] = kind;
	jw->first[jw->depth] = true;
	jw->depth++;
}

static void jsonw_close(struct json_writer *jw, char kind)
{
	if (jw->depth == 0 || jw->kind[jw->depth - 1] != kind || jw->named) {
		jw->bad = true;
		return;
	}
	jw->depth--;
	if (!jw->first[jw->depth])
		jsonw_indent(jw);
	fputc(kind == '{' ? '}' : ']', jw->f);
}

void jsonw_start_object(struct json_writer *jw)
{
	jsonw_open(jw, '{');
}

void jsonw_end_object(struct json_writer *jw)
{
	jsonw_close(jw, '{');
}

void jsonw_start_array(struct json_writer *jw)
{
	jsonw_open(jw, '[');
}

void jsonw_end_array(struct json_writer *jw)
{
	jsonw_close(jw, '[');
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_write_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		int n;

		switch (c) {
		case '"':  fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		case '\b': fputs("\\b", f); s++; continue;
		case '\f': fputs("\\f", f); s++; continue;
		default:
			break;
		}
		if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

void jsonw_name(struct json_writer *jw, const char *name)
{
	if (jw->depth == 0 || jw->kind[jw->depth - 1] != '{') {
		jw->bad = true;
		return;
	}
	jsonw_before(jw, true);
	json_write_escaped(jw->f, name);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->named = true;
}

void jsonw_string(struct json_writer *jw, const char *s)
{
	jsonw_before(jw, false);
	if (s)
		json_write_escaped(jw->f, s);
	else
		fputs("null", jw->f);
}

void jsonw_int(struct json_writer *jw, int64_t v)
{
	jsonw_before(jw, false);
	fprintf(jw->f, "%" PRId64, v);
}

void jsonw_uint(struct json_writer *jw, uint64_t v)
{
	jsonw_before(jw, false);
	fprintf(jw->f, "%" PRIu64, v);
}

void jsonw_double(struct json_writer *jw, double v)
{
	jsonw_before(jw, false);
	if (!isfinite(v)) {
		fputs("null", jw->f);
		return;
	}
	/* integers print without a fraction; others with 10 significant digits */
	/* the range test first: casting a double beyond int64 to int64 is undefined */
	if (fabs(v) < 9.0e15 && v == (double)(int64_t)v)
		fprintf(jw->f, "%" PRId64, (int64_t)v);
	else
		fprintf(jw->f, "%.10g", v);
}

void jsonw_bool(struct json_writer *jw, bool v)
{
	jsonw_before(jw, false);
	fputs(v ? "true" : "false", jw->f);
}

void jsonw_null(struct json_writer *jw)
{
	jsonw_before(jw, false);
	fputs("null", jw->f);
}

void jsonw_string_field(struct json_writer *jw, const char *name, const char *s)
{
	jsonw_name(jw, name);
	jsonw_string(jw, s);
}

void jsonw_int_field(struct json_writer *jw, const char *name, int64_t v)
{
	jsonw_name(jw, name);
	jsonw_int(jw, v);
}

void jsonw_uint_field(struct json_writer *jw, const char *name, uint64_t v)
{
	jsonw_name(jw, name);
	jsonw_uint(jw, v);
}

void jsonw_double_field(struct json_writer *jw, const char *name, double v)
{
	jsonw_name(jw, name);
	jsonw_double(jw, v);
}

void jsonw_bool_field(struct json_writer *jw, const char *name, bool v)
{
	jsonw_name(jw, name);
	jsonw_bool(jw, v);
}

void jsonw_null_field(struct json_writer *jw, const char *name)
{
	jsonw_name(jw, name);
	jsonw_null(jw);
}
