// SPDX-License-Identifier: Apache-2.0
/* Device API bodies for the simulator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gzip.h"

#include "config/devconfig.pb-c.h"
#include "envelope.h"
#include "err.h"
#include "eveuuid/eveuuid.pb-c.h"
#include "fleet.h"
#include "info/info.pb-c.h"
#include "metrics/metrics.pb-c.h"
#include "msgs.h"
#include "pbpack.h"
#include "register/register.pb-c.h"

#define MSGS_MAX_LOG_ENTRIES 1000

/* Pack m and seal it with s. */
static int msgs_seal(const struct eve_signer *s, const ProtobufCMessage *m, bool with_cert, uint8_t **out,
		     size_t *len)
{
	uint8_t *p;
	size_t n;
	int r = pbpack(m, 0, &p, &n);

	if (r < 0)
		return r;
	r = envelope_seal(s, p, n, with_cert, out, len);
	free(p);
	return r;
}

int msgs_register(const struct fleet *f, const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Register__ZRegisterMsg m = ORG__LFEDGE__EVE__REGISTER__ZREGISTER_MSG__INIT;

	m.pemcert.data = (uint8_t *)d->signer.cert_pem;
	m.pemcert.len = strlen(d->signer.cert_pem);
	m.serial = (char *)d->serial;
	return msgs_seal(&f->onboard, &m.base, true, out, len);
}

int msgs_uuid(const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Uuid__UuidRequest m = ORG__LFEDGE__EVE__UUID__UUID_REQUEST__INIT;

	return msgs_seal(&d->signer, &m.base, false, out, len);
}

int msgs_config(const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Config__ConfigRequest m = ORG__LFEDGE__EVE__CONFIG__CONFIG_REQUEST__INIT;

	m.confighash = (char *)d->config_hash;
	return msgs_seal(&d->signer, &m.base, false, out, len);
}

static void msgs_now(Google__Protobuf__Timestamp *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ts->seconds = now.tv_sec;
	ts->nanos = (int32_t)now.tv_nsec;
}

int msgs_info(const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Info__ZInfoMsg m = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Info__ZInfoDevice di = ORG__LFEDGE__EVE__INFO__ZINFO_DEVICE__INIT;
	Org__Lfedge__Eve__Info__ZInfoManufacturer mi = ORG__LFEDGE__EVE__INFO__ZINFO_MANUFACTURER__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	msgs_now(&ts);
	mi.manufacturer = "devsim";
	mi.productname = "simulated";
	mi.serialnumber = (char *)d->serial;
	di.machinearch = "x86_64";
	di.cpuarch = "x86_64";
	di.platform = "devsim";
	di.ncpu = 4;
	di.memory = 8192;
	di.storage = 65536;
	di.minfo = &mi;
	m.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiDevice;
	m.devid = (char *)d->uuid;
	m.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO;
	m.dinfo = &di;
	m.attimestamp = &ts;
	return msgs_seal(&d->signer, &m.base, false, out, len);
}

int msgs_metrics(const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Metrics__ZMetricMsg m = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__INIT;
	Org__Lfedge__Eve__Metrics__DeviceMetric dm = ORG__LFEDGE__EVE__METRICS__DEVICE_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__MemoryMetric mem = ORG__LFEDGE__EVE__METRICS__MEMORY_METRIC__INIT;
	Org__Lfedge__Eve__Metrics__AppCpuMetric cpu = ORG__LFEDGE__EVE__METRICS__APP_CPU_METRIC__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	msgs_now(&ts);
	mem.usedmem = 1000 + (uint32_t)(d->seq % 100);
	mem.availmem = 7000;
	mem.usedpercentage = 12.5;
	mem.availpercentage = 87.5;
	cpu.total = d->seq;
	cpu.total_ns = d->seq * 1000000000ull;
	dm.memory = &mem;
	dm.cpumetric = &cpu;
	m.devid = (char *)d->uuid;
	m.attimestamp = &ts;
	m.metric_content_case = ORG__LFEDGE__EVE__METRICS__ZMETRIC_MSG__METRIC_CONTENT_DM;
	m.dm = &dm;
	return msgs_seal(&d->signer, &m.base, false, out, len);
}

/* One LogEntry as EVE's pillar agents write them: the content is the
 * agent's logrus JSON (file, func, level, msg, pid, source, time). The
 * variety (agents, messages, ids, addresses, counters, nanosecond times)
 * is what makes real logs compress less than a repeated sentence. */
