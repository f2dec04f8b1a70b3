// SPDX-License-Identifier: Apache-2.0
/* Standard base64 (RFC 4648, with padding). */
#ifndef EVE_B64_H
#define EVE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Encode; returns a NUL-terminated string the caller frees, NULL on ENOMEM. */
char *b64_encode(const uint8_t *in, size_t len);
/* Decode (whitespace ignored); *out is caller-freed. -EINVAL on bad input. */
int b64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len);

#endif
