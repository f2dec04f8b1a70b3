// SPDX-License-Identifier: Apache-2.0
/* Connectivity manager (issue 29): ports ordered by cost with load spread
 * over equal costs, a rolled-back setting remembered across a restart
 * (netmgr_persist_setting), a bad settings file refused, the lease file
 * parser and the per-port DNS resolver's literal and error paths. No
 * interface is configured here (netmgr_manage is not called). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"
#include "netmgr.h"
#include "portcfg.h"
#include "portdns.h"

static char dir[64];

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static struct netmgr_setting three(void)
{
	struct netmgr_setting s = {.n_ports = 3};

	snprintf(s.ports[0].name, NETMGR_NAME_MAX, "wwan9");
	s.ports[0].cost = 7;
	snprintf(s.ports[1].name, NETMGR_NAME_MAX, "eth8");
	snprintf(s.ports[2].name, NETMGR_NAME_MAX, "eth9");
	return s;
}

/* Cheapest first; successes alternate over the two cost-0 ports; a port
 * that failed is left out of the rotation; the costly one last. */
static void test_cost_and_spread(void **state)
{
	struct netmgr_setting s = three();
	struct netmgr *nm = NULL;

	(void)state;
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &s, &nm), 0);
	assert_string_equal(netmgr_port(nm), "eth8");
	assert_int_equal(netmgr_report(nm, true, 0), 0);
	assert_string_equal(netmgr_port(nm), "eth9");
	assert_int_equal(netmgr_report(nm, true, 0), 0);
	assert_string_equal(netmgr_port(nm), "eth8");
	assert_int_equal(netmgr_report(nm, false, 0), 0); /* eth8 fails */
	assert_string_equal(netmgr_port(nm), "eth9");
	assert_int_equal(netmgr_report(nm, true, 0), 0);
	assert_string_equal(netmgr_port(nm), "eth9"); /* eth8 out of the rotation */
	assert_int_equal(netmgr_report(nm, false, 0), 0);
	assert_string_equal(netmgr_port(nm), "wwan9");
	assert_int_equal(netmgr_port_index(nm), 0);
	assert_non_null(netmgr_port_state(nm, 1)->err[0] ? "x" : NULL);
	netmgr_free(nm);
}

/* The downloads' plan: the port in use first, then the others by cost,
 * each with its proxy and exceptions (or the setting's), or its PAC; the
 * any-route entry for a setting without ports. */
static void test_dlplan(void **state)
{
	static struct dlroute_plan plan;
	struct netmgr_setting s = three();
	struct netmgr *nm = NULL;

	(void)state;
	snprintf(s.proxy, sizeof(s.proxy), "http://10.0.0.1:3128");
	snprintf(s.exceptions, sizeof(s.exceptions), ".corp");
	snprintf(s.ports[2].proxy, sizeof(s.ports[2].proxy), "http://10.0.0.2:8080");
	snprintf(s.ports[0].pac, sizeof(s.ports[0].pac),
		 "function FindProxyForURL(u, h) { return 'DIRECT'; }");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &s, &nm), 0);
	assert_int_equal(netmgr_report(nm, true, 0), 0); /* eth9 (cost 0, next) in use */
	assert_string_equal(netmgr_port(nm), "eth9");
	netmgr_dlplan(nm, &plan);
	assert_int_equal(plan.n, 3);
	assert_string_equal(plan.ports[0].ifname, "eth9");
	assert_string_equal(plan.ports[0].proxy, "http://10.0.0.2:8080");
	assert_string_equal(plan.ports[0].exceptions, "");
	assert_string_equal(plan.ports[1].ifname, "eth8"); /* the setting's proxy */
	assert_string_equal(plan.ports[1].proxy, "http://10.0.0.1:3128");
	assert_string_equal(plan.ports[1].exceptions, ".corp");
	assert_string_equal(plan.ports[2].ifname, "wwan9"); /* its PAC wins */
	assert_string_equal(plan.ports[2].proxy, "");
	assert_non_null(strstr(plan.ports[2].pac, "FindProxyForURL"));
	netmgr_free(nm);

	/* no ports: one entry on any route with the setting's proxy */
	s.n_ports = 0;
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &s, &nm), 0);
	netmgr_dlplan(nm, &plan);
	assert_int_equal(plan.n, 1);
	assert_string_equal(plan.ports[0].ifname, "");
	assert_string_equal(plan.ports[0].proxy, "http://10.0.0.1:3128");
	netmgr_free(nm);
}

