// SPDX-License-Identifier: Apache-2.0
/* Writes that decide on what they read write only over what they read,
 * on SQLite and on a real PostgreSQL 15 (tests/integration/store_test.sh
 * starts it), where an operator's request and the engine's tick (of any
 * replica) run at once:
 * - a rollout's state and progress (controller/rollouts_int.h,
 *   ro_set_state, ro_hold). The soak found the engine's step overwriting an
 *   operator's pause on PostgreSQL: both read "running", the pause
 *   committed, the step wrote "running" back;
 * - an app's revision (apps_store_set_revision): an automatic rollback
 *   decided on v2 must not replace the v3 an operator deployed meanwhile;
 * - the config items of a device and of a project (properties_patch): two
 *   PUTs of different items at once both count;
 * - the last way in as an admin: revoking the last admin token while the
 *   last admin user is deleted leaves one of them (TOKENS_ADMIN_LOCK). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "apps_store.h"
#include "devices_store.h"
#include "projects.h"
#include "properties.h"
#include "rollouts_int.h"
#include "tokens.h"
#include "users.h"
#include "schema.h"
#include "store.h"
#include "test_skip.h"
#include "test_tmpdir.h"

#define RID "r1000000-0000-4000-8000-000000000001"
#define AID "a1000000-0000-4000-8000-000000000001"
#define DID "d1000000-0000-4000-8000-000000000001"
#define PATCHES 100

struct engine {
	struct store_pool *p;
	struct store *d, *d2; /* two connections: two transactions */
	char dir[PATH_MAX];
};

static void engine_open(struct engine *e, bool pg)
{
	char url[PATH_MAX + 32], err[256];
	memset(e, 0, sizeof(*e));
	if (pg) {
		snprintf(url, sizeof(url), "%s", getenv("EVE_TEST_PG_URL"));
	} else {
		assert_int_equal(test_tmpdir_make(e->dir, sizeof(e->dir), "store_races"), 0);
		snprintf(url, sizeof(url), "sqlite:%s/controller.db", e->dir);
	}
	if (schema_pool_open(url, 2, &e->p, err, sizeof(err)) < 0)
		fail_msg("open %s: %s", url, err);
	e->d = store_get(e->p);
	e->d2 = store_get(e->p);
	assert_non_null(e->d);
	assert_non_null(e->d2);
	/* PostgreSQL's database outlives a test: start from empty tables */
	assert_int_equal(store_exec(e->d, "DELETE FROM rollouts; DELETE FROM apps; DELETE FROM images;"
					  " DELETE FROM devices; DELETE FROM projects WHERE name = 'p1'"),
			 0);
	assert_int_equal(store_exec(e->d, "INSERT INTO projects(name, created) VALUES('p1', 1)"), 0);
	static const uint8_t hash[32] = {1};
	struct store_stmt *st = store_stmt(e->d, "INSERT INTO devices(id, name, cert_hash, cert_pem, created)"
						 " VALUES('" DID "', 'd1', ?1, '', 1)");
	assert_non_null(st);
	store_bind_blob(st, 1, hash, sizeof(hash));
	assert_int_equal(store_step_done(st), 0);
	assert_int_equal(store_exec(e->d, "INSERT INTO images(id, name, format, sha256, state, created)"
					  " VALUES('img', 'img', 'CONTAINER', '', 'ready', 1);"
					  " INSERT INTO apps(id, name, spec, image_id, version, created)"
					  " VALUES('" AID "', 'web', '{}', 'img', 2, 1)"),
			 0);
	assert_int_equal(
	    store_exec(
		e->d, "INSERT INTO rollouts(id, name, kind, image_id, phases, nphases, health_s, online_s,"
		      " timeout_s, offline, pause_s, max_failures, max_failures_spec, auto_rollback, state,"
		      " phase, phase_started, next_at, created, updated) VALUES('" RID "', 'm1', 'baseos',"
		      " 'img', '[1]', 2, 60, 60, 600, 'skipped', -1, 0, '0', 0, 'running', 0, 100, 0, 1, 1)"),
	    0);
}

