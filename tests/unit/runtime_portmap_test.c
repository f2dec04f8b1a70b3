// SPDX-License-Identifier: Apache-2.0
/* Port maps: ACEs -> maps (untrusted config: bad ports and protocols are
 * skipped), and the nft script (refuses bad addresses and names). The rules
 * themselves are exercised by the runtime_portmap integration test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "rt_portmap.h"

#define APP "a0000007-0000-4000-8000-000000000007"

typedef Org__Lfedge__Eve__Config__ACE Ace;
typedef Org__Lfedge__Eve__Config__ACEMatch Match;
typedef Org__Lfedge__Eve__Config__ACEAction Action;

struct ace_store {
	Ace ace;
	Match m[2];
	Match *mp[2];
	Action act;
	Action *ap[1];
};

static Ace *mk(struct ace_store *s, const char *proto, const char *lport, bool portmap, uint32_t app)
{
	org__lfedge__eve__config__ace__init(&s->ace);
	org__lfedge__eve__config__acematch__init(&s->m[0]);
	org__lfedge__eve__config__acematch__init(&s->m[1]);
	org__lfedge__eve__config__aceaction__init(&s->act);
	s->m[0].type = "protocol";
	s->m[0].value = (char *)proto;
	s->m[1].type = "lport";
	s->m[1].value = (char *)lport;
	s->mp[0] = &s->m[0];
	s->mp[1] = &s->m[1];
	s->act.portmap = portmap;
	s->act.appport = app;
	s->ap[0] = &s->act;
	s->ace.matches = s->mp;
	s->ace.n_matches = 2;
	s->ace.actions = s->ap;
	s->ace.n_actions = 1;
	return &s->ace;
}

static void test_parse(void **st)
{
	struct ace_store s[8];
	Ace *aces[8];
	Org__Lfedge__Eve__Config__NetworkAdapter na;
	struct rt_portmap m[RT_PORTMAP_MAX];

	org__lfedge__eve__config__network_adapter__init(&na);
	aces[0] = mk(&s[0], "tcp", "18810", true, 8080);
	aces[1] = mk(&s[1], "UDP", "53", true, 5353);
	aces[2] = mk(&s[2], "icmp", "1", true, 1);     /* protocol */
	aces[3] = mk(&s[3], "tcp", "65536", true, 80); /* host port */
	aces[4] = mk(&s[4], "tcp", "80", true, 70000); /* app port */
	aces[5] = mk(&s[5], "tcp", "80", false, 8080); /* not a port map */
	aces[6] = mk(&s[6], "tcp", "-1", true, 8080);  /* host port */
	aces[7] = mk(&s[7], "tcp", "8 0", true, 8080); /* host port */
	na.acls = aces;
	na.n_acls = 8;
	assert_int_equal(rt_portmap_parse(&na, m, RT_PORTMAP_MAX), 2);
	assert_int_equal(m[0].proto, IPPROTO_TCP);
	assert_int_equal(m[0].host, 18810);
	assert_int_equal(m[0].app, 8080);
	assert_int_equal(m[1].proto, IPPROTO_UDP);
	assert_int_equal(m[1].host, 53);
	assert_int_equal(m[1].app, 5353);
	assert_int_equal(rt_portmap_parse(&na, m, 1), 1); /* capped */
	assert_int_equal(rt_portmap_parse(NULL, m, RT_PORTMAP_MAX), 0);
}

static void test_nft(void **st)
{
	struct rt_portmap m[] = {{IPPROTO_TCP, 18810, 8080}, {IPPROTO_UDP, 53, 5353}};
	struct buf b;

	buf_init(&b, 1 << 16);
	assert_int_equal(rt_portmap_nft(APP, "eve1234567890", "10.250.7.5", m, 2, &b), 0);
	assert_non_null(
	    strstr((char *)b.data, "delete table ip eve-pm-" APP "\ntable ip eve-pm-" APP " {\n"));
	assert_non_null(
	    strstr((char *)b.data, "fib daddr type local tcp dport 18810 dnat to 10.250.7.5:8080"));
	assert_non_null(strstr((char *)b.data, "fib daddr type local udp dport 53 dnat to 10.250.7.5:5353"));
	assert_non_null(strstr((char *)b.data, "type nat hook output"));
	assert_non_null(strstr((char *)b.data, "iifname \"eve1234567890\" ip daddr 127.0.0.0/8 drop"));
	buf_reset(&b);
	assert_int_not_equal(rt_portmap_nft(APP, "eve1", "10.250.7.5; flush ruleset", m, 1, &b), 0);
	assert_int_not_equal(rt_portmap_nft(APP, "eve\"x", "10.250.7.5", m, 1, &b), 0);
	assert_int_not_equal(rt_portmap_nft(APP, "a-very-long-bridge-name", "10.250.7.5", m, 1, &b), 0);
	assert_int_not_equal(rt_portmap_nft("not-a-uuid", "eve1", "10.250.7.5", m, 1, &b), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
