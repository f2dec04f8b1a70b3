// SPDX-License-Identifier: Apache-2.0
/* Config secrets on the device (secrets.h). */
#include "agent_int.h"
#include "secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "agentlog.h"
#include "attest_tpm.h"
#include "cipher.h"
#include "crypto.h"
#include "err.h"

static int file_key(struct agent *a, EVP_PKEY **key)
{
	char path[PATH_MAX];
	int r;

	agent_state_path(a, "ecdh.key.pem", path);
	r = crypto_key_load_pem(path, key);
	if (r != -ENOENT)
		return r;
	r = crypto_ec_generate(key);
	if (r == 0)
		r = crypto_key_save_pem(path, *key); /* 0600 */
	return r;
}

/* The ECDH public key: the TPM's, else the file key's. */
static int ecdh_pub(struct agent *a, EVP_PKEY **pub)
{
	int r = attest_tpm_ecdh_pub(&a->ks, a->o->state_dir, pub);

	return r == -ENOTSUP ? file_key(a, pub) : r;
}

int secrets_ecdh_cert(struct agent *a, char **pem, size_t *len)
{
	char path[PATH_MAX];
	EVP_PKEY *pub = NULL;
	X509 *x = NULL;
	int r = ecdh_pub(a, &pub);

	if (r < 0)
		return r;
	agent_state_path(a, "ecdh.cert.pem", path);
	if (crypto_cert_load_pem(path, &x) == 0 && (EVP_PKEY_eq(X509_get0_pubkey(x), pub) != 1 ||
						    X509_verify(x, X509_get0_pubkey(a->devcert)) != 1)) {
		X509_free(x);
		x = NULL;
	}
	if (!x) {
		r = identity_cert_issue(&a->ks, a->devcert, pub, "eve-ecdh", IDENTITY_CERT_DAYS, &x);
		if (r == 0)
			r = crypto_cert_save_pem(path, x);
	}
	if (r == 0)
		r = crypto_cert_to_pem(x, pem, len);
	X509_free(x);
	EVP_PKEY_free(pub);
	return r;
}

/* The AES key shared with the controller's ECDH certificate. */
static int shared_key(struct agent *a, X509 *ctl, uint8_t key[CIPHER_KEY_LEN])
{
	uint8_t pt[65], zx[32], zy[32];
	size_t len = 0;
	EVP_PKEY *priv = NULL;
	int r;

	if (EVP_PKEY_get_octet_string_param(X509_get0_pubkey(ctl), OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt),
					    &len) != 1 ||
	    len != 65 || pt[0] != 0x04)
		return -EVE_EBADCERT;
	r = attest_tpm_ecdh_zgen(&a->ks, a->o->state_dir, pt + 1, pt + 33, zx, zy);
	if (r == -ENOTSUP) {
		r = file_key(a, &priv);
		if (r == 0)
			r = cipher_ecdh_point(priv, X509_get0_pubkey(ctl), zx, zy);
		EVP_PKEY_free(priv);
	}
	if (r == 0)
		r = cipher_key_from_point(zx, zy, key);
	OPENSSL_cleanse(zx, sizeof(zx));
	OPENSSL_cleanse(zy, sizeof(zy));
	return r;
}

static bool hash_matches(const ProtobufCBinaryData *h, int scheme, const char *pem, size_t len)
{
	uint8_t d[32];
	size_t n =
	    scheme == ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_16BYTES ? 16 : 32;

	return h->len == n && crypto_sha256(pem, len, d) == 0 && !memcmp(d, h->data, n);
}

struct opener {
	struct agent *a;
	const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg;
	char *dev_pem, *ctl_pem;
	size_t dev_len, ctl_len;
	bool have_key;
	uint8_t key[CIPHER_KEY_LEN];
	char why[200];
};

static int check_context(struct opener *o, const char *id)
{
	const Org__Lfedge__Eve__Common__CipherContext *c = NULL;

	for (size_t i = 0; i < o->cfg->n_ciphercontexts; i++)
		if (o->cfg->ciphercontexts[i]->contextid && !strcmp(o->cfg->ciphercontexts[i]->contextid, id))
			c = o->cfg->ciphercontexts[i];
	if (!c)
		snprintf(o->why, sizeof(o->why), "cipher context %.40s not in the config", id);
	else if (c->keyexchangescheme != ORG__LFEDGE__EVE__COMMON__KEY_EXCHANGE_SCHEME__KEA_ECDH ||
		 c->encryptionscheme != ORG__LFEDGE__EVE__COMMON__ENCRYPTION_SCHEME__SA_AES_256_CFB)
		snprintf(o->why, sizeof(o->why), "cipher context %.40s: only KEA_ECDH with SA_AES_256_CFB",
			 id);
	else if (!hash_matches(&c->devicecerthash, c->hashscheme, o->dev_pem, o->dev_len))
		snprintf(o->why, sizeof(o->why), "encrypted to another device certificate (not ours)");
	else if (!o->ctl_pem || !hash_matches(&c->controllercerthash, c->hashscheme, o->ctl_pem, o->ctl_len))
		snprintf(o->why, sizeof(o->why),
			 "the controller's ECDH certificate it names is not the one we hold");
	else
		return 0;
	return -EVE_EBADCERT;
}

