// SPDX-License-Identifier: Apache-2.0
/* Messages: "c *", "c UUID", "r UUID", "a UUID HASH POINT" (lower-case
 * hex): text, because PostgreSQL's NOTIFY payloads are text. */
#include "cachebus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hexstr.h"
#include "store.h"

static int send_msg(struct store *d, char kind, const char *uuid, const char *rest)
{
	char msg[CACHEBUS_MSG_MAX + 1];
	int n = snprintf(msg, sizeof(msg), "%c %s%s%s", kind, uuid, rest ? " " : "", rest ? rest : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EINVAL;
	return store_notify(d, CACHEBUS_CHANNEL, msg);
}

int cachebus_config(struct store *d, const char *uuid)
{
	return send_msg(d, CACHEBUS_CONFIG, uuid ? uuid : "*", NULL);
}

int cachebus_removed(struct store *d, const char *uuid)
{
	return send_msg(d, CACHEBUS_REMOVED, uuid, NULL);
}

int cachebus_added(struct store *d, const char *uuid, const uint8_t cert_hash[32],
		   const uint8_t point[P256_POINT_LEN])
{
	char rest[64 + 1 + 2 * P256_POINT_LEN + 1];
	hexstr_encode(cert_hash, 32, rest);
	rest[64] = ' ';
	hexstr_encode(point, P256_POINT_LEN, rest + 65);
	return send_msg(d, CACHEBUS_ADDED, uuid, rest);
}

/* Copy the next space-delimited field of *p (at most n - 1 bytes) into
 * out and step past it; -EINVAL when it is empty or longer. */
static int field(const char **p, char *out, size_t n)
{
	size_t len = strcspn(*p, " ");
	if (len == 0 || len >= n)
		return -EINVAL;
	memcpy(out, *p, len);
	out[len] = 0;
	*p += len;
	if (**p == ' ')
		(*p)++;
	return 0;
}

static int hex_field(const char **p, uint8_t *out, size_t n)
{
	char hex[2 * P256_POINT_LEN + 1];
	if (2 * n >= sizeof(hex) || field(p, hex, sizeof(hex)) < 0 || strlen(hex) != 2 * n)
		return -EINVAL;
	return hexstr_decode(hex, out, n) < 0 ? -EINVAL : 0;
}

int cachebus_parse(const char *payload, struct cachebus_msg *m)
{
	const char *p = payload;
	memset(m, 0, sizeof(*m));
	if (strlen(p) > CACHEBUS_MSG_MAX || (p[0] != 'c' && p[0] != 'r' && p[0] != 'a') || p[1] != ' ')
		return -EINVAL;
	m->kind = (enum cachebus_kind)p[0];
	p += 2;
	if (m->kind == CACHEBUS_CONFIG && !strcmp(p, "*"))
		return 0;
	if (field(&p, m->uuid, sizeof(m->uuid)) < 0 || !uuidgen_valid(m->uuid))
		return -EINVAL;
	if (m->kind == CACHEBUS_ADDED && (hex_field(&p, m->cert_hash, sizeof(m->cert_hash)) < 0 ||
					  hex_field(&p, m->point, sizeof(m->point)) < 0))
		return -EINVAL;
	return *p ? -EINVAL : 0;
}
