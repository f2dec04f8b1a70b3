// SPDX-License-Identifier: Apache-2.0
/* ECDSA P-256 with a bare public point: a device's key kept as its 65-byte
 * uncompressed SEC1 point (0x04||X||Y) instead of an OpenSSL 3 EVP_PKEY
 * (about 2.1 KB each), verified through libcrypto's EC_KEY/ECDSA layer
 * (cheaper per call than the EVP layer, key set-up included); and the
 * device certificate's key read out of its DER without OpenSSL 3's decoder
 * set-up, which costs more than a verify per certificate parsed.
 * Nothing here allocates what the caller must free, except *_pem outputs
 * (free()). */
#ifndef EVE_P256_H
#define EVE_P256_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define P256_POINT_LEN 65
#define P256_DER_MAX (16u << 10)

/* A device certificate as the controller keeps it. */
struct p256_cert {
	const uint8_t *der; /* borrowed from the caller */
	size_t der_len;
	uint8_t hash[32];              /* SHA-256 of the DER */
	uint8_t point[P256_POINT_LEN]; /* its P-256 public key */
};

/* 0 when pt is an uncompressed point on P-256; -EINVAL otherwise. */
int p256_point_check(const uint8_t pt[P256_POINT_LEN]);
/* The public point of an EC P-256 key; -EINVAL for any other key. */
int p256_point_of_pkey(EVP_PKEY *key, uint8_t pt[P256_POINT_LEN]);
/* Verify an ECDSA signature over a SHA-256 digest: sig is raw r||s (64
 * bytes) or strict DER, as crypto_ecdsa_verify. 0, or -EVE_EBADSIG. */
int p256_verify(const uint8_t pt[P256_POINT_LEN], const uint8_t digest[32], const uint8_t *sig,
		size_t siglen);

/* Sign a SHA-256 digest with a private key, raw r||s, as crypto_ecdsa_sign
 * (which it falls back to for keys other than P-256). 0 or -EVE_ECRYPTO. */
int p256_sign_pkey(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig[64]);
/* Read a DER X.509 certificate: the outer structure must be well-formed
 * DER and exactly len bytes, the tbsCertificate must carry its fields in
 * order, and the key must be an id-ecPublicKey on prime256v1 with a point
 * on the curve. -EVE_EBADCERT otherwise (e.g. an RSA key: callers may fall
 * back to OpenSSL). Does not check the certificate's signature or dates. */
int p256_cert_parse(const uint8_t *der, size_t len, struct p256_cert *out);
/* The DER of the first "CERTIFICATE" block of a PEM text (*der malloc'd). */
int p256_pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_len);
/* PEM text of a DER certificate (64-column lines, malloc'd). */
int p256_der_to_pem(const uint8_t *der, size_t len, char **pem);

#endif
