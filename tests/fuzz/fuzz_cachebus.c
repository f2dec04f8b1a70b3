// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the replicas' cache messages (controller/cachebus.c),
 * read from the database's notification channel.
 *
 * Input: the payload text (a NUL ends it early). When it parses, the uuid
 * is well-formed (or empty for "every device"), and formatting the message
 * gives back exactly the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cachebus.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), again[CACHEBUS_MSG_MAX + 1];
	struct cachebus_msg m;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (cachebus_parse(text, &m) == 0) {
		FUZZ_CHECK(m.uuid[0] ? uuidgen_valid(m.uuid) && m.kind != CACHEBUS_ONBOARD
				     : m.kind == CACHEBUS_CONFIG || m.kind == CACHEBUS_ONBOARD,
			   "uuid");
		FUZZ_CHECK(cachebus_format(&m, again) == 0, "formats");
		FUZZ_CHECK(!strcmp(again, text), "round trip");
	}
	free(text);
	return 0;
}
