// SPDX-License-Identifier: Apache-2.0
/* The sealed vault key (vault.h). */
#include "agent_int.h"
#include "vault.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "agentlog.h"
#include "appruntime.h"
#include "attest_tpm.h"
#include "cipher.h"
#include "crypto.h"
#include "err.h"
#include "secrets.h"
#include "vault_fs.h"

/* The hypervisor daemon's socket: the vault's mounts are made in its mount
 * namespace too when it runs in another one (vault_fs_share). */
#define VAULT_LIBVIRT_SOCK "/run/libvirt/libvirt-sock"

/* With --vault: open the encrypted volume store with the vault key, or say
 * why not (every app is then held with that text; nokey: why there is no
 * key when it is not locked). */
static void store_open(struct agent *a, const char *nokey)
{
	char err[256] = "";
	uint64_t size = 0;
	pid_t pid;
	int r;

	if (!a->o->vault || a->vault_store_open)
		return;
	if (!a->vault_have) {
		snprintf(a->vault_store_err, sizeof(a->vault_store_err), "%s",
			 a->vault_locked
			     ? "the volume vault is locked: its key is sealed to other PCR values (a "
			       "changed boot) and the controller has not released the escrowed key "
			       "(attestation not ok)"
			     : nokey);
		alog(ALOG_WARN, "vault: apps held: %s", a->vault_store_err);
		return;
	}
	r = vault_fs_parse_size(a->o->vault, &size);
	if (r < 0)
		snprintf(err, sizeof(err), "--vault %.40s: not a size (e.g. 1G)", a->o->vault);
	else
		r = vault_fs_open(a->o->state_dir, size, a->vault_key, err, sizeof(err));
	if (r < 0) {
		snprintf(a->vault_store_err, sizeof(a->vault_store_err),
			 "the volume vault cannot be opened: %s", err);
		alog(ALOG_ERR, "vault: apps held: %s", a->vault_store_err);
		return;
	}
	pid = vault_fs_socket_pid(VAULT_LIBVIRT_SOCK);
	if (pid > 0 && vault_fs_share(a->o->state_dir, pid, err, sizeof(err)) < 0)
		alog(ALOG_WARN, "vault: libvirtd (pid %d) may not see the volume vault: %s", (int)pid, err);
	a->vault_store_open = true;
	a->vault_store_err[0] = '\0';
	alog(ALOG_INFO,
	     "vault: volume store %s/vault.img open (fscrypt, key derived from the sealed vault key): app "
	     "volumes and app dirs are encrypted at rest",
	     a->o->state_dir);
}

void vault_push_refusals(struct agent *a)
{
	vault_push_refusals_with(a, NULL, 0);
}

void vault_push_refusals_with(struct agent *a, const struct agent_refusal *more, size_t n_more)
{
	const char *uuids[AGENT_REFUSE_MAX * 2], *why[AGENT_REFUSE_MAX * 2];
	size_t i, n = 0;

	assert(n_more <= AGENT_REFUSE_MAX);
	for (i = 0; i < a->n_app_refused; i++, n++) {
		uuids[n] = a->app_refused[i].uuid;
		why[n] = a->app_refused[i].why;
	}
	for (i = 0; i < n_more; i++, n++) {
		uuids[n] = more[i].uuid;
		why[n] = more[i].why;
	}
	appruntime_refuse(a->rt, a->o->vault && !a->vault_store_open ? a->vault_store_err : NULL, n, uuids,
			  why);
}

void vault_open(struct agent *a)
{
	uint8_t key[128];
	size_t len = 0;
	int r = attest_tpm_unseal(&a->ks, a->o->state_dir, key, &len);

	if (r == -ENOTSUP) {
		alog(ALOG_WARN, "vault: no TPM: no sealed vault key");
		store_open(a, "the volume vault has no key: no TPM to seal one (eve-agent --vault)");
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
	store_open(a,
		   "the volume vault has no key: the sealed vault key cannot be read from the TPM (see the "
		   "agent's log)");
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
	store_open(a, "");
	vault_push_refusals(a); /* the apps held for the vault may start */
}
