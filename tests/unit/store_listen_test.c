// SPDX-License-Identifier: Apache-2.0
/* Several controller processes on one database (store.h: store_notify,
 * store_try_lock; store_listen.h): against the real PostgreSQL 15 that
 * tests/integration/store_test.sh starts (EVE_TEST_PG_URL), and SQLite,
 * where they are no-ops. Without the URL the PostgreSQL half skips (a
 * failure when CI=true). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "store_listen.h"
#include "test_skip.h"
#include "test_tmpdir.h"

/* Generous: a loaded machine delays delivery, never breaks it. */
#define WAIT_MS 30000
/* "Not delivered": how long to watch for something that must not come. */
#define QUIET_MS 300

static const char *pg_url(void)
{
	return getenv("EVE_TEST_PG_URL");
}

static struct store_pool *pool_open(const char *url, int n)
{
	struct store_pool *p = NULL;
	char err[256];
	if (store_pool_open(url, n, &p, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", url, err);
	return p;
}

static struct store_listener *listener(const char *channel)
{
	struct store_listener *l = NULL;
	char err[256];
	if (store_listen_open(pg_url(), channel, &l, err, sizeof(err)) < 0)
		fail_msg("listen: %s", err);
	return l;
}

static void notify(struct store *c, const char *payload)
{
	assert_int_equal(store_notify(c, "eve_test", payload), 0);
}

static void expect_event(struct store_listener *l, const char *payload)
{
	char got[STORE_NOTIFY_MAX + 1];
	assert_int_equal(store_listen_wait(l, WAIT_MS, got, sizeof(got)), STORE_LISTEN_EVENT);
	assert_string_equal(got, payload);
}

static void expect_quiet(struct store_listener *l)
{
	char got[64];
	assert_int_equal(store_listen_wait(l, QUIET_MS, got, sizeof(got)), STORE_LISTEN_TIMEOUT);
}

/* Outside a transaction at once, inside one at COMMIT, never on ROLLBACK;
 * every listener gets each, in order. */
static void test_notify(void **state)
{
	(void)state;
	struct store_pool *p = pool_open(pg_url(), 1);
	assert_true(store_clustered(p));
	struct store_listener *a = listener("eve_test"), *b = listener("eve_test"),
			      *other = listener("eve_other");
	struct store *c = store_get(p);
	notify(c, "device 1");
	notify(c, "device 2");
	expect_event(a, "device 1");
	expect_event(a, "device 2");
	expect_event(b, "device 1");
	expect_event(b, "device 2");

	assert_int_equal(store_begin(c), 0);
	notify(c, "in a transaction");
	expect_quiet(a);
	assert_int_equal(store_commit(c), 0);
	expect_event(a, "in a transaction");
	expect_event(b, "in a transaction");

	assert_int_equal(store_begin(c), 0);
	notify(c, "rolled back");
	store_rollback(c);
	notify(c, "after");
	expect_event(a, "after"); /* "rolled back" never came before it */
	expect_event(b, "after");
	expect_quiet(other);

	char big[STORE_NOTIFY_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(store_notify(c, "eve_test", big), -EINVAL);
	big[STORE_NOTIFY_MAX] = 0;
	notify(c, big);
	expect_event(a, big);
	store_put(p, c);
	store_listen_close(a);
	store_listen_close(b);
	store_listen_close(other);
	store_pool_close(p);
}

/* A listener whose session the server ends reconnects and says RESYNC;
 * then it receives again. */
static void test_resync(void **state)
{
	(void)state;
	struct store_pool *p = pool_open(pg_url(), 1);
	struct store_listener *l = listener("eve_test");
	struct store *c = store_get(p);
	struct store_stmt *st = store_stmt(c, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
					      " FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
					      " AND pid <> pg_backend_pid()) t");
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 1);
	store_reset(st);
	char got[64];
	assert_int_equal(store_listen_wait(l, WAIT_MS, got, sizeof(got)), STORE_LISTEN_RESYNC);
	notify(c, "after the loss");
	expect_event(l, "after the loss");
	store_put(p, c);
	store_listen_close(l);
	store_pool_close(p);
}

/* After a ping, what was committed before it is there without waiting; a
 * ping on a session the server ended fails, and the next wait says RESYNC. */
static void test_ping(void **state)
{
	(void)state;
	struct store_pool *p = pool_open(pg_url(), 1);
	struct store_listener *l = listener("eve_ping");
	struct store *c = store_get(p);
	assert_int_equal(store_notify(c, "eve_ping", "before the ping"), 0);
	assert_int_equal(store_listen_ping(l), 0);
	char got[64];
	assert_int_equal(store_listen_wait(l, 0, got, sizeof(got)), STORE_LISTEN_EVENT);
	assert_string_equal(got, "before the ping");

	struct store_stmt *st = store_stmt(c, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
					      " FROM pg_stat_activity WHERE query = 'SELECT 1'"
					      " AND pid <> pg_backend_pid()) t");
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 1);
	store_reset(st);
	assert_int_equal(store_listen_ping(l), -ECONNRESET);
	assert_int_equal(store_listen_wait(l, WAIT_MS, got, sizeof(got)), STORE_LISTEN_RESYNC);
	assert_int_equal(store_listen_ping(l), 0);
	store_put(p, c);
	store_listen_close(l);
	store_pool_close(p);
}

/* One transaction at a time holds a key, across sessions (processes). */
static void test_try_lock(void **state)
{
	(void)state;
	struct store_pool *p = pool_open(pg_url(), 2);
	struct store *a = store_get(p), *b = store_get(p);
	bool held = false;
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_try_lock(a, 4242, &held), 0);
	assert_true(held);
	assert_int_equal(store_begin(b), 0);
	assert_int_equal(store_try_lock(b, 4242, &held), 0);
	assert_false(held);
	assert_int_equal(store_try_lock(b, 4243, &held), 0); /* another key is free */
	assert_true(held);
	assert_int_equal(store_commit(a), 0); /* the end of a's transaction frees it */
	assert_int_equal(store_commit(b), 0);
	assert_int_equal(store_begin(b), 0);
	assert_int_equal(store_try_lock(b, 4242, &held), 0);
	assert_true(held);
	assert_int_equal(store_commit(b), 0);
	store_put(p, a);
	store_put(p, b);
	store_pool_close(p);
}

