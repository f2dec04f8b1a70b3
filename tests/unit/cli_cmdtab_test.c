// SPDX-License-Identifier: Apache-2.0
/* evectl's table-driven parser, help, completion and man page, against the
 * real command table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"

static int parse(struct cmd_args *a, char *err, size_t n, ...)
{
	char *argv[32] = {"evectl"};
	int argc = 1;
	va_list ap;
	char *s;

	memset(a, 0, sizeof(*a));
	va_start(ap, n);
	while ((s = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = s;
	va_end(ap);
	err[0] = 0;
	return cmdtab_parse(argc, argv, a, err, n);
}

static void test_resolve(void **state)
{
	struct cmd_args a;
	char err[256];

	assert_int_equal(parse(&a, err, sizeof(err), "device", "config", "set", "d1", "a=b", NULL), 0);
	assert_string_equal(a.cmd->name, "device config set");
	assert_int_equal(a.npos, 2);
	assert_string_equal(a.pos[1], "a=b");
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "-o", "json", "device", "list", NULL), 0);
	assert_string_equal(a.cmd->name, "device list");
	assert_string_equal(cmdtab_str(&a, "output"), "json");
	cmdtab_args_free(&a);

	/* a group alone resolves no command */
	assert_int_equal(parse(&a, err, sizeof(err), "device", NULL), 0);
	assert_null(a.cmd);
	assert_string_equal(a.group, "device");
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "device", "frobnicate", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown command"));
	cmdtab_args_free(&a);
}

static void test_options(void **state)
{
	struct cmd_args a;
	char err[256];
	const struct cmd_val *v;

	assert_int_equal(parse(&a, err, sizeof(err), "app", "deploy", "web", "--image=nginx", "--device",
			       "d1", "--memory", "512M", "-e", "A=1", "-eB=2", "-p", "8080:80", "--vnc",
			       NULL),
			 0);
	assert_string_equal(cmdtab_str(&a, "image"), "nginx");
	v = cmdtab_val(&a, "memory");
	assert_true(v->set);
	assert_int_equal(v->num, 512LL << 20);
	v = cmdtab_val(&a, "env");
	assert_int_equal(v->nlist, 2);
	assert_string_equal(v->list[1], "B=2");
	assert_true(cmdtab_flag(&a, "vnc"));
	assert_false(cmdtab_flag(&a, "stopped"));
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "app", "deploy", "web", "--device", "d", NULL), -EINVAL);
	assert_non_null(strstr(err, "--image is required"));
	cmdtab_args_free(&a);

	assert_int_equal(
	    parse(&a, err, sizeof(err), "app", "deploy", "w", "--image", "i", "--memory", "lots", NULL),
	    -EINVAL);
	assert_non_null(strstr(err, "--memory"));
	cmdtab_args_free(&a);

	assert_int_equal(
	    parse(&a, err, sizeof(err), "app", "wait", "w", "--state", "RUNNING", "--timeout", "2m", NULL),
	    0);
	assert_int_equal(cmdtab_val(&a, "timeout")->num, 120);
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "image", "add", "x", "--format", "vmdk", NULL), -EINVAL);
	assert_non_null(strstr(err, "not one of"));
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "device", "list", "--nope", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown option '--nope'"));
	cmdtab_args_free(&a);

	assert_int_equal(parse(&a, err, sizeof(err), "device", "get", NULL), -EINVAL);
	cmdtab_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), "device", "get", "a", "b", NULL), -EINVAL);
	cmdtab_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), "device", "get", "--server", NULL), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	cmdtab_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), "-q", "-q", "image", "list", NULL), 0);
	cmdtab_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), "--quiet=1", "image", "list", NULL), -EINVAL);
	cmdtab_args_free(&a);
	assert_int_equal(parse(&a, err, sizeof(err), "-o", "json", "-o", "wide", "image", "list", NULL),
			 -EINVAL);
	cmdtab_args_free(&a);
	/* "--" makes the rest positional */
	assert_int_equal(parse(&a, err, sizeof(err), "device", "get", "--", "-weird", NULL), 0);
	assert_string_equal(a.pos[0], "-weird");
	cmdtab_args_free(&a);
	/* help skips the required-option check */
	assert_int_equal(parse(&a, err, sizeof(err), "app", "deploy", "--help", NULL), 0);
	assert_true(a.help);
	cmdtab_args_free(&a);
}

/* s occurs in text; in roff every '-' is written "\\-". */
static bool mentions(const char *text, const char *s, bool roff)
{
	char esc[128];
	size_t n = 0;

	for (; *s && n + 3 < sizeof(esc); s++) {
		if (roff && *s == '-')
			esc[n++] = '\\';
		esc[n++] = *s;
	}
	esc[n] = 0;
	return strstr(text, esc) != NULL;
}

/* Each generator mentions every visible command and option. */
static void test_generated(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	const struct cmd *c;
	size_t i;

	for (int which = 0; which < 3; which++) {
		f = open_memstream(&text, &len);
		if (which == 0)
			cmdtab_help_group(f, NULL);
		else if (which == 1)
			cmdtab_completion_bash(f);
		else
			cmdtab_man(f);
		fclose(f);
		for (c = cmdtab_commands; c->name; c++) {
			const char *last = strrchr(c->name, ' ');

			if (c->hidden)
				continue;
			assert_true(mentions(text, last ? last + 1 : c->name, which == 2));
			for (i = 0; which && c->opts && c->opts[i].lng; i++)
				assert_true(mentions(text, c->opts[i].lng, which == 2));
		}
		if (which < 2)
			assert_null(strstr(text, "__man"));
		free(text);
		text = NULL;
	}
	f = open_memstream(&text, &len);
	cmdtab_completion_bash(f);
	fclose(f);
	assert_non_null(strstr(text, "\"device config\") cands=\" set get dump \""));
	assert_non_null(strstr(text, "complete -o default -F _evectl evectl"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_generated),
	};
	cmdtab_use(cmdtab_commands, cmdtab_globals);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
