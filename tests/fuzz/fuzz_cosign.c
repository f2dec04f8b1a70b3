// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: cosign signatures (common/cosign.c), the decoders a
 * registry feeds with untrusted bytes.
 *
 * Input: byte 0 picks what the rest is:
 *   0: a signature manifest (sha256-<digest>.sig): parsed; when accepted,
 *      every signature layer must name a lower-case 64-hex payload digest
 *      and carry its annotation;
 *   1: a simple-signing payload: checked against a fixed digest; when
 *      accepted, a payload made for the same digest and reference must be
 *      accepted too and name the same reference;
 *   2: a base64 signature verified over a fixed payload with a fixed key
 *      (must never verify: the key signed nothing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosign.h"
#include "crypto.h"
#include "err.h"
#include "fuzz_util.h"

#define DIG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_manifest(const uint8_t *p, size_t n)
{
	struct cosign_manifest m;
	char err[256];

	if (cosign_manifest_parse(p, n, &m, err, sizeof(err)) < 0)
		return;
	FUZZ_CHECK(m.n > 0 && m.n <= COSIGN_MAX_SIGS, "signature count");
	for (size_t i = 0; i < m.n; i++) {
		FUZZ_CHECK(strlen(m.sigs[i].payload_hex) == 64, "payload digest length");
		FUZZ_CHECK(strspn(m.sigs[i].payload_hex, "0123456789abcdef") == 64, "payload digest hex");
		FUZZ_CHECK(m.sigs[i].sig_b64 != NULL, "signature annotation");
		FUZZ_CHECK(m.sigs[i].payload_size > 0 && m.sigs[i].payload_size <= COSIGN_PAYLOAD_MAX,
			   "payload size");
	}
	cosign_manifest_free(&m);
}

static void one_payload(const uint8_t *p, size_t n)
{
	char ref[COSIGN_REF_MAX], ref2[COSIGN_REF_MAX], err[256], *again = NULL;
	size_t len = 0;

	if (cosign_payload_check(p, n, DIG, ref, sizeof(ref), err, sizeof(err)) < 0)
		return;
	if (cosign_payload_make(ref, DIG, &again, &len) < 0)
		return;
	FUZZ_CHECK(cosign_payload_check(again, len, DIG, ref2, sizeof(ref2), err, sizeof(err)) == 0,
		   "a made payload is refused");
	FUZZ_CHECK(strcmp(ref, ref2) == 0, "reference changed in the round trip");
	free(again);
}

static void one_signature(const uint8_t *p, size_t n)
{
	static struct cosign_keyring ring;
	static int ready;
	char *sig = malloc(n + 1);
	size_t who;

	if (!sig)
		return;
	if (!ready) {
		EVP_PKEY *k = NULL;

		FUZZ_CHECK(crypto_ec_generate(&k) == 0 && cosign_keyring_add(&ring, k, "fuzz") == 0, "key");
		EVP_PKEY_free(k);
		ready = 1;
	}
	memcpy(sig, p, n);
	sig[n] = '\0';
	FUZZ_CHECK(cosign_verify(&ring, "payload", 7, sig, &who) != 0, "a random signature verified");
	free(sig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		one_manifest(data + 1, size - 1);
		break;
	case 1:
		one_payload(data + 1, size - 1);
		break;
	default:
		one_signature(data + 1, size - 1);
		break;
	}
	return 0;
}
