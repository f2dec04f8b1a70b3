// SPDX-License-Identifier: Apache-2.0
/* The store's pool, statement cache, transactions and group commit; every
 * engine call goes through the back end's ops table. */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotime.h"
#include "prom.h"
#include "store_pg.h"
#include "store_sqlite.h"

#define STMT_SLOTS 256 /* power of two; more than the SQL texts we have */
#define STORE_CONNS_MAX 64
/* Wait as long as SQLite's busy timeout would have (then -EBUSY, as db.c). */
#define WRITER_WAIT_S 10

struct store_stmt {
	const char *sql; /* the cache key: the literal's address */
	void *h;         /* the back end's statement */
	struct store *conn;
};

struct store {
	void *h; /* the back end's connection */
	struct store_pool *pool;
	const struct store_backend_ops *ops;
	bool busy;
	bool down;          /* could not reconnect when borrowed: every call fails */
	bool writer;        /* holds pool->wmu (between BEGIN and COMMIT/ROLLBACK) */
	uint64_t begin_us;  /* when the open write transaction began */
	uint64_t commit_no; /* number of this connection's last commit (pool->committed) */
	struct store_stmt slots[STMT_SLOTS];
	char err[256]; /* store_last_error */
};

struct store_pool {
	const struct store_backend_ops *ops;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	struct store *conns;
	/* single_writer engines: writers queue on this lock (woken as soon as
	 * the writer commits) instead of polling the engine's lock. */
	pthread_mutex_t wmu;
	/* Group commit: commits are numbered; store_sync makes every commit up
	 * to a number durable with one sync shared by all waiters. */
	pthread_mutex_t smu;
	pthread_cond_t scv;
	uint64_t committed, synced;
	bool syncing;
	void (*on_error)(const char *msg, const char *detail);
};

/* The back end for url and the target it is given. */
const struct store_backend_ops *store_backend_for(const char *url, const char **target)
{
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		*target = url;
		return &store_pg_ops;
	}
	if (!strncmp(url, "sqlite:", 7)) {
		*target = url + 7;
		return &store_sqlite_ops;
	}
	/* A plain path (no scheme before a '/'): SQLite, as db_pool_open took. */
	const char *colon = strchr(url, ':');
	const char *slash = strchr(url, '/');
	if (!colon || (slash && slash < colon)) {
		*target = url;
		return &store_sqlite_ops;
	}
	return NULL;
}

static void note_error(struct store *c, const char *detail)
{
	snprintf(c->err, sizeof(c->err), "%s", c->ops->errmsg(c->h));
	if (detail && c->pool->on_error)
		c->pool->on_error(c->err, detail);
}

void store_pool_on_error(struct store_pool *p, void (*fn)(const char *msg, const char *detail))
{
	p->on_error = fn;
}

const struct store_backend_ops *store_pool_backend(const struct store_pool *p)
{
	return p->ops;
}

const char *store_dialect(const struct store_pool *p)
{
	return p->ops->dialect;
}

const char *store_last_error(struct store *c)
{
	return c->err;
}

struct store *store_stmt_conn(struct store_stmt *st)
{
	return st->conn;
}

static void drop_stmts(struct store *c)
{
	for (size_t i = 0; i < STMT_SLOTS; i++)
		if (c->slots[i].h)
			c->ops->finalize(c->slots[i].h);
	memset(c->slots, 0, sizeof(c->slots));
}

static void conn_close(struct store *c)
{
	drop_stmts(c);
	if (c->h)
		c->ops->conn_close(c->h);
	c->h = NULL;
}

