// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The one way opscope reads and writes files (util/files.h): capped reads, one file
 * replaced whole through a temp file made with O_EXCL|O_NOFOLLOW, and directories
 * opscope wrote, known by their marker and removed only entry by entry as it lists them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "util/files.h"

#define MARKER_MAGIC "opscope-dir 1 "
#define MARKER_MAX (64u << 20)
#define WALK_MAX_DEPTH 32

void files_fmt_size(char *buf, size_t len, unsigned long long bytes)
{
	if (bytes >= (1ull << 30) && !(bytes % (1ull << 30)))
		snprintf(buf, len, "%llu GiB", bytes >> 30);
	else if (bytes >= (1ull << 20) && !(bytes % (1ull << 20)))
		snprintf(buf, len, "%llu MiB", bytes >> 20);
	else if (bytes >= (1ull << 10) && !(bytes % (1ull << 10)))
		snprintf(buf, len, "%llu KiB", bytes >> 10);
	else
		snprintf(buf, len, "%llu bytes", bytes);
}

static int too_big(const char *what, const char *path, unsigned long long cap, char *err,
		   size_t errlen)
{
	char c[32];

	files_fmt_size(c, sizeof(c), cap);
	snprintf(err, errlen, "%s %s is larger than %s, the most opscope reads of one; check "
		 "that it is the right file", what, path, c);
	return -EFBIG;
}

int files_read_all(const char *path, const char *what, unsigned long long cap, char **buf,
		   size_t *len, char *err, size_t errlen)
{
	bool std_in = !strcmp(path, "-");
	int fd = std_in ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0, bcap = 0;
	char *b = NULL;
	struct stat st;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s %s: %s; check the path", what, path,
			 strerror(-rc));
		return rc;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > cap) {
		close(fd);
		return too_big(what, path, cap, err, errlen);
	}
	for (;;) {
		ssize_t got;

		if (n + 1 >= bcap) {
			size_t nc = bcap ? bcap * 2 : 65536;
			char *t;

			if (nc > cap + 2)
				nc = cap + 2;
			t = realloc(b, nc);
			if (!t) {
				rc = -ENOMEM;
				snprintf(err, errlen, "out of memory reading %s %s", what, path);
				break;
			}
			b = t;
			bcap = nc;
		}
		got = read(fd, b + n, bcap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(-rc));
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > cap) {
			rc = too_big(what, path, cap, err, errlen);
			break;
		}
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

ssize_t files_getline(char **line, size_t *cap, FILE *in, size_t max)
{
	size_t n = 0;
	int c = EOF;

	while ((c = getc_unlocked(in)) != EOF) {
		if (n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			char *t = realloc(*line, nc);

			if (!t)
				return -ENOMEM;
			*line = t;
			*cap = nc;
		}
		(*line)[n++] = (char)c;
		if (c == '\n')
			break;
		if (n > max)
			return -EFBIG;
	}
	if (c == EOF && ferror(in))
		return -EIO;
	if (!n)
		return -1;
	(*line)[n] = '\0';
	return (ssize_t)n;
}

int files_split(const char *path, char *dir, size_t dirlen, char *base, size_t baselen)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;

	if (!*b || !strcmp(b, ".") || !strcmp(b, ".."))
		return -EISDIR;
	if (strlen(b) >= baselen || strlen(b) > NAME_MAX)
		return -ENAMETOOLONG;
	snprintf(base, baselen, "%s", b);
	if (!slash)
		return snprintf(dir, dirlen, ".") >= (int)dirlen ? -ENAMETOOLONG : 0;
	if (slash == path)
		return snprintf(dir, dirlen, "/") >= (int)dirlen ? -ENAMETOOLONG : 0;
	if ((size_t)(slash - path) >= dirlen)
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

int files_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Six random letters and digits for a temp name (the O_EXCL create is what is safe). */
static void random_suffix(char *s)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned counter;
	unsigned char r[6];
	struct timespec ts;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20) ^ counter++;

		for (int i = 0; i < 6; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
			r[i] = (unsigned char)(x >> 33);
	}
	for (int i = 0; i < 6; i++)
		s[i] = al[r[i] % (sizeof(al) - 1)];
	s[6] = '\0';
}

/* ".<base><tag>XXXXXX" in out, base shortened to fit NAME_MAX. */
static void temp_name(char *out, size_t len, const char *base, const char *tag)
{
	char sfx[8];
	int keep = (int)(NAME_MAX - 1 - strlen(tag) - 6);

	random_suffix(sfx);
	snprintf(out, len, ".%.*s%s%s", keep, base, tag, sfx);
}

