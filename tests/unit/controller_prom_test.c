// SPDX-License-Identifier: Apache-2.0
/* controller/prom, ctlmetrics, scrapeauth: exposition text, histogram
 * buckets, route indexes, CIDR and token checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "crypto.h"
#include "ctlmetrics.h"
#include "devcache.h"
#include "p256.h"
#include "fileio.h"
#include "http.h"
#include "prom.h"
#include "scrapeauth.h"

static void test_sample_escaping(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	const char *l[] = {"a", "x\"y\\z\nw", "b", "", NULL};
	assert_int_equal(prom_sample(&b, "m", l, 1.5), 0);
	assert_int_equal(prom_sample(&b, "n", NULL, 3), 0);
	assert_string_equal((char *)b.data, "m{a=\"x\\\"y\\\\z\\nw\",b=\"\"} 1.5\nn 3\n");
	/* a device's bytes that are not UTF-8 become '?' */
	buf_reset(&b);
	const char *u[] = {"if", "e\xffth\xc3\xa9\xc3", NULL};
	assert_int_equal(prom_sample(&b, "m", u, 1), 0);
	assert_string_equal((char *)b.data, "m{if=\"e?th\xc3\xa9?\"} 1\n");
	buf_free(&b);
}

static void test_histogram(void **state)
{
	(void)state;
	struct prom_hist h;
	memset(&h, 0, sizeof(h));
	prom_hist_observe(&h, 100);      /* <= 0.5 ms */
	prom_hist_observe(&h, 1000);     /* == 1 ms: in le=0.001 */
	prom_hist_observe(&h, 99000000); /* +Inf */
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(prom_hist_write(&b, "h", NULL, &h), 0);
	const char *t = (char *)b.data;
	assert_non_null(strstr(t, "h_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(t, "h_bucket{le=\"0.001\"} 2\n"));
	assert_non_null(strstr(t, "h_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(t, "h_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(t, "h_count 3\n"));
	assert_non_null(strstr(t, "h_sum 99.0011\n"));
	buf_free(&b);
}

static void h_nop(struct http_req *r)
{
	(void)r;
}

static const struct http_route t1[] = {
    {"GET", "/api/v2/edgedevice/id/*/config", h_nop, 0, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
static const struct http_route t2[] = {
    {"GET", "/api/v1/apps", h_nop, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", "/api/v1/apps", h_nop, 0, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

static void test_ctlmetrics(void **state)
{
	(void)state;
	const struct http_route *const tables[] = {t1, t2, NULL};
	struct ctlmetrics *m = NULL;
	assert_int_equal(ctlmetrics_new(tables, &m), 0);
	assert_int_equal(ctlmetrics_routes(m), 3);
	assert_int_equal(ctlmetrics_table_base(m, 1), 1);
	for (int i = 0; i < 5; i++)
		ctlmetrics_request(m, 0, 304, 50);
	ctlmetrics_request(m, 2, 201, 2000);
	ctlmetrics_request(m, 2, 422, 10);
	ctlmetrics_request(m, SIZE_MAX, 404, 10); /* unmatched */
	ctlmetrics_fanout(m, 1500);
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(ctlmetrics_write(m, &b), 0);
	const char *t = (char *)b.data;
	assert_non_null(
	    strstr(t, "eve_controller_http_requests_total{api=\"device\",route=\"/api/v2/edgedevice/id/"
		      "{id}/config\",method=\"GET\",code=\"304\"} 5\n"));
	assert_non_null(strstr(
	    t, "eve_controller_http_requests_total{api=\"admin\",route=\"/api/v1/apps\",method=\"POST\",code="
	       "\"201\"} 1\n"));
	assert_non_null(strstr(
	    t, "eve_controller_http_requests_total{api=\"admin\",route=\"/api/v1/apps\",method=\"POST\",code="
	       "\"4xx\"} 1\n"));
	assert_non_null(strstr(t, "route=\"unmatched\""));
	/* the GET /api/v1/apps route saw nothing: no series */
	assert_null(strstr(t, "route=\"/api/v1/apps\",method=\"GET\""));
	assert_non_null(strstr(t, "eve_controller_config_fanout_seconds_count 1\n"));
	assert_non_null(strstr(t, "eve_controller_config_fanout_seconds_bucket{le=\"2.5\"} 1\n"));
	buf_free(&b);
	ctlmetrics_free(m);
}

static struct sockaddr_storage addr(const char *s)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, s, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
	}
	return ss;
}

static bool allowed(struct scrapeauth *a, const char *ip, const char *hdr)
{
	struct sockaddr_storage ss = addr(ip);
	return scrapeauth_check(a, (struct sockaddr *)&ss, hdr);
}

static void test_scrapeauth(void **state)
{
	(void)state;
	char err[128], path[64];
	struct scrapeauth *a = NULL;
	bool has = true;
	snprintf(path, sizeof(path), "/tmp/controller_prom_test.%d", (int)getpid());
	unlink(path);
	assert_int_equal(scrapeauth_new("10.1.0.0/16, 127.0.0.1,fd00::/8", path, &a, &has, err, sizeof(err)),
			 0);
	assert_false(has); /* missing file: no token */
	assert_true(allowed(a, "10.1.200.3", NULL));
	assert_false(allowed(a, "10.2.0.1", NULL));
	assert_true(allowed(a, "127.0.0.1", NULL));
	assert_false(allowed(a, "127.0.0.2", NULL));
	assert_true(allowed(a, "::ffff:10.1.0.9", NULL)); /* v4-mapped */
	assert_true(allowed(a, "fd12::1", NULL));
	assert_false(allowed(a, "fe80::1", "Bearer x"));
	scrapeauth_free(a);

	assert_int_equal(scrapeauth_token_create(path), 0);
	uint8_t *tok = NULL;
	size_t len;
	assert_int_equal(fileio_read(path, 4096, &tok, &len), 0);
	assert_int_equal(len, 45);
	tok[44] = 0;
	char hdr[80];
	snprintf(hdr, sizeof(hdr), "Bearer %s", (char *)tok);
	assert_int_equal(scrapeauth_new("", path, &a, &has, err, sizeof(err)), 0);
	assert_true(has);
	assert_true(allowed(a, "192.0.2.1", hdr));
	hdr[10] ^= 1;
	assert_false(allowed(a, "192.0.2.1", hdr));
	assert_false(allowed(a, "192.0.2.1", NULL));
	assert_false(allowed(a, "192.0.2.1", "Bearer "));
	scrapeauth_free(a);
	free(tok);
	unlink(path);

	assert_int_equal(scrapeauth_new("10.0.0.0/33", NULL, &a, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.0.0.0/33"));
	assert_int_equal(scrapeauth_new("nonsense", NULL, &a, NULL, err, sizeof(err)), -EINVAL);
}

/* Fan-out lag: the first invalidation is remembered until taken once. */
static void test_fanout_pending(void **state)
{
	(void)state;
	struct devcache *c = NULL;
	EVP_PKEY *k = NULL;
	uint8_t h[32] = {1, 2, 3};
	const char *u = "11111111-2222-3333-4444-555555555555";
	assert_int_equal(devcache_new(&c), 0);
	uint8_t pt[P256_POINT_LEN];
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(p256_point_of_pkey(k, pt), 0);
	assert_int_equal(devcache_add(c, h, u, pt, 0), 0);
	assert_int_equal(devcache_take_changed(c, u), 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	devcache_invalidate(c, u);
	devcache_invalidate(c, u); /* the first change counts */
	int64_t t = devcache_take_changed(c, u);
	assert_true(t >= before && t <= before + 5000);
	assert_int_equal(devcache_take_changed(c, u), 0);
	devcache_invalidate(c, NULL);
	assert_true(devcache_take_changed(c, u) > 0);
	assert_int_equal(devcache_take_changed(c, "nope"), 0);
	EVP_PKEY_free(k);
	devcache_free(c);
}

/* The new keys have their documented defaults and the example file parses. */
static void test_conf(void **state)
{
	(void)state;
	struct ctl_conf c;
	char err[128];
	conf_defaults(&c);
	assert_string_equal(c.log_format, "kv");
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.metrics_allow, "127.0.0.1/32,::1/128");
	assert_string_equal(c.metrics_token_file, "metrics-token");
	assert_int_equal(c.offline_after, 180);
	assert_int_equal(c.health_min_free_mb, 256);
	assert_int_equal(conf_load(&c, EVE_SRC_DIR "/examples/controller.conf", err, sizeof(err)), 0);
	assert_string_equal(c.log_format, "kv");
	assert_int_equal(c.fleet_max_devices, 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_escaping), cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_ctlmetrics),      cmocka_unit_test(test_scrapeauth),
	    cmocka_unit_test(test_fanout_pending),  cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
