// SPDX-License-Identifier: Apache-2.0
/* Glue between the update library and the EVE API messages: device info
 * (ZInfoDevSW per partition) and the controller's BaseOS config. */
#ifndef EVE_UPDATE_SWINFO_H
#define EVE_UPDATE_SWINFO_H

#include <stddef.h>

#include "config/baseosconfig.pb-c.h"
#include "info/info.pb-c.h"
#include "update.h"

/* Two ZInfoDevSW (IMGA, IMGB) for ZInfoDevice.swList. *arr and every
 * message and string in it are owned by the caller: free with
 * update_free_swinfo. */
int update_fill_swinfo(struct update *u, Org__Lfedge__Eve__Info__ZInfoDevSW ***arr, size_t *n);
void update_free_swinfo(Org__Lfedge__Eve__Info__ZInfoDevSW **arr, size_t n);

/* Fill req from EdgeDevConfig.baseos plus its content tree's resolved
 * download URL and sha256 (the agent resolves content_tree_uuid). Pointers
 * in req borrow from the arguments. -EINVAL when baseos has no version. */
int update_baseos_from_config(const Org__Lfedge__Eve__Config__BaseOS *b, const char *url, const char *sha256,
			      struct update_baseos *req);

#endif
