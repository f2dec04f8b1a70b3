// SPDX-License-Identifier: Apache-2.0
/* whoami, token, user, project and audit: who may do what on the
 * controller (admin API /tokens, /users, /projects, /audit). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "evectl.h"
#include "units.h"

#define PASSWORD_MAX 1024

static const struct out_col token_cols[] = {
    {"ID", "id"},
    {"NAME", "name"},
    {"ROLE", "role"},
    {"PROJECTS", "projects"},
    {"EXPIRES", "expires"},
    {"LAST USED", "last_used"},
    {"CREATED", "created", NULL, true},
    {NULL},
};

static const struct out_col token_new_cols[] = {
    {"NAME", "name"},       {"ROLE", "role"},   {"PROJECTS", "projects"},
    {"EXPIRES", "expires"}, {"TOKEN", "token"}, {NULL},
};

static const struct out_col user_cols[] = {
    {"NAME", "name"}, {"ROLE", "role"}, {"PROJECTS", "projects"}, {"CREATED", "created"}, {NULL},
};

static const struct out_col project_cols[] = {
    {"NAME", "name"}, {"DEVICES", "devices"}, {"APPS", "apps"}, {"CREATED", "created"}, {NULL},
};

static const struct out_col audit_cols[] = {
    {"TIME", "time"},
    {"WHO", "who"},
    {"ACTION", "action"},
    {"OBJECT", "object"},
    {"STATUS", "status"},
    {"SUMMARY", "summary"},
    {"CLIENT", "client", NULL, true},
    {"ID", "id", NULL, true},
    {NULL},
};

static const struct out_col whoami_cols[] = {
    {"USER", "user"}, {"TOKEN", "token"}, {"ROLE", "role"}, {"PROJECTS", "projects"}, {NULL},
};

int cmd_whoami(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_request(a, "GET", "/whoami", NULL, &resp);

	if (code == EXIT_OK)
		ev_print_object(a, whoami_cols, resp, "token");
	json_decref(resp);
	return code;
}

/* --project values as a JSON array (NULL when none given). */
static json_t *projects_arg(struct cmd_args *a)
{
	const struct cmd_val *v = cmdtab_val(a, "project");
	json_t *arr;

	if (!v || !v->set || v->nlist == 0)
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < v->nlist; i++)
		json_array_append_new(arr, json_string(v->list[i]));
	return arr;
}

int cmd_token_create(struct cmd_args *a)
{
	const struct cmd_val *exp = cmdtab_val(a, "expires");
	const char *role = cmdtab_str(a, "role");
	json_t *body, *resp = NULL, *pr = projects_arg(a);
	int code;

	if (!strcmp(role, "admin") && pr) {
		json_decref(pr);
		return ev_usage("--project: an admin token has every project");
	}
	if (strcmp(role, "admin") && !pr)
		return ev_usage("--project: a %s token needs the projects it may use ('*' for all)", role);
	body = json_pack("{s:s, s:s}", "name", cmdtab_str(a, "name"), "role", role);
	if (pr)
		json_object_set_new(body, "projects",
				    json_array_size(pr) == 1 &&
					    !strcmp(json_string_value(json_array_get(pr, 0)), "*")
					? json_string("*")
					: json_incref(pr));
	json_decref(pr);
	if (exp && exp->set)
		json_object_set_new(body, "expires_in", json_integer(exp->num));
	code = ev_request(a, "POST", "/tokens", body, &resp);
	if (code == EXIT_OK) {
		ev_print_object(a, token_new_cols, resp, "token");
		if (ev_mode(a) != OUT_JSON)
			fprintf(stderr, "evectl: the token is shown only now: keep it\n");
	}
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_token_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/tokens", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, token_cols, resp, "id");
	json_decref(resp);
	return code;
}

static int delete_named(struct cmd_args *a, const char *fmt, const char *what)
{
	char *path = ev_path(fmt, a->pos[0]);
	int code = path ? ev_request(a, "DELETE", path, NULL, NULL) : ev_fail(EXIT_USAGE, "out of memory");

	free(path);
	if (code == EXIT_OK)
		ev_done(a, NULL, "%s/%s %s", what, a->pos[0], strcmp(what, "token") ? "deleted" : "revoked");
	return code;
}

int cmd_token_revoke(struct cmd_args *a)
{
	return delete_named(a, "/tokens/%s", "token");
}

/* A password: from the terminal without echo (twice), or the first line
 * of standard input when it is not a terminal. */
static int read_password(char *out, size_t n)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	char again[PASSWORD_MAX + 2];

	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round ? again : out;
		size_t cap = round ? sizeof(again) : n;

		if (tty) {
			fprintf(stderr, round ? "Again: " : "Password: ");
			tcgetattr(STDIN_FILENO, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		char *got = fgets(dst, (int)cap, stdin);
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			fputc('\n', stderr);
		}
		if (!got)
			return -EINVAL;
		dst[strcspn(dst, "\r\n")] = 0;
	}
	if (tty && strcmp(out, again))
		return -EBADMSG;
	memset(again, 0, sizeof(again));
	return strlen(out) ? 0 : -EINVAL;
}

