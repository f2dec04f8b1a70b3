/* Connectivity properties in netmgr: network.fallback.any.eth (any route
 * once every port failed, the ports again when that fails or the property
 * goes), timer.port.testbetterinterval (the first port is tried again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netmgr.h"

static struct netmgr *two_ports(void)
{
	struct netmgr_setting two = {.ports = {"nosuch0", "nosuch1"}, .n_ports = 2};
	struct netmgr *nm = NULL;

	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	return nm;
}

static void test_fallback_any(void **state)
{
	struct netmgr_props on = {.fallback_any = true}, off = {0};
	struct netmgr *nm = two_ports();

	/* Off (the default): the ports take turns, never any route. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(netmgr_report(nm, false, 0), 0);
		assert_false(netmgr_on_any_route(nm));
	}
	netmgr_set_props(nm, &on, 0);
	assert_string_equal(netmgr_port(nm), "nosuch1");
	netmgr_report(nm, false, 0); /* both ports failed (again): any route */
	assert_true(netmgr_on_any_route(nm));
	assert_string_equal(netmgr_port(nm), "");
	netmgr_report(nm, true, 0); /* it works: stays */
	assert_true(netmgr_on_any_route(nm));
	netmgr_report(nm, false, 0); /* it fails: the ports again */
	assert_false(netmgr_on_any_route(nm));
	assert_string_equal(netmgr_port(nm), "nosuch0");
	netmgr_report(nm, false, 0);
	netmgr_report(nm, false, 0);
	assert_true(netmgr_on_any_route(nm));
	/* Turned off while in use: back to the ports at once. */
	netmgr_set_props(nm, &off, 0);
	assert_false(netmgr_on_any_route(nm));
	assert_string_equal(netmgr_port(nm), "nosuch0");
	netmgr_free(nm);
}

static void test_better(void **state)
{
	struct netmgr_props p = {.better_ms = 1000};
	struct netmgr *nm = two_ports();

	netmgr_set_props(nm, &p, 0);
	netmgr_report(nm, false, 0);
	netmgr_report(nm, true, 0);
	assert_string_equal(netmgr_port(nm), "nosuch1");
	netmgr_tick(nm, 500);
	assert_string_equal(netmgr_port(nm), "nosuch1");
	netmgr_tick(nm, 1000); /* the interval: the first port again */
	assert_string_equal(netmgr_port(nm), "nosuch0");
	netmgr_report(nm, false, 1000); /* it fails: on to the next */
	assert_string_equal(netmgr_port(nm), "nosuch1");
	/* 0 turns it off. */
	p.better_ms = 0;
	netmgr_set_props(nm, &p, 1000);
	netmgr_tick(nm, 100000);
	assert_string_equal(netmgr_port(nm), "nosuch1");
	netmgr_free(nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fallback_any),
	    cmocka_unit_test(test_better),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
