// SPDX-License-Identifier: Apache-2.0
/* Secrets at rest in the controller's store: values an admin gives that
 * must never be printed back or stored in clear (an app's cloud-init
 * user_data). Sealed with AES-256-GCM under the key in <dir>/secrets.key
 * (32 random bytes, 0600, made at the first start). The nonce is derived
 * from the plaintext (HMAC-SHA-256 under a second key derived from the
 * file), so equal values seal equal: change detection works on the sealed
 * text, and only equality is revealed. */
#ifndef CTL_SECRETS_H
#define CTL_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

struct ctl;

#define SECRETS_KEY_FILE "secrets.key"
#define SECRETS_PREFIX "sealed:v1:"

/* Load or create the key (start-up). */
int secrets_setup(struct ctl *c);
/* *out (caller frees): SECRETS_PREFIX + base64(nonce | ciphertext | tag). */
int secrets_seal(struct ctl *c, const char *text, char **out);
/* *out (caller frees, clear with OPENSSL_clear_free or explicit_bzero):
 * the plaintext; text without the prefix is returned as it is (a value
 * stored before sealing existed). -EVE_EBADSIG: tampered or another key. */
int secrets_open(struct ctl *c, const char *text, char **out);
bool secrets_is_sealed(const char *text);

#endif
