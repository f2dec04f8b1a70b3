// SPDX-License-Identifier: Apache-2.0
/* evectl sizes, durations and times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "units.h"

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(units_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(units_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(units_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(units_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(units_parse_size("1MiB", &v), 0);
	assert_int_equal(v, 1ULL << 20);
	assert_int_equal(units_parse_size("1T", &v), 0);
	assert_int_equal(v, 1ULL << 40);
	assert_int_equal(units_parse_size("", &v), -EINVAL);
	assert_int_equal(units_parse_size("M", &v), -EINVAL);
	assert_int_equal(units_parse_size("12X", &v), -EINVAL);
	assert_int_equal(units_parse_size("-1M", &v), -EINVAL);
	assert_int_equal(units_parse_size("1.5G", &v), -EINVAL);
	assert_int_equal(units_parse_size("5 M", &v), -EINVAL);
	assert_int_equal(units_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(units_parse_size("9999999999T", &v), -ERANGE);
	assert_int_equal(units_parse_size(NULL, &v), -EINVAL);
}

static void test_durations(void **state)
{
	uint64_t v;

	assert_int_equal(units_parse_duration("30", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(units_parse_duration("30s", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(units_parse_duration("10m", &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(units_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(units_parse_duration("1h30m", &v), 0);
	assert_int_equal(v, 5400);
	assert_int_equal(units_parse_duration("1d", &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(units_parse_duration("0", &v), -EINVAL);
	assert_int_equal(units_parse_duration("0s", &v), -EINVAL);
	assert_int_equal(units_parse_duration("", &v), -EINVAL);
	assert_int_equal(units_parse_duration("10x", &v), -EINVAL);
	assert_int_equal(units_parse_duration("m", &v), -EINVAL);
	assert_int_equal(units_parse_duration("10m5", &v), -EINVAL);
	assert_int_equal(units_parse_duration("-5s", &v), -EINVAL);
	assert_int_equal(units_parse_duration("99999999999h", &v), -ERANGE);
}

static void test_uint(void **state)
{
	uint64_t v;

	assert_int_equal(units_parse_uint("65535", 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(units_parse_uint("65536", 65535, &v), -ERANGE);
	assert_int_equal(units_parse_uint("1a", 100, &v), -EINVAL);
	assert_int_equal(units_parse_uint("+1", 100, &v), -EINVAL);
}

static void test_format(void **state)
{
	char buf[32];
	time_t t;

	units_format_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512B");
	units_format_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1.5K");
	units_format_size(300ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "300M");
	units_format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(units_parse_time("2026-11-26T01:02:03Z", &t), 0);
	units_format_time(t, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-26T01:02:03Z");
	assert_int_equal(units_parse_time("2026-11-26T01:02:03.123Z", &t), 0);
	assert_int_equal(units_parse_time("2026-11-26T01:02:03+02:00", &t), -EINVAL);
	assert_int_equal(units_parse_time("yesterday", &t), -EINVAL);
	units_format_age("2026-11-26T01:00:00Z", t, buf, sizeof(buf));
	assert_string_equal(buf, "2m");
	units_format_age(NULL, t, buf, sizeof(buf));
	assert_string_equal(buf, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
