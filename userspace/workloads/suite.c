// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Suite files and sweeps; see suite.h and docs/SUITES.md. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/files.h"
#include "workloads/params.h"
#include "workloads/suite.h"

#define DEF_REPS 3
#define DEF_WARMUP_NS 100000000ll    /* 100 ms */
#define DEF_DURATION_NS 500000000ll  /* 500 ms */
#define DEF_TIMEOUT_EXTRA_NS 10000000000ll /* 10 s beyond warm-up + duration */
#define MAX_REPS 1000

void run_settings_unset(struct run_settings *s)
{
	s->reps = -1;
	s->warmup_ns = -1;
	s->duration_ns = -1;
	s->timeout_ns = -1;
	s->max_ops = -1;
}

void run_settings_merge(struct run_settings *dst, const struct run_settings *over)
{
	if (over->reps >= 0)
		dst->reps = over->reps;
	if (over->warmup_ns >= 0)
		dst->warmup_ns = over->warmup_ns;
	/* a layer that sets max_ops and no duration asks for a count: an earlier layer's
	 * duration must not cut it (0: no duration limit; the timeout still applies) */
	if (over->max_ops > 0 && over->duration_ns < 0)
		dst->duration_ns = 0;
	if (over->duration_ns >= 0)
		dst->duration_ns = over->duration_ns;
	if (over->timeout_ns >= 0)
		dst->timeout_ns = over->timeout_ns;
	if (over->max_ops >= 0)
		dst->max_ops = over->max_ops;
}

void run_settings_resolve(struct run_settings *s)
{
	if (s->reps < 0)
		s->reps = DEF_REPS;
	if (s->warmup_ns < 0)
		s->warmup_ns = DEF_WARMUP_NS;
	if (s->duration_ns < 0)
		s->duration_ns = s->max_ops > 0 ? 0 : DEF_DURATION_NS;
	if (s->max_ops < 0)
		s->max_ops = 0;
	if (s->duration_ns == 0 && s->max_ops == 0) /* nothing else would end it */
		s->duration_ns = DEF_DURATION_NS;
	/* saturated: suite_expand refuses settings whose sum does not fit */
	if (s->timeout_ns < 0 &&
	    (__builtin_add_overflow(s->warmup_ns, s->duration_ns, &s->timeout_ns) ||
	     __builtin_add_overflow(s->timeout_ns, DEF_TIMEOUT_EXTRA_NS, &s->timeout_ns)))
		s->timeout_ns = INT64_MAX;
}

int run_settings_set(struct run_settings *s, const char *key, const char *text, char *err,
		     size_t errlen)
{
	int64_t v;
	int rc;

	if (strcmp(key, "reps") == 0) {
		rc = param_parse_int(text, &v);
		if (rc || v < 1 || v > MAX_REPS) {
			snprintf(err, errlen, "reps: '%s' is not a repetition count; use 1 to %d",
				 text, MAX_REPS);
			return rc ? rc : -ERANGE;
		}
		s->reps = (int)v;
		return 0;
	}
	if (strcmp(key, "max_ops") == 0) {
		rc = param_parse_int(text, &v);
		if (rc || v < 0) {
			snprintf(err, errlen, "max_ops: '%s' is not an operation count; use 0 (no "
				 "limit) or more", text);
			return rc ? rc : -ERANGE;
		}
		s->max_ops = v;
		return 0;
	}
	if (strcmp(key, "warmup") && strcmp(key, "duration") && strcmp(key, "timeout"))
		return -ENOENT;
	rc = param_parse_duration(text, &v);
	if (rc || v < 0 || (v == 0 && strcmp(key, "warmup") != 0)) {
		snprintf(err, errlen, "%s: '%s' is not a usable duration; use a positive number "
			 "with a unit ns, us, ms or s (for example 500ms)", key, text);
		return rc ? rc : -ERANGE;
	}
	if (key[0] == 'w')
		s->warmup_ns = v;
	else if (key[0] == 'd')
		s->duration_ns = v;
	else
		s->timeout_ns = v;
	return 0;
}

struct suite *suite_new(const char *file, const char *name, const struct workload *const *wls)
{
	struct suite *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->file = file ? strdup(file) : NULL;
	s->name = strdup(name ? name : "suite");
	s->wls = wls;
	run_settings_unset(&s->set);
	if ((file && !s->file) || !s->name) {
		suite_free(s);
		return NULL;
	}
	return s;
}

