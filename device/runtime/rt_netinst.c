// SPDX-License-Identifier: Apache-2.0
/* Network instances as libvirt networks "eve-ni-<uuid>": `local` is a NAT
 * bridge with dnsmasq DHCP on the configured subnet, `switch` a bridge
 * without addresses (apps on it share one L2 segment; an uplink port named
 * in the config is added to it). Networks no config names are removed. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <libvirt/virterror.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "rt_internal.h"
#include "uuidgen.h"
#include "volume.h"

#define NS(x) ORG__LFEDGE__EVE__INFO__ZNETWORK_INSTANCE_STATE__ZNETINST_STATE_##x
#define NT(x) ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__##x

void rt_netinst_free(struct rt_ni *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->version);
	free(n);
}

/* IPv4 "a.b.c.d/len" -> network, prefix; gateway .1 and DHCP .2-.254-ish. */
static int plan_subnet(const Org__Lfedge__Eve__Common__Ipspec *ip, char *gw, char *mask, char *lo, char *hi)
{
	char net[64];
	const char *slash;
	struct in_addr a;
	uint32_t base, m, first, last;
	long len;

	if (!ip || !ip->subnet || !(slash = strchr(ip->subnet, '/')))
		return -EINVAL;
	snprintf(net, sizeof(net), "%.*s", (int)(slash - ip->subnet), ip->subnet);
	len = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, net, &a) != 1 || len < 8 || len > 29)
		return -EINVAL;
	m = len ? ~0u << (32 - len) : 0;
	base = ntohl(a.s_addr) & m;
	a.s_addr = htonl(m);
	inet_ntop(AF_INET, &a, mask, 16);
	if (ip->gateway && ip->gateway[0])
		snprintf(gw, 16, "%s", ip->gateway);
	else {
		a.s_addr = htonl(base + 1);
		inet_ntop(AF_INET, &a, gw, 16);
	}
	if (ip->dhcprange && ip->dhcprange->start && ip->dhcprange->start[0] && ip->dhcprange->end) {
		snprintf(lo, 16, "%s", ip->dhcprange->start);
		snprintf(hi, 16, "%s", ip->dhcprange->end);
		return 0;
	}
	first = base + 2;
	last = (base | ~m) - 1;
	a.s_addr = htonl(first);
	inet_ntop(AF_INET, &a, lo, 16);
	a.s_addr = htonl(last);
	inet_ntop(AF_INET, &a, hi, 16);
	return 0;
}

static int ni_xml(struct rt_ni *n, const rt_ni_cfg *nc, struct buf *b)
{
	char gw[16], mask[16], lo[16], hi[16];

	buf_printf(b, "<network%s>\n  <name>%s</name>\n  <uuid>%s</uuid>\n",
		   nc->insttype == NT(ZnetInstSwitch)
		       ? ""
		       : " xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'",
		   n->net, n->uuid);
	buf_printf(b, "  <bridge name='%s' stp='off' delay='0'/>\n", n->bridge);
	if (nc->insttype == NT(ZnetInstSwitch)) {
		buf_printf(b, "</network>\n");
		return 0;
	}
	if (plan_subnet(nc->ip, gw, mask, lo, hi) < 0) {
		rt_seterr(n->err, "network instance %s: need an IPv4 subnet (a.b.c.d/8..29)", n->uuid);
		return -EINVAL;
	}
	snprintf(n->gw, sizeof(n->gw), "%s", gw);
	snprintf(n->subnet, sizeof(n->subnet), "%s", nc->ip->subnet);
	buf_printf(b, "  <forward mode='nat'/>\n  <ip address='%s' netmask='%s'>\n", gw, mask);
	buf_printf(b, "    <dhcp><range start='%s' end='%s'/></dhcp>\n  </ip>\n", lo, hi);
	/* DNS is rt_dns.c's own server on the gateway address (it fills the
	 * firewall's host sets); libvirt's dnsmasq only does DHCP and
	 * announces that server. */
	buf_printf(b,
		   "  <dns enable='no'/>\n  <dnsmasq:options>\n"
		   "    <dnsmasq:option value='dhcp-option=option:dns-server,%s'/>\n"
		   "  </dnsmasq:options>\n</network>\n",
		   gw);
	return 0;
}

