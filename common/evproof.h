// SPDX-License-Identifier: Apache-2.0
/* Edge-view device proof: the device proves, on every tunnel request, that
 * it holds the private key of the device certificate the controller
 * registered for the token's device. The value of the request header
 * EVPROOF_HEADER is
 *     "v1 <cert-hash> <ts> <nonce> <sig>"
 * cert-hash: SHA-256 of the device certificate's DER (64 hex digits, as
 * senderCertHash); ts: Unix seconds; nonce: 32 hex digits, fresh per
 * request; sig: ECDSA P-256 raw r||s (128 hex digits) over SHA-256 of
 *     "eve-edgeview-proof-v1\n<path>\n<token key>\n<ts>\n<nonce>\n<cert-hash>"
 * where path is the request path and token key the token's "key" claim
 * (the grant's nonce): a proof is good for one path of one grant, and the
 * dispatcher refuses a nonce it has seen and a ts far from its clock.
 * Library code: 0 or a negative errno, no logging. */
#ifndef EVE_EVPROOF_H
#define EVE_EVPROOF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "evjwt.h"
#include "p256.h"

#define EVPROOF_HEADER "X-Eve-Edgeview-Proof"
#define EVPROOF_MAX 320 /* longest header value accepted */
#define EVPROOF_NONCE_HEX 32

struct evproof {
	uint8_t cert_hash[32];
	int64_t ts;
	char nonce[EVPROOF_NONCE_HEX + 1];
	uint8_t sig[64];
};

/* Make a proof for path and token key at time now, signed by sign/ctx for
 * the certificate whose DER hash is cert_hash. out (cap >= EVPROOF_MAX)
 * receives the header value. -EINVAL on over-long input, or the signer's
 * error. */
int evproof_make(evjwt_sign_fn sign, void *ctx, const uint8_t cert_hash[32], const char *path,
		 const char *token_key, int64_t now, char *out, size_t cap);
/* Parse a header value (untrusted). -EINVAL when malformed. */
int evproof_parse(const char *value, struct evproof *p);
/* Check p's signature with pub (the registered key of p->cert_hash) for
 * path and token key. -EACCES when it does not verify. Freshness (ts,
 * nonce) is the caller's to check. */
int evproof_verify(const struct evproof *p, const uint8_t pub[P256_POINT_LEN], const char *path,
		   const char *token_key);

#endif
