// SPDX-License-Identifier: Apache-2.0
/* The routes of the device's downloads (app images, registry pulls,
 * signer certificates, base-OS images): the same management ports and
 * proxies as the controller's traffic, chosen for the URL being fetched
 * (EVE sends every download through the port's proxy config). The agent's
 * main loop publishes the connectivity manager's plan (netmgr_dlplan);
 * download threads ask dlroute_router() for a URL's routes: a port with a
 * PAC script gets its FindProxyForURL(url) entries in order, one with an
 * explicit proxy that proxy (its exceptions reached DIRECT), else DIRECT;
 * ports in the order the controller's requests use them. Thread-safe. */
#ifndef EVE_DLROUTE_H
#define EVE_DLROUTE_H

#include <stddef.h>

#include "download.h"
#include "pac.h"
#include "portcfg.h"

#define DLROUTE_PORTS_MAX 9 /* NETMGR_MAX_PORTS, and the any-route entry */

/* One port of the plan. */
struct dlroute_port {
	char ifname[PORTCFG_NAME_MAX]; /* "" = any route */
	char proxy[256];               /* explicit proxy URL ("" = DIRECT) */
	char exceptions[256];          /* with proxy: hosts/domains reached DIRECT */
	char pac[PAC_SCRIPT_MAX];      /* PAC script ("" none): wins over proxy */
	char my_ip[64];                /* the port's address (myIpAddress()) */
	char dns[PORTCFG_DNS_MAX][PORTCFG_IP_MAX];
	size_t n_dns; /* 0: the system resolver (dnsResolve()) */
};

struct dlroute_plan {
	struct dlroute_port ports[DLROUTE_PORTS_MAX]; /* in the order to try */
	size_t n;
	struct pac_limits lim;
};

struct dlroute;

int dlroute_new(struct dlroute **out);
void dlroute_free(struct dlroute *dr);
/* Publish a new plan (copied). Before the first one every download goes
 * DIRECT on the default route. */
void dlroute_set(struct dlroute *dr, const struct dlroute_plan *plan);
/* The router for download_opts / registry_pull_opts (owned by dr). */
const struct download_router *dlroute_router(struct dlroute *dr);
/* The routes of url under plan into out (at most max): the count, or
 * -EINVAL with the reason in why when every port's PAC failed for it.
 * Evaluates PAC scripts (a forked child each, pac.h): blocks up to their
 * timeouts. */
int dlroute_for(const struct dlroute_plan *plan, const char *url, struct download_route *out, size_t max,
		char *why, size_t whylen);

#endif
