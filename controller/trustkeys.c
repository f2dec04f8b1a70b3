// SPDX-License-Identifier: Apache-2.0
/* Admin API of the publisher keys every device trusts besides its own
 * (table image_trust_keys): GET / POST /api/v1/image-trust-keys,
 * GET / DELETE /api/v1/image-trust-keys/{name}. config_build.c puts each
 * key into every device's config as images.trust.key.NAME. */
#include "trustkeys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "admin.h"
#include "cosign.h"
#include "ctl.h"
#include "store.h"
#include "devcache.h"

#define NAME_MAX_LEN 32

static bool name_ok(const char *n)
{
	size_t l = n ? strlen(n) : 0;

	return l > 0 && l <= NAME_MAX_LEN &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == l;
}

/* A row (name, fpr, spki, created) as JSON, with the config item that
 * carries it to devices. */
static json_t *key_json(struct store_stmt *st)
{
	char item[64];

	snprintf(item, sizeof(item), TRUSTKEYS_ITEM_PREFIX "%.40s", store_col_str(st, 0));
	return json_pack("{s:s, s:s, s:s, s:o, s:s}", "name", store_col_str(st, 0), "fingerprint",
			 store_col_str(st, 1), "key", store_col_str(st, 2), "created",
			 admin_time_json(store_col_int64(st, 3)), "config_item", item);
}

static int get_one(struct store *d, const char *name, json_t **out)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT name, fpr, spki, created FROM image_trust_keys WHERE name = ?1");
	int rc;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	rc = store_step(st);
	if (rc == STORE_ROW)
		*out = key_json(st);
	store_reset(st);
	return rc == STORE_ROW ? (*out ? 0 : -ENOMEM) : rc == STORE_DONE ? -ENOENT : -EIO;
}

static void h_list(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st =
	    store_stmt(d, "SELECT name, fpr, spki, created FROM image_trust_keys ORDER BY name");
	json_t *items = json_array();

	while (st && store_step(st) == STORE_ROW)
		json_array_append_new(items, key_json(st));
	if (st)
		store_reset(st);
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void h_get(struct http_req *r)
{
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = get_one(d, r->params[0], &obj);

	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "publisher key");
	else
		http_reply_json(r, 200, obj);
}

/* {"name": N, "key": PEM (a P-256 PUBLIC KEY or a certificate's key)} */
static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r), *obj = NULL;
	bool bad = false;
	const char *name, *pem;
	char fpr[17] = "", *spki = NULL;
	struct store *d;
	struct store_stmt *st;
	int e;

	if (!b)
		return;
	name = admin_str(b, "name", &bad);
	pem = admin_str(b, "key", &bad);
	if (bad || !name_ok(name)) {
		http_reply_error(r, 400, "name: 1 to %d of A-Z a-z 0-9 _ -", NAME_MAX_LEN);
		goto out;
	}
	if (!pem || cosign_key_pem_to_b64(pem, strlen(pem), &spki, fpr) < 0) {
		http_reply_error(r, 400, "key: a PEM public key (or certificate) of ECDSA P-256 required");
		goto out;
	}
	d = store_get(r->ctl->db);
	st = store_stmt(d, "INSERT INTO image_trust_keys(name, fpr, spki, created) VALUES(?1, ?2, ?3, ?4)");
	e = st ? 0 : -EIO;
	if (e == 0) {
		store_bind_text(st, 1, name);
		store_bind_text(st, 2, fpr);
		store_bind_text(st, 3, spki);
		store_bind_int64(st, 4, (int64_t)time(NULL));
		e = store_step_done(st);
	}
	if (e == 0)
		e = get_one(d, name, &obj);
	if (e == 0)
		ctl_configs_changed(r->ctl, d); /* every device's config names it */
	store_put(r->ctl->db, d);
	if (e == -EEXIST)
		http_reply_error(r, 409, "publisher key %s exists: remove it first", name);
	else if (e < 0)
		admin_reply_err(r, e, "publisher key");
	else
		http_reply_json(r, 201, obj);
out:
	free(spki);
	json_decref(b);
}

static void h_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(d, "DELETE FROM image_trust_keys WHERE name = ?1");
	int e = st ? 0 : -EIO;

	if (e == 0) {
		store_bind_text(st, 1, r->params[0]);
		e = store_step_done(st);
	}
	if (e == 0 && store_changes(d) == 0)
		e = -ENOENT;
	if (e == 0)
		ctl_configs_changed(r->ctl, d);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "publisher key");
	else
		http_reply_empty(r, 204);
}

#define K ADMIN_PREFIX "/image-trust-keys"
const struct http_route admin_trustkey_routes[] = {
    {"GET", K, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", K, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", K "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", K "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

int trustkeys_each(struct store *d, int (*fn)(void *ctx, const char *name, const char *spki), void *ctx)
{
	struct store_stmt *st = store_stmt(d, "SELECT name, spki FROM image_trust_keys ORDER BY name");
	int r = 0;
	if (!st)
		return -EIO;
	while (r >= 0 && store_step(st) == STORE_ROW)
		r = fn(ctx, store_col_str(st, 0), store_col_str(st, 1));
	store_reset(st);
	return r < 0 ? r : 0;
}
