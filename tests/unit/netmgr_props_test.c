// SPDX-License-Identifier: Apache-2.0
/* Connectivity properties in netmgr: network.fallback.any.eth (any route
 * once every port failed, the ports again when that fails or the property
 * goes), timer.port.testbetterinterval (the first port is tried again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "monotime.h"
#include "netmgr.h"

static struct netmgr *two_ports(void)
{
	struct netmgr_setting two = {.ports = {{.name = "nosuch0"}, {.name = "nosuch1", .cost = 1}},
				     .n_ports = 2};
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

/* Any PEM roots: the TLS handshake never gets as far as using them. */
#define ROOTS "/etc/ssl/certs/ca-certificates.crt"

/* Seconds a request to a server that never answers takes. */
static double silent_call(struct netmgr *nm)
{
	struct buf resp;
	long status = 0;
	double t0 = monotime_s();

	buf_init(&resp, 4096);
	assert_non_null(netmgr_api(nm));
	assert_true(devapi_call(netmgr_api(nm), "GET", "/certs", NULL, 0, &status, &resp) < 0);
	buf_free(&resp);
	return monotime_s() - t0;
}

/* timer.send.timeout: a server that accepts but never answers (the kernel
 * completes the handshake from the backlog) costs exactly that long; a new
 * value takes effect on the next request. */
static void test_send_timeout(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct netmgr_props p = {.send_timeout_s = 1};
	struct netmgr *nm = NULL;
	char server[64];
	double t;

	if (access(ROOTS, R_OK) != 0)
		skip(); /* no PEM roots to point curl at */
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(server, sizeof(server), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(netmgr_new(server, ROOTS, NULL, &nm), 0);
	netmgr_set_props(nm, &p, 0);
	t = silent_call(nm);
	assert_true(t >= 0.9 && t < 2.5);
	p.send_timeout_s = 3;
	netmgr_set_props(nm, &p, 0);
	t = silent_call(nm);
	assert_true(t >= 2.9);
	netmgr_free(nm);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fallback_any),
	    cmocka_unit_test(test_better),
	    cmocka_unit_test(test_send_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
