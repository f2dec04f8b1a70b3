// SPDX-License-Identifier: Apache-2.0
/* Volumes: the per-app disks and root filesystems made from content trees.
 * Layout: <root>/volumes/<uuid>/ holding disk.qcow2 (a qcow2 overlay on the
 * image blob, or a blank disk), or rootfs/ + image-config.json (an unpacked
 * OCI image), and a "ready" marker written last, so a half-built volume is
 * never used and is rebuilt after a crash. */
#ifndef EVE_RT_VOLUME_H
#define EVE_RT_VOLUME_H

#include <stddef.h>
#include <stdint.h>

/* Create a qcow2 overlay `path` backed by `base` (format raw/qcow2), of
 * virtual size `size` bytes (0 = the base's size). */
int volume_overlay(const char *base, const char *base_fmt, const char *path, uint64_t size, char *err,
		   size_t errlen);
/* Virtual size in bytes of a disk image: a qcow2 file's header size field,
 * else (raw) the file's size. 0 / negative errno. */
int volume_image_vsize(const char *path, uint64_t *size);
/* Create a raw file of size bytes holding an empty ext4 filesystem (a
 * container's data volume: loop-mounted, so writes past size fail with
 * ENOSPC inside the app). Atomic: built as path.tmp, then renamed. */
int volume_fs_create(const char *path, uint64_t size, char *err, size_t errlen);
/* The same, filled with the files of the directory src (mkfs.ext4 -d):
 * a container's root filesystem of its storage size. -ENOSPC-like errors
 * of mkfs (the files do not fit) come back with its message in err. */
int volume_fs_create_from(const char *path, uint64_t size, const char *src, char *err, size_t errlen);
/* Create an empty qcow2 disk of size bytes. */
int volume_blank(const char *path, uint64_t size, char *err, size_t errlen);
/* Copy the file `member` (e.g. "/boot/vmlinuz") out of an image readable by
 * libarchive (ISO 9660, tar) to `out` (written atomically, 0644). Members
 * over 512 MiB are refused. */
int volume_extract(const char *image, const char *member, const char *out, char *err, size_t errlen);
/* One file of an image made by volume_make_iso. */
struct volume_file {
	const char *name;
	const void *data;
	size_t len;
};
/* Write an ISO 9660 image (Rock Ridge + Joliet) with volume label `label`
 * holding files[0..n) at its root, atomically to out (0644). Used for the
 * cloud-init NoCloud drive ("cidata") of VM apps. */
int volume_make_iso(const char *out, const char *label, const struct volume_file *files, size_t n, char *err,
		    size_t errlen);
/* Remove a volume directory tree (no error if absent). */
int volume_remove_dir(const char *dir);
/* Run argv (argv[0] a program found in PATH), capturing stderr's first
 * line into err. 0 on exit status 0. */
int volume_run(char *const argv[], char *err, size_t errlen);
/* Bytes allocated on disk below path (files and directories). */
uint64_t volume_disk_usage(const char *path);

#endif
