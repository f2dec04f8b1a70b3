// SPDX-License-Identifier: Apache-2.0
/* Sharded hash tables of devices: by cert hash (owns the entries) and by
 * UUID (maps to the cert hash). Lock order: never hold two shard locks. */
#include "devcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cachebus.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"

#define NSHARDS 64

struct entry {
	struct entry *next;
	uint8_t key[DEVCACHE_KEY_LEN];
	char uuid[UUID_STR_LEN];
	uint8_t pub[P256_POINT_LEN];
	_Atomic int64_t last_seen;
	int64_t flushed_seen;
	uint64_t gen;
	uint8_t *cfg_env;
	size_t cfg_len;
	char cfg_hash[CONFIGHASH_LEN];
	int64_t changed_ms; /* first invalidation not yet fetched (Unix ms) */
};

struct uentry {
	struct uentry *next;
	char uuid[UUID_STR_LEN];
	uint8_t key[DEVCACHE_KEY_LEN];
};

struct shard {
	pthread_rwlock_t lk;
	void **buckets; /* struct entry* or struct uentry* */
	size_t nbuckets, count;
};

struct devcache {
	struct shard by_key[NSHARDS];
	struct shard by_uuid[NSHARDS];
	_Atomic uint64_t gen_counter;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	/* FNV-1a: keys are already uniform (SHA-256 prefix) or short. */
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t key_hash(const uint8_t *key)
{
	return hash_bytes(key, DEVCACHE_KEY_LEN);
}

static uint64_t uuid_hash(const char *uuid)
{
	return hash_bytes(uuid, strlen(uuid));
}

static int shard_init(struct shard *s)
{
	pthread_rwlock_init(&s->lk, NULL);
	s->nbuckets = 64;
	s->buckets = calloc(s->nbuckets, sizeof(void *));
	return s->buckets ? 0 : -ENOMEM;
}

int devcache_new(struct devcache **out)
{
	struct devcache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (int i = 0; i < NSHARDS; i++) {
		if (shard_init(&c->by_key[i]) < 0 || shard_init(&c->by_uuid[i]) < 0) {
			devcache_free(c);
			return -ENOMEM;
		}
	}
	atomic_init(&c->gen_counter, 1);
	*out = c;
	return 0;
}

static void entry_free(struct entry *e)
{
	free(e->cfg_env);
	free(e);
}

void devcache_free(struct devcache *c)
{
	if (!c)
		return;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->by_key[i];
		for (size_t b = 0; s->buckets && b < s->nbuckets; b++)
			for (struct entry *e = s->buckets[b], *n; e; e = n) {
				n = e->next;
				entry_free(e);
			}
		free(s->buckets);
		pthread_rwlock_destroy(&s->lk);
		s = &c->by_uuid[i];
		for (size_t b = 0; s->buckets && b < s->nbuckets; b++)
			for (struct uentry *e = s->buckets[b], *n; e; e = n) {
				n = e->next;
				free(e);
			}
		free(s->buckets);
		pthread_rwlock_destroy(&s->lk);
	}
	free(c);
}

/* Chains are singly linked through the first member, so one rehash serves
 * both entry types. */
struct link {
	struct link *next;
};

static void shard_grow(struct shard *s, uint64_t (*hf)(const void *))
{
	if (s->count < s->nbuckets * 2)
		return;
	size_t nb = s->nbuckets * 4;
	void **nbk = calloc(nb, sizeof(void *));
	if (!nb || !nbk)
		return; /* keep the longer chains; still correct */
	for (size_t b = 0; b < s->nbuckets; b++) {
		for (struct link *l = s->buckets[b], *n; l; l = n) {
			n = l->next;
			size_t i = (hf(l) >> 6) & (nb - 1);
			l->next = nbk[i];
			nbk[i] = l;
		}
	}
	free(s->buckets);
	s->buckets = nbk;
	s->nbuckets = nb;
}

static uint64_t entry_hf(const void *p)
{
	return key_hash(((const struct entry *)p)->key);
}

static uint64_t uentry_hf(const void *p)
{
	return uuid_hash(((const struct uentry *)p)->uuid);
}

static struct shard *key_shard(struct devcache *c, const uint8_t *key, void ***bucket)
{
	uint64_t h = key_hash(key);
	struct shard *s = &c->by_key[h & (NSHARDS - 1)];
	*bucket = &s->buckets[(h >> 6) & (s->nbuckets - 1)];
	return s;
}

