// SPDX-License-Identifier: Apache-2.0
/* WebSocket framing, the server's side (wsframe.h). */
#include "wsframe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void wsframe_parser_init(struct wsframe_parser *p)
{
	memset(p, 0, sizeof(*p));
}

/* Bytes the header needs, given what is there. */
static size_t hdr_need(const struct wsframe_parser *p)
{
	if (p->hlen < 2)
		return 2;
	size_t n = 2;
	uint8_t l = p->hdr[1] & 0x7f;
	if (l == 126)
		n += 2;
	else if (l == 127)
		n += 8;
	if (p->hdr[1] & 0x80)
		n += 4;
	return n;
}

static bool is_control(uint8_t op)
{
	return op & 0x8;
}

/* A complete header: check it and start the payload. */
static int frame_start(struct wsframe_parser *p)
{
	const uint8_t *h = p->hdr;
	bool fin = h[0] & 0x80;
	uint8_t op = h[0] & 0x0f, l = h[1] & 0x7f;
	size_t at = 2;
	uint64_t len = l;
	if ((h[0] & 0x70) || !(h[1] & 0x80)) /* RSV bits; clients must mask */
		return -EPROTO;
	if (l == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
	} else if (l == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		if (len >> 63)
			return -EPROTO;
		at = 10;
	}
	if (is_control(op)) {
		if (op != WSFRAME_CLOSE && op != WSFRAME_PING && op != WSFRAME_PONG)
			return -EPROTO;
		if (!fin || len > WSFRAME_CTL_MAX || (op == WSFRAME_CLOSE && len == 1))
			return -EPROTO;
	} else if (op == WSFRAME_CONT) {
		if (!p->msg_op)
			return -EPROTO;
		if (fin)
			p->msg_op = 0;
	} else if (op == WSFRAME_TEXT || op == WSFRAME_BINARY) {
		if (p->msg_op)
			return -EPROTO;
		if (!fin)
			p->msg_op = op;
	} else {
		return -EPROTO;
	}
	memcpy(p->mask, h + at, 4);
	p->op = op;
	p->left = len;
	p->mpos = 0;
	p->ctl_len = 0;
	p->hlen = 0;
	p->in_data = true;
	return 0;
}

/* The payload is complete: 1 with the event for a control frame. */
static int frame_end(struct wsframe_parser *p, struct wsframe_event *ev)
{
	p->in_data = false;
	if (!is_control(p->op))
		return 0;
	ev->op = (enum wsframe_op)p->op;
	ev->payload = p->ctl;
	ev->len = p->ctl_len;
	return 1;
}

static void unmask(struct wsframe_parser *p, const uint8_t *in, size_t k, uint8_t *out, size_t *out_len)
{
	bool ctl = is_control(p->op);
	for (size_t j = 0; j < k; j++) {
		uint8_t b = in[j] ^ p->mask[p->mpos++ & 3];
		if (ctl)
			p->ctl[p->ctl_len++] = b; /* <= WSFRAME_CTL_MAX: checked at the header */
		else
			out[(*out_len)++] = b;
	}
}

int wsframe_feed(struct wsframe_parser *p, const uint8_t *in, size_t n, size_t *used, uint8_t *out,
		 size_t *out_len, struct wsframe_event *ev)
{
	size_t i = 0;
	int r = 0;
	*out_len = 0;
	while (i < n && r == 0) {
		if (!p->in_data) {
			p->hdr[p->hlen++] = in[i++];
			if (p->hlen < hdr_need(p))
				continue;
			r = frame_start(p);
			if (r == 0 && p->left == 0)
				r = frame_end(p, ev);
			continue;
		}
		size_t k = n - i < p->left ? n - i : (size_t)p->left;
		unmask(p, in + i, k, out, out_len);
		i += k;
		p->left -= k;
		if (p->left == 0)
			r = frame_end(p, ev);
	}
	*used = i;
	return r;
}

size_t wsframe_header(enum wsframe_op op, uint64_t len, uint8_t hdr[10])
{
	hdr[0] = (uint8_t)(0x80 | (op & 0x0f));
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

int wsframe_accept(const char *key, char out[WSFRAME_ACCEPT_LEN])
{
	uint8_t *raw = NULL, md[EVP_MAX_MD_SIZE];
	size_t rlen = 0;
	unsigned mdlen = 0;
	char buf[64];
	if (!key || strlen(key) != 24 || b64_decode(key, 24, &raw, &rlen) < 0)
		return -EINVAL;
	free(raw);
	if (rlen != 16)
		return -EINVAL;
	int n = snprintf(buf, sizeof(buf), "%s" WS_GUID, key);
	if (n <= 0 || (size_t)n >= sizeof(buf) || !EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha1(), NULL))
		return -EINVAL;
	char *b = b64_encode(md, mdlen);
	if (!b)
		return -ENOMEM;
	int r = strlen(b) + 1 == WSFRAME_ACCEPT_LEN ? 0 : -EINVAL;
	if (r == 0)
		memcpy(out, b, WSFRAME_ACCEPT_LEN);
	free(b);
	return r;
}
