// SPDX-License-Identifier: Apache-2.0
/* Edge-view tunnels over libcurl CONNECT_ONLY (evtunnel.h). */
#include "evtunnel.h"
#include "download.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX 16384
#define ERRBODY_MAX 4096
#define OPEN_TIMEOUT_MS 30000
#define CHUNK 16384

struct evtunnel {
	CURL *h;
	int fd;
	char pend[HDR_MAX]; /* bytes read past the response headers */
	size_t pend_off, pend_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int r = poll(&p, 1, ms);
	return r < 0 ? -errno : r;
}

int evtunnel_fd(struct evtunnel *t)
{
	return t->fd;
}

void evtunnel_close(struct evtunnel *t)
{
	if (!t)
		return;
	if (t->h)
		curl_easy_cleanup(t->h);
	free(t);
}

int evtunnel_send(struct evtunnel *t, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(t->h, c, n, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(t->fd, POLLOUT, 1000) < 0)
				return -EIO;
			continue;
		}
		if (rc != CURLE_OK)
			return -EPIPE;
		c += sent;
		n -= sent;
	}
	return 0;
}

ssize_t evtunnel_recv(struct evtunnel *t, void *p, size_t n)
{
	if (t->pend_off < t->pend_len) {
		size_t k = t->pend_len - t->pend_off;
		if (k > n)
			k = n;
		memcpy(p, t->pend + t->pend_off, k);
		t->pend_off += k;
		return (ssize_t)k;
	}
	size_t got = 0;
	CURLcode rc = curl_easy_recv(t->h, p, n, &got);
	if (rc == CURLE_AGAIN)
		return -EAGAIN;
	if (rc != CURLE_OK)
		return 0; /* a reset ends the stream like a close */
	return (ssize_t)got;
}

int evtunnel_readline(struct evtunnel *t, char *line, size_t cap, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	size_t n = 0;
	while (n + 1 < cap) {
		char ch;
		ssize_t k = evtunnel_recv(t, &ch, 1);
		if (k == 0)
			return -EPIPE;
		if (k == -EAGAIN) {
			int64_t left = end - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait_fd(t->fd, POLLIN, (int)(left > 1000 ? 1000 : left));
			continue;
		}
		if (ch == '\n') {
			line[n] = 0;
			return 0;
		}
		line[n++] = ch;
	}
	return -E2BIG;
}

/* Read the response head into buf (NUL-terminated); the bytes after it
 * go to t->pend. */
static int read_head(struct evtunnel *t, char *buf, size_t cap)
{
	size_t n = 0;
	int64_t end = now_ms() + OPEN_TIMEOUT_MS;
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(t->h, buf + n, cap - 1 - n, &got);
		if (rc == CURLE_AGAIN) {
			int64_t left = end - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait_fd(t->fd, POLLIN, (int)(left > 1000 ? 1000 : left));
			continue;
		}
		if (rc != CURLE_OK || got == 0)
			return -EPROTO;
		n += got;
		buf[n] = 0;
		char *e = strstr(buf, "\r\n\r\n");
		if (e) {
			size_t hl = (size_t)(e + 4 - buf);
			memcpy(t->pend, buf + hl, n - hl);
			t->pend_len = n - hl;
			buf[hl] = 0;
			return 0;
		}
		if (n + 1 >= cap)
			return -E2BIG;
	}
}

/* The error body of a refusal: its "error" member, else the status line. */
static void refusal_text(struct evtunnel *t, const char *head, char *err, size_t errlen)
{
	const char *cl = strcasestr(head, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
	char body[ERRBODY_MAX + 1];
	size_t n = 0;
	int64_t end = now_ms() + 5000;
	if (want > ERRBODY_MAX)
		want = ERRBODY_MAX;
	while (n < want && now_ms() < end) {
		ssize_t k = evtunnel_recv(t, body + n, want - n);
		if (k == 0)
			break;
		if (k == -EAGAIN) {
			wait_fd(t->fd, POLLIN, 500);
			continue;
		}
		n += (size_t)k;
	}
	body[n] = 0;
	json_t *j = json_loads(body, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "error"));
	if (msg)
		snprintf(err, errlen, "%s", msg);
	else
		snprintf(err, errlen, "%.*s", (int)strcspn(head, "\r\n"), head);
	json_decref(j);
}

static int status_errno(long st)
{
	switch (st) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EBUSY;
	case 410:
		return -ETIMEDOUT;
	default:
		return -EPROTO;
	}
}

