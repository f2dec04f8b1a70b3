// SPDX-License-Identifier: Apache-2.0
/* An app's revision history and rollback: /api/v1/apps/{app}/history and
 * /api/v1/apps/{app}/rollback. The revisions are recorded by triggers on
 * apps (schema m_volumes); a rollback makes the chosen earlier revision
 * the app's next one, with the reason "rollback to vN". An app with
 * rollback_after_s is rolled back automatically when an update does not
 * reach RUNNING on every instance in that time (app_history_tick): the
 * failed revision's outcome says why, the new one's reason is
 * "auto-rollback to vN", and the app object shows state ROLLED_BACK. A
 * device that rolled an update back by itself (timer.app.update.rollback)
 * reports it in the app's error; the controller takes that decision as the
 * app's next revision at once (device_rollbacks), so the two never fight. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "app_spec.h"
#include "apps.h"
#include "ctl.h"
#include "db.h"
#include "rollouts.h"
#include "volumes.h"

static int app_id_of(struct db *d, const char *ref, char id[UUID_STR_LEN], int64_t *version)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT id, version FROM apps WHERE id = ?1 OR name = ?1 LIMIT 1");
	int e = -ENOENT;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(id, UUID_STR_LEN, "%s", db_col_text(st, 0));
		*version = sqlite3_column_int64(st, 1);
		e = 0;
	}
	sqlite3_reset(st);
	return e;
}

static json_t *revisions(struct db *d, const char *id)
{
	sqlite3_stmt *st =
	    db_stmt(d, "SELECT r.version, i.name, r.created, r.reason, r.spec, r.outcome FROM app_revisions r"
		       " LEFT JOIN images i ON i.id = r.image_id WHERE r.app_id = ?1"
		       " ORDER BY r.version DESC LIMIT 100");
	json_t *a = json_array();
	if (!st)
		return a;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:s, s:o, s:s, s:s, s:o}", "version",
						   (json_int_t)sqlite3_column_int64(st, 0), "image",
						   db_col_text(st, 1), "created",
						   admin_time_json(sqlite3_column_int64(st, 2)), "reason",
						   db_col_text(st, 3), "outcome", db_col_text(st, 5), "spec",
						   admin_json_col(db_col_text(st, 4))));
	sqlite3_reset(st);
	return a;
}

static void h_history(struct http_req *r)
{
	char id[UUID_STR_LEN];
	int64_t version = 0;
	struct db *d = db_get(r->ctl->db);
	int e = app_id_of(d, r->params[0], id, &version);
	json_t *obj = e == 0 ? json_pack("{s:s, s:I, s:o}", "id", id, "version", (json_int_t)version,
					 "revisions", revisions(d, id))
			     : NULL;
	db_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 200, obj);
}

/* The revision to return to: "to" of the body, else the newest one older
 * than the current version. Its spec and image into *spec, image_id. */
static int pick(struct db *d, const char *id, int64_t current, int64_t to, int64_t *got, char **spec,
		char image_id[UUID_STR_LEN])
{
	sqlite3_stmt *st = db_stmt(d, "SELECT version, spec, image_id FROM app_revisions WHERE app_id = ?1"
				      " AND ((?2 > 0 AND version = ?2) OR (?2 = 0 AND version < ?3))"
				      " ORDER BY version DESC LIMIT 1");
	int e = -ENOENT;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, current);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*got = sqlite3_column_int64(st, 0);
		*spec = strdup(db_col_text(st, 1));
		snprintf(image_id, UUID_STR_LEN, "%s", db_col_text(st, 2));
		e = *spec ? 0 : -ENOMEM;
	}
	sqlite3_reset(st);
	return e;
}

