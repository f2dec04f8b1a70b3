// SPDX-License-Identifier: Apache-2.0
/* The devices table's rows as the config builder and the config change
 * path need them: the store half of the devices module (devices.c holds
 * /api/v1/devices and calls config_build.c, which reads through here, so
 * this file sits below both). */
#ifndef CTL_DEVICES_STORE_H
#define CTL_DEVICES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "uuidgen.h"

/* What a device's EdgeDevConfig is built from; strings are valid during
 * the callback only. */
struct devices_config_row {
	int64_t config_version;    /* EdgeDevConfig.id.version */
	int64_t reboot_counter;    /* DeviceOpsCmd.counter */
	const char *config_items;  /* JSON object of the device's config items */
	const char *project_items; /* JSON object of its project's config items ("{}" none) */
	const char *baseos_image;  /* image id, NULL: none */
	bool baseos_activate;
	int64_t baseos_retry;
};

/* Call fn with device uuid's row. fn's return, -ENOENT, -EIO. */
int devices_store_config_row(struct store *d, const char *uuid,
			     int (*fn)(void *ctx, const struct devices_config_row *row), void *ctx);
/* The id of the device whose id or name is ref. 0, -ENOENT, -EIO. */
int devices_store_resolve(struct store *d, const char *ref, char uuid[UUID_STR_LEN]);
/* Devices in the projects granted (",a,b," or "*"); 0 on a store error. */
int64_t devices_store_count(struct store *d, const char *grants);
/* Number a new config of device uuid (config_version + 1). 0 / negative
 * errno. */
int devices_store_bump_config(struct store *d, const char *uuid);
/* The device's config items (a JSON object's text) into *items (the
 * caller frees it). 0, -ENOENT, -ENOMEM, -EIO. */
int devices_store_config_items(struct store *d, const char *uuid, char **items);
/* Store items (a JSON object's text) if the stored ones are still expect
 * (what the caller merged into): 0; -EAGAIN when another request changed
 * them since (read, merge and try again); -EIO. */
int devices_store_set_config_items(struct store *d, const char *uuid, const char *expect, const char *items);

/* ---- for other modules (the access checks, projects, volumes, apps) ---- */

#define DEVICES_PROJECT_LEN 64
/* The project of device uuid. 0, -ENOENT, -EIO. */
int devices_store_project(struct store *d, const char *uuid, char project[DEVICES_PROJECT_LEN]);
/* Call fn(ctx, project) for each device whose id or name is ref; a nonzero
 * return of fn stops the walk and is returned. 0 or -EIO. */
int devices_store_each_project_of(struct store *d, const char *ref, int (*fn)(void *ctx, const char *project),
				  void *ctx);
/* Call fn(ctx, uuid, name, labels) for each device of a project (NULL:
 * every device; labels: its JSON object); a nonzero return of fn stops
 * the walk and is returned. The strings are valid during the call only.
 * 0 or -EIO. */
int devices_store_each_in_project(struct store *d, const char *project,
				  int (*fn)(void *ctx, const char *uuid, const char *name,
					    const char *labels),
				  void *ctx);
/* Device uuid's labels (a JSON object) and name, copied into *labels /
 * *name (the caller frees them). 0, -ENOENT, -ENOMEM, -EIO. */
int devices_store_labels(struct store *d, const char *uuid, char **labels);
int devices_store_name(struct store *d, const char *uuid, char **name);
/* Devices whose base OS is image image_id; -EIO. */
int64_t devices_store_count_baseos(struct store *d, const char *image_id);

/* ---- reads and writes for reports, ops, fleet export, console ---- */

/* Record the base OS version device uuid runs (ZInfoDevSW activated). */
int devices_store_set_os_version(struct store *d, const char *uuid, const char *version);
/* Record the version it fell back from or failed to install ("" none)
 * and why: what a base OS rollout gates on. 0 / negative errno. */
int devices_store_set_os_failed(struct store *d, const char *uuid, const char *version, const char *why);
/* Call fn(ctx, label, n) for each reported base OS version with its
 * number of devices, most first; a non-zero return of fn stops the walk
 * and is returned. 0 / -EIO. */
int devices_store_count_by_os_version(struct store *d, int (*fn)(void *ctx, const char *label, int64_t n),
				      void *ctx);

/* A device as lists show it; strings are valid during the callback only. */
struct devices_store_row {
	const char *id;
	const char *name;
	const char *labels;       /* JSON object text */
	const char *config_items; /* JSON object text */
	int64_t last_seen;        /* stored (flushed) value, 0: never */
	const char *os_version;   /* the base OS it reports running */
	const char *os_failed;    /* the version it fell back from ("" none) */
	const char *os_failed_reason;
};
/* Call fn for the first max devices by name; a non-zero return of fn
 * stops the walk and is returned. 0 / -EIO. */
int devices_store_each(struct store *d, int64_t max,
		       int (*fn)(void *ctx, const struct devices_store_row *row), void *ctx);
/* Point device uuid at base OS image_id and have it activated (a
 * rollout's step; its failure from before is forgotten). 0 / -errno. */
int devices_store_set_baseos(struct store *d, const char *uuid, const char *image_id);
/* Point device uuid back at base OS image prev (NULL: none, not
 * activated) when it is still at image cur. 0 / negative errno. */
int devices_store_revert_baseos(struct store *d, const char *uuid, const char *prev, const char *cur);
/* The base OS image device uuid is at into out (UUID_STR_LEN bytes);
 * *none when it has none. 0, -ENOENT, -EIO. */
int devices_store_baseos(struct store *d, const char *uuid, char out[UUID_STR_LEN], bool *none);
/* Call fn for each device whose id is in ids (JSON array text of ids),
 * by name (one query for the whole set). A non-zero return of fn stops
 * the walk and is returned. 0 / -EIO. */
int devices_store_each_of(struct store *d, const char *ids,
			  int (*fn)(void *ctx, const struct devices_store_row *row), void *ctx);

#endif
