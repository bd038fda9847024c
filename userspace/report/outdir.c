// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * An output directory (report/outdir.h): the checks made before the run, and the commit
 * after it that writes every file into a staging directory beside the target and puts it
 * in place (exchanged atomically with an earlier output, whose listed files then go),
 * through util/files.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "report/outdir.h"
#include "report/report.h"
#include "stacks/profile.h"
#include "stats/exemplar.h"
#include "stats/waitfor.h"
#include "util/diag.h"
#include "util/files.h"

/* d->path is out without trailing slashes; d->parent the directory that holds it. */
static int split_path(const char *out, struct outdir *d)
{
	char path[PATH_MAX];
	size_t n;

	if (snprintf(path, sizeof(path), "%s", out) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	snprintf(d->path, sizeof(d->path), "%s", path);
	return files_split(path, d->parent, sizeof(d->parent), d->base, sizeof(d->base));
}

/*
 * Whether the existing d->base may be replaced: empty, or an opscope output with nothing
 * unlisted in it. 0, or -errno with err set. d->exists tells whether it is there.
 */
static int check_target(struct outdir *d, char *err, size_t errlen)
{
	struct files_manifest *m = NULL;
	char kind[32] = "", stray[PATH_MAX];
	struct stat st;
	int fd, rc, n;

	d->exists = false;
	if (fstatat(d->parentfd, d->base, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	d->exists = true;
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "--out %s is a symbolic link; opscope does not write through "
			 "links it did not make: give the directory's own path", d->path);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--out %s exists and is not a directory; choose another path",
			 d->path);
		return -ENOTDIR;
	}
	fd = openat(d->parentfd, d->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read --out %s: %s", d->path, strerror(-rc));
		return rc;
	}
	/* an empty directory is fine to replace */
	n = files_tree_strays(fd, NULL, stray, sizeof(stray));
	rc = n <= 0 ? n : files_manifest_load(fd, &m, kind, sizeof(kind));
	if (rc == -ENOENT || rc == -EINVAL) {
		snprintf(err, errlen, "--out %s exists and was not written by opscope (it has %s "
			 "%s marker); remove it or choose another path", d->path,
			 rc == -ENOENT ? "no" : "a foreign", FILES_MARKER);
		rc = -EEXIST;
	} else if (!rc && m && strcmp(kind, FILES_KIND_OUTPUT)) {
		snprintf(err, errlen, "--out %s is an opscope %s, not an output directory; choose "
			 "another path", d->path, kind);
		rc = -EEXIST;
	} else if (!rc && m && (n = files_tree_strays(fd, m, stray, sizeof(stray))) != 0) {
		if (n > 0)
			snprintf(err, errlen, "--out %s holds %s, which opscope did not write; "
				 "move it out or choose another path", d->path, stray);
		rc = n > 0 ? -EEXIST : n;
	}
	if (rc < 0 && rc != -EEXIST)
		snprintf(err, errlen, "cannot read --out %s: %s", d->path, strerror(-rc));
	files_manifest_free(m);
	close(fd);
	return rc;
}

int outdir_check(const char *out, struct outdir *d, char *err, size_t errlen)
{
	int rc, cleaned;

	memset(d, 0, sizeof(*d));
	d->parentfd = d->tmpfd = -1;
	if (!*out) {
		snprintf(err, errlen, "--out is empty; give a directory path");
		return -EINVAL;
	}
	rc = split_path(out, d);
	if (rc) {
		snprintf(err, errlen, "--out %s: %s; choose another path", out,
			 rc == -EISDIR ? "not a directory name" : "the path is too long");
		return rc;
	}
	d->parentfd = open(d->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->parentfd < 0) {
		snprintf(err, errlen, "the parent of --out %s does not exist; create %s or "
			 "choose another directory", d->path, d->parent);
		return -ENOENT;
	}
	d->held = true;
	if (faccessat(d->parentfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write in %s (%s); choose another --out", d->parent,
			 strerror(-rc));
		outdir_release(d);
		return rc;
	}
	cleaned = files_staging_clean(d->parentfd, d->base);
	if (cleaned > 0)
		cmd_warn("output", "removed %d staging director%s an interrupted opscope left "
			 "beside %s", cleaned, cleaned == 1 ? "y" : "ies", d->path);
	rc = check_target(d, err, errlen);
	if (rc)
		outdir_release(d);
	return rc;
}

