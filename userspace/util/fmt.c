// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Numbers for people: times, counts, bytes, deltas and p-values, short and scaled. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "util/fmt.h"

void fmt_ns(double ns, char *buf, size_t len)
{
	if (!isfinite(ns))
		snprintf(buf, len, "-");
	else if (ns < 999.5)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 9995)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 99950)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 999500)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 9.995e6)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else if (ns < 99.95e6)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else if (ns < 999.5e6)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else if (ns < 9.995e9)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else
		snprintf(buf, len, "%.0fs", ns / 1e9);
}

void fmt_num(double v, char *buf, size_t len)
{
	static const char sfx[] = "kMGT";
	double a = fabs(v);

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (a == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (a < 999.5 && v == floor(v)) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	if (a < 0.005) {
		snprintf(buf, len, "%s<.01", v < 0 ? "-" : "");
		return;
	}
	if (a < 9.995) {
		snprintf(buf, len, "%.2f", v);
		return;
	}
	if (a < 99.95) {
		snprintf(buf, len, "%.1f", v);
		return;
	}
	if (a < 999.5) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (int i = 0; i < 4; i++) {
		v /= 1000;
		a /= 1000;
		if (a < 9.995 || (a < 999.5 && i == 3)) {
			snprintf(buf, len, "%.2f%c", v, sfx[i]);
			return;
		}
		if (a < 99.95) {
			snprintf(buf, len, "%.1f%c", v, sfx[i]);
			return;
		}
		if (a < 999.5) {
			snprintf(buf, len, "%.0f%c", v, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%.3g", v * 1000);
}

void fmt_bytes(double b, char *buf, size_t len)
{
	static const char sfx[] = "kMGT";

	if (!isfinite(b)) {
		snprintf(buf, len, "-");
		return;
	}
	if (b < 1023.5) {
		snprintf(buf, len, b < 9.95 && b != floor(b) ? "%.1fB" : "%.0fB", b);
		return;
	}
	for (int i = 0; i < 4; i++) {
		b /= 1024;
		if (b < 9.95 || i == 3) {
			snprintf(buf, len, "%.1f%c", b, sfx[i]);
			return;
		}
		if (b < 1023.5) {
			snprintf(buf, len, "%.0f%c", b, sfx[i]);
			return;
		}
	}
}


static void fmt_scaled(char *buf, size_t len, double v, const char *const *units,
		       const double *scale, int n, const char *suffix)
{
	int i = 0;

	while (i + 1 < n && fabs(v) >= scale[i + 1])
		i++;
	double x = v / scale[i];

	snprintf(buf, len, fabs(x) >= 100 || x == (long long)x ? "%.0f%s%s" : fabs(x) >= 10 ?
		 "%.1f%s%s" : "%.2f%s%s", x, units[i], suffix);
}

void fmt_value(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (!strcmp(unit, "ns")) {
		static const char *const u[] = { " ns", " us", " ms", " s" };
		static const double s[] = { 1, 1e3, 1e6, 1e9 };

		fmt_scaled(buf, len, v, u, s, 4, "");
	} else if (!strcmp(unit, "bytes")) {
		static const char *const u[] = { " B", " KiB", " MiB", " GiB" };
		static const double s[] = { 1, 1024, 1048576, 1073741824.0 };

		fmt_scaled(buf, len, v, u, s, 4, "");
	} else if (!strcmp(unit, "ops/s")) {
		static const char *const u[] = { "", "k", "M", "G" };
		static const double s[] = { 1, 1e3, 1e6, 1e9 };

		fmt_scaled(buf, len, v, u, s, 4, "/s");
	} else if (!strcmp(unit, "ratio")) {
		snprintf(buf, len, "%.3g%%", v * 100);
	} else {
		static const char *const u[] = { "", "k", "M", "G" };
		static const double s[] = { 1, 1e3, 1e6, 1e9 };

		fmt_scaled(buf, len, v, u, s, 4, "");
	}
}

void fmt_delta_pct(char *buf, size_t len, double pct)
{
	if (isnan(pct))
		snprintf(buf, len, "-");
	else if (isinf(pct))
		snprintf(buf, len, pct > 0 ? "+inf" : "-inf");
	else
		snprintf(buf, len, fabs(pct) >= 1000 ? "%+.0f%%" : "%+.1f%%", pct);
}

void fmt_p(char *buf, size_t len, double p)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 0.001)
		snprintf(buf, len, "<0.001");
	else
		snprintf(buf, len, "%.3f", p);
}

void fmt_signed(double v, bool bytes, char *buf, size_t len)
{
	char t[16];

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (bytes)
		fmt_bytes(fabs(v), t, sizeof(t));
	else if (fabs(v) < 10)
		snprintf(t, sizeof(t), "%.2g", fabs(v));
	else
		fmt_num(fabs(v), t, sizeof(t));
	snprintf(buf, len, "%s%s", v < 0 && strcmp(t, "0") && strcmp(t, "0B") ? "-" : "", t);
}
