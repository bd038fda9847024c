// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Folded stacks (stacks/folded.c): whatever the reader accepts, the writer writes, and
 * the reader reads back to the same stacks with the same values.
 */
#include "fuzz.h"
#include "stacks/folded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct folded *f = folded_new(), *g = folded_new();
	char err[512], *out = NULL;
	size_t len = 0;
	FILE *in, *m;

	in = size ? fmemopen((void *)data, size, "r") : NULL;
	if (f && g && in && !folded_read(f, in, "fuzz", err, sizeof(err))) {
		m = open_memstream(&out, &len);
		FUZZ_CHECK(folded_write(f, m) == 0);
		fclose(m);
		m = fmemopen(out, len ? len : 1, "r");
		FUZZ_CHECK(len == 0 || folded_read(g, m, "written", err, sizeof(err)) == 0);
		fclose(m);
		FUZZ_CHECK(folded_count(f) == folded_count(g));
		FUZZ_CHECK(folded_total(f) == folded_total(g));
		for (size_t i = 0; i < folded_count(f); i++) {
			const char *sa, *sb;
			uint64_t va, vb;

			folded_get(f, i, &sa, &va);
			folded_get(g, i, &sb, &vb);
			FUZZ_CHECK(sa && sb && !strcmp(sa, sb) && va == vb);
		}
		free(out);
	}
	if (in)
		fclose(in);
	folded_free(f);
	folded_free(g);
	return 0;
}
