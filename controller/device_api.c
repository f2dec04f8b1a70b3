// SPDX-License-Identifier: Apache-2.0
/* EVE device API v2 handlers. */
#include "device_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/certs.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "commitq.h"
#include "config_build.h"
#include "crypto.h"
#include "ctl.h"
#include "ctlmetrics.h"
#include "devices.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "flowlog/flowlog.pb-c.h"
#include "info/info.pb-c.h"
#include "hardwarehealth/hardware_health.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "onboard.h"
#include "pbpack.h"
#include "p256.h"
#include "register/register.pb-c.h"
#include "replay.h"
#include "replay_store.h"
#include "reports.h"
#include "revoked.h"
#include "b64.h"
#include "attest.h"

#define PROTO_CT "application/x-proto-binary"
#define CAP_SMALL (64u << 10)
#define CAP_REPORT (4u << 20)
#define PEM_MAX (32u << 10)

/* True when the certificate belongs to a device an admin deleted. */
static bool cert_deleted(struct ctl *c, const uint8_t *hash, size_t len)
{
	struct store *d = store_get(c->db);
	int r = revoked_find(d, hash, len);
	store_put(c->db, d);
	return r == 1;
}

/* The cluster-wide half of the guard (replay_store.h): 0 new, 1 seen
 * (*st), -errno. Only on a clustered store, for reports: a replayed
 * registration is inert in the store already (register_decide). */
static int replay_enter_cluster(struct ctl *c, const char *sender, const uint8_t id[REPLAY_ID_LEN],
				unsigned *st)
{
	if (!store_clustered(c->db))
		return 0;
	struct store *d = store_get(c->db);
	int e = replay_store_begin(d, sender, id, (int64_t)time(NULL), st);
	store_put(c->db, d);
	return e;
}

/* Replay guard (replay.h) for a verified request of sender: true when the
 * request is new and reserved (call replay_leave with its status), false
 * when it was replied to here: a replay gets its first copy's status.
 * cluster: reports, also checked across replicas. */
static bool replay_enter(struct http_req *r, const struct envelope *env, const char *sender,
			 uint8_t id[REPLAY_ID_LEN], bool cluster)
{
	unsigned st = 0;
	int e = replay_id(env, id);
	if (e == 0)
		e = replay_begin(r->ctl->replay, sender, id, &st);
	if (e == 0 && cluster && (e = replay_enter_cluster(r->ctl, sender, id, &st)) != 0)
		/* another replica's, or no answer: free the reservation here
		 * (a 2xx it got is remembered here too) */
		replay_end(r->ctl->replay, sender, id, e == 1 ? st : 503);
	if (e < 0) {
		http_reply_error(r, e == -EVE_EPROTO ? 400 : 503, "request id: %s", eve_strerror(e));
		return false;
	}
	if (e == 0)
		return true;
	if (r->ctl->log_device)
		r->ctl->log_device(sender, "a replay of a request already accepted: not processed again");
	if (st)
		http_reply_empty(r, st);
	else
		http_reply_error(r, 409, "the same request is being processed");
	return false;
}

static void replay_leave(struct http_req *r, const char *sender, const uint8_t id[REPLAY_ID_LEN],
			 bool cluster)
{
	replay_end(r->ctl->replay, sender, id, r->status);
	if (!cluster || !store_clustered(r->ctl->db))
		return;
	struct store *d = store_get(r->ctl->db);
	/* (void): a reservation left behind goes stale (REPLAY_STORE_STALE_S) */
	(void)replay_store_end(d, sender, id, r->status);
	store_put(r->ctl->db, d);
}

/* Authenticate a device request: parse, find the sender, verify, and (when
 * the path names a device) check it is the signer. Replies and returns
 * false on refusal; nothing has been changed at that point. */
