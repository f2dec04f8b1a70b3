// SPDX-License-Identifier: Apache-2.0
/* Info queue (latest state per object, survives restarts, delivered when
 * online), log shipper (gzip JSON lines, quota, delete only after 2xx) and
 * the network setting rollback rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "infoqueue.h"
#include "logship.h"
#include "netmgr.h"
#include "test_tmpdir.h"

static char dir[64];

struct sink {
	int fail_after; /* deliveries before failing; -1 never */
	int n;
	char last[4096];
	size_t last_len;
	char app[64];
};

static int sink_send(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;

	if (s->fail_after >= 0 && s->n >= s->fail_after)
		return -ECONNREFUSED;
	s->n++;
	s->last_len = len < sizeof(s->last) ? len : sizeof(s->last) - 1;
	memcpy(s->last, data, s->last_len);
	snprintf(s->app, sizeof(s->app), "%s", key ? key : "");
	return 0;
}

static void test_infoqueue(void **state)
{
	struct infoqueue *q = NULL;
	struct sink s = {.fail_after = 0};

	assert_int_equal(infoqueue_new(dir, &q), 0);
	assert_int_equal(infoqueue_put(q, "app-1", (const uint8_t *)"v1", 2), 0);
	assert_int_equal(infoqueue_put(q, "app-1", (const uint8_t *)"v2", 2), 0);
	assert_int_equal(infoqueue_put(q, "device", (const uint8_t *)"d1", 2), 0);
	assert_int_equal(infoqueue_put(q, "../evil", (const uint8_t *)"x", 1), -EINVAL);
	/* Offline: nothing delivered, nothing lost. */
	assert_int_equal(infoqueue_flush(q, sink_send, &s), -ECONNREFUSED);
	assert_int_equal(infoqueue_count(q), 2);
	infoqueue_free(q);
	/* A restart keeps the queue; online: latest state only. */
	assert_int_equal(infoqueue_new(dir, &q), 0);
	s.fail_after = -1;
	assert_int_equal(infoqueue_flush(q, sink_send, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(infoqueue_count(q), 0);
	infoqueue_free(q);
}

static int log_send(void *ctx, const char *app, const uint8_t *gz, size_t len)
{
	return sink_send(ctx, app, gz, len);
}

static void gunzip(const char *in, size_t len, char *out, size_t outlen)
{
	z_stream zs = {0};

	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)outlen - 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	out[zs.total_out] = '\0';
	inflateEnd(&zs);
}

static void test_logship(void **state)
{
	const char *app = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";
	struct logship *ls = NULL;
	struct sink s = {.fail_after = 0};
	char text[8192];

	assert_int_equal(logship_new(dir, 1 << 20, &ls), 0);
	logship_set_meta(ls, "6ba7b811-9dad-41d1-80b4-00c04fd430c8", "1.0");
	assert_int_equal(logship_add(ls, NULL, "INFO", "eve-agent", "hello \"world\""), 0);
	assert_int_equal(logship_add(ls, app, "INFO", "guest_vm", "console line"), 0);
	assert_int_equal(logship_add(ls, "not-a-uuid", "INFO", "x", "y"), -EINVAL);
	assert_int_equal(logship_rotate(ls), 0);
	assert_true(logship_pending_bytes(ls) > 0);
	/* Failed upload keeps the files. */
	assert_int_equal(logship_upload(ls, log_send, &s), -ECONNREFUSED);
	assert_true(logship_pending_bytes(ls) > 0);
	s.fail_after = -1;
	assert_int_equal(logship_upload(ls, log_send, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(logship_pending_bytes(ls), 0);
	/* The last file was the app's: gzip of JSON lines. */
	assert_string_equal(s.app, app);
	gunzip(s.last, s.last_len, text, sizeof(text));
	assert_non_null(strstr(text, "console line"));
	assert_non_null(strstr(text, "guest_vm"));
	logship_free(ls);
}

static void test_logship_quota(void **state)
{
	struct logship *ls = NULL;
	char line[512];

	assert_int_equal(logship_new(dir, 16 * 1024, &ls), 0);
	for (int i = 0; i < 3000; i++) {
		for (size_t j = 0; j + 1 < sizeof(line); j++)
			line[j] = (char)('a' + (rand() % 26));
		line[sizeof(line) - 1] = '\0';
		logship_add(ls, NULL, "INFO", "eve-agent", line);
	}
	logship_rotate(ls);
	assert_true(logship_pending_bytes(ls) <= 16 * 1024);
	logship_free(ls);
}

static void test_netmgr_rollback(void **state)
{
	struct netmgr_setting a = {.n_ports = 1, .ports = {{.name = "eth0"}}},
			      b = {.n_ports = 1, .ports = {{.name = "eth9"}}};
	struct netmgr *nm = NULL;

	assert_int_equal(netmgr_new("127.0.0.1:1", "/nonexistent", &a, &nm), 0);
	netmgr_report(nm, true, 0);
	assert_int_equal(netmgr_propose(nm, &a, 0, 1000), 0); /* same: nothing to do */
	assert_int_equal(netmgr_propose(nm, &b, 0, 1000), 1);
	assert_string_equal(netmgr_port(nm), "eth9");
	netmgr_report(nm, false, 500);
	assert_false(netmgr_tick(nm, 900));
	assert_true(netmgr_tick(nm, 1000)); /* trial over: back to eth0 */
	assert_string_equal(netmgr_port(nm), "eth0");
	assert_int_equal(netmgr_propose(nm, &b, 2000, 1000), 0); /* rejected one is not retried */
	/* A setting that works is kept. */
	strcpy(b.ports[0].name, "eth1");
	assert_int_equal(netmgr_propose(nm, &b, 3000, 1000), 1);
	netmgr_report(nm, true, 3100);
	assert_false(netmgr_tick(nm, 9000));
	assert_string_equal(netmgr_port(nm), "eth1");
	netmgr_free(nm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_infoqueue),
	    cmocka_unit_test(test_logship),
	    cmocka_unit_test(test_logship_quota),
	    cmocka_unit_test(test_netmgr_rollback),
	};
	int r;

	if (test_tmpdir_make(dir, sizeof(dir), "agent_queues") < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_tmpdir_remove(dir) < 0)
		r = r ? r : 1;
	return r;
}
