// SPDX-License-Identifier: Apache-2.0
/* Random (version 4) UUIDs in their 36-character text form. */
#ifndef EVE_UUIDGEN_H
#define EVE_UUIDGEN_H

#include <stdbool.h>

#define UUID_STR_LEN 37 /* 36 characters + NUL */

/* Fill out with a new lower-case v4 UUID from the OpenSSL CSPRNG. */
int uuidgen_v4(char out[UUID_STR_LEN]);
/* True when s is a well-formed 8-4-4-4-12 hex UUID. */
bool uuidgen_valid(const char *s);

#endif
