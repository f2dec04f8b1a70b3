// SPDX-License-Identifier: Apache-2.0
/* Counting failures per key (a user name, a client address) in a sliding
 * window, to slow down password guessing. Thread-safe; bounded memory
 * (the oldest key is forgotten when the table is full). */
#ifndef CTL_RATELIMIT_H
#define CTL_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* max failures per window_s seconds for each key; cap keys remembered.
 * Caller frees with ratelimit_free. */
int ratelimit_new(int max, int window_s, int cap, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);
/* True when key has had max failures within the window before now;
 * *retry_s (may be NULL) gets the seconds until it frees up. */
bool ratelimit_blocked(struct ratelimit *rl, const char *key, int64_t now, int64_t *retry_s);
void ratelimit_fail(struct ratelimit *rl, const char *key, int64_t now);
void ratelimit_reset(struct ratelimit *rl, const char *key);

#endif
