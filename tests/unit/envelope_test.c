// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/envelope: AuthContainer seal/parse/verify and the
 * ways a container can be wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "auth/auth.pb-c.h"
#include "b64.h"
#include "crypto.h"
#include "envelope.h"
#include "err.h"

#define ALGO_16 ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES
#define ALGO_32 ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES

static const uint8_t PAYLOAD[] = "an EVE API message body \x00\x01\x02\xff";

struct fixture {
	EVP_PKEY *key, *other_key;
	X509 *cert, *other_cert;
	struct eve_signer signer;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || crypto_ec_generate(&f->key) || crypto_ec_generate(&f->other_key) ||
	    crypto_cert_selfsigned(f->key, "dev", 30, &f->cert) ||
	    crypto_cert_selfsigned(f->other_key, "other", 30, &f->other_cert) ||
	    envelope_signer_from_key(&f->signer, f->key, f->cert, false))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	envelope_signer_clear(&f->signer);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other_key);
	X509_free(f->cert);
	X509_free(f->other_cert);
	free(f);
	return 0;
}

static void seal(struct fixture *f, bool with_cert, uint8_t **out, size_t *len)
{
	assert_int_equal(envelope_seal(&f->signer, PAYLOAD, sizeof(PAYLOAD), with_cert, out, len), 0);
}

/* Decode a sealed container, let fn change it (fields may point to memory
 * fn borrows), encode it again. */
static void repack(uint8_t **buf, size_t *len, void (*fn)(Org__Lfedge__Eve__Auth__AuthContainer *, void *),
		   void *arg)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac =
	    org__lfedge__eve__auth__auth_container__unpack(NULL, *len, *buf);
	Org__Lfedge__Eve__Auth__AuthContainer saved;
	uint8_t *out;
	size_t n;

	assert_non_null(ac);
	saved = *ac;
	fn(ac, arg);
	n = org__lfedge__eve__auth__auth_container__get_packed_size(ac);
	out = malloc(n + 1);
	assert_non_null(out);
	org__lfedge__eve__auth__auth_container__pack(ac, out);
	*ac = saved; /* free what unpack allocated, not what fn borrowed */
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(*buf);
	*buf = out;
	*len = n;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL, hash[32];
	size_t len = 0;

	seal(f, false, &buf, &len);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_int_equal(env.payload_len, sizeof(PAYLOAD));
	assert_memory_equal(env.payload, PAYLOAD, sizeof(PAYLOAD));
	assert_int_equal(env.sig_len, 64);
	assert_int_equal(env.cert_hash_len, 32);
	assert_null(env.sender_cert_pem);
	assert_int_equal(crypto_cert_hash_der(f->cert, hash), 0);
	assert_true(envelope_cert_hash_matches(&env, hash));
	assert_int_equal(envelope_verify(&env, f->key), 0);
	/* The algorithm on the wire is SHA256_32BYTES. */
	assert_int_equal(((Org__Lfedge__Eve__Auth__AuthContainer *)env.container)->algo, ALGO_32);
	envelope_clear(&env);
	envelope_clear(&env); /* twice is safe */
	free(buf);
}

static void test_with_cert(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL;
	size_t len = 0;
	X509 *sent = NULL;

	seal(f, true, &buf, &len);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_non_null(env.sender_cert_pem);
	assert_string_equal(env.sender_cert_pem, f->signer.cert_pem);
	assert_int_equal(crypto_cert_from_pem(env.sender_cert_pem, strlen(env.sender_cert_pem), &sent), 0);
	assert_int_equal(X509_cmp(sent, f->cert), 0);
	X509_free(sent);
	envelope_clear(&env);
	free(buf);
}

static void set_cert_raw_pem(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	ac->sendercert.data = (uint8_t *)arg;
	ac->sendercert.len = strlen(arg);
}

/* Some senders put the PEM text itself in senderCert; bad base64 fails. */
static void test_sender_cert_forms(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL;
	size_t len = 0;

	seal(f, false, &buf, &len);
	repack(&buf, &len, set_cert_raw_pem, f->signer.cert_pem);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_string_equal(env.sender_cert_pem, f->signer.cert_pem);
	envelope_clear(&env);
	repack(&buf, &len, set_cert_raw_pem, "!!not base64!!");
	assert_int_equal(envelope_parse(buf, len, &env), -EVE_EPROTO);
	free(buf);
}

