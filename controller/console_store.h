// SPDX-License-Identifier: Apache-2.0
/* Remote consoles across replicas (console.h keeps one replica's memory):
 * with several controllers on one clustered store, every replica must see
 * every session and give a device the same edge-view token, but a
 * session's tunnels can only meet in one process. So each device's
 * sessions are held by one replica, named by its dispatcher address
 * ("host:port", console.dispatcher in controller.conf), which the token
 * sends the device to:
 *   console_grants    device -> its holder, the token, and when the holder
 *                     last said it was alive (every second)
 *   console_sessions  every session: which replica holds it, its state
 * A replica that creates a session for a device held by another writes
 * the row for the holder, which takes it up (console_store_sessions_of).
 * Another replica asked for a channel of a session relays it to the
 * holder (console.c). A holder silent for CONSOLE_STORE_STALE_S is dead: the next replica
 * asked for a session of its devices takes them over. Used only on a
 * clustered store. */
#ifndef CTL_CONSOLE_STORE_H
#define CTL_CONSOLE_STORE_H

#include <stdint.h>

#include "uuidgen.h"

struct store;

#define CONSOLE_STORE_STALE_S 10
#define CONSOLE_STORE_ADDR_MAX 256 /* a dispatcher "host:port", with its NUL */
/* Ended sessions are kept this long (then pruned in the retention round). */
#define CONSOLE_STORE_KEEP_S (7 * 86400)

struct console_store_session {
	char id[UUID_STR_LEN];
	char dispatcher[CONSOLE_STORE_ADDR_MAX]; /* the replica that holds it */
	char app[128];
	char instance[UUID_STR_LEN];
	char device[UUID_STR_LEN];
	char project[64];
	char who[128];
	long long token_id;
	char kind[8]; /* "console", "vnc", "port" */
	int port;
	int64_t created, expires, ended; /* Unix seconds; ended 0 while live */
	char reason[48];
	unsigned channels, open;
	uint64_t bytes_in, bytes_out;
	int64_t rev; /* the holder's count of changes: an older write loses */
};

/* Claim device's sessions for dispatcher me at time now: 0 when me holds
 * them now, 1 when another live replica does (its address in holder), or
 * -errno. A claim taken from a dead holder ends its sessions of device. */
int console_store_claim(struct store *d, const char *device, const char *me, int64_t now,
			char holder[CONSOLE_STORE_ADDR_MAX]);
/* me's token for device (after a claim). 0 or -errno. */
int console_store_grant_set(struct store *d, const char *device, const char *me, const char *token,
			    int64_t exp, uint32_t generation);
/* me no longer holds device (its last session ended). 0 or -errno. */
int console_store_grant_drop(struct store *d, const char *device, const char *me);
/* The token of device while a live holder has one: *token (caller frees)
 * and 0; -ENOENT when none; -errno. */
int console_store_grant_token(struct store *d, const char *device, int64_t now, char **token,
			      uint32_t *generation);
/* me is alive (once a second while it holds a device). 0 or -errno. */
int console_store_alive(struct store *d, const char *me, int64_t now);
/* At the start of replica me: end the sessions a previous run left (with
 * reason) and drop its grants; fn(ctx, device) for each device that had
 * one (its config changes). 0 or -errno. */
int console_store_release(struct store *d, const char *me, int64_t now, const char *reason,
			  void (*fn)(void *ctx, const char *device), void *ctx);

/* Write s (insert, or update a row whose rev is older). 0 or -errno. */
int console_store_session_put(struct store *d, const struct console_store_session *s);
/* Session id: 0, -ENOENT or -errno. */
int console_store_session_get(struct store *d, const char *id, struct console_store_session *s);
/* End session id (if live) with reason at now: 1 when it ended it, 0 when
 * it had ended, -ENOENT, -errno. */
int console_store_session_end(struct store *d, const char *id, int64_t now, const char *reason);
/* The newest `limit` sessions (dispatcher NULL), or dispatcher's live
 * ones and those it ended since `since`; fn returning non-zero stops (and
 * is returned). */
int console_store_sessions(struct store *d, const char *dispatcher, int64_t since, int limit,
			   int (*fn)(void *ctx, const struct console_store_session *s), void *ctx);
/* Delete the sessions that ended CONSOLE_STORE_KEEP_S before now, and
 * the expired tickets. 0 or -errno. */
int console_store_prune(struct store *d, int64_t now);

/* A browser's one-time ticket (a WebSocket cannot carry a token): issued
 * by any replica, taken by the one the WebSocket reaches. Only its SHA-256
 * is stored. 0 or -errno. */
int console_store_ticket_put(struct store *d, const uint8_t hash[32], const char *session, int64_t exp);
/* Take the ticket of hash (it is used up) while it is valid at now: its
 * session into session and 0; -ENOENT; -errno. */
int console_store_ticket_take(struct store *d, const uint8_t hash[32], int64_t now,
			      char session[UUID_STR_LEN]);

#endif
