// SPDX-License-Identifier: Apache-2.0
/* Phased rollouts: the store, the housekeeping step (rollouts_tick) and
 * the decisions it records. The admin API is in rollouts_admin.c. */
#include "rollouts.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps_store.h"
#include "cachebus.h"
#include "ctl.h"
#include "devices_store.h"
#include "images.h"
#include "rollouts_int.h"

int ro_event(struct store *d, const char *rid, const char *dev, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO rollout_events(rollout_id, time, device_id, msg) VALUES(?1,?2,?3,?4)");

	if (!st)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	store_bind_text(st, 1, rid);
	store_bind_int64(st, 2, (int64_t)time(NULL));
	if (dev)
		store_bind_text(st, 3, dev);
	store_bind_text(st, 4, msg);
	return store_step_done(st);
}

static int copy_version(void *ctx, const struct images_row *img)
{
	snprintf(ctx, sizeof(((struct ro *)0)->os_version), "%s", img->version);
	return 0;
}

int ro_load(struct store *d, const char *ref, struct ro *o)
{
	struct store_stmt *st = store_stmt(
	    d, "SELECT r.id, r.name, r.kind, coalesce(r.app_id, ''), r.image_id, r.version, r.nphases,"
	       " r.health_s, r.online_s, r.timeout_s, r.offline, r.pause_s, r.max_failures,"
	       " r.auto_rollback, r.state, r.phase, r.phase_started, r.next_at"
	       " FROM rollouts r WHERE r.id = ?1 OR r.name = ?1 LIMIT 1");
	int r = -ENOENT;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, ref);
	if (store_step(st) == STORE_ROW) {
		memset(o, 0, sizeof(*o));
		snprintf(o->id, sizeof(o->id), "%s", store_col_str(st, 0));
		snprintf(o->name, sizeof(o->name), "%s", store_col_str(st, 1));
		o->os = !strcmp(store_col_str(st, 2), "baseos");
		snprintf(o->app_id, sizeof(o->app_id), "%s", store_col_str(st, 3));
		snprintf(o->image_id, sizeof(o->image_id), "%s", store_col_str(st, 4));
		o->version = store_col_int64(st, 5);
		o->nphases = store_col_int64(st, 6);
		o->health_s = store_col_int64(st, 7);
		o->online_s = store_col_int64(st, 8);
		o->timeout_s = store_col_int64(st, 9);
		o->offline_skips = !strcmp(store_col_str(st, 10), "skipped");
		o->pause_s = store_col_int64(st, 11);
		o->max_failures = store_col_int64(st, 12);
		o->auto_rollback = store_col_int(st, 13) != 0;
		snprintf(o->state, sizeof(o->state), "%s", store_col_str(st, 14));
		o->phase = store_col_int64(st, 15);
		o->phase_started = store_col_int64(st, 16);
		o->next_at = store_col_int64(st, 17);
		snprintf(o->seen.state, sizeof(o->seen.state), "%s", o->state);
		o->seen.phase = o->phase;
		o->seen.phase_started = o->phase_started;
		o->seen.next_at = o->next_at;
		r = 0;
	}
	store_reset(st);
	/* the image's version ("" when it is gone) */
	if (r == 0 && images_get(d, o->image_id, copy_version, o->os_version) == -EIO)
		r = -EIO;
	return r;
}

/* The WHERE of every write of a rollout's row: only over o->seen. */
#define RO_OVER_SEEN " WHERE id = ?1 AND state = ?2 AND phase = ?3 AND phase_started = ?4 AND next_at = ?5"

/* Bind what RO_OVER_SEEN needs; the statement's own values from ?6. */
static void bind_seen(struct store_stmt *st, const struct ro *o)
{
	store_bind_text(st, 1, o->id);
	store_bind_text(st, 2, o->seen.state);
	store_bind_int64(st, 3, o->seen.phase);
	store_bind_int64(st, 4, o->seen.phase_started);
	store_bind_int64(st, 5, o->seen.next_at);
}

