// SPDX-License-Identifier: Apache-2.0
/* Device store and /api/v1/devices. */
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "app_spec.h"
#include "apps.h"
#include "apps_store.h"
#include "cachebus.h"
#include "config_build.h"
#include "crypto.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "hexstr.h"
#include "images.h"
#include "info/info.pb-c.h"
#include "infolatest.h"
#include "pbjson.h"
#include "p256.h"
#include "properties.h"
#include "replay.h"
#include "revoked.h"
#include "uuidlist.h"

#define DEFAULT_INTERVAL 60
#define NAME_MAX_LEN 128

int devices_create(struct ctl *c, struct store *d, const struct device_new *n, char uuid_out[UUID_STR_LEN])
{
	const uint8_t *h = n->cert->hash;
	char uuid[UUID_STR_LEN];
	char *pem = NULL;
	int r = p256_der_to_pem(n->cert->der, n->cert->der_len, &pem);
	if (r == 0)
		r = uuidgen_v7(uuid); /* time-ordered: the primary-key index appends */
	struct store_stmt *st =
	    r == 0 ? store_stmt(d, "INSERT INTO devices(id, name, serial, cert_hash, cert_pem, onboard_id,"
				   " labels, created, registered) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)")
		   : NULL;
	if (r == 0 && !st)
		r = -EIO;
	if (r < 0)
		goto out;
	const char *name = n->name && *n->name ? n->name : n->serial && *n->serial ? n->serial : uuid;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, n->serial ? n->serial : "");
	store_bind_blob(st, 4, h, CRYPTO_SHA256_LEN);
	store_bind_text(st, 5, pem);
	if (n->onboard_id)
		store_bind_text(st, 6, n->onboard_id);
	store_bind_text(st, 7, n->labels ? n->labels : "{}");
	store_bind_int64(st, 8, (int64_t)time(NULL));
	store_bind_int64(st, 9, n->registered);
	r = store_step_done(st);
	/* A name clash with a serial-derived name: fall back to the uuid. */
	char other[UUID_STR_LEN];
	if (r == -EEXIST && name != uuid && !(n->name && *n->name) &&
	    devices_find_by_cert(d, h, other, NULL) < 0) {
		store_bind_text(st, 2, uuid);
		r = store_step_done(st);
	}
	bool changed;
	if (r == 0)
		r = apps_sync_device(c, d, uuid, &changed);
	if (r == 0)
		r = devcache_add(c->cache, h, uuid, n->cert->point, 0);
	if (r == 0)
		r = cachebus_added(d, uuid, h, n->cert->point);
	if (r == 0)
		memcpy(uuid_out, uuid, UUID_STR_LEN);
out:
	free(pem);
	return r;
}

int devices_find_by_cert(struct store *d, const uint8_t hash[32], char uuid[UUID_STR_LEN], int *registered)
{
	struct store_stmt *st = store_stmt(d, "SELECT id, registered FROM devices WHERE cert_hash = ?1");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, hash, 32);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		snprintf(uuid, UUID_STR_LEN, "%s", store_col_str(st, 0));
		if (registered)
			*registered = store_col_int(st, 1);
		r = 0;
	}
	store_reset(st);
	return r;
}

/* The store_lock key of a serial: 63 bits of its SHA-256 (a collision
 * only makes two registrations take turns). */
static int64_t serial_lock_key(const char *serial)
{
	uint8_t h[CRYPTO_SHA256_LEN];
	uint64_t k = 0;
	if (crypto_sha256(serial, strlen(serial), h) < 0)
		return 0;
	for (int i = 0; i < 8; i++)
		k = k << 8 | h[i];
	return (int64_t)(k >> 1);
}

bool devices_serial_taken(struct store *d, const char *serial)
{
	if (store_lock(d, serial_lock_key(serial)) < 0)
		return true;
	struct store_stmt *st = store_stmt(d, "SELECT 1 FROM devices WHERE serial = ?1 LIMIT 1");
	if (!st)
		return true;
	store_bind_text(st, 1, serial);
	bool taken = store_step(st) == STORE_ROW;
	store_reset(st);
	return taken;
}

