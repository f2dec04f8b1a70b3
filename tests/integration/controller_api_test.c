// SPDX-License-Identifier: Apache-2.0
/* Integration test of eve-controller over real TLS and a real SQLite file:
 * a device built on the common library (devapi + envelope + crypto)
 * registers, polls config, reports; the admin API is driven with libcurl;
 * refusals must leave the database unchanged; a restart keeps everything.
 * usage: controller_api_itest EVE_CONTROLLER WORKDIR PORT */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "b64.h"
#include "buf.h"
#include "certs/certs.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "devapi.h"
#include "envelope.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "fileio.h"
#include "flowlog/flowlog.pb-c.h"
#include "hexstr.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "auth/auth.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

static const char *g_bin, *g_dir;
static char g_server[64], g_url[96], g_ca[512], g_token[128];
static pid_t g_pid = -1;
static int g_failures;

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                      \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fprintf(stderr, "\n");                                                               \
			g_failures++;                                                                        \
			die();                                                                               \
		}                                                                                            \
	} while (0)

static void stop_controller(void)
{
	if (g_pid <= 0)
		return;
	kill(g_pid, SIGTERM);
	int st;
	for (int i = 0; i < 300; i++) {
		if (waitpid(g_pid, &st, WNOHANG) == g_pid) {
			g_pid = -1;
			return;
		}
		usleep(100000);
	}
	kill(g_pid, SIGKILL);
	waitpid(g_pid, &st, 0);
	g_pid = -1;
}

static void die(void)
{
	stop_controller();
	exit(1);
}

static void on_signal(int sig)
{
	stop_controller();
	_exit(128 + sig);
}

static void run_init(int port)
{
	char listen[64], cmd[2048];
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' '%s.serve.log' && '%s' init --dir '%s' --listen %s > '%s.init.out' 2>&1", g_dir,
		 g_dir, g_bin, g_dir, listen, g_dir);
	CHECK(system(cmd) == 0, "init failed (see %s.init.out)", g_dir);
	char p[600];
	uint8_t *tok = NULL;
	size_t len;
	snprintf(p, sizeof(p), "%s/admin-token", g_dir);
	CHECK(fileio_read(p, 200, &tok, &len) == 0, "no admin-token");
	snprintf(g_token, sizeof(g_token), "%.*s", (int)strcspn((char *)tok, "\n"), (char *)tok);
	free(tok);
	snprintf(g_ca, sizeof(g_ca), "%s/device-config/root-certificate.pem", g_dir);
	snprintf(g_server, sizeof(g_server), "localhost:%d", port);
	snprintf(g_url, sizeof(g_url), "https://localhost:%d", port);
}

static void start_controller(void)
{
	char log[600];
	snprintf(log, sizeof(log), "%s.serve.log", g_dir);
	g_pid = fork();
	CHECK(g_pid >= 0, "fork");
	if (g_pid == 0) {
		FILE *f = freopen(log, "a", stderr);
		(void)f;
		execl(g_bin, g_bin, "serve", "--dir", g_dir, (char *)NULL);
		_exit(127);
	}
	struct devapi_opts o = {.server = g_server, .ca_path = g_ca, .timeout_s = 5};
	struct devapi *c = NULL;
	CHECK(devapi_new(&o, &c) == 0, "devapi_new");
	struct buf resp;
	buf_init(&resp, 1 << 16);
	for (int i = 0; i < 300; i++) {
		long status = 0;
		buf_reset(&resp);
		if (devapi_call(c, "GET", "/ping", NULL, 0, &status, &resp) == 0 && status == 200)
			break;
		CHECK(waitpid(g_pid, NULL, WNOHANG) == 0, "controller exited, see %s", log);
		usleep(100000);
	}
	buf_free(&resp);
	devapi_free(c);
}

/* --- admin API --- */

static size_t curl_sink(char *p, size_t sz, size_t n, void *ud)
{
	return buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* Returns the HTTP status; *out gets parsed JSON (or NULL). */
static long admin_raw(const char *method, const char *path, const void *body, long blen, const char *token,
		      json_t **out, struct buf *raw)
{
	CURL *h = curl_easy_init();
	char url[512], auth[200];
	struct buf b;
	buf_init(&b, 64u << 20);
	snprintf(url, sizeof(url), "%s%s", g_url, path);
	struct curl_slist *hdr = NULL;
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, raw ? raw : &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, blen);
	}
	long status = 0;
	CURLcode cr = curl_easy_perform(h);
	CHECK(cr == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(cr));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (out)
		*out = b.len ? json_loadb((char *)b.data, b.len, 0, NULL) : NULL;
	buf_free(&b);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

static long admin(const char *method, const char *path, json_t *body, json_t **out)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	long st = admin_raw(method, path, s, s ? (long)strlen(s) : 0, g_token, out, NULL);
	free(s);
	return st;
}

/* --- database snapshot (row counts of every table) --- */

