// SPDX-License-Identifier: Apache-2.0
/* Retry timing: exponential backoff with jitter, and the randomised config
 * tick. Pure functions over a caller-provided random source so tests can
 * check the bounds. */
#ifndef EVE_BACKOFF_H
#define EVE_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t cur_ms; /* next base delay */
};

/* Start at min_ms, double per failure, never beyond max_ms. */
void backoff_init(struct backoff *b, uint64_t min_ms, uint64_t max_ms);
/* Delay before the next attempt: base + up to 50 % jitter, capped at
 * max_ms; then the base doubles. rnd is any 32-bit random value. */
uint64_t backoff_next(struct backoff *b, uint32_t rnd);
void backoff_reset(struct backoff *b);
/* A random point of [0.3, 1.0] x interval_ms. */
uint64_t backoff_tick(uint64_t interval_ms, uint32_t rnd);
/* A 32-bit value from the OpenSSL CSPRNG (falls back to time-based). */
uint32_t backoff_random(void);

#endif
