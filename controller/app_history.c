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
#include <sys/types.h>

#include "admin.h"
#include "app_spec.h"
#include "apps.h"
#include "apps_store.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "images.h"
#include "rollouts.h"
#include "volumes.h"

static int app_id_of(struct store *d, const char *ref, char id[UUID_STR_LEN], int64_t *version)
{
	struct apps_store_app a;
	int e = apps_store_find(d, ref, &a);
	if (e == 0) {
		snprintf(id, UUID_STR_LEN, "%s", a.id);
		*version = a.version;
	}
	return e;
}

struct image_name {
	char id[UUID_STR_LEN];
	char *name; /* NULL: no such image (any more) */
};

static int copy_name(void *ctx, const struct images_row *img)
{
	char **name = ctx;
	*name = strdup(img->name);
	return *name ? 0 : -ENOMEM;
}

/* The name of image id ("" when it is gone), looked up once per distinct
 * image in names (at most cap entries; *n used). */
static const char *image_name(struct store *d, const char *id, struct image_name *names, size_t *n,
			      size_t cap)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i].id, id))
			return names[i].name ? names[i].name : "";
	if (*n == cap)
		return "";
	struct image_name *x = &names[(*n)++];
	snprintf(x->id, sizeof(x->id), "%s", id);
	x->name = NULL;
	(void)images_get(d, id, copy_name, &x->name); /* gone: "" as the old LEFT JOIN gave */
	return x->name ? x->name : "";
}

#define REVISIONS_MAX 100

static json_t *revisions(struct store *d, const char *id)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT r.version, r.image_id, r.created, r.reason, r.spec, r.outcome"
			  " FROM app_revisions r WHERE r.app_id = ?1 ORDER BY r.version DESC LIMIT 100");
	struct image_name names[REVISIONS_MAX];
	size_t n = 0;
	json_t *a = json_array();
	if (!st)
		return a;
	store_bind_text(st, 1, id);
	while (store_step(st) == STORE_ROW)
		json_array_append_new(
		    a, json_pack(
			   "{s:I, s:s, s:o, s:s, s:s, s:o}", "version", (json_int_t)store_col_int64(st, 0),
			   "image", image_name(d, store_col_str(st, 1), names, &n, REVISIONS_MAX), "created",
			   admin_time_json(store_col_int64(st, 2)), "reason", store_col_str(st, 3), "outcome",
			   store_col_str(st, 5), "spec", admin_json_col(store_col_str(st, 4))));
	store_reset(st);
	for (size_t i = 0; i < n; i++)
		free(names[i].name);
	return a;
}

static void h_history(struct http_req *r)
{
	char id[UUID_STR_LEN];
	int64_t version = 0;
	struct store *d = store_get(r->ctl->db);
	int e = app_id_of(d, r->params[0], id, &version);
	json_t *obj = e == 0 ? json_pack("{s:s, s:I, s:o}", "id", id, "version", (json_int_t)version,
					 "revisions", revisions(d, id))
			     : NULL;
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 200, obj);
}

/* The revision to return to: "to" of the body, else the newest one older
 * than the current version. Its spec and image into *spec, image_id. */
static int pick(struct store *d, const char *id, int64_t current, int64_t to, int64_t *got, char **spec,
		char image_id[UUID_STR_LEN])
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT version, spec, image_id FROM app_revisions WHERE app_id = ?1"
			  " AND ((?2 > 0 AND version = ?2) OR (?2 = 0 AND version < ?3))"
			  " ORDER BY version DESC LIMIT 1");
	int e = -ENOENT;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	store_bind_int64(st, 2, to);
	store_bind_int64(st, 3, current);
	if (store_step(st) == STORE_ROW) {
		*got = store_col_int64(st, 0);
		*spec = strdup(store_col_str(st, 1));
		snprintf(image_id, UUID_STR_LEN, "%s", store_col_str(st, 2));
		e = *spec ? 0 : -ENOMEM;
	}
	store_reset(st);
	return e;
}

static int copy_format(void *ctx, const struct images_row *img)
{
	snprintf(ctx, 16, "%s", img->format);
	return 0;
}

