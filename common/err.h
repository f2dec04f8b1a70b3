// SPDX-License-Identifier: Apache-2.0
/* Error codes shared by every module: 0 on success, a negative errno value on
 * failure. Modules convert library errors (OpenSSL, curl, sqlite, libvirt,
 * TSS2) into these once, at their edge. */
#ifndef EVE_ERR_H
#define EVE_ERR_H

#include <errno.h>

/* Codes beyond errno's range for failures errno has no name for. */
enum {
	EVE_EBADSIG = 4096, /* signature does not verify */
	EVE_EBADCERT,       /* certificate unknown, malformed or not chaining */
	EVE_EPROTO,         /* malformed protobuf / envelope */
	EVE_EHASH,          /* content hash mismatch */
	EVE_EHTTP,          /* unexpected HTTP status */
	EVE_ECRYPTO,        /* other OpenSSL / TPM failure */
	EVE_ETOOBIG,        /* input over its size cap */
};

/* Static, human readable text for a negative error code. Never NULL. */
const char *eve_strerror(int err);

#endif
