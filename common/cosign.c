// SPDX-License-Identifier: Apache-2.0
/* cosign key-based signatures: the signature manifest, the simple-signing
 * payload, ECDSA P-256 verification against a trust store. */
#include "cosign.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"

#define SETERR(...)                                                                                          \
	do {                                                                                                 \
		if (err)                                                                                     \
			snprintf(err, errlen, __VA_ARGS__);                                                  \
	} while (0)

static const char *const policy_names[] = {"off", "warn", "require"};

int cosign_policy_parse(const char *text, enum cosign_policy *out)
{
	for (int i = 0; text && i < 3; i++) {
		if (!strcmp(text, policy_names[i])) {
			*out = (enum cosign_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cosign_policy_name(enum cosign_policy p)
{
	return (unsigned)p < 3 ? policy_names[p] : "?";
}

/* ---- signature manifest ---------------------------------------------------- */

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One layer: 1 taken, 0 not a signature layer, <0 malformed. */
static int take_layer(json_t *l, struct cosign_sig *s)
{
	const char *mt = json_string_value(json_object_get(l, "mediaType"));
	const char *dg = json_string_value(json_object_get(l, "digest"));
	const char *sig =
	    json_string_value(json_object_get(json_object_get(l, "annotations"), COSIGN_ANN_SIGNATURE));
	json_t *size = json_object_get(l, "size");

	if (!mt || strcmp(mt, COSIGN_MEDIA_PAYLOAD) != 0 || !sig)
		return 0;
	if (!dg || strncmp(dg, "sha256:", 7) != 0 || !hex64(dg + 7) || !json_is_integer(size) ||
	    json_integer_value(size) <= 0 || json_integer_value(size) > (json_int_t)COSIGN_PAYLOAD_MAX ||
	    strlen(sig) > 4096)
		return -EINVAL;
	memcpy(s->payload_hex, dg + 7, 65);
	s->payload_size = (uint64_t)json_integer_value(size);
	s->sig_b64 = strdup(sig);
	return s->sig_b64 ? 1 : -ENOMEM;
}

int cosign_manifest_parse(const void *json, size_t len, struct cosign_manifest *out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = NULL, *layers;
	size_t i;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!json || len == 0 || len > COSIGN_MANIFEST_MAX) {
		SETERR("signature manifest: empty or over %u bytes", COSIGN_MANIFEST_MAX);
		return -EINVAL;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		SETERR("signature manifest: not an image manifest with layers");
		goto out;
	}
	for (i = 0; i < json_array_size(layers) && out->n < COSIGN_MAX_SIGS; i++) {
		int t = take_layer(json_array_get(layers, i), &out->sigs[out->n]);

		if (t < 0) {
			SETERR("signature manifest: layer %zu is malformed", i);
			r = t;
			goto out;
		}
		out->n += (size_t)t;
	}
	if (out->n == 0) {
		SETERR("signature manifest: no %s layer with a signature", COSIGN_MEDIA_PAYLOAD);
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	if (r < 0)
		cosign_manifest_free(out);
	return r;
}

void cosign_manifest_free(struct cosign_manifest *m)
{
	for (size_t i = 0; m && i < COSIGN_MAX_SIGS; i++) {
		free(m->sigs[i].sig_b64);
		m->sigs[i].sig_b64 = NULL;
	}
	if (m)
		m->n = 0;
}

/* ---- payload --------------------------------------------------------------- */

int cosign_payload_check(const void *payload, size_t len, const char *digest_hex, char *ref, size_t ref_len,
			 char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = NULL, *crit;
	const char *type, *dg, *dref;
	int r = -EINVAL;

	if (!payload || len == 0 || len > COSIGN_PAYLOAD_MAX) {
		SETERR("signature payload: empty or over %u bytes", COSIGN_PAYLOAD_MAX);
		return -EINVAL;
	}
	root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &je);
	crit = json_object_get(root, "critical");
	type = json_string_value(json_object_get(crit, "type"));
	dg = json_string_value(json_object_get(json_object_get(crit, "image"), "docker-manifest-digest"));
	dref = json_string_value(json_object_get(json_object_get(crit, "identity"), "docker-reference"));
	if (!json_is_object(crit) || !type || strcmp(type, COSIGN_TYPE) != 0) {
		SETERR("signature payload: not a \"%s\"", COSIGN_TYPE);
		goto out;
	}
	if (!dg || strncmp(dg, "sha256:", 7) != 0 || !hex64(dg + 7)) {
		SETERR("signature payload: no sha256 docker-manifest-digest");
		goto out;
	}
	if (!digest_hex || strcmp(dg + 7, digest_hex) != 0) {
		SETERR("signature is over another image: %.80s, not sha256:%.64s", dg,
		       digest_hex ? digest_hex : "");
		r = -EVE_EHASH;
		goto out;
	}
	if (ref && ref_len)
		snprintf(ref, ref_len, "%s", dref ? dref : "");
	r = 0;
out:
	json_decref(root);
	return r;
}

int cosign_payload_make(const char *ref, const char *digest_hex, char **out, size_t *len)
{
	json_t *root;
	char dg[80], *s;

	if (!hex64(digest_hex))
		return -EINVAL;
	snprintf(dg, sizeof(dg), "sha256:%s", digest_hex);
	root =
	    json_pack("{s:{s:{s:s},s:{s:s},s:s},s:n}", "critical", "identity", "docker-reference",
		      ref ? ref : "", "image", "docker-manifest-digest", dg, "type", COSIGN_TYPE, "optional");
	if (!root)
		return -ENOMEM;
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	*out = s;
	*len = strlen(s);
	return 0;
}

/* ---- trust store ----------------------------------------------------------- */

static bool is_p256(EVP_PKEY *k)
{
	char grp[64] = "";
	size_t gl = 0;

	if (EVP_PKEY_base_id(k) != EVP_PKEY_EC)
		return false;
	if (EVP_PKEY_get_utf8_string_param(k, "group", grp, sizeof(grp), &gl) != 1)
		return false;
	return strcmp(grp, "prime256v1") == 0 || strcmp(grp, "P-256") == 0;
}

int cosign_keyring_add(struct cosign_keyring *kr, EVP_PKEY *key, const char *name)
{
	unsigned char *der = NULL;
	uint8_t h[CRYPTO_SHA256_LEN];
	int dl;

	if (kr->n >= COSIGN_MAX_KEYS)
		return -EVE_ETOOBIG;
	if (!is_p256(key))
		return -EINVAL;
	dl = i2d_PUBKEY(key, &der);
	if (dl <= 0)
		return -EVE_ECRYPTO;
	crypto_sha256(der, (size_t)dl, h);
	OPENSSL_free(der);
	if (EVP_PKEY_up_ref(key) != 1)
		return -EVE_ECRYPTO;
	kr->keys[kr->n] = key;
	snprintf(kr->names[kr->n], COSIGN_NAME_MAX, "%s", name ? name : "");
	hexstr_encode(h, 8, kr->fpr[kr->n]);
	kr->n++;
	return 0;
}

/* A PUBLIC KEY, else a CERTIFICATE's key, from PEM text. */
static EVP_PKEY *pem_key(const uint8_t *data, size_t len)
{
	BIO *b = BIO_new_mem_buf(data, (int)len);
	EVP_PKEY *k = NULL;
	X509 *x = NULL;

	if (!b)
		return NULL;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!k && BIO_reset(b) == 1 && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		k = X509_get_pubkey(x);
	X509_free(x);
	BIO_free(b);
	return k;
}

static int load_one(struct cosign_keyring *kr, const char *dir, const char *file, char *err, size_t errlen)
{
	char path[4096], name[COSIGN_NAME_MAX];
	uint8_t *data = NULL;
	size_t len = 0, nl = strlen(file) - 4;
	EVP_PKEY *k = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) - 1 ? nl : sizeof(name) - 1), file);
	r = fileio_read(path, 64 * 1024, &data, &len);
	if (r < 0) {
		SETERR("%s: %s", path, eve_strerror(r));
		goto out;
	}
	k = pem_key(data, len);
	r = k ? cosign_keyring_add(kr, k, name) : -EINVAL;
	if (r < 0)
		SETERR("%s: %s", path,
		       r == -EVE_ETOOBIG ? "too many keys" : "not a P-256 PEM public key or certificate");
out:
	EVP_PKEY_free(k);
	free(data);
	return r;
}

