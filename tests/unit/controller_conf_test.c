// SPDX-License-Identifier: Apache-2.0
/* controller.conf: defaults, parsing, refusals, round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "fileio.h"

static char path[64];

static int write_conf(const char *text)
{
	return fileio_write_atomic(path, text, strlen(text), 0600);
}

static void test_defaults_and_parse(void **state)
{
	struct ctl_conf c;
	char err[128];
	conf_defaults(&c);
	assert_string_equal(c.listen, "0.0.0.0:8443");
	assert_int_equal(c.threads, 4);
	assert_int_equal(write_conf("# comment\nlisten = 127.0.0.1:1\n\nretention.logs_max=50\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:1");
	assert_int_equal(c.logs_max, 50);
}

static void test_refusals(void **state)
{
	struct ctl_conf c;
	char err[128];
	conf_defaults(&c);
	assert_int_equal(write_conf("nosuchkey=1\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nosuchkey"));
	assert_int_equal(write_conf("threads=0\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(write_conf("threads=4x\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(write_conf("just text\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	unlink(path);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -ENOENT);
}

static void test_roundtrip(void **state)
{
	struct ctl_conf a, b;
	char err[128];
	conf_defaults(&a);
	strcpy(a.host, "ctl.example,10.0.0.1");
	a.metrics_max = 77;
	assert_int_equal(conf_save(&a, path), 0);
	conf_defaults(&b);
	assert_int_equal(conf_load(&b, path, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/controller_conf_test.%d", (int)getpid());
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_parse),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_roundtrip),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return r;
}
