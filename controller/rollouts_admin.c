// SPDX-License-Identifier: Apache-2.0
/* /api/v1/rollouts: create (validate, pick the devices, assign phases),
 * list, get (progress, devices, decisions), pause, resume, abort,
 * rollback, delete. The step that moves a rollout is in rollouts.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "app_spec.h"
#include "apps.h"
#include "apps_store.h"
#include "ctl.h"
#include "devices_store.h"
#include "images.h"
#include "rollouts.h"
#include "rollouts_int.h"

#define MAX_PHASES 100
#define MAX_EVENTS 200

struct target {
	char id[UUID_STR_LEN];
	int64_t phase; /* -1: not assigned */
};

struct targets {
	struct target *t;
	size_t n, cap;
};

/* What POST /rollouts asked for, validated. */
struct req {
	const char *name;
	bool os;
	json_t *spec; /* app: the new spec (owned) */
	char app_id[UUID_STR_LEN], image_id[UUID_STR_LEN];
	int64_t version;
	json_int_t health, online, timeout, pause;
	const char *offline;
	bool rollback;
	const char *maxf_spec;
	int64_t max_failures;
	json_t *phases; /* owned */
	int64_t nphases;
	struct targets tg;
};

static int targets_add(struct targets *l, const char *id)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		void *p = nc <= RO_MAX_DEVICES ? realloc(l->t, nc * sizeof(*l->t)) : NULL;
		if (!p)
			return -ENOMEM;
		l->t = p;
		l->cap = nc;
	}
	snprintf(l->t[l->n].id, UUID_STR_LEN, "%s", id);
	l->t[l->n++].phase = -1;
	return 0;
}

static struct target *targets_find(struct targets *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->t[i].id, id))
			return &l->t[i];
	return NULL;
}

