// SPDX-License-Identifier: Apache-2.0
/* Remote consoles, the runtime's part: hand a session the console pty of
 * a container or a VM (holding the log reader off it meanwhile) and find where an
 * app's VNC display or TCP port is reached. Called from the agent's
 * edge-view threads, never from the worker: everything goes through the
 * published snapshot (mmu) and a libvirt connection of the caller's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hv.h"
#include "rt_internal.h"
#include "runtime.h"

bool rt_console_held(struct runtime *rt, const char *uuid)
{
	bool held = false;

	pthread_mutex_lock(&rt->mmu);
	for (size_t i = 0; i < RT_CONSOLE_HELD_MAX && !held; i++)
		held = rt->held[i][0] && strcmp(rt->held[i], uuid) == 0;
	pthread_mutex_unlock(&rt->mmu);
	return held;
}

/* The running app's domain name, driver and address from the snapshot. */
static int find_app(struct runtime *rt, const char *uuid, char dom[RT_ID_MAX + 8], enum rt_hv *hv,
		    char ip[64])
{
	int r = -ENOENT;

	pthread_mutex_lock(&rt->mmu);
	for (size_t i = 0; i < rt->n_mdoms; i++) {
		if (strcmp(rt->mdoms[i].uuid, uuid))
			continue;
		snprintf(dom, RT_ID_MAX + 8, "%s", rt->mdoms[i].dom);
		snprintf(ip, 64, "%s", rt->mdoms[i].ip);
		*hv = rt->mdoms[i].hv;
		r = 0;
	}
	pthread_mutex_unlock(&rt->mmu);
	return r;
}

static int hold(struct runtime *rt, const char *uuid)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&rt->mmu);
	for (size_t i = 0; i < RT_CONSOLE_HELD_MAX; i++)
		if (rt->held[i][0] && strcmp(rt->held[i], uuid) == 0)
			r = -EBUSY;
	for (size_t i = 0; i < RT_CONSOLE_HELD_MAX && r == -ENOSPC; i++) {
		if (!rt->held[i][0]) {
			snprintf(rt->held[i], sizeof(rt->held[i]), "%s", uuid);
			r = 0;
		}
	}
	pthread_mutex_unlock(&rt->mmu);
	return r;
}

void runtime_console_release(struct runtime *rt, const char *uuid)
{
	pthread_mutex_lock(&rt->mmu);
	for (size_t i = 0; i < RT_CONSOLE_HELD_MAX; i++)
		if (strcmp(rt->held[i], uuid) == 0)
			rt->held[i][0] = '\0';
	pthread_mutex_unlock(&rt->mmu);
}

/* A fresh connection and the domain (caller frees both). */
static int open_domain(struct runtime *rt, enum rt_hv hv, const char *dom, virConnectPtr *c, virDomainPtr *d,
		       char *err, size_t errlen)
{
	int r = hv_connect(rt->uris[hv], c, err, errlen);

	if (r < 0)
		return r;
	r = hv_lookup(*c, dom, d);
	if (r < 0) {
		snprintf(err, errlen, "domain %s not found", dom);
		virConnectClose(*c);
		*c = NULL;
	}
	return r;
}

int runtime_console_open(struct runtime *rt, const char *uuid, int *fd, char *err, size_t errlen)
{
	char dom[RT_ID_MAX + 8], ip[64], *pty = NULL;
	enum rt_hv hv;
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	int r = find_app(rt, uuid, dom, &hv, ip);

	if (r < 0) {
		snprintf(err, errlen, "app instance %s is not running on this device", uuid);
		return r;
	}
	if ((r = open_domain(rt, hv, dom, &c, &d, err, errlen)) < 0)
		return r;
	if ((r = hv_console_pty(d, &pty)) < 0) {
		snprintf(err, errlen,
			 "the app has no console pty (a VM started before consoles were ptys: restart it)");
		goto out;
	}
	if ((r = hold(rt, uuid)) < 0) {
		snprintf(err, errlen, "the console is held by another session");
		goto out;
	}
	*fd = open(pty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	/* Raw: the bytes go to and from the guest unchanged (a VM's pty is
	 * fresh from QEMU, in cooked mode with echo). */
	struct termios t;
	if (*fd >= 0 && tcgetattr(*fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(*fd, TCSANOW, &t);
	}
	if (*fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open the console: %s", strerror(errno));
		runtime_console_release(rt, uuid);
	}
out:
	free(pty);
	if (d)
		virDomainFree(d);
	if (c)
		virConnectClose(c);
	return r;
}

/* The VNC port of the domain's graphics (from its live XML). */
static int vnc_port(virDomainPtr d, int *port)
{
	char *xml = virDomainGetXMLDesc(d, 0);
	const char *g = xml ? strstr(xml, "<graphics type='vnc'") : NULL;
	const char *p = g ? strstr(g, "port='") : NULL;
	int r = -ENOTSUP;

	if (p && sscanf(p + 6, "%d", port) == 1 && *port > 0 && *port < 65536)
		r = 0;
	free(xml);
	return r;
}

int runtime_app_endpoint(struct runtime *rt, const char *uuid, bool vnc, int port, char host[64],
			 int *out_port, char *err, size_t errlen)
{
	char dom[RT_ID_MAX + 8], ip[64];
	enum rt_hv hv;
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	int r = find_app(rt, uuid, dom, &hv, ip);

	if (r < 0) {
		snprintf(err, errlen, "app instance %s is not running on this device", uuid);
		return r;
	}
	if (!vnc) {
		if (!ip[0]) {
			snprintf(err, errlen, "the app has no address (no network adapter with a lease)");
			return -ENOTSUP;
		}
		snprintf(host, 64, "%s", ip);
		*out_port = port;
		return 0;
	}
	if ((r = open_domain(rt, hv, dom, &c, &d, err, errlen)) < 0)
		return r;
	r = vnc_port(d, out_port);
	if (r < 0)
		snprintf(err, errlen, "the app has no VNC display (enable VNC in its VM config)");
	else
		snprintf(host, 64, "127.0.0.1");
	virDomainFree(d);
	virConnectClose(c);
	return r;
}
