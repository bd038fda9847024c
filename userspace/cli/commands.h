/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The subcommands of the opscope binary; main.c maps names to these. Each returns the
 * process exit status: 0 ok, 1 a finding (e.g. a regression), 2 bad input or failure. */
#ifndef OPSCOPE_COMMANDS_H
#define OPSCOPE_COMMANDS_H

#include "util/diag.h"

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif
