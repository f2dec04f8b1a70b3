// SPDX-License-Identifier: Apache-2.0
/* EC P-256 keys, X.509 certificates and digests, OpenSSL 3 EVP API only.
 * Returned OpenSSL objects are owned by the caller (EVP_PKEY_free,
 * X509_free); strings and byte arrays are freed with free(). */
#ifndef EVE_CRYPTO_H
#define EVE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SIG_LEN 64 /* raw r||s of P-256 */
/* Validity of self-signed device certificates: 20 years. */
#define CRYPTO_DEVICE_CERT_DAYS 7300

int crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* New EC P-256 key pair. */
int crypto_ec_generate(EVP_PKEY **out);
/* Write a private key as PEM, mode 0600, atomically. */
int crypto_key_save_pem(const char *path, EVP_PKEY *key);
int crypto_key_load_pem(const char *path, EVP_PKEY **out);
/* Public key from uncompressed point bytes (0x04||X||Y, 65 bytes). */
int crypto_pubkey_from_point(const uint8_t *pt, size_t len, EVP_PKEY **out);

/* Self-signed certificate for key with subject CN=cn, valid for days. */
int crypto_cert_selfsigned(EVP_PKEY *key, const char *cn, int days, X509 **out);
/* Certificate for subject_key signed by issuer (cert + key); is_ca sets
 * basicConstraints CA:TRUE. */
int crypto_cert_issue(EVP_PKEY *subject_key, const char *cn, int days, bool is_ca, X509 *issuer,
		      EVP_PKEY *issuer_key, X509 **out);

int crypto_cert_load_pem(const char *path, X509 **out);
/* Parse the first certificate of a PEM text. */
int crypto_cert_from_pem(const char *pem, size_t len, X509 **out);
/* PEM text of cert (NUL-terminated, caller frees). */
int crypto_cert_to_pem(X509 *cert, char **pem, size_t *len);
/* DER bytes of cert (caller frees). */
int crypto_cert_to_der(X509 *cert, uint8_t **der, size_t *len);
/* SHA-256 of the DER encoding (the device/onboarding senderCertHash). */
int crypto_cert_hash_der(X509 *cert, uint8_t out[CRYPTO_SHA256_LEN]);
/* Save a certificate as PEM, mode 0644, atomically. */
int crypto_cert_save_pem(const char *path, X509 *cert);

/* Verify leaf against root with optional intermediates (n may be 0).
 * -EVE_EBADCERT when it does not chain or is out of its validity. */
int crypto_chain_verify(X509 *leaf, X509 *const *intermediates, size_t n, X509 *root);

/* ECDSA over a SHA-256 digest; signature written raw r||s (left-padded). */
int crypto_ecdsa_sign(EVP_PKEY *key, const uint8_t digest[CRYPTO_SHA256_LEN], uint8_t sig[CRYPTO_SIG_LEN]);
/* Verify raw r||s (64 bytes) or ASN.1 DER signature over a digest.
 * 0 valid, -EVE_EBADSIG invalid. */
int crypto_ecdsa_verify(EVP_PKEY *pub, const uint8_t digest[CRYPTO_SHA256_LEN], const uint8_t *sig,
			size_t siglen);
/* Convert between raw r||s and DER signatures (DER out caller-freed). */
int crypto_sig_raw_to_der(const uint8_t sig[CRYPTO_SIG_LEN], uint8_t **der, size_t *len);
int crypto_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t sig[CRYPTO_SIG_LEN]);

/* The validity period of cert as Unix seconds. -EINVAL when unreadable. */
int crypto_cert_validity(X509 *cert, int64_t *not_before, int64_t *not_after);

#endif