/* Flip one payload byte inside the encoded container. */
static void test_flipped_payload(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL, *p;
	size_t len = 0;

	seal(f, false, &buf, &len);
	p = memmem(buf, len, PAYLOAD, sizeof(PAYLOAD));
	assert_non_null(p);
	p[3] ^= 0x01;
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_int_equal(envelope_verify(&env, f->key), -EVE_EBADSIG);
	envelope_clear(&env);
	free(buf);
}

static void test_wrong_cert_and_key(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL, hash[32];
	size_t len = 0;

	seal(f, false, &buf, &len);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_int_equal(envelope_verify(&env, f->other_key), -EVE_EBADSIG);
	assert_int_equal(crypto_cert_hash_der(f->other_cert, hash), 0);
	assert_false(envelope_cert_hash_matches(&env, hash));
	assert_int_equal(envelope_verify(&env, NULL), -EVE_EBADSIG);
	envelope_clear(&env);
	free(buf);
}

static void set_algo(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	ac->algo = *(int *)arg;
}

static void set_algo16_hash(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	ac->algo = ALGO_16;
	ac->sendercerthash.len = 16;
}

/* algo must agree with the hash length; 16-byte hashes match on a prefix. */
static void test_hash_algorithm(void **state)
{
	struct fixture *f = *state;
	static const int bad_algos[] = {0, ALGO_16, 3, 99};
	struct envelope env;
	uint8_t *buf = NULL, hash[32];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(bad_algos) / sizeof(bad_algos[0]); i++) {
		int a = bad_algos[i];

		seal(f, false, &buf, &len);
		repack(&buf, &len, set_algo, &a);
		assert_int_equal(envelope_parse(buf, len, &env), -EVE_EPROTO);
		assert_null(env.container);
		free(buf);
	}
	seal(f, false, &buf, &len);
	repack(&buf, &len, set_algo16_hash, NULL);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_int_equal(env.cert_hash_len, 16);
	assert_int_equal(crypto_cert_hash_der(f->cert, hash), 0);
	assert_true(envelope_cert_hash_matches(&env, hash));
	hash[20] ^= 1; /* past the first 16 bytes: still the same name */
	assert_true(envelope_cert_hash_matches(&env, hash));
	hash[3] ^= 1;
	assert_false(envelope_cert_hash_matches(&env, hash));
	assert_int_equal(envelope_verify(&env, f->key), 0);
	envelope_clear(&env);
	free(buf);
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL;
	size_t len = 0;

	/* Without senderCert the signature is the last field: every proper
	 * prefix lacks something and must fail cleanly. */
	seal(f, false, &buf, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n + 1); /* exact size, for ASan */

		assert_non_null(copy);
		memcpy(copy, buf, n);
		assert_int_equal(envelope_parse(n ? copy : NULL, n, &env), -EVE_EPROTO);
		free(copy);
	}
	free(buf);
	/* With senderCert, truncation inside it fails too. */
	seal(f, true, &buf, &len);
	assert_int_equal(envelope_parse(buf, len - 1, &env), -EVE_EPROTO);
	assert_int_equal(envelope_parse(buf, len - 40, &env), -EVE_EPROTO);
	free(buf);
}

static void test_garbage(void **state)
{
	static const char *junk[] = {"hello world", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x0a\x05",
				     "\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", "\x22\x40"};
	struct envelope env;
	uint8_t bytes[512];
	unsigned int seed = 12345;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(envelope_parse((const uint8_t *)junk[i], strlen(junk[i]), &env),
				 -EVE_EPROTO);
	/* Random bytes: never a crash; an accidental parse must still fail to
	 * verify. */
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + (size_t)rand_r(&seed) % sizeof(bytes);

		for (size_t j = 0; j < n; j++)
			bytes[j] = (uint8_t)rand_r(&seed);
		if (envelope_parse(bytes, n, &env) == 0) {
			EVP_PKEY *k = NULL;

			assert_int_equal(crypto_ec_generate(&k), 0);
			assert_int_equal(envelope_verify(&env, k), -EVE_EBADSIG);
			EVP_PKEY_free(k);
			envelope_clear(&env);
		}
	}
}

static void clear_payload(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	ac->protectedpayload = NULL;
}

static void clear_sig(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	ac->signaturehash.len = 0;
}

