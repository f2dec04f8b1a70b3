// SPDX-License-Identifier: Apache-2.0
/* evectl: dispatch (parse, help, run the command's handler). The helpers
 * the handlers use (connection, requests, errors, output) are in ev.c. */
#include "evectl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eve_version.h"

/* No command resolved: group help, or an error for a bare group. */
static int run_group(struct cmd_args *a)
{
	char words[1024];

	if (a->help) {
		cmdtab_help_group(stdout, a->group);
		return EXIT_OK;
	}
	/* errors stay one line: name the choices, point at --help */
	cmdtab_next_words(a->group, words, sizeof(words));
	return ev_usage("%s%smissing command, one of:%s(see 'evectl %s%s--help')", a->group,
			*a->group ? ": " : "", words, a->group, *a->group ? " " : "");
}

/* The global --version (a command may have its own --version option). */
static bool global_version(const struct cmd_args *a)
{
	for (size_t i = 0; cmdtab_globals[i].lng; i++) {
		if (strcmp(cmdtab_globals[i].lng, "version") == 0)
			return a->gvals[i].set;
	}
	return false;
}

int evectl_main(int argc, char **argv)
{
	struct evectl ev = {0};
	struct cmd_args a = {.ctx = &ev};
	char err[512];
	int code;

	cmdtab_use(cmdtab_commands, cmdtab_globals);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("evectl %s\n", EVE_VERSION);
		return EXIT_OK;
	}
	if (cmdtab_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		code = ev_usage("%s (see 'evectl %s%s--help')", err, a.cmd ? a.cmd->name : a.group,
				(a.cmd || *a.group) ? " " : "");
		goto out;
	}
	if (global_version(&a)) {
		printf("evectl %s\n", EVE_VERSION);
		code = EXIT_OK;
		goto out;
	}
	if (!a.cmd) {
		code = run_group(&a);
		goto out;
	}
	if (a.help) {
		cmdtab_help_cmd(stdout, a.cmd);
		code = EXIT_OK;
		goto out;
	}
	code = a.cmd->handler(&a);
	if (fflush(stdout) != 0 && code == EXIT_OK)
		code = ev_fail(EXIT_USAGE, "writing output: %s", strerror(errno));
out:
	api_free(ev.api);
	cmdtab_args_free(&a);
	return code;
}
