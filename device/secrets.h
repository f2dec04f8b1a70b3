// SPDX-License-Identifier: Apache-2.0
/* Config secrets on the device (EVE's CipherContext / CipherBlock, see
 * common/cipher.h): the device's ECDH key (in the TPM when the device key
 * is: <state>/ecdh.tpmkey; else a file key <state>/ecdh.key.pem, 0600),
 * the certificate the device key issues for it (<state>/ecdh.cert.pem, sent
 * to the controller with ATTEST_REQ_CERT), and opening the config's
 * CipherBlocks in memory only. Main loop thread. */
#ifndef EVE_SECRETS_H
#define EVE_SECRETS_H

#include <stddef.h>

#include "config/devconfig.pb-c.h"

struct agent;

/* The ECDH certificate as PEM (caller frees), made on first use. */
int secrets_ecdh_cert(struct agent *a, char **pem, size_t *len);
/* Replace each app's cipherData by the userData it carries and each
 * datastore's by its credentials, in cfg (memory only). A block that cannot
 * be opened (unknown context, another certificate, clearTextSha256
 * mismatch) leaves the field empty and is logged with the reason. Returns
 * the number of such blocks. */
int secrets_open_config(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg);
/* The AES-256 key shared with the controller's ECDH certificate (as for
 * CipherBlocks): -ENOENT without that certificate. */
int secrets_shared_key(struct agent *a, uint8_t key[32]);

#endif
