// SPDX-License-Identifier: Apache-2.0
/* Remote consoles across replicas (controller/console_store.h) on SQLite
 * and on a real PostgreSQL 15 (tests/integration/store_test.sh starts it):
 * one replica holds a device's sessions until it stops saying it is
 * alive, another then takes them over and ends the dead one's sessions;
 * tokens are given only while their holder is alive; an older write of a
 * session loses to a newer one and never revives an ended session; a
 * restarted replica ends what its previous run left; a browser ticket is
 * taken once, while valid. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "console_store.h"
#include "schema.h"
#include "store.h"
#include "test_skip.h"
#include "test_tmpdir.h"

#define DEV "d1000000-0000-4000-8000-000000000001"
#define S1 "51000000-0000-4000-8000-000000000001"
#define S2 "52000000-0000-4000-8000-000000000002"
#define RA "10.0.0.11:8443"
#define RB "10.0.0.12:8443"
#define T0 1700000000

struct engine {
	struct store_pool *p;
	struct store *d;
	char dir[PATH_MAX];
};

static void engine_open(struct engine *e, bool pg)
{
	char url[PATH_MAX + 32], err[256];
	memset(e, 0, sizeof(*e));
	if (pg) {
		snprintf(url, sizeof(url), "%s", getenv("EVE_TEST_PG_URL"));
	} else {
		assert_int_equal(test_tmpdir_make(e->dir, sizeof(e->dir), "console_store"), 0);
		snprintf(url, sizeof(url), "sqlite:%s/controller.db", e->dir);
	}
	if (schema_pool_open(url, 1, &e->p, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", url, err);
	e->d = store_get(e->p);
	assert_non_null(e->d);
	/* PostgreSQL's database outlives a test: start from empty tables */
	assert_int_equal(
	    store_exec(
		e->d,
		"DELETE FROM console_grants; DELETE FROM console_sessions; DELETE FROM console_tickets;"),
	    0);
}

static void engine_close(struct engine *e)
{
	store_put(e->p, e->d);
	store_pool_close(e->p);
	if (e->dir[0])
		test_tmpdir_remove(e->dir);
}

static struct console_store_session session(const char *id, const char *holder, int64_t rev)
{
	struct console_store_session s = {.token_id = 7, .created = T0, .expires = T0 + 600, .rev = rev};
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.dispatcher, sizeof(s.dispatcher), "%s", holder);
	snprintf(s.app, sizeof(s.app), "web");
	snprintf(s.instance, sizeof(s.instance), "%s", S2);
	snprintf(s.device, sizeof(s.device), "%s", DEV);
	snprintf(s.who, sizeof(s.who), "admin");
	snprintf(s.kind, sizeof(s.kind), "console");
	return s;
}

static void holders(struct store *d)
{
	char holder[CONSOLE_STORE_ADDR_MAX] = "";
	char *tok = NULL;
	uint32_t gen = 0;
	/* A claims a free device; B, asked a second later, finds A */
	assert_int_equal(console_store_claim(d, DEV, RA, T0, holder), 0);
	assert_int_equal(console_store_claim(d, DEV, RB, T0 + 1, holder), 1);
	assert_string_equal(holder, RA);
	/* no token before A sets one; then the same token for every reader */
	assert_int_equal(console_store_grant_token(d, DEV, T0 + 1, &tok, &gen), -ENOENT);
	assert_int_equal(console_store_grant_set(d, DEV, RA, "tok-a", T0 + 600, 3), 0);
	assert_int_equal(console_store_grant_set(d, DEV, RB, "tok-b", T0 + 600, 1), -ENOENT);
	assert_int_equal(console_store_grant_token(d, DEV, T0 + 2, &tok, &gen), 0);
	assert_string_equal(tok, "tok-a");
	assert_int_equal(gen, 3);
	free(tok);
	/* A claiming again keeps its token */
	assert_int_equal(console_store_claim(d, DEV, RA, T0 + 3, holder), 0);
	assert_int_equal(console_store_grant_token(d, DEV, T0 + 3, &tok, &gen), 0);
	assert_string_equal(tok, "tok-a");
	free(tok);
	/* A says it is alive: still A's after the stale time from the claim */
	assert_int_equal(console_store_alive(d, RA, T0 + 9), 0);
	assert_int_equal(console_store_claim(d, DEV, RB, T0 + 3 + CONSOLE_STORE_STALE_S, holder), 1);
	/* A's session, then A goes silent: no token, and B takes over */
	struct console_store_session s = session(S1, RA, 1);
	assert_int_equal(console_store_session_put(d, &s), 0);
	int64_t later = T0 + 10 + CONSOLE_STORE_STALE_S;
	assert_int_equal(console_store_grant_token(d, DEV, later, &tok, &gen), -ENOENT);
	assert_int_equal(console_store_claim(d, DEV, RB, later, holder), 0);
	assert_int_equal(console_store_session_get(d, S1, &s), 0);
	assert_int_equal(s.ended, later);
	assert_string_equal(s.reason, "its replica stopped");
	/* the new holder starts without A's token */
	assert_int_equal(console_store_grant_token(d, DEV, later, &tok, &gen), -ENOENT);
	/* B drops it; A cannot drop B's */
	assert_int_equal(console_store_grant_drop(d, DEV, RA), 0);
	assert_int_equal(console_store_claim(d, DEV, RA, later, holder), 1);
	assert_int_equal(console_store_grant_drop(d, DEV, RB), 0);
	assert_int_equal(console_store_claim(d, DEV, RA, later, holder), 0);
}

