// SPDX-License-Identifier: Apache-2.0
/* The apps' rows for the modules below apps.c (apps_store.h). */
#include "apps_store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app_spec.h"

int apps_store_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			       void *ctx)
{
	return store_each_text(d, "SELECT project FROM apps WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}

int64_t apps_store_count_using_image(struct store *d, const char *image_id)
{
	return store_int64(d, "SELECT count(*) FROM apps WHERE image_id = ?1", image_id);
}

int apps_store_each_on_device(struct store *d, const char *uuid, int (*fn)(void *ctx, const char *name),
			      void *ctx)
{
	return store_each_text(d,
			       "SELECT a.name FROM apps a JOIN app_instances i ON i.app_id = a.id"
			       " WHERE i.device_id = ?1 ORDER BY a.name",
			       uuid, fn, ctx);
}

int apps_store_each_on_network(struct store *d, const char *uuid, const char *network,
			       int (*fn)(void *ctx, const char *name), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.name FROM apps a JOIN app_instances i ON i.app_id = a.id"
			  " WHERE i.device_id = ?1 AND EXISTS (SELECT 1 FROM"
			  " json_each(a.spec, '$." APP_SPEC_NETWORKS "') WHERE value = ?2) ORDER BY a.name");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, network);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0));
	store_reset(st);
	return r;
}

int apps_store_user_of_volume(struct store *d, const char *uuid, const char *volume, const char *except,
			      char *user, size_t n)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.name FROM apps a, json_each(a.spec, '$." APP_SPEC_VOLUMES "') v"
			  " WHERE json_extract(a.spec, '$." APP_SPEC_DEVICE "') = ?1"
			  " AND json_extract(v.value, '$." APP_SPEC_VOLUME_NAME "') = ?2 AND a.name != ?3"
			  " ORDER BY a.name LIMIT 1");
	user[0] = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, volume);
	store_bind_text(st, 3, except ? except : "");
	if (store_step(st) == STORE_ROW)
		snprintf(user, n, "%s", store_col_str(st, 0));
	store_reset(st);
	return 0;
}

int apps_store_delete_aimed_at(struct store *d, const char *uuid)
{
	struct store_stmt *st =
	    store_stmt(d, "DELETE FROM apps WHERE json_extract(spec, '$." APP_SPEC_DEVICE "') = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	return store_step_done(st);
}

/* ---- reads and writes for reports, admin views, housekeeping ---- */

/* The one text column of the one row st gives, copied into *out. */
/* The rows of st as compact JSON text in *out (malloc'd): an array of one
 * array per row, text columns as strings, NULL as null, the rest as
 * integers. Built here rather than by SQLite's json_group_array, which
 * PostgreSQL does not have. */
static int rows_json(struct store_stmt *st, char **out)
{
	json_t *a = json_array();
	int r = a ? 0 : -ENOMEM, rc = STORE_DONE;
	*out = NULL;
	while (r == 0 && (rc = store_step(st)) == STORE_ROW) {
		json_t *row = json_array();
		for (int i = 0, n = store_col_count(st); row && i < n; i++) {
			json_t *v = store_col_type(st, i) == STORE_TEXT ? json_string(store_col_str(st, i))
				    : store_col_is_null(st, i)          ? json_null()
							       : json_integer(store_col_int64(st, i));
			if (json_array_append_new(row, v) < 0) {
				json_decref(row);
				row = NULL;
			}
		}
		r = row && json_array_append_new(a, row) == 0 ? 0 : -ENOMEM;
	}
	if (r == 0 && rc < 0)
		r = -EIO;
	store_reset(st);
	if (r == 0 && !(*out = json_dumps(a, JSON_COMPACT)))
		r = -ENOMEM;
	json_decref(a);
	return r;
}

int apps_store_find(struct store *d, const char *ref, struct apps_store_app *a)
{
	assert(d && ref && a);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, name, version FROM apps WHERE id = ?1 OR name = ?1 LIMIT 1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		snprintf(a->id, sizeof(a->id), "%s", store_col_str(st, 0));
		snprintf(a->name, sizeof(a->name), "%s", store_col_str(st, 1));
		a->version = store_col_int64(st, 2);
		r = 0;
	}
	store_reset(st);
	return r;
}

