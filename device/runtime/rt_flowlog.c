// SPDX-License-Identifier: Apache-2.0
/* Flow logs (see rt_flowlog.h). */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "flowlog/flowlog.pb-c.h"
#include "pbpack.h"
#include "rt_firewall.h"
#include "rt_flowlog.h"
#include "rt_internal.h"
#include "runtime.h"

#define ST(x) ORG__LFEDGE__EVE__INFO__ZSW_STATE__##x
#define NT(x) ORG__LFEDGE__EVE__CONFIG__ZNETWORK_INST_TYPE__##x
#define FL_LIST_MAX (4u << 20)   /* conntrack / nft output read */
#define FL_MAX_FLOWS 4096        /* tracked accepted flows */
#define FL_MAX_DROPS 8192        /* tracked drop-set elements */
#define FL_DNS_LOG_MAX (1 << 20) /* the DNS log is emptied past this */
#define FL_MAX_NICS 64           /* app adapters handled per collection */

enum { FL_NONE, FL_ESSENTIAL, FL_ACE };

typedef Org__Lfedge__Eve__Flowlog__FlowRecord FlowRecord;
typedef Org__Lfedge__Eve__Flowlog__DnsRequest DnsRequest;

struct fl_flow {
	char key[128]; /* app uuid + original tuple */
	int32_t ace;   /* decided when first seen: the rules then */
	int kind;      /* FL_ESSENTIAL, FL_ACE, FL_NONE */
	uint64_t first_ms, last_ms;
	uint64_t pkts_reported;
	bool present; /* in the latest listing */
};

struct fl_drop {
	char key[160]; /* app uuid, adapter, direction, set element */
	uint64_t first_ms, pkts;
};

struct fl_msg {
	uint8_t *data;
	size_t len;
};

struct rt_flowlog {
	pthread_mutex_t mu; /* guards q, nq, qbytes, lost */
	struct fl_msg *q;
	size_t nq, qbytes;
	uint64_t lost;
	struct fl_flow *flows;
	size_t nflows;
	struct fl_drop *drops;
	size_t ndrops;
	uint64_t next_ms;
	bool acct;
};

/* One app adapter with a lease on a local network instance. */
struct fl_nic {
	const char *app, *ni, *intf;
	size_t idx;
	char ip[INET_ADDRSTRLEN];
	uint32_t addr, gw;
	struct rt_fw_ace aces[RT_FW_MAX_ACES];
	size_t n_aces;
	/* what this collection found */
	FlowRecord **recs;
	size_t nrecs;
	DnsRequest **dns;
	size_t ndns;
};

/* ---- time ------------------------------------------------------------------ */

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static Google__Protobuf__Timestamp *stamp(uint64_t ms)
{
	Google__Protobuf__Timestamp *t = calloc(1, sizeof(*t));

	if (t) {
		google__protobuf__timestamp__init(t);
		t->seconds = (int64_t)(ms / 1000);
		t->nanos = (int32_t)(ms % 1000) * 1000000;
	}
	return t;
}

/* ---- which ACE allowed a flow ---------------------------------------------- */

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static bool in_net(const char *net, uint32_t ip)
{
	char addr[20];
	const char *slash = strchr(net, '/');
	int len = slash ? atoi(slash + 1) : 32;
	uint32_t m = len ? ~0u << (32 - len) : 0;

	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - net) : (int)strlen(net), net);
	return (ip & m) == (ip4(addr) & m);
}

/* Is ip in the app's host set for host (what DNS answered)? */
/* 1 when ip is in the app's resolved set of host, 0 when not, -EIO when
 * nft could not say (a busy netlink dump on a loaded machine). */
