// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Parsing and checking of workload parameters; see params.h. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "workloads/params.h"
#include "workloads/plugins.h"

/*
 * Split s into a number and a unit suffix. The number is an optional sign, digits and an
 * optional fraction. Returns the length of the number part, 0 when there is none.
 */
static size_t number_prefix(const char *s, bool *has_frac)
{
	size_t i = 0, digits = 0;

	*has_frac = false;
	if (s[i] == '-' || s[i] == '+')
		i++;
	while (isdigit((unsigned char)s[i])) {
		i++;
		digits++;
	}
	if (s[i] == '.') {
		*has_frac = true;
		i++;
		while (isdigit((unsigned char)s[i])) {
			i++;
			digits++;
		}
	}
	return digits ? i : 0;
}

/* Parse the number s[0..n) times mult into *out, exactly for integers. */
static int scaled_value(const char *s, size_t n, bool has_frac, int64_t mult, int64_t *out)
{
	char buf[64];
	char *end;

	if (n >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	if (!has_frac) {
		long long v = strtoll(buf, &end, 10);

		if (errno == ERANGE || *end)
			return errno == ERANGE ? -ERANGE : -EINVAL;
		if (__builtin_mul_overflow((int64_t)v, mult, out))
			return -ERANGE;
		return 0;
	}
	double d = strtod(buf, &end);

	if (*end || errno == ERANGE)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	d *= (double)mult;
	if (!(fabs(d) < 9.2e18))
		return -ERANGE;
	*out = (int64_t)llround(d);
	return 0;
}

int param_parse_int(const char *s, int64_t *out)
{
	bool frac;
	size_t n = number_prefix(s, &frac);

	if (!n || frac || s[n])
		return -EINVAL;
	return scaled_value(s, n, false, 1, out);
}

struct unit {
	const char *name;
	int64_t mult;
};

static const struct unit size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1ll << 10 }, { "kb", 1ll << 10 }, { "kib", 1ll << 10 },
	{ "m", 1ll << 20 }, { "mb", 1ll << 20 }, { "mib", 1ll << 20 },
	{ "g", 1ll << 30 }, { "gb", 1ll << 30 }, { "gib", 1ll << 30 },
	{ "t", 1ll << 40 }, { "tb", 1ll << 40 }, { "tib", 1ll << 40 },
	{ NULL, 0 },
};

static const struct unit duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 }, { "\xc2\xb5s", 1000 }, /* µs */
	{ "ms", 1000000 },
	{ "s", 1000000000ll },
	{ "min", 60000000000ll },
	{ "h", 3600000000000ll },
	{ NULL, 0 },
};

/* A number followed by one of units ("" in the table: no unit needed). */
static int parse_with_units(const char *s, const struct unit *units, int64_t *out)
{
	bool frac;
	size_t n = number_prefix(s, &frac);
	const char *u = s + n;
	int64_t v;

	if (!n)
		return -EINVAL;
	for (; units->name; units++) {
		if (strcasecmp(u, units->name) == 0)
			return scaled_value(s, n, frac, units->mult, out);
	}
	/* a bare 0 needs no unit */
	if (!*u && scaled_value(s, n, frac, 1, &v) == 0 && v == 0) {
		*out = 0;
		return 0;
	}
	return -EINVAL;
}

int param_parse_size(const char *s, int64_t *out)
{
	return parse_with_units(s, size_units, out);
}

int param_parse_duration(const char *s, int64_t *out)
{
	return parse_with_units(s, duration_units, out);
}