int devices_set_registered(struct store *d, const char *uuid)
{
	struct store_stmt *st = store_stmt(d, "UPDATE devices SET registered = 1 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	return store_step_done(st);
}

/* Add the device of a (id, cert_hash, cert_pem, last_seen) row to the
 * cache. An unreadable row is left out (0): it must not stop the rest. */
static int cache_add_row(struct ctl *c, struct store_stmt *st)
{
	const char *pem = store_col_str(st, 2);
	uint8_t *der = NULL;
	size_t len, nfp;
	struct p256_cert pc;
	const void *fp = store_col_blob(st, 1, &nfp);
	int r = 0;
	if (nfp != 32 || p256_pem_to_der(pem, strlen(pem), &der, &len) < 0)
		return 0;
	if (p256_cert_parse(der, len, &pc) == 0)
		r = devcache_add(c->cache, fp, store_col_str(st, 0), pc.point, store_col_int64(st, 3));
	free(der);
	return r;
}

#define CACHE_ROWS_SQL "SELECT id, cert_hash, cert_pem, coalesce(last_seen, 0) FROM devices"

int devices_load_cache(struct ctl *c)
{
	struct store *d = store_get(c->db);
	struct store_stmt *st = store_stmt(d, CACHE_ROWS_SQL);
	int r = st ? 0 : -EIO;
	while (r == 0 && store_step(st) == STORE_ROW)
		r = cache_add_row(c, st);
	store_put(c->db, d);
	return r;
}

int devices_cache_fill(struct ctl *c, const uint8_t *hash, size_t len)
{
	uint8_t above[16];
	if (!store_clustered(c->db) || (len != 16 && len != 32))
		return -ENOENT;
	/* a 16-byte prefix: the hashes in [prefix, prefix + 1) */
	memcpy(above, hash, sizeof(above));
	int i = (int)sizeof(above) - 1;
	while (i >= 0 && ++above[i] == 0)
		i--;
	struct store *d = store_get(c->db);
	struct store_stmt *st =
	    len == 32 ? store_stmt(d, CACHE_ROWS_SQL " WHERE cert_hash = ?1")
	    : i >= 0  ? store_stmt(d, CACHE_ROWS_SQL " WHERE cert_hash >= ?1 AND cert_hash < ?2 LIMIT 1")
		      : store_stmt(d, CACHE_ROWS_SQL " WHERE cert_hash >= ?1 LIMIT 1");
	int r = st ? -ENOENT : -EIO;
	if (st) {
		store_bind_blob(st, 1, hash, len);
		if (len == 16 && i >= 0)
			store_bind_blob(st, 2, above, sizeof(above));
		if (store_step(st) == STORE_ROW && cache_add_row(c, st) == 0)
			r = 0;
		store_reset(st);
	}
	store_put(c->db, d);
	return r;
}

/* The ids of the stored devices, sorted, for devices_sync_cache. */
struct id_set {
	struct uuidlist stored;
	struct uuidlist gone; /* cached, not stored */
	bool nomem;
};

/* Under a cache shard lock: note a cached device the store lacks. */
static void note_gone(void *ctx, const char *uuid, int64_t t)
{
	struct id_set *s = ctx;
	(void)t;
	if (!uuidlist_has(&s->stored, uuid) && uuidlist_add(&s->gone, uuid) < 0)
		s->nomem = true;
}

int devices_sync_cache(struct ctl *c)
{
	struct id_set s = {0};
	struct store *d = store_get(c->db);
	struct store_stmt *st = store_stmt(d, CACHE_ROWS_SQL);
	int r = st ? 0 : -EIO;
	while (r == 0 && store_step(st) == STORE_ROW) {
		const char *id = store_col_str(st, 0);
		if (uuidlist_add(&s.stored, id) < 0)
			r = -ENOMEM;
		else if (!devcache_has_uuid(c->cache, id))
			r = cache_add_row(c, st);
	}
	if (st)
		store_reset(st);
	store_put(c->db, d);
	if (r == 0) {
		uuidlist_sort_unique(&s.stored);
		devcache_foreach_seen(c->cache, note_gone, &s);
		for (size_t i = 0; i < s.gone.n; i++)
			devcache_remove(c->cache, s.gone.ids[i]);
		r = s.nomem ? -ENOMEM : 0;
	}
	uuidlist_free(&s.stored);
	uuidlist_free(&s.gone);
	return r;
}

/* Rows per write transaction: small enough that a request thread waiting
 * for the write lock (register, reports) never waits for a whole fleet's
 * flush, large enough to amortise the commit. */
#define SEEN_BATCH 256

struct seen_flush {
	struct store *d;
	unsigned n;
	bool open;
};

static void flush_one(void *ctx, const char *uuid, int64_t t)
{
	struct seen_flush *f = ctx;
	struct store_stmt *st;

	if (!f->open && store_begin(f->d) < 0)
		return;
	f->open = true;
	/* never back: another replica may have written a later contact */
	st = store_stmt(f->d,
			"UPDATE devices SET last_seen = ?2 WHERE id = ?1 AND coalesce(last_seen, 0) < ?2");
	if (st) {
		store_bind_text(st, 1, uuid);
		store_bind_int64(st, 2, t);
		/* (void): last_seen is advisory; a lost write is overwritten by
		 * the device's next contact */
		(void)store_step_done(st);
	}
	if (++f->n % SEEN_BATCH == 0) {
		if (store_commit(f->d) < 0)
			store_rollback(f->d);
		f->open = false;
	}
}

/* The cache is what the admin API, /metrics and rollouts read (each takes
 * the newer of it and the row); the row only matters after a restart. So
 * a device's row is written when its time moved DEVICES_SEEN_PERSIST_S or
 * more: a device coming back after that long at the next flush, a device
 * in contact at most once per that period instead of at every flush (at
 * EVE's 60 s interval, 1 write in 5; the rows are ~1 KB, each update a
 * page). A clean stop writes everything; a crash loses at most that much
 * of a device's time. */
void devices_flush_seen(struct ctl *c, bool all)
{
	struct seen_flush f = {.d = store_get(c->db)};

	int64_t age = all                      ? 0
		      : store_clustered(c->db) ? DEVICES_SEEN_PERSIST_CLUSTER_S
					       : DEVICES_SEEN_PERSIST_S;
	devcache_flush_seen(c->cache, age, flush_one, &f);
	if (f.open && store_commit(f.d) < 0)
		store_rollback(f.d);
	store_put(c->db, f.d);
}

/* --- device objects --- */

static int64_t config_interval(const char *items_json)
{
	json_t *o = json_loads(items_json, 0, NULL);
	const char *v = json_string_value(json_object_get(o, "timer.config.interval"));
	int64_t n = v ? strtoll(v, NULL, 10) : 0;
	json_decref(o);
	return n > 0 ? n : DEFAULT_INTERVAL;
}

/* Config hash of uuid: cached, else built (and cached). */
static void device_config_hash(struct ctl *c, struct store *d, const char *uuid, char hash[CONFIGHASH_LEN])
{
	uint8_t *env = NULL;
	size_t len;
	uint64_t gen;
	hash[0] = 0;
	if (devcache_get_config(c->cache, uuid, &env, &len, hash, &gen) == 0) {
		free(env);
		return;
	}
	gen = devcache_gen(c->cache, uuid);
	if (config_build_envelope(c, d, uuid, &env, &len, hash) == 0)
		devcache_put_config(c->cache, uuid, gen, env, len, hash);
}

#define DEVICE_COLS                                                                                          \
	"id, name, serial, labels, config_version, config_items, os_version, coalesce(last_seen, 0), "       \
	"project"

static json_t *device_row(struct ctl *c, struct store *d, struct store_stmt *st)
{
	char uuid[UUID_STR_LEN], hash[CONFIGHASH_LEN];
	snprintf(uuid, sizeof(uuid), "%s", store_col_str(st, 0));
	int64_t seen = devcache_last_seen(c->cache, uuid);
	if (seen < store_col_int64(st, 7))
		seen = store_col_int64(st, 7);
	int64_t interval = config_interval(store_col_str(st, 5));
	const char *state = seen == 0 ? "never" : time(NULL) - seen <= 3 * interval ? "online" : "offline";
	int64_t total = 0, running = 0;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "id", uuid, "name", store_col_str(st, 1),
			      "serial", store_col_str(st, 2), "state", state, "last_seen",
			      admin_time_json(seen), "labels", admin_json_col(store_col_str(st, 3)),
			      "config_version", (json_int_t)store_col_int64(st, 4));
	json_object_set_new(j, "os_version", json_string(store_col_str(st, 6)));
	json_object_set_new(j, "project", json_string(store_col_str(st, 8)));
	/* The helpers below use other statements; st stays positioned. */
	apps_count_device(d, uuid, &total, &running);
	json_object_set_new(j, "apps_total", json_integer(total));
	json_object_set_new(j, "apps_running", json_integer(running));
	device_config_hash(c, d, uuid, hash);
	json_object_set_new(j, "config_hash", json_string(hash));
	return j;
}

