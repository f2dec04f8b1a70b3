// SPDX-License-Identifier: Apache-2.0
/* An app's ACLs as the admin API takes them (spec "acls") and checks them
 * before they reach a device:
 *
 *   [{"network": NAME,
 *     "matches": [{"type": "ip"|"host"|"protocol"|"fport"|"lport", "value": S}, ...],
 *     "actions": [{"drop": true} | {"limit": true, "limitrate": N,
 *                  "limitunit": "s"|"m"|"h"|"d", "limitburst": N}]}]   (actions optional)
 *
 * Each entry becomes one EVE ACE (same field names) on the app's adapter
 * on NAME: no actions = allow. An adapter without entries gets one
 * allow-all ACE (ip 0.0.0.0/0), as EVE controllers send. What the device
 * enforces and how: docs/firewall.md. */
#ifndef EVE_CTL_APP_ACL_H
#define EVE_CTL_APP_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define APP_ACL_MAX 64        /* entries per app */
#define APP_ACL_MATCHES_MAX 8 /* matches per entry */

/* True when acls is valid; otherwise false with the reason in err. The
 * networks an entry names must be among nets (array of strings). */
bool app_acl_valid(const json_t *acls, const json_t *nets, char *err, size_t errlen);

/* Entry i of valid acls, read for the device config. Strings point into
 * acls. */
struct app_acl_entry {
	const char *network;
	size_t n_matches;
	struct {
		const char *type, *value;
	} matches[APP_ACL_MATCHES_MAX];
	bool action; /* false: allow */
	bool drop;
	bool limit;
	uint32_t limitrate, limitburst;
	const char *limitunit; /* "s" when not given */
};
/* Fill *e from entry i; false past the end. */
bool app_acl_entry(const json_t *acls, size_t i, struct app_acl_entry *e);

#endif
