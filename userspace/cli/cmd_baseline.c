// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope baseline: named baselines per machine, kept as plain files so scripts and
 * people can read them too:
 *
 *	DIR/<machine>/<name>/report.json   the saved report (validated on save)
 *	DIR/<machine>/<name>/bench.txt     when the source was a run directory
 *	DIR/<machine>/<name>/stacks/...    its folded stacks (for differential flame graphs)
 *	DIR/<machine>/<name>/meta.json     when, from where, by whom
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
};

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

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, err = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				err = -errno;
				goto out;
			}
			off += w;
		}
	}
	if (n < 0)
		err = -errno;
out:
	close(in);
	if (close(out) && !err)
		err = -errno;
	return err;
}

/* nftw has no user pointer: the copy's source and destination roots live here. */
static const char *copy_src, *copy_dst;
static int copy_err;

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char to[PATH_MAX];
	const char *rel = path + strlen(copy_src);
	size_t n = strlen(path);

	if (snprintf(to, sizeof(to), "%s%s", copy_dst, rel) >= (int)sizeof(to)) {
		copy_err = -ENAMETOOLONG;
		return 1;
	}
	if (type == FTW_DNR || type == FTW_NS) {
		/* an unreadable part of stacks/ would make a baseline without its stacks */
		copy_err = -(errno ? errno : EACCES);
		return 1;
	}
	if (type == FTW_D) {
		if (mkdir(to, 0755) && errno != EEXIST) {
			copy_err = -errno;
			return 1;
		}
	} else if (type == FTW_F && n > 7 && !strcmp(path + n - 7, ".folded")) {
		/* folded stacks only: the SVGs can be redrawn from them */
		copy_err = copy_file(path, to);
		if (copy_err)
			return 1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
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

static int do_save(const struct bl_opts *o, const char *name, const char *src)
{
	char final[PATH_MAX], tmp[PATH_MAX], old[PATH_MAX], p[PATH_MAX + 32], err[1024];
	char when[32], abs_src[PATH_MAX];
	struct cmp_report r;
	char mtmp[PATH_MAX + 48];
	FILE *mf;
	struct stat st;
	int rc;

	if (!valid_name(name))
		return cmd_fail("baseline", "'%s' is not a baseline name: use letters, digits, "
				"'.', '_' and '-' (up to 64, not starting with '.' or '-')", name);
	if (cmp_report_load(&r, src, err, sizeof(err)))
		return cmd_fail("baseline", "%s", err);
	if (baseline_path(o, name, final, sizeof(final)) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s/.%s.new.%d", o->dir, o->machine, name,
		     (int)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(old, sizeof(old), "%s/%s/.%s.old.%d", o->dir, o->machine, name,
		     (int)getpid()) >= (int)sizeof(old)) {
		cmp_report_free(&r);
		return dir_too_long(o);
	}
	if (!stat(final, &st) && !o->force) {
		cmp_report_free(&r);
		return cmd_fail("baseline", "baseline '%s' already exists for machine %s (%s); "
				"pass --force to replace it", name, o->machine, final);
	}
	const char *host = json_get_str(json_path(r.root, "environment"), "hostname", NULL);

	if (host && strcmp(host, o->machine))
		cmd_warn("baseline", "warning: the report was made on %s, saved as a baseline "
			 "of %s", host, o->machine);
	rc = mkdir_p(tmp);
	if (rc) {
		cmp_report_free(&r);
		return cmd_fail("baseline", "cannot create %s: %s (run as root, or choose --dir)",
				tmp, strerror(-rc));
	}
	snprintf(p, sizeof(p), "%s/report.json", tmp);
	rc = copy_file(r.path, p);
	if (!rc) {
		char sdir[PATH_MAX + 16];

		/* keep bench.txt and the folded stacks that sit next to the report */
		snprintf(sdir, sizeof(sdir), "%s/bench.txt", r.dir);
		snprintf(p, sizeof(p), "%s/bench.txt", tmp);
		if (!access(sdir, R_OK))
			rc = copy_file(sdir, p);
		snprintf(sdir, sizeof(sdir), "%s/stacks", r.dir);
		snprintf(p, sizeof(p), "%s/stacks", tmp);
		if (!rc && !stat(sdir, &st) && S_ISDIR(st.st_mode)) {
			copy_src = sdir;
			copy_dst = p;
			copy_err = 0;
			if (nftw(sdir, copy_one, 16, FTW_PHYS) == -1 && !copy_err)
				copy_err = -errno;
			rc = copy_err;
		}
	}
	if (rc) {
		rm_rf(tmp);
		cmp_report_free(&r);
		return cmd_fail("baseline", "cannot copy %s into %s: %s", src, tmp, strerror(-rc));
	}
	if (!realpath(src, abs_src))
		snprintf(abs_src, sizeof(abs_src), "%s", src);
	ci_now_rfc3339(when, sizeof(when));
	snprintf(p, sizeof(p), "%s/meta.json", tmp);
	mf = atomic_file_open(p, mtmp, sizeof(mtmp), err, sizeof(err));
	rc = mf ? 0 : -errno;
	if (mf) {
		fputs("{\"schema\": \"opscope-baseline\", \"version\": 1, \"name\": ", mf);
		json_write_escaped(mf, name);
		fputs(", \"machine\": ", mf);
		json_write_escaped(mf, o->machine);
		fputs(", \"saved\": ", mf);
		json_write_escaped(mf, when);
		fputs(", \"source\": ", mf);
		json_write_escaped(mf, abs_src);
		fputs(", \"report_created\": ", mf);
		json_write_escaped(mf, json_get_str(r.root, "created", ""));
		fputs("}\n", mf);
		rc = atomic_file_commit(mf, mtmp, p, 0, err, sizeof(err));
	}
	cmp_report_free(&r);
	if (rc) {
		rm_rf(tmp);
		return cmd_fail("baseline", "%s", err);
	}
	/* swap: the old baseline moves aside, the new one in, then the old one goes */
	bool had_old = !rename(final, old);

	if (rename(tmp, final)) {
		int e = errno;

		if (had_old)
			rename(old, final);
		rm_rf(tmp);
		return cmd_fail("baseline", "cannot move %s to %s: %s", tmp, final, strerror(e));
	}
	if (had_old)
		rm_rf(old);
	printf("saved baseline '%s' for %s: %s\n", name, o->machine, final);
	return 0;
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
		"       opscope baseline show NAME\n"
		"       opscope baseline path NAME     (prints the directory, for scripts)\n"
		"       opscope baseline list\n"
		"options: --dir DIR (default %s), --machine NAME (default: this host)\n"
		"A baseline keeps report.json, bench.txt and the folded stacks of a run, per\n"
		"machine; compare against it with: opscope compare $(opscope baseline path NAME) "
		"RUNDIR\n", BASELINE_DIR);
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