/* Write back the progress fields of o over o->seen (ro_set_state). */
static int ro_save(struct store *d, struct ro *o, const char *reason)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE rollouts SET state = ?6, phase = ?7, phase_started = ?8,"
			  " next_at = ?9, reason = coalesce(?10, reason), updated = ?11" RO_OVER_SEEN);
	int r;

	if (!st)
		return -EIO;
	bind_seen(st, o);
	store_bind_text(st, 6, o->state);
	store_bind_int64(st, 7, o->phase);
	store_bind_int64(st, 8, o->phase_started);
	store_bind_int64(st, 9, o->next_at);
	if (reason)
		store_bind_text(st, 10, reason);
	store_bind_int64(st, 11, (int64_t)time(NULL));
	if ((r = store_step_one(st)) < 0)
		return r;
	snprintf(o->seen.state, sizeof(o->seen.state), "%s", o->state);
	o->seen.phase = o->phase;
	o->seen.phase_started = o->phase_started;
	o->seen.next_at = o->next_at;
	return 0;
}

int ro_set_state(struct store *d, struct ro *o, const char *state, const char *reason)
{
	snprintf(o->state, sizeof(o->state), "%s", state);
	return ro_save(d, o, reason);
}

int ro_hold(struct store *d, struct ro *o)
{
	/* an UPDATE that changes nothing still takes the row */
	struct store_stmt *st = store_stmt(d, "UPDATE rollouts SET state = state" RO_OVER_SEEN);

	if (!st)
		return -EIO;
	bind_seen(st, o);
	return store_step_one(st);
}

static int dev_set(struct store *d, const char *rid, const char *dev, const char *state, int64_t ok_since,
		   const char *reason)
{
	struct store_stmt *st = store_stmt(d, "UPDATE rollout_devices SET state = ?3, ok_since = ?4,"
					      " reason = coalesce(?5, reason), updated = ?6"
					      " WHERE rollout_id = ?1 AND device_id = ?2");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, rid);
	store_bind_text(st, 2, dev);
	store_bind_text(st, 3, state);
	store_bind_int64(st, 4, ok_since);
	if (reason)
		store_bind_text(st, 5, reason);
	store_bind_int64(st, 6, (int64_t)time(NULL));
	return store_step_done(st);
}

/* Devices of o in phase (any phase when phase < 0) whose state is in
 * states (an SQL list literal chosen by the caller). */
static int devs_in(struct store *d, const struct ro *o, int64_t phase, const char *states, struct uuidlist *l)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT device_id FROM rollout_devices WHERE rollout_id = ?1"
			  " AND (?2 < 0 OR phase = ?2) AND instr(?3, ',' || state || ',') > 0"
			  " ORDER BY device_id");
	int r = 0;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, o->id);
	store_bind_int64(st, 2, phase);
	store_bind_text(st, 3, states);
	while (r == 0 && store_step(st) == STORE_ROW)
		r = uuidlist_add(l, store_col_str(st, 0));
	store_reset(st);
	return r;
}

static int64_t count_state(struct store *d, const struct ro *o, int64_t phase, const char *state)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM rollout_devices WHERE rollout_id = ?1"
					      " AND (?2 < 0 OR phase = ?2) AND state = ?3");
	int64_t n = 0;

	if (!st)
		return 0;
	store_bind_text(st, 1, o->id);
	store_bind_int64(st, 2, phase);
	store_bind_text(st, 3, state);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}

/* --- changing one device --- */

/* The rollout's app spec (caller frees); NULL when unreadable. */
static char *ro_spec(struct store *d, const struct ro *o)
{
	struct store_stmt *st = store_stmt(d, "SELECT spec FROM rollouts WHERE id = ?1");
	char *spec = NULL;
	if (!st)
		return NULL;
	store_bind_text(st, 1, o->id);
	if (store_step(st) == STORE_ROW && !store_col_is_null(st, 0))
		spec = strdup(store_col_str(st, 0));
	store_reset(st);
	return spec;
}

struct prev_pin {
	const struct ro *o;
	const char *dev;
	struct store *d;
};