static Org__Lfedge__Eve__Common__EncryptionBlock *open_block(struct opener *o,
							     const Org__Lfedge__Eve__Common__CipherBlock *b)
{
	Org__Lfedge__Eve__Common__EncryptionBlock *eb = NULL;
	uint8_t *pt = NULL;
	int r = check_context(o, b->ciphercontextid ? b->ciphercontextid : "");

	if (r == 0 && !o->have_key) {
		r = shared_key(o->a, ctlclient_ecdh_cert(o->a->cc), o->key);
		o->have_key = r == 0;
		if (r < 0)
			snprintf(o->why, sizeof(o->why), "ECDH with the controller's certificate: %s",
				 eve_strerror(r));
	}
	if (r == 0) {
		r = cipher_open(o->key, b->initialvalue.data, b->initialvalue.len, b->cipherdata.data,
				b->cipherdata.len, b->cleartextsha256.data, b->cleartextsha256.len, &pt);
		if (r < 0)
			snprintf(o->why, sizeof(o->why), "%s",
				 r == -EVE_EBADSIG
				     ? "clearTextSha256 does not match the decrypted data (wrong key or "
				       "corrupted block)"
				     : eve_strerror(r));
	}
	if (r == 0) {
		eb = org__lfedge__eve__common__encryption_block__unpack(NULL, b->cipherdata.len, pt);
		if (!eb)
			snprintf(o->why, sizeof(o->why), "the decrypted data is no EncryptionBlock");
	}
	if (pt)
		OPENSSL_clear_free(pt, b->cipherdata.len ? b->cipherdata.len : 1);
	return eb;
}

/* Replace *field (unpacked with the default allocator) by a copy of v. */
static void take_str(char **field, const char *v)
{
	char *c = strdup(v ? v : "");

	if (!c)
		return;
	if (*field && *field != protobuf_c_empty_string) {
		OPENSSL_cleanse(*field, strlen(*field));
		free(*field);
	}
	*field = c;
}

/* The runtime reports the app in ERROR with this text instead of starting
 * it without its user data (vault_push_refusals). */
static void refuse_app(struct agent *a, const Org__Lfedge__Eve__Config__AppInstanceConfig *app,
		       const char *why)
{
	size_t n = a->n_app_refused;

	if (n >= AGENT_REFUSE_MAX || !app->uuidandversion || !app->uuidandversion->uuid)
		return;
	snprintf(a->app_refused[n].uuid, sizeof(a->app_refused[n].uuid), "%s", app->uuidandversion->uuid);
	snprintf(a->app_refused[n].why, sizeof(a->app_refused[n].why),
		 "its encrypted user data (CipherBlock) cannot be opened: %s", why);
	a->n_app_refused = n + 1;
}

static int open_apps(struct opener *o, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	int bad = 0;

	for (size_t i = 0; i < cfg->n_apps; i++) {
		Org__Lfedge__Eve__Config__AppInstanceConfig *app = cfg->apps[i];
		Org__Lfedge__Eve__Common__EncryptionBlock *eb;
		if (!app->cipherdata)
			continue;
		eb = open_block(o, app->cipherdata);
		if (!eb) {
			alog(ALOG_ERR,
			     "config: app %s: its encrypted user data cannot be opened: %s; not started",
			     app->displayname ? app->displayname : "?", o->why);
			take_str(&app->userdata, "");
			refuse_app(o->a, app, o->why);
			bad++;
			continue;
		}
		take_str(&app->userdata, eb->protecteduserdata);
		alog(ALOG_INFO,
		     "config: app %s: encrypted user data opened in memory (clearTextSha256 verified)",
		     app->displayname ? app->displayname : "?");
		org__lfedge__eve__common__encryption_block__free_unpacked(eb, NULL);
	}
	return bad;
}

static int open_datastores(struct opener *o, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	int bad = 0;

	for (size_t i = 0; i < cfg->n_datastores; i++) {
		Org__Lfedge__Eve__Config__DatastoreConfig *ds = cfg->datastores[i];
		Org__Lfedge__Eve__Common__EncryptionBlock *eb;
		if (!ds->cipherdata)
			continue;
		eb = open_block(o, ds->cipherdata);
		if (!eb) {
			alog(ALOG_ERR, "config: datastore %s: its encrypted credentials cannot be opened: %s",
			     ds->id ? ds->id : "?", o->why);
			bad++;
			continue;
		}
		take_str(&ds->apikey, eb->dsapikey);
		take_str(&ds->password, eb->dspassword);
		alog(ALOG_INFO, "config: datastore %s: encrypted credentials opened in memory",
		     ds->id ? ds->id : "?");
		org__lfedge__eve__common__encryption_block__free_unpacked(eb, NULL);
	}
	return bad;
}

int secrets_open_config(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct opener o = {.a = a, .cfg = cfg};
	X509 *ctl = ctlclient_ecdh_cert(a->cc);
	bool any = false;
	int bad;

	a->n_app_refused = 0;
	for (size_t i = 0; i < cfg->n_apps && !any; i++)
		any = cfg->apps[i]->cipherdata != NULL;
	for (size_t i = 0; i < cfg->n_datastores && !any; i++)
		any = cfg->datastores[i]->cipherdata != NULL;
	if (!any)
		return 0;
	if (secrets_ecdh_cert(a, &o.dev_pem, &o.dev_len) < 0)
		o.dev_pem = NULL;
	if (ctl && crypto_cert_to_pem(ctl, &o.ctl_pem, &o.ctl_len) < 0)
		o.ctl_pem = NULL;
	if (!o.dev_pem)
		o.dev_pem = strdup("");
	bad = open_apps(&o, cfg) + open_datastores(&o, cfg);
	OPENSSL_cleanse(o.key, sizeof(o.key));
	free(o.dev_pem);
	free(o.ctl_pem);
	return bad;
}

int secrets_shared_key(struct agent *a, uint8_t key[CIPHER_KEY_LEN])
{
	X509 *ctl = ctlclient_ecdh_cert(a->cc);

	return ctl ? shared_key(a, ctl, key) : -ENOENT;
}
