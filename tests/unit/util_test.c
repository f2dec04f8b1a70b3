// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the small common modules: err, buf, fileio, b64, uuidgen,
 * hexstr. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "err.h"
#include "fileio.h"
#include "gzip.h"
#include "hexstr.h"
#include "hostport.h"
#include "ipnet.h"
#include "test_tmpdir.h"
#include "uuidgen.h"

/* ---- err ---- */

static void test_strerror(void **state)
{
	assert_string_equal(eve_strerror(-EVE_EBADSIG), "signature does not verify");
	assert_string_equal(eve_strerror(-EVE_ETOOBIG), "input larger than its size cap");
	assert_non_null(strstr(eve_strerror(-ENOENT), "No such file"));
	assert_string_equal(eve_strerror(0), "success");
	assert_non_null(eve_strerror(-99999));
	assert_non_null(eve_strerror(-(EVE_ETOOBIG + 1)));
}

/* ---- buf ---- */

static void test_buf_cap(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "abcd", 4), 0);
	assert_int_equal(buf_append(&b, "efgh", 4), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdefgh", 9); /* NUL-terminated */
	/* One byte over the cap: refused, contents unchanged. */
	assert_int_equal(buf_append(&b, "i", 1), -EVE_ETOOBIG);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdefgh", 9);
	assert_int_equal(buf_printf(&b, "%d", 1), -EVE_ETOOBIG);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdefgh", 9);
	/* SIZE_MAX cannot wrap the length check. */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -EVE_ETOOBIG);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&b, "%s-%d", "ab", 42), 0);
	assert_string_equal((char *)b.data, "ab-42");
	buf_free(&b);
	buf_free(&b); /* twice is safe */
}

static void test_buf_grow_steal(void **state)
{
	struct buf b;
	uint8_t chunk[1000];
	uint8_t *p;
	size_t len = 0;

	memset(chunk, 'z', sizeof(chunk));
	buf_init(&b, 1u << 20);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[b.len], 0);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	p = buf_steal(&b, &len);
	assert_int_equal(len, 100000);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	/* An empty buffer can still be used after steal. */
	assert_int_equal(buf_append(&b, "q", 1), 0);
	assert_string_equal((char *)b.data, "q");
	buf_free(&b);
}

/* ---- fileio ---- */

static char *tmpdir_make(void)
{
	char d[PATH_MAX];

	assert_int_equal(test_tmpdir_make(d, sizeof(d), "eve-util"), 0);
	return strdup(d);
}