/* Remember the pin dev's instance had (all NULL: none, or no instance). */
static int save_prev_pin(void *ctx, const struct apps_store_pin *pin)
{
	struct prev_pin *x = ctx;
	struct store_stmt *st =
	    store_stmt(x->d, "UPDATE rollout_devices SET prev_spec = ?3, prev_image_id = ?4,"
			     " prev_version = ?5 WHERE rollout_id = ?1 AND device_id = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, x->o->id);
	store_bind_text(st, 2, x->dev);
	if (pin->spec)
		store_bind_text(st, 3, pin->spec);
	if (pin->image_id)
		store_bind_text(st, 4, pin->image_id);
	if (pin->has_version)
		store_bind_int64(st, 5, pin->version);
	return store_step_done(st);
}

/* Pin dev's instance of the app to the rollout's revision (remembering
 * what it was pinned to): a new image is a purge (volumes rebuilt from
 * it), another spec a restart. -ENOENT: no instance there. */
static int apply_app(struct store *d, const struct ro *o, const char *dev)
{
	struct prev_pin x = {.o = o, .dev = dev, .d = d};
	static const struct apps_store_pin none = {0};
	int r = apps_store_pin_of(d, o->app_id, dev, save_prev_pin, &x);
	char *spec = NULL;

	if (r == -ENOENT)
		r = save_prev_pin(&x, &none);
	if (r < 0)
		return r;
	spec = ro_spec(d, o);
	struct apps_store_pin to = {
	    .spec = spec, .image_id = o->image_id, .has_version = true, .version = o->version};
	r = apps_store_set_pin(d, o->app_id, dev, &to, NULL);
	free(spec);
	return r;
}

/* Point dev at the rollout's base OS image (remembering the previous). */
static int apply_os(struct store *d, const struct ro *o, const char *dev)
{
	char prev[UUID_STR_LEN] = "";
	bool none = true;
	int r = devices_store_baseos(d, dev, prev, &none);
	struct store_stmt *st = r == -EIO ? NULL
					  : store_stmt(d, "UPDATE rollout_devices SET prev_baseos = ?3"
							  " WHERE rollout_id = ?1 AND device_id = ?2");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, o->id);
	store_bind_text(st, 2, dev);
	if (r == 0 && !none)
		store_bind_text(st, 3, prev);
	if ((r = store_step_done(st)) < 0)
		return r;
	return devices_store_set_baseos(d, dev, o->image_id);
}

/* Back to what dev had before this rollout changed it: the previous pin
 * of the app instance (only if still pinned by this rollout), or the
 * previous base OS image. */
static int revert_one(struct store *d, const struct ro *o, const char *dev)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT prev_baseos, prev_spec, prev_image_id, prev_version"
			  " FROM rollout_devices WHERE rollout_id = ?1 AND device_id = ?2");
	int r = 0;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, o->id);
	store_bind_text(st, 2, dev);
	if (store_step(st) == STORE_ROW) {
		if (o->os) {
			r = devices_store_revert_baseos(d, dev, store_col_text(st, 0), o->image_id);
		} else {
			struct apps_store_pin prev = {
			    .spec = store_col_text(st, 1),
			    .image_id = store_col_text(st, 2),
			    .has_version = !store_col_is_null(st, 3),
			    .version = store_col_int64(st, 3),
			};
			/* only if still pinned by this rollout */
			r = apps_store_set_pin(d, o->app_id, dev, &prev, &o->version);
			if (r == -ENOENT)
				r = 0;
		}
	}
	store_reset(st);
	return r;
}

int ro_rollback_devs(struct store *d, struct ro *o, int64_t phase, struct uuidlist *touched)
{
	struct uuidlist l = {0};
	int r = devs_in(d, o, phase, ",updating,healthy,failed,", &l);

	for (size_t i = 0; r == 0 && i < l.n; i++) {
		r = revert_one(d, o, l.ids[i]);
		if (r == 0)
			r = dev_set(d, o->id, l.ids[i], "rolled-back", 0, NULL);
		if (r == 0)
			r = ro_event(d, o->id, l.ids[i], "rolled back to its previous %s",
				     o->os ? "base OS image" : "revision");
		if (r == 0)
			r = uuidlist_add(touched, l.ids[i]);
	}
	uuidlist_free(&l);
	return r;
}

/* --- the step --- */