int store_pool_open(const char *url, int n, struct store_pool **out, char *err, size_t errlen)
{
	assert(url && out);
	char scratch[1];
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = 0;
	if (n < 1 || n > STORE_CONNS_MAX) {
		snprintf(err, errlen, "pool size %d is not within 1-%d", n, STORE_CONNS_MAX);
		return -EINVAL;
	}
	const char *target = NULL;
	const struct store_backend_ops *ops = store_backend_for(url, &target);
	if (!ops) {
		snprintf(err, errlen, "unknown store URL scheme (sqlite:PATH, PATH or postgresql://...)");
		return -EPROTONOSUPPORT;
	}
	struct store_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = ops;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->wmu, NULL);
	pthread_mutex_init(&p->smu, NULL);
	pthread_cond_init(&p->scv, NULL);
	p->conns = calloc((size_t)n, sizeof(struct store));
	int r = p->conns ? 0 : -ENOMEM;
	for (int i = 0; i < n && r == 0; i++) {
		p->n = i + 1;
		p->conns[i].pool = p;
		p->conns[i].ops = ops;
		r = ops->conn_open(target, &p->conns[i].h, err, errlen);
	}
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-r));
	if (r < 0) {
		store_pool_close(p);
		return r;
	}
	*out = p;
	return 0;
}

void store_pool_close(struct store_pool *p)
{
	if (!p)
		return;
	for (int i = 0; p->conns && i < p->n; i++)
		conn_close(&p->conns[i]);
	free(p->conns);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->wmu);
	pthread_mutex_destroy(&p->smu);
	pthread_cond_destroy(&p->scv);
	free(p);
}

/* A borrowed connection that is usable, reconnecting a lost one. */
static int conn_ready(struct store *c)
{
	if (!c->ops->conn_check)
		return 0;
	int r = c->ops->conn_check(c->h);
	if (r == 1) {
		drop_stmts(c); /* the server forgot them with the old session */
		r = 0;
	}
	if (r < 0)
		note_error(c, NULL);
	return r;
}

static void conn_release(struct store_pool *p, struct store *c)
{
	pthread_mutex_lock(&p->mu);
	c->busy = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Lend a free connection: the first (lowest index) or, for the writer,
 * the last one free. */
static struct store *borrow(struct store_pool *p, bool last)
{
	assert(p);
	struct store *c = NULL;
	pthread_mutex_lock(&p->mu);
	while (!c) {
		for (int k = 0; k < p->n && !c; k++) {
			int i = last ? p->n - 1 - k : k;
			if (!p->conns[i].busy)
				c = &p->conns[i];
		}
		if (!c)
			pthread_cond_wait(&p->cv, &p->mu);
	}
	c->busy = true;
	pthread_mutex_unlock(&p->mu);
	c->err[0] = 0;
	/* Unreachable server: lend it anyway, "down", so that callers take
	 * their usual error path (a NULL statement, a failed BEGIN) instead
	 * of each having to check for a missing connection. */
	c->down = conn_ready(c) < 0;
	return c;
}

struct store *store_get(struct store_pool *p)
{
	return borrow(p, false);
}

struct store *store_get_writer(struct store_pool *p)
{
	return borrow(p, true);
}

static void writer_release(struct store *c)
{
	if (c->writer) {
		c->writer = false;
		pthread_mutex_unlock(&c->pool->wmu);
	}
}

void store_put(struct store_pool *p, struct store *c)
{
	if (!c)
		return;
	/* A statement left mid-iteration would pin an old read snapshot. */
	for (size_t i = 0; i < STMT_SLOTS; i++)
		if (c->slots[i].h && c->ops->busy(c->slots[i].h))
			c->ops->reset(c->slots[i].h);
	/* A transaction left open would hold every other writer. */
	if (c->writer || c->ops->in_transaction(c->h))
		store_rollback(c);
	conn_release(p, c);
}

struct store_stmt *store_stmt(struct store *c, const char *sql)
{
	assert(c && sql);
	if (c->down)
		return NULL;
	size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < STMT_SLOTS; i++) {
		struct store_stmt *s = &c->slots[(h + i) & (STMT_SLOTS - 1)];
		if (s->sql == sql) {
			c->ops->reset(s->h);
			c->ops->clear_bindings(s->h);
			return s;
		}
		if (s->sql)
			continue;
		if (c->ops->prepare(c->h, sql, &s->h) < 0) {
			s->h = NULL;
			note_error(c, sql);
			return NULL;
		}
		s->sql = sql;
		s->conn = c;
		return s;
	}
	snprintf(c->err, sizeof(c->err), "statement cache full (%d statements)", STMT_SLOTS);
	return NULL;
}

