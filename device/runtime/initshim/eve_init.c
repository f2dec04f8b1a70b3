// SPDX-License-Identifier: Apache-2.0
/* eve-init: the init of a container app (hv_lxc.c, docs/security.md
 * "Sealed vault"). libvirt starts it, in the app's working directory, as
 *   eve-init ENVFILE ARGV0 [ARG...]
 * ENVFILE (initenv.h) holds the app's environment, which may be a
 * decrypted secret and so never goes into the domain XML. eve-init sets
 * each entry over what libvirt gave it (PATH, HOME, TERM, container=...),
 * detaches the read-only mount that holds ENVFILE and itself (the app does
 * not see the file; the runtime writes it again at every start), and execs
 * ARGV0 with the arguments that follow (searched in the app's PATH when it
 * has no '/'). On any error it says why on the console and exits 127: the
 * app never runs without its environment. Linked statically (the
 * container's root has none of the host's libraries); the agent carries it
 * (rt_init.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initenv.h"

static char file_buf[INITENV_MAX_BYTES + 1];
static const char *entries[INITENV_MAX_ENTRIES];

static int die(const char *what, const char *arg, int e)
{
	fprintf(stderr, "eve-init: %s %s: %s\n", what, arg, strerror(e));
	return 127;
}

/* Read path (a regular file of at most INITENV_MAX_BYTES) into file_buf. */
static int read_env(const char *path, size_t *len)
{
	struct stat st;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int e = 0;

	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		e = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = -EINVAL;
		goto out;
	}
	while ((r = read(fd, file_buf + *len, sizeof(file_buf) - *len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			goto out;
		}
		*len += (size_t)r;
		if (*len > INITENV_MAX_BYTES) {
			e = -EOVERFLOW;
			goto out;
		}
	}
out:
	close(fd);
	return e;
}

static int set_env(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(entries[i], '=');
		char name[INITENV_NAME_MAX + 1];

		memcpy(name, entries[i], (size_t)(eq - entries[i]));
		name[eq - entries[i]] = '\0';
		if (setenv(name, eq + 1, 1) < 0)
			return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = 0, n = 0;
	char *slash;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: eve-init ENVFILE ARGV0 [ARG...]\n");
		return 127;
	}
	r = read_env(argv[1], &len);
	if (r == 0)
		r = initenv_parse(file_buf, len, entries, INITENV_MAX_ENTRIES, &n);
	if (r == 0)
		r = set_env(n);
	if (r < 0)
		return die("environment file", argv[1], -r);
	slash = strrchr(argv[1], '/');
	if (slash && (size_t)(slash - argv[1]) == strlen(INITENV_MOUNT) &&
	    !strncmp(argv[1], INITENV_MOUNT, strlen(INITENV_MOUNT))) {
		/* best effort: without CAP_SYS_ADMIN the file stays mounted,
		 * read-only and readable by root only */
		*slash = '\0';
		umount2(argv[1], MNT_DETACH);
	}
	execvp(argv[2], argv + 2);
	return die("exec", argv[2], errno);
}
