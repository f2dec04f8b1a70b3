/* Management port selection and network-setting rollback. */
#include "netmgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct netmgr {
	char *server;
	char *ca_path;
	struct netmgr_setting cur;      /* in use (maybe under trial) */
	struct netmgr_setting fallback; /* last setting that reached the controller */
	struct netmgr_setting rejected; /* last setting rolled back */
	bool have_rejected;
	bool trial;
	uint64_t trial_end;
	size_t port_idx;
	struct devapi *api;
};

static void api_drop(struct netmgr *nm)
{
	devapi_free(nm->api);
	nm->api = NULL;
}

int netmgr_new(const char *server, const char *ca_path, const struct netmgr_setting *initial,
	       struct netmgr **out)
{
	struct netmgr *nm = calloc(1, sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	nm->server = strdup(server);
	nm->ca_path = strdup(ca_path);
	if (!nm->server || !nm->ca_path) {
		netmgr_free(nm);
		return -ENOMEM;
	}
	if (initial)
		nm->cur = *initial;
	nm->fallback = nm->cur;
	*out = nm;
	return 0;
}

void netmgr_free(struct netmgr *nm)
{
	if (!nm)
		return;
	api_drop(nm);
	free(nm->server);
	free(nm->ca_path);
	free(nm);
}

struct devapi *netmgr_api(struct netmgr *nm)
{
	struct devapi_opts o = {.server = nm->server, .ca_path = nm->ca_path, .timeout_s = 30};

	if (nm->api)
		return nm->api;
	if (nm->cur.n_ports)
		o.interface = nm->cur.ports[nm->port_idx % nm->cur.n_ports];
	if (nm->cur.proxy[0])
		o.proxy = nm->cur.proxy;
	if (devapi_new(&o, &nm->api) < 0)
		nm->api = NULL;
	return nm->api;
}

const char *netmgr_port(const struct netmgr *nm)
{
	return nm->cur.n_ports ? nm->cur.ports[nm->port_idx % nm->cur.n_ports] : "";
}

void netmgr_report(struct netmgr *nm, bool reached, uint64_t now_ms)
{
	if (reached) {
		nm->trial = false;
		nm->fallback = nm->cur;
		return;
	}
	/* Next port, new connection (keep-alive state belongs to the old one). */
	if (nm->cur.n_ports > 1) {
		nm->port_idx = (nm->port_idx + 1) % nm->cur.n_ports;
		api_drop(nm);
	}
}

static bool setting_eq(const struct netmgr_setting *a, const struct netmgr_setting *b)
{
	if (a->n_ports != b->n_ports || strcmp(a->proxy, b->proxy))
		return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (strcmp(a->ports[i], b->ports[i]))
			return false;
	return true;
}

int netmgr_propose(struct netmgr *nm, const struct netmgr_setting *s, uint64_t now_ms, uint64_t trial_ms)
{
	if (setting_eq(s, &nm->cur) || (nm->have_rejected && setting_eq(s, &nm->rejected)))
		return 0;
	if (!nm->trial)
		nm->fallback = nm->cur;
	nm->cur = *s;
	nm->port_idx = 0;
	nm->trial = true;
	nm->trial_end = now_ms + trial_ms;
	api_drop(nm);
	return 1;
}

bool netmgr_tick(struct netmgr *nm, uint64_t now_ms)
{
	if (!nm->trial || now_ms < nm->trial_end)
		return false;
	nm->rejected = nm->cur;
	nm->have_rejected = true;
	nm->cur = nm->fallback;
	nm->port_idx = 0;
	nm->trial = false;
	api_drop(nm);
	return true;
}
