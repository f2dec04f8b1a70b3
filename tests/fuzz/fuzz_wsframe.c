// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the WebSocket frame parser (common/wsframe.c), which
 * reads what a browser sends to the console dispatcher.
 *
 * Input: byte 0 is a chunk size (1..256), the rest is the byte stream from
 * the client. The stream is parsed twice, whole and in chunks of that
 * size; both must consume the same bytes, give the same data bytes and
 * the same control frames, and stop at the same protocol error. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	uint8_t *data; /* data bytes, in order */
	size_t n_data;
	uint8_t ctl[4096]; /* op, len, payload of each control frame */
	size_t n_ctl;
	int err;
	size_t consumed;
};

static void run(const uint8_t *in, size_t n, size_t chunk, struct trace *t)
{
	struct wsframe_parser p;
	struct wsframe_event ev;
	wsframe_parser_init(&p);
	t->data = malloc(n + 1);
	FUZZ_CHECK(t->data, "malloc");
	t->n_data = t->n_ctl = t->consumed = 0;
	t->err = 0;
	size_t off = 0;
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk, used = 0, olen = 0;
		int r = wsframe_feed(&p, in + off, k, &used, t->data + t->n_data, &olen, &ev);
		FUZZ_CHECK(used <= k && olen <= used, "consumed/produced counts");
		FUZZ_CHECK(r == -EPROTO || r == 0 || r == 1, "return value");
		FUZZ_CHECK(r != 0 || used == k, "0 means all consumed");
		t->n_data += olen;
		off += used;
		if (r < 0) {
			t->err = r;
			break;
		}
		if (r == 1) {
			FUZZ_CHECK(ev.len <= WSFRAME_CTL_MAX, "control payload length");
			FUZZ_CHECK(ev.op == WSFRAME_CLOSE || ev.op == WSFRAME_PING || ev.op == WSFRAME_PONG,
				   "control opcode");
			if (t->n_ctl + 2 + ev.len <= sizeof(t->ctl)) {
				t->ctl[t->n_ctl++] = (uint8_t)ev.op;
				t->ctl[t->n_ctl++] = (uint8_t)ev.len;
				memcpy(t->ctl + t->n_ctl, ev.payload, ev.len);
				t->n_ctl += ev.len;
			}
		}
	}
	t->consumed = off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace a, b;
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	run(data + 1, size - 1, size - 1 ? size - 1 : 1, &a);
	run(data + 1, size - 1, chunk, &b);
	FUZZ_CHECK(a.err == b.err && a.consumed == b.consumed, "same end whole and chunked");
	FUZZ_CHECK(a.n_data == b.n_data && !memcmp(a.data, b.data, a.n_data), "same data whole and chunked");
	FUZZ_CHECK(a.n_ctl == b.n_ctl && !memcmp(a.ctl, b.ctl, a.n_ctl), "same control frames");
	free(a.data);
	free(b.data);
	/* the header builder round-trips through a masked copy */
	uint8_t hdr[10];
	uint64_t len = size > 9 ? ((uint64_t)data[1] << 16 | (uint64_t)data[2] << 8 | data[3]) : size;
	size_t h = wsframe_header(WSFRAME_BINARY, len, hdr);
	FUZZ_CHECK(h == (len < 126 ? 2u : len <= 0xffff ? 4u : 10u), "header length");
	return 0;
}