static void rm_rf(const char *dir)
{
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_fileio_atomic(void **state)
{
	char *dir = tmpdir_make();
	char path[256];
	uint8_t *data = NULL;
	size_t len = 0;
	struct stat st;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(fileio_write_atomic(path, "hello", 5, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fileio_read(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal((char *)data, "hello");
	free(data);
	/* Replace with another mode and content; no temp file stays. */
	assert_int_equal(fileio_write_atomic(path, "bye", 3, 0644), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(fileio_read(path, 3, &data, &len), 0);
	assert_string_equal((char *)data, "bye");
	free(data);
	assert_int_equal(count_entries(dir), 1);
	/* Empty files work too. */
	assert_int_equal(fileio_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(fileio_read(path, 0, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal((char *)data, "");
	free(data);
	rm_rf(dir);
	free(dir);
}

static void test_fileio_read_limits(void **state)
{
	char *dir = tmpdir_make();
	char path[256];
	uint8_t *data = NULL, big[10000];
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(fileio_read(path, 100, &data, &len), -ENOENT);
	memset(big, 'a', sizeof(big));
	assert_int_equal(fileio_write_atomic(path, big, sizeof(big), 0600), 0);
	assert_int_equal(fileio_read(path, sizeof(big) - 1, &data, &len), -EVE_ETOOBIG);
	assert_int_equal(fileio_read(path, sizeof(big), &data, &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(data, big, sizeof(big));
	free(data);
	rm_rf(dir);
	free(dir);
}

/* Rename onto a directory fails after the temp file was written: the
 * temp file must be gone and the target untouched. */
static void test_fileio_rename_fails(void **state)
{
	char *dir = tmpdir_make();
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(fileio_write_atomic(path, "x", 1, 0600) < 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(dir), 1);
	rm_rf(dir);
	free(dir);
}

/* Write into a directory we may not write: fails, old file intact. Root
 * ignores permissions, so the attempt runs in a child as "nobody". */
static void test_fileio_unwritable_dir(void **state)
{
	char *dir = tmpdir_make();
	char path[256];
	uint8_t *data = NULL;
	size_t len = 0;
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(fileio_write_atomic(path, "old", 3, 0644), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() != 0 && chmod(dir, 0555) < 0)
			_exit(101);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(100);
		_exit(fileio_write_atomic(path, "new", 3, 0644) == -EACCES ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fileio_read(path, 100, &data, &len), 0);
	assert_string_equal((char *)data, "old");
	free(data);
	assert_int_equal(count_entries(dir), 1);
	chmod(dir, 0755);
	rm_rf(dir);
	free(dir);
}

static void test_fileio_mkdirs(void **state)
{
	char *dir = tmpdir_make();
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(fileio_mkdirs(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fileio_mkdirs(path, 0700), 0); /* exists: fine */
	assert_int_equal(fileio_sync_dir(path), 0);
	snprintf(path, sizeof(path), "%s/a/file", dir);
	assert_int_equal(fileio_write_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(fileio_mkdirs(path, 0700), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/a/file/sub", dir);
	assert_int_equal(fileio_mkdirs(path, 0700), -ENOTDIR);
	rm_rf(dir);
	free(dir);
}

/* ---- b64 ---- */

static void test_b64_vectors(void **state)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = b64_encode((const uint8_t *)v[i].plain, strlen(v[i].plain));
		uint8_t *d = NULL;
		size_t n = 0;

		assert_non_null(e);
		assert_string_equal(e, v[i].enc);
		assert_int_equal(b64_decode(e, strlen(e), &d, &n), 0);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(d, v[i].plain, n);
		free(e);
		free(d);
	}
}

static void test_b64_roundtrip_binary(void **state)
{
	uint8_t in[256], *out = NULL;
	size_t n = 0;

	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	for (size_t len = 0; len <= sizeof(in); len += 17) {
		char *e = b64_encode(in, len);

		assert_non_null(e);
		assert_int_equal(b64_decode(e, strlen(e), &out, &n), 0);
		assert_int_equal(n, len);
		if (len)
			assert_memory_equal(out, in, len);
		free(out);
		free(e);
	}
}

static void test_b64_whitespace_and_bad(void **state)
{
	static const char *bad[] = {"Zg=",  "Zg",      "Z===",      "Zm9v!",      "Zg==Zg==", "=Zg=",
				    "Zm=v", "Zm9vYg=", "Zm9vYmFy=", "\x80\x81==", "Zg=a"};
	uint8_t *out = (uint8_t *)"sentinel";
	size_t n = 0;

	assert_int_equal(b64_decode("Zm9v\nYmFy\r\n", 11, &out, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	free(out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *o = NULL;

		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), &o, &n), -EINVAL);
		assert_null(o);
	}
	/* The length bounds the read: a NUL or data past len is not input. */
	assert_int_equal(b64_decode("Zm9vXXXX", 4, &out, &n), 0);
	assert_int_equal(n, 3);
	free(out);
}

/* ---- uuidgen ---- */

/* host:port for URLs and the device's server file: IPv6 in brackets. */
static void test_hostport(void **state)
{
	char out[64];
	const char *list = "fd00:1::2,ctl.example";

	(void)state;
	assert_int_equal(hostport_join("ctl.example", 11, "8443", out, sizeof(out)), 0);
	assert_string_equal(out, "ctl.example:8443");
	assert_int_equal(hostport_join("10.1.2.3", 8, "1", out, sizeof(out)), 0);
	assert_string_equal(out, "10.1.2.3:1");
	/* the first of a --host list, a bare IPv6 address: bracketed */
	assert_int_equal(hostport_join(list, strcspn(list, ","), "8443", out, sizeof(out)), 0);
	assert_string_equal(out, "[fd00:1::2]:8443");
	assert_int_equal(hostport_join("::1", 3, "80", out, sizeof(out)), 0);
	assert_string_equal(out, "[::1]:80");
	/* already in brackets: kept */
	assert_int_equal(hostport_join("[fd00::2]", 9, "80", out, sizeof(out)), 0);
	assert_string_equal(out, "[fd00::2]:80");
	/* refused: empty host or port, unbalanced or empty brackets, no room */
	assert_int_equal(hostport_join("", 0, "80", out, sizeof(out)), -EINVAL);
	assert_int_equal(hostport_join("a", 1, "", out, sizeof(out)), -EINVAL);
	assert_int_equal(hostport_join("[fd00::2", 8, "80", out, sizeof(out)), -EINVAL);
	assert_int_equal(hostport_join("fd00::2]", 8, "80", out, sizeof(out)), -EINVAL);
	assert_int_equal(hostport_join("[]", 2, "80", out, sizeof(out)), -EINVAL);
	assert_int_equal(hostport_join("fd00::2", 7, "8443", out, 14), -ENAMETOOLONG);
	assert_int_equal(hostport_join("fd00::2", 7, "8443", out, 15), 0);
	assert_string_equal(out, "[fd00::2]:8443");

	/* one host:port to write into a URL as it is */
	assert_int_equal(hostport_check("ctl-b.example:8443"), 0);
	assert_int_equal(hostport_check("10.1.2.3:1"), 0);
	assert_int_equal(hostport_check("[fd00::2]:65535"), 0);
	assert_int_equal(hostport_check("[::ffff:10.0.0.1]:80"), 0);
	const char *bad[] = {"",
			     "ctl.example",
			     "ctl.example:",
			     ":8443",
			     "ctl.example:0",
			     "ctl.example:65536",
			     "ctl.example:+80",
			     "ctl.example: 80",
			     "ctl.example:8443/x",
			     "ctl.example:8443:1",
			     "https://ctl.example:8443",
			     "user@ctl.example:8443",
			     "ctl example:8443",
			     "fd00::2:8443",
			     "[fd00::2]8443",
			     "[fd00::2:8443",
			     "[]:8443",
			     "[ctl.example]:8443",
			     "ctl.example:0000080"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hostport_check(bad[i]) != -EINVAL)
			fail_msg("hostport_check accepted \"%s\"", bad[i]);
}

/* address/prefix strings, IPv4 and IPv6 */
static void test_ipnet(void **state)
{
	char out[64];

	(void)state;
	assert_true(ipnet_cidr_ok("10.1.2.3/24"));
	assert_true(ipnet_cidr_ok("fd66:1::10/64"));
	assert_true(ipnet_cidr_ok("::1/128"));
	assert_false(ipnet_cidr_ok("10.1.2.3"));
	assert_false(ipnet_cidr_ok("10.1.2.3/33"));
	assert_false(ipnet_cidr_ok("10.1.2.3/0"));
	assert_false(ipnet_cidr_ok("10.1.2.3/+8"));
	assert_false(ipnet_cidr_ok("10.1.2.3/ 8"));
	assert_false(ipnet_cidr_ok("fd66::1/129"));
	assert_false(ipnet_cidr_ok("fd66::g/64"));
	assert_false(ipnet_cidr_ok("/24"));
	assert_int_equal(ipnet_network("10.1.2.3/24", out, sizeof(out)), 0);
	assert_string_equal(out, "10.1.2.0/24");
	assert_int_equal(ipnet_network("10.1.2.3/32", out, sizeof(out)), 0);
	assert_string_equal(out, "10.1.2.3/32");
	assert_int_equal(ipnet_network("10.1.255.3/20", out, sizeof(out)), 0);
	assert_string_equal(out, "10.1.240.0/20");
	assert_int_equal(ipnet_network("fd66:1::10/64", out, sizeof(out)), 0);
	assert_string_equal(out, "fd66:1::/64");
	assert_int_equal(ipnet_network("fd66:1:2:3:4:5:6:7/52", out, sizeof(out)), 0);
	assert_string_equal(out, "fd66:1:2::/52");
	assert_int_equal(ipnet_network("nope/8", out, sizeof(out)), -EINVAL);
	assert_int_equal(ipnet_network("fd66:1::10/64", out, 8), -ENAMETOOLONG);
}

static void test_uuid(void **state)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN];

	assert_int_equal(uuidgen_v4(a), 0);
	assert_int_equal(uuidgen_v4(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_true(uuidgen_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');           /* version */
	assert_non_null(strchr("89ab", a[19])); /* variant */
	for (size_t i = 0; i < 36; i++)
		assert_true(a[i] == '-' || strchr("0123456789abcdef", a[i]));
	assert_true(uuidgen_valid("123e4567-E89B-12d3-a456-426614174000"));
	assert_false(uuidgen_valid(NULL));
	assert_false(uuidgen_valid(""));
	assert_false(uuidgen_valid("123e4567-e89b-12d3-a456-42661417400"));
	assert_false(uuidgen_valid("123e4567-e89b-12d3-a456-4266141740000"));
	assert_false(uuidgen_valid("123e4567xe89b-12d3-a456-426614174000"));
	assert_false(uuidgen_valid("123e4567-e89b-12d3-a456-42661417400g"));
	assert_false(uuidgen_valid("../../../etc/passwd-aaaa-aaaaaaaaaaaa"));
}

/* v7: the first 48 bits are the Unix time in ms, so ids sort by creation */
static void test_uuid_v7(void **state)
{
	char a[UUID_STR_LEN], b[UUID_STR_LEN], hex[13] = {0};
	struct timespec pause = {0, 2 * 1000 * 1000};

	(void)state;
	uint64_t before = (uint64_t)time(NULL);
	assert_int_equal(uuidgen_v7(a), 0);
	assert_int_equal(nanosleep(&pause, NULL), 0);
	assert_int_equal(uuidgen_v7(b), 0);
	uint64_t after = (uint64_t)time(NULL);
	assert_true(uuidgen_valid(a));
	assert_int_equal(a[14], '7');
	assert_non_null(strchr("89ab", a[19]));
	assert_true(strcmp(a, b) < 0);
	memcpy(hex, a, 8);
	memcpy(hex + 8, a + 9, 4);
	uint64_t ms = strtoull(hex, NULL, 16);
	assert_true(ms / 1000 >= before && ms / 1000 <= after);
	/* the rest is random: two ids of the same millisecond still differ */
	assert_int_equal(uuidgen_v7(a), 0);
	assert_int_equal(uuidgen_v7(b), 0);
	assert_string_not_equal(a, b);
}

/* ---- hexstr ---- */

static void test_hexstr(void **state)
{
	const uint8_t bin[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
	uint8_t out[5];
	char hex[11];

	hexstr_encode(bin, sizeof(bin), hex);
	assert_string_equal(hex, "0001abff7f");
	assert_int_equal(hexstr_decode(hex, out, sizeof(out)), 0);
	assert_memory_equal(out, bin, sizeof(bin));
	assert_int_equal(hexstr_decode("0001ABFF7F", out, sizeof(out)), 0);
	assert_memory_equal(out, bin, sizeof(bin));
	assert_int_equal(hexstr_decode("0001abff7", out, sizeof(out)), -EINVAL); /* short */
	assert_int_equal(hexstr_decode("0001abfg7f", out, sizeof(out)), -EINVAL);
	assert_int_equal(hexstr_decode(" 001abff7f", out, sizeof(out)), -EINVAL);
	hexstr_encode(bin, 0, hex);
	assert_string_equal(hex, "");
}

static void test_gzip(void **state)
{
	const char text[] = "{\"msg\":\"hello\"}\n{\"msg\":\"world\"}\n";
	struct buf gz, plain, small;
	uint8_t zeros[65536] = {0};

	(void)state;
	buf_init(&gz, 1 << 20);
	buf_init(&plain, 1 << 20);
	assert_int_equal(gzip_compress(text, strlen(text), "{\"devID\":\"x\"}", &gz), 0);
	assert_true(gz.len > 10 && gz.data[0] == 0x1f && gz.data[1] == 0x8b);
	assert_int_equal(gzip_decompress(gz.data, gz.len, &plain), 0);
	assert_int_equal(plain.len, strlen(text));
	assert_memory_equal(plain.data, text, plain.len);

	/* truncated and corrupt members are refused */
	buf_reset(&plain);
	assert_int_equal(gzip_decompress(gz.data, gz.len - 4, &plain), -EVE_EPROTO);
	buf_reset(&plain);
	gz.data[gz.len / 2] ^= 0xff;
	assert_true(gzip_decompress(gz.data, gz.len, &plain) < 0);
	buf_reset(&plain);
	assert_int_equal(gzip_decompress("garbage", 7, &plain), -EVE_EPROTO);

	/* a small file that inflates past the cap stops at the cap */
	buf_reset(&gz);
	assert_int_equal(gzip_compress(zeros, sizeof(zeros), NULL, &gz), 0);
	assert_true(gz.len < 1024);
	buf_init(&small, 4096);
	assert_int_equal(gzip_decompress(gz.data, gz.len, &small), -EVE_ETOOBIG);
	assert_true(small.len <= 4096);
	buf_free(&small);
	buf_free(&gz);
	buf_free(&plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_buf_cap),
	    cmocka_unit_test(test_buf_grow_steal),
	    cmocka_unit_test(test_fileio_atomic),
	    cmocka_unit_test(test_fileio_read_limits),
	    cmocka_unit_test(test_fileio_rename_fails),
	    cmocka_unit_test(test_fileio_unwritable_dir),
	    cmocka_unit_test(test_fileio_mkdirs),
	    cmocka_unit_test(test_b64_vectors),
	    cmocka_unit_test(test_b64_roundtrip_binary),
	    cmocka_unit_test(test_b64_whitespace_and_bad),
	    cmocka_unit_test(test_hostport),
	    cmocka_unit_test(test_ipnet),
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_uuid_v7),
	    cmocka_unit_test(test_hexstr),
	    cmocka_unit_test(test_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
