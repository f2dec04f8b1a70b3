// SPDX-License-Identifier: Apache-2.0
/* `eve-controller certs`: the controller's certificates over the years.
 * Everything here works on the files of DIR/certs (a running controller
 * picks the result up on SIGHUP, a graceful reload: server.c). */
#include "certs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto.h"
#include "ctl.h"
#include "fileio.h"

#define NEXT_AT "signing-next.at"

static int cpath(char out[PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/" CTL_CERTS_DIR "/%s", dir, name);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int load_pair(const char *dir, const char *key, const char *cert, EVP_PKEY **k, X509 **c)
{
	char kp[PATH_MAX], cp[PATH_MAX];
	int r = cpath(kp, dir, key);

	if (r == 0)
		r = cpath(cp, dir, cert);
	if (r == 0 && k)
		r = crypto_key_load_pem(kp, k);
	if (r == 0)
		r = crypto_cert_load_pem(cp, c);
	return r;
}

/* Seconds until notAfter (negative when expired). */
static long long seconds_left(X509 *x)
{
	int days = 0, secs = 0;

	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)))
		return 0;
	return (long long)days * 86400 + secs;
}

long long certs_next_switch(const char *dir)
{
	char p[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	long long at = -1;

	if (cpath(p, dir, NEXT_AT) == 0 && fileio_read(p, 64, &data, &len) == 0) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, (const char *)data);
		char *end;
		long long v = strtoll(buf, &end, 10);
		if (end != buf && v > 0)
			at = v;
	}
	free(data);
	return at;
}

void certs_status(const char *dir, FILE *out)
{
	static const char *const names[] = {"root-certificate.pem",  "server.cert.pem", "signing.cert.pem",
					    "signing-next.cert.pem", "ecdh.cert.pem",   "onboard.cert.pem"};
	char p[PATH_MAX], cn[128];

	fprintf(out, "%-24s %-28s %-26s %s\n", "CERTIFICATE", "SUBJECT", "EXPIRES", "LEFT");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		X509 *x = NULL;
		if (cpath(p, dir, names[i]) < 0 || crypto_cert_load_pem(p, &x) < 0)
			continue;
		cn[0] = '\0';
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
		struct tm tm;
		char when[40] = "?";
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		long long left = seconds_left(x);
		fprintf(out, "%-24s %-28.28s %-26s %s%lld days\n", names[i], cn, when,
			left < 0 ? "EXPIRED " : "", (left < 0 ? -left : left) / 86400);
		X509_free(x);
	}
	long long at = certs_next_switch(dir);
	if (at > 0) {
		time_t t = (time_t)at;
		struct tm tm;
		char when[40];
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(out,
			"signing rotation: the next signing certificate is served by /certs now and signs"
			" from %s\n",
			when);
	}
}

/* A copy of old with a new serial and validity, signed by the root. */
static int reissue(X509 *old, EVP_PKEY *root_key, X509 *root, int days, X509 **out)
{
	X509 *x = X509_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	BIGNUM *bn = BN_new();
	int r = -EIO;

	if (!x || !serial || !bn || !BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, serial))
		goto out;
	if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, serial) ||
	    !X509_set_subject_name(x, X509_get_subject_name(old)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(root)) ||
	    !X509_set_pubkey(x, X509_get0_pubkey(old)) || !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400))
		goto out;
	/* Same names (SAN), key usage and identifiers: only the dates change. */
	for (int i = 0; i < X509_get_ext_count(old); i++)
		if (!X509_add_ext(x, X509_get_ext(old, i), -1))
			goto out;
	if (!X509_sign(x, root_key, EVP_sha256()))
		goto out;
	*out = x;
	x = NULL;
	r = 0;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	return r;
}

int certs_renew_server(const char *dir, int days, char *err, size_t errlen)
{
	EVP_PKEY *root_key = NULL;
	X509 *root = NULL, *old = NULL, *x = NULL;
	char p[PATH_MAX];
	int r = load_pair(dir, "root.key.pem", "root-certificate.pem", &root_key, &root);

	if (r == 0)
		r = load_pair(dir, NULL, "server.cert.pem", NULL, &old);
	if (r < 0) {
		snprintf(err, errlen, "%s/certs: %s (the root key is needed to renew)", dir, strerror(-r));
		goto out;
	}
	r = reissue(old, root_key, root, days, &x);
	if (r == 0)
		r = crypto_chain_verify(x, NULL, 0, root);
	if (r == 0)
		r = cpath(p, dir, "server.cert.pem");
	if (r == 0)
		r = crypto_cert_save_pem(p, x);
	if (r < 0)
		snprintf(err, errlen, "renewing the server certificate: %s", strerror(-r < 200 ? -r : EIO));
out:
	EVP_PKEY_free(root_key);
	X509_free(root);
	X509_free(old);
	X509_free(x);
	return r;
}

