// SPDX-License-Identifier: Apache-2.0
/* download: whole file, resume from a partial file with a Range request,
 * size cap, HTTP errors, TLS with the wrong root, stall timeout, cancel.
 * Uses the test file server of the integration tests on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "download.h"
#include "err.h"
#include "runtime_https.h"
#include "test_tmpdir.h"

#define PORT 18450
#define SIZE (300 * 1024)

static char dir[64], src[128], dst[128], url[128];
static struct tsrv *srv;

static int setup(void **st)
{
	FILE *f;
	size_t i;

	if (test_tmpdir_make(dir, sizeof(dir), "rt-dl") < 0)
		return -1;
	snprintf(src, sizeof(src), "%s/blob", dir);
	snprintf(dst, sizeof(dst), "%s/out.partial", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/blob", PORT);
	f = fopen(src, "w");
	if (!f)
		return -1;
	for (i = 0; i < SIZE; i++)
		fputc((int)(i * 7 % 251), f);
	fclose(f);
	return tsrv_start(dir, PORT, NULL, NULL, &srv);
}

static int teardown(void **st)
{
	tsrv_stop(srv);
	return test_tmpdir_remove(dir) == 0 ? 0 : -1;
}

static long fsize(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static bool same_as_src(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", src, dst);
	return system(cmd) == 0;
}

static void test_whole_and_resume(void **st)
{
	struct download_opts o = {.url = url, .dest = dst};
	char err[256];
	int req, ranged;

	unlink(dst);
	assert_int_equal(download_file(&o, err, sizeof(err)), 0);
	assert_true(same_as_src());

	/* Cut the transfer half-way: an error, the partial file stays ... */
	unlink(dst);
	tsrv_set_cut(srv, SIZE / 2, 1);
	assert_int_not_equal(download_file(&o, err, sizeof(err)), 0);
	assert_int_equal(fsize(dst), SIZE / 2);
	/* ... and the next attempt asks only for the rest. */
	assert_int_equal(download_file(&o, err, sizeof(err)), 0);
	assert_true(same_as_src());
	tsrv_counts(srv, &req, &ranged);
	assert_true(ranged >= 1);

	/* Already complete: a Range past the end (416) is success. */
	assert_int_equal(download_file(&o, err, sizeof(err)), 0);
	assert_true(same_as_src());
}

static void test_cap_and_errors(void **st)
{
	struct download_opts o = {.url = url, .dest = dst, .max_size = 1000};
	char err[256], bad[160];

	unlink(dst);
	assert_int_equal(download_file(&o, err, sizeof(err)), -EVE_ETOOBIG);
	assert_non_null(strstr(err, "maxSizeBytes"));

	snprintf(bad, sizeof(bad), "http://127.0.0.1:%d/missing", PORT);
	o.url = bad;
	o.max_size = 0;
	unlink(dst);
	assert_int_equal(download_file(&o, err, sizeof(err)), -EVE_EHTTP);
	assert_non_null(strstr(err, "404"));

	/* Nothing listens there. */
	snprintf(bad, sizeof(bad), "http://127.0.0.1:%d/blob", PORT + 1);
	assert_int_equal(download_file(&o, err, sizeof(err)), -ECONNREFUSED);

	/* Only http(s). */
	o.url = "file:///etc/passwd";
	assert_int_not_equal(download_file(&o, err, sizeof(err)), 0);
}

static void test_stall_and_cancel(void **st)
{
	struct download_opts o = {.url = url, .dest = dst, .stall_secs = 1};
	atomic_int cancel = 1;
	char err[256];

	unlink(dst);
	tsrv_set_stall(srv, 4, 1);
	assert_int_equal(download_file(&o, err, sizeof(err)), -ETIMEDOUT);

	o.cancel = &cancel;
	o.stall_secs = 0;
	assert_int_equal(download_file(&o, err, sizeof(err)), -ECANCELED);
}

/* A router that gives the routes of its context, or fails. */
struct fixed_routes {
	struct download_route r[3];
	int n; /* < 0: the error to return */
	char last_url[128];
};

static int fixed(void *ctx, const char *u, struct download_route *out, size_t max, char *why, size_t wl)
{
	struct fixed_routes *f = ctx;

	snprintf(f->last_url, sizeof(f->last_url), "%s", u);
	if (f->n < 0) {
		snprintf(why, wl, "PAC: script error");
		return f->n;
	}
	for (int i = 0; i < f->n && (size_t)i < max; i++)
		out[i] = f->r[i];
	return f->n;
}

static void test_routes(void **st)
{
	struct fixed_routes f = {.r = {{.proxy = "http://127.0.0.1:1"}, {.proxy = ""}}, .n = 2};
	struct download_router router = {.routes = fixed, .ctx = &f};
	struct download_opts o = {.url = url, .dest = dst, .router = &router};
	char err[512];

	/* the first route (a proxy that refuses) fails before an answer: the
	 * second (DIRECT) fetches the file; the router saw the URL */
	unlink(dst);
	assert_int_equal(download_file(&o, err, sizeof(err)), 0);
	assert_true(same_as_src());
	assert_string_equal(f.last_url, url);

	/* every route fails: the error names each */
	unlink(dst);
	snprintf(f.r[1].proxy, sizeof(f.r[1].proxy), "http://127.0.0.1:2");
	snprintf(f.r[1].interface, sizeof(f.r[1].interface), "lo");
	assert_int_equal(download_file(&o, err, sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "http://127.0.0.1:1: "));
	assert_non_null(strstr(err, "; lo http://127.0.0.1:2: "));

	/* an HTTP answer ends the walk: a 404 is not retried on the next route */
	f.r[0].proxy[0] = f.r[1].proxy[0] = '\0';
	o.url = "http://127.0.0.1:18450/missing";
	assert_int_equal(download_file(&o, err, sizeof(err)), -EVE_EHTTP);

	/* the router's own failure (every port's PAC failed) is the error */
	f.n = -EINVAL;
	o.url = url;
	assert_int_equal(download_file(&o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "PAC: script error");
	/* no route at all */
	f.n = 0;
	assert_int_equal(download_file(&o, err, sizeof(err)), -ENETUNREACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_and_resume),
	    cmocka_unit_test(test_cap_and_errors),
	    cmocka_unit_test(test_stall_and_cancel),
	    cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
