// SPDX-License-Identifier: Apache-2.0
/* Phased rollouts: the store, the housekeeping step (rollouts_tick) and
 * the decisions it records. The admin API is in rollouts_admin.c. */
#include "rollouts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "devices_store.h"
#include "rollouts_int.h"

int ro_event(struct db *d, const char *rid, const char *dev, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	sqlite3_stmt *st =
	    db_stmt(d, "INSERT INTO rollout_events(rollout_id, time, device_id, msg) VALUES(?1,?2,?3,?4)");

	if (!st)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (dev)
		sqlite3_bind_text(st, 3, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, msg, -1, SQLITE_STATIC);
	return db_step_done(st);
}

int ro_load(struct db *d, const char *ref, struct ro *o)
{
	sqlite3_stmt *st = db_stmt(
	    d, "SELECT r.id, r.name, r.kind, coalesce(r.app_id, ''), r.image_id, r.version, r.nphases,"
	       " r.health_s, r.online_s, r.timeout_s, r.offline, r.pause_s, r.max_failures,"
	       " r.auto_rollback, r.state, r.phase, r.phase_started, r.next_at,"
	       " coalesce((SELECT version FROM images WHERE id = r.image_id), '')"
	       " FROM rollouts r WHERE r.id = ?1 OR r.name = ?1 LIMIT 1");
	int r = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		memset(o, 0, sizeof(*o));
		snprintf(o->id, sizeof(o->id), "%s", db_col_text(st, 0));
		snprintf(o->name, sizeof(o->name), "%s", db_col_text(st, 1));
		o->os = !strcmp(db_col_text(st, 2), "baseos");
		snprintf(o->app_id, sizeof(o->app_id), "%s", db_col_text(st, 3));
		snprintf(o->image_id, sizeof(o->image_id), "%s", db_col_text(st, 4));
		o->version = sqlite3_column_int64(st, 5);
		o->nphases = sqlite3_column_int64(st, 6);
		o->health_s = sqlite3_column_int64(st, 7);
		o->online_s = sqlite3_column_int64(st, 8);
		o->timeout_s = sqlite3_column_int64(st, 9);
		o->offline_skips = !strcmp(db_col_text(st, 10), "skipped");
		o->pause_s = sqlite3_column_int64(st, 11);
		o->max_failures = sqlite3_column_int64(st, 12);
		o->auto_rollback = sqlite3_column_int(st, 13) != 0;
		snprintf(o->state, sizeof(o->state), "%s", db_col_text(st, 14));
		o->phase = sqlite3_column_int64(st, 15);
		o->phase_started = sqlite3_column_int64(st, 16);
		o->next_at = sqlite3_column_int64(st, 17);
		snprintf(o->os_version, sizeof(o->os_version), "%s", db_col_text(st, 18));
		r = 0;
	}
	sqlite3_reset(st);
	return r;
}

/* Write back the progress fields of o. */
static int ro_save(struct db *d, const struct ro *o, const char *reason)
{
	sqlite3_stmt *st =
	    db_stmt(d, "UPDATE rollouts SET state = ?2, phase = ?3, phase_started = ?4,"
		       " next_at = ?5, reason = coalesce(?6, reason), updated = ?7 WHERE id = ?1");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, o->phase);
	sqlite3_bind_int64(st, 4, o->phase_started);
	sqlite3_bind_int64(st, 5, o->next_at);
	if (reason)
		sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)time(NULL));
	return db_step_done(st);
}

int ro_set_state(struct db *d, struct ro *o, const char *state, const char *reason)
{
	snprintf(o->state, sizeof(o->state), "%s", state);
	return ro_save(d, o, reason);
}