static int eve_line(struct buf *b, const struct simdev *d, uint64_t seq, const struct timespec *now)
{
	static const char *const agents[] = {"zedagent",  "nim",        "zedmanager", "domainmgr",
					     "volumemgr", "downloader", "zedrouter",  "baseosmgr",
					     "tpmmgr",    "newlogd",    "wwan",       "watcher"};
	static const char *const states[] = {"RUNNING", "INSTALLED", "BOOTING", "HALTED", "DOWNLOADING"};
	unsigned seed = (unsigned)(d->idx * 2654435761u) ^ (unsigned)(seq * 40503u);
	const char *ag = agents[rand_r(&seed) % 12];
	char msg[256], tm[40];
	unsigned a = (unsigned)rand_r(&seed), c = (unsigned)rand_r(&seed), k = (unsigned)rand_r(&seed) % 8;
	switch (k) {
	case 0:
		snprintf(msg, sizeof(msg),
			 "handleAppInstanceStatusImpl(%08x-%04x-4%03x-8%03x-%08x%04x) state %s", a,
			 c & 0xffff, a % 4096, c % 4096, a ^ c, a % 65536, states[c % 5]);
		break;
	case 1:
		snprintf(msg, sizeof(msg), "publishMetrics: took %u ms, %u bytes, %u apps", a % 900,
			 c % 60000, a % 7);
		break;
	case 2:
		snprintf(msg, sizeof(msg), "getLatestConfig: config fetched from %s, status %u, took %u ms",
			 "zedcloud.local.zededa.net", c % 2 ? 200 : 304, a % 2000);
		break;
	case 3:
		snprintf(msg, sizeof(msg),
			 "DPC verify: interface eth%u up, IPv4 192.168.%u.%u, gateway 192.168.%u.1", a % 2,
			 c % 256, a % 254 + 1, c % 256);
		break;
	case 4:
		snprintf(msg, sizeof(msg), "Volume %08x-%04x progress %u%% (%u of %u bytes)", a, c & 0xffff,
			 c % 101, a % 100000000, 100000000u);
		break;
	case 5:
		snprintf(msg, sizeof(msg), "DHCPACK(bn-%u) 10.1.%u.%u 02:16:3e:%02x:%02x:%02x", a % 4,
			 c % 256, a % 254 + 1, a & 255, c & 255, (a >> 8) & 255);
		break;
	case 6:
		snprintf(msg, sizeof(msg), "flowlog: app %08x: %u flows, %u dropped, %u dns requests", a,
			 c % 500, a % 20, c % 100);
		break;
	default:
		snprintf(msg, sizeof(msg), "watchdog: touched /run/%s.touch after %u.%03u s", ag, a % 30,
			 c % 1000);
	}
	struct tm t;
	gmtime_r(&now->tv_sec, &t);
	strftime(tm, sizeof(tm), "%Y-%m-%dT%H:%M:%S", &t);
	return buf_printf(
	    b,
	    "{\"severity\":\"%s\",\"source\":\"%s\",\"iid\":\"%u\",\"content\":\"{\\\"file\\\":"
	    "\\\"/pillar/cmd/%s/%s.go:%u\\\",\\\"func\\\":\\\"github.com/lf-edge/eve/pkg/pillar/cmd/"
	    "%s.handle%u\\\","
	    "\\\"level\\\":\\\"%s\\\",\\\"msg\\\":\\\"%s\\\",\\\"pid\\\":%u,\\\"source\\\":\\\"%s\\\","
	    "\\\"time\\\":\\\"%s.%09ldZ\\\"}\",\"msgid\":%llu,\"timestamp\":{\"seconds\":%lld,\"nanos\":%ld}}"
	    "\n",
	    k == 5 ? "warning" : "info", ag, 1000 + d->idx % 3000, ag, ag, a % 3000, ag, k,
	    k == 5 ? "warning" : "info", msg, 1000 + d->idx % 3000, ag, tm, now->tv_nsec,
	    (unsigned long long)seq, (long long)now->tv_sec, now->tv_nsec);
}