static bool name_ok(const char *n)
{
	if (!n || !*n || strlen(n) > RO_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (*p == '/' || *p == '?' || *p == '#' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static bool labels_match(json_t *sel, const char *labels_json)
{
	json_t *labels = json_loads(labels_json, 0, NULL), *v;
	const char *k;
	bool ok = true;

	json_object_foreach(sel, k, v)
	{
		const char *lv = json_string_value(json_object_get(labels, k));
		if (!lv || strcmp(lv, json_string_value(v) ?: ""))
			ok = false;
	}
	json_decref(labels);
	return ok;
}

/* "N%" (0-100) or a non-negative integer, as a count out of total. */
static int count_of(json_t *v, int64_t total, bool round_up, int64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	const char *s = json_string_value(v);
	char *end = NULL;
	long p = s ? strtol(s, &end, 10) : -1;
	if (!s || end == s || p < 0 || (*end == '%' && (p > 100 || end[1])) || (*end && *end != '%'))
		return -EINVAL;
	if (*end != '%')
		*out = p;
	else
		*out = round_up ? (p * total + 99) / 100 : p * total / 100;
	return 0;
}

static bool keys_known(struct http_req *r, json_t *b)
{
	static const char *const k[] = {"name",    "app",    "baseos",       "update",  "selector",
					"devices", "phases", "health",       "online",  "timeout",
					"offline", "pause",  "max_failures", "rollback"};
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			known |= !strcmp(k[i], key);
		if (!known) {
			http_reply_error(r, 400, "unknown field %s", key);
			return false;
		}
	}
	return true;
}

static int int_opt(json_t *b, const char *k, json_int_t def, json_int_t lo, json_int_t hi, json_int_t *out)
{
	json_t *v = json_object_get(b, k);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

/* The scalar settings. Replies on error. */
static bool parse_settings(struct http_req *r, json_t *b, struct req *q)
{
	json_t *pause = json_object_get(b, "pause"), *rb = json_object_get(b, "rollback");
	bool bad = false;
	const char *err = NULL;

	q->name = admin_str(b, "name", &bad);
	q->offline = admin_str(b, "offline", &bad);
	if (!q->offline)
		q->offline = "failed";
	if (!name_ok(q->name) || bad)
		err = "name: required, no '/'; offline: failed or skipped";
	else if (strcmp(q->offline, "failed") && strcmp(q->offline, "skipped"))
		err = "offline: failed or skipped";
	else if (int_opt(b, "health", 60, 0, 86400, &q->health) ||
		 int_opt(b, "online", 180, 1, 86400, &q->online) ||
		 int_opt(b, "timeout", 600, 1, 7 * 86400, &q->timeout))
		err = "health (0-86400), online (1-86400), timeout (1-604800): seconds";
	else if (pause && !(json_is_string(pause) && !strcmp(json_string_value(pause), "manual")) &&
		 int_opt(b, "pause", 0, 0, 7 * 86400, &q->pause))
		err = "pause: seconds (0-604800) or \"manual\"";
	else if (rb && !json_is_boolean(rb))
		err = "rollback: boolean";
	if (err) {
		http_reply_error(r, 400, "%s", err);
		return false;
	}
	if (!pause)
		q->pause = 0;
	else if (json_is_string(pause))
		q->pause = -1;
	q->rollback = rb ? json_is_true(rb) : true;
	return true;
}

struct cand_ctx {
	json_t *sel;
	struct targets *out;
};

static int cand_add(void *ctx, const struct devices_store_row *row)
{
	struct cand_ctx *x = ctx;
	return !x->sel || labels_match(x->sel, row->labels) ? targets_add(x->out, row->id) : 0;
}

static int instance_dev(void *ctx, const char *iid, const char *dev)
{
	(void)iid;
	return json_array_append_new(ctx, json_string(dev)) == 0 ? 0 : -ENOMEM;
}

/* The candidate devices by name: those with an instance of the app, or
 * every device (base OS), filtered by selector / device list. */
static int candidates(struct store *d, const struct req *q, json_t *sel, struct targets *out)
{
	struct cand_ctx x = {.sel = sel, .out = out};
	json_t *devs = NULL;
	char *ids = NULL;
	int r;

	if (q->os)
		return devices_store_each(d, INT64_MAX, cand_add, &x);
	devs = json_array();
	r = devs ? apps_store_each_instance(d, q->app_id, instance_dev, devs) : -ENOMEM;
	if (r == 0)
		r = (ids = json_dumps(devs, JSON_COMPACT)) ? 0 : -ENOMEM;
	if (r == 0)
		r = devices_store_each_of(d, ids, cand_add, &x);
	free(ids);
	json_decref(devs);
	return r;
}

/* Keep only the listed devices (names or ids); every one must be a
 * candidate. Replies on error. */
static bool keep_listed(struct http_req *r, struct store *d, json_t *list, struct targets *tg)
{
	struct targets keep = {0};
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		char uuid[UUID_STR_LEN];
		const char *ref = json_string_value(v);
		if (!ref || admin_device_resolve(d, ref, uuid) < 0) {
			http_reply_error(r, 404, "no such device %s", ref ? ref : "(not a string)");
			goto fail;
		}
		if (!targets_find(tg, uuid)) {
			http_reply_error(r, 400,
					 "device %s is not a target (no instance of the app, or not "
					 "matching the selector)",
					 ref);
			goto fail;
		}
		if (!targets_find(&keep, uuid) && targets_add(&keep, uuid) < 0) {
			http_reply_error(r, 500, "out of memory");
			goto fail;
		}
	}
	free(tg->t);
	*tg = keep;
	return true;
fail:
	free(keep.t);
	return false;
}

/* Explicit phases: lists of devices; they are the targets. */
static bool phases_explicit(struct http_req *r, struct store *d, struct req *q, struct targets *cand)
{
	size_t k, i;
	json_t *ph, *v;

	json_array_foreach(q->phases, k, ph)
	{
		if (!json_is_array(ph) || json_array_size(ph) == 0) {
			http_reply_error(r, 400,
					 "phases: all counts/percentages or all non-empty device lists");
			return false;
		}
		json_array_foreach(ph, i, v)
		{
			char uuid[UUID_STR_LEN];
			const char *ref = json_string_value(v);
			struct target *t;
			if (!ref || admin_device_resolve(d, ref, uuid) < 0) {
				http_reply_error(r, 404, "no such device %s", ref ? ref : "(not a string)");
				return false;
			}
			if (!(t = targets_find(cand, uuid))) {
				http_reply_error(r, 400, "device %s is not a target (no instance of the app)",
						 ref);
				return false;
			}
			if (t->phase >= 0) {
				http_reply_error(r, 400, "device %s is in two phases", ref);
				return false;
			}
			t->phase = (int64_t)k;
		}
	}
	for (i = 0; i < cand->n; i++)
		if (cand->t[i].phase >= 0 && targets_add(&q->tg, cand->t[i].id) == 0)
			q->tg.t[q->tg.n - 1].phase = cand->t[i].phase;
	return true;
}

/* Cumulative counts / percentages: phase k ends with cum_k devices done. */
static bool phases_counts(struct http_req *r, struct req *q)
{
	int64_t total = (int64_t)q->tg.n, prev = 0, cum = 0;
	size_t k, i = 0;
	json_t *ph;

	json_array_foreach(q->phases, k, ph)
	{
		if (count_of(ph, total, true, &cum) < 0 || cum < 1) {
			http_reply_error(r, 400,
					 "phases: each a device count (>= 1) or a percentage \"N%%\"");
			return false;
		}
		if (cum > total)
			cum = total;
		if (cum < prev) {
			http_reply_error(r, 400, "phases: cumulative, so each at least the one before");
			return false;
		}
		for (; i < (size_t)cum; i++)
			q->tg.t[i].phase = (int64_t)k;
		prev = cum;
	}
	if (cum != total) {
		http_reply_error(r, 400,
				 "phases: the last phase must reach every device (100%%, %lld devices)",
				 (long long)total);
		return false;
	}
	return true;
}

/* Targets and their phases. Replies on error. */
static bool pick_devices(struct http_req *r, struct store *d, json_t *b, struct req *q)
{
	json_t *sel = json_object_get(b, "selector"), *list = json_object_get(b, "devices");
	struct targets cand = {0};
	bool ok = false, explicit_ph;

	q->phases = json_incref(json_object_get(b, "phases"));
	if (sel && (!json_is_object(sel) || json_object_size(sel) == 0 || json_object_size(sel) > 64)) {
		http_reply_error(r, 400, "selector: object of label strings");
		return false;
	}
	if (list && (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 100000)) {
		http_reply_error(r, 400, "devices: non-empty array of device names or ids");
		return false;
	}
	if (q->phases && (!json_is_array(q->phases) || json_array_size(q->phases) == 0 ||
			  json_array_size(q->phases) > MAX_PHASES)) {
		http_reply_error(r, 400, "phases: array of 1-%d counts, percentages or device lists",
				 MAX_PHASES);
		return false;
	}
	explicit_ph = q->phases && json_is_array(json_array_get(q->phases, 0));
	if (q->os && !sel && !list && !explicit_ph) {
		http_reply_error(r, 400, "a base OS rollout needs selector, devices or explicit phases");
		return false;
	}
	if (candidates(d, q, sel, &cand) < 0) {
		http_reply_error(r, 500, "store error");
		return false;
	}
	if (explicit_ph) {
		if (list) {
			http_reply_error(r, 400, "devices and explicit phase lists are exclusive");
			goto out;
		}
		ok = phases_explicit(r, d, q, &cand);
	} else {
		if (list && !keep_listed(r, d, list, &cand))
			goto out;
		q->tg = cand;
		cand.t = NULL;
		ok = q->tg.n > 0;
		if (!ok)
			http_reply_error(r, 400, "no device matches: nothing to roll out");
		if (ok && !q->phases)
			q->phases = json_pack("[s]", "100%");
		ok = ok && q->phases && phases_counts(r, q);
	}
	if (ok)
		q->nphases = (int64_t)json_array_size(q->phases);
	if (ok && q->tg.n == 0) {
		http_reply_error(r, 400, "no device matches: nothing to roll out");
		ok = false;
	}
out:
	free(cand.t);
	return ok;
}

struct app_base {
	struct req *q;
	char *name, *old_image;
	json_t *old, *body;
};

static int app_base(void *ctx, const struct apps_store_spec_row *a)
{
	struct app_base *x = ctx;
	snprintf(x->q->app_id, sizeof(x->q->app_id), "%s", a->id);
	snprintf(x->name, RO_NAME_MAX + 1, "%s", a->name);
	x->old = json_loads(a->spec, 0, NULL);
	x->body = json_loads(a->spec, 0, NULL);
	if (x->body)
		json_object_set_new(x->body, APP_SPEC_ACTIVATE, json_boolean(a->activate));
	x->q->version = a->version + 1;
	snprintf(x->old_image, UUID_STR_LEN, "%s", a->image_id);
	return 0;
}

/* The new revision's number is above every one the app's instances were
 * ever configured with (apps_store_spec_of) and every rollout of it. */
static int max_version(struct store *d, struct req *q)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT coalesce(max(version), 0) FROM rollouts WHERE app_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, q->app_id);
	if (store_step(st) == STORE_ROW && store_col_int64(st, 0) + 1 > q->version)
		q->version = store_col_int64(st, 0) + 1;
	store_reset(st);
	return 0;
}

