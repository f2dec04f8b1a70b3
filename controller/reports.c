// SPDX-License-Identifier: Apache-2.0
/* Device reports: storage, retention and the admin read API. */
#include "reports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "apps_store.h"
#include "buf.h"
#include "ctl.h"
#include "store.h"
#include "deviceio.h"
#include "devices_store.h"
#include "err.h"
#include "follow.h"
#include "gzip.h"
#include "infolatest.h"
#include "hardwarehealth/hardware_health.pb-c.h"
#include "flowlog/flowlog.pb-c.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "logstore.h"
#include "metrics/metrics.pb-c.h"
#include "pbjson.h"
#include "uuidgen.h"

#define LOG_LINE_MAX (64u << 10)
#define FIELD_MAX 4096

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Device times are untrusted: a time is accepted from the epoch up to a day
 * past the controller's clock (a device clock a little ahead is common);
 * anything else would overflow in milliseconds, or sort and expire wrongly,
 * and is stored as the receive time with a note in the controller log. */
#define DEV_TIME_AHEAD_S 86400
#define NANOS_MAX 999999999

struct dev_times {
	struct ctl *c;
	const char *uuid;
	unsigned clamped; /* times replaced in this request */
};

static bool dev_time_ok(int64_t s, int64_t nanos)
{
	return s >= 0 && s <= (int64_t)time(NULL) + DEV_TIME_AHEAD_S && nanos >= 0 && nanos <= NANOS_MAX;
}

/* Device time s + nanos in ms, or now_ms() (counted) when out of range. */
static int64_t dev_time_ms(struct dev_times *dt, int64_t s, int64_t nanos)
{
	if (dev_time_ok(s, nanos))
		return s * 1000 + nanos / 1000000;
	dt->clamped++;
	return now_ms();
}

/* Note the replaced times of one request once in the controller log. */
static void dev_times_note(const struct dev_times *dt, const char *what)
{
	char msg[160];
	if (!dt->clamped || !dt->c->log_device)
		return;
	snprintf(msg, sizeof(msg), "%s: %u timestamp(s) out of range, stored with the receive time", what,
		 dt->clamped);
	dt->c->log_device(dt->uuid, msg);
}

/* Seconds of an optional report time: absent (or 0, unset) is now. */
static int64_t ts_or_now(struct dev_times *dt, const Google__Protobuf__Timestamp *t)
{
	if (!t || (t->seconds == 0 && t->nanos == 0))
		return (int64_t)time(NULL);
	return dev_time_ms(dt, t->seconds, t->nanos) / 1000;
}

/* Keep the newest max rows of table for dev (count retention). */
static void trim_count(struct store *d, const char *sql, const char *dev, int64_t max)
{
	struct store_stmt *st = store_stmt(d, sql);
	if (!st)
		return;
	store_bind_text(st, 1, dev);
	store_bind_int64(st, 2, max);
	store_step_done(st);
}

#define TRIM(table)                                                                                          \
	"DELETE FROM " table " WHERE device_id = ?1 AND id <= (SELECT id FROM " table                        \
	" WHERE device_id = ?1"                                                                              \
	" ORDER BY id DESC LIMIT 1 OFFSET ?2)"

/* --- info --- */

static const char *info_type(const Org__Lfedge__Eve__Info__ZInfoMsg *m, const ProtobufCMessage **sub)
{
	static const struct {
		Org__Lfedge__Eve__Info__ZInfoMsg__InfoContentCase c;
		const char *name;
	} types[] = {
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO, "device"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO, "app"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO, "network"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO, "volume"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO, "content"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_BINFO, "blobs"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AMDINFO, "appmeta"},
	    {ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_HWINFO, "hardware"},
	};
	*sub = (const ProtobufCMessage *)m->dinfo; /* union: any member */
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].c == m->info_content_case)
			return types[i].name;
	*sub = NULL;
	return "other";
}

/* The object a report is about: the first id-like string field. */
static const char *info_object(const ProtobufCMessage *sub)
{
	static const char *const names[] = {"uuid", "appID", "AppID", "networkID", "id"};
	if (!sub)
		return "";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(sub->descriptor, names[i]);
		if (f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED) {
			const char *v = *(const char *const *)(const void *)((const char *)sub + f->offset);
			return v ? v : "";
		}
	}
	return "";
}

