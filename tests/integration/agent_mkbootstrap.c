// SPDX-License-Identifier: Apache-2.0
/* Test helper: write a bootstrap-config.pb, i.e. EVE's BootstrapConfig: an
 * EdgeDevConfig from JSON in an AuthContainer signed by the given key, with
 * the certificate beside it (common/bootstrap.c, as the controller does).
 *   agent_mkbootstrap KEY.pem CERT.pem '{"configItems": [...]}' OUT */
#include <stdio.h>
#include <stdlib.h>

#include "bootstrap.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "envelope.h"
#include "fileio.h"
#include "pbjson.h"
#include "pbpack.h"

static int build(const char *json, uint8_t **out, size_t *len)
{
	ProtobufCMessage *cfg = NULL;
	char err[256] = "";
	int r;
	json_t *j = json_loads(json, 0, NULL);

	if (!j || pbjson_to_message(&org__lfedge__eve__config__edge_dev_config__descriptor, j, &cfg, err,
				    sizeof(err)) < 0) {
		fprintf(stderr, "agent_mkbootstrap: bad config JSON %s\n", err);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	r = pbpack(cfg, 0, out, len);
	protobuf_c_message_free_unpacked(cfg, NULL);
	return r < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct eve_signer s = {0};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	uint8_t *payload = NULL, *env = NULL;
	size_t plen = 0, elen = 0;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: agent_mkbootstrap KEY CERT JSON OUT\n");
		return 2;
	}
	r = crypto_key_load_pem(argv[1], &key);
	if (r == 0)
		r = crypto_cert_load_pem(argv[2], &cert);
	if (r == 0)
		r = envelope_signer_from_key(&s, key, cert, true);
	if (r == 0)
		r = build(argv[3], &payload, &plen);
	if (r == 0)
		r = bootstrap_seal(&s, payload, plen, &env, &elen);
	if (r == 0)
		r = fileio_write_atomic(argv[4], env, elen, 0644);
	if (r < 0)
		fprintf(stderr, "agent_mkbootstrap: failed (%d)\n", r);
	envelope_signer_clear(&s);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(payload);
	free(env);
	return r < 0 ? 1 : 0;
}
