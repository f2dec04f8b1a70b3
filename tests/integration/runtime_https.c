// SPDX-License-Identifier: Apache-2.0
/* Test file server (see runtime_https.h). One connection at a time. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "runtime_https.h"

struct tsrv {
	char root[1024];
	int lfd;
	SSL_CTX *ctx;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	size_t cut_bytes;
	int cut_count;
	int stall_secs, stall_count;
	int requests, ranged;
};

struct conn {
	int fd;
	SSL *ssl;
};

static int c_read(struct conn *c, char *b, size_t n)
{
	return c->ssl ? SSL_read(c->ssl, b, (int)n) : (int)read(c->fd, b, n);
}

static int c_write(struct conn *c, const char *b, size_t n)
{
	size_t done = 0;

	while (done < n) {
		int w = c->ssl ? SSL_write(c->ssl, b + done, (int)(n - done))
			       : (int)write(c->fd, b + done, n - done);

		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static void reply(struct conn *c, const char *status)
{
	char h[256];
	int n =
	    snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);

	c_write(c, h, (size_t)n);
}

static void serve_file(struct tsrv *s, struct conn *c, const char *path, long long from)
{
	char full[2048], h[512], buf[65536];
	size_t limit = (size_t)-1, sent = 0;
	struct stat st;
	int fd, n, stall;
	ssize_t r;

	if (strstr(path, "..") || snprintf(full, sizeof(full), "%s%s", s->root, path) >= (int)sizeof(full))
		return reply(c, "400 Bad Request");
	fd = open(full, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return reply(c, "404 Not Found");
	}
	if (from >= st.st_size) {
		close(fd);
		return reply(c, "416 Range Not Satisfiable");
	}
	pthread_mutex_lock(&s->mu);
	if (s->cut_count > 0) {
		s->cut_count--;
		limit = s->cut_bytes;
	}
	pthread_mutex_unlock(&s->mu);
	if (from > 0)
		n = snprintf(h, sizeof(h),
			     "HTTP/1.1 206 Partial Content\r\nContent-Length: %lld\r\nContent-Range: bytes "
			     "%lld-%lld/%lld\r\n"
			     "Connection: close\r\n\r\n",
			     (long long)st.st_size - from, from, (long long)st.st_size - 1,
			     (long long)st.st_size);
	else
		n = snprintf(h, sizeof(h),
			     "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nConnection: close\r\n\r\n",
			     (long long)st.st_size);
	lseek(fd, from, SEEK_SET);
	pthread_mutex_lock(&s->mu);
	stall = s->stall_count > 0 ? s->stall_secs : 0;
	if (s->stall_count > 0)
		s->stall_count--;
	pthread_mutex_unlock(&s->mu);
	if (c_write(c, h, (size_t)n) == 0) {
		for (; stall > 0 && !s->stop; stall--)
			sleep(1);
		while (sent < limit && (r = read(fd, buf, sizeof(buf))) > 0) {
			size_t k = (size_t)r;

			if (k > limit - sent)
				k = limit - sent;
			if (c_write(c, buf, k) < 0)
				break;
			sent += k;
		}
	}
	close(fd);
}

static void handle(struct tsrv *s, int fd)
{
	struct conn c = {.fd = fd};
	char req[8192], path[1024];
	long long from = 0;
	size_t len = 0;
	const char *rg;
	int n;

	if (s->ctx) {
		c.ssl = SSL_new(s->ctx);
		SSL_set_fd(c.ssl, fd);
		if (SSL_accept(c.ssl) != 1)
			goto out;
	}
	while (len < sizeof(req) - 1 && (n = c_read(&c, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	if (sscanf(req, "GET %1023s ", path) != 1) {
		reply(&c, "400 Bad Request");
		goto out;
	}
	rg = strcasestr(req, "\r\nRange: bytes=");
	if (rg)
		from = atoll(rg + strlen("\r\nRange: bytes="));
	pthread_mutex_lock(&s->mu);
	s->requests++;
	if (from > 0)
		s->ranged++;
	pthread_mutex_unlock(&s->mu);
	serve_file(s, &c, path, from);
out:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(fd);
}

static void *loop(void *arg)
{
	struct tsrv *s = arg;
	struct pollfd p = {.fd = s->lfd, .events = POLLIN};

	while (!s->stop) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);

		if (fd >= 0)
			handle(s, fd);
	}
	return NULL;
}

int tsrv_start(const char *root, int port, const char *cert, const char *key, struct tsrv **out)
{
	struct tsrv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	if (!s)
		return -1;
	/* A client that hangs up mid-response must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(s->root, sizeof(s->root), "%s", root);
	pthread_mutex_init(&s->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->lfd, 16) < 0) {
		perror("tsrv bind");
		return -1;
	}
	if (cert) {
		s->ctx = SSL_CTX_new(TLS_server_method());
		if (SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1) {
			fprintf(stderr, "tsrv: cannot load %s / %s\n", cert, key);
			return -1;
		}
	}
	pthread_create(&s->th, NULL, loop, s);
	*out = s;
	return 0;
}

void tsrv_set_cut(struct tsrv *s, size_t bytes, int count)
{
	pthread_mutex_lock(&s->mu);
	s->cut_bytes = bytes;
	s->cut_count = count;
	pthread_mutex_unlock(&s->mu);
}

void tsrv_set_stall(struct tsrv *s, int secs, int count)
{
	pthread_mutex_lock(&s->mu);
	s->stall_secs = secs;
	s->stall_count = count;
	pthread_mutex_unlock(&s->mu);
}

void tsrv_counts(struct tsrv *s, int *requests, int *ranged)
{
	pthread_mutex_lock(&s->mu);
	*requests = s->requests;
	*ranged = s->ranged;
	pthread_mutex_unlock(&s->mu);
}

void tsrv_stop(struct tsrv *s)
{
	if (!s)
		return;
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	free(s);
}
