// SPDX-License-Identifier: Apache-2.0
/* Command-line units: sizes, durations, times. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SIZE_MAX_BYTES (1ULL << 62)
#define DUR_MAX_S (10ULL * 366 * 24 * 3600)

int units_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Leading decimal digits of *s into *v, advancing *s; -EINVAL if none. */
static int take_number(const char **s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (max - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v = n;
	return 0;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

static const struct unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"K", 1ULL << 10},
    {"KB", 1ULL << 10},
    {"Ki", 1ULL << 10},
    {"KiB", 1ULL << 10},
    {"M", 1ULL << 20},
    {"MB", 1ULL << 20},
    {"Mi", 1ULL << 20},
    {"MiB", 1ULL << 20},
    {"G", 1ULL << 30},
    {"GB", 1ULL << 30},
    {"Gi", 1ULL << 30},
    {"GiB", 1ULL << 30},
    {"T", 1ULL << 40},
    {"TB", 1ULL << 40},
    {"Ti", 1ULL << 40},
    {"TiB", 1ULL << 40},
    {NULL, 0},
};

static const struct unit *unit_find(const struct unit *t, const char *suffix)
{
	for (; t->suffix; t++) {
		if (strcasecmp(t->suffix, suffix) == 0)
			return t;
	}
	return NULL;
}

int units_parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	const struct unit *u;
	int r;

	if (!s)
		return -EINVAL;
	r = take_number(&s, SIZE_MAX_BYTES, &v);
	if (r < 0)
		return r;
	u = unit_find(size_units, s);
	if (!u)
		return -EINVAL;
	if (v > SIZE_MAX_BYTES / u->mult)
		return -ERANGE;
	*out = v * u->mult;
	return 0;
}

static const struct unit dur_units[] = {
    {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0},
};

int units_parse_duration(const char *s, uint64_t *out)
{
	uint64_t total = 0, v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	/* A bare number is seconds. */
	if (units_parse_uint(s, DUR_MAX_S, &v) == 0) {
		if (v == 0)
			return -EINVAL;
		*out = v;
		return 0;
	}
	while (*s) {
		char suf[2] = {0, 0};
		const struct unit *u;

		r = take_number(&s, DUR_MAX_S, &v);
		if (r < 0)
			return r;
		suf[0] = *s;
		u = *s ? unit_find(dur_units, suf) : NULL;
		if (!u)
			return -EINVAL;
		s++;
		if (v > (DUR_MAX_S - total) / u->mult)
			return -ERANGE;
		total += v * u->mult;
	}
	if (total == 0)
		return -EINVAL;
	*out = total;
	return 0;
}

void units_format_size(uint64_t bytes, char *buf, size_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, n, "%lluB", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, n, v < 10 ? "%.1f%c" : "%.0f%c", v, units[i]);
}

void units_format_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int units_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	if (!s)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	/* Fractional seconds are allowed and ignored. */
	if (*end == '.') {
		for (end++; isdigit((unsigned char)*end); end++)
			;
	}
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

void units_format_age(const char *rfc3339, time_t now, char *buf, size_t n)
{
	time_t t;
	long long d;

	if (units_parse_time(rfc3339, &t) < 0) {
		snprintf(buf, n, "-");
		return;
	}
	d = (long long)(now - t);
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, n, "%llds", d);
	else if (d < 7200)
		snprintf(buf, n, "%lldm", d / 60);
	else if (d < 2 * 86400)
		snprintf(buf, n, "%lldh", d / 3600);
	else
		snprintf(buf, n, "%lldd", d / 86400);
}

void units_format_duration(uint64_t secs, char *buf, size_t n)
{
	uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

	if (d)
		snprintf(buf, n, "%llud%lluh", (unsigned long long)d, (unsigned long long)h);
	else if (h)
		snprintf(buf, n, "%lluh%llum", (unsigned long long)h, (unsigned long long)m);
	else if (m)
		snprintf(buf, n, "%llum%llus", (unsigned long long)m, (unsigned long long)s);
	else
		snprintf(buf, n, "%llus", (unsigned long long)s);
}
