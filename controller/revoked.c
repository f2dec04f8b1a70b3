// SPDX-License-Identifier: Apache-2.0
/* Certificates of deleted devices (table deleted_certs). */
#include "revoked.h"

#include <errno.h>
#include "store.h"
#include <time.h>

#include "store.h"

int revoked_add(struct store *d, const char *uuid, const uint8_t *cert_hash, size_t hash_len,
		const char *serial)
{
	struct store_stmt *st = store_stmt(
	    d, "INSERT INTO deleted_certs(cert_hash, device_id, serial, deleted) VALUES(?1, ?2, ?3, ?4)"
	       " ON CONFLICT(cert_hash) DO UPDATE SET device_id = excluded.device_id,"
	       " serial = excluded.serial, deleted = excluded.deleted");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, cert_hash, hash_len);
	store_bind_text(st, 2, uuid);
	store_bind_text(st, 3, serial);
	store_bind_int64(st, 4, (int64_t)time(NULL));
	return store_step_done(st);
}

int revoked_find(struct store *d, const uint8_t *hash, size_t hash_len)
{
	if (hash_len != 16 && hash_len != 32)
		return 0;
	struct store_stmt *st =
	    hash_len == 32 ? store_stmt(d, "SELECT 1 FROM deleted_certs WHERE cert_hash = ?1")
			   : store_stmt(d, "SELECT 1 FROM deleted_certs WHERE substr(cert_hash, 1, 16) = ?1");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, hash, hash_len);
	int rc = store_step(st);
	store_reset(st);
	return rc == STORE_ROW ? 1 : rc == STORE_DONE ? 0 : -EIO;
}

int revoked_clear(struct store *d, const uint8_t hash[32])
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM deleted_certs WHERE cert_hash = ?1");
	if (!st)
		return -EIO;
	store_bind_blob(st, 1, hash, 32);
	return store_step_done(st);
}
