// SPDX-License-Identifier: Apache-2.0
/* Logical size of the controller's database. */
#include <errno.h>
#include <stddef.h>
#include <sqlite3.h>

#include "dbsize.h"

static int dbsize_pragma(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int dbsize_used(const char *path, uint64_t *out)
{
	int64_t pages = 0, free_pages = 0, page_size = 0;
	sqlite3 *db = NULL;
	int r = -ENOENT;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	r = dbsize_pragma(db, "PRAGMA page_count", &pages);
	if (r == 0)
		r = dbsize_pragma(db, "PRAGMA freelist_count", &free_pages);
	if (r == 0)
		r = dbsize_pragma(db, "PRAGMA page_size", &page_size);
	if (r == 0)
		*out = (uint64_t)(pages - free_pages) * (uint64_t)page_size;
out:
	sqlite3_close(db);
	return r;
}
