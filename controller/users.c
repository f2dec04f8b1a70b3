// SPDX-License-Identifier: Apache-2.0
/* Users with scrypt-hashed passwords. */
#include "users.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "store.h"
#include "tokens.h"

#define SCRYPT_N (1u << 15)
#define SCRYPT_R 8u
#define SCRYPT_P 1u
#define SCRYPT_MAXMEM (64u << 20)
#define SALT_LEN 16
#define HASH_LEN 32

bool users_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._@-", *p)))
			return false;
	return true;
}

static int pw_ok(const char *pw)
{
	size_t n = strlen(pw);
	return n >= USERS_PASSWORD_MIN && n <= USERS_PASSWORD_MAX ? 0 : -EINVAL;
}

static int kdf(const char *pw, const uint8_t salt[SALT_LEN], uint8_t out[HASH_LEN])
{
	return EVP_PBE_scrypt(pw, strlen(pw), salt, SALT_LEN, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_MAXMEM,
			      out, HASH_LEN) == 1
		   ? 0
		   : -EIO;
}

static int hash_new(const char *pw, uint8_t salt[SALT_LEN], uint8_t h[HASH_LEN])
{
	if (RAND_bytes(salt, SALT_LEN) != 1)
		return -EIO;
	return kdf(pw, salt, h);
}

int users_create(struct store *d, const char *name, const char *password, enum authz_role role,
		 const char *projects)
{
	uint8_t salt[SALT_LEN], h[HASH_LEN];
	if (!users_name_ok(name) || pw_ok(password) < 0 || role == AUTHZ_ROLE_NONE)
		return -EINVAL;
	int r = hash_new(password, salt, h);
	struct store_stmt *st =
	    r == 0 ? store_stmt(d, "INSERT INTO users(name, hash, salt, role, projects, created)"
				   " VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
		   : NULL;
	if (st) {
		store_bind_text(st, 1, name);
		store_bind_blob(st, 2, h, HASH_LEN);
		store_bind_blob(st, 3, salt, SALT_LEN);
		store_bind_text(st, 4, authz_role_name(role));
		store_bind_text(st, 5, role == AUTHZ_ADMIN ? "*" : projects);
		store_bind_int64(st, 6, (int64_t)time(NULL));
		r = store_step_done(st);
	} else if (r == 0) {
		r = -EIO;
	}
	OPENSSL_cleanse(h, sizeof(h));
	return r;
}

static int end_sessions(struct store *d, int64_t uid)
{
	return tokens_revoke_user(d, uid);
}

static int user_id(struct store *d, const char *name, int64_t *id, bool *admin)
{
	struct store_stmt *st = store_stmt(d, "SELECT id, role FROM users WHERE name = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*id = store_col_int64(st, 0);
		*admin = !strcmp(store_col_str(st, 1), "admin");
		r = 0;
	}
	store_reset(st);
	return r;
}

int users_passwd(struct store *d, const char *name, const char *password)
{
	uint8_t salt[SALT_LEN], h[HASH_LEN];
	int64_t id = 0;
	bool admin;
	if (pw_ok(password) < 0)
		return -EINVAL;
	int r = hash_new(password, salt, h);
	if (r == 0)
		r = store_begin(d);
	else
		return r;
	if (r == 0)
		r = user_id(d, name, &id, &admin);
	struct store_stmt *st =
	    r == 0 ? store_stmt(d, "UPDATE users SET hash = ?2, salt = ?3 WHERE id = ?1") : NULL;
	if (st) {
		store_bind_int64(st, 1, id);
		store_bind_blob(st, 2, h, HASH_LEN);
		store_bind_blob(st, 3, salt, SALT_LEN);
		r = store_step_done(st);
	} else if (r == 0) {
		r = -EIO;
	}
	if (r == 0)
		r = end_sessions(d, id);
	if (r == 0)
		r = store_commit(d);
	if (r < 0)
		store_rollback(d);
	OPENSSL_cleanse(h, sizeof(h));
	return r;
}

int users_delete(struct store *d, const char *name)
{
	int64_t id = 0;
	bool admin = false;
	int r = store_begin(d);
	if (r == 0)
		r = store_lock(d, TOKENS_ADMIN_LOCK);
	if (r == 0)
		r = user_id(d, name, &id, &admin);
	if (r == 0 && admin) {
		int64_t tok = tokens_admin_count(d, 0), usr = users_admin_count(d, id);
		r = tok < 0 ? (int)tok : usr < 0 ? (int)usr : tok + usr == 0 ? -EBUSY : 0;
	}
	if (r == 0)
		r = end_sessions(d, id);
	struct store_stmt *st = r == 0 ? store_stmt(d, "DELETE FROM users WHERE id = ?1") : NULL;
	if (st) {
		store_bind_int64(st, 1, id);
		r = store_step_done(st);
	} else if (r == 0) {
		r = -EIO;
	}
	if (r == 0)
		r = store_commit(d);
	if (r < 0)
		store_rollback(d);
	return r;
}

int users_list(struct store *d, json_t **out)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT name, role, projects, created FROM users ORDER BY name");
	if (!st)
		return -EIO;
	json_t *a = json_array();
	while (store_step(st) == STORE_ROW) {
		json_t *pr = json_array();
		const char *p = store_col_str(st, 2);
		if (!strcmp(p, "*"))
			json_array_append_new(pr, json_string("*"));
		for (const char *c = p; *c == ',' && c[1];) {
			const char *e = strchr(c + 1, ',');
			if (!e)
				break;
			json_array_append_new(pr, json_stringn(c + 1, (size_t)(e - c - 1)));
			c = e;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o}", "name", store_col_str(st, 0),
						   "role", store_col_str(st, 1), "projects", pr, "created",
						   admin_time_json(store_col_int64(st, 3))));
	}
	store_reset(st);
	*out = a;
	return 0;
}

