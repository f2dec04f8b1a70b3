/* Test helper: write a bootstrap-config.pb, i.e. an AuthContainer carrying
 * its sender certificate around ConfigResponse{EdgeDevConfig from JSON},
 * signed by the given key.
 *   agent_mkbootstrap KEY.pem CERT.pem '{"configItems": [...]}' OUT */
#include <stdio.h>
#include <stdlib.h>

#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "envelope.h"
#include "fileio.h"
#include "pbjson.h"

static int build(const char *json, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Config__ConfigResponse cr = ORG__LFEDGE__EVE__CONFIG__CONFIG_RESPONSE__INIT;
	ProtobufCMessage *cfg = NULL;
	char err[256] = "";
	json_t *j = json_loads(json, 0, NULL);

	if (!j || pbjson_to_message(&org__lfedge__eve__config__edge_dev_config__descriptor, j, &cfg, err,
				    sizeof(err)) < 0) {
		fprintf(stderr, "agent_mkbootstrap: bad config JSON %s\n", err);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	cr.config = (Org__Lfedge__Eve__Config__EdgeDevConfig *)cfg;
	cr.confighash = (char *)"";
	*len = org__lfedge__eve__config__config_response__get_packed_size(&cr);
	*out = malloc(*len);
	if (*out)
		org__lfedge__eve__config__config_response__pack(&cr, *out);
	protobuf_c_message_free_unpacked(cfg, NULL);
	return *out ? 0 : -1;
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
		r = envelope_seal(&s, payload, plen, true, &env, &elen);
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
