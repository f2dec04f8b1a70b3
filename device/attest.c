// SPDX-License-Identifier: Apache-2.0
/* Remote attestation with the controller (EVE's /attest exchange) and the
 * agent's own measurements.
 *
 * Exchange (attest.proto): ATTEST_REQ_CERT with the attestation key's
 * certificate (issued by the device key: CERT_TYPE_DEVICE_RESTRICTED_SIGNING,
 * its TPMT_PUBLIC as Z_CERT_META_DATA_TYPE_TPM2_PUBLIC), ATTEST_REQ_NONCE,
 * then ATTEST_REQ_QUOTE with a TPM2 quote over SHA-256 PCRs 0..15 qualified
 * by the nonce. A success answer carries the integrity token the agent puts
 * in every ConfigRequest. A device whose key is not in a TPM sends
 * ATTEST_REQ_CERT without certificates: "no TPM, attestation not
 * supported". */
#include "agent_int.h"
#include "attest.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "agentlog.h"
#include "attest/attest.pb-c.h"
#include "attest_tpm.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "secrets.h"
#include "vault.h"

#define MEASURE_FILE_MAX (256u << 20)
#define MEASURE_DIR_MAX 4096
#define ATTEST_RETRY_MIN_MS 5000

/* ---- measurements ------------------------------------------------------ */

static int file_digest(const char *path, uint8_t out[32])
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r = fileio_read(path, MEASURE_FILE_MAX, &data, &len);

	if (r == 0)
		r = crypto_sha256(data, len, out);
	free(data);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 over (name NUL sha256(content)) of the directory's regular files
 * in name order: a changed, added or removed file changes it. */
static int dir_digest(const char *dir, uint8_t out[32])
{
	char *names[MEASURE_DIR_MAX];
	size_t n = 0;
	struct dirent *de;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	DIR *d = opendir(dir);
	int r = d && md ? 0 : -errno;

	if (r == 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		r = -EVE_ECRYPTO;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || n == MEASURE_DIR_MAX)
			continue;
		names[n] = strdup(de->d_name);
		r = names[n] ? 0 : -ENOMEM;
		n += names[n] != NULL;
	}
	if (r == 0)
		qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char path[PATH_MAX];
		uint8_t h[32];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		if (file_digest(path, h) < 0)
			continue; /* a directory or an unreadable entry: its name only */
		if (EVP_DigestUpdate(md, names[i], strlen(names[i]) + 1) != 1 ||
		    EVP_DigestUpdate(md, h, 32) != 1)
			r = -EVE_ECRYPTO;
	}
	if (r == 0 && EVP_DigestFinal_ex(md, out, NULL) != 1)
		r = -EVE_ECRYPTO;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (d)
		closedir(d);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- the measurement log ---------------------------------------------------
 * <state>/measurements.log: one line per extend the agent made since the
 * TPM's last reset, in order: "PCR sha256:HEX EVENT DETAIL" (docs/security.md).
 * Sent with every quote as ZAttestQuote.event_log; the controller replays
 * it against the quoted PCR values. */
#define MEASURE_LOG "measurements.log"
#define MEASURE_LOG_MAX (16u << 10)
#define MEASURE_LOG_ENTRIES 32
#define EV_IPL 0x0000000Du /* TCG PC Client event type of code measurements */