/* Bind results: a failure is remembered as the connection's error. */
static int bound(struct store_stmt *st, int r)
{
	if (r < 0)
		snprintf(st->conn->err, sizeof(st->conn->err), "bind: %s", strerror(-r));
	return r;
}

int store_bind_text(struct store_stmt *st, int i, const char *text)
{
	return bound(st, st->conn->ops->bind_text(st->h, i, text, -1, false));
}

static int bind_text_n(struct store_stmt *st, int i, const char *text, size_t n, bool copy)
{
	if (n > INT32_MAX)
		return bound(st, -EFBIG);
	return bound(st, st->conn->ops->bind_text(st->h, i, text, (int)n, copy));
}

int store_bind_text_n(struct store_stmt *st, int i, const char *text, size_t n)
{
	return bind_text_n(st, i, text, n, false);
}

int store_bind_text_n_copy(struct store_stmt *st, int i, const char *text, size_t n)
{
	return bind_text_n(st, i, text, n, true);
}

int store_bind_text_copy(struct store_stmt *st, int i, const char *text)
{
	return bound(st, st->conn->ops->bind_text(st->h, i, text, -1, true));
}

int store_bind_int64(struct store_stmt *st, int i, int64_t v)
{
	return bound(st, st->conn->ops->bind_int64(st->h, i, v));
}

int store_bind_blob(struct store_stmt *st, int i, const void *p, size_t n)
{
	return bound(st, st->conn->ops->bind_blob(st->h, i, p, n, false));
}

int store_bind_null(struct store_stmt *st, int i)
{
	return bound(st, st->conn->ops->bind_null(st->h, i));
}

int store_param_count(struct store_stmt *st)
{
	return st->conn->ops->param_count(st->h);
}

int store_step(struct store_stmt *st)
{
	assert(st);
	int r = st->conn->ops->step(st->h);
	if (r < 0)
		note_error(st->conn, NULL);
	return r;
}

/* Every write of this process: autocommit statements and BEGIN..COMMIT. */
static struct prom_hist write_latency;

struct prom_hist *store_write_latency(void)
{
	return &write_latency;
}

int store_step_done(struct store_stmt *st)
{
	const struct store_backend_ops *ops = st->conn->ops;
	bool timed = !ops->in_transaction(st->conn->h) && !(ops->readonly && ops->readonly(st->h));
	uint64_t t0 = timed ? monotime_us() : 0;
	int r = store_step(st);
	if (timed)
		prom_hist_observe(&write_latency, monotime_us() - t0);
	if (r == STORE_ROW)
		r = -EIO; /* a row where none was expected: as db_step_done */
	st->conn->ops->reset(st->h);
	return r;
}

int store_step_try(struct store_stmt *st)
{
	struct store *c = st->conn;
	if (!c->ops->error_aborts_transaction || !c->ops->in_transaction(c->h))
		return store_step_done(st);
	int r = store_exec(c, "SAVEPOINT store_try");
	if (r < 0)
		return r;
	r = store_step_done(st);
	/* On failure the error of the statement is the answer; a failing
	 * ROLLBACK TO leaves the transaction aborted and COMMIT reports it. */
	if (r < 0)
		(void)c->ops->exec(c->h, "ROLLBACK TO SAVEPOINT store_try");
	int rr = c->ops->exec(c->h, "RELEASE SAVEPOINT store_try");
	return r < 0 ? r : rr;
}

void store_reset(struct store_stmt *st)
{
	st->conn->ops->reset(st->h);
}

int store_col_count(struct store_stmt *st)
{
	return st->conn->ops->col_count(st->h);
}

enum store_type store_col_type(struct store_stmt *st, int i)
{
	return st->conn->ops->col_type(st->h, i);
}

bool store_col_is_null(struct store_stmt *st, int i)
{
	return store_col_type(st, i) == STORE_NULL;
}