static void kv_free(struct suite_kv *kv, int n)
{
	for (int i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
}

void suite_free(struct suite *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ngroups; i++) {
		struct suite_group *g = &s->groups[i];

		free(g->name);
		kv_free(g->params, g->nparams);
		for (int j = 0; j < g->nsweeps; j++) {
			struct suite_sweep *sw = &g->sweeps[j];

			for (int k = 0; k < sw->nnames; k++)
				free(sw->names[k]);
			for (int k = 0; k < sw->nvals * sw->nnames; k++)
				free(sw->vals[k]);
			free(sw->vals);
		}
	}
	free(s->groups);
	kv_free(s->targets, s->ntargets);
	free(s->file);
	free(s->name);
	free(s);
}

/* Append key = value at line to *kv (*n entries); a half-copied entry is counted so that
 * kv_free releases it. */
static int kv_append(struct suite_kv **kv, int *n, const char *key, const char *value,
		     int line)
{
	struct suite_kv *t = realloc(*kv, (*n + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	*kv = t;
	t += (*n)++;
	t->name = strdup(key);
	t->value = strdup(value);
	t->line = line;
	return t->name && t->value ? 0 : -ENOMEM;
}

/* "FILE:LINE: " then the message; no prefix for line 0 (command line). */
__attribute__((format(printf, 5, 6)))
static int fail(const struct suite *s, int line, char *err, size_t errlen, const char *fmt, ...)
{
	size_t off = 0;
	va_list ap;

	if (line > 0)
		off = (size_t)snprintf(err, errlen, "%s:%d: ",
				       s->file ? s->file : "(built-in default suite)", line);
	if (off < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + off, errlen - off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool valid_name(const char *n)
{
	if (!*n || strlen(n) >= SUITE_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '-' && *n != '_' && *n != '.')
			return false;
	return true;
}

static const struct workload *find_wl(const struct suite *s, const char *name)
{
	for (int i = 0; s->wls && s->wls[i]; i++)
		if (strcmp(s->wls[i]->name, name) == 0)
			return s->wls[i];
	return NULL;
}

static void wl_names(const struct suite *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; s->wls && s->wls[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					s->wls[i]->name);
}

int suite_add_group(struct suite *s, const char *name, int line, struct suite_group **out,
		    char *err, size_t errlen)
{
	struct suite_group *g;

	if (!valid_name(name))
		return fail(s, line, err, errlen, "scenario name '%s' is not usable; use letters, "
			    "digits, '-', '_' or '.' (at most %d)", name, SUITE_NAME_MAX - 1);
	for (int i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return fail(s, line, err, errlen, "scenario '%s' is defined twice (first "
				    "at line %d); give each [scenario] its own name", name,
				    s->groups[i].line);
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	s->groups = g;
	g = &s->groups[s->ngroups];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	if (!g->name)
		return -ENOMEM;
	g->line = line;
	run_settings_unset(&g->set);
	s->ngroups++;
	*out = g;
	return 0;
}

static char *trim(char *p)
{
	char *e;

	while (isspace((unsigned char)*p))
		p++;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}

/* Is parameter name already fixed or swept in g? Its line (-1 on the command line), or 0. */
static int group_uses(const struct suite_group *g, const char *name)
{
	for (int i = 0; i < g->nparams; i++)
		if (strcmp(g->params[i].name, name) == 0)
			return g->params[i].line ? g->params[i].line : -1;
	for (int i = 0; i < g->nsweeps; i++)
		for (int j = 0; j < g->sweeps[i].nnames; j++)
			if (strcmp(g->sweeps[i].names[j], name) == 0)
				return g->sweeps[i].line ? g->sweeps[i].line : -1;
	return 0;
}

static int fail_twice(const struct suite *s, int line, char *err, size_t errlen,
		      const char *name, int prev)
{
	if (prev > 0)
		return fail(s, line, err, errlen, "parameter %s is already set or swept at line "
			    "%d; set it once per scenario", name, prev);
	return fail(s, line, err, errlen, "parameter %s is given twice; give it once", name);
}

/* Check text as the value of parameter name of g's workload. */
static int check_param(struct suite *s, struct suite_group *g, const char *name,
		       const char *text, int line, char *err, size_t errlen)
{
	struct wl_config cfg;
	char e[512];
	int rc;

	rc = params_init(&cfg, g->wl, e, sizeof(e));
	if (!rc)
		rc = params_set(&cfg, name, text, e, sizeof(e));
	if (rc)
		return fail(s, line, err, errlen, "%s", e);
	return 0;
}

static int add_sweep(struct suite *s, struct suite_group *g, char *names, const char *value,
		     int line, char *err, size_t errlen)
{
	struct suite_sweep *sw;
	char *save = NULL, *tok, *list;
	int prev, rc;

	if (g->nsweeps >= SUITE_MAX_SWEEPS)
		return fail(s, line, err, errlen, "too many sweeps in [scenario %s]; at most %d "
			    "per scenario", g->name, SUITE_MAX_SWEEPS);
	sw = &g->sweeps[g->nsweeps];
	memset(sw, 0, sizeof(*sw));
	sw->line = line;
	g->nsweeps++; /* counted now so that suite_free releases partial work */

	for (tok = strtok_r(names, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		tok = trim(tok);
		if (sw->nnames >= SUITE_MAX_ZIP)
			return fail(s, line, err, errlen, "too many parameters in one sweep; at "
				    "most %d", SUITE_MAX_ZIP);
		sw->pidx[sw->nnames] = wl_param_index(g->wl, tok);
		if (sw->pidx[sw->nnames] < 0)
			return check_param(s, g, tok, "", line, err, errlen);
		prev = group_uses(g, tok);
		if (prev)
			return fail_twice(s, line, err, errlen, tok, prev);
		sw->names[sw->nnames] = strdup(tok);
		if (!sw->names[sw->nnames])
			return -ENOMEM;
		sw->nnames++;
	}
	if (!sw->nnames)
		return fail(s, line, err, errlen, "sweep names no parameter; write for example "
			    "'sweep workers = 1, 2, 4'");

	list = strdup(value);
	if (!list)
		return -ENOMEM;
	save = NULL;
	rc = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *vsave = NULL, *v, **row;
		char **vals = realloc(sw->vals, (size_t)(sw->nvals + 1) * sw->nnames *
				      sizeof(char *));
		int k = 0;

		if (!vals) {
			rc = -ENOMEM;
			break;
		}
		sw->vals = vals;
		row = vals + sw->nvals * sw->nnames;
		tok = trim(tok);
		for (v = strtok_r(tok, "/", &vsave); v; v = strtok_r(NULL, "/", &vsave)) {
			v = trim(v);
			if (k >= sw->nnames)
				break;
			rc = check_param(s, g, sw->names[k], v, line, err, errlen);
			if (rc)
				break;
			row[k] = strdup(v);
			if (!row[k]) {
				rc = -ENOMEM;
				break;
			}
			k++;
		}
		/* a row is complete only when every name has its value */
		if (!rc && (k != sw->nnames || v))
			rc = fail(s, line, err, errlen, "sweep value '%s' needs %d part%s "
				  "separated by '/', one per parameter", tok, sw->nnames,
				  sw->nnames > 1 ? "s" : "");
		if (rc) {
			/* the row is not counted: free what it holds */
			while (k--)
				free(row[k]);
			break;
		}
		sw->nvals++;
	}
	free(list);
	if (rc)
		return rc;
	if (!sw->nvals)
		return fail(s, line, err, errlen, "sweep has no values; write them separated by "
			    "commas, for example 'sweep workers = 1, 2, 4'");
	return 0;
}

int suite_group_set(struct suite *s, struct suite_group *g, const char *key, const char *value,
		    int line, char *err, size_t errlen)
{
	char names[256], e[512];
	int rc, prev;

	if (strcmp(key, "workload") == 0) {
		if (g->wl)
			return fail(s, line, err, errlen, "workload is set twice in [scenario %s]; "
				    "use one workload per scenario", g->name);
		g->wl = find_wl(s, value);
		if (!g->wl) {
			wl_names(s, names, sizeof(names));
			return fail(s, line, err, errlen, "unknown workload '%s'; use one of %s",
				    value, names);
		}
		return 0;
	}
	rc = run_settings_set(&g->set, key, value, e, sizeof(e));
	if (rc != -ENOENT)
		return rc ? fail(s, line, err, errlen, "%s", e) : 0;
	if (!g->wl) {
		wl_names(s, names, sizeof(names));
		return fail(s, line, err, errlen, "'%s' comes before the workload; start [scenario "
			    "%s] with 'workload = NAME' (%s)", key, g->name, names);
	}
	if (strncmp(key, "sweep", 5) == 0 && (key[5] == ' ' || key[5] == '\t')) {
		if (strlen(key + 6) >= sizeof(names))
			return fail(s, line, err, errlen, "sweep names are too long");
		strcpy(names, key + 6);
		return add_sweep(s, g, names, value, line, err, errlen);
	}
	if (strchr(value, ','))
		return fail(s, line, err, errlen, "%s has several values; to run one scenario "
			    "per value write 'sweep %s = %s'", key, key, value);
	rc = check_param(s, g, key, value, line, err, errlen);
	if (rc)
		return rc;
	prev = group_uses(g, key);
	if (prev)
		return fail_twice(s, line, err, errlen, key, prev);
	return kv_append(&g->params, &g->nparams, key, value, line);
}

int (*suite_plugin_loader)(const char *path, char *err, size_t errlen);

/* "plugin FILE": loaded now, so that the scenarios below may name what it registers;
 * FILE is relative to the suite file's folder. */
static int suite_plugin(struct suite *s, char *file, int line, char *err, size_t errlen)
{
	const char *slash = s->file ? strrchr(s->file, '/') : NULL;
	char path[4096], e[1024];

	if (*file == '=') /* plugin = FILE reads as well */
		file = trim(file + 1);
	if (!*file)
		return fail(s, line, err, errlen, "plugin needs a file; write 'plugin libmine.so' "
			    "(relative to the suite file)");
	if (file[0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", file);
	else if ((size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - s->file), s->file,
				  file) >= sizeof(path))
		return fail(s, line, err, errlen, "plugin path is too long");
	if (!suite_plugin_loader)
		return fail(s, line, err, errlen, "plugin lines are for opscope run; this reader "
			    "loads no plugin");
	if (suite_plugin_loader(path, e, sizeof(e)))
		return fail(s, line, err, errlen, "%s", e);
	return 0;
}

enum section { SEC_NONE, SEC_RUN, SEC_TARGETS, SEC_SCENARIO };

static int end_group(struct suite *s, struct suite_group *g, char *err, size_t errlen)
{
	if (g && !g->wl)
		return fail(s, g->line, err, errlen, "[scenario %s] has no workload; add a line "
			    "'workload = NAME'", g->name);
	return 0;
}

int suite_parse(struct suite *s, const char *text, char *err, size_t errlen)
{
	enum section sec = SEC_NONE;
	struct suite_group *g = NULL;
	char *copy = strdup(text), *p, *next;
	int line = 0, rc = 0;

	if (!copy)
		return -ENOMEM;
	for (p = copy; p && *p; p = next) {
		char *hash, *eq, *key, *val;

		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		p = trim(p);
		if (!*p)
			continue;

		if (*p == '[') {
			char *close = strchr(p, ']');

			rc = end_group(s, sec == SEC_SCENARIO ? g : NULL, err, errlen);
			if (rc)
				break;
			g = NULL;
			if (!close || *trim(close + 1)) {
				rc = fail(s, line, err, errlen, "malformed section header '%s'; "
					  "write [run], [targets] or [scenario NAME]", p);
				break;
			}
			*close = '\0';
			key = trim(p + 1);
			if (strcmp(key, "run") == 0) {
				sec = SEC_RUN;
			} else if (strcmp(key, "targets") == 0) {
				sec = SEC_TARGETS;
			} else if (strncmp(key, "scenario", 8) == 0 &&
				   isspace((unsigned char)key[8])) {
				sec = SEC_SCENARIO;
				rc = suite_add_group(s, trim(key + 9), line, &g, err, errlen);
				if (rc)
					break;
			} else {
				rc = fail(s, line, err, errlen, "unknown section [%s]; use [run], "
					  "[targets] or [scenario NAME]", key);
				break;
			}
			continue;
		}

		if (!strncmp(p, "plugin", 6) && (!p[6] || isspace((unsigned char)p[6]))) {
			rc = suite_plugin(s, trim(p + 6), line, err, errlen);
			if (rc)
				break;
			continue;
		}
		/* a target spec ("stream.rt p95 <= 5s"): the whole line, for the runner */
		if (sec == SEC_TARGETS && (strpbrk(p, "<>") || strstr(p, " in "))) {
			rc = kv_append(&s->targets, &s->ntargets, p, "", line);
			if (rc)
				break;
			continue;
		}
		eq = strchr(p, '=');
		if (!eq) {
			rc = fail(s, line, err, errlen, "expected 'name = value', got '%s'", p);
			break;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (!*key || !*val) {
			rc = fail(s, line, err, errlen, "'%s = %s' lacks a %s; write 'name = "
				  "value'", key, val, *key ? "value" : "name");
			break;
		}
		switch (sec) {
		case SEC_NONE:
			rc = fail(s, line, err, errlen, "'%s' is outside any section; put it under "
				  "[run] or [scenario NAME]", key);
			break;
		case SEC_RUN: {
			char e[512];

			rc = run_settings_set(&s->set, key, val, e, sizeof(e));
			if (rc == -ENOENT)
				rc = fail(s, line, err, errlen, "unknown key '%s' in [run]; use "
					  "reps, warmup, duration, timeout or max_ops", key);
			else if (rc)
				rc = fail(s, line, err, errlen, "%s", e);
			break;
		}
		case SEC_TARGETS:
			rc = kv_append(&s->targets, &s->ntargets, key, val, line);
			break;
		case SEC_SCENARIO:
			rc = suite_group_set(s, g, key, val, line, err, errlen);
			break;
		}
		if (rc)
			break;
	}
	if (!rc)
		rc = end_group(s, sec == SEC_SCENARIO ? g : NULL, err, errlen);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory while parsing the suite");
	free(copy);
	return rc;
}

int suite_load(const char *path, const struct workload *const *wls, struct suite **out,
	       char *err, size_t errlen)
{
	char name[SUITE_NAME_MAX], *text = NULL, *dot;
	const char *base = strrchr(path, '/');
	size_t len = 0;
	struct suite *s;
	int rc;

	*out = NULL;
	rc = files_read_all(path, "suite file", FILES_MAX_SUITE, &text, &len, err, errlen);
	if (rc)
		return rc;
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "cannot read suite file %s: it is not a text file (it holds "
			 "a NUL byte)", path);
		free(text);
		return -EINVAL;
	}

	snprintf(name, sizeof(name), "%s", base ? base + 1 : path);
	dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".suite") == 0)
		*dot = '\0';
	s = suite_new(path, name, wls);
	if (!s) {
		free(text);
		snprintf(err, errlen, "out of memory reading %s", path);
		return -ENOMEM;
	}
	rc = suite_parse(s, text, err, errlen);
	free(text);
	if (rc) {
		suite_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Scenarios of one group, at most SUITE_MAX_SCENARIOS + 1 (the product may overflow). */
static int group_count(const struct suite_group *g)
{
	long long n = 1;

	for (int i = 0; i < g->nsweeps; i++) {
		n *= g->sweeps[i].nvals;
		if (n > SUITE_MAX_SCENARIOS)
			return SUITE_MAX_SCENARIOS + 1;
	}
	return (int)n;
}

int suite_count(const struct suite *s)
{
	long n = 0;

	for (int i = 0; i < s->ngroups; i++) {
		n += group_count(&s->groups[i]);
		if (n > SUITE_MAX_SCENARIOS)
			return SUITE_MAX_SCENARIOS + 1;
	}
	return (int)n;
}

static int expand_one(const struct suite *s, const struct suite_group *g, int k,
		      const struct run_settings *cli, struct scenario *sc, char *err,
		      size_t errlen)
{
	int pick[SUITE_MAX_SWEEPS];
	size_t off = 0;
	int64_t wd;
	char e[512];
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->wl = g->wl;
	snprintf(sc->group, sizeof(sc->group), "%s", g->name);
	/* first sweep outermost: the last varies fastest */
	for (int i = g->nsweeps - 1; i >= 0; i--) {
		pick[i] = k % g->sweeps[i].nvals;
		k /= g->sweeps[i].nvals;
	}
	rc = params_init(&sc->cfg, g->wl, e, sizeof(e));
	for (int i = 0; !rc && i < g->nparams; i++)
		rc = params_set(&sc->cfg, g->params[i].name, g->params[i].value, e, sizeof(e));
	for (int i = 0; !rc && i < g->nsweeps; i++) {
		const struct suite_sweep *sw = &g->sweeps[i];

		for (int j = 0; !rc && j < sw->nnames; j++) {
			const char *v = sw->vals[pick[i] * sw->nnames + j];

			rc = params_set(&sc->cfg, sw->names[j], v, e, sizeof(e));
			sc->swept[sc->nswept++] = sw->pidx[j];
			off += (size_t)snprintf(sc->label + off, off < sizeof(sc->label) ?
						sizeof(sc->label) - off : 0, "%s%s=%s",
						off ? "/" : "", sw->names[j], v);
		}
	}
	/* combinations the workload refuses (channel mode=spsc with producers=4) */
	if (!rc)
		rc = wl_config_check(&sc->cfg, e, sizeof(e));
	if (rc) {
		snprintf(err, errlen, "[scenario %s]: %s", g->name, e);
		return rc;
	}
	if (off >= sizeof(sc->label) ||
	    (size_t)snprintf(sc->id, sizeof(sc->id), "%s%s%s", g->name, off ? "/" : "",
			     sc->label) >= sizeof(sc->id)) {
		snprintf(err, errlen, "[scenario %s]: the sweep makes a scenario name longer than "
			 "%d characters; sweep fewer parameters", g->name, SCEN_ID_MAX - 1);
		return -ENAMETOOLONG;
	}

	run_settings_unset(&sc->set);
	run_settings_merge(&sc->set, &s->set);
	run_settings_merge(&sc->set, &g->set);
	if (cli)
		run_settings_merge(&sc->set, cli);
	run_settings_resolve(&sc->set);
	if (__builtin_add_overflow(sc->set.warmup_ns, sc->set.duration_ns, &wd) ||
	    __builtin_add_overflow(wd, DEF_TIMEOUT_EXTRA_NS, &wd)) {
		char w[32], d[32];

		param_format_duration(sc->set.warmup_ns, w, sizeof(w));
		param_format_duration(sc->set.duration_ns, d, sizeof(d));
		snprintf(err, errlen, "[scenario %s]: warm-up %s plus duration %s is longer than a "
			 "run can last (292 years); give shorter durations", g->name, w, d);
		return -ERANGE;
	}
	wd -= DEF_TIMEOUT_EXTRA_NS;
	if (sc->set.timeout_ns <= wd && sc->set.max_ops == 0) {
		char t[32], w[32];

		param_format_duration(sc->set.timeout_ns, t, sizeof(t));
		param_format_duration(wd, w, sizeof(w));
		snprintf(err, errlen, "[scenario %s]: timeout %s is not longer than warm-up plus "
			 "duration (%s); raise the timeout", g->name, t, w);
		return -EINVAL;
	}
	return 0;
}

int suite_expand(const struct suite *s, const struct run_settings *cli, struct scenario **out,
		 int *n, char *err, size_t errlen)
{
	int total = suite_count(s), k = 0, rc = 0;
	struct scenario *sc;

	*out = NULL;
	*n = 0;
	if (total == 0) {
		snprintf(err, errlen, "the suite defines no scenarios; add a [scenario NAME] "
			 "section");
		return -EINVAL;
	}
	if (total > SUITE_MAX_SCENARIOS) {
		snprintf(err, errlen, "the suite expands to more than %d scenarios; sweep fewer "
			 "values", SUITE_MAX_SCENARIOS);
		return -E2BIG;
	}
	sc = calloc(total, sizeof(*sc));
	if (!sc) {
		snprintf(err, errlen, "out of memory expanding the suite");
		return -ENOMEM;
	}
	for (int i = 0; !rc && i < s->ngroups; i++) {
		int m = group_count(&s->groups[i]);

		for (int j = 0; !rc && j < m; j++, k++) {
			rc = expand_one(s, &s->groups[i], j, cli, &sc[k], err, errlen);
			for (int d = 0; !rc && d < k; d++) {
				if (strcmp(sc[d].id, sc[k].id) == 0) {
					snprintf(err, errlen, "scenario %s appears twice; remove "
						 "the repeated sweep value", sc[k].id);
					rc = -EINVAL;
				}
			}
		}
	}
	if (rc) {
		free(sc);
		return rc;
	}
	*out = sc;
	*n = total;
	return 0;
}

/* The built-in default suite: keep identical to userspace/workloads/suites/default.suite
 * (test_suite checks that they match). */
const char suite_default_text[] =
	"# opscope default suite: what `opscope run` runs without --suite.\n"
	"#\n"
	"# About a minute on a 2-CPU machine: 25 scenarios x 3 repetitions x (150 ms warm-up +\n"
	"# 500 ms recorded) = 49 s of measurement, plus thread start-up and the collector load.\n"
	"# Every scenario also gets the leak checks (3 rounds) and the stability figures; the\n"
	"# longer sweeps are in long.suite, next to this file.\n"
	"# The sweeps are the ones real benchmark harnesses run nightly. Copy this file, pin it\n"
	"# in version control and pass it with --suite to change anything; docs/SUITES.md has\n"
	"# the format. Parameters not named here take the workload's default (see\n"
	"# opscope run --help).\n"
	"\n"
	"[run]\n"
	"reps = 3            # each repetition is a separate measurement; compare wants >= 5\n"
	"warmup = 150ms      # run but do not record, per repetition\n"
	"duration = 500ms    # recorded time per repetition\n"
	"timeout = 20s       # a repetition still running this long after its start fails\n"
	"\n"
	"# Worker pool: how throughput scales with workers when each task is 20 us of CPU work\n"
	"# (scaling efficiency is measured against workers=1; with empty tasks the pool's own\n"
	"# hand-off would be all there is to measure) ...\n"
	"[scenario pool-workers]\n"
	"workload = pool\n"
	"inflight = 16\n"
	"spin = 20us\n"
	"sweep workers = 1, 2, 4, 8, 16\n"
	"\n"
	"# ... and how latency grows with the calls kept in flight (empty tasks: the cost of\n"
	"# the queue and the hand-off itself).\n"
	"[scenario pool-inflight]\n"
	"workload = pool\n"
	"workers = 4\n"
	"sweep inflight = 10, 20, 50, 100, 200\n"
	"\n"
	"# Bounded channel, one producer and one consumer: the cost of small and large buffers.\n"
	"# capacity=1 is the worst case (every message a hand-off), and the targets count it.\n"
	"[scenario channel-capacity]\n"
	"workload = channel\n"
	"mode = spsc\n"
	"producers = 1\n"
	"consumers = 1\n"
	"sweep capacity = 1, 10, 100, 1000, 10000\n"
	"\n"
	"# Single-producer/single-consumer against 4 producers x 4 consumers on one channel.\n"
	"[scenario channel-mode]\n"
	"workload = channel\n"
	"capacity = 1000\n"
	"sweep mode/producers/consumers = spsc/1/1, mpmc/4/4\n"
	"\n"
	"# Many concurrent request/response streams multiplexed over a few connections.\n"
	"[scenario stream-streams]\n"
	"workload = stream\n"
	"sweep streams = 10, 25, 50, 100, 200\n"
	"\n"
	"# A 4-stage packet pipeline (parse, filter dropping 5%, transform, aggregate), one\n"
	"# worker per stage, 5 us of work per stage: end-to-end and per-stage latency with the\n"
	"# time in each queue, and where back-pressure builds when stage 3 is 4x slower.\n"
	"[scenario pipeline]\n"
	"workload = pipeline\n"
	"stages = 4\n"
	"drop_rate = 0.05\n"
	"spin = 5us\n"
	"sweep slow_spin/slow_stage = 0/0, 15us/3\n"
	"\n"
	"# Worker processes instead of threads: calls and results as frames over Unix sockets,\n"
	"# serialization counted; 250 us tasks keep each worker within the plan's 1k-5k calls/s.\n"
	"[scenario pool-process]\n"
	"workload = pool\n"
	"mode = process\n"
	"workers = 2\n"
	"inflight = 4\n"
	"spin = 250us\n";

bool scenarios_fork(const struct scenario *scs, int n)
{
	for (int i = 0; i < n; i++)
		if (scs[i].wl->forks && scs[i].wl->forks(&scs[i].cfg))
			return true;
	return false;
}
