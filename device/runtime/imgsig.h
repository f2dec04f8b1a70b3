// SPDX-License-Identifier: Apache-2.0
/* Publisher signatures of container images (cosign key-based format, see
 * common/cosign.h): judges the signature artifact a registry pull fetched
 * against the device's trust store and the images.signatures policy.
 * Called from a pull thread; no shared state. */
#ifndef EVE_RT_IMGSIG_H
#define EVE_RT_IMGSIG_H

#include <stddef.h>

#include "cosign.h"
#include "registry.h"

#define IMGSIG_MSG_MAX 512

/* What a pull's signature check decided (the job's; read by the worker
 * once the job is done). */
struct imgsig_job {
	const char *trust_dir;                /* directory of *.pem publisher keys (image-trust/) */
	enum cosign_policy pol;               /* effective policy (imgsig_check is not called when OFF) */
	int verified;                         /* 1: a trusted key signed this digest */
	int warn;                             /* 1: not verified, allowed by "warn" */
	char msg[IMGSIG_MSG_MAX];             /* "signed by NAME (key FPR)" or why not */
	const struct download_router *router; /* how certificates are fetched, NULL: default route */
};

/* registry_sig_check_fn: ctx is a struct imgsig_job. 0 when the image may
 * be used (verified, or policy warn); -EVE_EBADSIG with the reason in err
 * under "require". The trust store is read again at every check. */
int imgsig_check(void *ctx, const struct registry_sigs *sigs, char *err, size_t errlen);

/* EVE's SignatureInfo of an HTTP(S) image (VM disks): an ECDSA (DER)
 * signature over the image's sha256 and the URLs of the signer's and an
 * intermediate certificate ("" when none). Owned by the content tree. */
struct imgsig_detached {
	uint8_t *sig;
	size_t sig_len;
	char *signer_url, *inter_url;
};
void imgsig_detached_clear(struct imgsig_detached *d);

/* Check the detached signature of a verified blob (sha_hex) for j's
 * policy: the certificates are downloaded (ca_pem: roots for HTTPS) into
 * scratch files named tmp_prefix*. 0 when the image may be used (j->msg
 * says by whom, or why not under warn); -EVE_EBADSIG with the reason in err
 * under require. */
int imgsig_check_blob(struct imgsig_job *j, const char *sha_hex, const struct imgsig_detached *d,
		      const char *ca_pem, size_t ca_len, const char *tmp_prefix, char *err, size_t errlen);

/* Judge sigs with ring (no I/O): 0 verified with the signer in msg, or
 * -EVE_EBADSIG / -EVE_EHASH / -ENOENT with why in msg. */
int imgsig_judge(const struct cosign_keyring *ring, const struct registry_sigs *sigs, char *msg, size_t len);

/* A digest of the trust store at trust_dir (its keys' names and
 * fingerprints, or why it cannot be loaded): it changes when a publisher
 * key is added or removed, so the images it judged are judged again. */
uint64_t imgsig_trust_digest(const char *trust_dir);

#endif
