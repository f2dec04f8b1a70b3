// SPDX-License-Identifier: Apache-2.0
/* A scratch directory for a unit test: made under $TMPDIR (else /tmp) with
 * a recognisable name, and removed with everything in it without a shell
 * (no quoting of paths, no `system("rm -rf ...")`). Header-only.
 *
 *   static char dir[PATH_MAX];
 *   if (test_tmpdir_make(dir, sizeof(dir), "agent_queues") < 0) return 1;
 *   ...
 *   test_tmpdir_remove(dir); */
#ifndef EVE_TEST_TMPDIR_H
#define EVE_TEST_TMPDIR_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

/* dir (len bytes) receives "$TMPDIR/<name>.XXXXXX", created 0700. 0 or
 * -errno (-ENAMETOOLONG when it does not fit). */
static inline int test_tmpdir_make(char *dir, size_t len, const char *name)
{
	const char *base = getenv("TMPDIR");
	int n = snprintf(dir, len, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(dir) ? 0 : -errno;
}

static inline int test_tmpdir_rm1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Remove dir and everything below it (symbolic links are removed, never
 * followed). 0 or -errno. */
static inline int test_tmpdir_remove(const char *dir)
{
	if (nftw(dir, test_tmpdir_rm1, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

#endif