static int in_host_set(const char *app, const char *host, uint32_t ip)
{
	char table[RT_ID_MAX + 16], set[24], want[INET_ADDRSTRLEN];
	char *argv[] = {"nft", "list", "set", "bridge", table, set, NULL};
	struct in_addr a = {.s_addr = htonl(ip)};
	const char *p;
	struct buf out;
	int found = -EIO;

	snprintf(table, sizeof(table), "eve-fw-%s", app);
	rt_fw_host_set(host, set);
	inet_ntop(AF_INET, &a, want, sizeof(want));
	buf_init(&out, FL_LIST_MAX);
	if (rt_fw_run(argv, &out, NULL, 0) == 0 && buf_append(&out, "", 1) == 0) {
		size_t n = strlen(want);

		found = 0;
		for (p = strstr((char *)out.data, "elements"); p && (p = strstr(p, want)) && !found; p += n)
			found = !strchr("0123456789.", p[n]) && !strchr("0123456789.", p[-1]);
	}
	buf_free(&out);
	return found;
}

/* The first ACE of nic matching the flow (remote ip/port, local port), as
 * the rules evaluate them; NULL if none (an essential: DHCP, DNS). *unsure
 * is set when a host ACE could not be checked: decide later, since a flow
 * keeps the ACE decided when it is first reported. */
static const struct rt_fw_ace *flow_ace(const struct fl_nic *n, int proto, uint32_t remote, int rport,
					int lport, bool inbound, bool *unsure)
{
	size_t i;

	for (i = 0; i < n->n_aces; i++) {
		const struct rt_fw_ace *a = &n->aces[i];

		if (a->proto >= 0 && a->proto != proto)
			continue;
		if (a->net[0] && !in_net(a->net, remote))
			continue;
		if (a->action == RT_FW_PORTMAP) {
			if (!inbound || lport != a->app_port)
				continue;
		} else if ((a->fport_lo && (rport < a->fport_lo || rport > a->fport_hi)) ||
			   (a->lport_lo && (lport < a->lport_lo || lport > a->lport_hi))) {
			continue;
		}
		if (a->host[0]) {
			int in = in_host_set(n->app, a->host, remote);

			*unsure |= in < 0;
			if (in <= 0)
				continue;
		}
		return a;
	}
	return NULL;
}

/* ---- records ------------------------------------------------------------------ */

static FlowRecord *record(struct fl_nic *n, bool inbound, const char *src, int sport, const char *dst,
			  int dport, int proto)
{
	FlowRecord *r;
	Org__Lfedge__Eve__Flowlog__IpFlow *f;
	FlowRecord **arr;

	if (n->nrecs >= RT_FLOWLOG_MSG_RECORDS)
		return NULL;
	r = calloc(1, sizeof(*r));
	f = calloc(1, sizeof(*f));
	arr = r && f ? realloc(n->recs, (n->nrecs + 1) * sizeof(*arr)) : NULL;
	if (!arr) {
		free(r);
		free(f);
		return NULL;
	}
	n->recs = arr;
	org__lfedge__eve__flowlog__flow_record__init(r);
	org__lfedge__eve__flowlog__ip_flow__init(f);
	f->src = strdup(src);
	f->dest = strdup(dst);
	f->srcport = sport;
	f->destport = dport;
	f->protocol = proto;
	r->flow = f;
	r->inbound = inbound;
	n->recs[n->nrecs++] = r;
	return r;
}

static const char *action_name(const struct fl_nic *n, int32_t id)
{
	size_t i;

	for (i = 0; i < n->n_aces; i++)
		if (n->aces[i].id == id)
			return n->aces[i].action == RT_FW_LIMIT  ? " limit"
			       : n->aces[i].action == RT_FW_DROP ? " drop"
								 : "";
	return "";
}

static void ace_into(FlowRecord *r, const struct fl_flow *f)
{
	char name[32];

	r->aclid = f->ace;
	if (f->kind == FL_ACE)
		snprintf(name, sizeof(name), "ace %d", f->ace);
	else
		snprintf(name, sizeof(name), "%s",
			 f->kind == FL_ESSENTIAL ? "essential (DHCP/DNS)" : "none (older rules)");
	r->aclname = strdup(name);
}

/* ---- accepted flows: conntrack ---------------------------------------------------- */

static struct fl_flow *flow_track(struct rt_flowlog *fl, const char *key, uint64_t now)
{
	struct fl_flow *f, *arr;
	size_t i;

