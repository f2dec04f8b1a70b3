// SPDX-License-Identifier: Apache-2.0
/* The projects table (projects.h). */
#include "projects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool projects_exists(struct db *d, const char *name)
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

int64_t projects_count_granted(struct db *d, const char *grants)
{
	sqlite3_stmt *st =
	    db_stmt(d, "SELECT count(*) FROM projects WHERE instr(?1, ',' || name || ',') > 0");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, grants, -1, SQLITE_STATIC);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -EIO;
	sqlite3_reset(st);
	return n;
}

int projects_each(struct db *d, const char *grants, int (*fn)(void *ctx, const char *name, int64_t created),
		  void *ctx)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT name, created FROM projects"
				      " WHERE ?1 = '*' OR instr(?1, ',' || name || ',') > 0 ORDER BY name");
	int r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, grants, -1, SQLITE_STATIC);
	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW)
		r = fn(ctx, db_col_text(st, 0), sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return r < 0 ? r : 0;
}

int projects_create(struct db *d, const char *name, int64_t created)
{
	sqlite3_stmt *st = db_stmt(d, "INSERT INTO projects(name, created) VALUES(?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, created);
	return db_step_done(st);
}

int projects_delete(struct db *d, const char *name)
{
	sqlite3_stmt *st = db_stmt(d, "DELETE FROM projects WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int e = db_step_done(st);
	return e == 0 && sqlite3_changes(db_handle(d)) == 0 ? -ENOENT : e;
}

int projects_config_items(struct db *d, const char *name, char **items)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT config_items FROM projects WHERE name = ?1");
	int e = -ENOENT;
	*items = NULL;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		e = (*items = strdup(db_col_text(st, 0))) ? 0 : -ENOMEM;
	sqlite3_reset(st);
	return e;
}

int projects_set_config_items(struct db *d, const char *name, const char *items)
{
	sqlite3_stmt *st = db_stmt(d, "UPDATE projects SET config_items = ?2 WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, items, -1, SQLITE_STATIC);
	return db_step_done(st);
}
