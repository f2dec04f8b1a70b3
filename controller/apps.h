// SPDX-License-Identifier: Apache-2.0
/* Apps (edge containers / VMs): one deployment per name, one instance per
 * target device; store and /api/v1/apps. */
#ifndef CTL_APPS_H
#define CTL_APPS_H

#include <jansson.h>
#include <stdbool.h>

#include "uuidgen.h"

struct ctl;
struct db;
struct http_req;

/* Create/remove the instances of selector apps so they match uuid's
 * current labels. *changed tells whether anything moved. */
int apps_sync_device(struct ctl *c, struct db *d, const char *uuid, bool *changed);
/* App instance objects on device uuid (for GET /devices/{d}). */
json_t *apps_instances_of_device(struct db *d, const char *uuid);
/* Counts for the device object. */
void apps_count_device(struct db *d, const char *uuid, int64_t *total, int64_t *running);

/* Validate an app body as POST/PUT /apps do (name: the app's name) into a
 * normalized spec (caller owns *spec) and its image id. Replies to r and
 * returns -EINVAL on a refused body. */
int apps_spec_build(struct http_req *r, struct db *d, json_t *body, const char *name, json_t **spec,
		    char image_id[UUID_STR_LEN]);

#endif
