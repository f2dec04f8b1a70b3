// SPDX-License-Identifier: Apache-2.0
/* app history|rollback: an app's revisions and returning to one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "evectl.h"

static const struct out_col revision_cols[] = {
    {"VERSION", "version"}, {"IMAGE", "image"},     {"CREATED", "created"},
    {"REASON", "reason"},   {"OUTCOME", "outcome"}, {NULL},
};

int cmd_app_history(struct cmd_args *a)
{
	char *path = ev_path("/apps/%s/history", a->pos[0]);
	json_t *resp = NULL;
	int code = ev_request(a, "GET", path, NULL, &resp);

	if (code == EXIT_OK) {
		if (ev_mode(a) == OUT_JSON)
			out_json(stdout, resp);
		else
			out_table(stdout, revision_cols, json_object_get(resp, "revisions"), ev_mode(a),
				  "version");
	}
	free(path);
	json_decref(resp);
	return code;
}

int cmd_app_rollback(struct cmd_args *a)
{
	const struct cmd_val *to = cmdtab_val(a, "to");
	char *path = ev_path("/apps/%s/rollback", a->pos[0]);
	json_t *body = json_object(), *resp = NULL;
	int code;

	if (to->set && to->num < 1) {
		free(path);
		json_decref(body);
		return ev_usage("--to: a revision number (evectl app history)");
	}
	if (to->set)
		json_object_set_new(body, "to", json_integer((json_int_t)to->num));
	code = ev_request(a, "POST", path, body, &resp);
	if (code == EXIT_OK)
		ev_done(a, resp, "app/%s: rolled back to v%lld (now v%lld)", a->pos[0],
			(long long)json_integer_value(json_object_get(resp, "rolled_back_to")),
			(long long)json_integer_value(json_object_get(resp, "version")));
	free(path);
	json_decref(body);
	json_decref(resp);
	return code;
}
