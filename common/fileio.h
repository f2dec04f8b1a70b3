// SPDX-License-Identifier: Apache-2.0
/* Files that must never be half-written: every state file is written to a
 * temporary in the same directory, fsync'd, renamed, and the directory
 * fsync'd. */
#ifndef EVE_FILEIO_H
#define EVE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Atomically replace path with data[0..len) created with the given mode. */
int fileio_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file of at most cap bytes into *data (NUL-terminated, caller
 * frees). -ENOENT if missing, -EVE_ETOOBIG if larger than cap. */
int fileio_read(const char *path, size_t cap, uint8_t **data, size_t *len);
/* mkdir -p with the given mode for created directories. */
int fileio_mkdirs(const char *path, mode_t mode);
/* fsync the directory that holds path. */
int fileio_sync_dir(const char *path);

#endif
