/* oci_unpack: layers in order, whiteouts, and entries that try to escape
 * the rootfs (.., absolute paths, writes through symlinks, hard links out). */
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
#include <archive.h>
#include <archive_entry.h>

#include "oci_unpack.h"

static char dir[64], rootfs[128];

static int setup(void **st)
{
	snprintf(dir, sizeof(dir), "/tmp/rt-oci-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	return mkdir(rootfs, 0755);
}

static int teardown(void **st)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct ent {
	const char *path;
	char type;        /* f file, d dir, l symlink, h hard link */
	const char *data; /* content or link target */
};

static void make_layer(const char *path, const struct ent *e, size_t n, bool gz)
{
	struct archive *a = archive_write_new();
	size_t i;

	archive_write_set_format_pax_restricted(a);
	if (gz)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();

		archive_entry_set_pathname(x, e[i].path);
		archive_entry_set_perm(x, 0644);
		switch (e[i].type) {
		case 'd':
			archive_entry_set_filetype(x, AE_IFDIR);
			archive_entry_set_perm(x, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(x, AE_IFLNK);
			archive_entry_set_symlink(x, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i].data);
			break;
		default:
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i].data));
		}
		archive_write_header(a, x);
		if (e[i].type == 'f')
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", rootfs, rel);
	return lstat(p, &st) == 0;
}

static void test_layers_whiteouts(void **st)
{
	const struct ent l1[] = {{"./etc/", 'd', NULL},      {"./etc/keep", 'f', "k"},
				 {"./etc/gone", 'f', "g"},   {"opq/", 'd', NULL},
				 {"opq/old", 'f', "o"},      {"bin/", 'd', NULL},
				 {"bin/busybox", 'f', "bb"}, {"bin/sh", 'l', "busybox"}};
	const struct ent l2[] = {{"etc/.wh.gone", 'f', ""},
				 {"opq/.wh..wh..opq", 'f', ""},
				 {"opq/new", 'f', "n"},
				 {"etc/keep", 'f', "k2"}};
	char p1[128], p2[128], err[256] = "";

	snprintf(p1, sizeof(p1), "%s/l1.tar.gz", dir);
	snprintf(p2, sizeof(p2), "%s/l2.tar", dir);
	make_layer(p1, l1, sizeof(l1) / sizeof(l1[0]), true);
	make_layer(p2, l2, sizeof(l2) / sizeof(l2[0]), false);
	assert_int_equal(oci_apply_layer(p1, rootfs, err, sizeof(err)), 0);
	assert_int_equal(oci_apply_layer(p2, rootfs, err, sizeof(err)), 0);
	assert_true(exists("etc/keep"));
	assert_false(exists("etc/gone"));
	assert_false(exists("etc/.wh.gone"));
	assert_false(exists("opq/old"));
	assert_true(exists("opq/new"));
	assert_true(exists("bin/sh"));
}

static void test_escapes(void **st)
{
	const struct ent dotdot[] = {{"../escape-dotdot", 'f', "x"}};
	const struct ent viasym[] = {{"out", 'l', "/tmp"}, {"out/escape-sym", 'f', "x"}};
	const struct ent hard[] = {{"h", 'h', "../../etc/passwd"}};
	const struct ent abs[] = {{"/abs-inside", 'f', "x"}};
	char p[128], err[256], probe[160];

	snprintf(p, sizeof(p), "%s/bad1.tar", dir);
	make_layer(p, dotdot, 1, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, err, sizeof(err)), 0);
	snprintf(probe, sizeof(probe), "%s/escape-dotdot", dir);
	assert_int_not_equal(access(probe, F_OK), 0);

	make_layer(p, viasym, 2, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, err, sizeof(err)), 0);
	assert_int_not_equal(access("/tmp/escape-sym", F_OK), 0);

	make_layer(p, hard, 1, false);
	assert_int_not_equal(oci_apply_layer(p, rootfs, err, sizeof(err)), 0);

	/* Absolute entry names are taken relative to the rootfs (docker's rule). */
	make_layer(p, abs, 1, false);
	assert_int_equal(oci_apply_layer(p, rootfs, err, sizeof(err)), 0);
	assert_true(exists("abs-inside"));
}

static void test_not_an_image(void **st)
{
	const struct ent junk[] = {{"hello.txt", 'f', "hi"}};
	char p[128], rf[160], cfg[160], err[256] = "";

	snprintf(p, sizeof(p), "%s/junk.tar", dir);
	snprintf(rf, sizeof(rf), "%s/rf2", dir);
	snprintf(cfg, sizeof(cfg), "%s/cfg.json", dir);
	make_layer(p, junk, 1, false);
	assert_int_not_equal(oci_unpack(p, rf, cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not an OCI"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layers_whiteouts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_an_image, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
