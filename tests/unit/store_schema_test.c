// SPDX-License-Identifier: Apache-2.0
/* The controller's schema on both engines (controller/schema.c): SQLite's
 * migrations and PostgreSQL's twin, each applied through store_migrate to
 * an empty store, must give the same tables, columns (type class, NOT
 * NULL, primary key), unique column sets, foreign keys (with their ON
 * DELETE) and named indexes; and the parts written per dialect (the
 * app_revisions triggers, the logs view, identity ids, the default
 * project) must behave the same. PostgreSQL is the real one that
 * tests/integration/store_test.sh starts (EVE_TEST_PG_URL); without it
 * the PostgreSQL half skips (a failure when CI=true). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"
#include "store.h"
#include "test_skip.h"
#include "test_tmpdir.h"

#define DESC_MAX 1024

/* One engine's schema as sorted lines ("kind table detail"). */
struct desc {
	char *line[DESC_MAX];
	int n;
};

static void desc_add(struct desc *d, const char *kind, const char *table, const char *detail)
{
	char buf[512];
	assert_true(d->n < DESC_MAX);
	snprintf(buf, sizeof(buf), "%s %s %s", kind, table, detail);
	d->line[d->n] = strdup(buf);
	assert_non_null(d->line[d->n]);
	d->n++;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void desc_free(struct desc *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->line[i]);
	d->n = 0;
}

/* Type classes: SQLite's declared type or PostgreSQL's data_type. */
static const char *type_class(const char *t)
{
	if (!strcmp(t, "INTEGER") || !strcmp(t, "bigint"))
		return "int";
	if (!strcmp(t, "TEXT") || !strcmp(t, "text"))
		return "text";
	if (!strcmp(t, "BLOB") || !strcmp(t, "bytea"))
		return "blob";
	return t; /* anything else shows up as a difference */
}

static const char *on_delete(const char *a)
{
	/* pg_constraint.confdeltype letters; SQLite spells them out */
	if (!strcmp(a, "c"))
		return "CASCADE";
	if (!strcmp(a, "n"))
		return "SET NULL";
	if (!strcmp(a, "a"))
		return "NO ACTION";
	return a;
}

/* Run sql (no parameters) and add one line per row: kind, column 0 as the
 * table, then fmt applied to the row. */
typedef void (*row_fn)(struct store_stmt *st, char *out, size_t n);

static void collect(struct store *c, const char *sql, const char *kind, row_fn fn, struct desc *d)
{
	struct store_stmt *st = store_stmt(c, sql);
	if (!st)
		fail_msg("%s: %s", kind, store_last_error(c));
	int r;
	while ((r = store_step(st)) == STORE_ROW) {
		char detail[400];
		fn(st, detail, sizeof(detail));
		desc_add(d, kind, store_col_str(st, 0), detail);
	}
	if (r != STORE_DONE)
		fail_msg("%s: %s", kind, store_last_error(c));
	store_reset(st);
}

/* column: name type-class not-null|pk (SQLite's TEXT PRIMARY KEY allows
 * NULL, PostgreSQL's does not: a key column is "pk" on both) */
static void row_column(struct store_stmt *st, char *out, size_t n)
{
	const char *nn = store_col_int64(st, 4) ? "pk" : store_col_int64(st, 3) ? "notnull" : "null";
	snprintf(out, n, "%s %s %s", store_col_str(st, 1), type_class(store_col_str(st, 2)), nn);
}

static void row_cols(struct store_stmt *st, char *out, size_t n)
{
	snprintf(out, n, "(%s)", store_col_str(st, 1));
}

static void row_fk(struct store_stmt *st, char *out, size_t n)
{
	snprintf(out, n, "%s -> %s ON DELETE %s", store_col_str(st, 1), store_col_str(st, 2),
		 on_delete(store_col_str(st, 3)));
}

static void row_name(struct store_stmt *st, char *out, size_t n)
{
	snprintf(out, n, "%s", store_col_str(st, 1));
}

static void describe_sqlite(struct store *c, struct desc *d)
{
	collect(c,
		"SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, "
		"pragma_table_info(m.name) p"
		" WHERE m.type = 'table'",
		"column", row_column, d);
	collect(c,
		"SELECT m.name, (SELECT group_concat(name) FROM (SELECT name FROM pragma_index_info(il.name)"
		" ORDER BY seqno)) FROM sqlite_master m, pragma_index_list(m.name) il"
		" WHERE m.type = 'table' AND il.\"unique\" = 1 AND il.origin = 'u'",
		"unique", row_cols, d);
	collect(c,
		"SELECT m.name, f.\"from\", f.\"table\", f.on_delete FROM sqlite_master m,"
		" pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
		"fk", row_fk, d);
	collect(c, "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
		"index", row_name, d);
	collect(c, "SELECT name, name FROM sqlite_master WHERE type = 'view'", "view", row_name, d);
}

