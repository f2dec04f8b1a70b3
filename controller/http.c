// SPDX-License-Identifier: Apache-2.0
/* libmicrohttpd glue: request lifecycle, routing, body caps. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctlmetrics.h"
#include "err.h"
#include "monotime.h"
#include "prom.h"
#include "scrapeauth.h"
#include "tlspull.h"

#define HTTP_URL_MAX 2048

struct http_server {
	struct MHD_Daemon *d;
	struct ctl *ctl;
	atomic_uint in_flight; /* requests between on_request and on_completed */
	const struct http_route *const *tables;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
};

/* Decode %XX in place; false on a bad escape or an embedded NUL/slash. */
static bool url_unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		unsigned v;
		if (!p[1] || !p[2] || sscanf(p + 1, "%2x", &v) != 1 || v == 0 || v == '/')
			return false;
		*o++ = (char)v;
		p += 2;
	}
	*o = 0;
	return true;
}

/* Match url against pattern; fills params (malloc'd) on success. */
static bool route_match(const char *pattern, const char *url, struct http_req *r)
{
	const char *p = pattern, *u = url;
	int n = 0;
	char *got[HTTP_MAX_PARAMS] = {0};
	while (*p && *u) {
		if (*p == '*') {
			const char *end = strchr(u, '/');
			size_t len = end ? (size_t)(end - u) : strlen(u);
			if (len == 0 || n == HTTP_MAX_PARAMS)
				goto fail;
			got[n] = strndup(u, len);
			if (!got[n] || !url_unescape(got[n]))
				goto fail_n;
			n++;
			u += len;
			p++;
			continue;
		}
		if (*p != *u)
			goto fail;
		p++;
		u++;
	}
	if (*p || *u)
		goto fail;
	for (int i = 0; i < n; i++)
		r->params[i] = got[i];
	r->nparams = n;
	return true;
fail_n:
	n++;
fail:
	for (int i = 0; i < n; i++)
		free(got[i]);
	return false;
}

/* Find the route (and its metrics index); *method_mismatch when the path
 * exists for another verb. */
static const struct http_route *route_find(struct http_server *s, struct http_req *r, bool *method_mismatch)
{
	*method_mismatch = false;
	size_t ti = 0;
	for (const struct http_route *const *t = s->tables; *t; t++, ti++) {
		for (const struct http_route *rt = *t; rt->method; rt++) {
			if (!route_match(rt->pattern, r->url, r))
				continue;
			if (!strcmp(rt->method, r->method)) {
				if (r->ctl->metrics)
					r->route_idx =
					    ctlmetrics_table_base(r->ctl->metrics, ti) + (size_t)(rt - *t);
				return rt;
			}
			for (int i = 0; i < r->nparams; i++)
				free(r->params[i]);
			memset(r->params, 0, sizeof(r->params));
			r->nparams = 0;
			*method_mismatch = true;
		}
	}
	return NULL;
}

void http_reply_resp(struct http_req *r, unsigned status, struct MHD_Response *resp)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = resp;
	r->status = status;
}

void http_reply(struct http_req *r, unsigned status, const void *data, size_t len, const char *ctype)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (resp && ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	http_reply_resp(r, status, resp);
}

void http_reply_take(struct http_req *r, unsigned status, void *data, size_t len, const char *ctype)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(data);
	else if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	http_reply_resp(r, status, resp);
}

void http_reply_json(struct http_req *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		http_reply(r, 500, "{\"error\":\"out of memory\"}\n", 26, "application/json");
		return;
	}
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (t) {
		s = t;
		s[n++] = '\n';
		s[n] = 0;
	}
	http_reply_take(r, status, s, n, "application/json");
}

