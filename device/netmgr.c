/* Management port selection and network-setting rollback. */
#include "netmgr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"

#define PORT_FILE_MAX 64

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
	free(nm->port_path);
	free(nm);
}

/* Start the current setting at the port that last worked, when it has it;
 * else at its first port. Returns true for the former. */
static bool start_at_good_port(struct netmgr *nm)
{
	nm->port_idx = 0;
	for (size_t i = 0; nm->good_port[0] && i < nm->cur.n_ports; i++) {
		if (strcmp(nm->cur.ports[i], nm->good_port) == 0) {
			nm->port_idx = i;
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

struct devapi *netmgr_api(struct netmgr *nm)
{
	struct devapi_opts o = {
	    .server = nm->server, .ca_path = nm->ca_path, .timeout_s = nm->props.send_timeout_s};

	if (nm->api)
		return nm->api;
	if (nm->cur.n_ports && !nm->any)
		o.interface = nm->cur.ports[nm->port_idx % nm->cur.n_ports];
	if (nm->cur.proxy[0])
		o.proxy = nm->cur.proxy;
	if (devapi_new(&o, &nm->api) < 0)
		nm->api = NULL;
	return nm->api;
}

const char *netmgr_port(const struct netmgr *nm)
{
	return nm->cur.n_ports && !nm->any ? nm->cur.ports[nm->port_idx % nm->cur.n_ports] : "";
}

bool netmgr_on_any_route(const struct netmgr *nm)
{
	return nm->any;
}

void netmgr_set_props(struct netmgr *nm, const struct netmgr_props *p, uint64_t now_ms)
{
	bool rebuild = p->send_timeout_s != nm->props.send_timeout_s || (nm->any && !p->fallback_any);

	if (p->better_ms != nm->props.better_ms)
		nm->next_better = p->better_ms ? now_ms + p->better_ms : 0;
	if (nm->any && !p->fallback_any) {
		nm->any = false;
		nm->fails = 0;
		start_at_good_port(nm);
	}
	nm->props = *p;
	if (rebuild)
		api_drop(nm);
}

/* Remember a port that just worked; written only when it changed, so a
 * steady device does not rewrite its state on every request. */
static int keep_good_port(struct netmgr *nm)
{
	const char *port = netmgr_port(nm);
	char line[NETMGR_NAME_MAX + 1];
	int n;

	if (!*port || strcmp(port, nm->good_port) == 0)
		return 0;
	snprintf(nm->good_port, sizeof(nm->good_port), "%s", port);
	if (!nm->port_path)
		return 0;
	n = snprintf(line, sizeof(line), "%s\n", port);
	return fileio_write_atomic(nm->port_path, line, (size_t)n, 0600);
}

int netmgr_report(struct netmgr *nm, bool reached, uint64_t now_ms)
{
	if (reached) {
		nm->trial = false;
		nm->fallback = nm->cur;
		nm->fails = 0;
		return keep_good_port(nm);
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
	start_at_good_port(nm);
	nm->any = false;
	nm->fails = 0;
	nm->trial = true;
	nm->trial_end = now_ms + trial_ms;
	api_drop(nm);
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
	nm->any = false;
	nm->fails = 0;
	nm->port_idx = 0;
	api_drop(nm);
}

bool netmgr_tick(struct netmgr *nm, uint64_t now_ms)
{
	retest_better(nm, now_ms);
	if (!nm->trial || now_ms < nm->trial_end)
		return false;
	nm->rejected = nm->cur;
	nm->have_rejected = true;
	nm->cur = nm->fallback;
	start_at_good_port(nm);
	nm->any = false;
	nm->fails = 0;
	nm->trial = false;
	api_drop(nm);
	return true;
}