static int dev_set(struct db *d, const char *rid, const char *dev, const char *state, int64_t ok_since,
		   const char *reason)
{
	sqlite3_stmt *st = db_stmt(d, "UPDATE rollout_devices SET state = ?3, ok_since = ?4,"
				      " reason = coalesce(?5, reason), updated = ?6"
				      " WHERE rollout_id = ?1 AND device_id = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ok_since);
	if (reason)
		sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
	return db_step_done(st);
}

int ro_idlist_add(struct ro_idlist *l, const char *id)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		void *p = nc <= RO_MAX_DEVICES ? realloc(l->ids, nc * UUID_STR_LEN) : NULL;
		if (!p)
			return -ENOMEM;
		l->ids = p;
		l->cap = nc;
	}
	snprintf(l->ids[l->n++], UUID_STR_LEN, "%s", id);
	return 0;
}

/* Devices of o in phase (any phase when phase < 0) whose state is in
 * states (an SQL list literal chosen by the caller). */
static int devs_in(struct db *d, const struct ro *o, int64_t phase, const char *states, struct ro_idlist *l)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT device_id FROM rollout_devices WHERE rollout_id = ?1"
				      " AND (?2 < 0 OR phase = ?2) AND instr(?3, ',' || state || ',') > 0"
				      " ORDER BY device_id");
	int r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, phase);
	sqlite3_bind_text(st, 3, states, -1, SQLITE_STATIC);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW)
		r = ro_idlist_add(l, db_col_text(st, 0));
	sqlite3_reset(st);
	return r;
}

static int64_t count_state(struct db *d, const struct ro *o, int64_t phase, const char *state)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT count(*) FROM rollout_devices WHERE rollout_id = ?1"
				      " AND (?2 < 0 OR phase = ?2) AND state = ?3");
	int64_t n = 0;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, phase);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* --- changing one device --- */

/* Pin dev's instance of the app to the rollout's revision (remembering
 * what it was pinned to): a new image is a purge (volumes rebuilt from
 * it), another spec a restart. -ENOENT: no instance there. */
static int apply_app(struct db *d, const struct ro *o, const char *dev)
{
	sqlite3_stmt *st = db_stmt(d, "UPDATE rollout_devices SET (prev_spec, prev_image_id, prev_version) ="
				      " (SELECT pin_spec, pin_image_id, pin_version FROM app_instances"
				      "  WHERE app_id = ?3 AND device_id = ?2)"
				      " WHERE rollout_id = ?1 AND device_id = ?2");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->app_id, -1, SQLITE_STATIC);
	if ((r = db_step_done(st)) < 0)
		return r;
	st = db_stmt(
	    d, "UPDATE app_instances SET"
	       " purge_counter = purge_counter + (coalesce(pin_image_id, (SELECT image_id FROM apps"
	       "  WHERE id = ?1)) IS NOT ?3),"
	       " restart_counter = restart_counter + (coalesce(pin_image_id, (SELECT image_id FROM apps"
	       "  WHERE id = ?1)) IS ?3),"
	       " pin_spec = (SELECT spec FROM rollouts WHERE id = ?4), pin_image_id = ?3, pin_version = ?5"
	       " WHERE app_id = ?1 AND device_id = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->image_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, o->version);
	if ((r = db_step_done(st)) < 0)
		return r;
	return sqlite3_changes(db_handle(d)) > 0 ? 0 : -ENOENT;
}

