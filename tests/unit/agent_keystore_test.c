// SPDX-License-Identifier: Apache-2.0
/* Key store backends: file and TPM (a real swtpm started by the test), and
 * the device certificate built through each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "identity.h"
#include "keystore.h"
#include "test_tmpdir.h"

#define SWTPM_PORT 18290

static char tmpdir[64];

static void check_store(const struct keystore_ops *ops, const char *tcti, const char *dir)
{
	struct keystore_opts o = {.state_dir = dir, .tcti = tcti};
	struct keystore ks, ks2;
	EVP_PKEY *pub = NULL, *pub2 = NULL;
	uint8_t digest[32], sig[64];
	X509 *cert = NULL, *cert2 = NULL;

	assert_int_equal(keystore_open(ops, &o, &ks), 0);
	assert_int_equal(keystore_pubkey(&ks, &pub), 0);
	assert_int_equal(crypto_sha256("hello", 5, digest), 0);
	for (int i = 0; i < 6; i++) { /* more than the TPM's transient slots */
		assert_int_equal(keystore_sign(&ks, digest, sig), 0);
		assert_int_equal(crypto_ecdsa_verify(pub, digest, sig, sizeof(sig)), 0);
	}
	assert_int_equal(identity_cert_load_or_create(&ks, dir, &cert), 0);
	assert_int_equal(X509_verify(cert, pub), 1);
	keystore_close(&ks);

	/* Re-opening gives the same key and keeps the same certificate. */
	assert_int_equal(keystore_open(ops, &o, &ks2), 0);
	assert_int_equal(keystore_pubkey(&ks2, &pub2), 0);
	assert_int_equal(EVP_PKEY_eq(pub, pub2), 1);
	assert_int_equal(identity_cert_load_or_create(&ks2, dir, &cert2), 0);
	assert_int_equal(X509_cmp(cert, cert2), 0);
	keystore_close(&ks2);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pub2);
	X509_free(cert);
	X509_free(cert2);
}

static void test_file(void **state)
{
	char dir[128], path[160];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/file", tmpdir);
	mkdir(dir, 0700);
	check_store(&keystore_file_ops, NULL, dir);
	snprintf(path, sizeof(path), "%s/device.key.pem", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_cert_days(void **state)
{
	struct keystore_opts o = {.state_dir = tmpdir};
	struct keystore ks;
	X509 *x = NULL;
	int days = 0, secs = 0;

	assert_int_equal(keystore_open(&keystore_file_ops, &o, &ks), 0);
	assert_int_equal(identity_cert_build(&ks, "eve-device", IDENTITY_CERT_DAYS, &x), 0);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	assert_true(days >= 20 * 365);
	X509_free(x);
	keystore_close(&ks);
}

static pid_t start_swtpm(const char *dir)
{
	char server[64], ctrl[64], state[192];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	snprintf(server, sizeof(server), "type=tcp,port=%d", SWTPM_PORT);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d", SWTPM_PORT + 1);
	snprintf(state, sizeof(state), "dir=%s", dir);
	execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl, "--tpmstate", state,
	       "--flags", "not-need-init,startup-clear", (char *)NULL);
	_exit(127);
}

/* The TPM daemon restarts under an open store: the next sign reconnects. */
static pid_t check_reconnect(const char *tcti, const char *dir, const char *tpmdir, pid_t pid)
{
	struct keystore_opts o = {.state_dir = dir, .tcti = tcti};
	struct keystore ks;
	EVP_PKEY *pub = NULL;
	uint8_t digest[32] = {1}, sig[64];
	int r = -1;

	assert_int_equal(keystore_open(&keystore_tpm_ops, &o, &ks), 0);
	assert_int_equal(keystore_pubkey(&ks, &pub), 0);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	pid = start_swtpm(tpmdir);
	for (int i = 0; i < 100 && r < 0; i++) {
		r = keystore_sign(&ks, digest, sig);
		if (r < 0)
			usleep(100000);
	}
	assert_int_equal(r, 0);
	assert_int_equal(crypto_ecdsa_verify(pub, digest, sig, sizeof(sig)), 0);
	EVP_PKEY_free(pub);
	keystore_close(&ks);
	return pid;
}

static void test_tpm(void **state)
{
	char dir[128], tpmdir[128], tcti[64];
	pid_t pid;
	int r = -1;

	snprintf(dir, sizeof(dir), "%s/tpm", tmpdir);
	snprintf(tpmdir, sizeof(tpmdir), "%s/swtpm", tmpdir);
	mkdir(dir, 0700);
	mkdir(tpmdir, 0700);
	snprintf(tcti, sizeof(tcti), "swtpm:port=%d", SWTPM_PORT);
	pid = start_swtpm(tpmdir);
	assert_true(pid > 0);
	/* Wait (bounded) until swtpm accepts a connection. */
	for (int i = 0; i < 100 && r < 0; i++) {
		struct keystore_opts o = {.state_dir = dir, .tcti = tcti};
		struct keystore ks;

		r = keystore_open(&keystore_tpm_ops, &o, &ks);
		if (r == 0)
			keystore_close(&ks);
		else
			usleep(100000);
	}
	if (r == 0)
		check_store(&keystore_tpm_ops, tcti, dir);
	if (r == 0)
		pid = check_reconnect(tcti, dir, tpmdir, pid);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_int_equal(r, 0);
}

static void test_tpm_absent(void **state)
{
	struct keystore_opts o = {.state_dir = tmpdir, .tcti = "swtpm:port=18299"};
	struct keystore ks;

	assert_true(keystore_open(&keystore_tpm_ops, &o, &ks) < 0);
	keystore_close(&ks); /* safe on the zeroed store */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_cert_days),
	    cmocka_unit_test(test_tpm),
	    cmocka_unit_test(test_tpm_absent),
	};
	int r;

	if (test_tmpdir_make(tmpdir, sizeof(tmpdir), "agent_keystore") < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (test_tmpdir_remove(tmpdir) < 0)
		r = r ? r : 1;
	return r;
}
