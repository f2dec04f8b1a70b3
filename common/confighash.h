// SPDX-License-Identifier: Apache-2.0
/* The config hash a device sends back in ConfigRequest: SHA-256 (hex) of the
 * deterministic protobuf-c packing of the message, so the same message
 * always gives the same hash. */
#ifndef EVE_CONFIGHASH_H
#define EVE_CONFIGHASH_H

#include <protobuf-c/protobuf-c.h>

#define CONFIGHASH_LEN 65 /* 64 hex + NUL */

int confighash_message(const ProtobufCMessage *m, char out[CONFIGHASH_LEN]);

#endif
