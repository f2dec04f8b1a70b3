// SPDX-License-Identifier: Apache-2.0
/* File key store: the device key as PEM (0600) in <state>/device.key.pem. */
#include "keystore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "crypto.h"
#include "err.h"

struct ks_file {
	EVP_PKEY *key;
};

static int ks_file_open(const struct keystore_opts *o, void **ctx)
{
	char path[PATH_MAX];
	struct ks_file *f;
	struct stat st;
	int r;

	if (snprintf(path, sizeof(path), "%s/device.key.pem", o->state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (stat(path, &st) == 0) {
		r = crypto_key_load_pem(path, &f->key);
	} else {
		r = crypto_ec_generate(&f->key);
		if (r == 0)
			r = crypto_key_save_pem(path, f->key);
	}
	if (r < 0)
		goto out;
	*ctx = f;
	f = NULL;
out:
	if (f) {
		EVP_PKEY_free(f->key);
		free(f);
	}
	return r;
}

static int ks_file_pubkey(void *ctx, EVP_PKEY **out)
{
	struct ks_file *f = ctx;

	if (!EVP_PKEY_up_ref(f->key))
		return -EVE_ECRYPTO;
	*out = f->key;
	return 0;
}

static int ks_file_sign(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	struct ks_file *f = ctx;

	return crypto_ecdsa_sign(f->key, digest, sig);
}

static void ks_file_close(void *ctx)
{
	struct ks_file *f = ctx;

	if (!f)
		return;
	EVP_PKEY_free(f->key);
	free(f);
}

const struct keystore_ops keystore_file_ops = {
    .name = "file",
    .open = ks_file_open,
    .pubkey = ks_file_pubkey,
    .sign = ks_file_sign,
    .close = ks_file_close,
};
