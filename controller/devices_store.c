// SPDX-License-Identifier: Apache-2.0
/* The devices table for the config builder and the config change path. */
#include "devices_store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projects.h"

int devices_store_config_row(struct store *d, const char *uuid,
			     int (*fn)(void *ctx, const struct devices_config_row *row), void *ctx)
{
	assert(d && uuid && fn);
	struct store_stmt *st =
	    store_stmt(d, "SELECT config_version, reboot_counter, config_items, baseos_image,"
			  " baseos_activate, baseos_retry, project FROM devices WHERE id = ?1");
	char *project_items = NULL;
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		/* the project's items (projects.h; none when it is gone) */
		r = projects_config_items(d, store_col_str(st, 6), &project_items);
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0) {
		struct devices_config_row row = {
		    .config_version = store_col_int64(st, 0),
		    .reboot_counter = store_col_int64(st, 1),
		    .config_items = store_col_str(st, 2),
		    .project_items = project_items ? project_items : "{}",
		    .baseos_image = store_col_is_null(st, 3) ? NULL : store_col_str(st, 3),
		    .baseos_activate = store_col_int(st, 4) != 0,
		    .baseos_retry = store_col_int64(st, 5),
		};
		r = fn(ctx, &row);
	}
	store_reset(st);
	free(project_items);
	return r;
}

int devices_store_bump_config(struct store *d, const char *uuid)
{
	assert(d && uuid);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE devices SET config_version = config_version + 1 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	return store_step_done(st);
}

int devices_store_config_items(struct store *d, const char *uuid, char **items)
{
	assert(d && uuid && items);
	return store_text_dup(d, "SELECT config_items FROM devices WHERE id = ?1", uuid, items);
}

int devices_store_set_config_items(struct store *d, const char *uuid, const char *expect, const char *items)
{
	assert(d && uuid && expect && items);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE devices SET config_items = ?2 WHERE id = ?1 AND config_items = ?3");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, items);
	store_bind_text(st, 3, expect);
	return store_step_one(st);
}

int devices_store_resolve(struct store *d, const char *ref, char uuid[UUID_STR_LEN])
{
	assert(d && uuid);
	struct store_stmt *st = store_stmt(d, "SELECT id FROM devices WHERE id = ?1 OR name = ?1 LIMIT 1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		snprintf(uuid, UUID_STR_LEN, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}

int64_t devices_store_count(struct store *d, const char *grants)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM devices WHERE ?1 = '*' OR"
					      " instr(?1, ',' || project || ',') > 0");
	int64_t n = 0;
	if (!st)
		return 0;
	store_bind_text(st, 1, grants);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* ---- for other modules (the access checks, projects, volumes, apps) ---- */

int devices_store_project(struct store *d, const char *uuid, char project[DEVICES_PROJECT_LEN])
{
	return store_text(d, "SELECT project FROM devices WHERE id = ?1", uuid, project, DEVICES_PROJECT_LEN);
}

int devices_store_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
				  void *ctx)
{
	return store_each_text(d, "SELECT project FROM devices WHERE id = ?1 OR name = ?1", ref, fn, ctx);
}

int devices_store_each_in_project(struct store *d, const char *project,
				  int (*fn)(void *ctx, const char *uuid, const char *name,
					    const char *labels),
				  void *ctx)
{
	struct store_stmt *st = store_stmt(
	    d, "SELECT id, name, labels FROM devices WHERE CAST(?1 AS TEXT) IS NULL OR project = ?1");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, project);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1), store_col_str(st, 2));
	store_reset(st);
	return r;
}

int devices_store_labels(struct store *d, const char *uuid, char **labels)
{
	return store_text_dup(d, "SELECT labels FROM devices WHERE id = ?1", uuid, labels);
}

int devices_store_name(struct store *d, const char *uuid, char **name)
{
	return store_text_dup(d, "SELECT name FROM devices WHERE id = ?1", uuid, name);
}

int64_t devices_store_count_baseos(struct store *d, const char *image_id)
{
	return store_int64(d, "SELECT count(*) FROM devices WHERE baseos_image = ?1", image_id);
}

