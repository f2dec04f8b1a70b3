// SPDX-License-Identifier: Apache-2.0
/* TLS 1.3 handshakes that do not busy-wait.
 * libmicrohttpd 0.9.75, in its epoll loop, keeps a connection whose TLS
 * handshake is waiting for the client's second flight on its list of
 * ready connections (nothing clears "read-ready" while it handshakes), so
 * a worker thread calls gnutls_handshake and recv in a loop until the
 * client answers: one core for as long as the client takes (a round trip
 * on a real network, a stalled client forever; measured: 1 s of CPU per
 * second a single stalled client waits). With GnuTLS's "early start" a
 * TLS 1.3 server's handshake completes once it has sent its flight; the
 * client's Finished is then read with the first request, by the record
 * layer, where libmicrohttpd does wait for the socket. libmicrohttpd
 * offers no way to pass that flag, so this module defines gnutls_init:
 * the program's definition comes first in the dynamic lookup, so
 * libmicrohttpd's call comes here, which adds the flag to server sessions
 * and calls GnuTLS's. The controller asks for no client certificate (what
 * early start would change). TLS 1.2 handshakes still wait as before. */
#ifndef CTL_TLSEARLY_H
#define CTL_TLSEARLY_H

#include <stdbool.h>

/* Whether libmicrohttpd's server sessions get early start (the lookup of
 * gnutls_init finds the definition here). */
bool tlsearly_active(void);

#endif