static void hex32(const uint8_t h[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int measure_log_write(struct agent *a, const uint8_t bin[32], const uint8_t cfg[32])
{
	char path[PATH_MAX], exe[PATH_MAX], hb[65], hc[65], *text = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int len, r;

	exe[n > 0 ? n : 0] = '\0';
	hex32(bin, hb);
	hex32(cfg, hc);
	len =
	    asprintf(&text, "%d sha256:%s eve-agent-binary %.1024s\n%d sha256:%s config-directory %.1024s\n",
		     ATTEST_TPM_AGENT_PCR, hb, exe, ATTEST_TPM_AGENT_PCR, hc, a->o->config_dir);
	if (len < 0)
		return -ENOMEM;
	agent_state_path(a, MEASURE_LOG, path);
	r = fileio_write_atomic(path, text, (size_t)len, 0600);
	free(text);
	return r;
}

struct measure_log {
	Org__Lfedge__Eve__Attest__TpmEventLogEntry e[MEASURE_LOG_ENTRIES], *ep[MEASURE_LOG_ENTRIES];
	Org__Lfedge__Eve__Attest__TpmEventDigest d[MEASURE_LOG_ENTRIES];
	uint8_t h[MEASURE_LOG_ENTRIES][32];
	char *text; /* the file, cut into the entries' strings */
	size_t n;
};

static bool parse_hex32(const char *s, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return s[64] == ' ';
}

/* One line "PCR sha256:HEX EVENT DETAIL" into entry l->n. */
static void measure_log_line(struct measure_log *l, char *line)
{
	Org__Lfedge__Eve__Attest__TpmEventLogEntry *e = &l->e[l->n];
	char *end = NULL, *ev;
	unsigned long pcr = strtoul(line, &end, 10);

	if (end == line || pcr >= ATTEST_TPM_NPCR || strncmp(end, " sha256:", 8) != 0 ||
	    strlen(end + 8) < 65 || !parse_hex32(end + 8, l->h[l->n]))
		return;
	ev = end + 8 + 65;
	org__lfedge__eve__attest__tpm_event_log_entry__init(e);
	org__lfedge__eve__attest__tpm_event_digest__init(&l->d[l->n]);
	l->d[l->n].hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
	l->d[l->n].digest = (ProtobufCBinaryData){32, l->h[l->n]};
	e->index = (uint32_t)l->n;
	e->pcr_index = (uint32_t)pcr;
	e->event_type = EV_IPL;
	e->digest = &l->d[l->n];
	e->event_data_string = ev;
	l->ep[l->n] = e;
	l->n++;
}

/* The log as entries (l->text owns the strings): empty when there is none. */
static void measure_log_read(struct agent *a, struct measure_log *l)
{
	char path[PATH_MAX], *save = NULL, *line;
	uint8_t *data = NULL;
	size_t len = 0;

	l->n = 0;
	l->text = NULL;
	agent_state_path(a, MEASURE_LOG, path);
	if (fileio_read(path, MEASURE_LOG_MAX, &data, &len) < 0)
		return;
	l->text = realloc(data, len + 1);
	if (!l->text) {
		free(data);
		return;
	}
	l->text[len] = '\0';
	for (line = strtok_r(l->text, "\n", &save); line && l->n < MEASURE_LOG_ENTRIES;
	     line = strtok_r(NULL, "\n", &save))
		measure_log_line(l, line);
}

/* Once per TPM reset (boot): the TPM's resetCount is remembered in the
 * state directory, so an agent restart does not extend again. */
void attest_measure(struct agent *a)
{
	char path[PATH_MAX], text[32];
	uint8_t *old = NULL, h_bin[32], h_cfg[32];
	size_t olen = 0;
	uint32_t rc;
	int r = attest_tpm_reset_count(&a->ks, &rc);

	if (r == -ENOTSUP)
		return;
	if (r < 0) {
		alog(ALOG_ERR, "measure: TPM: %s", eve_strerror(r));
		return;
	}
	agent_state_path(a, "measured", path);
	snprintf(text, sizeof(text), "%" PRIu32 "\n", rc);
	if (fileio_read(path, 64, &old, &olen) == 0 && olen == strlen(text) && !memcmp(old, text, olen)) {
		free(old);
		alog(ALOG_INFO, "measure: agent and config already in PCR %d for this boot",
		     ATTEST_TPM_AGENT_PCR);
		return;
	}
	free(old);
	r = file_digest("/proc/self/exe", h_bin);
	if (r == 0)
		r = dir_digest(a->o->config_dir, h_cfg);
	if (r == 0)
		r = attest_tpm_extend(&a->ks, ATTEST_TPM_AGENT_PCR, h_bin);
	if (r == 0)
		r = attest_tpm_extend(&a->ks, ATTEST_TPM_AGENT_PCR, h_cfg);
	if (r == 0)
		r = measure_log_write(a, h_bin, h_cfg);
	if (r == 0)
		r = fileio_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		alog(ALOG_ERR, "measure: %s", eve_strerror(r));
	else
		alog(ALOG_INFO, "measure: agent binary and config directory extended into PCR %d",
		     ATTEST_TPM_AGENT_PCR);
}

/* ---- the exchange ------------------------------------------------------ */

/* Sign req with the device key, POST /attest, unpack the response. */
static int attest_post(struct agent *a, Org__Lfedge__Eve__Attest__ZAttestReq *req,
		       Org__Lfedge__Eve__Attest__ZAttestResponse **out, long *status)
{
	uint8_t *body = NULL, *resp = NULL;
	size_t len = org__lfedge__eve__attest__zattest_req__get_packed_size(req), rlen = 0;
	char path[128];
	int r;

	body = malloc(len ? len : 1);
	if (!body)
		return -ENOMEM;
	org__lfedge__eve__attest__zattest_req__pack(req, body);
	snprintf(path, sizeof(path), "/id/%s/attest", a->uuid);
	r = onboard_ensure_certs(a);
	if (r == 0) {
		struct ctlclient_xchg x = {
		    .signer = &a->dev_signer, .path = path, .payload = body, .len = len, .want_resp = true};

		r = agent_post(a, &x);
		*status = x.status;
		resp = x.resp;
		rlen = x.resp_len;
	}
	if (r == 0 && *status != 200)
		r = -EVE_EPROTO;
	if (r == 0) {
		*out = org__lfedge__eve__attest__zattest_response__unpack(NULL, rlen, resp);
		r = *out ? 0 : -EVE_EPROTO;
	}
	free(body);
	free(resp);
	return r;
}

static int simple_req(struct agent *a, Org__Lfedge__Eve__Attest__ZAttestReqType type,
		      Org__Lfedge__Eve__Attest__ZAttestReq *req,
		      Org__Lfedge__Eve__Attest__ZAttestResponse **out)
{
	long status = 0;
	int r;

	req->reqtype = type;
	r = attest_post(a, req, out, &status);
	if (r < 0 && status == 404)
		return -ENOSYS; /* a controller without /attest */
	if (r < 0)
		snprintf(a->attest_err, sizeof(a->attest_err), "attest request %d: %s (HTTP %ld)", (int)type,
			 eve_strerror(r), status);
	return r;
}

/* The attestation key's certificate, issued by the device key (kept in
 * <state>/attest.cert.pem while it names the current AK). */
static int ak_cert(struct agent *a, EVP_PKEY *ak, char **pem, size_t *pem_len)
{
	char path[PATH_MAX];
	X509 *x = NULL;
	int r;

	agent_state_path(a, "attest.cert.pem", path);
	if (crypto_cert_load_pem(path, &x) == 0 && EVP_PKEY_eq(X509_get0_pubkey(x), ak) == 1 &&
	    X509_verify(x, X509_get0_pubkey(a->devcert)) == 1)
		goto done;
	X509_free(x);
	x = NULL;
	r = identity_cert_issue(&a->ks, a->devcert, ak, "eve-attest", IDENTITY_CERT_DAYS, &x);
	if (r == 0)
		r = crypto_cert_save_pem(path, x);
	if (r < 0) {
		X509_free(x);
		return r;
	}
done:
	r = crypto_cert_to_pem(x, pem, pem_len);
	X509_free(x);
	return r;
}

/* The ECDH certificate as a ZCert (config secrets are encrypted to it). */
static int ecdh_zcert(struct agent *a, Org__Lfedge__Eve__Certs__ZCert *z, char **pem, uint8_t hash[32])
{
	size_t len = 0;
	int r = secrets_ecdh_cert(a, pem, &len);

	if (r < 0)
		return r;
	crypto_sha256(*pem, len, hash);
	z->hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES;
	z->certhash = (ProtobufCBinaryData){16, hash};
	z->type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_ECDH_EXCHANGE;
	z->cert = (ProtobufCBinaryData){len, (uint8_t *)*pem};
	return 0;
}

static int send_cert(struct agent *a)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Certs__ZCert z = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert ze = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT, *zp[2] = {&ze, &z};
	Org__Lfedge__Eve__Certs__ZCertAttr attr = ORG__LFEDGE__EVE__CERTS__ZCERT_ATTR__INIT;
	Org__Lfedge__Eve__Certs__ZCertMetaData md = ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA__INIT,
					       *mdp = &md;
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp = NULL;
	EVP_PKEY *ak = NULL;
	uint8_t *tpub = NULL, hash[32], ehash[32];
	size_t tpub_len = 0, pem_len = 0;
	char *pem = NULL, *epem = NULL;
	int r = ecdh_zcert(a, &ze, &epem, ehash);

	if (r < 0) {
		snprintf(a->attest_err, sizeof(a->attest_err), "ECDH certificate: %s", eve_strerror(r));
		return r;
	}
	req.certs = zp;
	req.n_certs = 1;
	r = attest_tpm_ak(&a->ks, a->o->state_dir, &ak, &tpub, &tpub_len);
	if (r == -ENOTSUP) {
		/* no TPM: no attestation key says "not supported" */
		r = simple_req(a, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_CERT, &req, &resp);
		org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
		free(epem);
		return r < 0 ? r : -ENOTSUP;
	}
	if (r == 0)
		r = ak_cert(a, ak, &pem, &pem_len);
	if (r < 0) {
		snprintf(a->attest_err, sizeof(a->attest_err), "attestation key: %s", eve_strerror(r));
		goto out;
	}
	crypto_sha256(pem, pem_len, hash);
	z.hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	z.certhash = (ProtobufCBinaryData){32, hash};
	z.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING;
	z.cert = (ProtobufCBinaryData){pem_len, (uint8_t *)pem};
	attr.is_tpm = true;
	z.attributes = &attr;
	md.type = ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA_TYPE__Z_CERT_META_DATA_TYPE_TPM2_PUBLIC;
	md.meta_data = (ProtobufCBinaryData){tpub_len, tpub};
	z.n_meta_data_items = 1;
	z.meta_data_items = &mdp;
	req.n_certs = 2;
	r = simple_req(a, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_CERT, &req, &resp);
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
out:
	free(pem);
	free(epem);
	free(tpub);
	EVP_PKEY_free(ak);
	return r;
}

static int get_nonce(struct agent *a, uint8_t nonce[ATTEST_TPM_NONCE_MAX], size_t *len)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp = NULL;
	int r = simple_req(a, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_NONCE, &req, &resp);

	if (r < 0)
		return r;
	if (!resp->nonce || !resp->nonce->nonce.len || resp->nonce->nonce.len > ATTEST_TPM_NONCE_MAX) {
		snprintf(a->attest_err, sizeof(a->attest_err), "the controller sent no usable nonce");
		r = -EVE_EPROTO;
	} else {
		memcpy(nonce, resp->nonce->nonce.data, resp->nonce->nonce.len);
		*len = resp->nonce->nonce.len;
	}
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
	return r;
}

