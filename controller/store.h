// SPDX-License-Identifier: Apache-2.0
/* The controller's store, neutral of the database engine: a pool of
 * connections to SQLite (embedded, the default) or PostgreSQL (libpq), each
 * connection with its own cache of prepared statements keyed by the SQL
 * text's address, and a statement API shaped like SQLite's so that a module
 * written against db.h converts by renaming (docs/store-dialect.md has the
 * table db.h/sqlite3_* -> store_*).
 *
 * SQL is written once with `?` placeholders (or `?NNN`); the PostgreSQL
 * back end rewrites them to `$n` (store_pg.h). SQL that differs between the
 * engines is chosen by the caller from store_dialect() (docs/store-dialect.md
 * says which constructs need it).
 *
 * A new row's id, portably: `INSERT ... RETURNING id`, then store_step()
 * gives STORE_ROW and store_col_int64(st, 0) is the id (SQLite >= 3.35 and
 * PostgreSQL both support RETURNING). store_last_insert_id() exists for the
 * conversion of today's callers only.
 *
 * Threads: the pool is thread-safe; a connection (and its statements) is
 * used by one thread at a time, between store_get() and store_put(). The
 * module never logs: errors are negative errnos, with the engine's text in
 * store_last_error() and the pool's error callback. */
#ifndef CTL_STORE_H
#define CTL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom_hist;
struct store_pool;
struct store;      /* one connection; one thread at a time */
struct store_stmt; /* a cached statement of one connection */

/* store_step() results (errors are negative errnos). */
#define STORE_DONE 0
#define STORE_ROW 1

/* store_col_type() results. */
enum store_type {
	STORE_NULL = 0,
	STORE_INTEGER,
	STORE_FLOAT,
	STORE_TEXT,
	STORE_BLOB,
};

/* Errors every back end maps to (besides -ENOMEM and -ENOSPC):
 *   -EEXIST      a constraint failed (unique, foreign key, not null, check)
 *   -EBUSY       the engine is busy (SQLite lock; PostgreSQL serialization
 *                failure or deadlock): retrying the transaction may succeed
 *   -ECONNRESET  the connection to the server was lost (PostgreSQL only);
 *                the statement did not complete (or its COMMIT is unknown);
 *                the connection reconnects when next borrowed
 *   -ETIMEDOUT   the server cancelled the statement (statement_timeout)
 *   -EIO         anything else, a wrong SQL text included (as db_err)
 *   -EFBIG       a parameter or SQL text is over the bounds (SQLITE_TOOBIG;
 *                STORE_PG_SQL_MAX, 256 MiB per PostgreSQL parameter) */

/* What a caller needs to know about a back end, and how the pool reaches
 * it. Handles are the back end's own (void *: each back end defines them).
 * Every function returning int returns 0 / -errno unless said otherwise. */
struct store_backend_ops {
	const char *dialect; /* "sqlite" or "postgresql": choose SQL by it */
	/* One write transaction at a time in the whole database (SQLite):
	 * the pool queues writers on an in-process lock in store_begin(). */
	bool single_writer;
	/* The statement that opens a write transaction. */
	const char *begin_sql;
	/* A failed statement aborts the open transaction (PostgreSQL): every
	 * later statement fails until ROLLBACK. store_step_try() keeps the
	 * transaction alive with a savepoint then. */
	bool error_aborts_transaction;

	/* target: the URL without the part the pool consumed ("sqlite:"). */
	int (*conn_open)(const char *target, void **conn, char *err, size_t errlen);
	void (*conn_close)(void *conn);
	/* On every borrow: 0 when usable, 1 when it had to reconnect (every
	 * prepared statement of it is gone: the pool drops its cache), or
	 * -errno when it cannot reconnect now. NULL: always usable. */
	int (*conn_check)(void *conn);
	int (*exec)(void *conn, const char *sql);
	bool (*in_transaction)(void *conn);
	int64_t (*changes)(void *conn);
	int64_t (*last_insert_id)(void *conn);
	/* The engine's text for the last failure on conn ("" when none). */
	const char *(*errmsg)(void *conn);
	/* Make conn's committed transactions durable (NULL: COMMIT already is). */
	int (*sync)(void *conn);
	/* The schema version (SQLite: PRAGMA user_version; PostgreSQL: a
	 * one-row table store_schema_version, created when missing), read and
	 * set inside the migration's transaction. */
	int (*version_get)(void *conn, int *version);
	int (*version_set)(void *conn, int version);
	/* Inside a migration's transaction: wait until no other process
	 * migrates (PostgreSQL: a transaction-scoped advisory lock, so that
	 * replicas starting together apply each step once). NULL: the write
	 * transaction already excludes the others (SQLite). */
	int (*migrate_lock)(void *conn);

