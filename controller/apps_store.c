// SPDX-License-Identifier: Apache-2.0
/* The apps' rows for the modules below apps.c (apps_store.h). */
#include "apps_store.h"

#include <errno.h>
#include <stdio.h>

#include "app_spec.h"

int apps_store_each_project_of(struct db *d, const char *ref, int (*fn)(void *ctx, const char *project),
			       void *ctx)
{
	return db_each_text(d, "SELECT project FROM apps WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}

int64_t apps_store_count_using_image(struct db *d, const char *image_id)
{
	return db_int64(d, "SELECT count(*) FROM apps WHERE image_id = ?1", image_id);
}

int apps_store_each_on_device(struct db *d, const char *uuid, int (*fn)(void *ctx, const char *name),
			      void *ctx)
{
	return db_each_text(d,
			    "SELECT a.name FROM apps a JOIN app_instances i ON i.app_id = a.id"
			    " WHERE i.device_id = ?1 ORDER BY a.name",
			    uuid, fn, ctx);
}

int apps_store_each_on_network(struct db *d, const char *uuid, const char *network,
			       int (*fn)(void *ctx, const char *name), void *ctx)
{
	sqlite3_stmt *st =
	    db_stmt(d, "SELECT a.name FROM apps a JOIN app_instances i ON i.app_id = a.id"
		       " WHERE i.device_id = ?1 AND EXISTS (SELECT 1 FROM"
		       " json_each(a.spec, '$." APP_SPEC_NETWORKS "') WHERE value = ?2) ORDER BY a.name");
	int r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, network, -1, SQLITE_STATIC);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		r = fn(ctx, db_col_text(st, 0));
	sqlite3_reset(st);
	return r;
}

int apps_store_user_of_volume(struct db *d, const char *uuid, const char *volume, const char *except,
			      char *user, size_t n)
{
	sqlite3_stmt *st =
	    db_stmt(d, "SELECT a.name FROM apps a, json_each(a.spec, '$." APP_SPEC_VOLUMES "') v"
		       " WHERE json_extract(a.spec, '$." APP_SPEC_DEVICE "') = ?1"
		       " AND json_extract(v.value, '$." APP_SPEC_VOLUME_NAME "') = ?2 AND a.name != ?3"
		       " ORDER BY a.name LIMIT 1");
	user[0] = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, volume, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, except ? except : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(user, n, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	return 0;
}

int apps_store_delete_aimed_at(struct db *d, const char *uuid)
{
	sqlite3_stmt *st =
	    db_stmt(d, "DELETE FROM apps WHERE json_extract(spec, '$." APP_SPEC_DEVICE "') = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	return db_step_done(st);
}
