// SPDX-License-Identifier: Apache-2.0
/* Unit tests for publisher keys from the signed config (device/trustkeys.c),
 * their report in configItemStatus (device/settings.c) and trust stores of
 * several directories (common/cosign.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64.h"
#include "configdir.h"
#include "crypto.h"
#include "cosign.h"
#include "err.h"
#include "fileio.h"
#include "settings.h"
#include "trustkeys.h"

typedef Org__Lfedge__Eve__Config__ConfigItem item_t;

static char tmp[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/trustkeys-test-XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* base64 DER SPKI of a new key of curve (NULL: RSA); *key kept if asked. */
static char *new_key_b64(const char *curve, EVP_PKEY **key)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve)
			    : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	unsigned char *der = NULL;
	int dl;
	char *b;

	assert_non_null(k);
	dl = i2d_PUBKEY(k, &der);
	assert_true(dl > 0);
	b = b64_encode(der, (size_t)dl);
	OPENSSL_free(der);
	if (key)
		*key = k;
	else
		EVP_PKEY_free(k);
	return b;
}

static void test_check(void **state)
{
	char why[256], *good = new_key_b64("P-256", NULL), *p384 = new_key_b64("P-384", NULL);

	(void)state;
	assert_true(trustkeys_is_item("images.trust.key.acme"));
	assert_false(trustkeys_is_item("images.signatures"));
	assert_false(trustkeys_is_item(NULL));
	assert_int_equal(trustkeys_check("images.trust.key.acme", good, false, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(trustkeys_check("images.trust.key.acme", good, true, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "controller-keys"));
	assert_int_equal(trustkeys_check("images.trust.key.", good, false, why, sizeof(why)), -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.a/b", good, false, why, sizeof(why)), -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.../x", good, false, why, sizeof(why)), -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", good, false,
					 why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.p384", p384, false, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "P-256"));
	assert_int_equal(trustkeys_check("images.trust.key.x", "not base64!", false, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.x", "", false, why, sizeof(why)), -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.x", NULL, false, why, sizeof(why)), -EINVAL);
	assert_int_equal(trustkeys_check("images.trust.key.x", "AAAA", false, why, sizeof(why)), -EINVAL);
	free(good);
	free(p384);
}

static bool exists(const char *dir, const char *file)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

static void test_sync_and_ring(void **state)
{
	EVP_PKEY *ka = NULL, *kl = NULL;
	char *a = new_key_b64("P-256", &ka), *b = new_key_b64("P-256", NULL),
	     *local = new_key_b64("P-256", &kl);
	char ctl[128], loc[128], path[256], both[300], err[256], *pem = NULL, *sig = NULL;
	item_t it[4], *items[4];
	struct cosign_keyring ring;
	size_t len = 0, who = 99;

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/ctl", tmp);
	snprintf(loc, sizeof(loc), "%s/local", tmp);
	for (int i = 0; i < 4; i++) {
		org__lfedge__eve__config__config_item__init(&it[i]);
		items[i] = &it[i];
	}
	it[0].key = "images.trust.key.acme";
	it[0].value = a;
	it[1].key = "images.trust.key.beta";
	it[1].value = b;
	it[2].key = "images.trust.key.bad";
	it[2].value = "AAAA";
	it[3].key = "timer.config.interval";
	it[3].value = "5";
	assert_int_equal(trustkeys_sync(ctl, items, 4, false), 2);
	assert_true(exists(ctl, "ctl.acme.pem"));
	assert_true(exists(ctl, "ctl.beta.pem"));
	assert_false(exists(ctl, "ctl.bad.pem"));
	/* a file not of ours stays; a key no longer configured goes */
	snprintf(path, sizeof(path), "%s/other.txt", ctl);
	assert_int_equal(fileio_write_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(trustkeys_sync(ctl, items, 1, false), 1);
	assert_true(exists(ctl, "ctl.acme.pem"));
	assert_false(exists(ctl, "ctl.beta.pem"));
	assert_true(exists(ctl, "other.txt"));

	/* the local directory and the controller's: one ring, local first */
	assert_int_equal(mkdir(loc, 0700), 0);
	assert_int_equal(cosign_key_to_pem(kl, &pem, &len), 0);
	snprintf(path, sizeof(path), "%s/release.pem", loc);
	assert_int_equal(fileio_write_atomic(path, pem, len, 0644), 0);
	free(pem);
	snprintf(both, sizeof(both), "%s:%s", loc, ctl);
	assert_int_equal(cosign_keyring_load_dir(both, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.n, 2);
	assert_string_equal(ring.names[0], "release");
	assert_string_equal(ring.names[1], "ctl.acme");
	assert_int_equal(cosign_sign(ka, "payload", 7, &sig), 0);
	assert_int_equal(cosign_verify(&ring, "payload", 7, sig, &who), 0);
	assert_int_equal(who, 1);
	cosign_keyring_free(&ring);
	/* empty parts and a missing directory are no keys */
	snprintf(both, sizeof(both), ":%s/none::%s", tmp, loc);
	assert_int_equal(cosign_keyring_load_dir(both, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.n, 1);
	cosign_keyring_free(&ring);

	/* deny: the controller's keys go */
	assert_int_equal(trustkeys_sync(ctl, items, 1, true), 0);
	assert_false(exists(ctl, "ctl.acme.pem"));
	snprintf(both, sizeof(both), "%s:%s", loc, ctl);
	assert_int_equal(cosign_keyring_load_dir(both, &ring, err, sizeof(err)), 0);
	assert_int_equal(ring.n, 1);
	assert_int_equal(cosign_verify(&ring, "payload", 7, sig, &who), -EVE_EBADSIG);
	cosign_keyring_free(&ring);
	free(sig);
	free(a);
	free(b);
	free(local);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kl);
}

/* PEM text -> the config item's base64 (the controller's side) */
static void test_pem_b64(void **state)
{
	EVP_PKEY *k = NULL;
	char *b = new_key_b64("P-256", &k), *pem = NULL, *out = NULL, f1[17], f2[17];
	EVP_PKEY *back = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(cosign_key_to_pem(k, &pem, &len), 0);
	assert_int_equal(cosign_key_pem_to_b64(pem, len, &out, f1), 0);
	assert_string_equal(out, b);
	assert_int_equal(cosign_key_from_b64(out, &back, f2), 0);
	assert_string_equal(f1, f2);
	assert_int_equal(strlen(f1), 16);
	{
		char *none = (char *)"x";

		assert_int_equal(cosign_key_pem_to_b64("junk", 4, &none, f1), -EINVAL);
		assert_null(none);
	}
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
	free(pem);
	free(b);
	free(out);
}

/* configItemStatus: each key with why it is refused ("" when taken) */
static void test_status(void **state)
{
	char *good = new_key_b64("P-256", NULL);
	item_t it[2], *items[2] = {&it[0], &it[1]};
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st = NULL;
	struct settings s;
	int seen = 0;

	(void)state;
	org__lfedge__eve__config__config_item__init(&it[0]);
	org__lfedge__eve__config__config_item__init(&it[1]);
	it[0].key = "images.trust.key.acme";
	it[0].value = good;
	it[1].key = "images.trust.key.bad";
	it[1].value = "AAAA";
	settings_defaults(&s);
	for (int deny = 0; deny < 2; deny++) {
		s.trust_ctl_deny = deny;
		assert_int_equal(settings_status(&s, items, 2, true, &st), 0);
		for (size_t i = 0; i < st->n_configitems; i++) {
			const char *k = st->configitems[i]->key, *e = st->configitems[i]->value->error;

			if (!strcmp(k, "images.trust.key.acme")) {
				assert_string_equal(st->configitems[i]->value->value, good);
				assert_true(deny ? strstr(e, "controller-keys") != NULL : e[0] == '\0');
				seen++;
			} else if (!strcmp(k, "images.trust.key.bad")) {
				assert_non_null(strstr(e, "refused"));
				seen++;
			}
		}
		for (size_t i = 0; i < st->n_unknownconfigitems; i++)
			assert_null(strstr(st->unknownconfigitems[i]->key, "images.trust.key."));
		settings_status_free(st);
	}
	assert_int_equal(seen, 4);
	free(good);
}

/* image-trust/controller-keys in the config dir: allow (default) | deny */
static void test_configdir(void **state)
{
	char cfg[128], path[192], err[512] = "";
	struct configdir cd;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s/config", tmp);
	snprintf(path, sizeof(path), "%s/image-trust", cfg);
	assert_int_equal(fileio_mkdirs(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/server", cfg);
	assert_int_equal(fileio_write_atomic(path, "127.0.0.1:18200\n", 16, 0600), 0);
	assert_int_equal(crypto_ec_generate(&k), 0);
	assert_int_equal(crypto_cert_selfsigned(k, "root", 10, &x), 0);
	snprintf(path, sizeof(path), "%s/root-certificate.pem", cfg);
	assert_int_equal(crypto_cert_save_pem(path, x), 0);
	EVP_PKEY_free(k);
	X509_free(x);

	assert_int_equal(configdir_load(cfg, &cd, err, sizeof(err)), 0);
	assert_false(cd.image_trust_ctl_deny);
	configdir_free(&cd);
	snprintf(path, sizeof(path), "%s/image-trust/controller-keys", cfg);
	assert_int_equal(fileio_write_atomic(path, " deny\n", 6, 0600), 0);
	assert_int_equal(configdir_load(cfg, &cd, err, sizeof(err)), 0);
	assert_true(cd.image_trust_ctl_deny);
	configdir_free(&cd);
	assert_int_equal(fileio_write_atomic(path, "allow", 5, 0600), 0);
	assert_int_equal(configdir_load(cfg, &cd, err, sizeof(err)), 0);
	assert_false(cd.image_trust_ctl_deny);
	configdir_free(&cd);
	assert_int_equal(fileio_write_atomic(path, "maybe", 5, 0600), 0);
	assert_true(configdir_load(cfg, &cd, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "controller-keys"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check),
	    cmocka_unit_test_setup_teardown(test_sync_and_ring, setup, teardown),
	    cmocka_unit_test(test_pem_b64),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test_setup_teardown(test_configdir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
