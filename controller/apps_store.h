// SPDX-License-Identifier: Apache-2.0
/* The apps and app_instances tables as modules below apps.c read them:
 * the store half of the apps module. apps.c (/api/v1/apps) calls
 * networks.c, volumes.c, images.c and devices.c's store, and those reach
 * the apps' rows through here, so this file sits below all of them (as
 * devices_store.c does for the devices table). */
#ifndef CTL_APPS_STORE_H
#define CTL_APPS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_spec.h"
#include "store.h"
#include "uuidgen.h"

/* Call fn(ctx, project) for each app whose id or name is ref; a nonzero
 * return of fn stops the walk and is returned. 0 or -EIO. */
int apps_store_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
			       void *ctx);
/* Apps whose image is image_id; -EIO. */
int64_t apps_store_count_using_image(struct store *d, const char *image_id);
/* Call fn(ctx, name) for each app with an instance on device uuid, by
 * name; a nonzero return of fn stops the walk and is returned. 0 or -EIO. */
int apps_store_each_on_device(struct store *d, const char *uuid, int (*fn)(void *ctx, const char *name),
			      void *ctx);
/* The same for the apps with an instance on device uuid whose spec
 * attaches network `network` (by name). */
int apps_store_each_on_network(struct store *d, const char *uuid, const char *network,
			       int (*fn)(void *ctx, const char *name), void *ctx);
/* The name of the app (other than `except`, may be NULL) aimed at device
 * uuid whose spec uses volume `volume`, into user (n bytes; "" when none).
 * 0 or -EIO. */
int apps_store_user_of_volume(struct store *d, const char *uuid, const char *volume, const char *except,
			      char *user, size_t n);
/* Delete the apps whose spec aims at device uuid by id (the device is
 * being deleted). 0 or -EIO. */
int apps_store_delete_aimed_at(struct store *d, const char *uuid);

/* ---- reads and writes for reports, admin views, housekeeping ----
 * (also below app_history.c, app_io.c and rollouts.c, which apps.c calls).
 * Strings handed to a callback are valid during the call only. */

struct apps_store_app {
	char id[UUID_STR_LEN];
	char name[APP_SPEC_NAME_MAX + 1];
	int64_t version; /* the current revision */
};
/* The app whose id or name is ref. 0, -ENOENT, -EIO. */
int apps_store_find(struct store *d, const char *ref, struct apps_store_app *a);

/* 0 when app instance iid is deployed to device dev, -EPERM when not,
 * -EIO. One indexed lookup (the report ingestion paths call it). */
int apps_store_instance_on_device(struct store *d, const char *iid, const char *dev);

/* What a device reports about one of its app instances. */
struct apps_store_report {
	const char *state;   /* ZSwState name */
	const char *error;   /* NULL: none */
	const char *ips;     /* JSON array text */
	int64_t updated;     /* unix seconds */
	const char *version; /* reported generation, at most version_len bytes */
	int version_len;
};
/* Record it on instance iid when that is on device dev (else nothing).
 * 0 / negative errno. */
int apps_store_instance_report(struct store *d, const char *dev, const char *iid,
			       const struct apps_store_report *rep);

/* The instances of app app_id as JSON text [[instance id, device id],
 * ...] in instance id order, for a batched read of another table keyed
 * by instance (json_each). Caller frees *out. 0, -ENOMEM, -EIO. */
int apps_store_instances_json(struct store *d, const char *app_id, char **out);

/* Call fn(ctx, label, n) for each reported state with its number of
 * instances, most first; a non-zero return of fn stops the walk and is
 * returned. 0 / -EIO. */
int apps_store_count_by_state(struct store *d, int (*fn)(void *ctx, const char *label, int64_t n), void *ctx);

/* The app name of instance iid into out (cap bytes). 0, -ENOENT, -EIO. */
int apps_store_instance_app_name(struct store *d, const char *iid, char *out, size_t cap);

/* Call fn(ctx, app name, state) for each instance on device dev, by app
 * name; a non-zero return of fn stops the walk and is returned. 0 / -EIO. */
int apps_store_each_state_on_device(struct store *d, const char *dev,
				    int (*fn)(void *ctx, const char *app, const char *state), void *ctx);

/* Call fn(ctx, app name, spec) for each instance on device dev except the
 * one of the app named except, with the spec it runs (its rollout pin,
 * else the app's; app_spec.h stored form); a non-zero return of fn stops
 * the walk and is returned. 0 / -EIO. */
