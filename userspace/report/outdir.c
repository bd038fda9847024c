// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A run's output directory (report/outdir.h): the checks made before the run, and the
 * commit after it that writes every file into a temp directory beside the target and
 * renames it into place (swapping with an earlier output where the file system allows).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "report/outdir.h"
#include "report/report.h"
#include "stacks/profile.h"
#include "stacks/folded.h"
#include "stats/waitfor.h"
#include "stats/exemplar.h"
#include "util/diag.h"

/* True when dir has no entries (or cannot be read: then the caller's checks decide). */
static bool dir_is_empty(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	bool empty = true;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return true;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return true;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* d->path is out without trailing slashes; d->parent the directory that holds it. */
static void split_path(const char *out, struct outdir *d)
{
	size_t n;
	char *slash;

	snprintf(d->path, sizeof(d->path), "%s", out);
	n = strlen(d->path);
	while (n > 1 && d->path[n - 1] == '/')
		d->path[--n] = '\0';
	snprintf(d->parent, sizeof(d->parent), "%s", d->path);
	slash = strrchr(d->parent, '/');
	if (!slash)
		snprintf(d->parent, sizeof(d->parent), ".");
	else if (slash == d->parent)
		d->parent[1] = '\0';
	else
		*slash = '\0';
}

int outdir_check(const char *out, struct outdir *d, char *err, size_t errlen)
{
	char probe[PATH_MAX + 16];
	struct stat st;
	int e;

	memset(d, 0, sizeof(*d));
	if (!*out) {
		snprintf(err, errlen, "--out is empty; give a directory path");
		return -EINVAL;
	}
	/* room for the temp directory's name next to it: ".NAME.tmp-XXXXXX" */
	if (strlen(out) + 16 >= sizeof(d->path)) {
		snprintf(err, errlen, "--out %s: the path is too long; choose a shorter one", out);
		return -ENAMETOOLONG;
	}
	split_path(out, d);
	if (stat(d->parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "the parent of --out %s does not exist; create %s or "
			 "choose another directory", d->path, d->parent);
		return -ENOENT;
	}
	if (access(d->parent, W_OK | X_OK) != 0) {
		e = errno;
		snprintf(err, errlen, "cannot write in %s (%s); choose another --out", d->parent,
			 strerror(e));
		return -e;
	}
	if (lstat(d->path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--out %s exists and is not a directory; choose another path",
			 d->path);
		return -ENOTDIR;
	}
	snprintf(probe, sizeof(probe), "%s/report.json", d->path);
	/* an empty directory is fine to replace; anything else is not ours */
	if (access(probe, F_OK) != 0)
		snprintf(probe, sizeof(probe), "%s/record.txt", d->path);
	if (access(probe, F_OK) != 0 && !dir_is_empty(d->path)) {
		snprintf(err, errlen, "--out %s exists and holds no report.json, so it is not an "
			 "earlier opscope output; remove it or choose another path", d->path);
		return -EEXIST;
	}
	d->exists = true;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *path)
{
	if (*path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write one file of the output directory. */
static int write_file(const char *dir, const char *name, const struct report *r,
		      int (*writer)(const struct report *, FILE *), char *err, size_t errlen)
{
	char path[PATH_MAX + 64];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = writer(r, f);
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-rc));
	return rc;
}

/* --why: DIR/waitfor/<scenario>.svg (a '/' in the id becomes '_', as under stacks/), one
 * wait-for graph per scenario that has one. */
static int write_waitfor(struct outdir *d, const struct report *r, char *err, size_t errlen)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 300], tmp[PATH_MAX + 320], title[320];
	bool made = false;

	for (int i = 0; i < r->nscen; i++) {
		const struct scen_result *s = &r->scen[i];
		FILE *f;
		int rc;

		if (!s->wf)
			continue;
		snprintf(dir, sizeof(dir), "%s/waitfor", d->tmp);
		if (!made && mkdir(dir, 0755) && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
			return rc;
		}
		made = true;
		snprintf(path, sizeof(path), "%s/%s.svg", dir, s->sc.id);
		/* one file per scenario: "group/workers=4" -> "group_workers=4.svg" */
		for (char *q = path + strlen(dir) + 1; *q; q++)
			if (*q == '/')
				*q = '_';
		snprintf(title, sizeof(title), "opscope wait-for graph: %s", s->sc.id);
		f = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);
		if (!f)
			return -errno;
		rc = waitfor_write_svg(s->wf, title, f);
		rc = atomic_file_commit(f, tmp, path, rc, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Every file of the output, into the temp directory d->tmp. */
static int write_files(struct outdir *d, struct report *r, struct profile *prof,
		       const struct ex_trace *trace, char *err, size_t errlen)
{
	int rc;

	if (prof) {
		struct profile_stats ps;

		rc = profile_write(prof, d->tmp, err, errlen);
		if (rc)
			return rc;
		profile_get_stats(prof, &ps);
		r->coll.missing_stacks = ps.missing_stacks;
		r->coll.user_stacks = ps.user_stacks;
		r->coll.cut_stacks = ps.cut_stacks;
		r->coll.cut_frames = ps.cut_frames;
		r->coll.rooted_stacks = ps.rooted;
		r->coll.copies_missing = ps.copies_missing;
		r->coll.unwind_ms = ps.unwind_ms;
		r->coll.stack_files = ps.files;
		if (ps.short_user)
			cmd_warn("run", "%" PRIu64 " of %" PRIu64 " user stacks look cut short: a "
				 "library on them has neither unwind tables nor frame pointers",
				 ps.short_user, ps.user_seen);
	}
	if (trace) {
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/trace.json", d->tmp);
		rc = ex_trace_write_file(trace, path, err, errlen);
		if (rc)
			return rc;
	}
	rc = write_waitfor(d, r, err, errlen);
	if (!rc)
		rc = write_file(d->tmp, "report.json", r, report_write_json, err, errlen);
	if (!rc)
		rc = write_file(d->tmp, "report.txt", r, report_write_text, err, errlen);
	if (!rc)
		rc = write_file(d->tmp, "bench.txt", r, report_write_bench, err, errlen);
	rc = rc ? rc : report_write_html_dir(r, d->tmp, err, errlen);
	if (!rc && d->extra)
		rc = d->extra(d->tmp, d->extra_arg, err, errlen);
	return rc;
}

/*
 * Put the assembled d->tmp at d->path, replacing an earlier output: swapped atomically
 * where the file system can (the old one then sits at the temp path and is deleted),
 * else moved aside first and put back if the second rename fails.
 */
static int move_into_place(struct outdir *d, char *err, size_t errlen)
{
	char old[PATH_MAX + 32];
	int rc;

	if (!d->exists) {
		if (rename(d->tmp, d->path) != 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot rename %s to %s: %s", d->tmp, d->path,
				 strerror(-rc));
			return rc;
		}
		return 0;
	}
	if (syscall(SYS_renameat2, AT_FDCWD, d->tmp, AT_FDCWD, d->path,
		    2 /* RENAME_EXCHANGE */) == 0) {
		rm_tree(d->tmp);
		return 0;
	}
	/* no RENAME_EXCHANGE on this file system: move the old one aside first */
	snprintf(old, sizeof(old), "%s.old", d->tmp);
	if (rename(d->path, old) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot replace %s: %s", d->path, strerror(-rc));
		return rc;
	}
	if (rename(d->tmp, d->path) != 0) {
		rc = -errno;
		rename(old, d->path);
		snprintf(err, errlen, "cannot rename %s to %s: %s", d->tmp, d->path, strerror(-rc));
		return rc;
	}
	rm_tree(old);
	return 0;
}

int outdir_commit(struct outdir *d, struct report *r, struct profile *prof,
		  const struct ex_trace *trace, char *err, size_t errlen)
{
	const char *b = strrchr(d->path, '/');
	char base[PATH_MAX];
	int rc;

	snprintf(base, sizeof(base), "%s", b ? b + 1 : d->path);
	/* cannot overflow: outdir_check left room for the prefix and suffix */
	if (snprintf(d->tmp, sizeof(d->tmp), "%s/.%s.tmp-XXXXXX", d->parent, base) >=
	    (int)sizeof(d->tmp)) {
		rc = -ENAMETOOLONG;
	} else if (!mkdtemp(d->tmp)) {
		rc = -errno;
	} else {
		chmod(d->tmp, 0755);
		rc = 0;
	}
	if (rc) {
		snprintf(err, errlen, "cannot create a temp directory in %s: %s", d->parent,
			 strerror(-rc));
		d->tmp[0] = '\0';
		return rc;
	}
	rc = write_files(d, r, prof, trace, err, errlen);
	if (!rc)
		rc = move_into_place(d, err, errlen);
	if (rc)
		rm_tree(d->tmp);
	d->tmp[0] = '\0';
	return rc;
}
