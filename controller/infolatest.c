// SPDX-License-Identifier: Apache-2.0
/* The info_latest table (see infolatest.h). */
#include "infolatest.h"

#include <errno.h>

#include "db.h"
#include "pbjson.h"

Org__Lfedge__Eve__Info__ZInfoMsg *infolatest_get(struct db *d, const char *dev, const char *type,
						 const char *object)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT data FROM info_latest WHERE device_id = ?1 AND type = ?2"
				      " AND (?3 IS NULL OR object = ?3) ORDER BY time DESC LIMIT 1");
	Org__Lfedge__Eve__Info__ZInfoMsg *m = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (object)
		sqlite3_bind_text(st, 3, object, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, (size_t)sqlite3_column_bytes(st, 0),
							      sqlite3_column_blob(st, 0));
	sqlite3_reset(st);
	return m;
}

json_t *infolatest_content_json(struct db *d, const char *dev, const char *type, const char *object)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = infolatest_get(d, dev, type, object);
	const ProtobufCFieldDescriptor *f =
	    m ? protobuf_c_message_descriptor_get_field(m->base.descriptor, (unsigned)m->info_content_case)
	      : NULL;
	json_t *j = NULL;

	/* the content is the oneof member that is set: a message field */
	if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)((const char *)m + f->offset);

		if (sub)
			j = pbjson_from_message(sub);
	}
	if (m)
		org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	return j ? j : json_null();
}

int infolatest_put(struct db *d, const char *dev, const char *type, const char *object, int64_t t,
		   const uint8_t *msg, size_t len)
{
	sqlite3_stmt *st =
	    db_stmt(d, "INSERT OR REPLACE INTO info_latest(device_id, type, object, time, data)"
		       " VALUES(?1,?2,?3,?4,?5)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, object, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t);
	sqlite3_bind_blob(st, 5, msg, (int)len, SQLITE_STATIC);
	return db_step_done(st);
}
