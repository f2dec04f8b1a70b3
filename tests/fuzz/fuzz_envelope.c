// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: AuthContainer parse and verify (common/envelope.c).
 *
 * Input: byte 0 picks the mode, the rest is the data.
 *   even: the data is an AuthContainer from the network: parse it, match
 *         its sender hash, verify it against a fixed key; a parse that
 *         succeeds must give consistent pointers;
 *   odd:  the data is a payload: seal it, parse the result and verify it,
 *         which must succeed and give back the payload byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "envelope.h"
#include "fuzz_util.h"
#include "err.h"

static struct eve_signer signer;
static EVP_PKEY *pub;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (crypto_ec_generate(&key) < 0 || crypto_cert_selfsigned(key, "fuzz", 3650, &cert) < 0 ||
	    envelope_signer_from_key(&signer, key, cert, false) < 0)
		abort();
	pub = X509_get_pubkey(cert);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

static void from_network(const uint8_t *data, size_t size)
{
	struct envelope env;
	int r = envelope_parse(data, size, &env);

	if (r == 0) {
		FUZZ_CHECK(env.payload || env.payload_len == 0, "payload pointer");
		FUZZ_CHECK(env.cert_hash_len == 16 || env.cert_hash_len == 32, "cert hash length");
		FUZZ_CHECK(env.sig && env.sig_len > 0, "signature present");
		(void)envelope_cert_hash_matches(&env, signer.cert_hash);
		r = envelope_verify(&env, pub);
		FUZZ_CHECK(r == 0 || r == -EVE_EBADSIG, "verify result");
	} else {
		FUZZ_CHECK(r == -EVE_EPROTO || r == -EVE_ETOOBIG || r == -ENOMEM, "parse result");
	}
	envelope_clear(&env);
}

static void round_trip(const uint8_t *data, size_t size, bool with_cert)
{
	struct envelope env;
	uint8_t *out = NULL;
	size_t len = 0;

	FUZZ_CHECK(envelope_seal(&signer, data, size, with_cert, &out, &len) == 0, "seal");
	FUZZ_CHECK(envelope_parse(out, len, &env) == 0, "parse of a sealed envelope");
	FUZZ_CHECK(env.payload_len == size && (size == 0 || memcmp(env.payload, data, size) == 0),
		   "payload round trip");
	FUZZ_CHECK(envelope_cert_hash_matches(&env, signer.cert_hash), "sender hash");
	FUZZ_CHECK(envelope_verify(&env, pub) == 0, "verify of a sealed envelope");
	FUZZ_CHECK(!with_cert || (env.sender_cert_pem && !strcmp(env.sender_cert_pem, signer.cert_pem)),
		   "sender certificate round trip");
	envelope_clear(&env);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		round_trip(data + 1, size - 1, data[0] & 2);
	else
		from_network(data + 1, size - 1);
	return 0;
}
