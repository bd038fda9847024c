// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON parser: values, escapes, numbers, and errors with their line:col. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/jsonparse.h"

static struct json_doc *parse(const char *s, struct json_err *e)
{
	return json_parse(s, strlen(s), 0, e);
}

START_TEST(values)
{
	struct json_err e;
	struct json_doc *d = parse(" {\"a\": [1, -2.5, true, false, null, \"x\"],\n"
				   "  \"b\": {\"c\": {\"d\": 42}}, \"e\": {}, \"f\": []} ", &e);
	const struct json_value *r, *a;

	ck_assert_msg(d, "parse failed: %d:%d %s", e.line, e.col, e.msg);
	r = json_root(d);
	ck_assert_int_eq(json_type(r), JSON_OBJECT);
	ck_assert_uint_eq(json_len(r), 4);
	ck_assert_str_eq(json_key_at(r, 1), "b");
	a = json_get(r, "a");
	ck_assert_uint_eq(json_len(a), 6);
	ck_assert(json_is_int(json_at(a, 0)));
	ck_assert_int_eq(json_int(json_at(a, 0)), 1);
	ck_assert(!json_is_int(json_at(a, 1)));
	ck_assert_double_eq(json_num(json_at(a, 1)), -2.5);
	ck_assert(json_bool(json_at(a, 2)));
	ck_assert(json_is(json_at(a, 3), JSON_BOOL) && !json_bool(json_at(a, 3)));
	ck_assert(json_is(json_at(a, 4), JSON_NULL));
	ck_assert_str_eq(json_str(json_at(a, 5)), "x");
	ck_assert_ptr_null(json_at(a, 6));
	ck_assert_int_eq(json_int(json_path(r, "b.c.d")), 42);
	ck_assert_ptr_null(json_path(r, "b.x.d"));
	ck_assert_uint_eq(json_len(json_get(r, "e")), 0);
	ck_assert_int_eq(json_type(json_get(r, "f")), JSON_ARRAY);
	/* wrong types give neutral values, never crash */
	ck_assert_ptr_null(json_str(json_get(r, "a")));
	ck_assert_double_eq(json_get_num(r, "a", 7), 7);
	ck_assert_str_eq(json_get_str(r, "zz", "def"), "def");
	ck_assert_ptr_null(json_get(NULL, "a"));
	json_doc_free(d);
}
END_TEST

START_TEST(strings_and_escapes)
{
	struct json_err e;
	struct json_doc *d = parse("[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20ac\", "
				   "\"\\ud83d\\ude00\", \"nul\\u0000in\", \"caf\xc3\xa9\"]", &e);
	const struct json_value *r;

	ck_assert_msg(d, "parse failed: %d:%d %s", e.line, e.col, e.msg);
	r = json_root(d);
	ck_assert_str_eq(json_str(json_at(r, 0)), "a\"b\\c/d\n\t");
	ck_assert_str_eq(json_str(json_at(r, 1)), "\xc3\xa9\xe2\x82\xac");
	ck_assert_str_eq(json_str(json_at(r, 2)), "\xf0\x9f\x98\x80");
	ck_assert_uint_eq(json_str_len(json_at(r, 3)), 6);
	ck_assert_int_eq(memcmp(json_str(json_at(r, 3)), "nul\0in", 6), 0);
	ck_assert_str_eq(json_str(json_at(r, 4)), "caf\xc3\xa9");
	json_doc_free(d);
}
END_TEST

START_TEST(numbers)
{
	struct json_err e;
	struct json_doc *d = parse("[0, -0, 9223372036854775807, -9223372036854775808, "
				   "9223372036854775808, 1e3, 1.5E-2, 123456789012, 0.1]", &e);
	const struct json_value *r;

	ck_assert_msg(d, "parse failed: %d:%d %s", e.line, e.col, e.msg);
	r = json_root(d);
	ck_assert(json_is_int(json_at(r, 0)));
	ck_assert_int_eq(json_int(json_at(r, 2)), INT64_MAX);
	ck_assert_int_eq(json_int(json_at(r, 3)), INT64_MIN);
	ck_assert(!json_is_int(json_at(r, 4))); /* too large: double only */
	ck_assert_double_eq(json_num(json_at(r, 4)), 9223372036854775808.0);
	ck_assert(!json_is_int(json_at(r, 5)));
	ck_assert_double_eq(json_num(json_at(r, 5)), 1000);
	ck_assert_double_eq_tol(json_num(json_at(r, 6)), 0.015, 1e-15);
	ck_assert_int_eq(json_int(json_at(r, 7)), 123456789012LL);
	json_doc_free(d);
}
END_TEST

struct bad {
	const char *text;
	int line, col;
	const char *needle; /* substring of the message */
};

