// SPDX-License-Identifier: Apache-2.0
/* Onboarding certificates: store and `/api/v1/onboard`. */
#include "onboard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "cachebus.h"
#include "crypto.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "hexstr.h"
#include "monotime.h"

static json_t *onboard_row(struct store_stmt *st)
{
	json_t *serials = json_loads(store_col_str(st, 2), 0, NULL);
	return json_pack("{s:s, s:s, s:o, s:o}", "id", store_col_str(st, 0), "subject", store_col_str(st, 1),
			 "serials", serials ? serials : json_array(), "created",
			 admin_time_json(store_col_int64(st, 3)));
}

static int onboard_get_json(struct store *d, const char *id, json_t **out)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, subject, serials, created FROM onboard WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = onboard_row(st);
		r = *out ? 0 : -ENOMEM;
	}
	store_reset(st);
	return r;
}

/* Serials must be an array of non-empty strings. */
static bool serials_valid(const json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || json_array_size(a) > 100000)
		return false;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 256)
			return false;
	}
	return true;
}

int onboard_add(struct store *d, const char *pem, size_t len, const char *serials_json, json_t **obj)
{
	X509 *cert = NULL;
	uint8_t h[CRYPTO_SHA256_LEN];
	char id[65], subject[512];
	char *pem_norm = NULL;
	size_t pem_len;
	int r = crypto_cert_from_pem(pem, len, &cert);
	if (r < 0)
		return -EVE_EBADCERT;
	r = crypto_cert_hash_der(cert, h);
	if (r == 0)
		r = crypto_cert_to_pem(cert, &pem_norm, &pem_len);
	if (r < 0)
		goto out;
	hexstr_encode(h, sizeof(h), id);
	X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO onboard(id, pem, subject, serials, created) VALUES(?1,?2,?3,?4,?5)");
	if (!st) {
		r = -EIO;
		goto out;
	}
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, pem_norm);
	store_bind_text(st, 3, subject[0] == '/' ? subject + 1 : subject);
	store_bind_text(st, 4, serials_json);
	store_bind_int64(st, 5, (int64_t)time(NULL));
	r = store_step_done(st);
	if (r == 0 && obj)
		r = onboard_get_json(d, id, obj);
out:
	free(pem_norm);
	X509_free(cert);
	return r;
}

bool onboard_serial_allowed(const char *serials_json, const char *serial)
{
	json_t *a = json_loads(serials_json, 0, NULL);
	size_t i;
	json_t *v;
	bool ok = false;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (s && (!strcmp(s, "*") || (serial && !strcmp(s, serial))))
			ok = true;
	}
	json_decref(a);
	return ok;
}

/* The onboarding certificate parsed last, keyed by its PEM text: a fleet
 * registers under one onboarding certificate, and parsing one costs more
 * than a P-256 verify (OpenSSL 3.0 builds a decoder context for its key).
 * Its P-256 point is kept too, so that /register verifies through p256.h
 * (no EVP look-ups per call). Shared read-only; each caller gets its own
 * reference and a copy of the point. */
static struct {
	pthread_mutex_t mu;
	char *pem;
	struct onboard_key key;
} ob_parsed = {PTHREAD_MUTEX_INITIALIZER, NULL, {NULL, false, {0}}};

static int key_from_pem_cached(const char *pem, struct onboard_key *out)
{
	int r = -ENOENT;
	pthread_mutex_lock(&ob_parsed.mu);
	if (ob_parsed.pem && strcmp(ob_parsed.pem, pem) == 0 && X509_up_ref(ob_parsed.key.cert) == 1) {
		*out = ob_parsed.key;
		r = 0;
	}
	pthread_mutex_unlock(&ob_parsed.mu);
	if (r == 0)
		return 0;
	r = crypto_cert_from_pem(pem, strlen(pem), &out->cert);
	if (r < 0)
		return r;
	out->p256 = p256_point_of_pkey(X509_get0_pubkey(out->cert), out->pt) == 0;
	char *copy = strdup(pem);
	if (!copy || X509_up_ref(out->cert) != 1) {
		free(copy);
		return 0; /* parsed, just not cached */
	}
	pthread_mutex_lock(&ob_parsed.mu);
	char *old_pem = ob_parsed.pem;
	X509 *old = ob_parsed.key.cert;
	ob_parsed.pem = copy;
	ob_parsed.key = *out;
	pthread_mutex_unlock(&ob_parsed.mu);
	free(old_pem);
	X509_free(old);
	return 0;
}