/* Point dev at the rollout's base OS image (remembering the previous). */
static int apply_os(struct db *d, const struct ro *o, const char *dev)
{
	sqlite3_stmt *st = db_stmt(d, "UPDATE rollout_devices SET prev_baseos ="
				      " (SELECT baseos_image FROM devices WHERE id = ?2)"
				      " WHERE rollout_id = ?1 AND device_id = ?2");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	if ((r = db_step_done(st)) < 0)
		return r;
	st = db_stmt(d, "UPDATE devices SET baseos_image = ?2, baseos_activate = 1, os_failed = '',"
			" os_failed_reason = ''"
			" WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->image_id, -1, SQLITE_STATIC);
	return db_step_done(st);
}

/* Back to what dev had before this rollout changed it: the previous pin
 * of the app instance (only if still pinned by this rollout), or the
 * previous base OS image. */
static int revert_one(struct db *d, const struct ro *o, const char *dev)
{
	sqlite3_stmt *st =
	    o->os
		? db_stmt(d, "UPDATE devices SET baseos_image = rd.prev_baseos,"
			     " baseos_activate = rd.prev_baseos IS NOT NULL"
			     " FROM rollout_devices AS rd WHERE rd.rollout_id = ?1 AND rd.device_id = ?2"
			     " AND devices.id = ?2 AND devices.baseos_image IS ?3")
		: db_stmt(
		      d, "UPDATE app_instances AS i SET"
			 " purge_counter = i.purge_counter +"
			 "  (coalesce(i.pin_image_id, a.image_id) IS NOT coalesce(rd.prev_image_id, "
			 "a.image_id)),"
			 " restart_counter = i.restart_counter +"
			 "  (coalesce(i.pin_image_id, a.image_id) IS coalesce(rd.prev_image_id, a.image_id)),"
			 " pin_spec = rd.prev_spec, pin_image_id = rd.prev_image_id,"
			 " pin_version = rd.prev_version"
			 " FROM rollout_devices AS rd, apps AS a WHERE rd.rollout_id = ?1"
			 " AND rd.device_id = ?2 AND i.device_id = ?2 AND i.app_id = a.id AND a.id = ?4"
			 " AND i.pin_version IS ?5");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	if (o->os) {
		sqlite3_bind_text(st, 3, o->image_id, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 4, o->app_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, o->version);
	}
	return db_step_done(st);
}

int ro_rollback_devs(struct db *d, struct ro *o, int64_t phase, struct ro_idlist *touched)
{
	struct ro_idlist l = {0};
	int r = devs_in(d, o, phase, ",updating,healthy,failed,", &l);

	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = revert_one(d, o, l.ids[i]);
		if (r == 0)
			r = dev_set(d, o->id, l.ids[i], "rolled-back", 0, NULL);
		if (r == 0)
			r = ro_event(d, o->id, l.ids[i], "rolled back to its previous %s",
				     o->os ? "base OS image" : "revision");
		if (r == 0)
			r = ro_idlist_add(touched, l.ids[i]);
	}
	free(l.ids);
	return r;
}

/* --- the step --- */

static int start_phase(struct db *d, struct ro *o, int64_t now, struct ro_idlist *touched)
{
	struct ro_idlist l = {0};
	int r = devs_in(d, o, o->phase, ",pending,", &l);
	size_t skipped = 0;

	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = o->os ? apply_os(d, o, l.ids[i]) : apply_app(d, o, l.ids[i]);
		if (r == -ENOENT) {
			skipped++;
			r = dev_set(d, o->id, l.ids[i], "skipped", 0, "no instance of the app on the device");
			if (r == 0)
				r = ro_event(d, o->id, l.ids[i],
					     "skipped: no instance of the app on the device");
			continue;
		}
		if (r == 0)
			r = dev_set(d, o->id, l.ids[i], "updating", 0, "");
		if (r == 0)
			r = ro_idlist_add(touched, l.ids[i]);
	}
	if (r == 0) {
		o->phase_started = now;
		r = ro_event(d, o->id, NULL, "phase %lld/%lld started: %zu devices updated, %zu skipped",
			     (long long)o->phase + 1, (long long)o->nphases, l.n - skipped, skipped);
	}
	if (r == 0)
		r = ro_save(d, o, "");
	free(l.ids);
	return r;
}

struct verdict {
	const char *state; /* NULL: still updating */
	int64_t ok_since;
	char why[400];
};

