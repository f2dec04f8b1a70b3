// SPDX-License-Identifier: Apache-2.0
/* gzip (RFC 1952) in memory, for EVE's newlog files: batches of JSON lines
 * with their metadata in the gzip header comment. */
#ifndef EVE_GZIP_H
#define EVE_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

/* Append the gzip of data to out; comment (may be NULL) goes in the header.
 * -EVE_ETOOBIG past out's cap. */
int gzip_compress(const void *data, size_t len, const char *comment, struct buf *out);
/* Append the inflated contents of one gzip member to out, bounded by its
 * cap (so a small bomb cannot grow memory): -EVE_EPROTO on corrupt or
 * truncated input, -EVE_ETOOBIG past the cap. */
int gzip_decompress(const void *data, size_t len, struct buf *out);

#endif
