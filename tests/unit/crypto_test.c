// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/crypto: keys, certificates, chains, ECDSA. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"

static void test_sha256_vector(void **state)
{
	uint8_t d[CRYPTO_SHA256_LEN];
	char hex[65];

	assert_int_equal(crypto_sha256("abc", 3, d), 0);
	hexstr_encode(d, sizeof(d), hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(crypto_sha256("", 0, d), 0);
	hexstr_encode(d, sizeof(d), hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_key_save_load(void **state)
{
	char dir[] = "/tmp/eve-crypto-XXXXXX";
	char path[128];
	EVP_PKEY *k = NULL, *k2 = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_key_save_pem(path, k), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(crypto_key_load_pem(path, &k2), 0);
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	/* Not a key: an error, not a crash. */
	assert_int_equal(fileio_write_atomic(path, "garbage", 7, 0600), 0);
	assert_int_equal(crypto_key_load_pem(path, &k2), -EVE_ECRYPTO);
	unlink(path);
	assert_int_equal(crypto_key_load_pem(path, &k2), -ENOENT);
	rmdir(dir);
	EVP_PKEY_free(k);
}

static void test_pubkey_from_point(void **state)
{
	EVP_PKEY *k = NULL, *pub = NULL;
	uint8_t pt[65], digest[32], sig[64];
	size_t len = 0;

	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len),
			 1);
	assert_int_equal(len, 65);
	assert_int_equal(crypto_pubkey_from_point(pt, len, &pub), 0);
	assert_int_equal(EVP_PKEY_eq(k, pub), 1);
	/* The public key verifies what the private key signs. */
	memset(digest, 7, sizeof(digest));
	assert_int_equal(crypto_ecdsa_sign(k, digest, sig), 0);
	assert_int_equal(crypto_ecdsa_verify(pub, digest, sig, sizeof(sig)), 0);
	EVP_PKEY_free(pub);
	/* Wrong length, compressed prefix, off-curve point: refused. */
	assert_int_equal(crypto_pubkey_from_point(pt, 64, &pub), -EINVAL);
	pt[0] = 0x02;
	assert_int_equal(crypto_pubkey_from_point(pt, 65, &pub), -EINVAL);
	pt[0] = 0x04;
	pt[64] ^= 1;
	assert_int_equal(crypto_pubkey_from_point(pt, 65, &pub), -EINVAL);
	EVP_PKEY_free(k);
}

/* Days from now until the certificate's notAfter. */
static int cert_days_left(X509 *c)
{
	int days = 0, secs = 0;

	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(c)), 1);
	return days;
}

