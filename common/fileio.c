// SPDX-License-Identifier: Apache-2.0
/* Crash-safe file writes: temp file in the same directory, fsync, rename,
 * fsync of the directory. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fileio_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
out:
	free(copy);
	return r;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd = -1, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* mkostemp creates 0600; set the final mode before any data lands. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto fail;
	}
	r = write_all(fd, data, len);
	if (r < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return fileio_sync_dir(path);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

int fileio_read(const char *path, size_t cap, uint8_t **data, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0, alloc = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (alloc - n < 2) {
			/* Grow in steps; never allocate more than cap + 2. */
			size_t next = alloc ? alloc * 2 : 4096;
			uint8_t *q;

			if (cap < SIZE_MAX - 2 && next > cap + 2)
				next = cap + 2;
			if (next <= alloc) {
				r = -EVE_ETOOBIG;
				goto out;
			}
			q = realloc(p, next);
			if (!q) {
				r = -ENOMEM;
				goto out;
			}
			p = q;
			alloc = next;
		}
		got = read(fd, p + n, alloc - n - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > cap) {
			r = -EVE_ETOOBIG;
			goto out;
		}
	}
	if (!p) {
		p = malloc(1);
		if (!p) {
			r = -ENOMEM;
			goto out;
		}
	}
	p[n] = 0;
	*data = p;
	*len = n;
	p = NULL;
out:
	free(p);
	close(fd);
	return r;
}

int fileio_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	struct stat st;

	if (len == 0 || len >= sizeof(buf))
		return len ? -ENAMETOOLONG : -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	/* EEXIST also covers a file in the way. */
	if (stat(buf, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
