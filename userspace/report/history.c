// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The run history: append run summaries (JSON Lines), print sparklines, write an offline
 * HTML page. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/diag.h"
#include "util/files.h"
#include "util/fmt.h"
#include "util/json.h"
#include "report/history.h"
#include "report/writers_ci.h"

static void put_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.10g", v);
	else
		fputs("null", f);
}

static bool kind_kept(const char *kind)
{
	/* kernel too: compare --history tests the breakdown per op against past runs */
	return !strcmp(kind, "throughput") || !strcmp(kind, "latency") ||
	       !strcmp(kind, "memory") || !strcmp(kind, "errors") || !strcmp(kind, "kernel");
}

/*
 * The existing history (fd, NULL-safe at -1) copied into out, checked to be an opscope
 * history; a last line an older opscope left cut gets its newline, so that it stays a
 * line of its own (readers skip it) and the new line is never joined to it.
 */
static int copy_history(int fd, FILE *out, const char *file, char *err, size_t errlen)
{
	static const char head[] = "{\"schema\": \"" HISTORY_SCHEMA "\"";
	char buf[65536], last = '\n';
	bool checked = false;
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read history file %s: %s", file,
				 strerror(errno));
			return -errno;
		}
		/* the first line must be one of ours: never append to someone else's file */
		for (size_t i = 0; !checked && i < (size_t)n; i++) {
			size_t k = (size_t)n - i;

			if (buf[i] == '\n' || buf[i] == ' ')
				continue;
			if (strncmp(buf + i, head, k < sizeof(head) - 1 ? k : sizeof(head) - 1)) {
				snprintf(err, errlen, "%s is not an opscope history file (its "
					 "first line is not a history line); choose another "
					 "--file", file);
				return -EINVAL;
			}
			checked = true;
		}
		fwrite(buf, 1, (size_t)n, out);
		last = buf[n - 1];
	}
	if (last != '\n')
		fputc('\n', out);
	return 0;
}

/*
 * Append one line by copy and rename, under a lock on the file's directory: the new
 * history is the old one plus the line, written to a temp file and fsync'd, then renamed
 * over the old one. A full disk or a crash leaves the old file whole, never a cut line
 * that the next append would join (a plain O_APPEND write can stop halfway at ENOSPC, and
 * truncating back cannot survive a crash in between). The price is one copy per append:
 * a year of nightly lines is a few megabytes.
 */
static int append_line(const char *file, const char *line, size_t len, char *err,
		       size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], cap[32];
	struct stat st = { 0 };
	struct afile a;
	int dfd, fd = -1, rc;

	rc = files_split(file, dir, sizeof(dir), base, sizeof(base));
	if (rc) {
		snprintf(err, errlen, "%s is not a history file name; choose --file", file);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open history file %s: %s (create its directory, "
			 "or choose --file)", file, strerror(-rc));
		return rc;
	}
	while (flock(dfd, LOCK_EX) && errno == EINTR)
		;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		rc = -errno;
		if (rc == -ELOOP)
			snprintf(err, errlen, "history file %s is a symbolic link; opscope does "
				 "not append through links it did not make: give the file's own "
				 "path", file);
		else
			snprintf(err, errlen, "cannot open history file %s: %s", file,
				 strerror(-rc));
	} else if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		snprintf(err, errlen, "history file %s is not a regular file; choose --file", file);
		rc = -EINVAL;
	} else if ((unsigned long long)st.st_size + len > FILES_MAX_HISTORY) {
		files_fmt_size(cap, sizeof(cap), FILES_MAX_HISTORY);
		snprintf(err, errlen, "history file %s would grow past %s, the most opscope reads; "
			 "start a new one with --file", file, cap);
		rc = -EFBIG;
	}
	if (!rc)
		rc = afile_openat(&a, dfd, base, file, err, errlen);
	if (!rc) {
		int e = copy_history(fd, a.f, file, err, errlen);

		fwrite(line, 1, len, a.f);
		/* the new file keeps the old one's mode and, as root, its owner */
		if (fd >= 0) {
			fchmod(fileno(a.f), st.st_mode & 07777);
			if (!geteuid() && fchown(fileno(a.f), st.st_uid, st.st_gid)) {
				/* then it stays root's: still a whole history */
			}
		}
		if (e)
			afile_abort(&a);
		rc = e ? e : afile_commit(&a, 0, err, errlen);
		if (rc && !e)
			snprintf(err + strlen(err), errlen - strlen(err), "; %s was left as it was",
				 file);
	}
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

