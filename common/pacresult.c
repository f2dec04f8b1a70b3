// SPDX-License-Identifier: Apache-2.0
/* Parser of FindProxyForURL results (see pacresult.h). */
#include "pacresult.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *word;
	enum pacresult_kind kind;
} kinds[] = {
    {"DIRECT", PACRESULT_DIRECT}, {"PROXY", PACRESULT_HTTP},    {"HTTP", PACRESULT_HTTP},
    {"HTTPS", PACRESULT_HTTPS},   {"SOCKS4", PACRESULT_SOCKS4}, {"SOCKS", PACRESULT_SOCKS5},
    {"SOCKS5", PACRESULT_SOCKS5},
};

/* A host name (letters, digits, '-', '_', '.') or an IPv4 address. */
static bool host_ok(const char *s, size_t n)
{
	if (!n || n >= PACRESULT_HOST_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* An IPv6 address between brackets: hex digits, ':' and '.' only. */
static bool host6_ok(const char *s, size_t n)
{
	if (n < 2 || n >= PACRESULT_HOST_MAX || !memchr(s, ':', n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
			return false;
	return true;
}

/* "host:port" or "[v6]:port" in s[0..n) into e. */
static int hostport(const char *s, size_t n, struct pacresult_entry *e)
{
	const char *h = s, *colon;
	size_t hn;
	unsigned long port = 0;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close + 1 >= s + n || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hn = (size_t)(close - h);
		colon = close + 1;
		if (!host6_ok(h, hn))
			return -EINVAL;
	} else {
		colon = memchr(s, ':', n);
		if (!colon)
			return -EINVAL;
		hn = (size_t)(colon - s);
		if (!host_ok(h, hn))
			return -EINVAL;
	}
	if (colon + 1 >= s + n || (size_t)(s + n - colon - 1) > 5)
		return -EINVAL;
	for (const char *p = colon + 1; p < s + n; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	memcpy(e->host, h, hn);
	e->host[hn] = '\0';
	e->port = (uint16_t)port;
	return 0;
}

/* One entry s[0..n) (trimmed, not empty) into e. */
static int entry(const char *s, size_t n, struct pacresult_entry *e)
{
	size_t w = 0, i;

	while (w < n && !isspace((unsigned char)s[w]))
		w++;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].word) == w && !strncasecmp(s, kinds[i].word, w))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->kind = kinds[i].kind;
	while (w < n && isspace((unsigned char)s[w]))
		w++;
	if (e->kind == PACRESULT_DIRECT)
		return w == n ? 0 : -EINVAL;
	return hostport(s + w, n - w, e);
}

int pacresult_parse(const char *text, size_t len, struct pacresult_entry *out, size_t max)
{
	struct pacresult_entry tmp[PACRESULT_MAX];
	size_t n = 0, pos = 0;
	int r;

	if (len > PACRESULT_TEXT_MAX)
		return -E2BIG;
	if (max > PACRESULT_MAX)
		max = PACRESULT_MAX;
	while (pos < len) {
		const char *semi = memchr(text + pos, ';', len - pos);
		size_t end = semi ? (size_t)(semi - text) : len, a = pos, b = end;

		while (a < b && isspace((unsigned char)text[a]))
			a++;
		while (b > a && isspace((unsigned char)text[b - 1]))
			b--;
		pos = end + 1;
		if (a == b)
			continue;
		if (n == max)
			return -E2BIG;
		r = entry(text + a, b - a, &tmp[n]);
		if (r < 0)
			return r;
		n++;
	}
	if (!n)
		return -EINVAL;
	memcpy(out, tmp, n * sizeof(tmp[0]));
	return (int)n;
}

static const char *const schemes[] = {"", "http", "https", "socks4a", "socks5h"};
static const char *const words[] = {"DIRECT", "PROXY", "HTTPS", "SOCKS4", "SOCKS5"};

static int put(const struct pacresult_entry *e, const char *pre, const char *sep, char *buf, size_t size)
{
	bool v6 = strchr(e->host, ':') != NULL;
	int n = snprintf(buf, size, "%s%s%s%s%s:%u", pre, sep, v6 ? "[" : "", e->host, v6 ? "]" : "",
			 (unsigned)e->port);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int pacresult_url(const struct pacresult_entry *e, char *buf, size_t size)
{
	if (e->kind == PACRESULT_DIRECT || (unsigned)e->kind >= sizeof(schemes) / sizeof(schemes[0])) {
		if (!size)
			return -ENOSPC;
		buf[0] = '\0';
		return 0;
	}
	return put(e, schemes[e->kind], "://", buf, size);
}

int pacresult_text(const struct pacresult_entry *e, char *buf, size_t size)
{
	if (e->kind == PACRESULT_DIRECT || (unsigned)e->kind >= sizeof(words) / sizeof(words[0])) {
		int n = snprintf(buf, size, "DIRECT");

		return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
	}
	return put(e, words[e->kind], " ", buf, size);
}
