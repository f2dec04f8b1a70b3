// SPDX-License-Identifier: Apache-2.0
/* Firewall rules: ACE parsing (untrusted config: bad ACEs are refused with
 * a reason) and the nft script (checked by `nft -c` when nft is there).
 * The rules' effect is tested by the runtime_firewall integration test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_dns.h"
#include "rt_firewall.h"
#include "rt_internal.h"

#define APP "a00000f1-0000-4000-8000-0000000000f1"

typedef Org__Lfedge__Eve__Config__ACE Ace;
typedef Org__Lfedge__Eve__Config__ACEMatch Match;
typedef Org__Lfedge__Eve__Config__ACEAction Action;

struct ace_store {
	Ace ace;
	Match m[4];
	Match *mp[4];
	Action act;
	Action *ap[1];
	char text[4][128];
};

/* An ACE from "type=value" pairs (NULL-terminated). */
static Ace *mk(struct ace_store *s, const Action *act, ...)
{
	va_list ap;
	const char *tv;
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	org__lfedge__eve__config__ace__init(&s->ace);
	va_start(ap, act);
	while ((tv = va_arg(ap, const char *)) && n < 4) {
		char *buf[4] = {s->text[0], s->text[1], s->text[2], s->text[3]};

		snprintf(buf[n], sizeof(s->text[n]), "%s", tv);
		org__lfedge__eve__config__acematch__init(&s->m[n]);
		*strchr(buf[n], '=') = '\0';
		s->m[n].type = buf[n];
		s->m[n].value = buf[n] + strlen(buf[n]) + 1;
		s->mp[n] = &s->m[n];
		n++;
	}
	va_end(ap);
	s->ace.matches = s->mp;
	s->ace.n_matches = n;
	if (act) {
		s->act = *act;
		s->ap[0] = &s->act;
		s->ace.actions = s->ap;
		s->ace.n_actions = 1;
	}
	s->ace.id = 7;
	return &s->ace;
}

static void test_parse(void **st)
{
	struct ace_store s;
	struct rt_fw_ace a;
	Action drop = ORG__LFEDGE__EVE__CONFIG__ACEACTION__INIT, lim = drop, pm = drop, both = drop;
	char err[160];

	(void)st;
	drop.drop = true;
	lim.limit = true;
	lim.limitrate = 100;
	lim.limitunit = "s";
	lim.limitburst = 20;
	pm.portmap = true;
	pm.appport = 8080;
	both.drop = both.portmap = true;
	both.appport = 1;

	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "ip=10.1.2.3/16", NULL), &a, err, sizeof(err)), 0);
	assert_string_equal(a.net, "10.1.0.0/16");
	assert_int_equal(a.action, RT_FW_ALLOW);
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "ip=10.1.2.3", NULL), &a, err, sizeof(err)), 0);
	assert_string_equal(a.net, "10.1.2.3/32");
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "host=WWW.Example.org", NULL), &a, err, sizeof(err)),
			 0);
	assert_string_equal(a.host, "www.example.org");
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "host=192.168.1.1", NULL), &a, err, sizeof(err)), 0);
	assert_string_equal(a.net, "192.168.1.1/32");
	assert_int_equal(a.host[0], '\0');
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "ip=fd00::/8", NULL), &a, err, sizeof(err)), 1);
	assert_int_equal(
	    rt_fw_parse_ace(mk(&s, &lim, "protocol=tcp", "fport=80", NULL), &a, err, sizeof(err)), 0);
	assert_int_equal(a.action, RT_FW_LIMIT);
	assert_string_equal(a.unit, "second");
	assert_int_equal(a.fport_lo, 80);
	assert_int_equal(
	    rt_fw_parse_ace(mk(&s, &pm, "protocol=tcp", "lport=18000", NULL), &a, err, sizeof(err)), 0);
	assert_int_equal(a.app_port, 8080);
	assert_int_equal(
	    rt_fw_parse_ace(mk(&s, NULL, "protocol=udp", "lport=1000-2000", NULL), &a, err, sizeof(err)), 0);
	assert_int_equal(a.lport_hi, 2000);
	assert_int_equal(rt_fw_parse_ace(mk(&s, &drop, "protocol=icmp", NULL), &a, err, sizeof(err)), 0);
	assert_int_equal(a.proto, IPPROTO_ICMP);

	/* refused, with a reason */
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "ip=10.1.2.3/33", NULL), &a, err, sizeof(err)) < 0);
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "host=bad name;", NULL), &a, err, sizeof(err)) < 0);
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "fport=80", NULL), &a, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "protocol"));
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "protocol=tcp", "fport=0", NULL), &a, err, sizeof(err)) < 0);
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "protocol=tcp", "fport=9-3", NULL), &a, err, sizeof(err)) <
		    0);
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "protocol=bogus", NULL), &a, err, sizeof(err)) < 0);
	assert_true(rt_fw_parse_ace(mk(&s, NULL, "eidset=x", NULL), &a, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "not supported"));
	assert_true(rt_fw_parse_ace(mk(&s, &both, "protocol=tcp", "lport=1", NULL), &a, err, sizeof(err)) <
		    0);
	assert_true(rt_fw_parse_ace(mk(&s, &pm, "protocol=tcp", NULL), &a, err, sizeof(err)) < 0);
	lim.limitrate = 0;
	assert_true(rt_fw_parse_ace(mk(&s, &lim, "ip=1.2.3.4", NULL), &a, err, sizeof(err)) < 0);
	lim.limitrate = 5;
	lim.limitunit = "fortnight";
	assert_true(rt_fw_parse_ace(mk(&s, &lim, "ip=1.2.3.4", NULL), &a, err, sizeof(err)) < 0);
}