static const char *quote_code_name(int code)
{
	switch (code) {
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS:
		return "success";
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH:
		return "nonce mismatch";
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND:
		return "no attestation certificate";
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED:
		return "quote refused (PCRs differ from the baseline)";
	default:
		return "invalid answer";
	}
}

static int take_quote_resp(struct agent *a, const Org__Lfedge__Eve__Attest__ZAttestResponse *resp)
{
	const Org__Lfedge__Eve__Attest__ZAttestQuoteResp *q = resp->quoteresp;
	int code = q ? (int)q->response : 0;

	if (code != ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS) {
		snprintf(a->attest_err, sizeof(a->attest_err), "attestation: %s", quote_code_name(code));
		return -EACCES;
	}
	if (!q->integrity_token.len || q->integrity_token.len > sizeof(a->itoken)) {
		snprintf(a->attest_err, sizeof(a->attest_err), "attestation: success without a usable token");
		return -EVE_EPROTO;
	}
	memcpy(a->itoken, q->integrity_token.data, q->integrity_token.len);
	a->itoken_len = q->integrity_token.len;
	vault_release(a, q);
	return 0;
}

/* Escrow the vault key (once per run) with the new integrity token. */
static void escrow(struct agent *a)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__AttestStorageKeys sk = ORG__LFEDGE__EVE__ATTEST__ATTEST_STORAGE_KEYS__INIT;
	Org__Lfedge__Eve__Attest__AttestVolumeKey k = ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY__INIT,
						  *kp = &k;
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp = NULL;
	uint8_t *buf = NULL;
	int r = vault_escrow_key(a, &k, &buf);

	if (r == -EALREADY)
		return;
	if (r == 0) {
		sk.integrity_token = (ProtobufCBinaryData){a->itoken_len, a->itoken};
		sk.n_keys = 1;
		sk.keys = &kp;
		req.storage_keys = &sk;
		r = simple_req(a, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__Z_ATTEST_REQ_TYPE_STORE_KEYS,
			       &req, &resp);
	}
	if (r == 0 && resp->storage_keys_resp &&
	    resp->storage_keys_resp->response ==
		ORG__LFEDGE__EVE__ATTEST__ATTEST_STORAGE_KEYS_RESPONSE_CODE__ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS)
		vault_escrowed(a);
	else
		alog(
		    ALOG_WARN,
		    "vault: escrow to the controller refused or failed (%s); retried at the next attestation",
		    r < 0 ? eve_strerror(r) : "not stored");
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
	OPENSSL_clear_free(buf, k.key.len ? k.key.len : 1);
}

