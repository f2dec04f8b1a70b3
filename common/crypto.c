// SPDX-License-Identifier: Apache-2.0
/* EC P-256 keys, X.509 certificates, ECDSA and SHA-256 through the
 * OpenSSL 3 EVP API. OpenSSL errors become our codes here, once. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"

#define CRYPTO_PEM_MAX (1u << 20) /* bound on key / certificate files */

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetched once: EVP_sha256() makes EVP_Digest look the provider's
 * implementation up again on every call (~1 us, a hash per request). */
static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

int crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned int n = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || EVP_Digest(data, len, out, &n, sha256_md, NULL) != 1 || n != CRYPTO_SHA256_LEN)
		return -EVE_ECRYPTO;
	return 0;
}

int crypto_ec_generate(EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (!k)
		return -EVE_ECRYPTO;
	*out = k;
	return 0;
}

/* Copy a memory BIO's contents out as a NUL-terminated string. */
static int bio_to_string(BIO *bio, char **out, size_t *len)
{
	char *mem = NULL;
	long n = BIO_get_mem_data(bio, &mem);
	char *s;

	if (n < 0 || !mem)
		return -EVE_ECRYPTO;
	s = malloc((size_t)n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, mem, (size_t)n);
	s[n] = 0;
	*out = s;
	if (len)
		*len = (size_t)n;
	return 0;
}

int crypto_key_save_pem(const char *path, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (!bio)
		return -ENOMEM;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	r = bio_to_string(bio, &pem, &len);
	if (r < 0)
		goto out;
	r = fileio_write_atomic(path, pem, len, 0600);
out:
	if (pem)
		OPENSSL_cleanse(pem, len);
	free(pem);
	BIO_free(bio);
	return r;
}

int crypto_key_load_pem(const char *path, EVP_PKEY **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	int r;

	r = fileio_read(path, CRYPTO_PEM_MAX, &data, &len);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(data, (int)len);
	if (!bio) {
		r = -ENOMEM;
		goto out;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!k) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	*out = k;
out:
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	return r;
}

int crypto_pubkey_from_point(const uint8_t *pt, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *k = NULL;
	int r = -EVE_ECRYPTO;

	if (len != 65 || pt[0] != 0x04)
		return -EINVAL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, len);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = -EINVAL;
		goto out;
	}
	/* A point off the curve must not become a key. */
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (!chk || EVP_PKEY_public_check(chk) != 1) {
		r = -EINVAL;
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Random positive 127-bit serial number. */
static int cert_set_serial(X509 *cert)
{
	uint8_t raw[16];
	BIGNUM *bn = NULL;
	int r = -EVE_ECRYPTO;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return r;
	raw[0] &= 0x7f;
	raw[0] |= 0x01; /* never zero, never short */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
		r = 0;
	BN_free(bn);
	return r;
}

static int cert_add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -EVE_ECRYPTO;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EVE_ECRYPTO;
}

/* Extensions in order: SKI first so that a self-signed AKI can find it. */
static int cert_add_exts(X509 *cert, X509 *issuer, bool is_ca)
{
	X509V3_CTX ctx;
	int r;

	X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
	r = cert_add_ext(cert, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (r == 0)
		r = cert_add_ext(cert, &ctx, NID_key_usage,
				 is_ca ? "critical,digitalSignature,keyCertSign,cRLSign"
				       : "critical,digitalSignature");
	if (r == 0)
		r = cert_add_ext(cert, &ctx, NID_subject_key_identifier, "hash");
	if (r == 0)
		r = cert_add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always");
	return r;
}

/* Build and sign a v3 certificate; issuer NULL means self-signed. */
static int cert_build(EVP_PKEY *key, const char *cn, int days, bool is_ca, X509 *issuer, EVP_PKEY *issuer_key,
		      X509 **out)
{
	X509 *cert = X509_new();
	X509_NAME *name = NULL;
	int r = -EVE_ECRYPTO;

	if (!cert || !cn || days <= 0)
		goto out;
	name = X509_NAME_new();
	if (!name || X509_set_version(cert, 2) != 1 || cert_set_serial(cert) < 0)
		goto out;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1)
		goto out;
	if (X509_set_subject_name(cert, name) != 1 ||
	    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) != 1)
		goto out;
	/* notBefore an hour back: a peer whose clock runs a little behind
	 * still accepts a certificate made just now. */
	if (!X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL))
		goto out;
	if (X509_set_pubkey(cert, key) != 1 || cert_add_exts(cert, issuer, is_ca) < 0)
		goto out;
	if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
		goto out;
	*out = cert;
	cert = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_NAME_free(name);
	X509_free(cert);
	return r;
}

int crypto_cert_selfsigned(EVP_PKEY *key, const char *cn, int days, X509 **out)
{
	return cert_build(key, cn, days, false, NULL, key, out);
}

int crypto_cert_issue(EVP_PKEY *subject_key, const char *cn, int days, bool is_ca, X509 *issuer,
		      EVP_PKEY *issuer_key, X509 **out)
{
	if (!issuer || !issuer_key)
		return -EINVAL;
	return cert_build(subject_key, cn, days, is_ca, issuer, issuer_key, out);
}

int crypto_cert_from_pem(const char *pem, size_t len, X509 **out)
{
	BIO *bio;
	X509 *cert;

	if (!pem || len > CRYPTO_PEM_MAX)
		return -EVE_EBADCERT;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!cert)
		return -EVE_EBADCERT;
	*out = cert;
	return 0;
}

int crypto_cert_load_pem(const char *path, X509 **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = fileio_read(path, CRYPTO_PEM_MAX, &data, &len);
	if (r < 0)
		return r;
	r = crypto_cert_from_pem((const char *)data, len, out);
	free(data);
	return r;
}

