// SPDX-License-Identifier: Apache-2.0
/* The audit hook of the admin API and the helpers its handlers use (the
 * gate itself is access_gate.c). */
#include "access.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "authz.h"
#include "ctl.h"
#include "store.h"
#include "http.h"
#include "projects.h"

void access_who(const struct http_req *r, char *out, size_t n)
{
	if (r->who.user[0])
		snprintf(out, n, "%s", r->who.user);
	else if (r->who.token[0])
		snprintf(out, n, "token:%s", r->who.token);
	else
		snprintf(out, n, "-");
}

/* "name=x; fields: a, b" from a JSON body; no values but the name. */
static void body_summary(struct http_req *r, char *out, size_t n)
{
	out[0] = 0;
	if (r->route->stream) {
		snprintf(out, n, "%zu bytes", r->body.len);
		return;
	}
	json_t *j = r->body.len ? json_loadb((const char *)r->body.data, r->body.len, 0, NULL) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	size_t o = 0;
	const char *name = json_string_value(json_object_get(j, "name"));
	if (name)
		o += (size_t)snprintf(out, n, "name=%.64s; ", name);
	const char *k;
	json_t *v;
	bool first = true;
	json_object_foreach(j, k, v)
	{
		if (o >= n)
			break;
		o += (size_t)snprintf(out + o, n - o, "%s%.32s", first ? "fields: " : ", ", k);
		first = false;
	}
	json_decref(j);
}

void access_audit(struct http_req *r)
{
	char who[160], action[160], object[256] = "", summary[512], client[64];
	access_who(r, who, sizeof(who));
	snprintf(action, sizeof(action), "%s %s", r->method, r->route ? r->route->pattern : r->url);
	for (int i = 0, o = 0; i < r->nparams && o < (int)sizeof(object); i++)
		o += snprintf(object + o, sizeof(object) - (size_t)o, "%s%s", i ? "/" : "", r->params[i]);
	body_summary(r, summary, sizeof(summary));
	http_client_addr(r, client, sizeof(client));
	struct store *d = store_get(r->ctl->db);
	(void)audit_record_client(d, who, action, object, summary, (int)r->status, client);
	store_put(r->ctl->db, d);
}

const char *access_grants(const struct http_req *r)
{
	return authz_all_projects(&r->who) ? "*" : r->who.projects;
}

bool access_create_project(struct http_req *r, struct store *d, const char *given, char out[64])
{
	const char *p = r->who.projects;
	if (given && strlen(given) > 63) {
		http_reply_error(r, 400, "project: not a project name");
		return false;
	}
	if (given) {
		snprintf(out, 64, "%s", given);
	} else if (!authz_all_projects(&r->who) && *p == ',' && strchr(p + 1, ',') &&
		   !strchr(strchr(p + 1, ',') + 1, ',')) {
		snprintf(out, 64, "%.*s", (int)(strchr(p + 1, ',') - p - 1), p + 1);
	} else {
		strcpy(out, "default");
	}
	if (!authz_project_name_ok(out)) {
		http_reply_error(r, 400, "project: not a project name");
		return false;
	}
	if (!authz_project_granted(&r->who, out)) {
		http_reply_error(r, 403, "project %s is not granted to this token", out);
		return false;
	}
	if (!projects_exists(d, out)) {
		http_reply_error(r, 404, "no such project: %s (evectl project create)", out);
		return false;
	}
	return true;
}