/* The old revision's volumes must still be there and free (replies). */
static bool volumes_still_ok(struct http_req *r, struct store *d, const char *id, const char *spec_text,
			     const char *image_id)
{
	struct app_spec spec = {0};
	json_t *norm = NULL;
	(void)app_spec_load(spec_text, &spec); /* unreadable: no volumes to check */
	const char *dev = spec.device;
	struct apps_store_app app;
	char name[128] = "", format[16] = "";
	bool ok = true;
	if (apps_store_find(d, id, &app) == 0 && images_get(d, image_id, copy_format, format) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, app.name);
	else
		format[0] = '\0';
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

static int apply(struct store *d, const char *id, int64_t from, const char *spec, const char *image_id,
		 int64_t to, bool automatic)
{
	char reason[64];
	int64_t version = 0;
	int e = apps_store_set_revision(d, id, from, spec, image_id, &version);
	struct store_stmt *st =
	    e == 0 ? store_stmt(d, "UPDATE app_revisions SET reason = ?2 WHERE app_id = ?1 AND"
				   " version = ?3")
		   : NULL;
	snprintf(reason, sizeof(reason), "%srollback to v%lld", automatic ? "auto-" : "", (long long)to);
	if (st) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, reason);
		store_bind_int64(st, 3, version);
		e = store_step_done(st);
	} else if (e == 0) {
		e = -EIO;
	}
	return e;
}

#define TOUCH_MAX 4096

struct devlist {
	char (*v)[UUID_STR_LEN];
	size_t n;
};

static int devlist_add(void *ctx, const char *iid, const char *dev)
{
	struct devlist *l = ctx;
	(void)iid;
	void *p = l->n < TOUCH_MAX ? realloc(l->v, (l->n + 1) * UUID_STR_LEN) : NULL;
	if (!p)
		return 1; /* as many as fit */
	l->v = p;
	snprintf(l->v[l->n++], UUID_STR_LEN, "%s", dev);
	return 0;
}

static void touch_devices(struct ctl *c, struct store *d, const char *id)
{
	struct devlist l = {0};
	(void)apps_store_each_instance(d, id, devlist_add, &l); /* the devices read */
	ctl_devices_changed(c, d, l.v, l.n);
	free(l.v);
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
	struct store *d = store_get(r->ctl->db);
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
		e = store_begin(d);
	if (e == 0)
		e = apply(d, id, version, spec, image_id, got, false);
	if (e == 0)
		e = store_commit(d);
	else
		store_rollback(d);
	if (e == 0)
		touch_devices(r->ctl, d, id);
	if (e == -EAGAIN)
		http_reply_error(r, 409, "app %s changed since v%lld: see its history again", r->params[0],
				 (long long)version);
	else if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 202,
				json_pack("{s:s, s:I, s:I}", "id", id, "rolled_back_to", (json_int_t)got,
					  "version", (json_int_t)version + 1));
out:
	store_put(r->ctl->db, d);
	free(spec);
	json_decref(b);
}

json_t *app_history_status(struct store *d, const char *app_id, int64_t version)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT r.reason, r.created, f.version, f.outcome FROM app_revisions r"
			  " JOIN app_revisions f ON f.app_id = r.app_id AND f.version = r.version - 1"
			  " WHERE r.app_id = ?1 AND r.version = ?2 AND r.reason LIKE 'auto-rollback to v%'");
	json_t *j = NULL;
	if (!st)
		return json_null();
	store_bind_text(st, 1, app_id);
	store_bind_int64(st, 2, version);
	if (store_step(st) == STORE_ROW)
		j = json_pack("{s:s, s:I, s:I, s:s, s:o}", "state", "ROLLED_BACK", "from",
			      (json_int_t)store_col_int64(st, 2), "to",
			      (json_int_t)atoll(store_col_str(st, 0) + strlen("auto-rollback to v")),
			      "reason", store_col_str(st, 3), "time",
			      admin_time_json(store_col_int64(st, 1)));
	store_reset(st);
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

/* Candidate rows about devices, of which the one on the device first by
 * name counts (as the admin views order them). */
struct bydev {
	char dev[UUID_STR_LEN];
	char name[129]; /* devices.c: names of 1..128 bytes */
	char text[400];
	int64_t to; /* device rollbacks: the version the device went back to */
};

struct bydevs {
	struct bydev *v;
	size_t n;
};

