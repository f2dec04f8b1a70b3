// SPDX-License-Identifier: Apache-2.0
/* A bounded walk over tar headers (through zlib, which reads plain files
 * as they are): stops at the first index.json or manifest.json. */
#include "image_oci.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TAR_BLOCK 512
#define MAX_ENTRIES 100000

/* The entry's name without a leading "./". */
static void entry_name(const unsigned char *h, char *out, size_t n)
{
	char name[101];

	memcpy(name, h, 100);
	name[100] = 0;
	snprintf(out, n, "%s", strncmp(name, "./", 2) == 0 ? name + 2 : name);
}

/* Octal size field; -1 when malformed. */
static long long entry_size(const unsigned char *h)
{
	long long v = 0;
	int i = 124;

	while (i < 136 && (h[i] == ' ' || h[i] == 0))
		i++;
	for (; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
		v = v * 8 + (h[i] - '0');
	return i < 136 && h[i] != ' ' && h[i] != 0 ? -1 : v;
}

static bool header_ok(const unsigned char *h)
{
	unsigned sum = 0, want = 0;
	int i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned)(h[i] - '0');
	return sum == want;
}

static int skip(gzFile g, long long bytes)
{
	unsigned char buf[TAR_BLOCK];

	while (bytes > 0) {
		int r = gzread(g, buf, bytes > TAR_BLOCK ? TAR_BLOCK : (unsigned)bytes);

		if (r <= 0)
			return -EINVAL;
		bytes -= r;
	}
	return 0;
}

int image_oci_check(const char *path, char *why, size_t n)
{
	unsigned char h[TAR_BLOCK];
	char name[128];
	gzFile g = gzopen(path, "rb");
	int r = -EINVAL, i;

	if (!g)
		return -errno ? -errno : -EIO;
	snprintf(why, n,
		 "not a tar archive (an OCI image is the tar of an image layout or of 'docker save')");
	for (i = 0; i < MAX_ENTRIES; i++) {
		long long size;

		if (gzread(g, h, TAR_BLOCK) != TAR_BLOCK)
			break;
		if (h[0] == 0) /* end of archive */
			break;
		if (!header_ok(h) || (size = entry_size(h)) < 0) {
			if (i > 0)
				snprintf(why, n, "a damaged tar archive (bad header after %d entries)", i);
			break;
		}
		entry_name(h, name, sizeof(name));
		if (strcmp(name, "index.json") == 0 || strcmp(name, "manifest.json") == 0) {
			r = 0;
			break;
		}
		snprintf(why, n,
			 "a tar archive without index.json or manifest.json (not an OCI image layout or "
			 "docker-save image)");
		if (skip(g, (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK) < 0)
			break;
	}
	gzclose(g);
	return r;
}