int outdir_begin(struct outdir *d, char *err, size_t errlen)
{
	int fd = files_staging_new(d->parentfd, d->base, d->tmpname, sizeof(d->tmpname));

	if (fd < 0) {
		snprintf(err, errlen, "cannot create a temp directory in %s: %s", d->parent,
			 strerror(-fd));
		d->tmpname[0] = '\0';
		return fd;
	}
	d->tmpfd = fd;
	snprintf(d->tmp, sizeof(d->tmp), "%s/%s", d->parent, d->tmpname);
	return 0;
}

void outdir_abort(struct outdir *d)
{
	if (d->tmpfd >= 0) {
		files_tree_remove(d->parentfd, d->tmpname, NULL);
		close(d->tmpfd);
	}
	d->tmpfd = -1;
	d->tmp[0] = d->tmpname[0] = '\0';
}

void outdir_release(struct outdir *d)
{
	if (!d->held)
		return;
	outdir_abort(d);
	close(d->parentfd);
	d->parentfd = -1;
	d->held = false;
}

/* The earlier output, now at d->tmpname: its listed files go, anything else stays. */
static void remove_old(struct outdir *d)
{
	int left = files_tree_remove(d->parentfd, d->tmpname, NULL);

	/* an empty directory has no marker: rmdir removes it only while it is empty */
	if (left == -ENOENT && !unlinkat(d->parentfd, d->tmpname, AT_REMOVEDIR))
		left = 0;
	if (left)
		cmd_warn("output", "kept %s: the earlier output held files opscope did not write "
			 "(moved there from %s)", d->tmp, d->path);
}

/* No RENAME_EXCHANGE on this file system: move the old one aside, then the new one in. */
static int swap_by_two_renames(struct outdir *d)
{
	char old[NAME_MAX + 1];
	int rc;

	snprintf(old, sizeof(old), "%.*s.old", NAME_MAX - 4, d->tmpname);
	if (renameat(d->parentfd, d->base, d->parentfd, old))
		return -errno;
	if (renameat(d->parentfd, d->tmpname, d->parentfd, d->base)) {
		rc = -errno;
		renameat(d->parentfd, old, d->parentfd, d->base);
		return rc;
	}
	/* the old output now sits at the temp name, as after an exchange */
	if (renameat(d->parentfd, old, d->parentfd, d->tmpname))
		return 0;
	fsync(d->parentfd);
	return 0;
}

int outdir_finish(struct outdir *d, char *err, size_t errlen)
{
	int rc = files_tree_mark(d->tmpfd, FILES_KIND_OUTPUT, err, errlen);

	for (int tries = 0; !rc && tries < 3; tries++) {
		/* checked again: the directory may have changed during a long run */
		rc = check_target(d, err, errlen);
		if (rc)
			break;
		rc = files_swap_in(d->parentfd, d->tmpname, d->base, d->exists);
		if (rc == -EINVAL && d->exists)
			rc = swap_by_two_renames(d);
		if (rc)
			snprintf(err, errlen, "cannot put the output in place at %s: %s%s", d->path,
				 strerror(-rc), rc == -EEXIST || rc == -ENOENT ?
				 " (it was made or removed meanwhile; try again)" : "");
		/* it appeared or went meanwhile: look again */
		if (rc != -EEXIST && rc != -ENOENT)
			break;
	}
	if (rc) {
		outdir_abort(d);
		return rc;
	}
	close(d->tmpfd);
	d->tmpfd = -1;
	if (d->exists)
		remove_old(d);
	d->tmp[0] = d->tmpname[0] = '\0';
	return 0;
}

