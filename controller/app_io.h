// SPDX-License-Identifier: Apache-2.0
/* I/O adapters assigned to apps (EVE's AppInstanceConfig.adapters): an
 * app spec's "io" names adapters of its device's hardware model
 * (deviceio.h) by logical label. An adapter is assignable when it has an
 * assignment group; every adapter of a group goes to one app only. */
#ifndef EVE_CTL_APP_IO_H
#define EVE_CTL_APP_IO_H

#include <stddef.h>
#include <jansson.h>

#include "store.h"

#define APP_IO_MAX 16 /* adapters per app */

/* Check spec "io" (array of labels; may be NULL) of app `app` on device
 * dev_uuid: each names an assignable adapter of the device, none is in an
 * assignment group another app of the device holds. 0, or an HTTP status
 * (400 malformed / not assignable, 404 unknown adapter, 409 held by another
 * app) with the reason in err. */
int app_io_check(struct store *d, const char *dev_uuid, const char *app, json_t *io, char *err,
		 size_t errlen);

/* The PhyIoType of adapter `label` of device dev_uuid; -ENOENT. */
int app_io_type(struct store *d, const char *dev_uuid, const char *label);

#endif
