// SPDX-License-Identifier: Apache-2.0
/* Edge-view tokens: compact JWS (RFC 7515) JSON Web Tokens (RFC 7519)
 * signed with ES256 (ECDSA P-256 + SHA-256, raw r||s signature), as the
 * controller puts them in EdgeViewConfig.token. Claims follow EVE's
 * edge-view token: "dep" (dispatcher host:port), "sub" (device UUID),
 * "key" (nonce), "exp" and "iat" (Unix seconds). Library code: no
 * logging; 0 or a negative errno. */
#ifndef EVE_EVJWT_H
#define EVE_EVJWT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define EVJWT_MAX 4096 /* longest token accepted */

struct evjwt_claims {
	char dep[256]; /* dispatcher "host:port" */
	char sub[64];  /* device UUID */
	char key[64];  /* nonce */
	int64_t exp;   /* expiry, Unix seconds */
	int64_t iat;   /* issued at */
};

/* Sign function: raw r||s over a SHA-256 digest (struct eve_signer's). */
typedef int (*evjwt_sign_fn)(void *ctx, const uint8_t digest[32], uint8_t sig[64]);

/* Encode and sign c; *out (NUL-terminated) is caller-freed. */
int evjwt_sign(const struct evjwt_claims *c, evjwt_sign_fn sign, void *ctx, char **out);
/* Decode the claims without checking the signature (the caller trusts the
 * token's carrier, e.g. a verified config). -EINVAL when malformed. */
int evjwt_parse(const char *tok, struct evjwt_claims *c);
/* Check the ES256 signature with pub, then decode. -EACCES on a bad
 * signature, -EINVAL when malformed. Expiry is the caller's to check. */
int evjwt_verify(const char *tok, EVP_PKEY *pub, struct evjwt_claims *c);

#endif
