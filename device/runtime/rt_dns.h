// SPDX-License-Identifier: Apache-2.0
/* The DNS server of each local network instance: a dnsmasq of our own
 * (libvirt's network dnsmasq only does DHCP, and announces this server),
 * listening on the instance's gateway address, forwarding to the upstream
 * servers (runtime_opts.dns_resolv, default /etc/resolv.conf) without a
 * cache, and filling the nft sets of apps' `host` ACEs (dnsmasq's nftset=)
 * with the addresses of each answer for that name or a subdomain: an app
 * reaches a host only after resolving it through its network instance.
 * Its queries are logged (<state>/dns/<ni uuid>.log) for the flow logs.
 *
 * State: <state>/dns/<ni uuid>.conf (what runs), .pid, .log. A restarted
 * agent keeps a running server whose configuration is unchanged. */
#ifndef EVE_RT_DNS_H
#define EVE_RT_DNS_H

#include "buf.h"

struct runtime;

/* Append to out the dnsmasq configuration of network instance ni_uuid
 * (gateway gw, upstream resolv file, files under dir) with one nftset line
 * per host ACE of the apps on it (taken from the runtime's config).
 * -EINVAL on a bad gateway. */
int rt_dns_conf(struct runtime *rt, const char *ni_uuid, const char *gw, const char *dir, struct buf *out);

/* Converge the DNS servers to the online local network instances (after
 * rt_firewall_sync, so the sets exist); stop those of instances that left. */
void rt_dns_sync(struct runtime *rt);

#endif
