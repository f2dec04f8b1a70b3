// SPDX-License-Identifier: Apache-2.0
/* /api/v1 login, logout, whoami, tokens, users, projects and audit. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "apps.h"
#include "admin.h"
#include "audit.h"
#include "authz.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "images.h"
#include "networks.h"
#include "projects.h"
#include "ratelimit.h"
#include "tokens.h"
#include "users.h"

#define SESSION_S (12 * 3600)
#define FOLLOW_WAIT_S 20

static atomic_int audit_followers;

/* ",a,b," / "*" -> ["a","b"] / ["*"] */
static json_t *grants_json(const char *p)
{
	json_t *a = json_array();
	if (!strcmp(p, "*")) {
		json_array_append_new(a, json_string("*"));
		return a;
	}
	for (const char *c = p; *c == ',' && c[1];) {
		const char *e = strchr(c + 1, ',');
		if (!e)
			break;
		json_array_append_new(a, json_stringn(c + 1, (size_t)(e - c - 1)));
		c = e;
	}
	return a;
}

/* "projects": ["a","b"] or "*" or "a,b" -> normalised; admin -> "*". */
static int grants_parse(json_t *v, enum authz_role role, char out[AUTHZ_PROJECTS_LEN])
{
	if (role == AUTHZ_ADMIN) {
		strcpy(out, "*");
		return v && !json_is_null(v) && !(json_is_string(v) && !strcmp(json_string_value(v), "*")) &&
			       !(json_is_array(v) && json_array_size(v) == 1 &&
				 !strcmp(json_string_value(json_array_get(v, 0)) ?: "", "*"))
			   ? -EINVAL
			   : 0;
	}
	if (!v || json_is_null(v))
		return authz_projects_norm("default", out);
	if (json_is_string(v))
		return authz_projects_norm(json_string_value(v), out);
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 32)
		return -EINVAL;
	char list[AUTHZ_PROJECTS_LEN] = "";
	size_t o = 0, i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);
		if (!s || strchr(s, ',') || o + strlen(s) + 2 > sizeof(list))
			return -EINVAL;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? "," : "", s);
	}
	return authz_projects_norm(list, out);
}

/* Every project in a normalised grant exists. */
static bool grants_exist(struct store *d, const char *g)
{
	if (!strcmp(g, "*"))
		return true;
	int64_t n = projects_count_granted(d, g), want = 0;
	for (const char *c = g + 1; *c; c++)
		want += *c == ',';
	return n == want;
}

/* ---- whoami, login, logout ---- */

static void h_whoami(struct http_req *r)
{
	json_t *j =
	    json_pack("{s:o, s:s, s:s, s:o}", "user", r->who.user[0] ? json_string(r->who.user) : json_null(),
		      "token", r->who.token, "role", authz_role_name(r->who.role), "projects",
		      grants_json(authz_all_projects(&r->who) ? "*" : r->who.projects));
	http_reply_json(r, 200, j);
}

static void login_refuse(struct http_req *r, unsigned status, const char *user, const char *client,
			 const char *why)
{
	struct store *d = store_get(r->ctl->db);
	(void)audit_record_client(d, user, "login", "", why, (int)status, client);
	store_put(r->ctl->db, d);
}

