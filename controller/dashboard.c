// SPDX-License-Identifier: Apache-2.0
/* GET / and /ui/<file>: the dashboard's static files with a strict
 * Content-Security-Policy (no inline script or style, connections only to
 * this origin), ETag revalidation and long caching of versioned assets. */
#include "dashboard.h"

#include <string.h>

#include "http.h"

/* 'self' only: no inline script/style, no eval, no other origin; the
 * pages talk to /api/v1 on the same origin. */
#define DASHBOARD_CSP                                                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                    \
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

const struct dashboard_asset *dashboard_find(const char *path)
{
	for (const struct dashboard_asset *a = dashboard_assets; a->path; a++)
		if (!strcmp(a->path, path))
			return a;
	return NULL;
}

static void add_headers(struct MHD_Response *resp, const struct dashboard_asset *a)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	MHD_add_response_header(resp, "Content-Security-Policy", DASHBOARD_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static void h_asset(struct http_req *r)
{
	const struct dashboard_asset *a = dashboard_find(r->url);
	if (!a) {
		http_reply_error(r, 404, "not found");
		return;
	}
	const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	bool fresh = inm && strstr(inm, a->etag);
	struct MHD_Response *resp =
	    fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
		  : MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		http_reply_error(r, 500, "out of memory");
		return;
	}
	add_headers(resp, a);
	http_reply_resp(r, fresh ? 304 : 200, resp);
}

const struct http_route dashboard_routes[] = {
    {"GET", "/", h_asset, 4096, HTTP_AUTH_NONE, NULL},
    {"HEAD", "/", h_asset, 4096, HTTP_AUTH_NONE, NULL},
    {"GET", "/ui/*", h_asset, 4096, HTTP_AUTH_NONE, NULL},
    {"HEAD", "/ui/*", h_asset, 4096, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
