// SPDX-License-Identifier: Apache-2.0
/* Interoperability of eve-controller with EVE devices (issue 13), over real
 * TLS against the real controller:
 *  - register.strict_pem: ZRegisterMsg.pemCert only as base64 of the PEM
 *    (EVE's form; the reference controller's rule), raw PEM refused;
 *  - every 2xx on the device API carries Content-Type
 *    application/x-proto-binary;
 *  - the hardware model: learned from ZInfoDevice (uplink ports), edited
 *    through /api/v1/devices/{d}/io, sent as deviceIoList (13),
 *    systemAdapterList (12) and networks (5) the way EVE reads them, plus
 *    controllercert_confighash (22); the fields are found on the wire by
 *    their public numbers, then decoded through the generated descriptors;
 *  - /id/{uuid}/hardwarehealth stored and readable with the device's info;
 *  - config.require_integrity_token: /config answers 403.
 * usage: interop_ctl_itest EVE_CONTROLLER WORKDIR PORT */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "b64.h"
#include "buf.h"
#include "certs/certs.pb-c.h"
#include "config/devconfig.pb-c.h"
#include "crypto.h"
#include "envelope.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "fileio.h"
#include "flowlog/flowlog.pb-c.h"
#include "gzip.h"
#include "hardwarehealth/hardware_health.pb-c.h"
#include "hexstr.h"
#include "info/info.pb-c.h"
#include "logs/log.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "register/register.pb-c.h"

#define PROTO_CT "application/x-proto-binary"

static const char *g_bin, *g_dir;
static char g_url[96], g_ca[512], g_token[128];
static pid_t g_pid = -1;

static void stop_controller(void)
{
	int st;

	if (g_pid <= 0)
		return;
	kill(g_pid, SIGTERM);
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

#define CHECK(cond, ...)                                                                                     \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                      \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fprintf(stderr, "\n");                                                               \
			stop_controller();                                                                   \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

static void on_signal(int sig)
{
	stop_controller();
	_exit(128 + sig);
}

/* --- HTTP (libcurl; the Content-Type of every answer is checked) --- */

struct reply {
	long status;
	char ctype[128];
	struct buf body;
};

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	return buf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

static void reply_free(struct reply *r)
{
	buf_free(&r->body);
}

/* method path (absolute); body may be NULL; token NULL = device call. */
static void call(const char *method, const char *path, const void *body, size_t len, const char *token,
		 struct reply *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[512], auth[200];
	char *ct = NULL;
	CURLcode cr;

	memset(out, 0, sizeof(*out));
	buf_init(&out->body, 16u << 20);
	snprintf(url, sizeof(url), "%s%s", g_url, path);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	} else if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: " PROTO_CT);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	cr = curl_easy_perform(h);
	CHECK(cr == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(cr));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(out->ctype, sizeof(out->ctype), "%s", ct ? ct : "");
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
}

static long admin(const char *method, const char *path, const char *json, json_t **out)
{
	struct reply r;
	char p[512];

	snprintf(p, sizeof(p), "/api/v1%s", path);
	call(method, p, json, json ? strlen(json) : 0, g_token, &r);
	if (out)
		*out = r.body.len ? json_loadb((const char *)r.body.data, r.body.len, 0, NULL) : NULL;
	reply_free(&r);
	return r.status;
}

/* A device API call with payload (NULL = a GET without body); every 2xx
 * must carry the protobuf Content-Type. */
static long dev_call_raw(const struct eve_signer *s, const char *path, const uint8_t *payload, size_t n,
			 bool with_cert, struct reply *out)
{
	uint8_t *env = NULL;
	size_t elen = 0;
	char p[300];

	if (payload)
		CHECK(envelope_seal(s, payload, n, with_cert, &env, &elen) == 0, "seal");
	snprintf(p, sizeof(p), "/api/v2/edgedevice%s", path);
	call(payload ? "POST" : "GET", p, env, elen, NULL, out);
	free(env);
	if (out->status >= 200 && out->status < 300)
		CHECK(!strcmp(out->ctype, PROTO_CT), "%s -> %ld with Content-Type '%s'", path, out->status,
		      out->ctype);
	return out->status;
}

static long dev_call(const struct eve_signer *s, const char *path, const ProtobufCMessage *m, bool with_cert,
		     struct reply *out)
{
	uint8_t *payload = NULL;
	size_t n = 0;
	long st;

