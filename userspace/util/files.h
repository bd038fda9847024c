/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * How opscope reads and writes files: the one way every reader and writer uses (prefixes
 * files_, afile_, atomic_file_; docs/ARCHITECTURE.md, "Files", says what it promises).
 *
 * - One file: written into a temp file made with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC next
 *   to it (openat on the directory), complete and fsync'd, then renamed over the target,
 *   and the directory fsync'd. A target that is not a regular file (a symbolic link, a
 *   directory, a device) is refused, never replaced or followed. A failure removes the
 *   temp file and leaves the target as it was.
 * - A directory of files (a run's output, a baseline): assembled in a temp directory, then
 *   put in place by one rename (renameat2 RENAME_EXCHANGE when replacing). Such a
 *   directory is opscope's when it holds the marker file FILES_MARKER that opscope wrote:
 *   a format line and the list of every file and directory it wrote there. Only listed
 *   entries are ever removed, walked with O_NOFOLLOW one component at a time; anything
 *   else makes opscope refuse to replace the directory.
 * - Inputs are read with a size cap (FILES_MAX_*) and fail with one sentence beyond it.
 *
 * Functions return 0 or -errno; with err they also write one sentence naming the path.
 */
#ifndef OPSCOPE_FILES_H
#define OPSCOPE_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Input caps: what opscope reads at most, so that /dev/zero cannot take the machine. */
#define FILES_MAX_SUITE (4ull << 20)     /* a suite file */
#define FILES_MAX_JSON (256ull << 20)    /* report.json, meta.json, compare's inputs */
#define FILES_MAX_HISTORY (256ull << 20) /* the JSON Lines history */
#define FILES_MAX_FOLDED (1ull << 30)    /* one folded stacks file */
#define FILES_MAX_LINE (4ull << 20)      /* one line of a folded or history file */

/* The marker of a directory opscope wrote, and the kinds its format line names. */
#define FILES_MARKER ".opscope-dir"
#define FILES_KIND_OUTPUT "output"     /* run --out, record -o */
#define FILES_KIND_BASELINE "baseline" /* baseline save */
#define FILES_KIND_STAGING "staging"   /* being assembled; removed whole when abandoned */

/* "1.0 MiB", "256 MiB": a cap in words for messages. */
void files_fmt_size(char *buf, size_t len, unsigned long long bytes);

/*
 * Read all of path ("-": standard input) into a NUL-terminated buffer (*buf, free it),
 * at most cap bytes. what names the file in the sentence ("suite file"). -EFBIG beyond
 * the cap, -errno for open and read errors.
 */
int files_read_all(const char *path, const char *what, unsigned long long cap, char **buf,
		   size_t *len, char *err, size_t errlen);

/*
 * getline with a limit: returns the line's length (newline kept), -1 at the end of input,
 * -EFBIG for a line longer than max (the rest of it is not read) and -EIO on read errors.
 */
ssize_t files_getline(char **line, size_t *cap, FILE *in, size_t max);

/* Split path into its directory ("." when none) and its last component. -ENAMETOOLONG,
 * or -EISDIR when the last component is empty, "." or "..". */
int files_split(const char *path, char *dir, size_t dirlen, char *base, size_t baselen);

/* ---- one file, replaced whole ----------------------------------------------------- */

struct afile {
	FILE *f;                  /* write here */
	int dirfd;                /* the directory it goes into (owned) */
	char name[NAME_MAX + 1];  /* final name in dirfd */
	char tmp[NAME_MAX + 1];   /* the temp file's name in dirfd */
	char shown[PATH_MAX];     /* the path for messages */
};

/*
 * Start writing name in the directory dirfd (dirfd is duplicated; shown is the path for
 * messages, NULL: name). Refuses a name that exists and is not a regular file.
 */
int afile_openat(struct afile *a, int dirfd, const char *name, const char *shown, char *err,
		 size_t errlen);
/* The same for a path: its directory is opened as given (links in it are the user's). */
int afile_open(struct afile *a, const char *path, char *err, size_t errlen);
/*
 * Finish: rc is the writer's own result. When rc is 0 and every byte reached the disk
 * (flush, fsync), rename the temp file over the target and fsync the directory;
 * otherwise remove the temp file. Returns the first error; the afile is closed either way.
 */
int afile_commit(struct afile *a, int rc, char *err, size_t errlen);
/* Give up: remove the temp file. */
void afile_abort(struct afile *a);

/*
 * afile_openat for rel, a file path below the directory root (a path the user named):
 * each directory of rel is opened with O_NOFOLLOW, so a link there is refused, never
 * followed. For files opscope adds to its own output directories afterwards (compare's
 * differential flame graphs); files_tree_note then lists the file in root's marker.
 */
int afile_open_beneath(struct afile *a, const char *root, const char *rel, char *err,
		       size_t errlen);
/* List the file rel (and its directories) in the marker of root, when opscope marked
 * root (an output or a baseline); nothing otherwise. 0 or -errno. */
int files_tree_note(const char *root, const char *rel);

/*
 * The same with only a FILE * between the calls (every writer of the stacks and CI
 * files uses these). tmp receives the temp file's path; atomic_file_commit takes the
 * writer's result rc, and renames only when the temp file still is the one it made.
 */
FILE *atomic_file_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
int atomic_file_commit(FILE *out, const char *tmp, const char *path, int rc, char *err,
		       size_t errlen);

/* Write a whole buffer to fd (retrying short writes and EINTR). 0 or -errno. */
int files_write_full(int fd, const void *buf, size_t len);

/* ---- directories opscope wrote ---------------------------------------------------- */

/*
 * mkdirat(dirfd, name) that accepts an existing real directory but never a symbolic link
 * (or anything else) in its place; returns an O_DIRECTORY|O_NOFOLLOW fd of it, or -errno.
 */
int files_mkdirat(int dirfd, const char *name, mode_t mode);

/* A directory's list of what opscope wrote in it. */
struct files_manifest;

/*
 * Read dirfd's marker. -ENOENT when there is none, -EINVAL when it is not opscope's
 * (format line), or -ENOMEM. kind (may be NULL) receives the kind it names.
 */
int files_manifest_load(int dirfd, struct files_manifest **m, char *kind, size_t kindlen);
/*
 * A manifest of what dirfd holds now, keeping the entries keep() accepts (rel: the path
 * below dirfd; dir: a directory) and those below accepted directories; keep NULL: all.
 * For directories opscope wrote before markers existed (legacy baselines).
 */
int files_manifest_scan(int dirfd, bool (*keep)(const char *rel, bool dir),
			struct files_manifest **m);
void files_manifest_free(struct files_manifest *m);

/*
 * Entries under dirfd that m does not list (symbolic links never are): their number,
 * and the first one's path in first. Negative -errno when the walk fails.
 */
int files_tree_strays(int dirfd, const struct files_manifest *m, char *first, size_t len);

/*
 * Write dirfd's marker of the given kind, listing every file and directory now under it
 * (a symbolic link or other special file there is an error: opscope never makes them),
 * then fsync every directory of the tree. 0 or -errno (err set).
 */
int files_tree_mark(int dirfd, const char *kind, char *err, size_t errlen);

/*
 * Remove the directory name in parentfd: the entries its manifest m lists (m NULL: load
 * its marker; a staging directory is removed whole), then the marker and the directory.
 * Never follows a link; never removes what is not listed. Returns the number of entries
 * left behind (0: gone), or -errno.
 */
int files_tree_remove(int parentfd, const char *name, const struct files_manifest *m);

/*
 * Make a staging directory ".<base>.tmp-XXXXXX" in parentfd (mode 0755), marked staging
 * and locked (flock) for as long as the returned fd is open. name receives its name.
 * Returns the fd or -errno.
 */
int files_staging_new(int parentfd, const char *base, char *name, size_t namelen);
/*
 * Remove staging directories of base that an earlier opscope left (killed while writing):
 * ".<base>.tmp-*" owned by this user, marked by opscope and not locked. Returns how many.
 */
int files_staging_clean(int parentfd, const char *base);

/*
 * Put the staging directory tmpname (in parentfd) at name: renameat2 RENAME_NOREPLACE
 * when name does not exist, RENAME_EXCHANGE when it does (the old one then sits at
 * tmpname). -EEXIST / -ENOENT when name appeared or went meanwhile; -EINVAL when the file
 * system cannot exchange atomically.
 */
int files_swap_in(int parentfd, const char *tmpname, const char *name, bool replace);

#endif