/* ?label=k=v (repeatable is not supported by MHD lookups: one pair). */
static bool labels_match(const char *labels_json, const char *sel)
{
	if (!sel)
		return true;
	const char *eq = strchr(sel, '=');
	if (!eq)
		return false;
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - sel), sel);
	json_t *o = json_loads(labels_json, 0, NULL);
	const char *v = json_string_value(json_object_get(o, key));
	bool ok = v && !strcmp(v, eq + 1);
	json_decref(o);
	return ok;
}

/* ?q=: a case-insensitive substring of the name, serial, id or a label
 * key/value (LIKE with its wildcards escaped). */
static char *like_pattern(const char *q)
{
	size_t n = strlen(q);
	char *p = malloc(2 * n + 3), *o = p;
	if (!p)
		return NULL;
	*o++ = '%';
	for (const char *c = q; *c; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			*o++ = '\\';
		*o++ = *c;
	}
	*o++ = '%';
	*o = 0;
	return p;
}

#define DEVICE_Q_MAX 128

static json_t *latest_device_info(struct store *d, const char *uuid);
static json_t *os_update_json(struct store *d, const char *uuid, json_t *info, const char *running,
			      json_t *seen);

/* A page (?limit) also carries each device's "os_update" (as GET
 * /devices/{device}) and "attestation" (the state of the attestation_info
 * of its latest ZInfoDevice, or null): the fleet view shows both. */