	if (m) {
		n = protobuf_c_message_get_packed_size(m);
		payload = malloc(n ? n : 1);
		CHECK(payload, "oom");
		protobuf_c_message_pack(m, payload);
	}
	st = dev_call_raw(s, path, payload, n, with_cert, out);
	free(payload);
	return st;
}

/* --- controller process --- */

static void run_init(int port)
{
	char cmd[2048], p[600];
	uint8_t *tok = NULL;
	size_t len;

	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && '%s' init --dir '%s' --listen 127.0.0.1:%d > '%s.init.out' 2>&1", g_dir,
		 g_bin, g_dir, port, g_dir);
	CHECK(system(cmd) == 0, "init failed (see %s.init.out)", g_dir);
	snprintf(p, sizeof(p), "%s/admin-token", g_dir);
	CHECK(fileio_read(p, 200, &tok, &len) == 0, "no admin-token");
	snprintf(g_token, sizeof(g_token), "%.*s", (int)strcspn((char *)tok, "\n"), (char *)tok);
	free(tok);
	snprintf(g_ca, sizeof(g_ca), "%s/device-config/root-certificate.pem", g_dir);
	snprintf(g_url, sizeof(g_url), "https://localhost:%d", port);
}

/* Append key=value to controller.conf. */
static void conf_set(const char *line)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/controller.conf", g_dir);
	f = fopen(p, "a");
	CHECK(f, "open %s", p);
	fprintf(f, "%s\n", line);
	fclose(f);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static void start_controller(void)
{
	char log[600];
	struct reply r;

	snprintf(log, sizeof(log), "%s.serve.log", g_dir);
	g_pid = fork();
	CHECK(g_pid >= 0, "fork");
	if (g_pid == 0) {
		FILE *f = freopen(log, "a", stderr);
		(void)f;
		execl(g_bin, g_bin, "serve", "--dir", g_dir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600; i++) {
		CHECK(waitpid(g_pid, NULL, WNOHANG) == 0, "controller exited (port in use?), see %s", log);
		CURL *h = curl_easy_init();
		char url[200];
		long st = 0;
		snprintf(url, sizeof(url), "%s/api/v2/edgedevice/ping", g_url);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CAINFO, g_ca);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 2L);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		curl_easy_cleanup(h);
		if (st == 200)
			break;
		usleep(100000);
	}
	call("GET", "/api/v2/edgedevice/ping", NULL, 0, NULL, &r);
	CHECK(r.status == 200 && !strcmp(r.ctype, PROTO_CT), "ping %ld '%s'", r.status, r.ctype);
	reply_free(&r);
}

/* --- a device --- */

struct dev {
	EVP_PKEY *key;
	X509 *cert;
	struct eve_signer signer;
	char uuid[40];
};

static void dev_new(struct dev *d, const char *cn)
{
	memset(d, 0, sizeof(*d));
	CHECK(crypto_ec_generate(&d->key) == 0, "keygen");
	CHECK(crypto_cert_selfsigned(d->key, cn, 365, &d->cert) == 0, "cert");
	CHECK(envelope_signer_from_key(&d->signer, d->key, d->cert, false) == 0, "signer");
}