/* A setting rolled back is not tried again after a restart; another one is. */
static void test_rejected_survives_restart(void **state)
{
	struct netmgr_setting good = three(), bad = three(), other = {.n_ports = 1};
	struct netmgr *nm = NULL;
	char path[128];

	(void)state;
	path_of(path, sizeof(path), "netsetting");
	bad.ports[2].mode = PORTCFG_STATIC;
	snprintf(bad.ports[2].want.addr, PORTCFG_IP_MAX, "10.9.9.9/24");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &good, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), 0);
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 1);
	assert_true(netmgr_tick(nm, 1000));
	assert_non_null(netmgr_rejected(nm));
	netmgr_free(nm);

	/* restart, from another initial setting: the working one is loaded */
	snprintf(other.ports[0].name, NETMGR_NAME_MAX, "lo");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &other, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), 1);
	assert_int_equal(netmgr_setting(nm)->n_ports, 3);
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 2); /* noted once */
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 0);
	assert_false(netmgr_on_trial(nm));
	bad.ports[2].want.addr[1] = '1'; /* 11.9.9.9/24: a new one */
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 1);
	netmgr_free(nm);
}

static void test_bad_setting_file(void **state)
{
	struct netmgr_setting s = three();
	struct netmgr *nm = NULL;
	char path[128];

	(void)state;
	path_of(path, sizeof(path), "garbage");
	assert_int_equal(fileio_write_atomic(path, "EVENET01garbage", 15, 0600), 0);
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &s, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), -EVE_EPROTO);
	assert_string_equal(netmgr_port(nm), "eth8");
	netmgr_free(nm);
}

static void test_lease(void **state)
{
	struct portcfg_addr a;
	char path[128];
	const char *l = "ip=10.1.2.3\nmask=24\nrouter=10.1.2.1 10.1.2.254\ndns=10.1.2.1 10.1.2.2\n";

	(void)state;
	path_of(path, sizeof(path), "lease");
	assert_int_equal(portcfg_lease_read(path, &a), -ENOENT);
	assert_int_equal(fileio_write_atomic(path, l, strlen(l), 0600), 0);
	assert_int_equal(portcfg_lease_read(path, &a), 0);
	assert_string_equal(a.addr, "10.1.2.3/24");
	assert_string_equal(a.gw, "10.1.2.1");
	assert_int_equal(a.n_dns, 2);
	assert_string_equal(a.dns[1], "10.1.2.2");
	assert_int_equal(fileio_write_atomic(path, "ip=x\nmask=99\n", 13, 0600), 0);
	assert_int_equal(portcfg_lease_read(path, &a), -EVE_EPROTO);
}

