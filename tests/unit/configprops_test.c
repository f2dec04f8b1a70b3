// SPDX-License-Identifier: Apache-2.0
/* The shared config property table: sorted (found by name), every default
 * passes its own check, checks refuse bad types and ranges with a reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "configprops.h"

static void test_table(void **state)
{
	char err[256];

	assert_true(configprop_count() > 40);
	for (size_t i = 0; i < configprop_count(); i++) {
		const struct configprop *p = configprop_at(i);

		if (i > 0)
			assert_true(strcmp(configprop_at(i - 1)->name, p->name) < 0);
		assert_ptr_equal(configprop_find(p->name), p);
		if (configprop_check(p, p->def, err, sizeof(err)) != 0)
			fail_msg("%s: default %s: %s", p->name, p->def, err);
		if (p->type == CONFIGPROP_INT)
			assert_true(p->min <= p->max);
		/* An extension of ours is always implemented by the agent. */
		assert_true(p->eve || p->agent);
	}
	assert_null(configprop_at(configprop_count()));
	assert_null(configprop_find("no.such.property"));
	assert_null(configprop_find(NULL));
	assert_non_null(configprop_find("debug.enable.ssh"));
}

static void test_check(void **state)
{
	const struct configprop *ci = configprop_find("timer.config.interval");
	const struct configprop *vnc = configprop_find("app.allow.vnc");
	const struct configprop *lvl = configprop_find("debug.default.loglevel");
	const struct configprop *fb = configprop_find("network.fallback.any.eth");
	char err[256];
	uint32_t u;
	int i;

	assert_int_equal(configprop_check(ci, "10", err, sizeof(err)), 0);
	assert_int_equal(configprop_check(ci, "0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'0' is out of range 1..3600");
	assert_int_equal(configprop_check(ci, "3601", err, sizeof(err)), -EINVAL);
	assert_int_equal(configprop_check(ci, "abc", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'abc' is not a valid unsigned integer (1..3600)");
	assert_int_equal(configprop_check(ci, "-5", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(ci, " 5", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(ci, "5s", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(ci, "99999999999", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(ci, "", NULL, 0), -EINVAL);
	assert_int_equal(configprop_parse_int(ci, "42", &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(configprop_check(vnc, "true", NULL, 0), 0);
	assert_int_equal(configprop_check(vnc, "False", NULL, 0), 0);
	assert_int_equal(configprop_check(vnc, "yes", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'yes' is not a valid bool (true|false)");
	assert_int_equal(configprop_check(lvl, "warn", NULL, 0), 0);
	assert_int_equal(configprop_check(lvl, "loud", NULL, 0), -EINVAL);
	assert_int_equal(configprop_parse_loglevel("trace", &i), 0);
	assert_int_equal(i, 3);
	assert_int_equal(configprop_check(fb, "enabled", NULL, 0), 0);
	assert_int_equal(configprop_check(fb, "maybe", NULL, 0), -EINVAL);
	assert_int_equal(configprop_parse_tristate("none", &i), 0);
	assert_int_equal(i, -1);
	assert_int_equal(configprop_check(configprop_find("debug.enable.ssh"), "ssh-ed25519 AAAA x", NULL, 0),
			 0);
}

/* A uint64 property: digits only, up to 2^64-1, at least its minimum. */
static void test_u64(void **state)
{
	const struct configprop *p = configprop_find("runtime.oci.unpack.max.bytes");
	char err[256], dom[64];
	uint64_t u = 0;

	(void)state;
	assert_non_null(p);
	assert_string_equal(configprop_type_name(p->type), "uint64");
	configprop_domain(p, dom, sizeof(dom));
	assert_string_equal(dom, "1..18446744073709551615");
	assert_int_equal(configprop_check(p, "65536", NULL, 0), 0);
	assert_int_equal(configprop_check(p, "18446744073709551615", NULL, 0), 0);
	assert_int_equal(configprop_parse_u64(p, "18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(configprop_parse_u64(p, "4294967296", &u), 0);
	assert_true(u == 4294967296ull);
	assert_int_equal(configprop_check(p, "0", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'0' is out of range 1..18446744073709551615");
	assert_int_equal(configprop_check(p, "18446744073709551616", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'18446744073709551616' is out of range 1..18446744073709551615");
	assert_int_equal(configprop_check(p, "lots", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'lots' is not a valid unsigned integer (1..18446744073709551615)");
	assert_int_equal(configprop_check(p, "-1", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(p, "16G", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(p, " 5", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(p, "123456789012345678901", NULL, 0), -EINVAL);
	assert_int_equal(configprop_check(p, "", NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
