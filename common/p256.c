// SPDX-License-Identifier: Apache-2.0
/* P-256 public points: DER certificate key extraction, ECDSA verify through
 * the EC_KEY layer (deprecated in OpenSSL 3 but supported through 3.x; it
 * skips the provider look-ups the EVP layer does per call). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "p256.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "b64.h"
#include "crypto.h"
#include "err.h"

#define DER_DEPTH_MAX 24

static EC_GROUP *p256_group;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void group_init(void)
{
	p256_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

/* A key object for pt (caller EC_KEY_free), NULL when pt is no point on
 * the curve (o2i checks that). */
static EC_KEY *key_of(const uint8_t pt[P256_POINT_LEN])
{
	pthread_once(&p256_once, group_init);
	if (!p256_group || pt[0] != 0x04)
		return NULL;
	EC_KEY *k = EC_KEY_new();
	const unsigned char *p = pt;
	if (!k || EC_KEY_set_group(k, p256_group) != 1 || !o2i_ECPublicKey(&k, &p, P256_POINT_LEN)) {
		EC_KEY_free(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

int p256_point_check(const uint8_t pt[P256_POINT_LEN])
{
	EC_KEY *k = key_of(pt);
	if (!k)
		return -EINVAL;
	EC_KEY_free(k);
	return 0;
}

int p256_point_of_pkey(EVP_PKEY *key, uint8_t pt[P256_POINT_LEN])
{
	char group[32];
	size_t n = 0;
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) !=
		1 ||
	    strcmp(group, "prime256v1") ||
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, P256_POINT_LEN,
					    &n) != 1 ||
	    n != P256_POINT_LEN || pt[0] != 0x04) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

static int verify_raw(EC_KEY *k, const uint8_t digest[32], const uint8_t raw[CRYPTO_SIG_LEN])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *ss = BN_bin2bn(raw + 32, 32, NULL);
	int ret = -EVE_EBADSIG;
	if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1)
		goto out;
	r = ss = NULL; /* owned by s */
	if (ECDSA_do_verify(digest, 32, s, k) == 1)
		ret = 0;
out:
	ERR_clear_error();
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return ret;
}

int p256_verify(const uint8_t pt[P256_POINT_LEN], const uint8_t digest[32], const uint8_t *sig, size_t siglen)
{
	uint8_t raw[CRYPTO_SIG_LEN];
	uint8_t *der = NULL;
	size_t len = 0;
	if (!pt || !digest || !sig)
		return -EVE_EBADSIG;
	EC_KEY *k = key_of(pt);
	int r = -EVE_EBADSIG;
	if (!k)
		return r;
	if (siglen == CRYPTO_SIG_LEN && verify_raw(k, digest, sig) == 0) {
		r = 0;
		goto out;
	}
	/* DER: only the strict encoding of r||s passes (as crypto_ecdsa_verify). */
	if (crypto_sig_der_to_raw(sig, siglen, raw) < 0 || crypto_sig_raw_to_der(raw, &der, &len) < 0)
		goto out;
	if (len == siglen && memcmp(der, sig, len) == 0)
		r = verify_raw(k, digest, raw);
out:
	free(der);
	EC_KEY_free(k);
	return r;
}

int p256_sign_pkey(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig[64])
{
	/* The key's legacy EC_KEY is cached inside the EVP_PKEY by OpenSSL
	 * (made under its lock on first use); signing through it skips the
	 * per-call provider fetches of EVP_PKEY_sign (~3 us of ~20). */
	EC_KEY *k =
	    key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? (EC_KEY *)EVP_PKEY_get0_EC_KEY(key) : NULL;
	if (!k || EC_GROUP_get_curve_name(EC_KEY_get0_group(k)) != NID_X9_62_prime256v1) {
		ERR_clear_error();
		return crypto_ecdsa_sign(key, digest, sig);
	}
	ECDSA_SIG *s = ECDSA_do_sign(digest, 32, k);
	const BIGNUM *r = NULL, *ss = NULL;
	int ret = -EVE_ECRYPTO;
	if (!s)
		goto out;
	ECDSA_SIG_get0(s, &r, &ss);
	if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(ss, sig + 32, 32) == 32)
		ret = 0;
out:
	ERR_clear_error();
	ECDSA_SIG_free(s);
	return ret;
}

/* One DER element. */
struct der {
	const uint8_t *p, *end;
};

/* Read the next element of d into *tag and *v (its value); DER rules:
 * low tag numbers only, definite minimal lengths, within d. */
static int der_next(struct der *d, uint8_t *tag, struct der *v)
{
	size_t left = (size_t)(d->end - d->p), len, hl = 2;
	if (left < 2 || (d->p[0] & 0x1f) == 0x1f)
		return -1;
	uint8_t b = d->p[1];
	if (b < 0x80) {
		len = b;
	} else {
		size_t n = b & 0x7f;
		if (n == 0 || n > 3 || left < 2 + n || d->p[2] == 0)
			return -1;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | d->p[2 + i];
		if (len < 0x80)
			return -1; /* not minimal */
		hl += n;
	}
	if (len > left - hl)
		return -1;
	*tag = d->p[0];
	v->p = d->p + hl;
	v->end = v->p + len;
	d->p = v->end;
	return 0;
}