int apps_store_instance_on_device(struct store *d, const char *iid, const char *dev)
{
	assert(d && iid && dev);
	struct store_stmt *st = store_stmt(d, "SELECT 1 FROM app_instances WHERE id = ?1 AND device_id = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, iid);
	store_bind_text(st, 2, dev);
	int rc = store_step(st);
	store_reset(st);
	return rc == STORE_ROW ? 0 : rc == STORE_DONE ? -EPERM : -EIO;
}

int apps_store_instance_report(struct store *d, const char *dev, const char *iid,
			       const struct apps_store_report *rep)
{
	assert(d && dev && rep && rep->state && rep->ips && rep->version);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE app_instances SET state = ?3, error = ?4, ips = ?5, updated = ?6,"
			  " reported_version = ?7 WHERE id = ?1 AND device_id = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, iid);
	store_bind_text(st, 2, dev);
	store_bind_text(st, 3, rep->state);
	if (rep->error)
		store_bind_text(st, 4, rep->error);
	store_bind_text(st, 5, rep->ips);
	store_bind_int64(st, 6, rep->updated);
	store_bind_text_n(st, 7, rep->version, rep->version_len);
	return store_step_done(st);
}

int apps_store_instances_json(struct store *d, const char *app_id, char **out)
{
	assert(d && app_id && out);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, device_id FROM app_instances WHERE app_id = ?1 ORDER BY id");
	*out = NULL;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	return rows_json(st, out);
}

int apps_store_count_by_state(struct store *d, int (*fn)(void *ctx, const char *label, int64_t n), void *ctx)
{
	assert(d && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT state, count(*) FROM app_instances GROUP BY state ORDER BY count(*) DESC");
	int r = 0;
	if (!st)
		return -EIO;
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_int64(st, 1));
	store_reset(st);
	return r;
}

int apps_store_instance_app_name(struct store *d, const char *iid, char *out, size_t cap)
{
	assert(d && iid && out);
	struct store_stmt *st = store_stmt(
	    d, "SELECT a.name FROM app_instances i JOIN apps a ON a.id = i.app_id WHERE i.id = ?1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, iid);
	if (store_step(st) == STORE_ROW) {
		snprintf(out, cap, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}

int apps_store_each_state_on_device(struct store *d, const char *dev,
				    int (*fn)(void *ctx, const char *app, const char *state), void *ctx)
{
	assert(d && dev && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.name, i.state FROM app_instances i JOIN apps a ON a.id = i.app_id"
			  " WHERE i.device_id = ?1 ORDER BY a.name");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1));
	store_reset(st);
	return r;
}

int apps_store_each_spec_on_device(struct store *d, const char *dev, const char *except,
				   int (*fn)(void *ctx, const char *app, const char *spec), void *ctx)
{
	assert(d && dev && except && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.name, coalesce(i.pin_spec, a.spec) FROM app_instances i"
			  " JOIN apps a ON a.id = i.app_id WHERE i.device_id = ?1 AND a.name != ?2");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	store_bind_text(st, 2, except);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1));
	store_reset(st);
	return r;
}

