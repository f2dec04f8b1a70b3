// SPDX-License-Identifier: Apache-2.0
/* Deterministic device identities for the simulator (see devkey.h). Uses
 * libcrypto's EC_KEY layer (deprecated in OpenSSL 3, supported through 3.x)
 * as common/p256.c does: a key object from a bare scalar per call is
 * cheaper than the EVP layer's provider look-ups. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "crypto.h"
#include "devkey.h"
#include "err.h"

static EC_GROUP *devkey_group;
static pthread_once_t devkey_once = PTHREAD_ONCE_INIT;

static void group_init(void)
{
	devkey_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

/* DER pieces that never change. */
static const uint8_t der_version[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
static const uint8_t der_sigalg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t der_validity[] = {0x30, 0x1e, 0x17, 0x0d, '2', '4', '0',  '1',  '0', '1', '0',
				       '0',  '0',  '0',  '0',  '0', 'Z', 0x17, 0x0d, '4', '9', '1',
				       '2',  '3',  '1',  '2',  '3', '5', '9',  '5',  '9', 'Z'};
static const uint8_t der_spki_head[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

struct der {
	uint8_t *p;
	size_t len, cap;
};

static int der_put(struct der *d, const void *src, size_t n)
{
	if (n > d->cap - d->len)
		return -E2BIG;
	memcpy(d->p + d->len, src, n);
	d->len += n;
	return 0;
}

/* Tag and definite length (at most 65535). */
static int der_hdr(struct der *d, uint8_t tag, size_t n)
{
	uint8_t h[4] = {tag};
	size_t hl;

	if (n < 0x80) {
		h[1] = (uint8_t)n;
		hl = 2;
	} else if (n < 0x100) {
		h[1] = 0x81;
		h[2] = (uint8_t)n;
		hl = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	}
	return der_put(d, h, hl);
}

/* Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String cn } } } */
static int der_name(struct der *d, const char *cn, size_t cnlen)
{
	static const uint8_t oid_cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
	size_t atv = sizeof(oid_cn) + 2 + cnlen;

	if (cnlen >= 0x80 - 4 - sizeof(oid_cn) - 6)
		return -E2BIG;
	if (der_hdr(d, 0x30, atv + 4) || der_hdr(d, 0x31, atv + 2) || der_hdr(d, 0x30, atv) ||
	    der_put(d, oid_cn, sizeof(oid_cn)) || der_hdr(d, 0x0c, cnlen))
		return -E2BIG;
	return der_put(d, cn, cnlen);
}

static EC_KEY *key_of_priv(const uint8_t priv[DEVKEY_PRIV_LEN])
{
	BIGNUM *bn = BN_bin2bn(priv, DEVKEY_PRIV_LEN, NULL);
	EC_KEY *k = NULL;

	pthread_once(&devkey_once, group_init);
	if (bn && devkey_group && (k = EC_KEY_new()) && EC_KEY_set_group(k, devkey_group) == 1 &&
	    EC_KEY_set_private_key(k, bn) == 1) {
		BN_clear_free(bn);
		return k;
	}
	EC_KEY_free(k);
	BN_clear_free(bn);
	ERR_clear_error();
	return NULL;
}

static ECDSA_SIG *sign_digest(const uint8_t priv[DEVKEY_PRIV_LEN], const uint8_t digest[32])
{
	EC_KEY *k = key_of_priv(priv);
	ECDSA_SIG *s = k ? ECDSA_do_sign(digest, 32, k) : NULL;

	EC_KEY_free(k);
	if (!s)
		ERR_clear_error();
	return s;
}

/* The certificate must be the same bytes on every run (the controller
 * knows a device by the certificate's hash), so its signature takes a
 * deterministic nonce: k = SHA-256(label, priv, digest) mod n (a different
 * k for every message; OpenSSL 3.0 has no RFC 6979). */
static ECDSA_SIG *sign_digest_fixed(const uint8_t priv[DEVKEY_PRIV_LEN], const uint8_t digest[32])
{
	uint8_t in[12 + DEVKEY_PRIV_LEN + 32], kb[32];
	EC_KEY *key = key_of_priv(priv);
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *k = NULL, *kinv = BN_new(), *r = BN_new();
	EC_POINT *R = devkey_group ? EC_POINT_new(devkey_group) : NULL;
	const BIGNUM *n = devkey_group ? EC_GROUP_get0_order(devkey_group) : NULL;
	ECDSA_SIG *s = NULL;

	memcpy(in, "eve-devsim/k", 12);
	memcpy(in + 12, priv, DEVKEY_PRIV_LEN);
	memcpy(in + 12 + DEVKEY_PRIV_LEN, digest, 32);
	if (!key || !ctx || !kinv || !r || !R || !n || crypto_sha256(in, sizeof(in), kb) < 0 ||
	    !(k = BN_bin2bn(kb, sizeof(kb), NULL)) || !BN_nnmod(k, k, n, ctx) || BN_is_zero(k) ||
	    EC_POINT_mul(devkey_group, R, k, NULL, NULL, ctx) != 1 ||
	    EC_POINT_get_affine_coordinates(devkey_group, R, r, NULL, ctx) != 1 || !BN_nnmod(r, r, n, ctx) ||
	    BN_is_zero(r) || !BN_mod_inverse(kinv, k, n, ctx))
		goto out;
	s = ECDSA_do_sign_ex(digest, 32, kinv, r, key);
out:
	if (!s)
		ERR_clear_error();
	EC_KEY_free(key);
	BN_CTX_free(ctx);
	BN_clear_free(k);
	BN_clear_free(kinv);
	BN_free(r);
	EC_POINT_free(R);
	return s;
}

int devkey_sign(const uint8_t priv[DEVKEY_PRIV_LEN], const uint8_t digest[32], uint8_t sig[64])
{
	ECDSA_SIG *s = sign_digest(priv, digest);
	const BIGNUM *r, *ss;
	int ok;

	if (!s)
		return -EVE_ECRYPTO;
	ECDSA_SIG_get0(s, &r, &ss);
	ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(ss, sig + 32, 32) == 32;
	ECDSA_SIG_free(s);
	return ok ? 0 : -EVE_ECRYPTO;
}

/* The scalar: SHA-256("eve-devsim/1" NUL serial) mod n, never 0. */
static int derive_priv(const char *serial, uint8_t priv[DEVKEY_PRIV_LEN])
{
	uint8_t buf[13 + 64];
	size_t sl = strlen(serial);
	BIGNUM *x = NULL;
	BN_CTX *ctx = NULL;
	int r = -EVE_ECRYPTO;

	if (sl > 64)
		return -E2BIG;
	memcpy(buf, "eve-devsim/1", 13);
	memcpy(buf + 13, serial, sl);
	if (crypto_sha256(buf, 13 + sl, priv) < 0)
		return -EVE_ECRYPTO;
	pthread_once(&devkey_once, group_init);
	if (!devkey_group || !(x = BN_bin2bn(priv, DEVKEY_PRIV_LEN, NULL)) || !(ctx = BN_CTX_new()) ||
	    !BN_nnmod(x, x, EC_GROUP_get0_order(devkey_group), ctx) || BN_is_zero(x) ||
	    BN_bn2binpad(x, priv, DEVKEY_PRIV_LEN) != DEVKEY_PRIV_LEN)
		goto out;
	r = 0;
out:
	BN_clear_free(x);
	BN_CTX_free(ctx);
	return r;
}

static int public_point(const uint8_t priv[DEVKEY_PRIV_LEN], uint8_t pt[65])
{
	BIGNUM *x = BN_bin2bn(priv, DEVKEY_PRIV_LEN, NULL);
	EC_POINT *p = devkey_group ? EC_POINT_new(devkey_group) : NULL;
	int r = -EVE_ECRYPTO;

	if (x && p && EC_POINT_mul(devkey_group, p, x, NULL, NULL, NULL) == 1 &&
	    EC_POINT_point2oct(devkey_group, p, POINT_CONVERSION_UNCOMPRESSED, pt, 65, NULL) == 65)
		r = 0;
	BN_clear_free(x);
	EC_POINT_free(p);
	if (r < 0)
		ERR_clear_error();
	return r;
}

static int tbs_write(struct der *t, const char *serial, const uint8_t priv[DEVKEY_PRIV_LEN],
		     const uint8_t pt[65])
{
	uint8_t sn[8];
	size_t cnlen = strlen(serial);
	uint8_t body[400];
	struct der b = {body, 0, sizeof(body)};

	/* Certificate serial: 8 bytes of the scalar's hash, positive, minimal. */
	if (crypto_sha256(priv, DEVKEY_PRIV_LEN, body) < 0)
		return -EVE_ECRYPTO;
	memcpy(sn, body, sizeof(sn));
	sn[0] = (uint8_t)((sn[0] & 0x3f) | 0x40);
	if (der_put(&b, der_version, sizeof(der_version)) || der_hdr(&b, 0x02, sizeof(sn)) ||
	    der_put(&b, sn, sizeof(sn)) || der_put(&b, der_sigalg, sizeof(der_sigalg)) ||
	    der_name(&b, serial, cnlen) || der_put(&b, der_validity, sizeof(der_validity)) ||
	    der_name(&b, serial, cnlen) || der_put(&b, der_spki_head, sizeof(der_spki_head)) ||
	    der_put(&b, pt, 65))
		return -E2BIG;
	if (der_hdr(t, 0x30, b.len))
		return -E2BIG;
	return der_put(t, body, b.len);
}

int devkey_derive(const char *serial, uint8_t priv[DEVKEY_PRIV_LEN], uint8_t cert[DEVKEY_CERT_MAX],
		  size_t *cert_len)
{
	uint8_t pt[65], tbs[480], digest[32], sigder[80];
	struct der t = {tbs, 0, sizeof(tbs)}, c = {cert, 0, DEVKEY_CERT_MAX};
	ECDSA_SIG *s = NULL;
	unsigned char *sp = sigder;
	int r, sl;

	if ((r = derive_priv(serial, priv)) < 0 || (r = public_point(priv, pt)) < 0 ||
	    (r = tbs_write(&t, serial, priv, pt)) < 0)
		return r;
	if (crypto_sha256(tbs, t.len, digest) < 0 || !(s = sign_digest_fixed(priv, digest)))
		return -EVE_ECRYPTO;
	sl = i2d_ECDSA_SIG(s, NULL);
	if (sl <= 0 || (size_t)sl > sizeof(sigder) || i2d_ECDSA_SIG(s, &sp) != sl) {
		ECDSA_SIG_free(s);
		return -EVE_ECRYPTO;
	}
	ECDSA_SIG_free(s);
	/* Certificate ::= SEQUENCE { tbs, sigalg, BIT STRING { 0 unused, sig } } */
	if (der_hdr(&c, 0x30, t.len + sizeof(der_sigalg) + 2 + 1 + (size_t)sl) || der_put(&c, tbs, t.len) ||
	    der_put(&c, der_sigalg, sizeof(der_sigalg)) || der_hdr(&c, 0x03, (size_t)sl + 1) ||
	    der_put(&c, "", 1) || der_put(&c, sigder, (size_t)sl))
		return -E2BIG;
	*cert_len = c.len;
	return 0;
}
