/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Numbers for people (prefix fmt_): every function writes at most len bytes into buf,
 * and "-" for a value that is not finite.
 */
#ifndef OPSCOPE_FMT_H
#define OPSCOPE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact, for tables: "412ns", "9.01us", "1.20ms", "3.5s". */
void fmt_ns(double ns, char *buf, size_t len);
/* Compact count: "0", "12", "4.56", "12.3k", "7.6M". */
void fmt_num(double v, char *buf, size_t len);
/* Compact bytes in powers of 1024: "832B", "1.5k", "18M". */
void fmt_bytes(double b, char *buf, size_t len);
/* A signed count or byte size (the leak tables): "-1.5k", "12", "0.25", "0B". */
void fmt_signed(double v, bool bytes, char *buf, size_t len);

/* A value with its report unit ("ns", "bytes", "ops/s", "ratio", other), human scaled:
 * "41.2 us", "25.3k/s", "8.8 MiB", "12.5%". */
void fmt_value(char *buf, size_t len, double v, const char *unit);
/* A relative change in percent: "+4.2%", "-12%", "+inf". */
void fmt_delta_pct(char *buf, size_t len, double pct);
/* A p-value: "0.008", "<0.001", "-" when no test was possible. */
void fmt_p(char *buf, size_t len, double p);

/* order[0..n) rearranged so that v[order[i]] falls (ties keep their order): at most a
 * few dozen entries, the blocked-in-syscall lists. */
static inline void fmt_order_desc(int *order, int n, const uint64_t *v)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[order[j]] > v[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

#endif
