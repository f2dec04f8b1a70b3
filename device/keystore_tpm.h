// SPDX-License-Identifier: Apache-2.0
/* What the TPM key store shares with other users of the same TPM (the
 * attestation key lives under the same storage primary). */
#ifndef EVE_KEYSTORE_TPM_H
#define EVE_KEYSTORE_TPM_H

#include <tss2/tss2_esys.h>

/* ECC P-256 restricted decryption (storage) primary under the owner
 * hierarchy: same template + same seed = same key, so it is re-derived with
 * CreatePrimary whenever needed instead of being persisted. */
extern const TPM2B_PUBLIC keystore_tpm_primary_template;

#endif
