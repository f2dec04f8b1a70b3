// SPDX-License-Identifier: Apache-2.0
/* Proxy auto-config (issue 29): the FindProxyForURL result parser, the PAC
 * helper functions as the forked duktape child runs them, the limits (a
 * script that loops forever or allocates without end is killed and
 * reported), and netmgr trying a PAC result's entries in order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "netmgr.h"
#include "pac.h"
#include "pacresult.h"

static void test_parse_ok(void **state)
{
	struct pacresult_entry e[PACRESULT_MAX];
	char url[300];
	const char *s = " PROXY proxy.corp:3128 ;socks 10.0.0.1:1080; https [fd00::1]:443;;DIRECT ";
	int n = pacresult_parse(s, strlen(s), e, PACRESULT_MAX);

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(e[0].kind, PACRESULT_HTTP);
	assert_string_equal(e[0].host, "proxy.corp");
	assert_int_equal(e[0].port, 3128);
	assert_int_equal(e[1].kind, PACRESULT_SOCKS5);
	assert_int_equal(e[2].kind, PACRESULT_HTTPS);
	assert_string_equal(e[2].host, "fd00::1");
	assert_int_equal(e[3].kind, PACRESULT_DIRECT);
	assert_int_equal(pacresult_url(&e[0], url, sizeof(url)), 0);
	assert_string_equal(url, "http://proxy.corp:3128");
	assert_int_equal(pacresult_url(&e[1], url, sizeof(url)), 0);
	assert_string_equal(url, "socks5h://10.0.0.1:1080");
	assert_int_equal(pacresult_url(&e[2], url, sizeof(url)), 0);
	assert_string_equal(url, "https://[fd00::1]:443");
	assert_int_equal(pacresult_url(&e[3], url, sizeof(url)), 0);
	assert_string_equal(url, "");
	assert_int_equal(pacresult_text(&e[1], url, sizeof(url)), 0);
	assert_string_equal(url, "SOCKS5 10.0.0.1:1080");
	assert_int_equal(pacresult_parse("direct", 6, e, 1), 1);
	assert_int_equal(pacresult_url(&e[0], url, 4), 0);
	assert_int_equal(pacresult_url(&e[2], url, 4), -ENOSPC);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ; ;",
	    "PROXY",
	    "PROXY host",
	    "PROXY host:",
	    "PROXY :80",
	    "PROXY h:0",
	    "PROXY h:65536",
	    "PROXY h:123456",
	    "PROXY h:8x",
	    "DIRECT x",
	    "FTP h:21",
	    "PROXY h o:80",
	    "PROXY [::1:80",
	    "PROXY [zz]:80",
	    "PROXY -h:80",
	    "PROXY a/b:80",
	    "PROXY h:80 extra",
	    "PROXY [.12fd]:13",
	};
	struct pacresult_entry e[PACRESULT_MAX];
	char many[256] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pacresult_parse(bad[i], strlen(bad[i]), e, PACRESULT_MAX), -EINVAL);
	for (int i = 0; i < PACRESULT_MAX + 1; i++)
		strcat(many, "DIRECT;");
	assert_int_equal(pacresult_parse(many, strlen(many), e, PACRESULT_MAX), -E2BIG);
	assert_int_equal(pacresult_parse("DIRECT;DIRECT", 13, e, 1), -E2BIG);
	/* the length given is what is read: no NUL needed, none past it */
	assert_int_equal(pacresult_parse("PROXY h:80garbage", 10, e, PACRESULT_MAX), 1);
	assert_int_equal(e[0].port, 80);
}

/* Evaluate a script for https://ctl.test:443/ with a port 10.61.1.5. */
static int eval(const char *script, char *out, size_t size, char *err)
{
	struct pac_env env = {.my_ip = "10.61.1.5/24"};
	struct pac_limits lim = {.cpu_s = 1, .mem_bytes = 8u << 20, .timeout_ms = 20000};

	return pac_find_proxy(script, strlen(script), "https://ctl.test:443/", "ctl.test", &env, &lim, out,
			      size, err, PAC_ERR_MAX);
}

static void expect(const char *body, const char *want)
{
	char script[4096], out[512], err[PAC_ERR_MAX];
	int r;

	snprintf(script, sizeof(script), "function FindProxyForURL(url, host) { %s }", body);
	r = eval(script, out, sizeof(out), err);
	if (r != 0)
		fail_msg("%s: %d %s", body, r, err);
	if (strcmp(out, want))
		fail_msg("%s: got \"%s\", want \"%s\"", body, out, want);
}

