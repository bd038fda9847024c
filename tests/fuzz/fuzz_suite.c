// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Suite files (workloads/suite.c): parse the input as a suite against the real workload
 * table, then expand it into scenarios, as `run --suite` does before anything runs.
 */
#include "fuzz.h"
#include "workloads/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *sc = NULL;
	struct suite *s;
	char err[1024];
	char *text;
	int n;

	text = fuzz_text(data, size);
	s = suite_new("fuzz.suite", "fuzz", wl_all);
	if (text && s && !suite_parse(s, text, err, sizeof(err)) &&
	    !suite_expand(s, NULL, &sc, &n, err, sizeof(err))) {
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(sc[i].set.reps >= 1);
			FUZZ_CHECK(sc[i].set.timeout_ns > 0);
			FUZZ_CHECK(strlen(sc[i].id) < sizeof(sc[i].id));
		}
		free(sc);
	}
	suite_free(s);
	free(text);
	return 0;
}
