// SPDX-License-Identifier: Apache-2.0
/* A stored log line as the admin API shows it (see logjson.h). */
#include "admin.h"
#include "db.h"
#include "logjson.h"

json_t *logjson_row(sqlite3_stmt *st)
{
	int64_t ms = sqlite3_column_int64(st, 1);
	json_t *j = json_pack("{s:I, s:o, s:I, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			      "time", admin_time_json(ms / 1000), "time_ms", (json_int_t)ms, "source",
			      db_col_text(st, 2), "severity", db_col_text(st, 3), "msg", db_col_text(st, 4));
	json_object_set_new(j, "app",
			    sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
								      : json_string(db_col_text(st, 5)));
	return j;
}