int64_t store_col_int64(struct store_stmt *st, int i)
{
	return st->conn->ops->col_int64(st->h, i);
}

int store_col_int(struct store_stmt *st, int i)
{
	return (int)store_col_int64(st, i);
}

const char *store_col_text(struct store_stmt *st, int i)
{
	return st->conn->ops->col_text(st->h, i);
}

const char *store_col_str(struct store_stmt *st, int i)
{
	const char *t = store_col_text(st, i);
	return t ? t : "";
}

const void *store_col_blob(struct store_stmt *st, int i, size_t *bytes)
{
	size_t scratch;
	return st->conn->ops->col_blob(st->h, i, bytes ? bytes : &scratch);
}

size_t store_col_bytes(struct store_stmt *st, int i)
{
	size_t n = 0;
	(void)store_col_blob(st, i, &n); /* only the count is wanted */
	return n;
}

int64_t store_changes(struct store *c)
{
	return c->ops->changes(c->h);
}

int store_step_one(struct store_stmt *st)
{
	int r = store_step_done(st);
	return r < 0 ? r : store_changes(st->conn) == 1 ? 0 : -EAGAIN;
}

int64_t store_last_insert_id(struct store *c)
{
	return c->ops->last_insert_id(c->h);
}

int store_exec(struct store *c, const char *sql)
{
	if (c->down)
		return -ECONNRESET;
	int r = c->ops->exec(c->h, sql);
	if (r < 0)
		note_error(c, NULL);
	return r;
}

int store_lock(struct store *c, int64_t key)
{
	if (c->down)
		return -ECONNRESET;
	int r = c->ops->lock ? c->ops->lock(c->h, key) : 0;
	if (r < 0)
		note_error(c, NULL);
	return r;
}

bool store_in_transaction(struct store *c)
{
	return c->writer || c->ops->in_transaction(c->h);
}

int store_begin(struct store *c)
{
	bool took = c->ops->single_writer && !c->writer;
	c->begin_us = monotime_us();
	if (took) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += WRITER_WAIT_S;
		if (pthread_mutex_timedlock(&c->pool->wmu, &until) != 0)
			return -EBUSY;
		c->writer = true;
	}
	int r = store_exec(c, c->ops->begin_sql);
	if (r < 0 && took)
		writer_release(c);
	return r;
}

int store_commit(struct store *c)
{
	int r = store_exec(c, "COMMIT");
	if (r == 0) {
		prom_hist_observe(&write_latency, monotime_us() - c->begin_us);
		pthread_mutex_lock(&c->pool->smu);
		c->commit_no = ++c->pool->committed;
		pthread_mutex_unlock(&c->pool->smu);
	}
	/* A failed COMMIT may leave the transaction open: the caller rolls back. */
	if (!c->ops->in_transaction(c->h))
		writer_release(c);
	return r;
}

int store_finish(struct store *c, int r)
{
	if (r >= 0 && store_commit(c) < 0)
		r = -EIO;
	if (r < 0)
		store_rollback(c);
	return r;
}

void store_rollback(struct store *c)
{
	/* Nothing to undo when it fails: the engine ended the transaction. */
	(void)c->ops->exec(c->h, "ROLLBACK");
	if (!c->ops->in_transaction(c->h))
		writer_release(c);
}

int store_sync(struct store *c)
{
	struct store_pool *p = c->pool;
	int r = 0;
	if (!c->ops->sync)
		return 0;
	pthread_mutex_lock(&p->smu);
	while (r == 0 && p->synced < c->commit_no) {
		if (p->syncing) {
			pthread_cond_wait(&p->scv, &p->smu);
			continue;
		}
		/* Lead one sync for every commit made so far; later commits
		 * wait for the next round. */
		uint64_t upto = p->committed;
		p->syncing = true;
		pthread_mutex_unlock(&p->smu);
		r = c->ops->sync(c->h);
		pthread_mutex_lock(&p->smu);
		p->syncing = false;
		if (r == 0 && upto > p->synced)
			p->synced = upto;
		pthread_cond_broadcast(&p->scv);
	}
	pthread_mutex_unlock(&p->smu);
	return r;
}