/* Caller holds the shard lock. */
static struct entry *find_key(struct devcache *c, const uint8_t *key, struct shard **sp)
{
	uint64_t h = key_hash(key);
	struct shard *s = &c->by_key[h & (NSHARDS - 1)];
	*sp = s;
	for (struct entry *e = s->buckets[(h >> 6) & (s->nbuckets - 1)]; e; e = e->next)
		if (!memcmp(e->key, key, DEVCACHE_KEY_LEN))
			return e;
	return NULL;
}

static struct shard *lock_key_shard(struct devcache *c, const uint8_t *key, bool write)
{
	struct shard *s = &c->by_key[key_hash(key) & (NSHARDS - 1)];
	if (write)
		pthread_rwlock_wrlock(&s->lk);
	else
		pthread_rwlock_rdlock(&s->lk);
	return s;
}

/* uuid -> key; false when unknown. */
static bool uuid_key(struct devcache *c, const char *uuid, uint8_t key[DEVCACHE_KEY_LEN])
{
	uint64_t h = uuid_hash(uuid);
	struct shard *s = &c->by_uuid[h & (NSHARDS - 1)];
	bool found = false;
	pthread_rwlock_rdlock(&s->lk);
	for (struct uentry *e = s->buckets[(h >> 6) & (s->nbuckets - 1)]; e; e = e->next) {
		if (!strcmp(e->uuid, uuid)) {
			memcpy(key, e->key, DEVCACHE_KEY_LEN);
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&s->lk);
	return found;
}

static void uuid_remove(struct devcache *c, const char *uuid)
{
	uint64_t h = uuid_hash(uuid);
	struct shard *s = &c->by_uuid[h & (NSHARDS - 1)];
	pthread_rwlock_wrlock(&s->lk);
	struct uentry **pp = (struct uentry **)&s->buckets[(h >> 6) & (s->nbuckets - 1)];
	while (*pp) {
		if (!strcmp((*pp)->uuid, uuid)) {
			struct uentry *dead = *pp;
			*pp = dead->next;
			free(dead);
			s->count--;
			break;
		}
		pp = &(*pp)->next;
	}
	pthread_rwlock_unlock(&s->lk);
}

static void key_remove(struct devcache *c, const uint8_t *key)
{
	struct shard *s = lock_key_shard(c, key, true);
	void **bucket;
	key_shard(c, key, &bucket);
	struct entry **pp = (struct entry **)bucket;
	while (*pp) {
		if (!memcmp((*pp)->key, key, DEVCACHE_KEY_LEN)) {
			struct entry *dead = *pp;
			*pp = dead->next;
			entry_free(dead);
			s->count--;
			break;
		}
		pp = &(*pp)->next;
	}
	pthread_rwlock_unlock(&s->lk);
}

void devcache_remove(struct devcache *c, const char *uuid)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return;
	uuid_remove(c, uuid);
	key_remove(c, key);
}

int devcache_add(struct devcache *c, const uint8_t cert_hash[32], const char *uuid,
		 const uint8_t pub[P256_POINT_LEN], int64_t last_seen)
{
	struct entry *e = calloc(1, sizeof(*e));
	struct uentry *u = calloc(1, sizeof(*u));
	if (!e || !u || strlen(uuid) >= UUID_STR_LEN) {
		free(e);
		free(u);
		return e && u ? -EINVAL : -ENOMEM;
	}
	devcache_remove(c, uuid);
	key_remove(c, cert_hash);
	memcpy(e->key, cert_hash, DEVCACHE_KEY_LEN);
	strcpy(e->uuid, uuid);
	memcpy(e->pub, pub, P256_POINT_LEN);
	atomic_init(&e->last_seen, last_seen);
	e->flushed_seen = last_seen;
	e->gen = atomic_fetch_add(&c->gen_counter, 1);
	memcpy(u->key, cert_hash, DEVCACHE_KEY_LEN);
	strcpy(u->uuid, uuid);

	struct shard *s = lock_key_shard(c, e->key, true);
	shard_grow(s, entry_hf);
	void **bucket;
	key_shard(c, e->key, &bucket);
	e->next = *bucket;
	*bucket = e;
	s->count++;
	pthread_rwlock_unlock(&s->lk);

	uint64_t h = uuid_hash(uuid);
	s = &c->by_uuid[h & (NSHARDS - 1)];
	pthread_rwlock_wrlock(&s->lk);
	shard_grow(s, uentry_hf);
	void **ub = &s->buckets[(h >> 6) & (s->nbuckets - 1)];
	u->next = *ub;
	*ub = u;
	s->count++;
	pthread_rwlock_unlock(&s->lk);
	return 0;
}

