// SPDX-License-Identifier: Apache-2.0
/* Config directory validation: each bad or missing file gives an error that
 * names it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "configdir.h"
#include "crypto.h"
#include "test_tmpdir.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static void make_cert_key(const char *cert, const char *key)
{
	char path[160];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;

	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_cert_selfsigned(k, "test", 10, &x), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, cert);
	assert_int_equal(crypto_cert_save_pem(path, x), 0);
	if (key) {
		snprintf(path, sizeof(path), "%s/%s", dir, key);
		assert_int_equal(crypto_key_save_pem(path, k), 0);
	}
	EVP_PKEY_free(k);
	X509_free(x);
}

static void expect_error(const char *file)
{
	struct configdir cd;
	char err[512] = "";

	assert_true(configdir_load(dir, &cd, err, sizeof(err)) < 0);
	if (!strstr(err, file))
		fail_msg("error '%s' does not name %s", err, file);
}

static void test_valid(void **state)
{
	struct configdir cd;
	char err[512] = "";

	put("server", "controller.local:18200\n");
	make_cert_key("root-certificate.pem", NULL);
	make_cert_key("onboard.cert.pem", "onboard.key.pem");
	put("ports", "eth0\neth1\n");
	put("proxy", "http://proxy:3128\n");
	assert_int_equal(configdir_load(dir, &cd, err, sizeof(err)), 0);
	assert_string_equal(cd.server, "controller.local:18200");
	assert_int_equal(cd.n_ports, 2);
	assert_string_equal(cd.ports[1], "eth1");
	assert_non_null(cd.onboard_cert_path);
	assert_null(cd.bootstrap_path);
	configdir_free(&cd);
}

static void test_errors(void **state)
{
	put("server", "no-port\n");
	expect_error("server");
	put("server", "host:99999");
	expect_error("server");
	put("server", "127.0.0.1:18200");

	put("root-certificate.pem", "garbage");
	expect_error("root-certificate.pem");
	rm("root-certificate.pem");
	expect_error("root-certificate.pem");
	make_cert_key("root-certificate.pem", NULL);

	rm("onboard.key.pem");
	expect_error("onboard.key.pem");
	make_cert_key("x.cert.pem", "onboard.key.pem"); /* key of another cert */
	expect_error("onboard.key.pem");
	put("onboard.cert.pem", "junk");
	expect_error("onboard.cert.pem");
	make_cert_key("onboard.cert.pem", "onboard.key.pem");

	put("proxy", "ftp://x");
	expect_error("proxy");
	rm("proxy");
	rm("server");
	expect_error("server");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_errors),
	};
	int r;

	if (test_tmpdir_make(dir, sizeof(dir), "agent_configdir") < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_tmpdir_remove(dir) < 0)
		r = r ? r : 1;
	return r;
}
