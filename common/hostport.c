// SPDX-License-Identifier: Apache-2.0
/* host:port with IPv6 brackets (see hostport.h). */
#include "hostport.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

static bool v6_char(char ch)
{
	return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || (ch >= '0' && ch <= '9') ||
	       ch == ':' || ch == '.';
}

/* The port: decimal digits only (strtol would take a sign or spaces). */
static int port_check(const char *p)
{
	size_t n = strspn(p, "0123456789");
	if (!n || n > 5 || p[n])
		return -EINVAL;
	long v = strtol(p, NULL, 10);
	return v >= 1 && v <= 65535 ? 0 : -EINVAL;
}

int hostport_check(const char *s)
{
	const char *h = s, *end;
	bool v6 = *s == '[';

	if (v6) {
		h = s + 1;
		end = strchr(h, ']');
		if (!end || end == h || end[1] != ':' || !memchr(h, ':', (size_t)(end - h)))
			return -EINVAL;
	} else {
		end = strchr(h, ':');
		if (!end || end == h)
			return -EINVAL;
	}
	for (const char *c = h; c < end; c++)
		if (!(v6 ? v6_char(*c) : name_char(*c)))
			return -EINVAL;
	return port_check(end + (v6 ? 2 : 1));
}