int history_append(const char *file, const struct cmp_report *r, const char *label, char *err,
		   size_t errlen)
{
	const struct json_value *env = json_get(r->root, "environment");
	const struct json_value *sc = json_get(r->root, "scenarios");
	static const char *const env_keys[] = { "hostname", "kernel_release", "cpu_model",
						"governor" };
	char when[32], abs[PATH_MAX];
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	int rc;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ci_now_rfc3339(when, sizeof(when));
	if (!realpath(r->path, abs))
		snprintf(abs, sizeof(abs), "%s", r->path);
	fprintf(m, "{\"schema\": \"%s\", \"version\": 1, \"created\": ", HISTORY_SCHEMA);
	json_write_escaped(m, json_get_str(r->root, "created", when));
	fputs(", \"appended\": ", m);
	json_write_escaped(m, when);
	fputs(", \"label\": ", m);
	if (label)
		json_write_escaped(m, label);
	else
		fputs("null", m);
	fputs(", \"report\": ", m);
	json_write_escaped(m, abs);
	fputs(", \"environment\": {", m);
	for (size_t i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
		fprintf(m, "%s\"%s\": ", i ? ", " : "", env_keys[i]);
		json_write_escaped(m, json_get_str(env, env_keys[i], "unknown"));
	}
	fputs(", \"online_cpus\": ", m);
	put_num(m, json_get_num(env, "online_cpus", NAN));
	fprintf(m, "}, \"noisy\": %s, \"scenarios\": {", cmp_report_noisy(r) ? "true" : "false");
	for (size_t i = 0; i < json_len(sc); i++) {
		const struct json_value *s = json_at(sc, i), *ms = json_get(s, "metrics");
		bool first = true;

		fputs(i ? ", " : "", m);
		json_write_escaped(m, json_get_str(s, "id", "?"));
		fputs(": {\"status\": ", m);
		json_write_escaped(m, json_get_str(s, "status", "ok"));
		fputs(", \"metrics\": {", m);
		for (size_t j = 0; j < json_len(ms); j++) {
			const struct json_value *mm = json_at(ms, j);

			if (!kind_kept(json_get_str(mm, "kind", "")))
				continue;
			fputs(first ? "" : ", ", m);
			first = false;
			json_write_escaped(m, json_get_str(mm, "id", "?"));
			fputs(": {\"median\": ", m);
			put_num(m, json_get_num(mm, "median", NAN));
			fputs(", \"cv\": ", m);
			put_num(m, json_get_num(mm, "cv", NAN));
			fputs(", \"n\": ", m);
			put_num(m, json_get_num(mm, "n", NAN));
			fputs(", \"unit\": ", m);
			json_write_escaped(m, json_get_str(mm, "unit", ""));
			fputs(", \"kind\": ", m);
			json_write_escaped(m, json_get_str(mm, "kind", ""));
			fputs(", \"better\": ", m);
			json_write_escaped(m, json_get_str(mm, "better", "none"));
			fputs("}", m);
		}
		fputs("}}", m);
	}
	fputs("}}\n", m);
	if (fclose(m)) {
		free(line);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = append_line(file, line, len, err, errlen);
	free(line);
	return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

struct series {
	char *scenario, *metric;
	char unit[16];
	int better; /* +1 higher, -1 lower, 0 none */
	double *v;  /* one per run, NaN when missing */
};

struct run_info {
	char created[40];
	char label[80];
	char host[64];
	bool noisy; /* the run's own noise summary said so (report.json's noise.noisy) */
};

struct history {
	char file[PATH_MAX];
	struct run_info *runs;
	int nruns;
	struct series *ser;
	int nser, capser;
	int *hash; /* open addressing over ser indexes, -1 empty */
	int hcap;
};

static uint64_t fnv(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ 0x1f) * 1099511628211ull;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

static int grow_hash(struct history *h)
{
	int cap = h->hcap ? h->hcap * 2 : 1024;
	int *t = malloc((size_t)cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < cap; i++)
		t[i] = -1;
	for (int i = 0; i < h->nser; i++) {
		uint64_t k = fnv(h->ser[i].scenario, h->ser[i].metric) & (uint64_t)(cap - 1);

		while (t[k] >= 0)
			k = (k + 1) & (uint64_t)(cap - 1);
		t[k] = i;
	}
	free(h->hash);
	h->hash = t;
	h->hcap = cap;
	return 0;
}

/* The series of (scenario, metric), created on first use with nruns values, all NaN. */
static struct series *series_get(struct history *h, const char *sc, const char *metric,
				 int nruns)
{
	uint64_t k;

	if ((h->nser + 1) * 2 > h->hcap && grow_hash(h))
		return NULL;
	k = fnv(sc, metric) & (uint64_t)(h->hcap - 1);
	while (h->hash[k] >= 0) {
		struct series *s = &h->ser[h->hash[k]];

		if (!strcmp(s->scenario, sc) && !strcmp(s->metric, metric))
			return s;
		k = (k + 1) & (uint64_t)(h->hcap - 1);
	}
	if (h->nser == h->capser) {
		int cap = h->capser ? h->capser * 2 : 256;
		struct series *t = realloc(h->ser, (size_t)cap * sizeof(*t));

		if (!t)
			return NULL;
		h->ser = t;
		h->capser = cap;
	}
	struct series *s = &h->ser[h->nser];

	memset(s, 0, sizeof(*s));
	s->scenario = strdup(sc);
	s->metric = strdup(metric);
	s->v = malloc((size_t)(nruns ? nruns : 1) * sizeof(double));
	if (!s->scenario || !s->metric || !s->v) {
		free(s->scenario);
		free(s->metric);
		free(s->v);
		return NULL;
	}
	for (int i = 0; i < nruns; i++)
		s->v[i] = NAN;
	h->hash[k] = h->nser++;
	return s;
}

void history_free(struct history *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->nser; i++) {
		free(h->ser[i].scenario);
		free(h->ser[i].metric);
		free(h->ser[i].v);
	}
	free(h->ser);
	free(h->hash);
	free(h->runs);
	free(h);
}

int history_runs(const struct history *h)
{
	return h->nruns;
}

int history_series(const struct history *h)
{
	return h->nser;
}

int history_values(const struct history *h, const char *scenario, const char *metric,
		   const char *host, const char *const *skip, int nskip, bool quiet_only,
		   double *out)
{
	const struct series *s = NULL;
	int n = 0;

	if (h->hcap) {
		uint64_t k = fnv(scenario, metric) & (uint64_t)(h->hcap - 1);

		for (; h->hash[k] >= 0; k = (k + 1) & (uint64_t)(h->hcap - 1))
			if (!strcmp(h->ser[h->hash[k]].scenario, scenario) &&
			    !strcmp(h->ser[h->hash[k]].metric, metric)) {
				s = &h->ser[h->hash[k]];
				break;
			}
	}
	for (int i = 0; i < h->nruns; i++) {
		const struct run_info *ri = &h->runs[i];
		bool skipped = (host && strcmp(ri->host, host)) || (quiet_only && ri->noisy);

		for (int k = 0; k < nskip && !skipped; k++)
			skipped = skip[k] && !strcmp(ri->created, skip[k]);
		if (skipped)
			continue;
		out[n++] = s ? s->v[i] : NAN;
	}
	return n;
}

/* The non-empty lines of a history file, with their line numbers. */
struct lines {
	char **v;
	int *lineno;
	size_t n, cap;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->lineno);
}

