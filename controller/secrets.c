// SPDX-License-Identifier: Apache-2.0
/* Secrets at rest (secrets.h). */
#include "secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "b64.h"
#include "ctl.h"
#include "err.h"
#include "fileio.h"

#define NONCE 12
#define TAG 16
#define SECRET_MAX (1u << 20)

int secrets_setup(struct ctl *c)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", c->dir, SECRETS_KEY_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = fileio_read(path, 64, &data, &len);
	if (r == -ENOENT) {
		uint8_t k[32];
		if (RAND_bytes(k, sizeof(k)) != 1)
			return -EVE_ECRYPTO;
		r = fileio_write_atomic(path, k, sizeof(k), 0600);
		if (r == 0)
			r = fileio_read(path, 64, &data, &len);
		OPENSSL_cleanse(k, sizeof(k));
	}
	if (r == 0 && len != 32)
		r = -EVE_EPROTO;
	if (r == 0) {
		/* two keys from one file: one encrypts, one derives nonces */
		unsigned n = 0;
		memcpy(c->secrets_key, data, 32);
		if (!HMAC(EVP_sha256(), data, 32, (const uint8_t *)"nonce", 5, c->secrets_nonce_key, &n))
			r = -EVE_ECRYPTO;
	}
	if (data)
		OPENSSL_clear_free(data, len);
	return r;
}

bool secrets_is_sealed(const char *text)
{
	return text && !strncmp(text, SECRETS_PREFIX, strlen(SECRETS_PREFIX));
}

static int gcm(bool enc, struct ctl *c, const uint8_t nonce[NONCE], const uint8_t *in, size_t len,
	       uint8_t *out, uint8_t tag[TAG])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	ok = x && EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) == 1 &&
	     EVP_CipherInit_ex(x, NULL, NULL, c->secrets_key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(x, out, &n, in, (int)len) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1) &&
	     EVP_CipherFinal_ex(x, out + n, &m) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : enc ? -EVE_ECRYPTO : -EVE_EBADSIG;
}

int secrets_seal(struct ctl *c, const char *text, char **out)
{
	size_t len = strlen(text);
	uint8_t mac[EVP_MAX_MD_SIZE], *buf;
	unsigned ml = 0;
	char *b64;
	int r;

	if (len > SECRET_MAX)
		return -EVE_ETOOBIG;
	buf = malloc(NONCE + len + TAG);
	if (!buf)
		return -ENOMEM;
	r = HMAC(EVP_sha256(), c->secrets_nonce_key, 32, (const uint8_t *)text, len, mac, &ml) ? 0
											       : -EVE_ECRYPTO;
	if (r == 0) {
		memcpy(buf, mac, NONCE);
		r = gcm(true, c, buf, (const uint8_t *)text, len, buf + NONCE, buf + NONCE + len);
	}
	b64 = r == 0 ? b64_encode(buf, NONCE + len + TAG) : NULL;
	free(buf);
	if (r == 0 && !b64)
		r = -ENOMEM;
	if (r < 0)
		return r;
	*out = malloc(strlen(SECRETS_PREFIX) + strlen(b64) + 1);
	if (*out)
		sprintf(*out, "%s%s", SECRETS_PREFIX, b64);
	free(b64);
	return *out ? 0 : -ENOMEM;
}

int secrets_open(struct ctl *c, const char *text, char **out)
{
	uint8_t *raw = NULL;
	size_t len = 0;
	char *pt;
	int r;

	if (!secrets_is_sealed(text)) {
		*out = strdup(text);
		return *out ? 0 : -ENOMEM;
	}
	text += strlen(SECRETS_PREFIX);
	r = b64_decode(text, strlen(text), &raw, &len);
	if (r < 0 || len < NONCE + TAG || len > SECRET_MAX) {
		free(raw);
		return r < 0 ? r : -EVE_EPROTO;
	}
	pt = malloc(len - NONCE - TAG + 1);
	r = pt ? gcm(false, c, raw, raw + NONCE, len - NONCE - TAG, (uint8_t *)pt, raw + len - TAG) : -ENOMEM;
	free(raw);
	if (r < 0) {
		free(pt);
		return r;
	}
	pt[len - NONCE - TAG] = '\0';
	*out = pt;
	return 0;
}
