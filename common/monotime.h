// SPDX-License-Identifier: Apache-2.0
/* The monotonic clock (CLOCK_MONOTONIC) in the units callers measure
 * with: intervals, timeouts and rates, never wall-clock times. */
#ifndef EVE_MONOTIME_H
#define EVE_MONOTIME_H

#include <stdint.h>

uint64_t monotime_ns(void);
uint64_t monotime_us(void);
uint64_t monotime_ms(void);
/* Seconds as a double, for rates and durations printed to people. */
double monotime_s(void);

#endif