static bool dev_auth(struct http_req *r, struct envelope *env, struct devcache_view *v)
{
	memset(v, 0, sizeof(*v));
	if (r->body.len == 0) {
		http_reply_error(r, 401, "no AuthContainer");
		return false;
	}
	if (envelope_parse(r->body.data, r->body.len, env) < 0) {
		http_reply_error(r, 400, "malformed AuthContainer");
		return false;
	}
	if (devcache_lookup(r->ctl->cache, env->cert_hash, env->cert_hash_len, v) < 0 &&
	    (devices_cache_fill(r->ctl, env->cert_hash, env->cert_hash_len) < 0 ||
	     devcache_lookup(r->ctl->cache, env->cert_hash, env->cert_hash_len, v) < 0)) {
		if (cert_deleted(r->ctl, env->cert_hash, env->cert_hash_len))
			http_reply_error(r, 403, "device deleted by an admin (add it again to allow it)");
		else
			http_reply_error(r, 401, "unknown sender certificate");
		return false;
	}
	if (envelope_verify_point(env, v->pub) < 0) {
		http_reply_error(r, 401, "signature does not verify");
		return false;
	}
	memcpy(r->device, v->uuid, sizeof(r->device));
	if (r->nparams > 0 && strcmp(r->params[0], v->uuid)) {
		http_reply_error(r, 403, "device uuid does not match the signer");
		return false;
	}
	devcache_touch(r->ctl->cache, env->cert_hash, env->cert_hash_len, (int64_t)time(NULL));
	return true;
}

static void auth_clear(struct envelope *env, struct devcache_view *v)
{
	envelope_clear(env);
	(void)v;
}

/* Reply with payload sealed by the controller signing key. */
static void reply_sealed(struct http_req *r, unsigned status, const uint8_t *payload, size_t len)
{
	uint8_t *env = NULL;
	size_t elen;
	if (envelope_seal(&r->ctl->signer, payload, len, false, &env, &elen) < 0) {
		http_reply_error(r, 500, "cannot sign the response");
		return;
	}
	http_reply_take(r, status, env, elen, PROTO_CT);
}

/* A 2xx without a body: EVE's client still wants the protobuf
 * Content-Type on every success (APIv2 "Mime Types"). */
static void reply_ok_empty(struct http_req *r, unsigned status)
{
	http_reply(r, status, NULL, 0, PROTO_CT);
}

static void h_ping(struct http_req *r)
{
	reply_ok_empty(r, 200);
}

static void h_certs(struct http_req *r)
{
	http_reply(r, 200, r->ctl->certs_env, r->ctl->certs_len, PROTO_CT);
}

static void add_cert(Org__Lfedge__Eve__Certs__ZCert *z, const char *pem,
		     Org__Lfedge__Eve__Certs__ZCertType type, uint8_t hash[32])
{
	org__lfedge__eve__certs__zcert__init(z);
	crypto_sha256(pem, strlen(pem), hash);
	z->hashalgo = ORG__LFEDGE__EVE__COMMON__HASH_ALGORITHM__HASH_ALGORITHM_SHA256_32BYTES;
	z->certhash.data = hash;
	z->certhash.len = 32;
	z->type = type;
	z->cert.data = (uint8_t *)pem;
	z->cert.len = strlen(pem);
}

int device_api_build_certs(struct ctl *c)
{
	Org__Lfedge__Eve__Certs__ZCert zs[3], *zp[3] = {&zs[0], &zs[1], &zs[2]};
	uint8_t h[3][32];
	Org__Lfedge__Eve__Certs__ZControllerCert zc = ORG__LFEDGE__EVE__CERTS__ZCONTROLLER_CERT__INIT;
	add_cert(&zs[0], c->signer.cert_pem,
		 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING, h[0]);
	add_cert(&zs[1], c->ecdh_pem, ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE,
		 h[1]);
	zc.n_certs = 2;
	/* During a rotation the next signing certificate is listed too (after
	 * the current one), so devices hold it before it signs anything. */
	if (c->next_signing_pem)
		add_cert(&zs[zc.n_certs++], c->next_signing_pem,
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING, h[2]);
	zc.certs = zp;
	uint8_t *buf;
	size_t n;
	int r = pbpack(&zc.base, 0, &buf, &n);
	if (r < 0)
		return r;
	r = envelope_seal(&c->signer, buf, n, false, &c->certs_env, &c->certs_len);
	free(buf);
	return r;
}

