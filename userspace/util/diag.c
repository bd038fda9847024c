// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The one error printer and the one warning printer (util/diag.h). */
#include <stdarg.h>
#include <stdio.h>
#include "util/diag.h"

static void say(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "opscope %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cmd_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(cmd, fmt, ap);
	va_end(ap);
	return 2;
}

void cmd_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(cmd, fmt, ap);
	va_end(ap);
}
