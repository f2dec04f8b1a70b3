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

int msgs_newlogs(const struct simdev *d, unsigned n, uint8_t **out, size_t *len)
{
	struct buf lines, gz;
	struct timespec now;
	char comment[160];
	int r = 0;

	if (n == 0 || n > MSGS_MAX_LOG_ENTRIES)
		return -EINVAL;
	buf_init(&lines, n * 512u);
	buf_init(&gz, n * 512u + 1024);
	clock_gettime(CLOCK_REALTIME, &now);
	for (unsigned i = 0; i < n && r == 0; i++)
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