static void engine_close(struct engine *e)
{
	store_put(e->p, e->d2);
	store_put(e->p, e->d);
	store_pool_close(e->p);
	if (e->dir[0])
		test_tmpdir_remove(e->dir);
}

static void assert_stored(struct engine *e, const char *state, int64_t phase)
{
	struct ro o;
	assert_int_equal(ro_load(e->d, RID, &o), 0);
	assert_string_equal(o.state, state);
	assert_int_equal(o.phase, phase);
}

/* Two copies read at once; the one written second loses, whichever
 * field the first changed. */
static void test_stale_copy_loses(void **state)
{
	struct engine e;
	struct ro step, op;
	engine_open(&e, *state != NULL);

	/* the operator pauses; the engine's copy from before cannot write "running" back */
	assert_int_equal(ro_load(e.d, RID, &step), 0);
	assert_int_equal(ro_load(e.d, "m1", &op), 0);
	assert_int_equal(ro_set_state(e.d, &op, "paused", "paused by the operator"), 0);
	step.phase_started = 200;
	assert_int_equal(ro_set_state(e.d, &step, "running", ""), -EAGAIN);
	assert_stored(&e, "paused", 0);

	/* the engine moves to the next phase; an operator's copy from before cannot pause phase 1 */
	assert_int_equal(ro_set_state(e.d, &op, "running", ""), 0);
	assert_int_equal(ro_load(e.d, RID, &step), 0);
	assert_int_equal(ro_load(e.d, RID, &op), 0);
	step.phase = 1;
	step.phase_started = 0;
	assert_int_equal(ro_set_state(e.d, &step, "running", ""), 0);
	assert_int_equal(ro_set_state(e.d, &op, "paused", "paused by the operator"), -EAGAIN);
	assert_stored(&e, "running", 1);

	/* read again, it writes; and writes again over its own write */
	assert_int_equal(ro_load(e.d, RID, &op), 0);
	assert_int_equal(ro_set_state(e.d, &op, "paused", "paused by the operator"), 0);
	assert_int_equal(ro_set_state(e.d, &op, "running", ""), 0);
	assert_stored(&e, "running", 1);
	engine_close(&e);
}

/* PostgreSQL: the engine's transaction read "running"; an operator's
 * pause commits on another connection; the engine's write finds the
 * committed row changed (READ COMMITTED re-reads it) and rolls back. */
static void test_concurrent_transactions(void **state)
{
	struct engine e;
	struct ro step, op;
	(void)state;
	engine_open(&e, true);

	assert_int_equal(store_begin(e.d), 0);
	assert_int_equal(ro_load(e.d, RID, &step), 0);
	assert_int_equal(ro_load(e.d2, RID, &op), 0);
	assert_int_equal(ro_set_state(e.d2, &op, "paused", "paused by the operator"), 0);
	step.phase_started = 300;
	assert_int_equal(ro_set_state(e.d, &step, "running", ""), -EAGAIN);
	store_rollback(e.d);
	assert_stored(&e, "paused", 0);
	engine_close(&e);
}

struct holder {
	struct store *d;
	struct ro o;
	int result;
};

static void *hold_stale(void *arg)
{
	struct holder *h = arg;
	h->result = store_begin(h->d);
	if (h->result == 0) {
		h->result = ro_hold(h->d, &h->o);
		store_rollback(h->d);
	}
	return NULL;
}

/* The engine holds the rollout's row for its step (ro_hold) and moves it
 * to the next phase; an operator's action that read it before waits for
 * the row, then finds it changed. */