/* pemCert is the base64 of the PEM text (what EVE and the reference
 * controller use); unless strict, the PEM text itself is accepted too.
 * Read without an OpenSSL X509 (p256.h: its decoder set-up costs more
 * than a verify); the key must be P-256, the only kind a device signs
 * with. *der is malloc'd and backs out. */
static int register_device_cert(const ProtobufCBinaryData *pc, bool strict, uint8_t **der,
				struct p256_cert *out)
{
	size_t dlen;
	*der = NULL;
	if (pc->len == 0 || pc->len > PEM_MAX)
		return -EINVAL;
	if (!strict && p256_pem_to_der((const char *)pc->data, pc->len, der, &dlen) == 0)
		return p256_cert_parse(*der, dlen, out) < 0 ? -EINVAL : 0;
	uint8_t *dec = NULL;
	size_t declen;
	int r = b64_decode((const char *)pc->data, pc->len, &dec, &declen);
	if (r == 0)
		r = p256_pem_to_der((const char *)dec, declen, der, &dlen);
	free(dec);
	if (r == 0)
		r = p256_cert_parse(*der, dlen, out);
	return r < 0 ? -EINVAL : 0;
}

/* Decide a registration inside an open write transaction; uuid is the
 * device's (new or found) when the status is < 300. */
static unsigned register_decide(struct ctl *c, struct store *d, const struct p256_cert *cert,
				const char *serial, const char *onboard_id, char uuid[UUID_STR_LEN])
{
	int registered = 0;
	if (devices_find_by_cert(d, cert->hash, uuid, &registered) == 0)
		return !registered && devices_set_registered(d, uuid) < 0 ? 500 : 200;
	if (revoked_find(d, cert->hash, sizeof(cert->hash)) != 0)
		return 403; /* deleted by an admin (or the check failed) */
	if (*serial && devices_serial_taken(d, serial))
		return 409;
	struct device_new n = {.serial = serial, .cert = cert, .onboard_id = onboard_id, .registered = true};
	int e = devices_create(c, d, &n, uuid);
	return e == 0 ? 201 : e == -EEXIST ? 409 : 500;
}

/* Decide and apply a registration in a transaction of its own, durable
 * (db_sync) before it is acknowledged: the path when no commit queue runs. */
static unsigned register_apply(struct ctl *c, struct store *d, const struct p256_cert *cert,
			       const char *serial, const char *onboard_id)
{
	char uuid[UUID_STR_LEN];
	if (store_begin(d) < 0)
		return 503;
	unsigned status = register_decide(c, d, cert, serial, onboard_id, uuid);
	if (status >= 300 || store_commit(d) < 0) {
		store_rollback(d);
		if (status == 201)
			devcache_remove(c->cache, uuid);
		if (status < 300)
			status = 500;
	} else if (store_sync(d) < 0) {
		status = 500; /* committed, not known durable: the device retries */
	}
	return status;
}

static void register_reply(struct http_req *r, unsigned st)
{
	if (st >= 300)
		http_reply_error(r, st, "%s",
				 st == 409   ? "serial already registered by another device"
				 : st == 403 ? "device deleted by an admin (add it again to allow it)"
					     : "registration failed");
	else
		reply_ok_empty(r, st);
}

/* A registration waiting in the commit queue (commitq.h): many share one
 * transaction and one fsync; answered once durable. */
struct reg_item {
	struct commitq_item q; /* first: the queue hands this back */
	struct ctl *c;
	uint8_t *der; /* backs cert */
	struct p256_cert cert;
	char *serial;
	char onboard_id[65];
	char sender[80];
	uint8_t rid[REPLAY_ID_LEN];
	unsigned status;
	char uuid[UUID_STR_LEN];
};

