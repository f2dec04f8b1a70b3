// SPDX-License-Identifier: Apache-2.0
/* Messages for our error codes: errno values go through strerror's table,
 * EVE_* codes through ours. */
#include <string.h>

#include "err.h"

static const char *const eve_messages[] = {
    [EVE_EBADSIG - EVE_EBADSIG] = "signature does not verify",
    [EVE_EBADCERT - EVE_EBADSIG] = "certificate unknown, malformed or not chaining",
    [EVE_EPROTO - EVE_EBADSIG] = "malformed protobuf or envelope",
    [EVE_EHASH - EVE_EBADSIG] = "content hash mismatch",
    [EVE_EHTTP - EVE_EBADSIG] = "unexpected HTTP status",
    [EVE_ECRYPTO - EVE_EBADSIG] = "cryptographic operation failed",
    [EVE_ETOOBIG - EVE_EBADSIG] = "input larger than its size cap",
};

const char *eve_strerror(int err)
{
	int code = err < 0 ? -err : err;
	size_t n = sizeof(eve_messages) / sizeof(eve_messages[0]);

	if (code == 0)
		return "success";
	if (code >= EVE_EBADSIG && (size_t)(code - EVE_EBADSIG) < n)
		return eve_messages[code - EVE_EBADSIG];
	if (code < EVE_EBADSIG)
		return strerrordesc_np(code) ? strerrordesc_np(code) : "unknown error";
	return "unknown error";
}