/* 0 when name is absent or a regular file in dirfd; -EEXIST (err set) otherwise. */
static int check_replaceable(int dirfd, const char *name, const char *shown, char *err,
			     size_t errlen)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot check %s: %s", shown, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	snprintf(err, errlen, "%s exists and is %s; opscope replaces only regular files it can "
		 "write, never follows or replaces links: remove it or choose another path",
		 shown, S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ?
		 "a directory" : "not a regular file");
	return -EEXIST;
}

static bool bad_name(const char *name)
{
	return !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	       strlen(name) > NAME_MAX;
}

int afile_openat(struct afile *a, int dirfd, const char *name, const char *shown, char *err,
		 size_t errlen)
{
	int fd = -1, rc;

	memset(a, 0, sizeof(*a));
	a->dirfd = -1;
	snprintf(a->shown, sizeof(a->shown), "%s", shown ? shown : name);
	if (bad_name(name)) {
		snprintf(err, errlen, "%s is not a file name opscope can write", a->shown);
		return -EINVAL;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (a->dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", a->shown, strerror(-rc));
		return rc;
	}
	rc = check_replaceable(a->dirfd, name, a->shown, err, errlen);
	for (int tries = 0; !rc && fd < 0 && tries < 100; tries++) {
		temp_name(a->tmp, sizeof(a->tmp), name, ".part-");
		fd = openat(a->dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (!rc && fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a file next to %s: %s; check that the "
			 "directory exists and is writable", a->shown, strerror(-rc));
	}
	if (!rc) {
		a->f = fdopen(fd, "w");
		if (!a->f) {
			rc = -errno;
			close(fd);
			unlinkat(a->dirfd, a->tmp, 0);
			snprintf(err, errlen, "cannot write %s: %s", a->shown, strerror(-rc));
		}
	}
	if (rc) {
		close(a->dirfd);
		a->dirfd = -1;
	}
	return rc;
}

int afile_open(struct afile *a, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	int dfd, rc = files_split(path, dir, sizeof(dir), base, sizeof(base));

	memset(a, 0, sizeof(*a));
	a->dirfd = -1;
	if (rc) {
		snprintf(err, errlen, "%s is not a file path opscope can write: %s", path,
			 rc == -EISDIR ? "it names a directory" : strerror(-rc));
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: its directory %s: %s; create it or choose "
			 "another path", path, dir, strerror(-rc));
		return rc;
	}
	rc = afile_openat(a, dfd, base, path, err, errlen);
	close(dfd);
	return rc;
}

/* Flush, fsync and close f; rc stays the first error. *st: the file's identity. */
static int finish_stream(FILE *f, int rc, struct stat *st)
{
	/* keep the cause (ENOSPC, EDQUOT) when the final flush is what fails */
	if (fflush(f))
		rc = rc ? rc : -(errno ? errno : EIO);
	else if (ferror(f))
		rc = rc ? rc : -EIO;
	if (fstat(fileno(f), st))
		memset(st, 0, sizeof(*st));
	if (!rc && S_ISREG(st->st_mode) && fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -(errno ? errno : EIO);
	return rc;
}

/* The temp file tmp in dirfd is still the one with identity st. */
static bool same_file(int dirfd, const char *tmp, const struct stat *st)
{
	struct stat now;

	return !fstatat(dirfd, tmp, &now, AT_SYMLINK_NOFOLLOW) && S_ISREG(now.st_mode) &&
	       now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* Rename tmp over name in dirfd when rc is 0, else remove it; message for shown. */
static int commit_at(int dirfd, const char *tmp, const char *name, const struct stat *st,
		     int rc, const char *shown, char *err, size_t errlen)
{
	struct statvfs vfs;
	char why[256] = "";

	if (!rc && !same_file(dirfd, tmp, st)) {
		rc = -ESTALE;
		snprintf(why, sizeof(why), "its temp file %s was moved or replaced while opscope "
			 "wrote it", tmp);
	}
	if (!rc)
		rc = check_replaceable(dirfd, name, shown, err, errlen);
	if (rc == -EEXIST)
		goto out;
	if (!rc && renameat(dirfd, tmp, dirfd, name))
		rc = -errno;
	if (!rc && fsync(dirfd) && errno != EINVAL)
		rc = -errno;
	/* a writer's -EIO hides the cause: a file system without room is the common one */
	if (rc == -EIO && !fstatvfs(dirfd, &vfs) && !vfs.f_bavail)
		rc = -ENOSPC;
	if (rc && *why)
		snprintf(err, errlen, "cannot write %s: %s", shown, why);
	else if (rc)
		snprintf(err, errlen, "cannot write %s: %s; check free space and permissions",
			 shown, strerror(-rc));
out:
	if (rc && same_file(dirfd, tmp, st))
		unlinkat(dirfd, tmp, 0);
	return rc;
}

int afile_commit(struct afile *a, int rc, char *err, size_t errlen)
{
	struct stat st;

	rc = finish_stream(a->f, rc, &st);
	a->f = NULL;
	rc = commit_at(a->dirfd, a->tmp, a->name, &st, rc, a->shown, err, errlen);
	close(a->dirfd);
	a->dirfd = -1;
	return rc;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	if (a->dirfd >= 0) {
		unlinkat(a->dirfd, a->tmp, 0);
		close(a->dirfd);
	}
	a->dirfd = -1;
}

FILE *atomic_file_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1];
	struct afile a;
	int rc = afile_open(&a, path, err, errlen);

	if (rc) {
		errno = -rc;
		return NULL;
	}
	files_split(path, dir, sizeof(dir), base, sizeof(base));
	if (snprintf(tmp, tmplen, "%s/%s", dir, a.tmp) >= (int)tmplen) {
		afile_abort(&a);
		snprintf(err, errlen, "cannot write %s: the path is too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	close(a.dirfd);
	return a.f;
}

int atomic_file_commit(FILE *out, const char *tmp, const char *path, int rc, char *err,
		       size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], tdir[PATH_MAX], tbase[NAME_MAX + 1];
	struct stat st;
	int dfd, e;

	rc = finish_stream(out, rc, &st);
	e = files_split(path, dir, sizeof(dir), base, sizeof(base));
	if (!e)
		e = files_split(tmp, tdir, sizeof(tdir), tbase, sizeof(tbase));
	dfd = e ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = rc ? rc : e ? e : -errno;
		snprintf(err, errlen, "cannot write %s: %s; check free space and permissions",
			 path, strerror(-rc));
		return rc;
	}
	rc = commit_at(dfd, tbase, base, &st, rc, path, err, errlen);
	close(dfd);
	return rc;
}

int files_mkdirat(int dirfd, const char *name, mode_t mode)
{
	int fd;

	if (mkdirat(dirfd, name, mode) && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	return fd;
}

/* ---- manifests -------------------------------------------------------------------- */

/* Sorted entries "d REL" and "f REL". */
struct files_manifest {
	char **v;
	size_t n, cap;
};

void files_manifest_free(struct files_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	free(m);
}

static int man_add(struct files_manifest *m, char type, const char *rel)
{
	size_t n = strlen(rel);
	char *e;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		char **t = realloc(m->v, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		m->v = t;
		m->cap = cap;
	}
	e = malloc(n + 3);
	if (!e)
		return -ENOMEM;
	e[0] = type;
	e[1] = ' ';
	memcpy(e + 2, rel, n + 1);
	m->v[m->n++] = e;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void man_sort(struct files_manifest *m)
{
	if (m->n) /* v is NULL when empty, and qsort wants a real array */
		qsort(m->v, m->n, sizeof(*m->v), str_cmp);
}

static bool man_has(const struct files_manifest *m, char type, const char *rel)
{
	char key[PATH_MAX + 4];
	const char *k = key;

	if (!m || snprintf(key, sizeof(key), "%c %s", type, rel) >= (int)sizeof(key))
		return false;
	return m->n && bsearch(&k, m->v, m->n, sizeof(*m->v), str_cmp) != NULL;
}

/* A relative path as opscope writes them: no "", ".", ".." component, no newline. */
static bool good_rel(const char *rel)
{
	const char *p = rel;

	if (!*rel || *rel == '/' || strchr(rel, '\n') || strlen(rel) >= PATH_MAX)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (!*p && p[-1] == '/')
			return false;
	}
	return true;
}

/* Parse marker text: the format line, then "d REL" / "f REL" lines. */
static int man_parse(char *text, struct files_manifest *m, char *kind, size_t kindlen)
{
	char *line = text, *nl = strchr(text, '\n');

	if (!nl || strncmp(text, MARKER_MAGIC, strlen(MARKER_MAGIC)))
		return -EINVAL;
	*nl = '\0';
	if (kind)
		snprintf(kind, kindlen, "%s", text + strlen(MARKER_MAGIC));
	for (line = nl + 1; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return -EINVAL;
		*nl = '\0';
		if ((line[0] != 'd' && line[0] != 'f') || line[1] != ' ' || !good_rel(line + 2))
			return -EINVAL;
		if (man_add(m, line[0], line + 2))
			return -ENOMEM;
	}
	man_sort(m);
	return 0;
}

int files_manifest_load(int dirfd, struct files_manifest **out, char *kind, size_t kindlen)
{
	int fd = openat(dirfd, FILES_MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct files_manifest *m;
	char *text = NULL;
	struct stat st;
	ssize_t got;
	int rc;

	*out = NULL;
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MARKER_MAX ||
	    !(text = malloc((size_t)st.st_size + 1))) {
		rc = text || !S_ISREG(st.st_mode) || st.st_size > MARKER_MAX ? -EINVAL : -ENOMEM;
		close(fd);
		return rc;
	}
	got = pread(fd, text, (size_t)st.st_size, 0);
	close(fd);
	m = calloc(1, sizeof(*m));
	if (got != st.st_size || !m) {
		free(text);
		free(m);
		return m ? -EIO : -ENOMEM;
	}
	text[got] = '\0';
	rc = strlen(text) == (size_t)got ? man_parse(text, m, kind, kindlen) : -EINVAL;
	free(text);
	if (rc) {
		files_manifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* ---- walking a tree, one O_NOFOLLOW component at a time --------------------------- */

enum walk_mode { W_COLLECT, W_STRAYS, W_REMOVE };

struct walk {
	enum walk_mode mode;
	const struct files_manifest *m; /* W_STRAYS, W_REMOVE */
	bool all;                       /* W_REMOVE: everything (a staging directory) */
	bool strict;                    /* W_COLLECT: a link or special file is an error */
	bool sync;                      /* W_COLLECT: fsync every directory */
	bool (*keep)(const char *rel, bool dir);
	struct files_manifest *out;     /* W_COLLECT */
	int count;                      /* strays, or entries left */
	char *first;
	size_t firstlen;
};

static int walk_dir(struct walk *w, int dfd, char *rel, size_t rlen, int depth);

/* One entry of a directory: what the mode does with it. */
static int walk_entry(struct walk *w, int dfd, const char *name, char *rel, size_t rlen,
		      int depth)
{
	size_t n = strlen(name);
	struct stat st;
	char type;
	int rc = 0;

	if (rlen + n + 2 >= PATH_MAX)
		return -ENAMETOOLONG;
	if (rlen)
		rel[rlen++] = '/';
	memcpy(rel + rlen, name, n + 1);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	type = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : '?';
	if (w->mode == W_COLLECT) {
		if (type == '?' || !good_rel(rel))
			return w->strict ? -ELOOP : 0;
		if (w->keep && !w->keep(rel, type == 'd'))
			return 0;
		rc = man_add(w->out, type, rel);
	} else if (!(w->all || man_has(w->m, type, rel))) {
		if (!w->count++ && w->first)
			snprintf(w->first, w->firstlen, "%s", rel);
		return 0;
	} else if (w->mode == W_REMOVE && type != 'd') {
		if (unlinkat(dfd, name, 0) && errno != ENOENT)
			w->count++;
		return 0;
	}
	if (!rc && type == 'd') {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub < 0)
			return errno == ENOENT && w->mode == W_REMOVE ? 0 : -errno;
		rc = walk_dir(w, sub, rel, rlen + n, depth + 1);
		if (!rc && w->sync && fsync(sub) && errno != EINVAL)
			rc = -errno;
		close(sub);
		if (!rc && w->mode == W_REMOVE && unlinkat(dfd, name, AT_REMOVEDIR) &&
		    errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
			w->count++;
	}
	return rc;
}

/* Every entry of dfd (closed by the caller) but the marker at the top. */
static int walk_dir(struct walk *w, int dfd, char *rel, size_t rlen, int depth)
{
	/* a new open file: a dup would share (and move) the caller's directory position */
	int fd, rc = 0;
	struct dirent *de;
	DIR *d;

	if (depth > WALK_MAX_DEPTH)
		return -ELOOP;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	errno = 0;
	while (!rc && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!depth && !strcmp(de->d_name, FILES_MARKER))
			continue;
		rc = walk_entry(w, dfd, de->d_name, rel, rlen, depth);
		rel[rlen] = '\0';
		errno = 0;
	}
	if (!rc && errno)
		rc = -errno;
	closedir(d);
	return rc;
}

static int walk_top(struct walk *w, int dirfd)
{
	char rel[PATH_MAX] = "";

	return walk_dir(w, dirfd, rel, 0, 0);
}

int files_manifest_scan(int dirfd, bool (*keep)(const char *rel, bool dir),
			struct files_manifest **out)
{
	struct walk w = { .mode = W_COLLECT, .keep = keep };
	int rc;

	*out = NULL;
	w.out = calloc(1, sizeof(*w.out));
	if (!w.out)
		return -ENOMEM;
	rc = walk_top(&w, dirfd);
	if (rc) {
		files_manifest_free(w.out);
		return rc;
	}
	man_sort(w.out);
	*out = w.out;
	return 0;
}

int files_tree_strays(int dirfd, const struct files_manifest *m, char *first, size_t len)
{
	struct walk w = { .mode = W_STRAYS, .m = m, .first = first, .firstlen = len };
	int rc;

	if (first && len)
		first[0] = '\0';
	rc = walk_top(&w, dirfd);
	return rc ? rc : w.count;
}

/* The marker of kind listing m's entries, written atomically in dirfd. */
static int write_marker(int dirfd, const char *kind, const struct files_manifest *m,
			char *err, size_t errlen)
{
	struct afile a;
	int rc = afile_openat(&a, dirfd, FILES_MARKER, NULL, err, errlen);

	if (rc)
		return rc;
	fprintf(a.f, "%s%s\n", MARKER_MAGIC, kind);
	for (size_t i = 0; m && i < m->n; i++)
		fprintf(a.f, "%s\n", m->v[i]);
	return afile_commit(&a, 0, err, errlen);
}

int files_tree_mark(int dirfd, const char *kind, char *err, size_t errlen)
{
	struct walk w = { .mode = W_COLLECT, .strict = true, .sync = true };
	int rc;

	w.out = calloc(1, sizeof(*w.out));
	if (!w.out) {
		snprintf(err, errlen, "out of memory listing the files written");
		return -ENOMEM;
	}
	rc = walk_top(&w, dirfd);
	if (rc) {
		snprintf(err, errlen, "cannot list the files written: %s%s", strerror(-rc),
			 rc == -ELOOP ? " (a link or special file appeared among them)" : "");
	} else {
		man_sort(w.out);
		rc = write_marker(dirfd, kind, w.out, err, errlen);
	}
	files_manifest_free(w.out);
	return rc;
}

int files_tree_remove(int parentfd, const char *name, const struct files_manifest *m)
{
	struct walk w = { .mode = W_REMOVE, .m = m };
	struct files_manifest *own = NULL;
	char kind[32] = "";
	int fd, rc;

	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!m) {
		rc = files_manifest_load(fd, &own, kind, sizeof(kind));
		if (rc) {
			close(fd);
			return rc;
		}
		w.m = own;
		w.all = !strcmp(kind, FILES_KIND_STAGING);
	}
	rc = walk_top(&w, fd);
	if (!rc && !w.count) {
		unlinkat(fd, FILES_MARKER, 0);
		if (unlinkat(parentfd, name, AT_REMOVEDIR) && errno != ENOENT)
			w.count = 1;
	}
	close(fd);
	files_manifest_free(own);
	return rc ? rc : w.count;
}

int afile_open_beneath(struct afile *a, const char *root, const char *rel, char *err,
		       size_t errlen)
{
	char shown[PATH_MAX], part[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	int fd, rc = 0;

	memset(a, 0, sizeof(*a));
	a->dirfd = -1;
	snprintf(shown, sizeof(shown), "%s/%s", root, rel);
	if (!good_rel(rel) || strlen(rel) >= sizeof(part)) {
		snprintf(err, errlen, "%s is not a file path opscope can write", shown);
		return -EINVAL;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(part, sizeof(part), "%.*s", slash ? (int)(slash - rel) : 0, rel);
	for (char *p = part, *e; fd >= 0 && *p; p = e) {
		int sub;

		e = p + strcspn(p, "/");
		if (*e)
			*e++ = '\0';
		sub = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = sub;
	}
	if (fd < 0) {
		rc = errno == ELOOP ? -ENOTDIR : -errno;
		snprintf(err, errlen, "cannot write %s: %s%s", shown, strerror(-rc),
			 rc == -ENOTDIR ? " (opscope writes only through real directories, "
			 "not links)" : "");
		return rc;
	}
	rc = afile_openat(a, fd, slash ? slash + 1 : rel, shown, err, errlen);
	close(fd);
	return rc;
}

int files_tree_note(const char *root, const char *rel)
{
	char kind[32] = "", err[256], sub[PATH_MAX] = "";
	struct files_manifest *m = NULL;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
	bool added = false;

	if (fd < 0)
		return -errno;
	/* one note at a time: the marker is read, extended and written again */
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	rc = files_manifest_load(fd, &m, kind, sizeof(kind));
	if (rc == -ENOENT || rc == -EINVAL || (!rc && !strcmp(kind, FILES_KIND_STAGING))) {
		/* not a directory opscope marked: nothing to list */
		files_manifest_free(m);
		m = NULL;
		rc = 0;
	} else if (!rc && (!good_rel(rel) ||
			   snprintf(sub, sizeof(sub), "%s", rel) >= (int)sizeof(sub))) {
		rc = -EINVAL;
	}
	/* each directory of rel, then rel itself; sorted after each add for man_has */
	for (size_t i = 0; m && !rc && sub[i]; i++) {
		if (sub[i] != '/')
			continue;
		sub[i] = '\0';
		if (!man_has(m, 'd', sub) && !(rc = man_add(m, 'd', sub))) {
			man_sort(m);
			added = true;
		}
		sub[i] = '/';
	}
	if (m && !rc && !man_has(m, 'f', sub) && !(rc = man_add(m, 'f', sub)))
		added = true;
	if (!rc && added) {
		man_sort(m);
		rc = write_marker(fd, kind, m, err, sizeof(err));
	}
	files_manifest_free(m);
	close(fd);
	return rc;
}

/* ---- staging directories and the swap --------------------------------------------- */

int files_staging_new(int parentfd, const char *base, char *name, size_t namelen)
{
	char err[256];
	int fd = -1, rc;

	for (int tries = 0; tries < 100; tries++) {
		temp_name(name, namelen, base, ".tmp-");
		if (!mkdirat(parentfd, name, 0700))
			break;
		if (errno != EEXIST)
			return -errno;
		name[0] = '\0';
	}
	if (!name[0])
		return -EEXIST;
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		unlinkat(parentfd, name, AT_REMOVEDIR);
		return rc;
	}
	/* lock first: a concurrent files_staging_clean skips a locked directory */
	rc = flock(fd, LOCK_EX | LOCK_NB) ? -errno : 0;
	if (!rc && fchmod(fd, 0755))
		rc = -errno;
	if (!rc)
		rc = write_marker(fd, FILES_KIND_STAGING, NULL, err, sizeof(err));
	if (rc) {
		close(fd);
		unlinkat(parentfd, name, AT_REMOVEDIR);
		return rc;
	}
	return fd;
}

int files_staging_clean(int parentfd, const char *base)
{
	char prefix[NAME_MAX + 1];
	int pfd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), removed = 0;
	size_t plen;
	struct dirent *de;
	DIR *d;

	/* the prefix temp_name makes: ".<base, shortened>.tmp-" */
	temp_name(prefix, sizeof(prefix), base, ".tmp-");
	plen = strlen(prefix) - 6;
	if (pfd < 0)
		return 0;
	d = fdopendir(pfd);
	if (!d) {
		close(pfd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int fd;

		if (strncmp(de->d_name, prefix, plen) || strlen(de->d_name) != plen + 6)
			continue;
		fd = openat(parentfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* locked: an opscope that is still writing it */
		if (!fstat(fd, &st) && st.st_uid == geteuid() && !flock(fd, LOCK_EX | LOCK_NB) &&
		    files_tree_remove(parentfd, de->d_name, NULL) == 0)
			removed++;
		close(fd);
	}
	closedir(d);
	return removed;
}

int files_swap_in(int parentfd, const char *tmpname, const char *name, bool replace)
{
	int rc = renameat2(parentfd, tmpname, parentfd, name,
			   replace ? RENAME_EXCHANGE : RENAME_NOREPLACE) ? -errno : 0;

	if (rc == -ENOSYS)
		rc = -EINVAL;
	if (!rc && fsync(parentfd) && errno != EINVAL)
		rc = -errno;
	return rc;
}