/* App rollout: the new spec is the app's with the update applied. */
static bool parse_app(struct http_req *r, struct store *d, json_t *b, const char *app, struct req *q)
{
	json_t *upd = json_object_get(b, "update"), *body = NULL, *old = NULL;
	/* The new revision's number is above every one the app's instances
	 * were ever configured with (an aborted rollout's pins stay), so a
	 * device never reports two revisions under one number. */
	char name[RO_NAME_MAX + 1] = "", old_image[UUID_STR_LEN] = "";
	bool ok = false;

	if (!json_is_object(upd) || json_object_size(upd) == 0 || json_object_get(upd, APP_SPEC_NAME) ||
	    json_object_get(upd, APP_SPEC_DEVICE) || json_object_get(upd, APP_SPEC_SELECTOR) ||
	    json_object_get(upd, APP_SPEC_ACTIVATE)) {
		http_reply_error(r, 400,
				 "update: object of app fields to change (not name, device, selector, "
				 "activate)");
		return false;
	}
	struct app_base x = {.q = q, .name = name, .old_image = old_image};
	int e = apps_store_spec_of(d, app, app_base, &x);
	old = x.old;
	body = x.body;
	if (e == -EIO || (e == 0 && max_version(d, q) < 0))
		goto store;
	if (!q->app_id[0]) {
		http_reply_error(r, 404, "no such app %s", app);
		goto out;
	}
	if (!body || json_object_update(body, upd) < 0)
		goto store;
	if (apps_spec_build(r, d, body, name, &q->spec, q->image_id) < 0)
		goto out;
	if (json_equal(q->spec, old) && !strcmp(q->image_id, old_image)) {
		http_reply_error(r, 400, "update: changes nothing in app %s", name);
		goto out;
	}
	ok = true;
	goto out;
store:
	http_reply_error(r, 500, "store error");
out:
	json_decref(body);
	json_decref(old);
	return ok;
}