/* Health of one updating device (a row of gate_rows). */
static void judge(const struct ro *o, sqlite3_stmt *st, int64_t seen, int64_t now, struct verdict *v)
{
	/* columns: device_id, ok_since, state/os_version, error/os_failed,
	 * reported generation/os_failed_reason, has_instance */
	const char *state = db_col_text(st, 2), *err = db_col_text(st, 3);
	bool online = seen > 0 && now - seen <= o->online_s, good;
	char want[32];

	v->state = NULL;
	v->ok_since = sqlite3_column_int64(st, 1);
	v->why[0] = 0;
	snprintf(want, sizeof(want), "%lld", (long long)o->version);
	if (o->os) {
		if (!strcmp(err, o->os_version)) {
			v->state = "failed";
			snprintf(v->why, sizeof(v->why), "base OS %.64s failed, the device fell back: %.200s",
				 err, db_col_text(st, 4));
			return;
		}
		good = !strcmp(state, o->os_version);
	} else {
		/* the reported generation (appgen.h) starts with the revision */
		const char *rv = db_col_text(st, 4);
		size_t wl = strlen(want);
		bool cur = !strncmp(rv, want, wl) && (rv[wl] == '\0' || rv[wl] == '.');
		if (!sqlite3_column_int(st, 5)) {
			v->state = "skipped";
			snprintf(v->why, sizeof(v->why), "the app instance was removed from the device");
			return;
		}
		if (cur && !strcmp(state, "ERROR")) {
			v->state = "failed";
			snprintf(v->why, sizeof(v->why), "instance ERROR: %.250s",
				 *err ? err : "(no message)");
			return;
		}
		good = cur && !strcmp(state, "RUNNING");
	}
	if (good && online) {
		if (!v->ok_since)
			v->ok_since = now;
		else if (now - v->ok_since >= o->health_s)
			v->state = "healthy";
		return; /* healthy so far: the gate's time runs past the timeout */
	} else {
		v->ok_since = 0;
	}
	if (now - o->phase_started <= o->timeout_s)
		return;
	if (!online) {
		v->state = o->offline_skips ? "skipped" : "failed";
		snprintf(v->why, sizeof(v->why), "offline through the phase timeout (%llds)",
			 (long long)o->timeout_s);
	} else {
		v->state = "failed";
		snprintf(v->why, sizeof(v->why), "not healthy within the phase timeout (%llds): %s %s%s%s",
			 (long long)o->timeout_s, o->os ? "running OS" : "state", *state ? state : "-",
			 o->os ? "" : ", version ", o->os ? "" : db_col_text(st, 4));
	}
}

struct gate_item {
	char dev[UUID_STR_LEN];
	char name[64];
	struct verdict v;
	int64_t old_ok;
};

static int gate_rows(struct ctl *c, struct db *d, const struct ro *o, int64_t now, struct gate_item **out,
		     size_t *n)
{
	sqlite3_stmt *st =
	    o->os
		? db_stmt(d, "SELECT rd.device_id, rd.ok_since, dv.os_version, dv.os_failed,"
			     " dv.os_failed_reason, 1,"
			     " coalesce(dv.last_seen, 0), dv.name FROM rollout_devices rd JOIN devices dv ON"
			     " dv.id = rd.device_id WHERE rd.rollout_id = ?1 AND rd.phase = ?2"
			     " AND rd.state = 'updating'")
		: db_stmt(d, "SELECT rd.device_id, rd.ok_since, coalesce(i.state, ''),"
			     " coalesce(i.error, ''), coalesce(i.reported_version, ''), i.id IS NOT NULL,"
			     " coalesce(dv.last_seen, 0), dv.name FROM rollout_devices rd JOIN devices dv ON"
			     " dv.id = rd.device_id LEFT JOIN app_instances i ON i.app_id = ?3 AND"
			     " i.device_id = rd.device_id WHERE rd.rollout_id = ?1 AND rd.phase = ?2"
			     " AND rd.state = 'updating'");
	struct gate_item *a = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->phase);
	if (!o->os)
		sqlite3_bind_text(st, 3, o->app_id, -1, SQLITE_STATIC);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *p = nc <= RO_MAX_DEVICES ? realloc(a, nc * sizeof(*a)) : NULL;
			if (!p) {
				r = -ENOMEM;
				break;
			}
			a = p;
			cap = nc;
		}
		struct gate_item *g = &a[cnt++];
		snprintf(g->dev, sizeof(g->dev), "%s", db_col_text(st, 0));
		snprintf(g->name, sizeof(g->name), "%s", db_col_text(st, 7));
		int64_t seen = devcache_last_seen(c->cache, g->dev);
		if (seen < sqlite3_column_int64(st, 6))
			seen = sqlite3_column_int64(st, 6);
		g->old_ok = sqlite3_column_int64(st, 1);
		judge(o, st, seen, now, &g->v);
	}
	sqlite3_reset(st);
	if (r < 0) {
		free(a);
		return r;
	}
	*out = a;
	*n = cnt;
	return 0;
}

