// SPDX-License-Identifier: Apache-2.0
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

#include <time.h>

#include "devapi.h"
#include "dlroute.h"
#include "pac.h"
#include "portcfg.h"

#define NETMGR_MAX_PORTS 8
#define NETMGR_NAME_MAX 16
#define NETMGR_LABEL_MAX 64
#define NETMGR_PROXY_MAX 256
#define NETMGR_ERR_MAX 192

/* One management port of a setting (EVE's NetworkPortConfig, IPv4). */
struct netmgr_port {
	char name[NETMGR_NAME_MAX];        /* interface name */
	char label[NETMGR_LABEL_MAX];      /* logical label ("" = name) */
	uint32_t cost;                     /* 0 = preferred (free); equal costs share the load */
	enum portcfg_mode mode;            /* PORTCFG_ASIS: the host's addressing */
	struct portcfg_addr want;          /* PORTCFG_STATIC: address/gateway/DNS */
	char proxy[NETMGR_PROXY_MAX];      /* "" = the setting's proxy */
	char exceptions[NETMGR_PROXY_MAX]; /* hosts/domains reached DIRECT (ProxyConfig.exceptions) */
	char pac[PAC_SCRIPT_MAX];          /* PAC script ("" none): chooses the proxy; wins over proxy */
};

struct netmgr_setting {
	struct netmgr_port ports[NETMGR_MAX_PORTS]; /* none = any route */
	size_t n_ports;
	char proxy[NETMGR_PROXY_MAX];      /* "" = direct */
	char exceptions[NETMGR_PROXY_MAX]; /* with proxy: hosts/domains reached DIRECT */
	char pac[PAC_SCRIPT_MAX];          /* PAC script for ports without their own proxy/PAC */
};

/* What the device knows about one port of the current setting. */
struct netmgr_port_state {
	bool up;                      /* link up with carrier */
	char addrs[128];              /* "a.b.c.d/nn,..." as the host has them */
	struct portcfg_addr have;     /* applied static config or DHCP lease */
	time_t last_ok, last_fail;    /* wall clock; 0 = never */
	bool rejoined;                /* its link came back up after last_fail: in the rotation again */
	char err[NETMGR_ERR_MAX];     /* reason of the last failure */
	char cfg_err[NETMGR_ERR_MAX]; /* why the port could not be configured ("" ok) */
};

