// SPDX-License-Identifier: Apache-2.0
/* Certificates of deleted devices. Deleting a device records its
 * certificate: the device API then refuses it (403), /register included,
 * until an admin adds the device again (POST /devices with that certificate),
 * so a captured registration cannot bring back a device an admin removed. */
#ifndef CTL_REVOKED_H
#define CTL_REVOKED_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Record the certificate of device uuid (its hash, hash_len bytes as the
 * devices row holds it, and serial; devices.c calls this before deleting
 * the row, in the same transaction). 0 or -EIO. */
int revoked_add(struct store *d, const char *uuid, const uint8_t *cert_hash, size_t hash_len,
		const char *serial);

/* 1 when the certificate with this hash (32 bytes, or the 16-byte prefix
 * of SHA256_16BYTES senders) belongs to a deleted device, 0 when not,
 * -EIO. */
int revoked_find(struct store *d, const uint8_t *hash, size_t hash_len);

/* An admin adds the device again: forget its deletion. 0 or -EIO. */
int revoked_clear(struct store *d, const uint8_t hash[32]);

#endif
