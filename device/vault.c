/* The sealed vault key (vault.h). */
#include "agent_int.h"
#include "vault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "agentlog.h"
#include "attest_tpm.h"
#include "cipher.h"
#include "crypto.h"
#include "err.h"
#include "secrets.h"

void vault_open(struct agent *a)
{
	uint8_t key[128];
	size_t len = 0;
	int r = attest_tpm_unseal(&a->ks, a->o->state_dir, key, &len);

	if (r == -ENOTSUP) {
		alog(ALOG_WARN, "vault: no TPM: no sealed vault key");
		return;
	}
	if (r == -ENOENT) {
		if (RAND_bytes(key, VAULT_KEY_LEN) != 1)
			return;
		r = attest_tpm_seal(&a->ks, a->o->state_dir, key, VAULT_KEY_LEN);
		len = VAULT_KEY_LEN;
		if (r == 0)
			alog(ALOG_INFO, "vault: new key sealed in the TPM to PCRs 0-15");
	}
	if (r == 0 && len == VAULT_KEY_LEN) {
		memcpy(a->vault_key, key, VAULT_KEY_LEN);
		a->vault_have = true;
		alog(ALOG_INFO, "vault: key unsealed");
	} else if (r == -EACCES) {
		a->vault_locked = true;
		alog(ALOG_WARN,
		     "vault: the sealed key does not open (PCRs changed): waiting for the controller to "
		     "release the escrowed key after a good attestation");
	} else {
		alog(ALOG_ERR, "vault: the sealed key: %s (%d, %zu bytes)",
		     eve_strerror(r < 0 ? r : -EVE_EPROTO), r, len);
	}
	OPENSSL_cleanse(key, sizeof(key));
}

/* AttestVolumeKeyData.encrypted_key: IV (16) || AES-256-CFB of the key
 * under the ECDH key shared with the controller; digest_sha256 = SHA-256 of
 * the key. */
int vault_escrow_key(struct agent *a, Org__Lfedge__Eve__Attest__AttestVolumeKey *k, uint8_t **buf)
{
	Org__Lfedge__Eve__Attest__AttestVolumeKeyData d =
	    ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_DATA__INIT;
	uint8_t ek[CIPHER_KEY_LEN], ivk[32], enc[CIPHER_IV_LEN + VAULT_KEY_LEN], sha[32], *ct = NULL;
	int r;

	if (!a->vault_have || a->vault_escrow_done)
		return -EALREADY;
	r = secrets_shared_key(a, ek);
	if (r == 0 && RAND_bytes(ivk, sizeof(ivk)) != 1)
		r = -EVE_ECRYPTO;
	if (r == 0)
		r = cipher_seal(ek, ivk, a->vault_key, VAULT_KEY_LEN, enc, &ct, sha);
	OPENSSL_cleanse(ek, sizeof(ek));
	if (r < 0)
		return r;
	memcpy(enc + CIPHER_IV_LEN, ct, VAULT_KEY_LEN);
	free(ct);
	d.encrypted_key = (ProtobufCBinaryData){sizeof(enc), enc};
	d.digest_sha256 = (ProtobufCBinaryData){sizeof(sha), sha};
	*buf = malloc(org__lfedge__eve__attest__attest_volume_key_data__get_packed_size(&d));
	if (!*buf)
		return -ENOMEM;
	k->key_type = ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK;
	k->key.len = org__lfedge__eve__attest__attest_volume_key_data__pack(&d, *buf);
	k->key.data = *buf;
	return 0;
}

void vault_escrowed(struct agent *a)
{
	a->vault_escrow_done = true;
	alog(ALOG_INFO, "vault: key escrowed to the controller");
}

static int open_released(struct agent *a, const ProtobufCBinaryData *blob, uint8_t key[VAULT_KEY_LEN])
{
	Org__Lfedge__Eve__Attest__AttestVolumeKeyData *d =
	    org__lfedge__eve__attest__attest_volume_key_data__unpack(NULL, blob->len, blob->data);
	uint8_t ek[CIPHER_KEY_LEN], *pt = NULL;
	int r = d && d->encrypted_key.len == CIPHER_IV_LEN + VAULT_KEY_LEN ? 0 : -EVE_EPROTO;

	if (r == 0)
		r = secrets_shared_key(a, ek);
	if (r == 0)
		r = cipher_open(ek, d->encrypted_key.data, CIPHER_IV_LEN,
				d->encrypted_key.data + CIPHER_IV_LEN, VAULT_KEY_LEN, d->digest_sha256.data,
				d->digest_sha256.len, &pt);
	if (r == 0) {
		memcpy(key, pt, VAULT_KEY_LEN);
		OPENSSL_clear_free(pt, VAULT_KEY_LEN);
	}
	OPENSSL_cleanse(ek, sizeof(ek));
	org__lfedge__eve__attest__attest_volume_key_data__free_unpacked(d, NULL);
	return r;
}

void vault_release(struct agent *a, const Org__Lfedge__Eve__Attest__ZAttestQuoteResp *q)
{
	uint8_t key[VAULT_KEY_LEN];
	int r = -ENOENT;

	if (!a->vault_locked || !q)
		return;
	for (size_t i = 0; r == -ENOENT && i < q->n_keys; i++)
		if (q->keys[i]->key_type ==
		    ORG__LFEDGE__EVE__ATTEST__ATTEST_VOLUME_KEY_TYPE__ATTEST_VOLUME_KEY_TYPE_VSK)
			r = open_released(a, &q->keys[i]->key, key);
	if (r == -ENOENT) {
		alog(ALOG_WARN, "vault: still locked: the controller released no key");
		return;
	}
	if (r == 0)
		r = attest_tpm_seal(&a->ks, a->o->state_dir, key, VAULT_KEY_LEN);
	if (r < 0) {
		alog(ALOG_ERR, "vault: the released key: %s", eve_strerror(r));
		OPENSSL_cleanse(key, sizeof(key));
		return;
	}
	memcpy(a->vault_key, key, VAULT_KEY_LEN);
	OPENSSL_cleanse(key, sizeof(key));
	a->vault_have = true;
	a->vault_locked = false;
	a->vault_escrow_done = true; /* the controller holds it */
	alog(ALOG_INFO,
	     "vault: key released by the controller after attestation, sealed again to the current PCRs");
}
