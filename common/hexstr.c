// SPDX-License-Identifier: Apache-2.0
/* Lower-case hex of binary digests. */
#include "err.h"
#include "hexstr.h"

void hexstr_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hexstr_decode(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_nibble(in[2 * i]);
		int lo = hi < 0 ? -1 : hex_nibble(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	/* Characters after the 2*len decoded ones are the caller's business:
	 * hex prefixes of longer strings decode too. */
	return 0;
}
