// SPDX-License-Identifier: Apache-2.0
/* The admin API's gate (access.h): authenticate the bearer token,
 * authorize the request by the rule table, including the project of the
 * object the route names. Apart from access.c because the modules whose
 * objects it resolves call access.c's helpers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "apps_store.h"
#include "authz.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "http.h"
#include "images.h"
#include "networks.h"
#include "projects.h"
#include "tokens.h"
#include "users.h"
#include "volumes.h"

/* A login session's user name (a user since deleted: "", as before). */
static void login_user(struct http_req *r, int64_t user_id)
{
	struct store *d = store_get(r->ctl->db);
	if (users_name_of(d, user_id, r->who.user, sizeof(r->who.user)) < 0)
		r->who.user[0] = 0;
	store_put(r->ctl->db, d);
}

static const char *bearer(struct http_req *r)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	return h + 7;
}

struct granted {
	struct http_req *r;
	int res;
};

static int project_granted(void *ctx, const char *project)
{
	struct granted *g = ctx;
	g->res = 0;
	if (!authz_project_granted(&g->r->who, project))
		return 0;
	g->res = 1;
	return 1;
}

/* A volume is in its device's project. */
struct volume_walk {
	struct store *d;
	int (*fn)(void *ctx, const char *project);
	void *ctx;
};

static int volume_device(void *ctx, const char *device_id)
{
	struct volume_walk *v = ctx;
	char project[DEVICES_PROJECT_LEN];
	return devices_store_project(v->d, device_id, project) == 0 ? v->fn(v->ctx, project) : 0;
}

static int volume_projects(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			   void *ctx)
{
	struct volume_walk v = {d, fn, ctx};
	return volumes_each_device_of(d, ref, volume_device, &v);
}

static int project_itself(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			  void *ctx)
{
	return projects_exists(d, ref) ? fn(ctx, ref) : 0;
}

/* 1 when some row names ref in a granted project, 0 when rows exist but
 * none is granted, -ENOENT when none exists. Each owner resolves its
 * objects (id or name) to their projects. */
static int object_granted(struct http_req *r, enum authz_obj kind, const char *ref)
{
	static int (*const each[])(struct store * d, const char *ref,
				   int (*fn)(void *ctx, const char *project), void *ctx) = {
	    [AUTHZ_OBJ_DEVICE] = devices_store_each_project_of,
	    [AUTHZ_OBJ_APP] = apps_store_each_project_of,
	    [AUTHZ_OBJ_NETWORK] = networks_each_project_of,
	    [AUTHZ_OBJ_IMAGE] = images_each_project_of,
	    [AUTHZ_OBJ_PROJECT] = project_itself,
	    [AUTHZ_OBJ_VOLUME] = volume_projects,
	};
	_Static_assert(sizeof(each) / sizeof(each[0]) == AUTHZ_OBJ_VOLUME + 1, "a lookup per kind of object");
	struct store *d = store_get(r->ctl->db);
	struct granted g = {r, -ENOENT};
	int e = each[kind](d, ref, project_granted, &g);
	if (e < 0)
		g.res = 0; /* cannot tell: refuse */
	store_put(r->ctl->db, d);
	return g.res;
}

static const char *const obj_names[] = {
    [AUTHZ_OBJ_NONE] = "",           [AUTHZ_OBJ_DEVICE] = "device", [AUTHZ_OBJ_APP] = "app",
    [AUTHZ_OBJ_NETWORK] = "network", [AUTHZ_OBJ_IMAGE] = "image",   [AUTHZ_OBJ_PROJECT] = "project",
    [AUTHZ_OBJ_VOLUME] = "volume",
};
/* a new kind of object needs its name (and its lookup in object_granted) */
_Static_assert(sizeof(obj_names) / sizeof(obj_names[0]) == AUTHZ_OBJ_VOLUME + 1, "obj_names");

int access_authorize(struct http_req *r)
{
	const char *tok = bearer(r);
	int64_t user_id = 0;
	int e = tok ? tokens_authenticate(r->ctl, tok, &r->who, &user_id) : -EACCES;
	if (e == -EKEYEXPIRED) {
		http_reply_error(r, 401, "token expired");
		return 401;
	}
	if (e == -EIO) { /* not the token's fault: the client should retry */
		http_reply_error(r, 503, "the store is unavailable");
		return 503;
	}
	if (e < 0) {
		http_reply_error(r, 401, "missing or unknown token");
		return 401;
	}
	r->token_id = r->who.token_id;
	if (user_id)
		login_user(r, user_id);
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