	int (*prepare)(void *conn, const char *sql, void **stmt);
	void (*finalize)(void *stmt);
	int (*param_count)(void *stmt);
	/* text: n bytes, or up to its NUL when n < 0; copied when copy is set,
	 * else it must stay valid until the statement is reset. */
	int (*bind_text)(void *stmt, int i, const char *text, int n, bool copy);
	int (*bind_int64)(void *stmt, int i, int64_t v);
	int (*bind_blob)(void *stmt, int i, const void *p, size_t n, bool copy);
	int (*bind_null)(void *stmt, int i);
	void (*clear_bindings)(void *stmt);
	int (*step)(void *stmt); /* STORE_ROW, STORE_DONE or -errno */
	void (*reset)(void *stmt);
	bool (*busy)(void *stmt); /* stepped and not yet reset */
	/* The statement writes nothing (for the write-latency histogram);
	 * NULL: every statement stepped by store_step_done counts as a write. */
	bool (*readonly)(void *stmt);
	int (*col_count)(void *stmt);
	enum store_type (*col_type)(void *stmt, int i);
	int64_t (*col_int64)(void *stmt, int i);
	const char *(*col_text)(void *stmt, int i);                /* NULL for NULL */
	const void *(*col_blob)(void *stmt, int i, size_t *bytes); /* NULL for NULL or empty */

	/* Several controller processes on one database (replicas). NULL where
	 * one process owns the database (SQLite): no one to tell or exclude. */
	/* Queue a notification of channel for every listener, sent when the
	 * current transaction commits (at once outside one; never on
	 * rollback). payload: at most STORE_NOTIFY_MAX bytes. */
	int (*notify)(void *conn, const char *channel, const char *payload);
	/* Make conn (a connection of its own) a listener of channel. */
	int (*listen)(void *conn, const char *channel);
	/* Wait up to timeout_ms on a listening conn: 1 with the channel and
	 * payload copied (truncated to their sizes), 0 on timeout,
	 * -ECONNRESET when the session was lost (what was sent meanwhile is
	 * lost with it). */
	int (*wait_notify)(void *conn, int timeout_ms, char *channel, size_t chlen, char *payload,
			   size_t plen);
	/* Inside a transaction: take the database-wide lock key if no other
	 * session holds it; *held says whether this transaction has it (until
	 * it ends). */
	int (*try_lock)(void *conn, int64_t key, bool *held);
	/* Inside a transaction: wait for the database-wide lock key (held
	 * until the transaction ends). */
	int (*lock)(void *conn, int64_t key);
};

/* Largest notification payload (PostgreSQL's limit is 8000 bytes). */
#define STORE_NOTIFY_MAX 7999

/* Open a pool of n connections to url: "sqlite:PATH" or a plain PATH
 * (SQLite, created when missing, WAL mode), or "postgresql://..." /
 * "postgres://..." (a libpq connection URI). Runs no migrations. On error
 * a negative errno with the reason in err (errlen bytes; err may be NULL):
 * -EPROTONOSUPPORT for an unknown scheme. */
int store_pool_open(const char *url, int n, struct store_pool **out, char *err, size_t errlen);
/* Close every connection (none may be borrowed). NULL is a no-op. */
void store_pool_close(struct store_pool *p);
/* Have fn told of every statement that fails to prepare (msg: the engine's
 * reason, detail: the SQL text); fn must be thread-safe. */
void store_pool_on_error(struct store_pool *p, void (*fn)(const char *msg, const char *detail));
/* The pool's back end (static; never NULL). */
const struct store_backend_ops *store_pool_backend(const struct store_pool *p);
/* store_pool_backend(p)->dialect: "sqlite" or "postgresql". */
const char *store_dialect(const struct store_pool *p);