static int reg_apply(struct commitq_item *q, struct store *d)
{
	struct reg_item *it = (struct reg_item *)q;
	it->status = register_decide(it->c, d, &it->cert, it->serial, it->onboard_id, it->uuid);
	return it->status >= 300 ? -EINVAL : 0;
}

static void reg_done(struct commitq_item *q, enum commitq_outcome o)
{
	struct reg_item *it = (struct reg_item *)q;
	unsigned st = it->status ? it->status : 503; /* 0: never applied (no write lock) */
	if (st < 300 && o == COMMITQ_ROLLED_BACK) {
		if (st == 201)
			devcache_remove(it->c->cache, it->uuid);
		st = 500;
	} else if (st < 300 && o == COMMITQ_NOT_DURABLE) {
		st = 500; /* committed, not known durable: the device retries */
	}
	register_reply(q->r, st);
	replay_leave(q->r, it->sender, it->rid, false);
	free(it->der);
	free(it->serial);
	free(it);
}

/* Hand the registration to the commit queue; false when it does not run
 * (then nothing was taken: the caller registers inline). */
static bool register_queue(struct http_req *r, uint8_t **der, const struct p256_cert *cert,
			   const char *serial, const char *ob_id, const char *sender,
			   const uint8_t rid[REPLAY_ID_LEN])
{
	struct reg_item *it = calloc(1, sizeof(*it));
	if (!it || !(it->serial = strdup(serial))) {
		free(it);
		return false;
	}
	it->q.r = r;
	it->q.apply = reg_apply;
	it->q.done = reg_done;
	it->c = r->ctl;
	it->der = *der;
	it->cert = *cert;
	snprintf(it->onboard_id, sizeof(it->onboard_id), "%s", ob_id);
	snprintf(it->sender, sizeof(it->sender), "%s", sender);
	memcpy(it->rid, rid, REPLAY_ID_LEN);
	if (commitq_submit(r->ctl->commitq, &it->q) < 0) {
		free(it->serial);
		free(it);
		return false;
	}
	*der = NULL; /* the item owns it now (and may be answered already) */
	return true;
}

static void h_register(struct http_req *r)
{
	struct envelope env = {0};
	struct onboard_key ob = {0};
	uint8_t *dev_der = NULL;
	struct p256_cert dev;
	char *serials = NULL, ob_id[65];
	Org__Lfedge__Eve__Register__ZRegisterMsg *msg = NULL;
	struct store *d = NULL;
	if (envelope_parse(r->body.data, r->body.len, &env) < 0) {
		http_reply_error(r, 400, "malformed AuthContainer");
		goto out;
	}
	d = store_get(r->ctl->db);
	if (onboard_find(r->ctl->onboard, d, env.cert_hash, env.cert_hash_len, &ob, &serials, ob_id) < 0) {
		http_reply_error(r, 403, "unknown onboarding certificate");
		goto out;
	}
	if (ob.p256 ? envelope_verify_point(&env, ob.pt) < 0
		    : envelope_verify(&env, X509_get0_pubkey(ob.cert)) < 0) {
		http_reply_error(r, 401, "signature does not verify");
		goto out;
	}
	msg = org__lfedge__eve__register__zregister_msg__unpack(NULL, env.payload_len, env.payload);
	if (!msg) {
		http_reply_error(r, 400, "malformed ZRegisterMsg");
		goto out;
	}
	if (!onboard_serial_allowed(serials, msg->serial)) {
		http_reply_error(r, 403, "serial not allowed for this onboarding certificate");
		goto out;
	}
	if (strlen(msg->serial) > 256 ||
	    register_device_cert(&msg->pemcert, r->ctl->conf.strict_pem, &dev_der, &dev) < 0) {
		http_reply_error(r, 400,
				 r->ctl->conf.strict_pem
				     ? "pemCert: not the base64 of a PEM certificate with a P-256 key"
				     : "pemCert: not a PEM certificate with a P-256 key");
		goto out;
	}
	char sender[80];
	uint8_t rid[REPLAY_ID_LEN];
	snprintf(sender, sizeof(sender), "onboard:%s", ob_id);
	if (!replay_enter(r, &env, sender, rid, false))
		goto out;
	if (r->ctl->commitq && register_queue(r, &dev_der, &dev, msg->serial, ob_id, sender, rid))
		goto out; /* answered by reg_done once durable */
	register_reply(r, register_apply(r->ctl, d, &dev, msg->serial, ob_id));
	replay_leave(r, sender, rid, false);
out:
	if (msg)
		org__lfedge__eve__register__zregister_msg__free_unpacked(msg, NULL);
	store_put(r->ctl->db, d);
	X509_free(ob.cert);
	free(dev_der);
	free(serials);
	envelope_clear(&env);
}

