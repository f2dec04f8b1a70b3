// SPDX-License-Identifier: Apache-2.0
/* Device hardware model (table device_io): learned from info, edited by
 * the admin, read by config_build.c. */
#include "deviceio.h"
#include "infolatest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "b64.h"
#include "ipnet.h"
#include "ctl.h"
#include "evecommon/devmodelcommon.pb-c.h"
#include "evecommon/netcmn.pb-c.h"

#define DNS_MAX 8
/* store_lock key ("dvio"): port PUTs take turns, on every replica. */
#define DEVICEIO_LOCK 0x6476696f

/* PhyIoType values by admin name (numbers: org.lfedge.eve.common). */
static const struct {
	const char *name;
	int value;
	bool net; /* a network port (ifname, may be an IP endpoint) */
} PTYPES[] = {
    {"eth", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth, true},
    {"usb", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoUSB, false},
    {"com", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCOM, false},
    {"audio", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoAudio, false},
    {"wlan", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetWLAN, true},
    {"wwan", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetWWAN, true},
    {"hdmi", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoHDMI, false},
    {"nvme", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNVMEStorage, false},
    {"sata", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoSATAStorage, false},
    {"eth-pf", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEthPF, true},
    {"eth-vf", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEthVF, true},
    {"usb-controller", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoUSBController, false},
    {"usb-device", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoUSBDevice, false},
    {"can", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoCAN, false},
    {"vcan", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoVCAN, false},
    {"lcan", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoLCAN, false},
    {"other", ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoOther, false},
};
#define N_PTYPES (sizeof(PTYPES) / sizeof(PTYPES[0]))

/* PhyIoMemberUsage values by admin name. */
static const struct {
	const char *name;
	int value;
} USAGES[] = {
    {"none", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageNone},
    {"mgmt", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps},
    {"shared", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageShared},
    {"app", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDedicated},
    {"disabled", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDisabled},
    {"mgmt-only", ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtOnly},
};
#define N_USAGES (sizeof(USAGES) / sizeof(USAGES[0]))

static const char *ptype_name(int v)
{
	for (size_t i = 0; i < N_PTYPES; i++)
		if (PTYPES[i].value == v)
			return PTYPES[i].name;
	return "other";
}

static bool ptype_is_net(int v)
{
	for (size_t i = 0; i < N_PTYPES; i++)
		if (PTYPES[i].value == v)
			return PTYPES[i].net;
	return false;
}

static const char *usage_name(int v)
{
	for (size_t i = 0; i < N_USAGES; i++)
		if (USAGES[i].value == v)
			return USAGES[i].name;
	return "none";
}

int deviceio_is_mgmt(const struct deviceio_port *p)
{
	return p->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps ||
	       p->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtOnly;
}

int deviceio_is_endpoint(const struct deviceio_port *p)
{
	return ptype_is_net(p->ptype) &&
	       (deviceio_is_mgmt(p) ||
		p->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageShared);
}

/* --- storage --- */

#define COLS                                                                                                 \
	"phylabel, logicallabel, ifname, pcilong, usbaddr, serial, assigngrp, ptype, usage, cost, dhcp, ip," \
	" gateway, dns, proxy, no_proxy, source, pacfile"

static void row_read(struct store_stmt *st, struct deviceio_port *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->phylabel, sizeof(p->phylabel), "%s", store_col_str(st, 0));
	snprintf(p->logicallabel, sizeof(p->logicallabel), "%s", store_col_str(st, 1));
	snprintf(p->ifname, sizeof(p->ifname), "%s", store_col_str(st, 2));
	snprintf(p->pcilong, sizeof(p->pcilong), "%s", store_col_str(st, 3));
	snprintf(p->usbaddr, sizeof(p->usbaddr), "%s", store_col_str(st, 4));
	snprintf(p->serial, sizeof(p->serial), "%s", store_col_str(st, 5));
	snprintf(p->assigngrp, sizeof(p->assigngrp), "%s", store_col_str(st, 6));
	p->ptype = store_col_int(st, 7);
	p->usage = store_col_int(st, 8);
	p->cost = (uint32_t)store_col_int(st, 9);
	snprintf(p->dhcp, sizeof(p->dhcp), "%s", store_col_str(st, 10));
	snprintf(p->ip, sizeof(p->ip), "%s", store_col_str(st, 11));
	snprintf(p->gateway, sizeof(p->gateway), "%s", store_col_str(st, 12));
	snprintf(p->dns, sizeof(p->dns), "%s", store_col_str(st, 13));
	snprintf(p->proxy, sizeof(p->proxy), "%s", store_col_str(st, 14));
	snprintf(p->no_proxy, sizeof(p->no_proxy), "%s", store_col_str(st, 15));
	snprintf(p->source, sizeof(p->source), "%s", store_col_str(st, 16));
	snprintf(p->pacfile, sizeof(p->pacfile), "%s", store_col_str(st, 17));
}

