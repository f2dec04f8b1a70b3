// SPDX-License-Identifier: Apache-2.0
/* AuthContainer: the signed envelope of the EVE API v2. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.pb-c.h"
#include "b64.h"
#include "crypto.h"
#include "envelope.h"
#include "err.h"
#include "pbpack.h"
#include "p256.h"

#define ENV_ALGO_16 ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES
#define ENV_ALGO_32 ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES

/* eve_signer.sign for an in-memory EVP_PKEY held in ctx. */
static int key_sign(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	return p256_sign_pkey(ctx, digest, sig);
}

int envelope_signer_from_key(struct eve_signer *s, EVP_PKEY *key, X509 *cert, bool hash_pem)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (!key || !cert)
		return -EINVAL;
	r = crypto_cert_to_pem(cert, &pem, &len);
	if (r < 0)
		return r;
	memset(s, 0, sizeof(*s));
	r = hash_pem ? crypto_sha256(pem, len, s->cert_hash) : crypto_cert_hash_der(cert, s->cert_hash);
	if (r < 0 || EVP_PKEY_up_ref(key) != 1) {
		free(pem);
		return r < 0 ? r : -EVE_ECRYPTO;
	}
	s->sign = key_sign;
	s->ctx = key;
	s->cert_pem = pem;
	return 0;
}

void envelope_signer_clear(struct eve_signer *s)
{
	if (!s)
		return;
	/* Only our own signer owns its ctx; others (TPM) manage theirs. */
	if (s->sign == key_sign)
		EVP_PKEY_free(s->ctx);
	free(s->cert_pem);
	memset(s, 0, sizeof(*s));
}

int envelope_seal(const struct eve_signer *s, const uint8_t *payload, size_t len, bool with_cert,
		  uint8_t **out, size_t *out_len)
{
	Org__Lfedge__Eve__Auth__AuthContainer ac = ORG__LFEDGE__EVE__AUTH__AUTH_CONTAINER__INIT;
	Org__Lfedge__Eve__Auth__AuthBody body = ORG__LFEDGE__EVE__AUTH__AUTH_BODY__INIT;
	uint8_t digest[CRYPTO_SHA256_LEN], sig[CRYPTO_SIG_LEN];
	char *cert_b64 = NULL;
	int r;

	if (!s || !s->sign || (len && !payload))
		return -EINVAL;
	if (len > ENVELOPE_MAX)
		return -EVE_ETOOBIG;
	r = crypto_sha256(payload ? payload : (const uint8_t *)"", len, digest);
	if (r < 0)
		return r;
	r = s->sign(s->ctx, digest, sig);
	if (r < 0)
		return r;
	body.payload.data = (uint8_t *)payload;
	body.payload.len = len;
	ac.protectedpayload = &body;
	ac.algo = ENV_ALGO_32;
	ac.sendercerthash.data = (uint8_t *)s->cert_hash;
	ac.sendercerthash.len = sizeof(s->cert_hash);
	ac.signaturehash.data = sig;
	ac.signaturehash.len = sizeof(sig);
	if (with_cert) {
		if (!s->cert_pem)
			return -EINVAL;
		cert_b64 = b64_encode((const uint8_t *)s->cert_pem, strlen(s->cert_pem));
		if (!cert_b64)
			return -ENOMEM;
		ac.sendercert.data = (uint8_t *)cert_b64;
		ac.sendercert.len = strlen(cert_b64);
	}
	r = pbpack(&ac.base, ENVELOPE_MAX, out, out_len);
	free(cert_b64);
	return r;
}

/* senderCert holds base64(PEM); accept a bare PEM too, as some senders
 * put the text itself there. Result is NUL-terminated. */
