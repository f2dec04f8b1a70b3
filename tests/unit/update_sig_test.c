// SPDX-License-Identifier: Apache-2.0
/* Signed base OS images (issue #31): the A/B updater checks the image's
 * detached signature (EVE's SignatureInfo: ECDSA over the image's SHA-256,
 * signer certificate chaining to a publisher root of the device's
 * image-trust/) after the download and before any byte is written to the
 * other slot. Dir backend: slot B must not even be created when refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bootslot.h"
#include "cosign.h"
#include "crypto.h"
#include "err.h"
#include "hexstr.h"
#include "update.h"
#include "update_fetch.h"

struct env {
	char root[256], slots[300], state[300], trust[300];
	EVP_PKEY *root_key, *signer_key, *rogue_key;
	X509 *root_cert, *signer_cert;
	struct update *u;
	int reboots;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int on_reboot(void *ctx)
{
	((struct env *)ctx)->reboots++;
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char path[512];

	snprintf(e->root, sizeof(e->root), "/tmp/update_sig.XXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(e->slots, sizeof(e->slots), "%s/slots", e->root);
	snprintf(e->state, sizeof(e->state), "%s/persist", e->root);
	snprintf(e->trust, sizeof(e->trust), "%s/image-trust", e->root);
	assert_int_equal(sh("mkdir -p %s/A %s && printf '#!/bin/sh\\nexit 0\\n' > %s/A/eve-agent && chmod +x "
			    "%s/A/eve-agent",
			    e->slots, e->trust, e->slots, e->slots),
			 0);
	/* publisher root (in image-trust/), a release signer it issued, and a
	 * self-signed impostor */
	assert_int_equal(
	    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	       "-subj '/CN=publisher root' -addext basicConstraints=critical,CA:TRUE "
	       "-addext keyUsage=critical,keyCertSign -keyout %s/root.key -out %s/root.pem 2>/dev/null",
	       e->root, e->root),
	    0);
	snprintf(path, sizeof(path), "%s/root.key", e->root);
	assert_int_equal(crypto_key_load_pem(path, &e->root_key), 0);
	snprintf(path, sizeof(path), "%s/root.pem", e->root);
	assert_int_equal(crypto_cert_load_pem(path, &e->root_cert), 0);
	assert_int_equal(crypto_ec_generate(&e->signer_key), 0);
	assert_int_equal(crypto_ec_generate(&e->rogue_key), 0);
	assert_int_equal(crypto_cert_issue(e->signer_key, "release signer", 30, false, e->root_cert,
					   e->root_key, &e->signer_cert),
			 0);
	snprintf(path, sizeof(path), "%s/publisher.pem", e->trust);
	assert_int_equal(crypto_cert_save_pem(path, e->root_cert), 0);
	snprintf(path, sizeof(path), "%s/signer.pem", e->root);
	assert_int_equal(crypto_cert_save_pem(path, e->signer_cert), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	update_close(e->u);
	sh("rm -rf %s", e->root);
	EVP_PKEY_free(e->root_key);
	EVP_PKEY_free(e->signer_key);
	EVP_PKEY_free(e->rogue_key);
	X509_free(e->root_cert);
	X509_free(e->signer_cert);
	free(e);
	return 0;
}

static void boot(struct env *e)
{
	struct update_opts o = {
	    .backend = "dir",
	    .target = e->slots,
	    .state_dir = e->state,
	    .current = "A",
	    .running_version = "1.0",
	    .trust_dir = e->trust,
	    .reboot = on_reboot,
	    .ctx = e,
	};

	assert_int_equal(update_open(&o, &e->u), 0);
	assert_int_equal(update_boot_check(e->u, 1000000), 0);
	update_set_sig_policy(e->u, COSIGN_POLICY_REQUIRE);
}

static void make_image(struct env *e, const char *version, char *path, size_t plen, uint8_t digest[32],
		       char sha[65])
{
	snprintf(path, plen, "%s/img-%s", e->root, version);
	assert_int_equal(sh("set -e; d=%s.d; mkdir -p $d; printf '#!/bin/sh\\necho %s\\n' > $d/eve-agent;"
			    "chmod +x $d/eve-agent; echo %s > $d/VERSION; tar -C $d -czf %s .",
			    path, version, version, path),
			 0);
	assert_int_equal(update_file_sha256(path, digest), 0);
	hexstr_encode(digest, 32, sha);
}

