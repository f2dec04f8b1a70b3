// SPDX-License-Identifier: Apache-2.0
/* Signature verdicts for registry pulls. */
#include "imgsig.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include "download.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"

int imgsig_judge(const struct cosign_keyring *ring, const struct registry_sigs *sigs, char *msg, size_t len)
{
	char why[256] = "", ref[COSIGN_REF_MAX];
	int worst = -ENOENT;
	size_t who;

	if (!sigs->found || sigs->n == 0) {
		snprintf(msg, len, "unsigned: %s", sigs->why[0] ? sigs->why : "no signature");
		return -ENOENT;
	}
	if (ring->n == 0) {
		snprintf(msg, len, "signature not verified: no trusted publisher key on the device");
		return -EVE_EBADSIG;
	}
	for (size_t i = 0; i < sigs->n; i++) {
		int r = cosign_payload_check(sigs->payload[i], sigs->payload_len[i], sigs->digest, ref,
					     sizeof(ref), why, sizeof(why));

		if (r == 0)
			r = cosign_verify(ring, sigs->payload[i], sigs->payload_len[i], sigs->sig_b64[i],
					  &who);
		if (r == 0) {
			snprintf(msg, len, "signed by %s (key %s)%s%.200s", ring->names[who], ring->fpr[who],
				 ref[0] ? " as " : "", ref);
			return 0;
		}
		if (r == -EVE_EHASH && worst != -EVE_EBADSIG) {
			worst = r;
			snprintf(msg, len, "bad signature: %s", why);
		} else if (r != -EVE_EHASH) {
			worst = -EVE_EBADSIG;
			snprintf(msg, len, "bad signature: %s",
				 r == -EVE_EBADSIG ? "not made by a trusted publisher key"
				 : why[0]          ? why
						   : "malformed");
		}
	}
	return worst;
}

int imgsig_check(void *ctx, const struct registry_sigs *sigs, char *err, size_t errlen)
{
	struct imgsig_job *j = ctx;
	struct cosign_keyring ring;
	char why[256] = "";
	int r;

	j->verified = j->warn = 0;
	r = cosign_keyring_load_dir(j->trust_dir ? j->trust_dir : "/nonexistent", &ring, why, sizeof(why));
	if (r < 0)
		snprintf(j->msg, sizeof(j->msg), "trust store unusable: %s", why[0] ? why : eve_strerror(r));
	else
		r = imgsig_judge(&ring, sigs, j->msg, sizeof(j->msg));
	cosign_keyring_free(&ring);
	if (r == 0) {
		j->verified = 1;
		return 0;
	}
	if (j->pol == COSIGN_POLICY_WARN) {
		j->warn = 1;
		return 0;
	}
	snprintf(err, errlen, "image sha256:%s refused (images.signatures=require): %s", sigs->digest,
		 j->msg);
	return -EVE_EBADSIG;
}

void imgsig_detached_clear(struct imgsig_detached *d)
{
	free(d->sig);
	free(d->signer_url);
	free(d->inter_url);
	memset(d, 0, sizeof(*d));
}

/* A certificate named by the signature info into *pem (url "": none). */
static int fetch_pem(const struct download_router *router, const char *url, const char *path, const char *ca,
		     size_t ca_len, char **pem, size_t *len, char *why, size_t wl)
{
	struct download_opts o = {.url = url,
				  .dest = path,
				  .max_size = 64 * 1024,
				  .ca_pem = ca,
				  .ca_pem_len = ca_len,
				  .stall_secs = 30,
				  .router = router};
	uint8_t *data = NULL;
	int r;

	*pem = NULL;
	*len = 0;
	if (!url || !*url)
		return 0;
	unlink(path);
	r = download_file(&o, why, wl);
	if (r == 0)
		r = fileio_read(path, 64 * 1024, &data, len);
	unlink(path);
	if (r == 0)
		*pem = (char *)data;
	else if (!why[0])
		snprintf(why, wl, "%s: %s", url, eve_strerror(r));
	return r;
}

int imgsig_check_blob(struct imgsig_job *j, const char *sha_hex, const struct imgsig_detached *d,
		      const char *ca_pem, size_t ca_len, const char *tmp_prefix, char *err, size_t errlen)
{
	char path[4096], why[256] = "", who[128] = "", *signer = NULL, *inter = NULL;
	uint8_t digest[32];
	size_t sl = 0, il = 0;
	int r = -EVE_EBADSIG;

	j->verified = j->warn = 0;
	j->msg[0] = '\0';
	if (!d->sig || !d->sig_len)
		snprintf(why, sizeof(why), "unsigned: the content tree has no signature (SignatureInfo)");
	else if (hexstr_decode(sha_hex, digest, sizeof(digest)) < 0)
		r = -EINVAL;
	else {
		snprintf(path, sizeof(path), "%s.signer", tmp_prefix);
		r = fetch_pem(j->router, d->signer_url, path, ca_pem, ca_len, &signer, &sl, why, sizeof(why));
		snprintf(path, sizeof(path), "%s.inter", tmp_prefix);
		if (r == 0)
			r = fetch_pem(j->router, d->inter_url, path, ca_pem, ca_len, &inter, &il, why,
				      sizeof(why));
		if (r == 0)
			r = cosign_detached_verify(j->trust_dir ? j->trust_dir : "/nonexistent", digest,
						   d->sig, d->sig_len, signer, sl, inter, il, who,
						   sizeof(who), why, sizeof(why));
	}
	free(signer);
	free(inter);
	if (r == 0) {
		snprintf(j->msg, sizeof(j->msg), "signed by %s", who);
		j->verified = 1;
		return 0;
	}
	snprintf(j->msg, sizeof(j->msg), "%s", why[0] ? why : eve_strerror(r));
	if (j->pol == COSIGN_POLICY_WARN) {
		j->warn = 1;
		return 0;
	}
	snprintf(err, errlen, "image sha256:%s refused (images.signatures=require): %s", sha_hex, j->msg);
	return -EVE_EBADSIG;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

uint64_t imgsig_trust_digest(const char *trust_dir)
{
	struct cosign_keyring ring;
	char why[256] = "";
	uint64_t h = 1469598103934665603ull;
	int r = cosign_keyring_load_dir(trust_dir ? trust_dir : "/nonexistent", &ring, why, sizeof(why));

	if (r < 0)
		return fnv(fnv(h, "unusable"), why);
	for (size_t i = 0; i < ring.n; i++)
		h = fnv(fnv(h, ring.names[i]), ring.fpr[i]);
	cosign_keyring_free(&ring);
	return h;
}
