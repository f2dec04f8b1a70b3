// SPDX-License-Identifier: Apache-2.0
/* common/cipher.c: EVE's CipherBlock scheme (ECDH point, key from the
 * point, AES-256-CFB, clearTextSha256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/crypto.h>

#include "cipher.h"
#include "crypto.h"
#include "err.h"

static void ecdh_is_symmetric(void **state)
{
	EVP_PKEY *a = NULL, *b = NULL;
	uint8_t ax[32], ay[32], bx[32], by[32];

	(void)state;
	assert_int_equal(crypto_ec_generate(&a), 0);
	assert_int_equal(crypto_ec_generate(&b), 0);
	assert_int_equal(cipher_ecdh_point(a, b, ax, ay), 0);
	assert_int_equal(cipher_ecdh_point(b, a, bx, by), 0);
	assert_memory_equal(ax, bx, 32);
	assert_memory_equal(ay, by, 32);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* Like EVE (Go's big.Int.Bytes()): leading zero bytes are not hashed. */
static void key_strips_leading_zeros(void **state)
{
	uint8_t x[32], y[32], k[32], want[32], cat[63];

	(void)state;
	memset(x, 0x11, 32);
	memset(y, 0x22, 32);
	x[0] = 0;
	assert_int_equal(cipher_key_from_point(x, y, k), 0);
	memcpy(cat, x + 1, 31);
	memcpy(cat + 31, y, 32);
	crypto_sha256(cat, sizeof(cat), want);
	assert_memory_equal(k, want, 32);
}

static void seal_open_roundtrip(void **state)
{
	uint8_t key[32], ivk[32], iv[16], iv2[16], sha[32], sha2[32], *ct = NULL, *ct2 = NULL, *pt = NULL;
	const char *msg = "#cloud-config\npassword: hunter2\n";
	size_t n = strlen(msg);

	(void)state;
	memset(key, 7, sizeof(key));
	memset(ivk, 9, sizeof(ivk));
	assert_int_equal(cipher_seal(key, ivk, (const uint8_t *)msg, n, iv, &ct, sha), 0);
	assert_memory_not_equal(ct, msg, n);
	assert_int_equal(cipher_open(key, iv, 16, ct, n, sha, 32, &pt), 0);
	assert_memory_equal(pt, msg, n);
	free(pt);
	pt = NULL;
	/* equal plaintexts seal equal (deterministic configs), others differ */
	assert_int_equal(cipher_seal(key, ivk, (const uint8_t *)msg, n, iv2, &ct2, sha2), 0);
	assert_memory_equal(iv, iv2, 16);
	free(ct2);
	assert_int_equal(cipher_seal(key, ivk, (const uint8_t *)"other", 5, iv2, &ct2, sha2), 0);
	assert_memory_not_equal(iv, iv2, 16);
	free(ct2);
	/* a flipped byte or another key: clearTextSha256 catches it */
	ct[3] ^= 1;
	assert_int_equal(cipher_open(key, iv, 16, ct, n, sha, 32, &pt), -EVE_EBADSIG);
	ct[3] ^= 1;
	key[0] ^= 1;
	assert_int_equal(cipher_open(key, iv, 16, ct, n, sha, 32, &pt), -EVE_EBADSIG);
	assert_int_equal(cipher_open(key, iv, 8, ct, n, sha, 32, &pt), -EVE_EPROTO);
	assert_null(pt);
	free(ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ecdh_is_symmetric),
	    cmocka_unit_test(key_strips_leading_zeros),
	    cmocka_unit_test(seal_open_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
