// SPDX-License-Identifier: Apache-2.0
/* What one controller replica tells the others about the devices it
 * caches (devcache.h), when several serve one clustered store: a device's
 * config is built from something that changed (or every device's), a
 * device was added, a device was removed; and that the onboarding
 * certificates changed (onboard.h). Sent with store_notify on
 * CACHEBUS_CHANNEL, so a message inside a transaction leaves only if it
 * commits; received by cluster.c. On a store that is not clustered every
 * call here is a no-op that returns 0. */
#ifndef CTL_CACHEBUS_H
#define CTL_CACHEBUS_H

#include <stdint.h>
#include "p256.h"
#include "uuidgen.h"

struct store;

#define CACHEBUS_CHANNEL "eve_devices"
/* Longest message ("a", uuid, hash and point in hex, separators). */
#define CACHEBUS_MSG_MAX (2 + (UUID_STR_LEN - 1) + 1 + 64 + 1 + 2 * P256_POINT_LEN)

enum cachebus_kind {
	CACHEBUS_CONFIG = 'c',  /* drop the cached config of uuid ("": of every device) */
	CACHEBUS_REMOVED = 'r', /* forget device uuid */
	CACHEBUS_ADDED = 'a',   /* device uuid exists, with this certificate */
	CACHEBUS_ONBOARD = 'o', /* read the onboarding certificates again (uuid "") */
};

struct cachebus_msg {
	enum cachebus_kind kind;
	char uuid[UUID_STR_LEN];       /* "" in CACHEBUS_CONFIG (every device) and CACHEBUS_ONBOARD */
	uint8_t cert_hash[32];         /* CACHEBUS_ADDED: SHA-256 of the certificate */
	uint8_t point[P256_POINT_LEN]; /* CACHEBUS_ADDED: its public point */
};

/* Tell the others, on d (inside the transaction that made the change, or
 * after it committed). uuid NULL in cachebus_config: every device. 0 or
 * -errno (the store's). */
int cachebus_config(struct store *d, const char *uuid);
int cachebus_removed(struct store *d, const char *uuid);
int cachebus_added(struct store *d, const char *uuid, const uint8_t cert_hash[32],
		   const uint8_t point[P256_POINT_LEN]);
int cachebus_onboard(struct store *d);

/* The text of m in out: 0, or -EINVAL when it does not fit. */
int cachebus_format(const struct cachebus_msg *m, char out[CACHEBUS_MSG_MAX + 1]);
/* Decode a message as received (untrusted text): 0, or -EINVAL for
 * anything that is not exactly one of the forms above. */
int cachebus_parse(const char *payload, struct cachebus_msg *m);

#endif