static void app_state_update(struct store *d, const char *dev, const Org__Lfedge__Eve__Info__ZInfoApp *a)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
	    &org__lfedge__eve__info__zsw_state__descriptor, (int)a->state);
	json_t *ips = json_array();
	for (size_t i = 0; i < a->n_network && i < 64; i++)
		for (size_t k = 0; k < a->network[i]->n_ipaddrs && k < 16; k++)
			json_array_append_new(ips, json_string(a->network[i]->ipaddrs[k]));
	char *ipt = json_dumps(ips, JSON_COMPACT);
	json_decref(ips);
	const char *ver = a->appversion ? a->appversion : "";
	struct apps_store_report rep = {
	    .state = ev ? ev->name : "UNKNOWN",
	    .error = a->n_apperr && a->apperr[0]->description && *a->apperr[0]->description
			 ? a->apperr[0]->description
			 : NULL,
	    .ips = ipt,
	    .updated = (int64_t)time(NULL),
	    .version = ver,
	    .version_len = (int)strnlen(ver, 64),
	};
	/* (void): a lost state is in the device's next report */
	if (ipt && a->appid)
		(void)apps_store_instance_report(d, dev, a->appid, &rep);
	free(ipt);
}

/* The base OS version the device reports it fell back from (or failed
 * to install), with the reason: what a base OS rollout gates on. */
static void os_failed_update(struct store *d, const char *dev, const Org__Lfedge__Eve__Info__ZInfoDevice *di)
{
	const char *ver = "", *why = "";
	for (size_t i = 0; i < di->n_swlist; i++) {
		const Org__Lfedge__Eve__Info__ZInfoDevSW *sw = di->swlist[i];
		if ((sw->userstatus == ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__FALLBACK ||
		     sw->userstatus == ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__FAILED) &&
		    sw->shortversion && *sw->shortversion) {
			ver = sw->shortversion;
			why = sw->swerr && sw->swerr->description ? sw->swerr->description : "";
		}
	}
	(void)devices_store_set_os_failed(d, dev, ver, why); /* a lost write: the next info has it */
}

static void device_info_update(struct store *d, const char *dev,
			       const Org__Lfedge__Eve__Info__ZInfoDevice *di)
{
	const char *ver = NULL;
	for (size_t i = 0; i < di->n_swlist; i++)
		if (di->swlist[i]->activated && di->swlist[i]->shortversion && *di->swlist[i]->shortversion)
			ver = di->swlist[i]->shortversion;
	if (ver)
		(void)devices_store_set_os_version(d, dev, ver); /* a lost write: the next info has it */
	if (di->n_swlist > 0)
		os_failed_update(d, dev, di);
}

static int info_insert(struct store *d, const char *dev, int64_t t, const char *type, const char *obj,
		       const uint8_t *msg, size_t len)
{
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO info(device_id, time, type, object, data) VALUES(?1,?2,?3,?4,?5)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	store_bind_int64(st, 2, t);
	store_bind_text(st, 3, type);
	store_bind_text(st, 4, obj);
	store_bind_blob(st, 5, msg, len);
	int r = store_step_done(st);
	if (r == 0)
		r = infolatest_put(d, dev, type, obj, t, msg, len);
	return r;
}

int reports_store_info(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = org__lfedge__eve__info__zinfo_msg__unpack(NULL, len, msg);
	if (!m)
		return -EVE_EPROTO;
	const ProtobufCMessage *sub;
	const char *type = info_type(m, &sub);
	char obj[FIELD_MAX];
	snprintf(obj, sizeof(obj), "%s", info_object(sub));
	struct dev_times dt = {.c = c, .uuid = uuid};
	int64_t t = ts_or_now(&dt, m->attimestamp);
	dev_times_note(&dt, "info");
	struct store *d = store_get(c->db);
	int added = 0;
	int r = store_begin(d);
	if (r == 0)
		r = info_insert(d, uuid, t, type, obj, msg, len);
	if (r == 0 && m->info_content_case == ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO)
		app_state_update(d, uuid, m->ainfo);
	if (r == 0 && m->info_content_case == ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO) {
		device_info_update(d, uuid, m->dinfo);
		/* management ports the model lacks join it: the config changes */
		added = deviceio_learn(d, uuid, m->dinfo);
		r = added < 0 ? added : 0;
	}
	if (r == 0)
		trim_count(d, TRIM("info"), uuid, c->conf.info_max);
	if (r == 0)
		r = store_commit(d);
	if (r < 0)
		store_rollback(d);
	else if (added > 0) /* management ports joined the model: new config */
		ctl_device_changed(c, d, uuid);
	store_put(c->db, d);
	org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	return r;
}

