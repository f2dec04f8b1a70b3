// SPDX-License-Identifier: Apache-2.0
/* common/logfmt: key=value quoting, JSON validity, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>

#include "logfmt.h"

static const struct timespec T = {.tv_sec = 1700000000, .tv_nsec = 123456789};

static void test_kv(void **state)
{
	(void)state;
	char out[512];
	const char *f[] = {"status", "404", "path", "/a b", "skip", NULL, "q", "say \"hi\"\nnext=1", NULL};
	size_t n = logfmt_line(out, sizeof(out), LOGFMT_KV, &T, "warning", "prog", "request failed", f);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "ts=2023-11-14T22:13:20.123Z level=warning prog=prog msg=\"request failed\""
				 " status=404 path=\"/a b\" q=\"say \\\"hi\\\"\\nnext=1\"\n");
	/* empty values are quoted so the line still parses */
	const char *e[] = {"empty", "", NULL};
	logfmt_line(out, sizeof(out), LOGFMT_KV, &T, "info", "p", "m", e);
	assert_non_null(strstr(out, " empty=\"\"\n"));
}

static void test_json(void **state)
{
	(void)state;
	char out[512];
	const char *f[] = {"k", "v\x01\t\"\\", "bad key!", "x", NULL};
	logfmt_line(out, sizeof(out), LOGFMT_JSON, &T, "error", "p", "m\nm", f);
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1); /* one line */
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "m\nm");
	assert_string_equal(json_string_value(json_object_get(j, "k")), "v\x01\t\"\\");
	assert_string_equal(json_string_value(json_object_get(j, "badkey")), "x");
	assert_string_equal(json_string_value(json_object_get(j, "ts")), "2023-11-14T22:13:20.123Z");
	json_decref(j);
}

/* A value too long for the line is cut and the line stays well-formed. */
static void test_truncation(void **state)
{
	(void)state;
	char big[300], out[128];
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (size_t cap = 64; cap <= sizeof(out); cap += 7) {
		const char *f[] = {"big", big, "after", "x", NULL};
		size_t n = logfmt_line(out, cap, LOGFMT_JSON, &T, "info", "p", "m", f);
		assert_true(n < cap);
		assert_int_equal(out[n - 1], '\n');
		json_t *j = json_loads(out, 0, NULL);
		assert_non_null(j);
		json_decref(j);
		n = logfmt_line(out, cap, LOGFMT_KV, &T, "info", "p", "m", f);
		assert_true(n < cap);
		assert_int_equal(out[n - 1], '\n');
		assert_null(strstr(out, "after="));
	}
}

/* Bytes that are not UTF-8 (URLs, device names) never break a JSON line. */
static void test_bad_utf8(void **state)
{
	(void)state;
	char out[256];
	const char *f[] = {"path", "/a\xff\xc3(b\xe2\x82", "ok", "caf\xc3\xa9", NULL};
	logfmt_line(out, sizeof(out), LOGFMT_JSON, &T, "info", "p", "m", f);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/a\xef\xbf\xbd\xef\xbf\xbd(b\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(j, "ok")), "caf\xc3\xa9");
	json_decref(j);
	logfmt_line(out, sizeof(out), LOGFMT_KV, &T, "info", "p", "m", f);
	assert_non_null(strstr(out, "path=\"/a\\xff\\xc3(b\\xe2\\x82\""));
}

static void test_parse(void **state)
{
	(void)state;
	assert_int_equal(logfmt_style_parse("json"), LOGFMT_JSON);
	assert_int_equal(logfmt_style_parse("KV"), LOGFMT_KV);
	assert_int_equal(logfmt_style_parse("logfmt"), LOGFMT_KV);
	assert_int_equal(logfmt_style_parse("xml"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv),       cmocka_unit_test(test_json),  cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bad_utf8), cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