/* Runtime configuration properties of connectivity (config items). */
struct netmgr_props {
	uint32_t send_timeout_s; /* timer.send.timeout: whole request; 0 = devapi's default */
	uint64_t better_ms;      /* timer.port.testbetterinterval: retry the first port, and a
				    setting rolled back in this run, after; 0 = never */
	bool fallback_any;       /* network.fallback.any.eth: no port reaches: try any route */
	uint64_t test_ms;        /* timer.port.testinterval: port test every; 0 = never */
	uint32_t test_timeout_s; /* timer.port.timeout: each port test request; 0 = devapi's default */
	uint64_t trial_ms;       /* timer.port.testduration: trial of a retried setting */
	struct pac_limits pac;   /* limits of a PAC evaluation (0s: pac.h's defaults) */
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
 * current one is ignored (returns 0); one already rolled back (also before
 * a restart: netmgr_persist_setting) is ignored too and returns 2 the first
 * time it is offered in this run; a new one is tried for up to trial_ms
 * and returns 1. */
int netmgr_propose(struct netmgr *nm, const struct netmgr_setting *s, uint64_t now_ms, uint64_t trial_ms);
enum netmgr_tick_result {
	NETMGR_TICK_NONE = 0,
	NETMGR_TICK_ROLLED_BACK = 1, /* a setting's trial ran out: the last working one is back */
	NETMGR_TICK_RETRY = 2,       /* the setting rolled back in this run is on trial again */
};
/* Roll back a setting whose trial ran out; every timer.port.testbetterinterval
 * put a setting rolled back in this run (not one loaded from the file: it
 * waits for the controller) on trial again (EVE retries its newest DPC). */
enum netmgr_tick_result netmgr_tick(struct netmgr *nm, uint64_t now_ms);
/* Whether the periodic port test (timer.port.testinterval) is due. */
bool netmgr_test_due(const struct netmgr *nm, uint64_t now_ms);
/* The port test (EVE's connectivity test of the current port config): GET
 * /ping on each usable port of the current setting in cost order, each
 * bounded by timer.port.timeout, until one answers. Failures are recorded
 * per port (and move the setting off a failing port); a cheaper port that
 * answers becomes the port in use. One line per port tried goes to out
 * ("" when nothing was tested). Returns the number of ports that answered
 * (0 or 1). Blocks up to timeout x ports. */
int netmgr_port_test(struct netmgr *nm, uint64_t now_ms, char *out, size_t size);
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

/* ---- managed ports (device/portcfg) ---- */

/* Let nm configure the interfaces named in allowed (copied; "*" = every
 * port of a setting) and keep DHCP leases and the setting state in
 * state_dir (copied). Without this call no interface is touched. */
int netmgr_manage(struct netmgr *nm, const char *const *allowed, size_t n, const char *state_dir);
/* Persist the working and the rolled-back setting in path (atomic, 0600):
 * loads them now (the working one becomes current; a proposal equal to the
 * rolled-back one is ignored, also after a restart, until the controller
 * sends another). 1 when a working setting was loaded, 0 none, negative
 * errno for an unreadable/invalid file (ignored, replaced on next change). */
int netmgr_persist_setting(struct netmgr *nm, const char *path);
/* Apply the current setting to the managed interfaces when it changed,
 * follow DHCP leases and link states. Call about once a second. Returns
 * true when something a diagnosis would show changed. */
bool netmgr_poll(struct netmgr *nm);
/* After netmgr_persist_setting: make the setting that the running agent
 * has on trial (saved in the file) the current one, for diagnosis. false
 * when none is on trial. */
bool netmgr_show_trial(struct netmgr *nm);
/* Fill the per-port state (links, addresses, DHCP leases) without
 * configuring anything (for `eve-agent diag`). */
void netmgr_observe(struct netmgr *nm);
/* Diagnose every port of the current setting (conndiag.h) into out;
 * returns how many reach the controller. Blocks up to a few timeouts. */
size_t netmgr_diag(struct netmgr *nm, int timeout_s, char *out, size_t size);
/* The current setting and its per-port state (owned by nm). */
const struct netmgr_setting *netmgr_setting(const struct netmgr *nm);
const struct netmgr_port_state *netmgr_port_state(const struct netmgr *nm, size_t i);
/* The rolled-back setting, NULL when none. */
const struct netmgr_setting *netmgr_rejected(const struct netmgr *nm);
/* Whether ports a and b of the current setting have the same cost. */
bool netmgr_same_cost(const struct netmgr *nm, const char *a, const char *b);
/* Index in the current setting of the port in use (n_ports when none). */
size_t netmgr_port_index(const struct netmgr *nm);
/* DPC-level times and last error of the current setting. */
void netmgr_dpc_times(const struct netmgr *nm, time_t *ok, time_t *fail, const char **err);
/* Record why the last request failed (text from devapi; copied). */
void netmgr_set_error(struct netmgr *nm, const char *why);
/* What the PAC script of port i (n_ports: any route) chose for the
 * controller's URL: the entry in use as PAC text ("PROXY h:p", "DIRECT")
 * into buf; 0, -ENOENT when the port has no PAC, or the negative errno of
 * the evaluation with its reason in buf. Evaluates when not yet done. */
int netmgr_pac_choice(struct netmgr *nm, size_t i, char *buf, size_t size);
/* The proxy the PAC script of port i (n_ports: any route) chooses for url
 * (e.g. a download), first entry: its URL ("" = DIRECT) into buf; 0,
 * -ENOENT (no PAC), or the evaluation's negative errno (reason in buf). */
int netmgr_pac_proxy_for(struct netmgr *nm, size_t i, const char *url, char *buf, size_t size);
/* The ways a download may go now (dlroute.h), in the order the controller's
 * requests take them: the port in use first, then the other usable ports
 * by cost; one entry without interface when the setting has no ports or
 * the fallback to any route is in use. Each with its explicit proxy and
 * exceptions or its PAC script (and what the script's helpers need). */
void netmgr_dlplan(const struct netmgr *nm, struct dlroute_plan *plan);
/* The DNS servers a port resolves with (its static config or lease);
 * *n = 0: the system resolver. */
const char (*netmgr_port_dns(const struct netmgr *nm, size_t i, size_t *n))[PORTCFG_IP_MAX];

#endif