/* hardware health: an info row of type "hardwarehealth" (history and
 * latest), so the admin reads it with the device's info. */
int reports_store_hardwarehealth(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	Org__Lfedge__Eve__Hardwarehealth__ZHardwareHealth *m =
	    org__lfedge__eve__hardwarehealth__zhardware_health__unpack(NULL, len, msg);
	if (!m)
		return -EVE_EPROTO;
	struct dev_times dt = {.c = c, .uuid = uuid};
	int64_t t = ts_or_now(&dt, m->at_time_stamp);
	dev_times_note(&dt, "hardwarehealth");
	org__lfedge__eve__hardwarehealth__zhardware_health__free_unpacked(m, NULL);
	struct store *d = store_get(c->db);
	int r = store_begin(d);
	if (r == 0)
		r = info_insert(d, uuid, t, REPORTS_HWHEALTH, "", msg, len);
	if (r == 0)
		trim_count(d, TRIM("info"), uuid, c->conf.info_max);
	if (r == 0)
		r = store_commit(d);
	if (r < 0)
		store_rollback(d);
	store_put(c->db, d);
	return r;
}

/* metrics / flowlog: one blob row each */
static int store_blob(struct ctl *c, const char *ins, const char *trim, int64_t max, const char *uuid,
		      int64_t t, const uint8_t *msg, size_t len)
{
	struct store *d = store_get(c->db);
	struct store_stmt *st = store_stmt(d, ins);
	int r = st ? 0 : -EIO;
	if (st) {
		store_bind_text(st, 1, uuid);
		store_bind_int64(st, 2, t);
		store_bind_blob(st, 3, msg, len);
		r = store_step_done(st);
	}
	if (r == 0)
		trim_count(d, trim, uuid, max);
	store_put(c->db, d);
	return r;
}

int reports_store_metrics(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	Org__Lfedge__Eve__Metrics__ZMetricMsg *m =
	    org__lfedge__eve__metrics__zmetric_msg__unpack(NULL, len, msg);
	if (!m)
		return -EVE_EPROTO;
	struct dev_times dt = {.c = c, .uuid = uuid};
	int64_t t = ts_or_now(&dt, m->attimestamp);
	dev_times_note(&dt, "metrics");
	org__lfedge__eve__metrics__zmetric_msg__free_unpacked(m, NULL);
	return store_blob(c, "INSERT INTO metrics(device_id, time, data) VALUES(?1,?2,?3)", TRIM("metrics"),
			  c->conf.metrics_max, uuid, t, msg, len);
}

/* A FlowMessage is stored whole, filed under its scope (the app instance)
 * when that is one of the device's instances. */
int reports_store_flowlog(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	Org__Lfedge__Eve__Flowlog__FlowMessage *m =
	    org__lfedge__eve__flowlog__flow_message__unpack(NULL, len, msg);
	if (!m)
		return -EVE_EPROTO;
	char app[UUID_STR_LEN] = "";
	if (m->scope && m->scope->uuid && uuidgen_valid(m->scope->uuid))
		snprintf(app, sizeof(app), "%s", m->scope->uuid);
	org__lfedge__eve__flowlog__flow_message__free_unpacked(m, NULL);
	struct store *d = store_get(c->db);
	/* kept under the instance only when it is one of this device's */
	int own = app[0] ? apps_store_instance_on_device(d, app, uuid) : -EPERM;
	struct store_stmt *st = own == -EIO
				    ? NULL
				    : store_stmt(d, "INSERT INTO flowlog(device_id, time, data, app_id)"
						    " VALUES(?1,?2,?3,?4)");
	int r = st ? 0 : -EIO;
	if (st) {
		store_bind_text(st, 1, uuid);
		store_bind_int64(st, 2, (int64_t)time(NULL));
		store_bind_blob(st, 3, msg, len);
		if (own == 0)
			store_bind_text(st, 4, app);
		r = store_step_done(st);
	}
	if (r == 0)
		trim_count(d, TRIM("flowlog"), uuid, c->conf.flowlog_max);
	store_put(c->db, d);
	return r;
}