static void test_missing_fields(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	uint8_t *buf = NULL;
	size_t len = 0;

	seal(f, false, &buf, &len);
	repack(&buf, &len, clear_payload, NULL);
	assert_int_equal(envelope_parse(buf, len, &env), -EVE_EPROTO);
	free(buf);
	seal(f, false, &buf, &len);
	repack(&buf, &len, clear_sig, NULL);
	assert_int_equal(envelope_parse(buf, len, &env), -EVE_EPROTO);
	free(buf);
	assert_int_equal(envelope_parse(NULL, 0, &env), -EVE_EPROTO);
	assert_int_equal(envelope_parse((const uint8_t *)"x", ENVELOPE_MAX + 1, &env), -EVE_ETOOBIG);
}

struct der_arg {
	uint8_t *der;
	size_t len;
};

static void set_der_sig(Org__Lfedge__Eve__Auth__AuthContainer *ac, void *arg)
{
	struct der_arg *d = arg;

	assert_int_equal(crypto_sig_raw_to_der(ac->signaturehash.data, &d->der, &d->len), 0);
	ac->signaturehash.data = d->der;
	ac->signaturehash.len = d->len;
}

/* Peers that send ASN.1 DER signatures are accepted. */
static void test_der_signature(void **state)
{
	struct fixture *f = *state;
	struct envelope env;
	struct der_arg d = {0};
	uint8_t *buf = NULL;
	size_t len = 0;

	seal(f, false, &buf, &len);
	repack(&buf, &len, set_der_sig, &d);
	assert_int_equal(envelope_parse(buf, len, &env), 0);
	assert_int_equal(env.sig_len, d.len);
	assert_int_not_equal(env.sig_len, 64);
	assert_int_equal(env.sig[0], 0x30);
	assert_int_equal(envelope_verify(&env, f->key), 0);
	assert_int_equal(envelope_verify(&env, f->other_key), -EVE_EBADSIG);
	envelope_clear(&env);
	free(d.der);
	free(buf);
}

/* senderCertHash: SHA-256 of DER for device certs, of the PEM text for the
 * controller signing cert. */
static void test_cert_hash_rules(void **state)
{
	struct fixture *f = *state;
	struct eve_signer s;
	uint8_t der_hash[32], pem_hash[32];
	char *pem = NULL;
	size_t pem_len = 0;

	assert_int_equal(crypto_cert_hash_der(f->cert, der_hash), 0);
	assert_int_equal(crypto_cert_to_pem(f->cert, &pem, &pem_len), 0);
	assert_int_equal(crypto_sha256(pem, pem_len, pem_hash), 0);
	assert_memory_not_equal(der_hash, pem_hash, 32);
	assert_memory_equal(f->signer.cert_hash, der_hash, 32);
	assert_int_equal(envelope_signer_from_key(&s, f->key, f->cert, true), 0);
	assert_memory_equal(s.cert_hash, pem_hash, 32);
	assert_string_equal(s.cert_pem, pem);
	envelope_signer_clear(&s);
	assert_null(s.cert_pem);
	free(pem);
	assert_int_equal(envelope_signer_from_key(&s, NULL, f->cert, false), -EINVAL);
}

static int failing_sign(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	return -EVE_ECRYPTO;
}

/* A signer behind a function (the TPM's shape): its errors come back. */
static void test_custom_signer(void **state)
{
	struct fixture *f = *state;
	struct eve_signer s = {.sign = failing_sign};
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(envelope_seal(&s, PAYLOAD, sizeof(PAYLOAD), false, &buf, &len), -EVE_ECRYPTO);
	assert_null(buf);
	/* with_cert needs a certificate. */
	s = f->signer;
	s.cert_pem = NULL;
	assert_int_equal(envelope_seal(&s, PAYLOAD, sizeof(PAYLOAD), true, &buf, &len), -EINVAL);
	/* An empty payload seals and verifies. */
	assert_int_equal(envelope_seal(&f->signer, NULL, 0, false, &buf, &len), 0);
	{
		struct envelope env;

		assert_int_equal(envelope_parse(buf, len, &env), 0);
		assert_int_equal(env.payload_len, 0);
		assert_int_equal(envelope_verify(&env, f->key), 0);
		envelope_clear(&env);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_with_cert),
	    cmocka_unit_test(test_sender_cert_forms),  cmocka_unit_test(test_flipped_payload),
	    cmocka_unit_test(test_wrong_cert_and_key), cmocka_unit_test(test_hash_algorithm),
	    cmocka_unit_test(test_truncated),          cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_missing_fields),     cmocka_unit_test(test_der_signature),
	    cmocka_unit_test(test_cert_hash_rules),    cmocka_unit_test(test_custom_signer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