	for (i = 0; i < fl->nflows; i++)
		if (strcmp(fl->flows[i].key, key) == 0)
			return &fl->flows[i];
	if (fl->nflows >= FL_MAX_FLOWS)
		return NULL;
	arr = realloc(fl->flows, (fl->nflows + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	fl->flows = arr;
	f = &fl->flows[fl->nflows++];
	memset(f, 0, sizeof(*f));
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->first_ms = now;
	return f;
}

struct ct_entry {
	int proto;
	char src[2][INET_ADDRSTRLEN], dst[2][INET_ADDRSTRLEN];
	int sport[2], dport[2];
	uint64_t pkts[2], bytes[2];
	bool closing;
	bool unreplied; /* nothing came back: dropped further on (or lost) */
};

/* One line of `conntrack -L` ("tcp 6 117 TIME_WAIT src=.. dst=.. sport=..
 * dport=.. packets=.. bytes=.. src=.. ..."): the first tuple is the
 * original direction, the second the reply. */
static bool ct_parse(char *line, struct ct_entry *e)
{
	char *tok, *save = NULL;
	int dir = -1, field = 0;

	memset(e, 0, sizeof(*e));
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), field++) {
		char *eq = strchr(tok, '=');

		if (field == 1)
			e->proto = atoi(tok);
		if (!strcmp(tok, "TIME_WAIT") || !strcmp(tok, "CLOSE") || !strcmp(tok, "LAST_ACK"))
			e->closing = true;
		e->unreplied |= !strcmp(tok, "[UNREPLIED]");
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(tok, "src") && ++dir > 1)
			break;
		if (dir < 0)
			continue;
		if (!strcmp(tok, "src"))
			snprintf(e->src[dir], sizeof(e->src[dir]), "%s", eq);
		else if (!strcmp(tok, "dst"))
			snprintf(e->dst[dir], sizeof(e->dst[dir]), "%s", eq);
		else if (!strcmp(tok, "sport"))
			e->sport[dir] = atoi(eq);
		else if (!strcmp(tok, "dport"))
			e->dport[dir] = atoi(eq);
		else if (!strcmp(tok, "packets"))
			e->pkts[dir] = strtoull(eq, NULL, 10);
		else if (!strcmp(tok, "bytes"))
			e->bytes[dir] = strtoull(eq, NULL, 10);
	}
	return dir == 1 && e->proto > 0;
}

static void ct_entry_report(struct rt_flowlog *fl, struct fl_nic *n, struct ct_entry *e, uint64_t now)
{
	bool inbound = strcmp(e->src[0], n->ip) != 0; /* then the app is the reply source */
	int o = inbound ? 1 : 0;                      /* direction whose source is the app */
	const char *remote = inbound ? e->src[0] : e->dst[0];
	int rport = inbound ? e->sport[0] : e->dport[0], lport = inbound ? e->sport[1] : e->sport[0];
	char key[128];
	struct fl_flow *f;
	FlowRecord *r;

	snprintf(key, sizeof(key), "%.36s %d %s:%d>%s:%d", n->app, e->proto, e->src[0], e->sport[0],
		 e->dst[0], e->dport[0]);
	f = flow_track(fl, key, now);
	if (!f)
		return;
	f->present = true;
	f->last_ms = now;
	if (f->pkts_reported == UINT64_MAX)
		return; /* ended and reported */
	if (!e->closing && f->pkts_reported == e->pkts[0] + e->pkts[1])
		return; /* nothing new */
	if (f->pkts_reported == 0 && f->kind == FL_NONE) {
		bool unsure = false;
		const struct rt_fw_ace *a =
		    flow_ace(n, e->proto, ip4(remote), rport, lport, inbound, &unsure);

		if (unsure)
			return; /* reported at the next collection, with its ACE */
		f->kind = ip4(remote) == n->gw && (rport == 53 || lport == 68) ? FL_ESSENTIAL
			  : a                                                  ? FL_ACE
									       : FL_NONE;
		f->ace = f->kind == FL_ACE ? a->id : 0;
	}
	r = inbound ? record(n, true, remote, rport, n->ip, lport, e->proto)
		    : record(n, false, n->ip, lport, remote, rport, e->proto);
	if (!r)
		return;
	r->action = ORG__LFEDGE__EVE__FLOWLOG__ACLACTION__ActionAccept;
	ace_into(r, f);
	r->starttime = stamp(f->first_ms);
	r->endtime = stamp(now);
	r->txpkts = (int64_t)e->pkts[o];
	r->txbytes = (int64_t)e->bytes[o];
	r->rxpkts = (int64_t)e->pkts[1 - o];
	r->rxbytes = (int64_t)e->bytes[1 - o];
	f->pkts_reported = e->closing ? UINT64_MAX : e->pkts[0] + e->pkts[1];
}

