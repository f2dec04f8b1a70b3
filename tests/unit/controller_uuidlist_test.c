// SPDX-License-Identifier: Apache-2.0
/* uuidlist: growth past the first block, sort with repeated ids dropped,
 * lookup in the sorted list, free and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uuidlist.h"

static void uuid_of(unsigned i, char u[UUID_STR_LEN])
{
	snprintf(u, UUID_STR_LEN, "00000000-0000-4000-8000-%012u", i);
}

static void test_grow_sort_unique(void **state)
{
	struct uuidlist l = {0};
	char u[UUID_STR_LEN];
	(void)state;
	/* 1,000 ids in a scrambled order, each of the even ones twice */
	for (unsigned k = 0; k < 1500; k++) {
		unsigned i = k < 1000 ? (k * 7919u) % 1000u : (k - 1000) * 2;
		uuid_of(i, u);
		assert_int_equal(uuidlist_add(&l, u), 0);
	}
	assert_int_equal(l.n, 1500);
	uuidlist_sort_unique(&l);
	assert_int_equal(l.n, 1000);
	for (unsigned i = 0; i < 1000; i++) {
		uuid_of(i, u);
		assert_string_equal(l.ids[i], u);
		assert_true(uuidlist_has(&l, u));
	}
	uuid_of(1000, u);
	assert_false(uuidlist_has(&l, u));
	assert_false(uuidlist_has(&l, "not-a-uuid"));
	uuidlist_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.ids);
	assert_false(uuidlist_has(&l, u));
	uuidlist_sort_unique(&l); /* empty: nothing to do */
	assert_int_equal(uuidlist_add(&l, u), 0);
	assert_int_equal(uuidlist_add(&l, u), 0);
	uuidlist_sort_unique(&l);
	assert_int_equal(l.n, 1);
	uuidlist_free(&l);
}

static void test_cut_to_uuid_length(void **state)
{
	struct uuidlist l = {0};
	char longer[UUID_STR_LEN + 10];
	(void)state;
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(uuidlist_add(&l, longer), 0);
	assert_int_equal(strlen(l.ids[0]), UUID_STR_LEN - 1);
	uuidlist_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grow_sort_unique),
	    cmocka_unit_test(test_cut_to_uuid_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
