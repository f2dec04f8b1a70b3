// SPDX-License-Identifier: Apache-2.0
/* EVE CipherBlock crypto (cipher.h). */
#include "cipher.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "err.h"

static int point_from_pub(const EC_GROUP *g, EVP_PKEY *pub, EC_POINT *p)
{
	uint8_t buf[65];
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) != 1)
		return -EVE_ECRYPTO;
	return EC_POINT_oct2point(g, p, buf, len, NULL) == 1 ? 0 : -EVE_ECRYPTO;
}

int cipher_ecdh_point(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t x[32], uint8_t y[32])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *p = g ? EC_POINT_new(g) : NULL, *z = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = NULL, *bx = BN_new(), *by = BN_new();
	int r = -EVE_ECRYPTO;

	if (!p || !z || !bx || !by || EVP_PKEY_get_bn_param(priv, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1)
		goto out;
	if (point_from_pub(g, peer, p) < 0 || EC_POINT_mul(g, z, NULL, p, d, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, z) || EC_POINT_get_affine_coordinates(g, z, bx, by, NULL) != 1 ||
	    BN_bn2binpad(bx, x, 32) != 32 || BN_bn2binpad(by, y, 32) != 32)
		goto out;
	r = 0;
out:
	BN_clear_free(d);
	BN_free(bx);
	BN_free(by);
	EC_POINT_clear_free(z);
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return r;
}

int cipher_key_from_point(const uint8_t x[32], const uint8_t y[32], uint8_t key[CIPHER_KEY_LEN])
{
	uint8_t buf[64];
	size_t ox = 0, oy = 0, n;
	int r;

	while (ox < 32 && x[ox] == 0)
		ox++;
	while (oy < 32 && y[oy] == 0)
		oy++;
	memcpy(buf, x + ox, 32 - ox);
	n = 32 - ox;
	memcpy(buf + n, y + oy, 32 - oy);
	n += 32 - oy;
	r = crypto_sha256(buf, n, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int cipher_aes_cfb(bool encrypt, const uint8_t key[CIPHER_KEY_LEN], const uint8_t iv[CIPHER_IV_LEN],
		   const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = -EVE_ECRYPTO;

	if (len > CIPHER_MAX)
		goto out;
	if (c && EVP_CipherInit_ex(c, EVP_aes_256_cfb128(), NULL, key, iv, encrypt ? 1 : 0) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 && EVP_CipherFinal_ex(c, out + n, &m) == 1 &&
	    (size_t)(n + m) == len)
		r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int cipher_seal(const uint8_t key[CIPHER_KEY_LEN], const uint8_t iv_key[32], const uint8_t *pt, size_t len,
		uint8_t iv[CIPHER_IV_LEN], uint8_t **ct, uint8_t sha[32])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned ml = 0;
	int r;

	if (len > CIPHER_MAX)
		return -EVE_ETOOBIG;
	if (!HMAC(EVP_sha256(), iv_key, 32, pt, len, mac, &ml) || ml < CIPHER_IV_LEN)
		return -EVE_ECRYPTO;
	memcpy(iv, mac, CIPHER_IV_LEN);
	*ct = malloc(len ? len : 1);
	if (!*ct)
		return -ENOMEM;
	r = cipher_aes_cfb(true, key, iv, pt, len, *ct);
	if (r == 0)
		r = crypto_sha256(pt, len, sha);
	if (r < 0) {
		free(*ct);
		*ct = NULL;
	}
	return r;
}

int cipher_open(const uint8_t key[CIPHER_KEY_LEN], const uint8_t *iv, size_t iv_len, const uint8_t *ct,
		size_t len, const uint8_t *sha, size_t sha_len, uint8_t **pt)
{
	uint8_t h[32], *p;
	int r;

	if (iv_len != CIPHER_IV_LEN || sha_len != 32)
		return -EVE_EPROTO;
	if (len > CIPHER_MAX)
		return -EVE_ETOOBIG;
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	r = cipher_aes_cfb(false, key, iv, ct, len, p);
	if (r == 0)
		r = crypto_sha256(p, len, h);
	if (r == 0 && CRYPTO_memcmp(h, sha, 32) != 0)
		r = -EVE_EBADSIG;
	if (r < 0) {
		OPENSSL_clear_free(p, len ? len : 1);
		return r;
	}
	*pt = p;
	return 0;
}
