// SPDX-License-Identifier: Apache-2.0
/* The device identity: the self-signed device certificate over the key
 * store's key (20 years, as EVE's seeds ask), the serial number and the UUID
 * the controller assigned. All live in the state directory. */
#ifndef EVE_IDENTITY_H
#define EVE_IDENTITY_H

#include <stddef.h>
#include <openssl/x509.h>

#include "keystore.h"
#include "uuidgen.h"

#define IDENTITY_CERT_DAYS (20 * 365 + 5)
#define IDENTITY_SERIAL_MAX 128

/* Load <state>/device.cert.pem, or create it self-signed by the key store
 * (signing happens in the store: the TPM for the tpm backend). A stored
 * certificate whose key differs from the store's is refused (-EVE_EBADCERT).
 * *out is caller-owned. */
int identity_cert_load_or_create(struct keystore *ks, const char *state_dir, X509 **out);
/* Build a self-signed certificate for the key store's key, CN=cn. */
int identity_cert_build(struct keystore *ks, const char *cn, int days, X509 **out);
/* A certificate for subject (CN=cn) issued by issuer, whose key is the key
 * store's: e.g. the attestation key certified by the device key. */
int identity_cert_issue(struct keystore *ks, X509 *issuer, EVP_PKEY *subject, const char *cn, int days,
			X509 **out);
/* The machine serial: override if non-NULL, else DMI product serial, else
 * the machine-id, else "unknown". */
void identity_serial(const char *override, char out[IDENTITY_SERIAL_MAX]);
/* <state>/uuid: -ENOENT when not yet onboarded, -EVE_EPROTO if malformed. */
int identity_uuid_load(const char *state_dir, char out[UUID_STR_LEN]);
int identity_uuid_save(const char *state_dir, const char *uuid);

#endif
