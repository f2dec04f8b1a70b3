/* Management connectivity: which port (interface) and proxy the agent uses
 * to reach its controller. The ports and proxy come from the config dir
 * and may be replaced by the controller's config (uplink system adapters,
 * entProxy); the agent tries each port in turn, keeps the last working one
 * (also across restarts, in a state file), and rolls back a new network
 * setting that does not reach the controller within a timeout (EVE's rule:
 * never let a config cut the device off). */
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

/* Runtime configuration properties of connectivity (config items). */
struct netmgr_props {
	uint32_t send_timeout_s; /* timer.send.timeout: whole request; 0 = devapi's default */
	uint64_t better_ms;      /* timer.port.testbetterinterval: retry the first port after; 0 = never */
	bool fallback_any;       /* network.fallback.any.eth: no port reaches: try any route */
};

struct netmgr;

/* server and ca_path are copied; initial is the config dir's setting. */
int netmgr_new(const char *server, const char *ca_path, const struct netmgr_setting *initial,
	       struct netmgr **out);
void netmgr_free(struct netmgr *nm);
/* Persist the port that last worked in path (a state file, copied): the
 * port read from it now is used first whenever a setting has it (now, a
 * proposed setting, a rollback), and the file is replaced atomically each
 * time another port starts working. Returns 1 when the current setting
 * now starts at the remembered port, 0 when there is none (or no file), a
 * negative errno when the file is unreadable or not a port name (it is
 * then ignored and replaced by the next working port). */
int netmgr_persist(struct netmgr *nm, const char *path);
/* The connection to use now (owned by nm; valid until the next netmgr
 * call). NULL when none could be created. */
struct devapi *netmgr_api(struct netmgr *nm);
/* Report the outcome of a request through netmgr_api: reached = an HTTP
 * answer arrived. A failure moves on to the next port; a success commits a
 * setting under trial and remembers its port. Returns 0, or a negative
 * errno when a newly working port could not be persisted (it is still
 * used and remembered in memory; the next port change writes again). */
int netmgr_report(struct netmgr *nm, bool reached, uint64_t now_ms);
/* Offer a setting from the controller's config. A setting equal to the
 * current one, or one already rolled back, is ignored (returns 0); a new
 * one is tried for up to trial_ms and returns 1. */
int netmgr_propose(struct netmgr *nm, const struct netmgr_setting *s, uint64_t now_ms, uint64_t trial_ms);
/* Roll back a setting whose trial ran out; returns true when it did. */
bool netmgr_tick(struct netmgr *nm, uint64_t now_ms);
/* Whether the current setting is a new one still on trial. */
bool netmgr_on_trial(const struct netmgr *nm);
/* The current setting's port in use ("" when none, or when the fallback
 * to any route is in use). */
const char *netmgr_port(const struct netmgr *nm);
/* Take new properties (the connection is rebuilt when they change what it
 * uses). Turning the fallback off while it is in use goes back to the
 * setting's ports at once. */
void netmgr_set_props(struct netmgr *nm, const struct netmgr_props *p, uint64_t now_ms);
/* Whether requests go through any route because no port reached. */
bool netmgr_on_any_route(const struct netmgr *nm);

#endif
