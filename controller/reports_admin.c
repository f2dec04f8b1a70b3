// SPDX-License-Identifier: Apache-2.0
/* Admin reads of device reports: info, metrics, logs (with follow). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "apps_store.h"
#include "ctl.h"
#include "store.h"
#include "follow.h"
#include "hardwarehealth/hardware_health.pb-c.h"
#include "info/info.pb-c.h"
#include "logstore.h"
#include "metrics/metrics.pb-c.h"
#include "pbjson.h"
#include "reports.h"

/* Common page arguments; replies 400 on bad input. */
struct page {
	int64_t limit, before, since;
};

static bool page_args(struct http_req *r, struct page *p)
{
	const char *since = http_arg(r, "since");
	p->since = 0;
	if (admin_page(r, &p->limit, &p->before) < 0 || (since && admin_time_parse(since, &p->since) < 0)) {
		http_reply_error(r, 400, "limit: 1..1000, before: cursor, since: RFC 3339 time");
		return false;
	}
	return true;
}

static json_t *page_result(json_t *items, int64_t last_id, int64_t limit)
{
	json_t *next = json_null();
	if ((int64_t)json_array_size(items) == limit) {
		char s[32];
		snprintf(s, sizeof(s), "%lld", (long long)last_id);
		next = json_string(s);
	}
	return json_pack("{s:o, s:o}", "items", items, "next", next);
}

static json_t *unpack_json(const ProtobufCMessageDescriptor *desc, const struct reports_row *row)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, row->len, row->data);
	json_t *j = m ? pbjson_from_message(m) : NULL;
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	return j ? j : json_null();
}

/* Info rows hold ZInfoMsg, or ZHardwareHealth for type "hardwarehealth". */
static const ProtobufCMessageDescriptor *info_descriptor(const char *type)
{
	if (!strcmp(type, REPORTS_HWHEALTH))
		return &org__lfedge__eve__hardwarehealth__zhardware_health__descriptor;
	return &org__lfedge__eve__info__zinfo_msg__descriptor;
}

struct rows {
	json_t *items;
	int64_t last;
};

static int info_item(void *ctx, const struct reports_row *row)
{
	struct rows *x = ctx;
	x->last = row->id;
	json_array_append_new(x->items,
			      json_pack("{s:I, s:o, s:s, s:s, s:o}", "id", (json_int_t)row->id, "time",
					admin_time_json(row->time), "type", row->type, "object", row->object,
					"info", unpack_json(info_descriptor(row->type), row)));
	return 0;
}

static void h_info(struct http_req *r)
{
	struct page p;
	char dev[UUID_STR_LEN];
	if (!page_args(r, &p))
		return;
	const char *type = http_arg(r, "type");
	struct store *d = store_get(r->ctl->db);
	struct rows x = {.items = json_array()};
	int e = admin_device_resolve(d, r->params[0], dev);
	if (e == 0)
		(void)reports_each_info(d, dev, p.before, p.since, type, p.limit, info_item,
					&x); /* as far as read */
	store_put(r->ctl->db, d);
	if (e < 0) {
		json_decref(x.items);
		admin_reply_err(r, e, "device");
		return;
	}
	http_reply_json(r, 200, page_result(x.items, x.last, p.limit));
}

static int metrics_item(void *ctx, const struct reports_row *row)
{
	struct rows *x = ctx;
	x->last = row->id;
	json_array_append_new(
	    x->items,
	    json_pack("{s:I, s:o, s:o}", "id", (json_int_t)row->id, "time", admin_time_json(row->time),
		      "metrics", unpack_json(&org__lfedge__eve__metrics__zmetric_msg__descriptor, row)));
	return 0;
}

static void h_metrics(struct http_req *r)
{
	struct page p;
	char dev[UUID_STR_LEN];
	if (!page_args(r, &p))
		return;
	struct store *d = store_get(r->ctl->db);
	struct rows x = {.items = json_array()};
	int e = admin_device_resolve(d, r->params[0], dev);
	if (e == 0)
		(void)reports_each_metrics(d, dev, p.before, p.since, p.limit, metrics_item,
					   &x); /* as far as read */
	store_put(r->ctl->db, d);
	if (e < 0) {
		json_decref(x.items);
		admin_reply_err(r, e, "device");
		return;
	}
	http_reply_json(r, 200, page_result(x.items, x.last, p.limit));
}

/* Logs of a device (dev) or of an app's instances (app id). */
static void logs_list(struct http_req *r, const char *dev, const char *app)
{
	struct page p;
	if (!page_args(r, &p))
		return;
	const char *follow = http_arg(r, "follow"), *after = http_arg(r, "after");
	const char *source = http_arg(r, "source");
	if (follow && !strcmp(follow, "1")) {
		/* after=ID: continue exactly after a listing the client printed */
		char *end = NULL;
		long long a = after ? strtoll(after, &end, 10) : 0;
		if (after && (!*after || *end || a < 0)) {
			http_reply_error(r, 400, "after: a log id");
			return;
		}
		follow_start(r, dev, app, a, p.since * 1000);
		return;
	}
	struct logstore_query q = {.dev = dev,
				   .app = app,
				   .before = p.before,
				   .since_ms = logstore_since(p.since * 1000, r->ctl->conf.logs_days),
				   .source = source,
				   .limit = p.limit};
	json_t *items = json_array();
	int64_t last = 0;
	struct store *d = store_get(r->ctl->db);
	int e = logstore_scan(d, &q, items, &last);
	store_put(r->ctl->db, d);
	if (e < 0) {
		json_decref(items);
		http_reply_error(r, 500, "reading the logs failed");
		return;
	}
	http_reply_json(r, 200, page_result(items, last, p.limit));
}

static void h_device_logs(struct http_req *r)
{
	char dev[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], dev);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		logs_list(r, dev, NULL);
}

static void h_app_logs(struct http_req *r)
{
	struct apps_store_app app;
	struct store *d = store_get(r->ctl->db);
	int e = apps_store_find(d, r->params[0], &app);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, -ENOENT, "app");
	else
		logs_list(r, NULL, app.id);
}

const struct http_route admin_report_routes[] = {
    {"GET", ADMIN_PREFIX "/devices/*/info", h_info, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/devices/*/metrics", h_metrics, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/devices/*/logs", h_device_logs, 0, HTTP_AUTH_ADMIN, NULL},
    {"GET", ADMIN_PREFIX "/apps/*/logs", h_app_logs, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