static void test_selfsigned(void **state)
{
	EVP_PKEY *k = NULL;
	X509 *c = NULL, *c2 = NULL;
	char *pem = NULL;
	size_t len = 0;
	uint8_t *der = NULL, h1[32], h2[32];
	char cn[64];
	BASIC_CONSTRAINTS *bc;

	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_cert_selfsigned(k, "device-1", 7300, &c), 0);
	assert_in_range(cert_days_left(c), 7299, 7300); /* 20 years */
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn, sizeof(cn)),
			 8);
	assert_string_equal(cn, "device-1");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)), 0);
	assert_int_equal(X509_verify(c, k), 1);
	bc = X509_get_ext_d2i(c, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_non_null(X509_get0_subject_key_id(c));
	assert_int_equal(X509_get_key_usage(c) & KU_DIGITAL_SIGNATURE, KU_DIGITAL_SIGNATURE);
	/* A self-signed certificate verifies as its own root. */
	assert_int_equal(crypto_chain_verify(c, NULL, 0, c), 0);

	/* PEM and DER round trips; the DER hash is the hash of the DER. */
	assert_int_equal(crypto_cert_to_pem(c, &pem, &len), 0);
	assert_int_equal(strlen(pem), len);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(crypto_cert_from_pem(pem, len, &c2), 0);
	assert_int_equal(X509_cmp(c, c2), 0);
	assert_int_equal(crypto_cert_to_der(c, &der, &len), 0);
	assert_int_equal(crypto_sha256(der, len, h1), 0);
	assert_int_equal(crypto_cert_hash_der(c2, h2), 0);
	assert_memory_equal(h1, h2, 32);
	free(der);
	free(pem);
	X509_free(c2);
	assert_int_equal(crypto_cert_from_pem("not a cert", 10, &c2), -EVE_EBADCERT);
	assert_int_equal(crypto_cert_selfsigned(k, "x", 0, &c2), -EVE_ECRYPTO);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void test_cert_save_load(void **state)
{
	char dir[] = "/tmp/eve-crypto-XXXXXX";
	char path[128];
	EVP_PKEY *k = NULL;
	X509 *c = NULL, *c2 = NULL;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_cert_selfsigned(k, "dev", 30, &c), 0);
	assert_int_equal(crypto_cert_save_pem(path, c), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(crypto_cert_load_pem(path, &c2), 0);
	assert_int_equal(X509_cmp(c, c2), 0);
	unlink(path);
	rmdir(dir);
	X509_free(c2);
	X509_free(c);
	EVP_PKEY_free(k);
}

struct pki {
	EVP_PKEY *root_key, *int_key, *leaf_key;
	X509 *root, *inter, *leaf;
};

static void pki_make(struct pki *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(crypto_ec_generate(&p->root_key), 0);
	assert_int_equal(crypto_ec_generate(&p->int_key), 0);
	assert_int_equal(crypto_ec_generate(&p->leaf_key), 0);
	assert_int_equal(crypto_cert_selfsigned(p->root_key, "root", 365, &p->root), 0);
	/* A self-signed cert is not a CA: re-issue the root as one. */
	X509_free(p->root);
	p->root = NULL;
	{
		X509 *tmp = NULL;

		assert_int_equal(crypto_cert_selfsigned(p->root_key, "root", 365, &tmp), 0);
		assert_int_equal(
		    crypto_cert_issue(p->root_key, "root", 365, true, tmp, p->root_key, &p->root), 0);
		X509_free(tmp);
	}
	assert_int_equal(
	    crypto_cert_issue(p->int_key, "intermediate", 365, true, p->root, p->root_key, &p->inter), 0);
	assert_int_equal(crypto_cert_issue(p->leaf_key, "leaf", 365, false, p->inter, p->int_key, &p->leaf),
			 0);
}

static void pki_free(struct pki *p)
{
	X509_free(p->root);
	X509_free(p->inter);
	X509_free(p->leaf);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->int_key);
	EVP_PKEY_free(p->leaf_key);
}

static void test_chain(void **state)
{
	struct pki p, other;
	X509 *direct = NULL;

	pki_make(&p);
	pki_make(&other);
	assert_int_equal(X509_check_ca(p.root), 1);
	assert_int_equal(X509_get_key_usage(p.inter) & KU_KEY_CERT_SIGN, KU_KEY_CERT_SIGN);
	assert_int_equal(crypto_chain_verify(p.inter, NULL, 0, p.root), 0);
	assert_int_equal(crypto_chain_verify(p.leaf, &p.inter, 1, p.root), 0);
	/* Missing intermediate, wrong root, wrong intermediate: refused. */
	assert_int_equal(crypto_chain_verify(p.leaf, NULL, 0, p.root), -EVE_EBADCERT);
	assert_int_equal(crypto_chain_verify(p.leaf, &p.inter, 1, other.root), -EVE_EBADCERT);
	assert_int_equal(crypto_chain_verify(p.leaf, &other.inter, 1, p.root), -EVE_EBADCERT);
	assert_int_equal(crypto_chain_verify(p.inter, NULL, 0, other.root), -EVE_EBADCERT);
	/* A non-CA certificate cannot issue. */
	assert_int_equal(crypto_cert_issue(other.leaf_key, "x", 30, false, p.leaf, p.leaf_key, &direct), 0);
	assert_int_equal(crypto_chain_verify(direct, (X509 *const[]){p.leaf, p.inter}, 2, p.root),
			 -EVE_EBADCERT);
	X509_free(direct);
	assert_int_equal(crypto_cert_issue(other.leaf_key, "x", 30, false, NULL, NULL, &direct), -EINVAL);
	pki_free(&p);
	pki_free(&other);
}

