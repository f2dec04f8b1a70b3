// SPDX-License-Identifier: Apache-2.0
/* Config hash: stable for equal messages, different when any field
 * changes, and the SHA-256 of the packed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "confighash.h"
#include "err.h"
#include "proto_testutil.h"

static Org__Lfedge__Eve__Config__EdgeDevConfig *make_config(unsigned seed)
{
	return (Org__Lfedge__Eve__Config__EdgeDevConfig *)pt_fill(
	    &org__lfedge__eve__config__edge_dev_config__descriptor, 0, seed);
}

static void test_stable(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *a = make_config(1), *b = make_config(1);
	char ha[CONFIGHASH_LEN], hb[CONFIGHASH_LEN], again[CONFIGHASH_LEN];

	assert_int_equal(confighash_message(&a->base, ha), 0);
	assert_int_equal(confighash_message(&b->base, hb), 0);
	assert_int_equal(confighash_message(&a->base, again), 0);
	assert_int_equal(strlen(ha), 64);
	assert_string_equal(ha, hb);
	assert_string_equal(ha, again);
	for (size_t i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", ha[i]));
	protobuf_c_message_free_unpacked(&a->base, NULL);
	protobuf_c_message_free_unpacked(&b->base, NULL);
}

/* Decoding and re-encoding a config keeps its hash (what a device does with
 * the config it received). */
static void test_stable_after_decode(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *a = make_config(3), *b;
	char ha[CONFIGHASH_LEN], hb[CONFIGHASH_LEN];
	size_t len;
	uint8_t *buf = pt_pack(&a->base, &len);

	b = org__lfedge__eve__config__edge_dev_config__unpack(NULL, len, buf);
	assert_non_null(b);
	assert_int_equal(confighash_message(&a->base, ha), 0);
	assert_int_equal(confighash_message(&b->base, hb), 0);
	assert_string_equal(ha, hb);
	free(buf);
	protobuf_c_message_free_unpacked(&a->base, NULL);
	protobuf_c_message_free_unpacked(&b->base, NULL);
}

static void test_changes(void **state)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *a = make_config(1);
	char h0[CONFIGHASH_LEN], h[CONFIGHASH_LEN];

	assert_int_equal(confighash_message(&a->base, h0), 0);

	/* A deep scalar. */
	a->apps[0]->fixedresources->memory++;
	assert_int_equal(confighash_message(&a->base, h), 0);
	assert_string_not_equal(h, h0);
	a->apps[0]->fixedresources->memory--;
	assert_int_equal(confighash_message(&a->base, h), 0);
	assert_string_equal(h, h0);

	/* A string. */
	a->device_name[0] ^= 1;
	assert_int_equal(confighash_message(&a->base, h), 0);
	assert_string_not_equal(h, h0);
	a->device_name[0] ^= 1;

	/* A bool turned off, and the order of a repeated field. */
	a->volumes[0]->readonly = 0;
	assert_int_equal(confighash_message(&a->base, h), 0);
	assert_string_not_equal(h, h0);
	a->volumes[0]->readonly = 1;
	{
		Org__Lfedge__Eve__Config__AppInstanceConfig *t = a->apps[0];
		a->apps[0] = a->apps[1];
		a->apps[1] = t;
	}
	assert_int_equal(confighash_message(&a->base, h), 0);
	assert_string_not_equal(h, h0);
	protobuf_c_message_free_unpacked(&a->base, NULL);
}

/* The hash is SHA-256 of the packed bytes: an empty message packs to
 * nothing, so it hashes to SHA-256(""). */
static void test_known_value(void **state)
{
	Org__Lfedge__Eve__Config__ConfigRequest r = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	Org__Lfedge__Eve__Config__DeviceOpsCmd c = ORG__LFEDGE__EVE__CONFIG__DEVICE_OPS_CMD__INIT;
	char h[CONFIGHASH_LEN];

	assert_int_equal(confighash_message(&r.base, h), 0);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	/* counter = 1 packs to 10 01; SHA-256 of those two bytes. */
	c.counter = 1;
	assert_int_equal(confighash_message(&c.base, h), 0);
	assert_string_equal(h, "27c24fcb8474773e2af799d0848495ff053272d33c432dc26277993df45c9276");
	assert_int_equal(confighash_message(NULL, h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stable),
	    cmocka_unit_test(test_stable_after_decode),
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_known_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
