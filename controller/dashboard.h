// SPDX-License-Identifier: Apache-2.0
/* The web dashboard: its static files (built into the binary from
 * dashboard/ by dashboard/embed.cmake) served at `/` and `/ui/...` on the
 * controller's HTTPS port. The pages use only the admin REST API. */
#ifndef CTL_DASHBOARD_H
#define CTL_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct dashboard_asset {
	const char *path;          /* "/" or "/ui/<file>" */
	const char *ctype;         /* Content-Type */
	const unsigned char *data; /* static, len bytes */
	size_t len;
	const char *etag; /* quoted SHA-256 of data */
	bool immutable;   /* versioned by index.html's ?v=: cache for a year */
};

/* NULL-path-terminated; generated. */
extern const struct dashboard_asset dashboard_assets[];

/* The asset served at path, or NULL. */
const struct dashboard_asset *dashboard_find(const char *path);

extern const struct http_route dashboard_routes[];

#endif