int devcache_lookup(struct devcache *c, const uint8_t *hash, size_t len, struct devcache_view *v)
{
	if (len < DEVCACHE_KEY_LEN)
		return -ENOENT;
	struct shard *s = lock_key_shard(c, hash, false);
	struct entry *e = find_key(c, hash, &s);
	int r = -ENOENT;
	if (e) {
		memcpy(v->uuid, e->uuid, sizeof(v->uuid));
		memcpy(v->pub, e->pub, P256_POINT_LEN);
		memcpy(v->cfg_hash, e->cfg_hash, sizeof(v->cfg_hash));
		v->cfg_env_held = e->cfg_env != NULL;
		v->gen = e->gen;
		r = 0;
	}
	pthread_rwlock_unlock(&s->lk);
	return r;
}

bool devcache_has_uuid(struct devcache *c, const char *uuid)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	return uuid_key(c, uuid, key);
}

void devcache_touch(struct devcache *c, const uint8_t *hash, size_t len, int64_t now)
{
	if (len < DEVCACHE_KEY_LEN)
		return;
	struct shard *s = lock_key_shard(c, hash, false);
	struct entry *e = find_key(c, hash, &s);
	if (e)
		atomic_store(&e->last_seen, now);
	pthread_rwlock_unlock(&s->lk);
}

void devcache_drop_config_env(struct devcache *c, const uint8_t *hash, size_t len, uint64_t gen)
{
	if (len < DEVCACHE_KEY_LEN)
		return;
	struct shard *s = lock_key_shard(c, hash, true);
	struct entry *e = find_key(c, hash, &s);
	if (e && e->gen == gen && e->cfg_env) {
		free(e->cfg_env);
		e->cfg_env = NULL;
		e->cfg_len = 0;
	}
	pthread_rwlock_unlock(&s->lk);
}

int64_t devcache_last_seen(struct devcache *c, const char *uuid)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return 0;
	struct shard *s = lock_key_shard(c, key, false);
	struct entry *e = find_key(c, key, &s);
	int64_t t = e ? atomic_load(&e->last_seen) : 0;
	pthread_rwlock_unlock(&s->lk);
	return t;
}

struct seen {
	char uuid[UUID_STR_LEN];
	int64_t t;
};

void devcache_flush_seen(struct devcache *c, int64_t min_age,
			 void (*fn)(void *ctx, const char *uuid, int64_t t), void *ctx)
{
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->by_key[i];
		struct seen *list = NULL;
		size_t n = 0;
		/* Collect under the write lock (flushed_seen changes), call fn
		 * (which writes SQLite) after releasing it. */
		pthread_rwlock_wrlock(&s->lk);
		list = s->count ? calloc(s->count, sizeof(*list)) : NULL;
		for (size_t b = 0; list && b < s->nbuckets; b++) {
			for (struct entry *e = s->buckets[b]; e; e = e->next) {
				int64_t t = atomic_load(&e->last_seen);
				if (t == e->flushed_seen || t - e->flushed_seen < min_age)
					continue;
				e->flushed_seen = t;
				memcpy(list[n].uuid, e->uuid, UUID_STR_LEN);
				list[n++].t = t;
			}
		}
		pthread_rwlock_unlock(&s->lk);
		for (size_t k = 0; k < n; k++)
			fn(ctx, list[k].uuid, list[k].t);
		free(list);
	}
}

int devcache_get_config(struct devcache *c, const char *uuid, uint8_t **env, size_t *len,
			char hash[CONFIGHASH_LEN], uint64_t *gen)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return -ENOENT;
	struct shard *s = lock_key_shard(c, key, false);
	struct entry *e = find_key(c, key, &s);
	int r = -ENOENT;
	if (e) {
		*gen = e->gen;
		if (e->cfg_env) {
			*env = malloc(e->cfg_len);
			r = *env ? 0 : -ENOMEM;
			if (r == 0) {
				memcpy(*env, e->cfg_env, e->cfg_len);
				*len = e->cfg_len;
				memcpy(hash, e->cfg_hash, CONFIGHASH_LEN);
			}
		}
	}
	pthread_rwlock_unlock(&s->lk);
	return r;
}

void devcache_put_config(struct devcache *c, const char *uuid, uint64_t gen, uint8_t *env, size_t len,
			 const char *hash)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key)) {
		free(env);
		return;
	}
	struct shard *s = lock_key_shard(c, key, true);
	struct entry *e = find_key(c, key, &s);
	if (e && e->gen == gen) {
		free(e->cfg_env);
		e->cfg_env = env;
		e->cfg_len = len;
		snprintf(e->cfg_hash, sizeof(e->cfg_hash), "%s", hash);
		env = NULL;
	}
	pthread_rwlock_unlock(&s->lk);
	free(env);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void entry_invalidate(struct devcache *c, struct entry *e)
{
	if (!e->changed_ms)
		e->changed_ms = now_ms();
	free(e->cfg_env);
	e->cfg_env = NULL;
	e->cfg_len = 0;
	e->cfg_hash[0] = 0;
	e->gen = atomic_fetch_add(&c->gen_counter, 1);
}

