// SPDX-License-Identifier: Apache-2.0
/* Small readers for sysfs/procfs files: sorted directory listings and one
 * number or word per file. Every read is bounded; a missing or unreadable
 * file reads as -1 / "". Library code: no logging. */
#ifndef EVE_SYSFSREAD_H
#define EVE_SYSFSREAD_H

#include <stddef.h>

/* Sorted entry names of dir, dot entries left out, at most 4096 (NULL and
 * *n = 0 when dir cannot be read). Free with sysfs_list_free. */
char **sysfs_list(const char *dir, size_t *n);
void sysfs_list_free(char **v, size_t n);

/* The number in file path, base 16 (an optional 0x) or 10; -1 if none. */
long sysfs_hex(const char *path);
long sysfs_dec(const char *path);

/* The first line of path (at most len - 1 bytes) into out; "" if none. */
void sysfs_str(const char *path, char *out, size_t len);

/* The last component of the symlink at path (a driver, an iommu group)
 * into out; "" if path is not a link. */
void sysfs_link_base(const char *path, char *out, size_t len);

#endif
