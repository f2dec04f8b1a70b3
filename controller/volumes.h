// SPDX-License-Identifier: Apache-2.0
/* Volumes as controller objects (/api/v1/volumes): data disks of a device
 * that outlive the apps using them. A volume belongs to one device and has
 * a name unique on it; an app's spec refers to volumes by name
 * ("volumes": [{"name": N, "mount": "/data"}]) and the device builds them
 * from EVE Volume messages (config_build.c). */
#ifndef CTL_VOLUMES_H
#define CTL_VOLUMES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "http.h"
#include "uuidgen.h"

#define VOLUME_NAME_MAX 64
#define VOLUME_MOUNT_MAX 255
#define VOLUMES_PER_APP 8

/* Check an app spec's "volumes" (may be NULL) for app `app_name` on device
 * dev_uuid ("" when the app targets a selector) of image format `format`:
 * a well-formed list, each volume on that device and used by no other app,
 * mount points absolute (containers) or absent (VMs). Replies 400/404/409
 * and returns false on error. On success *out is the normalized list
 * (caller owns it), NULL when there are no volumes. */
bool volumes_spec_check(struct http_req *r, struct store *d, json_t *vols, const char *app_name,
			const char *dev_uuid, const char *format, json_t **out);
/* Delete the volumes an app's spec text names on device dev (the app's
 * "--with-volumes" delete). 0 / negative errno. */
int volumes_delete_of_spec(struct store *d, const char *spec_text);

/* One volume as the device config needs it; strings are valid during the
 * callback only. */
struct volumes_row {
	const char *id;
	const char *name;
	const char *kind;     /* "blank" or "image" */
	const char *image_id; /* kind image: the image it is built from */
	int64_t size_bytes;
	int64_t generation; /* bumped by a purge */
};
/* Call fn for each volume of device uuid, ordered by id; a negative
 * return of fn stops the walk and is returned. 0 or -EIO. */
int volumes_each_of_device(struct store *d, const char *uuid,
			   int (*fn)(void *ctx, const struct volumes_row *v), void *ctx);
/* Id and generation of volume `name` on device uuid. 0, -ENOENT, -EIO. */
int volumes_ref(struct store *d, const char *uuid, const char *name, char id[UUID_STR_LEN],
		int64_t *generation);

extern const struct http_route admin_volume_routes[];
/* app_history.c: /apps/{app}/history and /apps/{app}/rollback */
/* The app's last automatic rollback {"state": "ROLLED_BACK", "from", "to",
 * "reason", "time"} while its current revision is that rollback, else JSON
 * null. Caller owns it. */
json_t *app_history_status(struct store *d, const char *app_id, int64_t version);
/* Roll back every app whose newest revision (an update with
 * rollback_after_s) has an instance not RUNNING that revision after that
 * many seconds. Called once a second by the server loop. */
void app_history_tick(struct ctl *c);
extern const struct http_route admin_app_history_routes[];

/* ---- for other modules (the access checks) ---- */

/* Call fn(ctx, device id) for each volume whose id or name is ref; a
 * nonzero return of fn stops the walk and is returned. 0 or -EIO. */
int volumes_each_device_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *device_id),
			   void *ctx);

#endif
