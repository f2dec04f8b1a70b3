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

#endif
