// SPDX-License-Identifier: Apache-2.0
/* Content-addressed blob store: verified downloads live at
 * <root>/blobs/sha256/<hex>, written through a temp file + rename, so a blob
 * that exists is complete and its name is its SHA-256. Partial downloads
 * live beside them in <root>/blobs/partial/ until verified. Two content
 * trees with the same hash share one blob; blobs no content tree of the
 * current config names are garbage-collected. */
#ifndef EVE_RT_BLOBSTORE_H
#define EVE_RT_BLOBSTORE_H

#include <stdbool.h>
#include <stddef.h>

#define BLOBSTORE_HEX_LEN 65 /* 64 hex + NUL */

struct blobstore;

/* Create the directories below root. *out is freed with blobstore_free. */
int blobstore_open(const char *root, struct blobstore **out);
void blobstore_free(struct blobstore *bs);

/* True when hex is 64 lower/upper-case hex characters. */
bool blobstore_valid_hex(const char *hex);
/* Path of the blob (caller frees); it need not exist. -EINVAL on a bad hex. */
int blobstore_path(const struct blobstore *bs, const char *hex, char **out);
/* Path of the partial download for key (caller frees). key is a hex or a
 * UUID (only [0-9a-zA-Z-] accepted). */
int blobstore_partial_path(const struct blobstore *bs, const char *key, char **out);
bool blobstore_has(const struct blobstore *bs, const char *hex);

/* SHA-256 of a file as lower-case hex. */
int blobstore_hash_file(const char *path, char out[BLOBSTORE_HEX_LEN]);
/* Verify that file tmp hashes to hex and move it to its blob path. On a
 * mismatch tmp is deleted and -EVE_EHASH returned (actual hash in got, may
 * be NULL). */
int blobstore_commit(struct blobstore *bs, const char *tmp, const char *hex, char got[BLOBSTORE_HEX_LEN]);
/* Delete every blob and partial download whose name is not in keep[0..n).
 * Returns the number of files removed or a negative error. */
int blobstore_gc(struct blobstore *bs, const char *const *keep, size_t n);

#endif