static const char *const tables[] = {"tokens",      "onboard", "devices",       "images",
				     "networks",    "apps",    "app_instances", "info",
				     "info_latest", "metrics", "logs",          "flowlog"};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static void snapshot(int64_t counts[NTABLES], int64_t *versions)
{
	char p[600], sql[128];
	sqlite3 *db;
	snprintf(p, sizeof(p), "%s/controller.db", g_dir);
	CHECK(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open db");
	sqlite3_busy_timeout(db, 5000);
	for (size_t i = 0; i < NTABLES + 1; i++) {
		sqlite3_stmt *st;
		if (i < NTABLES)
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		else
			snprintf(sql, sizeof(sql),
				 "SELECT coalesce(sum(config_version + reboot_counter), 0) FROM devices");
		CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sql);
		CHECK(sqlite3_step(st) == SQLITE_ROW, "%s", sql);
		if (i < NTABLES)
			counts[i] = sqlite3_column_int64(st, 0);
		else
			*versions = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* --- a device --- */

struct dev {
	EVP_PKEY *key;
	X509 *cert;
	struct eve_signer signer;
	struct devapi *api;
	char uuid[40];
	char cfg_hash[80];
};

static void dev_new(struct dev *d, const char *cn)
{
	memset(d, 0, sizeof(*d));
	CHECK(crypto_ec_generate(&d->key) == 0, "keygen");
	CHECK(crypto_cert_selfsigned(d->key, cn, 365, &d->cert) == 0, "cert");
	CHECK(envelope_signer_from_key(&d->signer, d->key, d->cert, false) == 0, "signer");
	struct devapi_opts o = {.server = g_server, .ca_path = g_ca, .timeout_s = 30};
	CHECK(devapi_new(&o, &d->api) == 0, "devapi");
}

static void dev_free(struct dev *d)
{
	envelope_signer_clear(&d->signer);
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
	devapi_free(d->api);
}

/* Signed call; returns the status, response in resp (caller's buf). */
static long dev_call_as(struct dev *d, const struct eve_signer *s, const char *method, const char *path,
			const uint8_t *payload, size_t len, bool with_cert, struct buf *resp)
{
	uint8_t *env = NULL;
	size_t elen;
	CHECK(envelope_seal(s, payload, len, with_cert, &env, &elen) == 0, "seal");
	long status = 0;
	buf_reset(resp);
	int r = devapi_call(d->api, method, path, env, elen, &status, resp);
	free(env);
	CHECK(r == 0, "%s %s: %s", method, path, eve_strerror(r));
	return status;
}

static long dev_call(struct dev *d, const char *path, const uint8_t *payload, size_t len, struct buf *resp)
{
	return dev_call_as(d, &d->signer, "POST", path, payload, len, false, resp);
}

static long raw_call(struct dev *d, const char *path, const uint8_t *body, size_t len)
{
	struct buf resp;
	buf_init(&resp, 1 << 20);
	long status = 0;
	int r = devapi_call(d->api, "POST", path, body, len, &status, &resp);
	buf_free(&resp);
	CHECK(r == 0, "%s: %s", path, eve_strerror(r));
	return status;
}

/* Open and verify a controller response with the signing cert. */
static EVP_PKEY *g_signing_pub;
static uint8_t g_signing_hash[32];

static int open_sealed(const struct buf *resp, uint8_t **payload, size_t *len)
{
	struct envelope env = {0};
	int r = envelope_parse(resp->data, resp->len, &env);
	if (r == 0 && !envelope_cert_hash_matches(&env, g_signing_hash))
		r = -EVE_EBADCERT;
	if (r == 0)
		r = envelope_verify(&env, g_signing_pub);
	if (r == 0) {
		*payload = malloc(env.payload_len + 1);
		memcpy(*payload, env.payload, env.payload_len);
		*len = env.payload_len;
	}
	envelope_clear(&env);
	return r;
}

static void test_certs(struct dev *d)
{
	struct buf resp;
	buf_init(&resp, 1 << 20);
	long status = 0;
	CHECK(devapi_call(d->api, "GET", "/certs", NULL, 0, &status, &resp) == 0 && status == 200,
	      "certs %ld", status);
	struct envelope env = {0};
	CHECK(envelope_parse(resp.data, resp.len, &env) == 0, "certs envelope");
	Org__Lfedge__Eve__Certs__ZControllerCert *zc =
	    org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, env.payload_len, env.payload);
	CHECK(zc && zc->n_certs >= 2, "ZControllerCert");
	X509 *root = NULL, *signing = NULL;
	CHECK(crypto_cert_load_pem(g_ca, &root) == 0, "root");
	for (size_t i = 0; i < zc->n_certs; i++) {
		Org__Lfedge__Eve__Certs__ZCert *z = zc->certs[i];
		X509 *x = NULL;
		CHECK(crypto_cert_from_pem((const char *)z->cert.data, z->cert.len, &x) == 0, "cert %zu", i);
		CHECK(crypto_chain_verify(x, NULL, 0, root) == 0, "cert %zu does not chain to the root", i);
		uint8_t h[32];
		crypto_sha256(z->cert.data, z->cert.len, h);
		CHECK(z->certhash.len >= 16 && !memcmp(h, z->certhash.data, z->certhash.len), "certHash %zu",
		      i);
		if (z->type == ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING) {
			signing = x;
			memcpy(g_signing_hash, h, 32);
		} else {
			X509_free(x);
		}
	}
	CHECK(signing, "no signing cert");
	g_signing_pub = X509_get_pubkey(signing);
	CHECK(envelope_cert_hash_matches(&env, g_signing_hash),
	      "envelope senderCertHash is not the signing cert");
	CHECK(envelope_verify(&env, g_signing_pub) == 0, "certs envelope signature");
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(zc, NULL);
	envelope_clear(&env);
	X509_free(signing);
	X509_free(root);
	buf_free(&resp);
	printf("ok certs: chain verifies against the root, envelope signed\n");
}

static long dev_register(struct dev *d, const struct eve_signer *onboard, const char *serial)
{
	char *pem = NULL;
	size_t pl;
	CHECK(crypto_cert_to_pem(d->cert, &pem, &pl) == 0, "pem");
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	m.pemcert.data = (uint8_t *)pem;
	m.pemcert.len = pl;
	m.serial = (char *)serial;
	size_t n = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	uint8_t *p = malloc(n);
	org__lfedge__eve__register__zregister_msg__pack(&m, p);
	struct buf resp;
	buf_init(&resp, 1 << 16);
	long st = dev_call_as(d, onboard, "POST", "/register", p, n, true, &resp);
	buf_free(&resp);
	free(p);
	free(pem);
	return st;
}

static void dev_uuid(struct dev *d)
{
	struct buf resp;
	buf_init(&resp, 1 << 16);
	Org__Lfedge__Eve__Uuid__UuidRequest q = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	uint8_t pb[16];
	size_t n = org__lfedge__eve__uuid__uuid_request__pack(&q, pb);
	CHECK(dev_call(d, "/uuid", pb, n, &resp) == 200, "uuid");
	uint8_t *pl = NULL;
	size_t len;
	CHECK(open_sealed(&resp, &pl, &len) == 0, "uuid response not signed by the controller");
	Org__Lfedge__Eve__Uuid__UuidResponse *u =
	    org__lfedge__eve__uuid__uuid_response__unpack(NULL, len, pl);
	CHECK(u && strlen(u->uuid) == 36, "UuidResponse");
	snprintf(d->uuid, sizeof(d->uuid), "%s", u->uuid);
	org__lfedge__eve__uuid__uuid_response__free_unpacked(u, NULL);
	free(pl);
	buf_free(&resp);
}

/* Poll config with d->cfg_hash; returns the status; on 200 updates the
 * hash and (optionally) hands back the config. */
static long dev_config(struct dev *d, const char *method, Org__Lfedge__Eve__Config__EdgeDevConfig **cfg_out)
{
	char path[128];
	snprintf(path, sizeof(path), "/id/%s/config", d->uuid);
	Org__Lfedge__Eve__Config__ConfigRequest q = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	q.confighash = d->cfg_hash;
	uint8_t pb[256];
	size_t n = org__lfedge__eve__config__config_request__pack(&q, pb);
	struct buf resp;
	buf_init(&resp, 8 << 20);
	long st = dev_call_as(d, &d->signer, method, path, pb, n, false, &resp);
	if (st == 200) {
		uint8_t *pl = NULL;
		size_t len;
		CHECK(open_sealed(&resp, &pl, &len) == 0, "config response not signed by the controller");
		Org__Lfedge__Eve__Config__ConfigResponse *cr =
		    org__lfedge__eve__config__config_response__unpack(NULL, len, pl);
		CHECK(cr && cr->config && strlen(cr->confighash) == 64, "ConfigResponse");
		CHECK(!strcmp(cr->config->id->uuid, d->uuid), "config is for %s", cr->config->id->uuid);
		snprintf(d->cfg_hash, sizeof(d->cfg_hash), "%s", cr->confighash);
		if (cfg_out) {
			*cfg_out = cr->config;
			cr->config = NULL;
		}
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
		free(pl);
	} else {
		CHECK(st != 304 || resp.len == 0, "304 with a body");
	}
	buf_free(&resp);
	return st;
}

/* libcurl GET with a body (devapi sends bodies only with POST). */
static long get_config_with_body(struct dev *d)
{
	Org__Lfedge__Eve__Config__ConfigRequest q = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	q.confighash = d->cfg_hash;
	uint8_t pb[256], *env = NULL;
	size_t n = org__lfedge__eve__config__config_request__pack(&q, pb), elen;
	CHECK(envelope_seal(&d->signer, pb, n, false, &env, &elen) == 0, "seal");
	char path[200];
	snprintf(path, sizeof(path), "/api/v2/edgedevice/id/%s/config", d->uuid);
	struct buf b;
	buf_init(&b, 1 << 20);
	long st = admin_raw("GET", path, env, (long)elen, NULL, NULL, &b);
	buf_free(&b);
	free(env);
	return st;
}

static void test_register(struct dev *a, struct dev *b, const struct eve_signer *onboard)
{
	CHECK(dev_register(a, onboard, "SERIAL-A") == 201, "first register");
	CHECK(dev_register(a, onboard, "SERIAL-A") == 200, "same device again");
	CHECK(dev_register(b, onboard, "SERIAL-A") == 409, "serial taken by another device");
	/* An onboarding cert the controller does not know. */
	struct dev stranger;
	dev_new(&stranger, "stranger-onboard");
	CHECK(dev_register(b, &stranger.signer, "SERIAL-B") == 403, "unknown onboarding cert");
	/* A known onboarding cert restricted to one serial. */
	char *pem = NULL;
	size_t pl;
	CHECK(crypto_cert_to_pem(stranger.cert, &pem, &pl) == 0, "pem");
	json_t *res = NULL;
	CHECK(admin("POST", "/api/v1/onboard", json_pack("{s:s, s:[s]}", "cert", pem, "serials", "SERIAL-B"),
		    &res) == 201,
	      "add onboard");
	json_decref(res);
	CHECK(admin("POST", "/api/v1/onboard", json_pack("{s:s, s:[s]}", "cert", pem, "serials", "X"),
		    NULL) == 409,
	      "onboard twice");
	CHECK(dev_register(b, &stranger.signer, "SERIAL-C") == 403, "serial not allowed");
	CHECK(dev_register(b, &stranger.signer, "SERIAL-B") == 201, "allowed serial");
	free(pem);
	dev_free(&stranger);
	dev_uuid(a);
	dev_uuid(b);
	CHECK(strcmp(a->uuid, b->uuid), "distinct uuids");
	printf("ok register: 201, 200, 409, 403 (unknown cert), 403 (serial), uuid\n");
}

static void test_config(struct dev *a)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg = NULL;
	a->cfg_hash[0] = 0;
	CHECK(dev_config(a, "POST", &cfg) == 200, "first config");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	char first[80];
	snprintf(first, sizeof(first), "%s", a->cfg_hash);
	CHECK(dev_config(a, "POST", NULL) == 304, "current hash gives 304");
	CHECK(get_config_with_body(a) == 304, "GET config (with an AuthContainer body) too");
	char cpath[160];
	snprintf(cpath, sizeof(cpath), "/id/%s/config", a->uuid);
	struct buf rb;
	buf_init(&rb, 1 << 16);
	long gst = 0;
	CHECK(devapi_call(a->api, "GET", cpath, NULL, 0, &gst, &rb) == 0 && gst == 401,
	      "GET config without a body");
	buf_free(&rb);
	char path[160];
	snprintf(path, sizeof(path), "/api/v1/devices/%s/config-items", a->uuid);
	json_t *res = NULL;
	CHECK(admin("PUT", path, json_pack("{s:s}", "timer.config.interval", "10"), &res) == 200,
	      "config items");
	json_decref(res);
	CHECK(dev_config(a, "POST", &cfg) == 200, "config after an admin change");
	CHECK(strcmp(first, a->cfg_hash), "hash changed");
	bool found = false;
	for (size_t i = 0; i < cfg->n_configitems; i++)
		found |= !strcmp(cfg->configitems[i]->key, "timer.config.interval") &&
			 !strcmp(cfg->configitems[i]->value, "10");
	CHECK(found, "config item delivered");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(dev_config(a, "POST", NULL) == 304, "304 again");
	/* The admin view shows the same hash. */
	snprintf(path, sizeof(path), "/api/v1/devices/%s/config", a->uuid);
	CHECK(admin("GET", path, NULL, &res) == 200, "admin config");
	CHECK(!strcmp(json_string_value(json_object_get(res, "configHash")) ?: "", a->cfg_hash),
	      "admin configHash");
	json_decref(res);
	printf("ok config: 200, 304, 200 after an admin change, GET accepted\n");
}