static int lines_add(struct lines *l, const char *s, int lineno)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		char **t = realloc(l->v, cap * sizeof(*t));
		int *u;

		if (!t)
			return -ENOMEM;
		l->v = t;
		u = realloc(l->lineno, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		l->lineno = u;
		l->cap = cap;
	}
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -ENOMEM;
	l->lineno[l->n++] = lineno;
	return 0;
}

static int read_lines(const char *file, struct lines *l, char *err, size_t errlen)
{
	unsigned long long total = 0;
	char *buf = NULL, cap[32];
	size_t bcap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	FILE *f = fopen(file, "re");

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read history file %s: %s%s", file, strerror(-rc),
			 rc == -ENOENT ? " (append runs with: opscope history append RUNDIR)" : "");
		return rc;
	}
	while (!rc && (n = files_getline(&buf, &bcap, f, FILES_MAX_LINE)) >= 0) {
		lineno++;
		total += (unsigned long long)n;
		if (total > FILES_MAX_HISTORY) {
			files_fmt_size(cap, sizeof(cap), FILES_MAX_HISTORY);
			snprintf(err, errlen, "history file %s is larger than %s, the most opscope "
				 "reads; start a new one with --file", file, cap);
			rc = -EFBIG;
			break;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		/* a NUL byte cuts the line short: json_parse then calls it malformed */
		if (n && lines_add(l, buf, lineno)) {
			snprintf(err, errlen, "out of memory reading %s", file);
			rc = -ENOMEM;
		}
	}
	if (!rc && n == -EFBIG) {
		files_fmt_size(cap, sizeof(cap), FILES_MAX_LINE);
		snprintf(err, errlen, "history file %s:%d: a line longer than %s; this is not an "
			 "opscope history", file, lineno + 1, cap);
		rc = -EFBIG;
	} else if (!rc && n < -1) {
		rc = n == -ENOMEM ? -ENOMEM : -EIO;
		snprintf(err, errlen, "cannot read history file %s: %s", file, strerror(-rc));
	}
	free(buf);
	fclose(f);
	return rc;
}