/* The keyring fingerprint of a P-256 key. */
static int key_fpr(EVP_PKEY *k, char fpr[17])
{
	struct cosign_keyring one;
	int r;

	memset(&one, 0, sizeof(one));
	r = cosign_keyring_add(&one, k, "");
	if (r == 0 && fpr)
		memcpy(fpr, one.fpr[0], 17);
	cosign_keyring_free(&one);
	return r;
}

int cosign_key_from_b64(const char *b64, EVP_PKEY **out, char fpr[17])
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0, n = b64 ? strlen(b64) : 0;
	EVP_PKEY *k = NULL;
	int r = -EINVAL;

	*out = NULL;
	if (n == 0 || n > COSIGN_KEY_B64_MAX || b64_decode(b64, n, &der, &len) < 0 || len > LONG_MAX)
		goto out;
	p = der;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (!k || p != der + len)
		goto out;
	r = key_fpr(k, fpr);
	if (r == 0) {
		*out = k;
		k = NULL;
	}
out:
	EVP_PKEY_free(k);
	free(der);
	return r < 0 ? -EINVAL : 0;
}

int cosign_key_pem_to_b64(const void *pem, size_t len, char **b64, char fpr[17])
{
	EVP_PKEY *k = len && len <= 64 * 1024 ? pem_key(pem, len) : NULL;
	unsigned char *der = NULL;
	int dl, r = -EINVAL;

	*b64 = NULL;
	if (!k || key_fpr(k, fpr) < 0)
		goto out;
	dl = i2d_PUBKEY(k, &der);
	if (dl <= 0)
		goto out;
	*b64 = b64_encode(der, (size_t)dl);
	r = *b64 ? 0 : -ENOMEM;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return r;
}