static size_t pack_msg(const ProtobufCMessage *m, uint8_t **out)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	*out = malloc(n ? n : 1);
	protobuf_c_message_pack(m, *out);
	return n;
}

static long send_msg(struct dev *d, const char *what, const ProtobufCMessage *m)
{
	char path[160];
	snprintf(path, sizeof(path), "/id/%s/%s", d->uuid, what);
	uint8_t *p;
	size_t n = pack_msg(m, &p);
	struct buf resp;
	buf_init(&resp, 1 << 16);
	long st = dev_call(d, path, p, n, &resp);
	buf_free(&resp);
	free(p);
	return st;
}

static size_t gzip_text(const char *text, uint8_t **out)
{
	z_stream z = {0};
	size_t cap = compressBound(strlen(text)) + 64;
	*out = malloc(cap);
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	size_t n = z.total_out;
	deflateEnd(&z);
	return n;
}

static int64_t admin_count(const char *path)
{
	json_t *res = NULL;
	CHECK(admin("GET", path, NULL, &res) == 200, "GET %s", path);
	int64_t n = (int64_t)json_array_size(json_object_get(res, "items"));
	json_decref(res);
	return n;
}

static void test_reports(struct dev *a)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	ts.seconds = time(NULL);
	Org__Lfedge__Eve__Info__ZInfoDevSW sw = ORG__LFEDGE__EVE__INFO__ZINFO_DEV_SW__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevSW *swp = &sw;
	sw.activated = 1;
	sw.shortversion = "9.9.9-test";
	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	di.ncpu = 2;
	di.n_swlist = 1;
	di.swlist = &swp;
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	im.devid = a->uuid;
	im.attimestamp = &ts;
	im.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	im.dinfo = &di;
	CHECK(send_msg(a, "info", &im.base) == 201, "info");

	Org__Lfedge__Eve__Metrics__DeviceMetric dm = ORG__LFEDGE__EVE__METRICS__DEVICE_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = a->uuid;
	mm.attimestamp = &ts;
	mm.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	mm.dm = &dm;
	CHECK(send_msg(a, "metrics", &mm.base) == 201, "metrics");

	Org__Lfedge__Eve__Logs__LogEntry le[2] = {ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__INIT,
						  ORG__LFEDGE__EVE__LOGS__LOG_ENTRY__INIT};
	Org__Lfedge__Eve__Logs__LogEntry *lep[2] = {&le[0], &le[1]};
	le[0].content = "bundle line one";
	le[0].source = "zedagent";
	le[0].severity = "info";
	le[0].timestamp = &ts;
	le[1].content = "bundle line two";
	Org__Lfedge__Eve__Logs__LogBundle lb = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	lb.devid = a->uuid;
	lb.n_log = 2;
	lb.log = lep;
	CHECK(send_msg(a, "logs", &lb.base) == 201, "logs");

	Org__Lfedge__Eve__Flowlog__FlowMessage fm = ORG__LFEDGE__EVE__FLOWLOG__FLOW_MESSAGE__INIT;
	fm.devid = a->uuid;
	CHECK(send_msg(a, "flowlog", &fm.base) == 201, "flowlog");

	/* Device times two minutes ago: inside retention.logs_days (a fixed
	 * date falls out of it one day, and the first retention pass, a second
	 * after a restart, then deletes these lines under test_restart's feet). */
	uint8_t *gz = NULL;
	char lines[512], iso[32];
	time_t t2 = time(NULL) - 120;
	struct tm tm2;
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t2, &tm2));
	snprintf(lines, sizeof(lines),
		 "{\"severity\":\"warning\",\"source\":\"nim\",\"content\":\"newlog one\","
		 "\"timestamp\":\"%s\"}\n"
		 "{\"severity\":\"info\",\"source\":\"nim\",\"content\":\"newlog two\","
		 "\"timestamp\":{\"seconds\":%lld,\"nanos\":5}}\n",
		 iso, (long long)t2);
	size_t gl = gzip_text(lines, &gz);
	char path[200];
	struct buf resp;
	buf_init(&resp, 1 << 16);
	snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
	CHECK(dev_call(a, path, gz, gl, &resp) == 201, "newlogs");
	free(gz);
	/* logs of an app instance that is not deployed to a: refused */
	gl = gzip_text("{\"content\":\"app console line\"}\n", &gz);
	snprintf(path, sizeof(path), "/id/%s/apps/instanceid/%s/newlogs", a->uuid,
		 "11111111-2222-4333-8444-555555555555");
	CHECK(dev_call(a, path, gz, gl, &resp) == 403, "app newlogs of an instance not on this device");
	free(gz);
	buf_free(&resp);

	snprintf(path, sizeof(path), "/api/v1/devices/%s/info", a->uuid);
	CHECK(admin_count(path) == 1, "info stored");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/metrics", a->uuid);
	CHECK(admin_count(path) == 1, "metrics stored");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs", a->uuid);
	CHECK(admin_count(path) == 4, "4 log lines stored");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs?limit=2", a->uuid);
	json_t *res = NULL;
	CHECK(admin("GET", path, NULL, &res) == 200, "logs page");
	const char *next = json_string_value(json_object_get(res, "next"));
	CHECK(next && json_array_size(json_object_get(res, "items")) == 2, "paged");
	CHECK(!strcmp(
		  json_string_value(json_object_get(json_array_get(json_object_get(res, "items"), 0), "msg"))
		      ?: "",
		  "newlog two"),
	      "newest first");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs?limit=10&before=%s", a->uuid, next);
	json_decref(res);
	CHECK(admin_count(path) == 2, "second page");
	snprintf(path, sizeof(path), "/api/v1/devices/%s", a->uuid);
	CHECK(admin("GET", path, NULL, &res) == 200, "device");
	CHECK(!strcmp(json_string_value(json_object_get(res, "os_version")) ?: "", "9.9.9-test"),
	      "os_version");
	CHECK(!strcmp(json_string_value(json_object_get(res, "state")) ?: "", "online"), "online");
	CHECK(json_integer_value(json_object_get(json_object_get(res, "info"), "ncpu")) == 2, "latest info");
	json_decref(res);
	printf("ok reports: info, metrics, logs, newlogs, flowlog stored and readable; app logs of a "
	       "foreign instance 403\n");
}

struct follow_ctx {
	char url[300];
	struct buf got;
	pthread_mutex_t mu;
	volatile int headers, stop;
	long status;
};

static size_t follow_sink(char *p, size_t sz, size_t n, void *ud)
{
	struct follow_ctx *f = ud;
	pthread_mutex_lock(&f->mu);
	buf_append(&f->got, p, sz * n);
	pthread_mutex_unlock(&f->mu);
	return sz * n;
}

static size_t follow_header(char *p, size_t sz, size_t n, void *ud)
{
	((struct follow_ctx *)ud)->headers = 1;
	return sz * n;
}

static int follow_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	return ((struct follow_ctx *)ud)->stop;
}

static void *follow_thread(void *arg)
{
	struct follow_ctx *f = arg;
	char auth[200];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", g_token);
	struct curl_slist *hdr = curl_slist_append(NULL, auth);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, f->url);
	curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, follow_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, follow_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, follow_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, f);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	return NULL;
}

/* follow=1 streams a line posted after the stream started. */
static void test_follow(struct dev *a)
{
	static struct follow_ctx f;
	pthread_t t;
	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.mu, NULL);
	buf_init(&f.got, 1 << 20);
	snprintf(f.url, sizeof(f.url), "%s/api/v1/devices/%s/logs?follow=1", g_url, a->uuid);
	CHECK(pthread_create(&t, NULL, follow_thread, &f) == 0, "thread");
	for (int i = 0; i < 300 && !f.headers; i++)
		usleep(20000);
	CHECK(f.headers, "follow stream did not start");
	uint8_t *gz = NULL;
	size_t gl = gzip_text("{\"content\":\"followed line\"}\n", &gz);
	char path[200];
	struct buf resp;
	buf_init(&resp, 1 << 16);
	snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
	CHECK(dev_call(a, path, gz, gl, &resp) == 201, "newlogs while following");
	free(gz);
	buf_free(&resp);
	bool seen = false;
	for (int i = 0; i < 500 && !seen; i++) {
		pthread_mutex_lock(&f.mu);
		seen = f.got.len && strstr((char *)f.got.data, "followed line");
		pthread_mutex_unlock(&f.mu);
		if (!seen)
			usleep(20000);
	}
	f.stop = 1;
	pthread_join(t, NULL);
	CHECK(seen, "followed line not streamed");
	CHECK(f.status == 200, "follow status %ld", f.status);
	buf_free(&f.got);
	printf("ok follow: a new log line is streamed to a follow=1 client\n");
}

