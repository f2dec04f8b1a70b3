// SPDX-License-Identifier: Apache-2.0
/* ZInfoDevice.systemAdapter from the connectivity manager's state. */
#include "netinfo.h"
#include "b64.h"
#include "ipnet.h"

#include "evecommon/netcmn.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_DPC 2
#define MAX_ADDRS 8

struct port_msg {
	Org__Lfedge__Eve__Info__DevicePort m;
	Org__Lfedge__Eve__Info__ErrorInfo err;
	Google__Protobuf__Timestamp err_time;
	char addrs[128];
	char subnet[INET6_ADDRSTRLEN + 4];
	char *addrp[MAX_ADDRS];
	char *dnsp[PORTCFG_DNS_MAX];
	char *gwp[1];
	Org__Lfedge__Eve__Info__ProxyStatus proxy;
	Org__Lfedge__Eve__Info__ProxyEntry entry;
	Org__Lfedge__Eve__Info__ProxyEntry *entryp[1];
	char server[256];
	char *pac_b64; /* owned */
};

struct dpc_msg {
	Org__Lfedge__Eve__Info__DevicePortStatus m;
	Google__Protobuf__Timestamp ok, fail;
	struct port_msg ports[NETMGR_MAX_PORTS];
	Org__Lfedge__Eve__Info__DevicePort *portp[NETMGR_MAX_PORTS];
};

struct netinfo {
	Org__Lfedge__Eve__Info__SystemAdapterInfo m;
	struct dpc_msg dpc[N_DPC];
	Org__Lfedge__Eve__Info__DevicePortStatus *dpcp[N_DPC];
};

static uint32_t dhcp_type(enum portcfg_mode m)
{
	return m == PORTCFG_STATIC ? ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static
	       : m == PORTCFG_DHCP ? ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Client
				   : ORG__LFEDGE__EVE__COMMON__DHCPTYPE__DHCPNoop;
}

/* The port's proxy as it runs it (EVE's DevicePort.proxy): its PAC file
 * (base64, as the config sends it), else its explicit proxy (or the
 * setting's) with the exceptions; the controller learns it from here. */
static void fill_proxy(struct port_msg *pm, const struct netmgr_setting *s, const struct netmgr_port *p)
{
	const char *pac = p->pac[0] ? p->pac : p->proxy[0] ? "" : s->pac;
	const char *url = p->proxy[0] ? p->proxy : s->proxy,
		   *exc = p->proxy[0] ? p->exceptions : s->exceptions;
	const char *h = strstr(url, "://"), *colon;
	long port;

	org__lfedge__eve__info__proxy_status__init(&pm->proxy);
	if (*pac) {
		pm->pac_b64 = b64_encode((const uint8_t *)pac, strlen(pac));
		if (!pm->pac_b64)
			return;
		pm->proxy.pacfile = pm->pac_b64;
		pm->m.proxy = &pm->proxy;
		return;
	}
	h = h ? h + 3 : url;
	colon = strrchr(h, ':');
	if (!*url || !colon || (size_t)(colon - h) >= sizeof(pm->server) ||
	    (port = strtol(colon + 1, NULL, 10)) < 1 || port > 65535)
		return;
	snprintf(pm->server, sizeof(pm->server), "%.*s", (int)(colon - h), h);
	org__lfedge__eve__info__proxy_entry__init(&pm->entry);
	pm->entry.type = ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTPS;
	pm->entry.server = pm->server;
	pm->entry.port = (uint32_t)port;
	pm->entryp[0] = &pm->entry;
	pm->proxy.proxies = pm->entryp;
	pm->proxy.n_proxies = 1;
	pm->proxy.exceptions = (char *)exc;
	pm->m.proxy = &pm->proxy;
}

static void fill_state(struct port_msg *pm, const struct netmgr_port_state *st)
{
	char *save = NULL;
	const char *why = st->cfg_err[0] ? st->cfg_err : st->err;

	pm->m.up = st->up;
	snprintf(pm->addrs, sizeof(pm->addrs), "%s", st->addrs);
	/* plain addresses, as EVE reports them (the prefix is in subnet) */
	for (char *t = strtok_r(pm->addrs, ",", &save); t && pm->m.n_ipaddrs < MAX_ADDRS;
	     t = strtok_r(NULL, ",", &save)) {
		t[strcspn(t, "/")] = '\0';
		pm->addrp[pm->m.n_ipaddrs++] = t;
	}
	pm->m.ipaddrs = pm->addrp;
	if (st->have.gw[0]) {
		pm->gwp[0] = (char *)st->have.gw;
		pm->m.defaultrouters = pm->gwp;
		pm->m.n_defaultrouters = 1;
		pm->m.gateway = (char *)st->have.gw;
	}
	for (size_t i = 0; i < st->have.n_dns; i++)
		pm->dnsp[i] = (char *)st->have.dns[i];
	pm->m.dnsservers = pm->dnsp;
	pm->m.n_dnsservers = st->have.n_dns;
	if (*why) {
		org__lfedge__eve__info__error_info__init(&pm->err);
		pm->err.description = (char *)why;
		pm->err.severity = ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_ERROR;
		pm->err_time.seconds = st->last_fail;
		pm->err.timestamp = st->last_fail ? &pm->err_time : NULL;
		pm->m.err = &pm->err;
	}
}