static void dev_free(struct dev *d)
{
	envelope_signer_clear(&d->signer);
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
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

/* Payload of a controller envelope (not re-verified here: the signature
 * path is controller_api's test). Caller frees. */
static uint8_t *open_env(const struct reply *r, size_t *len)
{
	struct envelope env = {0};
	uint8_t *p;

	CHECK(envelope_parse(r->body.data, r->body.len, &env) == 0, "envelope");
	p = malloc(env.payload_len + 1);
	CHECK(p, "oom");
	memcpy(p, env.payload, env.payload_len);
	*len = env.payload_len;
	envelope_clear(&env);
	return p;
}

/* SHA-256 hex of the signing + ECDH PEMs served by /certs. */
static void certs_hash(char hex[65])
{
	struct reply r;
	size_t len;
	uint8_t *p, h[32];
	const char *sig = "", *ecdh = "";
	struct buf pems;

	CHECK(dev_call(NULL, "/certs", NULL, false, &r) == 200, "certs");
	p = open_env(&r, &len);
	Org__Lfedge__Eve__Certs__ZControllerCert *zc =
	    org__lfedge__eve__certs__zcontroller_cert__unpack(NULL, len, p);
	CHECK(zc, "ZControllerCert");
	buf_init(&pems, 1u << 20);
	for (size_t i = 0; i < zc->n_certs; i++) {
		char *pem = strndup((const char *)zc->certs[i]->cert.data, zc->certs[i]->cert.len);
		if (zc->certs[i]->type == ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_SIGNING)
			sig = pem;
		else if (zc->certs[i]->type ==
			 ORG__LFEDGE__EVE__CERTS__ZCERT_TYPE__CERT_TYPE_CONTROLLER_ECDH_EXCHANGE)
			ecdh = pem;
		else
			free(pem);
	}
	buf_printf(&pems, "%s%s", sig, ecdh);
	crypto_sha256(pems.data, pems.len, h);
	hexstr_encode(h, 32, hex);
	if (*sig)
		free((char *)sig);
	if (*ecdh)
		free((char *)ecdh);
	buf_free(&pems);
	org__lfedge__eve__certs__zcontroller_cert__free_unpacked(zc, NULL);
	free(p);
	reply_free(&r);
}

static long dev_register(const struct dev *d, const struct eve_signer *onb, bool base64)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;
	char *pem = NULL, *b = NULL;
	size_t pl;
	struct reply r;

	CHECK(crypto_cert_to_pem(d->cert, &pem, &pl) == 0, "pem");
	if (base64) {
		b = b64_encode((const uint8_t *)pem, pl);
		CHECK(b, "b64");
	}
	m.pemcert.data = (uint8_t *)(b ? b : pem);
	m.pemcert.len = strlen(b ? b : pem);
	m.serial = "INTEROP-1";
	dev_call(onb, "/register", &m.base, true, &r);
	free(pem);
	free(b);
	reply_free(&r);
	return r.status;
}

static void dev_uuid(struct dev *d)
{
	Org__Lfedge__Eve__Uuid__UuidRequest q = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;
	struct reply r;
	size_t len;
	uint8_t *p;

	CHECK(dev_call(&d->signer, "/uuid", &q.base, false, &r) == 200, "uuid %ld", r.status);
	p = open_env(&r, &len);
	Org__Lfedge__Eve__Uuid__UuidResponse *u = org__lfedge__eve__uuid__uuid_response__unpack(NULL, len, p);
	CHECK(u && strlen(u->uuid) == 36, "UuidResponse");
	snprintf(d->uuid, sizeof(d->uuid), "%s", u->uuid);
	org__lfedge__eve__uuid__uuid_response__free_unpacked(u, NULL);
	free(p);
	reply_free(&r);
}

/* Top-level field numbers (length-delimited) present in a packed message. */
static void wire_fields(const uint8_t *p, size_t len, bool seen[64])
{
	size_t i = 0;

	memset(seen, 0, 64);
	while (i < len) {
		uint64_t key = 0, v = 0;
		int shift = 0;
		while (i < len) {
			key |= (uint64_t)(p[i] & 0x7f) << shift;
			shift += 7;
			if (!(p[i++] & 0x80))
				break;
		}
		unsigned num = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
		if (wt == 0) {
			while (i < len && (p[i++] & 0x80))
				;
		} else if (wt == 2) {
			shift = 0;
			while (i < len) {
				v |= (uint64_t)(p[i] & 0x7f) << shift;
				shift += 7;
				if (!(p[i++] & 0x80))
					break;
			}
			if (num < 64)
				seen[num] = true;
			i += v;
		} else if (wt == 1) {
			i += 8;
		} else if (wt == 5) {
			i += 4;
		} else {
			CHECK(0, "wire type %u", wt);
		}
	}
}

/* The device's config (ConfigResponse), with its EdgeDevConfig's wire
 * field numbers. Free with ..._config_response__free_unpacked. */
static Org__Lfedge__Eve__Config__ConfigResponse *dev_config(struct dev *d, bool seen[64], long *status)
{
	Org__Lfedge__Eve__Config__ConfigRequest q = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
	struct reply r;
	char path[128];
	size_t len;
	uint8_t *p;

	snprintf(path, sizeof(path), "/id/%s/config", d->uuid);
	*status = dev_call(&d->signer, path, &q.base, false, &r);
	if (*status != 200) {
		reply_free(&r);
		return NULL;
	}
	p = open_env(&r, &len);
	Org__Lfedge__Eve__Config__ConfigResponse *cr =
	    org__lfedge__eve__config__config_response__unpack(NULL, len, p);
	CHECK(cr && cr->config, "ConfigResponse");
	size_t n = org__lfedge__eve__config__edge_dev_config__get_packed_size(cr->config);
	uint8_t *raw = malloc(n ? n : 1);
	org__lfedge__eve__config__edge_dev_config__pack(cr->config, raw);
	wire_fields(raw, n, seen);
	free(raw);
	free(p);
	reply_free(&r);
	return cr;
}