static void h_uuid(struct http_req *r)
{
	struct envelope env = {0};
	struct devcache_view v;
	if (!dev_auth(r, &env, &v))
		goto out;
	Org__Lfedge__Eve__Uuid__UuidResponse resp = ORG__LFEDGE__EVE__UUID__UUID_RESPONSE__INIT;
	resp.uuid = v.uuid;
	uint8_t buf[128];
	size_t n = org__lfedge__eve__uuid__uuid_response__pack(&resp, buf);
	reply_sealed(r, 200, buf, n);
out:
	auth_clear(&env, &v);
}

/* The signed config of uuid from the cache, built on a miss. */
static int config_get(struct ctl *c, const struct devcache_view *v, uint8_t **env, size_t *len,
		      char hash[CONFIGHASH_LEN])
{
	uint64_t gen;
	if (devcache_get_config(c->cache, v->uuid, env, len, hash, &gen) == 0)
		return 0;
	struct store *d = store_get(c->db);
	int r = config_build_envelope(c, d, v->uuid, env, len, hash);
	store_put(c->db, d);
	if (r < 0)
		return r;
	uint8_t *copy = malloc(*len);
	if (copy) {
		memcpy(copy, *env, *len);
		devcache_put_config(c->cache, v->uuid, v->gen, copy, *len, hash);
	}
	return 0;
}