static void test_refusals(struct dev *a, struct dev *b)
{
	int64_t before[NTABLES], after[NTABLES], v0, v1;
	snapshot(before, &v0);
	char path[200];
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = a->uuid;
	uint8_t *p;
	size_t n = pack_msg(&mm.base, &p);
	struct buf resp;
	buf_init(&resp, 1 << 16);
	snprintf(path, sizeof(path), "/id/%s/metrics", a->uuid);

	/* bad signature: right senderCertHash, wrong key */
	struct dev forger;
	dev_new(&forger, "forger");
	struct eve_signer fake = forger.signer;
	memcpy(fake.cert_hash, a->signer.cert_hash, 32);
	CHECK(dev_call_as(a, &fake, "POST", path, p, n, false, &resp) == 401, "bad signature");
	/* unknown certificate */
	CHECK(dev_call_as(a, &forger.signer, "POST", path, p, n, false, &resp) == 401, "unknown cert");
	/* a registered device naming another device in the path */
	snprintf(path, sizeof(path), "/id/%s/metrics", b->uuid);
	CHECK(dev_call(a, path, p, n, &resp) == 403, "wrong uuid");
	snprintf(path, sizeof(path), "/id/%s/config", b->uuid);
	CHECK(dev_call(a, path, p, 0, &resp) == 403, "wrong uuid (config)");
	/* oversize */
	size_t big = 5u << 20;
	uint8_t *blob = calloc(1, big);
	snprintf(path, sizeof(path), "/id/%s/metrics", a->uuid);
	CHECK(dev_call(a, path, blob, big, &resp) == 413, "oversize body");
	CHECK(raw_call(a, path, blob, big) == 413, "oversize raw body");
	/* garbage: not an envelope; an envelope around garbage */
	RAND_bytes(blob, 4096);
	CHECK(raw_call(a, path, blob, 4096) == 400, "garbage body");
	CHECK(raw_call(a, "/register", blob, 4096) == 400, "garbage register");
	memset(blob, 0xff, 64);
	CHECK(dev_call(a, path, blob, 64, &resp) == 400, "garbage protobuf");
	snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
	CHECK(dev_call(a, path, blob, 64, &resp) == 400, "garbage gzip");
	free(blob);
	/* admin without / with a wrong token */
	const char *spec = "{\"name\":\"x\"}";
	CHECK(admin_raw("POST", "/api/v1/tokens", spec, (long)strlen(spec), NULL, NULL, NULL) == 401,
	      "no token");
	CHECK(admin_raw("POST", "/api/v1/tokens", spec, (long)strlen(spec), "eve_nope", NULL, NULL) == 401,
	      "bad token");
	CHECK(admin_raw("DELETE", "/api/v1/onboard/abc", NULL, 0, NULL, NULL, NULL) == 401,
	      "no token delete");
	snprintf(path, sizeof(path), "/api/v1/devices/%s", a->uuid);
	CHECK(admin_raw("DELETE", path, NULL, 0, NULL, NULL, NULL) == 401, "no token device delete");
	CHECK(admin_raw("POST", "/api/v1/apps", "{garbage", 8, g_token, NULL, NULL) == 400, "malformed JSON");
	buf_free(&resp);
	free(p);
	dev_free(&forger);
	snapshot(after, &v1);
	for (size_t i = 0; i < NTABLES; i++)
		CHECK(before[i] == after[i], "table %s changed: %lld -> %lld", tables[i],
		      (long long)before[i], (long long)after[i]);
	CHECK(v0 == v1, "device versions changed");
	printf("ok refusals: bad signature, unknown cert, wrong uuid, oversize, garbage, no token: DB "
	       "unchanged\n");
}

