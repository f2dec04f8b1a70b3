// SPDX-License-Identifier: Apache-2.0
/* A base-OS image to a file through the device's one downloader
 * (common/download.c), then a streaming SHA-256 of the result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "download.h"
#include "err.h"
#include "update_fetch.h"

int update_fetch(const char *url, const char *path, uint64_t max, const char *ca_path,
		 const struct download_router *router)
{
	struct download_opts o = {
	    .url = url,
	    .dest = path,
	    .max_size = max,
	    .ca_path = ca_path,
	    .stall_secs = 60,
	    .connect_secs = 30,
	    .allow_file = true,
	    .router = router,
	};
	char err[256];
	int r;

	/* Always a whole new image: never resume a partial of another URL. */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	r = download_file(&o, err, sizeof(err));
	if (r < 0)
		(void)unlink(path);
	return r;
}

int update_file_sha256(const char *path, uint8_t out[32])
{
	uint8_t buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || !md) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	EVP_DigestFinal_ex(md, out, NULL);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return r;
}
