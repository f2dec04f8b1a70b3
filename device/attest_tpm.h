// SPDX-License-Identifier: Apache-2.0
/* The TPM side of remote attestation: the attestation key (AK), PCR reads,
 * quotes and extends, through the key store's TPM connection
 * (keystore_with_tpm; -ENOTSUP when the device key is not in a TPM).
 *
 * The AK is an ECC P-256 restricted signing key (ECDSA/SHA-256) created
 * once under the key store's storage primary; its public and TPM-wrapped
 * private blobs live in <state>/attest.tpmkey (like device.tpmkey). */
#ifndef EVE_ATTEST_TPM_H
#define EVE_ATTEST_TPM_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "keystore.h"

/* EVE's quote selection: SHA-256 bank, PCRs 0..15. */
#define ATTEST_TPM_NPCR 16
/* Where the agent measures itself and its config directory: a PCR the
 * platform firmware and boot loader leave free on stock Linux. */
#define ATTEST_TPM_AGENT_PCR 15
#define ATTEST_TPM_NONCE_MAX 64

struct attest_tpm_quote {
	uint8_t *attest; /* TPMS_ATTEST as signed (the TPM2B_ATTEST contents) */
	size_t attest_len;
	uint8_t *sig; /* TPMT_SIGNATURE, TPM marshalling */
	size_t sig_len;
	uint8_t pcr[ATTEST_TPM_NPCR][32]; /* the values read just before the quote */
};

/* Load <state>/attest.tpmkey or create the AK. On success *pub is the AK public key
 * (caller EVP_PKEY_free's) and *tpub, *tpub_len its TPMT_PUBLIC, TPM
 * marshalling (caller free's). */
int attest_tpm_ak(struct keystore *ks, const char *state_dir, EVP_PKEY **pub, uint8_t **tpub,
		  size_t *tpub_len);
/* Quote PCRs 0..15 (SHA-256) with the AK over nonce. q filled on success;
 * release with attest_tpm_quote_clear. */
int attest_tpm_quote(struct keystore *ks, const char *state_dir, const uint8_t *nonce, size_t nonce_len,
		     struct attest_tpm_quote *q);
void attest_tpm_quote_clear(struct attest_tpm_quote *q);
/* Extend SHA-256 bank PCR idx with digest. */
int attest_tpm_extend(struct keystore *ks, unsigned idx, const uint8_t digest[32]);
/* The TPM's resetCount (changes with every TPM reset: a reboot). */
int attest_tpm_reset_count(struct keystore *ks, uint32_t *out);

/* The device's ECDH key in the TPM (<state>/ecdh.tpmkey; made on first
 * use): its public key (caller frees), and the shared point with a peer
 * point (TPM2_ECDH_ZGen; x, y big-endian 32 bytes each). */
int attest_tpm_ecdh_pub(struct keystore *ks, const char *state_dir, EVP_PKEY **pub);
int attest_tpm_ecdh_zgen(struct keystore *ks, const char *state_dir, const uint8_t px[32],
			 const uint8_t py[32], uint8_t zx[32], uint8_t zy[32]);
/* Seal data (at most 128 bytes) in the TPM to SHA-256 PCRs 0..15 as they
 * are now (<state>/vault.tpmkey: a keyedhash object whose only
 * authorisation is that PolicyPCR), and unseal it: -EACCES when the PCRs
 * differ from the sealed ones, -ENOENT when nothing is sealed. */
int attest_tpm_seal(struct keystore *ks, const char *state_dir, const uint8_t *data, size_t len);
int attest_tpm_unseal(struct keystore *ks, const char *state_dir, uint8_t out[128], size_t *len);

#endif
