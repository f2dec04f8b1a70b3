// SPDX-License-Identifier: Apache-2.0
/* common/devapi against a small in-process TLS server (OpenSSL, one thread
 * per port) with certificates made by certs/mkcerts.sh: trust only the given
 * root, keep the connection alive, map failures to our codes.
 * Ports 18001-18005 (helper "core" owns 18000-18049). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "devapi.h"
#include "err.h"
#include "test_tmpdir.h"

#define PORT_GOOD 18001
#define PORT_UNTRUSTED 18002
#define PORT_REFUSED 18003
#define PORT_SILENT 18004
#define PORT_WRONG_NAME 18005
#define BIG_LEN 100000

struct tserver {
	int lfd;
	SSL_CTX *ctx;
	pthread_t th;
	volatile int stop;
	int conns; /* TLS connections accepted (read after join) */
};

struct world {
	char dir[64];
	char ca_good[128], ca_other[128], ca_named[128];
	struct tserver good, untrusted, named;
	int silent_fd;
};

static int listen_on(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read one request head + body; 0 on success, -1 at EOF or error. */
static int read_request(SSL *ssl, char *req, size_t cap, size_t *len, char **body, size_t *body_len)
{
	char *end = NULL, *cl;
	size_t have = 0, head, want = 0;

	while (!(end = memmem(req, have, "\r\n\r\n", 4)) || have < (size_t)(end - req) + 4 + want) {
		int n;

		if (have == cap - 1)
			return -1;
		n = SSL_read(ssl, req + have, (int)(cap - 1 - have));
		if (n <= 0)
			return -1;
		have += (size_t)n;
		req[have] = 0;
		end = memmem(req, have, "\r\n\r\n", 4);
		if (end) {
			*end = 0;
			cl = strcasestr(req, "\r\nContent-Length:");
			want = cl ? strtoul(cl + 17, NULL, 10) : 0;
			*end = '\r';
		}
	}
	head = (size_t)(end - req) + 4;
	*body = req + head;
	*body_len = want;
	*len = head + want;
	return 0;
}

static void respond(SSL *ssl, int status, const char *body, size_t len)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n", status, len);

	SSL_write(ssl, head, n);
	if (len)
		SSL_write(ssl, body, (int)len);
}

/* Routes: /echo answers "METHOD|content-type|body", /big BIG_LEN bytes,
 * anything else 404. */
static void serve_one(SSL *ssl, char *req, char *body, size_t body_len)
{
	char out[2048], ctype[128] = "";
	char *path = strchr(req, ' '), *ct = strcasestr(req, "\r\nContent-Type: ");

	if (ct)
		sscanf(ct + 16, "%127[^\r]", ctype);
	if (path && strncmp(path + 1, "/api/v2/edgedevice/echo ", 24) == 0) {
		int n = snprintf(out, sizeof(out), "%.*s|%s|", (int)(path - req), req, ctype);

		/* The body is binary: copy it, NULs and all. */
		if (body_len > sizeof(out) - (size_t)n)
			body_len = sizeof(out) - (size_t)n;
		memcpy(out + n, body, body_len);
		respond(ssl, 200, out, (size_t)n + body_len);
	} else if (path && strncmp(path + 1, "/api/v2/edgedevice/big ", 23) == 0) {
		char *big = malloc(BIG_LEN);

		memset(big, 'x', BIG_LEN);
		respond(ssl, 200, big, BIG_LEN);
		free(big);
	} else {
		respond(ssl, 404, "no", 2);
	}
}

static void serve_conn(struct tserver *s, int fd)
{
	struct timeval tv = {.tv_sec = 10};
	SSL *ssl = SSL_new(s->ctx);
	char req[8192], *body;
	size_t len, body_len;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* never hang */
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		goto out;
	s->conns++;
	while (!s->stop && read_request(ssl, req, sizeof(req), &len, &body, &body_len) == 0)
		serve_one(ssl, req, body, body_len);
	SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
}

static void *tserver_run(void *arg)
{
	struct tserver *s = arg;

	while (!s->stop) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(s->lfd, NULL, NULL);
		if (fd >= 0)
			serve_conn(s, fd);
	}
	return NULL;
}

