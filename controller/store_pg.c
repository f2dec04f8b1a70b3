// SPDX-License-Identifier: Apache-2.0
/* PostgreSQL back end of the store over libpq. A statement is prepared once
 * per session under a name of its own; a step runs it (PQexecPrepared,
 * the whole result in one PGresult) and then walks its rows, so another
 * statement may run on the same connection between two steps, as with
 * SQLite. Parameters go in text format (numbers as decimal text, which the
 * server converts to the column's type), blobs in binary format so their
 * bytes arrive exactly; results come as text, bytea in hex (set for every
 * session) and decoded here. */
#include "store_pg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Type OIDs (pg_type.dat: stable across releases). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

/* Largest blob or text parameter (PostgreSQL's own limit is 1 GiB). */
#define PG_PARAM_MAX (256u * 1024 * 1024)

struct pg_conn {
	PGconn *h;
	unsigned next_name; /* prepared statements are named s1, s2, ... per session */
	int64_t changes;
	char err[256];
};

struct pg_stmt {
	struct pg_conn *c;
	char name[16];
	int nparams;
	const char **vals; /* NULL: SQL NULL (an unbound parameter is NULL, as in SQLite) */
	int *lens;
	int *fmts;
	char **owned;        /* copies this statement frees (text with a length, _copy binds) */
	char (*num)[24];     /* decimal text of integer parameters */
	PGresult *res;       /* of the last run, until reset */
	int row, nrows;      /* current row; rows of res */
	bool ran;            /* stepped since the last reset */
	unsigned char **dec; /* decoded bytea of the current row, by column */
	int ndec;
};

/* ---- placeholders ---- */

static bool ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || (unsigned char)ch >= 0x80;
}

struct emit {
	char *out;
	size_t len, o;
};

static int put(struct emit *e, const char *s, size_t n)
{
	if (n >= e->len - e->o)
		return -EFBIG;
	memcpy(e->out + e->o, s, n);
	e->o += n;
	e->out[e->o] = 0;
	return 0;
}

/* Length of the quoted run at p ('...' with '' inside, backslash escapes
 * when esc; "..." likewise), or -EINVAL when it does not end. */
static long quoted_len(const char *p, char q, bool esc)
{
	const char *s = p + 1;
	for (;;) {
		if (!*s)
			return -EINVAL;
		if (esc && *s == '\\' && s[1]) {
			s += 2;
			continue;
		}
		if (*s == q) {
			if (s[1] == q) {
				s += 2;
				continue;
			}
			return s + 1 - p;
		}
		s++;
	}
}

/* Length of the block comment at p (they nest in PostgreSQL). */
static long comment_len(const char *p)
{
	const char *s = p + 2;
	int depth = 1;
	while (*s) {
		if (s[0] == '/' && s[1] == '*') {
			depth++;
			s += 2;
		} else if (s[0] == '*' && s[1] == '/') {
			s += 2;
			if (--depth == 0)
				return s - p;
		} else {
			s++;
		}
	}
	return -EINVAL;
}

/* Length of the dollar-quoted run at p ($tag$...$tag$), or -EINVAL when p
 * is a $n/$name parameter or the run does not end. */
static long dollar_len(const char *p)
{
	const char *q = p + 1;
	if (isdigit((unsigned char)*q))
		return -EINVAL;
	while (ident_char(*q))
		q++;
	if (*q != '$')
		return -EINVAL;
	size_t tag = (size_t)(q + 1 - p);
	for (const char *s = q + 1; *s; s++)
		if (*s == '$' && !strncmp(s, p, tag))
			return s + tag - p;
	return -EINVAL;
}

/* The ?NNN or ? at p: its number in *v (next after *max for a bare ?) and
 * its length. */