int deviceio_list(struct store *d, const char *uuid, struct deviceio_port **out, size_t *n)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT " COLS " FROM device_io WHERE device_id = ?1 ORDER BY phylabel");
	struct deviceio_port *ports = NULL;
	size_t cnt = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	while (store_step(st) == STORE_ROW && cnt < DEVICEIO_MAX) {
		struct deviceio_port *np = realloc(ports, (cnt + 1) * sizeof(*np));
		if (!np) {
			r = -ENOMEM;
			break;
		}
		ports = np;
		row_read(st, &ports[cnt++]);
	}
	store_reset(st);
	if (r < 0) {
		free(ports);
		return r;
	}
	*out = ports;
	*n = cnt;
	return 0;
}

static int row_write(struct store *d, const char *uuid, const struct deviceio_port *p, bool replace)
{
	struct store_stmt *st = store_stmt(
	    d, replace
		   ? "INSERT INTO device_io(device_id, " COLS
		     ", updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
		     "?13,?14,?15,?16,?17,?18,?19,?20) ON CONFLICT(device_id, phylabel) DO UPDATE SET"
		     " logicallabel = excluded.logicallabel, ifname = excluded.ifname,"
		     " pcilong = excluded.pcilong, usbaddr = excluded.usbaddr, serial = excluded.serial,"
		     " assigngrp = excluded.assigngrp, ptype = excluded.ptype, usage = excluded.usage,"
		     " cost = excluded.cost, dhcp = excluded.dhcp, ip = excluded.ip,"
		     " gateway = excluded.gateway, dns = excluded.dns, proxy = excluded.proxy,"
		     " no_proxy = excluded.no_proxy, source = excluded.source, pacfile = excluded.pacfile,"
		     " updated = excluded.updated"
		   : "INSERT INTO device_io(device_id, " COLS
		     ", updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
		     "?13,?14,?15,?16,?17,?18,?19,?20) ON CONFLICT DO NOTHING");
	const char *txt[] = {uuid,       p->phylabel, p->logicallabel, p->ifname,
			     p->pcilong, p->usbaddr,  p->serial,       p->assigngrp};
	const char *txt2[] = {p->dhcp,  p->ip,       p->gateway, p->dns,
			      p->proxy, p->no_proxy, p->source,  p->pacfile};

	if (!st)
		return -EIO;
	for (int i = 0; i < 8; i++)
		store_bind_text(st, i + 1, txt[i]);
	store_bind_int64(st, 9, p->ptype);
	store_bind_int64(st, 10, p->usage);
	store_bind_int64(st, 11, p->cost);
	for (int i = 0; i < 8; i++)
		store_bind_text(st, 12 + i, txt2[i]);
	store_bind_int64(st, 20, (int64_t)time(NULL));
	return store_step_done(st);
}

static int port_count(struct store *d, const char *uuid)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM device_io WHERE device_id = ?1");
	int n = -EIO;

	if (!st)
		return n;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	store_reset(st);
	return n;
}

/* An interface name as Linux allows it. */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

static int net_ptype_for(const char *ifname)
{
	if (!strncmp(ifname, "wlan", 4))
		return ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetWLAN;
	if (!strncmp(ifname, "wwan", 4))
		return ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetWWAN;
	return ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth;
}

static bool label_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
			return false;
	return true;
}

static bool ip_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool lbl32(const char *s)
{
	return label_ok(s, 32);
}

static bool ifname_known(struct store *d, const char *uuid, const char *ifname)
{
	struct store_stmt *st = store_stmt(d, "SELECT 1 FROM device_io WHERE device_id = ?1 AND ifname = ?2");
	bool known = false;

	if (!st)
		return true; /* learn nothing rather than twice */
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, ifname);
	known = store_step(st) == STORE_ROW;
	store_reset(st);
	return known;
}