static int start_phase(struct store *d, struct ro *o, int64_t now, struct uuidlist *touched)
{
	struct uuidlist l = {0};
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
			r = uuidlist_add(touched, l.ids[i]);
	}
	if (r == 0) {
		o->phase_started = now;
		r = ro_event(d, o->id, NULL, "phase %lld/%lld started: %zu devices updated, %zu skipped",
			     (long long)o->phase + 1, (long long)o->nphases, l.n - skipped, skipped);
	}
	if (r == 0)
		r = ro_save(d, o, "");
	uuidlist_free(&l);
	return r;
}

struct verdict {
	const char *state; /* NULL: still updating */
	int64_t ok_since;
	char why[400];
};

/* What the gate reads of one updating device: its row in the rollout,
 * its device row and (app rollouts) its instance. The strings are owned. */
struct gate_item {
	char dev[UUID_STR_LEN];
	char name[64];
	size_t seq;        /* its place in the rollout's rows */
	int64_t old_ok;    /* rollout_devices.ok_since */
	int64_t seen;      /* the device's stored last_seen */
	bool found;        /* the device row is there */
	bool has_instance; /* app rollouts: the app's instance is there */
	char *state;       /* os_version, or the instance's state */
	char *err;         /* os_failed, or the instance's error */
	char *detail;      /* os_failed_reason, or the reported generation */
	struct verdict v;
};

/* Health of one updating device (an item of gate_rows). */
static void judge(const struct ro *o, const struct gate_item *g, int64_t seen, int64_t now, struct verdict *v)
{
	const char *state = g->state ? g->state : "", *err = g->err ? g->err : "";
	const char *detail = g->detail ? g->detail : "";
	bool online = seen > 0 && now - seen <= o->online_s, good;
	char want[32];

	v->state = NULL;
	v->ok_since = g->old_ok;
	v->why[0] = 0;
	snprintf(want, sizeof(want), "%lld", (long long)o->version);
	if (o->os) {
		if (!strcmp(err, o->os_version)) {
			v->state = "failed";
			snprintf(v->why, sizeof(v->why), "base OS %.64s failed, the device fell back: %.200s",
				 err, detail);
			return;
		}
		good = !strcmp(state, o->os_version);
	} else {
		/* the reported generation (appgen.h) starts with the revision */
		const char *rv = detail;
		size_t wl = strlen(want);
		bool cur = !strncmp(rv, want, wl) && (rv[wl] == '\0' || rv[wl] == '.');
		if (!g->has_instance) {
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
			 o->os ? "" : ", version ", o->os ? "" : detail);
	}
}

struct gate {
	struct gate_item *v;
	size_t n;
};

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gate_item *)a)->dev, ((const struct gate_item *)b)->dev);
}

static int seq_cmp(const void *a, const void *b)
{
	size_t x = ((const struct gate_item *)a)->seq, y = ((const struct gate_item *)b)->seq;
	return x < y ? -1 : x > y;
}

static struct gate_item *item_of(struct gate *g, const char *dev)
{
	struct gate_item key;
	snprintf(key.dev, sizeof(key.dev), "%s", dev);
	return bsearch(&key, g->v, g->n, sizeof(*g->v), item_cmp);
}

static int strset(char **to, const char *s)
{
	free(*to);
	*to = strdup(s);
	return *to ? 0 : -ENOMEM;
}

struct gate_ctx {
	struct gate g;
	bool os;
};

static int gate_os(void *ctx, const struct devices_store_row *row)
{
	struct gate_ctx *x = ctx;
	struct gate_item *i = item_of(&x->g, row->id);
	int r = 0;
	if (!i)
		return 0;
	i->found = true;
	i->seen = row->last_seen;
	snprintf(i->name, sizeof(i->name), "%s", row->name);
	if (x->os) {
		i->has_instance = true;
		r = strset(&i->state, row->os_version);
		if (r == 0)
			r = strset(&i->err, row->os_failed);
		if (r == 0)
			r = strset(&i->detail, row->os_failed_reason);
	}
	return r;
}

