// SPDX-License-Identifier: Apache-2.0
/* Remote attestation: the controller's verifier (attest.h).
 *
 * ATTEST_REQ_CERT: the attestation key's certificate must be issued by the
 * device's registered key; when the device sends the key's TPMT_PUBLIC it
 * must be a fixedTPM restricted signing key with the same public point. No
 * certificate at all: the device has no TPM ("not-supported").
 * ATTEST_REQ_NONCE: 32 random bytes, stored, valid ATTEST_NONCE_TTL_S and
 * consumed by the next quote whatever its outcome (a replay finds none).
 * ATTEST_REQ_QUOTE: TPMS_ATTEST of type quote, signed (ECDSA P-256,
 * SHA-256) by the attestation key, extraData = the nonce, selection =
 * SHA-256 PCRs 0..15, pcrDigest = SHA-256 of the reported values; then the
 * values are compared with the device's baseline (captured at the first
 * good quote, or accepted by an admin). Success: a fresh integrity token
 * (its SHA-256 is stored). */
#include "attest.h"
#include "attest_evlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "attest/attest.pb-c.h"
#include "crypto.h"
#include "ctl.h"
#include "store.h"
#include "err.h"
#include "hexstr.h"

#define TOKEN_LEN 32
#define AK_PEM_MAX (16u << 10)

int attest_policy_parse(const char *s)
{
	if (!strcmp(s, "off"))
		return ATTEST_OFF;
	if (!strcmp(s, "report"))
		return ATTEST_REPORT;
	if (!strcmp(s, "enforce"))
		return ATTEST_ENFORCE;
	return -EINVAL;
}

const char *attest_policy_name(int p)
{
	return p == ATTEST_OFF ? "off" : p == ATTEST_ENFORCE ? "enforce" : "report";
}

void attest_overrides_recount(struct ctl *c, struct store *d)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*) FROM attest WHERE policy != ''");
	int n = 1; /* on error: look every time */

	if (st && store_step(st) == STORE_ROW)
		n = store_col_int(st, 0);
	if (st)
		store_reset(st);
	__atomic_store_n(&c->attest_overrides, n, __ATOMIC_RELAXED);
}

int attest_setup(struct ctl *c)
{
	int p = attest_policy_parse(c->conf.attestation);
	struct store *d;

	if (p < 0)
		return -EINVAL;
	d = store_get(c->db);
	attest_overrides_recount(c, d);
	store_put(c->db, d);
	return 0;
}

/* ---- rows ---------------------------------------------------------------- */

static int row_ensure(struct store *d, const char *uuid)
{
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO attest(device_id, updated) VALUES(?1, ?2) ON CONFLICT DO NOTHING");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_int64(st, 2, (int64_t)time(NULL));
	return store_step_done(st);
}

static int set_state(struct store *d, const char *uuid, const char *state, const char *detail)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE attest SET state = ?2, detail = ?3, updated = ?4,"
			  " token_hash = CASE WHEN ?2 = 'ok' THEN token_hash ELSE NULL END"
			  " WHERE device_id = ?1");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text(st, 2, state);
	store_bind_text(st, 3, detail);
	store_bind_int64(st, 4, (int64_t)time(NULL));
	return store_step_done(st);
}

/* ---- ATTEST_REQ_CERT ----------------------------------------------------- */

/* The TPMT_PUBLIC the device sent for its attestation key: a restricted
 * signing key that never leaves the TPM, with the certificate's point. */