int apps_store_each_instance(struct store *d, const char *app_id,
			     int (*fn)(void *ctx, const char *iid, const char *dev), void *ctx)
{
	assert(d && app_id && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, device_id FROM app_instances WHERE app_id = ?1 ORDER BY id");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1));
	store_reset(st);
	return r;
}

/* For app_history.c (revisions and automatic rollback): */

int apps_store_set_revision(struct store *d, const char *id, int64_t expect, const char *spec,
			    const char *image_id, int64_t *version)
{
	assert(d && id && spec && image_id && version);
	struct store_stmt *st = store_stmt(
	    d,
	    "UPDATE apps SET spec = ?2, image_id = ?3, version = version + 1 WHERE id = ?1 AND version = ?4");
	int r;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, spec);
	store_bind_text(st, 3, image_id);
	store_bind_int64(st, 4, expect);
	if ((r = store_step_one(st)) < 0)
		return r;
	st = store_stmt(d, "SELECT version FROM apps WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	r = store_step(st) == STORE_ROW ? 0 : -ENOENT;
	*version = r == 0 ? store_col_int64(st, 0) : 0;
	store_reset(st);
	return r;
}

int apps_store_auto_rollback_json(struct store *d, char **out)
{
	assert(d && out);
	struct store_stmt *st = store_stmt(
	    d, "SELECT id, version, CAST(json_extract(spec, '$." APP_SPEC_ROLLBACK_AFTER_S "') AS BIGINT)"
	       " FROM apps WHERE CAST(json_extract(spec, '$." APP_SPEC_ROLLBACK_AFTER_S "') AS BIGINT) > 0");
	*out = NULL;
	return st ? rows_json(st, out) : -EIO;
}

int apps_store_device_errors_json(struct store *d, const char *prefix, char **out)
{
	assert(d && prefix && out);
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.id, a.version, i.reported_version, i.device_id, i.error"
			  " FROM app_instances i JOIN apps a ON a.id = i.app_id WHERE i.pin_version IS NULL"
			  " AND i.error LIKE ?1 || '%' AND i.reported_version NOT LIKE a.version || '.%'"
			  " ORDER BY a.id");
	*out = NULL;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, prefix);
	return rows_json(st, out);
}

int apps_store_each_not_running(struct store *d, const char *id, int64_t version,
				int (*fn)(void *ctx, const char *dev, const char *state, const char *error),
				void *ctx)
{
	assert(d && id && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT device_id, state, coalesce(error, '') FROM app_instances"
			  " WHERE app_id = ?1 AND pin_version IS NULL AND NOT (state = 'RUNNING' AND"
			  " reported_version LIKE ?2 || '.%')");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_int64(st, 2, version);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1), store_col_str(st, 2));
	store_reset(st);
	return r;
}

/* For rollouts.c (an app rollout pins instances to its revision): */

int apps_store_pin_of(struct store *d, const char *app_id, const char *dev,
		      int (*fn)(void *ctx, const struct apps_store_pin *pin), void *ctx)
{
	assert(d && app_id && dev && fn);
	struct store_stmt *st = store_stmt(d, "SELECT pin_spec, pin_image_id, pin_version FROM app_instances"
					      " WHERE app_id = ?1 AND device_id = ?2");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, dev);
	if (store_step(st) == STORE_ROW) {
		struct apps_store_pin pin = {
		    .spec = store_col_text(st, 0),
		    .image_id = store_col_text(st, 1),
		    .has_version = !store_col_is_null(st, 2),
		    .version = store_col_int64(st, 2),
		};
		r = fn(ctx, &pin);
	}
	store_reset(st);
	return r;
}

int apps_store_set_pin(struct store *d, const char *app_id, const char *dev, const struct apps_store_pin *to,
		       const int64_t *if_version)
{
	assert(d && app_id && dev && to);
	struct store_stmt *st = store_stmt(
	    d, "UPDATE app_instances AS i SET"
	       " purge_counter = i.purge_counter + CASE WHEN coalesce(i.pin_image_id, a.image_id)"
	       " IS DISTINCT FROM coalesce(?3, a.image_id) THEN 1 ELSE 0 END,"
	       " restart_counter = i.restart_counter + CASE WHEN coalesce(i.pin_image_id, a.image_id)"
	       " IS NOT DISTINCT FROM coalesce(?3, a.image_id) THEN 1 ELSE 0 END,"
	       " pin_spec = ?4, pin_image_id = ?3, pin_version = ?5"
	       " FROM apps AS a WHERE i.app_id = ?1 AND i.device_id = ?2 AND a.id = ?1"
	       " AND (?6 = 0 OR i.pin_version IS NOT DISTINCT FROM ?7)");
	int r;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, dev);
	if (to->image_id)
		store_bind_text(st, 3, to->image_id);
	if (to->spec)
		store_bind_text(st, 4, to->spec);
	if (to->has_version)
		store_bind_int64(st, 5, to->version);
	store_bind_int64(st, 6, if_version != NULL);
	if (if_version)
		store_bind_int64(st, 7, *if_version);
	if ((r = store_step_done(st)) < 0)
		return r;
	return store_changes(d) > 0 ? 0 : -ENOENT;
}