static int decode_sender_cert(const ProtobufCBinaryData *in, char **out)
{
	static const char pem_tag[] = "-----BEGIN";
	uint8_t *dec = NULL;
	size_t len = 0;
	char *s;

	if (in->len >= sizeof(pem_tag) - 1 && memcmp(in->data, pem_tag, sizeof(pem_tag) - 1) == 0) {
		s = malloc(in->len + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, in->data, in->len);
		s[in->len] = 0;
		*out = s;
		return 0;
	}
	if (b64_decode((const char *)in->data, in->len, &dec, &len) < 0)
		return -EVE_EPROTO;
	s = realloc(dec, len + 1);
	if (!s) {
		free(dec);
		return -ENOMEM;
	}
	s[len] = 0;
	*out = s;
	return 0;
}

/* The hash length must agree with the algorithm it claims. */
static int check_cert_hash(const Org__Lfedge__Eve__Auth__AuthContainer *ac)
{
	if (ac->algo == ENV_ALGO_16 && ac->sendercerthash.len == 16)
		return 0;
	if (ac->algo == ENV_ALGO_32 && ac->sendercerthash.len == 32)
		return 0;
	return -EVE_EPROTO;
}

int envelope_parse(const uint8_t *in, size_t len, struct envelope *env)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac;
	char *pem = NULL;
	int r = -EVE_EPROTO;

	memset(env, 0, sizeof(*env));
	if (len > ENVELOPE_MAX)
		return -EVE_ETOOBIG;
	if (!in || len == 0)
		return -EVE_EPROTO;
	ac = org__lfedge__eve__auth__auth_container__unpack(NULL, len, in);
	if (!ac)
		return -EVE_EPROTO;
	if (!ac->protectedpayload || ac->signaturehash.len == 0 || check_cert_hash(ac) < 0)
		goto fail;
	if (ac->sendercert.len) {
		r = decode_sender_cert(&ac->sendercert, &pem);
		if (r < 0)
			goto fail;
	}
	env->container = ac;
	env->payload = ac->protectedpayload->payload.data;
	env->payload_len = ac->protectedpayload->payload.len;
	env->cert_hash = ac->sendercerthash.data;
	env->cert_hash_len = ac->sendercerthash.len;
	env->sig = ac->signaturehash.data;
	env->sig_len = ac->signaturehash.len;
	env->sender_cert_pem = pem;
	return 0;
fail:
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	return r;
}

bool envelope_cert_hash_matches(const struct envelope *env, const uint8_t hash[32])
{
	if (!env || !env->cert_hash || (env->cert_hash_len != 16 && env->cert_hash_len != 32))
		return false;
	return CRYPTO_memcmp(env->cert_hash, hash, env->cert_hash_len) == 0;
}

int envelope_verify(const struct envelope *env, EVP_PKEY *pub)
{
	uint8_t digest[CRYPTO_SHA256_LEN];

	if (!env || !env->container || !env->sig || !pub)
		return -EVE_EBADSIG;
	if (crypto_sha256(env->payload ? env->payload : (const uint8_t *)"", env->payload_len, digest) < 0)
		return -EVE_EBADSIG;
	return crypto_ecdsa_verify(pub, digest, env->sig, env->sig_len) == 0 ? 0 : -EVE_EBADSIG;
}

int envelope_verify_point(const struct envelope *env, const uint8_t pt[P256_POINT_LEN])
{
	uint8_t digest[CRYPTO_SHA256_LEN];

	if (!env || !env->container || !env->sig || !pt)
		return -EVE_EBADSIG;
	if (crypto_sha256(env->payload ? env->payload : (const uint8_t *)"", env->payload_len, digest) < 0)
		return -EVE_EBADSIG;
	return p256_verify(pt, digest, env->sig, env->sig_len) == 0 ? 0 : -EVE_EBADSIG;
}

void envelope_clear(struct envelope *env)
{
	if (!env)
		return;
	if (env->container)
		org__lfedge__eve__auth__auth_container__free_unpacked(env->container, NULL);
	free(env->sender_cert_pem);
	memset(env, 0, sizeof(*env));
}