static void ct_collect(struct rt_flowlog *fl, struct fl_nic *n, const char *filter, uint64_t now)
{
	char *argv[] = {"conntrack", "-L", "-f", "ipv4", (char *)filter, n->ip, NULL};
	struct buf out;
	char *line, *save = NULL;

	buf_init(&out, FL_LIST_MAX);
	if (rt_fw_run(argv, &out, NULL, 0) == 0 && buf_append(&out, "", 1) == 0)
		for (line = strtok_r((char *)out.data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			struct ct_entry e;

			/* original source the app, or (port maps) reply source */
			if (ct_parse(line, &e) && !e.unreplied &&
			    (strcmp(e.src[0], n->ip) == 0 || strcmp(e.src[1], n->ip) == 0))
				ct_entry_report(fl, n, &e, now);
		}
	buf_free(&out);
}

/* Flows gone from conntrack are forgotten. */
static void flows_prune(struct rt_flowlog *fl)
{
	size_t i, j;

	for (i = j = 0; i < fl->nflows; i++)
		if (fl->flows[i].present) {
			fl->flows[i].present = false;
			fl->flows[j++] = fl->flows[i];
		}
	fl->nflows = j;
}

/* ---- dropped flows: the firewall's drop sets ------------------------------------------ */

static struct fl_drop *drop_track(struct rt_flowlog *fl, const char *key, uint64_t now)
{
	struct fl_drop *d, *arr;
	size_t i;

	for (i = 0; i < fl->ndrops; i++)
		if (strcmp(fl->drops[i].key, key) == 0)
			return &fl->drops[i];
	if (fl->ndrops >= FL_MAX_DROPS)
		return NULL;
	arr = realloc(fl->drops, (fl->ndrops + 1) * sizeof(*arr));
	if (!arr)
		return NULL;
	fl->drops = arr;
	d = &fl->drops[fl->ndrops++];
	memset(d, 0, sizeof(*d));
	snprintf(d->key, sizeof(d->key), "%s", key);
	d->first_ms = now;
	return d;
}

static int proto_of(const json_t *v)
{
	const char *s = json_string_value(v);

	if (json_is_integer(v))
		return (int)json_integer_value(v);
	return !s                   ? 0
	       : !strcmp(s, "tcp")  ? IPPROTO_TCP
	       : !strcmp(s, "udp")  ? IPPROTO_UDP
	       : !strcmp(s, "sctp") ? IPPROTO_SCTP
				    : 0;
}

/* One element {"elem": {"val": {"concat": [mark, ip, proto, port]}, "counter": {...}}}. */
static void drop_elem(struct rt_flowlog *fl, struct fl_nic *n, bool out, const json_t *el, uint64_t now)
{
	const json_t *e = json_object_get(el, "elem"),
		     *c = json_object_get(json_object_get(e, "val"), "concat");
	const char *remote = json_string_value(json_array_get(c, 1));
	uint64_t pkts =
	    (uint64_t)json_integer_value(json_object_get(json_object_get(e, "counter"), "packets"));
	uint64_t bytes =
	    (uint64_t)json_integer_value(json_object_get(json_object_get(e, "counter"), "bytes"));
	int32_t ace = (int32_t)json_integer_value(json_array_get(c, 0));
	int proto = proto_of(json_array_get(c, 2)), port = (int)json_integer_value(json_array_get(c, 3));
	char key[160], name[32];
	struct fl_drop *d;
	FlowRecord *r;

	if (!remote || json_array_size(c) != 4)
		return;
	snprintf(key, sizeof(key), "%.36s %zu %d %d %s %d %d", n->app, n->idx, out, ace, remote, proto, port);
	d = drop_track(fl, key, now);
	if (!d || pkts <= d->pkts)
		return;
	r = out ? record(n, false, n->ip, 0, remote, port, proto)
		: record(n, true, remote, 0, n->ip, port, proto);
	if (!r)
		return;
	r->action = ORG__LFEDGE__EVE__FLOWLOG__ACLACTION__ActionDrop;
	r->aclid = ace;
	if (ace)
		snprintf(name, sizeof(name), "ace %d%s", ace, action_name(n, ace));
	else
		snprintf(name, sizeof(name), "default drop");
	r->aclname = strdup(name);
	r->starttime = stamp(d->first_ms);
	r->endtime = stamp(now);
	if (out) {
		r->txpkts = (int64_t)(pkts - d->pkts);
		r->txbytes = (int64_t)bytes;
	} else {
		r->rxpkts = (int64_t)(pkts - d->pkts);
		r->rxbytes = (int64_t)bytes;
	}
	d->pkts = pkts;
}

static void drop_collect(struct rt_flowlog *fl, struct fl_nic *n, bool out, uint64_t now)
{
	char table[RT_ID_MAX + 16], set[32];
	char *argv[] = {"nft", "-j", "list", "set", "bridge", table, set, NULL};
	const json_t *item, *el;
	json_t *root = NULL;
	struct buf b;
	size_t i, j;

	snprintf(table, sizeof(table), "eve-fw-%s", n->app);
	snprintf(set, sizeof(set), "drop_%s_%zu", out ? "out" : "in", n->idx);
	buf_init(&b, FL_LIST_MAX);
	if (rt_fw_run(argv, &b, NULL, 0) == 0)
		root = json_loadb((const char *)b.data, b.len, 0, NULL);
	json_array_foreach(json_object_get(root, "nftables"), i, item)
	{
		json_array_foreach(json_object_get(json_object_get(item, "set"), "elem"), j, el)
		{
			drop_elem(fl, n, out, el, now);
		}
	}
	json_decref(root);
	buf_free(&b);
}

/* ---- DNS requests: the network instance's DNS log ------------------------------------ */

static DnsRequest *dns_add(struct fl_nic *n, const char *name, uint64_t now)
{
	DnsRequest *d, **arr;

	if (n->ndns >= RT_FLOWLOG_MSG_RECORDS)
		return NULL;
	d = calloc(1, sizeof(*d));
	arr = d ? realloc(n->dns, (n->ndns + 1) * sizeof(*arr)) : NULL;
	if (!arr) {
		free(d);
		return NULL;
	}
	n->dns = arr;
	org__lfedge__eve__flowlog__dns_request__init(d);
	d->hostname = strdup(name);
	d->requesttime = stamp(now);
	n->dns[n->ndns++] = d;
	return d;
}

static void dns_addr(DnsRequest *d, const char *addr)
{
	char **arr;
	unsigned char tmp[16];

	if (!d || d->n_addrs >= 16 ||
	    (inet_pton(AF_INET, addr, tmp) != 1 && inet_pton(AF_INET6, addr, tmp) != 1))
		return;
	arr = realloc(d->addrs, (d->n_addrs + 1) * sizeof(*arr));
	if (!arr)
		return;
	d->addrs = arr;
	d->addrs[d->n_addrs++] = strdup(addr);
}

static struct fl_nic *nic_by_ip(struct fl_nic *nics, size_t n, const char *ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(nics[i].ip, ip) == 0)
			return &nics[i];
	return NULL;
}