static int der_expect(struct der *d, uint8_t want, struct der *v)
{
	uint8_t tag;
	return der_next(d, &tag, v) == 0 && tag == want ? 0 : -1;
}

/* Every constructed element nests exactly, down to DER_DEPTH_MAX. */
static int der_well_formed(struct der d, int depth)
{
	if (depth > DER_DEPTH_MAX)
		return -1;
	while (d.p < d.end) {
		uint8_t tag;
		struct der v;
		if (der_next(&d, &tag, &v) < 0)
			return -1;
		if ((tag & 0x20) && der_well_formed(v, depth + 1) < 0)
			return -1;
	}
	return 0;
}

static bool der_is(const struct der *v, const uint8_t *want, size_t n)
{
	return (size_t)(v->end - v->p) == n && memcmp(v->p, want, n) == 0;
}

/* SubjectPublicKeyInfo of an EC P-256 key: its point. */
static int spki_point(struct der spki, uint8_t pt[P256_POINT_LEN])
{
	static const uint8_t ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
	static const uint8_t prime256v1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	struct der alg, oid, curve, bits;
	if (der_expect(&spki, 0x30, &alg) < 0 || der_expect(&alg, 0x06, &oid) < 0 ||
	    !der_is(&oid, ec_public_key, sizeof(ec_public_key)) || der_expect(&alg, 0x06, &curve) < 0 ||
	    !der_is(&curve, prime256v1, sizeof(prime256v1)) || alg.p != alg.end ||
	    der_expect(&spki, 0x03, &bits) < 0 || spki.p != spki.end ||
	    (size_t)(bits.end - bits.p) != 1 + P256_POINT_LEN || bits.p[0] != 0)
		return -1;
	memcpy(pt, bits.p + 1, P256_POINT_LEN);
	return p256_point_check(pt);
}

int p256_cert_parse(const uint8_t *der, size_t len, struct p256_cert *out)
{
	struct der all = {der, der + len}, cert, tbs, x;
	uint8_t tag;
	if (!der || len == 0 || len > P256_DER_MAX || der_expect(&all, 0x30, &cert) < 0 || all.p != all.end ||
	    der_well_formed(cert, 0) < 0)
		return -EVE_EBADCERT;
	struct der c = cert;
	if (der_expect(&c, 0x30, &tbs) < 0 || der_expect(&c, 0x30, &x) < 0 || der_expect(&c, 0x03, &x) < 0 ||
	    c.p != c.end)
		return -EVE_EBADCERT;
	/* [0] version (optional), serial, signature, issuer, validity, subject, key */
	struct der t = tbs;
	if (der_next(&t, &tag, &x) < 0)
		return -EVE_EBADCERT;
	if (tag == 0xa0 && der_next(&t, &tag, &x) < 0)
		return -EVE_EBADCERT;
	if (tag != 0x02)
		return -EVE_EBADCERT;
	for (int i = 0; i < 4; i++)
		if (der_expect(&t, 0x30, &x) < 0)
			return -EVE_EBADCERT;
	if (der_expect(&t, 0x30, &x) < 0 || spki_point(x, out->point) < 0)
		return -EVE_EBADCERT;
	if (crypto_sha256(der, len, out->hash) < 0)
		return -EVE_ECRYPTO;
	out->der = der;
	out->der_len = len;
	return 0;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

int p256_pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_len)
{
	if (!pem || len > 4 * P256_DER_MAX)
		return -EVE_EBADCERT;
	const char *b = memmem(pem, len, PEM_BEGIN, strlen(PEM_BEGIN));
	if (!b)
		return -EVE_EBADCERT;
	b += strlen(PEM_BEGIN);
	const char *e = memmem(b, len - (size_t)(b - pem), PEM_END, strlen(PEM_END));
	if (!e)
		return -EVE_EBADCERT;
	int r = b64_decode(b, (size_t)(e - b), der, der_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || *der_len == 0 || *der_len > P256_DER_MAX) {
		if (r == 0)
			free(*der);
		*der = NULL;
		return -EVE_EBADCERT;
	}
	return 0;
}

int p256_der_to_pem(const uint8_t *der, size_t len, char **pem)
{
	if (!der || len == 0 || len > P256_DER_MAX)
		return -EINVAL;
	char *b = b64_encode(der, len);
	if (!b)
		return -ENOMEM;
	size_t bl = strlen(b), lines = (bl + 63) / 64;
	size_t n = strlen(PEM_BEGIN) + 1 + bl + lines + strlen(PEM_END) + 2;
	char *out = malloc(n);
	if (!out) {
		free(b);
		return -ENOMEM;
	}
	size_t o = (size_t)sprintf(out, "%s\n", PEM_BEGIN);
	for (size_t i = 0; i < bl; i += 64) {
		size_t k = bl - i < 64 ? bl - i : 64;
		memcpy(out + o, b + i, k);
		o += k;
		out[o++] = '\n';
	}
	sprintf(out + o, "%s\n", PEM_END);
	free(b);
	*pem = out;
	return 0;
}
