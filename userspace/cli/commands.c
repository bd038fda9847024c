// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the subcommands share (main.c, which holds main(), stays out of the test links). */
#include <stdarg.h>
#include <stdio.h>
#include "cli/commands.h"

int cmd_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "opscope %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}
