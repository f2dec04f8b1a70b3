// SPDX-License-Identifier: Apache-2.0
/* evjwt: ES256 edge-view tokens sign, verify, parse; tampering, another
#include <stdio.h>
 * key and malformed input are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include "evjwt.h"

static int sign_with(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	return crypto_ecdsa_sign(ctx, digest, sig);
}

static char *make(EVP_PKEY *k, int64_t exp)
{
	struct evjwt_claims c = {.exp = exp, .iat = 1000};
	char *tok = NULL;
	strcpy(c.dep, "ctl.example.org:8443");
	strcpy(c.sub, "8d4a5c5e-0e4b-4a61-9c8e-2b9f5e0c1a11");
	strcpy(c.key, "nonce-1");
	assert_int_equal(evjwt_sign(&c, sign_with, k, &tok), 0);
	return tok;
}

static void test_roundtrip(void **state)
{
	(void)state;
	EVP_PKEY *k = NULL;
	struct evjwt_claims c;
	assert_int_equal(crypto_ec_generate(&k), 0);
	char *tok = make(k, 2000000000);
	assert_int_equal(evjwt_verify(tok, k, &c), 0);
	assert_string_equal(c.dep, "ctl.example.org:8443");
	assert_string_equal(c.sub, "8d4a5c5e-0e4b-4a61-9c8e-2b9f5e0c1a11");
	assert_string_equal(c.key, "nonce-1");
	assert_int_equal(c.exp, 2000000000);
	assert_int_equal(c.iat, 1000);
	memset(&c, 0, sizeof(c));
	assert_int_equal(evjwt_parse(tok, &c), 0);
	assert_int_equal(c.exp, 2000000000);
	free(tok);
	EVP_PKEY_free(k);
}

static void test_refusals(void **state)
{
	(void)state;
	EVP_PKEY *k = NULL, *other = NULL;
	struct evjwt_claims c;
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_ec_generate(&other), 0);
	char *tok = make(k, 2000000000);
	assert_int_equal(evjwt_verify(tok, other, &c), -EACCES);
	/* a changed payload (another expiry) no longer verifies */
	char *tok2 = make(k, 2000000001);
	char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
	char *p1 = strchr(tok2, '.'), *p2 = strrchr(tok2, '.');
	size_t n = (size_t)(dot1 - tok) + 1 + (size_t)(p2 - p1 - 1) + strlen(dot2) + 1;
	char *mixed = malloc(n);
	snprintf(mixed, n, "%.*s.%.*s%s", (int)(dot1 - tok), tok, (int)(p2 - p1 - 1), p1 + 1, dot2);
	assert_int_equal(evjwt_verify(mixed, k, &c), -EACCES);
	assert_int_equal(evjwt_parse("abc", &c), -EINVAL);
	assert_int_equal(evjwt_parse("a.b.c.d", &c), -EINVAL);
	assert_int_equal(evjwt_verify("a.b.c", k, &c), -EINVAL);
	/* alg none is not ours */
	assert_int_equal(evjwt_parse("eyJhbGciOiJub25lIn0.eyJleHAiOjF9.", &c), -EINVAL);
	free(mixed);
	free(tok);
	free(tok2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