/* The first row whose id starts with hex, from the store. */
static int find_in_store(struct store *d, const char *hex, struct onboard_key *key, char **serials,
			 char id[65])
{
	char above[66];
	/* ids are lower-case hex: those starting with hex sort in [hex, hex"g").
	 * (A LIKE with a bound pattern is re-prepared on every new value.) */
	snprintf(above, sizeof(above), "%sg", hex);
	struct store_stmt *st = store_stmt(
	    d, "SELECT id, pem, serials FROM onboard WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, hex);
	store_bind_text(st, 2, above);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		r = key_from_pem_cached(store_col_str(st, 1), key);
		if (r == 0) {
			*serials = strdup(store_col_str(st, 2));
			snprintf(id, 65, "%s", store_col_str(st, 0));
			if (!*serials) {
				X509_free(key->cert);
				key->cert = NULL;
				r = -ENOMEM;
			}
		}
	}
	store_reset(st);
	return r;
}

/* Every onboarding certificate, parsed, sorted by id: read from the store
 * once and kept until one changes, so that /register reads no row (a read
 * transaction, the WAL's shared-memory locks and often a page read per
 * registration). A change drops it: on this replica after its write, on
 * the others through the cache bus (cachebus.h). A copy older than
 * ONBOARD_CACHE_US is read again, which bounds how long a replica that
 * missed a message can go on with an onboarding certificate removed. */
#define ONBOARD_CACHE_US (10 * 1000000ULL)

struct ob_entry {
	char id[65];
	char *serials;
	struct onboard_key key;
};

struct onboard_cache {
	pthread_mutex_t mu;
	uint64_t gen; /* counts drops: a load that saw another may not install */
	bool loaded;
	uint64_t loaded_us; /* monotime_us() when it was read */
	struct ob_entry *v;
	size_t n;
};

static void entries_free(struct ob_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].serials);
		X509_free(v[i].key.cert);
	}
	free(v);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ob_entry *)a)->id, ((const struct ob_entry *)b)->id);
}

/* Rows whose certificate does not parse are left out (onboard_find calls
 * them unknown, as it did when it read them one at a time). */
