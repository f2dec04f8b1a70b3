// SPDX-License-Identifier: Apache-2.0
/* SQLite connection pool, statement cache and migrations. */
#include "db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "monotime.h"
#include "prom.h"
#include "schema.h"

#define STMT_SLOTS 256 /* power of two; more than the SQL texts we have */

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct db_pool *pool;
	bool busy;
	bool writer;        /* holds pool->wmu (between BEGIN and COMMIT/ROLLBACK) */
	uint64_t begin_us;  /* when the open write transaction began */
	uint64_t commit_no; /* number of this connection's last commit (pool->committed) */
	struct stmt_slot slots[STMT_SLOTS];
	char err[256]; /* what the last failed prepare said (db_last_error) */
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	struct db *conns;
	/* One write transaction at a time in this process: writers queue on a
	 * mutex (woken as soon as the writer commits) instead of polling
	 * SQLite's lock in the busy handler's 1-100 ms sleeps. */
	pthread_mutex_t wmu;
	/* Group commit: commits are numbered; db_sync makes every commit up
	 * to a number durable with one fsync of the WAL shared by all waiters. */
	pthread_mutex_t smu;
	pthread_cond_t scv;
	uint64_t committed, synced;
	bool syncing;
	char *path;
	void (*on_error)(const char *msg, const char *detail); /* db_pool_on_error */
};

/* Wait as long as SQLite's busy timeout would have (then -EBUSY, as before). */
#define WRITER_WAIT_S 10

int db_err(int rc)
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
	default:
		return -EIO;
	}
}

void db_pool_on_error(struct db_pool *p, void (*fn)(const char *msg, const char *detail))
{
	p->on_error = fn;
}

const char *db_last_error(struct db *d)
{
	return d->err;
}

sqlite3 *db_handle(struct db *d)
{
	return d->h;
}

int db_exec(struct db *d, const char *sql)
{
	return db_err(sqlite3_exec(d->h, sql, NULL, NULL, NULL));
}

sqlite3_stmt *db_stmt(struct db *d, const char *sql)
{
	assert(d && sql);
	size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < STMT_SLOTS; i++) {
		struct stmt_slot *s = &d->slots[(h + i) & (STMT_SLOTS - 1)];
		if (s->sql == sql) {
			sqlite3_reset(s->st);
			sqlite3_clear_bindings(s->st);
			return s->st;
		}
		if (s->sql)
			continue;
		if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
			snprintf(d->err, sizeof(d->err), "%s", sqlite3_errmsg(d->h));
			if (d->pool->on_error)
				d->pool->on_error(d->err, sql);
			return NULL;
		}
		s->sql = sql;
		return s->st;
	}
	return NULL;
}

/* Every write of this process: autocommit statements and BEGIN..COMMIT. */
static struct prom_hist write_latency;

struct prom_hist *db_write_latency(void)
{
	return &write_latency;
}

int db_step_done(sqlite3_stmt *st)
{
	assert(st);
	bool timed = !sqlite3_stmt_readonly(st) && sqlite3_get_autocommit(sqlite3_db_handle(st));
	uint64_t t0 = timed ? monotime_us() : 0;
	int rc = sqlite3_step(st);
	if (timed)
		prom_hist_observe(&write_latency, monotime_us() - t0);
	int r = rc == SQLITE_DONE ? 0 : db_err(rc);
	if (rc != SQLITE_DONE && r == 0)
		r = -EIO;
	sqlite3_reset(st);
	return r;
}

static void writer_release(struct db *d)
{
	if (d->writer) {
		d->writer = false;
		pthread_mutex_unlock(&d->pool->wmu);
	}
}

int db_begin(struct db *d)
{
	bool took = !d->writer;
	d->begin_us = monotime_us();
	if (took) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += WRITER_WAIT_S;
		if (pthread_mutex_timedlock(&d->pool->wmu, &until) != 0)
			return -EBUSY;
		d->writer = true;
	}
	int r = db_exec(d, "BEGIN IMMEDIATE");
	if (r < 0 && took)
		writer_release(d);
	return r;
}

int db_commit(struct db *d)
{
	int r = db_exec(d, "COMMIT");
	if (r == 0) {
		prom_hist_observe(&write_latency, monotime_us() - d->begin_us);
		pthread_mutex_lock(&d->pool->smu);
		d->commit_no = ++d->pool->committed;
		pthread_mutex_unlock(&d->pool->smu);
	}
	/* A failed COMMIT may leave the transaction open: the caller rolls back. */
	if (sqlite3_get_autocommit(d->h))
		writer_release(d);
	return r;
}

void db_rollback(struct db *d)
{
	sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	if (sqlite3_get_autocommit(d->h))
		writer_release(d);
}

/* fdatasync the file at path (its data and size); a missing WAL means it was checkpointed (SQLite
 * syncs the database before it resets the WAL): sync the database then. */
static int sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fdatasync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int sync_files(const char *db_path)
{
	char wal[4096];
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", db_path) >= sizeof(wal))
		return -ENAMETOOLONG;
	int r = sync_path(wal);
	return r == -ENOENT ? sync_path(db_path) : r;
}