/* Borrow a connection (blocks while all are busy); give it back with
 * store_put, which resets its statements and rolls back a transaction
 * left open. A lost PostgreSQL connection reconnects here. Never NULL:
 * when it cannot reconnect (the server is down) the connection is lent
 * "down": store_stmt() gives NULL and store_exec/begin/commit/lock/notify
 * -ECONNRESET, with the reason in store_last_error(), so callers take the
 * error path they have for a failed statement; the next borrow retries. */
struct store *store_get(struct store_pool *p);
/* As store_get, for a thread that does most of the writing (the commit
 * queue): it gets the same connection each time unless every other one is
 * busy. SQLite drops a connection's page cache whenever another
 * connection has written since its last transaction, so a writer that
 * keeps its connection keeps its cache (the indexes it inserts into). */
struct store *store_get_writer(struct store_pool *p);
void store_put(struct store_pool *p, struct store *c);

/* The cached statement for sql on c (sql must be a string literal: cached
 * by address), reset and with its bindings cleared. NULL when it does not
 * prepare (store_last_error says why) or the cache is full. Owned by c. */
struct store_stmt *store_stmt(struct store *c, const char *sql);
/* Why the last store_stmt/step/exec on c failed ("" when none did); owned by c. */
const char *store_last_error(struct store *c);
/* The connection a statement belongs to. */
struct store *store_stmt_conn(struct store_stmt *st);

/* Bind parameter i (1-based). Unless named _copy, the bytes are not copied:
 * they must stay valid until the statement is reset (SQLITE_STATIC).
 * store_bind_text binds up to the NUL; _n binds n bytes. A NULL text or
 * p binds SQL NULL, a non-NULL p with n == 0 an empty blob (SQLite's
 * rules). 0 or -errno (-ERANGE for a bad index; -EINVAL for text holding
 * a NUL on PostgreSQL). */
int store_bind_text(struct store_stmt *st, int i, const char *text);
int store_bind_text_n(struct store_stmt *st, int i, const char *text, size_t n);
int store_bind_text_copy(struct store_stmt *st, int i, const char *text);
int store_bind_text_n_copy(struct store_stmt *st, int i, const char *text, size_t n);
int store_bind_int64(struct store_stmt *st, int i, int64_t v);
int store_bind_blob(struct store_stmt *st, int i, const void *p, size_t n);
int store_bind_null(struct store_stmt *st, int i);
/* The number of parameters (the largest index). */
int store_param_count(struct store_stmt *st);

/* Run or advance the statement: STORE_ROW (a row is readable), STORE_DONE,
 * or -errno (-EEXIST on a constraint). A step after STORE_DONE runs the
 * statement again (as sqlite3_step). */
int store_step(struct store_stmt *st);
/* Step expecting no row, then reset: 0, -EEXIST on a constraint, -errno. */
int store_step_done(struct store_stmt *st);
/* Step an UPDATE written only over what its caller read (its WHERE
 * repeats the values read): 0 when it changed one row; -EAGAIN when it
 * changed none (another transaction changed them: read again); as
 * store_step_done otherwise. */
int store_step_one(struct store_stmt *st);
/* store_step_done for a statement whose failure the caller handles and
 * then goes on in the same transaction (an -EEXIST that picks another
 * name): where a failed statement aborts the transaction
 * (error_aborts_transaction), it runs under a savepoint that is rolled
 * back on failure, so the transaction goes on as in SQLite. */
int store_step_try(struct store_stmt *st);
/* Back to before the first step; bindings are kept. */
void store_reset(struct store_stmt *st);

/* Columns of the current row (0-based). Pointers stay valid until the next
 * step or reset of st. */
int store_col_count(struct store_stmt *st);
enum store_type store_col_type(struct store_stmt *st, int i);
bool store_col_is_null(struct store_stmt *st, int i);
int64_t store_col_int64(struct store_stmt *st, int i);    /* 0 for NULL */
int store_col_int(struct store_stmt *st, int i);          /* truncated int64 */
const char *store_col_text(struct store_stmt *st, int i); /* NULL for NULL */
const char *store_col_str(struct store_stmt *st, int i);  /* "" for NULL */
/* Blob bytes (NULL for NULL or empty) and their count in *bytes (may be NULL). */
const void *store_col_blob(struct store_stmt *st, int i, size_t *bytes);
size_t store_col_bytes(struct store_stmt *st, int i);

