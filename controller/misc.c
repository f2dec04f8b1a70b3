// SPDX-License-Identifier: Apache-2.0
/* /api/v1/status (tokens: access_api.c). */
#include <stdio.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "ctl.h"
#include "apps.h"
#include "store.h"
#include "devices_store.h"

static void h_status(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	/* counts of the projects granted; a store error counts 0 */
	int64_t devices = devices_store_count(d, access_grants(r)), apps = apps_count(d, access_grants(r));
	store_put(r->ctl->db, d);
	http_reply_json(r, 200,
			json_pack("{s:s, s:I, s:I, s:I}", "version", CTL_VERSION, "devices",
				  (json_int_t)devices, "apps", (json_int_t)apps, "uptime_s",
				  (json_int_t)(time(NULL) - r->ctl->started)));
}

const struct http_route admin_misc_routes[] = {
    {"GET", ADMIN_PREFIX "/status", h_status, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