static long param_at(const char *p, int *max, int *v)
{
	const char *s = p + 1;
	long n = 0;
	if (!isdigit((unsigned char)*s)) {
		if (*max >= STORE_PG_PARAMS_MAX)
			return -EFBIG;
		*v = ++*max;
		return 1;
	}
	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (*s++ - '0');
		if (n > STORE_PG_PARAMS_MAX)
			return -EFBIG;
	}
	if (n < 1)
		return -EINVAL;
	*v = (int)n;
	if (*v > *max)
		*max = *v;
	return s - p;
}

/* How many bytes at p are copied unchanged (a quote, comment or plain
 * character), or -errno. */
static long verbatim_len(const char *sql, const char *p)
{
	bool after_ident = p > sql && ident_char(p[-1]);
	switch (*p) {
	case '\'': {
		/* E'...' takes backslash escapes; the E must start a word. */
		bool esc =
		    after_ident && (p[-1] == 'E' || p[-1] == 'e') && (p - 1 == sql || !ident_char(p[-2]));
		return quoted_len(p, '\'', esc);
	}
	case '"':
		return quoted_len(p, '"', false);
	case '-':
		return p[1] == '-' ? (long)strcspn(p, "\n") : 1;
	case '/':
		return p[1] == '*' ? comment_len(p) : 1;
	case '$':
		/* $ inside an identifier (a$b) is a plain character. */
		return after_ident ? 1 : dollar_len(p);
	default:
		return 1;
	}
}

int store_pg_placeholders(const char *sql, char *out, size_t outlen, int *nparams)
{
	if (!outlen || strnlen(sql, STORE_PG_SQL_MAX + 1) > STORE_PG_SQL_MAX)
		return -EFBIG;
	struct emit e = {out, outlen, 0};
	int max = 0;
	out[0] = 0;
	for (const char *p = sql; *p;) {
		long n;
		int r;
		if (*p == '?') {
			int v = 0;
			char num[16];
			n = param_at(p, &max, &v);
			if (n < 0)
				return (int)n;
			r = put(&e, num, (size_t)snprintf(num, sizeof(num), "$%d", v));
		} else {
			n = verbatim_len(sql, p);
			if (n < 0)
				return (int)n;
			r = put(&e, p, (size_t)n);
		}
		if (r < 0)
			return r;
		p += n;
	}
	*nparams = max;
	return 0;
}

/* SQLite's JSON paths ($.a.b) are also PostgreSQL jsonpaths. */
const char store_pg_compat_sql[] = STORE_PG_COMPAT_SQL;

/* ---- errors ---- */

static void set_err(struct pg_conn *c, const char *msg)
{
	snprintf(c->err, sizeof(c->err), "%s", msg && *msg ? msg : "PostgreSQL error");
	size_t n = strlen(c->err);
	while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
		c->err[--n] = 0;
}

/* The errno for a failed result (res may be NULL: libpq could not send). */
static int pg_errno(struct pg_conn *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	set_err(c, res ? PQresultErrorMessage(res) : PQerrorMessage(c->h));
	if (PQstatus(c->h) == CONNECTION_BAD)
		return -ECONNRESET;
	if (!state)
		return res && PQresultStatus(res) == PGRES_FATAL_ERROR ? -EIO : -ECONNRESET;
	if (!strncmp(state, "23", 2)) /* integrity constraint violation */
		return -EEXIST;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3)) /* connection; server shutting down */
		return -ECONNRESET;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
		return -EBUSY; /* serialization failure, deadlock, lock not available */
	if (!strcmp(state, "57014"))
		return -ETIMEDOUT; /* statement_timeout */
	if (!strcmp(state, "53100"))
		return -ENOSPC;
	if (!strcmp(state, "53200"))
		return -ENOMEM;
	if (!strncmp(state, "54", 2)) /* program limit exceeded */
		return -EFBIG;
	return -EIO;
}

/* 0 when res is a success, else -errno; clears res either way. */
static int pg_done(struct pg_conn *c, PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int r = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : pg_errno(c, res);
	PQclear(res);
	return r;
}

/* ---- connections ---- */

