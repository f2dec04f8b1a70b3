// SPDX-License-Identifier: Apache-2.0
/* SQLite store: a small pool of connections (WAL mode), each with its own
 * cache of prepared statements keyed by the SQL text's address, so every
 * statement is prepared once per connection and reused. Numbered schema
 * migrations run at open. */
#ifndef CTL_DB_H
#define CTL_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom_hist;

struct db_pool;
struct db; /* one connection; use from one thread at a time */

/* Open (creating) path with n connections; applies migrations. On error
 * returns a negative errno with the reason in err (errlen bytes; err may
 * be NULL). */
int db_pool_open(const char *path, int n, struct db_pool **out, char *err, size_t errlen);
/* Have fn told of every statement that fails to prepare (msg: SQLite's
 * reason, detail: the SQL text); the module itself never logs. */
void db_pool_on_error(struct db_pool *p, void (*fn)(const char *msg, const char *detail));
void db_pool_close(struct db_pool *p);
/* Borrow a connection (blocks while all are busy); give it back with put. */
struct db *db_get(struct db_pool *p);
void db_put(struct db_pool *p, struct db *d);

sqlite3 *db_handle(struct db *d);
/* The cached statement for sql (must be a string literal: cached by
 * address), reset and with bindings cleared. NULL on a prepare error. */
sqlite3_stmt *db_stmt(struct db *d, const char *sql);
/* Why the last db_stmt on d returned NULL ("" when none did); owned by d. */
const char *db_last_error(struct db *d);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Write transactions of one pool
 * take turns on an in-process lock (at most 10 s wait, then -EBUSY). */
int db_begin(struct db *d);
int db_commit(struct db *d);
void db_rollback(struct db *d);
/* Group commit: make this connection's last COMMIT durable (fsync of the
 * WAL, shared by every thread waiting at the same time) before it is
 * acknowledged. synchronous=NORMAL alone leaves it in the page cache. */
int db_sync(struct db *d);
/* Run a one-shot statement with no result rows. */
int db_exec(struct db *d, const char *sql);
/* Convert an sqlite result code to a negative errno. */
int db_err(int rc);
/* Step a statement expecting SQLITE_DONE; 0, -EEXIST on constraint. */
int db_step_done(sqlite3_stmt *st);
/* Count rows of table (for tests and /status). */
int64_t db_count(struct db *d, const char *table);

/* Latency of every write (autocommit statement, or BEGIN to COMMIT) made
 * through this module in this process; owned by the module. */
struct prom_hist *db_write_latency(void);

/* Text column as a C string ("" for NULL). */
const char *db_col_text(sqlite3_stmt *st, int i);

/* For the owner modules' one-parameter queries (each passes its own SQL,
 * which must take the text arg as ?1):
 * db_each_text calls fn(ctx, first column) for each row; a nonzero return
 * of fn stops the walk and is returned; 0 or -EIO. db_int64 returns the
 * first column of the first row (0 when none), or -EIO. */
int db_each_text(struct db *d, const char *sql, const char *arg, int (*fn)(void *ctx, const char *v),
		 void *ctx);
int64_t db_int64(struct db *d, const char *sql, const char *arg);
/* The first column of the first row as text into out (n bytes): 0,
 * -ENOENT (no row), -EIO. */
int db_text(struct db *d, const char *sql, const char *arg, char *out, size_t n);

#endif