static void ni_remove(virConnectPtr c, const char *name)
{
	virNetworkPtr net = virNetworkLookupByName(c, name);

	if (!net)
		return;
	if (virNetworkIsActive(net) == 1)
		virNetworkDestroy(net);
	virNetworkUndefine(net);
	virNetworkFree(net);
}

static void ni_mark_owned(struct runtime *rt, const char *uuid)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/nets", rt->state_dir);
	fileio_mkdirs(path, 0755);
	snprintf(path, sizeof(path), "%s/nets/%s", rt->state_dir, uuid);
	fileio_write_atomic(path, "", 0, 0644);
}

static unsigned sig_str(unsigned h, const char *s)
{
	for (; *s; s++)
		h = h * 31u + (unsigned char)*s;
	return h;
}

static void ni_leases(struct rt_ni *n, virConnectPtr c)
{
	virNetworkDHCPLeasePtr *ls = NULL;
	virNetworkPtr net = virNetworkLookupByName(c, n->net);
	unsigned sig = 17;
	int i, cnt;

	n->n_leases = 0;
	if (!net)
		return;
	cnt = virNetworkGetDHCPLeases(net, NULL, &ls, 0);
	for (i = 0; i < cnt; i++) {
		if (n->n_leases < RT_MAX_LEASES && ls[i]->mac && ls[i]->ipaddr) {
			struct rt_lease *l = &n->leases[n->n_leases++];

			snprintf(l->mac, sizeof(l->mac), "%s", ls[i]->mac);
			snprintf(l->ip, sizeof(l->ip), "%s", ls[i]->ipaddr);
			sig = sig_str(sig_str(sig, l->mac), l->ip);
		}
		virNetworkDHCPLeaseFree(ls[i]);
	}
	free(ls);
	virNetworkFree(net);
	n->lease_sig = sig;
}

/* Make the libvirt network match the config; adopt one that already does. */
static void ni_apply(struct runtime *rt, struct rt_ni *n, const rt_ni_cfg *nc)
{
	char hash[BLOBSTORE_HEX_LEN];
	uint8_t dig[32];
	struct buf b;
	virConnectPtr c;
	virNetworkPtr net;

	buf_init(&b, 1 << 16);
	if (ni_xml(n, nc, &b) < 0) {
		n->state = NS(ERROR);
		goto out;
	}
	crypto_sha256(b.data, b.len, dig);
	hexstr_encode(dig, 32, hash);
	if (rt_conn(rt, RT_HV_QEMU, &c, n->err, sizeof(n->err)) < 0) {
		n->state = NS(ERROR);
		goto out;
	}
	net = virNetworkLookupByName(c, n->net);
	if (net && strcmp(hash, n->xml_hash) != 0 && n->xml_hash[0]) {
		virNetworkFree(net); /* config changed: rebuild */
		ni_remove(c, n->net);
		net = NULL;
	}
	/* Ours from now on, also when adopted from an earlier run. */
	ni_mark_owned(rt, n->uuid);
	if (!net && !(net = virNetworkDefineXML(c, (const char *)b.data))) {
		rt_seterr(n->err, "network %s: %s", n->net, hv_last_error());
		n->state = NS(ERROR);
		goto out;
	}
	if (virNetworkIsActive(net) != 1 && virNetworkCreate(net) < 0) {
		rt_seterr(n->err, "starting network %s: %s", n->net, hv_last_error());
		n->state = NS(ERROR);
		virNetworkFree(net);
		goto out;
	}
	virNetworkFree(net);
	if (nc->insttype == NT(ZnetInstSwitch) && nc->port && nc->port->name && nc->port->name[0]) {
		char *argv[] = {"ip", "link", "set", "dev", nc->port->name, "master", n->bridge, NULL};
		char err[256];

		volume_run(argv, err, sizeof(err)); /* best effort: the port may be absent */
	}
	memcpy(n->xml_hash, hash, sizeof(hash));
	if (nc->insttype != NT(ZnetInstSwitch))
		ni_leases(n, c);
	n->state = NS(ONLINE);
	n->err[0] = '\0';
out:
	buf_free(&b);
}

