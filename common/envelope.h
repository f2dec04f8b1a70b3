// SPDX-License-Identifier: Apache-2.0
/* AuthContainer, the signed envelope around every EVE API v2 body.
 * The signature is ECDSA P-256 over SHA-256(payload), sent raw r||s;
 * senderCertHash is SHA-256 of the sender certificate: of its DER for device
 * and onboarding certificates, of its PEM text (as served by /certs) for the
 * controller signing certificate. */
#ifndef EVE_ENVELOPE_H
#define EVE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Max size of an envelope we accept or build (configs with many apps fit). */
#define ENVELOPE_MAX (8u << 20)

/* Who signs: a key store behind a function so the TPM can sign without the
 * private key ever being in memory. */
struct eve_signer {
	/* Sign a SHA-256 digest; write raw r||s. 0 or negative error. */
	int (*sign)(void *ctx, const uint8_t digest[32], uint8_t sig[64]);
	void *ctx;
	uint8_t cert_hash[32]; /* senderCertHash */
	char *cert_pem;        /* owned; sent base64-encoded in senderCert when
				* the envelope asks for it (register) */
};

/* Signer for an in-memory key (file key store, controller, tests).
 * hash_pem selects the PEM-text hash rule (controller signing cert), else
 * DER. Takes a reference on key; release with envelope_signer_clear. */
int envelope_signer_from_key(struct eve_signer *s, EVP_PKEY *key, X509 *cert, bool hash_pem);
void envelope_signer_clear(struct eve_signer *s);

/* Wrap payload in a signed AuthContainer. with_cert puts base64(PEM) of the
 * signer's certificate in senderCert. *out is caller-freed. */
int envelope_seal(const struct eve_signer *s, const uint8_t *payload, size_t len, bool with_cert,
		  uint8_t **out, size_t *out_len);

/* A parsed, not yet verified, envelope. Pointers point into the decoded
 * container and live until envelope_clear. */
struct envelope {
	void *container; /* private: decoded AuthContainer */
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *cert_hash; /* 16 bytes (SHA256_16BYTES) or 32 */
	size_t cert_hash_len;
	const uint8_t *sig;
	size_t sig_len;
	char *sender_cert_pem; /* owned; decoded senderCert, NULL if absent */
};

/* Decode an AuthContainer; -EVE_EPROTO on garbage, missing protectedPayload
 * or signature, or a senderCertHash whose length does not match algo
 * (16 bytes for SHA256_16BYTES, 32 for SHA256_32BYTES); -EVE_ETOOBIG over
 * ENVELOPE_MAX. An empty payload is valid. On error env is left zeroed
 * (envelope_clear is still safe). */
int envelope_parse(const uint8_t *in, size_t len, struct envelope *env);
/* True when env's senderCertHash names the certificate with this hash
 * (compares the first 16 bytes for SHA256_16BYTES). */
bool envelope_cert_hash_matches(const struct envelope *env, const uint8_t hash[32]);
/* Verify the signature (raw r||s or DER) over SHA-256 of the payload with
 * pub: 0 or -EVE_EBADSIG. */
int envelope_verify(const struct envelope *env, EVP_PKEY *pub);
/* The same with a bare P-256 public point (p256.h). */
int envelope_verify_point(const struct envelope *env, const uint8_t pt[65]);
void envelope_clear(struct envelope *env);

#endif
