// SPDX-License-Identifier: Apache-2.0
/* UTF-8 validation of untrusted text, one sequence at a time. */
#ifndef EVE_UTF8_H
#define EVE_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence starting at p, or 0 when it is
 * not valid (stray continuation byte, overlong form, surrogate, past
 * U+10FFFF, or cut short). p points into a NUL-terminated string; no byte
 * past the NUL is read. */
size_t utf8_seq_len(const unsigned char *p);

#endif
