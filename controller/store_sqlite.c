// SPDX-License-Identifier: Apache-2.0
/* SQLite back end of the store: thin wrappers over sqlite3_*. */
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sl_conn {
	sqlite3 *h;
	char *path; /* for sync: the WAL is path-wal */
};

static int sl_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_TOOBIG:
		return -EFBIG;
	case SQLITE_RANGE:
		return -ERANGE;
	default:
		return -EIO;
	}
}

static void sl_conn_close(void *conn)
{
	struct sl_conn *c = conn;
	if (!c)
		return;
	sqlite3_close(c->h);
	free(c->path);
	free(c);
}

static int sl_exec(void *conn, const char *sql)
{
	return sl_err(sqlite3_exec(((struct sl_conn *)conn)->h, sql, NULL, NULL, NULL));
}

static int sl_conn_open(const char *target, void **out, char *err, size_t errlen)
{
	struct sl_conn *c = calloc(1, sizeof(*c));
	int r = -ENOMEM;
	if (!c || !(c->path = strdup(target)))
		goto out;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	r = sl_err(sqlite3_open_v2(target, &c->h, flags, NULL));
	if (r == 0) {
		sqlite3_busy_timeout(c->h, 10000);
		/* As db.c: WAL, a small page cache per connection. */
		r = sl_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
			       " PRAGMA cache_size=-1024;");
	}
	if (r < 0 && c->h)
		snprintf(err, errlen, "%s: %s", target, sqlite3_errmsg(c->h));
out:
	if (r < 0) {
		sl_conn_close(c);
		return r;
	}
	*out = c;
	return 0;
}

static bool sl_in_transaction(void *conn)
{
	return !sqlite3_get_autocommit(((struct sl_conn *)conn)->h);
}

static int64_t sl_changes(void *conn)
{
	return sqlite3_changes(((struct sl_conn *)conn)->h);
}

static int64_t sl_last_insert_id(void *conn)
{
	return sqlite3_last_insert_rowid(((struct sl_conn *)conn)->h);
}

static const char *sl_errmsg(void *conn)
{
	return sqlite3_errmsg(((struct sl_conn *)conn)->h);
}

static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fdatasync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* fdatasync the WAL; a missing WAL means it was checkpointed (SQLite syncs
 * the database before it resets the WAL): sync the database then. */
static int sl_sync(void *conn)
{
	struct sl_conn *c = conn;
	char wal[4096];
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", c->path) >= sizeof(wal))
		return -ENAMETOOLONG;
	int r = sync_path(wal);
	return r == -ENOENT ? sync_path(c->path) : r;
}

static int sl_version_get(void *conn, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(((struct sl_conn *)conn)->h, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sl_err(rc) ? sl_err(rc) : -EIO;
}

static int sl_version_set(void *conn, int version)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version);
	return sl_exec(conn, sql);
}

static int sl_prepare(void *conn, const char *sql, void **stmt)
{
	sqlite3_stmt *st = NULL;
	int rc =
	    sqlite3_prepare_v3(((struct sl_conn *)conn)->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return sl_err(rc) ? sl_err(rc) : -EINVAL;
	}
	if (!st)
		return -EINVAL; /* only whitespace or a comment */
	*stmt = st;
	return 0;
}

static void sl_finalize(void *stmt)
{
	sqlite3_finalize(stmt);
}

static int sl_param_count(void *stmt)
{
	return sqlite3_bind_parameter_count(stmt);
}

static int sl_bind_text(void *stmt, int i, const char *text, int n, bool copy)
{
	return sl_err(sqlite3_bind_text(stmt, i, text, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
}

static int sl_bind_int64(void *stmt, int i, int64_t v)
{
	return sl_err(sqlite3_bind_int64(stmt, i, v));
}

static int sl_bind_blob(void *stmt, int i, const void *p, size_t n, bool copy)
{
	/* p NULL binds NULL; p with n == 0 an empty blob (SQLite's rules). */
	return sl_err(sqlite3_bind_blob64(stmt, i, p, n, copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
}

static int sl_bind_null(void *stmt, int i)
{
	return sl_err(sqlite3_bind_null(stmt, i));
}

static void sl_clear_bindings(void *stmt)
{
	sqlite3_clear_bindings(stmt);
}

static int sl_step(void *stmt)
{
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	int r = sl_err(rc);
	return r ? r : -EIO;
}

static void sl_reset(void *stmt)
{
	sqlite3_reset(stmt);
}

static bool sl_busy(void *stmt)
{
	return sqlite3_stmt_busy(stmt);
}

static bool sl_readonly(void *stmt)
{
	return sqlite3_stmt_readonly(stmt);
}

static int sl_col_count(void *stmt)
{
	return sqlite3_data_count(stmt);
}

static enum store_type sl_col_type(void *stmt, int i)
{
	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_INTEGER:
		return STORE_INTEGER;
	case SQLITE_FLOAT:
		return STORE_FLOAT;
	case SQLITE_TEXT:
		return STORE_TEXT;
	case SQLITE_BLOB:
		return STORE_BLOB;
	default:
		return STORE_NULL;
	}
}

static int64_t sl_col_int64(void *stmt, int i)
{
	return sqlite3_column_int64(stmt, i);
}

static const char *sl_col_text(void *stmt, int i)
{
	return (const char *)sqlite3_column_text(stmt, i);
}

static const void *sl_col_blob(void *stmt, int i, size_t *bytes)
{
	const void *p = sqlite3_column_blob(stmt, i); /* before _bytes: SQLite's order */
	int n = sqlite3_column_bytes(stmt, i);
	*bytes = n > 0 ? (size_t)n : 0;
	return n > 0 ? p : NULL;
}

const struct store_backend_ops store_sqlite_ops = {
    .dialect = "sqlite",
    .single_writer = true,
    .begin_sql = "BEGIN IMMEDIATE",
    .conn_open = sl_conn_open,
    .conn_close = sl_conn_close,
    .exec = sl_exec,
    .in_transaction = sl_in_transaction,
    .changes = sl_changes,
    .last_insert_id = sl_last_insert_id,
    .errmsg = sl_errmsg,
    .sync = sl_sync,
    .version_get = sl_version_get,
    .version_set = sl_version_set,
    .prepare = sl_prepare,
    .finalize = sl_finalize,
    .param_count = sl_param_count,
    .bind_text = sl_bind_text,
    .bind_int64 = sl_bind_int64,
    .bind_blob = sl_bind_blob,
    .bind_null = sl_bind_null,
    .clear_bindings = sl_clear_bindings,
    .step = sl_step,
    .reset = sl_reset,
    .busy = sl_busy,
    .readonly = sl_readonly,
    .col_count = sl_col_count,
    .col_type = sl_col_type,
    .col_int64 = sl_col_int64,
    .col_text = sl_col_text,
    .col_blob = sl_col_blob,
};