/* SQLite: one process owns the database; nothing to tell or exclude. */
static void test_sqlite(void **state)
{
	(void)state;
	char dir[PATH_MAX], url[PATH_MAX + 32], err[256];
	assert_int_equal(test_tmpdir_make(dir, sizeof(dir), "store_listen"), 0);
	snprintf(url, sizeof(url), "sqlite:%s/s.db", dir);
	struct store_pool *p = pool_open(url, 1);
	assert_false(store_clustered(p));
	struct store *c = store_get(p);
	assert_int_equal(store_notify(c, "eve_test", "x"), 0);
	bool held = false;
	assert_int_equal(store_begin(c), 0);
	assert_int_equal(store_try_lock(c, 1, &held), 0);
	assert_true(held);
	assert_int_equal(store_commit(c), 0);
	struct store_listener *l = NULL;
	assert_int_equal(store_listen_open(url, "eve_test", &l, err, sizeof(err)), -EOPNOTSUPP);
	assert_null(l);
	store_put(p, c);
	store_pool_close(p);
	test_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest sqlite[] = {cmocka_unit_test(test_sqlite)};
	const struct CMUnitTest pg[] = {
	    cmocka_unit_test(test_notify),
	    cmocka_unit_test(test_resync),
	    cmocka_unit_test(test_ping),
	    cmocka_unit_test(test_try_lock),
	};
	int failed = cmocka_run_group_tests_name("listen_sqlite", sqlite, NULL, NULL);
	const char *url = pg_url();
	if (!url || !*url) {
		int r =
		    test_skip_all("EVE_TEST_PG_URL not set (run through tests/integration/store_test.sh)");
		return failed ? failed : r;
	}
	failed += cmocka_run_group_tests_name("listen_postgresql", pg, NULL, NULL);
	return test_skip_exit(failed);
}