static int entries_load(struct store *d, struct ob_entry **out, size_t *out_n)
{
	struct store_stmt *st = store_stmt(d, "SELECT id, pem, serials FROM onboard");
	struct ob_entry *v = NULL;
	size_t n = 0, cap = 0;
	int r = st ? 0 : -EIO;
	while (r == 0 && (r = store_step(st)) == STORE_ROW) {
		r = 0;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 4;
			struct ob_entry *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		struct ob_entry *e = &v[n];
		memset(e, 0, sizeof(*e));
		if (key_from_pem_cached(store_col_str(st, 1), &e->key) < 0)
			continue;
		snprintf(e->id, sizeof(e->id), "%s", store_col_str(st, 0));
		n++;
		if (!(e->serials = strdup(store_col_str(st, 2))))
			r = -ENOMEM;
	}
	if (st)
		store_reset(st);
	if (r < 0) {
		entries_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	*out = v;
	*out_n = n;
	return 0;
}

/* The first entry whose id starts with hex (as find_in_store's ORDER BY):
 * a copy in key, serials and id. Under oc->mu. */
static int entries_find(const struct onboard_cache *oc, const char *hex, struct onboard_key *key,
			char **serials, char id[65])
{
	size_t lo = 0, hi = oc->n, len = strlen(hex);
	while (lo < hi) { /* the first id >= hex */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(oc->v[mid].id, hex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == oc->n || strncmp(oc->v[lo].id, hex, len) != 0)
		return -ENOENT;
	const struct ob_entry *e = &oc->v[lo];
	if (!(*serials = strdup(e->serials)))
		return -ENOMEM;
	if (X509_up_ref(e->key.cert) != 1) {
		free(*serials);
		*serials = NULL;
		return -ENOMEM;
	}
	*key = e->key;
	snprintf(id, 65, "%s", e->id);
	return 0;
}

int onboard_cache_new(struct onboard_cache **out)
{
	struct onboard_cache *oc = calloc(1, sizeof(*oc));
	if (!oc)
		return -ENOMEM;
	pthread_mutex_init(&oc->mu, NULL);
	*out = oc;
	return 0;
}

void onboard_cache_free(struct onboard_cache *oc)
{
	if (!oc)
		return;
	entries_free(oc->v, oc->n);
	pthread_mutex_destroy(&oc->mu);
	free(oc);
}

/* Under oc->mu. */
static void cache_clear(struct onboard_cache *oc)
{
	oc->gen++;
	entries_free(oc->v, oc->n);
	oc->v = NULL;
	oc->n = 0;
	oc->loaded = false;
}

void onboard_cache_drop(struct onboard_cache *oc)
{
	if (!oc)
		return;
	pthread_mutex_lock(&oc->mu);
	cache_clear(oc);
	pthread_mutex_unlock(&oc->mu);
}

/* Fill oc from d unless it is filled, or was dropped meanwhile. */
static int cache_fill(struct onboard_cache *oc, struct store *d)
{
	uint64_t now = monotime_us();
	pthread_mutex_lock(&oc->mu);
	if (oc->loaded && now - oc->loaded_us > ONBOARD_CACHE_US)
		cache_clear(oc);
	uint64_t gen = oc->gen;
	bool loaded = oc->loaded;
	pthread_mutex_unlock(&oc->mu);
	if (loaded)
		return 0;
	struct ob_entry *v = NULL;
	size_t n = 0;
	int r = entries_load(d, &v, &n);
	if (r < 0)
		return r;
	pthread_mutex_lock(&oc->mu);
	if (oc->gen == gen && !oc->loaded) {
		oc->v = v;
		oc->n = n;
		oc->loaded = true;
		oc->loaded_us = now;
		v = NULL;
		n = 0;
	}
	pthread_mutex_unlock(&oc->mu);
	entries_free(v, n);
	return 0;
}

int onboard_find(struct onboard_cache *oc, struct store *d, const uint8_t *hash, size_t hlen,
		 struct onboard_key *key, char **serials, char id[65])
{
	char hex[65];
	if (hlen != 16 && hlen != 32)
		return -ENOENT;
	hexstr_encode(hash, hlen, hex);
	int r = oc ? cache_fill(oc, d) : 0;
	if (r < 0 || !oc)
		return r < 0 ? r : find_in_store(d, hex, key, serials, id);
	pthread_mutex_lock(&oc->mu);
	bool loaded = oc->loaded;
	if (loaded)
		r = entries_find(oc, hex, key, serials, id);
	pthread_mutex_unlock(&oc->mu);
	/* dropped while it was read: what is stored now decides */
	return loaded ? r : find_in_store(d, hex, key, serials, id);
}

/* --- admin handlers --- */

/* After a change was written (each handler's statement commits on its
 * own): this replica's cache, then the others'. */
static void onboard_changed(struct http_req *r, struct store *d)
{
	onboard_cache_drop(r->ctl->onboard);
	/* (void): a replica that misses it reads the list again within
	 * ONBOARD_CACHE_US */
	(void)cachebus_onboard(d);
}

static void h_list(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, subject, serials, created FROM onboard ORDER BY created, id");
	json_t *items = json_array();
	while (st && store_step(st) == STORE_ROW)
		json_array_append_new(items, onboard_row(st));
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	if (!b)
		return;
	bool bad = false;
	const char *pem = admin_str(b, "cert", &bad);
	json_t *serials = json_object_get(b, "serials");
	if (!serials)
		serials = json_array();
	else
		json_incref(serials);
	if (!pem || bad || !serials_valid(serials)) {
		http_reply_error(r, 400,
				 !pem || bad ? "cert: PEM string required" : "serials: array of strings");
		goto out;
	}
	char *sj = json_dumps(serials, JSON_COMPACT);
	struct store *d = store_get(r->ctl->db);
	int e = sj ? onboard_add(d, pem, strlen(pem), sj, &obj) : -ENOMEM;
	if (e == 0)
		onboard_changed(r, d);
	store_put(r->ctl->db, d);
	free(sj);
	if (e == -EVE_EBADCERT)
		http_reply_error(r, 400, "cert: not a PEM certificate");
	else if (e < 0)
		admin_reply_err(r, e, "onboarding certificate");
	else
		http_reply_json(r, 201, obj);
out:
	json_decref(serials);
	json_decref(b);
}

static void h_put(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	if (!b)
		return;
	json_t *serials = json_object_get(b, "serials");
	if (!serials_valid(serials)) {
		http_reply_error(r, 400, "serials: array of strings");
		json_decref(b);
		return;
	}
	char *sj = json_dumps(serials, JSON_COMPACT);
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(d, "UPDATE onboard SET serials = ?2 WHERE id = ?1");
	int e = st && sj ? 0 : -EIO;
	if (e == 0) {
		store_bind_text(st, 1, r->params[0]);
		store_bind_text(st, 2, sj);
		e = store_step_done(st);
	}
	if (e == 0 && store_changes(d))
		onboard_changed(r, d);
	if (e == 0)
		e = onboard_get_json(d, r->params[0], &obj);
	store_put(r->ctl->db, d);
	free(sj);
	json_decref(b);
	if (e < 0)
		admin_reply_err(r, e, "onboarding certificate");
	else
		http_reply_json(r, 200, obj);
}

static void h_get(struct http_req *r)
{
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = onboard_get_json(d, r->params[0], &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "onboarding certificate");
	else
		http_reply_json(r, 200, obj);
}

static void h_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(d, "DELETE FROM onboard WHERE id = ?1");
	int e = st ? 0 : -EIO;
	if (e == 0) {
		store_bind_text(st, 1, r->params[0]);
		e = store_step_done(st);
	}
	if (e == 0 && store_changes(d) == 0)
		e = -ENOENT;
	if (e == 0)
		onboard_changed(r, d);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "onboarding certificate");
	else
		http_reply_empty(r, 204);
}

const struct http_route admin_onboard_routes[] = {
    {"GET", ADMIN_PREFIX "/onboard", h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/onboard", h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/onboard/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", ADMIN_PREFIX "/onboard/*", h_put, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", ADMIN_PREFIX "/onboard/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
