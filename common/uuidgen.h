// SPDX-License-Identifier: Apache-2.0
/* New UUIDs in their 36-character text form: random (version 4) or
 * time-ordered (version 7, RFC 9562). */
#ifndef EVE_UUIDGEN_H
#define EVE_UUIDGEN_H

#include <stdbool.h>

#define UUID_STR_LEN 37 /* 36 characters + NUL */

/* Fill out with a new lower-case v4 UUID from the OpenSSL CSPRNG. */
int uuidgen_v4(char out[UUID_STR_LEN]);
/* Fill out with a new lower-case v7 UUID: 48 bits of Unix milliseconds,
 * then 74 random bits. Ids made later sort after earlier ones (to the
 * millisecond), so a B-tree index of them takes its inserts at its end. */
int uuidgen_v7(char out[UUID_STR_LEN]);
/* True when s is a well-formed 8-4-4-4-12 hex UUID. */
bool uuidgen_valid(const char *s);

#endif