/* Write one file of the output directory. */
static int write_file(struct outdir *d, const char *name, const struct report *r,
		      int (*writer)(const struct report *, FILE *), char *err, size_t errlen)
{
	char shown[PATH_MAX + NAME_MAX + 2];
	struct afile a;
	int rc;

	snprintf(shown, sizeof(shown), "%s/%s", d->path, name);
	rc = afile_openat(&a, d->tmpfd, name, shown, err, errlen);
	if (rc)
		return rc;
	return afile_commit(&a, writer(r, a.f), err, errlen);
}

/* --why: DIR/waitfor/<scenario>.svg (a '/' in the id becomes '_', as under stacks/), one
 * wait-for graph per scenario that has one. */
static int write_waitfor(struct outdir *d, const struct report *r, char *err, size_t errlen)
{
	char name[NAME_MAX + 1], shown[PATH_MAX + NAME_MAX + 16], title[320];
	int wfd = -1, rc = 0;

	for (int i = 0; i < r->nscen && !rc; i++) {
		const struct scen_result *s = &r->scen[i];
		struct afile a;

		if (!s->wf)
			continue;
		if (wfd < 0 && (wfd = files_mkdirat(d->tmpfd, "waitfor", 0755)) < 0) {
			rc = wfd;
			snprintf(err, errlen, "cannot create %s/waitfor: %s", d->path, strerror(-rc));
			return rc;
		}
		/* one file per scenario: "group/workers=4" -> "group_workers=4.svg" */
		snprintf(name, sizeof(name), "%.250s.svg", s->sc.id);
		for (char *q = name; *q; q++)
			if (*q == '/')
				*q = '_';
		snprintf(shown, sizeof(shown), "%s/waitfor/%s", d->path, name);
		snprintf(title, sizeof(title), "opscope wait-for graph: %s", s->sc.id);
		rc = afile_openat(&a, wfd, name, shown, err, errlen);
		if (!rc)
			rc = afile_commit(&a, waitfor_write_svg(s->wf, title, a.f), err, errlen);
	}
	if (wfd >= 0)
		close(wfd);
	return rc;
}

/* Every file of the output, into the staging directory. */
static int write_files(struct outdir *d, struct report *r, struct profile *prof,
		       const struct ex_trace *trace, char *err, size_t errlen)
{
	struct profile_stats ps;
	int rc;

	if (prof) {
		rc = profile_write(prof, d->tmp, err, errlen);
		if (rc)
			return rc;
		profile_get_stats(prof, &ps);
	}
	if (prof && r) {
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
		char path[sizeof(d->tmp) + 16];

		snprintf(path, sizeof(path), "%s/trace.json", d->tmp);
		rc = ex_trace_write_file(trace, path, err, errlen);
		if (rc)
			return rc;
	}
	rc = r ? write_waitfor(d, r, err, errlen) : 0;
	if (!rc && r)
		rc = write_file(d, "report.json", r, report_write_json, err, errlen);
	if (!rc && r)
		rc = write_file(d, "report.txt", r, report_write_text, err, errlen);
	if (!rc && r)
		rc = write_file(d, "bench.txt", r, report_write_bench, err, errlen);
	if (!rc && r)
		rc = report_write_html_dir(r, d->tmp, err, errlen);
	if (!rc && d->extra)
		rc = d->extra(d->tmp, d->extra_arg, err, errlen);
	return rc;
}

int outdir_commit(struct outdir *d, struct report *r, struct profile *prof,
		  const struct ex_trace *trace, char *err, size_t errlen)
{
	int rc = outdir_begin(d, err, errlen);

	if (rc)
		return rc;
	rc = write_files(d, r, prof, trace, err, errlen);
	if (rc) {
		outdir_abort(d);
		return rc;
	}
	return outdir_finish(d, err, errlen);
}
