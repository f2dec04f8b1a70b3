// SPDX-License-Identifier: Apache-2.0
/* Replay guard: the public device API has no nonce, so a captured signed
 * request could be sent again. The controller remembers, per sender, the
 * last REPLAY_PER_SENDER requests it accepted (by signature) with their
 * status: a replay gets the same status and is not processed again. The
 * memory is bounded (a ring per sender, about 0.7 KiB, made at a sender's
 * first accepted report) and not persisted: a request older than the ring,
 * or from before a restart, is not recognized. */
#ifndef CTL_REPLAY_H
#define CTL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_PER_SENDER 32
#define REPLAY_ID_LEN 32

struct replay;
struct envelope;

/* A new, empty guard (NULL on ENOMEM); replay_free accepts NULL. */
struct replay *replay_new(void);
void replay_free(struct replay *g);

/* The identity of a signed request: SHA-256 over SHA-256(payload) and the
 * signature's r value (the part a replayer cannot change: ECDSA's s can be
 * negated and raw and DER encodings both verify). 0 or -EVE_EPROTO. */
int replay_id(const struct envelope *env, uint8_t id[REPLAY_ID_LEN]);

/* Before processing request id of sender: 0 when new (it is now reserved:
 * call replay_end), or 1 when seen, with the status it got in *status (0
 * while the first copy is still being processed). -ENOMEM. */
int replay_begin(struct replay *g, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned *status);

/* After processing a reserved request: a 2xx status is remembered, any other
 * forgets the request (a retry of a refused request is processed again). */
void replay_end(struct replay *g, const char *sender, const uint8_t id[REPLAY_ID_LEN], unsigned status);

/* Forget everything about sender (a deleted device). */
void replay_forget(struct replay *g, const char *sender);

#endif