/* Add p unless the model has its phylabel or interface: 1 added, 0 not. */
static int learn_port(struct store *d, const char *uuid, struct deviceio_port *p)
{
	int r;

	if (ifname_known(d, uuid, p->ifname) || port_count(d, uuid) >= DEVICEIO_MAX)
		return 0;
	p->ptype = net_ptype_for(p->ifname);
	p->usage = ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps;
	snprintf(p->source, sizeof(p->source), "device");
	r = row_write(d, uuid, p, false);
	return r < 0 ? r : store_changes(d);
}

/* Static addressing of a reported port: its first IPv4 address with the
 * prefix of its subnet ("" when it has none). */
static void learn_static(const Org__Lfedge__Eve__Info__DevicePort *dp, struct deviceio_port *p)
{
	const char *slash = dp->subnet ? strchr(dp->subnet, '/') : NULL;
	for (size_t i = 0; slash && i < dp->n_ipaddrs; i++) {
		/* the address of the subnet's family (IPv4 or IPv6) */
		if (!ip_ok(dp->ipaddrs[i]) || !strchr(dp->ipaddrs[i], ':') != !strchr(dp->subnet, ':'))
			continue;
		snprintf(p->ip, sizeof(p->ip), "%s%s", dp->ipaddrs[i], slash);
		if (!ipnet_cidr_ok(p->ip)) {
			p->ip[0] = '\0';
			continue;
		}
		if (dp->gateway && ip_ok(dp->gateway))
			snprintf(p->gateway, sizeof(p->gateway), "%s", dp->gateway);
		return;
	}
}

static bool proxy_ok(const char *s);
static bool noproxy_ok(const char *s);
static bool pacfile_ok(const char *s);

/* The port's proxy as the device runs it (DevicePort.proxy): its PAC file,
 * else its first proxy server with the exceptions, each only when the
 * admin API would take it (a bootstrap config's proxy is kept, not
 * replaced by a setting without it). */
static void learn_proxy(const Org__Lfedge__Eve__Info__ProxyStatus *ps, struct deviceio_port *p)
{
	const Org__Lfedge__Eve__Info__ProxyEntry *e = ps && ps->n_proxies ? ps->proxies[0] : NULL;

	if (!ps)
		return;
	if (ps->pacfile && *ps->pacfile) {
		if (strlen(ps->pacfile) < sizeof(p->pacfile) && pacfile_ok(ps->pacfile))
			snprintf(p->pacfile, sizeof(p->pacfile), "%s", ps->pacfile);
		return;
	}
	if (!e || !e->server || strlen(e->server) > 200)
		return;
	snprintf(p->proxy, sizeof(p->proxy), "http://%s:%u", e->server, e->port);
	if (!proxy_ok(p->proxy)) {
		p->proxy[0] = '\0';
		return;
	}
	if (ps->exceptions && strlen(ps->exceptions) < sizeof(p->no_proxy) && noproxy_ok(ps->exceptions))
		snprintf(p->no_proxy, sizeof(p->no_proxy), "%s", ps->exceptions);
}

/* A management port from EVE's port status (DevicePort), with its DHCP
 * mode, static address, DNS, proxy and cost as the device runs them. */
