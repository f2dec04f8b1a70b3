// SPDX-License-Identifier: Apache-2.0
/* How much of the controller's SQLite database is in use, read through a
 * read-only connection of our own: (page_count - freelist_count) x page_size
 * as a reader sees it, so pages still in the WAL count and the WAL's own
 * unbounded growth does not. */
#ifndef DEVSIM_DBSIZE_H
#define DEVSIM_DBSIZE_H

#include <stdint.h>

/* Used bytes of the database at path; -ENOENT / -EIO. */
int dbsize_used(const char *path, uint64_t *out);

#endif