static void page_extras(struct store *d, json_t *items)
{
	size_t i;
	json_t *row, *seen = json_object();
	json_array_foreach(items, i, row)
	{
		const char *uuid = json_string_value(json_object_get(row, "id"));
		json_t *info = latest_device_info(d, uuid);
		json_object_set_new(
		    row, "os_update",
		    os_update_json(d, uuid, info, json_string_value(json_object_get(row, "os_version")) ?: "",
				   seen));
		json_t *att = json_object_get(json_object_get(info, "attestation_info"), "state");
		json_object_set_new(row, "attestation", json_is_string(att) ? json_copy(att) : json_null());
		json_decref(info);
	}
	json_decref(seen);
}

/* GET /devices: ?label=k=v, ?q=text, ?state=online|offline|never filter;
 * ?limit=N (max 1000) pages by name, ?after=<name of the last device of
 * the previous page>; "next" is that name when there may be more, and
 * "total" counts every device matching the filters (all of them when no
 * limit is given). */
static void h_list(struct http_req *r)
{
	const char *label = http_arg(r, "label"), *q = http_arg(r, "q"), *state = http_arg(r, "state");
	const char *after = http_arg(r, "after"), *lim = http_arg(r, "limit");
	long long limit = -1;
	if (lim) {
		char *end;
		limit = strtoll(lim, &end, 10);
		if (*end || limit < 1 || limit > 1000) {
			http_reply_error(r, 400, "limit: 1-1000");
			return;
		}
	}
	if (state && strcmp(state, "online") && strcmp(state, "offline") && strcmp(state, "never")) {
		http_reply_error(r, 400, "state: online, offline or never");
		return;
	}
	if (q && strlen(q) > DEVICE_Q_MAX) {
		http_reply_error(r, 400, "q: at most %d characters", DEVICE_Q_MAX);
		return;
	}
	char *pat = q && *q ? like_pattern(q) : NULL;
	if (q && *q && !pat) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(
	    d, "SELECT " DEVICE_COLS " FROM devices WHERE"
	       " (?9 = '*' OR instr(?9, ',' || project || ',') > 0) AND (CAST(?1 AS TEXT) IS NULL"
	       /* lower(): SQLite's LIKE ignores ASCII case, PostgreSQL's does not */
	       " OR lower(name) LIKE lower(?1) ESCAPE '\\' OR lower(serial) LIKE lower(?1) ESCAPE '\\'"
	       " OR lower(id) LIKE lower(?1) ESCAPE '\\' OR lower(labels) LIKE lower(?1) ESCAPE '\\')"
	       " ORDER BY name");
	json_t *items = json_array(), *next = json_null();
	json_int_t total = 0, past_cursor = 0;
	if (st && pat)
		store_bind_text(st, 1, pat);
	if (st)
		store_bind_text(st, 9, access_grants(r));
	while (st && store_step(st) == STORE_ROW) {
		if (!labels_match(store_col_str(st, 3), label))
			continue;
		bool listed = !after || strcmp(store_col_str(st, 1), after) > 0;
		bool room = limit < 0 || (long long)json_array_size(items) < limit;
		json_t *row = NULL;
		/* Rows off this page are only built when the state filter needs it. */
		if (state || (listed && room)) {
			row = device_row(r->ctl, d, st);
			if (state && strcmp(json_string_value(json_object_get(row, "state")), state)) {
				json_decref(row);
				continue;
			}
		}
		total++;
		past_cursor += listed;
		if (listed && room && row)
			json_array_append(items, row);
		json_decref(row);
	}
	if (st)
		store_reset(st);
	if (limit >= 0)
		page_extras(d, items);
	store_put(r->ctl->db, d);
	free(pat);
	size_t n = json_array_size(items);
	if (n && past_cursor > (json_int_t)n)
		next = json_copy(json_object_get(json_array_get(items, n - 1), "name"));
	http_reply_json(r, 200, json_pack("{s:o, s:o, s:I}", "items", items, "next", next, "total", total));
}