/* One line's metrics into run `run` of every series. 0 or -ENOMEM. */
static int add_run_metrics(struct history *h, const struct json_value *sc, int run,
			   int maxruns)
{
	for (size_t k = 0; k < json_len(sc); k++) {
		const struct json_value *ms = json_get(json_at(sc, k), "metrics");

		/* json_key_at is NULL for an array of metrics: nothing to name them by */
		for (size_t j = 0; j < json_len(ms) && json_key_at(ms, j); j++) {
			const struct json_value *mm = json_at(ms, j);
			struct series *s = series_get(h, json_key_at(sc, k), json_key_at(ms, j),
						      maxruns);
			const char *better = json_get_str(mm, "better", "none");

			if (!s)
				return -ENOMEM;
			snprintf(s->unit, sizeof(s->unit), "%s", json_get_str(mm, "unit", ""));
			s->better = !strcmp(better, "higher") ? 1 : !strcmp(better, "lower") ? -1 : 0;
			s->v[run] = json_get_num(mm, "median", NAN);
		}
	}
	return 0;
}

/* Parse one line into the next run; a bad line is skipped with a warning. 0 or -ENOMEM. */
static int add_run(struct history *h, const char *line, const char *file, int lineno,
		   int maxruns)
{
	struct json_err je;
	struct json_doc *d = json_parse(line, strlen(line), 0, &je);
	const struct json_value *r = json_root(d), *sc;
	int run = h->nruns, rc;

	if (!d) {
		cmd_warn("history", "%s:%d:%d: skipped a malformed line: %s", file, lineno,
			 je.col, je.msg);
		return 0;
	}
	sc = json_get(r, "scenarios");
	if (strcmp(json_get_str(r, "schema", ""), HISTORY_SCHEMA) ||
	    json_get_num(r, "version", 0) != 1 || !json_is(sc, JSON_OBJECT)) {
		cmd_warn("history", "%s:%d: skipped: not an opscope history line of version 1",
			 file, lineno);
		json_doc_free(d);
		return 0;
	}
	snprintf(h->runs[run].created, sizeof(h->runs[run].created), "%s",
		 json_get_str(r, "created", "?"));
	snprintf(h->runs[run].label, sizeof(h->runs[run].label), "%s",
		 json_get_str(r, "label", ""));
	snprintf(h->runs[run].host, sizeof(h->runs[run].host), "%s",
		 json_get_str(json_get(r, "environment"), "hostname", ""));
	h->runs[run].noisy = json_bool(json_get(r, "noisy"));
	h->nruns++;
	rc = add_run_metrics(h, sc, run, maxruns);
	json_doc_free(d);
	return rc;
}

