// SPDX-License-Identifier: Apache-2.0
/* Config hash: SHA-256 over protobuf-c's packing of a message.
 * protobuf-c packs fields in field-number order, repeated fields in array
 * order, and unknown fields last, so the same message always gives the same
 * bytes. The bytes are streamed into the digest, never buffered. */
#include "confighash.h"

#include <openssl/evp.h>

#include "err.h"
#include "hexstr.h"

struct digest_sink {
	ProtobufCBuffer base; /* first: protobuf-c calls base.append */
	EVP_MD_CTX *ctx;
	int failed;
};

static void digest_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct digest_sink *s = (struct digest_sink *)buf;

	if (!s->failed && EVP_DigestUpdate(s->ctx, data, len) != 1)
		s->failed = 1;
}

int confighash_message(const ProtobufCMessage *m, char out[CONFIGHASH_LEN])
{
	struct digest_sink sink = {.base = {.append = digest_append}};
	uint8_t md[32];
	unsigned int mdlen = 0;
	int rc = -EVE_ECRYPTO;

	if (!m)
		return -EINVAL;
	sink.ctx = EVP_MD_CTX_new();
	if (!sink.ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(sink.ctx, EVP_sha256(), NULL) != 1)
		goto out;
	protobuf_c_message_pack_to_buffer(m, &sink.base);
	if (sink.failed || EVP_DigestFinal_ex(sink.ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		goto out;
	hexstr_encode(md, sizeof(md), out);
	rc = 0;
out:
	EVP_MD_CTX_free(sink.ctx);
	return rc;
}
