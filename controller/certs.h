// SPDX-License-Identifier: Apache-2.0
/* The controller's certificates over the years (`eve-controller certs`):
 * expiry, renewal of the TLS server certificate, rotation of the signing
 * certificate with an overlap. All work on DIR/certs; a running
 * controller takes the result on SIGHUP (a graceful reload). */
#ifndef CTL_CERTS_H
#define CTL_CERTS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* A table of every certificate: subject, expiry, days left; and the
 * rotation under way, if any. */
void certs_status(const char *dir, FILE *out);

/* Re-issue server.cert.pem from the root for days more: same key, subject
 * and extensions (names). 0 or -errno with a message in err. */
int certs_renew_server(const char *dir, int days, char *err, size_t errlen);

/* Make the next signing key and certificate (signing-next.*, from the
 * root) and the time it starts signing: now + overlap_s. Until then
 * /certs serves both, so devices learn the new one before it is used.
 * -EBUSY when a rotation is under way. */
int certs_rotate_signing(const char *dir, long overlap_s, int days, char *err, size_t errlen);

/* When the rotation's time has come: signing-next.* become signing.*
 * (the old certificate kept as signing-prev.cert.pem). 1 when it
 * switched, 0 when there was nothing to do, -errno. */
int certs_promote_signing(const char *dir, time_t now);

/* Unix time at which the next signing certificate takes over, or -1. */
long long certs_next_switch(const char *dir);

#endif
