// SPDX-License-Identifier: Apache-2.0
/* Bearer tokens of the admin API, stored as SHA-256 hashes: API tokens
 * (a name, a role, project grants, an expiry) and login sessions (the
 * same, tied to a user). The text of a token is shown once, at creation. */
#ifndef CTL_TOKENS_H
#define CTL_TOKENS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"

struct ctl;
struct store;

#define TOKEN_LEN 44 /* "eve_" + 40 hex chars */

/* What a new token may do. projects: normalised (authz_projects_norm);
 * expires: Unix seconds, 0 = never; user_id: 0 for an API token, else the
 * user whose login session this is. */
struct tokens_new {
	const char *name;
	enum authz_role role;
	const char *projects;
	int64_t expires;
	int64_t user_id;
};

/* Look token up: fills who (role, projects, the token's name; not the
 * user's: who->user is "") and *user_id (may be NULL: the user row of a
 * login session, 0 for an API token; users.h names it), and records the
 * time of use. -EACCES when unknown, -EKEYEXPIRED when past its expiry,
 * -EIO when the store cannot tell (unreachable). */
int tokens_authenticate(struct ctl *c, const char *token, struct authz_who *who, int64_t *user_id);
/* 0 when token is known, unexpired and may change things (operator or
 * admin; used by the registry's push), -EACCES otherwise. */
int tokens_check(struct ctl *c, const char *token);
/* Create a token; writes its text (TOKEN_LEN+1 bytes) to out and its row
 * id to *id (may be NULL). */
int tokens_create_ex(struct store *d, const struct tokens_new *n, char out[TOKEN_LEN + 1], int64_t *id);
/* An admin token for every project that never expires (eve-controller init). */
int tokens_create(struct store *d, const char *name, char out[TOKEN_LEN + 1]);
/* The API tokens (not sessions) as a new JSON array; never their secrets. */
int tokens_list(struct store *d, json_t **out);
/* Revoke the API token whose id or (unique) name is ref, in the caller's
 * transaction; admin_users: how many admin users there are (users.h, read
 * in the same transaction). -ENOENT; -EBUSY when it is the last way in as
 * an admin (no other admin token or user); -EEXIST when the name is
 * ambiguous. */
int tokens_revoke(struct store *d, const char *ref, int64_t admin_users);
/* Revoke one token by row id (a logout). */
int tokens_revoke_id(struct store *d, int64_t id);
/* Revoke every token (session) of user row uid. 0 / negative errno. */
int tokens_revoke_user(struct store *d, int64_t uid);
/* Database-wide lock key (store_lock) that a removal of an admin token or
 * user takes before it counts the admins left: two at once (on PostgreSQL,
 * or two replicas) cannot each count the other as still there. */
#define TOKENS_ADMIN_LOCK 0x61646d6e
/* Unexpired admin API tokens, not counting the token row skip_token (0:
 * none); -EIO. (The admin users are counted by users.h.) */
int64_t tokens_admin_count(struct store *d, int64_t skip_token);
/* Remove expired tokens and sessions. */
int tokens_prune(struct store *d, int64_t now);

#endif
