// SPDX-License-Identifier: Apache-2.0
/* Numbered schema migrations: entry i takes user_version i to i+1. Append
 * only; never edit a released migration. */
#ifndef CTL_SCHEMA_H
#define CTL_SCHEMA_H

extern const char *const schema_migrations[];
extern const int schema_migrations_n;
/* The same for PostgreSQL, step for step (its first step is the whole
 * schema, compatibility functions included). */
extern const char *const schema_pg_migrations[];
extern const int schema_pg_migrations_n;

#include <stddef.h>

struct store_pool;

/* Open the controller's store (store_pool_open: url is "sqlite:PATH" or
 * "postgresql://...") with n connections and bring its schema up to date
 * with the dialect's migrations (store_migrate). 0, or a negative errno
 * with the reason in err (errlen bytes); *out is the caller's to close. */
int schema_pool_open(const char *url, int n, struct store_pool **out, char *err, size_t errlen);

#endif
