// SPDX-License-Identifier: Apache-2.0
/* registry: image references as EVE builds them (fqdn + "/" + URL). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "registry.h"

#define HEX "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static void test_parse_ok(void **st)
{
	struct registry_ref r;

	(void)st;
	assert_int_equal(registry_ref_parse("docker://reg.example.org:5000/team/web:1.2", &r), 0);
	assert_false(r.plain_http);
	assert_string_equal(r.host, "reg.example.org:5000");
	assert_string_equal(r.repo, "team/web");
	assert_string_equal(r.tag, "1.2");
	assert_string_equal(r.digest, "");

	assert_int_equal(registry_ref_parse("oci://127.0.0.1:19401/a/b", &r), 0);
	assert_string_equal(r.tag, "latest");

	assert_int_equal(registry_ref_parse("http://127.0.0.1:5000/x@sha256:" HEX, &r), 0);
	assert_true(r.plain_http);
	assert_string_equal(r.repo, "x");
	assert_string_equal(r.digest, HEX);

	assert_int_equal(registry_ref_parse("docker://docker.io/nginx:1.25", &r), 0);
	assert_string_equal(r.host, "registry-1.docker.io");
	assert_string_equal(r.repo, "library/nginx");
	assert_string_equal(r.tag, "1.25");
}

static void test_parse_bad(void **st)
{
	struct registry_ref r;
	static const char *const bad[] = {
	    "",
	    "ftp://host/x",
	    "docker://host",
	    "docker:///x",
	    "docker://host/UPPER",
	    "docker://host/a/../b",
	    "docker://host/a//b",
	    "docker://host/a:t@sha256:zz",
	    "docker://host/a:-bad",
	    "docker://ho st/a",
	    "docker://host/a/",
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(registry_ref_parse(bad[i], &r), -EINVAL);
	assert_int_equal(registry_ref_parse(NULL, &r), -EINVAL);
}

static void test_platform(void **st)
{
	char arch[16], variant[8];

	(void)st;
	registry_platform(arch, variant);
	assert_true(arch[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_platform),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
