// SPDX-License-Identifier: Apache-2.0
/* The device key store: an EC P-256 signing key behind a function table so
 * the TPM backend can sign without the private key ever leaving the TPM.
 * Backends: "file" (PEM, 0600, in the state dir) and "tpm" (tpm2-tss ESAPI,
 * key blobs persisted in the state dir, signing inside the TPM). */
#ifndef EVE_KEYSTORE_H
#define EVE_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

struct keystore_opts {
	const char *state_dir; /* where the key (file) or key blobs (tpm) live */
	const char *tcti;      /* tpm only: e.g. "swtpm:port=2321", "device:/dev/tpmrm0" */
};

struct keystore_ops {
	const char *name;
	/* Open the store, creating the key on first use. *ctx owned by close. */
	int (*open)(const struct keystore_opts *o, void **ctx);
	/* New reference to the public key (caller EVP_PKEY_free's). */
	int (*pubkey)(void *ctx, EVP_PKEY **out);
	/* ECDSA over a SHA-256 digest, raw r||s. */
	int (*sign)(void *ctx, const uint8_t digest[32], uint8_t sig[64]);
	void (*close)(void *ctx);
	/* Optional (NULL: the backend has no TPM): run fn with the backend's
	 * ESYS_CONTEXT (as void *) under its lock; returns fn's result. */
	int (*with_tpm)(void *ctx, int (*fn)(void *esys, void *arg), void *arg);
};

extern const struct keystore_ops keystore_file_ops;
extern const struct keystore_ops keystore_tpm_ops;

struct keystore {
	const struct keystore_ops *ops;
	void *ctx;
};

/* Open the backend named by ops. On failure ks is left zeroed. */
int keystore_open(const struct keystore_ops *ops, const struct keystore_opts *o, struct keystore *ks);
int keystore_pubkey(struct keystore *ks, EVP_PKEY **out);
int keystore_sign(struct keystore *ks, const uint8_t digest[32], uint8_t sig[64]);
/* Adapter with the eve_signer sign signature (ctx is a struct keystore *). */
int keystore_sign_cb(void *ctx, const uint8_t digest[32], uint8_t sig[64]);
/* Run fn with the store's TPM (ESYS_CONTEXT *) under its lock: fn's result,
 * or -ENOTSUP when the store has no TPM (attestation, PCRs). */
int keystore_with_tpm(struct keystore *ks, int (*fn)(void *esys, void *arg), void *arg);
/* Safe on a zeroed or closed keystore. */
void keystore_close(struct keystore *ks);

#endif
