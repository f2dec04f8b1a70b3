/* /api/v1/status and /api/v1/tokens. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ctl.h"
#include "db.h"
#include "tokens.h"

static void h_status(struct http_req *r)
{
	struct db *d = db_get(r->ctl->db);
	int64_t devices = db_count(d, "devices"), apps = db_count(d, "apps");
	db_put(r->ctl->db, d);
	http_reply_json(r, 200,
			json_pack("{s:s, s:I, s:I, s:I}", "version", CTL_VERSION, "devices",
				  (json_int_t)devices, "apps", (json_int_t)apps, "uptime_s",
				  (json_int_t)(time(NULL) - r->ctl->started)));
}

static void h_token(struct http_req *r)
{
	json_t *b = admin_body(r);
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, "name", &bad);
	if (bad || !name || !*name || strlen(name) > 128) {
		http_reply_error(r, 400, "name: required string");
		json_decref(b);
		return;
	}
	char tok[TOKEN_LEN + 1];
	struct db *d = db_get(r->ctl->db);
	int e = tokens_create(d, name, tok);
	db_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "token");
	else
		http_reply_json(r, 201, json_pack("{s:s, s:s}", "name", name, "token", tok));
	json_decref(b);
}

const struct http_route admin_misc_routes[] = {
    {"GET", ADMIN_PREFIX "/status", h_status, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", ADMIN_PREFIX "/tokens", h_token, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
