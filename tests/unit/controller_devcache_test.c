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

#include "crypto.h"
#include "devcache.h"

static void make_key(EVP_PKEY **k)
{
	assert_int_equal(crypto_ec_generate(k), 0);
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
	EVP_PKEY *k;
	uint8_t h[32];
	char u[UUID_STR_LEN];
	struct devcache_view v;
	make_key(&k);
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
		EVP_PKEY_free(v.pub);
		assert_int_equal(devcache_lookup(c, h, 16, &v), 0); /* SHA256_16BYTES */
		EVP_PKEY_free(v.pub);
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
	EVP_PKEY_free(k);
}

static void test_config_generations(void **state)
{
	struct devcache *c;
	EVP_PKEY *k;
	uint8_t h[32], *env = NULL;
	size_t len;
	uint64_t gen;
	char u[UUID_STR_LEN], hash[CONFIGHASH_LEN];
	struct devcache_view v;
	make_key(&k);
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
	EVP_PKEY_free(v.pub);
	/* An invalidation makes a build started earlier unstorable. */
	devcache_invalidate(c, u);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_put_config(c, u, g0, (uint8_t *)strdup("old"), 3, "stale");
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_put_config(c, u, devcache_gen(c, u), (uint8_t *)strdup("new"), 3, "h2");
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), 0);
	assert_string_equal(hash, "h2");
	free(env);
	devcache_invalidate(c, NULL);
	assert_int_equal(devcache_get_config(c, u, &env, &len, hash, &gen), -ENOENT);
	devcache_touch(c, h, 32, 1234);
	assert_int_equal(devcache_last_seen(c, u), 1234);
	devcache_free(c);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_config_generations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