/* ---- reads and writes for reports, ops, fleet export, console ---- */

int devices_store_set_os_version(struct store *d, const char *uuid, const char *version)
{
	assert(d && uuid && version);
	struct store_stmt *st = store_stmt(d, "UPDATE devices SET os_version = ?2 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, version);
	return store_step_done(st);
}

int devices_store_set_os_failed(struct store *d, const char *uuid, const char *version, const char *why)
{
	assert(d && uuid && version && why);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE devices SET os_failed = ?2, os_failed_reason = ?3 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, version);
	store_bind_text(st, 3, why);
	return store_step_done(st);
}

int devices_store_count_by_os_version(struct store *d, int (*fn)(void *ctx, const char *label, int64_t n),
				      void *ctx)
{
	assert(d && fn);
	struct store_stmt *st = store_stmt(
	    d, "SELECT os_version, count(*) FROM devices GROUP BY os_version ORDER BY count(*) DESC");
	int r = 0;
	if (!st)
		return -EIO;
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_int64(st, 1));
	store_reset(st);
	return r;
}

#define ROW_COLS                                                                                             \
	"id, name, labels, config_items, coalesce(last_seen, 0), coalesce(os_version, ''),"                  \
	" coalesce(os_failed, ''), coalesce(os_failed_reason, '')"

/* Rows of "SELECT " ROW_COLS to fn. */
static int each_row(struct store_stmt *st, int (*fn)(void *ctx, const struct devices_store_row *row),
		    void *ctx)
{
	int r = 0;
	while (r == 0 && store_step(st) == STORE_ROW) {
		struct devices_store_row row = {
		    .id = store_col_str(st, 0),
		    .name = store_col_str(st, 1),
		    .labels = store_col_str(st, 2),
		    .config_items = store_col_str(st, 3),
		    .last_seen = store_col_int64(st, 4),
		    .os_version = store_col_str(st, 5),
		    .os_failed = store_col_str(st, 6),
		    .os_failed_reason = store_col_str(st, 7),
		};
		r = fn(ctx, &row);
	}
	store_reset(st);
	return r;
}

int devices_store_each(struct store *d, int64_t max,
		       int (*fn)(void *ctx, const struct devices_store_row *row), void *ctx)
{
	assert(d && fn);
	struct store_stmt *st = store_stmt(d, "SELECT " ROW_COLS " FROM devices"
					      " ORDER BY name LIMIT ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, max);
	return each_row(st, fn, ctx);
}

int devices_store_each_of(struct store *d, const char *ids,
			  int (*fn)(void *ctx, const struct devices_store_row *row), void *ctx)
{
	assert(d && ids && fn);
	struct store_stmt *st = store_stmt(d, "SELECT " ROW_COLS " FROM devices"
					      " WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY name");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ids);
	return each_row(st, fn, ctx);
}

int devices_store_set_baseos(struct store *d, const char *uuid, const char *image_id)
{
	assert(d && uuid && image_id);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE devices SET baseos_image = ?2, baseos_activate = 1, os_failed = '',"
			  " os_failed_reason = '' WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, image_id);
	return store_step_done(st);
}

int devices_store_revert_baseos(struct store *d, const char *uuid, const char *prev, const char *cur)
{
	assert(d && uuid);
	struct store_stmt *st = store_stmt(d, "UPDATE devices SET baseos_image = ?2,"
					      " baseos_activate = CASE WHEN ?2 IS NOT NULL THEN 1 ELSE 0 END"
					      " WHERE id = ?1 AND baseos_image IS NOT DISTINCT FROM ?3");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (prev)
		store_bind_text(st, 2, prev);
	if (cur)
		store_bind_text(st, 3, cur);
	return store_step_done(st);
}

int devices_store_baseos(struct store *d, const char *uuid, char out[UUID_STR_LEN], bool *none)
{
	assert(d && uuid && out && none);
	struct store_stmt *st = store_stmt(d, "SELECT baseos_image FROM devices WHERE id = ?1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		*none = store_col_is_null(st, 0);
		snprintf(out, UUID_STR_LEN, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}