/* A log-queries=extra line: "<date> dnsmasq[pid]: SERIAL CLIENT/PORT query[A] NAME from CLIENT",
 * "... reply|cached|config NAME is ADDR". last[] remembers the request of
 * the newest serial per client. */
static void dns_line(char *line, struct fl_nic *nics, size_t n, DnsRequest **last, uint64_t now)
{
	char client[64], verb[32], name[256], rest[256];
	const char *p = strstr(line, "]: ");
	struct fl_nic *nic;
	unsigned serial;
	char *slash;

	if (!p || sscanf(p + 3, "%u %63s %31s %255s %255s", &serial, client, verb, name, rest) != 5)
		return;
	if ((slash = strchr(client, '/')))
		*slash = '\0';
	nic = nic_by_ip(nics, n, client);
	if (!nic)
		return;
	if (strncmp(verb, "query[", 6) == 0) {
		last[nic - nics] = strcmp(verb, "query[A]") == 0 || strcmp(verb, "query[AAAA]") == 0
				       ? dns_add(nic, name, now)
				       : NULL;
		return;
	}
	if ((!strcmp(verb, "reply") || !strcmp(verb, "cached") || !strcmp(verb, "config")) &&
	    !strcmp(rest, "is")) {
		const char *is = strstr(p, " is ");

		if (is && last[nic - nics])
			dns_addr(last[nic - nics], is + 4);
	}
}

