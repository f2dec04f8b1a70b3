// SPDX-License-Identifier: Apache-2.0
/* The apps and app_instances rows as other modules need them: the store
 * half of the apps module. apps.c (/api/v1/apps) calls app_history.c,
 * app_io.c and rollouts.c, which read and write these rows through here,
 * so this file sits below all of them (as devices_store.c does for the
 * devices). Strings handed to a callback are valid during the call only. */
#ifndef CTL_APPS_STORE_H
#define CTL_APPS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "app_spec.h"
#include "db.h"
#include "uuidgen.h"

/* --- arch5b: reads and writes for reports, admin views, housekeeping --- */

struct apps_store_app {
	char id[UUID_STR_LEN];
	char name[APP_SPEC_NAME_MAX + 1];
	int64_t version; /* the current revision */
};
/* The app whose id or name is ref. 0, -ENOENT, -EIO. */
int apps_store_find(struct db *d, const char *ref, struct apps_store_app *a);

/* 0 when app instance iid is deployed to device dev, -EPERM when not,
 * -EIO. One indexed lookup (the report ingestion paths call it). */
int apps_store_instance_on_device(struct db *d, const char *iid, const char *dev);

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
int apps_store_instance_report(struct db *d, const char *dev, const char *iid,
			       const struct apps_store_report *rep);

/* The instances of app app_id as JSON text [[instance id, device id],
 * ...] in instance id order, for a batched read of another table keyed
 * by instance (json_each). Caller frees *out. 0, -ENOMEM, -EIO. */
int apps_store_instances_json(struct db *d, const char *app_id, char **out);

/* Call fn(ctx, label, n) for each reported state with its number of
 * instances, most first; a non-zero return of fn stops the walk and is
 * returned. 0 / -EIO. */
int apps_store_count_by_state(struct db *d, int (*fn)(void *ctx, const char *label, int64_t n), void *ctx);

/* The app name of instance iid into out (cap bytes). 0, -ENOENT, -EIO. */
int apps_store_instance_app_name(struct db *d, const char *iid, char *out, size_t cap);

/* Call fn(ctx, app name, state) for each instance on device dev, by app
 * name; a non-zero return of fn stops the walk and is returned. 0 / -EIO. */
int apps_store_each_state_on_device(struct db *d, const char *dev,
				    int (*fn)(void *ctx, const char *app, const char *state), void *ctx);

/* Call fn(ctx, app name, spec) for each instance on device dev except the
 * one of the app named except, with the spec it runs (its rollout pin,
 * else the app's; app_spec.h stored form); a non-zero return of fn stops
 * the walk and is returned. 0 / -EIO. */
int apps_store_each_spec_on_device(struct db *d, const char *dev, const char *except,
				   int (*fn)(void *ctx, const char *app, const char *spec), void *ctx);

/* Call fn(ctx, instance id, device id) for each instance of app app_id,
 * by instance id; a non-zero return of fn stops the walk and is
 * returned. 0 / -EIO. */
int apps_store_each_instance(struct db *d, const char *app_id,
			     int (*fn)(void *ctx, const char *iid, const char *dev), void *ctx);

/* --- end arch5b --- */

#endif
