// SPDX-License-Identifier: Apache-2.0
/* The images table as the registry writes it (images_store.h). */
#include "images_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int images_store_registry_upsert(struct store *d, const char *name, const char *tag, const char *hex,
				 uint64_t size)
{
	char url[2 * IMAGES_REPO_MAX + 8], id[UUID_STR_LEN];
	struct store_stmt *st = store_stmt(d, "SELECT url FROM images WHERE name = ?1");
	int e = 0;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, name);
	if (store_step(st) == STORE_ROW && strncmp(store_col_str(st, 0), "/v2/", 4) != 0)
		e = -EEXIST;
	store_reset(st);
	if (e < 0)
		return e;
	snprintf(url, sizeof(url), "/v2/%s:%s", name, tag);
	e = uuidgen_v4(id);
	st =
	    e == 0
		? store_stmt(
		      d, "INSERT INTO images(id, name, format, sha256, size, url, version, state, created)"
			 " VALUES(?1, ?2, 'oci', ?3, ?4, ?5, '', 'ready', ?6)"
			 " ON CONFLICT(name) DO UPDATE SET sha256 = ?3, size = ?4, url = ?5, state = 'ready'")
		: NULL;
	if (!st)
		return e < 0 ? e : -EIO;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, hex);
	store_bind_int64(st, 4, (int64_t)size);
	store_bind_text(st, 5, url);
	store_bind_int64(st, 6, (int64_t)time(NULL));
	return store_step_done(st);
}
