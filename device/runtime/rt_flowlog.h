// SPDX-License-Identifier: Apache-2.0
/* Flow logs of apps (EVE's FlowMessage, org.lfedge.eve.flowlog): every
 * RT_FLOWLOG_PERIOD_MS the runtime thread collects, per app adapter on a
 * local network instance,
 *  - accepted flows from conntrack (the app's address as original source,
 *    or as reply source of a port-mapped connection), with packets and
 *    bytes (nf_conntrack_acct is switched on) and the ACE that allowed
 *    them (the first of the adapter's ACEs that matches, as the rules do);
 *  - dropped flows from the firewall's drop sets (rt_firewall.c: the ACE
 *    id, or 0 for the default drop, is the packet mark the drop rule set);
 *  - DNS requests from the network instance's DNS server log (rt_dns.c).
 * A flow is reported when first seen, when it ends and when its counters
 * grew since the last report; each collection becomes one packed
 * FlowMessage per adapter, queued within RT_FLOWLOG_BUDGET bytes (the
 * oldest are dropped first). The agent takes them with
 * runtime_flowlog_flush. */
#ifndef EVE_RT_FLOWLOG_H
#define EVE_RT_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#define RT_FLOWLOG_PERIOD_MS 5000
#define RT_FLOWLOG_BUDGET (256u << 10) /* queued bytes */
#define RT_FLOWLOG_MSG_RECORDS 256     /* flows (and DNS requests) per message */

struct runtime;
struct rt_flowlog;

/* Collect when the period has passed (runtime thread). */
void rt_flowlog_sync(struct runtime *rt);
void rt_flowlog_free(struct rt_flowlog *fl);

#endif