int users_lookup(struct store *d, const char *name, struct users_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, hash, salt, role, projects FROM users WHERE name = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	size_t nh = 0, ns = 0;
	const void *hash = NULL, *salt = NULL;
	if (store_step(st) == STORE_ROW) {
		hash = store_col_blob(st, 1, &nh);
		salt = store_col_blob(st, 2, &ns);
	}
	if (nh == HASH_LEN && ns == SALT_LEN) {
		rec->found = true;
		rec->id = store_col_int64(st, 0);
		memcpy(rec->hash, hash, HASH_LEN);
		memcpy(rec->salt, salt, SALT_LEN);
		rec->who.role = authz_role_parse(store_col_str(st, 3));
		snprintf(rec->who.projects, sizeof(rec->who.projects), "%s", store_col_str(st, 4));
		snprintf(rec->who.user, sizeof(rec->who.user), "%s", name);
	}
	store_reset(st);
	return 0;
}

int users_check(struct users_rec *rec, const char *password)
{
	uint8_t got[HASH_LEN];
	/* the same work for an unknown user */
	int r = kdf(strlen(password) <= USERS_PASSWORD_MAX ? password : "", rec->salt, got);
	bool ok = r == 0 && rec->found && CRYPTO_memcmp(got, rec->hash, HASH_LEN) == 0 &&
		  rec->who.role != AUTHZ_ROLE_NONE;
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(rec->hash, sizeof(rec->hash));
	return ok ? 0 : -EACCES;
}

int64_t users_admin_count(struct store *d, int64_t skip_user)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM users WHERE role = 'admin' AND id != ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, skip_user);
	int64_t n = store_step(st) == STORE_ROW ? store_col_int64(st, 0) : -EIO;
	store_reset(st);
	return n;
}

int users_name_of(struct store *d, int64_t id, char *name, size_t n)
{
	struct store_stmt *st = store_stmt(d, "SELECT name FROM users WHERE id = ?1");
	int r = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		snprintf(name, n, "%s", store_col_str(st, 0));
		r = 0;
	}
	store_reset(st);
	return r;
}
