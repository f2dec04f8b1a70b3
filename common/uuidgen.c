// SPDX-License-Identifier: Apache-2.0
/* Version 4 and version 7 UUIDs from the OpenSSL CSPRNG. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "hexstr.h"
#include "uuidgen.h"

static void uuid_format(uint8_t u[16], unsigned version, char out[UUID_STR_LEN])
{
	char hex[33];

	u[6] = (uint8_t)((u[6] & 0x0f) | (version << 4));
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	hexstr_encode(u, 16, hex);
	snprintf(out, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

int uuidgen_v4(char out[UUID_STR_LEN])
{
	uint8_t u[16];

	if (RAND_bytes(u, sizeof(u)) != 1)
		return -EVE_ECRYPTO;
	uuid_format(u, 4, out);
	return 0;
}

int uuidgen_v7(char out[UUID_STR_LEN])
{
	struct timespec ts;
	uint8_t u[16];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	if (RAND_bytes(u + 6, sizeof(u) - 6) != 1)
		return -EVE_ECRYPTO;
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 5; i >= 0; i--, ms >>= 8)
		u[i] = (uint8_t)ms; /* big-endian 48-bit Unix milliseconds */
	uuid_format(u, 7, out);
	return 0;
}

bool uuidgen_valid(const char *s)
{
	static const char dash_at[] = {8, 13, 18, 23};
	size_t d = 0;

	if (!s || strlen(s) != UUID_STR_LEN - 1)
		return false;
	for (size_t i = 0; i < UUID_STR_LEN - 1; i++) {
		char c = s[i];

		if (d < sizeof(dash_at) && i == (size_t)dash_at[d]) {
			if (c != '-')
				return false;
			d++;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}
