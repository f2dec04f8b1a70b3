// SPDX-License-Identifier: Apache-2.0
/* Who may read /metrics and /metrics/fleet: a dedicated read-only bearer
 * token (its file under the controller directory, metrics.token_file) or
 * a client address inside one of the allow-listed networks
 * (metrics.allow, comma-separated CIDRs). The token is kept as its
 * SHA-256 only. */
#ifndef CTL_SCRAPEAUTH_H
#define CTL_SCRAPEAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define SCRAPEAUTH_MAX_NETS 32

struct scrapeauth;

/* allow: "" or "CIDR[,CIDR...]" (a bare address means one host);
 * token_path: NULL/"" for none; a missing file means no token (*has_token
 * false). -EINVAL with err set on a bad list, -errno on a read error.
 * Free with scrapeauth_free. */
int scrapeauth_new(const char *allow, const char *token_path, struct scrapeauth **out, bool *has_token,
		   char *err, size_t errlen);
void scrapeauth_free(struct scrapeauth *a);
/* client may be NULL; authorization is the Authorization header or NULL. */
bool scrapeauth_check(const struct scrapeauth *a, const struct sockaddr *client, const char *authorization);

/* Write a new random scrape token ("evm_" + 40 hex) to path, 0600. */
int scrapeauth_token_create(const char *path);

#endif