static int check_tpm_public(const ProtobufCBinaryData *m, EVP_PKEY *certkey)
{
	TPMT_PUBLIC p;
	size_t off = 0;
	uint8_t pt[65] = {0x04};
	EVP_PKEY *k = NULL;
	const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM;
	int r;

	memset(&p, 0, sizeof(p));
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(m->data, m->len, &off, &p) != TSS2_RC_SUCCESS || off != m->len)
		return -EVE_EPROTO;
	if ((p.objectAttributes & need) != need || (p.objectAttributes & TPMA_OBJECT_DECRYPT) ||
	    p.type != TPM2_ALG_ECC || p.unique.ecc.x.size > 32 || p.unique.ecc.y.size > 32)
		return -EVE_EBADCERT;
	memcpy(pt + 1 + 32 - p.unique.ecc.x.size, p.unique.ecc.x.buffer, p.unique.ecc.x.size);
	memcpy(pt + 33 + 32 - p.unique.ecc.y.size, p.unique.ecc.y.buffer, p.unique.ecc.y.size);
	r = crypto_pubkey_from_point(pt, sizeof(pt), &k);
	if (r == 0 && EVP_PKEY_eq(k, certkey) != 1)
		r = -EVE_EBADCERT;
	EVP_PKEY_free(k);
	return r;
}

static int check_ak_cert(const Org__Lfedge__Eve__Certs__ZCert *z, EVP_PKEY *devpub)
{
	X509 *x = NULL;
	int r;

	if (!z->cert.len || z->cert.len > AK_PEM_MAX)
		return -EVE_EPROTO;
	r = crypto_cert_from_pem((const char *)z->cert.data, z->cert.len, &x);
	if (r < 0)
		return r;
	if (X509_verify(x, devpub) != 1)
		r = -EVE_EBADCERT; /* not issued by this device's key */
	for (size_t i = 0; r == 0 && i < z->n_meta_data_items; i++)
		if (z->meta_data_items[i]->type ==
		    ORG__LFEDGE__EVE__CERTS__ZCERT_META_DATA_TYPE__Z_CERT_META_DATA_TYPE_TPM2_PUBLIC)
			r = check_tpm_public(&z->meta_data_items[i]->meta_data, X509_get0_pubkey(x));
	X509_free(x);
	return r;
}

static int store_ak(struct store *d, const char *uuid, const ProtobufCBinaryData *pem)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE attest SET ak_pem = ?2, state = CASE WHEN state = 'not-supported'"
			  " THEN 'unknown' ELSE state END, updated = ?3 WHERE device_id = ?1");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text_n_copy(st, 2, (const char *)pem->data, pem->len);
	store_bind_int64(st, 3, (int64_t)time(NULL));
	return store_step_done(st);
}

/* The device's ECDH certificate (config secrets are encrypted to it):
 * issued by the device key. */
static int store_ecdh(struct ctl *c, struct store *d, const char *uuid, EVP_PKEY *devpub,
		      const Org__Lfedge__Eve__Certs__ZCert *z)
{
	struct store_stmt *st;
	X509 *x = NULL;
	int r;

	if (!z->cert.len || z->cert.len > AK_PEM_MAX)
		return -EVE_EPROTO;
	r = crypto_cert_from_pem((const char *)z->cert.data, z->cert.len, &x);
	if (r == 0 &&
	    (X509_verify(x, devpub) != 1 || EVP_PKEY_get_base_id(X509_get0_pubkey(x)) != EVP_PKEY_EC))
		r = -EVE_EBADCERT;
	X509_free(x);
	if (r < 0)
		return r;
	st = store_stmt(
	    d, "UPDATE attest SET ecdh_pem = ?2 WHERE device_id = ?1 AND ecdh_pem IS DISTINCT FROM ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_text_n_copy(st, 2, (const char *)z->cert.data, z->cert.len);
	r = store_step_done(st);
	/* a new certificate: secrets in the config are encrypted to it now */
	if (r == 0 && store_changes(d) > 0)
		ctl_device_changed(c, d, uuid);
	return r;
}

static int do_cert(struct ctl *c, struct store *d, const char *uuid, EVP_PKEY *devpub,
		   const Org__Lfedge__Eve__Attest__ZAttestReq *q)
{
	const Org__Lfedge__Eve__Certs__ZCert *ak = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < q->n_certs; i++) {
		if (q->certs[i]->type ==
		    ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_RESTRICTED_SIGNING)
			ak = q->certs[i];
		else if (q->certs[i]->type ==
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_DEVICE_ECDH_EXCHANGE)
			r = store_ecdh(c, d, uuid, devpub, q->certs[i]);
	}
	if (r < 0)
		return r;
	if (!ak) /* no attestation key: no TPM */
		return set_state(d, uuid, "not-supported", "the device has no TPM");
	r = check_ak_cert(ak, devpub);
	if (r < 0)
		return r;
	return store_ak(d, uuid, &ak->cert);
}