static int write_at(const char *dir, long long at)
{
	char p[PATH_MAX], buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", at);
	int r = cpath(p, dir, NEXT_AT);
	return r < 0 ? r : fileio_write_atomic(p, buf, (size_t)n, 0600);
}

int certs_rotate_signing(const char *dir, long overlap_s, int days, char *err, size_t errlen)
{
	EVP_PKEY *root_key = NULL, *key = NULL;
	X509 *root = NULL, *x = NULL;
	char kp[PATH_MAX], cp[PATH_MAX];
	int r;

	if (certs_next_switch(dir) > 0) {
		snprintf(err, errlen,
			 "a signing rotation is already under way (eve-controller certs status)");
		return -EBUSY;
	}
	r = load_pair(dir, "root.key.pem", "root-certificate.pem", &root_key, &root);
	if (r < 0) {
		snprintf(err, errlen, "%s/certs: %s (the root key is needed to rotate)", dir, strerror(-r));
		goto out;
	}
	r = crypto_ec_generate(&key);
	if (r == 0)
		r = crypto_cert_issue(key, "EVE Controller Signing", days, false, root, root_key, &x);
	if (r == 0)
		r = cpath(kp, dir, "signing-next.key.pem");
	if (r == 0)
		r = cpath(cp, dir, "signing-next.cert.pem");
	/* Key, certificate, then the time: a cut before the last step leaves
	 * no rotation (the next attempt overwrites the files). */
	if (r == 0)
		r = crypto_key_save_pem(kp, key);
	if (r == 0)
		r = crypto_cert_save_pem(cp, x);
	if (r == 0)
		r = write_at(dir, (long long)time(NULL) + overlap_s);
	if (r < 0)
		snprintf(err, errlen, "rotating the signing certificate: %s", strerror(-r < 200 ? -r : EIO));
out:
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(key);
	X509_free(root);
	X509_free(x);
	return r;
}

int certs_promote_signing(const char *dir, time_t now)
{
	char nk[PATH_MAX], nc[PATH_MAX], k[PATH_MAX], c[PATH_MAX], prev[PATH_MAX], at[PATH_MAX];
	long long when = certs_next_switch(dir);
	int r;

	if (when <= 0 || when > (long long)now)
		return 0;
	if ((r = cpath(nk, dir, "signing-next.key.pem")) < 0 ||
	    (r = cpath(nc, dir, "signing-next.cert.pem")) < 0 || (r = cpath(k, dir, "signing.key.pem")) < 0 ||
	    (r = cpath(c, dir, "signing.cert.pem")) < 0 ||
	    (r = cpath(prev, dir, "signing-prev.cert.pem")) < 0 || (r = cpath(at, dir, NEXT_AT)) < 0)
		return r;
	/* Idempotent: the next files go last, so a cut anywhere redoes it. */
	if (access(nk, F_OK) == 0) {
		struct stat st;
		if (stat(c, &st) == 0) {
			uint8_t *data = NULL;
			size_t len = 0;
			if (fileio_read(c, 1 << 16, &data, &len) == 0)
				(void)fileio_write_atomic(prev, data, len, 0644);
			free(data);
		}
		uint8_t *kd = NULL, *cd = NULL;
		size_t kl = 0, cl = 0;
		r = fileio_read(nk, 1 << 16, &kd, &kl);
		if (r == 0)
			r = fileio_read(nc, 1 << 16, &cd, &cl);
		if (r == 0)
			r = fileio_write_atomic(k, kd, kl, 0600);
		if (r == 0)
			r = fileio_write_atomic(c, cd, cl, 0644);
		if (kd)
			OPENSSL_cleanse(kd, kl);
		free(kd);
		free(cd);
		if (r < 0)
			return r;
		/* (void): the new files are installed; a leftover is harmless */
		(void)unlink(nk);
		(void)unlink(nc);
	}
	(void)unlink(at);
	return 1;
}
