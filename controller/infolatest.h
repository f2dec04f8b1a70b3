// SPDX-License-Identifier: Apache-2.0
/* The latest info record a device reported, by type and object: the
 * info_latest table, written as reports.c stores info, read by the admin
 * views (networks, volumes, ...). */
#ifndef CTL_INFOLATEST_H
#define CTL_INFOLATEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "info/info.pb-c.h"

struct store;

/* The latest ZInfoMsg of device dev with this type ("device", "network",
 * "volume", ...) and object id (NULL: any object of the type). NULL when
 * none or unreadable; the caller frees it with
 * org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL). */
Org__Lfedge__Eve__Info__ZInfoMsg *infolatest_get(struct store *d, const char *dev, const char *type,
						 const char *object);

/* The same, as the JSON of the message's info content (ZInfoVolume,
 * ZInfoNetworkInstance, ...); json_null() when there is none. New
 * reference. */
json_t *infolatest_content_json(struct store *d, const char *dev, const char *type, const char *object);

/* Keep msg (len bytes, a packed ZInfoMsg or ZHardwareHealth) as the latest
 * record of device dev for type and object, received at time t. 0 /
 * negative errno. */
int infolatest_put(struct store *d, const char *dev, const char *type, const char *object, int64_t t,
		   const uint8_t *msg, size_t len);

#endif