static void quiet(void *arg, const char *msg)
{
	(void)arg; /* library code never logs: notices are dropped */
	(void)msg;
}

/* What every session needs, again after a reconnect. */
static int session_setup(struct pg_conn *c)
{
	PQsetNoticeProcessor(c->h, quiet, NULL);
	c->next_name = 0;
	return pg_done(c, PQexec(c->h, "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'"));
}

static void pg_conn_close(void *conn)
{
	struct pg_conn *c = conn;
	if (!c)
		return;
	PQfinish(c->h);
	free(c);
}

static int pg_conn_open(const char *target, void **out, char *err, size_t errlen)
{
	/* Bounded waits unless the URL says otherwise (it comes last and
	 * overrides): connecting, a server that stops answering, a statement
	 * (a lock another replica holds), a transaction left idle. */
	const char *keys[] = {"connect_timeout", "keepalives_idle", "tcp_user_timeout",
			      "options",         "dbname",          NULL};
	const char *vals[] = {"10", "30", "30000", STORE_PG_OPTIONS, target, NULL};
	struct pg_conn *c = calloc(1, sizeof(*c));
	int r = -ENOMEM;
	if (!c)
		goto out;
	c->h = PQconnectdbParams(keys, vals, 1);
	r = -ENOMEM;
	if (!c->h)
		goto out;
	if (PQstatus(c->h) == CONNECTION_OK) {
		r = session_setup(c);
	} else {
		set_err(c, PQerrorMessage(c->h));
		r = -ECONNREFUSED;
	}
	if (r < 0)
		snprintf(err, errlen, "%s", c->err);
out:
	if (r < 0) {
		pg_conn_close(c);
		return r;
	}
	*out = c;
	return 0;
}

/* Whether the server sent something to a session that sat idle in the
 * pool: it does so when it ends the session (a restart: "terminating
 * connection due to administrator command", then EOF), which libpq sees
 * only when it next reads, so CONNECTION_OK until then and the borrower's
 * first statement would fail. Such a session is reset before use. */
static bool idle_readable(PGconn *h)
{
	struct pollfd p = {.fd = PQsocket(h), .events = POLLIN};
	return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

static int pg_conn_check(void *conn)
{
	struct pg_conn *c = conn;
	if (PQstatus(c->h) == CONNECTION_OK && !idle_readable(c->h))
		return 0;
	PQreset(c->h);
	if (PQstatus(c->h) != CONNECTION_OK) {
		set_err(c, PQerrorMessage(c->h));
		return -ECONNRESET;
	}
	int r = session_setup(c);
	return r < 0 ? r : 1;
}

static int pg_exec(void *conn, const char *sql)
{
	struct pg_conn *c = conn;
	return pg_done(c, PQexec(c->h, sql));
}

static bool pg_in_transaction(void *conn)
{
	PGTransactionStatusType t = PQtransactionStatus(((struct pg_conn *)conn)->h);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int64_t pg_changes(void *conn)
{
	return ((struct pg_conn *)conn)->changes;
}

static int64_t parse_int64(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "t"))
		return 1; /* boolean */
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	return (int64_t)v; /* clamped on overflow, as SQLite */
}

/* lastval(): the value nextval() last gave this session. It fails when no
 * sequence was used yet, which would abort an open transaction: a
 * savepoint keeps the transaction alive then. */
static int64_t pg_last_insert_id(void *conn)
{
	struct pg_conn *c = conn;
	bool txn = pg_in_transaction(c);
	if (txn && pg_exec(c, "SAVEPOINT store_lastval") < 0)
		return 0;
	PGresult *res = PQexec(c->h, "SELECT lastval()");
	int64_t id = 0;
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
		id = parse_int64(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (txn)
		/* Either way the savepoint goes; a failure here surfaces at COMMIT. */
		(void)pg_exec(c, ok ? "RELEASE store_lastval"
				    : "ROLLBACK TO store_lastval; RELEASE store_lastval");
	return id;
}

static const char *pg_errmsg(void *conn)
{
	return ((struct pg_conn *)conn)->err;
}

/* The advisory lock key of migrations: any constant the controller uses
 * for nothing else ("eve-mig" in ASCII; PostgreSQL 15 has no hex literals). */
#define MIGRATE_LOCK_KEY "28559149573695847"

/* A migration may rewrite a large table: no statement timeout for it. */
static int pg_migrate_lock(void *conn)
{
	return pg_exec(conn, "SET LOCAL statement_timeout = 0;"
			     " SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")");
}

static int pg_lock(void *conn, int64_t key)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%" PRId64 ")", key);
	return pg_exec(conn, sql);
}

