// SPDX-License-Identifier: Apache-2.0
/* volume: qemu-img overlay and blank disks, member extraction from an
 * image, recursive removal. Skips the qemu-img parts when it is missing. */
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

#include "volume.h"
#include "test_skip.h"

static char dir[64];

static int setup(void **st)
{
	snprintf(dir, sizeof(dir), "/tmp/rt-vol-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	return volume_remove_dir(dir);
}

static bool have_qemu_img(void)
{
	return system("command -v qemu-img >/dev/null 2>&1") == 0;
}

static void test_disks(void **st)
{
	char base[128], ov[128], blank[128], err[256] = "";
	char *info[] = {"qemu-img", "check", ov, NULL};
	FILE *f;

	if (!have_qemu_img())
		test_skip_here("qemu-img not installed (Debian package qemu-utils)");
	snprintf(base, sizeof(base), "%s/base.raw", dir);
	snprintf(ov, sizeof(ov), "%s/ov.qcow2", dir);
	snprintf(blank, sizeof(blank), "%s/blank.qcow2", dir);
	f = fopen(base, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 1 << 20), 0);
	fclose(f);
	assert_int_equal(volume_overlay(base, "raw", ov, 0, err, sizeof(err)), 0);
	assert_int_equal(volume_run(info, err, sizeof(err)), 0);
	assert_int_equal(volume_blank(blank, 8 << 20, err, sizeof(err)), 0);
	assert_int_equal(access(blank, F_OK), 0);
	assert_int_not_equal(volume_blank(blank, 0, err, sizeof(err)), 0);
	/* A missing base is an error with qemu-img's reason. */
	assert_int_not_equal(volume_overlay("/nonexistent/base", "raw", ov, 0, err, sizeof(err)), 0);
	assert_true(strlen(err) > 0);
}

static void test_extract(void **st)
{
	char tarp[128], out[128], err[256] = "";
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct stat sb;

	snprintf(tarp, sizeof(tarp), "%s/img.tar", dir);
	snprintf(out, sizeof(out), "%s/kernel", dir);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, tarp), ARCHIVE_OK);
	archive_entry_set_pathname(e, "./boot/vmlinuz");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 6);
	archive_write_header(a, e);
	archive_write_data(a, "kernel", 6);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);

	assert_int_equal(volume_extract(tarp, "/boot/vmlinuz", out, err, sizeof(err)), 0);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_size, 6);
	assert_int_not_equal(volume_extract(tarp, "/boot/missing", out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not found"));
}

static void test_remove(void **st)
{
	char sub[128], file[160];
	FILE *f;

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	snprintf(file, sizeof(file), "%s/a", dir);
	mkdir(file, 0755);
	mkdir(sub, 0755);
	snprintf(file, sizeof(file), "%s/x", sub);
	f = fopen(file, "w");
	fclose(f);
	/* A symlink out of the tree is removed, not followed. */
	snprintf(file, sizeof(file), "%s/a/link", dir);
	assert_int_equal(symlink("/etc", file), 0);
	snprintf(file, sizeof(file), "%s/a", dir);
	assert_int_equal(volume_remove_dir(file), 0);
	assert_int_not_equal(access(file, F_OK), 0);
	assert_int_equal(access("/etc/passwd", F_OK), 0);
	assert_int_equal(volume_remove_dir(file), 0); /* absent: fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_disks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extract, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	};
	return test_skip_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
