// SPDX-License-Identifier: Apache-2.0
/* db: write transactions take turns on the pool's writer lock (a
 * connection given back with its transaction open frees it), group commit
 * (db_sync) from many threads; onboard_find with two onboarding
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
#include "db.h"
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

static void *writer(void *arg)
{
	struct db_pool *p = arg;
	intptr_t fails = 0;
	for (int i = 0; i < PER_THREAD; i++) {
		struct db *d = db_get(p);
		int r = db_begin(d);
		if (r == 0)
			r = db_exec(d, "INSERT INTO t(v) VALUES(1)");
		if (r == 0)
			r = db_commit(d);
		else
			db_rollback(d);
		if (r == 0)
			r = db_sync(d);
		fails += r != 0;
		db_put(p, d);
	}
	return (void *)fails;
}

static void test_group_commit(void **state)
{
	(void)state;
	struct db_pool *p;
	pthread_t th[THREADS];
	assert_int_equal(db_pool_open(path, THREADS, &p, NULL, 0), 0);
	struct db *d = db_get(p);
	assert_int_equal(db_exec(d, "CREATE TABLE t(v INTEGER)"), 0);
	db_put(p, d);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, p), 0);
	for (int i = 0; i < THREADS; i++) {
		void *fails;
		pthread_join(th[i], &fails);
		assert_int_equal((intptr_t)fails, 0);
	}
	d = db_get(p);
	assert_int_equal(db_count(d, "t"), THREADS * PER_THREAD);
	db_put(p, d);
	db_pool_close(p);
}

/* A connection returned mid-transaction must not keep other writers out:
 * without the release in db_put the second BEGIN waits 10 s, then fails. */
static void test_put_releases_writer(void **state)
{
	(void)state;
	struct db_pool *p;
	assert_int_equal(db_pool_open(path, 2, &p, NULL, 0), 0);
	struct db *a = db_get(p);
	assert_int_equal(db_exec(a, "CREATE TABLE IF NOT EXISTS u(v INTEGER)"), 0);
	assert_int_equal(db_begin(a), 0);
	assert_int_equal(db_exec(a, "INSERT INTO u(v) VALUES(1)"), 0);
	/* a nested BEGIN fails and must leave the transaction (and lock) held */
	assert_true(db_begin(a) < 0);
	db_put(p, a); /* rolled back */
	time_t t0 = time(NULL);
	struct db *b = db_get(p);
	assert_int_equal(db_begin(b), 0);
	assert_true(time(NULL) - t0 < 5);
	assert_int_equal(db_exec(b, "INSERT INTO u(v) VALUES(2)"), 0);
	assert_int_equal(db_commit(b), 0);
	assert_int_equal(db_sync(b), 0);
	assert_int_equal(db_count(b, "u"), 1);
	db_put(p, b);
	db_pool_close(p);
}

static void add_onboard(struct db *d, X509 **cert, char id[65])
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
	sqlite3_stmt *st = db_stmt(d, "INSERT INTO onboard(id, pem, subject, serials, created)"
				      " VALUES(?1, ?2, 'onboard', '[]', 0)");
	assert_non_null(st);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pem, -1, SQLITE_STATIC);
	assert_int_equal(db_step_done(st), 0);
	free(pem);
	EVP_PKEY_free(k);
}

static void test_onboard_two_certs(void **state)
{
	(void)state;
	struct db_pool *p;
	X509 *c[2];
	char id[2][65];
	uint8_t h[2][32];
	assert_int_equal(db_pool_open(path, 1, &p, NULL, 0), 0);
	struct db *d = db_get(p);
	for (int i = 0; i < 2; i++) {
		add_onboard(d, &c[i], id[i]);
		assert_int_equal(crypto_cert_hash_der(c[i], h[i]), 0);
	}
	for (int round = 0; round < 6; round++) {
		int i = round % 2 ? 1 : 0;
		if (round >= 4)
			i = 0; /* the same one twice in a row (served parsed) */
		struct onboard_key got = {0};
		uint8_t pt[P256_POINT_LEN];
		char *serials = NULL, gid[65];
		/* senderCertHash may be the first 16 bytes of the hash */
		size_t hl = round == 3 ? 16 : 32;
		assert_int_equal(onboard_find(d, h[i], hl, &got, &serials, gid), 0);
		assert_string_equal(gid, id[i]);
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
	assert_int_equal(onboard_find(d, unknown, 32, &none, &ns, nid), -ENOENT);
	db_put(p, d);
	for (int i = 0; i < 2; i++)
		X509_free(c[i]);
	db_pool_close(p);
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
