// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * util/files and report/outdir: a file replaced whole and never through a link, marked
 * directories removed entry by entry as listed (never following a link), abandoned
 * staging directories cleaned up, capped reads, and the one message printer's escaping.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/outdir.h"
#include "util/diag.h"
#include "util/files.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/opscope-test-files.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *at(const char *rel)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, rel);
	return buf[i];
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[256];
	FILE *f = fopen(at(rel), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Entries in the test directory, dot files included. */
static int entries(const char *rel)
{
	char cmd[300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", at(rel));
	p = popen(cmd, "r");
	ck_assert(fscanf(p, "%d", &n) == 1);
	pclose(p);
	return n;
}

START_TEST(test_afile_replaces_whole)
{
	char err[512];
	struct afile a;

	put("out.txt", "old\n");
	ck_assert_int_eq(afile_open(&a, at("out.txt"), err, sizeof(err)), 0);
	fputs("new\n", a.f);
	/* not there until committed */
	ck_assert_str_eq(get("out.txt"), "old\n");
	ck_assert_int_eq(afile_commit(&a, 0, err, sizeof(err)), 0);
	ck_assert_str_eq(get("out.txt"), "new\n");
	/* a writer's failure leaves the old file and no temp file */
	ck_assert_int_eq(afile_open(&a, at("out.txt"), err, sizeof(err)), 0);
	fputs("half", a.f);
	ck_assert_int_eq(afile_commit(&a, -EIO, err, sizeof(err)), -EIO);
	ck_assert_str_eq(get("out.txt"), "new\n");
	ck_assert_int_eq(entries(""), 1);
}
END_TEST

START_TEST(test_afile_refuses_links)
{
	char err[512], tmp[512];
	struct afile a;
	FILE *f;

	put("victim", "keep\n");
	ck_assert_int_eq(symlink(at("victim"), at("link")), 0);
	ck_assert_int_eq(afile_open(&a, at("link"), err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "symbolic link"), "%s", err);
	f = atomic_file_open(at("link"), tmp, sizeof(tmp), err, sizeof(err));
	ck_assert_ptr_null(f);
	ck_assert_str_eq(get("victim"), "keep\n");
	/* a link that appears while the file is written is not replaced either */
	f = atomic_file_open(at("later"), tmp, sizeof(tmp), err, sizeof(err));
	ck_assert_ptr_nonnull(f);
	fputs("x\n", f);
	ck_assert_int_eq(symlink(at("victim"), at("later")), 0);
	ck_assert_int_eq(atomic_file_commit(f, tmp, at("later"), 0, err, sizeof(err)), -EEXIST);
	ck_assert_str_eq(get("victim"), "keep\n");
	ck_assert_int_eq(entries(""), 3);
	/* a directory is not a file name */
	ck_assert_int_eq(afile_open(&a, at("dir/"), err, sizeof(err)), -EISDIR);
}
END_TEST

START_TEST(test_commit_checks_its_temp_file)
{
	char err[512], tmp[512];
	FILE *f = atomic_file_open(at("t.txt"), tmp, sizeof(tmp), err, sizeof(err));

	ck_assert_ptr_nonnull(f);
	fputs("mine\n", f);
	/* someone replaced the temp file: it is not renamed into place */
	ck_assert_int_eq(unlink(tmp), 0);
	put(strrchr(tmp, '/') + 1, "theirs\n");
	ck_assert_int_eq(atomic_file_commit(f, tmp, at("t.txt"), 0, err, sizeof(err)), -ESTALE);
	ck_assert_ptr_null(get("t.txt"));
	ck_assert_str_eq(get(strrchr(tmp, '/') + 1), "theirs\n");
}
END_TEST

static int open_dir(const char *rel)
{
	int fd = open(at(rel), O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_mark_strays_remove)
{
	struct files_manifest *m;
	char err[512], stray[256], kind[32];
	int fd, out;

	ck_assert_int_eq(mkdir(at("d"), 0755), 0);
	ck_assert_int_eq(mkdir(at("d/stacks"), 0755), 0);
	put("d/report.json", "{}");
	put("d/stacks/a.folded", "a 1\n");
	fd = open_dir("d");
	ck_assert_int_eq(files_tree_mark(fd, FILES_KIND_OUTPUT, err, sizeof(err)), 0);
	ck_assert_int_eq(files_manifest_load(fd, &m, kind, sizeof(kind)), 0);
	ck_assert_str_eq(kind, FILES_KIND_OUTPUT);
	ck_assert_int_eq(files_tree_strays(fd, m, stray, sizeof(stray)), 0);
	/* what opscope did not write is a stray, and stays */
	put("d/stacks/notes.txt", "mine");
	ck_assert_int_eq(files_tree_strays(fd, m, stray, sizeof(stray)), 1);
	ck_assert_str_eq(stray, "stacks/notes.txt");
	files_manifest_free(m);
	close(fd);
	out = open_dir("");
	ck_assert_int_eq(files_tree_remove(out, "d", NULL), 1);
	ck_assert_str_eq(get("d/stacks/notes.txt"), "mine");
	ck_assert_ptr_null(get("d/report.json"));
	ck_assert_ptr_null(get("d/stacks/a.folded"));
	/* once only listed entries are left, the directory goes */
	ck_assert_int_eq(unlink(at("d/stacks/notes.txt")), 0);
	ck_assert_int_eq(files_tree_remove(out, "d", NULL), 0);
	ck_assert_int_eq(entries(""), 0);
	close(out);
}
END_TEST

START_TEST(test_remove_never_follows_links)
{
	char err[512];
	int fd, out;

	ck_assert_int_eq(mkdir(at("d"), 0755), 0);
	ck_assert_int_eq(mkdir(at("d/stacks"), 0755), 0);
	put("d/stacks/a.folded", "a 1\n");
	fd = open_dir("d");
	ck_assert_int_eq(files_tree_mark(fd, FILES_KIND_OUTPUT, err, sizeof(err)), 0);
	close(fd);
	/* stacks/ replaced by a link to a directory holding a file of a listed name */
	ck_assert_int_eq(mkdir(at("victim"), 0755), 0);
	put("victim/a.folded", "precious");
	ck_assert_int_eq(unlink(at("d/stacks/a.folded")), 0);
	ck_assert_int_eq(rmdir(at("d/stacks")), 0);
	ck_assert_int_eq(symlink(at("victim"), at("d/stacks")), 0);
	out = open_dir("");
	ck_assert_int_eq(files_tree_remove(out, "d", NULL), 1);
	ck_assert_str_eq(get("victim/a.folded"), "precious");
	close(out);
	/* and a marked directory cannot be made with a link in it */
	fd = open_dir("d");
	ck_assert_int_eq(files_tree_mark(fd, FILES_KIND_OUTPUT, err, sizeof(err)), -ELOOP);
	close(fd);
}
END_TEST

START_TEST(test_add_to_marked_tree)
{
	struct files_manifest *m;
	char err[512], stray[256];
	struct afile a;
	int fd;

	ck_assert_int_eq(mkdir(at("d"), 0755), 0);
	ck_assert_int_eq(mkdir(at("d/stacks"), 0755), 0);
	ck_assert_int_eq(mkdir(at("d/stacks/s"), 0755), 0);
	fd = open_dir("d");
	ck_assert_int_eq(files_tree_mark(fd, FILES_KIND_OUTPUT, err, sizeof(err)), 0);
	/* a file added later (compare's diff.svg) is written beneath and listed */
	ck_assert_int_eq(afile_open_beneath(&a, at("d"), "stacks/s/x.diff.svg", err,
					    sizeof(err)), 0);
	fputs("<svg/>", a.f);
	ck_assert_int_eq(afile_commit(&a, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(files_tree_note(at("d"), "stacks/s/x.diff.svg"), 0);
	ck_assert_int_eq(files_manifest_load(fd, &m, NULL, 0), 0);
	ck_assert_int_eq(files_tree_strays(fd, m, stray, sizeof(stray)), 0);
	files_manifest_free(m);
	close(fd);
	/* never through a link in the path */
	ck_assert_int_eq(mkdir(at("victim"), 0755), 0);
	ck_assert_int_eq(symlink(at("victim"), at("d/stacks/t")), 0);
	ck_assert_int_eq(afile_open_beneath(&a, at("d"), "stacks/t/y.svg", err, sizeof(err)),
			 -ENOTDIR);
	ck_assert_int_eq(entries("victim"), 0);
	/* a directory without a marker gets no marker */
	ck_assert_int_eq(files_tree_note(at("victim"), "a.svg"), 0);
	ck_assert_int_eq(entries("victim"), 0);
}
END_TEST

START_TEST(test_staging_clean)
{
	char a[NAME_MAX + 1], b[NAME_MAX + 1];
	int out = open_dir(""), fa, fb;

	fa = files_staging_new(out, "run", a, sizeof(a));
	fb = files_staging_new(out, "run", b, sizeof(b));
	ck_assert_int_ge(fa, 0);
	ck_assert_int_ge(fb, 0);
	ck_assert_int_eq(strncmp(a, ".run.tmp-", 9), 0);
	put("unrelated", "x");
	ck_assert_int_eq(mkdir(at(".run.tmp-abcdef"), 0755), 0); /* not marked: not ours */
	/* a is abandoned (its lock gone), b is still being written */
	close(fa);
	ck_assert_int_eq(files_staging_clean(out, "run"), 1);
	ck_assert_int_eq(entries(""), 3);
	close(fb);
	ck_assert_int_eq(files_staging_clean(out, "run"), 1);
	ck_assert_int_eq(entries(""), 2);
	close(out);
}
END_TEST

START_TEST(test_outdir_rules)
{
	char err[1024];
	struct outdir d;
	int fd;

	/* a directory with a report.json but no marker is not an output */
	ck_assert_int_eq(mkdir(at("proj"), 0755), 0);
	put("proj/report.json", "{}");
	ck_assert_int_eq(outdir_check(at("proj"), &d, err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "not written by opscope"), "%s", err);
	/* a link is refused */
	ck_assert_int_eq(symlink(at("proj"), at("ln")), 0);
	ck_assert_int_eq(outdir_check(at("ln"), &d, err, sizeof(err)), -ELOOP);
	/* new: written whole, then replaced whole */
	ck_assert_int_eq(outdir_check(at("out/"), &d, err, sizeof(err)), 0);
	ck_assert(!d.exists);
	ck_assert_int_eq(outdir_begin(&d, err, sizeof(err)), 0);
	fd = openat(d.tmpfd, "a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(outdir_finish(&d, err, sizeof(err)), 0);
	outdir_release(&d);
	ck_assert_ptr_nonnull(get("out/a.txt"));
	ck_assert_int_eq(outdir_check(at("out"), &d, err, sizeof(err)), 0);
	ck_assert(d.exists);
	ck_assert_int_eq(outdir_begin(&d, err, sizeof(err)), 0);
	/* a stray file appearing during the run stops the swap */
	put("out/notes.txt", "mine");
	ck_assert_int_eq(outdir_finish(&d, err, sizeof(err)), -EEXIST);
	ck_assert_msg(strstr(err, "notes.txt"), "%s", err);
	outdir_release(&d);
	ck_assert_str_eq(get("out/notes.txt"), "mine");
	ck_assert_ptr_nonnull(get("out/a.txt"));
	/* proj, ln, out: no staging directory left */
	ck_assert_int_eq(entries(""), 3);
}
END_TEST

START_TEST(test_capped_reads)
{
	char err[512], *buf = NULL, *line = NULL;
	size_t len, cap = 0;
	FILE *f;

	put("small", "0123456789");
	ck_assert_int_eq(files_read_all(at("small"), "test file", 10, &buf, &len, err,
					sizeof(err)), 0);
	ck_assert_uint_eq(len, 10);
	free(buf);
	ck_assert_int_eq(files_read_all(at("small"), "test file", 9, &buf, &len, err,
					sizeof(err)), -EFBIG);
	ck_assert_msg(strstr(err, "larger than 9 bytes"), "%s", err);
	/* a device without a size: read up to the cap, then refused */
	ck_assert_int_eq(files_read_all("/dev/zero", "test file", 1 << 20, &buf, &len, err,
					sizeof(err)), -EFBIG);
	ck_assert_msg(strstr(err, "larger than 1 MiB"), "%s", err);
	put("lines", "ab\nabcdef\n");
	f = fopen(at("lines"), "r");
	ck_assert_int_eq(files_getline(&line, &cap, f, 4), 3);
	ck_assert_int_eq(files_getline(&line, &cap, f, 4), -EFBIG);
	fclose(f);
	f = fopen(at("lines"), "r");
	ck_assert_int_eq(files_getline(&line, &cap, f, 100), 3);
	ck_assert_int_eq(files_getline(&line, &cap, f, 100), 7);
	ck_assert_int_eq(files_getline(&line, &cap, f, 100), -1);
	fclose(f);
	free(line);
}
END_TEST

START_TEST(test_diag_escapes)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	diag_put_safe(m, "a\033[31mb\x07 caf\xc3\xa9 \xff \xc2\x9b\t.");
	fclose(m);
	ck_assert_str_eq(buf, "a\\x1b[31mb\\x07 caf\xc3\xa9 \\xff \\xc2\\x9b\t.");
	free(buf);
}
END_TEST

static Suite *files_suite(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_afile_replaces_whole);
	tcase_add_test(tc, test_afile_refuses_links);
	tcase_add_test(tc, test_commit_checks_its_temp_file);
	tcase_add_test(tc, test_mark_strays_remove);
	tcase_add_test(tc, test_remove_never_follows_links);
	tcase_add_test(tc, test_add_to_marked_tree);
	tcase_add_test(tc, test_staging_clean);
	tcase_add_test(tc, test_outdir_rules);
	tcase_add_test(tc, test_capped_reads);
	tcase_add_test(tc, test_diag_escapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(files_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