int attest_device_ecdh_pem(struct store *d, const char *uuid, char **pem)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT ecdh_pem FROM attest WHERE device_id = ?1 AND ecdh_pem IS NOT NULL");
	int r = -ENOENT;

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		*pem = strdup(store_col_str(st, 0));
		r = *pem ? 0 : -ENOMEM;
	}
	store_reset(st);
	return r;
}

/* ---- ATTEST_REQ_NONCE ---------------------------------------------------- */

static int do_nonce(struct store *d, const char *uuid, uint8_t nonce[ATTEST_NONCE_LEN])
{
	struct store_stmt *st;

	if (RAND_bytes(nonce, ATTEST_NONCE_LEN) != 1)
		return -EVE_ECRYPTO;
	st = store_stmt(d, "UPDATE attest SET nonce = ?2, nonce_time = ?3 WHERE device_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_blob(st, 2, nonce, ATTEST_NONCE_LEN);
	store_bind_int64(st, 3, (int64_t)time(NULL));
	return store_step_done(st);
}

/* ---- ATTEST_REQ_QUOTE ---------------------------------------------------- */

struct row {
	char *ak_pem;
	uint8_t nonce[ATTEST_NONCE_LEN];
	bool has_nonce;
	uint8_t baseline[ATTEST_NPCR][32];
	bool has_baseline;
};

/* Read the row and consume its nonce (single use, whatever comes next). */
static int row_take(struct store *d, const char *uuid, struct row *w)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT ak_pem, nonce, nonce_time, baseline FROM attest WHERE device_id = ?1");
	int r = 0;

	memset(w, 0, sizeof(*w));
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		if (store_col_type(st, 0) == STORE_TEXT)
			w->ak_pem = strdup(store_col_str(st, 0));
		size_t nn, nb;
		const void *nonce = store_col_blob(st, 1, &nn);
		w->has_nonce =
		    nn == ATTEST_NONCE_LEN && time(NULL) - store_col_int64(st, 2) <= ATTEST_NONCE_TTL_S;
		if (w->has_nonce)
			memcpy(w->nonce, nonce, ATTEST_NONCE_LEN);
		const void *baseline = store_col_blob(st, 3, &nb);
		w->has_baseline = nb == sizeof(w->baseline);
		if (w->has_baseline)
			memcpy(w->baseline, baseline, sizeof(w->baseline));
	}
	store_reset(st);
	if (!w->has_nonce)
		return 0;
	/* Cleared only if it is still the nonce read: of two quotes over one
	 * nonce at once (two workers, two replicas), one gets it. */
	st = store_stmt(d, "UPDATE attest SET nonce = NULL, nonce_time = NULL WHERE device_id = ?1"
			   " AND nonce = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_blob(st, 2, w->nonce, ATTEST_NONCE_LEN);
	r = store_step_one(st);
	if (r == -EAGAIN) {
		w->has_nonce = false; /* another request took it */
		r = 0;
	}
	return r;
}

/* The reported values: SHA-256, each index 0..15 exactly once. */
static int reported_pcrs(const Org__Lfedge__Eve__Attest__ZAttestQuote *q, uint8_t out[ATTEST_NPCR][32])
{
	unsigned seen = 0;

	for (size_t i = 0; i < q->n_pcr_values; i++) {
		const Org__Lfedge__Eve__Attest__TpmPCRValue *v = q->pcr_values[i];
		if (v->hash_algo != ORG__LFEDGE__EVE__ATTEST__TPM_HASH_ALGO__TPM_HASH_ALGO_SHA256)
			continue;
		if (v->index >= ATTEST_NPCR || v->value.len != 32 || (seen & (1u << v->index)))
			return -EVE_EPROTO;
		memcpy(out[v->index], v->value.data, 32);
		seen |= 1u << v->index;
	}
	return seen == (1u << ATTEST_NPCR) - 1 ? 0 : -EVE_EPROTO;
}

