// SPDX-License-Identifier: Apache-2.0
/* TPM 2.0 attestation key, quotes and PCRs (tpm2-tss ESAPI). Every call
 * loads what it needs and flushes it before returning: no resource manager
 * (see keystore_tpm.c). */
#include "attest_tpm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "keystore_tpm.h"

#define AKBLOB_MAX 4096

static const TPM2B_PUBLIC ak_template = {
    .publicArea =
	{
	    .type = TPM2_ALG_ECC,
	    .nameAlg = TPM2_ALG_SHA256,
	    .objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
				TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA,
	    .parameters.eccDetail =
		{
		    .symmetric.algorithm = TPM2_ALG_NULL,
		    .scheme = {.scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256},
		    .curveID = TPM2_ECC_NIST_P256,
		    .kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/* The device's ECDH key (config secrets): an unrestricted decryption key
 * for TPM2_ECDH_ZGen. */
static const TPM2B_PUBLIC ecdh_template = {
    .publicArea =
	{
	    .type = TPM2_ALG_ECC,
	    .nameAlg = TPM2_ALG_SHA256,
	    .objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
				TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA,
	    .parameters.eccDetail =
		{
		    .symmetric.algorithm = TPM2_ALG_NULL,
		    .scheme = {.scheme = TPM2_ALG_ECDH, .details.ecdh.hashAlg = TPM2_ALG_SHA256},
		    .curveID = TPM2_ECC_NIST_P256,
		    .kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

struct ak {
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
};

static int rc_err(TSS2_RC rc)
{
	return rc == TSS2_RC_SUCCESS ? 0 : -EVE_ECRYPTO;
}

static int primary(ESYS_CONTEXT *e, ESYS_TR *out)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC rc;

	rc = Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
				&keystore_tpm_primary_template, &outside, &pcrs, out, &opub, &cdata, &chash,
				&ticket);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return rc_err(rc);
}

static int ak_path(const char *state_dir, const char *file, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", state_dir, file) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int ak_load_blob(const char *path, struct ak *k)
{
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	int r = fileio_read(path, AKBLOB_MAX, &data, &len);

	if (r < 0)
		return r;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, &k->pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(data, len, &off, &k->priv) != TSS2_RC_SUCCESS || off != len)
		r = -EVE_EPROTO;
	free(data);
	return r;
}

static int ak_save_blob(const char *path, const struct ak *k)
{
	uint8_t data[AKBLOB_MAX];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&k->pub, data, sizeof(data), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(&k->priv, data, sizeof(data), &off) != TSS2_RC_SUCCESS)
		return -EVE_ECRYPTO;
	return fileio_write_atomic(path, data, off, 0600);
}

static int ak_create(ESYS_CONTEXT *e, const TPM2B_PUBLIC *tmpl, struct ak *k)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PRIVATE *opriv = NULL;
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	ESYS_TR p = ESYS_TR_NONE;
	int r = primary(e, &p);

	if (r < 0)
		return r;
	r = rc_err(Esys_Create(e, p, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, tmpl, &outside,
			       &pcrs, &opriv, &opub, &cdata, &chash, &ticket));
	if (r == 0) {
		k->priv = *opriv;
		k->pub = *opub;
	}
	Esys_FlushContext(e, p);
	Esys_Free(opriv);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return r;
}

struct ak_arg {
	const char *state_dir;
	const char *file;         /* NULL: attest.tpmkey */
	const TPM2B_PUBLIC *tmpl; /* NULL: the AK's */
	struct ak k;
};

static int ak_get_cb(void *esys, void *arg)
{
	struct ak_arg *a = arg;
	char path[PATH_MAX];
	int r = ak_path(a->state_dir, a->file ? a->file : "attest.tpmkey", path);

	if (r < 0)
		return r;
	r = ak_load_blob(path, &a->k);
	if (r != -ENOENT)
		return r;
	r = ak_create(esys, a->tmpl ? a->tmpl : &ak_template, &a->k);
	return r < 0 ? r : ak_save_blob(path, &a->k);
}

static int ak_pubkey(const TPM2B_PUBLIC *p, EVP_PKEY **out)
{
	const TPMS_ECC_POINT *u = &p->publicArea.unique.ecc;
	uint8_t pt[65] = {0x04};

	if (p->publicArea.type != TPM2_ALG_ECC || u->x.size > 32 || u->y.size > 32)
		return -EVE_EPROTO;
	memcpy(pt + 1 + 32 - u->x.size, u->x.buffer, u->x.size);
	memcpy(pt + 33 + 32 - u->y.size, u->y.buffer, u->y.size);
	return crypto_pubkey_from_point(pt, sizeof(pt), out);
}

int attest_tpm_ak(struct keystore *ks, const char *state_dir, EVP_PKEY **pub, uint8_t **tpub,
		  size_t *tpub_len)
{
	struct ak_arg a = {.state_dir = state_dir};
	uint8_t buf[sizeof(TPMT_PUBLIC) + 16];
	size_t off = 0;
	int r = keystore_with_tpm(ks, ak_get_cb, &a);

	if (r < 0)
		return r;
	if (Tss2_MU_TPMT_PUBLIC_Marshal(&a.k.pub.publicArea, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return -EVE_ECRYPTO;
	r = ak_pubkey(&a.k.pub, pub);
	if (r < 0)
		return r;
	*tpub = malloc(off);
	if (!*tpub) {
		EVP_PKEY_free(*pub);
		*pub = NULL;
		return -ENOMEM;
	}
	memcpy(*tpub, buf, off);
	*tpub_len = off;
	return 0;
}

static void sel_init(TPML_PCR_SELECTION *s)
{
	memset(s, 0, sizeof(*s));
	s->count = 1;
	s->pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->pcrSelections[0].sizeofSelect = 3;
	s->pcrSelections[0].pcrSelect[0] = 0xff;
	s->pcrSelections[0].pcrSelect[1] = 0xff;
}

/* Read PCRs 0..15: the TPM answers up to 8 digests per call and clears
 * what it answered from the selection it returns. */
static int pcrs_read(ESYS_CONTEXT *e, uint8_t out[ATTEST_TPM_NPCR][32])
{
	TPML_PCR_SELECTION want;
	int done = 0, r = 0;

	sel_init(&want);
	while (done < ATTEST_TPM_NPCR && r == 0) {
		TPML_PCR_SELECTION *got = NULL;
		TPML_DIGEST *d = NULL;
		UINT32 upd;
		int n = 0;

		r = rc_err(Esys_PCR_Read(e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &upd, &got, &d));
		for (int i = 0; r == 0 && i < ATTEST_TPM_NPCR; i++) {
			uint8_t bit = (uint8_t)(1u << (i % 8));
			if (!got->count || !(got->pcrSelections[0].pcrSelect[i / 8] & bit))
				continue;
			if ((UINT32)n >= d->count || d->digests[n].size != 32) {
				r = -EVE_EPROTO;
				break;
			}
			memcpy(out[i], d->digests[n++].buffer, 32);
			want.pcrSelections[0].pcrSelect[i / 8] &= (uint8_t)~bit;
			done++;
		}
		if (r == 0 && n == 0)
			r = -EVE_EPROTO; /* no progress */
		Esys_Free(got);
		Esys_Free(d);
	}
	return r;
}

struct quote_arg {
	const char *state_dir;
	const uint8_t *nonce;
	size_t nonce_len;
	struct attest_tpm_quote *q;
};

static int quote_store(struct attest_tpm_quote *q, const TPM2B_ATTEST *att, const TPMT_SIGNATURE *sig)
{
	uint8_t buf[sizeof(TPMT_SIGNATURE) + 16];
	size_t off = 0;

	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS)
		return -EVE_ECRYPTO;
	q->attest = malloc(att->size);
	q->sig = malloc(off);
	if (!q->attest || !q->sig)
		return -ENOMEM;
	memcpy(q->attest, att->attestationData, att->size);
	q->attest_len = att->size;
	memcpy(q->sig, buf, off);
	q->sig_len = off;
	return 0;
}

static int quote_loaded(ESYS_CONTEXT *e, ESYS_TR key, struct quote_arg *a)
{
	TPM2B_DATA qd = {.size = (UINT16)a->nonce_len};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256};
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *att = NULL;
	TPMT_SIGNATURE *sig = NULL;
	int r;

	memcpy(qd.buffer, a->nonce, a->nonce_len);
	sel_init(&sel);
	r = pcrs_read(e, a->q->pcr);
	if (r == 0)
		r = rc_err(Esys_Quote(e, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qd, &scheme,
				      &sel, &att, &sig));
	if (r == 0)
		r = quote_store(a->q, att, sig);
	Esys_Free(att);
	Esys_Free(sig);
	return r;
}

static int quote_cb(void *esys, void *arg)
{
	struct quote_arg *a = arg;
	struct ak_arg ak = {.state_dir = a->state_dir};
	ESYS_TR p = ESYS_TR_NONE, key = ESYS_TR_NONE;
	int r = ak_get_cb(esys, &ak);

	if (r == 0)
		r = primary(esys, &p);
	if (r == 0)
		r = rc_err(Esys_Load(esys, p, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &ak.k.priv,
				     &ak.k.pub, &key));
	if (r == 0)
		r = quote_loaded(esys, key, a);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(esys, key);
	if (p != ESYS_TR_NONE)
		Esys_FlushContext(esys, p);
	return r;
}

int attest_tpm_quote(struct keystore *ks, const char *state_dir, const uint8_t *nonce, size_t nonce_len,
		     struct attest_tpm_quote *q)
{
	struct quote_arg a = {state_dir, nonce, nonce_len, q};
	int r;

	memset(q, 0, sizeof(*q));
	if (!nonce_len || nonce_len > ATTEST_TPM_NONCE_MAX)
		return -EINVAL;
	r = keystore_with_tpm(ks, quote_cb, &a);
	if (r < 0)
		attest_tpm_quote_clear(q);
	return r;
}

void attest_tpm_quote_clear(struct attest_tpm_quote *q)
{
	if (!q)
		return;
	free(q->attest);
	free(q->sig);
	memset(q, 0, sizeof(*q));
}

struct extend_arg {
	unsigned idx;
	const uint8_t *digest;
};

static int extend_cb(void *esys, void *arg)
{
	struct extend_arg *a = arg;
	TPML_DIGEST_VALUES v = {.count = 1};

	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(v.digests[0].digest.sha256, a->digest, 32);
	return rc_err(
	    Esys_PCR_Extend(esys, ESYS_TR_PCR0 + a->idx, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v));
}

int attest_tpm_extend(struct keystore *ks, unsigned idx, const uint8_t digest[32])
{
	struct extend_arg a = {idx, digest};

	if (idx >= ATTEST_TPM_NPCR)
		return -EINVAL;
	return keystore_with_tpm(ks, extend_cb, &a);
}

static int reset_cb(void *esys, void *arg)
{
	TPMS_TIME_INFO *t = NULL;
	int r = rc_err(Esys_ReadClock(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t));

	if (r == 0)
		*(uint32_t *)arg = t->clockInfo.resetCount;
	Esys_Free(t);
	return r;
}

int attest_tpm_reset_count(struct keystore *ks, uint32_t *out)
{
	return keystore_with_tpm(ks, reset_cb, out);
}

/* ---- the ECDH key (config secrets) ------------------------------------- */

int attest_tpm_ecdh_pub(struct keystore *ks, const char *state_dir, EVP_PKEY **pub)
{
	struct ak_arg a = {.state_dir = state_dir, .file = "ecdh.tpmkey", .tmpl = &ecdh_template};
	int r = keystore_with_tpm(ks, ak_get_cb, &a);

	return r < 0 ? r : ak_pubkey(&a.k.pub, pub);
}

struct zgen_arg {
	const char *state_dir;
	const uint8_t *px, *py;
	uint8_t *zx, *zy;
};

static int zgen_cb(void *esys, void *arg)
{
	struct zgen_arg *z = arg;
	struct ak_arg k = {.state_dir = z->state_dir, .file = "ecdh.tpmkey", .tmpl = &ecdh_template};
	TPM2B_ECC_POINT in = {0}, *out = NULL;
	ESYS_TR p = ESYS_TR_NONE, key = ESYS_TR_NONE;
	int r = ak_get_cb(esys, &k);

	in.point.x.size = in.point.y.size = 32;
	memcpy(in.point.x.buffer, z->px, 32);
	memcpy(in.point.y.buffer, z->py, 32);
	if (r == 0)
		r = primary(esys, &p);
	if (r == 0)
		r = rc_err(Esys_Load(esys, p, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &k.k.priv,
				     &k.k.pub, &key));
	if (r == 0)
		r = rc_err(
		    Esys_ECDH_ZGen(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &in, &out));
	if (r == 0 && (out->point.x.size > 32 || out->point.y.size > 32))
		r = -EVE_EPROTO;
	if (r == 0) {
		memset(z->zx, 0, 32);
		memset(z->zy, 0, 32);
		memcpy(z->zx + 32 - out->point.x.size, out->point.x.buffer, out->point.x.size);
		memcpy(z->zy + 32 - out->point.y.size, out->point.y.buffer, out->point.y.size);
	}
	Esys_Free(out);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(esys, key);
	if (p != ESYS_TR_NONE)
		Esys_FlushContext(esys, p);
	return r;
}

int attest_tpm_ecdh_zgen(struct keystore *ks, const char *state_dir, const uint8_t px[32],
			 const uint8_t py[32], uint8_t zx[32], uint8_t zy[32])
{
	struct zgen_arg z = {state_dir, px, py, zx, zy};

	return keystore_with_tpm(ks, zgen_cb, &z);
}

/* ---- the sealed vault key ---------------------------------------------- */

/* The PolicyPCR digest over SHA-256 PCRs 0..15 as they are now. */
static int pcr_policy(ESYS_CONTEXT *e, ESYS_TR *session, bool trial)
{
	TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_NULL};
	TPM2B_DIGEST none = {0};
	TPML_PCR_SELECTION sel;
	int r;

	sel_init(&sel);
	r = rc_err(Esys_StartAuthSession(e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					 ESYS_TR_NONE, NULL, trial ? TPM2_SE_TRIAL : TPM2_SE_POLICY, &sym,
					 TPM2_ALG_SHA256, session));
	if (r == 0)
		r = rc_err(
		    Esys_PolicyPCR(e, *session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &none, &sel));
	return r;
}

struct seal_arg {
	const char *state_dir;
	const uint8_t *data;
	size_t len;
	uint8_t *out;
	size_t *out_len;
};

static int seal_create(ESYS_CONTEXT *e, const TPM2B_DIGEST *policy, struct seal_arg *s, struct ak *k)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_PUBLIC tmpl = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PRIVATE *opriv = NULL;
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	ESYS_TR p = ESYS_TR_NONE;
	int r;

	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.authPolicy = *policy;
	sens.sensitive.data.size = (UINT16)s->len;
	memcpy(sens.sensitive.data.buffer, s->data, s->len);
	r = primary(e, &p);
	if (r == 0)
		r = rc_err(Esys_Create(e, p, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				       &outside, &pcrs, &opriv, &opub, &cdata, &chash, &ticket));
	if (r == 0) {
		k->priv = *opriv;
		k->pub = *opub;
	}
	if (p != ESYS_TR_NONE)
		Esys_FlushContext(e, p);
	OPENSSL_cleanse(&sens, sizeof(sens));
	Esys_Free(opriv);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return r;
}

