// SPDX-License-Identifier: Apache-2.0
/* Lower-case hex encoding of binary digests. */
#ifndef EVE_HEXSTR_H
#define EVE_HEXSTR_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*len hex characters and a NUL into out (size >= 2*len+1). */
void hexstr_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly 2*len hex characters into out; -EINVAL on bad input. */
int hexstr_decode(const char *in, uint8_t *out, size_t len);

#endif
