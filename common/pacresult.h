// SPDX-License-Identifier: Apache-2.0
/* The result of a proxy auto-config script's FindProxyForURL: a list of
 * entries separated by ';' ("PROXY host:port; SOCKS host:port; DIRECT"),
 * to be tried in order. The text is untrusted (it comes from a script the
 * network sent): every field is bounded and checked. */
#ifndef EVE_PACRESULT_H
#define EVE_PACRESULT_H

#include <stddef.h>
#include <stdint.h>

#define PACRESULT_MAX 8         /* entries kept; more is refused */
#define PACRESULT_HOST_MAX 256  /* host name or address, NUL included */
#define PACRESULT_TEXT_MAX 4096 /* longest result accepted */

enum pacresult_kind {
	PACRESULT_DIRECT = 0, /* no proxy */
	PACRESULT_HTTP,       /* PROXY / HTTP host:port */
	PACRESULT_HTTPS,      /* HTTPS host:port (TLS to the proxy) */
	PACRESULT_SOCKS4,     /* SOCKS4 host:port */
	PACRESULT_SOCKS5,     /* SOCKS / SOCKS5 host:port */
};

struct pacresult_entry {
	enum pacresult_kind kind;
	char host[PACRESULT_HOST_MAX]; /* "" for DIRECT; IPv6 without brackets */
	uint16_t port;                 /* 0 for DIRECT */
};

/* Parse text[0..len) (no NUL needed) into out[0..max). Keywords are
 * case-insensitive; blanks around entries and empty entries are skipped.
 * Returns the number of entries (>= 1), -EINVAL for a malformed entry or
 * an empty result, -E2BIG for more than max entries or a text longer than
 * PACRESULT_TEXT_MAX. out is written only on success. */
int pacresult_parse(const char *text, size_t len, struct pacresult_entry *out, size_t max);

/* The entry as a proxy URL for libcurl ("http://h:p", "https://h:p",
 * "socks4a://h:p", "socks5h://h:p"; "" for DIRECT) into buf. 0, or
 * -ENOSPC when it does not fit. */
int pacresult_url(const struct pacresult_entry *e, char *buf, size_t size);

/* The entry as PAC text ("PROXY h:p", "DIRECT", ...) into buf. */
int pacresult_text(const struct pacresult_entry *e, char *buf, size_t size);

#endif