/* Gate the updating devices of the current phase; record each verdict. */
static int gate_phase(struct ctl *c, struct db *d, struct ro *o, int64_t now, char *first_fail, size_t ff_len)
{
	struct gate_item *a = NULL;
	size_t n = 0;
	int r = gate_rows(c, d, o, now, &a, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct gate_item *g = &a[i];
		if (!g->v.state && g->v.ok_since == g->old_ok)
			continue;
		r = dev_set(d, o->id, g->dev, g->v.state ? g->v.state : "updating", g->v.ok_since,
			    g->v.state ? g->v.why : NULL);
		if (r == 0 && g->v.state)
			r = ro_event(d, o->id, g->dev, "%s%s%s", g->v.state, g->v.why[0] ? ": " : "",
				     g->v.why);
		if (r == 0 && g->v.state && strcmp(g->v.state, "failed") == 0 && !first_fail[0])
			snprintf(first_fail, ff_len, "%s: %s", g->name, g->v.why);
	}
	free(a);
	return r;
}

/* The last phase passed: the rollout's revision becomes the app's. Other
 * instances of the app (not in the rollout) keep what they ran. */
static int finish_app(struct db *d, const struct ro *o)
{
	sqlite3_stmt *st = db_stmt(
	    d,
	    "UPDATE app_instances SET pin_spec = a.spec, pin_image_id = a.image_id, pin_version = a.version"
	    " FROM apps AS a WHERE a.id = ?1 AND app_instances.app_id = ?1"
	    " AND app_instances.pin_version IS NULL AND app_instances.device_id NOT IN"
	    " (SELECT device_id FROM rollout_devices WHERE rollout_id = ?2"
	    "  AND state IN ('healthy', 'failed', 'updating'))");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->id, -1, SQLITE_STATIC);
	if ((r = db_step_done(st)) < 0)
		return r;
	st = db_stmt(d, "UPDATE apps SET spec = (SELECT spec FROM rollouts WHERE id = ?2), image_id = ?3,"
			" version = ?4 WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->image_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, o->version);
	if ((r = db_step_done(st)) < 0)
		return r;
	st = db_stmt(d, "UPDATE app_instances SET pin_spec = NULL, pin_image_id = NULL, pin_version = NULL"
			" WHERE app_id = ?1 AND pin_version = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, o->app_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->version);
	return db_step_done(st);
}

/* The current phase has no updating device left: next phase, or done. */
static int phase_done(struct db *d, struct ro *o, int64_t now)
{
	int r = ro_event(d, o->id, NULL, "phase %lld/%lld passed: %lld healthy, %lld failed, %lld skipped",
			 (long long)o->phase + 1, (long long)o->nphases,
			 (long long)count_state(d, o, o->phase, "healthy"),
			 (long long)count_state(d, o, o->phase, "failed"),
			 (long long)count_state(d, o, o->phase, "skipped"));

	if (r < 0)
		return r;
	if (o->phase + 1 >= o->nphases) {
		if (!o->os && (r = finish_app(d, o)) < 0)
			return r;
		snprintf(o->state, sizeof(o->state), "done");
		o->phase_started = 0;
		r = ro_event(d, o->id, NULL, "done: every phase passed");
		return r < 0 ? r : ro_save(d, o, "every phase passed");
	}
	o->phase++;
	o->phase_started = 0;
	if (o->pause_s < 0) {
		snprintf(o->state, sizeof(o->state), "paused");
		r = ro_event(d, o->id, NULL, "waiting for approval to start phase %lld",
			     (long long)o->phase + 1);
		return r < 0
			   ? r
			   : ro_save(d, o, "waiting for approval of the next phase (evectl rollout resume)");
	}
	o->next_at = now + o->pause_s;
	return ro_save(d, o, "");
}

static int halt(struct db *d, struct ro *o, int64_t failed, const char *first, struct ro_idlist *touched)
{
	char why[512];
	int r;

	snprintf(why, sizeof(why), "failure budget exceeded: %lld failed, at most %lld allowed (%.380s)",
		 (long long)failed, (long long)o->max_failures, first);
	r = ro_event(d, o->id, NULL, "halted: %s", why);
	if (r == 0)
		r = ro_set_state(d, o, "halted", why);
	if (r == 0 && o->auto_rollback) {
		r = ro_event(d, o->id, NULL, "rolling back phase %lld", (long long)o->phase + 1);
		if (r == 0)
			r = ro_rollback_devs(d, o, o->phase, touched);
	}
	return r;
}

/* One rollout's step in the caller's transaction. */
static int step(struct ctl *c, struct db *d, struct ro *o, int64_t now, struct ro_idlist *touched)
{
	char first[512] = "";
	int r;

	if (!o->os && !o->app_id[0]) {
		r = ro_event(d, o->id, NULL, "halted: the app was deleted");
		return r < 0 ? r : ro_set_state(d, o, "halted", "the app was deleted");
	}
	if (!o->phase_started)
		return now >= o->next_at ? start_phase(d, o, now, touched) : 0;
	if ((r = gate_phase(c, d, o, now, first, sizeof(first))) < 0)
		return r;
	int64_t failed = count_state(d, o, -1, "failed");
	if (failed > o->max_failures) {
		if (!first[0])
			snprintf(first, sizeof(first), "see the device list");
		return halt(d, o, failed, first, touched);
	}
	if (count_state(d, o, o->phase, "updating") > 0)
		return 0;
	return phase_done(d, o, now);
}

int ro_touch_configs(struct db *d, const struct ro_idlist *l)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < l->n; i++) {
		r = devices_store_bump_config(d, l->ids[i]);
	}
	return r;
}

