// SPDX-License-Identifier: Apache-2.0
/* WebSocket framing (RFC 6455), the server's side: the opening handshake's
 * accept key, a streaming parser of the frames a client sends (masked,
 * possibly fragmented, interleaved with control frames) and the header of
 * the frames a server sends (unmasked). No extensions, no subprotocol
 * semantics; text frames are taken as bytes (no UTF-8 check). Library
 * code: 0 or a negative errno, no logging, no allocation. */
#ifndef EVE_WSFRAME_H
#define EVE_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSFRAME_CTL_MAX 125 /* longest control frame payload */
#define WSFRAME_HDR_MAX 14  /* longest frame header */
#define WSFRAME_ACCEPT_LEN 29

enum wsframe_op {
	WSFRAME_CONT = 0x0,
	WSFRAME_TEXT = 0x1,
	WSFRAME_BINARY = 0x2,
	WSFRAME_CLOSE = 0x8,
	WSFRAME_PING = 0x9,
	WSFRAME_PONG = 0xa,
};

/* Parser state: zero it (or wsframe_parser_init) before the first byte. */
struct wsframe_parser {
	bool in_data;                 /* reading a payload (else a header) */
	uint8_t hdr[WSFRAME_HDR_MAX]; /* header bytes so far */
	size_t hlen;
	uint8_t op;      /* opcode of the current frame */
	uint8_t msg_op;  /* text/binary message being continued, 0 none */
	uint64_t left;   /* payload bytes still to come */
	uint8_t mask[4]; /* the frame's masking key */
	unsigned mpos;   /* position in the mask */
	uint8_t ctl[WSFRAME_CTL_MAX];
	size_t ctl_len;
};

/* A complete control frame; payload points into the parser (valid until
 * the next wsframe_feed). */
struct wsframe_event {
	enum wsframe_op op;
	const uint8_t *payload;
	size_t len;
};

void wsframe_parser_init(struct wsframe_parser *p);

/* Feed in[0..n) from the client. The payload bytes of data frames,
 * unmasked, are written to out (capacity >= n) and counted in *out_len;
 * *used is how many input bytes were consumed. Returns 0 when all n were
 * consumed, 1 when it stopped after a complete control frame (in *ev; feed
 * the rest after handling it), -EPROTO on a protocol violation (an
 * unmasked frame, RSV bits, an unknown opcode, a fragmented or over-long
 * control frame, a close frame of 1 byte, a continuation without a
 * message, a new message inside a fragmented one, a 64-bit length with its
 * top bit set): the connection must be failed. */
int wsframe_feed(struct wsframe_parser *p, const uint8_t *in, size_t n, size_t *used, uint8_t *out,
		 size_t *out_len, struct wsframe_event *ev);

/* The header of a server frame (FIN set, unmasked) of op carrying len
 * bytes, written to hdr; returns its length (2, 4 or 10). */
size_t wsframe_header(enum wsframe_op op, uint64_t len, uint8_t hdr[10]);

/* Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64 of
 * SHA-1(key + RFC 6455's GUID), NUL-terminated, into out. -EINVAL when
 * key is not the base64 of 16 bytes. */
int wsframe_accept(const char *key, char out[WSFRAME_ACCEPT_LEN]);

#endif