static int tserver_start(struct tserver *s, int port, const char *dir)
{
	char cert[128], key[128];

	memset(s, 0, sizeof(*s));
	snprintf(cert, sizeof(cert), "%s/server.cert.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key.pem", dir);
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (!s->ctx || SSL_CTX_use_certificate_file(s->ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1)
		return -1;
	s->lfd = listen_on(port);
	if (s->lfd < 0)
		return -1;
	return pthread_create(&s->th, NULL, tserver_run, s) == 0 ? 0 : -1;
}

static void tserver_stop(struct tserver *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
}

static int mkcerts(const char *mk, const char *dir, const char *hosts)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --dir '%s' --host '%s' >/dev/null", mk, dir, hosts);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	const char *mk = getenv("EVE_MKCERTS");
	struct world *w = calloc(1, sizeof(*w));
	char d[128];

	signal(SIGPIPE, SIG_IGN);
	if (!w || !mk)
		return -1;
	if (test_tmpdir_make(w->dir, sizeof(w->dir), "eve-devapi") < 0)
		return -1;
	snprintf(w->ca_good, sizeof(w->ca_good), "%s/good/root-certificate.pem", w->dir);
	snprintf(w->ca_other, sizeof(w->ca_other), "%s/other/root-certificate.pem", w->dir);
	snprintf(w->ca_named, sizeof(w->ca_named), "%s/named/root-certificate.pem", w->dir);
	snprintf(d, sizeof(d), "%s/good", w->dir);
	if (mkcerts(mk, d, "localhost,127.0.0.1") || tserver_start(&w->good, PORT_GOOD, d))
		return -1;
	snprintf(d, sizeof(d), "%s/other", w->dir);
	if (mkcerts(mk, d, "localhost,127.0.0.1") || tserver_start(&w->untrusted, PORT_UNTRUSTED, d))
		return -1;
	snprintf(d, sizeof(d), "%s/named", w->dir);
	if (mkcerts(mk, d, "controller.example.org") || tserver_start(&w->named, PORT_WRONG_NAME, d))
		return -1;
	/* Listens, never accepts: the TLS handshake can only time out. */
	w->silent_fd = listen_on(PORT_SILENT);
	if (w->silent_fd < 0)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (!w)
		return -1; /* setup failed before anything started */
	tserver_stop(&w->good);
	tserver_stop(&w->untrusted);
	tserver_stop(&w->named);
	close(w->silent_fd);
	if (test_tmpdir_remove(w->dir) < 0)
		return -1;
	free(w);
	return 0;
}

static struct devapi *client(const char *server, const char *ca, long timeout)
{
	struct devapi_opts o = {.server = server, .ca_path = ca, .timeout_s = timeout};
	struct devapi *c = NULL;

	assert_int_equal(devapi_new(&o, &c), 0);
	return c;
}

static void test_get_post_keepalive(void **state)
{
	struct world *w = *state;
	struct devapi *c = client("127.0.0.1:18001", w->ca_good, 10);
	struct buf resp;
	long status = 0;
	const char expect_post[] = "POST|application/x-proto-binary|\x01\x02\x00\x03";

	buf_init(&resp, 4096);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_string_equal((char *)resp.data, "GET||");
	assert_int_equal(
	    devapi_call(c, "POST", "/echo", (const uint8_t *)"\x01\x02\x00\x03", 4, &status, &resp), 0);
	assert_int_equal(status, 200);
	assert_int_equal(resp.len, sizeof(expect_post) - 1);
	assert_memory_equal(resp.data, expect_post, resp.len);
	/* Any HTTP status is an answer: 0 with the status. */
	assert_int_equal(devapi_call(c, "GET", "/nothing", NULL, 0, &status, &resp), 0);
	assert_int_equal(status, 404);
	assert_string_equal((char *)resp.data, "no");
	/* Empty POST body. */
	assert_int_equal(devapi_call(c, "POST", "/echo", NULL, 0, &status, &resp), 0);
	assert_string_equal((char *)resp.data, "POST|application/x-proto-binary|");
	devapi_free(c);
	buf_free(&resp);
	/* Four calls, one TLS connection (counted by the server thread; the
	 * last call finished before we read it). */
	assert_int_equal(w->good.conns, 1);
}