struct history *history_load(const char *file, int last, char *err, size_t errlen)
{
	struct lines l = { 0 };
	struct history *h = NULL;
	int first = 0, maxruns;

	/* keep the lines first: --last needs the count before parsing */
	if (read_lines(file, &l, err, errlen))
		goto fail;
	if (last > 0 && l.n > (size_t)last)
		first = (int)l.n - last;
	/* every series holds a slot per line that may become a run, NaN until filled */
	maxruns = (int)l.n - first;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto oom;
	snprintf(h->file, sizeof(h->file), "%s", file);
	h->runs = calloc(maxruns ? (size_t)maxruns : 1, sizeof(*h->runs));
	if (!h->runs)
		goto oom;
	for (size_t i = (size_t)first; i < l.n; i++)
		if (add_run(h, l.v[i], file, l.lineno[i], maxruns))
			goto oom;
	lines_free(&l);
	if (!h->nruns) {
		snprintf(err, errlen, "%s holds no readable runs; append some with: opscope "
			 "history append RUNDIR --file %s", file, file);
		history_free(h);
		return NULL;
	}
	return h;
oom:
	snprintf(err, errlen, "out of memory reading %s", file);
fail:
	lines_free(&l);
	history_free(h);
	return NULL;
}

/* ---- views ------------------------------------------------------------------------ */

static bool default_metric(const char *m)
{
	const char *slash = strrchr(m, '/');
	const char *name = slash ? slash + 1 : m;

	return !strcmp(m, "throughput") || !strcmp(m, "rss_peak_bytes") ||
	       !strcmp(name, "p50_ns") || !strcmp(name, "p99_ns");
}

static bool shown(const struct series *s, const struct history_filter *flt)
{
	if (flt && flt->scenario && !strstr(s->scenario, flt->scenario))
		return false;
	if (flt && flt->metric) {
		if (!strcmp(flt->metric, "all"))
			return true;
		return strstr(s->metric, flt->metric) != NULL;
	}
	return default_metric(s->metric);
}

char *history_sparkline(char *buf, size_t len, const double *v, int n)
{
	static const char *const bars[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					    "\u2585", "\u2586", "\u2587", "\u2588" };
	double lo = INFINITY, hi = -INFINITY;
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	buf[0] = '\0';
	for (int i = 0; i < n && off + 4 < len; i++) {
		const char *b = " ";

		if (!isnan(v[i])) {
			int k = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : 3;

			b = bars[k < 0 ? 0 : k > 7 ? 7 : k];
		}
		off += (size_t)snprintf(buf + off, len - off, "%s", b);
	}
	return buf;
}

static double last_value(const struct series *s, int n, int *idx)
{
	for (int i = n - 1; i >= 0; i--)
		if (!isnan(s->v[i])) {
			*idx = i;
			return s->v[i];
		}
	*idx = -1;
	return NAN;
}

#define SPARK_MAX 40

