// SPDX-License-Identifier: Apache-2.0
/* Shared admin API helpers. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "devices_store.h"

json_t *admin_body(struct http_req *r)
{
	json_error_t e;
	json_t *j = r->body.len ? json_loadb((const char *)r->body.data, r->body.len, 0, &e) : NULL;
	if (!j) {
		http_reply_error(r, 400, "malformed JSON: %s", r->body.len ? e.text : "empty body");
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(r, 400, "body must be a JSON object");
		return NULL;
	}
	return j;
}

void admin_time_str(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *admin_time_json(int64_t t)
{
	if (t <= 0)
		return json_null();
	char s[32];
	admin_time_str(t, s);
	return json_string(s);
}

int admin_time_parse(const char *s, int64_t *t)
{
	struct tm tm = {0};
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end) {
		if (*end == '.')
			while (*++end >= '0' && *end <= '9')
				;
		if (strcmp(end, "Z") && strcmp(end, "+00:00") && *end)
			return -EINVAL;
		*t = (int64_t)timegm(&tm);
		return 0;
	}
	char *e;
	long long v = strtoll(s, &e, 10);
	if (*s == 0 || *e || v < 0)
		return -EINVAL;
	*t = v;
	return 0;
}

int admin_page(struct http_req *r, int64_t *limit, int64_t *before)
{
	const char *l = http_arg(r, "limit"), *b = http_arg(r, "before");
	*limit = 100;
	*before = INT64_MAX;
	char *e;
	if (l) {
		long long v = strtoll(l, &e, 10);
		if (*l == 0 || *e || v < 1)
			return -EINVAL;
		*limit = v > 1000 ? 1000 : v;
	}
	if (b && *b) {
		long long v = strtoll(b, &e, 10);
		if (*e || v < 0)
			return -EINVAL;
		*before = v;
	}
	return 0;
}

void admin_reply_err(struct http_req *r, int err, const char *what)
{
	switch (err) {
	case -ENOENT:
		http_reply_error(r, 404, "no such %s", what);
		break;
	case -EEXIST:
		http_reply_error(r, 409, "%s already exists", what);
		break;
	case -EBUSY:
		http_reply_error(r, 409, "%s is in use", what);
		break;
	case -EAGAIN: /* written only over what was read, and changed every time */
		http_reply_error(r, 409, "%s was changed by other requests meanwhile: try again", what);
		break;
	case -EINVAL:
		http_reply_error(r, 400, "bad %s", what);
		break;
	case -EVE_ETOOBIG:
		http_reply_error(r, 413, "%s too big", what);
		break;
	case -EVE_EHASH:
		http_reply_error(r, 422, "%s: sha256 does not match", what);
		break;
	default:
		http_reply_error(r, 500, "%s: %s", what, eve_strerror(err));
	}
}

int admin_device_resolve(struct store *d, const char *ref, char uuid[UUID_STR_LEN])
{
	return devices_store_resolve(d, ref, uuid);
}

json_t *admin_json_col(const char *text)
{
	json_t *j = text && *text ? json_loads(text, 0, NULL) : NULL;
	return j ? j : json_object();
}

int admin_names_add(void *ctx, const char *name)
{
	struct admin_names *b = ctx;
	int w = b->used + 1 < b->n
		    ? snprintf(b->s + b->used, b->n - b->used, "%s%s", b->count ? ", " : "", name)
		    : 0;
	if (w > 0 && (size_t)w < b->n - b->used)
		b->used += (size_t)w;
	b->count++;
	return 0;
}

const char *admin_str(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}
