// SPDX-License-Identifier: Apache-2.0
/* Apps (edge containers / VMs): one deployment per name, one instance per
 * target device; store and /api/v1/apps. */
#ifndef CTL_APPS_H
#define CTL_APPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "uuidgen.h"

struct ctl;
struct store;
struct http_req;

/* Database-wide lock key (store_lock) of the writes that decide on the
 * apps of a device (its instances, their host ports, which apps its
 * labels select): taken after store_begin by app create and update and by
 * a device's label change, so that two of them at once (on PostgreSQL,
 * or two replicas) cannot each miss the other. */
#define APPS_TARGETS_LOCK 0x61707073
/* Create/remove the instances of selector apps so they match uuid's
 * current labels. *changed tells whether anything moved. */
int apps_sync_device(struct ctl *c, struct store *d, const char *uuid, bool *changed);
/* App instance objects on device uuid (for GET /devices/{d}). */
json_t *apps_instances_of_device(struct store *d, const char *uuid);
/* Counts for the device object. */
void apps_count_device(struct store *d, const char *uuid, int64_t *total, int64_t *running);

/* One app instance as the device config needs it; strings are valid
 * during the callback only. An instance a rollout pinned (rollouts.h)
 * carries its pinned revision's spec, image and version. */
struct apps_instance_row {
	const char *id;
	const char *volume_id;
	int64_t restart_counter;
	int64_t purge_counter;
	const char *name; /* the app's */
	const char *spec; /* app_spec.h, stored form */
	const char *image_id;
	bool activate;
	int64_t version;
	const char *generation; /* appgen.h */
};
/* Call fn for each app instance on device uuid, ordered by instance id;
 * a negative return of fn stops the walk and is returned. 0 or -EIO. */
int apps_each_instance_of_device(struct store *d, const char *uuid,
				 int (*fn)(void *ctx, const struct apps_instance_row *i), void *ctx);

/* Apps in the projects granted (",a,b," or "*"); 0 on a store error. */
int64_t apps_count(struct store *d, const char *grants);

/* Validate an app body as POST/PUT /apps do (name: the app's name) into a
 * normalized spec (caller owns *spec) and its image id. Replies to r and
 * returns -EINVAL on a refused body. */
int apps_spec_build(struct http_req *r, struct store *d, json_t *body, const char *name, json_t **spec,
		    char image_id[UUID_STR_LEN]);

#endif
