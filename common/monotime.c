// SPDX-License-Identifier: Apache-2.0
/* CLOCK_MONOTONIC readings (see monotime.h): the one copy of the clock
 * code for the controller, the agent, evectl, the benchmarks and the tests. */
#include <time.h>

#include "monotime.h"

uint64_t monotime_ns(void)
{
	struct timespec ts;

	/* Cannot fail with a valid clock id and pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t monotime_us(void)
{
	return monotime_ns() / 1000u;
}

uint64_t monotime_ms(void)
{
	return monotime_ns() / 1000000u;
}

double monotime_s(void)
{
	return (double)monotime_ns() / 1e9;
}
