// SPDX-License-Identifier: Apache-2.0
/* Management port selection and network-setting rollback. */
#include "netmgr.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fileio.h"
#include "conndiag.h"
#include "pacresult.h"
#include "portdns.h"

#define PORT_FILE_MAX 64
#define SETTING_MAGIC "EVENET03" /* 02: PAC scripts; 03: proxy exceptions */
#define MANAGE_MAX 16
#define PAC_RETRY_MS 60000 /* a failed PAC evaluation is tried again after */

/* What a port's PAC script chose for the controller's URL. */
struct pac_state {
	bool done;   /* evaluated (entries or err valid) */
	int err;     /* 0, or the evaluation's negative errno */
	uint64_t at; /* when (monotonic ms) */
	size_t n, k; /* entries, the one in use */
	struct pacresult_entry e[PACRESULT_MAX];
	char why[PAC_ERR_MAX + 64]; /* the failure, for the port's err */
};

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
	char *port_path;                 /* NULL: the working port lives in memory only */
	char good_port[NETMGR_NAME_MAX]; /* port that last reached the controller */
	struct netmgr_props props;
	bool any;             /* network.fallback.any.eth in use: no interface binding */
	size_t fails;         /* failed requests in a row */
	uint64_t next_better; /* when to try the first port again (timer.port.testbetterinterval) */
	/* managed ports */
	char manage[MANAGE_MAX][NETMGR_NAME_MAX];
	size_t n_manage;
	char *state_dir;    /* NULL: nothing is configured */
	char *setting_path; /* NULL: settings live in memory only */
	struct netmgr_port_state st[NETMGR_MAX_PORTS];
	pid_t dhcp_pid[NETMGR_MAX_PORTS];
	bool applied;                   /* cur is on the interfaces */
	size_t order[NETMGR_MAX_PORTS]; /* port indexes by cost */
	time_t dpc_ok, dpc_fail;
	char dpc_err[NETMGR_ERR_MAX];
	char resolve[600];                  /* CURLOPT_RESOLVE entry of the api */
	bool rejected_noted;                /* netmgr_propose said 2 for it already */
	struct netmgr_setting trying_saved; /* from the file: a setting on trial then */
	bool have_trying_saved;
	bool rejected_here;  /* `rejected` was rolled back in this run: retried */
	uint64_t next_retry; /* when to put it on trial again (timer.port.testbetterinterval) */
	uint64_t next_test;  /* when to run the port test (timer.port.testinterval) */
	struct pac_state pac[NETMGR_MAX_PORTS + 1]; /* per port; [n_ports]: any route */
	char pac_proxy[NETMGR_PROXY_MAX];           /* proxy URL of the entry in use */
};

static void api_drop(struct netmgr *nm)
{
	devapi_free(nm->api);
	nm->api = NULL;
}

/* Index in cur.ports of the port at order position pos. */
static size_t port_at(const struct netmgr *nm, size_t pos)
{
	return nm->order[pos % nm->cur.n_ports];
}

/* order[]: the ports by cost, stable (EVE: lowest cost first). */
static void sort_order(struct netmgr *nm)
{
	size_t n = 0;

	for (uint32_t c = 0; n < nm->cur.n_ports; c++) {
		uint32_t next = UINT32_MAX;

		for (size_t i = 0; i < nm->cur.n_ports; i++) {
			if (nm->cur.ports[i].cost == c)
				nm->order[n++] = i;
			else if (nm->cur.ports[i].cost > c && nm->cur.ports[i].cost < next)
				next = nm->cur.ports[i].cost;
		}
		if (next == UINT32_MAX)
			break;
		c = next - 1;
	}
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
	sort_order(nm);
	*out = nm;
	return 0;
}

static void dhcp_stop_all(struct netmgr *nm)
{
	for (size_t i = 0; i < NETMGR_MAX_PORTS; i++) {
		portcfg_dhcp_stop(nm->dhcp_pid[i]);
		nm->dhcp_pid[i] = 0;
	}
}

void netmgr_free(struct netmgr *nm)
{
	if (!nm)
		return;
	api_drop(nm);
	dhcp_stop_all(nm);
	free(nm->server);
	free(nm->ca_path);
	free(nm->port_path);
	free(nm->state_dir);
	free(nm->setting_path);
	free(nm);
}

/* Start the current setting at the port that last worked, when it has it;
 * else at its cheapest port. Returns true for the former. */
static bool start_at_good_port(struct netmgr *nm)
{
	sort_order(nm);
	nm->port_idx = 0;
	for (size_t pos = 0; nm->good_port[0] && pos < nm->cur.n_ports; pos++) {
		if (strcmp(nm->cur.ports[port_at(nm, pos)].name, nm->good_port) == 0) {
			nm->port_idx = pos;
			return true;
		}
	}
	return false;
}

/* An interface name as the kernel allows it: 1..15 printable characters,
 * no blank, no '/'. The file is trusted no more than any other input. */
static bool port_name_valid(const char *s, size_t len)
{
	if (len == 0 || len >= NETMGR_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '/')
			return false;
	return true;
}