static bool parse_os(struct http_req *r, struct store *d, const char *image, struct req *q)
{
	char name[2], version[2] = ""; /* only whether it has one */
	int e = images_baseos_id(d, image, "*", q->image_id);

	if (e == 0)
		e = images_name_version(d, q->image_id, name, sizeof(name), version, sizeof(version));
	if (e == -EIO)
		http_reply_error(r, 500, "store error");
	else if (e < 0)
		http_reply_error(r, 404, "no such baseos image %s", image);
	else if (!version[0])
		http_reply_error(r, 400, "base OS image %s has no version to check devices against", image);
	return e == 0 && version[0];
}

static int insert_rollout(struct store *d, struct req *q, char id[UUID_STR_LEN])
{
	char *spec = q->spec ? json_dumps(q->spec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *phases = json_dumps(q->phases, JSON_COMPACT);
	int64_t now = (int64_t)time(NULL);
	int r = phases && (spec || q->os) ? uuidgen_v4(id) : -ENOMEM;
	struct store_stmt *st =
	    r < 0 ? NULL
		  : store_stmt(d, "INSERT INTO rollouts(id, name, kind, app_id, spec, image_id, version,"
				  " phases, nphases, health_s, online_s, timeout_s, offline, pause_s,"
				  " max_failures, max_failures_spec, auto_rollback, state, created,"
				  " updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
				  "?15,?16,?17,'running',?18,?18)");
	if (r == 0 && !st)
		r = -EIO;
	if (r == 0) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, q->name);
		store_bind_text(st, 3, q->os ? "baseos" : "app");
		if (!q->os) {
			store_bind_text(st, 4, q->app_id);
			store_bind_text(st, 5, spec);
		}
		store_bind_text(st, 6, q->image_id);
		store_bind_int64(st, 7, q->version);
		store_bind_text(st, 8, phases);
		store_bind_int64(st, 9, q->nphases);
		store_bind_int64(st, 10, q->health);
		store_bind_int64(st, 11, q->online);
		store_bind_int64(st, 12, q->timeout);
		store_bind_text(st, 13, q->offline);
		store_bind_int64(st, 14, q->pause);
		store_bind_int64(st, 15, q->max_failures);
		store_bind_text(st, 16, q->maxf_spec);
		store_bind_int64(st, 17, q->rollback);
		store_bind_int64(st, 18, now);
		r = store_step_done(st);
	}
	free(spec);
	free(phases);
	return r;
}

static int insert_devices(struct store *d, const struct req *q, const char *id)
{
	int r = 0;
	for (size_t i = 0; r == 0 && i < q->tg.n; i++) {
		struct store_stmt *st =
		    store_stmt(d, "INSERT INTO rollout_devices(rollout_id, device_id, phase)"
				  " VALUES(?1,?2,?3)");
		if (!st)
			return -EIO;
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, q->tg.t[i].id);
		store_bind_int64(st, 3, q->tg.t[i].phase);
		r = store_step_done(st);
	}
	return r;
}

/* Database-wide lock key (store_lock) of a rollout's creation. */
#define ROLLOUT_CREATE_LOCK 0x726f6c6c

