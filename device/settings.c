// SPDX-License-Identifier: Apache-2.0
/* Config items: the properties the agent honours, each mapped to a field
 * of struct settings; names, types, ranges and defaults come from the
 * shared table (common/configprops.c). */
#include "settings.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlog.h"
#include "configprops.h"
#include "netmgr.h"
#include "trustkeys.h"

/* Every property with .agent = true in the shared table has a row here
 * (tests/unit/agent_settings_test.c checks it). */
static const struct setting_def {
	const char *key;
	size_t off;
	bool runtime; /* applied by the app runtime */
} defs[] = {
    {"timer.config.interval", offsetof(struct settings, config_interval_s), false},
    {"timer.metric.interval", offsetof(struct settings, metric_interval_s), false},
    {"timer.deviceinfo.interval", offsetof(struct settings, info_interval_s), false},
    {"timer.port.testduration", offsetof(struct settings, netrollback_s), false},
    {"timer.test.baseimage.update", offsetof(struct settings, update_window_s), false},
    {"newlog.persist.quota.mb", offsetof(struct settings, log_quota_mb), false},
    {"newlog.gzipfiles.ondisk.maxmegabytes", offsetof(struct settings, log_files_mb), false},
    {"timer.send.timeout", offsetof(struct settings, send_timeout_s), false},
    {"timer.port.testbetterinterval", offsetof(struct settings, port_better_s), false},
    {"timer.port.testinterval", offsetof(struct settings, port_test_s), false},
    {"timer.port.timeout", offsetof(struct settings, port_timeout_s), false},
    {"network.fallback.any.eth", offsetof(struct settings, fallback_any), false},
    {"debug.default.loglevel", offsetof(struct settings, log_level), false},
    {"debug.default.remote.loglevel", offsetof(struct settings, remote_log_level), false},
    {"edgeview.allow", offsetof(struct settings, edgeview_allow), false},
    {"timer.download.retry", offsetof(struct settings, download_retry_s), true},
    {"timer.boot.retry", offsetof(struct settings, boot_retry_s), true},
    {"timer.download.stalled", offsetof(struct settings, stalled_s), true},
    {"timer.app.update.rollback", offsetof(struct settings, app_rollback_s), true},
    {"storage.dom0.disk.minusage.percent", offsetof(struct settings, dom0_min_pct), true},
    {"app.allow.vnc", offsetof(struct settings, allow_vnc), true},
    {"memory.apps.ignore.check", offsetof(struct settings, ignore_mem_check), true},
    {"storage.apps.ignore.disk.check", offsetof(struct settings, ignore_disk_check), true},
    {"images.signatures", offsetof(struct settings, img_sig_policy), true},
    {"runtime.oci.unpack.max.bytes", offsetof(struct settings, unpack_max_bytes), true},
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static const struct setting_def *def_of(const char *key)
{
	for (size_t i = 0; key && i < N_DEFS; i++)
		if (!strcmp(defs[i].key, key))
			return &defs[i];
	return NULL;
}

/* Parse text for d's property into its field of s; -EINVAL keeps s. */
static int store(struct settings *s, const struct setting_def *d, const char *text)
{
	const struct configprop *p = configprop_find(d->key);
	char *field = (char *)s + d->off;
	uint32_t u;
	uint64_t u64;
	int lv;
	bool b;

	if (!p)
		return -EINVAL;
	if (p->type == CONFIGPROP_U64 && configprop_parse_u64(p, text, &u64) == 0) {
		*(uint64_t *)field = u64;
		return 0;
	}
	if (p->type == CONFIGPROP_TRISTATE && configprop_parse_tristate(text, &lv) == 0) {
		*(int *)field = lv;
		return 0;
	}
	if (p->type == CONFIGPROP_BOOL && configprop_parse_bool(text, &b) == 0) {
		*(int *)field = b;
		return 0;
	}
	if (p->type == CONFIGPROP_INT && configprop_parse_int(p, text, &u) == 0) {
		*(uint32_t *)field = u;
		return 0;
	}
	if (p->type == CONFIGPROP_ENUM && configprop_parse_enum(p, text, &lv) == 0) {
		*(int *)field = lv;
		return 0;
	}
	if (p->type == CONFIGPROP_LOGLEVEL && configprop_parse_loglevel(text, &lv) == 0) {
		*(int *)field = lv; /* 0..3 = enum alog_level */
		return 0;
	}
	return -EINVAL;
}

/* The value of d's field as text ("60", "debug"). */
static void format(const struct settings *s, const struct setting_def *d, char *buf, size_t len)
{
	const struct configprop *p = configprop_find(d->key);
	const char *field = (const char *)s + d->off;

	if (p && p->type == CONFIGPROP_LOGLEVEL)
		snprintf(buf, len, "%s", alog_level_name((enum alog_level) * (const int *)field));
	else if (p && p->type == CONFIGPROP_TRISTATE)
		snprintf(buf, len, "%s",
			 *(const int *)field > 0    ? "enabled"
			 : *(const int *)field == 0 ? "disabled"
						    : "none");
	else if (p && p->type == CONFIGPROP_ENUM)
		snprintf(buf, len, "%s", p->choices[*(const int *)field]);
	else if (p && p->type == CONFIGPROP_BOOL)
		snprintf(buf, len, "%s", *(const int *)field ? "true" : "false");
	else if (p && p->type == CONFIGPROP_U64)
		snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)field);
	else
		snprintf(buf, len, "%lu", (unsigned long)*(const uint32_t *)field);
	for (char *c = buf; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
}