static struct bydev *bydev_add(struct bydevs *l, const char *dev)
{
	void *p = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!p)
		return NULL;
	l->v = p;
	struct bydev *x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->dev, sizeof(x->dev), "%s", dev);
	return x;
}

static int bydev_name(void *ctx, const struct devices_store_row *row)
{
	struct bydevs *l = ctx;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].dev, row->id))
			snprintf(l->v[i].name, sizeof(l->v[i].name), "%s", row->name);
	return 0;
}

/* Fill in the devices' names (one read for the set); the index of the
 * first by name, or -1 when l is empty or the names cannot be read. */
static ssize_t bydev_first(struct store *d, struct bydevs *l)
{
	json_t *ids = json_array();
	char *text = NULL;
	ssize_t best = -1;
	for (size_t i = 0; ids && i < l->n; i++)
		json_array_append_new(ids, json_string(l->v[i].dev));
	text = ids && l->n ? json_dumps(ids, JSON_COMPACT) : NULL;
	if (text && devices_store_each_of(d, text, bydev_name, l) == 0)
		for (size_t i = 0; i < l->n; i++)
			if (best < 0 || strcmp(l->v[i].name, l->v[best].name) < 0)
				best = (ssize_t)i;
	free(text);
	json_decref(ids);
	return best;
}

static int not_running(void *ctx, const char *dev, const char *state, const char *error)
{
	struct bydev *x = bydev_add(ctx, dev);
	if (!x)
		return -ENOMEM;
	snprintf(x->text, sizeof(x->text), "%s%s%.200s", state, error[0] ? ": " : "", error);
	return 0;
}

/* Why the app's current revision failed ("" when every instance runs it):
 * the first instance (by device name) not RUNNING that revision. */
static void failing_instance(struct store *d, const struct watched *w, char *why, size_t n)
{
	struct bydevs l = {0};
	ssize_t i = -1;
	why[0] = '\0';
	if (apps_store_each_not_running(d, w->id, w->version, not_running, &l) == 0)
		i = bydev_first(d, &l);
	/* a long reason is cut to fit, as the admin view shows it */
	if (i >= 0 && snprintf(why, n, "v%lld did not reach RUNNING within %llds (on %s: %s)",
			       (long long)w->version, (long long)w->after_s, l.v[i].name, l.v[i].text) < 0)
		why[0] = '\0';
	free(l.v);
}

/* Record how the watch of w's revision ended. 0 / negative errno. */
static int set_outcome(struct store *d, const struct watched *w, const char *outcome)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE app_revisions SET outcome = ?3 WHERE app_id = ?1 AND version = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, w->id);
	store_bind_int64(st, 2, w->version);
	store_bind_text(st, 3, outcome);
	return store_step_done(st);
}

/* Roll the app back to revision to (0 = the one before the current); by
 * the device when device_why (its report) is given, else because the
 * current revision did not run in time. */
static void auto_rollback(struct ctl *c, struct store *d, const struct watched *w, int64_t to,
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
	e = store_begin(d);
	if (e == 0)
		e = set_outcome(d, w, outcome);
	if (e == 0)
		e = apply(d, w->id, w->version, spec, image_id, got, true);
	if (e == 0)
		e = store_commit(d);
	else
		store_rollback(d);
	if (e == 0)
		touch_devices(c, d, w->id);
	free(spec);
}

/* Apps whose current revision (an update) a device reports it rolled back
 * by itself (timer.app.update.rollback, device/runtime/rt_rollback.c):
 * the controller makes the device's decision the app's next revision at
 * once, whatever rollback_after_s says, so the two never disagree. */
struct found {
	struct watched *w;
	int64_t *to;
	char (*why)[400];
	size_t n, max;
};

/* The app of the rows in l rolled back by the device first by name. */
static void found_app(struct store *d, struct found *f, const char *id, int64_t version, struct bydevs *l)
{
	ssize_t i = f->n < f->max ? bydev_first(d, l) : -1;
	if (i >= 0) {
		snprintf(f->w[f->n].id, sizeof(f->w[f->n].id), "%s", id);
		f->w[f->n].version = version;
		f->w[f->n].after_s = 0;
		f->to[f->n] = l->v[i].to;
		if (snprintf(f->why[f->n], sizeof(f->why[f->n]), "on %s: %s", l->v[i].name, l->v[i].text) < 0)
			f->why[f->n][0] = '\0'; /* else cut to fit, as before */
		f->n++;
	}
	l->n = 0;
}

