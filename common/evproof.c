// SPDX-License-Identifier: Apache-2.0
/* Edge-view device proof (evproof.h). */
#include "evproof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "crypto.h"
#include "hexstr.h"

#define MSG_MAX 2048

/* SHA-256 of the signed message. */
static int proof_digest(const char *path, const char *key, int64_t ts, const char *nonce,
			const uint8_t cert_hash[32], uint8_t digest[32])
{
	char msg[MSG_MAX], hh[65];
	hexstr_encode(cert_hash, 32, hh);
	int n = snprintf(msg, sizeof(msg), "eve-edgeview-proof-v1\n%s\n%s\n%" PRId64 "\n%s\n%s", path, key,
			 ts, nonce, hh);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EINVAL;
	return crypto_sha256(msg, (size_t)n, digest);
}

int evproof_make(evjwt_sign_fn sign, void *ctx, const uint8_t cert_hash[32], const char *path,
		 const char *token_key, int64_t now, char *out, size_t cap)
{
	uint8_t rnd[EVPROOF_NONCE_HEX / 2], digest[32], sig[64];
	char nonce[EVPROOF_NONCE_HEX + 1], hh[65], sh[129];
	if (cap < EVPROOF_MAX || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EINVAL;
	hexstr_encode(rnd, sizeof(rnd), nonce);
	int r = proof_digest(path, token_key, now, nonce, cert_hash, digest);
	if (r == 0)
		r = sign(ctx, digest, sig);
	if (r < 0)
		return r;
	hexstr_encode(cert_hash, 32, hh);
	hexstr_encode(sig, 64, sh);
	int n = snprintf(out, cap, "v1 %s %" PRId64 " %s %s", hh, now, nonce, sh);
	return n > 0 && (size_t)n < cap ? 0 : -EINVAL;
}

int evproof_parse(const char *value, struct evproof *p)
{
	char hh[65], nonce[EVPROOF_NONCE_HEX + 1], sh[129], tail;
	long long ts;
	memset(p, 0, sizeof(*p));
	if (!value || strlen(value) >= EVPROOF_MAX)
		return -EINVAL;
	if (sscanf(value, "v1 %64s %lld %32s %128s %c", hh, &ts, nonce, sh, &tail) != 4)
		return -EINVAL;
	if (strlen(hh) != 64 || strlen(nonce) != EVPROOF_NONCE_HEX || strlen(sh) != 128 || ts <= 0)
		return -EINVAL;
	uint8_t nb[EVPROOF_NONCE_HEX / 2];
	if (hexstr_decode(hh, p->cert_hash, 32) < 0 || hexstr_decode(sh, p->sig, 64) < 0 ||
	    hexstr_decode(nonce, nb, sizeof(nb)) < 0)
		return -EINVAL;
	/* canonical (lower-case) nonce: the replay check compares strings */
	hexstr_encode(nb, sizeof(nb), p->nonce);
	p->ts = ts;
	return 0;
}

int evproof_verify(const struct evproof *p, const uint8_t pub[P256_POINT_LEN], const char *path,
		   const char *token_key)
{
	uint8_t digest[32];
	if (!pub || proof_digest(path, token_key, p->ts, p->nonce, p->cert_hash, digest) < 0)
		return -EACCES;
	return p256_verify(pub, digest, p->sig, sizeof(p->sig)) == 0 ? 0 : -EACCES;
}
