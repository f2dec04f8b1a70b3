// SPDX-License-Identifier: Apache-2.0
/* dlroute: the routes of a download from the connectivity plan: explicit
 * proxies with their exceptions, PAC scripts evaluated for the download's
 * URL (entries in order), a port whose PAC fails passed over, the plan's
 * port order kept, and the router before any plan (default route). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dlroute.h"

static void port(struct dlroute_plan *p, const char *ifname, const char *proxy, const char *exc,
		 const char *pac)
{
	struct dlroute_port *d = &p->ports[p->n++];

	memset(d, 0, sizeof(*d));
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	snprintf(d->proxy, sizeof(d->proxy), "%s", proxy);
	snprintf(d->exceptions, sizeof(d->exceptions), "%s", exc);
	snprintf(d->pac, sizeof(d->pac), "%s", pac);
	snprintf(d->my_ip, sizeof(d->my_ip), "10.1.%zu.5", p->n);
}

static struct dlroute_plan plan;

static void test_explicit_and_direct(void **st)
{
	struct download_route r[DOWNLOAD_ROUTES_MAX];
	char why[256];

	memset(&plan, 0, sizeof(plan));
	port(&plan, "e2", "http://10.0.0.1:3128", "images.local,.corp", "");
	port(&plan, "e1", "", "", "");
	assert_int_equal(
	    dlroute_for(&plan, "https://img.example/a.img", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 2);
	/* the plan's order (the port in use first), the proxy and its exceptions */
	assert_string_equal(r[0].interface, "e2");
	assert_string_equal(r[0].proxy, "http://10.0.0.1:3128");
	assert_string_equal(r[0].noproxy, "images.local,.corp");
	assert_string_equal(r[1].interface, "e1");
	assert_string_equal(r[1].proxy, "");
	assert_string_equal(r[1].noproxy, "");
	/* max bounds the routes */
	assert_int_equal(dlroute_for(&plan, "https://img.example/a.img", r, 1, why, sizeof(why)), 1);
}

static void test_pac_per_url(void **st)
{
	static const char pac[] = "function FindProxyForURL(url, host) {\n"
				  "  if (host == 'img.example' && myIpAddress() == '10.1.1.5')\n"
				  "    return 'DIRECT; PROXY 10.0.0.1:3128; SOCKS5 10.0.0.2:1080';\n"
				  "  return 'PROXY 10.0.0.9:8080';\n"
				  "}\n";
	struct download_route r[DOWNLOAD_ROUTES_MAX];
	char why[256];

	memset(&plan, 0, sizeof(plan));
	port(&plan, "e1", "", "", pac);
	/* evaluated for the download's URL: its entries in order */
	assert_int_equal(
	    dlroute_for(&plan, "https://img.example:8443/x", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 3);
	assert_string_equal(r[0].interface, "e1");
	assert_string_equal(r[0].proxy, "");
	assert_string_equal(r[1].proxy, "http://10.0.0.1:3128");
	assert_string_equal(r[2].proxy, "socks5h://10.0.0.2:1080");
	/* another host, another answer */
	assert_int_equal(
	    dlroute_for(&plan, "http://other.example/x", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 1);
	assert_string_equal(r[0].proxy, "http://10.0.0.9:8080");
}

static void test_pac_failure(void **st)
{
	struct download_route r[DOWNLOAD_ROUTES_MAX];
	char why[256];

	memset(&plan, 0, sizeof(plan));
	port(&plan, "e1", "", "", "function FindProxyForURL(url, host) { return 42; }");
	port(&plan, "e2", "", "", "");
	/* e1's script fails: passed over, e2 DIRECT */
	assert_int_equal(
	    dlroute_for(&plan, "https://img.example/x", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 1);
	assert_string_equal(r[0].interface, "e2");
	/* only e1: the failure is the error */
	plan.n = 1;
	assert_int_equal(
	    dlroute_for(&plan, "https://img.example/x", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "e1: PAC: "));
	/* a result that is not PAC text */
	port(&plan, "e3", "", "", "function FindProxyForURL(url, host) { return 'NOWHERE 1'; }");
	plan.ports[0] = plan.ports[1];
	plan.n = 1;
	assert_int_equal(
	    dlroute_for(&plan, "https://img.example/x", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "e3: PAC: result not understood"));
}

static void test_router(void **st)
{
	struct download_route r[DOWNLOAD_ROUTES_MAX];
	struct dlroute *dr = NULL;
	const struct download_router *rt;
	char why[256];

	assert_int_equal(dlroute_new(&dr), 0);
	rt = dlroute_router(dr);
	/* before a plan: the default route, DIRECT */
	memset(r, 0x55, sizeof(r));
	assert_int_equal(rt->routes(rt->ctx, "https://a/b", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 1);
	assert_string_equal(r[0].interface, "");
	assert_string_equal(r[0].proxy, "");
	memset(&plan, 0, sizeof(plan));
	port(&plan, "e7", "http://10.0.0.1:3128", "", "");
	dlroute_set(dr, &plan);
	memset(&plan, 0, sizeof(plan)); /* copied */
	assert_int_equal(rt->routes(rt->ctx, "https://a/b", r, DOWNLOAD_ROUTES_MAX, why, sizeof(why)), 1);
	assert_string_equal(r[0].interface, "e7");
	assert_string_equal(r[0].proxy, "http://10.0.0.1:3128");
	dlroute_free(dr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_explicit_and_direct),
	    cmocka_unit_test(test_pac_per_url),
	    cmocka_unit_test(test_pac_failure),
	    cmocka_unit_test(test_router),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
