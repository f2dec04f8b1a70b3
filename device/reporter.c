// SPDX-License-Identifier: Apache-2.0
/* Reports: device info (on start, change, interval) and runtime object
 * info through the persistent info queue; metrics; newlog uploads. The
 * runtime callbacks run on the runtime thread and only enqueue. */
#include "agent_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlog.h"
#include "err.h"
#include "hwinv.h"
#include "netinfo.h"
#include "pbpack.h"
#include "report_metrics.h"

/* ---- reports ---------------------------------------------------------- */

static int send_path(struct agent *a, const char *path, const uint8_t *data, size_t len)
{
	struct ctlclient_xchg x = {.signer = &a->dev_signer, .path = path, .payload = data, .len = len};
	long status = 0;
	int r;

	r = agent_post(a, &x);
	status = x.status;
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

/* Without an updater the device says so (ZInfoDevSW.subStatusStr), and a
 * requested base OS of another version is reported FAILED with the reason
 * instead of being silently ignored. */
static void no_updater_status(const struct agent *a, struct report_sw *s)
{
	const Org__Lfedge__Eve__Config__BaseOS *bo = a->cfg ? a->cfg->baseos : NULL;

	if (a->bo || !a->bo_why[0])
		return;
	snprintf(s->substatus, sizeof(s->substatus), "cannot update: %s", a->bo_why);
	if (bo && bo->base_os_version && *bo->base_os_version && strcmp(bo->base_os_version, s->version)) {
		s->status = ORG__LFEDGE__EVE__INFO__BASE_OS_STATUS__FAILED;
		snprintf(s->err, sizeof(s->err), "base OS %.64s requested, but this agent cannot update: %s",
			 bo->base_os_version, a->bo_why);
	}
}

static int send_logs(void *ctx, const char *app, const uint8_t *gz, size_t len)
{
	struct agent *a = ctx;
	char path[192];
	struct ctlclient_xchg x = {.signer = &a->dev_signer, .path = path, .payload = gz, .len = len};
	long status = 0;
	int r;

	if (!app) {
		snprintf(path, sizeof(path), "/id/%s/newlogs", a->uuid);
		return send_path(a, path, gz, len);
	}
	snprintf(path, sizeof(path), "/id/%s/apps/instanceid/%s/newlogs", a->uuid, app);
	r = agent_post(a, &x);
	status = x.status;
	if (r < 0)
		return r;
	/* The controller takes logs only of app instances deployed to this
	 * device: an app removed meanwhile is refused for good (403). */
	if (status == 403) {
		alog(ALOG_WARN,
		     "logs of app instance %s dropped: the controller refuses them (403: not deployed here)",
		     app);
		return 0;
	}
	return status >= 200 && status < 300 ? 0 : -EVE_EHTTP;
}

/* Queue the hardware inventory (ZInfoHardware) when forced or changed. */
static void hardware_info(struct agent *a, const struct report_device *d, bool force)
{
	struct hwinv_src src = {
	    .sysfs = "/sys", .procfs = "/proc", .devdir = "/dev", .release = AGENT_VERSION};
	uint8_t *data = NULL, digest[32];
	size_t len = 0;
	int r;

	for (size_t i = 0; i < d->n_sw; i++)
		if (!strcmp(d->sw[i].state, "active"))
			src.partition = d->sw[i].label;
	r = hwinv_info(&src, a->uuid, &data, &len, digest);
	if (r == 0 && !force && !memcmp(digest, a->hw_digest, sizeof(digest)))
		goto out;
	if (r == 0)
		r = infoqueue_put(a->iq, "hardware", data, len);
	if (r == 0)
		memcpy(a->hw_digest, digest, sizeof(digest));
	if (r < 0)
		alog(ALOG_WARN, "hardware info: %s", eve_strerror(r));
out:
	free(data);
}

/* Queue device info when forced (start, config, interval) or changed. */
void reporter_device_info(struct agent *a, bool force)
{
	struct report_device d = {
	    .dev_uuid = a->uuid,
	    .state_dir = a->o->state_dir,
	    .serial = a->serial,
	    .reboot_counter = a->reboot_counter,
	    .shutdown_counter = a->shutdown_counter,
	    .restart_counter = a->restart_counter,
	    .n_sw = 1,
	    .config_version_error = a->rollback_err,
	    .config_version = a->rollback_version,
	};
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *items = NULL;
	struct netinfo *ni = NULL;
	uint8_t *data = NULL, digest[32];
	size_t len = 0;
	int r;

	if (a->nm && netinfo_build(a->nm, &ni) == 0)
		d.system_adapter = netinfo_msg(ni);
	r = settings_status(&a->set, a->cfg ? a->cfg->configitems : NULL, a->cfg ? a->cfg->n_configitems : 0,
			    a->rt != NULL, &items);
	if (r < 0)
		alog(ALOG_WARN, "device info: config item status: %s", eve_strerror(r));
	/* -v pins the agent's own log level (agent.c): say so, not the setting */
	if (items && a->o->verbose &&
	    settings_status_pin(items, "debug.default.loglevel", "debug",
				"eve-agent runs with -v (verbose): debug is in force") == -ENOMEM)
		alog(ALOG_WARN, "device info: config item status: %s", eve_strerror(-ENOMEM));
	d.config_items = items;
	/* Without the updater: one active partition running this version. */
	snprintf(d.sw[0].label, sizeof(d.sw[0].label), "IMGA");
	snprintf(d.sw[0].state, sizeof(d.sw[0].state), "active");
	snprintf(d.sw[0].version, sizeof(d.sw[0].version), "%s", AGENT_VERSION);
	d.sw[0].activated = 1;
	baseos_fill_info(a->bo, &d);
	no_updater_status(a, &d.sw[0]);
	d.attest_state = a->attest_state;
	if (a->itoken_refused) {
		d.attest_state = ORG__LFEDGE__EVE__INFO__ATTESTATION_STATE__ATTESTATION_STATE_RESTART_WAIT;
		int n = snprintf(d.attest_err, sizeof(d.attest_err), "%s",
				 "config refused with 403: the controller requires remote attestation (an "
				 "integrity token)");
		if (a->attest_err[0] && n > 0 && (size_t)n + 3 < sizeof(d.attest_err))
			snprintf(d.attest_err + n, sizeof(d.attest_err) - (size_t)n, ": %.*s",
				 (int)(sizeof(d.attest_err) - (size_t)n - 3), a->attest_err);
		d.attest_err_time = a->itoken_since;
	}
	hardware_info(a, &d, force);
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
	netinfo_free(ni);
	settings_status_free(items);
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

void reporter_metrics(struct agent *a)
{
	struct report_metrics_hooks h = {.fill = metrics_fill, .release = metrics_release, .ctx = a->rt};
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

static int send_flowlog(void *ctx, const uint8_t *data, size_t len)
{
	struct agent *a = ctx;
	char path[128];

	snprintf(path, sizeof(path), "/id/%s/flowlog", a->uuid);
	return send_path(a, path, data, len);
}

void reporter_flush(struct agent *a)
{
	int r;

	/* Lines that cannot be written stay in memory (bounded) and are
	 * retried here; say so once, not on every retry. */
	r = logship_rotate_aged(a->ls, LOG_BATCH_AGE_MS);
	if (r < 0 && !a->logs_unsaved)
		alog(ALOG_ERR, "%s/newlogs: %s: log lines kept in memory until they can be saved",
		     a->o->state_dir, eve_strerror(r));
	a->logs_unsaved = r < 0;
	if (!a->online)
		return;
	r = infoqueue_flush(a->iq, send_info, a);
	if (r == 0)
		r = logship_upload(a->ls, send_logs, a);
	/* Flow logs: what the runtime collected since (kept when this fails). */
	if (r == 0 && a->rt)
		r = appruntime_flowlog_flush(a->rt, a->uuid, send_flowlog, a) < 0 ? -EVE_EHTTP : 0;
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

/* The state an app, volume or content tree report carries, by name
 * (ZSwState); NULL for other reports. */
static const char *info_state(const Org__Lfedge__Eve__Info__ZInfoMsg *m)
{
	const ProtobufCEnumValue *v;
	int st;

	switch (m->info_content_case) {
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_AINFO:
		st = m->ainfo->state;
		break;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_VINFO:
		st = m->vinfo->state;
		break;
	case ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO:
		st = m->cinfo->state;
		break;
	default:
		return NULL;
	}
	v = protobuf_c_enum_descriptor_get_value(&org__lfedge__eve__info__zsw_state__descriptor, st);
	return v ? v->name : "?";
}

void reporter_on_info(void *ctx, const Org__Lfedge__Eve__Info__ZInfoMsg *msg)
{
	struct agent *a = ctx;
	const char *prefix = NULL, *obj = info_object(msg, &prefix), *st;
	Org__Lfedge__Eve__Info__ZInfoMsg m = *msg; /* shallow: only devId changes */
	char key[INFOQUEUE_KEY_MAX];
	uint8_t *data;
	size_t len;

	if (!obj || !uuidgen_valid(obj))
		return;
	/* With -v: when each object reached each state, to the millisecond
	 * (bench/agent/deploy-latency.sh splits a deploy with these). */
	if ((st = info_state(msg)))
		alog(ALOG_DEBUG, "runtime: %s %s %s", prefix, obj, st);
	/* The runtime does not know who it runs on; real controllers file
	 * reports by devId. */
	m.devid = a->uuid;
	snprintf(key, sizeof(key), "%s-%s", prefix, obj);
	if (pbpack(&m.base, 0, &data, &len) < 0)
		return;
	if (infoqueue_put(a->iq, key, data, len) < 0)
		alog(ALOG_WARN, "info queue: %s not queued", key);
	free(data);
}

void reporter_on_app_log(void *ctx, const char *app_uuid, const char *line)
{
	struct agent *a = ctx;

	logship_add(a->ls, app_uuid, "INFO", "guest_vm", line);
}