static int send_quote(struct agent *a, const uint8_t *nonce, size_t nonce_len)
{
	Org__Lfedge__Eve__Attest__ZAttestReq req = ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ__INIT;
	Org__Lfedge__Eve__Attest__ZAttestQuote zq = ORG__LFEDGE__EVE__ATTEST__ZATTEST_QUOTE__INIT;
	Org__Lfedge__Eve__Attest__TpmPCRValue pv[ATTEST_TPM_NPCR], *pvp[ATTEST_TPM_NPCR];
	Org__Lfedge__Eve__Attest__ZAttestResponse *resp = NULL;
	struct attest_tpm_quote q;
	struct measure_log ml;
	int r = attest_tpm_quote(&a->ks, a->o->state_dir, nonce, nonce_len, &q);

	if (r < 0) {
		snprintf(a->attest_err, sizeof(a->attest_err), "TPM quote: %s", eve_strerror(r));
		return r;
	}
	for (int i = 0; i < ATTEST_TPM_NPCR; i++) {
		org__lfedge__eve__attest__tpm_pcrvalue__init(&pv[i]);
		pv[i].index = (uint32_t)i;
		pv[i].hash_algo = ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256;
		pv[i].value = (ProtobufCBinaryData){32, q.pcr[i]};
		pvp[i] = &pv[i];
	}
	zq.attestdata = (ProtobufCBinaryData){q.attest_len, q.attest};
	zq.signature = (ProtobufCBinaryData){q.sig_len, q.sig};
	zq.n_pcr_values = ATTEST_TPM_NPCR;
	zq.pcr_values = pvp;
	measure_log_read(a, &ml);
	zq.n_event_log = ml.n;
	zq.event_log = ml.n ? ml.ep : NULL;
	req.quote = &zq;
	r = simple_req(a, ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE, &req, &resp);
	free(ml.text);
	if (r == 0)
		r = take_quote_resp(a, resp);
	org__lfedge__eve__attest__zattest_response__free_unpacked(resp, NULL);
	attest_tpm_quote_clear(&q);
	return r;
}