static void h_login(struct http_req *r)
{
	char client[64], ukey[160], akey[80], tok[TOKEN_LEN + 1];
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *user = admin_str(b, "user", &bad), *pw = admin_str(b, "password", &bad);
	if (bad || !user || !pw || !users_name_ok(user) || strlen(pw) > USERS_PASSWORD_MAX) {
		http_reply_error(r, 400, "need user and password (strings)");
		goto out;
	}
	http_client_addr(r, client, sizeof(client));
	snprintf(ukey, sizeof(ukey), "u:%s", user);
	snprintf(akey, sizeof(akey), "a:%s", client);
	int64_t now = (int64_t)time(NULL), wait_u = 0, wait_a = 0;
	if (ratelimit_blocked(r->ctl->login_user, ukey, now, &wait_u) ||
	    ratelimit_blocked(r->ctl->login_addr, akey, now, &wait_a)) {
		char ra[24];
		int64_t w = wait_u > wait_a ? wait_u : wait_a;
		snprintf(ra, sizeof(ra), "%lld", (long long)(w > 0 ? w : 1));
		http_reply_error(r, 429, "too many login attempts; retry in %s s", ra);
		if (r->resp)
			MHD_add_response_header(r->resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
		/* not recorded: the audit must not grow at an attacker's pace */
		goto out;
	}
	struct users_rec rec;
	struct store *d = store_get(r->ctl->db);
	int e = users_lookup(d, user, &rec);
	store_put(r->ctl->db, d);
	if (e == 0)
		e = users_check(&rec, pw); /* slow: no connection held */
	const struct authz_who who = rec.who;
	d = store_get(r->ctl->db);
	if (e == 0) {
		struct tokens_new n = {.name = "session",
				       .role = who.role,
				       .projects = who.projects,
				       .expires = now + SESSION_S,
				       .user_id = rec.id};
		e = tokens_create_ex(d, &n, tok, NULL);
		if (e == 0)
			(void)audit_record_client(d, user, "login", "", "session opened", 200, client);
	}
	store_put(r->ctl->db, d);
	if (e == -EACCES) {
		ratelimit_fail(r->ctl->login_user, ukey, now);
		ratelimit_fail(r->ctl->login_addr, akey, now);
		login_refuse(r, 401, user, client, "wrong user or password");
		http_reply_error(r, 401, "wrong user or password");
	} else if (e < 0) {
		admin_reply_err(r, e, "session");
	} else {
		ratelimit_reset(r->ctl->login_user, ukey);
		http_reply_json(r, 200,
				json_pack("{s:s, s:o, s:s, s:s}", "token", tok, "expires",
					  admin_time_json(now + SESSION_S), "user", user, "role",
					  authz_role_name(who.role)));
		OPENSSL_cleanse(tok, sizeof(tok));
	}
out:
	json_decref(b);
}

static void h_logout(struct http_req *r)
{
	if (!r->who.user[0]) {
		http_reply_error(r, 400,
				 "not a login session (an API token ends with `evectl token revoke`)");
		return;
	}
	struct store *d = store_get(r->ctl->db);
	int e = tokens_revoke_id(d, r->who.token_id);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "session");
	else
		http_reply_empty(r, 204);
}

/* ---- tokens ---- */

static void h_tokens_list(struct http_req *r)
{
	json_t *items = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = tokens_list(d, &items);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "tokens");
	else
		http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* expires (RFC 3339) or expires_in (seconds) -> Unix time, 0 = never */
static int expiry_parse(json_t *b, int64_t *out)
{
	json_t *e = json_object_get(b, "expires"), *in = json_object_get(b, "expires_in");
	*out = 0;
	if (e && !json_is_null(e) && in && !json_is_null(in))
		return -EINVAL;
	if (in && !json_is_null(in)) {
		if (!json_is_integer(in) || json_integer_value(in) < 1 ||
		    json_integer_value(in) > 10LL * 366 * 86400)
			return -EINVAL;
		*out = (int64_t)time(NULL) + json_integer_value(in);
	} else if (e && !json_is_null(e)) {
		if (!json_is_string(e) || admin_time_parse(json_string_value(e), out) < 0 ||
		    *out <= time(NULL))
			return -EINVAL;
	}
	return 0;
}

static void h_tokens_create(struct http_req *r)
{
	char grants[AUTHZ_PROJECTS_LEN], tok[TOKEN_LEN + 1];
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad), *role_s = admin_str(b, "role", &bad);
	enum authz_role role = role_s ? authz_role_parse(role_s) : AUTHZ_ADMIN;
	int64_t expires = 0, id = 0;
	if (bad || !name || !*name || strlen(name) > 128 || role == AUTHZ_ROLE_NONE) {
		http_reply_error(r, 400, "name: required string; role: admin, operator or viewer");
		goto out;
	}
	if (grants_parse(json_object_get(b, "projects"), role, grants) < 0) {
		http_reply_error(r, 400,
				 "projects: a list of project names (an admin token has every project)");
		goto out;
	}
	if (expiry_parse(b, &expires) < 0) {
		http_reply_error(r, 400,
				 "expires: a future RFC 3339 time, or expires_in: seconds (not both)");
		goto out;
	}
	struct store *d = store_get(r->ctl->db);
	int e = grants_exist(d, grants) ? 0 : -ENOENT;
	struct tokens_new n = {.name = name, .role = role, .projects = grants, .expires = expires};
	if (e == 0)
		e = tokens_create_ex(d, &n, tok, &id);
	store_put(r->ctl->db, d);
	if (e == -ENOENT)
		http_reply_error(r, 404, "no such project (evectl project list)");
	else if (e < 0)
		admin_reply_err(r, e, "token");
	else
		http_reply_json(r, 201,
				json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)id, "name",
					  name, "token", tok, "role", authz_role_name(role), "projects",
					  grants_json(grants), "expires", admin_time_json(expires)));
	OPENSSL_cleanse(tok, sizeof(tok));
out:
	json_decref(b);
}

