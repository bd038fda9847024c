// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pprof (stacks/pprof.c): folded input turned into samples (tags into labels) plus one
 * sample built from the raw bytes, encoded, gzipped, and the gzip stream must inflate
 * back to exactly the encoded profile.
 */
#include <zlib.h>
#include "fuzz.h"
#include "stacks/folded.h"
#include "stacks/pprof.h"

static const struct pprof_value_type types[] = {
	{ "cpu", "samples" },
	{ "offcpu", "nanoseconds" },
};

static void check_gzip(const uint8_t *raw, size_t rlen, const uint8_t *gz, size_t glen)
{
	uint8_t *back = malloc(rlen + 1);
	z_stream z = { 0 };

	FUZZ_CHECK(back && inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
	z.next_in = (uint8_t *)gz;
	z.avail_in = (uInt)glen;
	z.next_out = back;
	z.avail_out = (uInt)rlen + 1;
	FUZZ_CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
	FUZZ_CHECK(z.total_out == rlen && !memcmp(back, raw, rlen));
	inflateEnd(&z);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pprof *p = pprof_new(types, 2);
	struct folded *f = folded_new();
	uint8_t *raw = NULL, *gz = NULL;
	size_t rlen, glen;
	char err[512], *text = fuzz_text(data, size);
	FILE *in = size ? fmemopen((void *)data, size, "r") : NULL;

	if (p && f && in && !folded_read(f, in, "fuzz", err, sizeof(err)))
		pprof_add_folded(p, f, (int)(size % 2));
	if (p && text) {
		struct pprof_frame fr[2] = { { .function = text, .address = size },
					     { .function = "", .address = 0 } };
		struct pprof_label lb[2] = {
			{ .key = text, .str = text },
			{ .key = "n", .num = (int64_t)size, .num_unit = text },
		};
		int64_t v[2] = { (int64_t)size, -(int64_t)size };

		pprof_add_sample(p, fr, 2, v, lb, 2);
		pprof_set_period(p, "cpu", text, (int64_t)size);
		pprof_set_time(p, (int64_t)size, (int64_t)size);
	}
	if (p && !pprof_encode(p, &raw, &rlen) && !pprof_gzip(raw, rlen, &gz, &glen))
		check_gzip(raw, rlen, gz, glen);
	free(raw);
	free(gz);
	if (in)
		fclose(in);
	free(text);
	folded_free(f);
	pprof_free(p);
	return 0;
}