static void test_helpers(void **state)
{
	time_t now = time(NULL);
	struct tm tm;
	char body[256];
	static const char *const days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

	(void)state;
	expect("return url + ' ' + host;", "https://ctl.test:443/ ctl.test");
	expect("return 'PROXY ' + myIpAddress() + ':3128';", "PROXY 10.61.1.5:3128");
	expect("return [isPlainHostName('ctl'), isPlainHostName(host)].join();", "true,false");
	expect("return [dnsDomainIs(host, '.test'), dnsDomainIs(host, '.corp'), dnsDomainIs('A.TEST', "
	       "'.test')].join();",
	       "true,false,true");
	expect("return [localHostOrDomainIs('www', 'www.corp.com'), localHostOrDomainIs('www.corp.com', "
	       "'www.corp.com'), localHostOrDomainIs('www.other.com', 'www.corp.com')].join();",
	       "true,true,false");
	expect("return [dnsDomainLevels('www'), dnsDomainLevels('a.b.c')].join();", "0,2");
	expect(
	    "return [shExpMatch(host, '*.test'), shExpMatch(host, 'ctl.t?st'), shExpMatch(host, '*.corp'), "
	    "shExpMatch('a.b', 'a?b'), shExpMatch('axb', 'a.b')].join();",
	    "true,true,false,true,false");
	expect("return [isInNet('10.61.1.5', '10.61.0.0', '255.255.0.0'), isInNet('10.62.1.5', '10.61.0.0', "
	       "'255.255.0.0'), isInNet('200.1.2.3', '200.0.0.0', '255.0.0.0'), isInNet('x', '1.2.3.4', "
	       "'bad')].join();",
	       "true,false,true,false");
	expect("return [dnsResolve('192.0.2.7'), isResolvable('192.0.2.7')].join();", "192.0.2.7,true");
	expect("return [weekdayRange('SUN', 'SAT'), weekdayRange('MON', 'SUN', 'GMT'), "
	       "weekdayRange('XYZ')].join();",
	       "true,true,false");
	expect("return [timeRange(0, 24, 'GMT'), timeRange(5, 5), timeRange(0, 0, 23, 59), "
	       "timeRange(22, 0, 0, 21, 59, 59), timeRange(1, 2, 3)].join();",
	       "true,false,true,true,false");
	expect("return [dateRange('JAN', 'DEC'), dateRange(1, 31), dateRange(1995), dateRange(1995, 2999), "
	       "dateRange('FOO')].join();",
	       "true,true,false,true,false");
	expect("alert('x'); return 'DIRECT';", "DIRECT");
	/* today by name (skipped if the day changes while it runs) */
	gmtime_r(&now, &tm);
	snprintf(body, sizeof(body),
		 "return [weekdayRange('%s', 'GMT'), weekdayRange('%s', 'GMT'), dateRange(%d, 'GMT'), "
		 "dateRange(%d, 'GMT')].join();",
		 days[tm.tm_wday], days[(tm.tm_wday + 1) % 7], tm.tm_year + 1900, tm.tm_year + 1901);
	if (time(NULL) / 86400 == now / 86400)
		expect(body, "true,false,true,false");
}

static void test_errors(void **state)
{
	char out[64], err[PAC_ERR_MAX];

	(void)state;
	assert_int_equal(eval("function FindProxyForURL( {", out, sizeof(out), err), -EINVAL);
	assert_non_null(strstr(err, "script error: SyntaxError"));
	assert_int_equal(eval("var x = 1;", out, sizeof(out), err), -EINVAL);
	assert_non_null(strstr(err, "FindProxyForURL is not a function"));
	assert_int_equal(eval("function FindProxyForURL(u, h) { return 42; }", out, sizeof(out), err),
			 -EINVAL);
	assert_non_null(strstr(err, "did not return a string"));
	assert_int_equal(
	    eval("function FindProxyForURL(u, h) { throw new Error('no'); }", out, sizeof(out), err),
	    -EINVAL);
	assert_non_null(strstr(err, "Error: no"));
	/* a result longer than the caller's buffer */
	assert_int_equal(eval("function FindProxyForURL(u, h) { return new Array(100).join('DIRECT;'); }",
			      out, sizeof(out), err),
			 -E2BIG);
}