/* tokens_revoke, counting the admin users in the same transaction */
static int token_revoke(struct store *d, const char *ref)
{
	int e = store_begin(d);
	if (e == 0)
		e = store_lock(d, TOKENS_ADMIN_LOCK);
	if (e < 0) {
		store_rollback(d);
		return e;
	}
	int64_t users = users_admin_count(d, 0);
	e = users < 0 ? (int)users : tokens_revoke(d, ref, users);
	if (e == 0)
		e = store_commit(d);
	if (e < 0)
		store_rollback(d);
	return e;
}

static void h_tokens_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	int e = token_revoke(d, r->params[0]);
	store_put(r->ctl->db, d);
	if (e == -EBUSY)
		http_reply_error(r, 409,
				 "this is the last admin token and there is no admin user: create another "
				 "admin first");
	else if (e == -EEXIST)
		http_reply_error(r, 409, "several tokens have that name: revoke by id");
	else if (e < 0)
		admin_reply_err(r, e, "token");
	else
		http_reply_empty(r, 204);
}

/* ---- users ---- */

static void h_users_list(struct http_req *r)
{
	json_t *items = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = users_list(d, &items);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "users");
	else
		http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void h_users_create(struct http_req *r)
{
	char grants[AUTHZ_PROJECTS_LEN];
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad), *pw = admin_str(b, "password", &bad),
		   *role_s = admin_str(b, "role", &bad);
	enum authz_role role = authz_role_parse(role_s);
	if (bad || !name || !users_name_ok(name) || !pw || role == AUTHZ_ROLE_NONE) {
		http_reply_error(
		    r, 400, "need name ([A-Za-z0-9._@-], 1-64), password, role (admin, operator, viewer)");
		goto out;
	}
	if (strlen(pw) < USERS_PASSWORD_MIN || strlen(pw) > USERS_PASSWORD_MAX) {
		http_reply_error(r, 400, "password: %d to %d characters", USERS_PASSWORD_MIN,
				 USERS_PASSWORD_MAX);
		goto out;
	}
	if (grants_parse(json_object_get(b, "projects"), role, grants) < 0) {
		http_reply_error(r, 400, "projects: a list of project names (an admin has every project)");
		goto out;
	}
	struct store *d = store_get(r->ctl->db);
	int e = grants_exist(d, grants) ? users_create(d, name, pw, role, grants) : -ENOENT;
	store_put(r->ctl->db, d);
	if (e == -ENOENT)
		http_reply_error(r, 404, "no such project (evectl project list)");
	else if (e < 0)
		admin_reply_err(r, e, "user");
	else
		http_reply_json(r, 201,
				json_pack("{s:s, s:s, s:o}", "name", name, "role", authz_role_name(role),
					  "projects", grants_json(grants)));
out:
	json_decref(b);
}

static void h_users_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	int e = users_delete(d, r->params[0]);
	store_put(r->ctl->db, d);
	if (e == -EBUSY)
		http_reply_error(r, 409, "the last admin: create another admin user or token first");
	else if (e < 0)
		admin_reply_err(r, e, "user");
	else
		http_reply_empty(r, 204);
}

static void h_users_passwd(struct http_req *r)
{
	if (r->who.role != AUTHZ_ADMIN && strcmp(r->who.user, r->params[0])) {
		http_reply_error(r, 403, "only an admin or the user itself changes a password");
		return;
	}
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *pw = admin_str(b, "password", &bad);
	if (bad || !pw || strlen(pw) < USERS_PASSWORD_MIN || strlen(pw) > USERS_PASSWORD_MAX) {
		http_reply_error(r, 400, "password: %d to %d characters", USERS_PASSWORD_MIN,
				 USERS_PASSWORD_MAX);
		json_decref(b);
		return;
	}
	struct store *d = store_get(r->ctl->db);
	int e = users_passwd(d, r->params[0], pw);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "user");
	else
		http_reply_empty(r, 204);
	json_decref(b);
}

/* ---- projects ---- */

struct projects_ctx {
	struct store *d;
	json_t *items;
};

/* One row of the list, with the counts of its devices and apps (owned by
 * devices_store.h and apps.h; a grant of the one project counts them). */
static int project_row(void *ctx, const char *name, int64_t created)
{
	struct projects_ctx *p = ctx;
	char one[AUTHZ_PROJECTS_LEN];
	snprintf(one, sizeof(one), ",%s,", name);
	return json_array_append_new(p->items, json_pack("{s:s, s:o, s:I, s:I}", "name", name, "created",
							 admin_time_json(created), "devices",
							 (json_int_t)devices_store_count(p->d, one), "apps",
							 (json_int_t)apps_count(p->d, one)));
}

