// SPDX-License-Identifier: Apache-2.0
/* Resumable HTTP(S) download of one file with libcurl: continues a partial
 * file with a Range request, caps the size, times out when the transfer
 * stalls, and reports progress. One call = one attempt; the caller retries
 * with backoff. Thread-safe (one easy handle per call). The one downloader
 * of the device: the runtime's content trees and registry blobs, and the
 * base-OS updater (update_fetch). */
#ifndef EVE_RT_DOWNLOAD_H
#define EVE_RT_DOWNLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One way a request may go (EVE: a management port and the proxy its
 * config chooses for the URL). */
#define DOWNLOAD_ROUTES_MAX 16
#define DOWNLOAD_ROUTE_WHY_MAX 256
struct download_route {
	char interface[16]; /* CURLOPT_INTERFACE; "" = any route */
	char proxy[256];    /* proxy URL; "" = DIRECT */
	char noproxy[256];  /* CURLOPT_NOPROXY: hosts reached DIRECT (the proxy's exceptions) */
};

/* Chooses the routes of a URL, in the order to try them (the device's
 * connectivity manager: device/dlroute.c). Called from download threads,
 * so it must be thread-safe. Returns the number of routes written to out
 * (at most max), or a negative errno with a one-line reason in why (e.g.
 * a PAC script that failed for every port). */
struct download_router {
	int (*routes)(void *ctx, const char *url, struct download_route *out, size_t max, char *why,
		      size_t whylen);
	void *ctx;
};

struct download_opts {
	const char *url;
	const char *dest;   /* partial file: appended to, created 0600 */
	uint64_t max_size;  /* 0 = no cap; over it -> -EVE_ETOOBIG */
	const char *ca_pem; /* trusted roots (PEM text) for HTTPS, NULL = system */
	size_t ca_pem_len;
	const char *ca_path; /* or a file of them (when ca_pem is NULL) */
	long stall_secs;     /* abort when < 1 byte/s for this long; 0 = 30 */
	long connect_secs;   /* 0 = 20 */
	/* Called with bytes on disk so far and the total (0 = unknown). */
	void (*progress)(void *ctx, uint64_t have, uint64_t total);
	void *ctx;
	atomic_int *cancel; /* may be NULL; nonzero aborts with -ECANCELED */
	/* Extra request header lines ("Name: value"), NULL-terminated; may be
	 * NULL. Not sent to another host after a redirect (libcurl's rule for
	 * custom Authorization headers). */
	const char *const *headers;
	long *status;    /* may be NULL: receives the final HTTP status */
	bool https_only; /* refuse http:// (also in redirects) */
	bool allow_file; /* also file:// URLs (never in redirects) */
	/* NULL: libcurl's default route, no proxy (the environment's proxy
	 * variables are ignored). Otherwise each route it gives is tried in
	 * order until one gets an HTTP answer (the partial file is continued). */
	const struct download_router *router;
};

/* The routes router gives for url (NULL router: one, the default route
 * DIRECT). The count (>= 1), or a negative errno with the reason in err. */
int download_routes(const struct download_router *router, const char *url, struct download_route *out,
		    size_t max, char *err, size_t errlen);
/* Set route r on libcurl handle c (interface, proxy or DIRECT, exceptions). */
void download_route_apply(void *curl, const struct download_route *r);
/* Whether a libcurl result (CURLcode) means no HTTP answer came through
 * the route, so the next route may do better. */
bool download_route_failed(int curlcode);

/* Download (or finish) o->url into o->dest. 0 when the file is complete;
 * negative error otherwise with a human readable reason in err. */
int download_file(const struct download_opts *o, char *err, size_t errlen);

#endif
