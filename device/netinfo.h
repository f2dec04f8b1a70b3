// SPDX-License-Identifier: Apache-2.0
/* The device's port configurations as EVE reports them (ZInfoDevice
 * systemAdapter): the current setting with each port's addressing, link,
 * last success and last failure with its reason, and the rolled-back
 * setting, if any, after it. */
#ifndef EVE_NETINFO_H
#define EVE_NETINFO_H

#include "info/info.pb-c.h"
#include "netmgr.h"

struct netinfo;

/* Build from nm's state now; *out freed with netinfo_free. -ENOENT when
 * there is nothing to report (only the config dir's ports in use). */
int netinfo_build(const struct netmgr *nm, struct netinfo **out);
/* The message (owned by ni, valid until netinfo_free). */
const Org__Lfedge__Eve__Info__SystemAdapterInfo *netinfo_msg(const struct netinfo *ni);
void netinfo_free(struct netinfo *ni);

#endif
