// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The history (report/history.c): the input as a JSON Lines history file (in a memfd),
 * loaded as `history show` loads it, then shown as the table and as the HTML page.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "report/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024];
	struct history_filter all = { .metric = "all" }, def = { 0 };
	struct history *h;
	int fd = memfd_create("history", MFD_CLOEXEC);
	FILE *m;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	h = history_load(path, (int)(size % 4), err, sizeof(err));
	if (h) {
		FUZZ_CHECK(history_runs(h) > 0);
		m = fopen("/dev/null", "w");
		history_print(m, h, &def);
		history_print(m, h, &all);
		history_html(m, h, &all);
		fclose(m);
		history_free(h);
	}
	close(fd);
	return 0;
}
