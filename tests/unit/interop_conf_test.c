// SPDX-License-Identifier: Apache-2.0
/* controller.conf: the interoperability switches (boolean keys). */
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

static void test_bools(void **state)
{
	struct ctl_conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.strict_pem, 0);
	assert_int_equal(c.require_itoken, 0);
	assert_int_equal(write_conf("register.strict_pem = true\nconfig.require_integrity_token=1\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.strict_pem, 1);
	assert_int_equal(c.require_itoken, 1);
	assert_int_equal(write_conf("register.strict_pem=false\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.strict_pem, 0);
	/* anything else is refused, with the line */
	assert_int_equal(write_conf("register.strict_pem=yes\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(write_conf("config.require_integrity_token=2\n"), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -EINVAL);
}

static void test_round_trip(void **state)
{
	struct ctl_conf a, b;
	char err[128];
	uint8_t *text = NULL;
	size_t len;

	(void)state;
	conf_defaults(&a);
	a.strict_pem = 1;
	assert_int_equal(conf_save(&a, path), 0);
	assert_int_equal(fileio_read(path, 1 << 16, &text, &len), 0);
	assert_non_null(strstr((char *)text, "register.strict_pem=true\n"));
	assert_non_null(strstr((char *)text, "config.require_integrity_token=false\n"));
	free(text);
	conf_defaults(&b);
	assert_int_equal(conf_load(&b, path, err, sizeof(err)), 0);
	assert_int_equal(b.strict_pem, 1);
	assert_int_equal(b.require_itoken, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bools),
	    cmocka_unit_test(test_round_trip),
	};
	int r;

	snprintf(path, sizeof(path), "/tmp/interop_conf.%d", (int)getpid());
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return r;
}
