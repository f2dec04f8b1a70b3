// SPDX-License-Identifier: Apache-2.0
/* apply -f / delete -f: an edge-container manifest <-> one app. Applying is
 * idempotent: the app is created if missing, replaced (PUT) only when its
 * spec differs, and left alone otherwise. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "evectl.h"
#include "manifest.h"

static int load_spec(struct cmd_args *a, json_t **spec)
{
	const char *file = cmdtab_str(a, "file");
	json_t *m = NULL;
	char err[512];
	int code = ev_read_json(file, MANIFEST_MAX_BYTES, &m);

	if (code)
		return code;
	if (manifest_to_spec(m, spec, err, sizeof(err)) < 0)
		code = ev_usage("%s: %s", file, err);
	json_decref(m);
	return code;
}

/* The server stores "device" as the device's uuid; a manifest may name it.
 * Compare with the name resolved, so an unchanged manifest stays a no-op. */
static bool spec_unchanged(struct api *api, const json_t *spec, const json_t *app)
{
	const char *dev = json_string_value(json_object_get(spec, "device"));
	const char *have = json_string_value(json_object_get(app, "device"));
	json_t *copy, *devobj = NULL;
	char *path;
	bool same;

	if (manifest_spec_matches(spec, app))
		return true;
	if (!dev || !have || strcmp(dev, have) == 0)
		return false;
	path = ev_path("/devices/%s", dev);
	if (!path || api_call(api, "GET", path, NULL, &devobj) < 0) {
		free(path);
		return false;
	}
	free(path);
	copy = json_copy((json_t *)spec);
	if (copy)
		json_object_set(copy, "device", json_object_get(devobj, "id"));
	same = copy && manifest_spec_matches(copy, app);
	json_decref(copy);
	json_decref(devobj);
	return same;
}

int cmd_apply(struct cmd_args *a)
{
	json_t *spec = NULL, *app = NULL, *resp = NULL;
	const char *name, *verb = "created";
	struct api *api;
	char *path = NULL;
	int code = load_spec(a, &spec), r;

	if (code)
		return code;
	name = json_string_value(json_object_get(spec, "name"));
	path = ev_path("/apps/%s", name);
	api = ev_api(a, &code);
	if (!api)
		goto out;
	r = api_call(api, "GET", path, NULL, &app);
	if (r == -ENOENT) {
		code = ev_request(a, "POST", "/apps", spec, &resp);
	} else if (r < 0) {
		code = ev_api_error(a, r);
	} else if (spec_unchanged(api, spec, app)) {
		verb = "unchanged";
		resp = json_incref(app);
	} else {
		verb = "configured";
		code = ev_request(a, "PUT", path, spec, &resp);
	}
	if (code == EXIT_OK) {
		const char *why = json_string_value(json_object_get(resp, "restarted"));

		if (why)
			ev_done(a, resp, "app/%s %s (%s: instances restarted to apply it)", name, verb, why);
		else
			ev_done(a, resp, "app/%s %s", name, verb);
	}
out:
	free(path);
	json_decref(spec);
	json_decref(app);
	json_decref(resp);
	return code;
}

int cmd_delete_file(struct cmd_args *a)
{
	json_t *spec = NULL;
	const char *name;
	struct api *api;
	char *path = NULL;
	int code = load_spec(a, &spec), r;

	if (code)
		return code;
	name = json_string_value(json_object_get(spec, "name"));
	path = ev_path("/apps/%s", name);
	api = ev_api(a, &code);
	if (!api)
		goto out;
	r = path ? api_call(api, "DELETE", path, NULL, NULL) : -ENOMEM;
	if (r == -ENOENT && cmdtab_flag(a, "ignore-not-found"))
		ev_done(a, NULL, "app/%s not found", name);
	else if (r < 0)
		code = ev_api_error(a, r);
	else
		ev_done(a, NULL, "app/%s deleted", name);
out:
	free(path);
	json_decref(spec);
	return code;
}