int db_sync(struct db *d)
{
	struct db_pool *p = d->pool;
	int r = 0;
	pthread_mutex_lock(&p->smu);
	while (r == 0 && p->synced < d->commit_no) {
		if (p->syncing) {
			pthread_cond_wait(&p->scv, &p->smu);
			continue;
		}
		/* Lead one fsync for every commit made so far; later commits
		 * wait for the next round. */
		uint64_t upto = p->committed;
		p->syncing = true;
		pthread_mutex_unlock(&p->smu);
		r = sync_files(p->path);
		pthread_mutex_lock(&p->smu);
		p->syncing = false;
		if (r == 0 && upto > p->synced)
			p->synced = upto;
		pthread_cond_broadcast(&p->scv);
	}
	pthread_mutex_unlock(&p->smu);
	return r;
}

const char *db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

int db_each_text(struct db *d, const char *sql, const char *arg, int (*fn)(void *ctx, const char *v),
		 void *ctx)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	int r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		r = fn(ctx, db_col_text(st, 0));
	sqlite3_reset(st);
	return r;
}

int64_t db_int64(struct db *d, const char *sql, const char *arg)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	int64_t n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		n = -EIO;
	sqlite3_reset(st);
	return n;
}

int db_text(struct db *d, const char *sql, const char *arg, char *out, size_t n)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	int r = -ENOENT;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(out, n, "%s", db_col_text(st, 0));
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(st);
	return r;
}

int64_t db_count(struct db *d, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void db_conn_close(struct db *d)
{
	for (size_t i = 0; i < STMT_SLOTS; i++)
		if (d->slots[i].st)
			sqlite3_finalize(d->slots[i].st);
	memset(d->slots, 0, sizeof(d->slots));
	if (d->h)
		sqlite3_close(d->h);
	d->h = NULL;
}

static int db_conn_open(struct db *d, const char *path)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	int rc = sqlite3_open_v2(path, &d->h, flags, NULL);
	if (rc != SQLITE_OK)
		return db_err(rc);
	sqlite3_busy_timeout(d->h, 10000);
	/* A small page cache per connection: polls never touch SQLite. */
	return db_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
			  " PRAGMA cache_size=-1024;");
}

/* Apply every migration newer than PRAGMA user_version, each in one
 * transaction that also bumps user_version. */
static int db_migrate(struct db *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > schema_migrations_n) {
		/* Written by a newer controller: its tables mean things we do not know. */
		snprintf(err, errlen,
			 "database schema version %d is newer than this controller's (%d):"
			 " refusing to run (upgrade eve-controller, or restore a backup taken before)",
			 version, schema_migrations_n);
		return -EPROTO;
	}
	for (int i = version; i < schema_migrations_n; i++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%d;", i + 1);
		int r = db_begin(d);
		if (r == 0)
			r = db_exec(d, schema_migrations[i]);
		if (r == 0)
			r = db_exec(d, bump);
		if (r == 0)
			r = db_commit(d);
		if (r < 0) {
			snprintf(err, errlen, "migration %d failed: %s", i + 1, sqlite3_errmsg(d->h));
			db_rollback(d);
			return r;
		}
	}
	return 0;
}

int db_pool_open(const char *path, int n, struct db_pool **out, char *err, size_t errlen)
{
	assert(path && n > 0 && out);
	char scratch[1];
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = 0;
	struct db_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->wmu, NULL);
	pthread_mutex_init(&p->smu, NULL);
	pthread_cond_init(&p->scv, NULL);
	p->path = strdup(path);
	p->conns = calloc((size_t)n, sizeof(struct db));
	int r = p->conns && p->path ? 0 : -ENOMEM;
	for (int i = 0; i < n && r == 0; i++) {
		p->n = i + 1;
		p->conns[i].pool = p;
		r = db_conn_open(&p->conns[i], path);
		if (r == 0 && i == 0)
			r = db_migrate(&p->conns[0], err, errlen);
	}
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s",
			 p->n > 0 && p->conns[p->n - 1].h ? sqlite3_errmsg(p->conns[p->n - 1].h)
							  : "out of memory");
	if (r < 0) {
		db_pool_close(p);
		return r;
	}
	*out = p;
	return 0;
}

void db_pool_close(struct db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; p->conns && i < p->n; i++)
		db_conn_close(&p->conns[i]);
	free(p->conns);
	free(p->path);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->wmu);
	pthread_mutex_destroy(&p->smu);
	pthread_cond_destroy(&p->scv);
	free(p);
}

struct db *db_get(struct db_pool *p)
{
	assert(p);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (int i = 0; i < p->n; i++) {
			if (!p->conns[i].busy) {
				p->conns[i].busy = true;
				pthread_mutex_unlock(&p->mu);
				return &p->conns[i];
			}
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
}

void db_put(struct db_pool *p, struct db *d)
{
	if (!d)
		return;
	/* A statement left mid-iteration would pin an old read snapshot. */
	for (size_t i = 0; i < STMT_SLOTS; i++)
		if (d->slots[i].st && sqlite3_stmt_busy(d->slots[i].st))
			sqlite3_reset(d->slots[i].st);
	/* A write transaction left open would hold every other writer. */
	if (d->writer)
		db_rollback(d);
	pthread_mutex_lock(&p->mu);
	d->busy = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}