static const Org__Lfedge__Eve__Config__PhysicalIO *find_io(const Org__Lfedge__Eve__Config__EdgeDevConfig *c,
							   const char *label)
{
	for (size_t i = 0; i < c->n_deviceiolist; i++)
		if (!strcmp(c->deviceiolist[i]->phylabel, label))
			return c->deviceiolist[i];
	return NULL;
}

static const Org__Lfedge__Eve__Config__SystemAdapter *
find_sa(const Org__Lfedge__Eve__Config__EdgeDevConfig *c, const char *name)
{
	for (size_t i = 0; i < c->n_systemadapterlist; i++)
		if (!strcmp(c->systemadapterlist[i]->name, name))
			return c->systemadapterlist[i];
	return NULL;
}

static const Org__Lfedge__Eve__Config__NetworkConfig *
find_net(const Org__Lfedge__Eve__Config__EdgeDevConfig *c, const char *id)
{
	for (size_t i = 0; id && i < c->n_networks; i++)
		if (!strcmp(c->networks[i]->id, id))
			return c->networks[i];
	return NULL;
}

static const char *phyaddr(const Org__Lfedge__Eve__Config__PhysicalIO *io, const char *key)
{
	for (size_t i = 0; i < io->n_phyaddrs; i++)
		if (!strcmp(io->phyaddrs[i]->key, key))
			return io->phyaddrs[i]->value;
	return NULL;
}

/* --- the checks --- */

static void test_register(struct dev *a, const struct eve_signer *onb)
{
	CHECK(dev_register(a, onb, false) == 400, "strict: raw PEM must be refused");
	CHECK(dev_register(a, onb, true) == 201, "strict: base64 of the PEM accepted");
	CHECK(dev_register(a, onb, true) == 200, "same device again");
	dev_uuid(a);
	printf("ok register.strict_pem: raw PEM 400, base64 PEM 201 then 200 (Content-Type %s)\n", PROTO_CT);
}

static void send_info(struct dev *a)
{
	Org__Lfedge__Eve__Info__ZInfoMsg m = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoNetwork n0 = ORG__LFEDGE__EVE__INFO__ZINFO_NETWORK__INIT,
					     n1 = ORG__LFEDGE__EVE__INFO__ZINFO_NETWORK__INIT,
					     *np[2] = {&n0, &n1};
	char *ips[] = {"10.9.8.7"};
	struct reply r;
	char path[128];

	n0.devname = "eth0";
	n0.macaddr = "02:00:00:00:00:01";
	n0.ipaddrs = ips;
	n0.n_ipaddrs = 1;
	n0.uplink = 1; /* EVE reports its management ports this way */
	n1.devname = "eth1";
	n1.macaddr = "02:00:00:00:00:02";
	di.network = np;
	di.n_network = 2;
	/* EVE's port status: eth0 by DHCP, "ethernet1" (eth5) static, eth6
	 * not a management port */
	Org__Lfedge__Eve__Info__SystemAdapterInfo sai = ORG__LFEDGE__EVE__INFO__SYSTEM_ADAPTER_INFO__INIT;
	Org__Lfedge__Eve__Info__DevicePortStatus dpc = ORG__LFEDGE__EVE__INFO__DEVICE_PORT_STATUS__INIT,
						 *dpcp = &dpc;
	Org__Lfedge__Eve__Info__DevicePort p0 = ORG__LFEDGE__EVE__INFO__DEVICE_PORT__INIT,
					   p1 = ORG__LFEDGE__EVE__INFO__DEVICE_PORT__INIT,
					   p2 = ORG__LFEDGE__EVE__INFO__DEVICE_PORT__INIT,
					   *pp[3] = {&p0, &p1, &p2};
	char *p1ips[] = {"fe80::1", "10.5.0.7"}, *p1dns[] = {"10.5.0.2"};
	p0.ifname = "eth0";
	p0.name = "eth0";
	p0.ismgmt = 1;
	p0.dhcptype = 4;
	p1.ifname = "eth5";
	p1.name = "ethernet1";
	p1.ismgmt = 1;
	p1.dhcptype = 1;
	p1.subnet = "10.5.0.0/24";
	p1.gateway = "10.5.0.1";
	p1.ipaddrs = p1ips;
	p1.n_ipaddrs = 2;
	p1.dnsservers = p1dns;
	p1.n_dnsservers = 1;
	p1.cost = 5;
	p2.ifname = "eth6";
	p2.name = "eth6";
	dpc.ports = pp;
	dpc.n_ports = 3;
	sai.status = &dpcp;
	sai.n_status = 1;
	di.systemadapter = &sai;
	m.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	m.devid = a->uuid;
	m.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	m.dinfo = &di;
	snprintf(path, sizeof(path), "/id/%s/info", a->uuid);
	CHECK(dev_call(&a->signer, path, &m.base, false, &r) == 201, "info %ld", r.status);
	reply_free(&r);
}

