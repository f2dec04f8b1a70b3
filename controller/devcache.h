// SPDX-License-Identifier: Apache-2.0
/* In-memory index of registered devices for the hot path (every signed
 * device request): lookup by senderCertHash (first 16 bytes of the SHA-256
 * of the device certificate's DER) and by UUID, O(1), in 64 independently
 * locked shards so concurrent polls never contend on one lock. Each entry
 * also caches the device's signed ConfigResponse and its hash; any admin
 * change invalidates it. last_seen is kept here and flushed to SQLite in
 * the background. */
#ifndef CTL_DEVCACHE_H
#define CTL_DEVCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "confighash.h"
#include "p256.h"
#include "uuidgen.h"

#define DEVCACHE_KEY_LEN 16

struct devcache;

/* What a request handler gets for a device: copies, safe after unlock. */
struct devcache_view {
	char uuid[UUID_STR_LEN];
	uint8_t pub[P256_POINT_LEN];   /* the device's public point */
	char cfg_hash[CONFIGHASH_LEN]; /* "" when no config is cached */
	uint64_t gen;                  /* config generation (for _put_config) */
	bool cfg_env_held;             /* the signed config itself is cached too */
};

int devcache_new(struct devcache **out);
void devcache_free(struct devcache *c);

/* Add or replace a device. cert_hash is the full 32-byte SHA-256; pub its
 * public point (kept as 65 bytes, not as an OpenSSL key: ~2 KB less per
 * device). */
int devcache_add(struct devcache *c, const uint8_t cert_hash[32], const char *uuid,
		 const uint8_t pub[P256_POINT_LEN], int64_t last_seen);
void devcache_remove(struct devcache *c, const char *uuid);
/* Find by senderCertHash (16 or 32 bytes). -ENOENT when unknown. */
int devcache_lookup(struct devcache *c, const uint8_t *hash, size_t len, struct devcache_view *v);
bool devcache_has_uuid(struct devcache *c, const char *uuid);

/* Record activity now. */
void devcache_touch(struct devcache *c, const uint8_t *hash, size_t len, int64_t now);
/* Last activity time of uuid (0 if never / unknown). */
int64_t devcache_last_seen(struct devcache *c, const char *uuid);
/* Call fn for every device whose last_seen moved by min_age seconds or more
 * since it was last passed to fn (min_age 0: every change). */
void devcache_flush_seen(struct devcache *c, int64_t min_age,
			 void (*fn)(void *ctx, const char *uuid, int64_t t), void *ctx);

/* Cached signed config envelope: copy into *env (caller frees). -ENOENT
 * when none. */
int devcache_get_config(struct devcache *c, const char *uuid, uint8_t **env, size_t *len,
			char hash[CONFIGHASH_LEN], uint64_t *gen);
/* Store a built config if nothing invalidated it since gen was read.
 * Takes ownership of env. */
void devcache_put_config(struct devcache *c, const char *uuid, uint64_t gen, uint8_t *env, size_t len,
			 const char *hash);
/* The device (by senderCertHash) has the config of generation gen: free
 * its signed copy and keep only the hash, which answers its 304 polls (a
 * device whose hash differs gets it rebuilt). Memory per device. */
void devcache_drop_config_env(struct devcache *c, const uint8_t *hash, size_t len, uint64_t gen);
/* Drop the cached config of one device, or of all (uuid NULL). */
void devcache_invalidate(struct devcache *c, const char *uuid);
/* When the config of uuid was first invalidated since a device last
 * took this (Unix ms), then clear it; 0 when nothing is pending. */
int64_t devcache_take_changed(struct devcache *c, const char *uuid);
/* Call fn for every device with its last activity time (Unix s). fn runs
 * under a shard lock: it must not call back into the cache. */
void devcache_foreach_seen(struct devcache *c, void (*fn)(void *ctx, const char *uuid, int64_t t), void *ctx);
/* Current generation of uuid (0 if unknown). */
uint64_t devcache_gen(struct devcache *c, const char *uuid);
size_t devcache_count(struct devcache *c);

#endif
