// SPDX-License-Identifier: Apache-2.0
/* The helpers every evectl command handler uses (declared in evectl.h):
 * error lines and exit codes, the output mode, the connection to the admin
 * API, requests, lists, printing. Below the command files: it calls none
 * of them, nor the dispatcher (evectl.c). */
#include "evectl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "curlerr.h"
#include "err.h"
#include "fileio.h"

static void vmsg(const char *fmt, va_list ap)
{
	fputs("evectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ev_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int ev_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return code;
}

int ev_api_error(struct cmd_args *a, int err)
{
	struct evectl *ev = a->ctx;
	const char *msg = ev->api ? api_errmsg(ev->api) : eve_strerror(err);

	if (curlerr_unreachable(err))
		return ev_fail(EXIT_UNREACHABLE, "%s", msg);
	switch (err) {
	case -ENOENT:
		return ev_fail(EXIT_NOTFOUND, "not found: %s", msg);
	case -ENOMEM:
		return ev_fail(EXIT_REJECTED, "out of memory");
	default:
		return ev_fail(EXIT_REJECTED, "%s", msg);
	}
}

enum out_mode ev_mode(const struct cmd_args *a)
{
	const char *o = cmdtab_str(a, "output");

	if (cmdtab_flag(a, "quiet"))
		return OUT_QUIET;
	if (o && strcmp(o, "json") == 0)
		return OUT_JSON;
	if (o && strcmp(o, "wide") == 0)
		return OUT_WIDE;
	return OUT_TABLE;
}

/* flag > environment > config context */
static const char *pick(const struct cmd_args *a, const char *flag, const char *env, const json_t *ctx,
			const char *key)
{
	const char *v = cmdtab_str(a, flag);

	if (v)
		return v;
	v = getenv(env);
	if (v && *v)
		return v;
	return json_string_value(json_object_get(ctx, key));
}

static int api_open(struct cmd_args *a, struct evectl *ev)
{
	char path[4096], err[512];
	const char *ctxname = cmdtab_str(a, "context"), *server, *token, *ca;
	json_t *cfg = NULL, *ctx = NULL;
	int r, code = EXIT_OK;

	if (!ctxname)
		ctxname = getenv("EVECTL_CONTEXT");
	if (config_path(path, sizeof(path)) == 0) {
		r = config_load(path, &cfg, err, sizeof(err));
		if (r < 0)
			return ev_usage("config: %s", err);
		ctx = config_context(cfg, ctxname);
	}
	server = pick(a, "server", "EVECTL_SERVER", ctx, "server");
	/* (login names the context it creates: then the server is a flag) */
	if (ctxname && !ctx && !server) {
		code = ev_usage("no context named '%s' (see 'evectl context list')", ctxname);
		goto out;
	}
	token = pick(a, "token", "EVECTL_TOKEN", ctx, "token");
	ca = pick(a, "ca", "EVECTL_CA", ctx, "ca");
	if (!server) {
		code = ev_usage("no server: run 'evectl login' or set EVECTL_SERVER / --server");
		goto out;
	}
	if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
		code = ev_usage("--server: '%s' is not an http(s):// URL", server);
		goto out;
	}
	if (api_new(server, ca, token, &ev->api) < 0)
		code = ev_fail(EXIT_REJECTED, "out of memory");
out:
	json_decref(cfg);
	return code;
}

struct api *ev_api(struct cmd_args *a, int *code)
{
	struct evectl *ev = a->ctx;

	*code = EXIT_OK;
	if (!ev->api)
		*code = api_open(a, ev);
	return ev->api;
}

char *ev_path(const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	const char *p;
	int r = 0;

	buf_init(&b, 64 * 1024);
	va_start(ap, fmt);
	for (p = fmt; *p && r == 0; p++) {
		if (p[0] == '%' && p[1] == 's') {
			char *e = api_escape(va_arg(ap, const char *));

			r = e ? buf_append(&b, e, strlen(e)) : -ENOMEM;
			free(e);
			p++;
		} else {
			r = buf_append(&b, p, 1);
		}
	}
	va_end(ap);
	if (r == 0 && !b.data)
		r = buf_append(&b, "", 0);
	if (r < 0 || !b.data) {
		buf_free(&b);
		return NULL;
	}
	return (char *)buf_steal(&b, NULL);
}

