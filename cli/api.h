// SPDX-License-Identifier: Apache-2.0
/* HTTPS client of the controller's admin REST API (/api/v1), on libcurl.
 * Errors are negative errno values, mapped once here:
 *   -ENOENT        the server said 404
 *   -EVE_EHTTP     any other non-2xx (the server's "error" text in errmsg)
 *   (curlerr.h)    cannot reach the server, TLS or transport failure:
 *                  curlerr_unreachable(r) is true
 *   -EVE_ETOOBIG   the response is over its cap
 *   -EPROTO        the response is not the JSON the API promises
 * api_errmsg() returns a one-line explanation of the last failure. */
#ifndef EVECTL_API_H
#define EVECTL_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define API_MAX_RESPONSE (32u * 1024 * 1024)
#define API_MAX_LINE (256u * 1024)

struct api;

/* server: "https://host:port" (a trailing "/" or "/api/v1" is accepted);
 * ca: PEM file of the CA to trust, or NULL for the system store; token may
 * be NULL. The strings are copied. Caller frees with api_free. */
int api_new(const char *server, const char *ca, const char *token, struct api **out);
void api_free(struct api *a);

/* One request. path is below /api/v1 and already escaped (see api_escape).
 * body may be NULL. On 2xx, *out (if out != NULL) receives the parsed JSON
 * (caller owns it), or NULL for an empty body (204). */
int api_call(struct api *a, const char *method, const char *path, const json_t *body, json_t **out);

/* Stream a follow=1 response: line_cb is called once per non-empty line
 * (NUL-terminated, without the newline); returning non-zero from it stops
 * the stream and is returned. */
typedef int (*api_line_cb)(const char *line, size_t len, void *ud);
int api_stream_lines(struct api *a, const char *path, api_line_cb cb, void *ud);

/* GET path as bytes (at most API_MAX_RESPONSE): *out is caller-freed and
 * may be NULL for an empty body. */
int api_get_bytes(struct api *a, const char *path, uint8_t **out, size_t *len);

/* PUT the size bytes of f to path as application/octet-stream, streaming it.
 * progress (may be NULL) is called with bytes sent so far. */
typedef void (*api_progress_cb)(uint64_t done, uint64_t total, void *ud);
int api_upload(struct api *a, const char *path, FILE *f, uint64_t size, api_progress_cb progress, void *ud,
	       json_t **out);

/* One request to the controller's OCI registry API: path is absolute
 * ("/v2/..."), the body a file (f, size, with progress) or memory (data,
 * len) or none. 0 on 2xx; the Location header of the reply in location. */
struct api_v2 {
	const char *method, *path, *ctype;
	FILE *f;
	uint64_t size;
	const void *data;
	size_t len;
	api_progress_cb progress;
	void *ud;
	char location[1024]; /* out */
	long status;         /* out */
};
int api_v2(struct api *a, struct api_v2 *q);

/* Open an edge-view tunnel (common/evtunnel.h) on path below /api/v1
 * with this api's server, CA and token (path may also be a whole
 * https:// URL: another replica of the same controller, checked against
 * the same CA): *out on success; else a negative errno (evtunnel_open's)
 * with the reason in err. */
struct evtunnel;
int api_tunnel(struct api *a, const char *path, struct evtunnel **out, char *err, size_t errlen);

/* HTTP status of the last response (0 if none). */
long api_status(const struct api *a);
/* One line describing the last failure (never NULL). */
const char *api_errmsg(const struct api *a);

/* URL-escape one path segment or query value into a new string (caller
 * frees), NULL on ENOMEM. */
char *api_escape(const char *s);

#endif