static void dns_collect(struct runtime *rt, struct rt_ni *ni, struct fl_nic *nics, size_t n, uint64_t now)
{
	DnsRequest *last[FL_MAX_NICS] = {0};
	char path[4096], *line, *save = NULL;
	struct stat st;
	size_t got;
	char *data;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dns/%s.log", rt->state_dir, ni->uuid);
	if (stat(path, &st) < 0)
		return;
	if ((uint64_t)st.st_size < ni->dns_log_off)
		ni->dns_log_off = 0; /* emptied */
	if ((uint64_t)st.st_size == ni->dns_log_off)
		return;
	f = fopen(path, "r");
	data = f ? malloc(FL_DNS_LOG_MAX + 1) : NULL;
	if (!data || fseeko(f, (off_t)ni->dns_log_off, SEEK_SET) < 0) {
		free(data);
		if (f)
			fclose(f);
		return;
	}
	got = fread(data, 1, FL_DNS_LOG_MAX, f);
	fclose(f);
	while (got > 0 && data[got - 1] != '\n')
		got--; /* a partial last line: next time */
	data[got] = '\0';
	ni->dns_log_off += got;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		dns_line(line, nics, n, last, now);
	free(data);
	if (ni->dns_log_off > FL_DNS_LOG_MAX && truncate(path, 0) == 0)
		ni->dns_log_off = 0; /* dnsmasq appends (O_APPEND): it goes on at 0 */
}

/* ---- the adapters to look at ---------------------------------------------------------- */

/* At most how many adapters nics_of can fill (running apps' adapters,
 * capped at FL_MAX_NICS). */
static size_t nics_bound(const struct runtime *rt)
{
	size_t i, n = 0;

	for (i = 0; i < rt->n_apps && n < FL_MAX_NICS; i++) {
		const struct rt_app *a = rt->apps[i];

		if (a->cfg && a->state == ST(RUNNING))
			n += a->cfg->n_interfaces < RT_FW_MAX_NICS ? a->cfg->n_interfaces : RT_FW_MAX_NICS;
	}
	return n < FL_MAX_NICS ? n : FL_MAX_NICS;
}

