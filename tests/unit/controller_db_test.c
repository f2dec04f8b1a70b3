// SPDX-License-Identifier: Apache-2.0
/* The store's pool on SQLite (store.c, the successor of db.c): write
 * transactions take turns on the pool's writer lock (a connection given
 * back with its transaction open frees it), group commit (store_sync) from
 * many threads; onboard_find with two onboarding
 * certificates taking turns (its parsed-certificate cache). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "crypto.h"
#include "schema.h"
#include "store.h"
#include "hexstr.h"
#include "onboard.h"
#include "test_tmpdir.h"

#define THREADS 4
#define PER_THREAD 100

static char dir[256], path[300];

static int setup(void **state)
{
	(void)state;
	if (test_tmpdir_make(dir, sizeof(dir), "controller_db") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/ctl.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(dir);
	return 0;
}

/* The first column of sql's first row (a literal: the statement is cached). */
static int64_t count_rows(struct store *d, const char *sql)
{
	struct store_stmt *st = store_stmt(d, sql);
	int64_t n = -1;
	assert_non_null(st);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

static void *writer(void *arg)
{
	struct store_pool *p = arg;
	intptr_t fails = 0;
	for (int i = 0; i < PER_THREAD; i++) {
		struct store *d = store_get(p);
		int r = store_begin(d);
		if (r == 0)
			r = store_exec(d, "INSERT INTO t(v) VALUES(1)");
		if (r == 0)
			r = store_commit(d);
		else
			store_rollback(d);
		if (r == 0)
			r = store_sync(d);
		fails += r != 0;
		store_put(p, d);
	}
	return (void *)fails;
}

static void test_group_commit(void **state)
{
	(void)state;
	struct store_pool *p;
	pthread_t th[THREADS];
	assert_int_equal(schema_pool_open(path, THREADS, &p, NULL, 0), 0);
	struct store *d = store_get(p);
	assert_int_equal(store_exec(d, "CREATE TABLE t(v INTEGER)"), 0);
	store_put(p, d);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, p), 0);
	for (int i = 0; i < THREADS; i++) {
		void *fails;
		pthread_join(th[i], &fails);
		assert_int_equal((intptr_t)fails, 0);
	}
	d = store_get(p);
	assert_int_equal(count_rows(d, "SELECT count(*) FROM t"), THREADS * PER_THREAD);
	store_put(p, d);
	store_pool_close(p);
}

/* A connection returned mid-transaction must not keep other writers out:
 * without the release in store_put the second BEGIN waits 10 s, then fails. */
static void test_put_releases_writer(void **state)
{
	(void)state;
	struct store_pool *p;
	assert_int_equal(schema_pool_open(path, 2, &p, NULL, 0), 0);
	struct store *a = store_get(p);
	assert_int_equal(store_exec(a, "CREATE TABLE IF NOT EXISTS u(v INTEGER)"), 0);
	assert_int_equal(store_begin(a), 0);
	assert_int_equal(store_exec(a, "INSERT INTO u(v) VALUES(1)"), 0);
	/* a nested BEGIN fails and must leave the transaction (and lock) held */
	assert_true(store_begin(a) < 0);
	store_put(p, a); /* rolled back */
	time_t t0 = time(NULL);
	struct store *b = store_get(p);
	assert_int_equal(store_begin(b), 0);
	assert_true(time(NULL) - t0 < 5);
	assert_int_equal(store_exec(b, "INSERT INTO u(v) VALUES(2)"), 0);
	assert_int_equal(store_commit(b), 0);
	assert_int_equal(store_sync(b), 0);
	assert_int_equal(count_rows(b, "SELECT count(*) FROM u"), 1);
	store_put(p, b);
	store_pool_close(p);
}

static void add_onboard(struct store *d, X509 **cert, char id[65])
{
	EVP_PKEY *k;
	char *pem;
	size_t len;
	uint8_t h[32];
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_cert_selfsigned(k, "onboard", 30, cert), 0);
	assert_int_equal(crypto_cert_to_pem(*cert, &pem, &len), 0);
	assert_int_equal(crypto_cert_hash_der(*cert, h), 0);
	hexstr_encode(h, 32, id);
	struct store_stmt *st = store_stmt(d, "INSERT INTO onboard(id, pem, subject, serials, created)"
					      " VALUES(?1, ?2, 'onboard', '[]', 0)");
	assert_non_null(st);
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, pem);
	assert_int_equal(store_step_done(st), 0);
	free(pem);
	EVP_PKEY_free(k);
}

/* Six lookups of two certificates through oc (NULL: the store), then an
 * unknown hash. */
static void find_rounds(struct onboard_cache *oc, struct store *d, X509 *c[2], char id[2][65],
			uint8_t h[2][32])
{
	for (int round = 0; round < 6; round++) {
		int i = round % 2 ? 1 : 0;
		if (round >= 4)
			i = 0; /* the same one twice in a row (served parsed) */
		struct onboard_key got = {0};
		uint8_t pt[P256_POINT_LEN];
		char *serials = NULL, gid[65];
		/* senderCertHash may be the first 16 bytes of the hash */
		size_t hl = round == 3 ? 16 : 32;
		assert_int_equal(onboard_find(oc, d, h[i], hl, &got, &serials, gid), 0);
		assert_string_equal(gid, id[i]);
		assert_string_equal(serials, "[]");
		assert_int_equal(X509_cmp(got.cert, c[i]), 0);
		/* the P-256 point /register verifies with, also when served parsed */
		assert_true(got.p256);
		assert_int_equal(p256_point_of_pkey(X509_get0_pubkey(c[i]), pt), 0);
		assert_memory_equal(got.pt, pt, sizeof(pt));
		X509_free(got.cert);
		free(serials);
	}
	uint8_t unknown[32] = {0};
	struct onboard_key none = {0};
	char *ns = NULL, nid[65];
	assert_int_equal(onboard_find(oc, d, unknown, 32, &none, &ns, nid), -ENOENT);
}

static void test_onboard_two_certs(void **state)
{
	(void)state;
	struct store_pool *p;
	struct onboard_cache *oc;
	X509 *c[3];
	char id[3][65], *serials = NULL, gid[65];
	uint8_t h[3][32];
	struct onboard_key got = {0};
	assert_int_equal(schema_pool_open(path, 1, &p, NULL, 0), 0);
	struct store *d = store_get(p);
	for (int i = 0; i < 2; i++) {
		add_onboard(d, &c[i], id[i]);
		assert_int_equal(crypto_cert_hash_der(c[i], h[i]), 0);
	}
	find_rounds(NULL, d, c, id, h);
	assert_int_equal(onboard_cache_new(&oc), 0);
	find_rounds(oc, d, c, id, h);
	/* the cache holds what it read until it is dropped */
	add_onboard(d, &c[2], id[2]);
	assert_int_equal(crypto_cert_hash_der(c[2], h[2]), 0);
	assert_int_equal(onboard_find(oc, d, h[2], 32, &got, &serials, gid), -ENOENT);
	onboard_cache_drop(oc);
	assert_int_equal(onboard_find(oc, d, h[2], 32, &got, &serials, gid), 0);
	assert_string_equal(gid, id[2]);
	X509_free(got.cert);
	free(serials);
	find_rounds(oc, d, c, id, h);
	onboard_cache_free(oc);
	store_put(p, d);
	for (int i = 0; i < 3; i++)
		X509_free(c[i]);
	store_pool_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_commit),
	    cmocka_unit_test(test_put_releases_writer),
	    cmocka_unit_test(test_onboard_two_certs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