void devcache_invalidate(struct devcache *c, const char *uuid)
{
	if (!uuid) {
		for (int i = 0; i < NSHARDS; i++) {
			struct shard *s = &c->by_key[i];
			pthread_rwlock_wrlock(&s->lk);
			for (size_t b = 0; b < s->nbuckets; b++)
				for (struct entry *e = s->buckets[b]; e; e = e->next)
					entry_invalidate(c, e);
			pthread_rwlock_unlock(&s->lk);
		}
		return;
	}
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return;
	struct shard *s = lock_key_shard(c, key, true);
	struct entry *e = find_key(c, key, &s);
	if (e)
		entry_invalidate(c, e);
	pthread_rwlock_unlock(&s->lk);
}

int64_t devcache_take_changed(struct devcache *c, const char *uuid)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return 0;
	struct shard *s = lock_key_shard(c, key, true);
	struct entry *e = find_key(c, key, &s);
	int64_t t = 0;
	if (e) {
		t = e->changed_ms;
		e->changed_ms = 0;
	}
	pthread_rwlock_unlock(&s->lk);
	return t;
}

void devcache_foreach_seen(struct devcache *c, void (*fn)(void *ctx, const char *uuid, int64_t t), void *ctx)
{
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->by_key[i];
		pthread_rwlock_rdlock(&s->lk);
		for (size_t b = 0; b < s->nbuckets; b++)
			for (struct entry *e = s->buckets[b]; e; e = e->next)
				fn(ctx, e->uuid, atomic_load(&e->last_seen));
		pthread_rwlock_unlock(&s->lk);
	}
}

uint64_t devcache_gen(struct devcache *c, const char *uuid)
{
	uint8_t key[DEVCACHE_KEY_LEN];
	if (!uuid_key(c, uuid, key))
		return 0;
	struct shard *s = lock_key_shard(c, key, false);
	struct entry *e = find_key(c, key, &s);
	uint64_t g = e ? e->gen : 0;
	pthread_rwlock_unlock(&s->lk);
	return g;
}

size_t devcache_count(struct devcache *c)
{
	size_t n = 0;
	for (int i = 0; i < NSHARDS; i++) {
		pthread_rwlock_rdlock(&c->by_key[i].lk);
		n += c->by_key[i].count;
		pthread_rwlock_unlock(&c->by_key[i].lk);
	}
	return n;
}

/* Declared in ctl.h: every module that changes what a device's config is
 * built from calls it, so it sits beside the cache it invalidates. */
void ctl_device_changed(struct ctl *c, struct store *db, const char *uuid)
{
	struct store *d = db ? db : store_get(c->db);
	/* (void): the number only labels the config (EdgeDevConfig.id); the
	 * config itself is rebuilt from the tables once the cache entry below
	 * is gone (its hash follows its content), and a caller's failing
	 * transaction reports its own error */
	(void)devices_store_bump_config(d, uuid);
	/* (void): a replica that misses it drops every cached config when it
	 * finds its session lost (cluster.h) */
	(void)cachebus_config(d, uuid);
	if (!db)
		store_put(c->db, d);
	devcache_invalidate(c->cache, uuid);
}

void ctl_devices_changed(struct ctl *c, struct store *db, char (*ids)[UUID_STR_LEN], size_t n)
{
	struct store *d = db ? db : store_get(c->db);
	bool own = n > 1 && !store_in_transaction(d) && store_begin(d) == 0;
	for (size_t i = 0; i < n; i++) {
		/* (void): as in ctl_device_changed */
		(void)devices_store_bump_config(d, ids[i]);
		(void)cachebus_config(d, ids[i]);
	}
	if (own && store_commit(d) < 0)
		store_rollback(d);
	if (!db)
		store_put(c->db, d);
	for (size_t i = 0; i < n; i++)
		devcache_invalidate(c->cache, ids[i]);
}

void ctl_configs_changed(struct ctl *c, struct store *db)
{
	struct store *d = db ? db : store_get(c->db);
	(void)cachebus_config(d, NULL); /* (void): as in ctl_device_changed */
	if (!db)
		store_put(c->db, d);
	devcache_invalidate(c->cache, NULL);
}
