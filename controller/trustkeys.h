// SPDX-License-Identifier: Apache-2.0
/* Publisher keys that the controller adds to every device's trust store
 * (issue #31): the admin API /api/v1/image-trust-keys and the config items
 * images.trust.key.NAME that carry them in each device's signed config
 * (docs/security.md, "Who is trusted to publish images"). */
#ifndef CTL_TRUSTKEYS_H
#define CTL_TRUSTKEYS_H

#include "store.h"
#include "http.h"

#define TRUSTKEYS_ITEM_PREFIX "images.trust.key."

extern const struct http_route admin_trustkey_routes[];

/* Call fn(ctx, name, spki) for each key, ordered by name (spki: base64 of
 * the DER public key); a negative return of fn stops the walk and is
 * returned. 0 or -EIO. */
int trustkeys_each(struct store *d, int (*fn)(void *ctx, const char *name, const char *spki), void *ctx);

#endif