int netmgr_persist(struct netmgr *nm, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	free(nm->port_path);
	nm->port_path = strdup(path);
	if (!nm->port_path)
		return -ENOMEM;
	r = fileio_read(path, PORT_FILE_MAX, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	while (len && isspace(data[len - 1]))
		len--;
	if (port_name_valid((const char *)data, len)) {
		memcpy(nm->good_port, data, len);
		nm->good_port[len] = '\0';
		api_drop(nm);
		r = start_at_good_port(nm) ? 1 : 0;
	} else {
		r = -EVE_EPROTO;
	}
	free(data);
	return r;
}

static bool managed(const struct netmgr *nm, const char *ifname)
{
	if (!nm->state_dir)
		return false;
	for (size_t i = 0; i < nm->n_manage; i++)
		if (!strcmp(nm->manage[i], "*") || !strcmp(nm->manage[i], ifname))
			return true;
	return false;
}

const char (*netmgr_port_dns(const struct netmgr *nm, size_t i, size_t *n))[PORTCFG_IP_MAX]
{
	const struct netmgr_port *p = &nm->cur.ports[i];

	*n = 0;
	if (i >= nm->cur.n_ports || !managed(nm, p->name))
		return NULL;
	if (p->mode == PORTCFG_STATIC) {
		*n = p->want.n_dns;
		return p->want.dns;
	}
	*n = nm->st[i].have.n_dns;
	return nm->st[i].have.dns;
}

/* "host:port" of the server into a CURLOPT_RESOLVE entry through the
 * port's DNS servers; "" when the system resolver is to be used. -ENOENT
 * when the port's servers do not resolve it (the port is not used: its
 * own network has no way to the controller). */
static int port_resolve(struct netmgr *nm, size_t i)
{
	char host[512], addr[64];
	const char *colon = strrchr(nm->server, ':');
	const char(*dns)[PORTCFG_IP_MAX];
	size_t n;
	int r;

	nm->resolve[0] = '\0';
	dns = netmgr_port_dns(nm, i, &n);
	/* an IPv6 literal ("[fd00::2]:8443") needs no lookup */
	if (!n || !colon || nm->server[0] == '[' || (size_t)(colon - nm->server) >= sizeof(host))
		return 0;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - nm->server), nm->server);
	r = portdns_resolve(host, dns, n, addr, sizeof(addr));
	if (r < 0) {
		snprintf(nm->st[i].err, sizeof(nm->st[i].err), "DNS: %.100s: %s", host,
			 r == -ENOENT ? "no such name" : "no answer from the port's DNS servers");
		return -ENOENT;
	}
	snprintf(nm->resolve, sizeof(nm->resolve), "%s:%s", nm->server, addr);
	return 0;
}

/* Managed ports whose link is down are passed over at once. */
static bool port_usable(const struct netmgr *nm, size_t i)
{
	return !managed(nm, nm->cur.ports[i].name) ||
	       (nm->st[i].up && nm->st[i].addrs[0] && !nm->st[i].cfg_err[0]);
}

static bool ensure_applied(struct netmgr *nm);

/* ---- proxy auto-config --------------------------------------------------- */

static uint64_t mono_ms(void);

/* The PAC script that chooses the proxy of port i (n_ports: any route):
 * the port's own, else the setting's when the port has no explicit proxy;
 * NULL when none. */
static const char *pac_script(const struct netmgr *nm, size_t i)
{
	const struct netmgr_port *p = i < nm->cur.n_ports ? &nm->cur.ports[i] : NULL;

	if (p && p->pac[0])
		return p->pac;
	if (p && p->proxy[0])
		return NULL;
	return nm->cur.pac[0] ? nm->cur.pac : NULL;
}

/* The server's host name (no port, no brackets) into host. */
static void server_host(const struct netmgr *nm, char *host, size_t size)
{
	const char *s = nm->server, *colon = strrchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	snprintf(host, size, "%.*s", (int)(n < size ? n : size - 1), s);
}

/* Evaluate port i's PAC script for url into result (raw text). */
static int pac_eval(struct netmgr *nm, size_t i, const char *url, char *result, size_t size, char *why,
		    size_t whysize)
{
	const char *script = pac_script(nm, i);
	char host[256], myip[64] = "";
	struct pac_env env = {0};

	if (!script)
		return -ENOENT;
	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
		const char *h = strstr(url, "://") + 3;
		size_t n = strcspn(h, "/?#");
		const char *colon = memchr(h, ':', n);

		if (h[0] == '[') {
			const char *close = memchr(h, ']', n);

			n = close ? (size_t)(close - h) - 1 : 0;
			h++;
		} else if (colon) {
			n = (size_t)(colon - h);
		}
		snprintf(host, sizeof(host), "%.*s", (int)(n < sizeof(host) ? n : sizeof(host) - 1), h);
	} else {
		server_host(nm, host, sizeof(host));
	}
	if (i < nm->cur.n_ports) {
		snprintf(myip, sizeof(myip), "%.*s", (int)strcspn(nm->st[i].addrs, ","), nm->st[i].addrs);
		env.dns = netmgr_port_dns(nm, i, &env.n_dns);
	}
	env.my_ip = myip;
	return pac_find_proxy(script, strlen(script), url, host, &env, &nm->props.pac, result, size, why,
			      whysize);
}

/* Evaluate port i's PAC for the controller's URL (once per setting and
 * address; a failure again after PAC_RETRY_MS) and put the entry in use in
 * nm->pac_proxy. 0, or a negative errno with the port's err set. */
static int pac_pick(struct netmgr *nm, size_t i)
{
	struct pac_state *ps = &nm->pac[i];
	char url[600], result[PACRESULT_TEXT_MAX + 1], why[PAC_ERR_MAX];
	int r;

	nm->pac_proxy[0] = '\0';
	if (!ps->done || (ps->err && mono_ms() - ps->at >= PAC_RETRY_MS)) {
		memset(ps, 0, sizeof(*ps));
		snprintf(url, sizeof(url), "https://%s/", nm->server);
		r = pac_eval(nm, i, url, result, sizeof(result), why, sizeof(why));
		if (r == 0) {
			r = pacresult_parse(result, strlen(result), ps->e, PACRESULT_MAX);
			if (r < 0)
				snprintf(why, sizeof(why), "result not understood: \"%.100s\"", result);
			else
				ps->n = (size_t)r;
		}
		ps->err = r < 0 ? r : 0;
		ps->done = true;
		ps->at = mono_ms();
		if (r < 0)
			snprintf(ps->why, sizeof(ps->why), "PAC: %s", why);
	}
	if (ps->err) {
		if (i < nm->cur.n_ports) {
			size_t n = strnlen(ps->why, sizeof(nm->st[i].err) - 1);

			memcpy(nm->st[i].err, ps->why, n);
			nm->st[i].err[n] = '\0';
		}
		return ps->err;
	}
	return pacresult_url(&ps->e[ps->k], nm->pac_proxy, sizeof(nm->pac_proxy));
}

/* After a failure through port i: the next entry of its PAC result, if
 * any (true); else back to the first entry, evaluated again next time. */