static void test_learned(struct dev *a, const char *certs_hex)
{
	bool seen[64];
	long st;
	Org__Lfedge__Eve__Config__ConfigResponse *cr = dev_config(a, seen, &st);

	CHECK(cr, "config %ld", st);
	CHECK(seen[22] && !strcmp(cr->config->controllercert_confighash, certs_hex),
	      "controllercert_confighash (22) = SHA-256 of the served certs");
	CHECK(cr->config->n_deviceiolist == 0 && !seen[13] && !seen[12],
	      "no hardware model before the device reports one");
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);

	send_info(a);
	cr = dev_config(a, seen, &st);
	CHECK(cr, "config %ld", st);
	const Org__Lfedge__Eve__Config__EdgeDevConfig *c = cr->config;
	CHECK(seen[13] && seen[12] && seen[5],
	      "deviceIoList (13), systemAdapterList (12), networks (5) on the wire");
	const Org__Lfedge__Eve__Config__PhysicalIO *io = find_io(c, "eth0");
	CHECK(io && io->ptype == ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoNetEth &&
		  !strcmp(io->logicallabel, "eth0") && phyaddr(io, "ifname") &&
		  !strcmp(phyaddr(io, "ifname"), "eth0") &&
		  io->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageMgmtAndApps,
	      "eth0 learned as a management port");
	CHECK(!find_io(c, "eth1") && !find_io(c, "eth6"),
	      "eth1, eth6 (not management ports) are not learned");
	const Org__Lfedge__Eve__Config__PhysicalIO *io1 = find_io(c, "ethernet1");
	CHECK(io1 && !strcmp(io1->logicallabel, "ethernet1") && !strcmp(phyaddr(io1, "ifname"), "eth5") &&
		  c->n_deviceiolist == 2,
	      "ethernet1 (eth5) learned from the port status, eth0 once");
	const Org__Lfedge__Eve__Config__SystemAdapter *sa1 = find_sa(c, "ethernet1");
	CHECK(sa1 && sa1->uplink && sa1->cost == 5 && !strcmp(sa1->addr, "10.5.0.7"),
	      "ethernet1 system adapter");
	const Org__Lfedge__Eve__Config__NetworkConfig *n1 = find_net(c, sa1->networkuuid);
	CHECK(n1 && n1->ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static &&
		  !strcmp(n1->ip->subnet, "10.5.0.0/24") && !strcmp(n1->ip->gateway, "10.5.0.1") &&
		  n1->ip->n_dns == 1 && !strcmp(n1->ip->dns[0], "10.5.0.2"),
	      "ethernet1 network: static as the device runs it");
	const Org__Lfedge__Eve__Config__SystemAdapter *sa = find_sa(c, "eth0");
	CHECK(sa && !strcmp(sa->lowerlayername, "eth0") && sa->uplink && sa->cost == 0,
	      "eth0 system adapter");
	const Org__Lfedge__Eve__Config__NetworkConfig *n = find_net(c, sa->networkuuid);
	CHECK(n && n->type == ORG__LFEDGE__EVE__COMMON__NETWORK_TYPE__V4 && n->ip &&
		  n->ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Client,
	      "eth0 network: IPv4 DHCP client");
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);

	json_t *j = NULL;
	char path[200];
	snprintf(path, sizeof(path), "/devices/%s/io", a->uuid);
	CHECK(admin("GET", path, NULL, &j) == 200, "GET io");
	json_t *items = json_object_get(j, "items"), *rep = json_object_get(j, "reported");
	CHECK(json_array_size(items) == 2 &&
		  !strcmp(json_string_value(json_object_get(json_array_get(items, 0), "source")), "device") &&
		  json_array_size(rep) == 1 &&
		  !strcmp(json_string_value(json_object_get(json_array_get(rep, 0), "ifname")), "eth1"),
	      "io list: eth0 modelled (device), eth1 reported only");
	json_decref(j);
	printf("ok model learned from info: deviceIoList eth0 (uplink, DHCP) and ethernet1 (port status, "
	       "static), "
	       "systemAdapterList, networks, controllercert_confighash\n");
}

