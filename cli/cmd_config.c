// SPDX-License-Identifier: Apache-2.0
/* login, context, completion, __man, status. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "evectl.h"
#include "units.h"

static int config_open(char *path, size_t n, json_t **cfg)
{
	char err[512];

	if (config_path(path, n) < 0)
		return ev_usage("cannot locate the config file: set HOME or XDG_CONFIG_HOME");
	if (config_load(path, cfg, err, sizeof(err)) < 0)
		return ev_usage("config: %s", err);
	return EXIT_OK;
}

static int config_write(const char *path, const json_t *cfg)
{
	int r = config_save(path, cfg);

	if (r < 0)
		return ev_usage("cannot write %s: %s", path, strerror(-r < 4096 ? -r : EIO));
	return EXIT_OK;
}

/* Verify the settings with GET /status before saving them. */
static int login_check(struct cmd_args *a)
{
	json_t *st = NULL;
	int code = ev_request(a, "GET", "/status", NULL, &st);

	json_decref(st);
	return code;
}

int cmd_login(struct cmd_args *a)
{
	const char *name = cmdtab_str(a, "context"), *ca = cmdtab_str(a, "ca");
	char path[4096], caabs[PATH_MAX];
	json_t *cfg = NULL;
	int code;

	if (!name)
		name = "default";
	if (!realpath(ca, caabs))
		return ev_usage("--ca %s: %s", ca, strerror(errno));
	code = login_check(a);
	if (code)
		return code;
	code = config_open(path, sizeof(path), &cfg);
	if (code)
		return code;
	if (config_set_context(cfg, name, cmdtab_str(a, "server"), caabs, cmdtab_str(a, "token")) < 0)
		code = ev_fail(EXIT_USAGE, "out of memory");
	else
		code = config_write(path, cfg);
	if (code == EXIT_OK && ev_mode(a) != OUT_QUIET)
		printf("logged in to %s as context '%s' (%s)\n", cmdtab_str(a, "server"), name, path);
	json_decref(cfg);
	return code;
}

int cmd_context_use(struct cmd_args *a)
{
	char path[4096];
	json_t *cfg = NULL;
	int code = config_open(path, sizeof(path), &cfg);

	if (code)
		return code;
	if (config_use(cfg, a->pos[0]) < 0)
		code = ev_fail(EXIT_NOTFOUND, "no context named '%s'", a->pos[0]);
	else
		code = config_write(path, cfg);
	json_decref(cfg);
	return code;
}

int cmd_context_list(struct cmd_args *a)
{
	static const struct out_col cols[] = {
	    {"CURRENT", "current"}, {"NAME", "name"}, {"SERVER", "server"}, {"CA", "ca", NULL, true}, {NULL},
	};
	char path[4096];
	json_t *cfg = NULL, *items, *ctx;
	const char *name, *cur;
	int code = config_open(path, sizeof(path), &cfg);

	if (code)
		return code;
	cur = config_current(cfg);
	items = json_array();
	/* never print tokens: build rows without them */
	json_object_foreach(json_object_get(cfg, "contexts"), name, ctx)
	{
		json_array_append_new(items, json_pack("{s:s, s:s, s:O?, s:O?}", "current",
						       cur && strcmp(cur, name) == 0 ? "*" : "", "name", name,
						       "server", json_object_get(ctx, "server"), "ca",
						       json_object_get(ctx, "ca")));
	}
	if (ev_mode(a) == OUT_JSON)
		out_json(stdout, items);
	else
		out_table(stdout, cols, items, ev_mode(a), "name");
	json_decref(items);
	json_decref(cfg);
	return EXIT_OK;
}

int cmd_completion(struct cmd_args *a)
{
	if (strcmp(a->pos[0], "bash") == 0)
		cmdtab_completion_bash(stdout);
	else if (strcmp(a->pos[0], "zsh") == 0)
		cmdtab_completion_zsh(stdout);
	else
		return ev_usage("completion: 'bash' or 'zsh'");
	return EXIT_OK;
}

/* The names of one kind of object, one a line, for shell completion
 * (hidden: `evectl __names device|app|image|network`). Errors print
 * nothing: a completion must never spill onto the terminal. */
int cmd_names(struct cmd_args *a)
{
	static const struct {
		const char *kind, *path;
	} kinds[] = {
	    {"device", "/devices"}, {"app", "/apps"}, {"image", "/images"}, {"network", "/networks"}};
	struct api *api;
	json_t *resp = NULL, *e;
	size_t i;
	int code;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(a->pos[0], kinds[i].kind) == 0)
			break;
	}
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return EXIT_USAGE;
	api = ev_api(a, &code);
	if (!api || api_call(api, "GET", kinds[i].path, NULL, &resp) < 0)
		return EXIT_REJECTED;
	json_array_foreach(json_object_get(resp, "items"), i, e)
	{
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && !strpbrk(n, " \t\n"))
			printf("%s\n", n);
	}
	json_decref(resp);
	return EXIT_OK;
}

int cmd_man(struct cmd_args *a)
{
	cmdtab_man(stdout);
	return EXIT_OK;
}

static void fmt_uptime(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		snprintf(buf, n, "-");
	else
		units_format_duration((uint64_t)json_integer_value(v), buf, n);
}

int cmd_status(struct cmd_args *a)
{
	static const struct out_col cols[] = {
	    {"VERSION", "version"},
	    {"DEVICES", "devices"},
	    {"APPS", "apps"},
	    {"UPTIME", "uptime_s", fmt_uptime},
	    {NULL},
	};
	json_t *st = NULL;
	int code = ev_request(a, "GET", "/status", NULL, &st);

	if (code == EXIT_OK)
		ev_print_object(a, cols, st, "version");
	json_decref(st);
	return code;
}