int crypto_cert_to_pem(X509 *cert, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int r;

	if (!bio)
		return -ENOMEM;
	if (PEM_write_bio_X509(bio, cert) != 1)
		r = -EVE_ECRYPTO;
	else
		r = bio_to_string(bio, pem, len);
	BIO_free(bio);
	return r;
}

int crypto_cert_to_der(X509 *cert, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(cert, &p);
	uint8_t *copy;

	if (n <= 0)
		return -EVE_EBADCERT;
	/* Hand out malloc memory so callers free() it as the header says. */
	copy = malloc((size_t)n);
	if (copy)
		memcpy(copy, p, (size_t)n);
	OPENSSL_free(p);
	if (!copy)
		return -ENOMEM;
	*der = copy;
	*len = (size_t)n;
	return 0;
}

int crypto_cert_hash_der(X509 *cert, uint8_t out[CRYPTO_SHA256_LEN])
{
	uint8_t *der = NULL;
	size_t len = 0;
	int r = crypto_cert_to_der(cert, &der, &len);

	if (r < 0)
		return r;
	r = crypto_sha256(der, len, out);
	free(der);
	return r;
}

int crypto_cert_save_pem(const char *path, X509 *cert)
{
	char *pem = NULL;
	size_t len = 0;
	int r = crypto_cert_to_pem(cert, &pem, &len);

	if (r < 0)
		return r;
	r = fileio_write_atomic(path, pem, len, 0644);
	free(pem);
	return r;
}

int crypto_chain_verify(X509 *leaf, X509 *const *intermediates, size_t n, X509 *root)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	int r = -ENOMEM;

	if (!store || !ctx || !chain)
		goto out;
	r = -EVE_EBADCERT;
	if (!leaf || !root || X509_STORE_add_cert(store, root) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!intermediates[i] || !sk_X509_push(chain, intermediates[i]))
			goto out;
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1)
		goto out;
	if (X509_verify_cert(ctx) == 1)
		r = 0;
out:
	ERR_clear_error();
	sk_X509_free(chain); /* the certificates stay the caller's */
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

int crypto_sig_raw_to_der(const uint8_t sig[CRYPTO_SIG_LEN], uint8_t **der, size_t *len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL);
	BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *p = NULL;
	uint8_t *copy = NULL;
	int n = 0, ret = -ENOMEM;

	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0) {
		ret = -EVE_ECRYPTO;
		goto out;
	}
	copy = malloc((size_t)n);
	if (!copy)
		goto out;
	memcpy(copy, p, (size_t)n);
	*der = copy;
	*len = (size_t)n;
	ret = 0;
out:
	OPENSSL_free(p);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

int crypto_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t sig[CRYPTO_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	int ret = -EVE_EBADSIG;

	if (len == 0 || len > 128)
		return ret;
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	/* Trailing bytes after the DER sequence are not a signature. */
	if (!es || p != der + len)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
		goto out;
	ret = 0;
out:
	ERR_clear_error();
	ECDSA_SIG_free(es);
	return ret;
}

int crypto_ecdsa_sign(EVP_PKEY *key, const uint8_t digest[CRYPTO_SHA256_LEN], uint8_t sig[CRYPTO_SIG_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	unsigned char der[128];
	size_t derlen = sizeof(der);
	int r = -EVE_ECRYPTO;

	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		goto out;
	if (EVP_PKEY_sign(ctx, der, &derlen, digest, CRYPTO_SHA256_LEN) != 1)
		goto out;
	if (crypto_sig_der_to_raw(der, derlen, sig) < 0)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int ecdsa_verify_der(EVP_PKEY *pub, const uint8_t digest[CRYPTO_SHA256_LEN], const uint8_t *der,
			    size_t len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	int r = -EVE_EBADSIG;

	if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		goto out;
	if (EVP_PKEY_verify(ctx, der, len, digest, CRYPTO_SHA256_LEN) == 1)
		r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int crypto_ecdsa_verify(EVP_PKEY *pub, const uint8_t digest[CRYPTO_SHA256_LEN], const uint8_t *sig,
			size_t siglen)
{
	uint8_t raw[CRYPTO_SIG_LEN];
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	if (!pub || !sig)
		return -EVE_EBADSIG;
	if (siglen == CRYPTO_SIG_LEN) {
		r = crypto_sig_raw_to_der(sig, &der, &len);
		if (r < 0)
			return r == -ENOMEM ? r : -EVE_EBADSIG;
		r = ecdsa_verify_der(pub, digest, der, len);
		free(der);
		if (r == 0)
			return 0;
	}
	/* DER: normalise through r||s so that only strict encodings pass
	 * (a 64-byte DER signature also lands here when raw did not verify). */
	if (crypto_sig_der_to_raw(sig, siglen, raw) < 0)
		return -EVE_EBADSIG;
	r = crypto_sig_raw_to_der(raw, &der, &len);
	if (r < 0)
		return r == -ENOMEM ? r : -EVE_EBADSIG;
	r = (len == siglen && memcmp(der, sig, len) == 0) ? ecdsa_verify_der(pub, digest, der, len)
							  : -EVE_EBADSIG;
	free(der);
	return r;
}

static int asn1_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EINVAL;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int crypto_cert_validity(X509 *cert, int64_t *not_before, int64_t *not_after)
{
	int64_t a, b;
	if (!cert || asn1_unix(X509_get0_notBefore(cert), &a) < 0 ||
	    asn1_unix(X509_get0_notAfter(cert), &b) < 0)
		return -EINVAL;
	*not_before = a;
	*not_after = b;
	return 0;
}