static int gate_instance(void *ctx, const struct apps_store_state *s)
{
	struct gate_item *i = item_of(&((struct gate_ctx *)ctx)->g, s->dev);
	int r = 0;
	if (!i)
		return 0;
	i->has_instance = true;
	r = strset(&i->state, s->state);
	if (r == 0)
		r = strset(&i->err, s->error);
	if (r == 0)
		r = strset(&i->detail, s->version);
	return r;
}

static void gate_free(struct gate *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].state);
		free(g->v[i].err);
		free(g->v[i].detail);
	}
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

/* The rollout's updating devices of the current phase, as JSON text of
 * their ids into *ids and items into x (sorted by device id). */
static int gate_list(struct store *d, const struct ro *o, struct gate_ctx *x, char **ids)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT device_id, ok_since FROM rollout_devices WHERE rollout_id = ?1"
			  " AND phase = ?2 AND state = 'updating'");
	json_t *a = json_array();
	size_t cap = 0;
	int r = a ? 0 : -ENOMEM;

	if (!st)
		r = -EIO;
	if (r == 0) {
		store_bind_text(st, 1, o->id);
		store_bind_int64(st, 2, o->phase);
	}
	while (r == 0 && store_step(st) == STORE_ROW) {
		if (x->g.n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *p = nc <= RO_MAX_DEVICES ? realloc(x->g.v, nc * sizeof(*x->g.v)) : NULL;
			if (!p) {
				r = -ENOMEM;
				break;
			}
			x->g.v = p;
			cap = nc;
		}
		struct gate_item *g = &x->g.v[x->g.n++];
		memset(g, 0, sizeof(*g));
		g->seq = x->g.n - 1;
		snprintf(g->dev, sizeof(g->dev), "%s", store_col_str(st, 0));
		g->old_ok = store_col_int64(st, 1);
		if (json_array_append_new(a, json_string(g->dev)) < 0)
			r = -ENOMEM;
	}
	if (st)
		store_reset(st);
	if (r == 0 && x->g.n)
		qsort(x->g.v, x->g.n, sizeof(*x->g.v), item_cmp);
	if (r == 0 && !(*ids = json_dumps(a, JSON_COMPACT)))
		r = -ENOMEM;
	json_decref(a);
	return r;
}

/* The updating devices of the current phase with their verdicts: the
 * rollout's rows, then their devices' rows and (app rollouts) instances
 * in one batched read each, merged here. */
static int gate_rows(struct ctl *c, struct store *d, const struct ro *o, int64_t now, struct gate *out)
{
	struct gate_ctx x = {.os = o->os};
	char *ids = NULL;
	int r = gate_list(d, o, &x, &ids);
	size_t k = 0;

	if (r == 0 && x.g.n)
		r = devices_store_each_of(d, ids, gate_os, &x);
	if (r == 0 && x.g.n && !o->os)
		r = apps_store_each_state_on(d, o->app_id, ids, gate_instance, &x);
	free(ids);
	/* devices gone (a join would not have them) are left out */
	for (size_t i = 0; r == 0 && i < x.g.n; i++) {
		struct gate_item *g = &x.g.v[i];
		if (!g->found) {
			free(g->state);
			free(g->err);
			free(g->detail);
			continue;
		}
		int64_t seen = devcache_last_seen(c->cache, g->dev);
		if (seen < g->seen)
			seen = g->seen;
		judge(o, g, seen, now, &g->v);
		x.g.v[k++] = *g;
	}
	if (r < 0) {
		gate_free(&x.g);
		return r;
	}
	x.g.n = k;
	if (k)
		qsort(x.g.v, k, sizeof(*x.g.v), seq_cmp); /* back in the rollout's order */
	*out = x.g;
	return 0;
}