static void test_hold(void **state)
{
	struct engine e;
	struct ro step;
	pthread_t t;
	engine_open(&e, *state != NULL);
	struct holder op = {.d = e.d2, .result = 1};

	assert_int_equal(store_begin(e.d), 0);
	assert_int_equal(ro_load(e.d, RID, &step), 0);
	assert_int_equal(ro_hold(e.d, &step), 0);
	assert_int_equal(ro_load(e.d2, RID, &op.o), 0); /* before the step commits */
	assert_int_equal(pthread_create(&t, NULL, hold_stale, &op), 0);
	usleep(200 * 1000); /* to wait for the row, not find it changed already */
	step.phase = 1;
	assert_int_equal(ro_set_state(e.d, &step, "running", ""), 0);
	assert_int_equal(store_commit(e.d), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(op.result, -EAGAIN);
	assert_int_equal(ro_load(e.d2, RID, &op.o), 0);
	assert_int_equal(ro_hold(e.d2, &op.o), 0);
	engine_close(&e);
}

/* Revision 2 is current: a rollback decided on it applies once; one
 * decided on it after an operator's v3 finds v3 and changes nothing. */
static void test_app_revision(void **state)
{
	struct engine e;
	int64_t v = 0;
	engine_open(&e, *state != NULL);

	assert_int_equal(apps_store_set_revision(e.d, AID, 2, "{\"deployed\":3}", "img", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(apps_store_set_revision(e.d, AID, 2, "{\"rollback\":1}", "img", &v), -EAGAIN);
	assert_int_equal(apps_store_set_revision(e.d, "no-such-app", 1, "{}", "img", &v), -EAGAIN);
	struct store_stmt *st = store_stmt(e.d, "SELECT version, spec FROM apps WHERE id = '" AID "'");
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	assert_int_equal(store_col_int64(st, 0), 3);
	assert_string_equal(store_col_str(st, 1), "{\"deployed\":3}");
	store_reset(st);
	engine_close(&e);
}

static void patch(struct store *d, const struct properties_store *ps, const char *key, const char *name,
		  const char *value)
{
	json_t *p = json_pack("{s:s}", name, value), *out = NULL;
	int e;
	while ((e = properties_patch(d, ps, key, p, &out)) == -EAGAIN)
		; /* the API answers 409 "try again" */
	assert_int_equal(e, 0);
	json_decref(out);
	json_decref(p);
}

static size_t stored_items(struct store *d, const struct properties_store *ps, const char *key)
{
	char *text = NULL;
	assert_int_equal(ps->get(d, key, &text), 0);
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	size_t n = json_object_size(j);
	json_decref(j);
	free(text);
	return n;
}

/* A read, then another request's patch, then the first one's write: it
 * loses; properties_patch reads again and both items count. */
static void test_config_items_interleaved(void **state)
{
	struct engine e;
	char *old = NULL;
	engine_open(&e, *state != NULL);

	assert_int_equal(devices_store_config_items(e.d, DID, &old), 0);
	patch(e.d, &properties_of_device, DID, "timer.config.interval", "10");
	assert_int_equal(devices_store_set_config_items(e.d, DID, old, "{\"timer.metric.interval\":\"20\"}"),
			 -EAGAIN);
	patch(e.d, &properties_of_device, DID, "timer.metric.interval", "20");
	assert_int_equal(stored_items(e.d, &properties_of_device, DID), 2);
	free(old);

	assert_int_equal(projects_config_items(e.d, "p1", &old), 0);
	patch(e.d, &properties_of_project, "p1", "timer.config.interval", "10");
	assert_int_equal(projects_set_config_items(e.d, "p1", old, "{}"), -EAGAIN);
	assert_int_equal(stored_items(e.d, &properties_of_project, "p1"), 1);
	free(old);
	engine_close(&e);
}

struct patcher {
	struct store *d;
	const struct properties_store *ps;
	const char *key;
	char prefix;
};

static void *patch_many(void *arg)
{
	struct patcher *p = arg;
	char name[32];
	for (int i = 0; i < PATCHES; i++) {
		snprintf(name, sizeof(name), "%c.%d", p->prefix, i);
		patch(p->d, p->ps, p->key, name, "1");
	}
	return NULL;
}

/* Two connections patch the same items at once, each its own names:
 * every one of them is stored. */
static void test_config_items_concurrent(void **state)
{
	struct engine e;
	pthread_t t;
	engine_open(&e, *state != NULL);

	for (int k = 0; k < 2; k++) {
		const struct properties_store *ps = k ? &properties_of_project : &properties_of_device;
		const char *key = k ? "p1" : DID;
		struct patcher a = {e.d, ps, key, 'a'}, b = {e.d2, ps, key, 'b'};
		assert_int_equal(pthread_create(&t, NULL, patch_many, &a), 0);
		patch_many(&b);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(stored_items(e.d, ps, key), 2 * PATCHES);
	}
	engine_close(&e);
}

struct deleter {
	struct store *d;
	int result;
};

static void *delete_root(void *arg)
{
	struct deleter *x = arg;
	x->result = users_delete(x->d, "root");
	return NULL;
}

/* The last admin token is being revoked (its transaction holds the lock,
 * as the token API's does) when the last admin user is deleted: the
 * deletion waits, then finds no other admin and refuses. */
static void test_last_admin(void **state)
{
	struct engine e;
	char tok[TOKEN_LEN + 1];
	pthread_t t;
	engine_open(&e, *state != NULL);
	struct deleter x = {e.d2, 1};

	assert_int_equal(store_exec(e.d, "DELETE FROM tokens; DELETE FROM users"), 0);
	assert_int_equal(users_create(e.d, "root", "a-long-password-1", AUTHZ_ADMIN, "*"), 0);
	assert_int_equal(tokens_create(e.d, "init", tok), 0);
	assert_int_equal(store_begin(e.d), 0);
	assert_int_equal(store_lock(e.d, TOKENS_ADMIN_LOCK), 0);
	assert_int_equal(tokens_revoke(e.d, "init", users_admin_count(e.d, 0)), 0);
	assert_int_equal(pthread_create(&t, NULL, delete_root, &x), 0);
	usleep(300 * 1000); /* without the lock, the deletion counts the token now */
	assert_int_equal(store_commit(e.d), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(x.result, -EBUSY);
	assert_int_equal(users_admin_count(e.d, 0), 1);
	engine_close(&e);
}

int main(void)
{
	static int pg_on = 1;
	const struct CMUnitTest sqlite[] = {
	    cmocka_unit_test_prestate(test_stale_copy_loses, NULL),
	    cmocka_unit_test_prestate(test_hold, NULL),
	    cmocka_unit_test_prestate(test_app_revision, NULL),
	    cmocka_unit_test_prestate(test_config_items_interleaved, NULL),
	    cmocka_unit_test_prestate(test_config_items_concurrent, NULL),
	    cmocka_unit_test_prestate(test_last_admin, NULL),
	};
	const struct CMUnitTest pg[] = {
	    cmocka_unit_test_prestate(test_stale_copy_loses, &pg_on),
	    cmocka_unit_test_prestate(test_concurrent_transactions, &pg_on),
	    cmocka_unit_test_prestate(test_hold, &pg_on),
	    cmocka_unit_test_prestate(test_app_revision, &pg_on),
	    cmocka_unit_test_prestate(test_config_items_interleaved, &pg_on),
	    cmocka_unit_test_prestate(test_config_items_concurrent, &pg_on),
	    cmocka_unit_test_prestate(test_last_admin, &pg_on),
	};
	int failed = cmocka_run_group_tests_name("store_races_sqlite", sqlite, NULL, NULL);
	const char *url = getenv("EVE_TEST_PG_URL");
	if (!url || !*url) {
		int r =
		    test_skip_all("EVE_TEST_PG_URL not set (run through tests/integration/store_test.sh)");
		return failed ? failed : r;
	}
	failed += cmocka_run_group_tests_name("store_races_postgresql", pg, NULL, NULL);
	return test_skip_exit(failed);
}
