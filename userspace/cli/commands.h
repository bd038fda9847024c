/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The subcommands of the opscope binary; main.c maps names to these. Each returns the
 * process exit status: 0 ok, 1 a finding (e.g. a regression), 2 bad input or failure.
 * A subcommand with verbs (baseline save|show|..., history append|show|html) parses its
 * options first, then hands the rest to cmd_select() with a table of its verbs.
 */
#ifndef OPSCOPE_COMMANDS_H
#define OPSCOPE_COMMANDS_H

#include "util/diag.h"

int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_export(int argc, char **argv);

/*
 * One verb of a subcommand. fn gets argv[0] = the verb and its operands after it (as a
 * subcommand gets its own name first), and the options the subcommand parsed; it returns
 * the exit status.
 */
struct cmd_verb {
	const char *name;
	int (*fn)(int argc, char **argv, const void *opts);
};

/*
 * Run the verb argv[0] names from verbs (ended by { NULL }). Without a verb, or with one
 * not in the table, say which verbs there are (as "opscope CMD: ...") and return 2.
 */
int cmd_select(const char *cmd, const struct cmd_verb *verbs, int argc, char **argv,
	       const void *opts);

#endif
