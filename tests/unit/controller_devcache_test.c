// SPDX-License-Identifier: Apache-2.0
/* devcache: lookups by cert hash (16/32 bytes) and uuid, config caching
 * with generations, removal, growth. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>

#include "crypto.h"
#include "devcache.h"
#include "p256.h"

static void make_key(uint8_t k[P256_POINT_LEN])
{
	EVP_PKEY *key = NULL;
	assert_int_equal(crypto_ec_generate(&key), 0);
	assert_int_equal(p256_point_of_pkey(key, k), 0);
	EVP_PKEY_free(key);
}

static void hash_of(int i, uint8_t h[32])
{
	char s[32];
	snprintf(s, sizeof(s), "device-%d", i);
	crypto_sha256(s, strlen(s), h);
}

static void uuid_of(int i, char u[UUID_STR_LEN])
{
	snprintf(u, UUID_STR_LEN, "00000000-0000-4000-8000-%012d", i);
}

static void test_lookup(void **state)
{
	struct devcache *c;
	uint8_t k[P256_POINT_LEN];
	uint8_t h[32];
	char u[UUID_STR_LEN];
	struct devcache_view v;
	make_key(k);
	assert_int_equal(devcache_new(&c), 0);
	for (int i = 0; i < 5000; i++) {
		hash_of(i, h);
		uuid_of(i, u);
		assert_int_equal(devcache_add(c, h, u, k, 0), 0);
	}
	assert_int_equal(devcache_count(c), 5000);
	for (int i = 0; i < 5000; i += 97) {
		hash_of(i, h);
		uuid_of(i, u);
		assert_int_equal(devcache_lookup(c, h, 32, &v), 0);
		assert_string_equal(v.uuid, u);
		assert_int_equal(devcache_lookup(c, h, 16, &v), 0); /* SHA256_16BYTES */
		assert_true(devcache_has_uuid(c, u));
	}
	hash_of(99999, h);
	assert_int_equal(devcache_lookup(c, h, 32, &v), -ENOENT);
	assert_int_equal(devcache_lookup(c, h, 8, &v), -ENOENT);
	uuid_of(7, u);
	devcache_remove(c, u);
	hash_of(7, h);
	assert_int_equal(devcache_lookup(c, h, 32, &v), -ENOENT);
	assert_false(devcache_has_uuid(c, u));
	assert_int_equal(devcache_count(c), 4999);
	devcache_free(c);
}

static void test_config_generations(void **state)
{
	struct devcache *c;
	uint8_t k[P256_POINT_LEN];
	uint8_t h[32], *env = NULL;
	size_t len;
	uint64_t gen;
	char u[UUID_STR_LEN], hash[CONFIGHASH_LEN];
	struct devcache_view v;
	make_key(k);
	assert_int_equal(devcache_new(&c), 0);
	hash_of(1, h);
	uuid_of(1, u);
	assert_int_equal(devcache_add(c, h, u, k, 0), 0);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	uint64_t g0 = devcache_gen(c, u);
	devcache_put_config(c, u, g0, (uint8_t *)strdup("abc"), 3, "h1");
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(env, "abc", 3);
	assert_string_equal(hash, "h1");
	free(env);
	assert_int_equal(devcache_lookup(c, h, 32, &v), 0);
	assert_string_equal(v.cfg_hash, "h1");
	/* An invalidation makes a build started earlier unstorable. */
	devcache_invalidate(c, u);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_put_config(c, u, g0, (uint8_t *)strdup("old"), 3, "stale");
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_put_config(c, u, devcache_gen(c, u), (uint8_t *)strdup("new"), 3, "h2");
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), 0);
	assert_string_equal(hash, "h2");
	free(env);
	/* Once the device has it, only the hash stays (a stale gen changes nothing). */
	assert_int_equal(devcache_lookup(c, h, 32, &v), 0);
	assert_true(v.cfg_env_held);
	devcache_drop_config_env(c, h, 32, v.gen + 1);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), 0);
	free(env);
	devcache_drop_config_env(c, h, 16, v.gen);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	assert_int_equal(devcache_lookup(c, h, 32, &v), 0);
	assert_false(v.cfg_env_held);
	assert_string_equal(v.cfg_hash, "h2");
	devcache_invalidate(c, NULL);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_touch(c, h, 32, 1234);
	assert_int_equal(devcache_last_seen(c, u), 1234);
	devcache_free(c);
}

