// SPDX-License-Identifier: Apache-2.0
/* Controller trust: certs chain to the root, responses are accepted only
 * when signed by the trusted signing certificate; wrong keys, foreign
 * certificates, truncation and garbage are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "bootstrap.h"
#include "certs/certs.pb-c.h"
#include "checkpoint.h"
#include "crypto.h"
#include "ctlclient.h"
#include "envelope.h"
#include "err.h"
#include "test_tmpdir.h"

static char dir[64];
static char root_path[128];
static EVP_PKEY *root_key, *sig_key, *rogue_key;
static X509 *root, *sig_cert, *rogue_cert;

static void add_ext(X509 *x, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static X509 *make_ca(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"root", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	add_ext(x, NID_subject_key_identifier, "hash");
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/* The /certs answer: ZControllerCert{signing} sealed by the signing key. */
static void write_certs(X509 *cert, EVP_PKEY *key)
{
	Org__Lfedge__Eve__Certs__ZControllerCert zc = ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	Org__Lfedge__Eve__Certs__ZCert z = ORG__LFEDGE__EVE__CERTS__ZCERT__INIT, *zp = &z;
	struct eve_signer s = {0};
	uint8_t buf[8192], *env = NULL;
	size_t n, elen;
	char *pem = NULL;
	size_t plen;

	assert_int_equal(crypto_cert_to_pem(cert, &pem, &plen), 0);
	z.type = ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING;
	z.cert.data = (uint8_t *)pem;
	z.cert.len = plen;
	zc.certs = &zp;
	zc.n_certs = 1;
	n = org__lfedge__eve__certs__zcontroller_cert__pack(&zc, buf);
	assert_int_equal(envelope_signer_from_key(&s, key, cert, true), 0);
	assert_int_equal(envelope_seal(&s, buf, n, false, &env, &elen), 0);
	assert_int_equal(checkpoint_save(dir, CHECKPOINT_CERTS, env, elen), 0);
	envelope_signer_clear(&s);
	free(env);
	free(pem);
}

static int setup(void **state)
{
	if (test_tmpdir_make(dir, sizeof(dir), "agent_ctlclient") < 0)
		return -1;
	snprintf(root_path, sizeof(root_path), "%s/root.pem", dir);
	if (crypto_ec_generate(&root_key) || crypto_ec_generate(&sig_key) || crypto_ec_generate(&rogue_key))
		return -1;
	root = make_ca(root_key);
	if (crypto_cert_issue(sig_key, "signing", 30, false, root, root_key, &sig_cert) ||
	    crypto_cert_selfsigned(rogue_key, "signing", 30, &rogue_cert))
		return -1;
	checkpoint_init(dir);
	return crypto_cert_save_pem(root_path, root);
}

static int teardown(void **state)
{
	X509_free(root);
	X509_free(sig_cert);
	X509_free(rogue_cert);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(sig_key);
	EVP_PKEY_free(rogue_key);
	return test_tmpdir_remove(dir) == 0 ? 0 : -1;
}

static void seal(EVP_PKEY *key, X509 *cert, const uint8_t *hash_override, bool with_cert, uint8_t **env,
		 size_t *len)
{
	struct eve_signer s = {0};

	assert_int_equal(envelope_signer_from_key(&s, key, cert, true), 0);
	if (hash_override)
		memcpy(s.cert_hash, hash_override, 32);
	assert_int_equal(envelope_seal(&s, (const uint8_t *)"payload", 7, with_cert, env, len), 0);
	envelope_signer_clear(&s);
}

static struct ctlclient *client(void)
{
	struct ctlclient *cc = NULL;

	write_certs(sig_cert, sig_key);
	assert_int_equal(ctlclient_new(dir, root_path, &cc), 0);
	assert_int_equal(ctlclient_load_certs(cc), 0);
	assert_true(ctlclient_has_certs(cc));
	return cc;
}

static void test_accepts_signed(void **state)
{
	struct ctlclient *cc = client();
	uint8_t *env = NULL, *p = NULL;
	size_t len, plen;

	seal(sig_key, sig_cert, NULL, false, &env, &len);
	assert_int_equal(ctlclient_verify(cc, env, len, &p, &plen), 0);
	assert_int_equal(plen, 7);
	assert_memory_equal(p, "payload", 7);
	free(p);
	free(env);
	ctlclient_free(cc);
}

