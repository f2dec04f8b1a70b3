// SPDX-License-Identifier: Apache-2.0
/* Device identities for the simulator, cached on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "fleet.h"

/* Cache file: private key PEM then certificate PEM. Not fsync'd: it is a
 * disposable cache, and 10,000 fsyncs would dominate a benchmark setup. */
static int fleet_cache_load(const char *path, EVP_PKEY **key, X509 **cert)
{
	FILE *fp = fopen(path, "re");
	int r = 0;

	if (!fp)
		return -errno;
	*key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	*cert = *key ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
	if (!*key || !*cert) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		r = -EVE_EBADCERT;
	}
	fclose(fp);
	return r;
}

static int fleet_cache_save(const char *path, EVP_PKEY *key, X509 *cert)
{
	char tmp[4200];
	FILE *fp;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	fp = fdopen(fd, "w");
	if (!fp) {
		close(fd);
		return -errno;
	}
	ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL) && PEM_write_X509(fp, cert);
	if (fclose(fp) != 0 || !ok) {
		unlink(tmp);
		return -EIO;
	}
	return rename(tmp, path) < 0 ? -errno : 0;
}

static int fleet_make_identity(const char *cn, EVP_PKEY **key, X509 **cert)
{
	int r = crypto_ec_generate(key);

	if (r < 0)
		return r;
	r = crypto_cert_selfsigned(*key, cn, 3650, cert);
	if (r < 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return r;
}

static int fleet_dev_init(struct simdev *d, const char *cache_dir)
{
	char path[4096];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = -ENOENT;

	if (cache_dir) {
		snprintf(path, sizeof(path), "%s/dev-%06u.pem", cache_dir, d->idx);
		r = fleet_cache_load(path, &key, &cert);
	}
	if (r < 0) {
		r = fleet_make_identity(d->serial, &key, &cert);
		if (r < 0)
			goto out;
		if (cache_dir && (r = fleet_cache_save(path, key, cert)) < 0)
			goto out;
	}
	r = envelope_signer_from_key(&d->signer, key, cert, false);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

static int fleet_onboard_init(struct fleet *f, const char *dir)
{
	char kpath[4096], cpath[4096];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len;
	int r;

	snprintf(kpath, sizeof(kpath), "%s/onboard.key.pem", dir);
	snprintf(cpath, sizeof(cpath), "%s/onboard.cert.pem", dir);
	r = crypto_key_load_pem(kpath, &key);
	if (r < 0)
		goto out;
	r = crypto_cert_load_pem(cpath, &cert);
	if (r < 0)
		goto out;
	r = crypto_cert_to_pem(cert, &f->onboard_pem, &len);
	if (r < 0)
		goto out;
	r = envelope_signer_from_key(&f->onboard, key, cert, false);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

int fleet_load(struct fleet *f, const char *cache_dir, unsigned first, size_t n, const char *serial_prefix,
	       const char *onboard_dir)
{
	int r;

	memset(f, 0, sizeof(*f));
	if (cache_dir && (r = fileio_mkdirs(cache_dir, 0700)) < 0)
		return r;
	r = fleet_onboard_init(f, onboard_dir);
	if (r < 0)
		goto fail;
	f->devs = calloc(n ? n : 1, sizeof(*f->devs));
	if (!f->devs) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct simdev *d = &f->devs[i];

		d->idx = first + (unsigned)i;
		snprintf(d->serial, sizeof(d->serial), "%.30s-%06u", serial_prefix, d->idx);
		r = fleet_dev_init(d, cache_dir);
		if (r < 0)
			goto fail;
		f->n = i + 1;
	}
	return 0;
fail:
	fleet_free(f);
	return r;
}

void fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		envelope_signer_clear(&f->devs[i].signer);
	free(f->devs);
	envelope_signer_clear(&f->onboard);
	free(f->onboard_pem);
	memset(f, 0, sizeof(*f));
}