static long download(const char *path, const char *range, struct buf *out)
{
	CURL *h = curl_easy_init();
	char url[512];
	snprintf(url, sizeof(url), "%s%s", g_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (range)
		curl_easy_setopt(h, CURLOPT_RANGE, range);
	long status = 0;
	CHECK(curl_easy_perform(h) == CURLE_OK, "download %s", path);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static int dir_entries(const char *sub)
{
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "ls -A '%s/datastore/%s' 2>/dev/null | wc -l", g_dir, sub);
	FILE *f = popen(cmd, "r");
	int n = -1;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

static char g_image_sha[65];

/* A tar header for an empty file name at p: uploads registered as OCI
 * must be a tar with index.json (the controller checks). */
static void tar_header(uint8_t *p, const char *name)
{
	unsigned sum = 0;
	memset(p, 0, 512);
	snprintf((char *)p, 100, "%s", name);
	memcpy(p + 100, "0000644", 8);
	memcpy(p + 124, "00000000000", 12);
	memcpy(p + 257, "ustar", 6);
	memset(p + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += p[i];
	snprintf((char *)p + 148, 8, "%06o", sum);
}

static void test_images(void)
{
	size_t n = 3u << 20;
	uint8_t *data = malloc(n), h[32];
	RAND_bytes(data, (int)n);
	tar_header(data, "index.json");
	crypto_sha256(data, n, h);
	hexstr_encode(h, 32, g_image_sha);
	json_t *res = NULL;
	CHECK(admin("POST", "/api/v1/images",
		    json_pack("{s:s, s:s, s:s, s:I}", "name", "blob", "sha256", g_image_sha, "format", "oci",
			      "size", (json_int_t)n),
		    &res) == 201,
	      "register image");
	CHECK(!strcmp(json_string_value(json_object_get(res, "state")) ?: "", "pending"), "pending");
	json_decref(res);
	/* a wrong hash: 422 and nothing kept */
	char wrong[65];
	memset(wrong, 'a', 64);
	wrong[64] = 0;
	CHECK(admin("POST", "/api/v1/images",
		    json_pack("{s:s, s:s, s:s}", "name", "wrong", "sha256", wrong, "format", "raw"),
		    NULL) == 201,
	      "register wrong");
	int blobs0 = dir_entries("sha256");
	CHECK(admin_raw("PUT", "/api/v1/images/wrong/data", data, (long)n, g_token, NULL, NULL) == 422,
	      "mismatch");
	CHECK(dir_entries("sha256") == blobs0 && dir_entries("tmp") <= 0, "nothing kept after a mismatch");
	CHECK(admin("GET", "/api/v1/images/wrong", NULL, &res) == 200, "get wrong");
	CHECK(!strcmp(json_string_value(json_object_get(res, "state")) ?: "", "pending"), "still pending");
	json_decref(res);
	CHECK(admin_raw("PUT", "/api/v1/images/blob/data", data, (long)n, g_token, &res, NULL) == 200,
	      "upload");
	CHECK(!strcmp(json_string_value(json_object_get(res, "state")) ?: "", "ready"), "ready");
	json_decref(res);
	char path[200];
	snprintf(path, sizeof(path), "/datastore/sha256/%s", g_image_sha);
	struct buf b;
	buf_init(&b, 8u << 20);
	CHECK(download(path, NULL, &b) == 200 && b.len == n && !memcmp(b.data, data, n), "download");
	buf_reset(&b);
	CHECK(download(path, "1000-1999", &b) == 206 && b.len == 1000 && !memcmp(b.data, data + 1000, 1000),
	      "range");
	buf_reset(&b);
	CHECK(download(path, "3145000-", &b) == 206 && b.len == n - 3145000, "open range");
	buf_reset(&b);
	CHECK(download(path, "99999999-", &b) == 416, "unsatisfiable range");
	buf_free(&b);
	CHECK(admin("DELETE", "/api/v1/images/wrong", NULL, NULL) == 204, "delete image");
	free(data);
	printf("ok images: 3 MiB upload hashed, mismatch 422 with nothing kept, download with Range\n");
}

static const Org__Lfedge__Eve__Config__AppInstanceConfig *
find_app(const Org__Lfedge__Eve__Config__EdgeDevConfig *c, const char *name)
{
	for (size_t i = 0; i < c->n_apps; i++)
		if (!strcmp(c->apps[i]->displayname, name))
			return c->apps[i];
	return NULL;
}

static void test_apps(struct dev *a, struct dev *b)
{
	json_t *res = NULL;
	CHECK(admin("POST", "/api/v1/networks",
		    json_pack("{s:s, s:s, s:s, s:s}", "name", "lan", "device", a->uuid, "type", "local",
			      "subnet", "10.1.0.0/24"),
		    &res) == 201,
	      "network");
	char net_id[40];
	snprintf(net_id, sizeof(net_id), "%s", json_string_value(json_object_get(res, "id")));
	json_decref(res);
	CHECK(
	    admin("POST", "/api/v1/apps",
		  json_pack(
		      "{s:s, s:s, s:s, s:i, s:i, s:[s], s:[{s:i, s:i}], s:{s:s}, s:[{s:s, s:[{s:s, s:s}]}]}",
		      "name", "web", "image", "blob", "device", a->uuid, "cpus", 2, "memory_mb", 128,
		      "networks", "lan", "ports", "host", 8080, "app", 80, "env", "K", "V", "acls", "network",
		      "lan", "matches", "type", "ip", "value", "0.0.0.0/0"),
		  &res) == 201,
	    "app");
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s, s:[{s:s, s:[{s:s, s:s}]}]}", "name", "badacl", "image", "blob",
			      "device", a->uuid, "acls", "network", "lan", "matches", "type", "port", "value",
			      "80"),
		    NULL) == 400,
	      "ACL match of an unknown type refused");
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s, s:s}", "name", "bad", "image", "blob", "device", a->uuid,
			      "ramdisk", "/boot/initrd.img"),
		    NULL) == 400,
	      "ramdisk without kernel refused");
	CHECK(json_array_size(json_object_get(res, "instances")) == 1, "one instance");
	char inst[40];
	snprintf(
	    inst, sizeof(inst), "%s",
	    json_string_value(json_object_get(json_array_get(json_object_get(res, "instances"), 0), "id")));
	json_decref(res);
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s}", "name", "web", "image", "blob", "device", a->uuid),
		    NULL) == 409,
	      "app name taken");
	CHECK(admin("DELETE", "/api/v1/images/blob", NULL, NULL) == 409, "image in use");

	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg = NULL;
	CHECK(dev_config(a, "POST", &cfg) == 200, "config with the app");
	const Org__Lfedge__Eve__Config__AppInstanceConfig *ac = find_app(cfg, "web");
	CHECK(ac && !strcmp(ac->uuidandversion->uuid, inst), "app instance in config");
	CHECK(ac->activate && ac->fixedresources->vcpus == 2 && ac->fixedresources->memory == 128 * 1024,
	      "resources");
	CHECK(ac->n_interfaces == 1 && !strcmp(ac->interfaces[0]->networkid, net_id), "interface");
	/* Port maps travel as EVE's ACEs: protocol + lport match, portmap action. */
	const Org__Lfedge__Eve__Config__ACE *ace =
	    ac->interfaces[0]->n_acls == 2 ? ac->interfaces[0]->acls[0] : NULL;
	CHECK(ace && ace->n_matches == 2 && !strcmp(ace->matches[0]->type, "protocol") &&
		  !strcmp(ace->matches[0]->value, "tcp") && !strcmp(ace->matches[1]->type, "lport") &&
		  !strcmp(ace->matches[1]->value, "8080") && ace->n_actions == 1 &&
		  ace->actions[0]->portmap && ace->actions[0]->appport == 80,
	      "port map as an ACE");
	ace = ace ? ac->interfaces[0]->acls[1] : NULL;
	CHECK(ace && ace->n_matches == 1 && !strcmp(ace->matches[0]->type, "ip") &&
		  !strcmp(ace->matches[0]->value, "0.0.0.0/0") && ace->n_actions == 0,
	      "manifest ACL as an allow ACE");
	CHECK(!*ac->fixedresources->kernel, "no kernel unless asked");
	CHECK(ac->n_volumereflist == 1 && cfg->n_volumes == 1 &&
		  !strcmp(ac->volumereflist[0]->uuid, cfg->volumes[0]->uuid),
	      "volume ref");
	uint8_t *ud = NULL;
	size_t udl;
	CHECK(b64_decode(ac->userdata, strlen(ac->userdata), &ud, &udl) == 0 && udl == 4 &&
		  !memcmp(ud, "K=V\n", 4),
	      "env in userData");
	free(ud);
	CHECK(cfg->n_contentinfo == 1 && cfg->n_datastores == 1, "content tree + datastore");
	/* EVE's rule: the device downloads fqdn/dpath/url of the datastore. */
	CHECK(!strcmp(cfg->contentinfo[0]->url, g_image_sha), "content url %s", cfg->contentinfo[0]->url);
	CHECK(!strcmp(cfg->contentinfo[0]->sha256, g_image_sha), "content sha");
	CHECK(cfg->datastores[0]->dtype == ORG__LFEDGE__EVE__CONFIG__DS_TYPE__DsHttps &&
		  !strcmp(cfg->contentinfo[0]->dsid, cfg->datastores[0]->id) &&
		  !strcmp(cfg->datastores[0]->fqdn, g_url) &&
		  !strcmp(cfg->datastores[0]->dpath, "datastore/sha256"),
	      "datastore %s %s", cfg->datastores[0]->fqdn, cfg->datastores[0]->dpath);
	char dl[300];
	snprintf(dl, sizeof(dl), "/%s/%s", cfg->datastores[0]->dpath, cfg->contentinfo[0]->url);
	struct buf blob;
	buf_init(&blob, 8u << 20);
	CHECK(download(dl, NULL, &blob) == 200 && blob.len == 3u << 20, "download via the datastore");
	buf_free(&blob);
	CHECK(cfg->n_networkinstances == 1 && !strcmp(cfg->networkinstances[0]->ip->gateway, "10.1.0.1"),
	      "network");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);

	CHECK(admin("POST", "/api/v1/apps/web/stop", NULL, NULL) == 202, "stop");
	CHECK(admin("POST", "/api/v1/apps/web/restart", NULL, NULL) == 202, "restart");
	CHECK(dev_config(a, "POST", &cfg) == 200, "config after stop");
	ac = find_app(cfg, "web");
	CHECK(ac && !ac->activate && ac->restart->counter == 1, "stopped, restart counter");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	/* Same spec again: no config change. */
	CHECK(
	    admin("PUT", "/api/v1/apps/web",
		  json_pack(
		      "{s:s, s:s, s:i, s:i, s:[s], s:[{s:i, s:i}], s:{s:s}, s:b, s:[{s:s, s:[{s:s, s:s}]}]}",
		      "image", "blob", "device", a->uuid, "cpus", 2, "memory_mb", 128, "networks", "lan",
		      "ports", "host", 8080, "app", 80, "env", "K", "V", "activate", 0, "acls", "network",
		      "lan", "matches", "type", "ip", "value", "0.0.0.0/0"),
		  NULL) == 200,
	    "put same");
	CHECK(dev_config(a, "POST", NULL) == 304, "unchanged spec keeps the hash");
	CHECK(admin("POST", "/api/v1/apps/web/start", NULL, NULL) == 202, "start");
	CHECK(dev_config(a, "POST", NULL) == 200, "config after start");

	/* Device reports the app RUNNING. */
	Org__Lfedge__Eve__Info__ZInfoApp ai = ORG__LFEDGE__EVE__INFO__ZINFO_APP__INIT;
	ai.appid = inst;
	ai.appname = "web";
	ai.state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING;
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp;
	im.devid = a->uuid;
	im.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
	im.ainfo = &ai;
	CHECK(send_msg(a, "info", &im.base) == 201, "app info");
	CHECK(admin("GET", "/api/v1/apps/web", NULL, &res) == 200, "get app");
	CHECK(!strcmp(json_string_value(
			  json_object_get(json_array_get(json_object_get(res, "instances"), 0), "state"))
			  ?: "",
		      "RUNNING"),
	      "RUNNING");
	json_decref(res);

	/* Selector apps follow labels. */
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/devices/%s", b->uuid);
	CHECK(admin("PATCH", path, json_pack("{s:{s:s}}", "labels", "site", "lab"), NULL) == 200, "label");
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:{s:s}}", "name", "fleet", "image", "blob", "selector", "site",
			      "lab"),
		    &res) == 201,
	      "selector app");
	CHECK(json_array_size(json_object_get(res, "instances")) == 1, "selector instance");
	json_decref(res);
	b->cfg_hash[0] = 0;
	CHECK(dev_config(b, "POST", &cfg) == 200 && find_app(cfg, "fleet"), "selector app in b's config");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(admin("PATCH", path, json_pack("{s:{}}", "labels"), NULL) == 200, "unlabel");
	CHECK(dev_config(b, "POST", &cfg) == 200 && !find_app(cfg, "fleet"), "selector app gone");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(admin("PATCH", path, json_pack("{s:{s:s}}", "labels", "site", "lab"), NULL) == 200,
	      "label again");
	CHECK(dev_config(b, "POST", NULL) == 200, "selector app back");
	printf("ok apps: network, app instance config, stop/restart counters, same spec = 304, selector\n");
}

/* ACLs (docs/firewall.md): an adapter without any gets one explicit
 * allow-all ACE; entries with protocol/port matches and a limit action
 * become matching ACEs; bad entries, port maps without a network and a
 * host port another app maps on the device are refused. */
