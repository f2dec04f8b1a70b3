// SPDX-License-Identifier: Apache-2.0
/* TPM 2.0 key store (tpm2-tss ESAPI + tctildr).
 *
 * Key hierarchy: an ECC P-256 storage primary under the owner hierarchy
 * (re-derived with CreatePrimary whenever needed: same template + same seed
 * = same key) and a child ECDSA P-256 signing key created once with Create.
 * The child's public and (TPM-wrapped) private blobs are stored in
 * <state>/device.tpmkey; the private part is only usable inside this TPM.
 *
 * There is no resource manager on the devices we target, so every sign
 * loads the primary and the child, signs and flushes both: no transient
 * handle outlives a call, and a killed agent leaks no TPM object slots. */
#include "keystore.h"
#include "keystore_tpm.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"

#define TPMKEY_MAX 4096

struct ks_tpm {
	char *tcti_conf; /* to reconnect after the TPM connection broke */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	EVP_PKEY *pubkey;
	pthread_mutex_t lock; /* one TPM command stream */
};

const TPM2B_PUBLIC keystore_tpm_primary_template = {
    .publicArea =
	{
	    .type = TPM2_ALG_ECC,
	    .nameAlg = TPM2_ALG_SHA256,
	    .objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
				TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				TPMA_OBJECT_SENSITIVEDATAORIGIN,
	    .parameters.eccDetail =
		{
		    .symmetric = {.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB},
		    .scheme.scheme = TPM2_ALG_NULL,
		    .curveID = TPM2_ECC_NIST_P256,
		    .kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

static const TPM2B_PUBLIC signing_template = {
    .publicArea =
	{
	    .type = TPM2_ALG_ECC,
	    .nameAlg = TPM2_ALG_SHA256,
	    .objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
				TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN,
	    .parameters.eccDetail =
		{
		    .symmetric.algorithm = TPM2_ALG_NULL,
		    .scheme = {.scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256},
		    .curveID = TPM2_ECC_NIST_P256,
		    .kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

static int tpm_err(TSS2_RC rc)
{
	return rc == TSS2_RC_SUCCESS ? 0 : -EVE_ECRYPTO;
}

static int create_primary(struct ks_tpm *t, ESYS_TR *out)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC rc;

	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				&sens, &keystore_tpm_primary_template, &outside, &pcrs, out, &opub, &cdata,
				&chash, &ticket);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return tpm_err(rc);
}

static int create_child(struct ks_tpm *t, ESYS_TR primary)
{
	TPM2B_SENSITIVE_CREATE sens = {0};
	TPM2B_DATA outside = {0};
	TPML_PCR_SELECTION pcrs = {0};
	TPM2B_PRIVATE *opriv = NULL;
	TPM2B_PUBLIC *opub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC rc;

	rc = Esys_Create(t->esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &signing_template, &outside, &pcrs, &opriv, &opub, &cdata, &chash, &ticket);
	if (rc == TSS2_RC_SUCCESS) {
		t->priv = *opriv;
		t->pub = *opub;
	}
	Esys_Free(opriv);
	Esys_Free(opub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return tpm_err(rc);
}

static int blob_save(struct ks_tpm *t, const char *path)
{
	uint8_t data[TPMKEY_MAX];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&t->pub, data, sizeof(data), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(&t->priv, data, sizeof(data), &off) != TSS2_RC_SUCCESS)
		return -EVE_ECRYPTO;
	return fileio_write_atomic(path, data, off, 0600);
}

static int blob_load(struct ks_tpm *t, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	int r;

	r = fileio_read(path, TPMKEY_MAX, &data, &len);
	if (r < 0)
		return r;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &off, &t->pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(data, len, &off, &t->priv) != TSS2_RC_SUCCESS || off != len)
		r = -EVE_EPROTO;
	free(data);
	return r;
}

/* Create the child key under a fresh primary and persist its blobs. */
static int key_create(struct ks_tpm *t, const char *path)
{
	ESYS_TR primary = ESYS_TR_NONE;
	int r;

	r = create_primary(t, &primary);
	if (r < 0)
		return r;
	r = create_child(t, primary);
	Esys_FlushContext(t->esys, primary);
	if (r < 0)
		return r;
	return blob_save(t, path);
}

static int pubkey_from_blob(struct ks_tpm *t)
{
	const TPMS_ECC_POINT *p = &t->pub.publicArea.unique.ecc;
	uint8_t pt[65] = {0x04};

	if (t->pub.publicArea.type != TPM2_ALG_ECC || p->x.size > 32 || p->y.size > 32)
		return -EVE_EPROTO;
	memcpy(pt + 1 + 32 - p->x.size, p->x.buffer, p->x.size);
	memcpy(pt + 33 + 32 - p->y.size, p->y.buffer, p->y.size);
	return crypto_pubkey_from_point(pt, sizeof(pt), &t->pubkey);
}

static void tpm_disconnect(struct ks_tpm *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	t->esys = NULL;
	t->tcti = NULL;
}

static void ks_tpm_close(void *ctx)
{
	struct ks_tpm *t = ctx;

	if (!t)
		return;
	tpm_disconnect(t);
	free(t->tcti_conf);
	EVP_PKEY_free(t->pubkey);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static int tpm_connect(struct ks_tpm *t, const char *tcti)
{
	TSS2_RC rc;

	if (Tss2_TctiLdr_Initialize(tcti, &t->tcti) != TSS2_RC_SUCCESS)
		return -ENODEV;
	if (Esys_Initialize(&t->esys, t->tcti, NULL) != TSS2_RC_SUCCESS)
		return -ENODEV;
	/* Firmware (or swtpm's startup-clear) normally did this already. */
	rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		return -ENODEV;
	return 0;
}

static int ks_tpm_open(const struct keystore_opts *o, void **ctx)
{
	char path[PATH_MAX];
	struct ks_tpm *t;
	int r;

	if (snprintf(path, sizeof(path), "%s/device.tpmkey", o->state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->tcti_conf = strdup(o->tcti ? o->tcti : "device:/dev/tpmrm0");
	if (!t->tcti_conf) {
		r = -ENOMEM;
		goto out;
	}
	r = tpm_connect(t, t->tcti_conf);
	if (r < 0)
		goto out;
	r = blob_load(t, path);
	if (r == -ENOENT)
		r = key_create(t, path);
	if (r < 0)
		goto out;
	r = pubkey_from_blob(t);
	if (r < 0)
		goto out;
	*ctx = t;
	t = NULL;
out:
	ks_tpm_close(t);
	return r;
}

static int ks_tpm_pubkey(void *ctx, EVP_PKEY **out)
{
	struct ks_tpm *t = ctx;

	if (!EVP_PKEY_up_ref(t->pubkey))
		return -EVE_ECRYPTO;
	*out = t->pubkey;
	return 0;
}

static void copy_param(const TPM2B_ECC_PARAMETER *p, uint8_t out[32])
{
	memset(out, 0, 32);
	memcpy(out + 32 - p->size, p->buffer, p->size);
}

static int sign_loaded(struct ks_tpm *t, ESYS_TR key, const uint8_t digest[32], uint8_t sig[64])
{
	TPM2B_DIGEST d = {.size = 32};
	TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256};
	TPMT_TK_HASHCHECK check = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
	TPMT_SIGNATURE *s = NULL;
	int r;

	memcpy(d.buffer, digest, 32);
	r = tpm_err(
	    Esys_Sign(t->esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d, &scheme, &check, &s));
	if (r < 0)
		return r;
	if (s->sigAlg != TPM2_ALG_ECDSA || s->signature.ecdsa.signatureR.size > 32 ||
	    s->signature.ecdsa.signatureS.size > 32) {
		r = -EVE_ECRYPTO;
		goto out;
	}
	copy_param(&s->signature.ecdsa.signatureR, sig);
	copy_param(&s->signature.ecdsa.signatureS, sig + 32);
out:
	Esys_Free(s);
	return r;
}

static int sign_once(struct ks_tpm *t, const uint8_t digest[32], uint8_t sig[64])
{
	ESYS_TR primary = ESYS_TR_NONE, key = ESYS_TR_NONE;
	int r;

	if (!t->esys)
		return -ENODEV;
	r = create_primary(t, &primary);
	if (r < 0)
		goto out;
	r = tpm_err(Esys_Load(t->esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &t->priv,
			      &t->pub, &key));
	if (r < 0)
		goto out;
	r = sign_loaded(t, key, digest, sig);
out:
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, key);
	if (primary != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, primary);
	return r;
}

/* A failed sign may be a broken TPM connection (e.g. the TPM daemon
 * restarted): reconnect once and retry. */
static int ks_tpm_sign(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	struct ks_tpm *t = ctx;
	int r;

	pthread_mutex_lock(&t->lock);
	r = sign_once(t, digest, sig);
	if (r < 0) {
		tpm_disconnect(t);
		r = tpm_connect(t, t->tcti_conf);
		if (r == 0)
			r = sign_once(t, digest, sig);
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* The attestation module's access to the same TPM connection (one command
 * stream: swtpm and /dev/tpm0 serve one client at a time). */
static int ks_tpm_with(void *ctx, int (*fn)(void *esys, void *arg), void *arg)
{
	struct ks_tpm *t = ctx;
	int r;

	pthread_mutex_lock(&t->lock);
	if (!t->esys && tpm_connect(t, t->tcti_conf) < 0)
		tpm_disconnect(t);
	r = t->esys ? fn(t->esys, arg) : -ENODEV;
	pthread_mutex_unlock(&t->lock);
	return r;
}

const struct keystore_ops keystore_tpm_ops = {
    .name = "tpm",
    .open = ks_tpm_open,
    .pubkey = ks_tpm_pubkey,
    .sign = ks_tpm_sign,
    .close = ks_tpm_close,
    .with_tpm = ks_tpm_with,
};