static int device_json(struct ctl *c, struct store *d, const char *uuid, json_t **out)
{
	struct store_stmt *st = store_stmt(d, "SELECT " DEVICE_COLS " FROM devices WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = device_row(c, d, st);
		r = 0;
	}
	store_reset(st);
	return r;
}

/* Latest ZInfoDevice of uuid as JSON, or null. */
static json_t *latest_device_info(struct store *d, const char *uuid)
{
	return infolatest_content_json(d, uuid, "device", NULL);
}

/* A partition's swErr that is no error but the publisher signature of its
 * image (severity NOTICE: verified, WARNING: used unverified under
 * images.signatures=warn; docs/device-api.md): 1 / 2, else 0. */
static int sw_signature(const json_t *sw)
{
	const json_t *e = json_object_get(sw, "swErr"), *sev = json_object_get(e, "severity");
	const char *s = json_string_value(sev);

	if (!json_string_value(json_object_get(e, "description")))
		return 0;
	if ((s && !strcmp(s, "SEVERITY_NOTICE")) || json_integer_value(sev) == 1)
		return 1;
	if ((s && !strcmp(s, "SEVERITY_WARNING")) || json_integer_value(sev) == 2)
		return 2;
	return 0;
}

/* Requested vs running base OS, and the update's state and error as the
 * device reports them (ZInfoDevSW: the partition with an error or being
 * updated, else the active one). */
/* The base OS image asked of device uuid (its id or name in the row) into
 * o's requested_image and requested_version. seen (may be NULL): the
 * images looked up already, {ref: [name, version]}, for a page of devices
 * (images are few, devices many). */
static void requested_image(struct store *d, const char *uuid, json_t *o, json_t *seen)
{
	char ref[512];
	/* (a NULL column reads as "": none) */
	if (store_text(d, "SELECT baseos_image FROM devices WHERE id = ?1", uuid, ref, sizeof(ref)) < 0 ||
	    !ref[0])
		return;
	json_t *img = json_incref(json_object_get(seen, ref));
	if (!img) {
		char name[512], version[512];
		img = images_name_version(d, ref, name, sizeof(name), version, sizeof(version)) == 0
			  ? json_pack("[s, s]", name, version)
			  : json_null();
		if (seen && img)
			json_object_set(seen, ref, img);
	}
	if (json_is_array(img)) {
		json_object_set(o, "requested_image", json_array_get(img, 0));
		json_object_set(o, "requested_version", json_array_get(img, 1));
	}
	json_decref(img);
}

static json_t *os_update_json(struct store *d, const char *uuid, json_t *info, const char *running,
			      json_t *seen)
{
	json_t *o =
	    json_pack("{s:s, s:n, s:n, s:n, s:n, s:n, s:n}", "running_version", running, "requested_image",
		      "requested_version", "state", "error", "substatus", "signature");
	if (!o)
		return NULL;
	requested_image(d, uuid, o, seen);
	json_t *sw, *pick = NULL;
	size_t i;
	json_array_foreach(json_object_get(info, "swList"), i, sw)
	{
		const char *us = json_string_value(json_object_get(sw, "userStatus"));
		bool err =
		    json_object_get(json_object_get(sw, "swErr"), "description") != NULL && !sw_signature(sw);
		bool busy = us && strcmp(us, "NONE") && strcmp(us, "UPDATED");
		if (err || busy || (!pick && json_is_true(json_object_get(sw, "activated"))))
			pick = err || busy || !pick ? sw : pick;
		if (err)
			break;
	}
	if (pick) {
		json_t *us = json_object_get(pick, "userStatus");
		json_object_set_new(o, "state", us ? json_incref(us) : json_string("NONE"));
		json_object_set(o, "error",
				!sw_signature(pick)
				    ? json_object_get(json_object_get(pick, "swErr"), "description")
					  ?: json_null()
				    : json_null());
		json_object_set(o, "substatus", json_object_get(pick, "subStatusStr") ?: json_null());
	}
	/* who signed the running base OS (its active partition) */
	json_array_foreach(json_object_get(info, "swList"), i, sw)
	{
		int sig = sw_signature(sw);

		if (sig && json_is_true(json_object_get(sw, "activated")))
			json_object_set_new(
			    o, "signature",
			    json_pack("{s:b, s:O}", "verified", sig == 1, "detail",
				      json_object_get(json_object_get(sw, "swErr"), "description")));
	}
	return o;
}