static void describe_pg(struct store *c, struct desc *d)
{
	collect(c,
		"SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO',"
		" EXISTS(SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
		" AND a.attnum = ANY(i.indkey) WHERE i.indisprimary"
		" AND i.indrelid = CAST(quote_ident(c.table_name) AS regclass) AND a.attname = c.column_name)"
		" FROM information_schema.columns c JOIN information_schema.tables t"
		" ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
		" WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
		" AND c.table_name <> 'store_schema_version'", /* the runner's (SQLite: user_version) */
		"column", row_column, d);
	collect(c,
		"SELECT cl.relname, string_agg(a.attname, ',' ORDER BY k.n) FROM pg_index i"
		" JOIN pg_class cl ON cl.oid = i.indrelid"
		" JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true"
		" JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
		" WHERE i.indisunique AND NOT i.indisprimary"
		" AND cl.relnamespace = CAST(current_schema() AS regnamespace)"
		" GROUP BY cl.relname, i.indexrelid",
		"unique", row_cols, d);
	collect(
	    c,
	    "SELECT cl.relname, a.attname, rf.relname, CAST(con.confdeltype AS text) FROM pg_constraint con"
	    " JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rf ON rf.oid = con.confrelid"
	    " JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]"
	    " WHERE con.contype = 'f' AND cl.relnamespace = CAST(current_schema() AS regnamespace)",
	    "fk", row_fk, d);
	collect(c,
		"SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
		" AND indexname NOT LIKE '%\\_pkey' ESCAPE '\\' AND indexname NOT LIKE '%\\_key' ESCAPE '\\'",
		"index", row_name, d);
	collect(c, "SELECT viewname, viewname FROM pg_views WHERE schemaname = current_schema()", "view",
		row_name, d);
}

struct engine {
	struct store_pool *p;
	struct store *c;
	bool pg;
	char dir[PATH_MAX];
};

static void engine_open(struct engine *e, bool pg)
{
	char url[PATH_MAX + 32], err[256];
	memset(e, 0, sizeof(*e));
	e->pg = pg;
	if (pg) {
		snprintf(url, sizeof(url), "%s", getenv("EVE_TEST_PG_URL"));
	} else {
		assert_int_equal(test_tmpdir_make(e->dir, sizeof(e->dir), "store_schema"), 0);
		snprintf(url, sizeof(url), "sqlite:%s/controller.db", e->dir);
	}
	if (store_pool_open(url, 1, &e->p, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", url, err);
	e->c = store_get(e->p);
	assert_non_null(e->c);
	const char *const *steps = pg ? schema_pg_migrations : schema_migrations;
	int n = pg ? schema_pg_migrations_n : schema_migrations_n;
	if (store_migrate(e->c, steps, n, err, sizeof(err)) < 0)
		fail_msg("migrate (%s): %s", pg ? "postgresql" : "sqlite", err);
	/* a second start finds nothing to do */
	assert_int_equal(store_migrate(e->c, steps, n, err, sizeof(err)), 0);
}

static void engine_close(struct engine *e)
{
	store_put(e->p, e->c);
	store_pool_close(e->p);
	if (e->dir[0])
		test_tmpdir_remove(e->dir);
}

static void test_step_counts(void **state)
{
	(void)state;
	/* every migration is appended to both lists: the version numbers match */
	assert_int_equal(schema_pg_migrations_n, schema_migrations_n);
}

static void test_same_schema(void **state)
{
	(void)state;
	struct engine sl, pg;
	static struct desc a, b;
	engine_open(&sl, false);
	engine_open(&pg, true);
	describe_sqlite(sl.c, &a);
	describe_pg(pg.c, &b);
	qsort(a.line, (size_t)a.n, sizeof(a.line[0]), cmp_line);
	qsort(b.line, (size_t)b.n, sizeof(b.line[0]), cmp_line);
	int diffs = 0;
	for (int i = 0, j = 0; i < a.n || j < b.n;) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.line[i], b.line[j]);
		if (c == 0) {
			i++, j++;
			continue;
		}
		print_error("%s %s\n", c < 0 ? "only on SQLite:    " : "only on PostgreSQL:",
			    c < 0 ? a.line[i] : b.line[j]);
		diffs++;
		c < 0 ? i++ : j++;
	}
	print_message("schema: %d lines on SQLite, %d on PostgreSQL, %d differences\n", a.n, b.n, diffs);
	assert_true(a.n > 200); /* the description is not empty on either side */
	assert_int_equal(diffs, 0);
	desc_free(&a);
	desc_free(&b);
	engine_close(&sl);
	engine_close(&pg);
}

static int64_t one_int(struct store *c, const char *sql, const char *arg)
{
	struct store_stmt *st = store_stmt(c, sql);
	if (!st)
		fail_msg("%s: %s", sql, store_last_error(c));
	if (arg)
		assert_int_equal(store_bind_text(st, 1, arg), 0);
	if (store_step(st) != STORE_ROW)
		fail_msg("%s: no row (%s)", sql, store_last_error(c));
	int64_t v = store_col_int64(st, 0);
	store_reset(st);
	return v;
}

