// SPDX-License-Identifier: Apache-2.0
/* The info_latest table (see infolatest.h). */
#include "infolatest.h"

#include <errno.h>

#include "store.h"
#include "pbjson.h"

Org__Lfedge__Eve__Info__ZInfoMsg *infolatest_get(struct store *d, const char *dev, const char *type,
						 const char *object)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT data FROM info_latest WHERE device_id = ?1 AND type = ?2"
			  " AND (CAST(?3 AS TEXT) IS NULL OR object = ?3) ORDER BY time DESC LIMIT 1");
	Org__Lfedge__Eve__Info__ZInfoMsg *m = NULL;

	if (!st)
		return NULL;
	store_bind_text(st, 1, dev);
	store_bind_text(st, 2, type);
	if (object)
		store_bind_text(st, 3, object);
	if (store_step(st) == STORE_ROW) {
		size_t n;
		const void *data = store_col_blob(st, 0, &n);
		m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, n, data);
	}
	store_reset(st);
	return m;
}

json_t *infolatest_content_json(struct store *d, const char *dev, const char *type, const char *object)
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

int infolatest_put(struct store *d, const char *dev, const char *type, const char *object, int64_t t,
		   const uint8_t *msg, size_t len)
{
	struct store_stmt *st = store_stmt(
	    d, "INSERT INTO info_latest(device_id, type, object, time, data) VALUES(?1,?2,?3,?4,?5)"
	       " ON CONFLICT(device_id, type, object) DO UPDATE SET time = excluded.time,"
	       " data = excluded.data");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, object);
	store_bind_int64(st, 4, t);
	store_bind_blob(st, 5, msg, len);
	return store_step_done(st);
}