static bool pac_next(struct netmgr *nm, size_t i)
{
	struct pac_state *ps = &nm->pac[i];

	if (!pac_script(nm, i) || !ps->done || ps->err)
		return false;
	if (ps->k + 1 < ps->n) {
		ps->k++;
		return true;
	}
	ps->done = false;
	return false;
}

int netmgr_pac_choice(struct netmgr *nm, size_t i, char *buf, size_t size)
{
	int r;

	if (i > nm->cur.n_ports || !pac_script(nm, i))
		return -ENOENT;
	r = pac_pick(nm, i);
	if (r < 0 && size) {
		size_t n = strnlen(nm->pac[i].why, size - 1);

		memmove(buf, nm->pac[i].why, n);
		buf[n] = '\0';
	} else if (r == 0)
		pacresult_text(&nm->pac[i].e[nm->pac[i].k], buf, size);
	return r;
}

int netmgr_pac_proxy_for(struct netmgr *nm, size_t i, const char *url, char *buf, size_t size)
{
	char result[PACRESULT_TEXT_MAX + 1], why[PAC_ERR_MAX];
	struct pacresult_entry e[PACRESULT_MAX];
	int r;

	if (i > nm->cur.n_ports)
		return -ENOENT;
	r = pac_eval(nm, i, url, result, sizeof(result), why, sizeof(why));
	if (r == 0 && (r = pacresult_parse(result, strlen(result), e, PACRESULT_MAX)) < 0)
		snprintf(why, sizeof(why), "result not understood: \"%.100s\"", result);
	if (r < 0) {
		if (r != -ENOENT)
			snprintf(buf, size, "PAC: %s", why);
		return r;
	}
	return pacresult_url(&e[0], buf, size);
}

/* Plan entry for port i (n_ports: any route): its proxy, exceptions or
 * PAC, and what the PAC helpers answer for it. */
static void dlplan_port(const struct netmgr *nm, size_t i, struct dlroute_port *d)
{
	const struct netmgr_port *p = i < nm->cur.n_ports ? &nm->cur.ports[i] : NULL;
	const char *pac = pac_script(nm, i);
	const char(*dns)[PORTCFG_IP_MAX] = NULL;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	if (pac) {
		snprintf(d->pac, sizeof(d->pac), "%s", pac);
	} else if (p && p->proxy[0]) {
		snprintf(d->proxy, sizeof(d->proxy), "%s", p->proxy);
		snprintf(d->exceptions, sizeof(d->exceptions), "%s", p->exceptions);
	} else {
		snprintf(d->proxy, sizeof(d->proxy), "%s", nm->cur.proxy);
		snprintf(d->exceptions, sizeof(d->exceptions), "%s", nm->cur.exceptions);
	}
	if (!p)
		return;
	snprintf(d->ifname, sizeof(d->ifname), "%s", p->name);
	snprintf(d->my_ip, sizeof(d->my_ip), "%.*s", (int)strcspn(nm->st[i].addrs, ",/"), nm->st[i].addrs);
	dns = netmgr_port_dns(nm, i, &n);
	for (size_t k = 0; k < n && k < PORTCFG_DNS_MAX; k++)
		snprintf(d->dns[d->n_dns++], sizeof(d->dns[0]), "%s", dns[k]);
}

void netmgr_dlplan(const struct netmgr *nm, struct dlroute_plan *plan)
{
	size_t in_use = netmgr_port_index(nm);

	plan->n = 0;
	plan->lim = nm->props.pac;
	if (!nm->cur.n_ports || nm->any) {
		dlplan_port(nm, nm->cur.n_ports, &plan->ports[plan->n++]);
		return;
	}
	if (in_use < nm->cur.n_ports)
		dlplan_port(nm, in_use, &plan->ports[plan->n++]);
	for (size_t pos = 0; pos < nm->cur.n_ports && plan->n < DLROUTE_PORTS_MAX; pos++) {
		size_t i = nm->order[pos];

		if (i != in_use && port_usable(nm, i))
			dlplan_port(nm, i, &plan->ports[plan->n++]);
	}
}

/* A connection through port i of the current setting (i >= n_ports: any
 * route) with the given request timeout. -ENOENT when the port's DNS
 * servers do not resolve the controller (st[i].err says so). */
static int api_for(struct netmgr *nm, size_t i, long timeout_s, struct devapi **out)
{
	struct devapi_opts o = {.server = nm->server, .ca_path = nm->ca_path, .timeout_s = timeout_s};
	const struct netmgr_port *p = NULL;

	*out = NULL;
	if (i < nm->cur.n_ports) {
		p = &nm->cur.ports[i];
		o.interface = p->name;
		if (port_resolve(nm, i) < 0)
			return -ENOENT;
		if (nm->resolve[0])
			o.resolve = nm->resolve;
	}
	if (pac_script(nm, i)) {
		if (pac_pick(nm, i) < 0)
			return -ENOENT; /* the port's err says why */
		if (nm->pac_proxy[0])
			o.proxy = nm->pac_proxy;
	} else if (p && p->proxy[0]) {
		o.proxy = p->proxy;
		o.noproxy = p->exceptions;
	} else if (nm->cur.proxy[0]) {
		o.proxy = nm->cur.proxy;
		o.noproxy = nm->cur.exceptions;
	}
	return devapi_new(&o, out);
}

struct devapi *netmgr_api(struct netmgr *nm)
{
	size_t i = nm->cur.n_ports;

	if (nm->api)
		return nm->api;
	ensure_applied(nm); /* a request never goes out under a setting not yet applied */
	if (nm->cur.n_ports && !nm->any) {
		for (size_t k = 0; k < nm->cur.n_ports && !port_usable(nm, port_at(nm, nm->port_idx)); k++)
			nm->port_idx = (nm->port_idx + 1) % nm->cur.n_ports;
		i = port_at(nm, nm->port_idx);
	}
	/* -ENOENT: the request fails at once: next port */
	if (api_for(nm, i, nm->props.send_timeout_s, &nm->api) < 0)
		nm->api = NULL;
	return nm->api;
}

