// SPDX-License-Identifier: Apache-2.0
/* Key store dispatch: a thin wrapper so callers hold one struct. */
#include "keystore.h"

#include <errno.h>
#include <string.h>

int keystore_open(const struct keystore_ops *ops, const struct keystore_opts *o, struct keystore *ks)
{
	void *ctx = NULL;
	int r;

	memset(ks, 0, sizeof(*ks));
	if (!ops || !o || !o->state_dir)
		return -EINVAL;
	r = ops->open(o, &ctx);
	if (r < 0)
		return r;
	ks->ops = ops;
	ks->ctx = ctx;
	return 0;
}

int keystore_pubkey(struct keystore *ks, EVP_PKEY **out)
{
	if (!ks->ops)
		return -EINVAL;
	return ks->ops->pubkey(ks->ctx, out);
}

int keystore_sign(struct keystore *ks, const uint8_t digest[32], uint8_t sig[64])
{
	if (!ks->ops)
		return -EINVAL;
	return ks->ops->sign(ks->ctx, digest, sig);
}

int keystore_sign_cb(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	return keystore_sign(ctx, digest, sig);
}

int keystore_with_tpm(struct keystore *ks, int (*fn)(void *esys, void *arg), void *arg)
{
	if (!ks->ops || !ks->ops->with_tpm)
		return -ENOTSUP;
	return ks->ops->with_tpm(ks->ctx, fn, arg);
}

void keystore_close(struct keystore *ks)
{
	if (!ks || !ks->ops)
		return;
	ks->ops->close(ks->ctx);
	memset(ks, 0, sizeof(*ks));
}
