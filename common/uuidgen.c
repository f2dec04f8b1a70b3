// SPDX-License-Identifier: Apache-2.0
/* Version 4 UUIDs from the OpenSSL CSPRNG. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hexstr.h"
#include "uuidgen.h"

int uuidgen_v4(char out[UUID_STR_LEN])
{
	uint8_t u[16];
	char hex[33];

	if (RAND_bytes(u, sizeof(u)) != 1)
		return -EVE_ECRYPTO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	hexstr_encode(u, sizeof(u), hex);
	snprintf(out, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
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