static void test_edit(struct dev *a)
{
	char path[200];
	json_t *j = NULL;
	static const struct {
		const char *port, *body;
	} bad[] = {
	    {"eth2", "{\"usage\":\"app\",\"dhcp\":\"static\"}"},      /* addressing of a non-endpoint */
	    {"eth1", "{\"usage\":\"shared\",\"color\":\"red\"}"},     /* unknown key */
	    {"eth1", "{\"usage\":\"shared\",\"cost\":300}"},          /* cost range */
	    {"usb0", "{\"type\":\"usb\",\"usage\":\"mgmt\"}"},        /* mgmt on a non-network adapter */
	    {"eth1", "{\"usage\":\"mgmt\",\"dhcp\":\"static\"}"},     /* static without ip */
	    {"eth1", "{\"usage\":\"mgmt\",\"ip\":\"10.0.0.1/24\"}"},  /* ip without static */
	    {"eth1", "{\"usage\":\"mgmt\",\"proxy\":\"ftp://x:1\"}"}, /* proxy scheme */
	    {"eth1", "{\"usage\":\"mgmt\",\"dns\":[\"not-an-ip\"]}"}, /* dns */
	    {"eth1", "{\"usage\":\"mgmt\",\"dhcp\":\"none\"}"},       /* mgmt without addressing */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/devices/%s/io/%s", a->uuid, bad[i].port);
		CHECK(admin("PUT", path, bad[i].body, NULL) == 400, "refused: %s", bad[i].body);
	}
	snprintf(path, sizeof(path), "/devices/%s/io/eth1", a->uuid);
	CHECK(
	    admin("PUT", path,
		  "{\"usage\":\"shared\",\"dhcp\":\"static\",\"ip\":\"192.168.5.10/"
		  "24\",\"gateway\":\"192.168.5.1\","
		  "\"dns\":[\"192.168.5.1\",\"9.9.9.9\"],\"cost\":10,\"proxy\":\"http://proxy.example:3128\","
		  "\"no_proxy\":\"example.org\"}",
		  &j) == 201,
	    "PUT eth1");
	json_decref(j);
	snprintf(path, sizeof(path), "/devices/%s/io/USB1", a->uuid);
	CHECK(admin("PUT", path,
		    "{\"type\":\"usb\",\"usbaddr\":\"1:2\",\"assigngrp\":\"USB1\",\"usage\":\"app\"}",
		    NULL) == 201,
	      "PUT USB1");
	snprintf(path, sizeof(path), "/devices/%s/io/eth1", a->uuid);
	CHECK(admin("PUT", path, "{\"logicallabel\":\"USB1\"}", NULL) == 409, "logical label taken");

	bool seen[64];
	long st;
	Org__Lfedge__Eve__Config__ConfigResponse *cr = dev_config(a, seen, &st);
	CHECK(cr, "config %ld", st);
	const Org__Lfedge__Eve__Config__EdgeDevConfig *c = cr->config;
	const Org__Lfedge__Eve__Config__PhysicalIO *io = find_io(c, "eth1"), *usb = find_io(c, "USB1");
	CHECK(io && io->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageShared,
	      "eth1 shared");
	CHECK(usb && usb->ptype == ORG__LFEDGE__EVE__COMMON__PHY_IO_TYPE__PhyIoUSB &&
		  phyaddr(usb, "usbaddr") && !strcmp(phyaddr(usb, "usbaddr"), "1:2") &&
		  !strcmp(usb->assigngrp, "USB1") &&
		  usb->usage == ORG__LFEDGE__EVE__COMMON__PHY_IO_MEMBER_USAGE__PhyIoUsageDedicated &&
		  !find_sa(c, "USB1"),
	      "USB1: an assignable adapter, no system adapter");
	const Org__Lfedge__Eve__Config__SystemAdapter *sa = find_sa(c, "eth1");
	CHECK(sa && !sa->uplink && sa->cost == 10 && !strcmp(sa->addr, "192.168.5.10"),
	      "eth1 system adapter");
	const Org__Lfedge__Eve__Config__NetworkConfig *n = find_net(c, sa->networkuuid);
	CHECK(n && n->ip && n->ip->dhcp == ORG__LFEDGE__EVE__COMMON__DHCPTYPE__Static &&
		  !strcmp(n->ip->subnet, "192.168.5.0/24") && !strcmp(n->ip->gateway, "192.168.5.1") &&
		  n->ip->n_dns == 2 && !strcmp(n->ip->dns[1], "9.9.9.9"),
	      "eth1 network: static 192.168.5.0/24");
	CHECK(n->entproxy && n->entproxy->n_proxies == 2 &&
		  !strcmp(n->entproxy->proxies[0]->server, "proxy.example") &&
		  n->entproxy->proxies[0]->port == 3128 &&
		  n->entproxy->proxies[1]->proto == ORG__LFEDGE__EVE__COMMON__PROXY_PROTO__PROXY_HTTPS &&
		  !strcmp(n->entproxy->exceptions, "example.org"),
	      "eth1 proxy");
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);

	snprintf(path, sizeof(path), "/devices/%s/io/USB1", a->uuid);
	CHECK(admin("DELETE", path, NULL, NULL) == 204, "DELETE USB1");
	CHECK(admin("DELETE", path, NULL, NULL) == 404, "DELETE USB1 again");
	cr = dev_config(a, seen, &st);
	CHECK(cr && !find_io(cr->config, "USB1") && find_io(cr->config, "eth1"), "USB1 gone");
	org__lfedge__eve__config__config_response__free_unpacked(cr, NULL);
	printf("ok model edited by the admin: refusals 400/409, static + DNS + cost + proxy, USB adapter, "
	       "delete\n");
}

