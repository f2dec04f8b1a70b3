// SPDX-License-Identifier: Apache-2.0
/* Read-ahead under a GnuTLS session (tlspull.h). */
#include "tlspull.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The largest TLS record on the wire (TLS 1.2 allows 2048 bytes of
 * expansion; 1.3 256): a read of this size takes at least one whole
 * record. The buffer is freed whenever GnuTLS has taken all of it, so an
 * idle connection holds none. */
#define TLSPULL_READ (5 + 16384 + 2048)

static void drop(struct tlspull *p)
{
	free(p->buf);
	p->buf = NULL;
	p->off = p->len = 0;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
	struct tlspull *p = ptr;
	if (!p->buf) {
		/* a read as large as ours goes straight to GnuTLS */
		if (size >= TLSPULL_READ || !(p->buf = malloc(TLSPULL_READ)))
			return recv(p->fd, data, size, 0);
		ssize_t n = recv(p->fd, p->buf, TLSPULL_READ, 0);
		if (n <= 0) {
			int e = errno;
			drop(p);
			errno = e;
			return n;
		}
		p->len = (size_t)n;
	}
	size_t k = p->len - p->off < size ? p->len - p->off : size;
	memcpy(data, p->buf + p->off, k);
	p->off += k;
	if (p->off == p->len)
		drop(p);
	return (ssize_t)k;
}

/* GnuTLS asks this before a read when it has a time limit (a handshake's):
 * whether data is here, or arrives within ms. */
static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tlspull *p = ptr;
	if (p->buf)
		return 1;
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

void tlspull_attach(struct tlspull *p, gnutls_session_t session, int fd)
{
	*p = (struct tlspull){.fd = fd};
	/* the push side keeps the socket as its transport */
	gnutls_transport_set_ptr2(session, p, (gnutls_transport_ptr_t)(intptr_t)fd);
	gnutls_transport_set_pull_function(session, pull);
	gnutls_transport_set_pull_timeout_function(session, pull_timeout);
}

void tlspull_release(struct tlspull *p)
{
	drop(p);
}
