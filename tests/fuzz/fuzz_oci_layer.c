// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the OCI layer unpacker (oci_apply_layer), in a
 * scratch directory, aborting when anything outside the rootfs changed.
 *
 * Layout (below fuzz_tmp_base(): $EVE_FUZZ_TMP, /dev/shm or /tmp):
 *   <scratch>/outside/{secret,dir/file}   must never change
 *   <scratch>/vol/rootfs/                 rebuilt before every input with
 *       etc/passwd, dir/, up -> ../../outside, abs -> <scratch>/outside
 *       (symlinks out of the tree that no entry may write through)
 *   <scratch>/layer                       the input, as a layer file
 * Before and after each input the whole scratch tree outside rootfs/ is
 * described (names, types, sizes, modes, owners, link counts, inode,
 * mtime/ctime, symlink targets) and the two descriptions must be equal.
 * Layers are applied with a 16 MiB budget, so bombs end as -EVE_ETOOBIG.
 *
 * Input: byte 0 even: the rest is the layer file itself (tar, any
 * compression: libarchive's parsing is fuzzed). Odd: the rest is a list of
 * entries the harness writes as a valid tar, so the fuzzer spends its time
 * on names, link targets and whiteouts rather than on tar checksums:
 *   [type][name length][name][target length][target][data length][data]...
 * type % 6: 0 file, 1 directory, 2 symlink, 3 hard link, 4 hard link with
 * data, 5 fifo. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_util.h"
#include "oci_unpack.h"

#define BUDGET (16u << 20)

static char scratch[256], rootfs[300], layer[300];
static struct buf *snap; /* nftw callbacks take no context */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	if (scratch[0])
		rm_rf(scratch);
}

static void put(const char *rel, const char *data)
{
	char p[400];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FUZZ_CHECK(fd >= 0 && write(fd, data, strlen(data)) == (ssize_t)strlen(data), "write fixture file");
	close(fd);
}

static void sub(const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", scratch, rel);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = fuzz_tmp_base();
	char p[400];

	snprintf(scratch, sizeof(scratch), "%s/evefuzz-oci-XXXXXX", base);
	FUZZ_CHECK(mkdtemp(scratch), "mkdtemp");
	atexit(cleanup);
	sub("outside", p, sizeof(p));
	FUZZ_CHECK(mkdir(p, 0755) == 0, "mkdir outside");
	sub("outside/dir", p, sizeof(p));
	FUZZ_CHECK(mkdir(p, 0755) == 0, "mkdir outside/dir");
	sub("vol", p, sizeof(p));
	FUZZ_CHECK(mkdir(p, 0755) == 0, "mkdir vol");
	put("outside/secret", "secret");
	put("outside/dir/file", "file");
	sub("vol/rootfs", rootfs, sizeof(rootfs));
	sub("layer", layer, sizeof(layer));
	return 0;
}

static void make_rootfs(void)
{
	char p[400], target[300];

	rm_rf(rootfs);
	FUZZ_CHECK(mkdir(rootfs, 0755) == 0, "mkdir rootfs");
	sub("vol/rootfs/etc", p, sizeof(p));
	FUZZ_CHECK(mkdir(p, 0755) == 0, "mkdir etc");
	sub("vol/rootfs/dir", p, sizeof(p));
	FUZZ_CHECK(mkdir(p, 0755) == 0, "mkdir dir");
	put("vol/rootfs/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	sub("vol/rootfs/up", p, sizeof(p));
	FUZZ_CHECK(symlink("../../outside", p) == 0, "symlink up");
	sub("vol/rootfs/abs", p, sizeof(p));
	sub("outside", target, sizeof(target));
	FUZZ_CHECK(symlink(target, p) == 0, "symlink abs");
}

static int describe(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char link[256] = "";

	if (!strcmp(path, rootfs))
		return FTW_SKIP_SUBTREE; /* inside the rootfs: anything goes */
	if (!strcmp(path, layer))
		return FTW_CONTINUE;
	if (S_ISLNK(st->st_mode) && readlink(path, link, sizeof(link) - 1) < 0)
		link[0] = '\0';
	buf_printf(snap, "%s %o %u:%u n%lu i%lu s%lld m%lld.%09ld c%lld.%09ld ->%s\n", path, st->st_mode,
		   st->st_uid, st->st_gid, (unsigned long)st->st_nlink, (unsigned long)st->st_ino,
		   (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		   (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, link);
	return 0;
}

static void snapshot(struct buf *b)
{
	buf_init(b, 1u << 20);
	snap = b;
	FUZZ_CHECK(nftw(scratch, describe, 16, FTW_PHYS | FTW_ACTIONRETVAL) == 0, "walk scratch");
	snap = NULL;
}

/* One length-prefixed field of the structured input; NULL past the end. */
static const uint8_t *field(const uint8_t **p, const uint8_t *end, char *out)
{
	size_t n;

	if (*p >= end)
		return NULL;
	n = **p;
	if ((size_t)(end - *p - 1) < n)
		return NULL;
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += 1 + n;
	return *p;
}

static void add_entry(struct archive *a, int type, const char *name, const char *target, const char *data)
{
	static const mode_t types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFREG, AE_IFREG, AE_IFIFO};
	struct archive_entry *e = archive_entry_new();
	size_t len = strlen(data);

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, types[type]);
	archive_entry_set_perm(e, type == 1 ? 0755 : 0644);
	if (type == 2)
		archive_entry_set_symlink(e, target);
	if (type == 3 || type == 4)
		archive_entry_set_hardlink(e, target);
	if (type == 0 || type == 4)
		archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) == ARCHIVE_OK && (type == 0 || type == 4))
		archive_write_data(a, data, len);
	archive_entry_free(e);
}

/* Write the structured entries of [p, end) as a tar to the layer file. */
static void write_structured(const uint8_t *p, const uint8_t *end)
{
	struct archive *a = archive_write_new();
	char name[256], target[256], data[256];

	archive_write_set_format_pax_restricted(a);
	FUZZ_CHECK(archive_write_open_filename(a, layer) == ARCHIVE_OK, "open layer for writing");
	while (p < end) {
		int type = *p++ % 6;

		if (!field(&p, end, name) || !field(&p, end, target) || !field(&p, end, data))
			break;
		add_entry(a, type, name, target, data);
	}
	archive_write_close(a);
	archive_write_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf before, after;
	uint64_t budget = BUDGET;
	char err[512] = "";
	int fd;

	if (size < 1)
		return 0;
	make_rootfs();
	if (data[0] & 1) {
		write_structured(data + 1, data + size);
	} else {
		fd = open(layer, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		FUZZ_CHECK(fd >= 0 && write(fd, data + 1, size - 1) == (ssize_t)(size - 1), "write layer");
		close(fd);
	}
	snapshot(&before);
	(void)oci_apply_layer(layer, rootfs, &budget, err, sizeof(err));
	snapshot(&after);
	if (before.len != after.len || memcmp(before.data, after.data, before.len) != 0) {
		fprintf(stderr, "outside the rootfs changed (%s)\n--- before\n%s--- after\n%s", err,
			before.data ? (char *)before.data : "", after.data ? (char *)after.data : "");
		abort();
	}
	FUZZ_CHECK(budget <= BUDGET, "budget");
	buf_free(&before);
	buf_free(&after);
	return 0;
}
