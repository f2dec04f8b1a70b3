// SPDX-License-Identifier: Apache-2.0
/* Log chunks: many log lines of one device (or app instance) stored as one
 * compressed blob (logstore.c keeps them in SQLite). This module is the
 * codec only: no SQL, no logging.
 *
 * Raw form, one record per line: a text header
 *   "<id delta> <time delta> <source len> <severity len> <msg len>\n"
 * then the three strings' bytes. Ids start from the chunk's first id (the
 * first record's delta may be 0, later ones are >= 1: ids strictly rise);
 * times (ms) start from 0. The raw form is stored as is (LOGCHUNK_RAW) or
 * zlib-compressed (LOGCHUNK_ZLIB). Stored bytes are untrusted on read: every
 * length and number is checked and decompression is capped. */
#ifndef CTL_LOGCHUNK_H
#define CTL_LOGCHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum { LOGCHUNK_RAW = 0, LOGCHUNK_ZLIB = 1 };

/* Largest raw chunk ever written or read back (a chunk holds at most
 * LOGCHUNK_SEAL_BYTES plus one line of at most ~80 KB). */
#define LOGCHUNK_RAW_MAX (1u << 20)

/* One line; the strings are not NUL-terminated (lengths given). */
struct logline {
	int64_t id, t_ms;
	const char *source, *severity, *msg;
	size_t source_len, severity_len, msg_len;
};

struct logchunk_enc {
	struct buf raw; /* owned; capped at LOGCHUNK_RAW_MAX */
	int64_t first_id, last_id, prev_t, t_min, t_max;
	uint32_t n;
};

void logchunk_enc_init(struct logchunk_enc *e);
/* Append a line (its id must exceed the previous one): 0, -EINVAL on a
 * falling id, -EVE_ETOOBIG past LOGCHUNK_RAW_MAX (encoder unchanged). */
int logchunk_enc_add(struct logchunk_enc *e, const struct logline *l);
/* Forget the lines, keep the memory. */
void logchunk_enc_reset(struct logchunk_enc *e);
void logchunk_enc_free(struct logchunk_enc *e);

/* Append the zlib form of raw at level (1-9) to out (bounded by its cap). */
int logchunk_compress(const uint8_t *raw, size_t len, int level, struct buf *out);
/* Stored (enc, data) back to its raw form of exactly raw_len bytes
 * (<= LOGCHUNK_RAW_MAX) in out (emptied first): -EVE_EPROTO when the data
 * does not inflate to exactly that, -EVE_ETOOBIG past the cap. */
int logchunk_load(int enc, const uint8_t *data, size_t len, int64_t raw_len, struct buf *out);

struct logchunk_iter {
	const uint8_t *p, *end;
	int64_t prev_id, prev_t;
	uint32_t n;
};

void logchunk_iter_init(struct logchunk_iter *it, const uint8_t *raw, size_t len, int64_t first_id);
/* Next line into *l (pointing into raw): 1, 0 at the end, -EVE_EPROTO on
 * a malformed record (the iteration then stops). */
int logchunk_next(struct logchunk_iter *it, struct logline *l);

#endif
