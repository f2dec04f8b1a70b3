// SPDX-License-Identifier: Apache-2.0
/* Messages: "c *", "c UUID", "r UUID", "a UUID HASH POINT" (lower-case
 * hex), "o *": text, because PostgreSQL's NOTIFY payloads are text. */
#include "cachebus.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hexstr.h"
#include "store.h"

int cachebus_format(const struct cachebus_msg *m, char out[CACHEBUS_MSG_MAX + 1])
{
	char hash[65], point[2 * P256_POINT_LEN + 1];
	int n;
	if (m->kind == CACHEBUS_ADDED) {
		hexstr_encode(m->cert_hash, sizeof(m->cert_hash), hash);
		hexstr_encode(m->point, sizeof(m->point), point);
		n = snprintf(out, CACHEBUS_MSG_MAX + 1, "a %s %s %s", m->uuid, hash, point);
	} else {
		bool every = m->kind == CACHEBUS_ONBOARD || (m->kind == CACHEBUS_CONFIG && !m->uuid[0]);
		n = snprintf(out, CACHEBUS_MSG_MAX + 1, "%c %s", (char)m->kind, every ? "*" : m->uuid);
	}
	return n < 0 || n > CACHEBUS_MSG_MAX ? -EINVAL : 0;
}

static int send_msg(struct store *d, const struct cachebus_msg *m)
{
	char text[CACHEBUS_MSG_MAX + 1];
	int r = cachebus_format(m, text);
	return r < 0 ? r : store_notify(d, CACHEBUS_CHANNEL, text);
}

static int send_uuid(struct store *d, enum cachebus_kind kind, const char *uuid)
{
	struct cachebus_msg m = {.kind = kind};
	if (uuid && snprintf(m.uuid, sizeof(m.uuid), "%s", uuid) >= (int)sizeof(m.uuid))
		return -EINVAL;
	return send_msg(d, &m);
}

int cachebus_config(struct store *d, const char *uuid)
{
	return send_uuid(d, CACHEBUS_CONFIG, uuid);
}

int cachebus_removed(struct store *d, const char *uuid)
{
	return send_uuid(d, CACHEBUS_REMOVED, uuid);
}

int cachebus_onboard(struct store *d)
{
	return send_uuid(d, CACHEBUS_ONBOARD, NULL);
}

int cachebus_added(struct store *d, const char *uuid, const uint8_t cert_hash[32],
		   const uint8_t point[P256_POINT_LEN])
{
	struct cachebus_msg m = {.kind = CACHEBUS_ADDED};
	if (snprintf(m.uuid, sizeof(m.uuid), "%s", uuid) >= (int)sizeof(m.uuid))
		return -EINVAL;
	memcpy(m.cert_hash, cert_hash, sizeof(m.cert_hash));
	memcpy(m.point, point, sizeof(m.point));
	return send_msg(d, &m);
}

/* Copy the next space-delimited field of *p (at most n - 1 bytes) into
 * out and step past it, and past the one space before a next field (a
 * space at the end stays, and the message is refused: one spelling per
 * message); -EINVAL when it is empty or longer. */
static int field(const char **p, char *out, size_t n)
{
	size_t len = strcspn(*p, " ");
	if (len == 0 || len >= n)
		return -EINVAL;
	memcpy(out, *p, len);
	out[len] = 0;
	*p += len;
	if (**p == ' ' && (*p)[1])
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
	if (strlen(p) > CACHEBUS_MSG_MAX || !p[0] || !strchr("crao", p[0]) || p[1] != ' ')
		return -EINVAL;
	for (const char *q = p; *q; q++)
		if (isupper((unsigned char)*q))
			return -EINVAL; /* one spelling per message: uuids and hex are lower-case */
	m->kind = (enum cachebus_kind)p[0];
	p += 2;
	if (m->kind == CACHEBUS_ONBOARD)
		return strcmp(p, "*") ? -EINVAL : 0;
	if (m->kind == CACHEBUS_CONFIG && !strcmp(p, "*"))
		return 0;
	if (field(&p, m->uuid, sizeof(m->uuid)) < 0 || !uuidgen_valid(m->uuid))
		return -EINVAL;
	if (m->kind == CACHEBUS_ADDED && (hex_field(&p, m->cert_hash, sizeof(m->cert_hash)) < 0 ||
					  hex_field(&p, m->point, sizeof(m->point)) < 0))
		return -EINVAL;
	return *p ? -EINVAL : 0;
}
