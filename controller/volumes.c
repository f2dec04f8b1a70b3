// SPDX-License-Identifier: Apache-2.0
/* Volumes per device: /api/v1/volumes, and the checks of an app spec's
 * "volumes" list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "app_spec.h"
#include "apps_store.h"
#include "authz.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "info/info.pb-c.h"
#include "images.h"
#include "infolatest.h"
#include "pbjson.h"
#include "volumes.h"

#define VOL_COLS "v.id, v.name, v.device_id, v.kind, v.size_bytes, v.image_id, v.generation, v.created"
/* Smallest and largest size a volume may ask for: 1 MiB .. 16 TiB. */
#define VOL_SIZE_MIN (1LL << 20)
#define VOL_SIZE_MAX (1LL << 44)

/* Name of the app on dev whose spec uses volume `name` (other than
 * `except`), into user ("" when none). */
static void vol_user(struct store *d, const char *dev, const char *name, const char *except, char *user,
		     size_t n)
{
	(void)apps_store_user_of_volume(d, dev, name, except, user, n);
}

/* The name of image id (JSON null: none, or gone); seen (may be NULL):
 * the names looked up already, for a list (images are few, volumes
 * many). */
static json_t *image_name(struct store *d, const char *id, json_t *seen)
{
	char name[512], version[512];
	json_t *j = id ? json_object_get(seen, id) : json_null();
	if (j)
		return json_incref(j);
	j = images_name_version(d, id, name, sizeof(name), version, sizeof(version)) == 0 ? json_string(name)
											  : json_null();
	if (seen)
		json_object_set(seen, id, j);
	return j;
}

static json_t *vol_row(struct store *d, struct store_stmt *st, json_t *seen)
{
	char user[128];
	json_t *image = image_name(d, store_col_text(st, 5), seen);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", store_col_str(st, 0), "name",
			      store_col_str(st, 1), "device", store_col_str(st, 2), "kind",
			      store_col_str(st, 3), "size_bytes", (json_int_t)store_col_int64(st, 4),
			      "generation", (json_int_t)store_col_int64(st, 6));
	if (!j) {
		json_decref(image);
		return NULL;
	}
	json_object_set_new(j, "image", image);
	json_object_set_new(j, "created", admin_time_json(store_col_int64(st, 7)));
	vol_user(d, store_col_str(st, 2), store_col_str(st, 1), NULL, user, sizeof(user));
	json_object_set_new(j, "used_by", user[0] ? json_string(user) : json_null());
	json_object_set_new(j, "info",
			    infolatest_content_json(d, store_col_str(st, 2), "volume", store_col_str(st, 0)));
	return j;
}

#define VOL_SELECT "SELECT " VOL_COLS " FROM volumes v"

/* {id}: uuid, or name (with ?device=D when several devices have it). */
static int vol_resolve(struct http_req *r, struct store *d, char id[UUID_STR_LEN], char dev[UUID_STR_LEN])
{
	const char *devref = http_arg(r, "device");
	char devid[UUID_STR_LEN] = "";
	if (devref && admin_device_resolve(d, devref, devid) < 0)
		return -ENOENT;
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, device_id FROM volumes WHERE id = ?1 OR (name = ?1 AND"
			  " (?2 = '' OR device_id = ?2)) LIMIT 2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, r->params[0]);
	store_bind_text(st, 2, devid);
	int e = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		snprintf(dev, UUID_STR_LEN, "%s", store_col_str(st, 1));
		e = store_step(st) == STORE_ROW ? -EEXIST : 0; /* ambiguous name */
	}
	store_reset(st);
	return e;
}

static int vol_json(struct store *d, const char *id, json_t **out)
{
	struct store_stmt *st = store_stmt(d, VOL_SELECT " WHERE v.id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	int e = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = vol_row(d, st, NULL);
		e = *out ? 0 : -ENOMEM;
	}
	store_reset(st);
	return e;
}

static void resolve_failed(struct http_req *r, int e)
{
	if (e == -EEXIST)
		http_reply_error(r, 409, "several devices have a volume of that name: add ?device=");
	else
		admin_reply_err(r, e, "volume");
}

static int add_device(void *ctx, const char *uuid, const char *name, const char *labels)
{
	(void)name;
	(void)labels;
	return json_object_set_new(ctx, uuid, json_true()) < 0 ? -ENOMEM : 0;
}