int cosign_key_to_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int r = -EVE_ECRYPTO;

	*pem = NULL;
	if (b && PEM_write_bio_PUBKEY(b, key) == 1 && (n = BIO_get_mem_data(b, &data)) > 0) {
		*pem = malloc((size_t)n + 1);
		r = *pem ? 0 : -ENOMEM;
		if (*pem) {
			memcpy(*pem, data, (size_t)n);
			(*pem)[n] = '\0';
			*len = (size_t)n;
		}
	}
	BIO_free(b);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of one directory, added to kr. */
static int load_one_dir(const char *dir, struct cosign_keyring *kr, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *files[COSIGN_MAX_KEYS + 1];
	size_t n = 0;
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL && r == 0) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".pem") != 0)
			continue;
		if (n == COSIGN_MAX_KEYS + 1) {
			SETERR("%s: more than %d keys", dir, COSIGN_MAX_KEYS);
			r = -EVE_ETOOBIG;
		} else if (!(files[n++] = strdup(e->d_name)))
			r = -ENOMEM;
	}
	closedir(d);
	if (r == 0 && n)
		qsort(files, n, sizeof(files[0]), cmp_str); /* stable order */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = load_one(kr, dir, files[i], err, errlen);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	return r;
}

/* Call fn for each directory of a ':'-separated list (empty parts skipped). */
static int each_dir(const char *dirs, int (*fn)(const char *dir, void *ctx), void *ctx)
{
	char dir[4096];
	int r = 0;

	while (dirs && *dirs && r == 0) {
		size_t l = strcspn(dirs, ":");

		if (l && l < sizeof(dir)) {
			memcpy(dir, dirs, l);
			dir[l] = '\0';
			r = fn(dir, ctx);
		} else if (l) {
			r = -ENAMETOOLONG;
		}
		dirs += l + (dirs[l] == ':');
	}
	return r;
}

struct load_ctx {
	struct cosign_keyring *kr;
	char *err;
	size_t errlen;
};

static int load_dir_cb(const char *dir, void *ctx)
{
	struct load_ctx *c = ctx;

	return load_one_dir(dir, c->kr, c->err, c->errlen);
}

int cosign_keyring_load_dir(const char *dir, struct cosign_keyring *kr, char *err, size_t errlen)
{
	struct load_ctx c = {kr, err, errlen};
	int r;

	memset(kr, 0, sizeof(*kr));
	r = each_dir(dir, load_dir_cb, &c);
	if (r < 0)
		cosign_keyring_free(kr);
	return r;
}

void cosign_keyring_free(struct cosign_keyring *kr)
{
	for (size_t i = 0; kr && i < kr->n; i++)
		EVP_PKEY_free(kr->keys[i]);
	if (kr)
		memset(kr, 0, sizeof(*kr));
}

/* ---- sign / verify --------------------------------------------------------- */

int cosign_verify(const struct cosign_keyring *kr, const void *payload, size_t len, const char *sig_b64,
		  size_t *who)
{
	uint8_t h[CRYPTO_SHA256_LEN], *sig = NULL;
	size_t sl = 0;
	int r;

	if (!sig_b64 || b64_decode(sig_b64, strlen(sig_b64), &sig, &sl) < 0 || sl < 8 || sl > 80 ||
	    sig[0] != 0x30) {
		free(sig);
		return -EINVAL;
	}
	r = crypto_sha256(payload, len, h);
	for (size_t i = 0; r == 0 && i < kr->n; i++) {
		if (crypto_ecdsa_verify(kr->keys[i], h, sig, sl) == 0) {
			*who = i;
			free(sig);
			return 0;
		}
	}
	free(sig);
	return r < 0 ? r : -EVE_EBADSIG;
}

