// SPDX-License-Identifier: Apache-2.0
/* common/p256: certificate keys read from DER without OpenSSL's decoder,
 * verify with a bare point, PEM <-> DER; malformed input is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "err.h"
#include "p256.h"

struct fixture {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *der;
	size_t der_len;
	uint8_t point[P256_POINT_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(crypto_ec_generate(&f->key), 0);
	assert_int_equal(crypto_cert_selfsigned(f->key, "p256-test", 30, &f->cert), 0);
	assert_int_equal(crypto_cert_to_der(f->cert, &f->der, &f->der_len), 0);
	assert_int_equal(p256_point_of_pkey(f->key, f->point), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY_free(f->key);
	X509_free(f->cert);
	free(f->der);
	free(f);
	return 0;
}

static void test_parse(void **state)
{
	struct fixture *f = *state;
	struct p256_cert pc;
	uint8_t h[CRYPTO_SHA256_LEN];
	assert_int_equal(p256_cert_parse(f->der, f->der_len, &pc), 0);
	assert_memory_equal(pc.point, f->point, P256_POINT_LEN);
	assert_int_equal(crypto_cert_hash_der(f->cert, h), 0);
	assert_memory_equal(pc.hash, h, sizeof(h));
	assert_ptr_equal(pc.der, f->der);
	assert_int_equal(pc.der_len, f->der_len);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct p256_cert pc;
	/* every truncation, and trailing bytes, are refused */
	for (size_t n = 0; n < f->der_len; n++)
		assert_int_equal(p256_cert_parse(f->der, n, &pc), -EVE_EBADCERT);
	uint8_t *longer = malloc(f->der_len + 1);
	assert_non_null(longer);
	memcpy(longer, f->der, f->der_len);
	longer[f->der_len] = 0;
	assert_int_equal(p256_cert_parse(longer, f->der_len + 1, &pc), -EVE_EBADCERT);
	/* any single flipped byte: refused or, if still a certificate, the
	 * same length and a point on the curve (never a crash, ASan) */
	for (size_t i = 0; i < f->der_len; i++) {
		memcpy(longer, f->der, f->der_len);
		longer[i] ^= 0x5a;
		if (p256_cert_parse(longer, f->der_len, &pc) == 0)
			assert_int_equal(p256_point_check(pc.point), 0);
	}
	free(longer);
	assert_int_equal(p256_cert_parse(NULL, 10, &pc), -EVE_EBADCERT);
}

static void test_rsa_refused(void **state)
{
	(void)state;
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509 *c = NULL;
	uint8_t *der = NULL, pt[P256_POINT_LEN];
	size_t len;
	struct p256_cert pc;
	assert_non_null(rsa);
	assert_int_equal(crypto_cert_selfsigned(rsa, "rsa", 30, &c), 0);
	assert_int_equal(crypto_cert_to_der(c, &der, &len), 0);
	assert_int_equal(p256_cert_parse(der, len, &pc), -EVE_EBADCERT);
	assert_int_equal(p256_point_of_pkey(rsa, pt), -EINVAL);
	free(der);
	X509_free(c);
	EVP_PKEY_free(rsa);
}

static void test_verify(void **state)
{
	struct fixture *f = *state;
	uint8_t digest[32], sig[CRYPTO_SIG_LEN], *der = NULL;
	size_t len;
	crypto_sha256("message", 7, digest);
	assert_int_equal(crypto_ecdsa_sign(f->key, digest, sig), 0);
	assert_int_equal(p256_verify(f->point, digest, sig, sizeof(sig)), 0);
	assert_int_equal(crypto_sig_raw_to_der(sig, &der, &len), 0);
	assert_int_equal(p256_verify(f->point, digest, der, len), 0);
	/* DER with a trailing byte is not a strict encoding */
	uint8_t *more = malloc(len + 1);
	assert_non_null(more);
	memcpy(more, der, len);
	more[len] = 0;
	assert_int_equal(p256_verify(f->point, digest, more, len + 1), -EVE_EBADSIG);
	free(more);
	free(der);
	digest[0] ^= 1;
	assert_int_equal(p256_verify(f->point, digest, sig, sizeof(sig)), -EVE_EBADSIG);
	digest[0] ^= 1;
	sig[10] ^= 1;
	assert_int_equal(p256_verify(f->point, digest, sig, sizeof(sig)), -EVE_EBADSIG);
	sig[10] ^= 1;
	/* another key's point */
	EVP_PKEY *other = NULL;
	uint8_t opt[P256_POINT_LEN];
	assert_int_equal(crypto_ec_generate(&other), 0);
	assert_int_equal(p256_point_of_pkey(other, opt), 0);
	assert_int_equal(p256_verify(opt, digest, sig, sizeof(sig)), -EVE_EBADSIG);
	EVP_PKEY_free(other);
	/* a point off the curve is no key */
	memcpy(opt, f->point, sizeof(opt));
	opt[64] ^= 1;
	assert_int_equal(p256_point_check(opt), -EINVAL);
	assert_int_equal(p256_verify(opt, digest, sig, sizeof(sig)), -EVE_EBADSIG);
	assert_int_equal(p256_verify(f->point, digest, sig, 63), -EVE_EBADSIG);
}

static void test_pem(void **state)
{
	struct fixture *f = *state;
	char *pem = NULL;
	uint8_t *der = NULL;
	size_t len;
	X509 *back = NULL;
	assert_int_equal(p256_der_to_pem(f->der, f->der_len, &pem), 0);
	/* OpenSSL reads what we write */
	assert_int_equal(crypto_cert_from_pem(pem, strlen(pem), &back), 0);
	X509_free(back);
	assert_int_equal(p256_pem_to_der(pem, strlen(pem), &der, &len), 0);
	assert_int_equal(len, f->der_len);
	assert_memory_equal(der, f->der, len);
	free(der);
	/* no END line, no BEGIN line, bad base64 */
	size_t pl = strlen(pem);
	assert_int_equal(p256_pem_to_der(pem, pl - 20, &der, &len), -EVE_EBADCERT);
	assert_int_equal(p256_pem_to_der(pem + 5, pl - 5, &der, &len), -EVE_EBADCERT);
	pem[40] = '*';
	assert_int_equal(p256_pem_to_der(pem, pl, &der, &len), -EVE_EBADCERT);
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),       cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_rsa_refused), cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_pem),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
