// SPDX-License-Identifier: Apache-2.0
/* Backoff and jitter arithmetic. */
#include "backoff.h"

#include <time.h>
#include <openssl/rand.h>

void backoff_init(struct backoff *b, uint64_t min_ms, uint64_t max_ms)
{
	b->min_ms = min_ms ? min_ms : 1;
	b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
	b->cur_ms = b->min_ms;
}

uint64_t backoff_next(struct backoff *b, uint32_t rnd)
{
	uint64_t d = b->cur_ms + (b->cur_ms / 2) * rnd / UINT32_MAX;

	if (d > b->max_ms)
		d = b->max_ms;
	b->cur_ms = b->cur_ms > b->max_ms / 2 ? b->max_ms : b->cur_ms * 2;
	return d;
}

void backoff_reset(struct backoff *b)
{
	b->cur_ms = b->min_ms;
}

uint64_t backoff_tick(uint64_t interval_ms, uint32_t rnd)
{
	uint64_t lo = interval_ms * 3 / 10;

	return lo + (interval_ms - lo) * rnd / UINT32_MAX;
}

uint32_t backoff_random(void)
{
	uint32_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint32_t)time(NULL) * 2654435761u;
	return v;
}