static size_t nics_of(struct runtime *rt, struct fl_nic *nics, size_t max)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < rt->n_apps && n < max; i++) {
		const struct rt_app *a = rt->apps[i];

		if (!a->cfg || a->state != ST(RUNNING))
			continue;
		for (j = 0; j < a->cfg->n_interfaces && j < RT_FW_MAX_NICS && n < max; j++) {
			const Org__Lfedge__Eve__Config__NetworkAdapter *na = a->cfg->interfaces[j];
			const struct rt_ni *ni = rt_netinst_find(rt, na->networkid);
			struct fl_nic *x = &nics[n];
			const char *ip;
			char mac[18];

			if (!ni || ni->type != NT(ZnetInstLocal))
				continue;
			rt_app_mac(a->uuid, j, na->macaddress, mac);
			if (!(ip = rt_netinst_ip(rt, mac)) || !ip4(ip))
				continue;
			memset(x, 0, sizeof(*x));
			x->app = a->uuid;
			x->ni = ni->uuid;
			x->intf = na->name ? na->name : "";
			x->idx = j;
			snprintf(x->ip, sizeof(x->ip), "%s", ip);
			x->addr = ip4(ip);
			x->gw = ip4(ni->gw);
			for (k = 0; k < na->n_acls && x->n_aces < RT_FW_MAX_ACES; k++) {
				char err[160];

				if (na->acls[k] &&
				    rt_fw_parse_ace(na->acls[k], &x->aces[x->n_aces], err, sizeof(err)) == 0)
					x->n_aces++;
			}
			n++;
		}
	}
	return n;
}

/* ---- queue ------------------------------------------------------------------------------ */

static void queue_push(struct rt_flowlog *fl, uint8_t *data, size_t len)
{
	struct fl_msg *arr;

	pthread_mutex_lock(&fl->mu);
	while (fl->nq && fl->qbytes + len > RT_FLOWLOG_BUDGET) { /* oldest out */
		fl->qbytes -= fl->q[0].len;
		free(fl->q[0].data);
		memmove(fl->q, fl->q + 1, (fl->nq - 1) * sizeof(*fl->q));
		fl->nq--;
		fl->lost++;
	}
	arr = len <= RT_FLOWLOG_BUDGET ? realloc(fl->q, (fl->nq + 1) * sizeof(*arr)) : NULL;
	if (arr) {
		fl->q = arr;
		fl->q[fl->nq].data = data;
		fl->q[fl->nq++].len = len;
		fl->qbytes += len;
		data = NULL;
	} else {
		fl->lost++;
	}
	pthread_mutex_unlock(&fl->mu);
	free(data);
}

static void nic_pack(struct rt_flowlog *fl, struct fl_nic *n)
{
	Org__Lfedge__Eve__Flowlog__FlowMessage m = ORG__LFEDGE__EVE__FLOWLOG__FLOW_MESSAGE__INIT;
	Org__Lfedge__Eve__Flowlog__ScopeInfo sc = ORG__LFEDGE__EVE__FLOWLOG__SCOPE_INFO__INIT;
	uint8_t *data;
	size_t len, i;

	if (n->nrecs || n->ndns) {
		sc.uuid = (char *)n->app;
		sc.intf = (char *)n->intf;
		sc.netinstuuid = (char *)n->ni;
		m.scope = &sc;
		m.flows = n->recs;
		m.n_flows = n->nrecs;
		m.dnsreqs = n->dns;
		m.n_dnsreqs = n->ndns;
		m.devid = "";
		if (pbpack(&m.base, 0, &data, &len) == 0)
			queue_push(fl, data, len);
	}
	for (i = 0; i < n->nrecs; i++)
		protobuf_c_message_free_unpacked(&n->recs[i]->base, NULL);
	for (i = 0; i < n->ndns; i++)
		protobuf_c_message_free_unpacked(&n->dns[i]->base, NULL);
	free(n->recs);
	free(n->dns);
}

/* ---- collection ---------------------------------------------------------------------------- */

static struct rt_flowlog *fl_get(struct runtime *rt)
{
	if (!rt->flowlog && (rt->flowlog = calloc(1, sizeof(*rt->flowlog))))
		pthread_mutex_init(&rt->flowlog->mu, NULL);
	return rt->flowlog;
}

static void acct_on(struct rt_flowlog *fl)
{
	FILE *f;

	if (fl->acct)
		return;
	f = fopen("/proc/sys/net/netfilter/nf_conntrack_acct", "w");
	if (f) {
		fl->acct = fputs("1\n", f) >= 0;
		fclose(f);
	}
}