static void h_get(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	json_t *j = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0)
		e = device_json(r->ctl, d, uuid, &j);
	if (e == 0) {
		json_t *info = latest_device_info(d, uuid);
		json_object_set_new(j, "os_update",
				    os_update_json(d, uuid, info,
						   json_string_value(json_object_get(j, "os_version")) ?: "",
						   NULL));
		json_object_set_new(j, "info", info);
		json_object_set_new(j, "hardware", infolatest_content_json(d, uuid, "hardware", NULL));
		json_object_set_new(j, "apps", apps_instances_of_device(d, uuid));
	}
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_json(r, 200, j);
}

/* Labels: an object of string values. */
static bool labels_valid(json_t *l)
{
	const char *k;
	json_t *v;
	if (!json_is_object(l) || json_object_size(l) > 256)
		return false;
	json_object_foreach(l, k, v) if (!json_is_string(v) || strlen(k) > 256 ||
					 json_string_length(v) > 1024) return false;
	return true;
}

static bool name_valid(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (const char *p = n; *p; p++)
		if (*p == '/' || *p == '?' || *p == '#' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static int project_set(struct store *d, const char *uuid, const char *project)
{
	struct store_stmt *st = store_stmt(d, "UPDATE devices SET project = ?2 WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, project);
	return store_step_done(st);
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	X509 *cert = NULL;
	uint8_t *der = NULL;
	size_t der_len;
	struct p256_cert pc;
	char *labels = NULL;
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad), *pem = admin_str(b, "cert", &bad),
		   *serial = admin_str(b, "serial", &bad), *pj = admin_str(b, "project", &bad);
	char project[64];
	json_t *l = json_object_get(b, "labels");
	if (bad || !pem || (name && !name_valid(name)) || (l && !labels_valid(l))) {
		http_reply_error(r, 400, "need cert (PEM); name, serial: strings; labels: object of strings");
		goto out;
	}
	/* Parsed by OpenSSL too: an admin's certificate is checked fully. */
	if (crypto_cert_from_pem(pem, strlen(pem), &cert) < 0 ||
	    crypto_cert_to_der(cert, &der, &der_len) < 0 || p256_cert_parse(der, der_len, &pc) < 0) {
		http_reply_error(r, 400, "cert: not a PEM certificate with a P-256 key");
		goto out;
	}
	labels = l ? json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct device_new n = {.name = name, .serial = serial ? serial : "", .cert = &pc, .labels = labels};
	char uuid[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	if (!access_create_project(r, d, pj, project)) {
		store_put(r->ctl->db, d);
		goto out;
	}
	int e = store_begin(d);
	if (e == 0 && serial && *serial && devices_serial_taken(d, serial))
		e = -EEXIST;
	if (e == 0)
		e = devices_create(r->ctl, d, &n, uuid);
	if (e == 0)
		e = project_set(d, uuid, project);
	/* Adding a device again is what lets a deleted certificate back in. */
	if (e == 0)
		e = revoked_clear(d, pc.hash);
	if (e == 0)
		e = store_commit(d);
	if (e < 0) {
		store_rollback(d);
	} else {
		e = device_json(r->ctl, d, uuid, &obj);
	}
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device (name, serial or certificate)");
	else
		http_reply_json(r, 201, obj);
out:
	free(labels);
	free(der);
	X509_free(cert);
	json_decref(b);
}

static int patch_apply(struct ctl *c, struct store *d, const char *uuid, const char *name, const char *labels)
{
	struct store_stmt *st;
	int e = 0;
	if (name && (st = store_stmt(d, "UPDATE devices SET name = ?2 WHERE id = ?1"))) {
		store_bind_text(st, 1, uuid);
		store_bind_text(st, 2, name);
		e = store_step_done(st);
	}
	if (e == 0 && labels)
		e = store_lock(d, APPS_TARGETS_LOCK);
	if (e == 0 && labels && (st = store_stmt(d, "UPDATE devices SET labels = ?2 WHERE id = ?1"))) {
		store_bind_text(st, 1, uuid);
		store_bind_text(st, 2, labels);
		e = store_step_done(st);
	}
	bool changed = false;
	if (e == 0 && labels)
		e = apps_sync_device(c, d, uuid, &changed);
	if (e == 0 && changed)
		ctl_device_changed(c, d, uuid);
	return e;
}

static void h_patch(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad);
	json_t *l = json_object_get(b, "labels");
	if (bad || (name && !name_valid(name)) || (l && !labels_valid(l))) {
		http_reply_error(r, 400, "name: string; labels: object of strings");
		json_decref(b);
		return;
	}
	char *labels = l ? json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char uuid[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0)
		e = store_begin(d);
	if (e == 0) {
		e = patch_apply(r->ctl, d, uuid, name, labels);
		if (e == 0)
			e = store_commit(d);
		if (e < 0)
			store_rollback(d);
		devcache_invalidate(r->ctl->cache, uuid);
		(void)cachebus_config(d, uuid); /* (void): as in ctl_device_changed */
	}
	if (e == 0)
		e = device_json(r->ctl, d, uuid, &obj);
	store_put(r->ctl->db, d);
	free(labels);
	json_decref(b);
	if (e < 0)
		admin_reply_err(r, e, "device (or name taken)");
	else
		http_reply_json(r, 200, obj);
}

/* "a, b" (at most n bytes): the apps with an instance on the device. */
static int device_apps(struct store *d, const char *uuid, char *names, size_t n)
{
	struct admin_names b = {names, n, 0, 0};
	names[0] = 0;
	(void)apps_store_each_on_device(d, uuid, admin_names_add, &b);
	return b.count;
}

/* Record the device's certificate as deleted (revoked.h). -ENOENT. */
static int device_revoke(struct store *d, const char *uuid)
{
	struct store_stmt *st = store_stmt(d, "SELECT cert_hash, serial FROM devices WHERE id = ?1");
	int e = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		size_t n;
		const void *cert = store_col_blob(st, 0, &n);
		e = revoked_add(d, uuid, cert, n, store_col_str(st, 1));
	}
	store_reset(st);
	return e;
}

/* The device and, with force, the apps that target it by name (an app
 * aimed at a device that is gone would linger with no instance); its
 * certificate is refused from now on (revoked.h). */
static int device_delete_rows(struct store *d, const char *uuid, bool force)
{
	int e = store_begin(d);
	struct store_stmt *st;
	if (e == 0 && force)
		e = apps_store_delete_aimed_at(d, uuid);
	if (e == 0)
		e = device_revoke(d, uuid);
	st = e == 0 ? store_stmt(d, "DELETE FROM devices WHERE id = ?1") : NULL;
	if (e == 0 && !st)
		e = -EIO;
	if (st) {
		store_bind_text(st, 1, uuid);
		e = store_step_done(st);
	}
	if (e == 0)
		e = store_commit(d);
	if (e < 0)
		store_rollback(d);
	return e;
}

static void h_delete(struct http_req *r)
{
	char uuid[UUID_STR_LEN], apps[512];
	const char *fa = http_arg(r, "force");
	bool force = fa && (!strcmp(fa, "true") || !strcmp(fa, "1"));
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0 && !force) {
		int n = device_apps(d, uuid, apps, sizeof(apps));
		if (n > 0) {
			store_put(r->ctl->db, d);
			http_reply_error(r, 409,
					 "device runs %d app instance%s (%s): delete the apps first, or force"
					 " (deletes the apps that target only this device)",
					 n, n == 1 ? "" : "s", apps);
			return;
		}
	}
	if (e == 0)
		e = device_delete_rows(d, uuid, force);
	if (e == 0)
		(void)cachebus_removed(d, uuid); /* (void): as in ctl_device_changed */
	store_put(r->ctl->db, d);
	if (e == 0) {
		devcache_remove(r->ctl->cache, uuid);
		replay_forget(r->ctl->replay, uuid);
	}
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_empty(r, 204);
}

