// SPDX-License-Identifier: Apache-2.0
/* /api/v1/status (tokens: access_api.c). */
#include <stdio.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "ctl.h"
#include "db.h"

static void h_status(struct http_req *r)
{
	struct db *d = db_get(r->ctl->db);
	/* counts of the projects granted */
	sqlite3_stmt *st = db_stmt(d, "SELECT (SELECT count(*) FROM devices WHERE ?1 = '*' OR"
				      " instr(?1, ',' || project || ',') > 0), (SELECT count(*) FROM apps"
				      " WHERE ?1 = '*' OR instr(?1, ',' || project || ',') > 0)");
	int64_t devices = 0, apps = 0;
	if (st) {
		sqlite3_bind_text(st, 1, access_grants(r), -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			devices = sqlite3_column_int64(st, 0);
			apps = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
	}
	db_put(r->ctl->db, d);
	http_reply_json(r, 200,
			json_pack("{s:s, s:I, s:I, s:I}", "version", CTL_VERSION, "devices",
				  (json_int_t)devices, "apps", (json_int_t)apps, "uptime_s",
				  (json_int_t)(time(NULL) - r->ctl->started)));
}

const struct http_route admin_misc_routes[] = {
    {"GET", ADMIN_PREFIX "/status", h_status, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