/* A device fetched a new config: record how long ago an admin changed it. */
static void config_fanout_done(struct ctl *c, const char *uuid)
{
	int64_t changed = devcache_take_changed(c->cache, uuid);
	if (changed <= 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ctlmetrics_fanout(c->metrics, now > changed ? (uint64_t)(now - changed) : 0);
}

/* The attestation policy's say (attest.h): true to go on with the current
 * config; false when it answered (403, or the frozen config). */
static bool config_attest_gate(struct http_req *r, const struct devcache_view *v,
			       const Org__Lfedge__Eve__Config__ConfigRequest *req)
{
	uint8_t *frozen = NULL;
	size_t flen = 0;
	char *fhash = NULL, why[300] = "";
	enum attest_gate g =
	    attest_config_gate(r->ctl, v->uuid, req->integrity_token.data, req->integrity_token.len, &frozen,
			       &flen, &fhash, why, sizeof(why));
	if (g == ATTEST_GATE_PASS)
		return true;
	if (g == ATTEST_GATE_REFUSE) {
		http_reply_error(r, 403, "%s", why);
	} else if (req->confighash && !strcmp(req->confighash, fhash)) {
		http_reply_empty(r, 304);
	} else {
		http_reply_take(r, 200, frozen, flen, PROTO_CT);
		frozen = NULL;
	}
	if (r->ctl->log_device && g == ATTEST_GATE_FROZEN)
		r->ctl->log_device(v->uuid, why);
	free(frozen);
	free(fhash);
	return false;
}

static void h_config(struct http_req *r)
{
	struct envelope env = {0};
	struct devcache_view v;
	Org__Lfedge__Eve__Config__ConfigRequest *req = NULL;
	uint8_t *cfg = NULL;
	size_t len;
	char hash[CONFIGHASH_LEN];
	if (!dev_auth(r, &env, &v))
		goto out;
	req = org__lfedge__eve__config__config_request__unpack(NULL, env.payload_len, env.payload);
	if (!req) {
		http_reply_error(r, 400, "malformed ConfigRequest");
		goto out;
	}
	/* A controller that requires attestation (config.require_integrity_token,
	 * or the enforce policy) refuses config without the integrity token of
	 * the last good attestation (APIv2: 403). */
	if (!config_attest_gate(r, &v, req))
		goto out;
	/* Hot path: the cached hash answers without touching SQLite. */
	if (v.cfg_hash[0] && !strcmp(req->confighash, v.cfg_hash)) {
		http_reply_empty(r, 304);
		if (v.cfg_env_held) /* it has this config: keep only the hash */
			devcache_drop_config_env(r->ctl->cache, env.cert_hash, env.cert_hash_len, v.gen);
		goto out;
	}
	int e = config_get(r->ctl, &v, &cfg, &len, hash);
	if (e < 0) {
		http_reply_error(r, e == -ENOENT ? 404 : 500, "config: %s", eve_strerror(e));
		goto out;
	}
	if (!strcmp(req->confighash, hash)) {
		free(cfg);
		http_reply_empty(r, 304);
		devcache_take_changed(r->ctl->cache, v.uuid); /* the change left it as it was */
	} else {
		attest_config_served(r->ctl, v.uuid, cfg, len, hash);
		http_reply_take(r, 200, cfg, len, PROTO_CT);
		config_fanout_done(r->ctl, v.uuid);
	}
out:
	if (req)
		org__lfedge__eve__config__config_request__free_unpacked(req, NULL);
	auth_clear(&env, &v);
}

/* EVE's /attest: ZAttestReq in, ZAttestResponse out (signed). */
static void h_attest(struct http_req *r)
{
	struct envelope env = {0};
	struct devcache_view v;
	uint8_t *out = NULL;
	size_t olen = 0;
	if (!dev_auth(r, &env, &v))
		goto out;
	EVP_PKEY *pub = NULL; /* attestation checks certificates against it */
	int e = crypto_pubkey_from_point(v.pub, sizeof(v.pub), &pub);
	if (e == 0)
		e = attest_handle(r->ctl, v.uuid, pub, env.payload, env.payload_len, &out, &olen);
	EVP_PKEY_free(pub);
	if (e == -EVE_EPROTO || e == -EVE_EBADCERT || e == -EINVAL)
		http_reply_error(r, 400, "attest: %s", eve_strerror(e));
	else if (e < 0)
		http_reply_error(r, 500, "attest: %s", eve_strerror(e));
	else
		reply_sealed(r, 200, out, olen);
out:
	free(out);
	auth_clear(&env, &v);
}

typedef int (*store_fn)(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len);

/* Authenticate, check the payload parses as desc, store, 201. */
static void report(struct http_req *r, const ProtobufCMessageDescriptor *desc, store_fn store)
{
	struct envelope env = {0};
	struct devcache_view v;
	uint8_t rid[REPLAY_ID_LEN];
	if (!dev_auth(r, &env, &v))
		goto out;
	if (!replay_enter(r, &env, v.uuid, rid, true))
		goto out;
	if (desc) {
		ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, env.payload_len, env.payload);
		/* An empty report carries nothing to store (and used to fail the
		 * NOT NULL data column with a 500). */
		if (env.payload_len == 0) {
			protobuf_c_message_free_unpacked(m, NULL);
			http_reply_error(r, 400, "empty %s", desc->short_name);
			goto leave;
		}
		if (!m) {
			http_reply_error(r, 400, "malformed %s", desc->short_name);
			goto leave;
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	int e = store(r->ctl, v.uuid, env.payload, env.payload_len);
	if (e == -EINVAL || e == -EVE_EPROTO)
		http_reply_error(r, 400, "malformed body");
	else if (e == -EVE_ETOOBIG)
		http_reply_error(r, 413, "body over its cap");
	else if (e < 0)
		http_reply_error(r, 500, "store: %s", eve_strerror(e));
	else
		reply_ok_empty(r, 201);
leave:
	replay_leave(r, v.uuid, rid, true);
out:
	auth_clear(&env, &v);
}

static void h_info(struct http_req *r)
{
	report(r, &org__lfedge__eve__info__zinfo_msg__descriptor, reports_store_info);
}

static void h_metrics(struct http_req *r)
{
	report(r, &org__lfedge__eve__metrics__zmetric_msg__descriptor, reports_store_metrics);
}

static void h_logs(struct http_req *r)
{
	report(r, &org__lfedge__eve__logs__log_bundle__descriptor, reports_store_logbundle);
}

static void h_flowlog(struct http_req *r)
{
	report(r, &org__lfedge__eve__flowlog__flow_message__descriptor, reports_store_flowlog);
}

static void h_hardwarehealth(struct http_req *r)
{
	report(r, &org__lfedge__eve__hardwarehealth__zhardware_health__descriptor,
	       reports_store_hardwarehealth);
}

static int store_newlogs(struct ctl *c, const char *uuid, const uint8_t *msg, size_t len)
{
	return reports_store_newlogs(c, uuid, NULL, msg, len);
}

static void h_newlogs(struct http_req *r)
{
	report(r, NULL, store_newlogs);
}

static void h_app_newlogs(struct http_req *r)
{
	struct envelope env = {0};
	struct devcache_view v;
	uint8_t rid[REPLAY_ID_LEN];
	if (!dev_auth(r, &env, &v))
		goto out;
	if (!replay_enter(r, &env, v.uuid, rid, true))
		goto out;
	int e = reports_store_newlogs(r->ctl, v.uuid, r->params[1], env.payload, env.payload_len);
	if (e == -EPERM)
		http_reply_error(r, 403, "app instance not deployed to this device");
	else if (e == -EINVAL || e == -EVE_EPROTO)
		http_reply_error(r, 400, "malformed body");
	else if (e == -EVE_ETOOBIG)
		http_reply_error(r, 413, "inflated logs over their cap");
	else if (e < 0)
		http_reply_error(r, 500, "store: %s", eve_strerror(e));
	else
		reply_ok_empty(r, 201);
	replay_leave(r, v.uuid, rid, true);
out:
	auth_clear(&env, &v);
}

#define P DEVAPI_PREFIX
const struct http_route device_api_routes[] = {
    {"GET", P "/ping", h_ping, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"GET", P "/certs", h_certs, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/register", h_register, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/uuid", h_uuid, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/config", h_config, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"GET", P "/id/*/config", h_config, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/info", h_info, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/metrics", h_metrics, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/logs", h_logs, 0, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/newlogs", h_newlogs, 0, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/apps/instanceid/*/newlogs", h_app_newlogs, 0, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/flowlog", h_flowlog, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/id/*/attest", h_attest, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    /* interoperability: EVE's hardware health report */
    {"POST", P "/id/*/hardwarehealth", h_hardwarehealth, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    /* EVE's paths without /id/{uuid} (URLPathString with no device UUID
     * yet): the signer names the device */
    {"POST", P "/config", h_config, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"GET", P "/config", h_config, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/info", h_info, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/metrics", h_metrics, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/logs", h_logs, 0, HTTP_AUTH_NONE, NULL},
    {"POST", P "/newlogs", h_newlogs, 0, HTTP_AUTH_NONE, NULL},
    {"POST", P "/flowlog", h_flowlog, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {"POST", P "/attest", h_attest, CAP_SMALL, HTTP_AUTH_NONE, NULL},
    {"POST", P "/hardwarehealth", h_hardwarehealth, CAP_REPORT, HTTP_AUTH_NONE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
