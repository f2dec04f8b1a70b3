// SPDX-License-Identifier: Apache-2.0
/* Devices: the store (SQLite rows + the in-memory devcache) and the admin
 * API under /api/v1/devices. */
#ifndef CTL_DEVICES_H
#define CTL_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "p256.h"
#include "uuidgen.h"

struct ctl;
struct store;

struct device_new {
	const char *name;             /* NULL: serial, else the uuid */
	const char *serial;           /* may be "" */
	const struct p256_cert *cert; /* the device certificate */
	const char *onboard_id;       /* NULL for pre-registered devices */
	const char *labels;           /* JSON object text, NULL = {} */
	bool registered;
};

/* Insert a device (new uuid in uuid_out) and index it in the cache; also
 * creates app instances for apps whose selector matches it.
 * -EEXIST when the certificate or name is taken. */
int devices_create(struct ctl *c, struct store *d, const struct device_new *n, char uuid_out[UUID_STR_LEN]);
/* Find by SHA-256 of the certificate DER. -ENOENT. */
int devices_find_by_cert(struct store *d, const uint8_t hash[32], char uuid[UUID_STR_LEN], int *registered);
/* Inside a write transaction: take serial's lock (store_lock: on a
 * clustered store, another transaction asking for the same serial waits
 * until this one ends), then true when a device holds serial (or the
 * store fails). The caller inserts the device in the same transaction. */
bool devices_serial_taken(struct store *d, const char *serial);
/* Mark registered (a pre-registered device called /register). */
int devices_set_registered(struct store *d, const char *uuid);
/* Load every device into c->cache (at start). */
int devices_load_cache(struct ctl *c);
/* Make the cache's set of devices the store's (another process added or
 * removed some): add the missing, remove the gone; cached entries of
 * devices still there are kept. 0 or -errno. */
int devices_sync_cache(struct ctl *c);
/* With replicas only: a device another replica registered a moment ago,
 * before its message (cluster.h) arrived here. Load the device whose
 * certificate hash is (or, 16 bytes, starts with) hash into the cache. 0;
 * -ENOENT when none, or alone on the store (the cache holds every device). */
int devices_cache_fill(struct ctl *c, const uint8_t *hash, size_t len);
/* Write in-memory last_seen values to the database: all (at shutdown) or
 * only those DEVICES_SEEN_PERSIST_S or more newer than the stored one. */
#define DEVICES_SEEN_PERSIST_S 300
/* With replicas, the row is what the others see of a device polling this
 * one: each replica writes what it saw, often enough that a device never
 * looks offline (3 intervals) to another replica. */
#define DEVICES_SEEN_PERSIST_CLUSTER_S 30
void devices_flush_seen(struct ctl *c, bool all);

#endif