static void test_hardwarehealth(struct dev *a)
{
	Org__Lfedge__Eve__Hardwarehealth__ZHardwareHealth hh =
	    ORG__LFEDGE__EVE__HARDWAREHEALTH__ZHARDWARE_HEALTH__INIT;
	Org__Lfedge__Eve__Hardwarehealth__ECCMemoryReport mr =
	    ORG__LFEDGE__EVE__HARDWAREHEALTH__ECCMEMORY_REPORT__INIT;
	Org__Lfedge__Eve__Hardwarehealth__ECCMemoryControllerInfo
	    mc = ORG__LFEDGE__EVE__HARDWAREHEALTH__ECCMEMORY_CONTROLLER_INFO__INIT,
	    *mcp = &mc;
	struct reply r;
	char path[200];
	json_t *j = NULL;

	mc.controller_name = "mc0";
	mc.ce_count = 3;
	mr.memory_controllers = &mcp;
	mr.n_memory_controllers = 1;
	hh.dev_id = a->uuid;
	hh.mr = &mr;
	snprintf(path, sizeof(path), "/id/%s/hardwarehealth", a->uuid);
	CHECK(dev_call(&a->signer, path, &hh.base, false, &r) == 201, "hardwarehealth %ld", r.status);
	reply_free(&r);
	/* EVE's path without /id/{uuid} (no device UUID yet) */
	mc.ce_count = 4;
	CHECK(dev_call(&a->signer, "/hardwarehealth", &hh.base, false, &r) == 201,
	      "legacy hardwarehealth %ld", r.status);
	reply_free(&r);
	snprintf(path, sizeof(path), "/devices/%s/info?type=hardwarehealth", a->uuid);
	CHECK(admin("GET", path, NULL, &j) == 200, "GET info");
	json_t *it = json_array_get(json_object_get(j, "items"), 0);
	json_t *mcj = json_array_get(
	    json_object_get(json_object_get(json_object_get(it, "info"), "mr"), "memory_controllers"), 0);
	CHECK(mcj && !strcmp(json_string_value(json_object_get(mcj, "controller_name")), "mc0") &&
		  json_array_size(json_object_get(j, "items")) == 2,
	      "hardwarehealth readable with the info: %s", json_dumps(j, JSON_COMPACT));
	json_decref(j);
	printf("ok hardwarehealth (/id/{uuid}/ and legacy path): 201, stored and read back with the device's "
	       "info\n");
}