static int sig_raw(const ProtobufCBinaryData *b, uint8_t sig[64])
{
	TPMT_SIGNATURE s;
	size_t off = 0;
	const TPMS_SIGNATURE_ECC *e = &s.signature.ecdsa;

	memset(&s, 0, sizeof(s));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(b->data, b->len, &off, &s) != TSS2_RC_SUCCESS || off != b->len)
		return -EVE_EPROTO;
	if (s.sigAlg != TPM2_ALG_ECDSA || e->hash != TPM2_ALG_SHA256 || e->signatureR.size > 32 ||
	    e->signatureS.size > 32)
		return -EVE_EBADSIG;
	memset(sig, 0, 64);
	memcpy(sig + 32 - e->signatureR.size, e->signatureR.buffer, e->signatureR.size);
	memcpy(sig + 64 - e->signatureS.size, e->signatureS.buffer, e->signatureS.size);
	return 0;
}

static bool selection_is_ours(const TPML_PCR_SELECTION *s)
{
	const TPMS_PCR_SELECTION *p = &s->pcrSelections[0];

	return s->count == 1 && p->hash == TPM2_ALG_SHA256 && p->sizeofSelect >= 2 &&
	       p->pcrSelect[0] == 0xff && p->pcrSelect[1] == 0xff &&
	       (p->sizeofSelect < 3 || p->pcrSelect[2] == 0);
}

/* Verify the quote; why says what failed. Returns a ZAttestResponseCode. */
static int verify_quote(const struct row *w, const Org__Lfedge__Eve__Attest__ZAttestQuote *q,
			uint8_t pcrs[ATTEST_NPCR][32], char *why, size_t why_len)
{
	TPMS_ATTEST att;
	size_t off = 0;
	uint8_t digest[32], sig[64];
	X509 *ak = NULL;
	int code = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED;

	memset(&att, 0, sizeof(att));
	if (!w->ak_pem || crypto_cert_from_pem(w->ak_pem, strlen(w->ak_pem), &ak) < 0) {
		snprintf(why, why_len, "no attestation key certificate");
		return ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NO_CERT_FOUND;
	}
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(q->attestdata.data, q->attestdata.len, &off, &att) !=
		TSS2_RC_SUCCESS ||
	    off != q->attestdata.len || att.magic != TPM2_GENERATED_VALUE ||
	    att.type != TPM2_ST_ATTEST_QUOTE) {
		snprintf(why, why_len, "attestData is no TPM quote");
		goto out;
	}
	if (sig_raw(&q->signature, sig) < 0 ||
	    crypto_sha256(q->attestdata.data, q->attestdata.len, digest) < 0 ||
	    crypto_ecdsa_verify(X509_get0_pubkey(ak), digest, sig, sizeof(sig)) < 0) {
		snprintf(why, why_len, "quote signature does not verify with the attestation key");
		goto out;
	}
	if (!w->has_nonce || att.extraData.size != ATTEST_NONCE_LEN ||
	    memcmp(att.extraData.buffer, w->nonce, ATTEST_NONCE_LEN)) {
		snprintf(why, why_len,
			 "the quote is not over the current nonce (a replay, or an expired nonce)");
		code = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_NONCE_MISMATCH;
		goto out;
	}
	if (!selection_is_ours(&att.attested.quote.pcrSelect) || reported_pcrs(q, pcrs) < 0 ||
	    crypto_sha256(pcrs, ATTEST_NPCR * 32, digest) < 0 || att.attested.quote.pcrDigest.size != 32 ||
	    memcmp(att.attested.quote.pcrDigest.buffer, digest, 32)) {
		snprintf(why, why_len,
			 "the PCR values sent do not match the quoted digest (SHA-256 PCRs 0-15)");
		goto out;
	}
	code = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS;
out:
	X509_free(ak);
	return code;
}

