// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/cosign (publisher signatures of images) and the
 * runtime's verdicts (device/runtime/imgsig.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cosign.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "hexstr.h"
#include "imgsig.h"

#define DIG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_policy(void **state)
{
	enum cosign_policy p;

	(void)state;
	assert_int_equal(cosign_policy_parse("require", &p), 0);
	assert_int_equal(p, COSIGN_POLICY_REQUIRE);
	assert_int_equal(cosign_policy_parse("warn", &p), 0);
	assert_int_equal(p, COSIGN_POLICY_WARN);
	assert_int_equal(cosign_policy_parse("Require", &p), -EINVAL);
	assert_int_equal(cosign_policy_parse(NULL, &p), -EINVAL);
	assert_string_equal(cosign_policy_name(COSIGN_POLICY_OFF), "off");
}

static void test_payload(void **state)
{
	char *pl = NULL, ref[128], err[256];
	size_t len = 0;

	(void)state;
	assert_int_equal(cosign_payload_make("reg.example/app", DIG, &pl, &len), 0);
	assert_int_equal(cosign_payload_check(pl, len, DIG, ref, sizeof(ref), err, sizeof(err)), 0);
	assert_string_equal(ref, "reg.example/app");
	assert_int_equal(cosign_payload_check(pl, len, DIG2, ref, sizeof(ref), err, sizeof(err)), -EVE_EHASH);
	assert_non_null(strstr(err, "another image"));
	free(pl);
	assert_int_equal(cosign_payload_make("x", "nothex", &pl, &len), -EINVAL);
	/* wrong type, missing digest, not JSON */
	pl = "{\"critical\":{\"identity\":{},\"image\":{\"docker-manifest-digest\":\"sha256:" DIG
	     "\"},\"type\":\"something else\"}}";
	assert_int_equal(cosign_payload_check(pl, strlen(pl), DIG, NULL, 0, err, sizeof(err)), -EINVAL);
	pl = "{\"critical\":{\"type\":\"cosign container image signature\"}}";
	assert_int_equal(cosign_payload_check(pl, strlen(pl), DIG, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(cosign_payload_check("{", 1, DIG, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(cosign_payload_check("", 0, DIG, NULL, 0, NULL, 0), -EINVAL);
}

static void test_manifest(void **state)
{
	struct cosign_manifest m;
	char err[256];
	const char *ok =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/"
	    "vnd.oci.image.config.v1+json\",\"size\":2,\"digest\":\"sha256:" DIG
	    "\"},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"size\":1,\"digest\":"
	    "\"sha256:" DIG "\"},{\"mediaType\":\"" COSIGN_MEDIA_PAYLOAD
	    "\",\"size\":240,\"digest\":\"sha256:" DIG2 "\",\"annotations\":{\"" COSIGN_ANN_SIGNATURE
	    "\":\"MEUCIQ==\"}}]}";
	const char *bad =
	    "{\"layers\":[{\"mediaType\":\"" COSIGN_MEDIA_PAYLOAD "\",\"size\":-1,\"digest\":\"sha256:" DIG
	    "\",\"annotations\":{\"" COSIGN_ANN_SIGNATURE "\":\"x\"}}]}";

	(void)state;
	assert_int_equal(cosign_manifest_parse(ok, strlen(ok), &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.sigs[0].payload_hex, DIG2);
	assert_int_equal(m.sigs[0].payload_size, 240);
	assert_string_equal(m.sigs[0].sig_b64, "MEUCIQ==");
	cosign_manifest_free(&m);
	assert_int_equal(cosign_manifest_parse(bad, strlen(bad), &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(cosign_manifest_parse("{\"layers\":[]}", 13, &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no "));
	assert_int_equal(cosign_manifest_parse("[]", 2, &m, err, sizeof(err)), -EINVAL);
	cosign_manifest_free(&m);
}

/* A keyring directory with one trusted key (as a PEM public key) and a
 * certificate of a second one. */
static void write_pub(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

static void test_sign_verify(void **state)
{
	char dir[] = "/tmp/eve-cosign-XXXXXX", path[256], err[256], msg[IMGSIG_MSG_MAX], *pl = NULL,
	     *sig = NULL;
	EVP_PKEY *good = NULL, *other = NULL, *untrusted = NULL;
	X509 *cert = NULL;
	struct cosign_keyring kr;
	struct registry_sigs g;
	size_t len = 0, who = 99;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(crypto_ec_generate(&good), 0);
	assert_int_equal(crypto_ec_generate(&other), 0);
	assert_int_equal(crypto_ec_generate(&untrusted), 0);
	snprintf(path, sizeof(path), "%s/acme.pem", dir);
	write_pub(path, good);
	assert_int_equal(crypto_cert_selfsigned(other, "other", 30, &cert), 0);
	snprintf(path, sizeof(path), "%s/beta.pem", dir);
	assert_int_equal(crypto_cert_save_pem(path, cert), 0);
	snprintf(path, sizeof(path), "%s/policy", dir);
	assert_int_equal(fileio_write_atomic(path, "require\n", 8, 0644), 0);
	assert_int_equal(cosign_keyring_load_dir(dir, &kr, err, sizeof(err)), 0);
	assert_int_equal(kr.n, 2);
	assert_string_equal(kr.names[0], "acme");
	assert_string_equal(kr.names[1], "beta");

	assert_int_equal(cosign_payload_make("r/app", DIG, &pl, &len), 0);
	assert_int_equal(cosign_sign(good, pl, len, &sig), 0);
	assert_int_equal(cosign_verify(&kr, pl, len, sig, &who), 0);
	assert_int_equal(who, 0);
	assert_int_equal(cosign_verify(&kr, pl, len - 1, sig, &who), -EVE_EBADSIG);
	assert_int_equal(cosign_verify(&kr, pl, len, "!!", &who), -EINVAL);

	/* the runtime's verdicts */
	memset(&g, 0, sizeof(g));
	snprintf(g.digest, sizeof(g.digest), "%s", DIG);
	assert_int_equal(imgsig_judge(&kr, &g, msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "unsigned"));
	g.found = true;
	g.n = 1;
	g.payload[0] = (uint8_t *)pl;
	g.payload_len[0] = len;
	g.sig_b64[0] = sig;
	assert_int_equal(imgsig_judge(&kr, &g, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "signed by acme"));
	snprintf(g.digest, sizeof(g.digest), "%s", DIG2); /* signature over another digest */
	assert_int_equal(imgsig_judge(&kr, &g, msg, sizeof(msg)), -EVE_EHASH);
	assert_non_null(strstr(msg, "another image"));
	snprintf(g.digest, sizeof(g.digest), "%s", DIG);
	free(sig);
	assert_int_equal(cosign_sign(untrusted, pl, len, &sig), 0);
	g.sig_b64[0] = sig;
	assert_int_equal(imgsig_judge(&kr, &g, msg, sizeof(msg)), -EVE_EBADSIG);
	assert_non_null(strstr(msg, "trusted publisher"));

	/* an unusable file fails the load, naming it */
	snprintf(path, sizeof(path), "%s/junk.pem", dir);
	assert_int_equal(fileio_write_atomic(path, "nope", 4, 0644), 0);
	cosign_keyring_free(&kr);
	assert_int_equal(cosign_keyring_load_dir(dir, &kr, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "junk.pem"));
	assert_int_equal(kr.n, 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/acme.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/beta.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/policy", dir);
	unlink(path);
	rmdir(dir);
	assert_int_equal(cosign_keyring_load_dir(dir, &kr, err, sizeof(err)), 0); /* missing: empty */
	assert_int_equal(kr.n, 0);
	free(sig);
	free(pl);
	X509_free(cert);
	EVP_PKEY_free(good);
	EVP_PKEY_free(other);
	EVP_PKEY_free(untrusted);
}

/* HTTP(S) images: SignatureInfo without a signer certificate, verified by
 * a key of the trust store (no download involved). */
static void test_detached_blob(void **state)
{
	char dir[] = "/tmp/eve-cosign-blob-XXXXXX", path[256], err[512];
	uint8_t digest[32], raw[CRYPTO_SIG_LEN], *der = NULL;
	size_t dl = 0;
	EVP_PKEY *k = NULL, *rogue = NULL;
	struct imgsig_detached d = {0};
	struct imgsig_job j = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_ec_generate(&rogue), 0);
	snprintf(path, sizeof(path), "%s/release.pem", dir);
	write_pub(path, k);
	assert_int_equal(crypto_sha256("vm disk", 7, digest), 0);
	j.trust_dir = dir;
	j.pol = COSIGN_POLICY_REQUIRE;
	/* unsigned: refused under require, used under warn */
	assert_int_equal(imgsig_check_blob(&j, DIG, &d, NULL, 0, "/tmp/x", err, sizeof(err)), -EVE_EBADSIG);
	assert_non_null(strstr(err, "unsigned"));
	j.pol = COSIGN_POLICY_WARN;
	assert_int_equal(imgsig_check_blob(&j, DIG, &d, NULL, 0, "/tmp/x", err, sizeof(err)), 0);
	assert_int_equal(j.warn, 1);
	/* signed by the release key over the digest */
	assert_int_equal(crypto_ecdsa_sign(k, digest, raw), 0);
	assert_int_equal(crypto_sig_raw_to_der(raw, &der, &dl), 0);
	d.sig = der;
	d.sig_len = dl;
	j.pol = COSIGN_POLICY_REQUIRE;
	{
		char hex[65];

		hexstr_encode(digest, 32, hex);
		assert_int_equal(imgsig_check_blob(&j, hex, &d, NULL, 0, "/tmp/x", err, sizeof(err)), 0);
		assert_int_equal(j.verified, 1);
		assert_non_null(strstr(j.msg, "signed by release"));
		/* the same signature for another image */
		assert_int_equal(imgsig_check_blob(&j, DIG, &d, NULL, 0, "/tmp/x", err, sizeof(err)),
				 -EVE_EBADSIG);
		free(der);
		/* an untrusted key */
		assert_int_equal(crypto_ecdsa_sign(rogue, digest, raw), 0);
		assert_int_equal(crypto_sig_raw_to_der(raw, &der, &dl), 0);
		d.sig = der;
		d.sig_len = dl;
		assert_int_equal(imgsig_check_blob(&j, hex, &d, NULL, 0, "/tmp/x", err, sizeof(err)),
				 -EVE_EBADSIG);
		assert_non_null(strstr(err, "not signed by a trusted publisher key"));
	}
	imgsig_detached_clear(&d);
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rogue);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy),        cmocka_unit_test(test_payload),
	    cmocka_unit_test(test_manifest),      cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_detached_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
