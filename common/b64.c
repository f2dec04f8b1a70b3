// SPDX-License-Identifier: Apache-2.0
/* Standard base64 with padding (RFC 4648 section 4). */
#include <stdlib.h>

#include "b64.h"
#include "err.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *b64_encode(const uint8_t *in, size_t len)
{
	size_t outlen, o = 0;
	char *out;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	outlen = (len + 2) / 3 * 4;
	out = malloc(outlen + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t rem = len - i;

		if (rem > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (rem > 2)
			v |= in[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = rem > 1 ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = rem > 2 ? b64_alphabet[v & 63] : '=';
	}
	out[o] = 0;
	return out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decode a group of 4 symbols (pad counts the trailing '='). */
static void b64_put_group(const int q[4], int pad, uint8_t *out, size_t *o)
{
	uint32_t v = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 | (uint32_t)q[3];

	out[(*o)++] = (uint8_t)(v >> 16);
	if (pad < 2)
		out[(*o)++] = (uint8_t)(v >> 8);
	if (pad < 1)
		out[(*o)++] = (uint8_t)v;
}

int b64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = malloc(len / 4 * 3 + 3);
	int q[4], n = 0, pad = 0, r = -EINVAL;
	size_t o = 0;
	int done = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (is_space(c))
			continue;
		if (done)
			goto out; /* data after the padded final group */
		if (c == '=') {
			/* Padding only in the last two positions of a group. */
			if (n < 2)
				goto out;
			q[n++] = 0;
			pad++;
		} else {
			int v = b64_value(c);

			if (v < 0 || pad)
				goto out;
			q[n++] = v;
		}
		if (n == 4) {
			b64_put_group(q, pad, buf, &o);
			done = pad > 0;
			n = 0;
		}
	}
	if (n != 0)
		goto out;
	*out = buf;
	*out_len = o;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}
