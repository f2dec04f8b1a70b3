// SPDX-License-Identifier: Apache-2.0
/* HTTPS client for the EVE device API (/api/v2/edgedevice/...), one libcurl
 * easy handle kept alive between calls. Used by the agent, the tests and the
 * benchmarks; it moves bytes only: sealing and verifying envelopes is the
 * caller's (see envelope.h). Not thread-safe: one per thread. */
#ifndef EVE_DEVAPI_H
#define EVE_DEVAPI_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

struct devapi;

struct devapi_opts {
	const char *server;    /* "host:port" as in the config dir's `server` */
	const char *ca_path;   /* root-certificate.pem: the only trusted root */
	const char *interface; /* optional CURLOPT_INTERFACE (management port) */
	const char *proxy;     /* optional HTTP(S) proxy URL */
	const char *noproxy;   /* optional CURLOPT_NOPROXY: hosts reached without the proxy */
	const char *resolve;   /* optional CURLOPT_RESOLVE "host:port:addr" (resolved by the caller) */
	long timeout_s;        /* whole-request timeout; 0 = 60 s */
};

int devapi_new(const struct devapi_opts *o, struct devapi **out);
void devapi_free(struct devapi *c);
/* method "GET" or "POST"; path below /api/v2/edgedevice (e.g. "/certs",
 * "/id/<uuid>/config"); body may be NULL. The response body replaces resp's
 * contents (bounded by resp->cap: -EVE_ETOOBIG past it). 0 when an HTTP answer
 * arrived (any status in *status), -ECONNREFUSED/-ETIMEDOUT/-EVE_EBADCERT
 * (TLS) etc. when none did. */
int devapi_call(struct devapi *c, const char *method, const char *path, const uint8_t *body, size_t len,
		long *status, struct buf *resp);
/* curl's text for the last failed call ("" if none); owned by c, valid until
 * the next call. For logging only. */
const char *devapi_errmsg(const struct devapi *c);

#endif
