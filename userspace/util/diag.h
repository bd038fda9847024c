/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one error printer and the one warning printer: every message opscope prints for a
 * person goes through these, as "opscope CMD: <message>" on one line of stderr, where CMD
 * is the subcommand ("run", "record", ...). Modules below cli/ return errors as text
 * (err, errlen) and only warn here about what they skipped. Control bytes and invalid
 * UTF-8 in a message (a quoted bad input) are printed as \xNN.
 */
#ifndef OPSCOPE_DIAG_H
#define OPSCOPE_DIAG_H

#include <stdio.h>

/* Print the message and return 2, the exit status for bad input or failure. */
int cmd_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the message; the command goes on. */
void cmd_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* text with control bytes and invalid UTF-8 as \xNN (what cmd_fail and cmd_warn print) */
void diag_put_safe(FILE *f, const char *text);

#endif