static int count(void *ctx, const struct console_store_session *s)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

static void sessions(struct store *d)
{
	struct console_store_session s = session(S1, RA, 2), got;
	int n = 0;
	assert_int_equal(console_store_session_put(d, &s), 0);
	/* an older write (rev 1) loses */
	s.rev = 1;
	s.open = 5;
	assert_int_equal(console_store_session_put(d, &s), 0);
	assert_int_equal(console_store_session_get(d, S1, &got), 0);
	assert_int_equal(got.open, 0);
	assert_int_equal(got.rev, 2);
	/* ended by another replica: the holder's next write keeps it ended */
	assert_int_equal(console_store_session_end(d, S1, T0 + 5, "closed by the operator"), 1);
	assert_int_equal(console_store_session_end(d, S1, T0 + 6, "again"), 0);
	assert_int_equal(console_store_session_end(d, S2, T0 + 6, "none"), -ENOENT);
	s.rev = 3;
	s.bytes_in = 42;
	assert_int_equal(console_store_session_put(d, &s), 0);
	assert_int_equal(console_store_session_get(d, S1, &got), 0);
	assert_int_equal(got.ended, T0 + 5);
	assert_string_equal(got.reason, "closed by the operator");
	assert_int_equal(got.bytes_in, 42);
	/* A's view: its live ones and those ended since; everyone's view */
	struct console_store_session s2 = session(S2, RB, 1);
	assert_int_equal(console_store_session_put(d, &s2), 0);
	assert_int_equal(console_store_sessions(d, RA, T0 + 6, 10, count, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(console_store_sessions(d, RA, T0 + 5, 10, count, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(console_store_sessions(d, NULL, 0, 10, count, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(console_store_sessions(d, NULL, 0, 1, count, &n), 0);
	assert_int_equal(n, 1);
	/* pruned once ended long enough ago; the live one stays */
	assert_int_equal(console_store_prune(d, T0 + 6 + CONSOLE_STORE_KEEP_S), 0);
	assert_int_equal(console_store_session_get(d, S1, &got), -ENOENT);
	assert_int_equal(console_store_session_get(d, S2, &got), 0);
}

static void note_device(void *ctx, const char *dev)
{
	assert_string_equal(dev, DEV);
	(*(int *)ctx)++;
}

static void restart(struct store *d)
{
	char holder[CONSOLE_STORE_ADDR_MAX];
	struct console_store_session s = session(S1, RA, 1), got;
	int n = 0;
	assert_int_equal(console_store_claim(d, DEV, RA, T0, holder), 0);
	assert_int_equal(console_store_session_put(d, &s), 0);
	assert_int_equal(console_store_release(d, RA, T0 + 1, "controller restarted", note_device, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(console_store_session_get(d, S1, &got), 0);
	assert_int_equal(got.ended, T0 + 1);
	assert_string_equal(got.reason, "controller restarted");
	/* the device is free again */
	assert_int_equal(console_store_claim(d, DEV, RB, T0 + 2, holder), 0);
}

static void tickets(struct store *d)
{
	uint8_t a[32] = {1}, b[32] = {2};
	char sess[UUID_STR_LEN] = "";
	assert_int_equal(console_store_ticket_put(d, a, S1, T0 + 30), 0);
	assert_int_equal(console_store_ticket_put(d, b, S2, T0 + 30), 0);
	assert_int_equal(console_store_ticket_take(d, a, T0 + 1, sess), 0);
	assert_string_equal(sess, S1);
	/* used up; expired */
	assert_int_equal(console_store_ticket_take(d, a, T0 + 2, sess), -ENOENT);
	assert_int_equal(console_store_ticket_take(d, b, T0 + 30, sess), -ENOENT);
	/* pruned: the same hash may come again */
	assert_int_equal(console_store_prune(d, T0 + 31), 0);
	assert_int_equal(console_store_ticket_put(d, b, S2, T0 + 60), 0);
}

static void run(void **state, void (*body)(struct store *d))
{
	struct engine e;
	engine_open(&e, *state != NULL);
	body(e.d);
	engine_close(&e);
}

static void test_holders(void **state)
{
	run(state, holders);
}

static void test_sessions(void **state)
{
	run(state, sessions);
}

static void test_restart(void **state)
{
	run(state, restart);
}

static void test_tickets(void **state)
{
	run(state, tickets);
}

int main(void)
{
	static int pg_on = 1;
	const struct CMUnitTest sqlite[] = {
	    cmocka_unit_test_prestate(test_holders, NULL),
	    cmocka_unit_test_prestate(test_sessions, NULL),
	    cmocka_unit_test_prestate(test_restart, NULL),
	    cmocka_unit_test_prestate(test_tickets, NULL),
	};
	const struct CMUnitTest pg[] = {
	    cmocka_unit_test_prestate(test_holders, &pg_on),
	    cmocka_unit_test_prestate(test_sessions, &pg_on),
	    cmocka_unit_test_prestate(test_restart, &pg_on),
	    cmocka_unit_test_prestate(test_tickets, &pg_on),
	};
	int failed = cmocka_run_group_tests_name("console_store_sqlite", sqlite, NULL, NULL);
	const char *url = getenv("EVE_TEST_PG_URL");
	if (!url || !*url) {
		int r =
		    test_skip_all("EVE_TEST_PG_URL not set (run through tests/integration/store_test.sh)");
		return failed ? failed : r;
	}
	failed += cmocka_run_group_tests_name("console_store_postgresql", pg, NULL, NULL);
	return test_skip_exit(failed);
}