static void test_limits(void **state)
{
	char out[64], err[PAC_ERR_MAX];
	int r;

	(void)state;
	/* loops forever: the CPU limit (or, on a loaded machine, the clock) */
	r = eval("function FindProxyForURL(u, h) { for (;;) {} }", out, sizeof(out), err);
	assert_true(r == -EDQUOT || r == -ETIMEDOUT);
	assert_non_null(strstr(err, "killed"));
	print_message("looping script: %s\n", err);
	/* the same at load time */
	r = eval("while (true) {}", out, sizeof(out), err);
	assert_true(r == -EDQUOT || r == -ETIMEDOUT);
	/* allocates without end */
	r = eval("function FindProxyForURL(u, h) { var a = [], s = 'x'; for (;;) { s = s + s; a.push(s); } }",
		 out, sizeof(out), err);
	print_message("allocating script: %s\n", err);
	assert_int_equal(r, -EDQUOT);
	assert_non_null(strstr(err, "memory limit (8 MiB)"));
	/* a script that catches the allocation failure and goes on */
	r = eval(
	    "function FindProxyForURL(u, h) { var a = []; for (;;) { try { a.push(new Array(1e5).join('y') + "
	    "a.length); } catch (e) {} } }",
	    out, sizeof(out), err);
	assert_true(r == -EDQUOT || r == -ETIMEDOUT);
	/* too long a script is refused before any child runs */
	{
		size_t n = PAC_SCRIPT_MAX + 1;
		char *big = malloc(n + 1);

		assert_non_null(big);
		memset(big, ' ', n);
		big[n] = '\0';
		assert_int_equal(
		    pac_find_proxy(big, n, "https://a/", "a", NULL, NULL, out, sizeof(out), err, sizeof(err)),
		    -E2BIG);
		free(big);
	}
	/* the agent is still fine: the next script works */
	expect("return 'DIRECT';", "DIRECT");
}

static void test_decode(void **state)
{
	const char *js = "function FindProxyForURL(u, h) { return 'DIRECT'; }";
	char *b = b64_encode((const uint8_t *)js, strlen(js)), out[128];

	(void)state;
	assert_non_null(b);
	assert_int_equal(pac_decode(b, out, sizeof(out)), 0);
	assert_string_equal(out, js);
	assert_int_equal(pac_decode(b, out, 10), -E2BIG);
	assert_int_equal(pac_decode("not base64!", out, sizeof(out)), -EINVAL);
	assert_int_equal(pac_decode("AAAA", out, sizeof(out)), -EINVAL); /* NUL bytes */
	free(b);
}

/* netmgr tries the entries of a port's PAC result in order. */
static void test_netmgr_entries(void **state)
{
	struct netmgr_setting *s = calloc(1, sizeof(*s));
	struct netmgr *nm = NULL;
	struct netmgr_props props = {.pac = {.timeout_ms = 30000}}; /* a loaded machine */
	char what[256];

	(void)state;
	assert_non_null(s);
	s->n_ports = 1;
	snprintf(s->ports[0].name, NETMGR_NAME_MAX, "lo");
	snprintf(
	    s->ports[0].pac, sizeof(s->ports[0].pac), "%s",
	    "function FindProxyForURL(url, host) {"
	    " if (host === 'ctl.test' && url === 'https://ctl.test:1/') return 'PROXY 127.0.0.1:9; DIRECT';"
	    " return 'SOCKS 127.0.0.1:7'; }");
	assert_int_equal(netmgr_new("ctl.test:1", "/nonexistent", s, &nm), 0);
	netmgr_set_props(nm, &props, 0);
	assert_int_equal(netmgr_pac_choice(nm, 0, what, sizeof(what)), 0);
	assert_string_equal(what, "PROXY 127.0.0.1:9");
	assert_non_null(netmgr_api(nm));
	netmgr_report(nm, false, 0);
	assert_int_equal(netmgr_pac_choice(nm, 0, what, sizeof(what)), 0);
	assert_string_equal(what, "DIRECT");
	/* both failed: evaluated again, the first entry again */
	netmgr_report(nm, false, 0);
	assert_int_equal(netmgr_pac_choice(nm, 0, what, sizeof(what)), 0);
	assert_string_equal(what, "PROXY 127.0.0.1:9");
	/* another URL (a download) */
	assert_int_equal(netmgr_pac_proxy_for(nm, 0, "https://dl.example/x", what, sizeof(what)), 0);
	assert_string_equal(what, "socks5h://127.0.0.1:7");
	netmgr_free(nm);
	/* a broken script: the port's error names it */
	snprintf(s->ports[0].pac, sizeof(s->ports[0].pac), "%s", "function FindProxyForURL( {");
	assert_int_equal(netmgr_new("ctl.test:1", "/nonexistent", s, &nm), 0);
	netmgr_set_props(nm, &props, 0);
	assert_null(netmgr_api(nm));
	assert_non_null(strstr(netmgr_port_state(nm, 0)->err, "PAC: script error"));
	netmgr_free(nm);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),       cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_helpers),        cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),         cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_netmgr_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
