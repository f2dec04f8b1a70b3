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
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", (char *)base_fmt, "-b", (char *)base,
			 (char *)path, size ? sz : NULL, NULL };

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	unlink(path);
	return volume_run(argv, err, errlen);
}

int volume_blank(const char *path, uint64_t size, char *err, size_t errlen)
{
	char sz[32];
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", (char *)path, sz, NULL };

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