int apps_store_pin_current_except(struct store *d, const char *app_id, const char *devs)
{
	assert(d && app_id && devs);
	struct store_stmt *st = store_stmt(
	    d,
	    "UPDATE app_instances SET pin_spec = a.spec, pin_image_id = a.image_id, pin_version = a.version"
	    " FROM apps AS a WHERE a.id = ?1 AND app_instances.app_id = ?1"
	    " AND app_instances.pin_version IS NULL AND app_instances.device_id NOT IN"
	    " (SELECT value FROM json_each(?2))");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, devs);
	return store_step_done(st);
}

int apps_store_promote(struct store *d, const char *app_id, const char *spec, const char *image_id,
		       int64_t version)
{
	assert(d && app_id && spec && image_id);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE apps SET spec = ?2, image_id = ?3, version = ?4 WHERE id = ?1");
	int r;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, spec);
	store_bind_text(st, 3, image_id);
	store_bind_int64(st, 4, version);
	if ((r = store_step_done(st)) < 0)
		return r;
	st = store_stmt(d, "UPDATE app_instances SET pin_spec = NULL, pin_image_id = NULL, pin_version = NULL"
			   " WHERE app_id = ?1 AND pin_version = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_int64(st, 2, version);
	return store_step_done(st);
}

int apps_store_each_state_on(struct store *d, const char *app_id, const char *devs,
			     int (*fn)(void *ctx, const struct apps_store_state *s), void *ctx)
{
	assert(d && app_id && devs && fn);
	struct store_stmt *st = store_stmt(d, "SELECT device_id, state, coalesce(error, ''), reported_version"
					      " FROM app_instances WHERE app_id = ?1 AND device_id IN"
					      " (SELECT value FROM json_each(?2))");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, devs);
	while (r == 0 && store_step(st) == STORE_ROW) {
		struct apps_store_state x = {
		    .dev = store_col_str(st, 0),
		    .state = store_col_str(st, 1),
		    .error = store_col_str(st, 2),
		    .version = store_col_str(st, 3),
		};
		r = fn(ctx, &x);
	}
	store_reset(st);
	return r;
}

/* For rollouts_admin.c (a new app rollout starts from the app's row): */

int apps_store_spec_of(struct store *d, const char *ref,
		       int (*fn)(void *ctx, const struct apps_store_spec_row *a), void *ctx)
{
	assert(d && ref && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT a.id, a.name, a.spec, a.activate, a.version, a.image_id,"
			  " coalesce((SELECT max(pin_version) FROM app_instances WHERE app_id = a.id), 0)"
			  " FROM apps a WHERE a.id = ?1 OR a.name = ?1 LIMIT 1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		/* the newest of the app's version and its instances' pins */
		int64_t version = store_col_int64(st, 4), pinned = store_col_int64(st, 6);
		struct apps_store_spec_row a = {
		    .id = store_col_str(st, 0),
		    .name = store_col_str(st, 1),
		    .spec = store_col_str(st, 2),
		    .activate = store_col_int(st, 3) != 0,
		    .version = version > pinned ? version : pinned,
		    .image_id = store_col_str(st, 5),
		};
		r = fn(ctx, &a);
	}
	store_reset(st);
	return r;
}