static int pg_version_get(void *conn, int *version)
{
	struct pg_conn *c = conn;
	/* Under the migration lock: replicas cannot race to create it. */
	int r = pg_exec(c, "CREATE TABLE IF NOT EXISTS store_schema_version(version BIGINT NOT NULL);"
			   "INSERT INTO store_schema_version SELECT 0 WHERE NOT EXISTS"
			   " (SELECT 1 FROM store_schema_version)");
	if (r < 0)
		return r;
	PGresult *res = PQexec(c->h, "SELECT version FROM store_schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_done(c, res);
	r = PQntuples(res) == 1 ? 0 : -EIO;
	if (r == 0)
		*version = (int)parse_int64(PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

static int pg_version_set(void *conn, int version)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "UPDATE store_schema_version SET version = %d", version);
	return pg_exec(conn, sql);
}

/* ---- statements ---- */

static void free_decoded(struct pg_stmt *s)
{
	for (int i = 0; i < s->ndec; i++) {
		free(s->dec[i]);
		s->dec[i] = NULL;
	}
}

static void pg_reset(void *stmt)
{
	struct pg_stmt *s = stmt;
	free_decoded(s);
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	s->ran = false;
}

static void pg_clear_bindings(void *stmt)
{
	struct pg_stmt *s = stmt;
	for (int i = 0; i < s->nparams; i++) {
		free(s->owned[i]);
		s->owned[i] = NULL;
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
	}
}

static void pg_finalize(void *stmt)
{
	struct pg_stmt *s = stmt;
	if (!s)
		return;
	pg_reset(s);
	for (int i = 0; s->owned && i < s->nparams; i++)
		free(s->owned[i]);
	/* The server's copy lives until the session ends (it is named, and
	 * this happens only at close or after a reconnect). */
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->owned);
	free(s->num);
	free(s->dec);
	free(s);
}

static int stmt_alloc(struct pg_stmt *s, int n)
{
	size_t k = n > 0 ? (size_t)n : 1;
	s->nparams = n;
	s->vals = calloc(k, sizeof(*s->vals));
	s->lens = calloc(k, sizeof(*s->lens));
	s->fmts = calloc(k, sizeof(*s->fmts));
	s->owned = calloc(k, sizeof(*s->owned));
	s->num = calloc(k, sizeof(*s->num));
	return s->vals && s->lens && s->fmts && s->owned && s->num ? 0 : -ENOMEM;
}

/* Whether the rewritten text has $k (a match inside a literal only leaves
 * the type to the server, as for a referenced one). */
static bool refers(const char *text, int k)
{
	char tok[16];
	int len = snprintf(tok, sizeof(tok), "$%d", k);
	for (const char *p = text; (p = strstr(p, tok)) != NULL; p += len)
		if (!isdigit((unsigned char)p[len]))
			return true;
	return false;
}

/* SQLite's numbered parameters may leave numbers out (`?9` alone): the
 * server cannot infer a type for those, so they are declared text. */
static int prepare_text(struct pg_conn *c, const char *name, const char *text, int n)
{
	Oid *types = n > 0 ? calloc((size_t)n, sizeof(*types)) : NULL;
	if (n > 0 && !types)
		return -ENOMEM;
	for (int k = 1; k <= n; k++)
		types[k - 1] = refers(text, k) ? 0 : 25 /* TEXTOID */;
	int r = pg_done(c, PQprepare(c->h, name, text, n, types));
	free(types);
	return r;
}

