// SPDX-License-Identifier: Apache-2.0
/* Content-addressed blob store (see blobstore.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "blobstore.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"

struct blobstore {
	char *blobs;   /* <root>/blobs/sha256 */
	char *partial; /* <root>/blobs/partial */
};

void blobstore_free(struct blobstore *bs)
{
	if (!bs)
		return;
	free(bs->blobs);
	free(bs->partial);
	free(bs);
}

int blobstore_open(const char *root, struct blobstore **out)
{
	struct blobstore *bs = calloc(1, sizeof(*bs));
	int r = -ENOMEM;

	if (!bs)
		return -ENOMEM;
	if (asprintf(&bs->blobs, "%s/blobs/sha256", root) < 0) {
		bs->blobs = NULL;
		goto out;
	}
	if (asprintf(&bs->partial, "%s/blobs/partial", root) < 0) {
		bs->partial = NULL;
		goto out;
	}
	r = fileio_mkdirs(bs->blobs, 0700);
	if (r == 0)
		r = fileio_mkdirs(bs->partial, 0700);
out:
	if (r < 0) {
		blobstore_free(bs);
		return r;
	}
	*out = bs;
	return 0;
}

bool blobstore_valid_hex(const char *hex)
{
	size_t i;

	if (!hex)
		return false;
	for (i = 0; i < 64; i++) {
		char c = hex[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return hex[64] == '\0';
}

/* Lower-case copy of a valid hex (the on-disk name). */
static void lower_hex(const char *hex, char out[BLOBSTORE_HEX_LEN])
{
	size_t i;

	for (i = 0; i < 64; i++)
		out[i] = (char)((hex[i] >= 'A' && hex[i] <= 'F') ? hex[i] - 'A' + 'a' : hex[i]);
	out[64] = '\0';
}

int blobstore_path(const struct blobstore *bs, const char *hex, char **out)
{
	char lc[BLOBSTORE_HEX_LEN];

	if (!blobstore_valid_hex(hex))
		return -EINVAL;
	lower_hex(hex, lc);
	if (asprintf(out, "%s/%s", bs->blobs, lc) < 0)
		return -ENOMEM;
	return 0;
}

static bool safe_key(const char *key)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > 128)
		return false;
	for (i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
			return false;
	}
	return true;
}

int blobstore_partial_path(const struct blobstore *bs, const char *key, char **out)
{
	if (!safe_key(key))
		return -EINVAL;
	if (asprintf(out, "%s/%s", bs->partial, key) < 0)
		return -ENOMEM;
	return 0;
}

bool blobstore_has(const struct blobstore *bs, const char *hex)
{
	char *p = NULL;
	struct stat st;
	bool ok;

	if (blobstore_path(bs, hex, &p) < 0)
		return false;
	ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

int blobstore_hash_file(const char *path, char out[BLOBSTORE_HEX_LEN])
{
	EVP_MD_CTX *md = NULL;
	unsigned char dig[32];
	unsigned int dlen = 0;
	char *buf = NULL;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(1 << 16);
	md = EVP_MD_CTX_new();
	if (!buf || !md) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	while ((n = read(fd, buf, 1 << 16)) > 0) {
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			r = -EVE_ECRYPTO;
			goto out;
		}
	}
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if (EVP_DigestFinal_ex(md, dig, &dlen) != 1 || dlen != 32) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	hexstr_encode(dig, 32, out);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	close(fd);
	return r;
}

int blobstore_commit(struct blobstore *bs, const char *tmp, const char *hex, char got[BLOBSTORE_HEX_LEN])
{
	char actual[BLOBSTORE_HEX_LEN], want[BLOBSTORE_HEX_LEN];
	char *dst = NULL;
	int r;

	if (!blobstore_valid_hex(hex))
		return -EINVAL;
	lower_hex(hex, want);
	r = blobstore_hash_file(tmp, actual);
	if (r < 0)
		return r;
	if (got)
		memcpy(got, actual, sizeof(actual));
	if (strcmp(actual, want) != 0) {
		unlink(tmp);
		return -EVE_EHASH;
	}
	r = blobstore_path(bs, want, &dst);
	if (r < 0)
		return r;
	/* Blobs are read by the hypervisor (qemu runs as its own user). */
	if (chmod(tmp, 0644) < 0 || rename(tmp, dst) < 0)
		r = -errno;
	else
		r = fileio_sync_dir(dst);
	free(dst);
	return r;
}

static bool in_keep(const char *name, const char *const *keep, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keep[i] && strcasecmp(keep[i], name) == 0)
			return true;
	return false;
}

static int gc_dir(const char *dir, const char *const *keep, size_t n)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int removed = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || in_keep(de->d_name, keep, n))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int blobstore_gc(struct blobstore *bs, const char *const *keep, size_t n)
{
	int a, b;

	a = gc_dir(bs->blobs, keep, n);
	if (a < 0)
		return a;
	b = gc_dir(bs->partial, keep, n);
	if (b < 0)
		return b;
	return a + b;
}