void rt_flowlog_sync(struct runtime *rt)
{
	struct rt_flowlog *fl = fl_get(rt);
	struct fl_nic *nics;
	uint64_t now = wall_ms();
	size_t n, i, cap;

	if (!fl || rt_now_ms() < fl->next_ms)
		return;
	fl->next_ms = rt_now_ms() + RT_FLOWLOG_PERIOD_MS;
	/* Only as many slots as running apps have adapters (~20 KiB each):
	 * none on a device without apps, where 64 slots were 1.3 MiB
	 * allocated and freed every period, held by malloc in between. */
	cap = nics_bound(rt);
	nics = cap ? calloc(cap, sizeof(*nics)) : NULL;
	if (cap && !nics)
		return;
	acct_on(fl);
	n = cap ? nics_of(rt, nics, cap) : 0;
	for (i = 0; i < n; i++) {
		ct_collect(fl, &nics[i], "--src", now);
		ct_collect(fl, &nics[i], "--reply-src", now);
		drop_collect(fl, &nics[i], true, now);
		drop_collect(fl, &nics[i], false, now);
	}
	flows_prune(fl);
	for (i = 0; i < rt->n_nis; i++)
		if (rt->nis[i]->type == NT(ZnetInstLocal))
			dns_collect(rt, rt->nis[i], nics, n, now);
	for (i = 0; i < n; i++)
		nic_pack(fl, &nics[i]);
	free(nics);
}

void rt_flowlog_free(struct rt_flowlog *fl)
{
	size_t i;

	if (!fl)
		return;
	for (i = 0; i < fl->nq; i++)
		free(fl->q[i].data);
	free(fl->q);
	free(fl->flows);
	free(fl->drops);
	pthread_mutex_destroy(&fl->mu);
	free(fl);
}

/* A queued message with devId set, packed into *data (caller frees). */
static int with_devid(const struct fl_msg *m, const char *dev_uuid, uint8_t **data, size_t *len)
{
	Org__Lfedge__Eve__Flowlog__FlowMessage *msg =
	    org__lfedge__eve__flowlog__flow_message__unpack(NULL, m->len, m->data);
	char *old;
	int r;

	if (!msg)
		return -EINVAL;
	old = msg->devid;
	msg->devid = (char *)dev_uuid;
	r = pbpack(&msg->base, 0, data, len);
	msg->devid = old;
	org__lfedge__eve__flowlog__flow_message__free_unpacked(msg, NULL);
	return r;
}

int runtime_flowlog_flush(struct runtime *rt, const char *dev_uuid, runtime_flowlog_fn fn, void *ctx)
{
	struct rt_flowlog *fl = rt->flowlog;
	struct fl_msg *q;
	size_t nq, i = 0;
	int sent = 0, r = 0;

	if (!fl)
		return 0;
	/* Take the queue; send without the lock (the runtime keeps queueing). */
	pthread_mutex_lock(&fl->mu);
	q = fl->q;
	nq = fl->nq;
	fl->q = NULL;
	fl->nq = fl->qbytes = 0;
	pthread_mutex_unlock(&fl->mu);
	for (; i < nq && r >= 0; i++) {
		uint8_t *data = NULL;
		size_t len = 0;

		if (with_devid(&q[i], dev_uuid, &data, &len) == 0) {
			r = fn(ctx, data, len);
			sent += r >= 0;
		}
		free(data);
		if (r < 0)
			break;
		free(q[i].data);
	}
	/* What was not sent goes back in front of what came meanwhile. */
	pthread_mutex_lock(&fl->mu);
	for (size_t k = nq; k > i; k--) {
		struct fl_msg *arr = realloc(fl->q, (fl->nq + 1) * sizeof(*arr));

		if (!arr || fl->qbytes + q[k - 1].len > RT_FLOWLOG_BUDGET) {
			free(q[k - 1].data);
			fl->lost++;
			continue;
		}
		fl->q = arr;
		memmove(fl->q + 1, fl->q, fl->nq * sizeof(*fl->q));
		fl->q[0] = q[k - 1];
		fl->nq++;
		fl->qbytes += q[k - 1].len;
	}
	pthread_mutex_unlock(&fl->mu);
	free(q);
	return r < 0 ? r : sent;
}
