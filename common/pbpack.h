// SPDX-License-Identifier: Apache-2.0
/* Packing a protobuf-c message into a buffer of its own. */
#ifndef EVE_PBPACK_H
#define EVE_PBPACK_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Pack m into a new buffer (*out, *len; the caller frees *out; at least one
 * byte is allocated so an empty message is not NULL). 0, -EVE_ETOOBIG when
 * the packed size is over max (0: no cap), or -ENOMEM. */
int pbpack(const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *len);

#endif
