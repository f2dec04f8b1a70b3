// SPDX-License-Identifier: Apache-2.0
/* Read-ahead under the GnuTLS session of a libmicrohttpd connection.
 * GnuTLS reads a record in two recv calls (its 5-byte header, then its
 * body) and libmicrohttpd reads until EAGAIN, so a small request in two
 * records took five recv calls; on a virtualised machine each costs as
 * much as a tenth of a signature verify. With a tlspull under the session
 * one recv takes what the socket holds and GnuTLS reads the records from
 * memory.
 * What it asks of whoever reads the session: records can wait here while
 * the socket is empty, so read until GNUTLS_E_AGAIN before waiting on the
 * socket. libmicrohttpd does (a connection stays read-ready until EAGAIN),
 * and so does tlsfwd.c. GNUTLS_E_AGAIN still means what it meant: nothing
 * here and nothing in the socket. */
#ifndef CTL_TLSPULL_H
#define CTL_TLSPULL_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

/* Owned by the caller, who keeps it until the session is deinitialised. */
struct tlspull {
	int fd;
	uint8_t *buf; /* what was read and not yet given to GnuTLS; NULL when empty */
	size_t off, len;
};

/* Route session's reads from fd through p (p is initialised here).
 * Writes are untouched (they go to fd as before). */
void tlspull_attach(struct tlspull *p, gnutls_session_t session, int fd);
/* Free what p holds (a zeroed p holds nothing); call once the session is
 * gone. */
void tlspull_release(struct tlspull *p);

#endif