static void test_bounded_response(void **state)
{
	struct world *w = *state;
	struct devapi *c = client("127.0.0.1:18001", w->ca_good, 10);
	struct buf resp;
	long status = 0;

	buf_init(&resp, BIG_LEN - 1);
	assert_int_equal(devapi_call(c, "GET", "/big", NULL, 0, &status, &resp), -EVE_ETOOBIG);
	assert_true(resp.len <= BIG_LEN - 1);
	buf_free(&resp);
	buf_init(&resp, BIG_LEN);
	assert_int_equal(devapi_call(c, "GET", "/big", NULL, 0, &status, &resp), 0);
	assert_int_equal(resp.len, BIG_LEN);
	buf_free(&resp);
	devapi_free(c);
}

static void test_untrusted_server(void **state)
{
	struct world *w = *state;
	struct devapi *c = client("127.0.0.1:18002", w->ca_good, 10);
	struct buf resp;
	long status = -1;

	buf_init(&resp, 4096);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), -EVE_EBADCERT);
	assert_int_equal(status, -1); /* untouched: no answer arrived */
	assert_true(strlen(devapi_errmsg(c)) > 0);
	devapi_free(c);
	/* The same server is fine for a client that trusts its root. */
	c = client("127.0.0.1:18002", w->ca_other, 10);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), 0);
	assert_int_equal(status, 200);
	devapi_free(c);
	buf_free(&resp);
}

static void test_wrong_name(void **state)
{
	struct world *w = *state;
	struct devapi *c = client("127.0.0.1:18005", w->ca_named, 10);
	struct buf resp;
	long status = 0;

	/* Trusted root, but the certificate names another host. */
	buf_init(&resp, 4096);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), -EVE_EBADCERT);
	devapi_free(c);
	buf_free(&resp);
}

static void test_refused_and_timeout(void **state)
{
	struct world *w = *state;
	struct devapi *c = client("127.0.0.1:18003", w->ca_good, 10);
	struct buf resp;
	long status = 0;

	buf_init(&resp, 4096);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), -ECONNREFUSED);
	devapi_free(c);
	c = client("127.0.0.1:18004", w->ca_good, 1);
	assert_int_equal(devapi_call(c, "GET", "/echo", NULL, 0, &status, &resp), -ETIMEDOUT);
	devapi_free(c);
	buf_free(&resp);
}

static void test_bad_args(void **state)
{
	struct world *w = *state;
	struct devapi_opts o = {.server = "127.0.0.1:18001", .ca_path = NULL};
	struct devapi *c = NULL;
	struct buf resp;
	long status = 0;

	assert_int_equal(devapi_new(&o, &c), -EINVAL);
	o.ca_path = w->ca_good;
	o.server = "host/path";
	assert_int_equal(devapi_new(&o, &c), -EINVAL);
	o.server = "";
	assert_int_equal(devapi_new(&o, &c), -EINVAL);
	c = client("127.0.0.1:18001", w->ca_good, 10);
	buf_init(&resp, 16);
	assert_int_equal(devapi_call(c, "PUT", "/echo", NULL, 0, &status, &resp), -EINVAL);
	assert_int_equal(devapi_call(c, "GET", "echo", NULL, 0, &status, &resp), -EINVAL);
	assert_int_equal(devapi_call(c, "GET", "/a b", NULL, 0, &status, &resp), -EINVAL);
	assert_int_equal(devapi_call(c, "GET", "/a\r\nX: y", NULL, 0, &status, &resp), -EINVAL);
	devapi_free(c);
	devapi_free(NULL);
	buf_free(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_post_keepalive),  cmocka_unit_test(test_bounded_response),
	    cmocka_unit_test(test_untrusted_server),    cmocka_unit_test(test_wrong_name),
	    cmocka_unit_test(test_refused_and_timeout), cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
