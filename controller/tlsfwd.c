// SPDX-License-Identifier: Apache-2.0
/* TLS forwarding of a taken-over connection (tlsfwd.h). */
#include "tlsfwd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define FWD_BUF 16384
#define FWD_WAIT_MS 5000

struct tlsfwd {
	struct MHD_Connection *conn;
	gnutls_session_t tls;
	int raw;     /* the client's socket (libmicrohttpd's) */
	int app;     /* the application's end */
	int mine;    /* our end */
	int wake[2]; /* tlsfwd_close -> thread */
	pthread_t th;
	bool started;
};

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int r = poll(&p, 1, ms);
	return r > 0 ? 0 : -ETIMEDOUT;
}

/* All of p on the TLS session (non-blocking socket). */
static int tls_send_all(struct tlsfwd *f, const char *p, size_t n)
{
	while (n) {
		ssize_t k = gnutls_record_send(f->tls, p, n);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) {
			if (wait_fd(f->raw, POLLOUT, FWD_WAIT_MS) < 0)
				return -ETIMEDOUT;
			continue;
		}
		if (k <= 0)
			return -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int fd_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, FWD_WAIT_MS) < 0)
				return -ETIMEDOUT;
			continue;
		}
		if (k <= 0)
			return -EPIPE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* TLS -> app, until the session says EAGAIN (records can wait in its
 * read-ahead, tlspull.h, while the socket is empty) or for 16 records, so
 * that the other direction gets its turn: 0 drained, 2 more may wait, 1 at
 * its end, <0 on error. */
static int pump_tls(struct tlsfwd *f, char *buf)
{
	for (int i = 0; i < 16; i++) {
		ssize_t k = gnutls_record_recv(f->tls, buf, FWD_BUF);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED)
			return 0;
		if (k <= 0)
			return 1;
		if (fd_send_all(f->mine, buf, (size_t)k) < 0)
			return -EPIPE;
	}
	return 2;
}

/* app -> TLS: 1 when the application closed its end. */
static int pump_app(struct tlsfwd *f, char *buf)
{
	ssize_t k = read(f->mine, buf, FWD_BUF);
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (k == 0)
		return 1;
	return tls_send_all(f, buf, (size_t)k) < 0 ? -EPIPE : 0;
}

static void *fwd_run(void *arg)
{
	struct tlsfwd *f = arg;
	char *buf = malloc(FWD_BUF);
	int r = buf ? 0 : -ENOMEM;
	/* TLS records may be waiting (also at the start: read-ahead may hold
	 * what the client sent after its upgrade request): do not block */
	bool more = true;
	while (r == 0) {
		struct pollfd p[3] = {{.fd = f->raw, .events = POLLIN},
				      {.fd = f->mine, .events = POLLIN},
				      {.fd = f->wake[0], .events = POLLIN}};
		if (poll(p, 3, more ? 0 : -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		if (p[0].revents || more) {
			r = pump_tls(f, buf);
			more = r == 2;
			if (more)
				r = 0;
		}
		if (r == 0 && p[1].revents)
			r = pump_app(f, buf);
	}
	/* the application learns the client left; the client, that we did */
	shutdown(f->mine, SHUT_RDWR);
	free(buf);
	return NULL;
}

int tlsfwd_start(struct MHD_Connection *conn, const char *head, size_t n, int *app_fd, int *raw_fd,
		 struct tlsfwd **out)
{
	const union MHD_ConnectionInfo *ti =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int sv[2] = {-1, -1}, r = -ENOTSUP;
	struct tlsfwd *f = NULL;
	if (!ti || !ti->tls_session || !fi)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->conn = conn;
	f->tls = (gnutls_session_t)ti->tls_session;
	f->raw = (int)fi->connect_fd;
	f->wake[0] = f->wake[1] = f->app = f->mine = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto out;
	}
	f->app = sv[0];
	f->mine = sv[1];
	sv[0] = sv[1] = -1;
	if ((r = tls_send_all(f, head, n)) < 0)
		goto out;
	if ((r = -pthread_create(&f->th, NULL, fwd_run, f)) < 0)
		goto out;
	f->started = true;
	*app_fd = f->app;
	*raw_fd = f->raw;
	*out = f;
	return 0;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	f->conn = NULL; /* the caller resumes it */
	tlsfwd_close(f);
	return r < 0 ? r : -EIO;
}

void tlsfwd_close(struct tlsfwd *f)
{
	if (!f)
		return;
	if (f->started) {
		/* let what the application wrote go out first (bounded) */
		for (int i = 0; i < 50; i++) {
			struct pollfd p = {.fd = f->mine, .events = POLLIN};
			if (poll(&p, 1, 0) <= 0)
				break;
			usleep(10 * 1000);
		}
		(void)!write(f->wake[1], "x", 1);
		pthread_join(f->th, NULL);
	}
	if (f->conn) {
		shutdown(f->raw, SHUT_RDWR);
		MHD_resume_connection(f->conn); /* its handler fails it: closed */
	}
	for (int *p = &f->app; p <= &f->mine; p++)
		if (*p >= 0)
			close(*p);
	if (f->wake[0] >= 0)
		close(f->wake[0]);
	if (f->wake[1] >= 0)
		close(f->wake[1]);
	free(f);
}