static void test_acls(struct dev *a)
{
	json_t *res = NULL;
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s, s:[s]}", "name", "fwplain", "image", "blob", "device", a->uuid,
			      "networks", "lan"),
		    NULL) == 201,
	      "app without ACLs");
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack(
			"{s:s, s:s, s:s, s:[s], s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:[{s:b, s:i, s:s, "
			"s:i}]}, {s:s, s:[{s:s, s:s}]}]}",
			"name", "fwlim", "image", "blob", "device", a->uuid, "networks", "lan", "acls",
			"network", "lan", "matches", "type", "protocol", "value", "tcp", "type", "fport",
			"value", "443", "actions", "limit", 1, "limitrate", 10, "limitunit", "m",
			"limitburst", 3, "network", "lan", "matches", "type", "host", "value", "example.org"),
		    NULL) == 201,
	      "app with a limit ACE and a host ACE");
	static const char *const bad[][2] = {
	    {"ip", "10.0.0.0/33"}, {"host", "bad name"}, {"fport", "80"}, {"protocol", "tcpx"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(admin("POST", "/api/v1/apps",
			    json_pack("{s:s, s:s, s:s, s:[s], s:[{s:s, s:[{s:s, s:s}]}]}", "name", "fwbad",
				      "image", "blob", "device", a->uuid, "networks", "lan", "acls",
				      "network", "lan", "matches", "type", bad[i][0], "value", bad[i][1]),
			    NULL) == 400,
		      "bad ACL %s %s refused", bad[i][0], bad[i][1]);
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s, s:[{s:i, s:i}]}", "name", "fwnonet", "image", "blob", "device",
			      a->uuid, "ports", "host", 9090, "app", 80),
		    &res) == 400 &&
		  strstr(json_string_value(json_object_get(res, "error")) ?: "", "network"),
	      "port map without a network refused with a reason");
	json_decref(res);
	res = NULL;
	CHECK(admin("POST", "/api/v1/apps",
		    json_pack("{s:s, s:s, s:s, s:[s], s:[{s:i, s:i}]}", "name", "fwclash", "image", "blob",
			      "device", a->uuid, "networks", "lan", "ports", "host", 8080, "app", 81),
		    &res) == 409 &&
		  strstr(json_string_value(json_object_get(res, "error")) ?: "", "8080"),
	      "host port mapped by another app on the device refused (409)");
	json_decref(res);
	CHECK(admin("GET", "/api/v1/apps/fwclash", NULL, NULL) == 404, "refused app not stored");

	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg = NULL;
	CHECK(dev_config(a, "POST", &cfg) == 200, "config with the ACL apps");
	const Org__Lfedge__Eve__Config__AppInstanceConfig *ac = find_app(cfg, "fwplain");
	const Org__Lfedge__Eve__Config__ACE *ace =
	    ac && ac->n_interfaces == 1 && ac->interfaces[0]->n_acls == 1 ? ac->interfaces[0]->acls[0] : NULL;
	CHECK(ace && ace->n_matches == 1 && !strcmp(ace->matches[0]->type, "ip") &&
		  !strcmp(ace->matches[0]->value, "0.0.0.0/0") && ace->n_actions == 0,
	      "no ACL: one explicit allow-all ACE");
	ac = find_app(cfg, "fwlim");
	ace =
	    ac && ac->n_interfaces == 1 && ac->interfaces[0]->n_acls == 2 ? ac->interfaces[0]->acls[0] : NULL;
	CHECK(ace && ace->n_matches == 2 && !strcmp(ace->matches[1]->type, "fport") &&
		  !strcmp(ace->matches[1]->value, "443") && ace->n_actions == 1 && ace->actions[0]->limit &&
		  ace->actions[0]->limitrate == 10 && !strcmp(ace->actions[0]->limitunit, "m") &&
		  ace->actions[0]->limitburst == 3,
	      "limit ACE");
	ace = ace ? ac->interfaces[0]->acls[1] : NULL;
	CHECK(ace && !strcmp(ace->matches[0]->type, "host") &&
		  !strcmp(ace->matches[0]->value, "example.org") && ace->n_actions == 0,
	      "host ACE");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(admin("DELETE", "/api/v1/apps/fwplain", NULL, NULL) == 204 &&
		  admin("DELETE", "/api/v1/apps/fwlim", NULL, NULL) == 204,
	      "delete ACL apps");
	CHECK(dev_config(a, "POST", NULL) == 200, "config without them");
	printf("ok acls: default allow-all, limit/host ACEs, bad ACLs 400, port map without network 400, "
	       "taken host port 409\n");
}

/* Reboot counter and base OS update reach the device config. */
static void test_device_ops(struct dev *a)
{
	char path[200], sha[65];
	memset(sha, 'b', 64);
	sha[64] = 0;
	CHECK(admin("POST", "/api/v1/images",
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "name", "eve-next", "url",
			      "https://downloads.example/eve/rootfs.img", "sha256", sha, "format", "baseos",
			      "version", "13.4.0", "size", 1000),
		    NULL) == 201,
	      "baseos image");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/reboot", a->uuid);
	CHECK(admin("POST", path, NULL, NULL) == 202, "reboot");
	snprintf(path, sizeof(path), "/api/v1/devices/%s/baseos", a->uuid);
	CHECK(admin("POST", path, json_pack("{s:s}", "image", "blob"), NULL) == 404, "not a baseos image");
	CHECK(admin("POST", path, json_pack("{s:s, s:b}", "image", "eve-next", "activate", 1), NULL) == 202,
	      "baseos");
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg = NULL;
	CHECK(dev_config(a, "POST", &cfg) == 200, "config after reboot + baseos");
	CHECK(cfg->reboot && cfg->reboot->counter == 1, "reboot counter");
	CHECK(cfg->baseos && cfg->baseos->activate && !strcmp(cfg->baseos->base_os_version, "13.4.0"),
	      "baseos");
	bool ct = false;
	for (size_t i = 0; i < cfg->n_contentinfo; i++)
		ct |= !strcmp(cfg->contentinfo[i]->uuid, cfg->baseos->content_tree_uuid) &&
		      !strcmp(cfg->contentinfo[i]->url, "eve/rootfs.img");
	CHECK(ct, "baseos content tree");
	CHECK(cfg->n_datastores == 2, "a datastore per origin");
	bool ext = false;
	for (size_t i = 0; i < cfg->n_datastores; i++)
		ext |= !strcmp(cfg->datastores[i]->fqdn, "https://downloads.example") &&
		       !*cfg->datastores[i]->dpath;
	CHECK(ext, "external datastore");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(admin("POST", path,
		    json_pack("{s:s, s:b, s:b}", "image", "eve-next", "activate", 1, "retry", 1),
		    NULL) == 202,
	      "baseos retry");
	CHECK(dev_config(a, "POST", &cfg) == 200, "config after retry");
	CHECK(cfg->baseos && cfg->baseos->retry_update && cfg->baseos->retry_update->counter == 1,
	      "retry_update");
	org__lfedge__eve__config__edge_dev_config__free_unpacked(cfg, NULL);
	CHECK(admin("DELETE", "/api/v1/images/eve-next", NULL, NULL) == 409, "baseos image in use");
	printf("ok device ops: reboot counter, baseos with version, retry bumps retry_update\n");
}

static void test_restart(struct dev *a, struct dev *b)
{
	int64_t before[NTABLES], after[NTABLES], v0, v1;
	json_t *d0 = NULL, *d1 = NULL, *a0 = NULL, *a1 = NULL;
	CHECK(admin("GET", "/api/v1/devices", NULL, &d0) == 200, "devices");
	CHECK(admin("GET", "/api/v1/apps", NULL, &a0) == 200, "apps");
	stop_controller();
	/* Tighter retention from now on (a later key wins). */
	char cp[600];
	snprintf(cp, sizeof(cp), "%s/controller.conf", g_dir);
	FILE *cf = fopen(cp, "a");
	CHECK(cf && fputs("retention.metrics_max=10\n", cf) >= 0 && fclose(cf) == 0, "conf append");
	snapshot(before, &v0);
	start_controller();
	snapshot(after, &v1);
	for (size_t i = 0; i < NTABLES; i++)
		CHECK(before[i] == after[i], "table %s changed over restart", tables[i]);
	CHECK(v0 == v1, "versions changed over restart");
	CHECK(admin("GET", "/api/v1/devices", NULL, &d1) == 200, "devices after");
	CHECK(admin("GET", "/api/v1/apps", NULL, &a1) == 200, "apps after");
	CHECK(json_array_size(json_object_get(d0, "items")) == 2 &&
		  json_array_size(json_object_get(d1, "items")) == 2,
	      "two devices");
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(d1, "items"), i, x) json_object_del(x, "state");
	json_array_foreach(json_object_get(d0, "items"), i, x) json_object_del(x, "state");
	CHECK(json_equal(d0, d1), "devices differ after restart");
	CHECK(json_equal(a0, a1), "apps differ after restart");
	CHECK(dev_config(a, "POST", NULL) == 304, "same config hash after a restart");
	CHECK(dev_config(b, "POST", NULL) == 304, "same config hash after a restart (b)");
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs", a->uuid);
	CHECK(admin_count(path) == 6, "logs kept");
	/* Count retention: 12 more metrics keep the newest 10. */
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = a->uuid;
	for (int k = 0; k < 12; k++)
		CHECK(send_msg(a, "metrics", &mm.base) == 201, "metrics %d", k);
	snprintf(path, sizeof(path), "/api/v1/devices/%s/metrics", a->uuid);
	CHECK(admin_count(path) == 10, "metrics capped at retention.metrics_max");
	json_decref(d0);
	json_decref(d1);
	json_decref(a0);
	json_decref(a1);
	printf("ok restart: devices, apps, reports and config hashes kept\n");
}

