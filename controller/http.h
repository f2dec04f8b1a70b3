// SPDX-License-Identifier: Apache-2.0
/* The HTTPS front end (libmicrohttpd + GnuTLS): a route table, bounded
 * request bodies, bearer-token checks, and reply helpers. A handler runs
 * once the whole body has arrived (or, for streaming routes, the body is
 * fed chunk by chunk to stream callbacks as it arrives). */
#ifndef CTL_HTTP_H
#define CTL_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "buf.h"
#include "uuidgen.h"

struct ctl;
struct http_req;

#define HTTP_MAX_PARAMS 4

typedef void (*http_handler)(struct http_req *r);

/* Streaming body: begin may reply (refuse) before any byte is read; data is
 * called per chunk and returns 0 or a status to reply with after the body
 * (remaining bytes are discarded). */
struct http_stream_ops {
	int (*begin)(struct http_req *r);
	int (*data)(struct http_req *r, const char *p, size_t n);
	void (*cleanup)(struct http_req *r);
};

/* NONE: anyone; ADMIN: an admin bearer token; SCRAPE: the scrape token or
 * an allow-listed client address (metrics.* of controller.conf). */
enum http_auth { HTTP_AUTH_NONE, HTTP_AUTH_ADMIN, HTTP_AUTH_SCRAPE };

struct http_route {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	http_handler fn;
	size_t body_cap; /* request body cap; 0 = cap.body of controller.conf */
	enum http_auth auth;
	const struct http_stream_ops *stream;
};

struct http_req {
	struct ctl *ctl;
	struct MHD_Connection *conn;
	const struct http_route *route;
	const char *method;
	const char *url;
	char *params[HTTP_MAX_PARAMS]; /* decoded path segments matched by '*' */
	int nparams;
	struct buf body;
	int early_status; /* a status decided while reading the body */
	bool draining;    /* refused before its body: the reply waits for the (small) body */
	bool started;
	/* reply */
	unsigned status;
	struct MHD_Response *resp;
	void *stream_ctx;                    /* owned by the route's stream ops */
	void (*on_done)(struct http_req *r); /* extra cleanup for the handler */
	void *done_ctx;
	/* observability: set by http.c and the handlers, read by the logger */
	size_t route_idx;          /* ctlmetrics route index */
	uint64_t t0_us;            /* monotime_us() when routed */
	int64_t token_id;          /* admin token that authorised it, or 0 */
	struct authz_who who;      /* who called an admin route (set by ctl->authorize) */
	char device[UUID_STR_LEN]; /* device that signed it, or "" */
	bool suspended;            /* answered later by another thread (http_suspend) */
	/* The handler suspended the connection and took it over (status is
	 * what it answered itself): nothing is queued; when it resumes the
	 * connection, libmicrohttpd closes it (console.c, tlsfwd.h). */
	bool detached;
};

struct http_server;

/* Start serving routes (NULL-method-terminated tables) on listen
 * "ADDR:PORT" with the PEM key and certificate; listen_fd >= 0 is a socket
 * already bound and listening there (handed over by a graceful reload). */
int http_start(struct ctl *ctl, const char *listen, int listen_fd, const char *key_pem, const char *cert_pem,
	       int threads, const struct http_route *const *tables, struct http_server **out);
/* Stop accepting new connections (they wait in the listen backlog) and
 * return the listening socket, which the caller now owns; negative errno. */
int http_quiesce(struct http_server *s);
/* Requests being handled right now. */
unsigned http_in_flight(struct http_server *s);
/* Stop accepting, finish in-flight requests, close everything. */
void http_stop(struct http_server *s);
struct MHD_Daemon *http_daemon(struct http_server *s);

/* Reply helpers: each sets r->status/r->resp (the last call wins). */
void http_reply(struct http_req *r, unsigned status, const void *data, size_t len, const char *ctype);
/* Takes ownership of data (freed with free()). */
void http_reply_take(struct http_req *r, unsigned status, void *data, size_t len, const char *ctype);
/* Takes the reference on j. */
void http_reply_json(struct http_req *r, unsigned status, json_t *j);
void http_reply_error(struct http_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_reply_empty(struct http_req *r, unsigned status);
/* From a handler: answer later. The handler returns without a reply; the
 * thread that finishes the work sets the reply (http_reply*) and calls
 * http_resume once, after which r belongs to libmicrohttpd again. */
void http_suspend(struct http_req *r);
void http_resume(struct http_req *r);
void http_reply_resp(struct http_req *r, unsigned status, struct MHD_Response *resp);

/* Query argument or NULL. */
const char *http_arg(struct http_req *r, const char *name);
const char *http_header(struct http_req *r, const char *name);
/* The client's address as text ("" when unknown). */
void http_client_addr(struct http_req *r, char *out, size_t len);

#endif
