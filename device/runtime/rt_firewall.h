// SPDX-License-Identifier: Apache-2.0
/* The distributed firewall: the ACLs (ACEs) of each app's network adapters,
 * enforced with nftables as EVE defines them (see docs/firewall.md):
 *
 *  - an adapter allows only what an ACE allows; everything else is dropped
 *    (an adapter without ACEs reaches nothing but DHCP and the network
 *    instance's DNS; controllers send one allow-all ACE, ip 0.0.0.0/0);
 *  - an ACE's matches are ANDed and apply in both directions: `ip X`
 *    allows traffic from the app to X and from X to the app; `fport` is the
 *    remote port, `lport` the app's; `host NAME` matches the addresses the
 *    network instance's DNS server resolved NAME (or a subdomain) to;
 *  - actions: none = allow, `drop`, `limit` (allow up to rate/unit with a
 *    burst, drop the excess), `portmap` (allow inbound connections to the
 *    app port; the DNAT itself is rt_portmap.c's).
 *
 * One nftables table per app, "bridge eve-fw-<app uuid>", made for every
 * configured app on an online network instance before the app starts, and
 * replaced atomically (`nft -f`, one transaction) when its ACLs change.
 * Frames are matched by the adapter's MAC on the network instance's bridge,
 * so rules need no DHCP lease and also see app-to-app traffic. The table
 * lives in the kernel: an agent that dies leaves it in place (fail closed);
 * a restarted agent rebuilds the same script from the checkpointed config
 * and keeps the table when the kernel holds exactly that script (the
 * table's comment is the script's SHA-256). An app whose rules could not be
 * installed is not started. */
#ifndef EVE_RT_FIREWALL_H
#define EVE_RT_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config/devconfig.pb-c.h"

#define RT_FW_MAX_ACES 64  /* per adapter */
#define RT_FW_MAX_NICS 8   /* adapters per app with rules */
#define RT_FW_HOST_MAX 253 /* DNS name */
#define RT_FW_SCRIPT_MAX (256u << 10)
#define RT_FW_DROP_SET_MAX 4096  /* dropped flows remembered per adapter and direction */
#define RT_FW_DROP_TIMEOUT_S 600 /* ... for this long after their last packet */

struct runtime;

enum rt_fw_action { RT_FW_ALLOW, RT_FW_DROP, RT_FW_LIMIT, RT_FW_PORTMAP };

/* One parsed ACE. Zero / empty fields match anything. */
struct rt_fw_ace {
	int32_t id;
	enum rt_fw_action action;
	char net[20];                  /* "a.b.c.d/len" */
	char host[RT_FW_HOST_MAX + 1]; /* DNS name (lower case) */
	int proto;                     /* IP protocol number, -1 = any */
	uint16_t lport_lo, lport_hi;   /* app side */
	uint16_t fport_lo, fport_hi;   /* remote side */
	uint32_t rate, burst;          /* limit */
	const char *unit;              /* limit: "second" | "minute" | "hour" | "day" */
	uint16_t app_port;             /* portmap */
};

/* Parse one ACE. 0, or -EINVAL with the reason in err (the ACE is then
 * left out: a missing allow only allows less). Returns 1 for ACEs that do
 * not apply to IPv4 (an IPv6 `ip`), skipped as EVE does. */
int rt_fw_parse_ace(const Org__Lfedge__Eve__Config__ACE *ace, struct rt_fw_ace *out, char *err,
		    size_t errlen);

/* Name of the set (in the app's table) of the addresses the network
 * instance's DNS server gave for host and its subdomains: "host_" + 16 hex
 * of SHA-256(host), stable across rule changes. */
void rt_fw_host_set(const char *host, char out[24]);

/* One adapter of an app as the rules see it. */
struct rt_fw_nic {
	char mac[18];   /* lower case */
	const char *gw; /* the network instance's address ("" on a switch) */
	const struct rt_fw_ace *aces;
	size_t n_aces;
};

/* Append the nft script (re)creating app uuid's table for nics[0..n) to
 * out; the table's comment carries the SHA-256 of the rest (hash_hex, 64
 * hex + NUL, may be NULL). -EINVAL on bad names or addresses. */
int rt_fw_nft(const char *uuid, const struct rt_fw_nic *nics, size_t n, struct buf *out, char *hash_hex);

/* Run argv (nft, conntrack: also looked up in /usr/sbin); its stdout into
 * out (may be NULL; cut at out's cap), the first line of stderr into err.
 * 0 on exit status 0, -ENOENT when the program is missing. */
int rt_fw_run(char *const argv[], struct buf *out, char *err, size_t errlen);

/* Install or update the firewall tables of the configured apps (called
 * every pass after the network instances, before the apps start). */
void rt_firewall_sync(struct runtime *rt);

/* Remove the tables of apps that left the config (also while the agent
 * was down): called at the end of a pass, after their domains are gone, so
 * an app never runs without its rules. */
void rt_firewall_gc(struct runtime *rt);

/* True when app uuid's rules are in place (or it needs none); otherwise
 * false with the reason in err: the app must not start. */
bool rt_firewall_ready(struct runtime *rt, const char *uuid, char *err, size_t errlen);

/* Drop the runtime's per-app firewall state (at runtime_free). The kernel's
 * tables stay. */
void rt_firewall_free(struct runtime *rt);

#endif