static void test_dns_literal(void **state)
{
	char out[64];
	const char servers[1][PORTCFG_IP_MAX] = {"127.0.0.1"};

	(void)state;
	assert_int_equal(portdns_resolve("10.0.0.7", servers, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "10.0.0.7");
	assert_int_equal(portdns_resolve("", servers, 1, out, sizeof(out)), -EINVAL);
}

/* timer.port.testbetterinterval at the setting level: a setting rolled back
 * in this run goes on trial again every interval (each trial of
 * timer.port.testduration); one that then reaches the controller is kept and
 * no longer the rolled-back one. One loaded from the file after a restart
 * is never retried by the timer. */
static void test_rejected_retried_in_run(void **state)
{
	struct netmgr_setting good = three(), bad = three();
	struct netmgr_props p = {.better_ms = 500, .trial_ms = 1000};
	struct netmgr *nm = NULL;
	char path[128];

	(void)state;
	path_of(path, sizeof(path), "netsetting.retry");
	bad.ports[2].mode = PORTCFG_STATIC;
	snprintf(bad.ports[2].want.addr, PORTCFG_IP_MAX, "10.9.9.9/24");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &good, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), 0);
	netmgr_set_props(nm, &p, 0);
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 1);
	assert_int_equal(netmgr_tick(nm, 999), NETMGR_TICK_NONE);
	assert_int_equal(netmgr_tick(nm, 1000), NETMGR_TICK_ROLLED_BACK);
	assert_false(netmgr_on_trial(nm));
	assert_int_equal(netmgr_tick(nm, 1499), NETMGR_TICK_NONE);
	assert_int_equal(netmgr_tick(nm, 1500), NETMGR_TICK_RETRY); /* on trial again */
	assert_true(netmgr_on_trial(nm));
	assert_string_equal(netmgr_setting(nm)->ports[2].want.addr, "10.9.9.9/24");
	assert_int_equal(netmgr_propose(nm, &bad, 1600, 1000), 0); /* the controller's resend: no news */
	assert_int_equal(netmgr_tick(nm, 2500), NETMGR_TICK_ROLLED_BACK);
	assert_string_equal(netmgr_setting(nm)->ports[2].want.addr, "");
	assert_int_equal(netmgr_tick(nm, 3000), NETMGR_TICK_RETRY);
	assert_int_equal(netmgr_report(nm, true, 3100), 0); /* conditions changed: it reaches */
	assert_false(netmgr_on_trial(nm));
	assert_null(netmgr_rejected(nm));
	assert_int_equal(netmgr_tick(nm, 10000), NETMGR_TICK_NONE);
	assert_string_equal(netmgr_setting(nm)->ports[2].want.addr, "10.9.9.9/24");
	netmgr_free(nm);

	/* rolled back, then a restart: the timer leaves it alone */
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &good, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), 1);
	netmgr_set_props(nm, &p, 0);
	bad.ports[2].want.addr[1] = '2'; /* 12.9.9.9/24 */
	assert_int_equal(netmgr_propose(nm, &bad, 0, 1000), 1);
	assert_int_equal(netmgr_tick(nm, 1000), NETMGR_TICK_ROLLED_BACK);
	netmgr_free(nm);
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &good, &nm), 0);
	assert_int_equal(netmgr_persist_setting(nm, path), 1);
	netmgr_set_props(nm, &p, 0);
	assert_non_null(netmgr_rejected(nm));
	for (uint64_t t = 0; t <= 5000; t += 250)
		assert_int_equal(netmgr_tick(nm, t), NETMGR_TICK_NONE);
	assert_false(netmgr_on_trial(nm));
	netmgr_free(nm);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Any PEM roots: the TLS handshake never gets as far as using them. */
#define ROOTS "/etc/ssl/certs/ca-certificates.crt"

/* timer.port.testinterval and timer.port.timeout: the test is due every
 * interval (never with 0); each test request against a server that accepts
 * but never answers fails after the port timeout, not the send timeout, and
 * says so. */
static void test_port_test_timers(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct netmgr_props p = {.send_timeout_s = 30, .test_ms = 1000, .test_timeout_s = 1};
	struct netmgr *nm = NULL;
	char server[64], out[512];
	double t;

	(void)state;
	if (access(ROOTS, R_OK) != 0)
		skip();
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(server, sizeof(server), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(netmgr_new(server, ROOTS, NULL, &nm), 0);
	assert_false(netmgr_test_due(nm, 100000)); /* no interval yet */
	netmgr_set_props(nm, &p, 0);
	assert_false(netmgr_test_due(nm, 999));
	assert_true(netmgr_test_due(nm, 1000));
	t = mono_s();
	assert_int_equal(netmgr_port_test(nm, 1000, out, sizeof(out)), 0);
	t = mono_s() - t;
	assert_true(t >= 0.9 && t < 5);
	assert_non_null(strstr(out, "port test (any route): FAILED after 1."));
	/* the next one is due an interval after the end of this one */
	assert_false(netmgr_test_due(nm, 2000 + (uint64_t)(t * 1000) - 200));
	assert_true(netmgr_test_due(nm, 2000 + (uint64_t)(t * 1000) + 200));
	p.test_timeout_s = 2;
	netmgr_set_props(nm, &p, 2000);
	t = mono_s();
	assert_int_equal(netmgr_port_test(nm, 2000, out, sizeof(out)), 0);
	assert_true(mono_s() - t >= 1.9);
	assert_non_null(strstr(out, "FAILED after 2."));
	p.test_ms = 0; /* off */
	netmgr_set_props(nm, &p, 3000);
	assert_false(netmgr_test_due(nm, 1000000));
	netmgr_free(nm);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cost_and_spread),  cmocka_unit_test(test_rejected_survives_restart),
	    cmocka_unit_test(test_bad_setting_file), cmocka_unit_test(test_lease),
	    cmocka_unit_test(test_dns_literal),      cmocka_unit_test(test_rejected_retried_in_run),
	    cmocka_unit_test(test_port_test_timers), cmocka_unit_test(test_dlplan),
	};
	char cmd[96];
	int r;

	snprintf(dir, sizeof(dir), "/tmp/conn_netmgr.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		r = r ? r : 1;
	return r;
}
