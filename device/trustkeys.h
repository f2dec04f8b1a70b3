// SPDX-License-Identifier: Apache-2.0
/* Publisher keys that the device's signed config adds to its trust store
 * (issue #31). EVE's API has no field for them, so they travel as config
 * items:
 *     images.trust.key.NAME = base64 of a P-256 key's DER SubjectPublicKeyInfo
 * NAME is 1..32 of [A-Za-z0-9_-]. They ADD to the keys of the config dir's
 * image-trust/ (the local ones stay; images.signatures keeps its local
 * floor), unless image-trust/controller-keys says deny. The device keeps
 * them as dir/ctl.NAME.pem (the signer name images then show). Library
 * code: no logging. */
#ifndef EVE_TRUSTKEYS_H
#define EVE_TRUSTKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/devcommon.pb-c.h"

#define TRUSTKEYS_PREFIX "images.trust.key."
#define TRUSTKEYS_NAME_MAX 32

/* key is an item of this kind (whatever its value). */
bool trustkeys_is_item(const char *key);

/* Why the device does not take the item (key, value) ("" and 0 when it
 * does): a bad name or key, or deny (the local policy refuses them). */
int trustkeys_check(const char *key, const char *value, bool deny, char *why, size_t len);

/* Make dir hold exactly the usable keys of items (none when deny): files
 * written atomically (0644), others of the form ctl.*.pem removed. Returns
 * the number of keys kept, or a negative errno (dir cannot be written). */
int trustkeys_sync(const char *dir, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, bool deny);

#endif
