// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * compare's inputs (stats/compare.c) and writers: two report.json documents (the input
 * split at "\n--\n"; one document is compared with itself), checked as compare checks
 * them, compared, and written as text, markdown, JUnit and JSON. The JSON result must
 * parse back.
 */
#include "fuzz.h"
#include "report/compare_text.h"
#include "report/writers_ci.h"
#include "stats/compare.h"

static bool load(struct cmp_report *r, const uint8_t *data, size_t size)
{
	char err[1024];

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "fuzz/report.json");
	snprintf(r->dir, sizeof(r->dir), "/nonexistent-fuzz-dir");
	r->doc = json_parse((const char *)data, size, 0, NULL);
	r->root = json_root(r->doc);
	if (r->doc && !cmp_report_check(r->root, r->path, err, sizeof(err)))
		return true;
	json_doc_free(r->doc);
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmp_report base, cur;
	struct cmp_result res = { 0 };
	struct cmp_opts o;
	const uint8_t *b;
	size_t alen, blen, len = 0;
	char err[1024], *out = NULL;
	FILE *m;

	fuzz_split(data, size, &alen, &b, &blen);
	if (!blen) {
		b = data;
		blen = alen;
	}
	if (!load(&base, data, alen))
		return 0;
	if (!load(&cur, b, blen)) {
		json_doc_free(base.doc);
		return 0;
	}
	cmp_opts_init(&o);
	if (!cmp_run(&base, &cur, &o, &res, err, sizeof(err))) {
		m = fopen("/dev/null", "w");
		cmp_print_text(m, &res, true);
		ci_markdown(m, &res);
		ci_junit(m, &res);
		fclose(m);
		m = open_memstream(&out, &len);
		ci_json(m, &res);
		fclose(m);
		struct json_doc *d = json_parse(out, len, 0, NULL);

		FUZZ_CHECK(d != NULL);
		json_doc_free(d);
		free(out);
	}
	cmp_result_free(&res);
	json_doc_free(base.doc);
	json_doc_free(cur.doc);
	return 0;
}
