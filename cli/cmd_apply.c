/* apply -f / delete -f: an edge-container manifest <-> one app. Applying is
 * idempotent: the app is created if missing, replaced (PUT) only when its
 * spec differs, and left alone otherwise. */
#include <errno.h>
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
	} else if (manifest_spec_matches(spec, app)) {
		verb = "unchanged";
		resp = json_incref(app);
	} else {
		verb = "configured";
		code = ev_request(a, "PUT", path, spec, &resp);
	}
	if (code == EXIT_OK)
		ev_done(a, resp, "app/%s %s", name, verb);
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
	char *path;
	int code = load_spec(a, &spec);

	if (code)
		return code;
	name = json_string_value(json_object_get(spec, "name"));
	path = ev_path("/apps/%s", name);
	code = ev_request(a, "DELETE", path, NULL, NULL);
	if (code == EXIT_NOTFOUND && cmdtab_flag(a, "ignore-not-found"))
		code = EXIT_OK;
	else if (code == EXIT_OK)
		ev_done(a, NULL, "app/%s deleted", name);
	free(path);
	json_decref(spec);
	return code;
}
