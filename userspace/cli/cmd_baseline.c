// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope baseline: named baselines per machine, kept as plain files so scripts and
 * people can read them too:
 *
 *	DIR/<machine>/<name>/report.json   the saved report (validated on save)
 *	DIR/<machine>/<name>/bench.txt     when the source was a run directory
 *	DIR/<machine>/<name>/stacks/...    its folded stacks (for differential flame graphs)
 *	DIR/<machine>/<name>/meta.json     when, from where, by whom, and the targets
 *	                                   known to fail on the machine
 *
 * DIR defaults to /var/lib/opscope/baselines, <machine> to this host's name. A save is
 * built in a hidden temporary directory and renamed into place, so a baseline is either
 * the old one or the complete new one, never a mix.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/files.h"
#include "util/fmt.h"
#include "cli/commands.h"
#include "stats/compare.h"
#include "stacks/folded.h"
#include "util/json.h"
#include "util/jsonparse.h"
#include "report/writers_ci.h"

#define BASELINE_DIR "/var/lib/opscope/baselines"

struct bl_opts {
	const char *dir;
	char machine[256];
	bool force;
	bool accept_failing;  /* the run's failing targets become known failures */
	const char *known;    /* --known-failing: more names, comma-separated */
};

/* meta.json's "known_failing_targets": --known-failing's names, and with
 * --accept-failing-targets every target the report says failed. */
static void write_known(FILE *mf, const struct bl_opts *o, const struct json_value *root)
{
	const struct json_value *t = json_get(root, "targets");
	bool first = true;

	fputs(", \"known_failing_targets\": [", mf);
	for (const char *p = o->known ? o->known : ""; *p;) {
		size_t n = strcspn(p, ",");
		char name[128];

		if (n && n < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)n, p);
			fputs(first ? "" : ", ", mf);
			json_write_escaped(mf, name);
			first = false;
		}
		p += n + (p[n] == ',');
	}
	for (size_t i = 0; o->accept_failing && i < json_len(t); i++) {
		const struct json_value *x = json_at(t, i);

		if (strcmp(json_get_str(x, "status", ""), "fail"))
			continue;
		fputs(first ? "" : ", ", mf);
		json_write_escaped(mf, json_get_str(x, "name", "?"));
		printf("target %s fails in this run: recorded as known to fail on %s\n",
		       json_get_str(x, "name", "?"), o->machine);
		first = false;
	}
	fputs("]", mf);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Copy from into the path to (inside the staging directory), as one written file. */
static int copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char buf[65536];
	struct afile a;
	int in, rc;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", from, strerror(-rc));
		return rc;
	}
	rc = afile_open(&a, to, err, errlen);
	while (!rc && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			afile_abort(&a);
			snprintf(err, errlen, "cannot read %s: %s", from, strerror(-rc));
			break;
		}
		fwrite(buf, 1, (size_t)n, a.f);
	}
	if (a.f)
		rc = afile_commit(&a, rc, err, errlen);
	close(in);
	return rc;
}

/* nftw has no user pointer: the copy's source and destination roots live here. */
static const char *copy_src, *copy_dst;
static char *copy_msg;
static size_t copy_msglen;
static int copy_err;

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_MAX];
	const char *rel = path + strlen(copy_src);
	size_t n = strlen(path);

	if (snprintf(to, sizeof(to), "%s%s", copy_dst, rel) >= (int)sizeof(to)) {
		copy_err = -ENAMETOOLONG;
		snprintf(copy_msg, copy_msglen, "%s: the path is too long", path);
		return 1;
	}
	if (type == FTW_DNR || type == FTW_NS) {
		/* an unreadable part of stacks/ would make a baseline without its stacks */
		copy_err = -(errno ? errno : EACCES);
		snprintf(copy_msg, copy_msglen, "cannot read %s: %s", path, strerror(-copy_err));
		return 1;
	}
	if (type == FTW_D) {
		int fd = files_mkdirat(AT_FDCWD, to, 0755);

		if (fd < 0) {
			copy_err = fd;
			snprintf(copy_msg, copy_msglen, "cannot create %s: %s", to,
				 strerror(-copy_err));
			return 1;
		}
		close(fd);
	} else if (type == FTW_F && n > 7 && !strcmp(path + n - 7, ".folded")) {
		/* folded stacks only: the SVGs can be redrawn from them (links are skipped) */
		copy_err = copy_file(path, to, copy_msg, copy_msglen);
		if (copy_err)
			return 1;
	}
	return 0;
}