/* Run one UPDATE on the device named in the path, then bump its config. */
static int device_update(struct http_req *r, const char *sql, const char *text, int64_t num,
			 char uuid[UUID_STR_LEN])
{
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	struct store_stmt *st = e == 0 ? store_stmt(d, sql) : NULL;
	if (e == 0 && !st)
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, uuid);
		if (store_param_count(st) >= 2)
			store_bind_text(st, 2, text);
		if (store_param_count(st) >= 3)
			store_bind_int64(st, 3, num);
		if (store_param_count(st) >= 4)
			store_bind_int64(st, 4, num);
		e = store_step_done(st);
	}
	if (e == 0)
		ctl_device_changed(r->ctl, d, uuid);
	store_put(r->ctl->db, d);
	return e;
}

static void h_reboot(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	int e = device_update(r, "UPDATE devices SET reboot_counter = reboot_counter + 1 WHERE id = ?1", NULL,
			      0, uuid);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_json(r, 202, json_pack("{s:s}", "id", uuid));
}

static void h_config_items(struct http_req *r)
{
	json_t *b = admin_body(r), *items = NULL, *warnings = NULL;
	if (!b)
		return;
	/* Values EVE would refuse are refused here (?force=1 stores them
	 * anyway, to see a device reject them); unknown names get a warning. */
	const char *force = http_arg(r, "force");
	char why[384];
	if (properties_reserved(b, why, sizeof(why)) < 0 ||
	    (!(force && !strcmp(force, "1")) && properties_check_patch(b, why, sizeof(why), &warnings) < 0)) {
		http_reply_error(r, 400, "%s", why);
		json_decref(b);
		return;
	}
	char uuid[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0)
		e = properties_patch(d, &properties_of_device, uuid, b, &items);
	if (e == 0)
		ctl_device_changed(r->ctl, d, uuid);
	store_put(r->ctl->db, d);
	json_decref(b);
	if (e < 0) {
		json_decref(items);
		admin_reply_err(r, e,
				e == -EINVAL ? "config item (values are strings, null removes)" : "device");
		json_decref(warnings);
	} else {
		http_reply_json(r, 200, json_pack("{s:o, s:o*}", "items", items, "warnings", warnings));
		warnings = NULL;
	}
}

