// SPDX-License-Identifier: Apache-2.0
/* Fetching a base-OS image (through common/download.c) and hashing it. */
#ifndef EVE_UPDATE_FETCH_H
#define EVE_UPDATE_FETCH_H

#include <stdint.h>

struct download_router;

/* Download url (http, https or file) into path (created 0600/truncated),
 * at most max bytes (-EVE_ETOOBIG past it). ca_path: optional CA bundle
 * for https; router: the routes (ports, proxies) to take, NULL: the
 * default route. HTTP errors give -EVE_EHTTP. */
int update_fetch(const char *url, const char *path, uint64_t max, const char *ca_path,
		 const struct download_router *router);
/* SHA-256 of a file's contents. */
int update_file_sha256(const char *path, uint8_t out[32]);

#endif
