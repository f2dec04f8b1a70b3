// SPDX-License-Identifier: Apache-2.0
/* The controller's model of each device's hardware: its ports and I/O
 * adapters (EVE's PhysicalIO) and how each network port is used and
 * addressed (EVE's SystemAdapter + NetworkConfig). Learned from the
 * device's info (ports the device manages through, ZInfoNetwork.uplink),
 * edited by the admin (/api/v1/devices/{d}/io, `evectl device io`), sent
 * in the config as deviceIoList, systemAdapterList and networks
 * (config_build.c). Table device_io (schema m_interop). */
#ifndef CTL_DEVICEIO_H
#define CTL_DEVICEIO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "http.h"
#include "info/info.pb-c.h"

#define DEVICEIO_MAX 64        /* ports and adapters per device */
#define DEVICEIO_PAC_MAX 16384 /* longest PAC script (decoded): the agent's limit */
#define DEVICEIO_PAC_B64_MAX (4 * ((DEVICEIO_PAC_MAX + 2) / 3)) /* its base64 text */

struct deviceio_port {
	char phylabel[32];     /* unique per device, e.g. "eth0" */
	char logicallabel[32]; /* what networks and adapters refer to */
	char ifname[16];       /* phyaddrs "ifname" (network ports) */
	char pcilong[32];      /* phyaddrs "pcilong", e.g. 0000:02:00.0 */
	char usbaddr[32];      /* phyaddrs "usbaddr", e.g. 1:2.3 */
	char serial[64];       /* phyaddrs "serial", e.g. /dev/ttyS1 */
	char assigngrp[32];    /* "" = not assignable to an app */
	int ptype;             /* org.lfedge.eve.common.PhyIoType */
	int usage;             /* org.lfedge.eve.common.PhyIoMemberUsage */
	uint32_t cost;         /* 0 (free) .. 255 */
	char dhcp[8];          /* "client", "static", "none" */
	char ip[48];           /* static: address/prefix */
	char gateway[48];
	char dns[256];                          /* comma-separated addresses */
	char proxy[256];                        /* http://host:port or "" */
	char no_proxy[256];                     /* proxy exceptions, comma-separated */
	char pacfile[DEVICEIO_PAC_B64_MAX + 1]; /* PAC script, base64 (ProxyConfig.pacfile), or "" */
	char source[8];                         /* "device" (learned) or "admin" */
};

/* Whether a port of this usage is an IP endpoint of the device (gets a
 * SystemAdapter): management (+apps), management only, shared by apps. */
int deviceio_is_endpoint(const struct deviceio_port *p);
/* Whether EVE manages the device through it. */
int deviceio_is_mgmt(const struct deviceio_port *p);

/* The model of device uuid, ordered by phylabel; *out is caller-freed
 * (NULL with *n = 0 when empty). 0 or -errno. */
int deviceio_list(struct store *d, const char *uuid, struct deviceio_port **out, size_t *n);

/* Learn from a device's ZInfoDevice (inside the caller's transaction): a
 * network port the device reports as a management port (uplink) and that
 * the model lacks is added (usage management, DHCP client). Returns the
 * number of ports added (the caller then bumps the config), or -errno. */
int deviceio_learn(struct store *d, const char *uuid, const Org__Lfedge__Eve__Info__ZInfoDevice *di);

/* Admin API: GET /devices/{d}/io, PUT and DELETE /devices/{d}/io/{port}. */
extern const struct http_route admin_deviceio_routes[];

#endif
