// SPDX-License-Identifier: Apache-2.0
/* Audit rows in SQLite. */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "store.h"

static void bind_cut(struct store_stmt *st, int i, const char *s, int cap)
{
	int n = s ? (int)strnlen(s, (size_t)cap) : 0;
	/* do not cut inside a UTF-8 sequence */
	while (s && n == cap && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	store_bind_text_n_copy(st, i, s ? s : "", n);
}

int audit_record_client(struct store *d, const char *who, const char *action, const char *object,
			const char *summary, int status, const char *client)
{
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO audit(time, who, action, object, summary, status, client)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, (int64_t)time(NULL));
	bind_cut(st, 2, who, 128);
	bind_cut(st, 3, action, 160);
	bind_cut(st, 4, object, 256);
	bind_cut(st, 5, summary, 512);
	store_bind_int64(st, 6, status);
	bind_cut(st, 7, client, 64);
	return store_step_done(st);
}

int audit_record(struct store *d, const char *who, const char *action, const char *object,
		 const char *summary, int status)
{
	return audit_record_client(d, who, action, object, summary, status, "");
}

int audit_list(struct store *d, const struct audit_query *q, json_t **items, int64_t *next)
{
	struct store_stmt *st =
	    q->after >= 0
		? store_stmt(d, "SELECT id, time, who, action, object, summary, status, client FROM audit"
				" WHERE id > ?1 AND time >= ?2 AND (CAST(?3 AS TEXT) IS NULL OR who = ?3) "
				"ORDER BY id LIMIT ?4")
		: store_stmt(d, "SELECT id, time, who, action, object, summary, status, client FROM audit"
				" WHERE id < ?1 AND time >= ?2 AND (CAST(?3 AS TEXT) IS NULL OR who = ?3) "
				"ORDER BY id DESC LIMIT ?4");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, q->after >= 0 ? q->after : q->before);
	store_bind_int64(st, 2, q->since);
	if (q->who)
		store_bind_text(st, 3, q->who);
	store_bind_int64(st, 4, q->limit);
	json_t *a = json_array();
	int64_t last = 0, n = 0;
	while (store_step(st) == STORE_ROW) {
		last = store_col_int64(st, 0);
		n++;
		json_array_append_new(
		    a, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:i, s:s}", "id", (json_int_t)last, "time",
				 admin_time_json(store_col_int64(st, 1)), "who", store_col_str(st, 2),
				 "action", store_col_str(st, 3), "object", store_col_str(st, 4), "summary",
				 store_col_str(st, 5), "status", store_col_int(st, 6), "client",
				 store_col_str(st, 7)));
	}
	store_reset(st);
	*next = n == q->limit ? last : 0;
	*items = a;
	return 0;
}

int audit_prune(struct store *d, int64_t now, int days)
{
	struct store_stmt *st = store_stmt(d, "DELETE FROM audit WHERE time < ?1");
	if (!st)
		return -EIO;
	store_bind_int64(st, 1, now - (int64_t)days * 86400);
	return store_step_done(st);
}