static void test_sig_formats(void **state)
{
	EVP_PKEY *k = NULL, *k2 = NULL;
	uint8_t digest[32], sig[64], raw[64];
	uint8_t *der = NULL;
	size_t len = 0;

	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_ec_generate(&k2), 0);
	assert_int_equal(crypto_sha256("payload", 7, digest), 0);
	assert_int_equal(crypto_ecdsa_sign(k, digest, sig), 0);
	assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 64), 0);
	/* DER form of the same signature verifies too, and converts back. */
	assert_int_equal(crypto_sig_raw_to_der(sig, &der, &len), 0);
	assert_true(len >= 8 && len <= 72);
	assert_int_equal(der[0], 0x30);
	assert_int_equal(crypto_ecdsa_verify(k, digest, der, len), 0);
	assert_int_equal(crypto_sig_der_to_raw(der, len, raw), 0);
	assert_memory_equal(raw, sig, 64);
	/* Wrong key, wrong digest, flipped bits, wrong lengths: refused. */
	assert_int_equal(crypto_ecdsa_verify(k2, digest, sig, 64), -EVE_EBADSIG);
	assert_int_equal(crypto_ecdsa_verify(k2, digest, der, len), -EVE_EBADSIG);
	digest[0] ^= 1;
	assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 64), -EVE_EBADSIG);
	digest[0] ^= 1;
	sig[40] ^= 0x10;
	assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 64), -EVE_EBADSIG);
	sig[40] ^= 0x10;
	assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 63), -EVE_EBADSIG);
	assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 0), -EVE_EBADSIG);
	assert_int_equal(crypto_ecdsa_verify(k, digest, der, len - 1), -EVE_EBADSIG);
	/* DER with trailing garbage is not accepted. */
	{
		uint8_t longer[80];

		memcpy(longer, der, len);
		longer[len] = 0;
		assert_int_equal(crypto_ecdsa_verify(k, digest, longer, len + 1), -EVE_EBADSIG);
		assert_int_equal(crypto_sig_der_to_raw(longer, len + 1, raw), -EVE_EBADSIG);
	}
	assert_int_equal(crypto_sig_der_to_raw((const uint8_t *)"\x30\x00", 2, raw), -EVE_EBADSIG);
	free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/* Raw signatures are left-padded: small r or s still take 32 bytes. */
static void test_sig_padding(void **state)
{
	uint8_t raw[64] = {0}, back[64];
	uint8_t *der = NULL;
	size_t len = 0;

	raw[31] = 5;
	raw[63] = 9;
	assert_int_equal(crypto_sig_raw_to_der(raw, &der, &len), 0);
	assert_int_equal(len, 8); /* 30 06 02 01 05 02 01 09 */
	assert_int_equal(crypto_sig_der_to_raw(der, len, back), 0);
	assert_memory_equal(raw, back, 64);
	free(der);
	/* Many signatures: some have short r or s and must still verify. */
	{
		EVP_PKEY *k = NULL;
		uint8_t digest[32], sig[64];

		assert_int_equal(crypto_ec_generate(&k), 0);
		for (int i = 0; i < 200; i++) {
			memset(digest, i, sizeof(digest));
			assert_int_equal(crypto_ecdsa_sign(k, digest, sig), 0);
			assert_int_equal(crypto_ecdsa_verify(k, digest, sig, 64), 0);
		}
		EVP_PKEY_free(k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vector),     cmocka_unit_test(test_key_save_load),
	    cmocka_unit_test(test_pubkey_from_point), cmocka_unit_test(test_selfsigned),
	    cmocka_unit_test(test_cert_save_load),    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_sig_formats),       cmocka_unit_test(test_sig_padding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
