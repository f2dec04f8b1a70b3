// SPDX-License-Identifier: Apache-2.0
/* Address/prefix strings (see ipnet.h). */
#include "ipnet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse cidr into its address bytes (4 or 16), family and prefix. */
static int parse(const char *cidr, unsigned char ip[16], int *family, long *bits)
{
	char a[INET6_ADDRSTRLEN];
	const char *slash = strchr(cidr, '/');
	char *end;

	if (!slash || slash == cidr || (size_t)(slash - cidr) >= sizeof(a))
		return -EINVAL;
	snprintf(a, sizeof(a), "%.*s", (int)(slash - cidr), cidr);
	*family = strchr(a, ':') ? AF_INET6 : AF_INET;
	*bits = strtol(slash + 1, &end, 10);
	if (*end || !isdigit((unsigned char)slash[1]) || *bits < 1 ||
	    *bits > (*family == AF_INET6 ? 128 : 32) || inet_pton(*family, a, ip) != 1)
		return -EINVAL;
	return 0;
}

bool ipnet_cidr_ok(const char *s)
{
	unsigned char ip[16];
	int family;
	long bits;

	return parse(s, ip, &family, &bits) == 0;
}

int ipnet_network(const char *cidr, char *out, size_t size)
{
	unsigned char ip[16];
	char a[INET6_ADDRSTRLEN];
	int family, n;
	long bits;
	size_t len;

	if (parse(cidr, ip, &family, &bits) < 0)
		return -EINVAL;
	len = family == AF_INET6 ? 16 : 4;
	for (size_t i = 0; i < len; i++) {
		long keep = bits - (long)(i * 8);

		if (keep <= 0)
			ip[i] = 0;
		else if (keep < 8)
			ip[i] &= (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(family, ip, a, sizeof(a));
	n = snprintf(out, size, "%s/%ld", a, bits);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