static int exchange(struct agent *a)
{
	uint8_t nonce[ATTEST_TPM_NONCE_MAX];
	size_t nlen = 0;
	int r = send_cert(a);

	if (r == 0)
		r = get_nonce(a, nonce, &nlen);
	if (r == 0)
		r = send_quote(a, nonce, nlen);
	if (r == 0)
		escrow(a);
	return r;
}

void attest_step(struct agent *a)
{
	uint64_t retry = a->set.config_interval_s * 1000ull;
	int r;

	a->attest_err[0] = '\0';
	a->itoken_len = 0;
	r = exchange(a);
	a->attest_due = false;
	a->info_dirty = true;
	if (r == -ENOTSUP) {
		a->attest_state = ORG__LFEDGE__EVE__INFO__ATTESTATION_STATE__ATTESTATION_STATE_UNSPECIFIED;
		snprintf(a->attest_err, sizeof(a->attest_err),
			 "attestation not supported: the device key is not in a TPM");
		if (!a->attest_notsup_said)
			alog(ALOG_WARN, "attest: no TPM: told the controller attestation is not supported");
		a->attest_notsup_said = true;
		return;
	}
	if (r == -ENOSYS) {
		/* nothing to attest to: again only when config is refused (403) */
		snprintf(a->attest_err, sizeof(a->attest_err), "the controller does not serve /attest (404)");
		alog(ALOG_WARN,
		     "attest: the controller does not serve /attest (404): not attesting unless it "
		     "refuses config");
		return;
	}
	if (r < 0) {
		a->attest_state = ORG__LFEDGE__EVE__INFO__ATTESTATION_STATE__ATTESTATION_STATE_RESTART_WAIT;
		alog(ALOG_ERR, "attest: %s; retrying", a->attest_err[0] ? a->attest_err : eve_strerror(r));
		a->attest_due = true;
		a->next_attest = now_ms() + (retry > ATTEST_RETRY_MIN_MS ? retry : ATTEST_RETRY_MIN_MS);
		return;
	}
	a->attest_state = ORG__LFEDGE__EVE__INFO__ATTESTATION_STATE__ATTESTATION_STATE_COMPLETE;
	alog(ALOG_INFO, "attest: quote accepted, integrity token received");
	a->next_config = 0; /* the config request carries the new token now */
}
