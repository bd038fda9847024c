// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Folded stacks: escaping, merging, sorted output, stacks from address arrays, atomic
 * writes and the parser's errors with file:line.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stacks/folded.h"
#include "stacks/symbols.h"

static char *write_string(struct folded *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert(m);
	ck_assert_int_eq(folded_write(f, m), 0);
	fclose(m);
	return buf;
}

START_TEST(test_escape)
{
	char out[64];

	folded_escape_frame("a;b c\nd\re\tf", out, sizeof(out));
	ck_assert_str_eq(out, "a:b c d e f");
	folded_escape_frame("", out, sizeof(out));
	ck_assert_str_eq(out, "[unknown]");
	folded_escape_frame(NULL, out, sizeof(out));
	ck_assert_str_eq(out, "[unknown]");
	folded_escape_frame("abcdef", out, 4);
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(test_merge_and_sort)
{
	struct folded *f = folded_new();
	const char *s1[] = { "main", "work", "leaf" };
	const char *s2[] = { "main", "idle" };
	const char *weird[] = { "main", "operator;()", "multi\nline name" };
	char *out;

	ck_assert_int_eq(folded_add(f, s1, 3, 5), 0);
	ck_assert_int_eq(folded_add(f, s2, 2, 7), 0);
	ck_assert_int_eq(folded_add(f, s1, 3, 10), 0);
	ck_assert_int_eq(folded_add(f, weird, 3, 1), 0);
	ck_assert_int_eq(folded_add_stack(f, "main;idle", 3), 0);
	ck_assert_uint_eq(folded_count(f), 3);
	ck_assert_uint_eq(folded_total(f), 26);
	ck_assert_uint_eq(folded_lookup(f, "main;work;leaf"), 15);
	ck_assert_uint_eq(folded_lookup(f, "main;idle"), 10);
	ck_assert_uint_eq(folded_lookup(f, "main;nothing"), 0);
	out = write_string(f);
	/* sorted by stack text; ';' inside a frame became ':', the newline a space */
	ck_assert_str_eq(out, "main;idle 10\n"
			      "main;operator:();multi line name 1\n"
			      "main;work;leaf 15\n");
	free(out);
	folded_free(f);
}
END_TEST

START_TEST(test_many_stacks_grow)
{
	struct folded *f = folded_new();
	char stack[64];
	const char *s;
	uint64_t v;
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(stack, sizeof(stack), "root;fn%05d", i % 2500);
		ck_assert_int_eq(folded_add_stack(f, stack, (uint64_t)i), 0);
	}
	ck_assert_uint_eq(folded_count(f), 2500);
	folded_get(f, 0, &s, &v);
	ck_assert_str_eq(s, "root;fn00000");
	ck_assert_uint_eq(v, 0 + 2500);
	folded_get(f, 2499, &s, &v);
	ck_assert_str_eq(s, "root;fn02499");
	ck_assert_uint_eq(v, 2499 + 4999);
	folded_free(f);
}
END_TEST

START_TEST(test_overflow)
{
	struct folded *f = folded_new();

	ck_assert_int_eq(folded_add_stack(f, "a", UINT64_MAX - 1), 0);
	ck_assert_int_eq(folded_add_stack(f, "a", 2), -EOVERFLOW);
	folded_free(f);
}
END_TEST

START_TEST(test_sample_from_addresses)
{
	const char *tags[] = { "scenario=pool", "op=submit" };
	uint64_t kips[] = { 0xffffffff81000310ULL, 0xffffffff81000120ULL, 0 };
	uint64_t uips[] = { 0x10 }; /* no cache: unmapped */
	struct stack_sample s = { .tags = tags, .ntags = 2, .kips = kips, .kdepth = 3,
				  .uips = uips, .udepth = 1, .value = 1000 };
	char path[] = "/tmp/opscope-kallsyms-XXXXXX";
	struct folded *f = folded_new();
	struct ksyms *ks;
	const char *st;
	uint64_t v;
	FILE *kf;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	kf = fdopen(fd, "w");
	fputs("ffffffff81000100 T do_sys_poll\nffffffff81000300 T schedule\n", kf);
	fclose(kf);
	ks = ksyms_load_file(path);
	unlink(path);
	ck_assert(ks);
	ck_assert_int_eq(folded_add_sample(f, &s, ks, NULL), 0);
	ck_assert_int_eq(folded_add_sample(f, &s, ks, NULL), 0);
	ck_assert_uint_eq(folded_count(f), 1);
	folded_get(f, 0, &st, &v);
	/* tags at the root, user frames, then kernel frames outermost first */
	ck_assert_str_eq(st, "scenario=pool;op=submit;[unknown]+0x10;do_sys_poll_[k];schedule_[k]");
	ck_assert_uint_eq(v, 2000);
	ksyms_free(ks);
	folded_free(f);
}
END_TEST