static void test_refuses_wrong_key(void **state)
{
	struct ctlclient *cc = client();
	struct eve_signer good = {0};
	uint8_t *env = NULL, *p = NULL;
	size_t len, plen;

	/* Claims to be the signing cert, signed by another key. */
	assert_int_equal(envelope_signer_from_key(&good, sig_key, sig_cert, true), 0);
	seal(rogue_key, rogue_cert, good.cert_hash, false, &env, &len);
	assert_int_equal(ctlclient_verify(cc, env, len, &p, &plen), -EVE_EBADSIG);
	free(env);
	/* Signed by a certificate the device does not trust. */
	seal(rogue_key, rogue_cert, NULL, false, &env, &len);
	assert_int_equal(ctlclient_verify(cc, env, len, &p, &plen), -EVE_EBADCERT);
	/* Truncated and garbage bodies. */
	for (size_t cut = 0; cut < len; cut += 7)
		assert_true(ctlclient_verify(cc, env, cut, &p, &plen) < 0);
	for (int i = 0; i < 200; i++) {
		uint8_t junk[256];

		RAND_bytes(junk, sizeof(junk));
		assert_true(ctlclient_verify(cc, junk, (size_t)(i + 1), &p, &plen) < 0);
	}
	free(env);
	envelope_signer_clear(&good);
	ctlclient_free(cc);
}

static void test_refuses_foreign_certs(void **state)
{
	struct ctlclient *cc = NULL;

	write_certs(rogue_cert, rogue_key);
	assert_int_equal(ctlclient_new(dir, root_path, &cc), 0);
	assert_int_equal(ctlclient_load_certs(cc), -EVE_EBADCERT);
	assert_false(ctlclient_has_certs(cc));
	ctlclient_free(cc);
}

/* bootstrap_seal, optionally with another certificate hash named. */
static void seal_bootstrap(EVP_PKEY *key, X509 *cert, const uint8_t *hash_override, uint8_t **out,
			   size_t *len)
{
	struct eve_signer s = {0};

	assert_int_equal(envelope_signer_from_key(&s, key, cert, true), 0);
	if (hash_override)
		memcpy(s.cert_hash, hash_override, 32);
	assert_int_equal(bootstrap_seal(&s, (const uint8_t *)"payload", 7, out, len), 0);
	envelope_signer_clear(&s);
}

static void test_bootstrap(void **state)
{
	struct ctlclient *cc = NULL;
	uint8_t *bc = NULL, *p = NULL, other[32] = {1};
	size_t len, plen;

	/* No /certs fetched yet: the BootstrapConfig carries what it needs. */
	assert_int_equal(ctlclient_new(dir, root_path, &cc), 0);
	seal_bootstrap(sig_key, sig_cert, NULL, &bc, &len);
	assert_int_equal(ctlclient_verify_bootstrap(cc, bc, len, &p, &plen), 0);
	assert_int_equal(plen, 7);
	assert_memory_equal(p, "payload", 7);
	free(p);
	/* Every truncation and a flipped byte are refused. */
	for (size_t n = 0; n < len; n++)
		assert_true(ctlclient_verify_bootstrap(cc, bc, n, &p, &plen) < 0);
	bc[len - 3] ^= 0x40;
	assert_true(ctlclient_verify_bootstrap(cc, bc, len, &p, &plen) < 0);
	free(bc);
	/* A certificate that does not chain to our root. */
	seal_bootstrap(rogue_key, rogue_cert, NULL, &bc, &len);
	assert_int_equal(ctlclient_verify_bootstrap(cc, bc, len, &p, &plen), -EVE_EBADCERT);
	free(bc);
	/* The envelope names another certificate than the one beside it. */
	seal_bootstrap(sig_key, sig_cert, other, &bc, &len);
	assert_int_equal(ctlclient_verify_bootstrap(cc, bc, len, &p, &plen), -EVE_EBADCERT);
	free(bc);
	/* Our own older format (an AuthContainer with senderCert) is no
	 * BootstrapConfig. */
	seal(sig_key, sig_cert, NULL, true, &bc, &len);
	assert_true(ctlclient_verify_bootstrap(cc, bc, len, &p, &plen) < 0);
	free(bc);
	assert_false(ctlclient_has_certs(cc));
	ctlclient_free(cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_signed),
	    cmocka_unit_test(test_refuses_wrong_key),
	    cmocka_unit_test(test_refuses_foreign_certs),
	    cmocka_unit_test(test_bootstrap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
