// SPDX-License-Identifier: Apache-2.0
/* Apps' ACLs as the admin API takes them (controller/app_acl.c): what is
 * accepted, and that each refusal says why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "app_acl.h"

static bool check(const char *acls_json, char *err, size_t errlen)
{
	json_t *acls = json_loads(acls_json, 0, NULL), *nets = json_pack("[s, s]", "lan", "wan");
	bool ok;

	assert_non_null(acls);
	err[0] = '\0';
	ok = app_acl_valid(acls, nets, err, errlen);
	json_decref(acls);
	json_decref(nets);
	return ok;
}

static void test_accepted(void **st)
{
	static const char *const good[] = {
	    "[]",
	    "[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"10.0.0.0/8\"}]}]",
	    "[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"fd00::1\"}]}]",
	    "[{\"network\": \"wan\", \"matches\": [{\"type\": \"host\", \"value\": \"example.org\"}]}]",
	    "[{\"network\": \"lan\", \"matches\": [{\"type\": \"protocol\", \"value\": \"tcp\"},"
	    " {\"type\": \"fport\", \"value\": \"8000-8080\"}, {\"type\": \"lport\", \"value\": \"5\"}]}]",
	    "[{\"network\": \"lan\", \"matches\": [{\"type\": \"protocol\", \"value\": \"47\"}],"
	    " \"actions\": [{\"drop\": true}]}]",
	    "[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4\"}],"
	    " \"actions\": [{\"limit\": true, \"limitrate\": 10, \"limitunit\": \"m\", \"limitburst\": 5}]}]",
	};
	char err[256];

	(void)st;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!check(good[i], err, sizeof(err)))
			fail_msg("refused %s: %s", good[i], err);
	}
}

static void test_refused(void **st)
{
	static const struct {
		const char *json, *why;
	} bad[] = {
	    {"{}", "array"},
	    {"[{\"network\": \"dmz\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4\"}]}]",
	     "networks"},
	    {"[{\"network\": \"lan\", \"matches\": []}]", "matches"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4/40\"}]}]",
	     "CIDR"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"host\", \"value\": \"a b\"}]}]", "DNS name"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"fport\", \"value\": \"80\"}]}]", "protocol"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"protocol\", \"value\": \"tcp\"},"
	     " {\"type\": \"lport\", \"value\": \"0\"}]}]",
	     "port"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"eidset\", \"value\": \"x\"}]}]",
	     "not one of"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4\"}],"
	     " \"actions\": [{\"limit\": true, \"limitrate\": 0}]}]",
	     "limitrate"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4\"}],"
	     " \"actions\": [{\"portmap\": true, \"appPort\": 80}]}]",
	     "drop"},
	    {"[{\"network\": \"lan\", \"matches\": [{\"type\": \"ip\", \"value\": \"1.2.3.4\"}], \"x\": 1}]",
	     "network"},
	};
	char err[256];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (check(bad[i].json, err, sizeof(err)))
			fail_msg("accepted %s", bad[i].json);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].json, err, bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_accepted), cmocka_unit_test(test_refused)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
