// SPDX-License-Identifier: Apache-2.0
/* Edge-view tunnels, the client side: an HTTPS request upgraded to a raw
 * byte stream ("Upgrade: eve-edgeview", 101 Switching Protocols) on a
 * libcurl CONNECT_ONLY connection (TLS verified against a CA file), and a
 * bridge that copies bytes between such a stream and local descriptors.
 * Used by eve-agent (device side) and evectl (operator side); the wire
 * protocol is in docs/console.md. Library code: 0 or a negative errno. */
#ifndef EVE_EVTUNNEL_H
#define EVE_EVTUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EVTUNNEL_PROTO "eve-edgeview"
#define EVTUNNEL_LINE_MAX 512

struct evtunnel;

/* Open url (https://host:port/path) with GET, trusting ca_path (NULL: the
 * system store), with the extra request header lines in headers
 * (NULL-terminated, e.g. "Authorization: Bearer X"). On 101 *out is the
 * stream. Otherwise -EACCES (401/403), -ENOENT (404), -ETIMEDOUT (410,
 * expired), -EBUSY (409), -ECONNREFUSED (no connection), -EPROTO, with
 * the server's error text in err. */
int evtunnel_open(const char *url, const char *ca_path, const char *const *headers, struct evtunnel **out,
		  char *err, size_t errlen);
/* The same through the routes router gives for url (download.h: the
 * device's management ports and proxies), tried in order until one
 * connects; NULL router: the default route, no proxy. */
struct download_router;
int evtunnel_open_routed(const char *url, const char *ca_path, const char *const *headers,
			 const struct download_router *router, struct evtunnel **out, char *err,
			 size_t errlen);
/* Send all n bytes (waits while the socket is full). */
int evtunnel_send(struct evtunnel *t, const void *p, size_t n);
/* Read up to n bytes: > 0 bytes, 0 end of stream, -EAGAIN none yet. */
ssize_t evtunnel_recv(struct evtunnel *t, void *p, size_t n);
/* Read one line ("\n"-terminated, stored without it) within timeout_ms. */
int evtunnel_readline(struct evtunnel *t, char *line, size_t cap, int timeout_ms);
/* The socket to poll for reading. */
int evtunnel_fd(struct evtunnel *t);
/* Close (NULL is fine). */
void evtunnel_close(struct evtunnel *t);

/* Input filter of a bridge: may rewrite buf[0..*n) in place (shrinking
 * *n); returns true to end the bridge (an escape sequence). */
typedef bool (*evtunnel_filter)(void *ctx, char *buf, size_t *n);

/* Copy bytes between t and the local descriptors until either side ends,
 * the filter asks to stop, *stop becomes true, or deadline (Unix seconds,
 * 0 = none) passes. in_fd is read, out_fd written (the same socket or a
 * pty, or stdin/stdout). Returns 1 when the tunnel ended (the other side
 * left), 0 when the local side ended or the filter stopped it, -ETIMEDOUT
 * at the deadline, or another negative errno. *bytes_in / *bytes_out
 * (may be NULL) count bytes from / to the tunnel. */
int evtunnel_bridge(struct evtunnel *t, int in_fd, int out_fd, int64_t deadline, evtunnel_filter filter,
		    void *ctx, volatile bool *stop, uint64_t *bytes_in, uint64_t *bytes_out);

#endif