const char *netmgr_port(const struct netmgr *nm)
{
	return nm->cur.n_ports && !nm->any ? nm->cur.ports[port_at(nm, nm->port_idx)].name : "";
}

static size_t port_index(const struct netmgr *nm, const char *name);

bool netmgr_same_cost(const struct netmgr *nm, const char *a, const char *b)
{
	size_t i = port_index(nm, a), j = port_index(nm, b);

	return i < nm->cur.n_ports && j < nm->cur.n_ports && nm->cur.ports[i].cost == nm->cur.ports[j].cost;
}

size_t netmgr_port_index(const struct netmgr *nm)
{
	return nm->cur.n_ports && !nm->any ? port_at(nm, nm->port_idx) : nm->cur.n_ports;
}

bool netmgr_on_any_route(const struct netmgr *nm)
{
	return nm->any;
}

void netmgr_set_props(struct netmgr *nm, const struct netmgr_props *p, uint64_t now_ms)
{
	bool rebuild = p->send_timeout_s != nm->props.send_timeout_s || (nm->any && !p->fallback_any);

	if (p->better_ms != nm->props.better_ms) {
		nm->next_better = p->better_ms ? now_ms + p->better_ms : 0;
		nm->next_retry = nm->next_better;
	}
	if (p->test_ms != nm->props.test_ms)
		nm->next_test = p->test_ms ? now_ms + p->test_ms : 0;
	if (nm->any && !p->fallback_any) {
		nm->any = false;
		nm->fails = 0;
		start_at_good_port(nm);
	}
	nm->props = *p;
	if (rebuild)
		api_drop(nm);
}

/* Index of the port named name in the current setting (n_ports: none). */
static size_t port_index(const struct netmgr *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->cur.n_ports; i++)
		if (!strcmp(nm->cur.ports[i].name, name))
			break;
	return i;
}

/* Remember a port that just worked; written only when it changed (and not
 * while the load moves between equal-cost ports that all work), so a
 * steady device does not rewrite its state on every request. */
static int keep_good_port(struct netmgr *nm)
{
	const char *port = netmgr_port(nm);
	char line[NETMGR_NAME_MAX + 1];
	size_t g, i;
	int n;

	if (!*port || strcmp(port, nm->good_port) == 0)
		return 0;
	g = port_index(nm, nm->good_port);
	i = port_index(nm, port);
	if (g < nm->cur.n_ports && i < nm->cur.n_ports && nm->cur.ports[g].cost == nm->cur.ports[i].cost &&
	    !nm->st[g].last_fail)
		return 0;
	snprintf(nm->good_port, sizeof(nm->good_port), "%s", port);
	if (!nm->port_path)
		return 0;
	n = snprintf(line, sizeof(line), "%s\n", port);
	return fileio_write_atomic(nm->port_path, line, (size_t)n, 0600);
}

static int save_setting(struct netmgr *nm);

/* A port left out of the load's rotation: it failed (and its link has not
 * come back up since). Its failure stays reported until it works. */
static bool port_failed(const struct netmgr *nm, size_t i)
{
	return nm->st[i].last_fail && !nm->st[i].rejoined;
}

/* Load spreading (EVE): after a success the next request goes out on the
 * next port of the same cost that has not failed. */
static void spread_load(struct netmgr *nm)
{
	size_t cur = port_at(nm, nm->port_idx);

	for (size_t k = 1; k < nm->cur.n_ports; k++) {
		size_t pos = (nm->port_idx + k) % nm->cur.n_ports, i = port_at(nm, pos);

		if (nm->cur.ports[i].cost != nm->cur.ports[cur].cost || port_failed(nm, i) ||
		    !port_usable(nm, i))
			continue;
		nm->port_idx = pos;
		api_drop(nm);
		return;
	}
}

/* Outcome of a request through port i (n_ports: any route); why: curl's
 * text of a failure (NULL: keep the port's reason, or a generic one). */
static void port_result_at(struct netmgr *nm, size_t i, bool reached, const char *why)
{
	time_t now = time(NULL);

	if (reached) {
		if (!nm->dpc_ok || nm->dpc_err[0] || now - nm->dpc_ok >= 300)
			nm->dpc_ok = now;
		nm->dpc_err[0] = '\0';
	} else {
		nm->dpc_fail = now;
	}
	if (i >= nm->cur.n_ports)
		return;
	if (reached) {
		/* refreshed every 5 min while it keeps working, so that the
		 * device info does not change with every request */
		if (!nm->st[i].last_ok || nm->st[i].last_fail || now - nm->st[i].last_ok >= 300)
			nm->st[i].last_ok = now;
		nm->st[i].last_fail = 0;
		nm->st[i].rejoined = false;
		nm->st[i].err[0] = '\0';
	} else {
		nm->st[i].last_fail = now;
		nm->st[i].rejoined = false;
		if (why && *why)
			snprintf(nm->st[i].err, sizeof(nm->st[i].err), "%s", why);
		else if (!nm->st[i].err[0])
			snprintf(nm->st[i].err, sizeof(nm->st[i].err), "controller not reached");
		snprintf(nm->dpc_err, sizeof(nm->dpc_err), "%s: %s", nm->cur.ports[i].name, nm->st[i].err);
	}
}

static void port_result(struct netmgr *nm, bool reached)
{
	port_result_at(nm, netmgr_port_index(nm), reached, nm->api ? devapi_errmsg(nm->api) : NULL);
}

static bool setting_eq(const struct netmgr_setting *a, const struct netmgr_setting *b);

/* The current setting reached the controller: a trial ends (a retried
 * setting is no longer the rolled-back one), its port is remembered. */
static int reached_ok(struct netmgr *nm)
{
	bool was_trial = nm->trial;
	int r;

	nm->trial = false;
	nm->fallback = nm->cur;
	nm->fails = 0;
	if (was_trial && nm->have_rejected && setting_eq(&nm->cur, &nm->rejected)) {
		nm->have_rejected = false;
		nm->rejected_here = false;
	}
	r = keep_good_port(nm);
	if (was_trial && nm->setting_path)
		save_setting(nm);
	return r;
}