/* "PCR 15" or "PCRs 8, 15" differing from the baseline; "" if none. */
static void diff_pcrs(const uint8_t a[ATTEST_NPCR][32], const uint8_t b[ATTEST_NPCR][32], char *out, size_t n)
{
	size_t off = 0, k = 0;
	char list[128] = "";

	for (int i = 0; i < ATTEST_NPCR; i++) {
		if (!memcmp(a[i], b[i], 32))
			continue;
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d", k++ ? ", " : "", i);
	}
	if (k)
		snprintf(out, n, "PCR%s %s differ%s from the baseline", k > 1 ? "s" : "", list,
			 k > 1 ? "" : "s");
	else
		out[0] = '\0';
}

static int store_quote(struct store *d, const char *uuid, const uint8_t pcrs[ATTEST_NPCR][32],
		       bool set_baseline, const char *state, const char *detail, const uint8_t *token_hash)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE attest SET last_pcrs = ?2, baseline = CASE WHEN ?3 THEN ?2 ELSE"
			  " baseline END, state = ?4, detail = ?5, token_hash = ?6, updated = ?7,"
			  " quoted = ?7 WHERE device_id = ?1");

	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_blob(st, 2, pcrs, ATTEST_NPCR * 32);
	store_bind_int64(st, 3, set_baseline);
	store_bind_text(st, 4, state);
	store_bind_text(st, 5, detail);
	if (token_hash)
		store_bind_blob(st, 6, token_hash, 32);
	store_bind_int64(st, 7, (int64_t)time(NULL));
	return store_step_done(st);
}

static int device_policy(struct ctl *c, struct store *d, const char *uuid, bool *allow_no_tpm)
{
	struct store_stmt *st = store_stmt(d, "SELECT policy, allow_no_tpm FROM attest WHERE device_id = ?1");
	int p = attest_policy_parse(c->conf.attestation);

	*allow_no_tpm = false;
	if (!st)
		return p < 0 ? ATTEST_ENFORCE : p;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		int o = attest_policy_parse(store_col_str(st, 0));
		if (o >= 0)
			p = o;
		*allow_no_tpm = store_col_int(st, 1) != 0;
	}
	store_reset(st);
	return p < 0 ? ATTEST_ENFORCE : p;
}

/* The escrowed vault key handed back with a good quote. */
struct release {
	Org__Lfedge__Eve__Attest__AttestVolumeKey k, *kp;
	uint8_t *blob;
};

static void release_key(struct store *d, const char *uuid, Org__Lfedge__Eve__Attest__ZAttestQuoteResp *qr,
			struct release *rel)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT vault_key FROM attest WHERE device_id = ?1 AND vault_key IS NOT NULL");
	size_t n = 0;

	if (!st)
		return;
	store_bind_text(st, 1, uuid);
	const void *blob = NULL;
	if (store_step(st) == STORE_ROW && (blob = store_col_blob(st, 0, &n)) && n > 0 &&
	    (rel->blob = malloc(n))) {
		memcpy(rel->blob, blob, n);
		org__lfedge__eve__attest__attest_volume_key__init(&rel->k);
		rel->k.key_type =
		    ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK;
		rel->k.key = (ProtobufCBinaryData){(size_t)n, rel->blob};
		rel->kp = &rel->k;
		qr->n_keys = 1;
		qr->keys = &rel->kp;
	}
	store_reset(st);
}

/* Verify, compare with the baseline, store; fills the quote response. */
static int do_quote(struct ctl *c, struct store *d, const char *uuid,
		    const Org__Lfedge__Eve__Attest__ZAttestQuote *q,
		    Org__Lfedge__Eve__Attest__ZAttestQuoteResp *qr, uint8_t token[TOKEN_LEN],
		    struct release *rel)
{
	struct row w;
	uint8_t pcrs[ATTEST_NPCR][32], th[32];
	char why[256] = "", msg[320];
	bool allow;
	int r = row_take(d, uuid, &w);

