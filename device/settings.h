/* Agent settings driven by the controller's config items (EVE names),
 * applied without restart. One table of {key, parser, field, default,
 * bounds}; unknown keys are ignored (they may be meant for the runtime). */
#ifndef EVE_SETTINGS_H
#define EVE_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "config/devcommon.pb-c.h"

struct settings {
	uint32_t config_interval_s; /* timer.config.interval */
	uint32_t metric_interval_s; /* timer.metric.interval */
	uint32_t info_interval_s;   /* timer.deviceinfo.interval */
	uint32_t netrollback_s;     /* timer.port.testduration: new network setting trial */
	uint32_t update_window_s;   /* timer.test.baseimage.update: A/B test window */
	uint32_t log_quota_mb;      /* newlog.persist.quota.mb (agent's name) */
	int log_level;              /* debug.default.loglevel (agentlog level) */
	int remote_log_level;       /* debug.default.remote.loglevel */
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

#endif
