// SPDX-License-Identifier: Apache-2.0
/* Management port addressing: puts a port's IPv4 configuration on the host
 * interface (netlink through libmnl: link up, address, default route with a
 * metric from the port's cost) and runs one DHCP client per DHCP port
 * (busybox udhcpc, whose lease the agent applies itself). Only interfaces
 * passed here are touched; the caller decides which ones it may manage. */
#ifndef EVE_PORTCFG_H
#define EVE_PORTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PORTCFG_NAME_MAX 16
#define PORTCFG_IP_MAX 48 /* "a.b.c.d/nn" and more */
#define PORTCFG_DNS_MAX 4

enum portcfg_mode {
	PORTCFG_ASIS = 0,   /* not managed: the host's addressing is used */
	PORTCFG_DHCP = 1,   /* DHCP client */
	PORTCFG_STATIC = 2, /* address, gateway, DNS from the config */
};

/* A port's addressing (wanted or obtained): IPv4 (static or DHCP) or a
 * static IPv6 address. */
struct portcfg_addr {
	char addr[PORTCFG_IP_MAX]; /* "a.b.c.d/nn" or "fd00::2/64"; "" none */
	char gw[PORTCFG_IP_MAX];   /* "" none */
	char dns[PORTCFG_DNS_MAX][PORTCFG_IP_MAX];
	size_t n_dns;
};

/* Apply a static address to ifname (IPv4 or IPv6, the gateway of the same
 * family; an IPv6 address without duplicate detection): link up, other
 * addresses of that family removed (IPv6 link-local ones kept),
 * addr added, default route via gw (when set) with metric. 0 or a negative
 * errno; *step (static string) names the step that failed. */
int portcfg_apply(const char *ifname, const struct portcfg_addr *a, uint32_t metric, const char **step);
/* Remove every IPv4 address of ifname (its routes go with them). */
int portcfg_flush(const char *ifname);
/* Set the link of ifname up. */
int portcfg_link_up(const char *ifname);

/* Start a DHCP client for ifname that writes its lease to lease_path (a
 * file of key=value lines: ip, mask, router, dns). script_path is written
 * (0700) first. Returns the client's pid, or a negative errno. */
pid_t portcfg_dhcp_start(const char *ifname, const char *lease_path, const char *script_path);
/* Stop a client started by portcfg_dhcp_start (pid <= 0: no-op). */
void portcfg_dhcp_stop(pid_t pid);
/* Read a lease file into *out. 0, -ENOENT (no lease yet), -EVE_EPROTO. */
int portcfg_lease_read(const char *lease_path, struct portcfg_addr *out);

/* The interface's IPv4 and IPv6 addresses but link-local ones
 * ("a.b.c.d/nn,fd00::2/64", comma separated) into buf
 * ("" when none); whether its link is up in *up. 0 or -ENODEV. */
int portcfg_status(const char *ifname, char *buf, size_t size, bool *up);

#endif