int param_parse_float(const char *s, double *out)
{
	char *end;
	double v;
	bool frac;
	size_t n = number_prefix(s, &frac);

	/* decimal only (strtod would also take 0x10), with an optional exponent: 1e-3 */
	if (!n || (s[n] && s[n] != 'e' && s[n] != 'E' && s[n] != '%'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return errno == ERANGE ? -ERANGE : -EINVAL;
	if (*end == '%' && !end[1]) {
		v /= 100.0;
		end++;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

void param_format_size(int64_t b, char *buf, size_t len)
{
	static const char *const sfx[] = { "T", "G", "M", "k" };
	static const int shift[] = { 40, 30, 20, 10 };

	for (int i = 0; i < 4; i++) {
		int64_t m = 1ll << shift[i];

		if (b != 0 && b % m == 0) {
			snprintf(buf, len, "%" PRId64 "%s", b / m, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64, b);
}

void param_format_duration(int64_t ns, char *buf, size_t len)
{
	static const char *const sfx[] = { "s", "ms", "us" };
	static const int64_t mult[] = { 1000000000ll, 1000000, 1000 };

	if (ns == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (ns % mult[i] == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ns / mult[i], sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ns", ns);
}

static void format_int_of(const struct wl_param_def *d, int64_t v, char *buf, size_t len)
{
	switch (d->type) {
	case WL_P_SIZE:
		param_format_size(v, buf, len);
		break;
	case WL_P_DURATION:
		param_format_duration(v, buf, len);
		break;
	default:
		snprintf(buf, len, "%" PRId64, v);
		break;
	}
}

void param_describe_range(const struct wl_param_def *d, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t off;

	switch (d->type) {
	case WL_P_FLOAT:
		snprintf(buf, len, "%g to %g", d->fmin, d->fmax);
		return;
	case WL_P_ENUM:
		off = (size_t)snprintf(buf, len, "one of");
		if (!d->enum_vals || !d->enum_vals[0])
			snprintf(buf + off, len - off, " (none)");
		for (int i = 0; d->enum_vals && d->enum_vals[i] && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s %s", i ? "," : "",
						d->enum_vals[i]);
		return;
	default:
		format_int_of(d, d->min, lo, sizeof(lo));
		format_int_of(d, d->max, hi, sizeof(hi));
		snprintf(buf, len, "%s to %s", lo, hi);
		return;
	}
}

int param_parse_value(const struct wl_param_def *d, const char *text, int64_t *iv, double *fv,
		      char *err, size_t errlen)
{
	const char *hint;
	char range[256];
	int64_t v = 0;
	double f = 0;
	int rc;

	param_describe_range(d, range, sizeof(range));
	switch (d->type) {
	case WL_P_ENUM:
		for (int i = 0; d->enum_vals && d->enum_vals[i]; i++) {
			if (strcasecmp(text, d->enum_vals[i]) == 0) {
				*iv = i;
				*fv = 0;
				return 0;
			}
		}
		hint = plugins_enum_hint(d->enum_vals);
		snprintf(err, errlen, "%s: '%s' is not a valid value; use %s%s%s", d->name, text,
			 range, hint ? ", or " : "", hint ? hint : "");
		return -EINVAL;
	case WL_P_FLOAT:
		rc = param_parse_float(text, &f);
		if (rc) {
			snprintf(err, errlen, "%s: '%s' is not a number; use a number from %s",
				 d->name, text, range);
			return rc;
		}
		if (f < d->fmin || f > d->fmax) {
			snprintf(err, errlen, "%s: %s is out of range; use %s", d->name, text,
				 range);
			return -ERANGE;
		}
		*iv = 0;
		*fv = f;
		return 0;
	case WL_P_SIZE:
	case WL_P_DURATION: {
		bool size = d->type == WL_P_SIZE;
		const char *what = size ? "size" : "duration";
		const char *how = size ? "bytes with an optional unit k, M or G (for example 4k)" :
				  "a number with a unit ns, us, ms or s (for example 20us)";

		rc = size ? param_parse_size(text, &v) : param_parse_duration(text, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "%s: '%s' is not a %s; use %s, from %s", d->name,
				 text, what, how, range);
			return rc;
		}
		if (!rc && v < 0) {
			snprintf(err, errlen, "%s: %ss cannot be negative ('%s'); use %s", d->name,
				 what, text, range);
			return -ERANGE;
		}
		break;
	}
	case WL_P_INT:
	default:
		rc = param_parse_int(text, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "%s: '%s' is not an integer; use a whole number "
				 "from %s", d->name, text, range);
			return rc;
		}
		break;
	}
	if (rc == -ERANGE || v < d->min || v > d->max) {
		snprintf(err, errlen, "%s: %s is out of range; use %s", d->name, text, range);
		return -ERANGE;
	}
	*iv = v;
	*fv = 0;
	return 0;
}

void param_format_value(const struct wl_param_def *d, int64_t iv, double fv, char *buf,
			size_t len)
{
	if (d->type == WL_P_FLOAT) {
		snprintf(buf, len, "%g", fv);
		return;
	}
	if (d->type == WL_P_ENUM) {
		int n = 0;

		while (d->enum_vals && d->enum_vals[n])
			n++;
		snprintf(buf, len, "%s", iv >= 0 && iv < n ? d->enum_vals[iv] : "?");
		return;
	}
	format_int_of(d, iv, buf, len);
}

int params_init(struct wl_config *cfg, const struct workload *wl, char *err, size_t errlen)
{
	char e[512];

	memset(cfg, 0, sizeof(*cfg));
	cfg->wl = wl;
	for (int i = 0; wl->params[i].name; i++) {
		const struct wl_param_def *d = &wl->params[i];

		if (i >= WL_MAX_PARAMS) {
			snprintf(err, errlen, "workload %s declares more than %d parameters; "
				 "raise WL_MAX_PARAMS", wl->name, WL_MAX_PARAMS);
			return -E2BIG;
		}
		if (!d->def)
			continue;
		if (param_parse_value(d, d->def, &cfg->iv[i], &cfg->fv[i], e, sizeof(e))) {
			snprintf(err, errlen, "workload %s has a bad default: %s", wl->name, e);
			return -EINVAL;
		}
	}
	return 0;
}

int params_set(struct wl_config *cfg, const char *name, const char *text, char *err,
	       size_t errlen)
{
	const struct workload *wl = cfg->wl;
	int idx = wl_param_index(wl, name);

	if (idx < 0) {
		size_t off = (size_t)snprintf(err, errlen,
					      "unknown parameter '%s' for workload %s; known:",
					      name, wl->name);

		for (int i = 0; wl->params[i].name && off < errlen; i++)
			off += (size_t)snprintf(err + off, errlen - off, "%s %s", i ? "," : "",
						wl->params[i].name);
		return -ENOENT;
	}
	return param_parse_value(&wl->params[idx], text, &cfg->iv[idx], &cfg->fv[idx], err,
				 errlen);
}

int params_set_kv(struct wl_config *cfg, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char name[128];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name)) {
		snprintf(err, errlen, "'%s' is not name=value; write for example workers=4", kv);
		return -EINVAL;
	}
	memcpy(name, kv, eq - kv);
	name[eq - kv] = '\0';
	return params_set(cfg, name, eq + 1, err, errlen);
}

bool params_get(const struct wl_config *cfg, const char *name, int64_t *out)
{
	int i = cfg->wl ? wl_param_index(cfg->wl, name) : -1;

	if (i < 0)
		return false;
	*out = cfg->iv[i];
	return true;
}

const char *params_get_enum(const struct wl_config *cfg, const char *name)
{
	int i = cfg->wl ? wl_param_index(cfg->wl, name) : -1;
	const struct wl_param_def *d;

	if (i < 0)
		return NULL;
	d = &cfg->wl->params[i];
	if (d->type != WL_P_ENUM || !d->enum_vals)
		return NULL;
	for (int j = 0; d->enum_vals[j]; j++)
		if (j == cfg->iv[i])
			return d->enum_vals[j];
	return NULL;
}
