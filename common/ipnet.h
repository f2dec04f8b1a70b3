// SPDX-License-Identifier: Apache-2.0
/* Address/prefix strings ("10.1.2.3/24", "fd00:1::10/64"), IPv4 or IPv6. */
#ifndef EVE_IPNET_H
#define EVE_IPNET_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s is an IPv4 (prefix 1-32) or IPv6 (1-128) address/prefix. */
bool ipnet_cidr_ok(const char *s);
/* The network of an address/prefix ("10.1.2.3/24" -> "10.1.2.0/24",
 * "fd00:1::10/64" -> "fd00:1::/64") into out. 0 or -EINVAL (not an
 * address/prefix), -ENAMETOOLONG. */
int ipnet_network(const char *cidr, char *out, size_t size);

#endif
