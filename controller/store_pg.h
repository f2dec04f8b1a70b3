// SPDX-License-Identifier: Apache-2.0
/* The store's PostgreSQL back end (store.h) over libpq: one session per
 * connection, each statement prepared once per session (PQprepare) and run
 * with PQexecPrepared (parameters in text format, blobs as binary bytea;
 * results in text format, bytea decoded), its rows read one per step.
 * Reached only through its ops table. */
#ifndef CTL_STORE_PG_H
#define CTL_STORE_PG_H

#include <stddef.h>

#include "store.h"

/* Longest SQL text the back end takes, and most parameters of one statement. */
#define STORE_PG_SQL_MAX (64 * 1024)
#define STORE_PG_PARAMS_MAX 1024

/* Session settings unless the URL has `options`: a statement may run 60 s
 * (then -ETIMEDOUT), a transaction may sit idle 60 s (then the server ends
 * the session: -ECONNRESET). Migrations run without the statement limit. */
#define STORE_PG_OPTIONS "-c statement_timeout=60000 -c idle_in_transaction_session_timeout=60000"

extern const struct store_backend_ops store_pg_ops;

/* SQL that creates, in the current schema, the SQLite functions the
 * controller's SQL calls and PostgreSQL lacks, with SQLite's meaning for
 * the uses it has (docs/store-dialect.md): instr(), json_extract() (a text
 * result: compare numbers through CAST(... AS BIGINT)) and json_each()
 * (its `value` column, text; with one argument also `key`, the index).
 * For store_exec(); idempotent. The PostgreSQL schema's first migration
 * runs it (schema.c). */
#define STORE_PG_COMPAT_SQL                                                                                  \
	"CREATE OR REPLACE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE"                \
	" AS 'SELECT strpos($1, $2)';"                                                                       \
	"CREATE OR REPLACE FUNCTION json_extract(j text, p text) RETURNS text LANGUAGE sql IMMUTABLE"        \
	" AS $f$ SELECT jsonb_path_query_first(j::jsonb, p::jsonpath) #>> '{}' $f$;"                         \
	"CREATE OR REPLACE FUNCTION json_each(j text, p text) RETURNS TABLE(value text) LANGUAGE sql "       \
	"IMMUTABLE"                                                                                          \
	" AS $f$ SELECT e #>> '{}' FROM jsonb_array_elements(jsonb_path_query_first(j::jsonb, "              \
	"p::jsonpath)) AS e"                                                                                 \
	" $f$;" /* json_each(array): its elements (value: the JSON text of an array or                       \
		 * object, else the scalar) and their index (key) */                                         \
	"CREATE OR REPLACE FUNCTION json_each(j text) RETURNS TABLE(key bigint, value text) LANGUAGE sql"    \
	" IMMUTABLE AS $f$ SELECT o - 1, e #>> '{}' FROM jsonb_array_elements(j::jsonb) WITH ORDINALITY"     \
	" AS t(e, o) $f$;"
extern const char store_pg_compat_sql[];

/* Rewrite SQLite placeholders in sql to PostgreSQL's: `?` becomes `$n`
 * (n counting up from the largest number so far, as SQLite numbers them)
 * and `?NNN` becomes `$NNN`; quoted literals ('...', E'...', $tag$...$tag$),
 * quoted identifiers ("...") and comments are copied unchanged. out gets
 * the result (outlen bytes, NUL-terminated); *nparams the largest number.
 * 0, -EFBIG when sql or out is too long or a number over
 * STORE_PG_PARAMS_MAX, -EINVAL for an unterminated quote or comment, or
 * a `$n`/`$name` outside quotes (numbering styles must not mix). Pure:
 * for tests and fuzzing. */
int store_pg_placeholders(const char *sql, char *out, size_t outlen, int *nparams);

#endif