static void h_projects_list(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct projects_ctx p = {d, json_array()};
	(void)projects_each(d, access_grants(r), project_row, &p); /* as before: an error lists fewer */
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", p.items, "next"));
}

static void h_projects_create(struct http_req *r)
{
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad);
	if (bad || !name || !authz_project_name_ok(name)) {
		http_reply_error(r, 400, "name: 1-63 of a-z 0-9 - _ . starting with a letter or digit");
		json_decref(b);
		return;
	}
	struct store *d = store_get(r->ctl->db);
	int e = projects_create(d, name, (int64_t)time(NULL));
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "project");
	else
		http_reply_json(r, 201, json_pack("{s:s}", "name", name));
	json_decref(b);
}

/* 0 when no device, app, network or image is in project name; -EBUSY. */
static int project_empty(struct store *d, const char *name)
{
	char one[AUTHZ_PROJECTS_LEN];
	if (!authz_project_name_ok(name))
		return 0; /* no object is in it: no such project */
	snprintf(one, sizeof(one), ",%s,", name);
	int64_t n[] = {devices_store_count(d, one), apps_count(d, one), networks_count(d, one),
		       images_count(d, one)};
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (n[i] != 0)
			return n[i] < 0 ? (int)n[i] : -EBUSY;
	return 0;
}

static void h_projects_delete(struct http_req *r)
{
	const char *name = r->params[0];
	if (!strcmp(name, "default")) {
		http_reply_error(r, 409, "the default project stays");
		return;
	}
	struct store *d = store_get(r->ctl->db);
	int e = project_empty(d, name);
	if (e == 0)
		e = projects_delete(d, name);
	store_put(r->ctl->db, d);
	if (e == -EBUSY)
		http_reply_error(r, 409, "project %s still holds devices, apps, networks or images", name);
	else if (e < 0)
		admin_reply_err(r, e, "project");
	else
		http_reply_empty(r, 204);
}

/* ---- audit ---- */

static void h_audit(struct http_req *r)
{
	struct audit_query q = {.after = -1};
	const char *since = http_arg(r, "since"), *after = http_arg(r, "after"),
		   *follow = http_arg(r, "follow");
	char *end;
	if (admin_page(r, &q.limit, &q.before) < 0 || (since && admin_time_parse(since, &q.since) < 0)) {
		http_reply_error(r, 400, "bad limit, before or since");
		return;
	}
	if (after && (!*after || (q.after = strtoll(after, &end, 10)) < 0 || *end)) {
		http_reply_error(r, 400, "bad after");
		return;
	}
	bool fol = follow && !strcmp(follow, "1");
	if (fol && !after) {
		http_reply_error(r, 400, "follow=1 needs after=ID (the newest id seen, 0 for none)");
		return;
	}
	q.who = http_arg(r, "user");
	/* each waiting follower holds a worker thread: at most half of them
	 * wait; the others get an immediate (maybe empty) answer */
	if (fol && atomic_fetch_add(&audit_followers, 1) >= r->ctl->conf.threads / 2) {
		atomic_fetch_sub(&audit_followers, 1);
		fol = false;
	}
	json_t *items = NULL;
	int64_t next = 0;
	int e = 0;
	/* follow=1: a long poll, at most FOLLOW_WAIT_S for a row newer than after */
	for (int i = 0; i <= FOLLOW_WAIT_S * 4; i++) {
		json_decref(items);
		items = NULL;
		struct store *d = store_get(r->ctl->db);
		e = audit_list(d, &q, &items, &next);
		store_put(r->ctl->db, d);
		if (e < 0 || !fol || json_array_size(items) > 0)
			break;
		usleep(250 * 1000);
	}
	if (fol)
		atomic_fetch_sub(&audit_followers, 1);
	if (e < 0)
		admin_reply_err(r, e, "audit");
	else
		http_reply_json(
		    r, 200,
		    json_pack("{s:o, s:o}", "items", items, "next", next ? json_integer(next) : json_null()));
}

const struct http_route admin_access_routes[] = {
    {"POST", ADMIN_PREFIX "/login", h_login, 8192, HTTP_AUTH_NONE, NULL},
    {"POST", ADMIN_PREFIX "/logout", h_logout, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/whoami", h_whoami, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/tokens", h_tokens_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/tokens", h_tokens_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", ADMIN_PREFIX "/tokens/*", h_tokens_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/users", h_users_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/users", h_users_create, 8192, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", ADMIN_PREFIX "/users/*", h_users_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", ADMIN_PREFIX "/users/*/password", h_users_passwd, 8192, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/projects", h_projects_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/projects", h_projects_create, 8192, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", ADMIN_PREFIX "/projects/*", h_projects_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/audit", h_audit, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
