// SPDX-License-Identifier: Apache-2.0
/* The admin API's JSON form of a stored log line, shared by the log
 * listings (reports_admin.c) and the follow=1 streams (follow.c). */
#ifndef CTL_LOGJSON_H
#define CTL_LOGJSON_H

#include <jansson.h>
#include <sqlite3.h>

/* A row whose columns are: id, time (ms), source, severity, msg, app_id.
 * New reference (NULL on ENOMEM). */
json_t *logjson_row(sqlite3_stmt *st);

#endif