/* A device may be in one active base OS rollout at a time; an app in one
 * active rollout. Replies 409. */
static bool conflicts(struct http_req *r, struct store *d, const struct req *q)
{
	struct store_stmt *st =
	    q->os
		? store_stmt(
		      d, "SELECT name FROM rollouts WHERE kind = 'baseos' AND state IN ('running', 'paused')"
			 " AND id IN (SELECT rollout_id FROM rollout_devices WHERE device_id = ?1) LIMIT 1")
		: store_stmt(d,
			     "SELECT name FROM rollouts WHERE app_id = ?1 AND state IN ('running', 'paused')"
			     " LIMIT 1");
	for (size_t i = 0; st && i < (q->os ? q->tg.n : 1); i++) {
		store_bind_text(st, 1, q->os ? q->tg.t[i].id : q->app_id);
		bool hit = store_step(st) == STORE_ROW;
		if (hit)
			http_reply_error(r, 409, "%s is in the active rollout %s",
					 q->os ? "a device" : "the app", store_col_str(st, 0));
		store_reset(st);
		if (hit)
			return true;
	}
	return false;
}

static json_t *rollout_json(struct store *d, const char *id, bool full);

static bool parse_request(struct http_req *r, struct store *d, json_t *b, struct req *q)
{
	bool bad = false;
	const char *app = admin_str(b, "app", &bad), *os = admin_str(b, "baseos", &bad);
	json_t *mf = json_object_get(b, "max_failures");

	if (!keys_known(r, b) || !parse_settings(r, b, q))
		return false;
	if (bad || !app == !os) {
		http_reply_error(r, 400, "exactly one of app (with update) or baseos (an image name)");
		return false;
	}
	if (os && json_object_get(b, "update")) {
		http_reply_error(r, 400, "update: only for app rollouts");
		return false;
	}
	q->os = os != NULL;
	if (!(q->os ? parse_os(r, d, os, q) : parse_app(r, d, b, app, q)))
		return false;
	if (!pick_devices(r, d, b, q))
		return false;
	q->maxf_spec = mf ? json_string_value(mf) : NULL;
	if (mf && json_is_integer(mf))
		q->maxf_spec = "";
	if (mf && count_of(mf, (int64_t)q->tg.n, false, &q->max_failures) < 0) {
		http_reply_error(r, 400, "max_failures: a device count or a percentage \"N%%\"");
		return false;
	}
	if (!q->maxf_spec || !*q->maxf_spec)
		q->maxf_spec = NULL;
	return true;
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r);
	struct req q = {0};
	char id[UUID_STR_LEN], mf[32];
	struct store *d;
	int e;

	if (!b)
		return;
	d = store_get(r->ctl->db);
	if (!parse_request(r, d, b, &q))
		goto out;
	snprintf(mf, sizeof(mf), "%lld", (long long)q.max_failures);
	if (!q.maxf_spec)
		q.maxf_spec = mf;
	e = store_begin(d);
	/* replicas: two creations must not both pass the conflict check */
	if (e == 0)
		e = store_lock(d, ROLLOUT_CREATE_LOCK);
	if (e == 0 && conflicts(r, d, &q)) {
		store_rollback(d);
		goto out;
	}
	if (e == 0)
		e = insert_rollout(d, &q, id);
	if (e == 0)
		e = insert_devices(d, &q, id);
	if (e == 0)
		e = ro_event(d, id, NULL, "created: %zu devices in %lld phases, at most %lld failures",
			     q.tg.n, (long long)q.nphases, (long long)q.max_failures);
	if (e == 0)
		e = store_commit(d);
	if (e < 0) {
		store_rollback(d);
		admin_reply_err(r, e, "rollout");
		goto out;
	}
	http_reply_json(r, 201, rollout_json(d, id, false));
out:
	store_put(r->ctl->db, d);
	json_decref(q.spec);
	json_decref(q.phases);
	free(q.tg.t);
	json_decref(b);
}

/* --- reading --- */

static json_t *counts_json(struct store *d, const char *id, int64_t phase)
{
	static const char *const states[] = {"pending", "updating", "healthy",
					     "failed",  "skipped",  "rolled-back"};
	struct store_stmt *st =
	    store_stmt(d, "SELECT state, count(*) FROM rollout_devices WHERE rollout_id = ?1"
			  " AND (?2 < 0 OR phase = ?2) GROUP BY state");
	json_t *j = json_object();
	int64_t total = 0;

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		json_object_set_new(j, states[i], json_integer(0));
	if (!st)
		return j;
	store_bind_text(st, 1, id);
	store_bind_int64(st, 2, phase);
	while (store_step(st) == STORE_ROW) {
		json_object_set_new(j, store_col_str(st, 0), json_integer(store_col_int64(st, 1)));
		total += store_col_int64(st, 1);
	}
	store_reset(st);
	json_object_set_new(j, "total", json_integer(total));
	return j;
}

