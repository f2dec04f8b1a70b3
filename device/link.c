// SPDX-License-Identifier: Apache-2.0
/* The agent's link to the controller: paths of its state files, its
 * persistent counters, and every POST to the device API, which also tells
 * netmgr whether the controller was reached. Below onboard.c, config_poll.c,
 * attest.c, reporter.c and agent.c: it calls none of them. */
#include "agent_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "agentlog.h"
#include "err.h"
#include "fileio.h"

int agent_state_path(const struct agent *a, const char *name, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", a->o->state_dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int agent_counters_save(struct agent *a)
{
	char path[PATH_MAX], text[128];

	agent_state_path(a, "counters", path);
	snprintf(text, sizeof(text), "reboot=%u shutdown=%u restart=%u\n", a->reboot_counter,
		 a->shutdown_counter, a->restart_counter);
	return fileio_write_atomic(path, text, strlen(text), 0600);
}

/* POST a device-signed payload; reports reachability to netmgr. */
int agent_post(struct agent *a, struct ctlclient_xchg *x)
{
	int r;

	x->status = 0;
	ctlclient_set_api(a->cc, netmgr_api(a->nm));
	r = ctlclient_post(a->cc, x);
	agent_reached(a, x->status != 0);
	return r;
}

void agent_reached(struct agent *a, bool reached)
{
	const char *port = netmgr_port(a->nm);
	bool trial = netmgr_on_trial(a->nm);
	int r;

	/* the load moving between ports of one cost is no change of connectivity */
	bool moved =
	    reached && strcmp(port, a->last_ok_port) && !netmgr_same_cost(a->nm, port, a->last_ok_port);

	if (reached != a->online || moved) {
		a->diag_due = true; /* connectivity changed: print the diagnosis */
		alog(ALOG_DEBUG, "network: controller %s via %s", reached ? "reached" : "NOT reached",
		     *port ? port : "any route");
	}
	a->online = reached;
	if (reached && strcmp(port, a->last_ok_port)) {
		const char *any =
		    netmgr_on_any_route(a->nm) ? " via any route (network.fallback.any.eth)" : "";

		alog(moved || !a->last_ok_port[0] ? ALOG_INFO : ALOG_DEBUG, "network: controller reached%s%s",
		     *port ? " via management port " : "", *port ? port : any);
		snprintf(a->last_ok_port, sizeof(a->last_ok_port), "%s", port);
	}
	r = netmgr_report(a->nm, reached, now_ms());
	if (r < 0)
		alog(ALOG_WARN, "%s/" AGENT_PORT_FILE ": %s: working management port not saved",
		     a->o->state_dir, eve_strerror(r));
	if (reached && trial)
		alog(ALOG_INFO, "network: the new setting reached the controller: kept");
	if (!reached && netmgr_on_any_route(a->nm) && *port)
		alog(ALOG_WARN, "network: no management port reached the controller: trying any route "
				"(network.fallback.any.eth)");
	else if (!reached && strcmp(port, netmgr_port(a->nm)))
		alog(ALOG_DEBUG, "network: next management port %s", netmgr_port(a->nm));
}
