// SPDX-License-Identifier: Apache-2.0
/* Device identities for the simulator, derived from their serials. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "devkey.h"
#include "err.h"
#include "fileio.h"
#include "fleet.h"
#include "p256.h"

/* State file: a header line "eve-devsim-state 1 TAG N\n" (TAG: hex SHA-256
 * of the onboarding certificate, the serial prefix and first), then N
 * records of a UUID and a config hash, each NUL-padded. */
#define STATE_MAGIC "eve-devsim-state 1"
#define STATE_REC (UUID_STR_LEN + CONFIGHASH_LEN)
#define STATE_HDR_MAX 128

static int state_header(const struct fleet *f, const char *prefix, char *hdr, size_t cap)
{
	uint8_t h[32];
	char hex[65];
	size_t plen = strlen(prefix), olen = f->onboard_pem ? strlen(f->onboard_pem) : 0;
	char *buf = malloc(olen + plen + 24);
	int r;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, f->onboard_pem ? f->onboard_pem : "", olen);
	r = snprintf(buf + olen, plen + 24, "|%s|%u", prefix, f->n ? f->devs[0].idx : 0);
	r = r < 0 ? -EINVAL : crypto_sha256(buf, olen + (size_t)r, h);
	free(buf);
	if (r < 0)
		return r;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	r = snprintf(hdr, cap, "%s %s %zu\n", STATE_MAGIC, hex, f->n);
	return r < 0 || (size_t)r >= cap ? -EINVAL : r;
}

/* A record's field: NUL-terminated within its width, printable. */
static bool state_field_ok(const char *p, size_t width)
{
	size_t n = strnlen(p, width);

	if (n == width)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	return true;
}

int fleet_state_load(struct fleet *f, const char *path, const char *serial_prefix, size_t *known)
{
	char hdr[STATE_HDR_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int hl = state_header(f, serial_prefix, hdr, sizeof(hdr)), r;

	*known = 0;
	if (hl < 0)
		return hl;
	r = fileio_read(path, (size_t)hl + f->n * STATE_REC, &data, &len);
	if (r < 0)
		return r == -EVE_ETOOBIG ? -ESTALE : r;
	if (len < (size_t)hl || memcmp(data, hdr, (size_t)hl)) {
		r = -ESTALE;
		goto out;
	}
	if (len != (size_t)hl + f->n * STATE_REC) {
		r = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < f->n; i++) {
		const char *rec = (const char *)data + hl + i * STATE_REC;

		if (!state_field_ok(rec, UUID_STR_LEN) ||
		    !state_field_ok(rec + UUID_STR_LEN, CONFIGHASH_LEN)) {
			r = -EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		const char *rec = (const char *)data + hl + i * STATE_REC;

		memcpy(f->devs[i].uuid, rec, UUID_STR_LEN);
		memcpy(f->devs[i].config_hash, rec + UUID_STR_LEN, CONFIGHASH_LEN);
		*known += f->devs[i].uuid[0] != '\0';
	}
out:
	free(data);
	return r;
}

int fleet_state_save(const struct fleet *f, const char *path, const char *serial_prefix)
{
	char hdr[STATE_HDR_MAX];
	int hl = state_header(f, serial_prefix, hdr, sizeof(hdr)), r;
	char *buf;

	if (hl < 0)
		return hl;
	buf = calloc(1, (size_t)hl + f->n * STATE_REC);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, (size_t)hl);
	for (size_t i = 0; i < f->n; i++) {
		char *rec = buf + hl + i * STATE_REC;

		memcpy(rec, f->devs[i].uuid, UUID_STR_LEN);
		memcpy(rec + UUID_STR_LEN, f->devs[i].config_hash, CONFIGHASH_LEN);
	}
	r = fileio_write_atomic(path, buf, (size_t)hl + f->n * STATE_REC, 0600);
	free(buf);
	return r;
}

static int fleet_dev_sign(void *ctx, const uint8_t digest[32], uint8_t sig[64])
{
	const struct simdev *d = ctx;

	return devkey_sign(d->priv, digest, sig);
}

static int fleet_dev_init(struct simdev *d)
{
	uint8_t der[DEVKEY_CERT_MAX];
	size_t len = 0;
	int r = devkey_derive(d->serial, d->priv, der, &len);

	if (r < 0)
		return r;
	memset(&d->signer, 0, sizeof(d->signer));
	if ((r = crypto_sha256(der, len, d->signer.cert_hash)) < 0 ||
	    (r = p256_der_to_pem(der, len, &d->signer.cert_pem)) < 0)
		return r;
	d->signer.sign = fleet_dev_sign;
	d->signer.ctx = d;
	return 0;
}

struct fleet_job {
	struct fleet *f;
	size_t from, to; /* devices [from, to) */
	unsigned first;
	const char *prefix;
	int r;
	pthread_t tid;
};

static void *fleet_job_run(void *arg)
{
	struct fleet_job *j = arg;

	for (size_t i = j->from; i < j->to && j->r == 0; i++) {
		struct simdev *d = &j->f->devs[i];

		d->idx = j->first + (unsigned)i;
		snprintf(d->serial, sizeof(d->serial), "%.30s-%06u", j->prefix, d->idx);
		j->r = fleet_dev_init(d);
	}
	return NULL;
}

/* Make every device, one share per thread; the first error wins. */
static int fleet_make(struct fleet *f, unsigned first, size_t n, const char *prefix, unsigned threads)
{
	struct fleet_job jobs[64];
	unsigned nt = threads < 1 ? 1 : threads > 64 ? 64 : threads, started = 0;
	int r = 0;

	for (unsigned t = 0; t < nt; t++) {
		jobs[t] = (struct fleet_job){f, n * t / nt, n * (t + 1) / nt, first, prefix, 0, 0};
		if (pthread_create(&jobs[t].tid, NULL, fleet_job_run, &jobs[t]) != 0) {
			r = -EAGAIN;
			break;
		}
		started++;
	}
	for (unsigned t = 0; t < started; t++) {
		pthread_join(jobs[t].tid, NULL);
		if (r == 0)
			r = jobs[t].r;
	}
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

int fleet_load(struct fleet *f, unsigned first, size_t n, const char *serial_prefix, const char *onboard_dir,
	       unsigned threads)
{
	int r;

	memset(f, 0, sizeof(*f));
	r = fleet_onboard_init(f, onboard_dir);
	if (r < 0)
		goto fail;
	f->devs = calloc(n ? n : 1, sizeof(*f->devs));
	if (!f->devs) {
		r = -ENOMEM;
		goto fail;
	}
	f->n = n; /* fleet_free frees what was made: calloc'd signers are empty */
	r = fleet_make(f, first, n, serial_prefix, threads);
	if (r < 0)
		goto fail;
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