/* The devices of the projects granted, {uuid: true}; NULL for every
 * project ("*"). Read per project (devices_store.h), not per volume. On a
 * store error, fewer (as before: the list shows what it could read). */
static json_t *granted_devices(struct store *d, const char *grants)
{
	if (!strcmp(grants, "*"))
		return NULL;
	json_t *set = json_object();
	char project[DEVICES_PROJECT_LEN];
	for (const char *p = grants + (*grants == ','), *c; set && (c = strchr(p, ',')); p = c + 1)
		if (c > p && (size_t)(c - p) < sizeof(project)) {
			snprintf(project, sizeof(project), "%.*s", (int)(c - p), p);
			(void)devices_store_each_in_project(d, project, add_device, set);
		}
	return set;
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
	/* a volume is in its device's project */
	json_t *granted = granted_devices(d, access_grants(r)), *seen = json_object();
	struct store_stmt *st =
	    store_stmt(d, VOL_SELECT " WHERE (?1 = '' OR v.device_id = ?1) ORDER BY v.device_id, v.name");
	if (st)
		store_bind_text(st, 1, devid);
	json_t *items = json_array();
	while (st && store_step(st) == STORE_ROW)
		if (!granted || json_object_get(granted, store_col_str(st, 2)))
			json_array_append_new(items, vol_row(d, st, seen));
	if (st)
		store_reset(st);
	json_decref(granted);
	json_decref(seen);
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static bool name_ok(const char *n)
{
	if (!n || !*n || strlen(n) > VOLUME_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* The body of a create: replies 400 and returns NULL-reason on error. */
static const char *create_check(json_t *b, const char **name, const char **dev, const char **image,
				json_int_t *size)
{
	bool bad = false;
	json_t *sz = json_object_get(b, "size_bytes");
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		if (strcmp(key, "name") && strcmp(key, "device") && strcmp(key, "size_bytes") &&
		    strcmp(key, "image"))
			return "unknown field (known: name, device, size_bytes, image)";
	}
	*name = admin_str(b, "name", &bad);
	*dev = admin_str(b, "device", &bad);
	*image = admin_str(b, "image", &bad);
	*size = sz ? json_integer_value(sz) : 0;
	if (bad || !name_ok(*name))
		return "name: required, 1-64 of [A-Za-z0-9._-]";
	if (!*dev)
		return "device: required (a volume lives on one device)";
	if (sz && (!json_is_integer(sz) || *size < VOL_SIZE_MIN || *size > VOL_SIZE_MAX))
		return "size_bytes: an integer from 1 MiB to 16 TiB";
	if (!sz && !*image)
		return "size_bytes: required for a blank volume (or give image)";
	return NULL;
}

static int vol_insert(struct store *d, const char *id, const char *name, const char *dev,
		      const char *image_id, json_int_t size)
{
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO volumes(id, name, device_id, kind, size_bytes, image_id,"
			  " generation, created) VALUES(?1,?2,?3,?4,?5,?6,0,?7)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, dev);
	store_bind_text(st, 4, image_id[0] ? "image" : "blank");
	store_bind_int64(st, 5, (int64_t)size);
	if (image_id[0])
		store_bind_text(st, 6, image_id);
	else
		store_bind_null(st, 6);
	store_bind_int64(st, 7, (int64_t)time(NULL));
	return store_step_done(st);
}

/* An app image (not a base OS) by name or id; -ENOENT. */
static int image_resolve(struct store *d, const char *ref, char id[UUID_STR_LEN], int64_t *size)
{
	return images_app_image(d, ref, id, NULL, 0, size);
}

/* A volume is in its device's project: may the caller use that device? */
static bool device_granted(struct http_req *r, struct store *d, const char *devid)
{
	char project[DEVICES_PROJECT_LEN];
	return devices_store_project(d, devid, project) == 0 && authz_project_granted(&r->who, project);
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	const char *name, *dev, *image, *err;
	json_int_t size;
	if (!b)
		return;
	err = create_check(b, &name, &dev, &image, &size);
	if (err) {
		http_reply_error(r, 400, "%s", err);
		json_decref(b);
		return;
	}
	char devid[UUID_STR_LEN], id[UUID_STR_LEN], image_id[UUID_STR_LEN] = "";
	int64_t isize = 0;
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, dev, devid);
	if (e == -ENOENT || (e == 0 && !device_granted(r, d, devid))) {
		http_reply_error(r, 404, "no such device %s", dev);
		goto out;
	}
	if (e == 0 && image && image_resolve(d, image, image_id, &isize) < 0) {
		http_reply_error(r, 404, "no such app image %s", image);
		goto out;
	}
	if (e == 0 && image && size && size < isize) {
		http_reply_error(r, 400, "size_bytes %lld: smaller than image %s (%lld bytes)",
				 (long long)size, image, (long long)isize);
		goto out;
	}
	if (e == 0)
		e = uuidgen_v4(id);
	if (e == 0)
		e = vol_insert(d, id, name, devid, image_id, size);
	if (e == 0) {
		ctl_device_changed(r->ctl, d, devid);
		e = vol_json(d, id, &obj);
	}
	if (e < 0)
		admin_reply_err(r, e, "volume (name on this device)");
	else
		http_reply_json(r, 201, obj);
out:
	store_put(r->ctl->db, d);
	json_decref(b);
}

static void h_get(struct http_req *r)
{
	char id[UUID_STR_LEN], dev[UUID_STR_LEN];
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = vol_resolve(r, d, id, dev);
	if (e == 0)
		e = vol_json(d, id, &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		resolve_failed(r, e);
	else
		http_reply_json(r, 200, obj);
}

/* Run sql (?1 = volume id) on the volume named by the URL unless an app
 * uses it (409), then tell its device. */
static void vol_write(struct http_req *r, const char *sql, bool refuse_used, int ok_status)
{
	char id[UUID_STR_LEN], dev[UUID_STR_LEN], user[128] = "";
	struct store *d = store_get(r->ctl->db);
	int e = vol_resolve(r, d, id, dev);
	struct store_stmt *st = NULL;
	if (e == 0 && refuse_used) {
		struct store_stmt *n = store_stmt(d, "SELECT name FROM volumes WHERE id = ?1");
		if (n) {
			store_bind_text(n, 1, id);
			if (store_step(n) == STORE_ROW)
				vol_user(d, dev, store_col_str(n, 0), NULL, user, sizeof(user));
			store_reset(n);
		}
	}
	if (user[0]) {
		store_put(r->ctl->db, d);
		http_reply_error(
		    r, 409, "volume in use by app %s (delete the app or remove the volume from it)", user);
		return;
	}
	if (e == 0 && !(st = store_stmt(d, sql)))
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, id);
		e = store_step_done(st);
	}
	if (e == 0)
		ctl_device_changed(r->ctl, d, dev);
	store_put(r->ctl->db, d);
	if (e < 0)
		resolve_failed(r, e);
	else if (ok_status == 204)
		http_reply_empty(r, 204);
	else
		http_reply_json(r, ok_status, json_pack("{s:s}", "id", id));
}

static void h_delete(struct http_req *r)
{
	vol_write(r, "DELETE FROM volumes WHERE id = ?1", true, 204);
}

/* EVE purge: a new generation makes the device rebuild the volume empty
 * (or from its image). */
static void h_purge(struct http_req *r)
{
	vol_write(r, "UPDATE volumes SET generation = generation + 1 WHERE id = ?1", false, 202);
}

/* --- app specs -------------------------------------------------------- */

static bool mount_ok(const char *m)
{
	size_t n = m ? strlen(m) : 0;
	if (n < 2 || n > VOLUME_MOUNT_MAX || m[0] != '/' || strstr(m, "/../") || strstr(m, "//") ||
	    (n >= 3 && !strcmp(m + n - 3, "/..")) || m[n - 1] == '/')
		return false;
	for (const char *p = m; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\'' || *p == '"' || *p == '<' || *p == '>' ||
		    *p == '&')
			return false;
	return true;
}

/* One entry of the list: {"name": N, "mount": M}. Returns the reason or NULL. */
static const char *entry_check(json_t *e, bool container, const char **name, const char **mount)
{
	bool bad = false;
	if (!json_is_object(e))
		return "volumes: a list of {name, mount}";
	*name = admin_str(e, APP_SPEC_VOLUME_NAME, &bad);
	*mount = admin_str(e, APP_SPEC_VOLUME_MOUNT, &bad);
	if (bad || !name_ok(*name) ||
	    json_object_size(e) != (size_t)(1 + (json_object_get(e, APP_SPEC_VOLUME_MOUNT) != NULL)))
		return "volumes: a list of {name, mount}";
	if (container && !mount_ok(*mount))
		return "volumes: a container app needs an absolute mount point for each volume (e.g. /data)";
	if (!container && *mount)
		return "volumes: a VM app gets each volume as a disk; a mount point is for containers";
	return NULL;
}

static bool vol_exists(struct store *d, const char *dev, const char *name)
{
	struct store_stmt *st = store_stmt(d, "SELECT 1 FROM volumes WHERE device_id = ?1 AND name = ?2");
	bool ok = false;
	if (!st)
		return false;
	store_bind_text(st, 1, dev);
	store_bind_text(st, 2, name);
	ok = store_step(st) == STORE_ROW;
	store_reset(st);
	return ok;
}

bool volumes_spec_check(struct http_req *r, struct store *d, json_t *vols, const char *app_name,
			const char *dev_uuid, const char *format, json_t **out)
{
	bool container = !strcmp(format, "oci");
	size_t i, j;
	json_t *e;
	*out = NULL;
	if (!vols || (json_is_array(vols) && json_array_size(vols) == 0))
		return true;
	if (!json_is_array(vols) || json_array_size(vols) > VOLUMES_PER_APP) {
		http_reply_error(r, 400, "volumes: a list of at most %d {name, mount}", VOLUMES_PER_APP);
		return false;
	}
	if (!dev_uuid[0]) {
		http_reply_error(r, 400,
				 "volumes: an app with volumes targets one device (--device), "
				 "not a selector");
		return false;
	}
	json_array_foreach(vols, i, e)
	{
		const char *name, *mount, *err = entry_check(e, container, &name, &mount);
		char user[128];
		for (j = 0; !err && j < i; j++)
			if (!strcmp(name, json_string_value(json_object_get(json_array_get(vols, j),
									    APP_SPEC_VOLUME_NAME))))
				err = "volumes: a volume is listed twice";
		if (err) {
			http_reply_error(r, 400, "%s", err);
			return false;
		}
		if (!vol_exists(d, dev_uuid, name)) {
			http_reply_error(r, 404, "no volume %s on the app's device (evectl volume create)",
					 name);
			return false;
		}
		vol_user(d, dev_uuid, name, app_name, user, sizeof(user));
		if (user[0]) {
			http_reply_error(r, 409, "volume %s is in use by app %s", name, user);
			return false;
		}
	}
	*out = json_deep_copy(vols);
	return *out != NULL;
}

int volumes_delete_of_spec(struct store *d, const char *spec_text)
{
	struct store_stmt *st =
	    store_stmt(d, "DELETE FROM volumes WHERE device_id = json_extract(?1, '$." APP_SPEC_DEVICE "')"
			  " AND name IN (SELECT json_extract(value, '$." APP_SPEC_VOLUME_NAME "') FROM"
			  " json_each(?1, '$." APP_SPEC_VOLUMES "'))");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, spec_text);
	return store_step_done(st);
}

