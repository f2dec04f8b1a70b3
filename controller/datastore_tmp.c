// SPDX-License-Identifier: Apache-2.0
/* Start-up cleaning of datastore/tmp. */
#include "datastore_tmp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define UPLOAD_PREFIX "upload-"

int datastore_tmp_clean(const char *ctl_dir, int64_t min_age, size_t *n, uint64_t *bytes)
{
	time_t now = time(NULL);
	char dir[PATH_MAX];
	int r = 0;
	*n = 0;
	*bytes = 0;
	int len = snprintf(dir, sizeof(dir), "%s/" CTL_DATASTORE_DIR "/tmp", ctl_dir);
	if (len < 0 || (size_t)len >= sizeof(dir))
		return -ENAMETOOLONG;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (strncmp(e->d_name, UPLOAD_PREFIX, strlen(UPLOAD_PREFIX)))
			continue;
		/* never follow a link: only regular files of ours go */
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    (int64_t)(now - st.st_mtime) < min_age)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0) {
			r = -errno;
			continue;
		}
		(*n)++;
		*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return r;
}