/* --- logs --- */

/* One line into the batch, fields cut as they always were (FIELD_MAX,
 * LOG_LINE_MAX; a missing field is empty). */
static int log_add(struct logstore_batch *b, int64_t t_ms, const char *source, const char *severity,
		   const char *msg)
{
	source = source ? source : "";
	severity = severity ? severity : "";
	msg = msg ? msg : "";
	return logstore_batch_add(b, t_ms, source, strnlen(source, FIELD_MAX), severity,
				  strnlen(severity, FIELD_MAX), msg, strnlen(msg, LOG_LINE_MAX));
}

/* End the batch (count retention included), commit, wake followers. */
static int logs_finish(struct ctl *c, struct store *d, struct logstore_batch *b, int r)
{
	if (r == 0)
		r = logstore_batch_end(b, c->conf.logs_max);
	logstore_batch_free(b);
	if (r == 0)
		r = store_commit(d);
	if (r < 0)
		store_rollback(d);
	store_put(c->db, d);
	if (r == 0)
		follow_notify(c->follow);
	return r;
}

int reports_store_logbundle(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	Org__Lfedge__Eve__Logs__LogBundle *b = org__lfedge__eve__logs__log_bundle__unpack(NULL, len, msg);
	if (!b)
		return -EVE_EPROTO;
	struct dev_times dt = {.c = c, .uuid = uuid};
	struct logstore_batch lb;
	struct store *d = store_get(c->db);
	int r = store_begin(d);
	logstore_batch_init(&lb, d, uuid, NULL);
	for (size_t i = 0; r == 0 && i < b->n_log; i++) {
		const Org__Lfedge__Eve__Logs__LogEntry *e = b->log[i];
		int64_t t =
		    e->timestamp ? dev_time_ms(&dt, e->timestamp->seconds, e->timestamp->nanos) : now_ms();
		r = log_add(&lb, t, e->source, e->severity, e->content);
	}
	r = logs_finish(c, d, &lb, r);
	if (r == 0)
		dev_times_note(&dt, "logs");
	org__lfedge__eve__logs__log_bundle__free_unpacked(b, NULL);
	return r;
}

/* LogEntry JSON timestamp: RFC 3339 string or {seconds, nanos}; absent is
 * now, anything else out of range or unreadable is now (counted). */
static int64_t json_ts_ms(struct dev_times *dt, json_t *t)
{
	if (!t || json_is_null(t))
		return now_ms();
	if (json_is_object(t)) {
		json_t *s = json_object_get(t, "seconds"), *n = json_object_get(t, "nanos");
		if (json_is_integer(s) && (!n || json_is_integer(n)))
			return dev_time_ms(dt, json_integer_value(s), n ? json_integer_value(n) : 0);
	}
	int64_t s;
	if (json_is_string(t) && admin_time_parse(json_string_value(t), &s) == 0)
		return dev_time_ms(dt, s, 0);
	dt->clamped++;
	return now_ms();
}

static int newlogs_lines(struct dev_times *dt, struct logstore_batch *b, char *text, size_t len)
{
	int r = 0;
	for (char *p = text, *end = text + len; r == 0 && p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && !(n == 1 && *p == '\r')) {
			json_t *j = n <= LOG_LINE_MAX ? json_loadb(p, n, 0, NULL) : NULL;
			if (!json_is_object(j)) {
				json_decref(j);
				return -EVE_EPROTO;
			}
			r = log_add(b, json_ts_ms(dt, json_object_get(j, "timestamp")),
				    json_string_value(json_object_get(j, "source")),
				    json_string_value(json_object_get(j, "severity")),
				    json_string_value(json_object_get(j, "content")));
			json_decref(j);
		}
		p += n + 1;
	}
	return r;
}

int reports_store_newlogs(struct ctl *c, const char *uuid, const char *app, const uint8_t *gz, size_t len)
{
	struct buf out;
	buf_init(&out, (size_t)c->conf.cap_logs);
	int r = gzip_decompress(gz, len, &out);
	if (r < 0) {
		buf_free(&out);
		return r;
	}
	struct dev_times dt = {.c = c, .uuid = uuid};
	struct logstore_batch lb;
	struct store *d = store_get(c->db);
	r = store_begin(d);
	logstore_batch_init(&lb, d, uuid, app);
	if (r == 0 && app)
		r = apps_store_instance_on_device(d, app, uuid);
	if (r == 0 && out.len)
		r = newlogs_lines(&dt, &lb, (char *)out.data, out.len);
	buf_free(&out);
	r = logs_finish(c, d, &lb, r);
	if (r == 0)
		dev_times_note(&dt, "newlogs");
	return r;
}