void settings_defaults(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < N_DEFS; i++) {
		const struct configprop *p = configprop_find(defs[i].key);

		if (p)
			store(s, &defs[i], p->def);
	}
}

static void apply_items(struct settings *s, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n,
			size_t *bad, char *bad_key, size_t bad_len)
{
	for (size_t i = 0; i < n; i++) {
		const struct setting_def *d = def_of(items[i]->key);

		if (!d)
			continue;
		if (items[i]->value && store(s, d, items[i]->value) == 0)
			continue;
		if ((*bad)++ == 0 && bad_key)
			snprintf(bad_key, bad_len, "%s", d->key);
	}
}

/* The floor for images.signatures: a weaker value is refused (counted bad). */
static void keep_floor(struct settings *s, size_t *bad, char *bad_key, size_t bad_len)
{
	if (s->img_sig_policy >= s->img_sig_floor)
		return;
	s->img_sig_policy = s->img_sig_floor;
	if ((*bad)++ == 0 && bad_key)
		snprintf(bad_key, bad_len, "images.signatures");
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
	keep_floor(s, &bad, bad_key, bad_len);
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
	keep_floor(s, &bad, bad_key, bad_len);
	if (n_bad)
		*n_bad = bad;
}

void settings_net_props(const struct settings *s, struct netmgr_props *out)
{
	out->send_timeout_s = s->send_timeout_s;
	out->better_ms = (uint64_t)s->port_better_s * 1000;
	out->fallback_any = s->fallback_any > 0;
	out->test_ms = (uint64_t)s->port_test_s * 1000;
	out->test_timeout_s = s->port_timeout_s;
	out->trial_ms = (uint64_t)s->netrollback_s * 1000;
}

size_t settings_log_quota_bytes(const struct settings *s)
{
	uint32_t mb = s->log_quota_mb < s->log_files_mb ? s->log_quota_mb : s->log_files_mb;

	return (size_t)mb << 20;
}

/* ---- status report ------------------------------------------------------ */

typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__ConfigItemsEntry known_entry;
typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus__UnknownConfigItemsEntry unknown_entry;

/* A heap ZInfoConfigItem (freed with the status by free_unpacked). */
static Org__Lfedge__Eve__Info__ZInfoConfigItem *new_item(const char *value, const char *error)
{
	Org__Lfedge__Eve__Info__ZInfoConfigItem *it = malloc(sizeof(*it));

	if (!it)
		return NULL;
	org__lfedge__eve__info__zinfo_config_item__init(it);
	it->value = strdup(value ? value : "");
	it->error = strdup(error ? error : "");
	if (!it->value || !it->error) {
		free(it->value);
		free(it->error);
		free(it);
		return NULL;
	}
	return it;
}

/* The controller's item for key (the last one wins, as when applying). */
static const char *item_value(Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < n; i++)
		if (items[i]->key && !strcmp(items[i]->key, key))
			v = items[i]->value ? items[i]->value : "";
	return v;
}

