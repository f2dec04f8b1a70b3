// SPDX-License-Identifier: Apache-2.0
/* Certificates of deleted devices (table deleted_certs). */
#include "revoked.h"

#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include "db.h"

int revoked_add(struct db *d, const char *uuid, const uint8_t *cert_hash, size_t hash_len, const char *serial)
{
	sqlite3_stmt *st =
	    db_stmt(d, "INSERT OR REPLACE INTO deleted_certs(cert_hash, device_id, serial, deleted)"
		       " VALUES(?1, ?2, ?3, ?4)");
	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, cert_hash, (int)hash_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	return db_step_done(st);
}

int revoked_find(struct db *d, const uint8_t *hash, size_t hash_len)
{
	if (hash_len != 16 && hash_len != 32)
		return 0;
	sqlite3_stmt *st =
	    hash_len == 32 ? db_stmt(d, "SELECT 1 FROM deleted_certs WHERE cert_hash = ?1")
			   : db_stmt(d, "SELECT 1 FROM deleted_certs WHERE substr(cert_hash, 1, 16) = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, hash, (int)hash_len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int revoked_clear(struct db *d, const uint8_t hash[32])
{
	sqlite3_stmt *st = db_stmt(d, "DELETE FROM deleted_certs WHERE cert_hash = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return db_step_done(st);
}
