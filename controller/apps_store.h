// SPDX-License-Identifier: Apache-2.0
/* The apps and app_instances tables as modules below apps.c read them:
 * the store half of the apps module. apps.c (/api/v1/apps) calls
 * networks.c, volumes.c, images.c and devices.c's store, and those reach
 * the apps' rows through here, so this file sits below all of them (as
 * devices_store.c does for the devices table). */
#ifndef CTL_APPS_STORE_H
#define CTL_APPS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* Call fn(ctx, project) for each app whose id or name is ref; a nonzero
 * return of fn stops the walk and is returned. 0 or -EIO. */
int apps_store_each_project_of(struct db *d, const char *ref, int (*fn)(void *ctx, const char *project),
			       void *ctx);
/* Apps whose image is image_id; -EIO. */
int64_t apps_store_count_using_image(struct db *d, const char *image_id);
/* Call fn(ctx, name) for each app with an instance on device uuid, by
 * name; a nonzero return of fn stops the walk and is returned. 0 or -EIO. */
int apps_store_each_on_device(struct db *d, const char *uuid, int (*fn)(void *ctx, const char *name),
			      void *ctx);
/* The same for the apps with an instance on device uuid whose spec
 * attaches network `network` (by name). */
int apps_store_each_on_network(struct db *d, const char *uuid, const char *network,
			       int (*fn)(void *ctx, const char *name), void *ctx);
/* The name of the app (other than `except`, may be NULL) aimed at device
 * uuid whose spec uses volume `volume`, into user (n bytes; "" when none).
 * 0 or -EIO. */
int apps_store_user_of_volume(struct db *d, const char *uuid, const char *volume, const char *except,
			      char *user, size_t n);
/* Delete the apps whose spec aims at device uuid by id (the device is
 * being deleted). 0 or -EIO. */
int apps_store_delete_aimed_at(struct db *d, const char *uuid);

#endif