void http_reply_error(struct http_req *r, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void http_reply_empty(struct http_req *r, unsigned status)
{
	http_reply_resp(r, status, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

void http_suspend(struct http_req *r)
{
	r->suspended = true;
	MHD_suspend_connection(r->conn);
}

void http_resume(struct http_req *r)
{
	MHD_resume_connection(r->conn);
}

const char *http_arg(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result http_queue(struct http_req *r)
{
	if (!r->resp) {
		r->status = 500;
		r->resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!r->resp)
			return MHD_NO;
	}
	if (r->ctl->metrics)
		ctlmetrics_request(r->ctl->metrics, r->route_idx, r->status, monotime_us() - r->t0_us);
	if (r->status >= 400 && r->ctl->log_failure)
		r->ctl->log_failure(r);
	if (r->ctl->audit && r->route && r->route->auth == HTTP_AUTH_ADMIN && r->who.token_id &&
	    strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		r->ctl->audit(r);
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

static const struct sockaddr *client_sockaddr(struct http_req *r)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci ? ci->client_addr : NULL;
}

static bool scrape_authorized(struct http_req *r)
{
	return scrapeauth_check(r->ctl->scrape, client_sockaddr(r),
				http_header(r, MHD_HTTP_HEADER_AUTHORIZATION));
}

void http_client_addr(struct http_req *r, char *out, size_t len)
{
	const struct sockaddr *sa = client_sockaddr(r);
	out[0] = 0;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)len);
}

static size_t route_cap(struct http_req *r)
{
	return r->route->body_cap ? r->route->body_cap : (size_t)r->ctl->conf.cap_body;
}

/* First call for a request: route it and refuse what we can before the
 * body is read. Returns true when a reply is already set. */
static bool http_begin(struct http_server *s, struct http_req *r)
{
	bool mismatch;
	if (strlen(r->url) > HTTP_URL_MAX) {
		http_reply_error(r, 414, "URL too long");
		return true;
	}
	r->route = route_find(s, r, &mismatch);
	if (!r->route) {
		http_reply_error(r, mismatch ? 405 : 404, mismatch ? "method not allowed" : "not found");
		return true;
	}
	if (r->route->auth == HTTP_AUTH_ADMIN) {
		if (!r->ctl->authorize) {
			http_reply_error(r, 401, "missing or unknown token");
			return true;
		}
		if (r->ctl->authorize(r))
			return true; /* it replied */
	}
	if (r->route->auth == HTTP_AUTH_SCRAPE && !scrape_authorized(r)) {
		http_reply_error(r, 401,
				 "missing or unknown scrape token, and the address is not allow-listed");
		return true;
	}
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > route_cap(r)) {
		http_reply_error(r, 413, "body over its cap of %zu bytes", route_cap(r));
		return true;
	}
	buf_init(&r->body, route_cap(r));
	if (r->route->stream) {
		int st = r->route->stream->begin(r);
		if (st)
			return true; /* begin replied */
	}
	return false;
}

/* A request refused before its body was read: if the body is small,
 * read and drop it before answering. Closing the connection on unread
 * data makes the kernel send a reset, which can reach the client before
 * it reads the answer (it saw no status at all). A larger body is not
 * read: that connection is closed after the answer. */
#define HTTP_DRAIN_MAX (1u << 20)

static bool http_drain_first(struct http_req *r)
{
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;
	r->draining = n > 0 && n <= HTTP_DRAIN_MAX;
	return r->draining;
}

static void http_body(struct http_req *r, const char *data, size_t n)
{
	if (r->draining || r->early_status)
		return; /* discard the rest */
	if (r->body.len + n > r->body.cap || r->body.len + n < r->body.len) {
		r->early_status = 413;
		return;
	}
	if (r->route->stream) {
		r->body.len += n; /* count only */
		int st = r->route->stream->data(r, data, n);
		if (st)
			r->early_status = st;
		return;
	}
	if (buf_append(&r->body, data, n) < 0)
		r->early_status = 413;
}

/* Per connection (the socket context, allocated when it is accepted: one
 * allocation per connection, none per request): whether its TLS
 * handshake completed (its first request proves it), and the read-ahead
 * under its TLS session. */
struct conn_ctx {
	bool handshake_done;
	struct tlspull pull; /* zeroed (nothing to release) when not TLS */
};

static void tls_first_request(struct http_server *s, struct MHD_Connection *conn)
{
	if (!s->ctl->metrics)
		return;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_ctx *f = ci ? ci->socket_context : NULL;
	if (f && !f->handshake_done) {
		f->handshake_done = true;
		ctlmetrics_conn_handshake(s->ctl->metrics);
	}
}

static void conn_pull(struct MHD_Connection *conn, struct conn_ctx *f)
{
	const union MHD_ConnectionInfo *ti =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ti || !ti->tls_session || !fi)
		return;
	tlspull_attach(&f->pull, (gnutls_session_t)ti->tls_session, (int)fi->connect_fd);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_ctx *f = calloc(1, sizeof(*f));
		*socket_context = f;
		if (f)
			conn_pull(conn, f);
		if (s->ctl->metrics)
			ctlmetrics_conn_open(s->ctl->metrics);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_ctx *f = *socket_context;
		if (s->ctl->metrics)
			ctlmetrics_conn_closed(s->ctl->metrics, f && f->handshake_done);
		if (f)
			tlspull_release(&f->pull);
		free(f);
		*socket_context = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->ctl = s->ctl;
		r->conn = conn;
		atomic_fetch_add(&s->in_flight, 1);
		r->url = url;
		r->method = method;
		r->t0_us = monotime_us();
		r->route_idx = SIZE_MAX; /* unmatched */
		tls_first_request(s, conn);
		*con_cls = r;
		if (http_begin(s, r))
			return http_drain_first(r) ? MHD_YES : http_queue(r);
		return MHD_YES;
	}
	if (r->detached)
		return MHD_NO; /* resumed by its new owner: close it */
	if (r->suspended) {    /* resumed: the reply is set */
		r->suspended = false;
		return http_queue(r);
	}
	if (*upload_data_size) {
		http_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->draining)
		return http_queue(r);
	if (r->early_status == 413)
		http_reply_error(r, 413, "body over its cap of %zu bytes", route_cap(r));
	else if (r->early_status)
		http_reply_error(r, (unsigned)r->early_status, "request refused");
	else
		r->route->fn(r);
	if (r->detached) { /* taken over (suspended): count it, queue nothing */
		if (r->ctl->metrics)
			ctlmetrics_request(r->ctl->metrics, r->route_idx, r->status,
					   monotime_us() - r->t0_us);
		return MHD_YES;
	}
	if (r->suspended)
		return MHD_YES;
	return http_queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	if (!r)
		return;
	atomic_fetch_sub(&s->in_flight, 1);
	if (r->route && r->route->stream && r->route->stream->cleanup)
		r->route->stream->cleanup(r);
	if (r->on_done)
		r->on_done(r);
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	if (r->resp)
		MHD_destroy_response(r->resp);
	buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's error messages go to the program's log, one line each. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct ctl *c = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\r\n")] = 0;
	if (c->log_http)
		c->log_http(msg);
}