int apps_store_each_spec_on_device(struct store *d, const char *dev, const char *except,
				   int (*fn)(void *ctx, const char *app, const char *spec), void *ctx);

/* Call fn(ctx, instance id, device id) for each instance of app app_id,
 * by instance id; a non-zero return of fn stops the walk and is
 * returned. 0 / -EIO. */
int apps_store_each_instance(struct store *d, const char *app_id,
			     int (*fn)(void *ctx, const char *iid, const char *dev), void *ctx);

/* For app_history.c (revisions and automatic rollback): */

/* Make spec and image_id app id's next revision (version + 1; the
 * schema's trigger records it in app_revisions) if its current one is
 * still expect (the one the caller decided on); the new number in
 * *version. 0; -EAGAIN when the app has another revision now (or is
 * gone); other negative errno. */
int apps_store_set_revision(struct store *d, const char *id, int64_t expect, const char *spec,
			    const char *image_id, int64_t *version);
/* The apps with rollback_after_s set, as JSON text [[id, version,
 * rollback_after_s], ...] for a batched read of their current revisions.
 * Caller frees *out. 0, -ENOMEM, -EIO. */
int apps_store_auto_rollback_json(struct store *d, char **out);
/* The instances (not pinned by a rollout) whose device reports an error
 * starting with prefix and a generation other than their app's current
 * version, as JSON text [[app id, app version, reported version, device
 * id, error], ...] by app id. Caller frees *out. 0, -ENOMEM, -EIO. */
int apps_store_device_errors_json(struct store *d, const char *prefix, char **out);
/* Call fn(ctx, device id, state, error ("" none)) for each instance of
 * app id (not pinned by a rollout) that does not run version: not RUNNING,
 * or RUNNING another generation. A non-zero return of fn stops the walk
 * and is returned. 0 / -EIO. */
int apps_store_each_not_running(struct store *d, const char *id, int64_t version,
				int (*fn)(void *ctx, const char *dev, const char *state, const char *error),
				void *ctx);

/* For rollouts.c (an app rollout pins instances to its revision): */

/* What an instance is pinned to; all NULL / !has_version: not pinned (it
 * runs its app's revision). Strings valid during a callback only. */
struct apps_store_pin {
	const char *spec; /* app_spec.h stored form */
	const char *image_id;
	bool has_version;
	int64_t version;
};
/* Call fn with the pin of app app_id's instance on device dev. fn's
 * return, -ENOENT (no such instance), -EIO. */
int apps_store_pin_of(struct store *d, const char *app_id, const char *dev,
		      int (*fn)(void *ctx, const struct apps_store_pin *pin), void *ctx);
/* Pin that instance to *to (unpinned: back to the app's revision), when
 * if_version is NULL or its pin's version is *if_version: a change of the
 * image it runs is a purge (volumes rebuilt), else a restart. 0, -ENOENT
 * (nothing changed), -EIO. */
int apps_store_set_pin(struct store *d, const char *app_id, const char *dev, const struct apps_store_pin *to,
		       const int64_t *if_version);
/* Pin every unpinned instance of app_id, except those on the devices in
 * devs (JSON array text of ids), to the app's current revision. */
int apps_store_pin_current_except(struct store *d, const char *app_id, const char *devs);
/* Make spec, image_id and version app_id's revision (a finished rollout),
 * then unpin the instances pinned to that version. 0 / negative errno. */
int apps_store_promote(struct store *d, const char *app_id, const char *spec, const char *image_id,
		       int64_t version);

/* An instance's state as its device reports it. */
struct apps_store_state {
	const char *dev;
	const char *state;
	const char *error;   /* "" none */
	const char *version; /* reported generation (appgen.h), "" none */
};
/* Call fn for app_id's instance on each device of devs (JSON array text
 * of ids) that has one, in one read. A non-zero return of fn stops the
 * walk and is returned. 0 / -EIO. */
int apps_store_each_state_on(struct store *d, const char *app_id, const char *devs,
			     int (*fn)(void *ctx, const struct apps_store_state *s), void *ctx);

/* For rollouts_admin.c (a new app rollout starts from the app's row): */

struct apps_store_spec_row {
	const char *id, *name, *spec, *image_id;
	bool activate;
	int64_t version; /* above the app's and every pin of its instances */
};
/* Call fn with the row of the app whose id or name is ref. fn's return,
 * -ENOENT, -EIO. */
int apps_store_spec_of(struct store *d, const char *ref,
		       int (*fn)(void *ctx, const struct apps_store_spec_row *a), void *ctx);

#endif
