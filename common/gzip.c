// SPDX-License-Identifier: Apache-2.0
#include "gzip.h"

#include <errno.h>
#include <zlib.h>

#include "err.h"

#define GZIP_WINDOW (15 + 16) /* 2^15 window, gzip wrapper */

int gzip_compress(const void *data, size_t len, const char *comment, struct buf *out)
{
	gz_header hdr = {0};
	z_stream zs = {0};
	uint8_t chunk[16384];
	int zr, r = 0;

	if (len > UINT32_MAX)
		return -EVE_ETOOBIG;
	if (deflateInit2(&zs, 6, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	hdr.comment = (Bytef *)comment;
	hdr.os = 3; /* Unix */
	deflateSetHeader(&zs, &hdr);
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = deflate(&zs, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			r = -EIO;
			goto out;
		}
		r = buf_append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (r == 0 && zr != Z_STREAM_END);
out:
	deflateEnd(&zs);
	return r;
}

int gzip_decompress(const void *data, size_t len, struct buf *out)
{
	z_stream zs = {0};
	uint8_t chunk[16384];
	int zr = Z_OK, r = 0;

	if (len > UINT32_MAX)
		return -EVE_ETOOBIG;
	if (inflateInit2(&zs, GZIP_WINDOW) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			r = -EVE_EPROTO;
			goto out;
		}
		r = buf_append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (r == 0 && zr != Z_STREAM_END && (zs.avail_in > 0 || zs.avail_out == 0));
	if (r == 0 && zr != Z_STREAM_END)
		r = -EVE_EPROTO;
out:
	inflateEnd(&zs);
	return r;
}