/* One migration step under the lock: 1 when the schema is current. */
static int migrate_step(struct store *c, const char *const *steps, int n, char *err, size_t errlen)
{
	int v = 0;
	int r = store_begin(c);
	if (r == 0 && c->ops->migrate_lock)
		r = c->ops->migrate_lock(c->h);
	if (r == 0)
		r = c->ops->version_get(c->h, &v);
	if (r < 0) {
		snprintf(err, errlen, "reading the schema version: %s", c->ops->errmsg(c->h));
		store_rollback(c);
		return r;
	}
	if (v > n) {
		/* Written by a newer controller: its tables mean things we do not know. */
		snprintf(err, errlen,
			 "database schema version %d is newer than this controller's (%d):"
			 " refusing to run (upgrade eve-controller, or restore a backup taken before)",
			 v, n);
		store_rollback(c);
		return -EPROTO;
	}
	if (v == n) {
		store_rollback(c); /* nothing was written */
		return 1;
	}
	r = store_exec(c, steps[v]);
	if (r == 0)
		r = c->ops->version_set(c->h, v + 1);
	if (r == 0)
		r = store_commit(c);
	if (r < 0) {
		snprintf(err, errlen, "migration %d failed: %s", v + 1, c->ops->errmsg(c->h));
		store_rollback(c);
	}
	return r;
}

int store_migrate(struct store *c, const char *const *steps, int n, char *err, size_t errlen)
{
	char scratch[1];
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = 0;
	int r;
	while ((r = migrate_step(c, steps, n, err, errlen)) == 0)
		;
	return r < 0 ? r : 0;
}

bool store_clustered(const struct store_pool *p)
{
	return p->ops->notify != NULL;
}

int store_notify(struct store *c, const char *channel, const char *payload)
{
	assert(c && channel && payload);
	if (strlen(payload) > STORE_NOTIFY_MAX)
		return -EINVAL;
	if (c->down)
		return -ECONNRESET;
	return c->ops->notify ? c->ops->notify(c->h, channel, payload) : 0;
}

int store_try_lock(struct store *c, int64_t key, bool *held)
{
	assert(c && held);
	*held = true;
	if (c->down)
		return -ECONNRESET;
	return c->ops->try_lock ? c->ops->try_lock(c->h, key, held) : 0;
}

int store_each_text(struct store *c, const char *sql, const char *arg, int (*fn)(void *ctx, const char *v),
		    void *ctx)
{
	struct store_stmt *st = store_stmt(c, sql);
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, arg);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0));
	store_reset(st);
	return r;
}

int64_t store_int64(struct store *c, const char *sql, const char *arg)
{
	struct store_stmt *st = store_stmt(c, sql);
	int64_t n = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, arg);
	int rc = store_step(st);
	if (rc == STORE_ROW)
		n = store_col_int64(st, 0);
	else if (rc != STORE_DONE)
		n = -EIO;
	store_reset(st);
	return n;
}

/* store_text and store_text_dup: the first column of the first row, to
 * out (n bytes) or, with n == 0, to a malloc'd copy in *(char **)out. */
static int first_text(struct store *c, const char *sql, const char *arg, void *out, size_t n)
{
	struct store_stmt *st = store_stmt(c, sql);
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, arg);
	int rc = store_step(st);
	if (rc == STORE_ROW && n) {
		snprintf(out, n, "%s", store_col_str(st, 0));
		r = 0;
	} else if (rc == STORE_ROW) {
		r = (*(char **)out = strdup(store_col_str(st, 0))) ? 0 : -ENOMEM;
	} else if (rc != STORE_DONE) {
		r = -EIO;
	}
	store_reset(st);
	return r;
}

int store_text(struct store *c, const char *sql, const char *arg, char *out, size_t n)
{
	assert(n > 0);
	return first_text(c, sql, arg, out, n);
}

int store_text_dup(struct store *c, const char *sql, const char *arg, char **out)
{
	*out = NULL;
	return first_text(c, sql, arg, out, 0);
}