/* The old revision's volumes must still be there and free (replies). */
static bool volumes_still_ok(struct http_req *r, struct db *d, const char *id, const char *spec_text,
			     const char *image_id)
{
	struct app_spec spec = {0};
	json_t *norm = NULL;
	(void)app_spec_load(spec_text, &spec); /* unreadable: no volumes to check */
	const char *dev = spec.device;
	sqlite3_stmt *st = db_stmt(d, "SELECT a.name, i.format FROM apps a, images i WHERE a.id = ?1 AND"
				      " i.id = ?2");
	char name[128] = "", format[16] = "";
	bool ok = true;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(name, sizeof(name), "%s", db_col_text(st, 0));
			snprintf(format, sizeof(format), "%s", db_col_text(st, 1));
		}
		sqlite3_reset(st);
	}
	if (!format[0]) {
		http_reply_error(r, 409, "the revision's image no longer exists");
		ok = false;
	} else if (json_array_size(spec.volumes)) {
		ok = volumes_spec_check(r, d, spec.volumes, name, dev ? dev : "", format, &norm);
	}
	json_decref(norm);
	app_spec_free(&spec);
	return ok;
}

static int apply(struct db *d, const char *id, const char *spec, const char *image_id, int64_t to,
		 bool automatic)
{
	char reason[64];
	sqlite3_stmt *st = db_stmt(d, "UPDATE apps SET spec = ?2, image_id = ?3, version = version + 1"
				      " WHERE id = ?1");
	int e;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, spec, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, image_id, -1, SQLITE_STATIC);
	e = db_step_done(st);
	snprintf(reason, sizeof(reason), "%srollback to v%lld", automatic ? "auto-" : "", (long long)to);
	st = e == 0 ? db_stmt(d, "UPDATE app_revisions SET reason = ?2 WHERE app_id = ?1 AND version ="
				 " (SELECT version FROM apps WHERE id = ?1)")
		    : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
		e = db_step_done(st);
	}
	return e;
}

static void touch_devices(struct ctl *c, struct db *d, const char *id)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT device_id FROM app_instances WHERE app_id = ?1");
	char(*devs)[UUID_STR_LEN] = NULL;
	size_t n = 0;
	if (!st)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < 4096) {
		void *p = realloc(devs, (n + 1) * UUID_STR_LEN);
		if (!p)
			break;
		devs = p;
		snprintf(devs[n++], UUID_STR_LEN, "%s", db_col_text(st, 0));
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++)
		ctl_device_changed(c, d, devs[i]);
	free(devs);
}

static void h_rollback(struct http_req *r)
{
	json_t *b = r->body.len ? admin_body(r) : json_object();
	char id[UUID_STR_LEN], image_id[UUID_STR_LEN];
	int64_t version = 0, to = 0, got = 0;
	char *spec = NULL;
	if (!b)
		return;
	json_t *jto = json_object_get(b, "to");
	if (jto && (!json_is_integer(jto) || json_integer_value(jto) < 1)) {
		http_reply_error(r, 400, "to: a revision number (evectl app history)");
		json_decref(b);
		return;
	}
	to = jto ? json_integer_value(jto) : 0;
	struct db *d = db_get(r->ctl->db);
	int e = app_id_of(d, r->params[0], id, &version);
	if (e == 0 && apps_rollout_active(r, d, id))
		goto out;
	if (e == 0 && to >= version) {
		http_reply_error(r, 400, "to: v%lld is not older than the current v%lld", (long long)to,
				 (long long)version);
		goto out;
	}
	if (e == 0 && (e = pick(d, id, version, to, &got, &spec, image_id)) == -ENOENT) {
		http_reply_error(r, 409, "no earlier revision to roll back to");
		goto out;
	}
	if (e == 0 && !volumes_still_ok(r, d, id, spec, image_id))
		goto out;
	if (e == 0)
		e = db_begin(d);
	if (e == 0)
		e = apply(d, id, spec, image_id, got, false);
	if (e == 0)
		e = db_commit(d);
	else
		db_rollback(d);
	if (e == 0)
		touch_devices(r->ctl, d, id);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 202,
				json_pack("{s:s, s:I, s:I}", "id", id, "rolled_back_to", (json_int_t)got,
					  "version", (json_int_t)version + 1));