static int pg_prepare(void *conn, const char *sql, void **stmt)
{
	struct pg_conn *c = conn;
	char *text = malloc(STORE_PG_SQL_MAX + 1);
	struct pg_stmt *s = calloc(1, sizeof(*s));
	int n = 0, r = -ENOMEM;
	if (!text || !s)
		goto out;
	s->c = c;
	r = store_pg_placeholders(sql, text, STORE_PG_SQL_MAX + 1, &n);
	if (r < 0) {
		set_err(c, "SQL text: unterminated quote or comment, $ parameter, or too long");
		goto out;
	}
	r = stmt_alloc(s, n);
	if (r < 0)
		goto out;
	snprintf(s->name, sizeof(s->name), "s%u", ++c->next_name);
	r = prepare_text(c, s->name, text, n);
out:
	free(text);
	if (r < 0) {
		pg_finalize(s);
		return r;
	}
	*stmt = s;
	return 0;
}

static int pg_param_count(void *stmt)
{
	return ((struct pg_stmt *)stmt)->nparams;
}

/* Slot of parameter i (1-based), its old copy freed; NULL when out of range. */
static struct pg_stmt *param(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	if (i < 1 || i > s->nparams)
		return NULL;
	free(s->owned[i - 1]);
	s->owned[i - 1] = NULL;
	s->vals[i - 1] = NULL;
	s->lens[i - 1] = 0;
	s->fmts[i - 1] = 0;
	return s;
}

static int pg_bind_text(void *stmt, int i, const char *text, int n, bool copy)
{
	struct pg_stmt *s = param(stmt, i);
	if (!s)
		return -ERANGE;
	if (!text)
		return 0; /* NULL, as SQLite binds a NULL pointer */
	size_t len = n < 0 ? strnlen(text, PG_PARAM_MAX + 1) : (size_t)n;
	if (len > PG_PARAM_MAX)
		return -EFBIG;
	if (memchr(text, 0, len))
		return -EINVAL; /* PostgreSQL text cannot hold NUL */
	/* Text parameters are NUL-terminated: a length-limited one is copied. */
	if (copy || n >= 0) {
		char *t = malloc(len + 1);
		if (!t)
			return -ENOMEM;
		memcpy(t, text, len);
		t[len] = 0;
		s->owned[i - 1] = t;
		text = t;
	}
	s->vals[i - 1] = text;
	return 0;
}

static int pg_bind_int64(void *stmt, int i, int64_t v)
{
	struct pg_stmt *s = param(stmt, i);
	if (!s)
		return -ERANGE;
	snprintf(s->num[i - 1], sizeof(s->num[i - 1]), "%" PRId64, v);
	s->vals[i - 1] = s->num[i - 1];
	return 0;
}

static int pg_bind_blob(void *stmt, int i, const void *p, size_t n, bool copy)
{
	struct pg_stmt *s = param(stmt, i);
	if (!s)
		return -ERANGE;
	if (!p)
		return 0; /* NULL, as SQLite binds a NULL pointer */
	if (n > PG_PARAM_MAX)
		return -EFBIG;
	if (copy && n) {
		char *b = malloc(n);
		if (!b)
			return -ENOMEM;
		memcpy(b, p, n);
		s->owned[i - 1] = b;
		p = b;
	}
	s->vals[i - 1] = n ? p : ""; /* empty, not NULL */
	s->lens[i - 1] = (int)n;
	s->fmts[i - 1] = 1; /* binary: bytea's bytes as they are */
	return 0;
}

static int pg_bind_null(void *stmt, int i)
{
	struct pg_stmt *s = param(stmt, i);
	if (!s)
		return -ERANGE;
	s->vals[i - 1] = NULL;
	return 0;
}

/* The command changed rows: remember how many (SELECT leaves it alone, as
 * sqlite3_changes). */
