/* The agent's main loop and start-up.
 *
 * One thread runs everything that talks to the controller: onboarding, the
 * config poll, info/metrics/log uploads. The runtime's thread only queues
 * (info queue, log shipper), so no network handle is shared. Every timer is
 * a deadline on the monotonic clock; the loop sleeps in poll() on stop_fd
 * until the nearest one. */
#include "agent.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "agentlog.h"
#include "appruntime.h"
#include "backoff.h"
#include "baseos.h"
#include "checkpoint.h"
#include "configdir.h"
#include "crypto.h"
#include "ctlclient.h"
#include "devops.h"
#include "envelope.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "fileio.h"
#include "identity.h"
#include "infoqueue.h"
#include "keystore.h"
#include "logship.h"
#include "netmgr.h"
#include "register/register.pb-c.h"
#include "report_info.h"
#include "report_metrics.h"
#include "settings.h"

#define ONBOARD_MIN_MS 1000
#define ONBOARD_MAX_MS (10 * 60 * 1000)
#define ONBOARD_SLOW_MS (60 * 1000) /* 403/409: a person must act first */
#define FLUSH_MS 2000
#define INFO_CHECK_MS 10000 /* how often device info is checked for changes */
#define CONFIG_HASH_MAX 128

struct agent {
	const struct agent_opts *o;
	struct configdir cd;
	struct keystore ks;
	X509 *devcert;
	struct eve_signer dev_signer;
	struct eve_signer onb_signer;
	bool have_onb;
	char serial[IDENTITY_SERIAL_MAX];
	char uuid[UUID_STR_LEN];
	bool have_uuid;  /* onboarded (uuid known) */
	bool need_uuid;  /* ask /uuid once per start */
	bool registered; /* registered during this start */
	struct ctlclient *cc;
	struct netmgr *nm;
	struct infoqueue *iq;
	struct logship *ls;
	struct appruntime *rt;
	struct baseos *bo;
	const struct devops_ops *devops;
	struct settings set;
	char config_hash[CONFIG_HASH_MAX];
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg; /* owned: from a ConfigResponse or EdgeDevConfig */
	ProtobufCMessage *cfg_owner;                  /* what to free for cfg */
	uint32_t reboot_counter, shutdown_counter;
	bool devops_known;
	uint32_t restart_counter;
	bool promoted;  /* lastconfig already copied to .bak */
	bool online;
	bool info_dirty;
	int last_config_err; /* to log state changes once */
	struct backoff onboard_bo;
	uint8_t info_digest[32]; /* of the device info last queued */
	uint64_t next_onboard, next_config, next_info, next_metrics, next_flush, next_info_check;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int state_path(const struct agent *a, const char *name, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", a->o->state_dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- identity ---------------------------------------------------------- */

static int open_keystore(struct agent *a)
{
	struct keystore_opts ko = { .state_dir = a->o->state_dir, .tcti = a->o->tcti };
	const struct keystore_ops *ops = &keystore_file_ops;
	char tpmkey[PATH_MAX];
	struct stat st;
	int r;

	state_path(a, "device.tpmkey", tpmkey);
	if (a->o->tcti || stat("/dev/tpmrm0", &st) == 0 || stat(tpmkey, &st) == 0)
		ops = &keystore_tpm_ops;
	r = keystore_open(ops, &ko, &a->ks);
	if (r < 0) {
		alog(ALOG_ERR, "key store %s (%s): %s", ops->name, ko.tcti ? ko.tcti : "default", eve_strerror(r));
		return r;
	}
	alog(ALOG_INFO, "device key in the %s key store", ops->name);
	return 0;
}

static int make_device_signer(struct agent *a)
{
	size_t len = 0;
	int r;

	r = identity_cert_load_or_create(&a->ks, a->o->state_dir, &a->devcert);
	if (r < 0) {
		alog(ALOG_ERR, "%s/device.cert.pem: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	a->dev_signer.sign = keystore_sign_cb;
	a->dev_signer.ctx = &a->ks;
	r = crypto_cert_hash_der(a->devcert, a->dev_signer.cert_hash);
	if (r == 0)
		r = crypto_cert_to_pem(a->devcert, &a->dev_signer.cert_pem, &len);
	return r;
}

static int make_onboard_signer(struct agent *a)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r;

	if (!a->cd.onboard_cert_path)
		return 0;
	r = crypto_key_load_pem(a->cd.onboard_key_path, &key);
	if (r == 0)
		r = crypto_cert_load_pem(a->cd.onboard_cert_path, &cert);
	if (r == 0)
		r = envelope_signer_from_key(&a->onb_signer, key, cert, false);
	a->have_onb = r == 0;
	EVP_PKEY_free(key);
	X509_free(cert);
	if (r < 0)
		alog(ALOG_ERR, "%s: %s", a->cd.onboard_cert_path, eve_strerror(r));
	return r;
}

/* ---- small persistent counters ---------------------------------------- */

static void counters_load(struct agent *a)
{
	char path[PATH_MAX];
	uint8_t *d = NULL;
	size_t len = 0;
	unsigned rb = 0, sd = 0, rs = 0;

	state_path(a, "counters", path);
	if (fileio_read(path, 256, &d, &len) == 0 &&
	    sscanf((char *)d, "reboot=%u shutdown=%u restart=%u", &rb, &sd, &rs) == 3) {
		a->reboot_counter = rb;
		a->shutdown_counter = sd;
		a->restart_counter = rs;
		a->devops_known = true;
	}
	free(d);
}

static int counters_save(struct agent *a)
{
	char path[PATH_MAX], text[128];

	state_path(a, "counters", path);
	snprintf(text, sizeof(text), "reboot=%u shutdown=%u restart=%u\n", a->reboot_counter, a->shutdown_counter,
		 a->restart_counter);
	return fileio_write_atomic(path, text, strlen(text), 0600);
}

/* ---- config application ------------------------------------------------ */

static void apply_settings(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct settings old = a->set;
	char bad[64] = "";
	size_t n_bad = 0;

	settings_from_items(&a->set, cfg->configitems, cfg->n_configitems, &n_bad, bad, sizeof(bad));
	if (n_bad)
		alog(ALOG_WARN, "config: %zu bad config item value(s), first %s: default kept", n_bad, bad);
	if (old.config_interval_s != a->set.config_interval_s) {
		alog(ALOG_INFO, "config: timer.config.interval = %" PRIu32 " s", a->set.config_interval_s);
		a->next_config = now_ms() + backoff_tick(a->set.config_interval_s * 1000ull, backoff_random());
	}
	if (old.metric_interval_s != a->set.metric_interval_s) {
		alog(ALOG_INFO, "config: timer.metric.interval = %" PRIu32 " s", a->set.metric_interval_s);
		a->next_metrics = now_ms() + a->set.metric_interval_s * 1000ull;
	}
	if (old.info_interval_s != a->set.info_interval_s) {
		alog(ALOG_INFO, "config: timer.deviceinfo.interval = %" PRIu32 " s", a->set.info_interval_s);
		a->next_info = now_ms() + a->set.info_interval_s * 1000ull;
	}
	alog_set_level(a->o->verbose ? ALOG_DEBUG : (enum alog_level)a->set.log_level,
		       (enum alog_level)a->set.remote_log_level);
}

/* A DeviceOpsCmd counter above the one last honoured asks for the op. The
 * first config ever seen only sets the baseline. */
static void apply_devops(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	uint32_t rb = cfg->reboot ? cfg->reboot->counter : 0;
	uint32_t sd = cfg->shutdown ? cfg->shutdown->counter : 0;
	bool do_reboot = a->devops_known && rb > a->reboot_counter;
	bool do_shutdown = a->devops_known && sd > a->shutdown_counter;
	int r;

	if (a->devops_known && rb == a->reboot_counter && sd == a->shutdown_counter)
		return;
	a->reboot_counter = rb;
	a->shutdown_counter = sd;
	a->devops_known = true;
	/* Persist first: a reboot must not repeat after it happened. */
	r = counters_save(a);
	if (r < 0) {
		alog(ALOG_ERR, "%s/counters: %s: device op not executed", a->o->state_dir, eve_strerror(r));
		return;
	}
	a->info_dirty = true;
	if (do_reboot || do_shutdown) {
		enum devops_op op = do_shutdown ? DEVOPS_SHUTDOWN : DEVOPS_REBOOT;

		alog(ALOG_WARN, "device op: %s requested by the controller (counter %" PRIu32 ")",
		     devops_op_name(op), op == DEVOPS_REBOOT ? rb : sd);
		logship_rotate(a->ls);
		r = a->devops->execute(a->o->devops_record, op, "controller request");
		if (r < 0)
			alog(ALOG_ERR, "device op %s: %s", devops_op_name(op), eve_strerror(r));
	}
}

/* Uplink system adapters and the first entProxy make the network setting. */
static void apply_network(struct agent *a, const Org__Lfedge__Eve__Config__EdgeDevConfig *cfg)
{
	struct netmgr_setting s = { 0 };
	bool any = false;

	for (size_t i = 0; i < cfg->n_systemadapterlist && s.n_ports < NETMGR_MAX_PORTS; i++) {
		const Org__Lfedge__Eve__Config__SystemAdapter *sa = cfg->systemadapterlist[i];
		const char *name = sa->lowerlayername && *sa->lowerlayername ? sa->lowerlayername : sa->name;

		if (!sa->uplink || !name || strlen(name) >= NETMGR_NAME_MAX)
			continue;
		snprintf(s.ports[s.n_ports++], NETMGR_NAME_MAX, "%s", name);
		any = true;
	}
	for (size_t i = 0; i < cfg->n_networks; i++) {
		const Org__Lfedge__Eve__Config__ProxyConfig *p = cfg->networks[i]->entproxy;

		if (p && p->networkproxyenable && p->networkproxyurl && *p->networkproxyurl) {
			snprintf(s.proxy, sizeof(s.proxy), "%s", p->networkproxyurl);
			any = true;
			break;
		}
	}
	if (any && netmgr_propose(a->nm, &s, now_ms(), a->set.netrollback_s * 1000ull) > 0)
		alog(ALOG_INFO, "network: trying %zu management port(s)%s%s for %" PRIu32 " s", s.n_ports,
		     s.proxy[0] ? " via proxy " : "", s.proxy, a->set.netrollback_s);
}

static void set_config(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, ProtobufCMessage *owner)
{
	if (a->cfg_owner)
		protobuf_c_message_free_unpacked(a->cfg_owner, NULL);
	a->cfg = cfg;
	a->cfg_owner = owner;
}

/* Apply an accepted config (takes owner). */
static int apply_config(struct agent *a, Org__Lfedge__Eve__Config__EdgeDevConfig *cfg, ProtobufCMessage *owner,
			const char *hash, const char *source)
{
	int r;

	apply_settings(a, cfg);
	apply_devops(a, cfg);
	apply_network(a, cfg);
	r = appruntime_apply(a->rt, cfg);
	if (r < 0 && r != -ENOTSUP)
		alog(ALOG_ERR, "runtime: %s", eve_strerror(r));
	r = baseos_apply(a->bo, cfg);
	if (r < 0)
		alog(ALOG_ERR, "base OS update: %s", eve_strerror(r));
	snprintf(a->config_hash, sizeof(a->config_hash), "%s", hash ? hash : "");
	set_config(a, cfg, owner);
	a->info_dirty = true;
	alog(ALOG_INFO, "config: applied %s from %s (%zu config items, %zu apps)", a->config_hash[0] ? a->config_hash : "-",
	     source, cfg->n_configitems, cfg->n_apps);
	return 0;
}

/* Unpack a ConfigResponse payload and apply it. */
static int apply_response(struct agent *a, const uint8_t *payload, size_t len, const char *source)
{
	Org__Lfedge__Eve__Config__ConfigResponse *cr;

	cr = org__lfedge__eve__config__config_response__unpack(NULL, len, payload);
	if (!cr)
		return -EVE_EPROTO;
	if (!cr->config) {
		org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
		return -EVE_EPROTO;
	}
	return apply_config(a, cr->config, &cr->base, cr->confighash, source);
}

static int apply_slot(struct agent *a, enum checkpoint_slot slot, const char *name)
{
	uint8_t *raw = NULL, *payload = NULL;
	size_t raw_len = 0, plen = 0;
	int r;

	r = checkpoint_load(a->o->state_dir, slot, &raw, &raw_len);
	if (r == 0)
		r = ctlclient_verify(a->cc, raw, raw_len, &payload, &plen);
	if (r == 0)
		r = apply_response(a, payload, plen, name);
	if (r < 0 && r != -ENOENT)
		alog(ALOG_ERR, "%s/checkpoint/%s: %s: not applied", a->o->state_dir, name, eve_strerror(r));
	free(raw);
	free(payload);
	return r;
}

static int apply_bootstrap(struct agent *a)
{
	Org__Lfedge__Eve__Config__EdgeDevConfig *cfg;
	uint8_t *raw = NULL, *payload = NULL;
	size_t raw_len = 0, plen = 0;
	int r;

	if (!a->cd.bootstrap_path)
		return -ENOENT;
	r = fileio_read(a->cd.bootstrap_path, ENVELOPE_MAX, &raw, &raw_len);
	if (r == 0)
		r = ctlclient_verify_selfcontained(a->cc, raw, raw_len, &payload, &plen);
	if (r == 0 && apply_response(a, payload, plen, "bootstrap-config.pb") < 0) {
		cfg = org__lfedge__eve__config__edge_dev_config__unpack(NULL, plen, payload);
		r = cfg ? apply_config(a, cfg, &cfg->base, "", "bootstrap-config.pb") : -EVE_EPROTO;
	}
	if (r < 0)
		alog(ALOG_ERR, "%s: %s: not applied", a->cd.bootstrap_path, eve_strerror(r));
	free(raw);
	free(payload);
	return r;
}

/* At start, before the controller answers: lastconfig, else .bak, else the
 * bootstrap config. */
static void apply_checkpoint(struct agent *a)
{
	if (apply_slot(a, CHECKPOINT_LAST, "lastconfig") == 0)
		return;
	if (apply_slot(a, CHECKPOINT_BAK, "lastconfig.bak") == 0)
		return;
	if (apply_bootstrap(a) == 0)
		return;
	alog(ALOG_INFO, "config: no checkpoint yet, waiting for the controller");
}

/* ---- controller exchanges ---------------------------------------------- */

/* POST a device-signed payload; reports reachability to netmgr. */
static int post(struct agent *a, const struct eve_signer *signer, bool with_cert, const char *path,
		const uint8_t *payload, size_t len, bool want_resp, long *status, uint8_t **resp, size_t *resp_len,
		uint8_t **raw, size_t *raw_len)
{
	int r;

	*status = 0;
	ctlclient_set_api(a->cc, netmgr_api(a->nm));
	r = ctlclient_post(a->cc, signer, with_cert, path, payload, len, want_resp, status, resp, resp_len, raw,
			   raw_len);
	a->online = *status != 0;
	netmgr_report(a->nm, a->online, now_ms());
	return r;
}

static int ensure_certs(struct agent *a)
{
	int r;

	if (ctlclient_has_certs(a->cc))
		return 0;
	ctlclient_set_api(a->cc, netmgr_api(a->nm));
	r = ctlclient_fetch_certs(a->cc);
	if (r == 0)
		alog(ALOG_INFO, "controller certificates fetched and verified");
	return r;
}

static int do_register(struct agent *a)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	uint8_t body[8192];
	size_t len;
	long status;
	int r;

	m.pemcert.data = (uint8_t *)a->dev_signer.cert_pem;
	m.pemcert.len = strlen(a->dev_signer.cert_pem);
	m.serial = a->serial;
	len = org__lfedge__eve__register__zregister_msg__get_packed_size(&m);
	if (len > sizeof(body))
		return -EVE_ETOOBIG;
	org__lfedge__eve__register__zregister_msg__pack(&m, body);
	r = post(a, &a->onb_signer, true, "/register", body, len, false, &status, NULL, NULL, NULL, NULL);
	if (r < 0)
		return r;
	if (status == 200 || status == 201) {
		alog(ALOG_INFO, "registered with the onboarding certificate (serial %s)", a->serial);
		return 0;
	}
	if (status == 409)
		alog(ALOG_WARN, "register: 409 conflict: the device certificate or serial %s is already "
				"registered differently", a->serial);
	else if (status == 403 || status == 401)
		alog(ALOG_WARN, "register: %ld: onboarding certificate or serial %s not accepted by the controller",
		     status, a->serial);
	else
		alog(ALOG_WARN, "register: HTTP %ld", status);
	return status == 409 || status == 403 ? -EACCES : -EVE_EHTTP;
}

static int do_uuid(struct agent *a)
{
	Org__Lfedge__Eve__Uuid__UuidRequest req = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	Org__Lfedge__Eve__Uuid__UuidResponse *resp = NULL;
	uint8_t body[16], *payload = NULL;
	size_t len, plen = 0;
	long status;
	int r;

	len = org__lfedge__eve__uuid__uuid_request__pack(&req, body);
	r = post(a, &a->dev_signer, false, "/uuid", body, len, true, &status, &payload, &plen, NULL, NULL);
	if (r < 0)
		return r;
	if (status != 200) {
		alog(a->have_uuid ? ALOG_DEBUG : ALOG_WARN, "uuid: HTTP %ld (device not known to the controller yet?)",
		     status);
		return -EVE_EHTTP;
	}
	resp = org__lfedge__eve__uuid__uuid_response__unpack(NULL, plen, payload);
	r = resp && resp->uuid && uuidgen_valid(resp->uuid) ? 0 : -EVE_EPROTO;
	if (r == 0 && (!a->have_uuid || strcmp(a->uuid, resp->uuid))) {
		r = identity_uuid_save(a->o->state_dir, resp->uuid);
		if (r == 0) {
			snprintf(a->uuid, sizeof(a->uuid), "%s", resp->uuid);
			alog(ALOG_INFO, "onboarded: device UUID %s", a->uuid);
		}
	}
	if (r == 0) {
		a->have_uuid = true;
		logship_set_meta(a->ls, a->uuid, AGENT_VERSION);
	}
	if (resp)
		org__lfedge__eve__uuid__uuid_response__free_unpacked(resp, NULL);
	free(payload);
	return r;
}

/* One onboarding attempt: certs, register (until it worked once this
 * start), uuid. A refused registration (403/409) needs a person to act
 * on the controller, so it is retried slowly. */
static void onboard_step(struct agent *a)
{
	bool slow = false;
	uint64_t delay;
	int r;

	r = ensure_certs(a);
	if (r == 0 && a->have_onb && !a->registered) {
		int rr = do_register(a);

		a->registered = rr == 0;
		slow = rr == -EACCES;
		if (rr < 0 && !slow)
			r = rr;
	}
	if (r == 0)
		r = do_uuid(a);
	if (r == 0) {
		a->need_uuid = false;
		backoff_reset(&a->onboard_bo);
		a->next_config = now_ms();
		return;
	}
	delay = backoff_next(&a->onboard_bo, backoff_random());
	if (slow && delay < ONBOARD_SLOW_MS)
		delay = ONBOARD_SLOW_MS;
	alog(a->have_uuid ? ALOG_DEBUG : ALOG_WARN, "onboarding: %s; retry in %" PRIu64 " ms", eve_strerror(r),
	     delay);
	a->next_onboard = now_ms() + delay;
}

static void config_log_once(struct agent *a, int r, long status)
{
	int code = r < 0 ? r : (int)status;

	if (code == a->last_config_err)
		return;
	a->last_config_err = code;
	if (r < 0 && status == 0)
		alog(ALOG_WARN, "config: controller unreachable (%s), keeping the current config", eve_strerror(r));
	else if (r < 0)
		alog(ALOG_ERR, "config: response refused (%s), keeping the current config", eve_strerror(r));
	else if (status != 200 && status != 304)
		alog(ALOG_WARN, "config: HTTP %ld, keeping the current config", status);
}

static void config_poll(struct agent *a)
{
	Org__Lfedge__Eve__Config__ConfigRequest req = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	uint8_t body[256], *payload = NULL, *raw = NULL;
	size_t len, plen = 0, raw_len = 0;
	char path[128];
	long status = 0;
	int r;

	req.confighash = a->config_hash;
	len = org__lfedge__eve__config__config_request__pack(&req, body);
	snprintf(path, sizeof(path), "/id/%s/config", a->uuid);
	r = ensure_certs(a);
	if (r == 0)
		r = post(a, &a->dev_signer, false, path, body, len, true, &status, &payload, &plen, &raw, &raw_len);
	if (r == 0 && status == 200) {
		r = apply_response(a, payload, plen, "controller");
		if (r == 0)
			r = checkpoint_save(a->o->state_dir, CHECKPOINT_LAST, raw, raw_len);
		if (r == 0)
			a->promoted = false;
	} else if (r == 0 && status == 304) {
		alog(ALOG_DEBUG, "config: unchanged (304)");
		/* Ran a full interval and the controller still agrees: stable. */
		if (!a->promoted && checkpoint_promote(a->o->state_dir) == 0)
			a->promoted = true;
	}
	if (r == 0 && (status == 200 || status == 304))
		baseos_controller_reached(a->bo, time(NULL));
	config_log_once(a, r, status);
	if (r < 0 && status == 0 && a->last_config_err)
		a->next_flush = now_ms() + FLUSH_MS;
	free(payload);
	free(raw);
}

/* ---- reports ---------------------------------------------------------- */

static int send_path(struct agent *a, const char *path, const uint8_t *data, size_t len)
{
	long status = 0;
	int r;

	r = post(a, &a->dev_signer, false, path, data, len, false, &status, NULL, NULL, NULL, NULL);
	if (r < 0)
		return r;
	return status >= 200 && status < 300 ? 0 : -EVE_EHTTP;
}

static int send_info(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	struct agent *a = ctx;
	char path[128];

	snprintf(path, sizeof(path), "/id/%s/info", a->uuid);
	return send_path(a, path, data, len);
}

static int send_logs(void *ctx, const char *app, const uint8_t *gz, size_t len)
{
	struct agent *a = ctx;
	char path[192];

	if (app)
		snprintf(path, sizeof(path), "/id/%s/apps/instanceid/%s/newlogs", a->uuid, app);
	else
		snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
	return send_path(a, path, gz, len);
}

/* Queue device info when forced (start, config, interval) or changed. */
static void queue_device_info(struct agent *a, bool force)
{
	struct report_device d = {
		.dev_uuid = a->uuid,
		.state_dir = a->o->state_dir,
		.serial = a->serial,
		.reboot_counter = a->reboot_counter,
		.shutdown_counter = a->shutdown_counter,
		.restart_counter = a->restart_counter,
		.hypervisors = appruntime_hypervisors(a->rt),
		.n_sw = 1,
	};
	uint8_t *data = NULL, digest[32];
	size_t len = 0;
	int r;

	/* Without the updater: one active partition running this version. */
	snprintf(d.sw[0].label, sizeof(d.sw[0].label), "IMGA");
	snprintf(d.sw[0].state, sizeof(d.sw[0].state), "active");
	snprintf(d.sw[0].version, sizeof(d.sw[0].version), "%s", AGENT_VERSION);
	d.sw[0].activated = 1;
	baseos_fill_info(a->bo, &d);
	r = report_info_device(&d, &data, &len, digest);
	if (r == 0 && !force && !memcmp(digest, a->info_digest, sizeof(digest)))
		goto out;
	if (r == 0)
		r = infoqueue_put(a->iq, "device", data, len);
	if (r == 0) {
		memcpy(a->info_digest, digest, sizeof(digest));
		a->next_flush = 0;
	}
	if (r < 0)
		alog(ALOG_WARN, "device info: %s", eve_strerror(r));
out:
	free(data);
}

static int metrics_fill(void *ctx, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	return appruntime_metrics(ctx, m);
}

static void metrics_release(void *ctx, Org__Lfedge__Eve__Metrics__ZMetricMsg *m)
{
	appruntime_metrics_release(ctx, m);
}

static void send_metrics(struct agent *a)
{
	struct report_metrics_hooks h = { .fill = metrics_fill, .release = metrics_release, .ctx = a->rt };
	uint8_t *data = NULL;
	size_t len = 0;
	char path[128];
	int r;

	r = report_metrics_device(a->uuid, a->o->state_dir, a->rt ? &h : NULL, &data, &len);
	snprintf(path, sizeof(path), "/id/%s/metrics", a->uuid);
	if (r == 0)
		r = send_path(a, path, data, len);
	if (r < 0)
		alog(ALOG_DEBUG, "metrics: %s (best effort, dropped)", eve_strerror(r));
	free(data);
}

static void flush_queues(struct agent *a)
{
	int r;

	logship_rotate(a->ls);
	if (!a->online)
		return;
	r = infoqueue_flush(a->iq, send_info, a);
	if (r == 0)
		r = logship_upload(a->ls, send_logs, a);
	if (r < 0)
		alog(ALOG_DEBUG, "report upload: %s (kept for later)", eve_strerror(r));
}

/* ---- runtime callbacks (runtime thread) -------------------------------- */

static const char *info_object(const Org__Lfedge__Eve__Info__ZInfoMsg *m, const char **prefix)
{
	switch (m->info_content_case) {
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO:
		*prefix = "app";
		return m->ainfo->appid;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO:
		*prefix = "vol";
		return m->vinfo->uuid;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO:
		*prefix = "ct";
		return m->cinfo->uuid;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_NIINFO:
		*prefix = "ni";
		return m->niinfo->networkid;
	default:
		return NULL;
	}
}

static void on_report(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *msg)
{
	struct agent *a = ctx;
	const char *prefix = NULL, *obj = info_object(msg, &prefix);
	char key[INFOQUEUE_KEY_MAX];
	uint8_t *data;
	size_t len;

	if (!obj || !uuidgen_valid(obj))
		return;
	snprintf(key, sizeof(key), "%s-%s", prefix, obj);
	len = protobuf_c_message_get_packed_size(&msg->base);
	data = malloc(len ? len : 1);
	if (!data)
		return;
	protobuf_c_message_pack(&msg->base, data);
	if (infoqueue_put(a->iq, key, data, len) < 0)
		alog(ALOG_WARN, "info queue: %s not queued", key);
	free(data);
}

static void on_app_log(void *ctx, const char *app_uuid, const char *line)
{
	struct agent *a = ctx;

	logship_add(a->ls, app_uuid, "INFO", "guest_vm", line);
}

/* ---- start-up / shutdown ---------------------------------------------- */

static int devops_reboot_seam(void *ctx)
{
	struct agent *a = ctx;

	alog(ALOG_WARN, "base OS update asks for a reboot");
	return a->devops->execute(a->o->devops_record, DEVOPS_REBOOT, "base OS update");
}

static void open_optional(struct agent *a)
{
	struct baseos_opts bo = { .backend = a->o->update_backend, .target = a->o->update_target,
				  .state_dir = a->o->state_dir, .ca_path = a->cd.root_ca_path,
				  .version = AGENT_VERSION, .reboot = devops_reboot_seam, .ctx = a };
	int r;

	r = appruntime_new(a->o->state_dir, a->o->libvirt_uri, a->cd.root_ca_path, on_report, on_app_log, a, &a->rt);
	if (r == -ENOTSUP)
		alog(ALOG_WARN, "built without the app runtime: apps are not run");
	else if (r < 0)
		alog(ALOG_ERR, "runtime: %s: apps are not run", eve_strerror(r));
	if (r < 0)
		a->rt = NULL;
	if (!a->o->update_backend)
		return;
	r = baseos_open(&bo, &a->bo);
	if (r == 0)
		r = baseos_boot_check(a->bo, time(NULL));
	if (r < 0)
		alog(ALOG_ERR, "base OS updater (%s:%s): %s", a->o->update_backend, a->o->update_target,
		     eve_strerror(r));
}

static int open_reporting(struct agent *a)
{
	int r;

	r = logship_new(a->o->state_dir, (size_t)a->set.log_quota_mb << 20, &a->ls);
	if (r == 0)
		r = infoqueue_new(a->o->state_dir, &a->iq);
	if (r == 0)
		r = checkpoint_init(a->o->state_dir);
	if (r < 0) {
		alog(ALOG_ERR, "%s: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	alog_set_ship(a->ls);
	return 0;
}

static int open_controller(struct agent *a)
{
	struct netmgr_setting s = { 0 };
	int r;

	for (size_t i = 0; i < a->cd.n_ports && i < NETMGR_MAX_PORTS; i++)
		snprintf(s.ports[s.n_ports++], NETMGR_NAME_MAX, "%s", a->cd.ports[i]);
	if (a->cd.proxy)
		snprintf(s.proxy, sizeof(s.proxy), "%s", a->cd.proxy);
	r = ctlclient_new(a->o->state_dir, a->cd.root_ca_path, &a->cc);
	if (r == 0)
		r = netmgr_new(a->cd.server, a->cd.root_ca_path, &s, &a->nm);
	if (r < 0) {
		alog(ALOG_ERR, "controller client: %s", eve_strerror(r));
		return r;
	}
	r = ctlclient_load_certs(a->cc);
	if (r < 0 && r != -ENOENT)
		alog(ALOG_WARN, "%s/checkpoint/controllercerts: %s: fetching again", a->o->state_dir,
		     eve_strerror(r));
	return 0;
}

static int agent_start(struct agent *a)
{
	char err[512] = "";
	int r;

	settings_defaults(&a->set);
	a->devops = a->o->devops_record ? &devops_record : &devops_real;
	r = configdir_load(a->o->config_dir, &a->cd, err, sizeof(err));
	if (r < 0) {
		alog(ALOG_ERR, "config: %s", err[0] ? err : eve_strerror(r));
		return r;
	}
	r = fileio_mkdirs(a->o->state_dir, 0700);
	if (r < 0) {
		alog(ALOG_ERR, "%s: %s", a->o->state_dir, eve_strerror(r));
		return r;
	}
	r = open_reporting(a);
	if (r == 0)
		r = open_keystore(a);
	if (r == 0)
		r = make_device_signer(a);
	if (r == 0)
		r = make_onboard_signer(a);
	if (r == 0)
		r = open_controller(a);
	if (r < 0)
		return r;
	identity_serial(a->o->serial, a->serial);
	counters_load(a);
	a->restart_counter++;
	counters_save(a);
	a->have_uuid = identity_uuid_load(a->o->state_dir, a->uuid) == 0;
	a->need_uuid = true;
	if (a->have_uuid)
		logship_set_meta(a->ls, a->uuid, AGENT_VERSION);
	alog(ALOG_INFO, "eve-agent %s starting: serial %s, controller %s, %s", AGENT_VERSION, a->serial,
	     a->cd.server, a->have_uuid ? a->uuid : "not onboarded yet");
	open_optional(a);
	apply_checkpoint(a);
	return 0;
}

static void agent_stop(struct agent *a)
{
	alog_set_ship(NULL);
	appruntime_free(a->rt); /* first: its thread calls into iq / ls */
	if (a->ls)
		logship_rotate(a->ls);
	baseos_close(a->bo);
	set_config(a, NULL, NULL);
	netmgr_free(a->nm);
	ctlclient_free(a->cc);
	infoqueue_free(a->iq);
	logship_free(a->ls);
	envelope_signer_clear(&a->onb_signer);
	free(a->dev_signer.cert_pem);
	X509_free(a->devcert);
	keystore_close(&a->ks);
	configdir_free(&a->cd);
}

/* ---- the loop --------------------------------------------------------- */

static void run_timers(struct agent *a, uint64_t now)
{
	if (a->need_uuid && now >= a->next_onboard)
		onboard_step(a);
	if (!a->have_uuid)
		return;
	if (now >= a->next_config) {
		config_poll(a);
		a->next_config = now_ms() + backoff_tick(a->set.config_interval_s * 1000ull, backoff_random());
	}
	if (a->info_dirty || now >= a->next_info) {
		queue_device_info(a, true);
		a->info_dirty = false;
		a->next_info = now_ms() + a->set.info_interval_s * 1000ull;
		a->next_info_check = now_ms() + INFO_CHECK_MS;
	} else if (now >= a->next_info_check) {
		queue_device_info(a, false);
		a->next_info_check = now_ms() + INFO_CHECK_MS;
	}
	if (now >= a->next_metrics) {
		send_metrics(a);
		a->next_metrics = now_ms() + a->set.metric_interval_s * 1000ull;
	}
	if (now >= a->next_flush) {
		flush_queues(a);
		a->next_flush = now_ms() + FLUSH_MS;
	}
}

static uint64_t next_deadline(const struct agent *a)
{
	uint64_t d = a->next_flush;

	if (a->need_uuid && a->next_onboard < d)
		d = a->next_onboard;
	if (a->have_uuid) {
		if (a->next_config < d)
			d = a->next_config;
		if (a->next_metrics < d)
			d = a->next_metrics;
		if (a->next_info < d)
			d = a->next_info;
		if (a->next_info_check < d)
			d = a->next_info_check;
	}
	return d;
}

static void loop(struct agent *a, int stop_fd)
{
	struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };

	for (;;) {
		uint64_t now = now_ms(), dl;
		int timeout;

		if (netmgr_tick(a->nm, now))
			alog(ALOG_WARN, "network: new setting did not reach the controller in %" PRIu32
					" s: rolled back to the last working one", a->set.netrollback_s);
		baseos_tick(a->bo, time(NULL));
		run_timers(a, now);
		dl = next_deadline(a);
		now = now_ms();
		timeout = dl <= now ? 0 : (int)(dl - now > 1000 ? 1000 : dl - now);
		if (poll(&pfd, 1, timeout) > 0)
			break;
	}
}

int agent_run(const struct agent_opts *o, int stop_fd)
{
	struct agent a = { .o = o };
	uint64_t now = now_ms();
	int r;

	alog_set_level(o->verbose ? ALOG_DEBUG : ALOG_INFO, ALOG_INFO);
	backoff_init(&a.onboard_bo, ONBOARD_MIN_MS, ONBOARD_MAX_MS);
	r = agent_start(&a);
	if (r == 0) {
		a.next_onboard = now;
		a.next_config = now;
		a.next_info = now;
		a.next_metrics = now + a.set.metric_interval_s * 1000ull;
		a.next_flush = now;
		loop(&a, stop_fd);
		alog(ALOG_INFO, "eve-agent stopping");
	}
	agent_stop(&a);
	return r;
}