int msgs_newlogs(const struct simdev *d, unsigned n, bool eve, uint8_t **out, size_t *len)
{
	struct buf lines, gz;
	struct timespec now;
	char comment[160];
	int r = 0;

	if (n == 0 || n > MSGS_MAX_LOG_ENTRIES)
		return -EINVAL;
	buf_init(&lines, n * 1024u);
	buf_init(&gz, n * 1024u + 1024);
	clock_gettime(CLOCK_REALTIME, &now);
	for (unsigned i = 0; i < n && r == 0 && eve; i++)
		r = eve_line(&lines, d, d->seq * n + i, &now);
	for (unsigned i = 0; i < n && r == 0 && !eve; i++)
		r = buf_printf(
		    &lines,
		    "{\"severity\":\"INFO\",\"source\":\"devsim\",\"iid\":\"1\",\"content\":\"devsim %s: "
		    "simulated log line "
		    "%llu\",\"msgid\":%llu,\"timestamp\":{\"seconds\":%lld,\"nanos\":%ld}}\n",
		    d->serial, (unsigned long long)(d->seq * n + i), (unsigned long long)(d->seq * n + i),
		    (long long)now.tv_sec, now.tv_nsec);
	snprintf(comment, sizeof(comment), "{\"devID\":\"%s\",\"eveVersion\":\"devsim\",\"appUUID\":\"\"}",
		 d->uuid);
	if (r == 0)
		r = gzip_compress((const char *)lines.data, lines.len, comment, &gz);
	if (r == 0)
		r = envelope_seal(&d->signer, gz.data, gz.len, false, out, len);
	buf_free(&lines);
	buf_free(&gz);
	return r;
}

/* Open a sealed answer and unpack its payload as desc. */
static int msgs_open(const uint8_t *in, size_t len, const ProtobufCMessageDescriptor *desc,
		     ProtobufCMessage **out)
{
	struct envelope env;
	int r = envelope_parse(in, len, &env);

	if (r < 0)
		return r;
	*out = protobuf_c_message_unpack(desc, NULL, env.payload_len, env.payload);
	envelope_clear(&env);
	return *out ? 0 : -EVE_EPROTO;
}

int msgs_parse_uuid(const uint8_t *in, size_t len, char uuid[UUID_STR_LEN])
{
	Org__Lfedge__Eve__Uuid__UuidResponse *m = NULL;
	int r =
	    msgs_open(in, len, &org__lfedge__eve__uuid__uuid_response__descriptor, (ProtobufCMessage **)&m);

	if (r < 0)
		return r;
	if (!m->uuid || strlen(m->uuid) >= UUID_STR_LEN)
		r = -EVE_EPROTO;
	else
		strcpy(uuid, m->uuid);
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return r;
}

int msgs_parse_config(const uint8_t *in, size_t len, char hash[CONFIGHASH_LEN])
{
	Org__Lfedge__Eve__Config__ConfigResponse *m = NULL;
	int r = msgs_open(in, len, &org__lfedge__eve__config__config_response__descriptor,
			  (ProtobufCMessage **)&m);

	if (r < 0)
		return r;
	if (!m->confighash || strlen(m->confighash) >= CONFIGHASH_LEN)
		r = -EVE_EPROTO;
	else
		strcpy(hash, m->confighash);
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return r;
}

int msgs_parse_config_app(const uint8_t *in, size_t len, char hash[CONFIGHASH_LEN], char inst[UUID_STR_LEN],
			  char ver[24])
{
	Org__Lfedge__Eve__Config__ConfigResponse *m = NULL;
	int r = msgs_open(in, len, &org__lfedge__eve__config__config_response__descriptor,
			  (ProtobufCMessage **)&m);
	const Org__Lfedge__Eve__Config__UUIDandVersion *uv = NULL;

	if (r < 0)
		return r;
	if (!m->confighash || strlen(m->confighash) >= CONFIGHASH_LEN) {
		r = -EVE_EPROTO;
		goto out;
	}
	strcpy(hash, m->confighash);
	if (m->config && m->config->n_apps > 0)
		uv = m->config->apps[0]->uuidandversion;
	snprintf(inst, UUID_STR_LEN, "%s", uv && uv->uuid ? uv->uuid : "");
	snprintf(ver, 24, "%s", uv && uv->version ? uv->version : "");
out:
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return r;
}

int msgs_app_info(const struct simdev *d, uint8_t **out, size_t *len)
{
	Org__Lfedge__Eve__Info__ZInfoMsg m = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INIT;
	Org__Lfedge__Eve__Info__ZInfoApp ai = ORG__LFEDGE__EVE__INFO__ZINFO_APP__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	msgs_now(&ts);
	ai.appid = (char *)d->app_inst;
	ai.appversion = (char *)d->app_ver;
	ai.appname = "devsim-app";
	ai.state = ORG__LFEDGE__EVE__INFO__ZSW_STATE__RUNNING;
	m.ztype = ORG__LFEDGE__EVE__INFO__ZINFO_TYPES__ZiApp;
	m.devid = (char *)d->uuid;
	m.info_content_case = ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO;
	m.ainfo = &ai;
	m.attimestamp = &ts;
	return msgs_seal(&d->signer, &m.base, false, out, len);
}