int netmgr_report(struct netmgr *nm, bool reached, uint64_t now_ms)
{
	(void)now_ms;
	port_result(nm, reached);
	if (reached) {
		int r = reached_ok(nm);

		if (nm->cur.n_ports > 1 && !nm->any)
			spread_load(nm);
		return r;
	}
	if (pac_next(nm, netmgr_port_index(nm))) {
		api_drop(nm); /* the next entry of the port's PAC result */
		return 0;
	}
	nm->fails++;
	/* Every port failed once: any route (network.fallback.any.eth); that
	 * failing too: the ports again. */
	if (nm->cur.n_ports && (nm->any || (nm->props.fallback_any && nm->fails >= nm->cur.n_ports))) {
		nm->any = !nm->any;
		nm->fails = 0;
		nm->port_idx = 0;
		api_drop(nm);
		return 0;
	}
	/* Next port, new connection (keep-alive state belongs to the old one). */
	if (nm->cur.n_ports > 1) {
		nm->port_idx = (nm->port_idx + 1) % nm->cur.n_ports;
		api_drop(nm);
	}
	return 0;
}

void netmgr_set_error(struct netmgr *nm, const char *why)
{
	size_t i = netmgr_port_index(nm);

	snprintf(nm->dpc_err, sizeof(nm->dpc_err), "%s", why ? why : "");
	if (i < nm->cur.n_ports && why && *why)
		snprintf(nm->st[i].err, sizeof(nm->st[i].err), "%s", why);
}

static bool addr_eq(const struct portcfg_addr *a, const struct portcfg_addr *b)
{
	if (strcmp(a->addr, b->addr) || strcmp(a->gw, b->gw) || a->n_dns != b->n_dns)
		return false;
	for (size_t i = 0; i < a->n_dns; i++)
		if (strcmp(a->dns[i], b->dns[i]))
			return false;
	return true;
}

static bool port_eq(const struct netmgr_port *a, const struct netmgr_port *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->label, b->label) && a->cost == b->cost &&
	       a->mode == b->mode && !strcmp(a->proxy, b->proxy) && !strcmp(a->pac, b->pac) &&
	       !strcmp(a->exceptions, b->exceptions) &&
	       (a->mode != PORTCFG_STATIC || addr_eq(&a->want, &b->want));
}

/* Equal settings: the same ports (in any order: costs order them). */
static bool setting_eq(const struct netmgr_setting *a, const struct netmgr_setting *b)
{
	if (a->n_ports != b->n_ports || strcmp(a->proxy, b->proxy) || strcmp(a->pac, b->pac) ||
	    strcmp(a->exceptions, b->exceptions))
		return false;
	for (size_t i = 0; i < a->n_ports; i++) {
		size_t j;

		for (j = 0; j < b->n_ports; j++)
			if (port_eq(&a->ports[i], &b->ports[j]))
				break;
		if (j == b->n_ports)
			return false;
	}
	return true;
}

/* A new current setting: its ports are configured again, state restarts. */
static void cur_changed(struct netmgr *nm)
{
	memset(nm->st, 0, sizeof(nm->st));
	memset(nm->pac, 0, sizeof(nm->pac));
	nm->applied = false;
	start_at_good_port(nm);
	nm->any = false;
	nm->fails = 0;
	api_drop(nm);
}

int netmgr_propose(struct netmgr *nm, const struct netmgr_setting *s, uint64_t now_ms, uint64_t trial_ms)
{
	if (setting_eq(s, &nm->cur))
		return 0;
	if (nm->have_rejected && setting_eq(s, &nm->rejected)) {
		if (nm->rejected_noted)
			return 0;
		nm->rejected_noted = true;
		return 2;
	}
	if (!nm->trial)
		nm->fallback = nm->cur;
	nm->cur = *s;
	cur_changed(nm);
	nm->trial = true;
	nm->trial_end = now_ms + trial_ms;
	if (nm->setting_path)
		save_setting(nm);
	return 1;
}

bool netmgr_on_trial(const struct netmgr *nm)
{
	return nm->trial;
}

/* timer.port.testbetterinterval: a device on a later port (or on any
 * route) tries the setting's first port again; a failure there moves on as
 * usual. */
static void retest_better(struct netmgr *nm, uint64_t now_ms)
{
	if (!nm->props.better_ms || !nm->next_better || now_ms < nm->next_better)
		return;
	nm->next_better = now_ms + nm->props.better_ms;
	if (nm->trial || !nm->cur.n_ports || (!nm->any && nm->port_idx == 0))
		return;
	if (nm->cur.ports[port_at(nm, 0)].cost == nm->cur.ports[port_at(nm, nm->port_idx)].cost && !nm->any)
		return; /* already on a cheapest port */
	nm->any = false;
	nm->fails = 0;
	nm->port_idx = 0;
	api_drop(nm);
}

/* EVE's testBetterTimer at the DPC level: the setting rolled back in this
 * run (the controller's newest) is tried again for timer.port.testduration
 * (each failure rolls it back again). One loaded from the file (rolled back
 * before a restart) is not: it waits for the controller's next setting. */
static bool retry_rejected(struct netmgr *nm, uint64_t now_ms)
{
	if (!nm->props.better_ms || !nm->have_rejected || !nm->rejected_here || nm->trial ||
	    !nm->next_retry || now_ms < nm->next_retry)
		return false;
	nm->next_retry = now_ms + nm->props.better_ms;
	nm->fallback = nm->cur;
	nm->cur = nm->rejected;
	cur_changed(nm);
	nm->trial = true;
	nm->trial_end = now_ms + (nm->props.trial_ms ? nm->props.trial_ms : 30000);
	if (nm->setting_path)
		save_setting(nm);
	return true;
}