START_TEST(test_frame_kind)
{
	const char *k[] = { "schedule_[k]", "scenario=pool", "op=submit", "libc.so.6+0x1234",
			    "main", "operator=", "Foo::operator=(int)", "x=", "[blocked]",
			    "[on-cpu]", "[unknown]", "[unknown]+0x10", "[Foo]", "[]" };
	enum frame_kind want[] = { FRAME_KERNEL, FRAME_TAG, FRAME_TAG, FRAME_UNNAMED,
				   FRAME_USER, FRAME_USER, FRAME_USER, FRAME_USER, FRAME_TAG,
				   FRAME_TAG, FRAME_UNNAMED, FRAME_UNNAMED, FRAME_USER,
				   FRAME_USER };
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		ck_assert_msg(folded_frame_kind(k[i], strlen(k[i])) == want[i], "%s", k[i]);
}
END_TEST

static int parse(const char *text, struct folded *f, char *err, size_t errlen)
{
	FILE *m = fmemopen((void *)text, strlen(text), "r");
	int rc;

	ck_assert(m);
	rc = folded_read(f, m, "in.folded", err, errlen);
	fclose(m);
	return rc;
}

START_TEST(test_parse_good)
{
	struct folded *f = folded_new();
	char err[256] = "";

	ck_assert_int_eq(parse("a;b;c 3\r\n\n  \na;b 4\na;b;c 5\nframe with spaces;x 1  \n", f,
			       err, sizeof(err)),
			 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(folded_count(f), 3);
	ck_assert_uint_eq(folded_lookup(f, "a;b;c"), 8);
	ck_assert_uint_eq(folded_lookup(f, "a;b"), 4);
	ck_assert_uint_eq(folded_lookup(f, "frame with spaces;x"), 1);
	ck_assert_uint_eq(folded_total(f), 13);
	folded_free(f);
}
END_TEST

static void expect_error(const char *text, const char *want)
{
	struct folded *f = folded_new();
	char err[512] = "";

	ck_assert_int_eq(parse(text, f, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	folded_free(f);
}

START_TEST(test_parse_errors)
{
	expect_error("a;b 1\nnocount\n", "in.folded:2: no count");
	expect_error("a;b 1\n\na;b x12\n", "in.folded:3: the count 'x12' is not a whole number");
	expect_error("a;b -1\n", "in.folded:1: the count '-1'");
	expect_error("a;b 1.5\n", "in.folded:1: the count '1.5'");
	expect_error("a 99999999999999999999999\n", "in.folded:1: the count '999");
	expect_error("a 1\n 7\n", "in.folded:2: empty stack");
	expect_error("a;b 1 2\n", "in.folded:1: two counts");
	expect_error("a 18446744073709551615\na 1\n", "in.folded:2: this stack's counts add up");
}
END_TEST

START_TEST(test_write_file_atomic_and_round_trip)
{
	char dir[] = "/tmp/opscope-folded-XXXXXX", path[128], err[256];
	struct folded *f = folded_new(), *g = folded_new();
	const char *a[] = { "x", "y;z" };
	struct stat st;

	ck_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.folded", dir);
	ck_assert_int_eq(folded_add(f, a, 2, 9), 0);
	ck_assert_int_eq(folded_add_stack(f, "x", 1), 0);
	ck_assert_int_eq(folded_write_file(f, path, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(folded_read_file(g, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(folded_count(g), 2);
	ck_assert_uint_eq(folded_lookup(g, "x;y:z"), 9);
	ck_assert_uint_eq(folded_lookup(g, "x"), 1);
	unlink(path);
	rmdir(dir);
	/* a missing directory: no file, one sentence */
	ck_assert_int_lt(folded_write_file(f, "/nonexistent/dir/x.folded", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.folded"));
	ck_assert_int_eq(folded_read_file(g, "/nonexistent.folded", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot open /nonexistent.folded"));
	folded_free(f);
	folded_free(g);
}
END_TEST

/* A full disk shows up at the final flush: the sentence names it, not "I/O error". */
START_TEST(test_commit_keeps_flush_errno)
{
	char tmp[] = "/tmp/opscope-folded-never-made", err[256] = "";
	FILE *out = fopen("/dev/full", "w");

	if (!out) {
		fprintf(stderr, "test_commit_keeps_flush_errno: skipped, no /dev/full\n");
		return;
	}
	fputs("a;b 1\n", out);
	ck_assert_int_eq(atomic_file_commit(out, tmp, "x.folded", 0, err, sizeof(err)), -ENOSPC);
	ck_assert_msg(strstr(err, "cannot write x.folded") && strstr(err, strerror(ENOSPC)),
		      "%s", err);
}
END_TEST

static Suite *folded_suite(void)
{
	Suite *s = suite_create("folded");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_merge_and_sort);
	tcase_add_test(tc, test_many_stacks_grow);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_sample_from_addresses);
	tcase_add_test(tc, test_frame_kind);
	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_write_file_atomic_and_round_trip);
	tcase_add_test(tc, test_commit_keeps_flush_errno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(folded_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