/* Device names by id, read for a set of ids at once (devices_store.h). */
struct names {
	json_t *ids;   /* the ids asked for */
	json_t *names; /* id -> name of those found */
};

static int name_of(void *ctx, const struct devices_store_row *row)
{
	return json_object_set_new(((struct names *)ctx)->names, row->id, json_string(row->name)) == 0
		   ? 0
		   : -ENOMEM;
}

/* Read the names of n->ids into n->names. */
static void names_read(struct store *d, struct names *n)
{
	char *ids = n->ids && json_array_size(n->ids) ? json_dumps(n->ids, JSON_COMPACT) : NULL;
	if (ids && n->names)
		(void)devices_store_each_of(d, ids, name_of, n); /* unread: shown without */
	free(ids);
}

static int by_phase_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t px = json_integer_value(json_object_get(x, "phase")),
		   py = json_integer_value(json_object_get(y, "phase"));
	if (px != py)
		return px < py ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* The rollout's devices by phase and name: its rows, then their names in
 * one read (devices gone are left out, as a join would). */
static json_t *devices_json(struct store *d, const char *id)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT device_id, phase, state, reason, updated FROM rollout_devices"
			  " WHERE rollout_id = ?1");
	struct names n = {.ids = json_array(), .names = json_object()};
	json_t *rows = json_array(), *a = json_array(), *v;
	size_t i;

	if (st && rows) {
		store_bind_text(st, 1, id);
		while (store_step(st) == STORE_ROW) {
			json_array_append_new(n.ids, json_string(store_col_str(st, 0)));
			json_array_append_new(
			    rows, json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "id", store_col_str(st, 0),
					    "name", "", "phase", (json_int_t)store_col_int64(st, 1) + 1,
					    "state", store_col_str(st, 2), "reason", store_col_str(st, 3),
					    "updated", admin_time_json(store_col_int64(st, 4))));
		}
		store_reset(st);
	}
	names_read(d, &n);
	size_t cnt = 0, k = json_array_size(rows);
	json_t **sorted = k ? calloc(k, sizeof(*sorted)) : NULL;
	json_array_foreach(rows, i, v)
	{
		json_t *name = json_object_get(n.names, json_string_value(json_object_get(v, "id")));
		if (!name || !sorted)
			continue;
		json_object_set(v, "name", name);
		sorted[cnt++] = v;
	}
	if (cnt)
		qsort(sorted, cnt, sizeof(*sorted), by_phase_name);
	for (i = 0; i < cnt; i++)
		json_array_append(a, sorted[i]);
	free(sorted);
	json_decref(rows);
	json_decref(n.ids);
	json_decref(n.names);
	return a;
}

/* The last 200 events, oldest first, devices by name (or id when gone). */
static json_t *events_json(struct store *d, const char *id)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, time, coalesce(device_id, ''), msg FROM rollout_events"
			  " WHERE rollout_id = ?1 ORDER BY id DESC LIMIT 200");
	struct names n = {.ids = json_array(), .names = json_object()};
	json_t *a = json_array(), *v;
	size_t i;

	if (!st)
		goto out;
	store_bind_text(st, 1, id);
	while (store_step(st) == STORE_ROW) {
		if (*store_col_str(st, 2))
			json_array_append_new(n.ids, json_string(store_col_str(st, 2)));
		json_array_insert_new(a, 0,
				      json_pack("{s:I, s:o, s:s, s:s}", "id",
						(json_int_t)store_col_int64(st, 0), "time",
						admin_time_json(store_col_int64(st, 1)), "device",
						store_col_str(st, 2), "msg", store_col_str(st, 3)));
	}
	store_reset(st);
	names_read(d, &n);
	json_array_foreach(a, i, v)
	{
		json_t *name = json_object_get(n.names, json_string_value(json_object_get(v, "device")));
		if (name)
			json_object_set(v, "device", name);
	}
out:
	json_decref(n.ids);
	json_decref(n.names);
	return a;
}

#define RO_COLS                                                                                              \
	"r.id, r.name, r.kind, coalesce(r.app_id, ''), r.image_id, r.version, r.phases,"                     \
	" r.nphases, r.health_s, r.online_s, r.timeout_s, r.offline, r.pause_s, r.max_failures,"             \
	" r.max_failures_spec, r.auto_rollback, r.state, r.phase, r.reason, r.created, r.updated, "          \
	"r.next_at,"                                                                                         \
	" r.phase_started"
