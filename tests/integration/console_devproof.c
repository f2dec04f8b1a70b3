// SPDX-License-Identifier: Apache-2.0
/* Test client for the dispatcher's device authentication (evproof.h):
 * opens a device tunnel with a token and, optionally, a proof signed by a
 * given key and certificate, and prints what the dispatcher answered.
 *   console_devproof URL CA TOKEN [KEY.pem CERT.pem [PROOF_PATH] [twice]]
 * URL is https://host:port/path; PROOF_PATH (default: URL's path) is the
 * path the proof is signed for; "twice" sends the same proof twice.
 * Prints "OPEN" or "REFUSED <error>" per attempt; exits 0 when every
 * attempt was opened, 1 when one was refused, 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "envelope.h"
#include "evjwt.h"
#include "evproof.h"
#include "evtunnel.h"

static int attempt(const char *url, const char *ca, const char *const *hdrs)
{
	struct evtunnel *t = NULL;
	char err[512] = "";
	int r = evtunnel_open(url, ca, hdrs, &t, err, sizeof(err));
	if (r < 0) {
		printf("REFUSED %s\n", err);
		return 1;
	}
	printf("OPEN\n");
	evtunnel_close(t);
	return 0;
}

int main(int argc, char **argv)
{
	static char auth[EVJWT_MAX + 64], proof[EVPROOF_MAX + 64], pv[EVPROOF_MAX];
	struct evjwt_claims cl;
	struct eve_signer s = {0};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = 2;
	if (argc != 4 && (argc < 6 || argc > 8)) {
		fprintf(stderr, "usage: console_devproof URL CA TOKEN [KEY CERT [PROOF_PATH] [twice]]\n");
		return 2;
	}
	const char *url = argv[1], *ca = argv[2], *tok = argv[3];
	const char *path = strchr(url + strlen("https://"), '/');
	if (evjwt_parse(tok, &cl) < 0 || !path) {
		fprintf(stderr, "bad token or URL\n");
		return 2;
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	const char *hdrs[] = {auth, NULL, NULL};
	bool twice = argc >= 7 && !strcmp(argv[argc - 1], "twice");
	if (argc >= 6) {
		const char *ppath = argc >= 7 && strcmp(argv[6], "twice") ? argv[6] : path;
		if (crypto_key_load_pem(argv[4], &key) < 0 || crypto_cert_load_pem(argv[5], &cert) < 0 ||
		    envelope_signer_from_key(&s, key, cert, false) < 0 ||
		    evproof_make(s.sign, s.ctx, s.cert_hash, ppath, cl.key, time(NULL), pv, sizeof(pv)) < 0) {
			fprintf(stderr, "cannot load the key/cert or sign\n");
			goto out;
		}
		snprintf(proof, sizeof(proof), EVPROOF_HEADER ": %s", pv);
		hdrs[1] = proof;
	}
	rc = attempt(url, ca, hdrs);
	if (twice)
		rc |= attempt(url, ca, hdrs);
out:
	envelope_signer_clear(&s);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}