static int connect_only(struct evtunnel *t, const char *url, const char *ca_path,
			const struct download_route *route, char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	if (route)
		download_route_apply(t->h, route);
	curl_easy_setopt(t->h, CURLOPT_URL, url);
	curl_easy_setopt(t->h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(t->h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(t->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(t->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, ebuf);
	if (ca_path)
		curl_easy_setopt(t->h, CURLOPT_CAINFO, ca_path);
	CURLcode rc = curl_easy_perform(t->h);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
		return -ECONNREFUSED;
	}
	curl_socket_t s = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(t->h, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD)
		return -EIO;
	t->fd = (int)s;
	return 0;
}

/* "GET path HTTP/1.1" with Host and the upgrade headers. */
static int send_request(struct evtunnel *t, const char *url, const char *const *headers)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
	char req[HDR_MAX];
	int r = -EINVAL;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0))
		goto out;
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	int n = snprintf(
	    req, sizeof(req),
	    "GET %s%s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: Upgrade\r\nUpgrade: " EVTUNNEL_PROTO "\r\n",
	    path, query ? "?" : "", query ? query : "", host, port);
	for (size_t i = 0; headers && headers[i] && n > 0 && (size_t)n < sizeof(req); i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n", headers[i]);
	if (n < 0 || (size_t)n + 3 > sizeof(req)) {
		r = -E2BIG;
		goto out;
	}
	memcpy(req + n, "\r\n", 3);
	r = evtunnel_send(t, req, (size_t)n + 2);
out:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return r;
}

int evtunnel_open(const char *url, const char *ca_path, const char *const *headers, struct evtunnel **out,
		  char *err, size_t errlen)
{
	return evtunnel_open_routed(url, ca_path, headers, NULL, out, err, errlen);
}

int evtunnel_open_routed(const char *url, const char *ca_path, const char *const *headers,
			 const struct download_router *router, struct evtunnel **out, char *err,
			 size_t errlen)
{
	struct download_route routes[DOWNLOAD_ROUTES_MAX];
	struct evtunnel *t = calloc(1, sizeof(*t));
	char head[HDR_MAX];
	int r = -ENOMEM, n;
	err[0] = 0;
	if (!t || !(t->h = curl_easy_init()))
		goto out;
	t->fd = -1;
	n = r = download_routes(router, url, routes, DOWNLOAD_ROUTES_MAX, err, errlen);
	/* each route in turn until one connects (a fresh handle each time) */
	for (int i = 0; i < n; i++) {
		if (i)
			curl_easy_reset(t->h);
		r = connect_only(t, url, ca_path, router ? &routes[i] : NULL, err, errlen);
		if (r == 0)
			break;
	}
	if (r < 0)
		goto out;
	if ((r = send_request(t, url, headers)) < 0 || (r = read_head(t, head, sizeof(head))) < 0) {
		snprintf(err, errlen, "no upgrade response: %s", strerror(-r));
		goto out;
	}
	long st = 0;
	if (sscanf(head, "HTTP/1.%*d %ld", &st) != 1) {
		snprintf(err, errlen, "not an HTTP response");
		r = -EPROTO;
		goto out;
	}
	if (st != 101) {
		refusal_text(t, head, err, errlen);
		r = status_errno(st);
		goto out;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	evtunnel_close(t);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			wait_fd(fd, POLLOUT, 1000);
			continue;
		}
		if (k <= 0)
			return -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Tunnel -> out_fd until it has nothing more: 1 when it ended. */
static int pump_in(struct evtunnel *t, int out_fd, uint64_t *count)
{
	char buf[CHUNK];
	for (;;) {
		ssize_t k = evtunnel_recv(t, buf, sizeof(buf));
		if (k == -EAGAIN)
			return 0;
		if (k == 0)
			return 1;
		if (write_all(out_fd, buf, (size_t)k) < 0)
			return -EPIPE;
		*count += (uint64_t)k;
	}
}

/* in_fd -> tunnel: 2 when the local side ended or the filter stopped. */
static int pump_out(struct evtunnel *t, int in_fd, evtunnel_filter filter, void *ctx, uint64_t *count)
{
	char buf[CHUNK];
	ssize_t k = read(in_fd, buf, sizeof(buf));
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 2;
	if (k == 0)
		return 2;
	size_t n = (size_t)k;
	bool stop = filter && filter(ctx, buf, &n);
	if (n && evtunnel_send(t, buf, n) < 0)
		return 1;
	*count += n;
	return stop ? 2 : 0;
}

int evtunnel_bridge(struct evtunnel *t, int in_fd, int out_fd, int64_t deadline, evtunnel_filter filter,
		    void *ctx, volatile bool *stop, uint64_t *bytes_in, uint64_t *bytes_out)
{
	uint64_t bin = 0, bout = 0;
	/* A line read before (evtunnel_readline) can leave bytes in the TLS
	 * layer's buffer that poll() on the socket never signals: read first. */
	bool drain = true;
	int r;
	for (;;) {
		if (stop && *stop) {
			r = 0;
			break;
		}
		if (deadline && time(NULL) >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd p[2] = {{.fd = t->fd, .events = POLLIN}, {.fd = in_fd, .events = POLLIN}};
		int ms = drain || t->pend_off < t->pend_len ? 0 : 500;
		if (poll(p, 2, ms) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if ((p[0].revents || drain || t->pend_off < t->pend_len) &&
		    (r = pump_in(t, out_fd, &bin)) != 0)
			break; /* 1: tunnel ended; <0: local write failed */
		drain = false;
		if (p[1].revents && (r = pump_out(t, in_fd, filter, ctx, &bout)) != 0) {
			r = r == 2 ? 0 : r;
			break;
		}
	}
	if (r == -EPIPE)
		r = 0; /* the local side went away */
	if (bytes_in)
		*bytes_in = bin;
	if (bytes_out)
		*bytes_out = bout;
	return r;
}