static void note_changes(struct pg_conn *c, PGresult *res)
{
	const char *tag = PQcmdStatus(res);
	if (!strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6) ||
	    !strncmp(tag, "MERGE", 5))
		c->changes = parse_int64(PQcmdTuples(res));
}

static int run(struct pg_stmt *s)
{
	struct pg_conn *c = s->c;
	PGresult *res = PQexecPrepared(c->h, s->name, s->nparams, s->vals, s->lens, s->fmts, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		return pg_done(c, res);
	note_changes(c, res);
	int cols = PQnfields(res);
	if (cols > s->ndec) {
		unsigned char **d = realloc(s->dec, (size_t)cols * sizeof(*d));
		if (!d) {
			PQclear(res);
			return -ENOMEM;
		}
		memset(d + s->ndec, 0, (size_t)(cols - s->ndec) * sizeof(*d));
		s->dec = d;
		s->ndec = cols;
	}
	s->res = res;
	s->nrows = PQntuples(res);
	s->row = 0;
	return 0;
}

static int pg_step(void *stmt)
{
	struct pg_stmt *s = stmt;
	if (s->ran && s->row >= s->nrows)
		pg_reset(s); /* a step after DONE runs it again, as SQLite's does */
	if (!s->ran) {
		s->ran = true;
		int r = run(s);
		if (r < 0)
			return r;
	} else if (s->row < s->nrows) {
		free_decoded(s);
		s->row++;
	}
	return s->row < s->nrows ? STORE_ROW : STORE_DONE;
}

static bool pg_busy(void *stmt)
{
	return ((struct pg_stmt *)stmt)->ran;
}

/* True when column i of the current row exists and is not NULL. */
static bool has_value(const struct pg_stmt *s, int i)
{
	return s->res && s->row < s->nrows && i >= 0 && i < PQnfields(s->res) &&
	       !PQgetisnull(s->res, s->row, i);
}

static int pg_col_count(void *stmt)
{
	struct pg_stmt *s = stmt;
	return s->res && s->row < s->nrows ? PQnfields(s->res) : 0;
}

static enum store_type pg_col_type(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	if (!has_value(s, i))
		return STORE_NULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return STORE_INTEGER;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return STORE_FLOAT;
	case OID_BYTEA:
		return STORE_BLOB;
	default:
		return STORE_TEXT;
	}
}

static int64_t pg_col_int64(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	return has_value(s, i) ? parse_int64(PQgetvalue(s->res, s->row, i)) : 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Column i (a bytea) decoded from "\x..." into s->dec[i] (NUL-terminated,
 * so it reads as text too); NULL when it is not valid hex. */
static const unsigned char *decoded(struct pg_stmt *s, int i, size_t *bytes)
{
	const char *v = PQgetvalue(s->res, s->row, i);
	size_t len = (size_t)PQgetlength(s->res, s->row, i);
	if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2)
		return NULL;
	if (!s->dec[i]) {
		unsigned char *d = malloc((len - 2) / 2 + 1);
		if (!d)
			return NULL;
		for (size_t k = 2, o = 0; k < len; k += 2, o++) {
			int hi = hexval(v[k]), lo = hexval(v[k + 1]);
			if (hi < 0 || lo < 0) {
				free(d);
				return NULL;
			}
			d[o] = (unsigned char)(hi << 4 | lo);
		}
		d[(len - 2) / 2] = 0;
		s->dec[i] = d;
	}
	*bytes = (len - 2) / 2;
	return s->dec[i];
}

static const void *pg_col_blob(void *stmt, int i, size_t *bytes)
{
	struct pg_stmt *s = stmt;
	*bytes = 0;
	if (!has_value(s, i))
		return NULL;
	const void *p;
	if (PQftype(s->res, i) == OID_BYTEA) {
		p = decoded(s, i, bytes);
	} else {
		/* Other types as their text, as SQLite gives text as a blob. */
		p = PQgetvalue(s->res, s->row, i);
		*bytes = (size_t)PQgetlength(s->res, s->row, i);
	}
	if (!*bytes)
		p = NULL;
	return p;
}

