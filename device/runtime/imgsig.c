/* Signature verdicts for registry pulls. */
#include "imgsig.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

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
