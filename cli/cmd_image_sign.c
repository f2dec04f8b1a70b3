// SPDX-License-Identifier: Apache-2.0
/* image sign NAME --key FILE: a publisher signature, in Sigstore/cosign's
 * key-based format, of an image in the controller's registry. The image's
 * manifest digest (what its tag names) goes into a simple-signing payload,
 * signed with the ECDSA P-256 key of FILE; the payload and an empty config
 * go up as blobs, and the signature manifest (the payload as its layer, the
 * base64 DER signature as the layer's annotation) under the tag
 * sha256-<digest>.sig of the same repository, where devices (and cosign)
 * look for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "commands.h"
#include "cosign.h"
#include "crypto.h"
#include "err.h"
#include "evectl.h"
#include "hexstr.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"

static int v2_fail(struct api *api, int r, const char *what)
{
	return ev_fail(r == -ECOMM ? EXIT_UNREACHABLE : EXIT_REJECTED, "%s: %s", what, api_errmsg(api));
}

static void sha_hex(const void *p, size_t n, char hex[65])
{
	uint8_t h[CRYPTO_SHA256_LEN];

	crypto_sha256(p, n, h);
	hexstr_encode(h, sizeof(h), hex);
}

/* POST + PUT ?digest= of a small blob held in memory. */
static int put_blob(struct api *api, const char *repo, const void *data, size_t len, char hex[65])
{
	char url[512], put[1536];
	struct api_v2 q = {.method = "POST", .path = url};
	int r;

	sha_hex(data, len, hex);
	snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/", repo);
	r = api_v2(api, &q);
	if (r < 0 || strncmp(q.location, "/v2/", 4) != 0)
		return v2_fail(api, r < 0 ? r : -EPROTO, "starting a blob upload");
	snprintf(put, sizeof(put), "%s%sdigest=sha256:%s", q.location, strchr(q.location, '?') ? "&" : "?",
		 hex);
	q = (struct api_v2){.method = "PUT", .path = put, .data = data, .len = len};
	r = api_v2(api, &q);
	return r < 0 ? v2_fail(api, r, "uploading a blob") : 0;
}

/* The signature manifest for payload (payload_hex, plen bytes) and sig. */
static char *sig_manifest(const char *cfg_hex, const char *payload_hex, size_t plen, const char *sig)
{
	char cd[80], pd[80];
	json_t *m;
	char *s;

	snprintf(cd, sizeof(cd), "sha256:%s", cfg_hex);
	snprintf(pd, sizeof(pd), "sha256:%s", payload_hex);
	m = json_pack("{s:i, s:s, s:{s:s, s:i, s:s}, s:[{s:s, s:I, s:s, s:{s:s}}]}", "schemaVersion", 2,
		      "mediaType", MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "size", 2, "digest",
		      cd, "layers", "mediaType", COSIGN_MEDIA_PAYLOAD, "size", (json_int_t)plen, "digest", pd,
		      "annotations", COSIGN_ANN_SIGNATURE, sig);
	s = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	return s;
}

/* The image's repository and digest: only images of the controller's
 * registry (url /v2/NAME:TAG) can be signed here. */
static int image_digest(struct cmd_args *a, char repo[256], char hex[65])
{
	char *path = ev_path("/images/%s", a->pos[0]);
	json_t *img = NULL;
	const char *url, *sha;
	int code = ev_request(a, "GET", path, NULL, &img);

	free(path);
	if (code)
		goto out;
	url = json_string_value(json_object_get(img, "url"));
	sha = json_string_value(json_object_get(img, "sha256"));
	if (!url || strncmp(url, "/v2/", 4) != 0 || !sha || strlen(sha) != 64) {
		code = ev_fail(EXIT_REJECTED,
			       "image %s is not in the controller's registry (url %s): sign it where it is "
			       "published (docs/security.md)",
			       a->pos[0], url ? url : "-");
		goto out;
	}
	snprintf(repo, 256, "%.*s", (int)strcspn(url + 4, ":@"), url + 4);
	snprintf(hex, 65, "%s", sha);
out:
	json_decref(img);
	return code;
}

int cmd_image_sign(struct cmd_args *a)
{
	const char *keyfile = cmdtab_str(a, "key"), *ident = cmdtab_str(a, "identity");
	char repo[256], hex[65], cfg_hex[65], pl_hex[65], tag[128], url[512];
	char *payload = NULL, *sig = NULL, *man = NULL;
	struct cosign_keyring ring = {0};
	EVP_PKEY *key = NULL;
	struct api *api = NULL;
	size_t plen = 0;
	int code, r;

	r = crypto_key_load_pem(keyfile, &key);
	if (r < 0)
		return ev_usage("--key %s: %s", keyfile,
				r == -EVE_ECRYPTO ? "not a PEM private key" : strerror(-r));
	if (cosign_keyring_add(&ring, key, "key") < 0) { /* also: P-256 only */
		code = ev_usage("--key %s: not an ECDSA P-256 key", keyfile);
		goto out;
	}
	code = image_digest(a, repo, hex);
	if (code)
		goto out;
	api = ev_api(a, &code);
	if (!api)
		goto out;
	if (cosign_payload_make(ident ? ident : repo, hex, &payload, &plen) < 0 ||
	    cosign_sign(key, payload, plen, &sig) < 0) {
		code = ev_fail(EXIT_REJECTED, "signing failed");
		goto out;
	}
	code = put_blob(api, repo, "{}", 2, cfg_hex);
	if (code == 0)
		code = put_blob(api, repo, payload, plen, pl_hex);
	if (code)
		goto out;
	man = sig_manifest(cfg_hex, pl_hex, plen, sig);
	snprintf(tag, sizeof(tag), "sha256-%s.sig", hex);
	snprintf(url, sizeof(url), "/v2/%s/manifests/%s", repo, tag);
	{
		struct api_v2 q = {.method = "PUT",
				   .path = url,
				   .ctype = MT_OCI_MANIFEST,
				   .data = man,
				   .len = man ? strlen(man) : 0};

		r = man ? api_v2(api, &q) : -ENOMEM;
		if (r < 0) {
			code = v2_fail(api, r, "storing the signature manifest");
			goto out;
		}
	}
	ev_done(a, NULL, "image/%s sha256:%s signed (key %s); signature %s:%s", a->pos[0], hex, ring.fpr[0],
		repo, tag);
out:
	cosign_keyring_free(&ring);
	EVP_PKEY_free(key);
	free(payload);
	free(sig);
	free(man);
	return code;
}
