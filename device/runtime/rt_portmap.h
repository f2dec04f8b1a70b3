// SPDX-License-Identifier: Apache-2.0
/* Port maps (host port -> app port) of apps on local (NAT) network
 * instances. EVE carries them as ACEs on the app's network adapter: matches
 * {protocol: tcp|udp, lport: <host port>} and an action {portmap, appPort}.
 * While such an app runs and has a DHCP lease, connections to the host port
 * on any of the host's addresses (from outside: PREROUTING; from the host
 * itself, 127.0.0.1 included: OUTPUT) are DNATed to <app IP>:<app port>.
 *
 * Rules per app: an nftables table "ip eve-pm-<app uuid>" (replaced
 * atomically with `nft -f`), plus an iptables chain "EVEPM-<hash>" jumped
 * to from FORWARD that accepts the DNATed connections (libvirt's own
 * LIBVIRT_FWI chain rejects new connections into a NAT network). The
 * ruleset installed for an app is kept in <state>/portmaps/<uuid>.nft: it
 * marks the rules as this runtime's (several runtimes may share a host) and
 * is what a later pass compares with. See device/runtime/README.md. */
#ifndef EVE_RT_PORTMAP_H
#define EVE_RT_PORTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config/devconfig.pb-c.h"

#define RT_PORTMAP_MAX 64 /* port maps per app */

struct runtime;

struct rt_portmap {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host;
	uint16_t app;
};

/* The port maps among an adapter's ACEs, at most max into out (ACEs that
 * are not port maps, or whose protocol or ports are invalid, are skipped).
 * Returns the number written. */
size_t rt_portmap_parse(const Org__Lfedge__Eve__Config__NetworkAdapter *na, struct rt_portmap *out,
			size_t max);

/* Append to out the nft script that (re)creates the table of app uuid:
 * maps m[0..n) to ip (IPv4) behind bridge. -EINVAL on an invalid ip or
 * bridge name, buf errors otherwise. */
int rt_portmap_nft(const char *uuid, const char *bridge, const char *ip, const struct rt_portmap *m, size_t n,
		   struct buf *out);

/* Converge the host's rules to the apps that run now (called every pass,
 * after the apps; the first pass of a runtime reinstalls everything, so an
 * agent or host restart gets the rules back). Rules of apps that stopped,
 * lost their IP or left the config are removed. */
void rt_portmap_sync(struct runtime *rt);

#endif
