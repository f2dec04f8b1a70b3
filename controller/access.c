// SPDX-License-Identifier: Apache-2.0
/* Authentication, authorization and the audit hook of the admin API. */
#include "access.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "authz.h"
#include "ctl.h"
#include "db.h"
#include "http.h"
#include "tokens.h"

static const char *bearer(struct http_req *r)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	return h + 7;
}

/* 1 when some row names ref in a granted project, 0 when rows exist but
 * none is granted, -ENOENT when none exists. */
static int object_granted(struct http_req *r, enum authz_obj kind, const char *ref)
{
	static const char *const sql[] = {
	    [AUTHZ_OBJ_DEVICE] = "SELECT project FROM devices WHERE id = ?1 OR name = ?1",
	    [AUTHZ_OBJ_APP] = "SELECT project FROM apps WHERE id = ?1 OR name = ?1",
	    [AUTHZ_OBJ_NETWORK] = "SELECT project FROM networks WHERE id = ?1 OR name = ?1",
	    [AUTHZ_OBJ_IMAGE] = "SELECT project FROM images WHERE id = ?1 OR name = ?1",
	    [AUTHZ_OBJ_PROJECT] = "SELECT name FROM projects WHERE name = ?1",
	    /* a volume is in its device's project */
	    [AUTHZ_OBJ_VOLUME] = "SELECT d.project FROM volumes v JOIN devices d ON d.id = v.device_id"
				 " WHERE v.id = ?1 OR v.name = ?1",
	};
	_Static_assert(sizeof(sql) / sizeof(sql[0]) == AUTHZ_OBJ_VOLUME + 1, "a query per kind of object");
	struct db *d = db_get(r->ctl->db);
	sqlite3_stmt *st = db_stmt(d, sql[kind]);
	int res = -ENOENT;
	if (st) {
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			res = 0;
			if (authz_project_granted(&r->who, db_col_text(st, 0))) {
				res = 1;
				break;
			}
		}
		sqlite3_reset(st);
	} else {
		res = 0; /* cannot tell: refuse */
	}
	db_put(r->ctl->db, d);
	return res;
}

static const char *const obj_names[] = {
    [AUTHZ_OBJ_NONE] = "",           [AUTHZ_OBJ_DEVICE] = "device", [AUTHZ_OBJ_APP] = "app",
    [AUTHZ_OBJ_NETWORK] = "network", [AUTHZ_OBJ_IMAGE] = "image",   [AUTHZ_OBJ_PROJECT] = "project",
    [AUTHZ_OBJ_VOLUME] = "volume",
};
/* a new kind of object needs its name (and its query in object_granted) */
_Static_assert(sizeof(obj_names) / sizeof(obj_names[0]) == AUTHZ_OBJ_VOLUME + 1, "obj_names");

int access_authorize(struct http_req *r)
{
	const char *tok = bearer(r);
	int e = tok ? tokens_authenticate(r->ctl, tok, &r->who) : -EACCES;
	if (e == -EKEYEXPIRED) {
		http_reply_error(r, 401, "token expired");
		return 401;
	}
	if (e < 0) {
		http_reply_error(r, 401, "missing or unknown token");
		return 401;
	}
	r->token_id = r->who.token_id;
	const struct authz_rule *rule = authz_rule_find(r->method, r->route->pattern);
	if (!rule) {
		http_reply_error(r, 403, "no authorization rule for %s %s", r->method, r->route->pattern);
		return 403;
	}
	if (!authz_allows(&r->who, rule->perm)) {
		http_reply_error(r, 403, "the %s role may not %s %s", authz_role_name(r->who.role), r->method,
				 r->route->pattern);
		return 403;
	}
	if (rule->all_projects && !authz_all_projects(&r->who)) {
		http_reply_error(r, 403, "%s spans every project: needs a grant of all projects (*)",
				 r->route->pattern);
		return 403;
	}
	if (rule->self && r->who.role != AUTHZ_ADMIN &&
	    (r->nparams < 1 || strcmp(r->who.user, r->params[0]))) {
		http_reply_error(r, 403, "only an admin or the user itself may do this");
		return 403;
	}
	if (rule->obj != AUTHZ_OBJ_NONE && r->nparams > 0 && !authz_all_projects(&r->who) &&
	    object_granted(r, rule->obj, r->params[0]) == 0) {
		/* the same answer as for an object that does not exist */
		http_reply_error(r, 404, "no such %s", obj_names[rule->obj]);
		return 404;
	}
	return 0;
}

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
	struct db *d = db_get(r->ctl->db);
	(void)audit_record_client(d, who, action, object, summary, (int)r->status, client);
	db_put(r->ctl->db, d);
}

const char *access_grants(const struct http_req *r)
{
	return authz_all_projects(&r->who) ? "*" : r->who.projects;
}

static bool project_exists(struct db *d, const char *name)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT 1 FROM projects WHERE name = ?1");
	bool ok = false;
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	return ok;
}

bool access_create_project(struct http_req *r, struct db *d, const char *given, char out[64])
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
	if (!project_exists(d, out)) {
		http_reply_error(r, 404, "no such project: %s (evectl project create)", out);
		return false;
	}
	return true;
}
