// SPDX-License-Identifier: Apache-2.0
/* Checks of apps' ACLs (see app_acl.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_acl.h"

static bool digits(const char *s, size_t max)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= max && s[n] == '\0';
}

/* "a.b.c.d", IPv6, optionally "/len". */
static bool ip_ok(const char *v)
{
	char addr[64];
	const char *slash = strchr(v, '/');
	unsigned char buf[16];
	int fam;

	if (strlen(v) >= sizeof(addr))
		return false;
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - v) : (int)strlen(v), v);
	fam = inet_pton(AF_INET, addr, buf) == 1 ? 4 : inet_pton(AF_INET6, addr, buf) == 1 ? 6 : 0;
	if (!fam)
		return false;
	return !slash || (digits(slash + 1, 3) && atoi(slash + 1) <= (fam == 4 ? 32 : 128));
}

static bool host_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 253 || v[0] == '.' || v[0] == '-' || strstr(v, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '.' && v[i] != '_')
			return false;
	return true;
}

static bool proto_ok(const char *v)
{
	static const char *const names[] = {"tcp", "udp", "icmp", "sctp"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(v, names[i]) == 0)
			return true;
	return digits(v, 3) && atoi(v) <= 255;
}

/* "N" or "N-M" / "N:M", 1..65535, N <= M. */
static bool port_ok(const char *v)
{
	char *end;
	long a = strtol(v, &end, 10), b = a;

	if (!isdigit((unsigned char)v[0]))
		return false;
	if (*end == '-' || *end == ':') {
		if (!isdigit((unsigned char)end[1]))
			return false;
		b = strtol(end + 1, &end, 10);
	}
	return *end == '\0' && a >= 1 && b <= 65535 && a <= b;
}

static const struct {
	const char *type;
	bool (*ok)(const char *);
	const char *what;
} match_types[] = {
    {"ip", ip_ok, "an IP address or CIDR"},
    {"host", host_ok, "a DNS name"},
    {"protocol", proto_ok, "tcp, udp, icmp, sctp or 0..255"},
    {"fport", port_ok, "a port or range N-M"},
    {"lport", port_ok, "a port or range N-M"},
};

static bool match_ok(const json_t *m, bool *proto, bool *port, char *err, size_t errlen)
{
	const char *t = json_string_value(json_object_get(m, "type"));
	const char *v = json_string_value(json_object_get(m, "value"));

	if (!t || !v || json_object_size(m) != 2) {
		snprintf(err, errlen, "acls[].matches[]: {type, value} strings");
		return false;
	}
	for (size_t i = 0; i < sizeof(match_types) / sizeof(match_types[0]); i++) {
		if (strcmp(t, match_types[i].type) != 0)
			continue;
		if (!match_types[i].ok(v)) {
			snprintf(err, errlen, "acls: %s \"%.64s\" is not %s", t, v, match_types[i].what);
			return false;
		}
		*proto |= strcmp(t, "protocol") == 0;
		*port |= strcmp(t, "fport") == 0 || strcmp(t, "lport") == 0;
		return true;
	}
	snprintf(err, errlen, "acls: match type \"%.32s\" is not one of ip, host, protocol, fport, lport", t);
	return false;
}

static bool action_ok(const json_t *acts, char *err, size_t errlen)
{
	const json_t *a;
	size_t i;

	if (!acts)
		return true;
	if (!json_is_array(acts) || json_array_size(acts) > 1) {
		snprintf(err, errlen, "acls[].actions: at most one action");
		return false;
	}
	json_array_foreach(acts, i, a)
	{
		const char *unit = json_string_value(json_object_get(a, "limitunit"));
		json_int_t rate = json_integer_value(json_object_get(a, "limitrate"));
		json_int_t burst = json_integer_value(json_object_get(a, "limitburst"));

		if (json_is_true(json_object_get(a, "drop")) && json_object_size(a) == 1)
			continue;
		if (json_is_true(json_object_get(a, "limit")) && rate >= 1 && rate <= 1000000 && burst >= 0 &&
		    burst <= 1000000 && (!unit || strspn(unit, "smhd") == 1) && (!unit || strlen(unit) == 1))
			continue;
		snprintf(err, errlen,
			 "acls[].actions[]: {\"drop\": true} or {\"limit\": true, \"limitrate\": "
			 "1..1000000, \"limitunit\": s|m|h|d, \"limitburst\": N}");
		return false;
	}
	return true;
}

static bool in_array(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

bool app_acl_valid(const json_t *acls, const json_t *nets, char *err, size_t errlen)
{
	const json_t *ace, *m;
	size_t i, j;

	if (!json_is_array(acls) || json_array_size(acls) > APP_ACL_MAX) {
		snprintf(err, errlen, "acls: an array of at most %d entries", APP_ACL_MAX);
		return false;
	}
	json_array_foreach(acls, i, ace)
	{
		const json_t *ms = json_object_get(ace, "matches");
		const char *net = json_string_value(json_object_get(ace, "network"));
		size_t keys = 2 + (json_object_get(ace, "actions") != NULL);
		bool proto = false, port = false;

		if (!net || !json_is_array(ms) || json_array_size(ms) == 0 ||
		    json_array_size(ms) > APP_ACL_MATCHES_MAX || json_object_size(ace) != keys) {
			snprintf(err, errlen, "acls[]: {network, matches: 1-%d of {type, value}, actions}",
				 APP_ACL_MATCHES_MAX);
			return false;
		}
		if (!in_array(nets, net)) {
			snprintf(err, errlen, "acls: network \"%.64s\" is not one of the app's networks",
				 net);
			return false;
		}
		json_array_foreach(ms, j, m)
		{
			if (!match_ok(m, &proto, &port, err, errlen))
				return false;
		}
		if (port && !proto) {
			snprintf(err, errlen, "acls: fport/lport need a protocol match in the same entry");
			return false;
		}
		if (!action_ok(json_object_get(ace, "actions"), err, errlen))
			return false;
	}
	return true;
}

bool app_acl_entry(const json_t *acls, size_t i, struct app_acl_entry *e)
{
	const json_t *ace = json_array_get(acls, i), *m, *a;
	size_t j;

	if (!ace)
		return false;
	memset(e, 0, sizeof(*e));
	e->network = json_string_value(json_object_get(ace, "network")) ?: "";
	json_array_foreach(json_object_get(ace, "matches"), j, m)
	{
		if (e->n_matches == APP_ACL_MATCHES_MAX)
			break;
		e->matches[e->n_matches].type = json_string_value(json_object_get(m, "type")) ?: "";
		e->matches[e->n_matches].value = json_string_value(json_object_get(m, "value")) ?: "";
		e->n_matches++;
	}
	a = json_array_get(json_object_get(ace, "actions"), 0);
	e->action = a != NULL;
	e->drop = json_is_true(json_object_get(a, "drop"));
	e->limit = json_is_true(json_object_get(a, "limit"));
	e->limitrate = (uint32_t)json_integer_value(json_object_get(a, "limitrate"));
	e->limitburst = (uint32_t)json_integer_value(json_object_get(a, "limitburst"));
	e->limitunit = json_string_value(json_object_get(a, "limitunit")) ?: "s";
	return true;
}