void history_print(FILE *f, const struct history *h, const struct history_filter *flt)
{
	const char *last_sc = NULL;
	int from = h->nruns > SPARK_MAX ? h->nruns - SPARK_MAX : 0;
	int nshown = 0;

	fprintf(f, "history %s: %d run%s, %s .. %s\n", h->file, h->nruns,
		h->nruns == 1 ? "" : "s", h->runs[0].created, h->runs[h->nruns - 1].created);
	if (from)
		fprintf(f, "(sparklines show the last %d runs)\n", SPARK_MAX);
	fprintf(f, "%-34s %-*s %10s %9s %9s\n", "SCENARIO / METRIC", h->nruns - from < 8 ? 8 :
		h->nruns - from, "TREND", "LAST", "VS PREV", "VS FIRST");
	for (int i = 0; i < h->nser; i++) {
		const struct series *s = &h->ser[i];
		char spark[SPARK_MAX * 4 + 8], val[32], dp[32], df[32];
		int li, pi, fi = -1;
		double lv, pv, fv = NAN;

		if (!shown(s, flt))
			continue;
		nshown++;
		if (!last_sc || strcmp(last_sc, s->scenario)) {
			fprintf(f, "%.100s\n", s->scenario);
			last_sc = s->scenario;
		}
		lv = last_value(s, h->nruns, &li);
		pv = li > 0 ? last_value(s, li, &pi) : NAN;
		for (int k = 0; k < h->nruns; k++)
			if (!isnan(s->v[k])) {
				fi = k;
				fv = s->v[k];
				break;
			}
		history_sparkline(spark, sizeof(spark), s->v + from, h->nruns - from);
		fmt_value(val, sizeof(val), lv, s->unit);
		fmt_delta_pct(dp, sizeof(dp), isnan(pv) || pv == 0 ? NAN :
			      (lv - pv) / fabs(pv) * 100);
		fmt_delta_pct(df, sizeof(df), fi < 0 || fi == li || fv == 0 ? NAN :
			      (lv - fv) / fabs(fv) * 100);
		fprintf(f, "  %-32.32s %s%*s %10s %9s %9s\n", s->metric, spark,
			(h->nruns - from < 8 ? 8 - (h->nruns - from) : 0), "", val, dp, df);
	}
	if (!nshown)
		fprintf(f, "no series match the filter (%d series in the file; --metric all "
			"shows every one)\n", h->nser);
}

/* One chart: a polyline per run of present values, a dot per run with a tooltip. */
static void svg_chart(FILE *f, const struct history *h, const struct series *s)
{
	const int W = 360, H = 150, L = 60, R = 10, T = 24, B = 26;
	double lo = INFINITY, hi = -INFINITY;
	char a[32], b[32], v[32];
	bool open = false;

	for (int i = 0; i < h->nruns; i++) {
		if (isnan(s->v[i]))
			continue;
		lo = fmin(lo, s->v[i]);
		hi = fmax(hi, s->v[i]);
	}
	if (!isfinite(lo)) {
		lo = 0;
		hi = 1;
	}
	/* the y range spans at least 20% of the values' size, so noise of a few percent
	 * does not fill the whole chart and look like a cliff */
	double span = 0.2 * fmax(fabs(hi), fabs(lo));

	if (hi - lo < span) {
		double mid = (hi + lo) / 2;

		bool nonneg = lo >= 0;

		hi = mid + span / 2;
		lo = mid - span / 2;
		if (nonneg && lo < 0) { /* values that cannot go negative keep a floor of 0 */
			hi -= lo;
			lo = 0;
		}
	}
	if (hi == lo) {
		hi += 1;
		lo -= 1;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\">", W, H, W, H);
	fputs("<text x=\"4\" y=\"15\" class=\"t\">", f);
	ci_xml_escape(f, s->metric);
	fprintf(f, "%s</text>", s->better > 0 ? " (higher is better)" : s->better < 0 ?
		" (lower is better)" : "");
	fmt_value(a, sizeof(a), hi, s->unit);
	fmt_value(b, sizeof(b), lo, s->unit);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"ax\"/>", L, T, L,
		H - B);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"ax\"/>", L, H - B,
		W - R, H - B);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"y\">", L - 4, T + 4);
	ci_xml_escape(f, a);
	fprintf(f, "</text><text x=\"%d\" y=\"%d\" class=\"y\">", L - 4, H - B);
	ci_xml_escape(f, b);
	fputs("</text>", f);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"x\">", L, H - 8);
	ci_xml_escape(f, h->runs[0].created);
	fprintf(f, "</text><text x=\"%d\" y=\"%d\" class=\"x e\">", W - R, H - 8);
	ci_xml_escape(f, h->runs[h->nruns - 1].created);
	fputs("</text>", f);
