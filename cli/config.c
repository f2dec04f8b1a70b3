// SPDX-License-Identifier: Apache-2.0
/* The evectl configuration file. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

int config_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int len;

	if (xdg && *xdg)
		len = snprintf(buf, n, "%s/evectl/config", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.config/evectl/config", home);
	else
		return -ENOENT;
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static json_t *config_empty(void)
{
	return json_pack("{s:n, s:{}}", "current", "contexts");
}

/* A context must be an object of strings. */
static int context_valid(json_t *ctx)
{
	const char *k;
	json_t *v;

	if (!json_is_object(ctx) || !json_is_string(json_object_get(ctx, "server")))
		return 0;
	json_object_foreach(ctx, k, v)
	{
		if (!json_is_string(v))
			return 0;
	}
	return 1;
}

static int config_validate(json_t *cfg, char *err, size_t errlen)
{
	json_t *ctxs = json_object_get(cfg, "contexts"), *cur = json_object_get(cfg, "current"), *v;
	const char *k;

	if (!json_is_object(cfg) || !json_is_object(ctxs) ||
	    (cur && !json_is_null(cur) && !json_is_string(cur))) {
		snprintf(err, errlen, "expected {\"current\": NAME, \"contexts\": {...}}");
		return -EINVAL;
	}
	json_object_foreach(ctxs, k, v)
	{
		if (!context_valid(v)) {
			snprintf(err, errlen, "context '%s' is malformed", k);
			return -EINVAL;
		}
	}
	return 0;
}

int config_load(const char *path, json_t **out, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *cfg = NULL;
	int r;

	r = fileio_read(path, CONFIG_MAX_BYTES, &data, &len);
	if (r == -ENOENT) {
		cfg = config_empty();
		r = cfg ? 0 : -ENOMEM;
		goto out;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r < 4096 ? -r : EFBIG));
		goto out;
	}
	cfg = json_loadb((const char *)data, len, 0, &jerr);
	if (!cfg) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		r = -EINVAL;
		goto out;
	}
	r = config_validate(cfg, err, errlen);
out:
	free(data);
	if (r < 0) {
		json_decref(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

/* Directory part of path, created 0700 (it holds tokens). */
static int config_mkdir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return slash ? -ENAMETOOLONG : 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return fileio_mkdirs(dir, 0700);
}

int config_save(const char *path, const json_t *cfg)
{
	char *text;
	int r;

	r = config_mkdir(path);
	if (r < 0)
		return r;
	text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	r = fileio_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return r;
}

int config_set_context(json_t *cfg, const char *name, const char *server, const char *ca, const char *token)
{
	json_t *ctx = json_pack("{s:s}", "server", server);

	if (!ctx)
		return -ENOMEM;
	if ((ca && json_object_set_new(ctx, "ca", json_string(ca)) < 0) ||
	    (token && json_object_set_new(ctx, "token", json_string(token)) < 0)) {
		json_decref(ctx);
		return -ENOMEM;
	}
	/* set_new takes the reference even when it fails */
	if (json_object_set_new(json_object_get(cfg, "contexts"), name, ctx) < 0)
		return -ENOMEM;
	return json_object_set_new(cfg, "current", json_string(name)) < 0 ? -ENOMEM : 0;
}

int config_use(json_t *cfg, const char *name)
{
	if (!json_object_get(json_object_get(cfg, "contexts"), name))
		return -ENOENT;
	return json_object_set_new(cfg, "current", json_string(name)) < 0 ? -ENOMEM : 0;
}

const char *config_current(const json_t *cfg)
{
	return json_string_value(json_object_get(cfg, "current"));
}

json_t *config_context(const json_t *cfg, const char *name)
{
	if (!name)
		name = config_current(cfg);
	if (!name)
		return NULL;
	return json_object_get(json_object_get(cfg, "contexts"), name);
}
