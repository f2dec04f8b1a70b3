// SPDX-License-Identifier: Apache-2.0
/* Scrape authorisation: CIDR allow-list and a hashed bearer token. */
#include "scrapeauth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "fileio.h"
#include "hexstr.h"

#define TOKEN_FILE_CAP 4096

struct net {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

struct scrapeauth {
	struct net nets[SCRAPEAUTH_MAX_NETS];
	size_t nnets;
	bool has_token;
	uint8_t token_hash[CRYPTO_SHA256_LEN];
};

static int net_parse(const char *s, struct net *n)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, host, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
	} else if (inet_pton(AF_INET6, host, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || p < 0 || p > (long)n->prefix)
			return -EINVAL;
		n->prefix = (unsigned)p;
	}
	return 0;
}

static int allow_parse(struct scrapeauth *a, const char *allow, char *err, size_t errlen)
{
	char item[96];
	for (const char *p = allow; *p;) {
		size_t n = strcspn(p, ",");
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		size_t l = n;
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		if (l) {
			if (l >= sizeof(item) || a->nnets == SCRAPEAUTH_MAX_NETS)
				goto bad;
			memcpy(item, p, l);
			item[l] = 0;
			if (net_parse(item, &a->nets[a->nnets]) < 0)
				goto bad;
			a->nnets++;
		}
		p += n;
		if (*p == ',')
			p++;
		continue;
	bad:
		snprintf(err, errlen, "metrics.allow: bad network '%.*s' (or more than %d)",
			 (int)(l < 64 ? l : 64), p, SCRAPEAUTH_MAX_NETS);
		return -EINVAL;
	}
	return 0;
}

static int token_load(struct scrapeauth *a, const char *path, char *err, size_t errlen)
{
	uint8_t *data = NULL;
	size_t len;
	int r = fileio_read(path, TOKEN_FILE_CAP, &data, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "metrics.token_file %s: %s", path, strerror(-r));
		return r;
	}
	size_t n = strcspn((char *)data, "\r\n");
	if (n > 0 && n <= 256 && crypto_sha256(data, n, a->token_hash) == 0)
		a->has_token = true;
	OPENSSL_cleanse(data, len);
	free(data);
	if (!a->has_token) {
		snprintf(err, errlen, "metrics.token_file %s: empty or too long", path);
		return -EINVAL;
	}
	return 0;
}

int scrapeauth_new(const char *allow, const char *token_path, struct scrapeauth **out, bool *has_token,
		   char *err, size_t errlen)
{
	struct scrapeauth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	int r = allow_parse(a, allow ? allow : "", err, errlen);
	if (r == 0 && token_path && *token_path)
		r = token_load(a, token_path, err, errlen);
	if (r < 0) {
		scrapeauth_free(a);
		return r;
	}
	if (has_token)
		*has_token = a->has_token;
	*out = a;
	return 0;
}

void scrapeauth_free(struct scrapeauth *a)
{
	if (a)
		OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static bool addr_allowed(const struct scrapeauth *a, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int family;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		family = AF_INET6;
		memcpy(addr, in6, 16);
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memmove(addr, addr + 12, 4);
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < a->nnets; i++)
		if (a->nets[i].family == family && prefix_match(addr, a->nets[i].addr, a->nets[i].prefix))
			return true;
	return false;
}

bool scrapeauth_check(const struct scrapeauth *a, const struct sockaddr *client, const char *authorization)
{
	if (!a)
		return false;
	if (client && addr_allowed(a, client))
		return true;
	if (!a->has_token || !authorization || strncasecmp(authorization, "Bearer ", 7))
		return false;
	const char *t = authorization + 7;
	size_t n = strlen(t);
	uint8_t h[CRYPTO_SHA256_LEN];
	if (n == 0 || n > 256 || crypto_sha256(t, n, h) < 0)
		return false;
	return CRYPTO_memcmp(h, a->token_hash, sizeof(h)) == 0;
}

int scrapeauth_token_create(const char *path)
{
	uint8_t rnd[20];
	char line[4 + 2 * sizeof(rnd) + 2] = "evm_";
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	hexstr_encode(rnd, sizeof(rnd), line + 4);
	strcat(line, "\n");
	int r = fileio_write_atomic(path, line, strlen(line), 0600);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return r;
}