static int parse_listen(struct http_server *s, const char *listen, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	memset(&s->addr, 0, sizeof(s->addr));
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		s->addr.v6.sin6_family = AF_INET6;
		s->addr.v6.sin6_port = htons((uint16_t)port);
		*len = sizeof(s->addr.v6);
		return inet_pton(AF_INET6, host + 1, &s->addr.v6.sin6_addr) == 1 ? 0 : -EINVAL;
	}
	s->addr.v4.sin_family = AF_INET;
	s->addr.v4.sin_port = htons((uint16_t)port);
	*len = sizeof(s->addr.v4);
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host, &s->addr.v4.sin_addr) == 1 ? 0 : -EINVAL;
}

int http_start(struct ctl *ctl, const char *listen, int listen_fd, const char *key_pem, const char *cert_pem,
	       int threads, const struct http_route *const *tables, struct http_server **out)
{
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ctl = ctl;
	s->tables = tables;
	socklen_t alen;
	int r = parse_listen(s, listen, &alen);
	if (r < 0) {
		free(s);
		return r;
	}
	/* ITC: quiesce (a graceful reload hands the listening socket on). */
	unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG | MHD_USE_ITC;
	flags |= MHD_ALLOW_UPGRADE; /* edge-view tunnels (console.c) */
	if (s->addr.v4.sin_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* An inherited socket is already bound and listening: no SOCK_ADDR. */
	struct MHD_OptionItem where[] = {
	    listen_fd >= 0 ? (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL}
			   : (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &s->addr},
	    {MHD_OPTION_END, 0, NULL},
	};
	/* The logger first: it also gets the messages of the options below. */
	s->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, ctl,
	    MHD_OPTION_ARRAY, where, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, ctl->conf.tls_priorities, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned)threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return -EADDRINUSE;
	}
	(void)alen;
	*out = s;
	return 0;
}

struct MHD_Daemon *http_daemon(struct http_server *s)
{
	return s->d;
}

int http_quiesce(struct http_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	return fd == MHD_INVALID_SOCKET ? -EINVAL : (int)fd;
}

unsigned http_in_flight(struct http_server *s)
{
	return atomic_load(&s->in_flight);
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