static void learn_from_status(const Org__Lfedge__Eve__Info__DevicePort *dp, struct deviceio_port *p)
{
	size_t len = 0;
	const char *label = dp->name && lbl32(dp->name) ? dp->name : dp->ifname;

	snprintf(p->phylabel, sizeof(p->phylabel), "%s", label);
	snprintf(p->logicallabel, sizeof(p->logicallabel), "%s", label);
	snprintf(p->ifname, sizeof(p->ifname), "%s", dp->ifname);
	snprintf(p->dhcp, sizeof(p->dhcp), "client");
	p->cost = dp->cost > 255 ? 255 : dp->cost;
	if (dp->dhcptype == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static) {
		learn_static(dp, p);
		if (p->ip[0])
			snprintf(p->dhcp, sizeof(p->dhcp), "static");
	}
	for (size_t i = 0; i < dp->n_dnsservers && i < DNS_MAX; i++) {
		int w;
		if (!ip_ok(dp->dnsservers[i]))
			continue;
		w = snprintf(p->dns + len, sizeof(p->dns) - len, "%s%s", len ? "," : "", dp->dnsservers[i]);
		if (w < 0 || (size_t)w >= sizeof(p->dns) - len) {
			p->dns[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	learn_proxy(dp->proxy, p);
}

static const Org__Lfedge__Eve__Info__DevicePortStatus *
current_dpc(const Org__Lfedge__Eve__Info__ZInfoDevice *di)
{
	const Org__Lfedge__Eve__Info__SystemAdapterInfo *sa = di->systemadapter;

	if (!sa || sa->n_status == 0)
		return NULL;
	return sa->status[sa->currentindex < sa->n_status ? sa->currentindex : 0];
}

int deviceio_learn(struct store *d, const char *uuid, const Org__Lfedge__Eve__Info__ZInfoDevice *di)
{
	const Org__Lfedge__Eve__Info__DevicePortStatus *dpc = current_dpc(di);
	int added = 0, r;

	/* EVE's port status first: it says how each port is addressed */
	for (size_t i = 0; dpc && i < dpc->n_ports; i++) {
		const Org__Lfedge__Eve__Info__DevicePort *dp = dpc->ports[i];
		struct deviceio_port p = {0};

		if (!dp->ismgmt || !dp->ifname || !ifname_ok(dp->ifname))
			continue;
		learn_from_status(dp, &p);
		r = learn_port(d, uuid, &p);
		if (r < 0)
			return r;
		added += r;
	}
	/* then the interfaces it reports as management ports (uplink) */
	for (size_t i = 0; i < di->n_network; i++) {
		const Org__Lfedge__Eve__Info__ZInfoNetwork *n = di->network[i];
		struct deviceio_port p = {0};

		if (!n->uplink || !n->devname || !ifname_ok(n->devname))
			continue;
		snprintf(p.phylabel, sizeof(p.phylabel), "%s", n->devname);
		snprintf(p.logicallabel, sizeof(p.logicallabel), "%s", n->devname);
		snprintf(p.ifname, sizeof(p.ifname), "%s", n->devname);
		snprintf(p.dhcp, sizeof(p.dhcp), "client");
		r = learn_port(d, uuid, &p);
		if (r < 0)
			return r;
		added += r;
	}
	return added;
}

/* --- admin API --- */

static json_t *port_json(const struct deviceio_port *p)
{
	json_t *dns = json_array();
	char tmp[sizeof(p->dns)], *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", p->dns);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(dns, json_string(t));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:s, s:s, "
			 "s:s, s:s}",
			 "phylabel", p->phylabel, "logicallabel", p->logicallabel, "type",
			 ptype_name(p->ptype), "ifname", p->ifname, "pcilong", p->pcilong, "usbaddr",
			 p->usbaddr, "serial", p->serial, "assigngrp", p->assigngrp, "usage",
			 usage_name(p->usage), "cost", (int)p->cost, "dhcp", p->dhcp, "ip", p->ip, "gateway",
			 p->gateway, "dns", dns, "proxy", p->proxy, "no_proxy", p->no_proxy, "pacfile",
			 p->pacfile, "source", p->source);
}

/* Ports the device reports (latest device info) that the model lacks. */
static json_t *reported_json(struct store *d, const char *uuid, const struct deviceio_port *ports, size_t n)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = infolatest_get(d, uuid, "device", NULL);
	json_t *arr = json_array();

	for (size_t i = 0; m && m->dinfo && i < m->dinfo->n_network; i++) {
		const Org__Lfedge__Eve__Info__ZInfoNetwork *net = m->dinfo->network[i];
		bool known = false;
		json_t *ips = json_array();

		for (size_t k = 0; k < n && !known; k++)
			known = !strcmp(ports[k].ifname, net->devname);
		for (size_t k = 0; k < net->n_ipaddrs; k++)
			json_array_append_new(ips, json_string(net->ipaddrs[k]));
		if (known) {
			json_decref(ips);
			continue;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:b}", "ifname", net->devname, "mac",
						     net->macaddr, "ips", ips, "uplink", (int)net->uplink));
	}
	if (m)
		org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	return arr;
}

static void h_list(struct http_req *r)
{
	char dev[UUID_STR_LEN];
	struct deviceio_port *ports = NULL;
	size_t n = 0;
	json_t *items = NULL, *reported = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], dev);

	if (e == 0)
		e = deviceio_list(d, dev, &ports, &n);
	if (e == 0) {
		items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, port_json(&ports[i]));
		reported = reported_json(d, dev, ports, n);
	}
	store_put(r->ctl->db, d);
	free(ports);
	if (e < 0)
		admin_reply_err(r, e, "device");
	else
		http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "reported", reported));
}

