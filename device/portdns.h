// SPDX-License-Identifier: Apache-2.0
/* Name lookup through a port's own DNS servers (the ones of its static
 * config or its DHCP lease), so each management port resolves the
 * controller the way its network does. libcurl here has no c-ares
 * (CURLOPT_DNS_SERVERS), so the agent resolves and hands curl the address
 * (CURLOPT_RESOLVE). */
#ifndef EVE_PORTDNS_H
#define EVE_PORTDNS_H

#include <stddef.h>

#include "portcfg.h"

/* Resolve host (IPv4) through servers[0..n) (n == 0: the system resolver);
 * an IPv4 or IPv6 address literal is returned as is (size >= 46 for the
 * latter). The first address goes to out.
 * 0, -ENOENT (no such name / no address), -ETIMEDOUT (no server
 * answered), -EINVAL. */
int portdns_resolve(const char *host, const char (*servers)[PORTCFG_IP_MAX], size_t n, char *out,
		    size_t size);

#endif
