// SPDX-License-Identifier: Apache-2.0
/* Volume files via qemu-img (see volume.h). */
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "volume.h"

extern char **environ;

int volume_run(char *const argv[], char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	char out[512];
	int pfd[2], status = 0, r;
	ssize_t n, used = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		snprintf(err, errlen, "%s: %s", argv[0], strerror(r));
		return -r;
	}
	/* Keep the first bytes of stderr; drain the rest so the child never
	 * blocks on a full pipe. */
	for (;;) {
		char scratch[512];

		if ((size_t)used < sizeof(out) - 1)
			n = read(pfd[0], out + used, sizeof(out) - 1 - (size_t)used);
		else
			n = read(pfd[0], scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)used < sizeof(out) - 1)
			used += n;
	}
	out[used] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	snprintf(err, errlen, "%s failed: %s", argv[0], out[0] ? out : "non-zero exit");
	return -EIO;
}

int volume_overlay(const char *base, const char *base_fmt, const char *path, uint64_t size, char *err,
		   size_t errlen)
{
	char sz[32];
	char *argv[] = {"qemu-img",       "create", "-q",         "-f",         "qcow2",          "-F",
			(char *)base_fmt, "-b",     (char *)base, (char *)path, size ? sz : NULL, NULL};

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	unlink(path);
	return volume_run(argv, err, errlen);
}

int volume_image_vsize(const char *path, uint64_t *size)
{
	unsigned char h[32];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint64_t v = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n == (ssize_t)sizeof(h) && memcmp(h, "QFI\xfb", 4) == 0) {
		for (int i = 24; i < 32; i++)
			v = v << 8 | h[i];
		*size = v;
		return 0;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

int volume_fs_create(const char *path, uint64_t size, char *err, size_t errlen)
{
	return volume_fs_create_from(path, size, NULL, err, errlen);
}

int volume_fs_create_from(const char *path, uint64_t size, const char *src, char *err, size_t errlen)
{
	char tmp[4096];
	char *argv[] = {"mkfs.ext4", "-q", "-F", "-m", "0", "-E", "root_owner=0:0", tmp, NULL, NULL, NULL};
	int fd, r;

	if (size < (1u << 20)) {
		snprintf(err, errlen, "a filesystem volume needs maxsizebytes of at least 1 MiB");
		return -EINVAL;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		snprintf(err, errlen, "creating %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	if (src) { /* filled from the directory src (no mount needed) */
		argv[8] = "-d";
		argv[9] = (char *)src;
	}
	r = volume_run(argv, err, errlen);
	if (r < 0 && access("/usr/sbin/mkfs.ext4", X_OK) == 0) { /* not in PATH */
		argv[0] = "/usr/sbin/mkfs.ext4";
		r = volume_run(argv, err, errlen);
	}
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int volume_blank(const char *path, uint64_t size, char *err, size_t errlen)
{
	char sz[32];
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", (char *)path, sz, NULL};

	if (size == 0) {
		snprintf(err, errlen, "blank volume needs maxsizebytes");
		return -EINVAL;
	}
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	unlink(path);
	return volume_run(argv, err, errlen);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

int volume_remove_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

static __thread uint64_t du_total;

static int du_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	du_total += (uint64_t)st->st_blocks * 512u;
	return 0;
}

uint64_t volume_disk_usage(const char *path)
{
	du_total = 0;
	nftw(path, du_entry, 32, FTW_PHYS | FTW_MOUNT);
	return du_total;
}

/* "./a//b/" and "/a/b" both become "a/b". */
static void member_norm(const char *in, char *out, size_t n)
{
	size_t o = 0;

	while (*in && o + 1 < n) {
		if (*in == '/' && (o == 0 || out[o - 1] == '/')) {
			in++;
			continue;
		}
		if (in[0] == '.' && in[1] == '/' && (o == 0 || out[o - 1] == '/')) {
			in += 2;
			continue;
		}
		out[o++] = *in++;
	}
	while (o && out[o - 1] == '/')
		o--;
	out[o] = '\0';
}

#define VOLUME_MEMBER_MAX (512ull << 20)

int volume_extract(const char *image, const char *member, const char *out, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char want[1024], have[1024], tmp[4096];
	int st, fd = -1, r = -ENOENT;

	if (!a)
		return -ENOMEM;
	member_norm(member, want, sizeof(want));
	archive_read_support_format_iso9660(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, image, 1 << 16) != ARCHIVE_OK) {
		snprintf(err, errlen, "image %s: %s", image, archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		member_norm(archive_entry_pathname(e), have, sizeof(have));
		if (strcmp(have, want) != 0 || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if ((uint64_t)archive_entry_size(e) > VOLUME_MEMBER_MAX) {
			r = -EVE_ETOOBIG;
			break;
		}
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = -errno;
			break;
		}
		r = archive_read_data_into_fd(a, fd) == ARCHIVE_OK ? 0 : -EIO;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, out) < 0)
			r = -errno;
		if (r < 0)
			unlink(tmp);
		break;
	}
	if (r == -ENOENT)
		snprintf(err, errlen, "%s not found in image %s", member, image);
	else if (r < 0)
		snprintf(err, errlen, "extracting %s from %s: %s", member, image, eve_strerror(r));
out:
	archive_read_free(a);
	return r;
}

int volume_make_iso(const char *out, const char *label, const struct volume_file *files, size_t n, char *err,
		    size_t errlen)
{
	struct archive *w = archive_write_new();
	char tmp[4096];
	size_t i;
	int r = 0;

	if (!w)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	archive_write_set_format_iso9660(w);
	if (archive_write_set_option(w, "iso9660", "volume-id", label) < ARCHIVE_WARN ||
	    archive_write_set_option(w, "iso9660", "rockridge", "1") < ARCHIVE_WARN ||
	    archive_write_set_option(w, "iso9660", "joliet", "1") < ARCHIVE_WARN ||
	    archive_write_open_filename(w, tmp) != ARCHIVE_OK) {
		snprintf(err, errlen, "iso %s: %s", out, archive_error_string(w));
		archive_write_free(w);
		return -EIO;
	}
	for (i = 0; i < n && r == 0; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, files[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)files[i].len);
		if (archive_write_header(w, e) != ARCHIVE_OK ||
		    archive_write_data(w, files[i].data, files[i].len) != (la_ssize_t)files[i].len)
			r = -EIO;
		archive_entry_free(e);
	}
	if (archive_write_close(w) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		snprintf(err, errlen, "iso %s: %s", out, archive_error_string(w));
	archive_write_free(w);
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
