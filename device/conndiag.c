// SPDX-License-Identifier: Apache-2.0
/* Step-by-step connectivity diagnosis of a management port. */
#include "conndiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hostport.h"
#include "portdns.h"

#define HOST_MAX 256
#define HDR_MAX 4096

static const char *const step_names[] = {"ok", "link", "address", "DNS", "TCP", "proxy", "TLS", "HTTP"};

const char *conndiag_step_name(enum conndiag_step s)
{
	return (unsigned)s < sizeof(step_names) / sizeof(step_names[0]) ? step_names[s] : "?";
}

static void put(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *out, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(out, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* "host:port" (or "http://host:port/", "[fd00::2]:port") into host (no
 * brackets) and port. */
static int split_hostport(const char *s, char *host, size_t size, unsigned *port)
{
	const char *p = strstr(s, "://"), *colon, *end;
	char *e;
	long v;

	p = p ? p + 3 : s;
	end = p + strcspn(p, "/");
	colon = memrchr(p, ':', (size_t)(end - p));
	if (!colon || colon == p || (size_t)(colon - p) >= size)
		return -EINVAL;
	if (*p == '[' && colon[-1] == ']' && colon - p > 2)
		snprintf(host, size, "%.*s", (int)(colon - p - 2), p + 1);
	else
		snprintf(host, size, "%.*s", (int)(colon - p), p);
	v = strtol(colon + 1, &e, 10);
	if (e != end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

static int set_timeouts(int fd, int timeout_s)
{
	struct timeval tv = {.tv_sec = timeout_s};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* A TCP connection to addr:port bound to ifname ("" none). fd or -errno. */
static int tcp_connect(const char *ifname, const char *addr, unsigned port, int timeout_s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	bool v6 = strchr(addr, ':') != NULL;
	struct sockaddr *to = v6 ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa;
	socklen_t tolen = v6 ? sizeof(sa6) : sizeof(sa);
	struct pollfd pfd;
	int fd, r = 0, err = 0;
	socklen_t len = sizeof(err);

	if (v6 ? inet_pton(AF_INET6, addr, &sa6.sin6_addr) != 1 : inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (*ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
		r = -errno;
		goto out;
	}
	if (connect(fd, to, tolen) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	r = poll(&pfd, 1, timeout_s * 1000);
	if (r == 0) {
		r = -ETIMEDOUT;
		goto out;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		r = -errno;
		goto out;
	}
	if (err) {
		r = -err;
		goto out;
	}
	r = fcntl(fd, F_SETFL, 0) < 0 ? -errno : set_timeouts(fd, timeout_s);
out:
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Read an HTTP header block (up to the blank line) and return its status,
 * 0 when there is no status line. */
static int read_status(int fd, SSL *ssl)
{
	char buf[HDR_MAX];
	size_t len = 0;
	int code = 0;

	while (len + 1 < sizeof(buf)) {
		ssize_t n = ssl ? SSL_read(ssl, buf + len, 1) : read(fd, buf + len, 1);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 4 && !memcmp(buf + len - 4, "\r\n\r\n", 4))
			break;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
		return 0;
	return code;
}

static int proxy_connect(int fd, const char *host, unsigned port)
{
	char req[600], hp[300], ps[8];
	int n;

	snprintf(ps, sizeof(ps), "%u", port);
	if (hostport_join(host, strlen(host), ps, hp, sizeof(hp)) < 0)
		return -EINVAL;
	n = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hp, hp);
	if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n)
		return -EIO;
	return read_status(fd, NULL);
}

/* The TLS steps: handshake, then the certificate's verification. */
static enum conndiag_step tls_check(SSL *ssl, const char *host, char *out, size_t size)
{
	X509 *peer;
	long v;
	char subj[256] = "?";

	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_peek_last_error();

		v = SSL_get_verify_result(ssl);
		if (v != X509_V_OK)
			put(out, size, "FAILED at TLS: certificate of %s: %s\n", host,
			    X509_verify_cert_error_string(v));
		else
			put(out, size, "FAILED at TLS: handshake with %s: %s\n", host,
			    e ? ERR_reason_error_string(e) : "connection closed");
		return CONNDIAG_TLS;
	}
	peer = SSL_get1_peer_certificate(ssl);
	if (peer)
		X509_NAME_oneline(X509_get_subject_name(peer), subj, sizeof(subj));
	X509_free(peer);
	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK) {
		put(out, size, "FAILED at TLS: certificate %s: %s\n", subj, X509_verify_cert_error_string(v));
		return CONNDIAG_TLS;
	}
	return CONNDIAG_OK;
}

/* TLS and HTTP over a connected fd. */
static enum conndiag_step tls_http(int fd, const char *host, const char *ca_path, char *out, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	enum conndiag_step st = CONNDIAG_TLS;
	char req[512];
	unsigned char ip[16];
	char hh[300];
	int n, code;

	if (!ctx || SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
		put(out, size, "FAILED at TLS: cannot load the root certificate %s\n", ca_path);
		goto out;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* verified below, to name the problem */
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd))
		goto out;
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host))
			goto out;
	} else if (!SSL_set_tlsext_host_name(ssl, host) || !SSL_set1_host(ssl, host)) {
		goto out;
	}
	st = tls_check(ssl, host, out, size);
	if (st != CONNDIAG_OK)
		goto out;
	st = CONNDIAG_HTTP;
	n = snprintf(req, sizeof(req),
		     "GET /api/v2/edgedevice/ping HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		     strchr(host, ':') && snprintf(hh, sizeof(hh), "[%.200s]", host) > 0 ? hh : host);
	if (n < 0 || (size_t)n >= sizeof(req) || SSL_write(ssl, req, n) != n) {
		put(out, size, "FAILED at HTTP: request not sent\n");
		goto out;
	}
	code = read_status(fd, ssl);
	if (code == 200) {
		put(out, size, "reached (HTTP 200)\n");
		st = CONNDIAG_OK;
	} else if (code) {
		put(out, size, "FAILED at HTTP: status %d\n", code);
	} else {
		put(out, size, "FAILED at HTTP: no answer\n");
	}
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return st;
}

static void describe(const struct conndiag_port *p, char *out, size_t size)
{
	put(out, size, "port %s", *p->ifname ? p->ifname : "(any route)");
	if (p->label && *p->label && strcmp(p->label, p->ifname))
		put(out, size, " (%s)", p->label);
	put(out, size, ": %s, cost %u", p->mode, p->cost);
	if (*p->ifname)
		put(out, size, ", link %s, address %s", p->up ? "up" : "DOWN", *p->addrs ? p->addrs : "none");
	if (p->gw && *p->gw)
		put(out, size, ", gateway %s", p->gw);
	put(out, size, ", DNS ");
	for (size_t i = 0; i < p->n_dns; i++)
		put(out, size, "%s%s", i ? "," : "", p->dns[i]);
	if (!p->n_dns)
		put(out, size, "system");
	put(out, size, ", proxy %s\n", *p->proxy ? p->proxy : "none");
}

/* DNS and TCP to the first hop (the proxy or the controller): fd or a
 * negative step. */
static int first_hop(const struct conndiag_port *p, const char *host, unsigned port, int timeout_s, char *out,
		     size_t size)
{
	char addr[64];
	int r = portdns_resolve(host, p->dns, p->n_dns, addr, sizeof(addr)), fd;

	if (r < 0) {
		put(out, size, "FAILED at DNS: %s: %s", host,
		    r == -ENOENT ? "no such name" : "no answer from the DNS server(s)");
		for (size_t i = 0; i < p->n_dns; i++)
			put(out, size, "%s%s", i ? "," : " ", p->dns[i]);
		put(out, size, "\n");
		return -CONNDIAG_DNS;
	}
	fd = tcp_connect(p->ifname, addr, port, timeout_s);
	if (fd < 0) {
		put(out, size, "FAILED at TCP: connect to %s:%u%s%s: %s\n", addr, port,
		    *p->proxy ? " (proxy)" : "", "", strerror(-fd));
		return -CONNDIAG_TCP;
	}
	return fd;
}

enum conndiag_step conndiag_port(const char *server, const char *ca_path, const struct conndiag_port *p,
				 int timeout_s, char *out, size_t size)
{
	char host[HOST_MAX], phost[HOST_MAX];
	unsigned port, pport;
	enum conndiag_step st;
	int fd = -1, code;

	describe(p, out, size);
	put(out, size, "  controller %s: ", server);
	if (split_hostport(server, host, sizeof(host), &port) < 0) {
		put(out, size, "FAILED: server is not host:port\n");
		return CONNDIAG_DNS;
	}
	if (p->managed && *p->ifname && !p->up) {
		put(out, size, "FAILED at link: %s has no carrier or is down\n", p->ifname);
		return CONNDIAG_LINK;
	}
	if (p->managed && *p->ifname && !*p->addrs) {
		put(out, size, "FAILED at address: %s has no address\n", p->ifname);
		return CONNDIAG_ADDRESS;
	}
	if (*p->proxy && split_hostport(p->proxy, phost, sizeof(phost), &pport) < 0) {
		put(out, size, "FAILED at proxy: %s is not http://host:port\n", p->proxy);
		return CONNDIAG_PROXY;
	}
	fd = *p->proxy ? first_hop(p, phost, pport, timeout_s, out, size)
		       : first_hop(p, host, port, timeout_s, out, size);
	if (fd < 0)
		return (enum conndiag_step) - fd;
	if (*p->proxy) {
		code = proxy_connect(fd, host, port);
		if (code != 200) {
			put(out, size, "FAILED at proxy: CONNECT %s:%u via %s:%u: %s%d\n", host, port, phost,
			    pport, code ? "HTTP " : "no answer ", code);
			close(fd);
			return CONNDIAG_PROXY;
		}
	}
	st = tls_http(fd, host, ca_path, out, size);
	close(fd);
	return st;
}