int cosign_sign(EVP_PKEY *key, const void *payload, size_t len, char **sig_b64)
{
	uint8_t h[CRYPTO_SHA256_LEN], raw[CRYPTO_SIG_LEN], *der = NULL;
	size_t dl = 0;
	int r = crypto_sha256(payload, len, h);

	if (r == 0)
		r = crypto_ecdsa_sign(key, h, raw);
	if (r == 0)
		r = crypto_sig_raw_to_der(raw, &der, &dl);
	if (r == 0 && !(*sig_b64 = b64_encode(der, dl)))
		r = -ENOMEM;
	free(der);
	return r;
}

/* ---- detached signatures (SignatureInfo) ----------------------------------- */

struct roots_ctx {
	X509 **roots;
	size_t n, max;
};

/* Certificates among the *.pem of dir (public keys are skipped). */
static int load_roots_dir(const char *dir, void *ctx)
{
	struct roots_ctx *rc = ctx;
	X509 **roots = rc->roots;
	size_t max = rc->max, n = rc->n;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && n < max && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char path[4096];
		X509 *x = NULL;

		if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".pem") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (crypto_cert_load_pem(path, &x) == 0)
			roots[n++] = x;
	}
	if (d)
		closedir(d);
	rc->n = n;
	return 0;
}

/* Certificates of every directory of dirs (see cosign_keyring_load_dir). */
static size_t load_roots(const char *dirs, X509 **roots, size_t max)
{
	struct roots_ctx rc = {roots, 0, max};

	each_dir(dirs, load_roots_dir, &rc);
	return rc.n;
}

static void cert_cn(X509 *x, char *who, size_t wholen)
{
	char cn[256] = "";

	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	snprintf(who, wholen, "%s", cn[0] ? cn : "(no CN)");
}

/* Signer certificate path: chain, then its key. */
static int verify_by_cert(const char *trust_dir, const uint8_t digest[32], const uint8_t *sig, size_t siglen,
			  const char *signer_pem, size_t signer_len, const char *inter_pem, size_t inter_len,
			  char *who, size_t wholen, char *err, size_t errlen)
{
	X509 *leaf = NULL, *inter = NULL, *roots[COSIGN_MAX_KEYS];
	size_t n = load_roots(trust_dir, roots, COSIGN_MAX_KEYS), i;
	EVP_PKEY *pub = NULL;
	int r = -EVE_EBADCERT;

	if (crypto_cert_from_pem(signer_pem, signer_len, &leaf) < 0 ||
	    (inter_len && crypto_cert_from_pem(inter_pem, inter_len, &inter) < 0)) {
		SETERR("signer or intermediate certificate is not PEM");
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (crypto_chain_verify(leaf, inter ? &inter : NULL, inter ? 1 : 0, roots[i]) == 0)
			break;
	if (i == n) {
		SETERR("signer certificate does not chain to a publisher root of the device");
		goto out;
	}
	pub = X509_get_pubkey(leaf);
	r = pub ? crypto_ecdsa_verify(pub, digest, sig, siglen) : -EVE_EBADCERT;
	if (r < 0)
		SETERR("signature does not verify with the signer certificate");
	else
		cert_cn(leaf, who, wholen);
out:
	EVP_PKEY_free(pub);
	X509_free(leaf);
	X509_free(inter);
	for (i = 0; i < n; i++)
		X509_free(roots[i]);
	return r;
}

int cosign_detached_verify(const char *trust_dir, const uint8_t digest[32], const uint8_t *sig, size_t siglen,
			   const char *signer_pem, size_t signer_len, const char *inter_pem, size_t inter_len,
			   char *who, size_t wholen, char *err, size_t errlen)
{
	struct cosign_keyring kr;
	char why[256] = "";
	int r;

	if (!sig || siglen < 8 || siglen > 80 || sig[0] != 0x30) {
		SETERR("signature is not an ECDSA (DER) signature");
		return -EINVAL;
	}
	if (signer_pem && signer_len)
		return verify_by_cert(trust_dir, digest, sig, siglen, signer_pem, signer_len, inter_pem,
				      inter_len, who, wholen, err, errlen);
	r = cosign_keyring_load_dir(trust_dir, &kr, why, sizeof(why));
	if (r < 0) {
		SETERR("trust store: %s", why);
		return r;
	}
	r = -EVE_EBADSIG;
	for (size_t i = 0; i < kr.n; i++) {
		if (crypto_ecdsa_verify(kr.keys[i], digest, sig, siglen) == 0) {
			snprintf(who, wholen, "%s (key %s)", kr.names[i], kr.fpr[i]);
			r = 0;
			break;
		}
	}
	if (r < 0)
		SETERR("%s", kr.n ? "not signed by a trusted publisher key"
				  : "no trusted publisher key on the device");
	cosign_keyring_free(&kr);
	return r;
}
