// SPDX-License-Identifier: Apache-2.0
/* Helpers shared by the admin REST API modules (`/api/v1`, JSON). */
#ifndef CTL_ADMIN_H
#define CTL_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "http.h"
#include "uuidgen.h"

#define ADMIN_JSON_CAP (1u << 20)
#define ADMIN_PREFIX "/api/v1"

/* Parse the request body as a JSON object; on failure replies 400 and
 * returns NULL. Caller owns the reference. */
json_t *admin_body(struct http_req *r);
/* RFC 3339 UTC; JSON null for t == 0. */
json_t *admin_time_json(int64_t t);
void admin_time_str(int64_t t, char out[32]);
/* Parse RFC 3339 (…Z) or Unix seconds; -EINVAL. */
int admin_time_parse(const char *s, int64_t *t);
/* ?limit (default 100, max 1000) and ?before (cursor, default INT64_MAX). */
int admin_page(struct http_req *r, int64_t *limit, int64_t *before);
/* Reply for a negative errno from a store function. */
void admin_reply_err(struct http_req *r, int err, const char *what);
/* Resolve a device named by uuid or name into uuid; -ENOENT. */
int admin_device_resolve(struct store *d, const char *ref, char uuid[UUID_STR_LEN]);
/* Parse a JSON text column, falling back to an empty object. */
json_t *admin_json_col(const char *text);
/* String member or NULL; sets *bad when present but not a string. */
const char *admin_str(json_t *o, const char *key, bool *bad);
/* "a, b" into s (n bytes, set s[0] = 0 first) from an owner's walk of
 * names (admin_names_add as its fn); a name that does not fit is cut;
 * count: how many were walked, listed or not. */
struct admin_names {
	char *s;
	size_t n, used;
	int count;
};
int admin_names_add(void *ctx, const char *name);

/* Route tables of each resource. */
extern const struct http_route admin_onboard_routes[];
extern const struct http_route admin_device_routes[];
extern const struct http_route admin_image_routes[];
extern const struct http_route admin_network_routes[];
extern const struct http_route admin_app_routes[];
extern const struct http_route admin_report_routes[];
extern const struct http_route admin_misc_routes[];
extern const struct http_route admin_flow_routes[]; /* flows_admin.c */
/* login, logout, whoami, tokens, users, projects, audit (access_api.c) */
extern const struct http_route admin_access_routes[];

#endif