/* --- issue 12: defects found under attack --- */

static void app_instance_of(const char *app, char inst[40])
{
	json_t *res = NULL;
	char path[200];
	snprintf(path, sizeof(path), "/api/v1/apps/%s", app);
	CHECK(admin("GET", path, NULL, &res) == 200, "GET %s", path);
	const char *id =
	    json_string_value(json_object_get(json_array_get(json_object_get(res, "instances"), 0), "id"));
	CHECK(id, "%s has an instance", app);
	snprintf(inst, 40, "%s", id ? id : "");
	json_decref(res);
}

static long post_app_logs(struct dev *d, const char *inst, const char *line)
{
	uint8_t *gz = NULL;
	char text[300], path[200];
	snprintf(text, sizeof(text), "{\"content\":\"%s\"}\n", line);
	size_t gl = gzip_text(text, &gz);
	struct buf resp;
	buf_init(&resp, 1 << 16);
	snprintf(path, sizeof(path), "/id/%s/apps/instanceid/%s/newlogs", d->uuid, inst);
	long st = dev_call(d, path, gz, gl, &resp);
	buf_free(&resp);
	free(gz);
	return st;
}

/* Defect 1: a device writes logs only for app instances deployed to it. */
static void test_app_logs_owner(struct dev *a, struct dev *b)
{
	char web[40], fleet[40];
	int64_t before[NTABLES], after[NTABLES], v0, v1;
	app_instance_of("web", web);     /* deployed to a */
	app_instance_of("fleet", fleet); /* deployed to b (label selector) */
	CHECK(post_app_logs(a, web, "web console line") == 201, "a: logs of its own instance");
	CHECK(admin_count("/api/v1/apps/web/logs") == 1, "web's log line");
	snapshot(before, &v0);
	CHECK(post_app_logs(a, fleet, "forged by a") == 403, "a: logs of b's instance refused");
	CHECK(post_app_logs(b, web, "forged by b") == 403, "b: logs of a's instance refused");
	snapshot(after, &v1);
	for (size_t i = 0; i < NTABLES; i++)
		CHECK(before[i] == after[i], "table %s changed by a refused app log", tables[i]);
	CHECK(admin_count("/api/v1/apps/fleet/logs") == 0, "no forged line in fleet's logs");
	CHECK(admin_count("/api/v1/apps/web/logs") == 1, "no forged line in web's logs");
	printf("ok app logs: own instance 201, another device's instance 403, nothing stored\n");
}

static bool serve_log_has(const char *text)
{
	char p[600];
	struct buf b;
	snprintf(p, sizeof(p), "%s.serve.log", g_dir);
	uint8_t *data = NULL;
	size_t len = 0;
	bool found = false;
	if (fileio_read(p, 16u << 20, &data, &len) == 0) {
		buf_init(&b, len + 1);
		buf_append(&b, data, len);
		buf_append(&b, "", 1);
		found = strstr((char *)b.data, text) != NULL;
		buf_free(&b);
	}
	free(data);
	return found;
}

/* Defect 4: device timestamps at the int64 limits, negative, far future,
 * bad nanos, unreadable: every request is stored with sane times (the
 * receive time), none crashes the (sanitized) controller. */
static void test_bad_times(struct dev *b)
{
	time_t now = time(NULL);
	Google__Protobuf__Timestamp ts[4] = {
	    GOOGLE__PROTOBUF__TIMESTAMP__INIT, GOOGLE__PROTOBUF__TIMESTAMP__INIT,
	    GOOGLE__PROTOBUF__TIMESTAMP__INIT, GOOGLE__PROTOBUF__TIMESTAMP__INIT};
	ts[0].seconds = INT64_MAX;
	ts[0].nanos = 999999999;
	ts[1].seconds = INT64_MIN;
	ts[2].seconds = now;
	ts[2].nanos = -1;
	ts[3].seconds = now - 10; /* a good one: kept as sent */
	Org__Lfedge__Eve__Logs__LogEntry le[4];
	Org__Lfedge__Eve__Logs__LogEntry *lep[4];
	for (int i = 0; i < 4; i++) {
		org__lfedge__eve__logs__log_entry__init(&le[i]);
		le[i].content = i == 3 ? "good time" : "bad time";
		le[i].timestamp = &ts[i];
		lep[i] = &le[i];
	}
	Org__Lfedge__Eve__Logs__LogBundle lb = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	lb.devid = b->uuid;
	lb.n_log = 4;
	lb.log = lep;
	CHECK(send_msg(b, "logs", &lb.base) == 201, "LogBundle with extreme times");

	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	im.devid = b->uuid;
	im.attimestamp = &ts[0];
	im.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	im.dinfo = &di;
	CHECK(send_msg(b, "info", &im.base) == 201, "info at INT64_MAX");
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = b->uuid;
	mm.attimestamp = &ts[1];
	CHECK(send_msg(b, "metrics", &mm.base) == 201, "metrics at INT64_MIN");

	uint8_t *gz = NULL;
	size_t gl = gzip_text(
	    "{\"content\":\"nl max\",\"timestamp\":{\"seconds\":9223372036854775807,\"nanos\":999999999}}\n"
	    "{\"content\":\"nl min\",\"timestamp\":{\"seconds\":-9223372036854775807,\"nanos\":-5}}\n"
	    "{\"content\":\"nl digits\",\"timestamp\":\"9223372036854775807\"}\n"
	    "{\"content\":\"nl far\",\"timestamp\":\"9999-12-31T23:59:59Z\"}\n"
	    "{\"content\":\"nl junk\",\"timestamp\":[1]}\n",
	    &gz);
	char path[200];
	struct buf resp;
	buf_init(&resp, 1 << 16);
	snprintf(path, sizeof(path), "/id/%s/newlogs", b->uuid);
	CHECK(dev_call(b, path, gz, gl, &resp) == 201, "newlogs with extreme times");
	free(gz);
	buf_free(&resp);

	json_t *res = NULL, *x;
	size_t i;
	int64_t lo = ((int64_t)now - 86400) * 1000, hi = ((int64_t)time(NULL) + 86400) * 1000;
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs?limit=100", b->uuid);
	CHECK(admin("GET", path, NULL, &res) == 200, "b's logs");
	CHECK(json_array_size(json_object_get(res, "items")) == 9, "9 lines stored");
	json_array_foreach(json_object_get(res, "items"), i, x)
	{
		int64_t t = json_integer_value(json_object_get(x, "time_ms"));
		const char *msg = json_string_value(json_object_get(x, "msg")) ?: "";
		CHECK(t >= lo && t <= hi, "'%s' stored at %lld ms, outside [now - 1 day, now + 1 day]", msg,
		      (long long)t);
		if (!strcmp(msg, "good time"))
			CHECK(t == ts[3].seconds * 1000, "a good device time is kept as sent");
	}
	json_decref(res);
	snprintf(path, sizeof(path), "/api/v1/devices/%s/metrics", b->uuid);
	CHECK(admin_count(path) == 1, "metrics stored");
	CHECK(serve_log_has("timestamp(s) out of range, stored with the receive time"),
	      "the controller log notes the replaced times");
	printf("ok device times: INT64_MAX/MIN, bad nanos, far future, junk stored at the receive time, "
	       "noted\n");
}

static uint8_t *seal_msg(struct dev *d, const ProtobufCMessage *m, size_t *elen)
{
	uint8_t *p = NULL, *env = NULL;
	size_t n = pack_msg(m, &p);
	CHECK(envelope_seal(&d->signer, p, n, false, &env, elen) == 0, "seal");
	free(p);
	return env;
}

/* The same AuthContainer with the ECDSA signature's s replaced by n - s: a
 * different signature that verifies too. */
static uint8_t *malleate(const uint8_t *env, size_t len, size_t *out_len)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac =
	    org__lfedge__eve__auth__auth_container__unpack(NULL, len, env);
	CHECK(ac && ac->signaturehash.len == 64, "raw r||s signature");
	BIGNUM *n = NULL, *s = BN_bin2bn(ac->signaturehash.data + 32, 32, NULL);
	CHECK(s && BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") &&
		  BN_sub(s, n, s) && BN_bn2binpad(s, ac->signaturehash.data + 32, 32) == 32,
	      "n - s");
	*out_len = org__lfedge__eve__auth__auth_container__get_packed_size(ac);
	uint8_t *out = malloc(*out_len);
	org__lfedge__eve__auth__auth_container__pack(ac, out);
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	BN_free(n);
	BN_free(s);
	return out;
}

