// SPDX-License-Identifier: Apache-2.0
/* Tokens are random, shown once, and kept only as SHA-256 hashes. */
#include "tokens.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "crypto.h"
#include "ctl.h"
#include "store.h"
#include "hexstr.h"

/* last_used is written at most this often per token. */
#define TOKENS_TOUCH_S 30

static void copy_col(char *dst, size_t n, struct store_stmt *st, int i)
{
	snprintf(dst, n, "%s", store_col_str(st, i));
}

static void touch(struct store *d, int64_t id, int64_t now)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE tokens SET last_used = ?2 WHERE id = ?1 AND last_used < ?3");
	if (!st)
		return;
	store_bind_int64(st, 1, id);
	store_bind_int64(st, 2, now);
	store_bind_int64(st, 3, now - TOKENS_TOUCH_S);
	(void)store_step_done(st);
}

int tokens_authenticate(struct ctl *c, const char *token, struct authz_who *who, int64_t *user_id)
{
	size_t n = strlen(token);
	if (n == 0 || n > 256)
		return -EACCES;
	uint8_t h[CRYPTO_SHA256_LEN];
	if (crypto_sha256(token, n, h) < 0)
		return -EACCES;
	int64_t now = (int64_t)time(NULL), last = 0;
	struct store *d = store_get(c->db);
	struct store_stmt *st =
	    store_stmt(d, "SELECT t.id, t.name, t.role, t.projects, t.expires, t.last_used,"
			  " coalesce(t.user_id, 0) FROM tokens t WHERE t.hash = ?1");
	int r = -EIO; /* the store cannot tell (e.g. PostgreSQL is down) */
	if (st) {
		store_bind_blob(st, 1, h, sizeof(h));
		int s = store_step(st);
		r = s == STORE_DONE ? -EACCES : -EIO;
		if (s == STORE_ROW) {
			int64_t exp = store_col_int64(st, 4);
			memset(who, 0, sizeof(*who));
			who->token_id = store_col_int64(st, 0);
			copy_col(who->token, sizeof(who->token), st, 1);
			who->role = authz_role_parse(store_col_str(st, 2));
			copy_col(who->projects, sizeof(who->projects), st, 3);
			if (user_id)
				*user_id = store_col_int64(st, 6);
			last = store_col_int64(st, 5);
			r = exp && exp <= now ? -EKEYEXPIRED : who->role == AUTHZ_ROLE_NONE ? -EACCES : 0;
		}
		store_reset(st);
	}
	if (r == 0 && last < now - TOKENS_TOUCH_S)
		touch(d, who->token_id, now);
	store_put(c->db, d);
	return r;
}

int tokens_check(struct ctl *c, const char *token)
{
	struct authz_who who;
	int r = tokens_authenticate(c, token, &who, NULL);
	return r == 0 && authz_allows(&who, AUTHZ_WRITE) ? 0 : -EACCES;
}

int tokens_create_ex(struct store *d, const struct tokens_new *n, char out[TOKEN_LEN + 1], int64_t *id)
{
	uint8_t rnd[20], h[CRYPTO_SHA256_LEN];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	memcpy(out, "eve_", 4);
	hexstr_encode(rnd, sizeof(rnd), out + 4);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	int r = crypto_sha256(out, TOKEN_LEN, h);
	if (r < 0)
		return r;
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO tokens(name, hash, created, role, projects, expires, user_id)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, n->name);
	store_bind_blob(st, 2, h, sizeof(h));
	store_bind_int64(st, 3, (int64_t)time(NULL));
	store_bind_text(st, 4, authz_role_name(n->role));
	store_bind_text(st, 5, n->projects);
	store_bind_int64(st, 6, n->expires);
	if (n->user_id)
		store_bind_int64(st, 7, n->user_id);
	else
		store_bind_null(st, 7);
	/* The new row's id, portably (no last-insert-rowid on PostgreSQL). */
	r = store_step(st);
	if (r == STORE_ROW && id)
		*id = store_col_int64(st, 0);
	store_reset(st);
	return r == STORE_ROW ? 0 : r < 0 ? r : -EIO;
}