static void test_script(void **st)
{
	struct ace_store s;
	struct rt_fw_ace aces[4];
	Action lim = ORG__LFEDGE__EVE__CONFIG__ACEACTION__INIT;
	struct rt_fw_nic nic = {.mac = "52:54:00:aa:bb:cc", .gw = "10.250.9.1", .aces = aces, .n_aces = 4};
	char err[160], hex[65], hex2[65], path[] = "/tmp/fwtestXXXXXX";
	struct buf b, b2;
	FILE *f;
	int fd;

	(void)st;
	lim.limit = true;
	lim.limitrate = 50;
	lim.limitunit = "m";
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "ip=10.9.0.0/24", NULL), &aces[0], err, sizeof(err)),
			 0);
	assert_int_equal(rt_fw_parse_ace(mk(&s, NULL, "host=example.org", NULL), &aces[1], err, sizeof(err)),
			 0);
	assert_int_equal(
	    rt_fw_parse_ace(mk(&s, &lim, "protocol=tcp", "fport=443", NULL), &aces[2], err, sizeof(err)), 0);
	assert_int_equal(
	    rt_fw_parse_ace(mk(&s, NULL, "protocol=udp", "lport=5000", NULL), &aces[3], err, sizeof(err)), 0);
	buf_init(&b, RT_FW_SCRIPT_MAX);
	buf_init(&b2, RT_FW_SCRIPT_MAX);
	assert_int_equal(rt_fw_nft(APP, &nic, 1, &b, hex), 0);
	assert_int_equal(rt_fw_nft(APP, &nic, 1, &b2, hex2), 0);
	assert_string_equal(hex, hex2); /* deterministic */
	assert_int_equal(buf_append(&b, "", 1), 0);
	printf("%s", (char *)b.data);
	assert_non_null(strstr((char *)b.data, "ether saddr 52:54:00:aa:bb:cc jump out_0"));
	assert_non_null(strstr((char *)b.data, "ip daddr 10.9.0.0/24 counter accept"));
	assert_non_null(strstr((char *)b.data, "ip saddr 10.9.0.0/24 counter accept"));
	assert_non_null(strstr((char *)b.data, "limit rate over 50/minute"));
	assert_non_null(strstr((char *)b.data, "ip protocol 17 th sport 5000"));
	assert_non_null(strstr((char *)b.data, "ip protocol 17 th dport 5000"));
	assert_non_null(strstr((char *)b.data, "goto drop_out_0 comment \"default\""));
	assert_non_null(strstr((char *)b.data,
			       "limit rate over 50/minute counter meta mark set 0x00000007 goto drop_out_0"));

	nic.mac[0] = 'X';
	assert_int_equal(rt_fw_nft(APP, &nic, 1, &b2, NULL), -EINVAL);
	nic.mac[0] = '5';
	nic.gw = "1.2.3";
	assert_int_equal(rt_fw_nft(APP, &nic, 1, &b2, NULL), -EINVAL);
	assert_int_equal(rt_fw_nft("not-a-uuid", &nic, 1, &b2, NULL), -EINVAL);

	/* nft accepts it (check mode: nothing is applied). */
	if (access("/usr/sbin/nft", X_OK) == 0 && geteuid() == 0) {
		char cmd[128];

		fd = mkstemp(path);
		assert_true(fd >= 0);
		f = fdopen(fd, "w");
		fwrite(b.data, 1, b.len - 1, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "/usr/sbin/nft -c -f %s", path);
		assert_int_equal(system(cmd), 0);
		unlink(path);
	}
	buf_free(&b);
	buf_free(&b2);
}