#define RO_FROM " FROM rollouts r"

static int image_name(void *ctx, const struct images_row *img)
{
	json_t **name = ctx;
	*name = json_string(img->name);
	return 0;
}

static json_t *row_json(struct store *d, struct store_stmt *st)
{
	/* the image by name (its id when gone), the app by name ("" gone) */
	json_t *image = NULL;
	struct apps_store_app app;
	if (images_get(d, store_col_str(st, 4), image_name, &image) < 0 || !image)
		image = json_string(store_col_str(st, 4));
	if (apps_store_find(d, store_col_str(st, 3), &app) < 0)
		app.name[0] = '\0';
	int64_t pause = store_col_int64(st, 12);
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:s, s:o, s:s, s:I, s:b, s:s, s:I,"
	    " s:s, s:o, s:o}",
	    "id", store_col_str(st, 0), "name", store_col_str(st, 1), "kind", store_col_str(st, 2), "image",
	    image, "phases", admin_json_col(store_col_str(st, 6)), "nphases",
	    (json_int_t)store_col_int64(st, 7), "health", (json_int_t)store_col_int64(st, 8), "online",
	    (json_int_t)store_col_int64(st, 9), "timeout", (json_int_t)store_col_int64(st, 10), "offline",
	    store_col_str(st, 11), "pause", pause < 0 ? json_string("manual") : json_integer(pause),
	    "max_failures", store_col_str(st, 14), "max_failures_count", (json_int_t)store_col_int64(st, 13),
	    "rollback", store_col_int(st, 15) != 0, "state", store_col_str(st, 16), "phase",
	    (json_int_t)store_col_int64(st, 17) + 1, "reason", store_col_str(st, 18), "created",
	    admin_time_json(store_col_int64(st, 19)), "updated", admin_time_json(store_col_int64(st, 20)));
	if (!j)
		return json_object();
	if (!strcmp(store_col_str(st, 2), "app")) {
		json_object_set_new(j, "app", json_string(app.name));
		json_object_set_new(j, "version", json_integer(store_col_int64(st, 5)));
	}
	json_object_set_new(j, "phase_started", admin_time_json(store_col_int64(st, 22)));
	json_object_set_new(j, "next_phase_at", admin_time_json(store_col_int64(st, 21)));
	return j;
}

static json_t *rollout_json(struct store *d, const char *id, bool full)
{
	struct store_stmt *st = store_stmt(d, "SELECT " RO_COLS RO_FROM " WHERE r.id = ?1");
	json_t *j = NULL;
	int64_t nph = 0;

	if (!st)
		return json_object();
	store_bind_text(st, 1, id);
	if (store_step(st) == STORE_ROW) {
		j = row_json(d, st);
		nph = store_col_int64(st, 7);
	}
	store_reset(st);
	if (!j)
		return json_object();
	json_object_set_new(j, "devices_count", counts_json(d, id, -1));
	if (!full)
		return j;
	json_t *prog = json_array();
	for (int64_t k = 0; k < nph; k++) {
		json_t *c = counts_json(d, id, k);
		json_object_set_new(c, "phase", json_integer(k + 1));
		json_array_append_new(prog, c);
	}
	json_object_set_new(j, "progress", prog);
	json_object_set_new(j, "devices", devices_json(d, id));
	json_object_set_new(j, "events", events_json(d, id));
	return j;
}

