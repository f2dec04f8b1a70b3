// SPDX-License-Identifier: Apache-2.0
/* Persistent latest-state queue for info reports: one file per object
 * (<state>/infoqueue/<key>), overwritten atomically by each new state of
 * that object, so a report made while offline survives restarts and only
 * the newest state per object is delivered. Thread-safe: the runtime's
 * thread puts, the agent's loop flushes. */
#ifndef EVE_INFOQUEUE_H
#define EVE_INFOQUEUE_H

#include <stddef.h>
#include <stdint.h>

#define INFOQUEUE_ITEM_MAX (1u << 20)
#define INFOQUEUE_KEY_MAX 96

struct infoqueue;

int infoqueue_new(const char *state_dir, struct infoqueue **out);
void infoqueue_free(struct infoqueue *q);
/* key: [A-Za-z0-9._-]+ (e.g. "app-<uuid>"); data is copied to disk. */
int infoqueue_put(struct infoqueue *q, const char *key, const uint8_t *data, size_t len);
/* Deliver each queued item with send (0 = delivered); a delivered item is
 * removed unless a newer state replaced it meanwhile. Stops at the first
 * failure (offline) and returns it; 0 when the queue was drained. */
typedef int (*infoqueue_send_fn)(void *ctx, const char *key, const uint8_t *data, size_t len);
int infoqueue_flush(struct infoqueue *q, infoqueue_send_fn send, void *ctx);
/* Number of queued items. */
size_t infoqueue_count(struct infoqueue *q);

#endif
