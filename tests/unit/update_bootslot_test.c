// SPDX-License-Identifier: Apache-2.0
/* gptprio attribute bits and the boot loader's choice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bootslot.h"

static void test_encode_bits(void **state)
{
	struct bootslot_attr a = {.priority = 3, .tries = 1, .successful = false}, d;
	uint64_t other = UINT64_C(1) << 0 | UINT64_C(1) << 60; /* bits not ours */

	assert_int_equal(bootslot_attr_encode(0, &a), UINT64_C(0x0013000000000000));
	a = (struct bootslot_attr){2, 0, true};
	assert_int_equal(bootslot_attr_encode(0, &a), UINT64_C(0x0102000000000000));
	uint64_t f = bootslot_attr_encode(other | UINT64_C(0x00ff000000000000), &a);
	assert_int_equal(f, other | UINT64_C(0x0102000000000000));
	bootslot_attr_decode(f, &d);
	assert_int_equal(d.priority, 2);
	assert_int_equal(d.tries, 0);
	assert_true(d.successful);
	a = (struct bootslot_attr){17, 16, false}; /* masked to 4 bits */
	bootslot_attr_decode(bootslot_attr_encode(0, &a), &d);
	assert_int_equal(d.priority, 1);
	assert_int_equal(d.tries, 0);
}

static void test_choose_try_once(void **state)
{
	struct bootslot_attr a[2] = {{2, 0, true}, {3, 1, false}};

	assert_int_equal(bootslot_choose(a), 1); /* new image: its one try */
	assert_int_equal(a[1].tries, 0);
	assert_int_equal(a[1].priority, 3);
	assert_int_equal(bootslot_choose(a), 0); /* not confirmed: fall back */
	assert_int_equal(bootslot_choose(a), 0);
	a[1] = (struct bootslot_attr){3, 0, true}; /* confirmed */
	assert_int_equal(bootslot_choose(a), 1);
	assert_int_equal(a[1].tries, 0);
}

static void test_choose_none(void **state)
{
	struct bootslot_attr a[2] = {{0, 5, true}, {4, 0, false}};
	assert_int_equal(bootslot_choose(a), -ENOENT);
	a[0] = (struct bootslot_attr){1, 0, true};
	a[1] = (struct bootslot_attr){1, 0, true};
	assert_int_equal(bootslot_choose(a), 0); /* tie: first slot */
}

static void test_parse(void **state)
{
	assert_int_equal(bootslot_parse("A"), 0);
	assert_int_equal(bootslot_parse("imgb"), 1);
	assert_int_equal(bootslot_parse("IMGC"), -EINVAL);
	assert_int_equal(bootslot_parse(""), -EINVAL);
	assert_int_equal(bootslot_parse(NULL), -EINVAL);
	assert_string_equal(bootslot_label(1), "IMGB");
	assert_non_null(bootslot_find("gpt"));
	assert_non_null(bootslot_find("dir"));
	assert_null(bootslot_find("zfs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_bits),
	    cmocka_unit_test(test_choose_try_once),
	    cmocka_unit_test(test_choose_none),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