/* http(s)://host:port with a numeric port. */
static bool proxy_ok(const char *s)
{
	const char *h = !strncmp(s, "http://", 7) ? s + 7 : !strncmp(s, "https://", 8) ? s + 8 : NULL;
	const char *colon = h ? strrchr(h, ':') : NULL;
	char *end;
	long port;

	if (!h || !colon || colon == h || strchr(h, '/') || strchr(h, '@'))
		return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535;
}

static int lookup_name(const char *v, bool ptype, int *out)
{
	for (size_t i = 0; ptype && i < N_PTYPES; i++)
		if (!strcmp(PTYPES[i].name, v))
			return *out = PTYPES[i].value, 0;
	for (size_t i = 0; !ptype && i < N_USAGES; i++)
		if (!strcmp(USAGES[i].name, v))
			return *out = USAGES[i].value, 0;
	return -EINVAL;
}

/* Copy string member key of b into dst (max size) after check(); "" clears
 * where allowed. Returns an error text or NULL. */
static const char *take_str(json_t *b, const char *key, char *dst, size_t size, bool (*check)(const char *))
{
	json_t *v = json_object_get(b, key);

	if (!v)
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= size)
		return "must be a string of limited length";
	if (*json_string_value(v) && check && !check(json_string_value(v)))
		return "malformed";
	snprintf(dst, size, "%s", json_string_value(v));
	return NULL;
}

static bool pci_ok(const char *s)
{
	unsigned dom, bus, slot, fn;
	char tail;

	return sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &tail) == 4;
}

static bool usb_ok(const char *s)
{
	return label_ok(s, 32);
}

static bool serial_ok(const char *s)
{
	return !strncmp(s, "/dev/", 5) && !strstr(s, "..") && label_ok(s + 5, 59);
}

static bool noproxy_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".,-*:/", *s))
			return false;
	return true;
}

/* A PAC script as EVE sends it: base64 of 1..DEVICEIO_PAC_MAX bytes of
 * text (no NUL byte: the agent refuses it). */
static bool pacfile_ok(const char *s)
{
	uint8_t *bin = NULL;
	size_t n = 0;
	bool ok =
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == strlen(s) &&
	    b64_decode(s, strlen(s), &bin, &n) == 0 && n > 0 && n <= DEVICEIO_PAC_MAX &&
	    !memchr(bin, '\0', n);

	free(bin);
	return ok;
}

static const char *take_dns(json_t *b, struct deviceio_port *p)
{
	json_t *v = json_object_get(b, "dns"), *e;
	size_t i, len = 0;

	if (!v)
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > DNS_MAX)
		return "dns: an array of at most 8 addresses";
	p->dns[0] = '\0';
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);
		int w;

		if (!s || !ip_ok(s))
			return "dns: IP addresses";
		w = snprintf(p->dns + len, sizeof(p->dns) - len, "%s%s", len ? "," : "", s);
		if (w < 0 || (size_t)w >= sizeof(p->dns) - len)
			return "dns: too long";
		len += (size_t)w;
	}
	return NULL;
}

