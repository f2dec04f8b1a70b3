// SPDX-License-Identifier: Apache-2.0
/* JSON <-> protobuf for any message, driven by protobuf-c descriptors.
 * Field names are the .proto names; enums are their value names (numbers are
 * accepted on input); bytes are base64; 64-bit integers are JSON integers;
 * repeated fields are arrays; unset message fields are omitted. */
#ifndef EVE_PBJSON_H
#define EVE_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* New JSON object for m (caller owns the reference), NULL on ENOMEM. */
json_t *pbjson_from_message(const ProtobufCMessage *m);
/* New message of type desc from JSON (free with protobuf_c_message_free_unpacked
 * and the default allocator). Unknown keys and type mismatches are errors;
 * err (may be NULL) receives a message naming the field. */
int pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *j, ProtobufCMessage **out,
		      char *err, size_t errlen);

#endif
