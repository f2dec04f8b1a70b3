// SPDX-License-Identifier: Apache-2.0
/* Receiving what other controller processes on the same database tell
 * through store_notify() (store.h): a connection of its own that listens
 * on one channel and outlives the loss of its session. After a loss it
 * reconnects and says so (STORE_LISTEN_RESYNC): what was sent in between
 * is lost, so the caller reloads whatever it caches. One thread at a time
 * per listener. */
#ifndef CTL_STORE_LISTEN_H
#define CTL_STORE_LISTEN_H

#include <stddef.h>

#define STORE_LISTEN_TIMEOUT 0
#define STORE_LISTEN_EVENT 1
#define STORE_LISTEN_RESYNC 2

struct store_listener;

/* Listen on channel of the store at url (as store_pool_open takes it).
 * -EOPNOTSUPP when its back end serves one process only (SQLite: nothing
 * to listen to); other errors with the reason in err. Free with
 * store_listen_close. */
int store_listen_open(const char *url, const char *channel, struct store_listener **out, char *err,
		      size_t errlen);
/* Wait up to timeout_ms for a notification: STORE_LISTEN_EVENT with its
 * payload (truncated to plen), STORE_LISTEN_TIMEOUT, or STORE_LISTEN_RESYNC
 * when the session was lost and is back. -ECONNRESET while the database
 * cannot be reached (the next wait tries again and reports RESYNC once it
 * succeeds). */
int store_listen_wait(struct store_listener *l, int timeout_ms, char *payload, size_t plen);
/* A round trip on the listening session: 0, and every notification
 * committed before it is then waiting for store_listen_wait; or
 * -ECONNRESET, and the next wait reconnects and reports RESYNC. Bounds
 * how long a session that died silently goes unnoticed. */
int store_listen_ping(struct store_listener *l);
/* NULL is a no-op. */
void store_listen_close(struct store_listener *l);

#endif