/* The DNS server of a network instance fills the sets of the host ACEs of
 * the apps on it (and only those). */
static void test_dns_conf(void **st)
{
	struct ace_store s1, s2;
	Org__Lfedge__Eve__Config__ACE *aces1[1], *aces2[1];
	Org__Lfedge__Eve__Config__NetworkAdapter na1 = ORG__LFEDGE__EVE__CONFIG__NETWORK_ADAPTER__INIT,
						 na2 = na1;
	Org__Lfedge__Eve__Config__NetworkAdapter *nas[2] = {&na1, &na2};
	Org__Lfedge__Eve__Config__UUIDandVersion id = ORG__LFEDGE__EVE__CONFIG__UUIDAND_VERSION__INIT;
	Org__Lfedge__Eve__Config__AppInstanceConfig app = ORG__LFEDGE__EVE__CONFIG__APP_INSTANCE_CONFIG__INIT;
	Org__Lfedge__Eve__Config__AppInstanceConfig *apps[1] = {&app};
	Org__Lfedge__Eve__Config__EdgeDevConfig cfg = ORG__LFEDGE__EVE__CONFIG__EDGE_DEV_CONFIG__INIT;
	struct runtime rt = {.dns_resolv = "/etc/resolv.conf", .cfg = &cfg};
	char set[24], want[256];
	struct buf b;

	(void)st;
	aces1[0] = mk(&s1, NULL, "host=Example.ORG", NULL);
	na1.networkid = "e00000f1-0000-4000-8000-0000000000f1";
	na1.acls = aces1;
	na1.n_acls = 1;
	aces2[0] = mk(&s2, NULL, "host=other.org", NULL);
	na2.networkid = "e00000f2-0000-4000-8000-0000000000f2";
	na2.acls = aces2;
	na2.n_acls = 1;
	id.uuid = APP;
	app.uuidandversion = &id;
	app.interfaces = nas;
	app.n_interfaces = 2;
	cfg.apps = apps;
	cfg.n_apps = 1;
	buf_init(&b, 1 << 16);
	assert_int_equal(rt_dns_conf(&rt, na1.networkid, "10.250.9.1", "/x/dns", &b), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	rt_fw_host_set("example.org", set);
	snprintf(want, sizeof(want), "nftset=/example.org/4#bridge#eve-fw-%s#%s\n", APP, set);
	assert_non_null(strstr((char *)b.data, want));
	assert_null(strstr((char *)b.data, "other.org"));
	assert_non_null(strstr((char *)b.data, "listen-address=10.250.9.1\n"));
	assert_non_null(strstr((char *)b.data, "cache-size=0\n"));
	assert_int_equal(rt_dns_conf(&rt, na1.networkid, "10.250.9", "/x/dns", &b), -EINVAL);
	assert_int_equal(rt_dns_conf(&rt, "not-a-uuid", "10.250.9.1", "/x/dns", &b), -EINVAL);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_script),
					   cmocka_unit_test(test_dns_conf)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