/* "eve" + 10 hex of SHA-256(uuid): fits IFNAMSIZ and differs for UUIDs
 * that share a prefix. */
static void ni_bridge_name(const char *uuid, char out[16])
{
	uint8_t h[32];
	char hex[65];

	crypto_sha256(uuid, strlen(uuid), h);
	hexstr_encode(h, 32, hex);
	snprintf(out, 16, "eve%.10s", hex);
}

static struct rt_ni *ni_track(struct runtime *rt, const rt_ni_cfg *nc)
{
	const char *uuid = nc->uuidandversion->uuid;
	struct rt_ni *n = rt_netinst_find(rt, uuid), **arr;

	if (!n) {
		n = calloc(1, sizeof(*n));
		arr = n ? realloc(rt->nis, (rt->n_nis + 1) * sizeof(*arr)) : NULL;
		if (!arr) {
			free(n);
			return NULL;
		}
		rt->nis = arr;
		snprintf(n->uuid, sizeof(n->uuid), "%s", uuid);
		snprintf(n->net, sizeof(n->net), "eve-ni-%s", uuid);
		ni_bridge_name(uuid, n->bridge);
		n->state = NS(INIT);
		rt->nis[rt->n_nis++] = n;
	}
	n->type = nc->insttype;
	free(n->name);
	free(n->version);
	n->name = strdup(nc->displayname ? nc->displayname : "");
	n->version = strdup(nc->uuidandversion->version ? nc->uuidandversion->version : "");
	return n;
}

/* Networks this runtime made have a marker in <state>/nets/, so several
 * runtimes on one host (tests, quickstart) never remove each other's.
 * True when uuid is ours; the marker goes with the network. */
static bool ni_take_owned(struct runtime *rt, const char *uuid)
{
	char path[4096];

	if (!uuidgen_valid(uuid))
		return false;
	snprintf(path, sizeof(path), "%s/nets/%s", rt->state_dir, uuid);
	return unlink(path) == 0;
}

/* True when nets/ has a marker for a network the config does not name. */
static bool maybe_strays(struct runtime *rt)
{
	char path[4096];
	struct dirent *de;
	bool any = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/nets", rt->state_dir);
	dir = opendir(path);
	while (dir && !any && (de = readdir(dir)))
		any = de->d_name[0] != '.' && !rt_netinst_find(rt, de->d_name);
	if (dir)
		closedir(dir);
	return any;
}

static void ni_remove_strays(struct runtime *rt)
{
	virNetworkPtr *nets = NULL;
	virConnectPtr c;
	int k, cnt;

	if (!maybe_strays(rt) || rt_conn(rt, RT_HV_QEMU, &c, NULL, 0) < 0)
		return;
	cnt = virConnectListAllNetworks(c, &nets, 0);
	for (k = 0; k < cnt; k++) {
		const char *name = virNetworkGetName(nets[k]);

		if (name && strncmp(name, "eve-ni-", 7) == 0 && !rt_netinst_find(rt, name + 7) &&
		    ni_take_owned(rt, name + 7))
			ni_remove(c, name);
		virNetworkFree(nets[k]);
	}
	free(nets);
}

void rt_netinst_sync(struct runtime *rt)
{
	size_t i, j;

	for (i = 0; i < rt->n_nis; i++)
		rt->nis[i]->mark = false;
	for (i = 0; rt->cfg && i < rt->cfg->n_networkinstances; i++) {
		const rt_ni_cfg *nc = rt->cfg->networkinstances[i];
		struct rt_ni *n;

		if (!nc->uuidandversion || !uuidgen_valid(nc->uuidandversion->uuid))
			continue;
		n = ni_track(rt, nc);
		if (!n)
			continue;
		n->mark = true;
		ni_apply(rt, n, nc);
	}
	for (i = j = 0; i < rt->n_nis; i++) {
		if (rt->nis[i]->mark)
			rt->nis[j++] = rt->nis[i];
		else
			rt_netinst_free(rt->nis[i]);
	}
	rt->n_nis = j;
	ni_remove_strays(rt);
	for (i = 0; i < rt->n_nis; i++)
		rt_report_ni(rt, rt->nis[i]);
}