/* Apps whose current revision (an update) a device reports it rolled back
 * by itself (timer.app.update.rollback, device/runtime/rt_rollback.c):
 * the controller makes the device's decision the app's next revision at
 * once, whatever rollback_after_s says, so the two never disagree. The
 * instances come from the apps' store in one read, their revisions from
 * here in one more. */
static size_t device_rollbacks(struct store *d, struct watched *w, int64_t *to, char (*why)[400], size_t max)
{
	char *cand = NULL;
	struct store_stmt *st =
	    apps_store_device_errors_json(d, DEVICE_ROLLBACK_PREFIX, &cand) == 0
		? store_stmt(d, "SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),"
				" json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'),"
				" json_extract(j.value, '$[4]') FROM json_each(?1) j JOIN app_revisions r"
				" ON r.app_id = json_extract(j.value, '$[0]')"
				" AND r.version = CAST(json_extract(j.value, '$[1]') AS BIGINT)"
				" WHERE r.reason = 'update' AND r.outcome = '' ORDER BY j.key")
		: NULL;
	struct found f = {.w = w, .to = to, .why = why, .max = max};
	struct bydevs l = {0};
	char app[UUID_STR_LEN] = "";
	int64_t version = 0;

	if (st) {
		store_bind_text(st, 1, cand);
		while (f.n < max && store_step(st) == STORE_ROW) {
			if (strcmp(app, store_col_str(st, 0))) {
				found_app(d, &f, app, version, &l);
				snprintf(app, sizeof(app), "%s", store_col_str(st, 0));
				version = store_col_int64(st, 1);
			}
			struct bydev *x = bydev_add(&l, store_col_str(st, 3));
			if (!x)
				break;
			x->to = atoll(store_col_str(st, 2));
			snprintf(x->text, sizeof(x->text), "%.300s", store_col_str(st, 4));
		}
		found_app(d, &f, app, version, &l);
		store_reset(st);
	}
	free(l.v);
	free(cand);
	return f.n;
}

void app_history_tick(struct ctl *c)
{
	struct watched w[TICK_MAX_APPS];
	int64_t to[TICK_MAX_APPS];
	char why[TICK_MAX_APPS][400];
	size_t n = 0;
	struct store *d = store_get(c->db);
	char *apps = NULL;
	/* the apps with rollback_after_s whose current revision is an update
	 * still watched and older than that */
	struct store_stmt *st =
	    apps_store_auto_rollback_json(d, &apps) == 0
		? store_stmt(d,
			     "SELECT r.app_id, r.version, json_extract(j.value, '$[2]')"
			     " FROM json_each(?2) j JOIN app_revisions r"
			     " ON r.app_id = json_extract(j.value, '$[0]')"
			     " AND r.version = CAST(json_extract(j.value, '$[1]') AS BIGINT)"
			     " WHERE r.reason = 'update' AND r.outcome = ''"
			     " AND ?1 - r.created >= CAST(json_extract(j.value, '$[2]') AS BIGINT) LIMIT 16")
		: NULL;
	if (st) {
		store_bind_int64(st, 1, (int64_t)time(NULL));
		store_bind_text(st, 2, apps);
		while (n < TICK_MAX_APPS && store_step(st) == STORE_ROW) {
			snprintf(w[n].id, sizeof(w[n].id), "%s", store_col_str(st, 0));
			w[n].version = store_col_int64(st, 1);
			w[n].after_s = store_col_int64(st, 2);
			n++;
		}
		store_reset(st);
	}
	free(apps);
	for (size_t i = 0; i < n; i++)
		auto_rollback(c, d, &w[i], 0, NULL);
	n = device_rollbacks(d, w, to, why, TICK_MAX_APPS);
	for (size_t i = 0; i < n; i++)
		auto_rollback(c, d, &w[i], to[i], why[i]);
	store_put(c->db, d);
}

#define H ADMIN_PREFIX "/apps"
const struct http_route admin_app_history_routes[] = {
    {"GET", H "/*/history", h_history, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", H "/*/rollback", h_rollback, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
