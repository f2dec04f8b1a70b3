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
#include "crypto.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "hexstr.h"

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

int onboard_find(struct store *d, const uint8_t *hash, size_t hlen, struct onboard_key *key, char **serials,
		 char id[65])
{
	char hex[65], above[66];
	if (hlen != 16 && hlen != 32)
		return -ENOENT;
	hexstr_encode(hash, hlen, hex);
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

/* --- admin handlers --- */

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
