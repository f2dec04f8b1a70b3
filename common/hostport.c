// SPDX-License-Identifier: Apache-2.0
/* host:port with IPv6 brackets (see hostport.h). */
#include "hostport.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int hostport_join(const char *host, size_t host_len, const char *port, char *out, size_t size)
{
	bool open = host_len && host[0] == '[', close = host_len && host[host_len - 1] == ']';
	bool v6 = memchr(host, ':', host_len) != NULL;
	int n;

	if (!host_len || !port || !*port || open != close || (open && host_len < 3))
		return -EINVAL;
	if (v6 && !open)
		n = snprintf(out, size, "[%.*s]:%s", (int)host_len, host, port);
	else
		n = snprintf(out, size, "%.*s:%s", (int)host_len, host, port);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
