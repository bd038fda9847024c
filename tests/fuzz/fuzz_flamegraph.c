// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Flame graphs (stacks/flamegraph.c): folded input drawn as an SVG, and two inputs (split
 * at "\n--\n") as a differential one, with a title and unit taken from the input. The
 * SVG holds exactly the one script opscope puts there: no frame name, title or unit can
 * open another element of its own.
 */
#include "fuzz.h"
#include "stacks/flamegraph.h"
#include "stacks/folded.h"

static struct folded *read_folded(const uint8_t *data, size_t size)
{
	struct folded *f = folded_new();
	char err[512];
	FILE *in;

	if (!f || !size)
		return f;
	in = fmemopen((void *)data, size, "r");
	if (!in || folded_read(f, in, "fuzz", err, sizeof(err))) {
		folded_free(f);
		f = NULL;
	}
	if (in)
		fclose(in);
	return f;
}

static size_t count(const char *s, size_t len, const char *what)
{
	size_t n = 0, wl = strlen(what);

	for (size_t i = 0; i + wl <= len; i++)
		if (!memcmp(s + i, what, wl))
			n++;
	return n;
}

static void check_svg(int rc, char *out, size_t len)
{
	if (rc)
		return;
	FUZZ_CHECK(count(out, len, "<script") == 1);
	FUZZ_CHECK(count(out, len, "]]>") == 1);
	FUZZ_CHECK(count(out, len, "<svg") == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flamegraph_opts o = { 0 };
	struct folded *a, *b;
	const uint8_t *bd;
	size_t alen, blen, len = 0;
	char label[32], *out = NULL;
	FILE *m;
	int rc;

	fuzz_split(data, size, &alen, &bd, &blen);
	/* the first line's bytes also name the graph: as hostile as the frames */
	memcpy(label, data, size < sizeof(label) - 1 ? size : sizeof(label) - 1);
	label[size < sizeof(label) - 1 ? size : sizeof(label) - 1] = '\0';
	o.title = label;
	o.unit = label;
	o.subtitle = label;
	o.a_name = label;
	a = read_folded(data, alen);
	b = read_folded(bd, blen);
	if (a && folded_count(a)) {
		m = open_memstream(&out, &len);
		rc = flamegraph_write(m, a, &o, NULL);
		fclose(m);
		check_svg(rc, out, len);
		free(out);
		out = NULL;
	}
	if (a && b && (folded_count(a) || folded_count(b))) {
		m = open_memstream(&out, &len);
		rc = flamegraph_write_diff(m, a, b, &o, NULL);
		fclose(m);
		check_svg(rc, out, len);
		free(out);
	}
	folded_free(a);
	folded_free(b);
	return 0;
}