/* The same AuthContainer with its raw r||s signature re-encoded as DER. */
static uint8_t *to_der(const uint8_t *env, size_t len, size_t *out_len)
{
	Org__Lfedge__Eve__Auth__AuthContainer *ac =
	    org__lfedge__eve__auth__auth_container__unpack(NULL, len, env);
	CHECK(ac && ac->signaturehash.len == 64, "raw r||s signature");
	uint8_t *der = NULL, *raw = ac->signaturehash.data;
	size_t dlen = 0;
	CHECK(crypto_sig_raw_to_der(raw, &der, &dlen) == 0, "DER");
	ac->signaturehash.data = der;
	ac->signaturehash.len = dlen;
	*out_len = org__lfedge__eve__auth__auth_container__get_packed_size(ac);
	uint8_t *out = malloc(*out_len);
	org__lfedge__eve__auth__auth_container__pack(ac, out);
	ac->signaturehash.data = raw; /* freed with the message */
	org__lfedge__eve__auth__auth_container__free_unpacked(ac, NULL);
	free(der);
	return out;
}

/* Defect 6a: an accepted request sent again (as captured, or with its
 * signature malleated) gets the same status and stores nothing. */
static void test_replay(struct dev *b)
{
	char path[200], rpath[200];
	size_t elen, mlen;
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = b->uuid;
	snprintf(path, sizeof(path), "/api/v1/devices/%s/metrics", b->uuid);
	snprintf(rpath, sizeof(rpath), "/id/%s/metrics", b->uuid);
	int64_t m0 = admin_count(path);
	uint8_t *env = seal_msg(b, &mm.base, &elen);
	uint8_t *mal = malleate(env, elen, &mlen), *der;
	size_t dlen;
	der = to_der(env, elen, &dlen);
	CHECK(raw_call(b, rpath, env, elen) == 201, "metrics");
	CHECK(raw_call(b, rpath, env, elen) == 201, "replayed metrics: same status");
	CHECK(raw_call(b, rpath, mal, mlen) == 201, "malleated replay: same status");
	CHECK(raw_call(b, rpath, der, dlen) == 201, "DER re-encoded replay: same status");
	free(der);
	CHECK(admin_count(path) == m0 + 1, "a replay stored nothing (metrics %lld -> %lld)", (long long)m0,
	      (long long)admin_count(path));
	free(env);
	free(mal);
	CHECK(send_msg(b, "metrics", &mm.base) == 201 && admin_count(path) == m0 + 2,
	      "the same message freshly signed is a new request");

	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoMsg im = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	im.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	im.devid = b->uuid;
	im.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	im.dinfo = &di;
	snprintf(path, sizeof(path), "/api/v1/devices/%s/info", b->uuid);
	snprintf(rpath, sizeof(rpath), "/id/%s/info", b->uuid);
	int64_t i0 = admin_count(path);
	env = seal_msg(b, &im.base, &elen);
	CHECK(raw_call(b, rpath, env, elen) == 201 && raw_call(b, rpath, env, elen) == 201, "info twice");
	CHECK(admin_count(path) == i0 + 1, "replayed info stored once");
	free(env);

	uint8_t *gz = NULL;
	size_t gl = gzip_text("{\"content\":\"said once\"}\n", &gz);
	struct eve_signer *sg = &b->signer;
	CHECK(envelope_seal(sg, gz, gl, false, &env, &elen) == 0, "seal newlogs");
	free(gz);
	snprintf(path, sizeof(path), "/api/v1/devices/%s/logs?limit=1000", b->uuid);
	snprintf(rpath, sizeof(rpath), "/id/%s/newlogs", b->uuid);
	int64_t l0 = admin_count(path);
	CHECK(raw_call(b, rpath, env, elen) == 201 && raw_call(b, rpath, env, elen) == 201, "newlogs twice");
	CHECK(admin_count(path) == l0 + 1, "replayed newlogs stored once");
	free(env);
	CHECK(serve_log_has("a replay of a request already accepted"), "replays noted in the log");
	printf("ok replay: info, metrics (also with s -> n-s, and as DER), newlogs: same status, stored "
	       "once\n");
}

static uint8_t *seal_register(struct dev *d, const struct eve_signer *onboard, const char *serial,
			      size_t *elen)
{
	char *pem = NULL;
	size_t pl;
	CHECK(crypto_cert_to_pem(d->cert, &pem, &pl) == 0, "pem");
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	m.pemcert.data = (uint8_t *)pem;
	m.pemcert.len = pl;
	m.serial = (char *)serial;
	uint8_t *p = NULL, *env = NULL;
	size_t n = pack_msg(&m.base, &p);
	CHECK(envelope_seal(onboard, p, n, true, &env, elen) == 0, "seal register");
	free(p);
	free(pem);
	return env;
}

static size_t device_total(void)
{
	json_t *res = NULL;
	CHECK(admin("GET", "/api/v1/devices", NULL, &res) == 200, "devices");
	size_t n = json_array_size(json_object_get(res, "items"));
	json_decref(res);
	return n;
}

/* Defects 6a (register) and 6b: a replayed registration does nothing; a
 * deleted device's certificate is refused (403) until an admin adds the
 * device again (POST /devices with its certificate). */
static void test_deleted(const struct eve_signer *onboard)
{
	struct dev c;
	size_t elen;
	char path[200];
	dev_new(&c, "device-c");
	uint8_t *reg = seal_register(&c, onboard, "SERIAL-DEL", &elen);
	CHECK(raw_call(&c, "/register", reg, elen) == 201, "c registers");
	size_t ndev = device_total();
	CHECK(raw_call(&c, "/register", reg, elen) == 201, "replayed register: same status");
	CHECK(device_total() == ndev, "a replayed register adds nothing");
	dev_uuid(&c);
	c.cfg_hash[0] = 0;
	CHECK(dev_config(&c, "POST", NULL) == 200, "c's config");

	snprintf(path, sizeof(path), "/api/v1/devices/%s", c.uuid);
	CHECK(admin("DELETE", path, NULL, NULL) == 204, "admin deletes c");
	CHECK(raw_call(&c, "/register", reg, elen) == 201, "captured register replayed: the status it had");
	CHECK(admin("GET", path, NULL, NULL) == 404 && device_total() == ndev - 1,
	      "the replay did not bring c back");
	CHECK(dev_register(&c, onboard, "SERIAL-DEL") == 403, "deleted device registering afresh: 403");
	CHECK(device_total() == ndev - 1, "still deleted");
	c.cfg_hash[0] = 0;
	CHECK(dev_config(&c, "POST", NULL) == 403, "deleted device's config: 403");
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	mm.devid = c.uuid;
	CHECK(send_msg(&c, "metrics", &mm.base) == 403, "deleted device's metrics: 403");

	char *pem = NULL;
	size_t pl;
	CHECK(crypto_cert_to_pem(c.cert, &pem, &pl) == 0, "pem");
	json_t *res = NULL;
	CHECK(admin("POST", "/api/v1/devices",
		    json_pack("{s:s, s:s, s:s}", "name", "device-c", "cert", pem, "serial", "SERIAL-DEL"),
		    &res) == 201,
	      "admin adds c again");
	json_decref(res);
	free(pem);
	CHECK(dev_register(&c, onboard, "SERIAL-DEL") == 200, "added again: c registers");
	dev_uuid(&c);
	c.cfg_hash[0] = 0;
	CHECK(dev_config(&c, "POST", NULL) == 200, "c's config after it was added again");
	free(reg);
	dev_free(&c);
	printf("ok deleted device: replayed register inert, 403 until an admin adds it again\n");
}

static void load_onboard(struct eve_signer *s)
{
	char kp[600], cp[600];
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	snprintf(kp, sizeof(kp), "%s/device-config/onboard.key.pem", g_dir);
	snprintf(cp, sizeof(cp), "%s/device-config/onboard.cert.pem", g_dir);
	CHECK(crypto_key_load_pem(kp, &k) == 0 && crypto_cert_load_pem(cp, &c) == 0, "onboard files");
	CHECK(envelope_signer_from_key(s, k, c, false) == 0, "onboard signer");
	EVP_PKEY_free(k);
	X509_free(c);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s EVE_CONTROLLER WORKDIR PORT\n", argv[0]);
		return 2;
	}
	g_bin = argv[1];
	g_dir = argv[2];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	run_init(atoi(argv[3]));
	start_controller();
	struct dev a, b;
	struct eve_signer onboard;
	dev_new(&a, "device-a");
	dev_new(&b, "device-b");
	load_onboard(&onboard);
	test_certs(&a);
	test_register(&a, &b, &onboard);
	test_config(&a);
	test_reports(&a);
	test_refusals(&a, &b);
	test_follow(&a);
	test_bad_times(&b);
	test_replay(&b);
	test_images();
	test_apps(&a, &b);
	test_app_logs_owner(&a, &b);
	test_acls(&a);
	test_device_ops(&a);
	test_restart(&a, &b);
	test_deleted(&onboard);
	stop_controller();
	envelope_signer_clear(&onboard);
	dev_free(&a);
	dev_free(&b);
	EVP_PKEY_free(g_signing_pub);
	curl_global_cleanup();
	printf("all controller API checks passed\n");
	return g_failures ? 1 : 0;
}
