// SPDX-License-Identifier: Apache-2.0
/* TLS forwarding of a taken-over connection: libmicrohttpd 0.9.75 forwards
 * an upgraded TLS connection through buffers of 4 bytes (its
 * build_header_response gives the whole connection memory pool to the
 * write buffer and MHD_response_execute_upgrade_ then finds none left:
 * one 21-byte TLS record per 4 bytes of data, ~0.5 MiB/s). Instead the
 * console dispatcher suspends the connection in its request handler,
 * writes the 101 itself on the connection's TLS session and forwards that
 * session to a socketpair with 16 KiB buffers in a thread of its own. The
 * application sees a plain socket, as with MHD's upgrade. */
#ifndef CTL_TLSFWD_H
#define CTL_TLSFWD_H

#include <stddef.h>

#include <microhttpd.h>

struct tlsfwd;

/* Take over conn (the caller has suspended it, nothing queued): send
 * head[0..n) (the 101 response) on its TLS session, then forward. On
 * success *app_fd is the application's end of the socketpair (owned by
 * the forwarder: closed by tlsfwd_close), *raw_fd the client's TCP socket
 * (only to be looked at), and *out the forwarder. -errno otherwise (the
 * caller resumes the connection, which then fails). */
int tlsfwd_start(struct MHD_Connection *conn, const char *head, size_t n, int *app_fd, int *raw_fd,
		 struct tlsfwd **out);
/* Stop forwarding (what was written to app_fd is sent first, bounded),
 * close the TCP connection and hand it back to libmicrohttpd, which
 * closes it. NULL is fine. */
void tlsfwd_close(struct tlsfwd *f);

#endif