static void h_list(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct store_stmt *st = store_stmt(d, "SELECT r.id FROM rollouts r ORDER BY r.created, r.name");
	struct uuidlist ids = {0};
	json_t *items = json_array();

	while (st && store_step(st) == STORE_ROW)
		if (uuidlist_add(&ids, store_col_str(st, 0)) < 0)
			break;
	if (st)
		store_reset(st);
	for (size_t i = 0; i < ids.n; i++)
		json_array_append_new(items, rollout_json(d, ids.ids[i], false));
	store_put(r->ctl->db, d);
	uuidlist_free(&ids);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void h_get(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct ro o;
	int e = ro_load(d, r->params[0], &o);

	if (e < 0)
		admin_reply_err(r, e, "rollout");
	else
		http_reply_json(r, 200, rollout_json(d, o.id, true));
	store_put(r->ctl->db, d);
}

/* --- actions --- */

enum act { ACT_PAUSE, ACT_RESUME, ACT_ABORT, ACT_ROLLBACK };

static int act_apply(struct store *d, struct ro *o, enum act a, struct uuidlist *touched, const char **refuse)
{
	bool active = !strcmp(o->state, "running") || !strcmp(o->state, "paused");
	int r;

	switch (a) {
	case ACT_PAUSE:
		if (strcmp(o->state, "running")) {
			*refuse = "only a running rollout can be paused";
			return 0;
		}
		r = ro_event(d, o->id, NULL, "paused by the operator");
		return r < 0 ? r : ro_set_state(d, o, "paused", "paused by the operator");
	case ACT_RESUME:
		if (strcmp(o->state, "paused")) {
			*refuse = "only a paused rollout can be resumed";
			return 0;
		}
		/* A phase in progress gets a fresh timeout; a phase waiting
		 * for approval (or a pause) starts now. */
		if (o->phase_started)
			o->phase_started = (int64_t)time(NULL);
		o->next_at = 0;
		r = ro_event(d, o->id, NULL, "resumed by the operator");
		return r < 0 ? r : ro_set_state(d, o, "running", "");
	case ACT_ABORT:
		if (!active) {
			*refuse = "only a running or paused rollout can be aborted";
			return 0;
		}
		r = ro_event(d, o->id, NULL, "aborted by the operator; updated devices keep the new %s",
			     o->os ? "base OS" : "revision");
		return r < 0 ? r : ro_set_state(d, o, "aborted", "aborted by the operator");
	case ACT_ROLLBACK:
		if (!strcmp(o->state, "done") || !strcmp(o->state, "rolled-back")) {
			*refuse =
			    "a finished rollout cannot be rolled back: create a rollout to the previous "
			    "version";
			return 0;
		}
		r = ro_event(d, o->id, NULL, "rollback by the operator");
		if (r == 0)
			r = ro_rollback_devs(d, o, -1, touched);
		return r < 0 ? r : ro_set_state(d, o, "rolled-back", "rolled back by the operator");
	}
	return -EINVAL;
}

static void action(struct http_req *r, enum act a)
{
	struct store *d = store_get(r->ctl->db);
	struct uuidlist touched = {0};
	const char *refuse = NULL;
	struct ro o;
	int e;

	/* -EAGAIN: the engine (of any replica) stepped the rollout meanwhile;
	 * decide again on what it wrote */
	for (int tries = 0; tries < 5; tries++) {
		refuse = NULL;
		touched.n = 0;
		e = store_begin(d);
		if (e == 0)
			e = ro_load(d, r->params[0], &o);
		if (e == 0)
			e = ro_hold(d, &o);
		if (e == 0)
			e = act_apply(d, &o, a, &touched, &refuse);
		if (e == 0 && !refuse)
			e = ro_touch_configs(d, &touched);
		if (e == 0 && !refuse)
			e = store_commit(d);
		if (e < 0 || refuse)
			store_rollback(d);
		if (e != -EAGAIN)
			break;
	}
	if (e < 0)
		admin_reply_err(r, e, "rollout");
	else if (refuse)
		http_reply_error(r, 409, "%s (state %s)", refuse, o.state);
	else {
		ro_drop_configs(r->ctl, &touched);
		http_reply_json(r, 200, rollout_json(d, o.id, false));
	}
	store_put(r->ctl->db, d);
	uuidlist_free(&touched);
}

static void h_pause(struct http_req *r)
{
	action(r, ACT_PAUSE);
}

static void h_resume(struct http_req *r)
{
	action(r, ACT_RESUME);
}

static void h_abort(struct http_req *r)
{
	action(r, ACT_ABORT);
}

static void h_rollback(struct http_req *r)
{
	action(r, ACT_ROLLBACK);
}

static void h_delete(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	struct ro o;
	int e = ro_load(d, r->params[0], &o);
	struct store_stmt *st = NULL;

	if (e == 0 && (!strcmp(o.state, "running") || !strcmp(o.state, "paused"))) {
		http_reply_error(r, 409, "rollout %s is %s: abort it first", o.name, o.state);
		goto out;
	}
	if (e == 0 && !(st = store_stmt(d, "DELETE FROM rollouts WHERE id = ?1")))
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, o.id);
		e = store_step_done(st);
	}
	if (e < 0)
		admin_reply_err(r, e, "rollout");
	else
		http_reply_empty(r, 204);
out:
	store_put(r->ctl->db, d);
}

#define R ADMIN_PREFIX "/rollouts"
const struct http_route admin_rollout_routes[] = {
    {"GET", R, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", R, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", R "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", R "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", R "/*/pause", h_pause, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", R "/*/resume", h_resume, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", R "/*/abort", h_abort, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", R "/*/rollback", h_rollback, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
