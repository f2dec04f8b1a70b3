// SPDX-License-Identifier: Apache-2.0
/* "host:port" as URLs and the device's `server` file want it: an IPv6
 * literal in brackets ("[fd00::2]:8443"), so the port is not read as a
 * part of the address. */
#ifndef EVE_HOSTPORT_H
#define EVE_HOSTPORT_H

#include <stddef.h>

/* host[0..host_len) and port into out (size bytes, NUL-terminated). A host
 * with a ':' is an IPv6 literal and gets brackets (one already in brackets
 * is kept as it is). 0; -EINVAL for an empty host or port, a host with
 * unbalanced brackets; -ENAMETOOLONG when out is too small. */
int hostport_join(const char *host, size_t host_len, const char *port, char *out, size_t size);

/* Whether s is one "host:port" to put into a URL as it is: a DNS name or an
 * IPv4 address (letters, digits, '.', '-', '_'), or an IPv6 literal in
 * brackets, then ':' and a port 1-65535 in decimal. Nothing else: no scheme,
 * path, user or space. 0 or -EINVAL. */
int hostport_check(const char *s);

#endif