static void h_config(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	json_t *j = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0)
		e = config_build_json(r->ctl, d, uuid, &j);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_json(r, 200, j);
}

/* GET .../bootstrap-config: the device's current config as the signed
 * bootstrap-config.pb it can take at installation, with no network. */
static void h_bootstrap(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	uint8_t *out = NULL;
	size_t len = 0;
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], uuid);
	if (e == 0)
		e = config_build_bootstrap(r->ctl, d, uuid, &out, &len);
	store_put(r->ctl->db, d);
	if (e < 0) {
		free(out);
		admin_reply_err(r, e, "device");
	} else {
		http_reply_take(r, 200, out, len, "application/x-proto-binary");
	}
}

static void h_baseos(struct http_req *r)
{
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *image = admin_str(b, "image", &bad);
	json_t *act = json_object_get(b, "activate"), *retry = json_object_get(b, "retry");
	if (bad || !image || (act && !json_is_boolean(act)) || (retry && !json_is_boolean(retry))) {
		http_reply_error(r, 400, "image: name of a baseos image; activate, retry: booleans");
		json_decref(b);
		return;
	}
	char uuid[UUID_STR_LEN], image_id[UUID_STR_LEN] = "";
	struct store *d = store_get(r->ctl->db);
	(void)images_baseos_id(d, image, access_grants(r), image_id);
	store_put(r->ctl->db, d);
	int e = image_id[0] ? 0 : -ENOENT;
	if (e < 0) {
		admin_reply_err(r, e, "baseos image");
		json_decref(b);
		return;
	}
	e = device_update(r,
			  "UPDATE devices SET baseos_image = ?2,"
			  " baseos_activate = CASE WHEN ?3 >= 0 AND ?3 % 2 = 1 THEN 1 ELSE 0 END,"
			  " baseos_retry = baseos_retry + CASE WHEN ?4 >= 2 THEN 1 ELSE 0 END WHERE id = ?1",
			  image_id, (act ? json_is_true(act) : 1) + (json_is_true(retry) ? 2 : 0), uuid);
	json_decref(b);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_json(r, 202, json_pack("{s:s, s:s}", "id", uuid, "image", image_id));
}

#define D ADMIN_PREFIX "/devices"
const struct http_route admin_device_routes[] = {
    {"GET", D, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", D, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", D "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"PATCH", D "/*", h_patch, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", D "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", D "/*/reboot", h_reboot, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"PUT", D "/*/config-items", h_config_items, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", D "/*/config", h_config, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", D "/*/properties", properties_h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", D "/*/bootstrap-config", h_bootstrap, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", D "/*/baseos", h_baseos, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
