// SPDX-License-Identifier: Apache-2.0
/* The projects table: each project's name, creation time and config items
 * (the items every device of the project gets under its own). The admin
 * API of projects is access_api.c, their config items' properties.c; both,
 * access.c and devices_store.c reach the rows through here. */
#ifndef CTL_PROJECTS_H
#define CTL_PROJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Whether project name exists (false on a store error). */
bool projects_exists(struct store *d, const char *name);
/* How many projects of a grant (",a,b,") exist; -EIO. */
int64_t projects_count_granted(struct store *d, const char *grants);
/* Call fn(ctx, name, created) for each project granted (",a,b," or "*"),
 * ordered by name; a negative return of fn stops the walk and is
 * returned. 0 or -EIO. */
int projects_each(struct store *d, const char *grants,
		  int (*fn)(void *ctx, const char *name, int64_t created), void *ctx);
/* 0, -EEXIST (a project of that name exists), -EIO. */
int projects_create(struct store *d, const char *name, int64_t created);
/* 0, -ENOENT, -EIO. */
int projects_delete(struct store *d, const char *name);
/* The project's config items (a JSON object) into *items (the caller
 * frees it). 0, -ENOENT, -ENOMEM, -EIO. */
int projects_config_items(struct store *d, const char *name, char **items);
/* Store them (text: a JSON object) if the stored ones are still expect
 * (what the caller merged into): 0; -EAGAIN when another request changed
 * them since (or the project is gone); -EIO. */
int projects_set_config_items(struct store *d, const char *name, const char *expect, const char *items);

#endif
