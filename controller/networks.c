// SPDX-License-Identifier: Apache-2.0
/* Network instances per device: /api/v1/networks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "app_spec.h"
#include "apps_store.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "info/info.pb-c.h"
#include "infolatest.h"
#include "networks.h"
#include "pbjson.h"

#define NET_NAME_MAX 64

#define NET_COLS "id, name, device_id, type, subnet, port, project"

static json_t *net_row(struct store *d, struct store_stmt *st)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", store_col_str(st, 0), "name",
		      store_col_str(st, 1), "device", store_col_str(st, 2), "type", store_col_str(st, 3),
		      "subnet", store_col_str(st, 4), "port", store_col_str(st, 5));
	json_object_set_new(j, "project", json_string(store_col_str(st, 6)));
	json_object_set_new(
	    j, "info", infolatest_content_json(d, store_col_str(st, 2), "network", store_col_str(st, 0)));
	return j;
}

/* {id}: uuid, or name with ?device=D. */
static int net_resolve(struct http_req *r, struct store *d, char id[UUID_STR_LEN], char dev[UUID_STR_LEN])
{
	const char *devref = http_arg(r, "device");
	char devid[UUID_STR_LEN] = "";
	if (devref && admin_device_resolve(d, devref, devid) < 0)
		return -ENOENT;
	struct store_stmt *st = store_stmt(
	    d, "SELECT id, device_id, project FROM networks WHERE id = ?1 OR (name = ?1 AND device_id = ?2)"
	       " LIMIT 1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, r->params[0]);
	store_bind_text(st, 2, devid);
	int e = -ENOENT;
	/* a network of a project not granted does not exist for r */
	if (store_step(st) == STORE_ROW && authz_project_granted(&r->who, store_col_str(st, 2))) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		snprintf(dev, UUID_STR_LEN, "%s", store_col_str(st, 1));
		e = 0;
	}
	store_reset(st);
	return e;
}

static int net_json(struct store *d, const char *id, json_t **out)
{
	struct store_stmt *st = store_stmt(d, "SELECT " NET_COLS " FROM networks WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	int e = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = net_row(d, st);
		e = 0;
	}
	store_reset(st);
	return e;
}

static void h_list(struct http_req *r)
{
	const char *dev = http_arg(r, "device");
	char devid[UUID_STR_LEN] = "";
	struct store *d = store_get(r->ctl->db);
	if (dev && admin_device_resolve(d, dev, devid) < 0) {
		store_put(r->ctl->db, d);
		http_reply_error(r, 404, "no such device %s", dev);
		return;
	}
	struct store_stmt *st =
	    dev ? store_stmt(d, "SELECT " NET_COLS " FROM networks WHERE device_id = ?1 AND (?9 = '*' OR "
				"instr(?9, ',' || project || ',') > 0) ORDER BY name")
		: store_stmt(d,
			     "SELECT " NET_COLS " FROM networks WHERE (?9 = '*' OR instr(?9, ',' || project "
			     "|| ',') > 0) ORDER BY device_id, name");
	if (st)
		store_bind_text(st, 9, access_grants(r));
	if (st && dev)
		store_bind_text(st, 1, devid);
	json_t *items = json_array();
	while (st && store_step(st) == STORE_ROW)
		json_array_append_new(items, net_row(d, st));
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static bool cidr_ok(const char *s)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return false;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = 0;
	char *end;
	long bits = strtol(slash + 1, &end, 10);
	struct in_addr a;
	return !*end && bits >= 8 && bits <= 30 && inet_pton(AF_INET, ip, &a) == 1;
}