void reports_retention(struct ctl *c, struct store *d)
{
	int64_t now = (int64_t)time(NULL);
	struct store_stmt *st = store_stmt(d, "DELETE FROM metrics WHERE time < ?1");
	if (st) {
		store_bind_int64(st, 1, now - c->conf.metrics_days * 86400);
		store_step_done(st);
	}
	logstore_expire(d, logstore_cutoff(c->conf.logs_days));
	st = store_stmt(d, "DELETE FROM flowlog WHERE time < ?1");
	if (st) {
		store_bind_int64(st, 1, now - c->conf.logs_days * 86400);
		store_step_done(st);
	}
	/* Without a truncating checkpoint the WAL file keeps its high-water
	 * size forever; readers in flight just make it a no-op this round.
	 * (SQLite only: PostgreSQL manages its own WAL.) */
	if (!strcmp(store_dialect(c->db), "sqlite"))
		store_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* ---- reads of the stored reports (admin views, fleet export) ---- */

/* Rows of "SELECT id, time, data, type, object, instance" to fn. */
static int each_row(struct store_stmt *st, int (*fn)(void *ctx, const struct reports_row *row), void *ctx)
{
	int r = 0;
	while (r == 0 && store_step(st) == STORE_ROW) {
		size_t len;
		struct reports_row row = {
		    .id = store_col_int64(st, 0),
		    .time = store_col_int64(st, 1),
		    .data = store_col_blob(st, 2, &len),
		    .len = len,
		    .type = store_col_str(st, 3),
		    .object = store_col_str(st, 4),
		    .instance = store_col_str(st, 5),
		};
		r = fn(ctx, &row);
	}
	store_reset(st);
	return r;
}

int reports_each_info(struct store *d, const char *dev, int64_t before, int64_t since, const char *type,
		      int64_t limit, int (*fn)(void *ctx, const struct reports_row *row), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, time, data, type, object, '' FROM info WHERE device_id = ?1"
			  " AND id < ?2 AND time >= ?3 AND (CAST(?4 AS TEXT) IS NULL OR type = ?4)"
			  " ORDER BY id DESC LIMIT ?5");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	store_bind_int64(st, 2, before);
	store_bind_int64(st, 3, since);
	if (type)
		store_bind_text(st, 4, type);
	store_bind_int64(st, 5, limit);
	return each_row(st, fn, ctx);
}

int reports_each_metrics(struct store *d, const char *dev, int64_t before, int64_t since, int64_t limit,
			 int (*fn)(void *ctx, const struct reports_row *row), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, time, data, '', '', '' FROM metrics WHERE device_id = ?1"
			  " AND id < ?2 AND time >= ?3 ORDER BY id DESC LIMIT ?4");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, dev);
	store_bind_int64(st, 2, before);
	store_bind_int64(st, 3, since);
	store_bind_int64(st, 4, limit);
	return each_row(st, fn, ctx);
}

int reports_each_flow_of(struct store *d, const char *instances, int64_t after, int64_t limit,
			 int (*fn)(void *ctx, const struct reports_row *row), void *ctx)
{
	/* newest first without `after`, oldest first with it */
	struct store_stmt *st =
	    after < 0
		? store_stmt(
		      d, "SELECT id, time, data, '', '', app_id FROM flowlog WHERE app_id IN"
			 " (SELECT json_extract(value, '$[0]') FROM json_each(?1)) ORDER BY id DESC LIMIT ?3")
		: store_stmt(d,
			     "SELECT id, time, data, '', '', app_id FROM flowlog WHERE app_id IN"
			     " (SELECT json_extract(value, '$[0]') FROM json_each(?1)) AND id > ?2 ORDER BY "
			     "id LIMIT ?3");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, instances);
	store_bind_int64(st, 2, after);
	store_bind_int64(st, 3, limit);
	return each_row(st, fn, ctx);
}
