// SPDX-License-Identifier: Apache-2.0
/* The projects table (projects.h). */
#include "projects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool projects_exists(struct store *d, const char *name)
{
	struct store_stmt *st = store_stmt(d, "SELECT 1 FROM projects WHERE name = ?1");
	bool ok = false;
	if (st) {
		store_bind_text(st, 1, name);
		ok = store_step(st) == STORE_ROW;
		store_reset(st);
	}
	return ok;
}

int64_t projects_count_granted(struct store *d, const char *grants)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT count(*) FROM projects WHERE instr(?1, ',' || name || ',') > 0");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, grants);
	int64_t n = store_step(st) == STORE_ROW ? store_col_int64(st, 0) : -EIO;
	store_reset(st);
	return n;
}

int projects_each(struct store *d, const char *grants,
		  int (*fn)(void *ctx, const char *name, int64_t created), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT name, created FROM projects"
			  " WHERE ?1 = '*' OR instr(?1, ',' || name || ',') > 0 ORDER BY name");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, grants);
	while (r >= 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_int64(st, 1));
	store_reset(st);
	return r < 0 ? r : 0;
}

int projects_create(struct store *d, const char *name, int64_t created)
{
	struct store_stmt *st = store_stmt(d, "INSERT INTO projects(name, created) VALUES(?1, ?2)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	store_bind_int64(st, 2, created);
	return store_step_done(st);
}

int projects_delete(struct store *d, const char *name)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM projects WHERE name = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	int e = store_step_done(st);
	return e == 0 && store_changes(d) == 0 ? -ENOENT : e;
}

int projects_config_items(struct store *d, const char *name, char **items)
{
	return store_text_dup(d, "SELECT config_items FROM projects WHERE name = ?1", name, items);
}

int projects_set_config_items(struct store *d, const char *name, const char *expect, const char *items)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE projects SET config_items = ?2 WHERE name = ?1 AND config_items = ?3");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, items);
	store_bind_text(st, 3, expect);
	return store_step_one(st);
}
