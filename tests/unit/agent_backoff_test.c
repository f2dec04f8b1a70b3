// SPDX-License-Identifier: Apache-2.0
/* Backoff bounds: 1 s .. 10 min with jitter, and the [0.3, 1.0] tick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>

#include "backoff.h"

static void test_growth_and_cap(void **state)
{
	struct backoff b;
	uint64_t prev = 0;

	backoff_init(&b, 1000, 600000);
	for (int i = 0; i < 40; i++) {
		uint64_t lo = backoff_next(&b, 0);

		assert_true(lo >= 1000 && lo <= 600000);
		assert_true(lo >= prev);
		prev = lo;
	}
	assert_int_equal(prev, 600000);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b, 0), 1000);
}

static void test_jitter(void **state)
{
	struct backoff b;

	backoff_init(&b, 1000, 600000);
	assert_int_equal(backoff_next(&b, UINT32_MAX), 1500);
	assert_int_equal(backoff_next(&b, 0), 2000);
	for (int i = 0; i < 100; i++) {
		uint64_t d = backoff_next(&b, backoff_random());

		assert_true(d >= 1000 && d <= 600000);
	}
}

static void test_tick(void **state)
{
	assert_int_equal(backoff_tick(60000, 0), 18000);
	assert_int_equal(backoff_tick(60000, UINT32_MAX), 60000);
	for (int i = 0; i < 1000; i++) {
		uint64_t t = backoff_tick(2000, backoff_random());

		assert_true(t >= 600 && t <= 2000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_growth_and_cap),
	    cmocka_unit_test(test_jitter),
	    cmocka_unit_test(test_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