out:
	db_put(r->ctl->db, d);
	free(spec);
	json_decref(b);
}

json_t *app_history_status(struct db *d, const char *app_id)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT r.reason, r.created, f.version, f.outcome FROM apps a"
				      " JOIN app_revisions r ON r.app_id = a.id AND r.version = a.version"
				      " JOIN app_revisions f ON f.app_id = a.id AND f.version = a.version - 1"
				      " WHERE a.id = ?1 AND r.reason LIKE 'auto-rollback to v%'");
	json_t *j = NULL;
	if (!st)
		return json_null();
	sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = json_pack("{s:s, s:I, s:I, s:s, s:o}", "state", "ROLLED_BACK", "from",
			      (json_int_t)sqlite3_column_int64(st, 2), "to",
			      (json_int_t)atoll(db_col_text(st, 0) + strlen("auto-rollback to v")), "reason",
			      db_col_text(st, 3), "time", admin_time_json(sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	return j ? j : json_null();
}

/* --- automatic rollback --------------------------------------------- */

#define TICK_MAX_APPS 16
/* How a device's app report starts when it rolled an update back. */
#define DEVICE_ROLLBACK_PREFIX "rolled back on the device"

struct watched {
	char id[UUID_STR_LEN];
	int64_t version, after_s;
};

/* Why the app's current revision failed ("" when every instance runs it):
 * the first instance not RUNNING that revision. */
static void failing_instance(struct db *d, const struct watched *w, char *why, size_t n)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT dv.name, i.state, coalesce(i.error, '') FROM app_instances i"
				      " JOIN devices dv ON dv.id = i.device_id WHERE i.app_id = ?1"
				      " AND i.pin_version IS NULL AND NOT (i.state = 'RUNNING' AND"
				      " i.reported_version LIKE ?2 || '.%') ORDER BY dv.name LIMIT 1");
	why[0] = '\0';
	if (!st)
		return;
	sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->version);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(why, n, "v%lld did not reach RUNNING within %llds (on %s: %s%s%.200s)",
			 (long long)w->version, (long long)w->after_s, db_col_text(st, 0), db_col_text(st, 1),
			 db_col_text(st, 2)[0] ? ": " : "", db_col_text(st, 2));
	sqlite3_reset(st);
}