#define V ADMIN_PREFIX "/volumes"
const struct http_route admin_volume_routes[] = {
    {"GET", V, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", V, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", V "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", V "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", V "/*/purge", h_purge, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* --- the volumes table, for the device config (volumes.h) -------------- */

int volumes_each_of_device(struct store *d, const char *uuid,
			   int (*fn)(void *ctx, const struct volumes_row *v), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, name, kind, size_bytes, image_id, generation FROM volumes"
			  " WHERE device_id = ?1 ORDER BY id");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	while (r >= 0 && store_step(st) == STORE_ROW) {
		struct volumes_row v = {store_col_str(st, 0), store_col_str(st, 1),   store_col_str(st, 2),
					store_col_str(st, 4), store_col_int64(st, 3), store_col_int64(st, 5)};
		r = fn(ctx, &v);
	}
	store_reset(st);
	return r < 0 ? r : 0;
}

int volumes_ref(struct store *d, const char *uuid, const char *name, char id[UUID_STR_LEN],
		int64_t *generation)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, generation FROM volumes WHERE device_id = ?1 AND name = ?2");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text_copy(st, 2, name);
	if (store_step(st) == STORE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", store_col_str(st, 0));
		*generation = store_col_int64(st, 1);
		r = 0;
	}
	store_reset(st);
	return r;
}

/* ---- for other modules (the access checks) ---- */

int volumes_each_device_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *device_id),
			   void *ctx)
{
	return store_each_text(d, "SELECT device_id FROM volumes WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}