/* The project of device uuid; -ENOENT when it is not granted to r. */
static int device_project(struct http_req *r, struct store *d, const char *uuid, char out[64])
{
	int e = devices_store_project(d, uuid, out);
	return e == 0 && !authz_project_granted(&r->who, out) ? -ENOENT : e;
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad), *dev = admin_str(b, "device", &bad),
		   *type = admin_str(b, "type", &bad), *subnet = admin_str(b, "subnet", &bad),
		   *port = admin_str(b, "port", &bad);
	const char *err = NULL;
	if (bad || !name || !*name || strlen(name) > NET_NAME_MAX || strchr(name, '/'))
		err = "name: required string";
	else if (!dev)
		err = "device: required";
	else if (!type || (strcmp(type, "local") && strcmp(type, "switch")))
		err = "type: local or switch";
	else if (!strcmp(type, "local") && (!subnet || !cidr_ok(subnet)))
		err = "subnet: IPv4 CIDR required for local networks";
	else if (!strcmp(type, "switch") && (!port || !*port))
		err = "port: required for switch networks";
	else if (port && strlen(port) > 64)
		err = "port: too long";
	if (err) {
		http_reply_error(r, 400, "%s", err);
		json_decref(b);
		return;
	}
	char devid[UUID_STR_LEN], id[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	char project[64] = "";
	int e = admin_device_resolve(d, dev, devid);
	if (e == 0)
		e = device_project(r, d, devid, project);
	const char *pj = e == 0 ? admin_str(b, "project", &bad) : NULL;
	if (pj && strcmp(pj, project)) {
		store_put(r->ctl->db, d);
		http_reply_error(r, 400, "project: a network belongs to its device's project (%s)", project);
		json_decref(b);
		return;
	}
	if (e == 0)
		e = uuidgen_v4(id);
	/* a network instance belongs to its device's project */
	struct store_stmt *st =
	    e == 0
		? store_stmt(d,
			     "INSERT INTO networks(id, name, device_id, type, subnet, port, created, project)"
			     " VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")
		: NULL;
	if (st) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, name);
		store_bind_text(st, 3, devid);
		store_bind_text(st, 4, type);
		store_bind_text(st, 5, subnet ? subnet : "");
		store_bind_text(st, 6, port ? port : "");
		store_bind_int64(st, 7, (int64_t)time(NULL));
		store_bind_text(st, 8, project);
		e = store_step_done(st);
	}
	if (e == 0) {
		ctl_device_changed(r->ctl, d, devid);
		e = net_json(d, id, &obj);
	}
	store_put(r->ctl->db, d);
	if (e == -ENOENT)
		http_reply_error(r, 404, "no such device %s", dev);
	else if (e < 0)
		admin_reply_err(r, e, "network (name on this device)");
	else
		http_reply_json(r, 201, obj);
	json_decref(b); /* dev points into it */
}

static void h_get(struct http_req *r)
{
	char id[UUID_STR_LEN], dev[UUID_STR_LEN];
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = net_resolve(r, d, id, dev);
	if (e == 0)
		e = net_json(d, id, &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "network");
	else
		http_reply_json(r, 200, obj);
}

/* The apps with an instance on the network's device that attach to it, as
 * "a, b" in users (empty when none). */
static void net_users(struct store *d, const char *id, const char *dev, char *users, size_t n)
{
	struct admin_names u = {users, n, 0, 0};
	char name[NET_NAME_MAX + 1];
	users[0] = 0;
	if (store_text(d, "SELECT name FROM networks WHERE id = ?1", id, name, sizeof(name)) == 0)
		(void)apps_store_each_on_network(d, dev, name, admin_names_add, &u);
}

static bool arg_true(struct http_req *r, const char *name)
{
	const char *v = http_arg(r, name);
	return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

static void h_delete(struct http_req *r)
{
	char id[UUID_STR_LEN], dev[UUID_STR_LEN], users[512];
	struct store *d = store_get(r->ctl->db);
	int e = net_resolve(r, d, id, dev);
	if (e == 0 && !arg_true(r, "force")) {
		net_users(d, id, dev, users, sizeof(users));
		if (users[0]) {
			store_put(r->ctl->db, d);
			http_reply_error(r, 409, "network in use by app %s (delete them first, or force)",
					 users);
			return;
		}
	}
	struct store_stmt *st = e == 0 ? store_stmt(d, "DELETE FROM networks WHERE id = ?1") : NULL;
	if (st) {
		store_bind_text(st, 1, id);
		e = store_step_done(st);
	}
	if (e == 0)
		ctl_device_changed(r->ctl, d, dev);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "network");
	else
		http_reply_empty(r, 204);
}

#define N ADMIN_PREFIX "/networks"
const struct http_route admin_network_routes[] = {
    {"GET", N, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", N, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", N "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", N "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* --- the networks table, for the device config (networks.h) ----------- */

int networks_each_of_device(struct store *d, const char *uuid,
			    int (*fn)(void *ctx, const struct networks_row *n), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, name, type, subnet, port FROM networks WHERE device_id = ?1"
			  " ORDER BY id");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	while (r >= 0 && store_step(st) == STORE_ROW) {
		struct networks_row n = {store_col_str(st, 0), store_col_str(st, 1), store_col_str(st, 2),
					 store_col_str(st, 3), store_col_str(st, 4)};
		r = fn(ctx, &n);
	}
	store_reset(st);
	return r < 0 ? r : 0;
}

int networks_id(struct store *d, const char *uuid, const char *name, char id[UUID_STR_LEN])
{
	struct store_stmt *st = store_stmt(d, "SELECT id FROM networks WHERE device_id = ?1 AND name = ?2");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, name);
	if (store_step(st) == STORE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}

/* ---- for other modules (the access checks, projects) ---- */

int networks_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			     void *ctx)
{
	return store_each_text(d, "SELECT project FROM networks WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}

int64_t networks_count(struct store *d, const char *grants)
{
	return store_int64(
	    d, "SELECT count(*) FROM networks WHERE ?1 = '*' OR instr(?1, ',' || project || ',') > 0",
	    grants);
}