	if (r < 0)
		goto out;
	qr->response =
	    (Org__Lfedge__Eve__Attest__ZAttestResponseCode)verify_quote(&w, q, pcrs, why, sizeof(why));
	if (qr->response != ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_SUCCESS) {
		snprintf(msg, sizeof(msg), "quote refused: %s", why);
		r = set_state(d, uuid, "failed", msg);
		if (c->log_device)
			c->log_device(uuid, msg);
		goto out;
	}
	r = attest_evlog_store(d, uuid, q, pcrs); /* shown by attest show; judged by the PCRs */
	if (r < 0)
		goto out;
	if (w.has_baseline)
		diff_pcrs(w.baseline, pcrs, why, sizeof(why));
	if (why[0]) {
		r = store_quote(d, uuid, pcrs, false, "failed", why, NULL);
		if (c->log_device)
			c->log_device(uuid, why);
		/* report / off: the state says it; only enforce withholds the token */
		if (device_policy(c, d, uuid, &allow) == ATTEST_ENFORCE) {
			qr->response =
			    ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE_CODE__Z_ATTEST_RESPONSE_CODE_QUOTE_FAILED;
			goto out;
		}
	}
	if (RAND_bytes(token, TOKEN_LEN) != 1 || crypto_sha256(token, TOKEN_LEN, th) < 0) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	if (!why[0]) {
		r = store_quote(d, uuid, pcrs, !w.has_baseline, "ok", "", th);
		release_key(d, uuid, qr, rel); /* only to a device whose PCRs match */
	} else
		r = store_quote(d, uuid, pcrs, false, "failed", why, th);
	qr->integrity_token.data = token;
	qr->integrity_token.len = TOKEN_LEN;
out:
	free(w.ak_pem);
	return r;
}

static bool token_ok(struct store_stmt *st, int col, const uint8_t *token, size_t len);

/* ---- Z_ATTEST_REQ_TYPE_STORE_KEYS ------------------------------------------ */

/* Keep the device's vault key (as the device encrypted it) when the
 * request carries the current integrity token of a device in state ok. */
static int do_store_keys(struct store *d, const char *uuid,
			 const Org__Lfedge__Eve__Attest__AttestStorageKeys *sk,
			 Org__Lfedge__Eve__Attest__AttestStorageKeysResp *skr)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT token_hash FROM attest WHERE device_id = ?1 AND state = 'ok'");
	const ProtobufCBinaryData *key = NULL;
	bool ok = false;

	skr->response =
	    ORG__LFEDGE__EVE__ATTEST__ATTEST_STORAGE_KEYS_RESPONSE_CODE__ATTEST_STORAGE_KEYS_RESPONSE_CODE_ITOKEN_MISMATCH;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW)
		ok = token_ok(st, 0, sk->integrity_token.data, sk->integrity_token.len);
	store_reset(st);
	for (size_t i = 0; i < sk->n_keys; i++)
		if (sk->keys[i]->key_type ==
		    ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK)
			key = &sk->keys[i]->key;
	if (!ok)
		return 0;
	if (!key || !key->len || key->len > 1024)
		return -EVE_EPROTO;
	st = store_stmt(d, "UPDATE attest SET vault_key = ?2 WHERE device_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	store_bind_blob(st, 2, key->data, key->len);
	skr->response =
	    ORG__LFEDGE__EVE__ATTEST__ATTEST_STORAGE_KEYS_RESPONSE_CODE__ATTEST_STORAGE_KEYS_RESPONSE_CODE_SUCCESS;
	return store_step_done(st);
}

/* ---- dispatch ------------------------------------------------------------ */