/* Gate the updating devices of the current phase; record each verdict. */
static int gate_phase(struct ctl *c, struct store *d, struct ro *o, int64_t now, char *first_fail,
		      size_t ff_len)
{
	struct gate a = {0};
	int r = gate_rows(c, d, o, now, &a);

	for (size_t i = 0; r == 0 && i < a.n; i++) {
		struct gate_item *g = &a.v[i];
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
	gate_free(&a);
	return r;
}

/* The last phase passed: the rollout's revision becomes the app's. Other
 * instances of the app (not in the rollout) keep what they ran. */
static int finish_app(struct store *d, const struct ro *o)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT device_id FROM rollout_devices"
			  " WHERE rollout_id = ?1 AND state IN ('healthy', 'failed', 'updating')");
	char *devs = NULL, *spec = NULL;
	json_t *a = json_array();
	int r = a ? 0 : -ENOMEM, rc = STORE_DONE;

	if (!st) {
		json_decref(a);
		return -EIO;
	}
	/* the devices as a JSON array, built here (PostgreSQL has no json_group_array) */
	store_bind_text(st, 1, o->id);
	while (r == 0 && (rc = store_step(st)) == STORE_ROW)
		r = json_array_append_new(a, json_string(store_col_str(st, 0))) == 0 ? 0 : -ENOMEM;
	store_reset(st);
	if (r == 0 && rc < 0)
		r = -EIO;
	if (r == 0)
		r = (devs = json_dumps(a, JSON_COMPACT)) ? 0 : -ENOMEM;
	json_decref(a);
	if (r == 0)
		r = apps_store_pin_current_except(d, o->app_id, devs);
	if (r == 0)
		r = (spec = ro_spec(d, o)) ? 0 : -EIO;
	if (r == 0)
		r = apps_store_promote(d, o->app_id, spec, o->image_id, o->version);
	free(devs);
	free(spec);
	return r;
}

/* The current phase has no updating device left: next phase, or done. */
static int phase_done(struct store *d, struct ro *o, int64_t now)
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

static int halt(struct store *d, struct ro *o, int64_t failed, const char *first, struct uuidlist *touched)
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
static int step(struct ctl *c, struct store *d, struct ro *o, int64_t now, struct uuidlist *touched)
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

int ro_touch_configs(struct store *d, const struct uuidlist *l)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < l->n; i++) {
		r = devices_store_bump_config(d, l->ids[i]);
		if (r == 0)
			r = cachebus_config(d, l->ids[i]);
	}
	return r;
}

void ro_drop_configs(struct ctl *c, const struct uuidlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		devcache_invalidate(c->cache, l->ids[i]);
}

static void step_one(struct ctl *c, struct store *d, const char *id)
{
	struct uuidlist touched = {0};
	struct ro o;
	int r = store_begin(d);

	if (r == 0)
		r = ro_load(d, id, &o);
	if (r == 0 && !strcmp(o.state, "running"))
		r = ro_hold(d, &o);
	if (r == 0 && !strcmp(o.state, "running"))
		r = step(c, d, &o, (int64_t)time(NULL), &touched);
	if (r == 0)
		r = ro_touch_configs(d, &touched);
	if (r == 0)
		r = store_commit(d);
	if (r < 0) {
		store_rollback(d);
		touched.n = 0;
	}
	/* After the commit, so no request caches a config from before it. */
	ro_drop_configs(c, &touched);
	uuidlist_free(&touched);
}

void rollouts_tick(struct ctl *c)
{
	struct uuidlist ids = {0};
	struct store *d = store_get(c->db);
	struct store_stmt *st =
	    store_stmt(d, "SELECT id FROM rollouts WHERE state = 'running' ORDER BY created");

	while (st && store_step(st) == STORE_ROW)
		if (uuidlist_add(&ids, store_col_str(st, 0)) < 0)
			break;
	if (st)
		store_reset(st);
	for (size_t i = 0; i < ids.n; i++)
		step_one(c, d, ids.ids[i]);
	store_put(c->db, d);
	uuidlist_free(&ids);
}

bool apps_rollout_active(struct http_req *r, struct store *d, const char *app_id)
{
	struct store_stmt *st = store_stmt(d, "SELECT name FROM rollouts WHERE app_id = ?1 AND"
					      " state IN ('running', 'paused') LIMIT 1");
	bool active = false;

	if (!st)
		return false;
	store_bind_text(st, 1, app_id);
	if (store_step(st) == STORE_ROW) {
		active = true;
		http_reply_error(r, 409, "app has the active rollout %s: abort or finish it first",
				 store_col_str(st, 0));
	}
	store_reset(st);
	return active;
}
