// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Verb dispatch for the subcommands that have verbs (cli/commands.h): one table per
 * subcommand, one lookup here, and the same two sentences when the verb is missing or
 * unknown, with the list of verbs taken from the table.
 */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"

/* "a, b or c": the verbs in the table's order. */
static void verb_list(const struct cmd_verb *verbs, char *buf, size_t len)
{
	size_t n = 0, off = 0;

	while (verbs[n].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + off, len - off, "%s%s", sep, verbs[i].name);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

int cmd_select(const char *cmd, const struct cmd_verb *verbs, int argc, char **argv,
	       const void *opts)
{
	char list[256];

	verb_list(verbs, list, sizeof(list));
	if (argc < 1)
		return cmd_fail(cmd, "which action? %s; see opscope %s --help", list, cmd);
	for (const struct cmd_verb *v = verbs; v->name; v++)
		if (!strcmp(argv[0], v->name))
			return v->fn(argc, argv, opts);
	return cmd_fail(cmd, "unknown action '%s': use %s", argv[0], list);
}