int ev_request(struct cmd_args *a, const char *method, const char *path, const json_t *body, json_t **out)
{
	int code, r;
	struct api *api;

	if (!path)
		return ev_fail(EXIT_REJECTED, "out of memory");
	api = ev_api(a, &code);
	if (!api)
		return code;
	r = api_call(api, method, path, body, out);
	return r < 0 ? ev_api_error(a, r) : EXIT_OK;
}

#define LIST_MAX_PAGES 1000

/* Append page's items to all; return the next cursor (borrowed) or NULL. */
static const char *list_merge(json_t *all, json_t *page)
{
	json_t *items = json_object_get(page, "items");

	if (json_is_array(items))
		json_array_extend(json_object_get(all, "items"), items);
	return json_string_value(json_object_get(page, "next"));
}

int ev_list(struct cmd_args *a, const char *path, json_t **out)
{
	json_t *all = json_pack("{s:[], s:n}", "items", "next"), *page = NULL;
	char *cur = NULL, *p = NULL;
	const char *next;
	int code = EXIT_OK, i;

	if (!all)
		return ev_fail(EXIT_REJECTED, "out of memory");
	for (i = 0; i < LIST_MAX_PAGES; i++) {
		if (cur && asprintf(&p, "%s%cbefore=%s", path, strchr(path, '?') ? '&' : '?', cur) < 0)
			p = NULL;
		code = ev_request(a, "GET", cur ? p : path, NULL, &page);
		free(p);
		p = NULL;
		if (code)
			break;
		if (!json_is_object(page) || !json_is_array(json_object_get(page, "items"))) {
			code = ev_fail(EXIT_REJECTED, "the server's list has no \"items\" array");
			break;
		}
		next = list_merge(all, page);
		free(cur);
		cur = next && *next ? api_escape(next) : NULL;
		json_decref(page);
		page = NULL;
		if (!cur)
			break;
	}
	json_decref(page);
	free(cur);
	if (code) {
		json_decref(all);
		return code;
	}
	*out = all;
	return EXIT_OK;
}

void ev_print_list(struct cmd_args *a, const struct out_col *cols, const json_t *resp, const char *idkey)
{
	enum out_mode m = ev_mode(a);

	if (m == OUT_JSON)
		out_json(stdout, resp);
	else
		out_table(stdout, cols, json_object_get(resp, "items"), m, idkey);
}

void ev_print_object(struct cmd_args *a, const struct out_col *cols, const json_t *obj, const char *idkey)
{
	enum out_mode m = ev_mode(a);
	char buf[256];

	if (!obj)
		return;
	if (m == OUT_JSON) {
		out_json(stdout, obj);
	} else if (m == OUT_QUIET) {
		out_fmt_value(obj, idkey, buf, sizeof(buf));
		printf("%s\n", buf);
	} else {
		out_object(stdout, cols, obj);
	}
}

void ev_done(struct cmd_args *a, const json_t *resp, const char *fmt, ...)
{
	enum out_mode m = ev_mode(a);
	va_list ap;

	if (m == OUT_JSON) {
		if (resp)
			out_json(stdout, resp);
		return;
	}
	if (m == OUT_QUIET)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int ev_read_json(const char *path, size_t cap, json_t **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	int r;

	if (strcmp(path, "-") == 0) {
		*out = json_loadf(stdin, 0, &jerr);
		if (!*out)
			return ev_usage("stdin:%d: %s", jerr.line, jerr.text);
		return EXIT_OK;
	}
	r = fileio_read(path, cap, &data, &len);
	if (r < 0)
		return ev_usage("%s: %s", path, r == -EVE_ETOOBIG ? "file too large" : strerror(-r));
	*out = json_loadb((const char *)data, len, 0, &jerr);
	free(data);
	if (!*out)
		return ev_usage("%s:%d: %s", path, jerr.line, jerr.text);
	return EXIT_OK;
}