/* Names are at most 64 bytes and machines 255: only --dir can make a path too long. */
static int dir_too_long(const struct bl_opts *o)
{
	return cmd_fail("baseline", "--dir %s makes the baseline paths longer than PATH_MAX; "
			"choose a shorter directory", o->dir);
}

static int baseline_path(const struct bl_opts *o, const char *name, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s/%s", o->dir, o->machine, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* What a baseline saved before markers existed holds: all opscope wrote there. */
static bool legacy_entry(const char *rel, bool dir)
{
	const char *slash = strchr(rel, '/');
	size_t n = strlen(rel);

	if (!dir && (!strcmp(rel, "report.json") || !strcmp(rel, "bench.txt") ||
		     !strcmp(rel, "meta.json")))
		return true;
	if (strncmp(rel, "stacks", 6) || (rel[6] && rel[6] != '/'))
		return false;
	if (!slash)
		return dir;
	slash = strchr(slash + 1, '/');
	if (!slash)
		return dir;
	return !dir && !strchr(slash + 1, '/') && n > 7 && !strcmp(rel + n - 7, ".folded");
}

/*
 * The saved baseline `name` in mfd may be replaced: it carries opscope's baseline marker
 * (or is a baseline saved before markers, with its meta.json) and holds nothing else.
 * *m: the list of what to remove after the swap (NULL: its marker's). 0 or exit status 2.
 */
static int check_replace(int mfd, const char *name, const char *final,
			 struct files_manifest **m)
{
	char kind[32] = "", stray[PATH_MAX], mpath[PATH_MAX + 16];
	struct files_manifest *own = NULL;
	struct json_doc *meta;
	int fd, rc, n;

	*m = NULL;
	fd = openat(mfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cmd_fail("baseline", "%s is not a directory opscope saved (%s); remove it "
				"by hand", final, strerror(errno));
	rc = files_manifest_load(fd, &own, kind, sizeof(kind));
	if (rc == -ENOENT) {
		/* saved by an opscope without markers: its meta.json says it is a baseline */
		snprintf(mpath, sizeof(mpath), "%s/meta.json", final);
		meta = json_parse_file(mpath, 0, NULL);
		if (strcmp(json_get_str(json_root(meta), "schema", ""), "opscope-baseline"))
			rc = -EINVAL;
		else
			rc = files_manifest_scan(fd, legacy_entry, m);
		json_doc_free(meta);
	} else if (!rc && strcmp(kind, FILES_KIND_BASELINE)) {
		rc = -EINVAL;
	}
	n = rc ? rc : files_tree_strays(fd, *m ? *m : own, stray, sizeof(stray));
	files_manifest_free(own);
	close(fd);
	if (n == -ENOMEM)
		return cmd_fail("baseline", "out of memory reading %s", final);
	if (n < 0)
		return cmd_fail("baseline", "%s was not saved by opscope (no %s marker, no "
				"baseline meta.json); it is left alone: remove it by hand or "
				"choose another name", final, FILES_MARKER);
	if (n > 0)
		return cmd_fail("baseline", "%s holds %s, which opscope did not write; move it out "
				"before replacing the baseline", final, stray);
	return 0;
}

/* report.json, bench.txt and the folded stacks of r, into the staging directory tmp. */
static int copy_run(const struct cmp_report *r, const char *tmp, char *err, size_t errlen)
{
	char p[PATH_MAX + NAME_MAX + 64], sdir[PATH_MAX + 16];
	struct stat st;
	int rc;

	snprintf(p, sizeof(p), "%s/report.json", tmp);
	rc = copy_file(r->path, p, err, errlen);
	/* keep bench.txt and the folded stacks that sit next to the report */
	snprintf(sdir, sizeof(sdir), "%s/bench.txt", r->dir);
	snprintf(p, sizeof(p), "%s/bench.txt", tmp);
	if (!rc && !access(sdir, R_OK))
		rc = copy_file(sdir, p, err, errlen);
	snprintf(sdir, sizeof(sdir), "%s/stacks", r->dir);
	snprintf(p, sizeof(p), "%s/stacks", tmp);
	if (!rc && !lstat(sdir, &st) && S_ISDIR(st.st_mode)) {
		copy_src = sdir;
		copy_dst = p;
		copy_msg = err;
		copy_msglen = errlen;
		copy_err = 0;
		if (nftw(sdir, copy_one, 16, FTW_PHYS) == -1 && !copy_err) {
			copy_err = -errno;
			snprintf(err, errlen, "cannot read %s: %s", sdir, strerror(errno));
		}
		rc = copy_err;
	}
	return rc;
}

static int write_meta(const struct bl_opts *o, const char *name, const char *src,
		      const struct cmp_report *r, int tfd, char *err, size_t errlen)
{
	char when[32], abs_src[PATH_MAX];
	struct afile a;
	int rc;

	if (!realpath(src, abs_src))
		snprintf(abs_src, sizeof(abs_src), "%s", src);
	ci_now_rfc3339(when, sizeof(when));
	rc = afile_openat(&a, tfd, "meta.json", NULL, err, errlen);
	if (rc)
		return rc;
	fputs("{\"schema\": \"opscope-baseline\", \"version\": 1, \"name\": ", a.f);
	json_write_escaped(a.f, name);
	fputs(", \"machine\": ", a.f);
	json_write_escaped(a.f, o->machine);
	fputs(", \"saved\": ", a.f);
	json_write_escaped(a.f, when);
	fputs(", \"source\": ", a.f);
	json_write_escaped(a.f, abs_src);
	fputs(", \"report_created\": ", a.f);
	json_write_escaped(a.f, json_get_str(r->root, "created", ""));
	write_known(a.f, o, r->root);
	fputs("}\n", a.f);
	return afile_commit(&a, 0, err, errlen);
}

/*
 * Build the baseline in a staging directory beside it, mark it, then put it in place
 * with one rename: RENAME_NOREPLACE for a new one, RENAME_EXCHANGE for a replacement, so
 * a crash at any point leaves the old baseline or the new one, never none. Then the old
 * one's listed files go.
 */
static int save_into(const struct bl_opts *o, const char *name, const char *src,
		     const struct cmp_report *r, int mfd, const char *final, bool replace)
{
	char tmpname[NAME_MAX + 1], tmp[PATH_MAX + NAME_MAX + 2], err[2 * PATH_MAX + 512];
	struct files_manifest *old = NULL;
	int tfd, rc;

	if (replace && check_replace(mfd, name, final, &old))
		return 2;
	files_staging_clean(mfd, name);
	tfd = files_staging_new(mfd, name, tmpname, sizeof(tmpname));
	if (tfd < 0) {
		files_manifest_free(old);
		return cmd_fail("baseline", "cannot create a temp directory beside %s: %s (run as "
				"root, or choose --dir)", final, strerror(-tfd));
	}
	snprintf(tmp, sizeof(tmp), "%s/%s/%s", o->dir, o->machine, tmpname);
	rc = copy_run(r, tmp, err, sizeof(err));
	if (!rc)
		rc = write_meta(o, name, src, r, tfd, err, sizeof(err));
	if (!rc)
		rc = files_tree_mark(tfd, FILES_KIND_BASELINE, err, sizeof(err));
	if (!rc) {
		rc = files_swap_in(mfd, tmpname, name, replace);
		if (rc == -EINVAL && replace)
			snprintf(err, sizeof(err), "the file system of %s cannot exchange two "
				 "directories atomically (RENAME_EXCHANGE), so the baseline was "
				 "left as it was; keep baselines on a local file system (ext4, "
				 "xfs, btrfs, tmpfs)", o->dir);
		else if (rc)
			snprintf(err, sizeof(err), "cannot put the baseline in place at %s: %s%s",
				 final, strerror(-rc), rc == -EEXIST || rc == -ENOENT ?
				 " (another save ran at the same time; try again)" : "");
	}
	close(tfd);
	/* after a swap the old baseline sits at tmpname; else the staging directory does */
	if (!rc && replace && files_tree_remove(mfd, tmpname, old) != 0)
		cmd_warn("baseline", "kept the old baseline's other files in %s", tmp);
	else if (rc)
		files_tree_remove(mfd, tmpname, NULL);
	files_manifest_free(old);
	if (rc)
		return cmd_fail("baseline", "%s", err);
	return 0;
}

static int do_save(const struct bl_opts *o, const char *name, const char *src)
{
	char final[PATH_MAX], err[1024];
	struct cmp_report r;
	struct stat st;
	int rc, dfd, mfd;

	if (!valid_name(name))
		return cmd_fail("baseline", "'%s' is not a baseline name: use letters, digits, "
				"'.', '_' and '-' (up to 64, not starting with '.' or '-')", name);
	if (baseline_path(o, name, final, sizeof(final)) ||
	    strlen(final) + 16 >= sizeof(final))
		return dir_too_long(o);
	if (cmp_report_load(&r, src, err, sizeof(err)))
		return cmd_fail("baseline", "%s", err);
	const char *host = json_get_str(json_path(r.root, "environment"), "hostname", NULL);

	if (host && strcmp(host, o->machine))
		cmd_warn("baseline", "warning: the report was made on %s, saved as a baseline "
			 "of %s", host, o->machine);
	rc = mkdir_p(o->dir);
	dfd = rc ? rc : open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		cmp_report_free(&r);
		return cmd_fail("baseline", "cannot create %s: %s (run as root, or choose --dir)",
				o->dir, strerror(rc ? -rc : errno));
	}
	/* the machine's folder is opscope's: never a link someone put there */
	mfd = files_mkdirat(dfd, o->machine, 0755);
	close(dfd);
	if (mfd < 0) {
		cmp_report_free(&r);
		return cmd_fail("baseline", "cannot use %s/%s: %s; opscope keeps baselines in a "
				"directory it made, not through a link", o->dir, o->machine,
				strerror(-mfd));
	}
	if (!fstatat(mfd, name, &st, AT_SYMLINK_NOFOLLOW) && !o->force) {
		rc = cmd_fail("baseline", "baseline '%s' already exists for machine %s (%s); "
			      "pass --force to replace it", name, o->machine, final);
	} else {
		rc = save_into(o, name, src, &r, mfd, final,
			       !fstatat(mfd, name, &st, AT_SYMLINK_NOFOLLOW));
		if (!rc)
			printf("saved baseline '%s' for %s: %s\n", name, o->machine, final);
	}
	close(mfd);
	cmp_report_free(&r);
	return rc;
}

/* One line about a saved baseline: saved when, from which report, how many scenarios. */
static int describe(const struct bl_opts *o, const char *name, bool verbose)
{
	char path[PATH_MAX], mpath[PATH_MAX + 16], err[1024];
	struct cmp_report r;
	struct json_doc *meta;
	struct json_err je;

	if (baseline_path(o, name, path, sizeof(path)))
		return dir_too_long(o);
	if (cmp_report_load(&r, path, err, sizeof(err))) {
		if (!verbose)
			return 2;
		return cmd_fail("baseline", "no usable baseline '%s' for machine %s: %s (list them "
				"with: opscope baseline list)", name, o->machine, err);
	}
	snprintf(mpath, sizeof(mpath), "%s/meta.json", path);
	meta = json_parse_file(mpath, 0, &je);
	const struct json_value *m = json_root(meta), *env = json_get(r.root, "environment");
	const struct json_value *sc = json_get(r.root, "scenarios");

	if (!verbose) {
		printf("%-24s saved %-20s  %3zu scenarios  report %s\n", name,
		       json_get_str(m, "saved", "?"), json_len(sc),
		       json_get_str(r.root, "created", "?"));
	} else {
		printf("baseline:    %s (machine %s)\n", name, o->machine);
		printf("path:        %s\n", path);
		printf("saved:       %s from %s\n", json_get_str(m, "saved", "?"),
		       json_get_str(m, "source", "?"));
		printf("report:      created %s by: %s\n", json_get_str(r.root, "created", "?"),
		       json_get_str(r.root, "command", "?"));
		printf("environment: %s, %s, %g CPUs, governor %s\n",
		       json_get_str(env, "kernel_release", "?"),
		       json_get_str(env, "cpu_model", "?"), json_get_num(env, "online_cpus", 0),
		       json_get_str(env, "governor", "?"));
		printf("known to fail here:");
		for (size_t i = 0; i < json_len(json_get(m, "known_failing_targets")); i++)
			printf(" %s", json_str(json_at(json_get(m, "known_failing_targets"), i)) ?
			       json_str(json_at(json_get(m, "known_failing_targets"), i)) : "?");
		printf("%s\n", json_len(json_get(m, "known_failing_targets")) ? "" : " (none)");
		printf("%-44s %5s %12s %12s %12s\n", "scenario", "reps", "throughput", "p50",
		       "p99");
		for (size_t i = 0; i < json_len(sc); i++) {
			const struct json_value *s = json_at(sc, i), *ms = json_get(s, "metrics");
			const struct json_value *k0 = json_at(json_get(s, "kinds"), 0);
			char t[32] = "-", a[32] = "-", b[32] = "-";

			for (size_t j = 0; j < json_len(ms); j++) {
				const struct json_value *mm = json_at(ms, j);
				const char *id = json_get_str(mm, "id", "");
				const struct json_value *med = json_get(mm, "median");

				if (!json_is(med, JSON_NUMBER))
					continue;
				if (!strcmp(id, "throughput"))
					fmt_value(t, sizeof(t), json_num(med), "ops/s");
			}
			if (json_is(json_get(k0, "p50_ns"), JSON_NUMBER))
				fmt_value(a, sizeof(a), json_get_num(k0, "p50_ns", 0), "ns");
			if (json_is(json_get(k0, "p99_ns"), JSON_NUMBER))
				fmt_value(b, sizeof(b), json_get_num(k0, "p99_ns", 0), "ns");
			printf("%-44.44s %5g %12s %12s %12s\n", json_get_str(s, "id", "?"),
			       json_get_num(s, "reps", 0), t, a, b);
		}
	}
	json_doc_free(meta);
	cmp_report_free(&r);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_list(const struct bl_opts *o)
{
	char path[PATH_MAX];
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/%s", o->dir, o->machine) >= (int)sizeof(path))
		return dir_too_long(o);
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT) {
			printf("no baselines for %s under %s\n", o->machine, o->dir);
			return 0;
		}
		return cmd_fail("baseline", "cannot read %s: %s", path, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !valid_name(de->d_name))
			continue;
		if (n == cap) {
			char **t = realloc(names, (cap ? cap * 2 : 16) * sizeof(*t));

			if (!t)
				goto oom;
			names = t;
			cap = cap ? cap * 2 : 16;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	printf("baselines for %s in %s:\n", o->machine, path);
	for (size_t i = 0; i < n; i++) {
		if (describe(o, names[i], false))
			printf("%-24s (unreadable: run 'opscope baseline show %s')\n", names[i],
			       names[i]);
		free(names[i]);
	}
	if (!n)
		printf("  (none)\n");
	free(names);
	return 0;
oom:
	/* a partial list would pass for the whole one */
	closedir(d);
	while (n)
		free(names[--n]);
	free(names);
	return cmd_fail("baseline", "out of memory listing the baselines in %s", path);
}

static void baseline_usage(FILE *f)
{
	fprintf(f,
		"usage: opscope baseline save NAME REPORT|RUNDIR [--force]\n"
		"                [--accept-failing-targets] [--known-failing NAME,...]\n"
		"       opscope baseline show NAME\n"
		"       opscope baseline path NAME     (prints the directory, for scripts)\n"
		"       opscope baseline list\n"
		"options: --dir DIR (default %s), --machine NAME (default: this host)\n"
		"A baseline keeps report.json, bench.txt and the folded stacks of a run, per\n"
		"machine; compare against it with: opscope compare $(opscope baseline path NAME) "
		"RUNDIR\n"
		"--accept-failing-targets records the run's failing targets as known to fail on\n"
		"this machine (compare then tells them from new failures); --known-failing adds\n"
		"names by hand\n", BASELINE_DIR);
}

static int baseline_save(int argc, char **argv, const void *opts)
{
	if (argc != 3)
		return cmd_fail("baseline", "save needs NAME and a report file or run directory");
	return do_save(opts, argv[1], argv[2]);
}

/* show and path take one operand, the baseline's name. */
static int check_name_operand(int argc, char **argv)
{
	if (argc != 2)
		return cmd_fail("baseline", "%s needs the baseline's NAME", argv[0]);
	if (!valid_name(argv[1]))
		return cmd_fail("baseline", "'%s' is not a baseline name", argv[1]);
	return 0;
}

static int baseline_show(int argc, char **argv, const void *opts)
{
	int rc = check_name_operand(argc, argv);

	return rc ? rc : describe(opts, argv[1], true);
}

static int baseline_print_path(int argc, char **argv, const void *opts)
{
	const struct bl_opts *o = opts;
	char path[PATH_MAX], err[1024];
	struct cmp_report r;
	int rc = check_name_operand(argc, argv);

	if (rc)
		return rc;
	if (baseline_path(o, argv[1], path, sizeof(path)))
		return dir_too_long(o);
	if (cmp_report_load(&r, path, err, sizeof(err)))
		return cmd_fail("baseline", "no usable baseline '%s' for machine %s: %s; save one "
				"with: opscope baseline save %s RUNDIR", argv[1], o->machine, err,
				argv[1]);
	cmp_report_free(&r);
	printf("%s\n", path);
	return 0;
}

static int baseline_list(int argc, char **argv, const void *opts)
{
	if (argc != 1)
		return cmd_fail("baseline", "list takes no arguments");
	return do_list(opts);
}

static const struct cmd_verb baseline_verbs[] = {
	{ "save", baseline_save },
	{ "show", baseline_show },
	{ "path", baseline_print_path },
	{ "list", baseline_list },
	{ NULL },
};

int cmd_baseline(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "machine", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "accept-failing-targets", no_argument, NULL, 'a' },
		{ "known-failing", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct bl_opts o = { .dir = BASELINE_DIR };
	int c;

	if (gethostname(o.machine, sizeof(o.machine) - 1))
		strcpy(o.machine, "localhost");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dir = optarg;
			break;
		case 'm':
			if (!valid_name(optarg))
				return cmd_fail("baseline", "--machine '%s': use letters, digits, "
						"'.', '_', '-'", optarg);
			snprintf(o.machine, sizeof(o.machine), "%s", optarg);
			break;
		case 'f':
			o.force = true;
			break;
		case 'a':
			o.accept_failing = true;
			break;
		case 'k':
			o.known = optarg;
			break;
		case 'h':
			baseline_usage(stdout);
			return 0;
		default:
			return cmd_fail("baseline", "unknown or incomplete option '%s'; see "
					"opscope baseline --help", argv[optind - 1]);
		}
	}
	return cmd_select("baseline", baseline_verbs, argc - optind, argv + optind, &o);
}