static const char *take_enums(json_t *b, struct deviceio_port *p)
{
	json_t *v;

	if ((v = json_object_get(b, "type")) &&
	    (!json_is_string(v) || lookup_name(json_string_value(v), true, &p->ptype) < 0))
		return "type: eth, wlan, wwan, eth-pf, eth-vf, usb, usb-controller, usb-device, com, audio, "
		       "hdmi, nvme, sata, can, vcan, lcan, other";
	if ((v = json_object_get(b, "usage")) &&
	    (!json_is_string(v) || lookup_name(json_string_value(v), false, &p->usage) < 0))
		return "usage: mgmt, mgmt-only, shared, app, disabled, none";
	if ((v = json_object_get(b, "cost"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
			return "cost: 0..255";
		p->cost = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(b, "dhcp"))) {
		const char *s = json_string_value(v);
		if (!s || (strcmp(s, "client") && strcmp(s, "static") && strcmp(s, "none")))
			return "dhcp: client, static or none";
		snprintf(p->dhcp, sizeof(p->dhcp), "%s", s);
	}
	return NULL;
}

/* Apply body b over p. Returns an error text (400) or NULL. */
/* msg (caller's, at least 128 bytes) holds composed error texts. */
static const char *port_apply(json_t *b, struct deviceio_port *p, char msg[128])
{
	static const char *const keys[] = {
	    "logicallabel", "type", "ifname", "pcilong", "usbaddr", "serial", "assigngrp", "usage",
	    "cost",         "dhcp", "ip",     "gateway", "dns",     "proxy",  "no_proxy",  "pacfile"};
	static const struct {
		const char *key;
		size_t off, size;
		bool (*check)(const char *);
	} strs[] = {
#define S(k, f, c) {k, offsetof(struct deviceio_port, f), sizeof(((struct deviceio_port *)0)->f), c}
	    S("logicallabel", logicallabel, lbl32),
	    S("ifname", ifname, ifname_ok),
	    S("pcilong", pcilong, pci_ok),
	    S("usbaddr", usbaddr, usb_ok),
	    S("serial", serial, serial_ok),
	    S("assigngrp", assigngrp, lbl32),
	    S("ip", ip, ipnet_cidr_ok),
	    S("gateway", gateway, ip_ok),
	    S("proxy", proxy, proxy_ok),
	    S("no_proxy", no_proxy, noproxy_ok),
	    S("pacfile", pacfile, pacfile_ok),
#undef S
	};
	const char *key, *err;
	json_t *v;

	json_object_foreach(b, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !known; i++)
			known = !strcmp(keys[i], key);
		if (!known) {
			snprintf(msg, 128, "unknown key %.64s", key);
			return msg;
		}
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		err = take_str(b, strs[i].key, (char *)p + strs[i].off, strs[i].size, strs[i].check);
		if (err) {
			snprintf(msg, 128, "%s: %s", strs[i].key, err);
			return msg;
		}
	}
	err = take_enums(b, p);
	return err ? err : take_dns(b, p);
}

/* What the device would not do as configured: refuse it (never drop). */
static const char *port_check(const struct deviceio_port *p)
{
	bool net = ptype_is_net(p->ptype);

	if (!p->logicallabel[0])
		return "logicallabel: required";
	if (net && !p->ifname[0])
		return "ifname: required for a network port";
	if (!net && p->ifname[0])
		return "ifname: only for network ports";
	if (deviceio_is_mgmt(p) && !net)
		return "usage: mgmt only for network ports";
	if (deviceio_is_mgmt(p) && !strcmp(p->dhcp, "none"))
		return "dhcp: a management port needs client or static (EVE refuses none)";
	if (!deviceio_is_endpoint(p) &&
	    (strcmp(p->dhcp, "client") || p->ip[0] || p->gateway[0] || p->dns[0] || p->proxy[0] ||
	     p->no_proxy[0] || p->pacfile[0] || p->cost))
		return "dhcp, ip, gateway, dns, proxy, no_proxy, pacfile, cost: only for ports of usage "
		       "mgmt, "
		       "mgmt-only or shared";
	if (!strcmp(p->dhcp, "static") && !p->ip[0])
		return "ip: required (address/prefix) with dhcp static";
	if (strcmp(p->dhcp, "static") && (p->ip[0] || p->gateway[0]))
		return "ip, gateway: only with dhcp static";
	if (p->ip[0] && p->gateway[0] && !strchr(p->ip, ':') != !strchr(p->gateway, ':'))
		return "gateway: of the address's family (IPv4 or IPv6)";
	if (p->no_proxy[0] && !p->proxy[0])
		return "no_proxy: only with proxy";
	if (p->pacfile[0] && p->proxy[0])
		return "pacfile, proxy: one or the other (EVE lets the PAC file win over the proxy)";
	return NULL;
}

static int port_get(struct store *d, const char *uuid, const char *label, struct deviceio_port *p)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT " COLS " FROM device_io WHERE device_id = ?1 AND phylabel = ?2");
	int r = -ENOENT;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, label);
	if (store_step(st) == STORE_ROW) {
		row_read(st, p);
		r = 0;
	}
	store_reset(st);
	return r;
}

static int label_taken(struct store *d, const char *uuid, const struct deviceio_port *p)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT 1 FROM device_io WHERE device_id = ?1 AND phylabel <> ?2"
			  " AND (logicallabel = ?3 OR (ifname <> '' AND ifname = ?4))");
	int r = 0;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, p->phylabel);
	store_bind_text(st, 3, p->logicallabel);
	store_bind_text(st, 4, p->ifname);
	if (store_step(st) == STORE_ROW)
		r = -EEXIST;
	store_reset(st);
	return r;
}