/* Record how the watch of w's revision ended. 0 / negative errno. */
static int set_outcome(struct db *d, const struct watched *w, const char *outcome)
{
	sqlite3_stmt *st =
	    db_stmt(d, "UPDATE app_revisions SET outcome = ?3 WHERE app_id = ?1 AND version = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->version);
	sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
	return db_step_done(st);
}

/* Roll the app back to revision to (0 = the one before the current); by
 * the device when device_why (its report) is given, else because the
 * current revision did not run in time. */
static void auto_rollback(struct ctl *c, struct db *d, const struct watched *w, int64_t to,
			  const char *device_why)
{
	char why[512], outcome[600], image_id[UUID_STR_LEN];
	char *spec = NULL;
	int64_t got = 0;
	int e;

	if (device_why)
		snprintf(why, sizeof(why), "%s", device_why);
	else
		failing_instance(d, w, why, sizeof(why));
	/* (void): a failed write leaves the outcome empty, so the next tick
	 * watches the revision again and retries it */
	if (!why[0]) {
		(void)set_outcome(d, w, "running");
		return;
	}
	if (pick(d, w->id, w->version, to > 0 && to < w->version ? to : 0, &got, &spec, image_id) < 0) {
		(void)set_outcome(d, w, "failed (no earlier revision)");
		return;
	}
	snprintf(outcome, sizeof(outcome), "%s: %s", device_why ? "rolled back by the device" : "rolled back",
		 why);
	e = db_begin(d);
	if (e == 0)
		e = set_outcome(d, w, outcome);
	if (e == 0)
		e = apply(d, w->id, spec, image_id, got, true);
	if (e == 0)
		e = db_commit(d);
	else
		db_rollback(d);
	if (e == 0)
		touch_devices(c, d, w->id);
	free(spec);
}

/* Apps whose current revision (an update) a device reports it rolled back
 * by itself (timer.app.update.rollback, device/runtime/rt_rollback.c):
 * the controller makes the device's decision the app's next revision at
 * once, whatever rollback_after_s says, so the two never disagree. */
static size_t device_rollbacks(struct db *d, struct watched *w, int64_t *to, char (*why)[400], size_t max)
{
	sqlite3_stmt *st =
	    db_stmt(d, "SELECT a.id, a.version, i.reported_version, dv.name, i.error FROM apps a"
		       " JOIN app_revisions r ON r.app_id = a.id AND r.version = a.version"
		       " JOIN app_instances i ON i.app_id = a.id JOIN devices dv ON dv.id = i.device_id"
		       " WHERE r.reason = 'update' AND r.outcome = '' AND i.pin_version IS NULL"
		       " AND i.error LIKE '" DEVICE_ROLLBACK_PREFIX "%'"
		       " AND i.reported_version NOT LIKE a.version || '.%' ORDER BY a.id, dv.name LIMIT 16");
	size_t n = 0;

	if (!st)
		return 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		if (n && strcmp(w[n - 1].id, db_col_text(st, 0)) == 0)
			continue; /* one per app */
		snprintf(w[n].id, sizeof(w[n].id), "%s", db_col_text(st, 0));
		w[n].version = sqlite3_column_int64(st, 1);
		w[n].after_s = 0;
		to[n] = atoll(db_col_text(st, 2));
		snprintf(why[n], sizeof(why[n]), "on %s: %.300s", db_col_text(st, 3), db_col_text(st, 4));
		n++;
	}
	sqlite3_reset(st);
	return n;
}

void app_history_tick(struct ctl *c)
{
	struct watched w[TICK_MAX_APPS];
	int64_t to[TICK_MAX_APPS];
	char why[TICK_MAX_APPS][400];
	size_t n = 0;
	struct db *d = db_get(c->db);
	sqlite3_stmt *st = db_stmt(
	    d, "SELECT a.id, a.version, json_extract(a.spec, '$." APP_SPEC_ROLLBACK_AFTER_S "')"
	       " FROM apps a JOIN app_revisions r ON r.app_id = a.id AND r.version = a.version"
	       " WHERE r.reason = 'update' AND r.outcome = ''"
	       " AND json_extract(a.spec, '$." APP_SPEC_ROLLBACK_AFTER_S "') > 0"
	       " AND ?1 - r.created >= json_extract(a.spec, '$." APP_SPEC_ROLLBACK_AFTER_S "') LIMIT 16");
	if (st) {
		sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
		while (n < TICK_MAX_APPS && sqlite3_step(st) == SQLITE_ROW) {
			snprintf(w[n].id, sizeof(w[n].id), "%s", db_col_text(st, 0));
			w[n].version = sqlite3_column_int64(st, 1);
			w[n].after_s = sqlite3_column_int64(st, 2);
			n++;
		}
		sqlite3_reset(st);
	}
	for (size_t i = 0; i < n; i++)
		auto_rollback(c, d, &w[i], 0, NULL);
	n = device_rollbacks(d, w, to, why, TICK_MAX_APPS);
	for (size_t i = 0; i < n; i++)
		auto_rollback(c, d, &w[i], to[i], why[i]);
	db_put(c->db, d);
}

#define H ADMIN_PREFIX "/apps"
const struct http_route admin_app_history_routes[] = {
    {"GET", H "/*/history", h_history, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", H "/*/rollback", h_rollback, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