int cmd_user_create(struct cmd_args *a)
{
	char pw[PASSWORD_MAX + 2];
	const char *role = cmdtab_str(a, "role");
	json_t *body, *resp = NULL, *pr = projects_arg(a);
	int code;

	if (!strcmp(role, "admin") && pr) {
		json_decref(pr);
		return ev_usage("--project: an admin has every project");
	}
	if (read_password(pw, sizeof(pw)) < 0) {
		json_decref(pr);
		return ev_usage("no password read (or the two did not match)");
	}
	body = json_pack("{s:s, s:s, s:s}", "name", a->pos[0], "password", pw, "role", role);
	memset(pw, 0, sizeof(pw));
	if (pr)
		json_object_set_new(body, "projects", pr);
	code = ev_request(a, "POST", "/users", body, &resp);
	if (code == EXIT_OK)
		ev_print_object(a, user_cols, resp, "name");
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_user_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/users", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, user_cols, resp, "name");
	json_decref(resp);
	return code;
}

int cmd_user_delete(struct cmd_args *a)
{
	return delete_named(a, "/users/%s", "user");
}

int cmd_user_passwd(struct cmd_args *a)
{
	char pw[PASSWORD_MAX + 2];
	char *path;
	json_t *body;
	int code;

	if (read_password(pw, sizeof(pw)) < 0)
		return ev_usage("no password read (or the two did not match)");
	body = json_pack("{s:s}", "password", pw);
	memset(pw, 0, sizeof(pw));
	path = ev_path("/users/%s/password", a->pos[0]);
	code = path ? ev_request(a, "PUT", path, body, NULL) : ev_fail(EXIT_USAGE, "out of memory");
	free(path);
	json_decref(body);
	if (code == EXIT_OK)
		ev_done(a, NULL, "user/%s password changed (its sessions ended)", a->pos[0]);
	return code;
}

int cmd_project_create(struct cmd_args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->pos[0]), *resp = NULL;
	int code = ev_request(a, "POST", "/projects", body, &resp);

	if (code == EXIT_OK)
		ev_done(a, resp, "project/%s created", a->pos[0]);
	json_decref(body);
	json_decref(resp);
	return code;
}

int cmd_project_list(struct cmd_args *a)
{
	json_t *resp = NULL;
	int code = ev_list(a, "/projects", &resp);

	if (code == EXIT_OK)
		ev_print_list(a, project_cols, resp, "name");
	json_decref(resp);
	return code;
}

int cmd_project_delete(struct cmd_args *a)
{
	return delete_named(a, "/projects/%s", "project");
}

/* Items of resp in reverse (the API lists newest first). */
static void print_oldest_first(struct cmd_args *a, json_t *resp)
{
	json_t *items = json_object_get(resp, "items"), *rev = json_array();
	for (size_t i = json_array_size(items); i > 0; i--)
		json_array_append(rev, json_array_get(items, i - 1));
	json_object_set_new(resp, "items", rev);
	ev_print_list(a, audit_cols, resp, "id");
}

int cmd_audit(struct cmd_args *a)
{
	const struct cmd_val *since = cmdtab_val(a, "since"), *lim = cmdtab_val(a, "limit");
	const char *user = cmdtab_str(a, "user");
	bool follow = cmdtab_flag(a, "follow");
	char t[32] = "", q[512];
	json_t *resp = NULL;
	int code;

	if (since && since->set)
		units_format_time(time(NULL) - (time_t)since->num, t, sizeof(t));
	char *u = user ? ev_path("%s", user) : NULL;
	snprintf(q, sizeof(q), "/audit?limit=%lld%s%s%s%s", lim && lim->set ? lim->num : 100LL,
		 t[0] ? "&since=" : "", t, u ? "&user=" : "", u ? u : "");
	code = ev_request(a, "GET", q, NULL, &resp);
	if (code != EXIT_OK)
		goto out;
	json_t *first = json_array_get(json_object_get(resp, "items"), 0);
	long long last = first ? (long long)json_integer_value(json_object_get(first, "id")) : 0;
	print_oldest_first(a, resp);
	while (follow && code == EXIT_OK) {
		json_decref(resp);
		resp = NULL;
		fflush(stdout);
		snprintf(q, sizeof(q), "/audit?follow=1&after=%lld&limit=1000%s%s", last, u ? "&user=" : "",
			 u ? u : "");
		code = ev_request(a, "GET", q, NULL, &resp);
		json_t *items = json_object_get(resp, "items");
		if (code == EXIT_OK && !json_array_size(items))
			sleep(1); /* the server did not wait (busy): poll gently */
		if (code == EXIT_OK && json_array_size(items)) {
			last = (long long)json_integer_value(
			    json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
			ev_print_list(a, audit_cols, resp, "id");
		}
	}
out:
	free(u);
	json_decref(resp);
	return code;
}