static void fill_dpc(struct dpc_msg *d, const struct netmgr_setting *s, const struct netmgr *nm, bool current)
{
	org__lfedge__eve__info__device_port_status__init(&d->m);
	google__protobuf__timestamp__init(&d->ok);
	google__protobuf__timestamp__init(&d->fail);
	d->m.key = (char *)(current ? "current" : "rolled-back");
	for (size_t i = 0; i < s->n_ports; i++) {
		struct port_msg *pm = &d->ports[i];
		const struct netmgr_port *p = &s->ports[i];

		org__lfedge__eve__info__device_port__init(&pm->m);
		google__protobuf__timestamp__init(&pm->err_time);
		pm->m.ifname = (char *)p->name;
		pm->m.name = (char *)(p->label[0] ? p->label : p->name);
		pm->m.ismgmt = true;
		pm->m.free = p->cost == 0;
		pm->m.cost = p->cost;
		pm->m.dhcptype = dhcp_type(p->mode);
		if (p->mode == PORTCFG_STATIC &&
		    ipnet_network(p->want.addr, pm->subnet, sizeof(pm->subnet)) == 0)
			pm->m.subnet = pm->subnet;
		fill_proxy(pm, s, p);
		if (current)
			fill_state(pm, netmgr_port_state(nm, i));
		d->portp[i] = &pm->m;
	}
	d->m.ports = d->portp;
	d->m.n_ports = s->n_ports;
}

/* Only ports from a config (bootstrap or controller) are reported: the
 * config dir's `ports` + `proxy` have no DevicePort form the controller
 * could send back unchanged (it has no proxy status), and the controller
 * learns ports from this report. */
static bool from_config(const struct netmgr_setting *s)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].mode != PORTCFG_ASIS || s->ports[i].label[0])
			return true;
	return false;
}

int netinfo_build(const struct netmgr *nm, struct netinfo **out)
{
	struct netinfo *ni = calloc(1, sizeof(*ni));
	const struct netmgr_setting *rej = netmgr_rejected(nm);
	const char *err;
	time_t ok, fail;

	if (!ni)
		return -ENOMEM;
	if (!from_config(netmgr_setting(nm)) && !rej) {
		free(ni);
		return -ENOENT;
	}
	org__lfedge__eve__info__system_adapter_info__init(&ni->m);
	fill_dpc(&ni->dpc[0], netmgr_setting(nm), nm, true);
	netmgr_dpc_times(nm, &ok, &fail, &err);
	if (ok) {
		ni->dpc[0].ok.seconds = ok;
		ni->dpc[0].m.lastsucceeded = &ni->dpc[0].ok;
	}
	if (fail) {
		ni->dpc[0].fail.seconds = fail;
		ni->dpc[0].m.lastfailed = &ni->dpc[0].fail;
	}
	ni->dpc[0].m.lasterror = (char *)err;
	ni->dpcp[0] = &ni->dpc[0].m;
	ni->m.n_status = 1;
	if (rej) {
		fill_dpc(&ni->dpc[1], rej, nm, false);
		ni->dpc[1].m.lasterror =
		    (char *)"rolled back: did not reach the controller within "
			    "timer.port.testduration; retried every "
			    "timer.port.testbetterinterval while the agent runs, after a "
			    "restart only when the controller sends another setting";
		ni->dpcp[1] = &ni->dpc[1].m;
		ni->m.n_status = 2;
	}
	ni->m.status = ni->dpcp;
	ni->m.currentindex = 0;
	*out = ni;
	return 0;
}

const Org__Lfedge__Eve__Info__SystemAdapterInfo *netinfo_msg(const struct netinfo *ni)
{
	return &ni->m;
}

void netinfo_free(struct netinfo *ni)
{
	for (size_t d = 0; ni && d < N_DPC; d++)
		for (size_t i = 0; i < NETMGR_MAX_PORTS; i++)
			free(ni->dpc[d].ports[i].pac_b64);
	free(ni);
}
