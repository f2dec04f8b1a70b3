// SPDX-License-Identifier: Apache-2.0
/* wsframe: RFC 6455's examples (accept key, masked "Hello"), fragments with
 * a ping between them, byte-at-a-time input, 16- and 64-bit lengths, and
 * every protocol violation the parser must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wsframe.h"

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A client frame (masked unless masked is false) into out; its length. */
static size_t frame(uint8_t *out, uint8_t b0, const void *payload, size_t n, bool masked)
{
	size_t at = 0;
	const uint8_t *p = payload;
	out[at++] = b0;
	uint8_t m = masked ? 0x80 : 0;
	if (n < 126) {
		out[at++] = (uint8_t)(m | n);
	} else if (n <= 0xffff) {
		out[at++] = m | 126;
		out[at++] = (uint8_t)(n >> 8);
		out[at++] = (uint8_t)n;
	} else {
		out[at++] = m | 127;
		for (int i = 0; i < 8; i++)
			out[at++] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	}
	if (masked) {
		memcpy(out + at, MASK, 4);
		at += 4;
	}
	for (size_t i = 0; i < n; i++)
		out[at + i] = masked ? p[i] ^ MASK[i % 4] : p[i];
	return at + n;
}

static void test_accept(void **st)
{
	char out[WSFRAME_ACCEPT_LEN];
	(void)st;
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(wsframe_accept("short", out), -EINVAL);
	assert_int_equal(wsframe_accept("dGhlIHNhbXBsZSBub25jZQ!!", out), -EINVAL);
	assert_int_equal(wsframe_accept(NULL, out), -EINVAL);
}

static void test_rfc_hello(void **st)
{
	/* RFC 6455 5.7: a single-frame masked text message "Hello" */
	const uint8_t in[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	struct wsframe_parser p;
	struct wsframe_event ev;
	uint8_t out[sizeof(in)];
	size_t used, olen;
	(void)st;
	wsframe_parser_init(&p);
	assert_int_equal(wsframe_feed(&p, in, sizeof(in), &used, out, &olen, &ev), 0);
	assert_int_equal(used, sizeof(in));
	assert_int_equal(olen, 5);
	assert_memory_equal(out, "Hello", 5);
	/* byte at a time: the same */
	wsframe_parser_init(&p);
	size_t total = 0;
	for (size_t i = 0; i < sizeof(in); i++) {
		assert_int_equal(wsframe_feed(&p, in + i, 1, &used, out + total, &olen, &ev), 0);
		assert_int_equal(used, 1);
		total += olen;
	}
	assert_int_equal(total, 5);
	assert_memory_equal(out, "Hello", 5);
}

static void test_fragments_and_ping(void **st)
{
	uint8_t in[256], out[256];
	size_t n = 0, used, olen, total = 0, off = 0;
	struct wsframe_parser p;
	struct wsframe_event ev;
	(void)st;
	n += frame(in + n, 0x01, "Hel", 3, true); /* text, not FIN */
	n += frame(in + n, 0x89, "hi", 2, true);  /* ping between fragments */
	n += frame(in + n, 0x80, "lo", 2, true);  /* continuation, FIN */
	n += frame(in + n, 0x88, "\x03\xe8", 2, true);
	wsframe_parser_init(&p);
	assert_int_equal(wsframe_feed(&p, in, n, &used, out, &olen, &ev), 1);
	assert_int_equal(ev.op, WSFRAME_PING);
	assert_int_equal(ev.len, 2);
	assert_memory_equal(ev.payload, "hi", 2);
	total += olen;
	off += used;
	assert_int_equal(wsframe_feed(&p, in + off, n - off, &used, out + total, &olen, &ev), 1);
	assert_int_equal(ev.op, WSFRAME_CLOSE);
	total += olen;
	off += used;
	assert_int_equal(off, n);
	assert_int_equal(total, 5);
	assert_memory_equal(out, "Hello", 5);
}

static void test_lengths(void **st)
{
	size_t sizes[] = {0, 125, 126, 65535, 65536, 100000};
	(void)st;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint8_t *payload = malloc(n + 1), *in = malloc(n + 14), *out = malloc(n + 14);
		struct wsframe_parser p;
		struct wsframe_event ev;
		size_t used, olen;
		for (size_t i = 0; i < n; i++)
			payload[i] = (uint8_t)(i * 7);
		size_t len = frame(in, 0x82, payload, n, true);
		wsframe_parser_init(&p);
		assert_int_equal(wsframe_feed(&p, in, len, &used, out, &olen, &ev), 0);
		assert_int_equal(olen, n);
		assert_memory_equal(out, payload, n);
		uint8_t hdr[10];
		assert_int_equal(wsframe_header(WSFRAME_BINARY, n, hdr), n < 126 ? 2 : n <= 0xffff ? 4 : 10);
		assert_int_equal(hdr[0], 0x82);
		free(payload);
		free(in);
		free(out);
	}
}

static int parse_all(const uint8_t *in, size_t n)
{
	struct wsframe_parser p;
	struct wsframe_event ev;
	uint8_t out[512];
	size_t used, olen, off = 0;
	int r = 0;
	wsframe_parser_init(&p);
	while (off < n && r >= 0) {
		r = wsframe_feed(&p, in + off, n - off, &used, out, &olen, &ev);
		off += used;
	}
	return r < 0 ? r : 0;
}

static void test_violations(void **st)
{
	uint8_t in[512], big[200];
	size_t n;
	(void)st;
	memset(big, 'x', sizeof(big));
	n = frame(in, 0x82, "abc", 3, false); /* unmasked */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0xc2, "abc", 3, true); /* RSV1 */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x83, "abc", 3, true); /* reserved opcode */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x09, "p", 1, true); /* fragmented ping */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x89, big, 126, true); /* over-long ping */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x88, "x", 1, true); /* close of 1 byte */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x80, "abc", 3, true); /* continuation of nothing */
	assert_int_equal(parse_all(in, n), -EPROTO);
	n = frame(in, 0x02, "ab", 2, true); /* new message inside a fragmented one */
	n += frame(in + n, 0x82, "cd", 2, true);
	assert_int_equal(parse_all(in, n), -EPROTO);
	const uint8_t huge[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}; /* 2^63 */
	assert_int_equal(parse_all(huge, sizeof(huge)), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_rfc_hello),
	    cmocka_unit_test(test_fragments_and_ping),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_violations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