int tokens_create(struct store *d, const char *name, char out[TOKEN_LEN + 1])
{
	struct tokens_new n = {.name = name, .role = AUTHZ_ADMIN, .projects = "*"};
	return tokens_create_ex(d, &n, out, NULL);
}

/* ",a,b," or "*" as a JSON array. */
static json_t *projects_json(const char *p)
{
	json_t *a = json_array();
	if (!strcmp(p, "*")) {
		json_array_append_new(a, json_string("*"));
		return a;
	}
	while (*p) {
		const char *c = strchr(p + 1, ',');
		if (*p == ',' && c && c > p + 1)
			json_array_append_new(a, json_stringn(p + 1, (size_t)(c - p - 1)));
		if (!c)
			break;
		p = c;
	}
	return a;
}

int tokens_list(struct store *d, json_t **out)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, name, role, projects, created, expires, last_used FROM tokens"
			  " WHERE user_id IS NULL ORDER BY id");
	if (!st)
		return -EIO;
	json_t *a = json_array();
	while (store_step(st) == STORE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "id",
						   (json_int_t)store_col_int64(st, 0), "name",
						   store_col_str(st, 1), "role", store_col_str(st, 2),
						   "projects", projects_json(store_col_str(st, 3)), "created",
						   admin_time_json(store_col_int64(st, 4)), "expires",
						   admin_time_json(store_col_int64(st, 5)), "last_used",
						   admin_time_json(store_col_int64(st, 6))));
	store_reset(st);
	*out = a;
	return 0;
}

int64_t tokens_admin_count(struct store *d, int64_t skip_token)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT count(*) FROM tokens WHERE user_id IS NULL AND role = 'admin'"
			  " AND (expires = 0 OR expires > ?2) AND id != ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, skip_token);
	store_bind_int64(st, 2, (int64_t)time(NULL));
	int64_t n = store_step(st) == STORE_ROW ? store_col_int64(st, 0) : -EIO;
	store_reset(st);
	return n;
}

/* The id of the API token whose id or name is ref. */
static int token_find(struct store *d, const char *ref, int64_t *id, bool *admin)
{
	struct store_stmt *st = store_stmt(d, "SELECT id, role FROM tokens WHERE user_id IS NULL AND"
					      " (CAST(id AS TEXT) = ?1 OR name = ?1)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	int r = -ENOENT;
	while (store_step(st) == STORE_ROW) {
		if (r == 0) {
			r = -EEXIST;
			break;
		}
		*id = store_col_int64(st, 0);
		*admin = !strcmp(store_col_str(st, 1), "admin");
		r = 0;
	}
	store_reset(st);
	return r;
}

int tokens_revoke_id(struct store *d, int64_t id)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM tokens WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, id);
	int r = store_step_done(st);
	return r == 0 && store_changes(d) == 0 ? -ENOENT : r;
}

int tokens_revoke(struct store *d, const char *ref, int64_t admin_users)
{
	int64_t id = 0;
	bool admin = false;
	int r = token_find(d, ref, &id, &admin);
	if (r == 0 && admin) {
		int64_t left = tokens_admin_count(d, id);
		r = left < 0 ? (int)left : left + admin_users == 0 ? -EBUSY : 0;
	}
	if (r == 0)
		r = tokens_revoke_id(d, id);
	return r;
}

int tokens_prune(struct store *d, int64_t now)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM tokens WHERE expires != 0 AND expires <= ?1 AND"
					      " (user_id IS NOT NULL OR expires <= ?1 - 30 * 86400)");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, now);
	return store_step_done(st);
}

int tokens_revoke_user(struct store *d, int64_t uid)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM tokens WHERE user_id = ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, uid);
	return store_step_done(st);
}
