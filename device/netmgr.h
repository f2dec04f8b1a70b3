/* Management connectivity: which port (interface) and proxy the agent uses
 * to reach its controller. The ports and proxy come from the config dir
 * and may be replaced by the controller's config (uplink system adapters,
 * entProxy); the agent tries each port in turn, keeps the last working one,
 * and rolls back a new network setting that does not reach the controller
 * within a timeout (EVE's rule: never let a config cut the device off). */
#ifndef EVE_NETMGR_H
#define EVE_NETMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devapi.h"

#define NETMGR_MAX_PORTS 8
#define NETMGR_NAME_MAX 16
#define NETMGR_PROXY_MAX 256

struct netmgr_setting {
	char ports[NETMGR_MAX_PORTS][NETMGR_NAME_MAX]; /* none = any route */
	size_t n_ports;
	char proxy[NETMGR_PROXY_MAX]; /* "" = direct */
};

struct netmgr;

/* server and ca_path are copied; initial is the config dir's setting. */
int netmgr_new(const char *server, const char *ca_path, const struct netmgr_setting *initial,
	       struct netmgr **out);
void netmgr_free(struct netmgr *nm);
/* The connection to use now (owned by nm; valid until the next netmgr
 * call). NULL when none could be created. */
struct devapi *netmgr_api(struct netmgr *nm);
/* Report the outcome of a request through netmgr_api: reached = an HTTP
 * answer arrived. A failure moves on to the next port; a success commits a
 * setting under trial. */
void netmgr_report(struct netmgr *nm, bool reached, uint64_t now_ms);
/* Offer a setting from the controller's config. A setting equal to the
 * current one, or one already rolled back, is ignored (returns 0); a new
 * one is tried for up to trial_ms and returns 1. */
int netmgr_propose(struct netmgr *nm, const struct netmgr_setting *s, uint64_t now_ms, uint64_t trial_ms);
/* Roll back a setting whose trial ran out; returns true when it did. */
bool netmgr_tick(struct netmgr *nm, uint64_t now_ms);
/* The current setting's port in use ("" when none). */
const char *netmgr_port(const struct netmgr *nm);

#endif
