// SPDX-License-Identifier: Apache-2.0
/* protobuf-c message -> malloc'd bytes (see pbpack.h). */
#include <errno.h>
#include <stdlib.h>

#include "err.h"
#include "pbpack.h"

int pbpack(const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *p;

	if (max && n > max)
		return -EVE_ETOOBIG;
	p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	(void)protobuf_c_message_pack(m, p);
	*out = p;
	*len = n;
	return 0;
}