#define PX(i) (L + (h->nruns > 1 ? (double)(W - L - R) * (i) / (h->nruns - 1) : (W - L - R) / 2.0))
#define PY(x) (T + (double)(H - T - B) * (hi - (x)) / (hi - lo))
	for (int i = 0; i < h->nruns; i++) {
		if (isnan(s->v[i])) {
			if (open)
				fputs("\"/>", f);
			open = false;
			continue;
		}
		if (!open)
			fputs("<polyline class=\"l\" points=\"", f);
		fprintf(f, "%s%.1f,%.1f", open ? " " : "", PX(i), PY(s->v[i]));
		open = true;
	}
	if (open)
		fputs("\"/>", f);
	for (int i = 0; i < h->nruns; i++) {
		if (isnan(s->v[i]))
			continue;
		fmt_value(v, sizeof(v), s->v[i], s->unit);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>", PX(i),
			PY(s->v[i]));
		ci_xml_escape(f, h->runs[i].created);
		if (h->runs[i].label[0]) {
			fputs(" ", f);
			ci_xml_escape(f, h->runs[i].label);
		}
		fputs(": ", f);
		ci_xml_escape(f, v);
		fputs("</title></circle>", f);
	}
#undef PX
#undef PY
	fputs("</svg>\n", f);
}

void history_html(FILE *f, const struct history *h, const struct history_filter *flt)
{
	const char *last_sc = NULL;
	int sec = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>opscope history</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
	      "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\n"
	      ".g{display:flex;flex-wrap:wrap;gap:8px}\n"
	      "svg{border:1px solid #ddd;background:#fff}\n"
	      ".t{font-size:12px;font-weight:bold}\n"
	      ".y{font-size:10px;text-anchor:end;fill:#555}\n"
	      ".x{font-size:9px;fill:#777}.e{text-anchor:end}\n"
	      ".ax{stroke:#999;stroke-width:1}\n"
	      ".l{fill:none;stroke:#1f6fb4;stroke-width:1.5}\n"
	      "circle{fill:#1f6fb4}circle:hover{fill:#d33;r:4}\n"
	      "</style></head><body>\n<h1>opscope history</h1>\n<p>", f);
	ci_xml_escape(f, h->file);
	fprintf(f, ": %d run%s from ", h->nruns, h->nruns == 1 ? "" : "s");
	ci_xml_escape(f, h->runs[0].created);
	fputs(" to ", f);
	ci_xml_escape(f, h->runs[h->nruns - 1].created);
	fputs(". Each dot is one run's median over its repetitions; hover for the date.</p>\n"
	      "<ul>\n", f);
	for (int i = 0; i < h->nser; i++) {
		if (!shown(&h->ser[i], flt))
			continue;
		if (last_sc && !strcmp(last_sc, h->ser[i].scenario))
			continue;
		last_sc = h->ser[i].scenario;
		fprintf(f, "<li><a href=\"#s%d\">", sec++);
		ci_xml_escape(f, last_sc);
		fputs("</a></li>\n", f);
	}
	fputs("</ul>\n", f);
	last_sc = NULL;
	sec = 0;
	for (int i = 0; i < h->nser; i++) {
		const struct series *s = &h->ser[i];

		if (!shown(s, flt))
			continue;
		if (!last_sc || strcmp(last_sc, s->scenario)) {
			if (last_sc)
				fputs("</div>\n", f);
			fprintf(f, "<h2 id=\"s%d\">", sec++);
			ci_xml_escape(f, s->scenario);
			fputs("</h2>\n<div class=\"g\">\n", f);
			last_sc = s->scenario;
		}
		svg_chart(f, h, s);
	}
	if (last_sc)
		fputs("</div>\n", f);
	else
		fputs("<p>No series match the filter.</p>\n", f);
	fputs("</body></html>\n", f);
}