enum netmgr_tick_result netmgr_tick(struct netmgr *nm, uint64_t now_ms)
{
	retest_better(nm, now_ms);
	if (retry_rejected(nm, now_ms))
		return NETMGR_TICK_RETRY;
	if (!nm->trial || now_ms < nm->trial_end)
		return NETMGR_TICK_NONE;
	nm->rejected = nm->cur;
	nm->have_rejected = true;
	nm->rejected_here = true;
	nm->rejected_noted = true; /* its proposal now is no news */
	if (nm->props.better_ms)
		nm->next_retry = now_ms + nm->props.better_ms;
	nm->cur = nm->fallback;
	cur_changed(nm);
	nm->trial = false;
	if (nm->setting_path)
		save_setting(nm);
	return NETMGR_TICK_ROLLED_BACK;
}

/* ---- the port test (timer.port.testinterval, timer.port.timeout) ------- */

bool netmgr_test_due(const struct netmgr *nm, uint64_t now_ms)
{
	return nm->props.test_ms && nm->next_test && now_ms >= nm->next_test;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Append a formatted line to out (bounded). */
__attribute__((format(printf, 3, 4))) static void outf(char *out, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(out, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* GET /ping through port i (n_ports: any route): 1 answered, 0 not. */
static int test_one(struct netmgr *nm, size_t i, char *out, size_t size)
{
	const char *name = i < nm->cur.n_ports ? nm->cur.ports[i].name : "(any route)";
	struct devapi *api = NULL;
	struct buf resp;
	uint64_t t0 = mono_ms();
	long status = 0;
	int r;

	buf_init(&resp, 4096);
	/* each entry of a PAC result in turn */
	for (;;) {
		r = api_for(nm, i, nm->props.test_timeout_s, &api);
		if (r == 0)
			r = devapi_call(api, "GET", "/ping", NULL, 0, &status, &resp);
		if (r == 0 || !pac_next(nm, i))
			break;
		devapi_free(api);
		api = NULL;
		buf_free(&resp);
		buf_init(&resp, 4096);
	}
	if (r == 0) {
		char what[32];

		snprintf(what, sizeof(what), "HTTP %ld", status);
		outf(out, size, "port test %s: reached in %.1f s (%s)\n", name,
		     (double)(mono_ms() - t0) / 1000, what);
	} else {
		const char *why = api && *devapi_errmsg(api)            ? devapi_errmsg(api)
				  : i < nm->cur.n_ports && r == -ENOENT ? nm->st[i].err
									: eve_strerror(r);
		char copy[NETMGR_ERR_MAX];

		snprintf(copy, sizeof(copy), "%s", why);
		outf(out, size, "port test %s: FAILED after %.1f s: %s\n", name,
		     (double)(mono_ms() - t0) / 1000, copy);
		port_result_at(nm, i, false, copy);
	}
	buf_free(&resp);
	devapi_free(api);
	return r == 0;
}

static int port_test(struct netmgr *nm, char *out, size_t size)
{
	size_t cur, n = nm->cur.n_ports;

	if (!n) {
		int ok = test_one(nm, 0, out, size);

		if (ok) {
			port_result_at(nm, 0, true, NULL);
			reached_ok(nm);
		}
		return ok;
	}
	cur = nm->any ? n : port_at(nm, nm->port_idx);
	for (size_t pos = 0; pos < n; pos++) {
		size_t i = port_at(nm, pos);
		bool switch_port;

		if (!port_usable(nm, i)) {
			outf(out, size, "port test %s: skipped: %s\n", nm->cur.ports[i].name,
			     nm->st[i].cfg_err[0] ? nm->st[i].cfg_err : "link down or no address");
			continue;
		}
		if (!test_one(nm, i, out, size))
			continue;
		/* the cheapest answering port: used when it is cheaper than the
		 * port in use or that one failed (equal costs keep sharing) */
		switch_port = cur >= n || nm->cur.ports[i].cost < nm->cur.ports[cur].cost ||
			      (i != cur && port_failed(nm, cur));
		if (switch_port && i != cur) {
			nm->any = false;
			nm->port_idx = pos;
			api_drop(nm);
		}
		port_result_at(nm, i, true, NULL);
		reached_ok(nm);
		return 1;
	}
	/* none answered: the port in use failed too; requests move on */
	if (cur < n && port_failed(nm, cur) && n > 1 && !nm->any) {
		nm->port_idx = (nm->port_idx + 1) % n;
		api_drop(nm);
	}
	return 0;
}

int netmgr_port_test(struct netmgr *nm, uint64_t now_ms, char *out, size_t size)
{
	uint64_t t0 = mono_ms();
	int ok;

	if (size)
		out[0] = '\0';
	ensure_applied(nm);
	ok = port_test(nm, out, size);
	/* the interval runs from the end of the test (EVE restarts its timer) */
	nm->next_test = nm->props.test_ms ? now_ms + (mono_ms() - t0) + nm->props.test_ms : 0;
	return ok;
}

const struct netmgr_setting *netmgr_setting(const struct netmgr *nm)
{
	return &nm->cur;
}

const struct netmgr_port_state *netmgr_port_state(const struct netmgr *nm, size_t i)
{
	return i < nm->cur.n_ports ? &nm->st[i] : NULL;
}

const struct netmgr_setting *netmgr_rejected(const struct netmgr *nm)
{
	return nm->have_rejected ? &nm->rejected : NULL;
}

void netmgr_dpc_times(const struct netmgr *nm, time_t *ok, time_t *fail, const char **err)
{
	*ok = nm->dpc_ok;
	*fail = nm->dpc_fail;
	*err = nm->dpc_err;
}

/* ---- persisted settings ------------------------------------------------ */

/* The file: magic, have_rejected (u32), the working setting, the rolled
 * back one, as this build lays out struct netmgr_setting (device-local
 * state; a file of another size or with any unterminated string is
 * refused). */
struct setting_file {
	char magic[8];
	uint32_t have_rejected;
	uint32_t trying; /* the current setting is on trial: `trial` holds it (for diag) */
	struct netmgr_setting working;
	struct netmgr_setting rejected;
	struct netmgr_setting trial;
};

static bool str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool port_ok(const struct netmgr_port *p)
{
	if (!str_ok(p->name, sizeof(p->name)) || !str_ok(p->label, sizeof(p->label)) ||
	    !str_ok(p->proxy, sizeof(p->proxy)) || !str_ok(p->pac, sizeof(p->pac)) ||
	    !str_ok(p->exceptions, sizeof(p->exceptions)) || !str_ok(p->want.addr, sizeof(p->want.addr)) ||
	    !str_ok(p->want.gw, sizeof(p->want.gw)) || p->want.n_dns > PORTCFG_DNS_MAX ||
	    (p->mode != PORTCFG_ASIS && p->mode != PORTCFG_DHCP && p->mode != PORTCFG_STATIC))
		return false;
	for (size_t i = 0; i < PORTCFG_DNS_MAX; i++)
		if (!str_ok(p->want.dns[i], sizeof(p->want.dns[i])))
			return false;
	return port_name_valid(p->name, strlen(p->name));
}

static bool setting_ok(const struct netmgr_setting *s)
{
	if (s->n_ports > NETMGR_MAX_PORTS || !str_ok(s->proxy, sizeof(s->proxy)) ||
	    !str_ok(s->pac, sizeof(s->pac)) || !str_ok(s->exceptions, sizeof(s->exceptions)))
		return false;
	for (size_t i = 0; i < s->n_ports; i++)
		if (!port_ok(&s->ports[i]))
			return false;
	return true;
}

static int save_setting(struct netmgr *nm)
{
	struct setting_file *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	memcpy(f->magic, SETTING_MAGIC, sizeof(f->magic));
	f->have_rejected = nm->have_rejected;
	f->working = nm->trial ? nm->fallback : nm->cur;
	if (nm->have_rejected)
		f->rejected = nm->rejected;
	f->trying = nm->trial;
	if (nm->trial)
		f->trial = nm->cur;
	r = fileio_write_atomic(nm->setting_path, f, sizeof(*f), 0600);
	free(f);
	return r;
}

int netmgr_persist_setting(struct netmgr *nm, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct setting_file *f;
	int r;

	free(nm->setting_path);
	nm->setting_path = strdup(path);
	if (!nm->setting_path)
		return -ENOMEM;
	r = fileio_read(path, sizeof(*f), &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	f = (struct setting_file *)data;
	if (len != sizeof(*f) || memcmp(f->magic, SETTING_MAGIC, sizeof(f->magic)) ||
	    !setting_ok(&f->working) || (f->have_rejected && !setting_ok(&f->rejected)) ||
	    (f->trying && !setting_ok(&f->trial))) {
		free(data);
		return -EVE_EPROTO;
	}
	nm->cur = f->working;
	nm->fallback = f->working;
	nm->have_rejected = f->have_rejected != 0;
	if (nm->have_rejected)
		nm->rejected = f->rejected;
	nm->trial = false;
	if (f->trying)
		nm->trying_saved = f->trial;
	nm->have_trying_saved = f->trying != 0;
	cur_changed(nm);
	free(data);
	return 1;
}

bool netmgr_show_trial(struct netmgr *nm)
{
	if (!nm->have_trying_saved)
		return false;
	nm->cur = nm->trying_saved;
	cur_changed(nm);
	return true;
}

/* ---- applying the setting to the interfaces ---------------------------- */

int netmgr_manage(struct netmgr *nm, const char *const *allowed, size_t n, const char *state_dir)
{
	nm->n_manage = 0;
	for (size_t i = 0; i < n && nm->n_manage < MANAGE_MAX; i++)
		if (strlen(allowed[i]) < NETMGR_NAME_MAX)
			snprintf(nm->manage[nm->n_manage++], NETMGR_NAME_MAX, "%s", allowed[i]);
	free(nm->state_dir);
	nm->state_dir = strdup(state_dir);
	nm->applied = false;
	return nm->state_dir ? 0 : -ENOMEM;
}

static void lease_path(const struct netmgr *nm, const char *ifname, char *out, size_t size)
{
	snprintf(out, size, "%s/dhcp/%s.lease", nm->state_dir, ifname);
}

/* Route metric: by cost, then by position (distinct per port). */
static uint32_t port_metric(const struct netmgr *nm, size_t i)
{
	return 100 + nm->cur.ports[i].cost * 16 + (uint32_t)i;
}

static void apply_addr(struct netmgr *nm, size_t i, const struct portcfg_addr *a)
{
	const char *step = "";
	int r = portcfg_apply(nm->cur.ports[i].name, a, port_metric(nm, i), &step);

	if (r < 0)
		snprintf(nm->st[i].cfg_err, sizeof(nm->st[i].cfg_err), "%s: %s", step, strerror(-r));
	else
		nm->st[i].cfg_err[0] = '\0';
	nm->st[i].have = *a;
}

/* Put port i of the current setting on its interface. */
static void apply_port(struct netmgr *nm, size_t i)
{
	const struct netmgr_port *p = &nm->cur.ports[i];
	char lease[PATH_MAX], script[PATH_MAX];
	pid_t pid;

	nm->st[i].cfg_err[0] = '\0';
	if (!managed(nm, p->name)) {
		static const char msg[] = "not configured: not in the config dir's managed-ports";

		if (p->mode != PORTCFG_ASIS)
			memcpy(nm->st[i].cfg_err, msg, sizeof(msg));
		return;
	}
	if (p->mode == PORTCFG_STATIC) {
		apply_addr(nm, i, &p->want);
		return;
	}
	if (p->mode != PORTCFG_DHCP)
		return;
	/* addresses stay until the lease replaces them (an agent restart does
	 * not cut a port that works) */
	portcfg_link_up(p->name);
	snprintf(script, sizeof(script), "%s/dhcp", nm->state_dir);
	fileio_mkdirs(script, 0700);
	snprintf(script, sizeof(script), "%s/dhcp/udhcpc.script", nm->state_dir);
	lease_path(nm, p->name, lease, sizeof(lease));
	pid = portcfg_dhcp_start(p->name, lease, script);
	if (pid < 0)
		snprintf(nm->st[i].cfg_err, sizeof(nm->st[i].cfg_err), "DHCP client: %s",
			 strerror((int)-pid));
	else
		nm->dhcp_pid[i] = pid;
}

/* A DHCP port's lease changed: apply it (only note it when !apply). */
static bool follow_lease(struct netmgr *nm, size_t i, bool apply)
{
	char path[PATH_MAX];
	struct portcfg_addr l;

	lease_path(nm, nm->cur.ports[i].name, path, sizeof(path));
	if (portcfg_lease_read(path, &l) < 0) {
		bool had = nm->st[i].have.addr[0];

		memset(&nm->st[i].have, 0, sizeof(nm->st[i].have));
		return had;
	}
	if (addr_eq(&l, &nm->st[i].have))
		return false;
	nm->pac[i].done = false; /* myIpAddress() and DNS changed */
	if (apply) {
		apply_addr(nm, i, &l);
		api_drop(nm);
	} else {
		nm->st[i].have = l;
	}
	return true;
}

/* Leases and link states of the ports (apply: put new leases on). */
static bool observe(struct netmgr *nm, bool apply)
{
	bool changed = false;

	for (size_t i = 0; i < nm->cur.n_ports; i++) {
		struct netmgr_port_state *st = &nm->st[i];
		bool up = st->up;
		char addrs[sizeof(st->addrs)];

		if (nm->cur.ports[i].mode == PORTCFG_DHCP && managed(nm, nm->cur.ports[i].name) &&
		    (!apply || nm->dhcp_pid[i] > 0))
			changed |= follow_lease(nm, i, apply);
		portcfg_status(nm->cur.ports[i].name, addrs, sizeof(addrs), &st->up);
		if (st->up && !up && st->last_fail)
			st->rejoined = true; /* its link came (back) up: a new chance (EVE
						verifies again on a change of a port's link) */
		if (up != st->up || strcmp(addrs, st->addrs)) {
			snprintf(st->addrs, sizeof(st->addrs), "%s", addrs);
			changed = true;
		}
	}
	return changed;
}

void netmgr_observe(struct netmgr *nm)
{
	observe(nm, false);
}

static const char *mode_name(enum portcfg_mode m)
{
	return m == PORTCFG_DHCP ? "dhcp" : m == PORTCFG_STATIC ? "static" : "host";
}

/* A port the diagnosis found failing: its reason (the text after
 * "controller HOST:PORT: ") becomes the port's last failure. */
static void diag_failure(struct netmgr *nm, size_t i, const char *text)
{
	const char *l = strstr(text, "\n  controller "), *why;
	size_t n;

	if (!l || !(why = strstr(l + 14, ": ")))
		return;
	why += 2;
	n = strcspn(why, "\n");
	snprintf(nm->st[i].err, sizeof(nm->st[i].err), "%.*s",
		 (int)(n < NETMGR_ERR_MAX ? n : NETMGR_ERR_MAX - 1), why);
	nm->st[i].last_fail = time(NULL);
	nm->st[i].rejoined = false;
}

/* A port with a PAC script: its choice becomes p->proxy (a line says
 * what it chose); a failure is the port's result (negative errno). */
static int diag_pac(struct netmgr *nm, size_t i, struct conndiag_port *p, char *out, size_t size)
{
	char what[PAC_ERR_MAX + 64];
	int r;

	if (!pac_script(nm, i))
		return 0;
	r = netmgr_pac_choice(nm, i, what, sizeof(what));
	if (r < 0) {
		outf(out, size, "port %s: proxy auto-config\n  controller %s: FAILED at proxy: %s\n",
		     *p->ifname ? p->ifname : "(any route)", nm->server, what);
		return r;
	}
	outf(out, size, "port %s: proxy auto-config chose %s\n", *p->ifname ? p->ifname : "(any route)",
	     what);
	p->proxy = nm->pac_proxy;
	return 0;
}

size_t netmgr_diag(struct netmgr *nm, int timeout_s, char *out, size_t size)
{
	size_t ok = 0, start;

	if (size)
		out[0] = '\0';
	for (size_t i = 0; i < nm->cur.n_ports || (i == 0 && !nm->cur.n_ports); i++) {
		const struct netmgr_port *port = nm->cur.n_ports ? &nm->cur.ports[i] : NULL;
		const struct netmgr_port_state *st = &nm->st[i];
		struct conndiag_port p = {
		    .ifname = "", .label = "", .mode = "host", .addrs = "", .gw = "", .proxy = nm->cur.proxy};

		if (port) {
			p.ifname = port->name;
			p.label = port->label;
			p.cost = port->cost;
			p.mode = mode_name(port->mode);
			p.managed = managed(nm, port->name);
			p.up = st->up;
			p.addrs = st->addrs;
			p.gw = port->mode == PORTCFG_STATIC ? port->want.gw : st->have.gw;
			p.dns = netmgr_port_dns(nm, i, &p.n_dns);
			if (port->proxy[0])
				p.proxy = port->proxy;
			if (st->cfg_err[0]) {
				size_t len = strnlen(out, size);
				snprintf(out + len, size - len, "port %s: configuration failed: %s\n",
					 port->name, st->cfg_err);
			}
		}
		start = strnlen(out, size);
		if (diag_pac(nm, port ? i : nm->cur.n_ports, &p, out, size) < 0) {
			if (port)
				diag_failure(nm, i, out + start);
		} else if (conndiag_port(nm->server, nm->ca_path, &p, timeout_s, out, size) == CONNDIAG_OK) {
			ok++;
			if (port && !nm->st[i].last_fail && !nm->st[i].last_ok)
				nm->st[i].last_ok = time(NULL);
		} else if (port) {
			diag_failure(nm, i, out + start);
		}
	}
	return ok;
}

/* Put the current setting on the interfaces if it is not yet: true when
 * it did. */
static bool ensure_applied(struct netmgr *nm)
{
	bool did = false;

	if (!nm->applied && nm->state_dir) {
		dhcp_stop_all(nm);
		for (size_t i = 0; i < nm->cur.n_ports; i++)
			apply_port(nm, i);
		observe(nm, true);
		did = true;
	}
	nm->applied = true;
	return did;
}

bool netmgr_poll(struct netmgr *nm)
{
	bool changed = ensure_applied(nm);

	return observe(nm, true) || changed;
}