static int dispatch(struct ctl *c, struct store *d, const char *uuid, EVP_PKEY *devpub,
		    const Org__Lfedge__Eve__Attest__ZAttestReq *q,
		    Org__Lfedge__Eve__Attest__ZAttestResponse *resp,
		    Org__Lfedge__Eve__Attest__ZAttestNonceResp *nr,
		    Org__Lfedge__Eve__Attest__ZAttestQuoteResp *qr, uint8_t nonce[ATTEST_NONCE_LEN],
		    uint8_t token[TOKEN_LEN], struct release *rel,
		    Org__Lfedge__Eve__Attest__AttestStorageKeysResp *skr)
{
	switch (q->reqtype) {
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__Z_ATTEST_REQ_TYPE_STORE_KEYS:
		resp->resptype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__Z_ATTEST_RESP_TYPE_STORE_KEYS;
		resp->storage_keys_resp = skr;
		if (!q->storage_keys)
			return -EVE_EPROTO;
		return do_store_keys(d, uuid, q->storage_keys, skr);
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_CERT:
		resp->resptype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_CERT;
		return do_cert(c, d, uuid, devpub, q);
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_NONCE:
		resp->resptype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_NONCE;
		nr->nonce.data = nonce;
		nr->nonce.len = ATTEST_NONCE_LEN;
		resp->nonce = nr;
		return do_nonce(d, uuid, nonce);
	case ORG__LFEDGE__EVE__ATTEST__ZATTEST_REQ_TYPE__ATTEST_REQ_QUOTE:
		resp->resptype = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESP_TYPE__ATTEST_RESP_QUOTE_RESP;
		resp->quoteresp = qr;
		if (!q->quote)
			return -EVE_EPROTO;
		return do_quote(c, d, uuid, q->quote, qr, token, rel);
	default:
		return -EVE_EPROTO;
	}
}

int attest_handle(struct ctl *c, const char *uuid, EVP_PKEY *devpub, const uint8_t *req, size_t len,
		  uint8_t **out, size_t *out_len)
{
	Org__Lfedge__Eve__Attest__ZAttestReq *q =
	    org__lfedge__eve__attest__zattest_req__unpack(NULL, len, req);
	Org__Lfedge__Eve__Attest__ZAttestResponse resp = ORG__LFEDGE__EVE__ATTEST__ZATTEST_RESPONSE__INIT;
	Org__Lfedge__Eve__Attest__ZAttestNonceResp nr = ORG__LFEDGE__EVE__ATTEST__ZATTEST_NONCE_RESP__INIT;
	Org__Lfedge__Eve__Attest__ZAttestQuoteResp qr = ORG__LFEDGE__EVE__ATTEST__ZATTEST_QUOTE_RESP__INIT;
	Org__Lfedge__Eve__Attest__AttestStorageKeysResp skr =
	    ORG__LFEDGE__EVE__ATTEST__ATTEST_STORAGE_KEYS_RESP__INIT;
	uint8_t nonce[ATTEST_NONCE_LEN], token[TOKEN_LEN];
	struct release rel = {.blob = NULL};
	struct store *d;
	int r;

	if (!q)
		return -EVE_EPROTO;
	d = store_get(c->db);
	r = row_ensure(d, uuid);
	if (r == 0)
		r = dispatch(c, d, uuid, devpub, q, &resp, &nr, &qr, nonce, token, &rel, &skr);
	store_put(c->db, d);
	if (r == 0) {
		*out_len = org__lfedge__eve__attest__zattest_response__get_packed_size(&resp);
		*out = malloc(*out_len ? *out_len : 1);
		if (*out)
			org__lfedge__eve__attest__zattest_response__pack(&resp, *out);
		else
			r = -ENOMEM;
	}
	OPENSSL_cleanse(token, sizeof(token));
	free(rel.blob);
	org__lfedge__eve__attest__zattest_req__free_unpacked(q, NULL);
	return r;
}

/* ---- the config gate ----------------------------------------------------- */

static bool token_ok(struct store_stmt *st, int col, const uint8_t *token, size_t len)
{
	uint8_t h[32];

	size_t n;
	const void *want = store_col_blob(st, col, &n);

	if (!len || n != 32 || crypto_sha256(token, len, h) < 0)
		return false;
	return CRYPTO_memcmp(h, want, 32) == 0;
}

static enum attest_gate frozen_or_refuse(struct store_stmt *st, uint8_t **frozen, size_t *flen, char **fhash)
{
	size_t n;
	const void *blob = store_col_blob(st, 3, &n);