static const char *pg_col_text(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	if (!has_value(s, i))
		return NULL;
	if (PQftype(s->res, i) == OID_BYTEA) {
		size_t n = 0;
		const unsigned char *d = decoded(s, i, &n);
		return d ? (const char *)d : "";
	}
	return PQgetvalue(s->res, s->row, i);
}

/* ---- several controller processes ---- */

static int pg_notify(void *conn, const char *channel, const char *payload)
{
	struct pg_conn *c = conn;
	const char *vals[2] = {channel, payload};
	return pg_done(c, PQexecParams(c->h, "SELECT pg_notify($1, $2)", 2, NULL, vals, NULL, NULL, 0));
}

static int pg_listen(void *conn, const char *channel)
{
	struct pg_conn *c = conn;
	char *id = PQescapeIdentifier(c->h, channel, strlen(channel));
	char sql[128];
	int r = -EINVAL;
	if (id && snprintf(sql, sizeof(sql), "LISTEN %s", id) < (int)sizeof(sql))
		r = pg_done(c, PQexec(c->h, sql));
	PQfreemem(id);
	return r;
}

static int take_notify(struct pg_conn *c, char *channel, size_t chlen, char *payload, size_t plen)
{
	PGnotify *n = PQnotifies(c->h);
	if (!n)
		return 0;
	snprintf(channel, chlen, "%s", n->relname);
	snprintf(payload, plen, "%s", n->extra);
	PQfreemem(n);
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int pg_wait_notify(void *conn, int timeout_ms, char *channel, size_t chlen, char *payload, size_t plen)
{
	struct pg_conn *c = conn;
	int64_t end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		if (PQstatus(c->h) != CONNECTION_OK)
			return -ECONNRESET;
		int r = take_notify(c, channel, chlen, payload, plen);
		if (r)
			return r;
		int64_t left = end - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pfd = {.fd = PQsocket(c->h), .events = POLLIN};
		if (pfd.fd < 0)
			return -ECONNRESET;
		r = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r < 0 && errno != EINTR)
			return -errno;
		/* the server closing the session shows here as a read error */
		if (r > 0 && PQconsumeInput(c->h) == 0) {
			set_err(c, PQerrorMessage(c->h));
			return -ECONNRESET;
		}
	}
}

static int pg_try_lock(void *conn, int64_t key, bool *held)
{
	struct pg_conn *c = conn;
	char k[24];
	snprintf(k, sizeof(k), "%lld", (long long)key);
	const char *vals[1] = {k};
	PGresult *res = PQexecParams(c->h, "SELECT pg_try_advisory_xact_lock(CAST($1 AS BIGINT))", 1, NULL,
				     vals, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		*held = !strcmp(PQgetvalue(res, 0, 0), "t");
	return pg_done(c, res);
}

const struct store_backend_ops store_pg_ops = {
    .dialect = "postgresql",
    .single_writer = false,
    .begin_sql = "BEGIN",
    .error_aborts_transaction = true,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .conn_check = pg_conn_check,
    .exec = pg_exec,
    .in_transaction = pg_in_transaction,
    .changes = pg_changes,
    .last_insert_id = pg_last_insert_id,
    .errmsg = pg_errmsg,
    .sync = NULL,
    .version_get = pg_version_get,
    .version_set = pg_version_set,
    .migrate_lock = pg_migrate_lock,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .param_count = pg_param_count,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .clear_bindings = pg_clear_bindings,
    .step = pg_step,
    .reset = pg_reset,
    .busy = pg_busy,
    .col_count = pg_col_count,
    .col_type = pg_col_type,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .notify = pg_notify,
    .listen = pg_listen,
    .wait_notify = pg_wait_notify,
    .try_lock = pg_try_lock,
    .lock = pg_lock,
};