/* Every report route answers 201 with the protobuf Content-Type (checked
 * in dev_call_raw), with and without /id/{uuid}. */
static void test_reports_ct(struct dev *a)
{
	Org__Lfedge__Eve__Metrics__ZMetricMsg mm = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	Org__Lfedge__Eve__Logs__LogBundle lb = ORG__LFEDGE__EVE__LOGS__LOG_BUNDLE__INIT;
	Org__Lfedge__Eve__Flowlog__FlowMessage fm = ORG__LFEDGE__EVE__FLOWLOG__FLOW_MESSAGE__INIT;
	static const char line[] = "{\"severity\":\"info\",\"source\":\"interop\",\"content\":\"x\"}\n";
	static const char *const what[] = {"metrics", "logs", "flowlog"};
	const ProtobufCMessage *msgs[] = {&mm.base, &lb.base, &fm.base};
	struct reply r;
	struct buf gz;
	char path[200];

	mm.devid = a->uuid;
	lb.devid = a->uuid;
	fm.devid = a->uuid;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/id/%s/%s", a->uuid, what[i]);
		CHECK(dev_call(&a->signer, path, msgs[i], false, &r) == 201, "%s %ld", what[i], r.status);
		reply_free(&r);
		snprintf(path, sizeof(path), "/%s", what[i]);
		CHECK(dev_call(&a->signer, path, msgs[i], false, &r) == 201, "legacy %s %ld", what[i],
		      r.status);
		reply_free(&r);
	}
	buf_init(&gz, 1u << 20);
	CHECK(gzip_compress(line, strlen(line), NULL, &gz) == 0, "gzip");
	snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
	CHECK(dev_call_raw(&a->signer, path, gz.data, gz.len, false, &r) == 201, "newlogs %ld", r.status);
	reply_free(&r);
	snprintf(path, sizeof(path), "/id/%s/apps/instanceid/11111111-2222-4333-8444-555555555555/newlogs",
		 a->uuid);
	/* Not an instance deployed to this device: refused (controller_api tests
	 * the deployed case), and nothing says 2xx without the proto type. */
	CHECK(dev_call_raw(&a->signer, path, gz.data, gz.len, false, &r) == 403, "app newlogs %ld", r.status);
	reply_free(&r);
	buf_free(&gz);
	printf("ok reports: metrics, logs, flowlog (with and without /id/{uuid}), newlogs: 201 + %s;"
	       " app newlogs of an instance not on the device: 403\n",
	       PROTO_CT);
}

static void test_itoken(struct dev *a)
{
	bool seen[64];
	long st;

	stop_controller();
	conf_set("config.require_integrity_token=true");
	start_controller();
	CHECK(!dev_config(a, seen, &st) && st == 403, "config without integrity token: %ld", st);
	{
		Org__Lfedge__Eve__Config__ConfigRequest q = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;
		struct reply r;
		CHECK(dev_call(&a->signer, "/config", &q.base, false, &r) == 403, "legacy config path %ld",
		      r.status);
		reply_free(&r);
	}
	send_info(a); /* reports still accepted */
	printf("ok config.require_integrity_token: /config 403, info still 201\n");
}

int main(int argc, char **argv)
{
	struct dev a;
	struct eve_signer onb;
	char certs_hex[65];

	if (argc != 4) {
		fprintf(stderr, "usage: %s EVE_CONTROLLER WORKDIR PORT\n", argv[0]);
		return 2;
	}
	g_bin = argv[1];
	g_dir = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	run_init(atoi(argv[3]));
	conf_set("register.strict_pem=true");
	start_controller();
	dev_new(&a, "interop-a");
	load_onboard(&onb);
	certs_hash(certs_hex);
	test_register(&a, &onb);
	test_learned(&a, certs_hex);
	test_edit(&a);
	test_hardwarehealth(&a);
	test_reports_ct(&a);
	test_itoken(&a);
	stop_controller();
	envelope_signer_clear(&onb);
	dev_free(&a);
	curl_global_cleanup();
	printf("all interoperability checks passed\n");
	return 0;
}