void ro_drop_configs(struct ctl *c, const struct ro_idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		devcache_invalidate(c->cache, l->ids[i]);
}

static void step_one(struct ctl *c, struct db *d, const char *id)
{
	struct ro_idlist touched = {0};
	struct ro o;
	int r = db_begin(d);

	if (r == 0)
		r = ro_load(d, id, &o);
	if (r == 0 && !strcmp(o.state, "running"))
		r = step(c, d, &o, (int64_t)time(NULL), &touched);
	if (r == 0)
		r = ro_touch_configs(d, &touched);
	if (r == 0)
		r = db_commit(d);
	if (r < 0) {
		db_rollback(d);
		touched.n = 0;
	}
	/* After the commit, so no request caches a config from before it. */
	ro_drop_configs(c, &touched);
	free(touched.ids);
}

void rollouts_tick(struct ctl *c)
{
	struct ro_idlist ids = {0};
	struct db *d = db_get(c->db);
	sqlite3_stmt *st = db_stmt(d, "SELECT id FROM rollouts WHERE state = 'running' ORDER BY created");

	while (st && sqlite3_step(st) == SQLITE_ROW)
		if (ro_idlist_add(&ids, db_col_text(st, 0)) < 0)
			break;
	if (st)
		sqlite3_reset(st);
	for (size_t i = 0; i < ids.n; i++)
		step_one(c, d, ids.ids[i]);
	db_put(c->db, d);
	free(ids.ids);
}

bool apps_rollout_active(struct http_req *r, struct db *d, const char *app_id)
{
	sqlite3_stmt *st = db_stmt(d, "SELECT name FROM rollouts WHERE app_id = ?1 AND"
				      " state IN ('running', 'paused') LIMIT 1");
	bool active = false;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		active = true;
		http_reply_error(r, 409, "app has the active rollout %s: abort or finish it first",
				 db_col_text(st, 0));
	}
	sqlite3_reset(st);
	return active;
}
