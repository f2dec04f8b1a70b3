// SPDX-License-Identifier: Apache-2.0
/* attest_replay CONFDIR STATEDIR TCTI: with an agent's identity (its TPM
 * key, stopped agent), get a nonce, quote over it (accepted), then send the
 * same quote again in a fresh signed envelope, and once more after a new
 * nonce: both must be refused with NONCE_MISMATCH. Exit 0 when they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.pb-c.h"
#include "attest_tpm.h"
#include "configdir.h"
#include "crypto.h"
#include "ctlclient.h"
#include "devapi.h"
#include "err.h"
#include "identity.h"
#include "keystore.h"

struct ctx {
	struct ctlclient *cc;
	struct eve_signer signer;
	char path[128];
};

static Org__Lfedge__Eve__Attest__ZAttestResponse *post(struct ctx *c,
						       Org__Lfedge__Eve__Attest__ZAttestReq *req)
{
	uint8_t body[8192], *resp = NULL;
	size_t len = org__lfedge__eve__attest__zattest_req__get_packed_size(req), rlen = 0;
	long status = 0;
	Org__Lfedge__Eve__Attest__ZAttestResponse *out = NULL;

	if (len > sizeof(body))
		return NULL;
	org__lfedge__eve__attest__zattest_req__pack(req, body);
	struct ctlclient_xchg x = {
	    .signer = &c->signer, .path = c->path, .payload = body, .len = len, .want_resp = true};
	int r = ctlclient_post(c->cc, &x);

	status = x.status;
	resp = x.resp;
	rlen = x.resp_len;
	if (r == 0 && status == 200)
		out = org__lfedge__eve__attest__zattest_response__unpack(NULL, rlen, resp);
	else
		fprintf(stderr, "attest POST: %s, HTTP %ld\n", eve_strerror(r), status);
	free(resp);
	return out;
}

static int nonce(struct ctx *c, uint8_t n[64], size_t *nlen)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp;
	int r = -1;

	req.reqtype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_NONCE;
	resp = post(c, &req);
	if (resp && resp->nonce && resp->nonce->nonce.len && resp->nonce->nonce.len <= 64) {
		memcpy(n, resp->nonce->nonce.data, resp->nonce->nonce.len);
		*nlen = resp->nonce->nonce.len;
		r = 0;
	}
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
	return r;
}

/* Send quote q; the response code, or -1. */
static int send_quote(struct ctx *c, struct attest_tpm_quote *q)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestQuote zq = ORG__LFEDGE__EVE__ATTEST__ZATTEST_QUOTE__INIT;
	Org__Lfedge__Eve__Attest__TpmPCRValue pv[ATTEST_TPM_NPCR], *pvp[ATTEST_TPM_NPCR];
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp;
	int code = -1;

	for (int i = 0; i < ATTEST_TPM_NPCR; i++) {
		org__lfedge__eve__attest__tpm_pcrvalue__init(&pv[i]);
		pv[i].index = (uint32_t)i;
		pv[i].hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
		pv[i].value = (ProtobufCBinaryData){32, q->pcr[i]};
		pvp[i] = &pv[i];
	}
	zq.attestdata = (ProtobufCBinaryData){q->attest_len, q->attest};
	zq.signature = (ProtobufCBinaryData){q->sig_len, q->sig};
	zq.n_pcr_values = ATTEST_TPM_NPCR;
	zq.pcr_values = pvp;
	req.reqtype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE;
	req.quote = &zq;
	resp = post(c, &req);
	if (resp && resp->quoteresp)
		code = (int)resp->quoteresp->response;
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
	return code;
}

static int setup(struct ctx *c, struct configdir *cd, struct keystore *ks, X509 **cert, struct devapi **api,
		 const char *state)
{
	char uuid[UUID_STR_LEN];
	size_t len = 0;
	struct devapi_opts o = {.server = cd->server, .ca_path = cd->root_ca_path};

	if (identity_cert_load_or_create(ks, state, cert) < 0 || identity_uuid_load(state, uuid) < 0)
		return -1;
	c->signer.sign = keystore_sign_cb;
	c->signer.ctx = ks;
	if (crypto_cert_hash_der(*cert, c->signer.cert_hash) < 0 ||
	    crypto_cert_to_pem(*cert, &c->signer.cert_pem, &len) < 0)
		return -1;
	snprintf(c->path, sizeof(c->path), "/id/%s/attest", uuid);
	if (ctlclient_new(state, cd->root_ca_path, &c->cc) < 0 || devapi_new(&o, api) < 0)
		return -1;
	ctlclient_set_api(c->cc, *api);
	return ctlclient_load_certs(c->cc) == 0 || ctlclient_fetch_certs(c->cc) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct configdir cd = {0};
	struct keystore ks = {0};
	struct keystore_opts ko;
	struct ctx c = {0};
	struct devapi *api = NULL;
	struct attest_tpm_quote q = {0};
	X509 *cert = NULL;
	char err[256] = "";
	uint8_t n[64];
	size_t nlen = 0;
	int rc = 1, c1 = -1, c2 = -1, c3 = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: attest_replay CONFDIR STATEDIR TCTI\n");
		return 2;
	}
	ko = (struct keystore_opts){.state_dir = argv[2], .tcti = argv[3]};
	if (configdir_load(argv[1], &cd, err, sizeof(err)) < 0 ||
	    keystore_open(&keystore_tpm_ops, &ko, &ks) < 0 || setup(&c, &cd, &ks, &cert, &api, argv[2]) < 0) {
		fprintf(stderr, "setup failed %s\n", err);
		goto out;
	}
	if (nonce(&c, n, &nlen) < 0 || attest_tpm_quote(&ks, argv[2], n, nlen, &q) < 0) {
		fprintf(stderr, "nonce / quote failed\n");
		goto out;
	}
	c1 = send_quote(&c, &q); /* fresh: accepted */
	c2 = send_quote(&c, &q); /* the same quote again: its nonce is spent */
	if (nonce(&c, n, &nlen) == 0)
		c3 = send_quote(&c, &q); /* an old quote against a new nonce */
	printf("first %d, replay %d, replay after a new nonce %d\n", c1, c2, c3);
	if (c1 == ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS &&
	    c2 == ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH &&
	    c3 == ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH) {
		printf("replay refused: nonce mismatch\n");
		rc = 0;
	}
out:
	attest_tpm_quote_clear(&q);
	ctlclient_free(c.cc);
	devapi_free(api);
	free(c.signer.cert_pem);
	X509_free(cert);
	keystore_close(&ks);
	configdir_free(&cd);
	return rc;
}
