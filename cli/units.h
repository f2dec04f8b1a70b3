// SPDX-License-Identifier: Apache-2.0
/* Sizes, durations and times as typed on the command line. Everything is
 * validated here, before anything is sent to the controller. */
#ifndef EVECTL_UNITS_H
#define EVECTL_UNITS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "512", "512K", "2M", "1G", "1T" (also "Mi", "MiB", "MB": all binary
 * multiples of 1024) -> bytes. -EINVAL on anything else, -ERANGE past 2^62. */
int units_parse_size(const char *s, uint64_t *out);
/* "30", "30s", "10m", "2h", "1d", and sums like "1h30m" -> seconds (> 0).
 * -EINVAL on bad text or zero, -ERANGE past ten years. */
int units_parse_duration(const char *s, uint64_t *out);
/* Non-negative decimal integer without sign or junk, at most max. */
int units_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Human size: "1.5M", "512B" into buf. */
void units_format_size(uint64_t bytes, char *buf, size_t n);
/* RFC 3339 UTC ("2026-11-26T01:02:03Z") for t into buf (n >= 21). */
void units_format_time(time_t t, char *buf, size_t n);
/* Parse an RFC 3339 UTC time as the API writes it. */
int units_parse_time(const char *s, time_t *out);
/* "3m ago"-style age of an API time relative to now into buf; "-" if bad. */
void units_format_age(const char *rfc3339, time_t now, char *buf, size_t n);

/* A number of seconds as a duration: "45s", "3m20s", "5h3m", "2d4h". */
void units_format_duration(uint64_t secs, char *buf, size_t n);

#endif
