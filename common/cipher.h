// SPDX-License-Identifier: Apache-2.0
/* EVE's encrypted config fields (CipherContext / CipherBlock,
 * evecommon/acipherinfo.proto): KEA_ECDH key exchange between the
 * controller's ECDH certificate and the device's ECDH certificate, the
 * AES-256 key = SHA-256 of the shared point's X then Y (big-endian, without
 * leading zero bytes, as EVE's pillar computes it), SA_AES_256_CFB (CFB128)
 * with the block's 16-byte initialValue, and clearTextSha256 = SHA-256 of
 * the plaintext (a packed EncryptionBlock). Library code: no logging. */
#ifndef EVE_CIPHER_H
#define EVE_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define CIPHER_KEY_LEN 32
#define CIPHER_IV_LEN 16
#define CIPHER_MAX (1u << 20) /* largest plaintext sealed or opened */

/* The shared point of priv (our EC P-256 private key) and peer (a public
 * key): x and y, 32 bytes each, big-endian. */
int cipher_ecdh_point(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t x[32], uint8_t y[32]);
/* EVE's AES key from a shared point. */
int cipher_key_from_point(const uint8_t x[32], const uint8_t y[32], uint8_t key[CIPHER_KEY_LEN]);
/* AES-256-CFB128 of len bytes from in to out (same length). */
int cipher_aes_cfb(bool encrypt, const uint8_t key[CIPHER_KEY_LEN], const uint8_t iv[CIPHER_IV_LEN],
		   const uint8_t *in, size_t len, uint8_t *out);
/* Seal pt: the IV is derived from iv_key and pt (equal plaintexts give equal
 * blocks, so configs stay deterministic; different ones never share an IV).
 * *ct (caller frees) has len bytes; sha = SHA-256(pt). */
int cipher_seal(const uint8_t key[CIPHER_KEY_LEN], const uint8_t iv_key[32], const uint8_t *pt, size_t len,
		uint8_t iv[CIPHER_IV_LEN], uint8_t **ct, uint8_t sha[32]);
/* Open ct and check SHA-256(plaintext) == sha: -EVE_EBADSIG when it does
 * not (wrong key, corrupted block). *pt (caller frees, OPENSSL_clear_free
 * advisable) has len bytes. */
int cipher_open(const uint8_t key[CIPHER_KEY_LEN], const uint8_t *iv, size_t iv_len, const uint8_t *ct,
		size_t len, const uint8_t *sha, size_t sha_len, uint8_t **pt);

#endif
