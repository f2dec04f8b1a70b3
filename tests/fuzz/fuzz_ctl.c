// SPDX-License-Identifier: Apache-2.0
/* The controller fixture of the fuzz harnesses (see fuzz_ctl.h). */
#include "fuzz_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "schema.h"
#include "store.h"
#include "devcache.h"
#include "replay.h"
#include "device_api.h"
#include "devices.h"
#include "follow.h"
#include "onboard.h"

static struct fuzz_ctl fixture;
static char scratch[256];

static void scratch_remove(void)
{
	char cmd[300];

	if (scratch[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: could not remove %s\n", scratch);
	}
}

/* A fresh P-256 key with a self-signed certificate, as a signer. */
static int make_signer(struct eve_signer *s, const char *cn, bool hash_pem, X509 **cert_out)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = crypto_ec_generate(&key);

	if (r == 0)
		r = crypto_cert_selfsigned(key, cn, 3650, &cert);
	if (r == 0)
		r = envelope_signer_from_key(s, key, cert, hash_pem);
	EVP_PKEY_free(key);
	if (r == 0 && cert_out)
		*cert_out = cert;
	else
		X509_free(cert);
	return r;
}

static int add_parties(struct fuzz_ctl *f)
{
	struct store *d = store_get(f->c.db);
	struct device_new n = {.serial = "fuzz-serial", .registered = true};
	X509 *dev = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct p256_cert pc;
	json_t *obj = NULL;
	int r = make_signer(&f->onboard, "fuzz-onboard", false, NULL);

	if (r == 0)
		r = onboard_add(d, f->onboard.cert_pem, strlen(f->onboard.cert_pem), "[\"*\"]", &obj);
	json_decref(obj);
	if (r == 0)
		r = make_signer(&f->dev, "fuzz-device", false, &dev);
	if (r == 0)
		r = crypto_cert_to_der(dev, &der, &der_len);
	if (r == 0)
		r = p256_cert_parse(der, der_len, &pc);
	n.cert = &pc;
	if (r == 0)
		r = devices_create(&f->c, d, &n, f->uuid);
	if (r == 0)
		r = store_exec(d, "PRAGMA synchronous=OFF");
	X509_free(dev);
	free(der);
	store_put(f->c.db, d);
	return r;
}

static int fixture_init(struct fuzz_ctl *f)
{
	const char *base = fuzz_tmp_base();
	char path[300];
	int r;

	snprintf(scratch, sizeof(scratch), "%s/evefuzz-ctl-XXXXXX", base);
	if (!mkdtemp(scratch))
		return -errno;
	atexit(scratch_remove);
	snprintf(f->c.dir, sizeof(f->c.dir), "%s", scratch);
	conf_defaults(&f->c.conf);
	/* Small retention: trimming stays cheap over millions of inputs. */
	f->c.conf.logs_max = 1000;
	f->c.conf.info_max = 100;
	f->c.conf.metrics_max = 100;
	f->c.conf.flowlog_max = 100;
	snprintf(path, sizeof(path), "%s/%s", scratch, CTL_DB_FILE);
	r = schema_pool_open(path, 1, &f->c.db, NULL, 0);
	if (r == 0)
		r = make_signer(&f->c.signer, "fuzz-controller", true, NULL);
	if (r == 0) {
		f->c.ecdh_pem = strdup(f->c.signer.cert_pem);
		r = f->c.ecdh_pem ? device_api_build_certs(&f->c) : -ENOMEM;
	}
	if (r == 0)
		r = devcache_new(&f->c.cache);
	if (r == 0)
		r = follow_hub_new(4, &f->c.follow);
	/* as server.c: the replay guard of device requests */
	if (r == 0 && !(f->c.replay = replay_new()))
		r = -ENOMEM;
	if (r == 0)
		r = add_parties(f);
	if (r == 0)
		r = uuidgen_v4(f->app);
	return r;
}

struct fuzz_ctl *fuzz_ctl_get(void)
{
	static bool done;

	if (!done) {
		int r = fixture_init(&fixture);

		if (r < 0) {
			fprintf(stderr, "fuzz: controller fixture: error %d\n", r);
			abort();
		}
		done = true;
	}
	return &fixture;
}

static const struct http_route *find_route(const char *method, const char *pattern)
{
	char full[256];
	const struct http_route *rt;

	snprintf(full, sizeof(full), "%s%s", DEVAPI_PREFIX, pattern);
	for (rt = device_api_routes; rt->method; rt++)
		if (!strcmp(rt->method, method) && !strcmp(rt->pattern, full))
			return rt;
	return NULL;
}

unsigned fuzz_ctl_call(struct fuzz_ctl *f, const char *method, const char *pattern, const uint8_t *body,
		       size_t len)
{
	const struct http_route *rt = find_route(method, pattern);
	struct http_req r = {.ctl = &f->c, .method = method, .url = pattern};
	size_t cap;

	FUZZ_CHECK(rt != NULL, "no such device-API route");
	cap = rt->body_cap ? rt->body_cap : (size_t)f->c.conf.cap_body;
	if (len > cap)
		return 413;
	r.route = rt;
	r.params[0] = f->uuid;
	r.params[1] = f->app;
	r.nparams = strstr(pattern, "/apps/") ? 2 : strstr(pattern, "/id/") ? 1 : 0;
	buf_init(&r.body, cap);
	FUZZ_CHECK(buf_append(&r.body, body, len) == 0, "body copy");
	rt->fn(&r);
	FUZZ_CHECK(r.status >= 200 && r.status < 600, "handler replied");
	if (r.resp)
		MHD_destroy_response(r.resp);
	if (r.on_done)
		r.on_done(&r);
	buf_free(&r.body);
	return r.status;
}