static void exec_ok(struct store *c, const char *sql)
{
	if (store_exec(c, sql) < 0)
		fail_msg("%s: %s", sql, store_last_error(c));
}

/* Run sql with a 3-byte blob as its one parameter. */
static void exec_blob(struct store *c, const char *sql)
{
	struct store_stmt *st = store_stmt(c, sql);
	if (!st)
		fail_msg("%s: %s", sql, store_last_error(c));
	assert_int_equal(store_bind_blob(st, 1, "\0\1\2", 3), 0);
	if (store_step_done(st) < 0)
		fail_msg("%s: %s", sql, store_last_error(c));
}

/* What each dialect writes its own way behaves the same. */
static void behaviour(struct engine *e)
{
	struct store *c = e->c;
	assert_int_equal(
	    one_int(c, "SELECT count(*) FROM projects WHERE name = 'default' AND created > 0", NULL), 1);
	/* app_revisions triggers: a row per version, replaced whole */
	exec_ok(c,
		"INSERT INTO images(id, name, format, sha256, state, created) VALUES('i1', 'img', 'raw', 'x',"
		" 'ready', 1)");
	exec_ok(c, "INSERT INTO apps(id, name, spec, image_id, created) VALUES('a1', 'app', '{}', 'i1', 1)");
	assert_int_equal(one_int(c,
				 "SELECT count(*) FROM app_revisions WHERE app_id = 'a1' AND version = 1"
				 " AND reason = 'create' AND created > 0",
				 NULL),
			 1);
	exec_ok(c, "UPDATE app_revisions SET outcome = 'rolled back' WHERE app_id = 'a1'");
	exec_ok(c, "UPDATE apps SET version = 2, spec = '{\"v\":2}' WHERE id = 'a1'");
	exec_ok(c, "UPDATE apps SET version = 1 WHERE id = 'a1'");
	assert_int_equal(one_int(c, "SELECT count(*) FROM app_revisions WHERE app_id = 'a1'", NULL), 2);
	assert_int_equal(one_int(c,
				 "SELECT count(*) FROM app_revisions WHERE app_id = 'a1' AND version = 1"
				 " AND reason = 'update' AND outcome = ''",
				 NULL),
			 1);
	/* identity ids: an insert without id gets the next one */
	exec_blob(
	    c, "INSERT INTO devices(id, name, cert_hash, cert_pem, created) VALUES('d1', 'dev', ?, '', 1)");
	struct store_stmt *st =
	    store_stmt(c, "INSERT INTO metrics(device_id, time, data) VALUES('d1', 1, ?) RETURNING id");
	assert_non_null(st);
	int64_t prev = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_bind_blob(st, 1, "\0\1\2", 3), 0);
		assert_int_equal(store_step(st), STORE_ROW);
		int64_t id = store_col_int64(st, 0);
		assert_true(id > prev);
		prev = id;
		store_reset(st);
	}
	/* the logs view: one row per line of each chunk */
	exec_blob(c,
		  "INSERT INTO log_chunks(device_id, first_id, n, t_min, t_max, sealed, enc, raw_len, data)"
		  " VALUES('d1', 1, 3, 1, 2, 1, 0, 1, ?)");
	assert_int_equal(one_int(c, "SELECT count(*) FROM logs WHERE device_id = ?", "d1"), 3);
	/* deleting the device cascades */
	exec_ok(c, "DELETE FROM devices WHERE id = 'd1'");
	assert_int_equal(one_int(c, "SELECT count(*) FROM metrics", NULL), 0);
	assert_int_equal(one_int(c, "SELECT count(*) FROM log_chunks", NULL), 0);
}

static void test_behaviour(void **state)
{
	bool pg = *state != NULL;
	struct engine e;
	engine_open(&e, pg);
	behaviour(&e);
	engine_close(&e);
}

int main(void)
{
	static int pg_on = 1;
	const struct CMUnitTest sqlite[] = {
	    cmocka_unit_test(test_step_counts),
	    cmocka_unit_test_prestate(test_behaviour, NULL),
	};
	const struct CMUnitTest pg[] = {
	    cmocka_unit_test_prestate(test_behaviour, &pg_on),
	    cmocka_unit_test(test_same_schema),
	};
	int failed = cmocka_run_group_tests_name("schema_sqlite", sqlite, NULL, NULL);
	const char *url = getenv("EVE_TEST_PG_URL");
	if (!url || !*url) {
		int r =
		    test_skip_all("EVE_TEST_PG_URL not set (run through tests/integration/store_test.sh)");
		return failed ? failed : r;
	}
	failed += cmocka_run_group_tests_name("schema_postgresql", pg, NULL, NULL);
	return test_skip_exit(failed);
}
