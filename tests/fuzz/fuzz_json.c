// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The JSON reader (util/jsonparse.c) and writer (util/json.c): whatever parses is walked
 * with every accessor, written back with the writer and parsed again, and the two trees
 * must agree (numbers to the writer's 10 significant digits). Documents holding a string
 * with a NUL byte are not written back: the writer takes C strings.
 */
#include <math.h>
#include "fuzz.h"
#include "util/json.h"
#include "util/jsonparse.h"

static bool has_nul(const struct json_value *v)
{
	if (json_is(v, JSON_STRING))
		return strlen(json_str(v)) != json_str_len(v);
	for (size_t i = 0; i < json_len(v); i++)
		if (has_nul(json_at(v, i)))
			return true;
	return false;
}

static void write_value(struct json_writer *jw, const struct json_value *v)
{
	switch (json_type(v)) {
	case JSON_NULL: jsonw_null(jw); break;
	case JSON_BOOL: jsonw_bool(jw, json_bool(v)); break;
	case JSON_NUMBER:
		if (json_is_int(v))
			jsonw_int(jw, json_int(v));
		else
			jsonw_double(jw, json_num(v));
		break;
	case JSON_STRING: jsonw_string(jw, json_str(v)); break;
	case JSON_ARRAY:
		jsonw_start_array(jw);
		for (size_t i = 0; i < json_len(v); i++)
			write_value(jw, json_at(v, i));
		jsonw_end_array(jw);
		break;
	case JSON_OBJECT:
		jsonw_start_object(jw);
		for (size_t i = 0; i < json_len(v); i++) {
			jsonw_name(jw, json_key_at(v, i));
			write_value(jw, json_at(v, i));
		}
		jsonw_end_object(jw);
		break;
	}
}

static void same(const struct json_value *a, const struct json_value *b)
{
	FUZZ_CHECK(json_type(a) == json_type(b));
	switch (json_type(a)) {
	case JSON_BOOL: FUZZ_CHECK(json_bool(a) == json_bool(b)); break;
	case JSON_NUMBER:
		if (json_is_int(a) && fabs(json_num(a)) < 9.0e15)
			FUZZ_CHECK(json_int(a) == json_int(b));
		else if (isfinite(json_num(a)))
			FUZZ_CHECK(fabs(json_num(a) - json_num(b)) <=
				   1e-9 * fabs(json_num(a)) + 1e-300 || json_is_int(a));
		break;
	case JSON_STRING: FUZZ_CHECK(!strcmp(json_str(a), json_str(b))); break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		FUZZ_CHECK(json_len(a) == json_len(b));
		for (size_t i = 0; i < json_len(a); i++) {
			if (json_is(a, JSON_OBJECT))
				FUZZ_CHECK(!strcmp(json_key_at(a, i), json_key_at(b, i)));
			same(json_at(a, i), json_at(b, i));
		}
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *d = json_parse((const char *)data, size, 0, NULL), *d2;
	const struct json_value *r = json_root(d);
	struct json_writer *jw;
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	if (!d)
		return 0;
	json_path(r, "a.b.c");
	json_get_str(r, "schema", "");
	json_find_by(r, "id", "x");
	if (!has_nul(r) && (m = open_memstream(&out, &len))) {
		jw = jsonw_new(m, false);
		write_value(jw, r);
		FUZZ_CHECK(jsonw_destroy(jw) == 0);
		fclose(m);
		d2 = json_parse(out, len, 0, NULL);
		FUZZ_CHECK(d2 != NULL);
		same(r, json_root(d2));
		json_doc_free(d2);
		free(out);
	}
	json_doc_free(d);
	return 0;
}