static int seal_cb(void *esys, void *arg)
{
	struct seal_arg *s = arg;
	ESYS_TR session = ESYS_TR_NONE;
	TPM2B_DIGEST *policy = NULL;
	struct ak k = {0};
	char path[PATH_MAX];
	int r = ak_path(s->state_dir, "vault.tpmkey", path);

	if (r == 0)
		r = pcr_policy(esys, &session, true);
	if (r == 0)
		r = rc_err(
		    Esys_PolicyGetDigest(esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &policy));
	if (session != ESYS_TR_NONE)
		Esys_FlushContext(esys, session);
	if (r == 0)
		r = seal_create(esys, policy, s, &k);
	Esys_Free(policy);
	return r == 0 ? ak_save_blob(path, &k) : r;
}

int attest_tpm_seal(struct keystore *ks, const char *state_dir, const uint8_t *data, size_t len)
{
	struct seal_arg s = {state_dir, data, len, NULL, NULL};

	if (!len || len > 128)
		return -EINVAL;
	return keystore_with_tpm(ks, seal_cb, &s);
}

static int unseal_cb(void *esys, void *arg)
{
	struct seal_arg *s = arg;
	struct ak k = {0};
	char path[PATH_MAX];
	ESYS_TR p = ESYS_TR_NONE, item = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *out = NULL;
	int r = ak_path(s->state_dir, "vault.tpmkey", path);

	if (r == 0)
		r = ak_load_blob(path, &k);
	if (r == 0)
		r = primary(esys, &p);
	if (r == 0)
		r = rc_err(
		    Esys_Load(esys, p, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &k.priv, &k.pub, &item));
	if (r == 0)
		r = pcr_policy(esys, &session, false);
	if (r == 0 && Esys_Unseal(esys, item, session, ESYS_TR_NONE, ESYS_TR_NONE, &out) != TSS2_RC_SUCCESS)
		r = -EACCES; /* the PCRs are not those the key was sealed to */
	if (r == 0 && out->size > 128)
		r = -EVE_EPROTO;
	if (r == 0) {
		memcpy(s->out, out->buffer, out->size);
		*s->out_len = out->size;
	}
	if (out) {
		OPENSSL_cleanse(out, sizeof(*out));
		Esys_Free(out);
	}
	if (session != ESYS_TR_NONE)
		Esys_FlushContext(esys, session);
	if (item != ESYS_TR_NONE)
		Esys_FlushContext(esys, item);
	if (p != ESYS_TR_NONE)
		Esys_FlushContext(esys, p);
	return r;
}

int attest_tpm_unseal(struct keystore *ks, const char *state_dir, uint8_t out[128], size_t *len)
{
	struct seal_arg s = {state_dir, NULL, 0, out, len};

	return keystore_with_tpm(ks, unseal_cb, &s);
}