/* DER ECDSA signature of the digest itself by key (as `openssl dgst
 * -sha256 -sign` makes over the image file). */
static void sign(EVP_PKEY *key, const uint8_t digest[32], uint8_t **der, size_t *len)
{
	uint8_t raw[CRYPTO_SIG_LEN];

	assert_int_equal(crypto_ecdsa_sign(key, digest, raw), 0);
	assert_int_equal(crypto_sig_raw_to_der(raw, der, len), 0);
}

static int apply(struct env *e, const char *version, const char *img, const char *sha, const uint8_t *sig,
		 size_t siglen, unsigned retry)
{
	char url[600], signer[600];
	struct update_baseos req = {.version = version,
				    .url = url,
				    .sha256 = sha,
				    .activate = true,
				    .retry_update = retry,
				    .signature = sig,
				    .signature_len = siglen,
				    .signer_cert_url = signer};

	snprintf(url, sizeof(url), "file://%s", img);
	snprintf(signer, sizeof(signer), "file://%s/signer.pem", e->root);
	return update_apply_baseos(e->u, &req);
}

static void assert_refused(struct env *e, const char *why)
{
	struct update_slot_info si[2];
	struct stat st;
	char b[400];

	snprintf(b, sizeof(b), "%s/B", e->slots);
	assert_int_equal(stat(b, &st), -1); /* not a byte written: slot B not even created */
	assert_int_equal(e->reboots, 0);
	assert_int_equal(update_get_info(e->u, si), 0);
	assert_string_equal(update_status_name(si[1].status), update_status_name(UPDATE_ST_FAILED));
	assert_non_null(strstr(si[1].err, "signature"));
	if (!strstr(update_sig_note(e->u), why))
		fprintf(stderr, "note: %s\n", update_sig_note(e->u));
	assert_non_null(strstr(update_sig_note(e->u), why));
}

static void test_bad_signatures_refused_before_writing(void **state)
{
	struct env *e = *state;
	char img[512], sha[65];
	uint8_t d[32], other[32] = {1}, *sig = NULL;
	size_t len = 0;

	boot(e);
	make_image(e, "2.0", img, sizeof(img), d, sha);
	/* unsigned */
	assert_true(apply(e, "2.0", img, sha, NULL, 0, 0) < 0);
	assert_refused(e, "unsigned");
	/* the release signer, over another digest */
	sign(e->signer_key, other, &sig, &len);
	assert_true(apply(e, "2.0", img, sha, sig, len, 1) < 0);
	assert_refused(e, "does not verify");
	free(sig);
	/* not retried until retry_update grows: no download, same verdict */
	assert_int_equal(apply(e, "2.0", img, sha, NULL, 0, 1), 0);
	/* a key whose certificate does not chain to the publisher root: the
	 * signer URL names the release signer, the signature is the rogue's */
	sign(e->rogue_key, d, &sig, &len);
	assert_true(apply(e, "2.0", img, sha, sig, len, 2) < 0);
	assert_refused(e, "does not verify");
	free(sig);
}

static void test_good_signature_installs(void **state)
{
	struct env *e = *state;
	char img[512], sha[65], b[400];
	uint8_t d[32], *sig = NULL;
	size_t len = 0;
	struct stat st;

	boot(e);
	make_image(e, "2.0", img, sizeof(img), d, sha);
	sign(e->signer_key, d, &sig, &len);
	assert_int_equal(apply(e, "2.0", img, sha, sig, len, 0), 0);
	free(sig);
	assert_int_equal(e->reboots, 1);
	assert_non_null(strstr(update_sig_note(e->u), "signed by release signer"));
	snprintf(b, sizeof(b), "%s/B/VERSION", e->slots);
	assert_int_equal(stat(b, &st), 0);
}

static void test_untrusted_root_refused(void **state)
{
	struct env *e = *state;
	char img[512], sha[65], path[512];
	uint8_t d[32], *sig = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/publisher.pem", e->trust);
	unlink(path); /* the device no longer trusts the publisher */
	boot(e);
	make_image(e, "2.0", img, sizeof(img), d, sha);
	sign(e->signer_key, d, &sig, &len);
	assert_true(apply(e, "2.0", img, sha, sig, len, 0) < 0);
	free(sig);
	assert_refused(e, "does not chain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bad_signatures_refused_before_writing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_good_signature_installs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_untrusted_root_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