static void port_defaults(struct deviceio_port *p, const char *label)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->phylabel, sizeof(p->phylabel), "%s", label);
	snprintf(p->logicallabel, sizeof(p->logicallabel), "%s", label);
	p->ptype = ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth;
	snprintf(p->dhcp, sizeof(p->dhcp), "client");
}

/* Validate and store; 200 updated, 201 created, or an error status. */
static unsigned port_put(struct http_req *r, struct store *d, const char *dev, json_t *b, json_t **out)
{
	struct deviceio_port p;
	int e = port_get(d, dev, r->params[1], &p);
	bool created = e == -ENOENT;
	char msg[128];
	const char *err;

	if (e < 0 && !created) {
		admin_reply_err(r, e, "port");
		return 500;
	}
	if (created) {
		port_defaults(&p, r->params[1]);
		if (port_count(d, dev) >= DEVICEIO_MAX) {
			http_reply_error(r, 409, "at most %d ports and adapters per device", DEVICEIO_MAX);
			return 409;
		}
	}
	snprintf(p.source, sizeof(p.source), "admin");
	err = port_apply(b, &p, msg);
	/* a new network port is named after its interface by default */
	if (!err && created && ptype_is_net(p.ptype) && !p.ifname[0] && ifname_ok(p.phylabel))
		memcpy(p.ifname, p.phylabel, strlen(p.phylabel) + 1); /* ifname_ok: < 16 */
	if (!err)
		err = port_check(&p);
	if (err) {
		http_reply_error(r, 400, "%s", err);
		return 400;
	}
	e = label_taken(d, dev, &p);
	if (e == 0)
		e = row_write(d, dev, &p, true);
	if (e < 0) {
		admin_reply_err(r, e, "port (logicallabel or ifname on this device)");
		return 500;
	}
	*out = port_json(&p);
	return created ? 201 : 200;
}

/* port_put in a transaction under DEVICEIO_LOCK: the port it merges into,
 * the port count and the labels taken are what it writes over, whatever
 * other PUTs run at once (on any replica). */
static unsigned port_put_locked(struct http_req *r, struct store *d, const char *dev, json_t *b, json_t **out)
{
	int e = store_begin(d);
	if (e == 0)
		e = store_lock(d, DEVICEIO_LOCK);
	if (e < 0) {
		store_rollback(d);
		admin_reply_err(r, e, "port");
		return 500;
	}
	unsigned st = port_put(r, d, dev, b, out);
	if (st >= 300) {
		store_rollback(d);
		return st;
	}
	e = store_commit(d);
	if (e < 0) {
		store_rollback(d);
		json_decref(*out);
		*out = NULL;
		admin_reply_err(r, e, "port");
		return 500;
	}
	ctl_device_changed(r->ctl, d, dev);
	return st;
}

static void h_put(struct http_req *r)
{
	char dev[UUID_STR_LEN];
	json_t *b = admin_body(r), *out = NULL;
	struct store *d;
	unsigned st = 0;

	if (!b)
		return;
	if (!label_ok(r->params[1], 32)) {
		json_decref(b);
		http_reply_error(r, 400, "port: 1..31 characters of [A-Za-z0-9._:-]");
		return;
	}
	d = store_get(r->ctl->db);
	if (admin_device_resolve(d, r->params[0], dev) < 0)
		http_reply_error(r, 404, "no such device %s", r->params[0]);
	else
		st = port_put_locked(r, d, dev, b, &out);
	store_put(r->ctl->db, d);
	json_decref(b);
	if (out)
		http_reply_json(r, st, out);
}

static void h_delete(struct http_req *r)
{
	char dev[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = admin_device_resolve(d, r->params[0], dev);
	struct store_stmt *st =
	    e == 0 ? store_stmt(d, "DELETE FROM device_io WHERE device_id = ?1 AND phylabel = ?2") : NULL;

	if (st) {
		store_bind_text(st, 1, dev);
		store_bind_text(st, 2, r->params[1]);
		e = store_step_done(st);
		if (e == 0 && store_changes(d) == 0)
			e = -ENOENT;
	}
	if (e == 0)
		ctl_device_changed(r->ctl, d, dev);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "device or port");
	else
		http_reply_empty(r, 204);
}

#define IO ADMIN_PREFIX "/devices/*/io"
const struct http_route admin_deviceio_routes[] = {
    {"GET", IO, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", IO "/*", h_put, 0, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", IO "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
