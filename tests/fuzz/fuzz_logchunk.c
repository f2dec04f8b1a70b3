// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: a stored log chunk read back (logchunk_load then the
 * record iterator), as the controller reads a log_chunks row whose bytes
 * it cannot trust (a damaged or edited database).
 *
 * Input: byte 0 bit 0 set: the rest is zlib data whose claimed raw length
 * is the next three bytes (big endian, up to 16 MiB: over the cap must be
 * refused); clear: the rest is the raw record form. Every line read must
 * lie inside the raw bytes with rising ids, and re-encoding the lines must
 * give back the same lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz_util.h"
#include "logchunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lines(const uint8_t *raw, size_t len, int64_t first_id)
{
	struct logchunk_iter it, again;
	struct logchunk_enc e;
	struct logline l, m;
	int64_t prev = 0;
	int r;

	logchunk_enc_init(&e);
	logchunk_iter_init(&it, raw, len, first_id);
	while ((r = logchunk_next(&it, &l)) == 1) {
		FUZZ_CHECK((const uint8_t *)l.source >= raw &&
			       (const uint8_t *)l.msg + l.msg_len <= raw + len,
			   "line inside the chunk");
		FUZZ_CHECK(it.n == 1 || l.id > prev, "ids rise");
		prev = l.id;
		if (logchunk_enc_add(&e, &l) < 0) /* deltas past what a record holds */
			goto out;
	}
	FUZZ_CHECK(r == 0 || r == -EVE_EPROTO, "logchunk_next result");
	logchunk_iter_init(&it, raw, len, first_id);
	logchunk_iter_init(&again, e.raw.data, e.raw.len, e.first_id);
	for (uint32_t i = 0; i < e.n; i++) {
		FUZZ_CHECK(logchunk_next(&it, &l) == 1 && logchunk_next(&again, &m) == 1, "re-read");
		FUZZ_CHECK(l.id == m.id && l.t_ms == m.t_ms && l.msg_len == m.msg_len &&
			       !memcmp(l.msg, m.msg, l.msg_len) && l.source_len == m.source_len &&
			       !memcmp(l.source, m.source, l.source_len) &&
			       l.severity_len == m.severity_len &&
			       !memcmp(l.severity, m.severity, l.severity_len),
			   "round trip");
	}
	FUZZ_CHECK(logchunk_next(&again, &m) == 0, "round trip: no extra line");
out:
	logchunk_enc_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf raw;
	int64_t claimed;
	int r;

	if (size < 4)
		return 0;
	claimed = (int64_t)data[1] << 16 | (int64_t)data[2] << 8 | data[3];
	buf_init(&raw, LOGCHUNK_RAW_MAX);
	if (data[0] & 1)
		r = logchunk_load(LOGCHUNK_ZLIB, data + 4, size - 4, claimed, &raw);
	else
		r = logchunk_load(LOGCHUNK_RAW, data + 1, size - 1, (int64_t)size - 1, &raw);
	FUZZ_CHECK(r == 0 || r == -EVE_EPROTO || r == -EVE_ETOOBIG || r == -ENOMEM, "logchunk_load result");
	FUZZ_CHECK(r < 0 || claimed <= (int64_t)LOGCHUNK_RAW_MAX || !(data[0] & 1), "cap");
	if (r == 0)
		check_lines(raw.data, raw.len, data[0] & 2 ? INT64_MAX - 1000 : 1);
	buf_free(&raw);
	return 0;
}