static void count_seen(void *ctx, const char *uuid, int64_t t)
{
	int64_t *n = ctx;
	(void)uuid;
	(void)t;
	(*n)++;
}

/* last_seen is written when it moved by min_age (periodic flush) or at all
 * (min_age 0, at shutdown); a device loaded with a time starts from it. */
static void test_flush_seen_min_age(void **state)
{
	struct devcache *c;
	uint8_t k[P256_POINT_LEN], h[32];
	char u[UUID_STR_LEN];
	int64_t n = 0;
	(void)state;
	make_key(k);
	assert_int_equal(devcache_new(&c), 0);
	hash_of(1, h);
	uuid_of(1, u);
	assert_int_equal(devcache_add(c, h, u, k, 0), 0);
	hash_of(2, h);
	uuid_of(2, u);
	assert_int_equal(devcache_add(c, h, u, k, 1000), 0);
	devcache_flush_seen(c, 300, count_seen, &n);
	assert_int_equal(n, 0); /* nothing moved */
	hash_of(1, h);
	devcache_touch(c, h, 32, 1100); /* first contact: 1100 - 0 */
	hash_of(2, h);
	devcache_touch(c, h, 32, 1100); /* 100 s after its stored time */
	devcache_flush_seen(c, 300, count_seen, &n);
	assert_int_equal(n, 1);
	devcache_touch(c, h, 32, 1300); /* 300 s after the stored 1000 */
	devcache_flush_seen(c, 300, count_seen, &n);
	assert_int_equal(n, 2);
	devcache_touch(c, h, 32, 1301);
	devcache_flush_seen(c, 300, count_seen, &n);
	assert_int_equal(n, 2);
	devcache_flush_seen(c, 0, count_seen, &n); /* shutdown: every change */
	assert_int_equal(n, 3);
	devcache_flush_seen(c, 0, count_seen, &n);
	assert_int_equal(n, 3);
	devcache_free(c);
}

/* Readers poll while writers invalidate, store configs, add and remove. */
struct stress {
	struct devcache *c;
	const uint8_t *k;
	int id;
};

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	uint8_t h[32];
	struct devcache_view v;
	for (int n = 0; n < 20000; n++) {
		hash_of(n % 64, h);
		if (devcache_lookup(s->c, h, 32, &v) == 0) {
			devcache_touch(s->c, h, 16, n);
		}
	}
	return NULL;
}

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	uint8_t h[32], *env;
	char u[UUID_STR_LEN], hash[CONFIGHASH_LEN];
	size_t len;
	uint64_t gen;
	for (int n = 0; n < 5000; n++) {
		int i = (n * 7 + s->id) % 64;
		uuid_of(i, u);
		hash_of(i, h);
		switch (n % 4) {
		case 0:
			devcache_invalidate(s->c, u);
			break;
		case 1:
			devcache_put_config(s->c, u, devcache_gen(s->c, u), (uint8_t *)strdup("cfg"), 3, "h");
			break;
		case 2:
			if (devcache_get_config(s->c, u, &env, &len, hash, &gen) == 0)
				free(env);
			break;
		default:
			devcache_remove(s->c, u);
			devcache_add(s->c, h, u, s->k, n);
		}
	}
	return NULL;
}

static void test_concurrency(void **state)
{
	struct devcache *c;
	uint8_t k[P256_POINT_LEN];
	uint8_t h[32];
	char u[UUID_STR_LEN];
	make_key(k);
	assert_int_equal(devcache_new(&c), 0);
	for (int i = 0; i < 64; i++) {
		hash_of(i, h);
		uuid_of(i, u);
		assert_int_equal(devcache_add(c, h, u, k, 0), 0);
	}
	pthread_t t[6];
	struct stress s[6];
	for (int i = 0; i < 6; i++) {
		s[i] = (struct stress){c, k, i};
		assert_int_equal(pthread_create(&t[i], NULL, i < 3 ? stress_reader : stress_writer, &s[i]),
				 0);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(devcache_count(c), 64);
	devcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_config_generations),
	    cmocka_unit_test(test_flush_seen_min_age),
	    cmocka_unit_test(test_concurrency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
