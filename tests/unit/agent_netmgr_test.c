// SPDX-License-Identifier: Apache-2.0
/* Management port memory: the port that last reached the controller is
 * persisted in the state dir (atomically, only when it changes) and a new
 * netmgr (an agent restart) starts with it; a bad file is refused and
 * ignored; proposed settings and rollbacks start at it too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "netmgr.h"
#include "test_tmpdir.h"

static char dir[64];

static const struct netmgr_setting two = {.n_ports = 2,
					  .ports = {{.name = "nosuch0"}, {.name = "lo", .cost = 1}}};

static void port_file(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", dir, name);
	unlink(path);
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(fileio_write_atomic(path, text, strlen(text), 0600), 0);
}

/* The text of path, or "" when it is missing. */
static void read_file(const char *path, char *out, size_t len)
{
	uint8_t *d = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (fileio_read(path, 256, &d, &n) == 0)
		snprintf(out, len, "%s", (char *)d);
	free(d);
}

static void test_port_survives_restart(void **state)
{
	struct netmgr *nm = NULL;
	char path[128], text[64];
	struct stat st;

	port_file(path, sizeof(path), "restart");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 0); /* no file yet */
	assert_string_equal(netmgr_port(nm), "nosuch0");
	assert_int_equal(netmgr_report(nm, false, 0), 0); /* nosuch0 failed: next port */
	assert_string_equal(netmgr_port(nm), "lo");
	read_file(path, text, sizeof(text));
	assert_string_equal(text, ""); /* nothing worked yet */
	assert_int_equal(netmgr_report(nm, true, 10), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "lo\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	netmgr_free(nm);

	/* Restart: the remembered port is used first. */
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 1);
	assert_string_equal(netmgr_port(nm), "lo");
	/* It fails now; the other one works: the file follows. */
	assert_int_equal(netmgr_report(nm, false, 0), 0);
	assert_string_equal(netmgr_port(nm), "nosuch0");
	assert_int_equal(netmgr_report(nm, true, 10), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "nosuch0\n");
	netmgr_free(nm);
}

/* Written only when the working port changes, not on each request. */
static void test_written_on_change_only(void **state)
{
	struct netmgr *nm = NULL;
	char path[128], text[64];

	port_file(path, sizeof(path), "change");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 0);
	assert_int_equal(netmgr_report(nm, true, 0), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "nosuch0\n");
	write_file(path, "marker\n"); /* a rewrite would replace it */
	assert_int_equal(netmgr_report(nm, true, 10), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "marker\n");
	netmgr_free(nm);
}

static void test_bad_file_ignored(void **state)
{
	static const char *const bad[] = {"",      "\n",       "much-too-long-port-name\n",
					  "a b\n", "../etc\n", "x\001y\n"};
	struct netmgr *nm = NULL;
	char path[128], text[64], big[200];

	port_file(path, sizeof(path), "bad");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
		assert_true(netmgr_persist(nm, path) < 0);
		assert_string_equal(netmgr_port(nm), "nosuch0");
		netmgr_free(nm);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(path, big);
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), -EVE_ETOOBIG);
	assert_string_equal(netmgr_port(nm), "nosuch0");
	/* ... and replaced by the next port that works. */
	netmgr_report(nm, false, 0);
	assert_int_equal(netmgr_report(nm, true, 10), 0);
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "lo\n");
	netmgr_free(nm);

	/* A remembered port the setting does not have: its first port. */
	write_file(path, "eth7\n");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 0);
	assert_string_equal(netmgr_port(nm), "nosuch0");
	netmgr_free(nm);
}

/* A write that fails is reported; the port is still used. */
static void test_unwritable(void **state)
{
	struct netmgr *nm = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/nosuchdir/port", dir);
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 0);
	assert_true(netmgr_report(nm, true, 0) < 0);
	assert_string_equal(netmgr_port(nm), "nosuch0");
	assert_int_equal(netmgr_report(nm, true, 10), 0); /* not retried on each request */
	netmgr_free(nm);
}

/* Proposed settings and rollbacks start at the remembered port too. */
static void test_propose_and_rollback(void **state)
{
	struct netmgr_setting b = {.n_ports = 2, .ports = {{.name = "eth9"}, {.name = "lo", .cost = 1}}};
	struct netmgr *nm = NULL;
	char path[128];

	port_file(path, sizeof(path), "propose");
	write_file(path, "lo\n");
	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &two, &nm), 0);
	assert_int_equal(netmgr_persist(nm, path), 1);
	assert_false(netmgr_on_trial(nm));
	assert_int_equal(netmgr_propose(nm, &b, 0, 1000), 1);
	assert_true(netmgr_on_trial(nm));
	assert_string_equal(netmgr_port(nm), "lo");
	netmgr_report(nm, false, 100);
	assert_string_equal(netmgr_port(nm), "eth9");
	assert_true(netmgr_tick(nm, 1000)); /* nothing reached: rolled back ... */
	assert_false(netmgr_on_trial(nm));
	assert_string_equal(netmgr_port(nm), "lo"); /* ... at the port that worked */
	/* A new setting that reaches the controller ends its trial. */
	strcpy(b.ports[0].name, "eth8");
	assert_int_equal(netmgr_propose(nm, &b, 2000, 1000), 1);
	assert_string_equal(netmgr_port(nm), "lo");
	assert_int_equal(netmgr_report(nm, true, 2100), 0);
	assert_false(netmgr_on_trial(nm));
	assert_false(netmgr_tick(nm, 5000));
	assert_string_equal(netmgr_port(nm), "lo");
	netmgr_free(nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_survives_restart), cmocka_unit_test(test_written_on_change_only),
	    cmocka_unit_test(test_bad_file_ignored),      cmocka_unit_test(test_unwritable),
	    cmocka_unit_test(test_propose_and_rollback),
	};
	int r;

	if (test_tmpdir_make(dir, sizeof(dir), "agent_netmgr") < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_tmpdir_remove(dir) < 0)
		r = r ? r : 1;
	return r;
}
