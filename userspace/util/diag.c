// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The one error printer and the one warning printer (util/diag.h). A message may quote
 * what a user gave (a suite line, a file name): control bytes and invalid UTF-8 in it are
 * printed as \xNN, so that a bad input can neither move the terminal's cursor nor run
 * its escape sequences, and the message stays on one line.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "util/diag.h"

/* Bytes in the UTF-8 sequence at s (1 to 4), or 0 when it is not valid or is a C1 control. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (s[0] >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* U+0080..U+009F are control codes too; overlong 3- and 4-byte forms are invalid */
	if ((n == 2 && s[0] == 0xc2 && s[1] < 0xa0) || (n == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void diag_put_safe(FILE *f, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		int n = *s < 0x80 ? 1 : utf8_len(s);

		if ((*s < 0x20 && *s != '\t') || *s == 0x7f || !n) {
			fprintf(f, "\\x%02x", *s);
			s++;
			continue;
		}
		fwrite(s, 1, (size_t)n, f);
		s += n;
	}
}

static void say(const char *cmd, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "opscope %s: ", cmd);
	diag_put_safe(stderr, msg);
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
