// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Parameter values (workloads/params.c): integers, sizes, durations, floats and every
 * workload parameter's checked parse. A value that parses formats to text that parses
 * back to the same value (the promise params.h makes).
 */
#include "fuzz.h"
#include "workloads/params.h"

static void round_trip(int (*parse)(const char *, int64_t *),
		       void (*format)(int64_t, char *, size_t), const char *s)
{
	int64_t v, w;
	char buf[64];

	if (parse(s, &v))
		return;
	format(v, buf, sizeof(buf));
	FUZZ_CHECK(parse(buf, &w) == 0);
	FUZZ_CHECK(v == w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, err[512], buf[128];
	int64_t iv;
	double fv;

	if (size > 256)
		return 0;
	s = fuzz_text(data, size);
	if (!s)
		return 0;
	param_parse_int(s, &iv);
	param_parse_float(s, &fv);
	round_trip(param_parse_size, param_format_size, s);
	round_trip(param_parse_duration, param_format_duration, s);
	for (const struct workload *const *w = wl_all; *w; w++) {
		for (const struct wl_param_def *d = (*w)->params; d->name; d++) {
			if (param_parse_value(d, s, &iv, &fv, err, sizeof(err)))
				continue;
			param_format_value(d, iv, fv, buf, sizeof(buf));
			param_describe_range(d, buf, sizeof(buf));
		}
	}
	free(s);
	return 0;
}
