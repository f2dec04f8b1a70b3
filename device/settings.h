// SPDX-License-Identifier: Apache-2.0
/* Agent settings driven by the controller's config items (EVE's runtime
 * configuration properties, common/configprops.h), applied without
 * restart. Each property the agent honours maps to one field here; every
 * other item is reported back as not supported (settings_status). */
#ifndef EVE_SETTINGS_H
#define EVE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/devcommon.pb-c.h"
#include "info/info.pb-c.h"

struct settings {
	uint32_t config_interval_s; /* timer.config.interval */
	uint32_t metric_interval_s; /* timer.metric.interval */
	uint32_t info_interval_s;   /* timer.deviceinfo.interval */
	uint32_t netrollback_s;     /* timer.port.testduration: new network setting trial */
	uint32_t update_window_s;   /* timer.test.baseimage.update: A/B test window */
	uint32_t log_quota_mb;      /* newlog.persist.quota.mb (agent's name) */
	uint32_t log_files_mb;      /* newlog.gzipfiles.ondisk.maxmegabytes (EVE's name) */
	uint32_t send_timeout_s;    /* timer.send.timeout */
	uint32_t port_better_s;     /* timer.port.testbetterinterval */
	uint32_t port_test_s;       /* timer.port.testinterval: port test every (0: never) */
	uint32_t port_timeout_s;    /* timer.port.timeout: each port test request */
	int fallback_any;           /* network.fallback.any.eth: 1 enabled, 0 disabled, -1 none */
	int log_level;              /* debug.default.loglevel (agentlog level) */
	int remote_log_level;       /* debug.default.remote.loglevel */
	int edgeview_allow;         /* edgeview.allow: remote consoles (device/edgeview.c) */
	/* Applied by the app runtime (device/runtime/rt_props.c), which reads
	 * them from the config with the same parsers; here for the report. */
	uint32_t download_retry_s; /* timer.download.retry */
	uint32_t boot_retry_s;     /* timer.boot.retry */
	uint32_t stalled_s;        /* timer.download.stalled */
	uint32_t app_rollback_s;   /* timer.app.update.rollback */
	uint32_t dom0_min_pct;     /* storage.dom0.disk.minusage.percent */
	int allow_vnc;             /* app.allow.vnc */
	int ignore_mem_check;      /* memory.apps.ignore.check */
	int ignore_disk_check;     /* storage.apps.ignore.disk.check */
	int img_sig_policy;        /* images.signatures: enum cosign_policy */
	uint64_t unpack_max_bytes; /* runtime.oci.unpack.max.bytes */
	/* Not a config item: the device's local floor for images.signatures
	 * (config dir image-trust/policy); a controller value below it is
	 * refused and reported. */
	int img_sig_floor;
	/* Not a config item either: image-trust/controller-keys says deny, so
	 * items images.trust.key.* are refused (trustkeys.h). */
	bool trust_ctl_deny;
};

void settings_defaults(struct settings *s);
/* Start from base (NULL: the defaults) and apply items; bad values keep
 * the base value and are counted in *n_bad (may be NULL); the first bad
 * key goes to bad_key. */
void settings_from_items(struct settings *s, const struct settings *base,
			 Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, size_t *n_bad,
			 char *bad_key, size_t bad_len);
/* Apply "key=value" lines (blank lines and # comments skipped) on top of s:
 * the config dir's local defaults. Same error reporting as above. */
void settings_apply_text(struct settings *s, const char *text, size_t *n_bad, char *bad_key, size_t bad_len);
/* The connectivity properties for netmgr_set_props. */
struct netmgr_props;
void settings_net_props(const struct settings *s, struct netmgr_props *out);
/* The log spool quota in bytes: the smaller of the two newlog quotas. */
size_t settings_log_quota_bytes(const struct settings *s);

/* What the device reports in ZInfoDevice.configItemStatus: configItems has
 * every property the agent honours with its value in s (and, when the
 * controller's item for it was refused, why); unknownConfigItems every
 * item of items the agent does not apply, with the reason. Publisher keys
 * (images.trust.key.*, trustkeys.h) are among configItems, with why one is
 * refused. The app
 * runtime's properties count as honoured only when runtime is true (the
 * agent runs apps). *out is freed with settings_status_free. */
int settings_status(const struct settings *s, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n,
		    bool runtime, Org__Lfedge__Eve__Info__ZInfoConfigItemStatus **out);
void settings_status_free(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st);
/* A local override of a property (e.g. -v pins the log level to debug):
 * key's entry in st reports value, with why as its error when value is not
 * what the settings say. 0, -ENOENT (no such entry), -ENOMEM. */
int settings_status_pin(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key, const char *value,
			const char *why);

#endif