	if (!blob || n == 0 || store_col_type(st, 4) != STORE_TEXT)
		return ATTEST_GATE_REFUSE;
	*frozen = malloc((size_t)n);
	*fhash = strdup(store_col_str(st, 4));
	if (!*frozen || !*fhash) {
		free(*frozen);
		free(*fhash);
		*frozen = NULL;
		*fhash = NULL;
		return ATTEST_GATE_REFUSE;
	}
	memcpy(*frozen, blob, n);
	*flen = n;
	return ATTEST_GATE_FROZEN;
}

/* The row's verdict for an existing row (st stepped onto it). */
static enum attest_gate gate_row(struct store_stmt *st, int global, bool need_token, const uint8_t *token,
				 size_t token_len, uint8_t **frozen, size_t *frozen_len, char **frozen_hash,
				 char *why, size_t why_len)
{
	int p = attest_policy_parse(store_col_str(st, 1));
	const char *state = store_col_str(st, 0);
	bool no_tpm_ok = !strcmp(state, "not-supported") && store_col_int(st, 2);

	if (no_tpm_ok)
		return ATTEST_GATE_PASS; /* allowed by name without attestation */
	if (need_token) {
		snprintf(why, why_len, "integrity token required: attest first");
		return ATTEST_GATE_REFUSE;
	}
	if ((p >= 0 ? p : global) != ATTEST_ENFORCE)
		return ATTEST_GATE_PASS;
	if (!strcmp(state, "not-supported")) {
		snprintf(why, why_len, "the device has no TPM and is not allowed without attestation");
		return ATTEST_GATE_REFUSE;
	}
	if (!strcmp(state, "ok") && token_ok(st, 5, token, token_len))
		return ATTEST_GATE_PASS;
	if (!strcmp(state, "failed")) {
		snprintf(why, why_len, "attestation failed (%s): config frozen", store_col_str(st, 6));
		return frozen_or_refuse(st, frozen, frozen_len, frozen_hash);
	}
	snprintf(why, why_len, "attestation required (enforce): %s",
		 token_len ? "integrity token not current, attest again" : "attest first");
	return ATTEST_GATE_REFUSE;
}

enum attest_gate attest_config_gate(struct ctl *c, const char *uuid, const uint8_t *token, size_t token_len,
				    uint8_t **frozen, size_t *frozen_len, char **frozen_hash, char *why,
				    size_t why_len)
{
	int global = attest_policy_parse(c->conf.attestation);
	bool need_token = c->conf.require_itoken && token_len == 0;
	enum attest_gate g = ATTEST_GATE_REFUSE;
	struct store_stmt *st;
	struct store *d;

	if (global != ATTEST_ENFORCE && !need_token &&
	    __atomic_load_n(&c->attest_overrides, __ATOMIC_RELAXED) == 0)
		return ATTEST_GATE_PASS; /* the hot path: nothing enforces */
	snprintf(why, why_len, "attestation state unavailable");
	d = store_get(c->db);
	st = store_stmt(d, "SELECT state, policy, allow_no_tpm, good_config, good_hash, token_hash, detail"
			   " FROM attest WHERE device_id = ?1");
	if (!st)
		goto out;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		g = gate_row(st, global, need_token, token, token_len, frozen, frozen_len, frozen_hash, why,
			     why_len);
	} else {
		g = global == ATTEST_ENFORCE || need_token ? ATTEST_GATE_REFUSE : ATTEST_GATE_PASS;
		snprintf(why, why_len, "%s",
			 need_token ? "integrity token required: attest first"
				    : "attestation required (enforce): attest first");
	}
	store_reset(st);
out:
	store_put(c->db, d);
	return g;
}

void attest_config_served(struct ctl *c, const char *uuid, const uint8_t *env, size_t len, const char *hash)
{
	struct store *d = store_get(c->db);
	struct store_stmt *st =
	    store_stmt(d, "UPDATE attest SET good_config = ?2, good_hash = ?3"
			  " WHERE device_id = ?1 AND state = 'ok' AND good_hash IS DISTINCT FROM ?3");

	if (st) {
		store_bind_text(st, 1, uuid);
		store_bind_blob(st, 2, env, len);
		store_bind_text(st, 3, hash);
		(void)store_step_done(st);
	}
	store_put(c->db, d);
}