static int add_known(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const struct settings *s,
		     const struct setting_def *d, Org__Lfedge__Eve__Config__ConfigItem *const *items,
		     size_t n)
{
	const struct configprop *p = configprop_find(d->key);
	const char *given = item_value(items, n, d->key);
	char value[64], why[192], err[320] = "";
	known_entry *e = malloc(sizeof(*e));
	int lv;

	if (!e)
		return -ENOMEM;
	org__lfedge__eve__info__zinfo_config_item_status__config_items_entry__init(e);
	format(s, d, value, sizeof(value));
	if (given && p && configprop_check(p, given, why, sizeof(why)) < 0)
		snprintf(err, sizeof(err), "%s: using %s", why, value);
	else if (given && p && p->type == CONFIGPROP_ENUM &&
		 d->off == offsetof(struct settings, img_sig_policy) &&
		 configprop_parse_enum(p, given, &lv) == 0 && lv < s->img_sig_floor)
		snprintf(err, sizeof(err),
			 "refused: the device's local policy (config dir image-trust/policy) is %s and a "
			 "controller cannot relax it: using %s",
			 value, value);
	e->key = strdup(d->key);
	e->value = new_item(value, err);
	st->configitems[st->n_configitems++] = e;
	return e->key && e->value ? 0 : -ENOMEM;
}

/* A publisher key of the signed config (images.trust.key.NAME): taken, or
 * why not. */
static int add_trust_key(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const struct settings *s,
			 const Org__Lfedge__Eve__Config__ConfigItem *it)
{
	known_entry *e = malloc(sizeof(*e));
	char why[256];

	if (!e)
		return -ENOMEM;
	org__lfedge__eve__info__zinfo_config_item_status__config_items_entry__init(e);
	trustkeys_check(it->key, it->value, s->trust_ctl_deny, why, sizeof(why));
	e->key = strdup(it->key);
	e->value = new_item(it->value, why);
	st->configitems[st->n_configitems++] = e;
	return e->key && e->value ? 0 : -ENOMEM;
}

static bool seen_unknown(const Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key)
{
	for (size_t i = 0; i < st->n_unknownconfigitems; i++)
		if (!strcmp(st->unknownconfigitems[i]->key, key))
			return true;
	return false;
}

static int add_unknown(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key, const char *value,
		       bool runtime_off)
{
	const struct configprop *p = configprop_find(key);
	unknown_entry *e;
	const char *why = !p            ? "not a property EVE defines"
			  : runtime_off ? "not supported: eve-agent runs without its app runtime"
					: "not supported by eve-agent";

	if (seen_unknown(st, key))
		return 0;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	org__lfedge__eve__info__zinfo_config_item_status__unknown_config_items_entry__init(e);
	e->key = strdup(key);
	e->value = new_item(value, why);
	st->unknownconfigitems[st->n_unknownconfigitems++] = e;
	return e->key && e->value ? 0 : -ENOMEM;
}

int settings_status(const struct settings *s, Org__Lfedge__Eve__Config__ConfigItem *const *items, size_t n,
		    bool runtime, Org__Lfedge__Eve__Info__ZInfoConfigItemStatus **out)
{
	Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st = malloc(sizeof(*st));
	int r = 0;

	if (!st)
		return -ENOMEM;
	org__lfedge__eve__info__zinfo_config_item_status__init(st);
	st->configitems = calloc(N_DEFS + n, sizeof(*st->configitems));
	st->unknownconfigitems = n ? calloc(n, sizeof(*st->unknownconfigitems)) : NULL;
	if (!st->configitems || (n && !st->unknownconfigitems))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < N_DEFS; i++)
		if (runtime || !defs[i].runtime)
			r = add_known(st, s, &defs[i], items, n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct setting_def *d = def_of(items[i]->key);

		if (trustkeys_is_item(items[i]->key))
			r = add_trust_key(st, s, items[i]);
		else if (items[i]->key && *items[i]->key && (!d || (d->runtime && !runtime)))
			r = add_unknown(st, items[i]->key, items[i]->value, d != NULL);
	}
	if (r < 0) {
		settings_status_free(st);
		return r;
	}
	*out = st;
	return 0;
}

void settings_status_free(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st)
{
	if (st)
		protobuf_c_message_free_unpacked(&st->base, NULL);
}

int settings_status_pin(Org__Lfedge__Eve__Info__ZInfoConfigItemStatus *st, const char *key, const char *value,
			const char *why)
{
	for (size_t i = 0; st && i < st->n_configitems; i++) {
		Org__Lfedge__Eve__Info__ZInfoConfigItem *it = st->configitems[i]->value;
		char *v, *e;

		if (strcmp(st->configitems[i]->key, key) != 0 || !it)
			continue;
		if (!strcmp(it->value, value))
			return 0;
		v = strdup(value);
		e = strdup(why);
		if (!v || !e) {
			free(v);
			free(e);
			return -ENOMEM;
		}
		free(it->value);
		free(it->error);
		it->value = v;
		it->error = e;
		return 0;
	}
	return -ENOENT;
}