static const struct bad bad_inputs[] = {
	{ "", 1, 1, "end of input" },
	{ "   \n  ", 2, 3, "end of input" },
	{ "{\"a\": 1,}", 1, 9, "trailing comma" },
	{ "[1, 2", 1, 6, "truncated" },
	{ "{\"a\": [1, 2]\n, \"b\": tru}", 2, 8, "expected 'true'" },
	{ "{\"a\" 1}", 1, 6, "expected ':'" },
	{ "{a: 1}", 1, 2, "member name" },
	{ "[01]", 1, 2, "leading zeros" },
	{ "[1.]", 1, 4, "decimal point" },
	{ "[1e]", 1, 4, "exponent" },
	{ "[-]", 1, 3, "digit" },
	{ "[NaN]", 1, 2, "unexpected 'N'" },
	{ "\"abc", 1, 5, "unterminated string" },
	{ "\"a\tb\"", 1, 3, "control character" },
	{ "\"\\x\"", 1, 2, "invalid escape" },
	{ "\"\\u12\"", 1, 2, "four hex digits" },
	{ "\"\\ud800\"", 1, 2, "surrogate" },
	{ "\"\\udc00\"", 1, 2, "lone low surrogate" },
	{ "\"\xff\"", 1, 2, "UTF-8" },
	{ "\"\xc0\xaf\"", 1, 2, "UTF-8" },
	{ "{} {}", 1, 4, "after the end" },
	{ "[1e999]", 1, 2, "out of the range" },
	/* columns count characters: x is the 13th character but the 15th byte */
	{ "{\"k\": \"\xc3\xa9\xc3\xa9\", x}", 1, 13, "member name" },
	{ "[1 2]", 1, 4, "expected ','" },
};

START_TEST(errors_with_positions)
{
	const struct bad *b = &bad_inputs[_i];
	struct json_err e;
	struct json_doc *d;

	errno = ENOMEM; /* left over from an earlier call: must not be taken for our own */
	d = parse(b->text, &e);
	ck_assert_msg(!d, "'%s' parsed but is invalid", b->text);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(e.line == b->line && e.col == b->col, "'%s': error at %d:%d, want %d:%d (%s)",
		      b->text, e.line, e.col, b->line, b->col, e.msg);
	ck_assert_msg(strstr(e.msg, b->needle), "'%s': message '%s' lacks '%s'", b->text, e.msg,
		      b->needle);
}
END_TEST

START_TEST(depth_limit)
{
	char buf[300];
	struct json_err e;
	struct json_doc *d;

	memset(buf, '[', 200);
	buf[200] = '\0';
	d = json_parse(buf, 200, 0, &e);
	ck_assert_ptr_null(d);
	ck_assert(strstr(e.msg, "nesting deeper than 64"));
	ck_assert_int_eq(e.col, 65); /* the 65th bracket */
	/* exactly at the limit is fine */
	memset(buf, '[', 5);
	memset(buf + 5, ']', 5);
	d = json_parse(buf, 10, 5, &e);
	ck_assert_ptr_nonnull(d);
	json_doc_free(d);
	d = json_parse(buf, 10, 4, &e);
	ck_assert_ptr_null(d);
}
END_TEST

START_TEST(not_nul_terminated_and_big)
{
	struct json_err e;
	/* the length bounds the input: the trailing garbage is never read */
	struct json_doc *d = json_parse("[1,2]garbage", 5, 0, &e);
	size_t n = 200000, len = 0;
	char *big = malloc(n * 8 + 16);

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_len(json_root(d)), 2);
	json_doc_free(d);
	/* an array large enough to span several arena chunks */
	big[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "%s%zu", i ? "," : "", i);
	big[len++] = ']';
	d = json_parse(big, len, 0, &e);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_len(json_root(d)), n);
	ck_assert_int_eq(json_int(json_at(json_root(d), n - 1)), (int64_t)n - 1);
	json_doc_free(d);
	free(big);
}
END_TEST

START_TEST(files)
{
	char path[] = "/tmp/test_jsonparse_XXXXXX";
	int fd = mkstemp(path);
	struct json_err e;
	struct json_doc *d;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\n  \"x\": [1,\n", 13), 13);
	close(fd);
	d = json_parse_file(path, 0, &e);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(e.line, 3);
	ck_assert(strstr(e.msg, "truncated"));
	unlink(path);
	d = json_parse_file(path, 0, &e);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(e.line, 0);
	ck_assert(strstr(e.msg, "cannot open"));
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("jsonparse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, values);
	tcase_add_test(tc, strings_and_escapes);
	tcase_add_test(tc, numbers);
	tcase_add_loop_test(tc, errors_with_positions, 0,
			    (int)(sizeof(bad_inputs) / sizeof(bad_inputs[0])));
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, not_nul_terminated_and_big);
	tcase_add_test(tc, files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
