// SPDX-License-Identifier: Apache-2.0
/* Connectivity diagnosis of one management port, step by step as a request
 * to the controller goes: link, address, DNS, TCP, proxy CONNECT, TLS (with
 * the certificate problem), HTTP status of /api/v2/edgedevice/ping. Used
 * by `eve-agent diag` and by the agent on start and on every connectivity
 * change. Does not log: it writes text for the caller. */
#ifndef EVE_CONNDIAG_H
#define EVE_CONNDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portcfg.h"

struct conndiag_port {
	const char *ifname; /* "" = any route (no binding) */
	const char *label;  /* logical label, may be "" */
	uint32_t cost;
	const char *mode;  /* "dhcp", "static", "host" */
	bool managed;      /* link/address are the agent's to check */
	bool up;           /* link up with carrier */
	const char *addrs; /* "a.b.c.d/nn,..." */
	const char *gw;    /* "" unknown */
	const char (*dns)[PORTCFG_IP_MAX];
	size_t n_dns;      /* 0: the system resolver */
	const char *proxy; /* "" direct; "http://host:port" */
};

/* Steps, in order; CONNDIAG_OK when the controller answered 200. */
enum conndiag_step {
	CONNDIAG_OK = 0,
	CONNDIAG_LINK,
	CONNDIAG_ADDRESS,
	CONNDIAG_DNS,
	CONNDIAG_TCP,
	CONNDIAG_PROXY,
	CONNDIAG_TLS,
	CONNDIAG_HTTP,
};

/* Static name of a step ("ok", "link", "DNS", ...). */
const char *conndiag_step_name(enum conndiag_step s);

/* Diagnose reaching server ("host:port", TLS trusting only ca_path) over
 * port p, each network step bounded by timeout_s. Appends to out (size
 * bytes, always terminated): a first line describing the port and a second
 * naming the result or the failing step with its reason. Returns the
 * failing step (CONNDIAG_OK when reached). */
enum conndiag_step conndiag_port(const char *server, const char *ca_path, const struct conndiag_port *p,
				 int timeout_s, char *out, size_t size);

#endif