/* Rows changed by the last INSERT/UPDATE/DELETE on c. */
int64_t store_changes(struct store *c);
/* The id of the last row inserted on c (0 when unknown): SQLite's rowid;
 * PostgreSQL's lastval(). Prefer INSERT ... RETURNING. */
int64_t store_last_insert_id(struct store *c);

/* Open a write transaction (SQLite: BEGIN IMMEDIATE behind the pool's
 * writer lock, at most 10 s wait then -EBUSY; PostgreSQL: BEGIN). */
int store_begin(struct store *c);
/* Whether c is inside a transaction. */
bool store_in_transaction(struct store *c);
/* COMMIT; on failure the transaction may still be open: roll back. */
int store_commit(struct store *c);
void store_rollback(struct store *c);
/* End the transaction as r says: commit when r >= 0 (-EIO when that
 * fails), else roll back. Returns r (or -EIO). */
int store_finish(struct store *c, int r);
/* Make c's last COMMIT durable before it is acknowledged (SQLite: one
 * fsync of the WAL shared by every thread waiting at the same time;
 * PostgreSQL: COMMIT already is). */
int store_sync(struct store *c);
/* Bring the schema to version n by applying steps[v..n-1] (SQL texts for
 * store_exec) after the stored version v, each in its own transaction that
 * also records its number; safe when several processes migrate one
 * database at once. 0; -EPROTO when the stored version is newer than n
 * (written by a newer controller); else the failing step's -errno. err
 * (errlen bytes) says why. */
int store_migrate(struct store *c, const char *const *steps, int n, char *err, size_t errlen);
/* Run SQL with no result rows (several statements separated by ';' are
 * allowed; no placeholders). */
int store_exec(struct store *c, const char *sql);

/* ---- several controller processes on one database (store_listen.h
 * receives) ---- */
/* Whether the back end serves several processes (notify/listen/locks). */
bool store_clustered(const struct store_pool *p);
/* Tell the other processes (their store_listen on channel) payload when
 * c's transaction commits, or at once outside one. 0 and nothing to do on
 * a back end that is not clustered; -EINVAL for a payload over
 * STORE_NOTIFY_MAX. */
int store_notify(struct store *c, const char *channel, const char *payload);
/* Inside a transaction on c: *held is true when this transaction holds the
 * database-wide lock key until it ends (another process's transaction may
 * hold it: then false, and the caller skips what only one may do at a
 * time). Always held on a back end that is not clustered. */
int store_try_lock(struct store *c, int64_t key, bool *held);
/* Inside a write transaction, before a read-modify-write that relied on
 * SQLite's single writer (the next id from max(id)): wait for the
 * database-wide lock key, held until the transaction ends, so that every
 * other transaction of any process locking key takes its turn. A no-op on
 * a back end that is not clustered (its writers take turns already). 0 or
 * -errno. */
int store_lock(struct store *c, int64_t key);
/* The back end a store URL names, and the part of the URL it takes (see
 * store_pool_open); NULL for an unknown scheme. */
const struct store_backend_ops *store_backend_for(const char *url, const char **target);

/* Latency of every write made through the store in this process (a
 * store_step_done outside a transaction, or store_begin to store_commit);
 * owned by the module (ops_api.c exports it). */
struct prom_hist *store_write_latency(void);

/* For the owner modules' one-parameter queries (each passes its own SQL
 * literal, which must take the text arg as ?1):
 * store_each_text calls fn(ctx, first column) for each row; a nonzero
 * return of fn stops the walk and is returned; 0 or -EIO. store_int64
 * returns the first column of the first row (0 when none), or -EIO.
 * store_text copies the first column of the first row into out (n bytes):
 * 0, -ENOENT (no row), -EIO; store_text_dup into a malloc'd *out (the
 * caller frees it; NULL on error), also -ENOMEM. */
int store_each_text(struct store *c, const char *sql, const char *arg, int (*fn)(void *ctx, const char *v),
		    void *ctx);
int64_t store_int64(struct store *c, const char *sql, const char *arg);
int store_text(struct store *c, const char *sql, const char *arg, char *out, size_t n);
int store_text_dup(struct store *c, const char *sql, const char *arg, char **out);

#endif
