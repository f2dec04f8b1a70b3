// SPDX-License-Identifier: Apache-2.0
/* Users of the dashboard and the CLI: a name, a role, project grants and
 * a password kept as an scrypt hash (OpenSSL EVP_PBE_scrypt, N=2^15, r=8,
 * p=1: 32 MiB per try) with a random salt. */
#ifndef CTL_USERS_H
#define CTL_USERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"

struct store;

#define USERS_PASSWORD_MIN 8
#define USERS_PASSWORD_MAX 1024

/* A user name: 1-64 of [A-Za-z0-9._@-]. */
bool users_name_ok(const char *s);
/* -EEXIST, -EINVAL (name, password length). projects: normalised. */
int users_create(struct store *d, const char *name, const char *password, enum authz_role role,
		 const char *projects);
/* -ENOENT, -EINVAL. Also ends the user's sessions. */
int users_passwd(struct store *d, const char *name, const char *password);
/* -ENOENT; -EBUSY when it is the last admin (no admin token left).
 * The user's sessions go with it. */
int users_delete(struct store *d, const char *name);
/* Every user as a new JSON array (never the hash). */
int users_list(struct store *d, json_t **out);
/* A user's stored hash, looked up by users_lookup (an unknown user gets a
 * record that never matches, so both cost the same work to check). */
struct users_rec {
	bool found;
	int64_t id;
	uint8_t salt[16], hash[32];
	struct authz_who who; /* user, role, projects */
};
int users_lookup(struct store *d, const char *name, struct users_rec *rec);
/* Check password against rec (slow: scrypt; hold no database connection
 * meanwhile). 0 when it matches, else -EACCES. Clears rec's hash. */
int users_check(struct users_rec *rec, const char *password);
/* Admin users, not counting the user row skip_user (0: none); -EIO. */
int64_t users_admin_count(struct store *d, int64_t skip_user);
/* The name of user row id into name (n bytes). 0, -ENOENT, -EIO. */
int users_name_of(struct store *d, int64_t id, char *name, size_t n);

#endif
