/* Config item table. */
#include "settings.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlog.h"

enum setting_type { ST_UINT, ST_LOGLEVEL };

static const struct setting_def {
	const char *key;
	enum setting_type type;
	size_t off;
	long def, min, max;
} defs[] = {
    {"timer.config.interval", ST_UINT, offsetof(struct settings, config_interval_s), 60, 1, 86400},
    {"timer.metric.interval", ST_UINT, offsetof(struct settings, metric_interval_s), 60, 1, 86400},
    {"timer.deviceinfo.interval", ST_UINT, offsetof(struct settings, info_interval_s), 600, 1, 86400},
    {"timer.port.testduration", ST_UINT, offsetof(struct settings, netrollback_s), 30, 1, 3600},
    {"timer.test.baseimage.update", ST_UINT, offsetof(struct settings, update_window_s), 600, 10, 86400},
    {"newlog.persist.quota.mb", ST_UINT, offsetof(struct settings, log_quota_mb), 64, 1, 65536},
    {"debug.default.loglevel", ST_LOGLEVEL, offsetof(struct settings, log_level), ALOG_INFO, 0, 3},
    {"debug.default.remote.loglevel", ST_LOGLEVEL, offsetof(struct settings, remote_log_level), ALOG_INFO, 0,
     3},
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static void store(struct settings *s, const struct setting_def *d, long v)
{
	char *p = (char *)s + d->off;

	if (d->type == ST_UINT)
		*(uint32_t *)p = (uint32_t)v;
	else
		*(int *)p = (int)v;
}

static bool parse(const struct setting_def *d, const char *text, long *v)
{
	char *end;

	if (d->type == ST_LOGLEVEL) {
		*v = alog_level_parse(text);
		return *v >= 0;
	}
	errno = 0;
	*v = strtol(text, &end, 10);
	return !errno && end != text && *end == '\0' && *v >= d->min && *v <= d->max;
}

void settings_defaults(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < N_DEFS; i++)
		store(s, &defs[i], defs[i].def);
}

static void apply_items(struct settings *s, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n,
			size_t *bad, char *bad_key, size_t bad_len)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < N_DEFS; j++) {
			long v;

			if (!items[i]->key || strcmp(items[i]->key, defs[j].key))
				continue;
			if (items[i]->value && parse(&defs[j], items[i]->value, &v))
				store(s, &defs[j], v);
			else if ((*bad)++ == 0 && bad_key)
				snprintf(bad_key, bad_len, "%s", defs[j].key);
		}
	}
}

void settings_from_items(struct settings *s, const struct settings *base,
			 Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, size_t *n_bad,
			 char *bad_key, size_t bad_len)
{
	size_t bad = 0;

	if (base)
		*s = *base;
	else
		settings_defaults(s);
	apply_items(s, items, n, &bad, bad_key, bad_len);
	if (n_bad)
		*n_bad = bad;
}

void settings_apply_text(struct settings *s, const char *text, size_t *n_bad, char *bad_key, size_t bad_len)
{
	char *copy = strdup(text ? text : ""), *save = NULL;
	size_t bad = 0;

	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		Org__Lfedge__Eve__Config__ConfigItem it = ORG__LFEDGE__EVE__CONFIG__CONFIG_ITEM__INIT,
						     *p = &it;
		char *eq = strchr(line, '=');

		line += strspn(line, " \t");
		if (!*line || *line == '#' || !eq)
			continue;
		*eq = '\0';
		it.key = strtok(line, " \t");
		it.value = eq + 1 + strspn(eq + 1, " \t");
		it.value[strcspn(it.value, " \t\r")] = '\0';
		if (it.key)
			apply_items(s, &p, 1, &bad, bad_key, bad_len);
	}
	free(copy);
	if (n_bad)
		*n_bad = bad;
}
