// SPDX-License-Identifier: Apache-2.0
/* device/vault_fs.c: sizes, and (as root, with loop devices, mkfs.ext4
 * and a kernel with ext4 encryption) the encrypted store itself: made,
 * written, unmounted (a reboot), reopened with its key, refused with
 * another; the plaintext never in the raw image; the agent's TMPDIR
 * (vault_fs_tmp_dir) inside the encryption policy, absent while locked. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/fscrypt.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fileio.h"
#include "test_skip.h"
#include "vault_fs.h"

static void sizes(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(vault_fs_parse_size("512M", &v), 0);
	assert_true(v == 512ull << 20);
	assert_int_equal(vault_fs_parse_size("2G", &v), 0);
	assert_true(v == 2ull << 30);
	assert_int_equal(vault_fs_parse_size("4096", &v), 0);
	assert_true(v == 4096);
	assert_int_equal(vault_fs_parse_size("", &v), -EINVAL);
	assert_int_equal(vault_fs_parse_size("-1G", &v), -EINVAL);
	assert_int_equal(vault_fs_parse_size("1GB", &v), -EINVAL);
	assert_int_equal(vault_fs_parse_size("x", &v), -EINVAL);
	assert_int_equal(vault_fs_parse_size("99999999999999G", &v), -EINVAL);
	assert_int_equal(vault_fs_parse_size(NULL, &v), -EINVAL);
}

static bool can_run(void)
{
	return geteuid() == 0 && access("/dev/loop-control", F_OK) == 0 &&
	       access("/sys/fs/ext4/features/encryption", F_OK) == 0 &&
	       (access("/usr/sbin/mkfs.ext4", X_OK) == 0 || access("/sbin/mkfs.ext4", X_OK) == 0);
}

static void unmount_all(const char *dir)
{
	char p[512];
	const char *sub[] = {"apps", "volumes", "vault"};

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		umount2(p, 0);
	}
}

static bool file_has(const char *path, const char *needle)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool found = false;

	if (fileio_read(path, 512u << 20, &data, &len) < 0)
		return false;
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/* The TMPDIR inside the open store: encrypted under the store's policy; a
 * temporary file written there (as libarchive's ISO writer does) is not in
 * the raw image. */
static void tmp_in_vault(const char *dir, const char *mark)
{
	struct fscrypt_get_policy_ex_arg g;
	char t[512], small[8];
	int fd;

	assert_int_equal(vault_fs_tmp_dir(dir, small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(vault_fs_tmp_dir(dir, t, sizeof(t)), 0);
	assert_true(strncmp(t, dir, strlen(dir)) == 0 && !strcmp(t + strlen(dir), "/vault/data/tmp"));
	fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	memset(&g, 0, sizeof(g));
	g.policy_size = sizeof(g.policy);
	assert_int_equal(ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &g), 0);
	assert_int_equal(g.policy.version, FSCRYPT_POLICY_V2);
	close(fd);
	fd = open(t, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, mark, strlen(mark)), (ssize_t)strlen(mark));
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void store(void **state)
{
	char dir[] = "/var/tmp/vault_fs_test.XXXXXX", p[512], err[300], mark[64];
	uint8_t key[VAULT_FS_KEY_LEN], other[VAULT_FS_KEY_LEN];
	uint8_t *data = NULL;
	size_t len = 0;

	(void)state;
	if (!can_run())
		test_skip_here("needs root, /dev/loop-control, mkfs.ext4 and ext4 encryption in the kernel");
	setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin", 1);
	assert_non_null(mkdtemp(dir));
	memset(key, 0x5a, sizeof(key));
	memset(other, 0xa5, sizeof(other));
	snprintf(mark, sizeof(mark), "vault-fs-test-%d-%ld", (int)getpid(), (long)time(NULL));

	assert_int_equal(vault_fs_open(dir, 0, key, err, sizeof(err)), 0);
	/* idempotent while mounted */
	assert_int_equal(vault_fs_open(dir, 0, key, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/volumes/data", dir);
	assert_int_equal(fileio_write_atomic(p, mark, strlen(mark), 0600), 0);
	tmp_in_vault(dir, mark);
	sync();
	unmount_all(dir);
	snprintf(p, sizeof(p), "%s/volumes/data", dir);
	assert_int_not_equal(access(p, F_OK), 0); /* only inside the vault */
	assert_int_equal(vault_fs_tmp_dir(dir, p, sizeof(p)), 0);
	assert_int_not_equal(access(p, F_OK), 0); /* locked: no TMPDIR */
	snprintf(p, sizeof(p), "%s/vault.img", dir);
	assert_true(file_has(p, "lost+found")); /* the raw image is readable ... */
	assert_false(file_has(p, mark));        /* ... but not the data */

	/* another key: refused, nothing in place */
	assert_int_equal(vault_fs_open(dir, 0, other, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "another key"));
	unmount_all(dir);

	/* the key again: the data back */
	assert_int_equal(vault_fs_open(dir, 0, key, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/volumes/data", dir);
	assert_int_equal(fileio_read(p, 4096, &data, &len), 0);
	assert_int_equal(len, strlen(mark));
	assert_memory_equal(data, mark, len);
	free(data);
	unmount_all(dir);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sizes),
	    cmocka_unit_test(store),
	};
	return test_skip_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
