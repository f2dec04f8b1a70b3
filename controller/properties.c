// SPDX-License-Identifier: Apache-2.0
/* Property states: what the operator configured, what the device reported,
 * and the table's default, merged per property. */
#include "properties.h"
#include "trustkeys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "configprops.h"
#include "ctl.h"
#include "store.h"
#include "devices_store.h"
#include "info/info.pb-c.h"
#include "infolatest.h"
#include "projects.h"
#include "uuidlist.h"

typedef Org__Lfedge__Eve__Info__ZInfoConfigItemStatus item_status;

int properties_reserved(const json_t *patch, char *err, size_t err_len)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		if (strncmp(k, TRUSTKEYS_ITEM_PREFIX, strlen(TRUSTKEYS_ITEM_PREFIX)) == 0) {
			snprintf(err, err_len,
				 "%s: publisher keys are not device or project items: an admin adds them for "
				 "every device with evectl image trust add (POST /api/v1/image-trust-keys)",
				 k);
			return -EPERM;
		}
	}
	return 0;
}

int properties_check_patch(const json_t *patch, char *err, size_t err_len, json_t **warnings)
{
	const char *k;
	json_t *v, *warn = NULL;
	char why[256];

	*warnings = NULL;
	json_object_foreach((json_t *)patch, k, v)
	{
		const struct configprop *p = configprop_find(k);
		char num[32];
		const char *text = json_string_value(v);

		if (json_is_null(v))
			continue;
		if (!p) {
			if (!warn)
				warn = json_array();
			json_array_append_new(warn, json_sprintf("%s is not a property EVE defines", k));
			continue;
		}
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			text = num;
		} else if (json_is_boolean(v)) {
			text = json_is_true(v) ? "true" : "false";
		}
		if (text && configprop_check(p, text, why, sizeof(why)) == 0)
			continue;
		snprintf(err, err_len, "%s: %s", k, text ? why : "value must be a string");
		json_decref(warn);
		return -EINVAL;
	}
	*warnings = warn;
	return 0;
}

/* The configItemStatus of uuid's latest device info (NULL if none); *owner
 * is what to free. */
static const item_status *device_status(struct store *d, const char *uuid, ProtobufCMessage **owner)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = infolatest_get(d, uuid, "device", NULL);

	*owner = m ? &m->base : NULL;
	if (!m || m->info_content_case != ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO || !m->dinfo)
		return NULL;
	return m->dinfo->configitemstatus;
}

static const Org__Lfedge__Eve__Info__ZInfoConfigItem *known_of(const item_status *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_configitems; i++)
		if (s->configitems[i]->key && !strcmp(s->configitems[i]->key, name))
			return s->configitems[i]->value;
	return NULL;
}

static const Org__Lfedge__Eve__Info__ZInfoConfigItem *unknown_of(const item_status *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_unknownconfigitems; i++)
		if (s->unknownconfigitems[i]->key && !strcmp(s->unknownconfigitems[i]->key, name))
			return s->unknownconfigitems[i]->value;
	return NULL;
}

/* Whether the device's value is the configured one (same number, same log
 * level: "warn" is reported as "warning"). */
static bool same_value(const struct configprop *p, const char *a, const char *b)
{
	uint32_t x, y;
	uint64_t x64, y64;
	int i, j;
	bool c, d;

	if (!p)
		return !strcmp(a, b);
	switch (p->type) {
	case CONFIGPROP_INT:
		return configprop_parse_int(p, a, &x) == 0 && configprop_parse_int(p, b, &y) == 0 && x == y;
	case CONFIGPROP_U64:
		return configprop_parse_u64(p, a, &x64) == 0 && configprop_parse_u64(p, b, &y64) == 0 &&
		       x64 == y64;
	case CONFIGPROP_LOGLEVEL:
		return configprop_parse_loglevel(a, &i) == 0 && configprop_parse_loglevel(b, &j) == 0 &&
		       i == j;
	case CONFIGPROP_TRISTATE:
		return configprop_parse_tristate(a, &i) == 0 && configprop_parse_tristate(b, &j) == 0 &&
		       i == j;
	case CONFIGPROP_BOOL:
		return configprop_parse_bool(a, &c) == 0 && configprop_parse_bool(b, &d) == 0 && c == d;
	default:
		return !strcmp(a, b);
	}
}

/* The state of property name (p NULL: not in the table) from what is
 * configured and what the device reported (s NULL: no report yet). */
static const char *state_of(const struct configprop *p, const char *name, const char *configured,
			    const item_status *s, const char **value, const char **error)
{
	const Org__Lfedge__Eve__Info__ZInfoConfigItem *k = known_of(s, name), *u = unknown_of(s, name);

	*value = k ? k->value : u ? u->value : NULL;
	*error = NULL;
	if (!s)
		return configured ? "pending" : "default";
	if (!configured)
		return "default";
	if (u) {
		*error = u->error;
		return p ? "unsupported" : "unknown";
	}
	if (!k)
		return "pending"; /* the device runs a config without it yet */
	if (k->error && *k->error) {
		*error = k->error;
		return "rejected";
	}
	return same_value(p, k->value, configured) ? "applied" : "pending";
}

static json_t *row(const struct configprop *p, const char *name, const char *configured, const item_status *s)
{
	const char *value = NULL, *error = NULL, *state;
	char dom[64] = "";

	state = state_of(p, name, configured, s, &value, &error);
	if (p)
		configprop_domain(p, dom, sizeof(dom));
	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:s?}", "name", name,
			 "state", state, "value", value, "configured", configured, "default",
			 p ? p->def : NULL, "type", p ? configprop_type_name(p->type) : NULL, "range",
			 p ? dom : NULL, "error", error && *error ? error : NULL, "eve", p && p->eve, "agent",
			 p && p->agent, "help", p ? p->help : NULL);
}

/* Every property of the table, then configured names it does not know. */
static json_t *property_rows(const json_t *items, const item_status *s)
{
	json_t *out = json_array(), *v;
	const char *k;

	for (size_t i = 0; i < configprop_count(); i++) {
		const struct configprop *p = configprop_at(i);

		json_array_append_new(out,
				      row(p, p->name, json_string_value(json_object_get(items, p->name)), s));
	}
	json_object_foreach((json_t *)items, k, v) if (!configprop_find(k))
	    json_array_append_new(out, row(NULL, k, json_string_value(v), s));
	return out;
}

/* The publisher keys every device's config carries (trustkeys.c), as the
 * config items images.trust.key.NAME, from "image-trust-keys". */
struct trust_ctx {
	json_t *items, *from;
};

static int trust_key_item(void *ctx, const char *name, const char *spki)
{
	struct trust_ctx *t = ctx;
	char key[64];

	snprintf(key, sizeof(key), TRUSTKEYS_ITEM_PREFIX "%.40s", name);
	json_object_set_new(t->items, key, json_string(spki));
	json_object_set_new(t->from, key, json_string("image-trust-keys"));
	return 0;
}

static void trust_key_items(struct store *d, json_t *items, json_t *from)
{
	struct trust_ctx t = {items, from};
	/* (void): as before, a store error leaves the keys out of the view */
	(void)trustkeys_each(d, trust_key_item, &t);
}

struct items_ctx {
	json_t *dev, *project;
};

static int items_row(void *ctx, const struct devices_config_row *row)
{
	struct items_ctx *c = ctx;
	c->project = admin_json_col(row->project_items);
	c->dev = admin_json_col(row->config_items);
	return 0;
}

/* A device's configured items, the project's under the device's own
 * (*from: a new object {name: "device"|"project"}). NULL when the device
 * row is missing or unreadable. */
static json_t *effective_items(struct store *d, const char *uuid, json_t **from)
{
	struct items_ctx c = {0};
	json_t *items, *v;
	const char *k;

	*from = NULL;
	(void)devices_store_config_row(d, uuid, items_row, &c);
	items = c.project;
	if (!items || !c.dev || !(*from = json_object())) {
		json_decref(items);
		json_decref(c.dev);
		return NULL;
	}
	json_object_foreach(items, k, v) json_object_set_new(*from, k, json_string("project"));
	json_object_foreach(c.dev, k, v) json_object_set_new(*from, k, json_string("device"));
	json_object_update(items, c.dev);
	json_decref(c.dev);
	trust_key_items(d, items, *from);
	return items;
}

void properties_h_get(struct http_req *r)
{
	char uuid[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	ProtobufCMessage *owner = NULL;
	const item_status *s = NULL;
	json_t *items = NULL, *from = NULL;
	int e = admin_device_resolve(d, r->params[0], uuid);

	if (e == 0) {
		items = effective_items(d, uuid, &from);
		s = device_status(d, uuid, &owner);
	}
	store_put(r->ctl->db, d);
	if (e < 0 || !items) {
		admin_reply_err(r, e < 0 ? e : -EIO, "device");
	} else {
		json_t *rows = property_rows(items, s), *row;
		size_t i;

		/* Where each configured value comes from (a device's own item
		 * wins over its project's). */
		json_array_foreach(rows, i, row)
		{
			json_t *src = json_object_get(from, json_string_value(json_object_get(row, "name")));

			json_object_set(row, "source", src ? src : json_null());
		}
		http_reply_json(
		    r, 200, json_pack("{s:s, s:b, s:o}", "id", uuid, "reported", s != NULL, "items", rows));
	}
	if (owner)
		protobuf_c_message_free_unpacked(owner, NULL);
	json_decref(items);
	json_decref(from);
}

int properties_merge(json_t *stored, const json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)patch, k, v)
	{
		if (strlen(k) == 0 || strlen(k) > CONFIGPROP_NAME_MAX)
			return -EINVAL;
		if (json_is_null(v)) {
			json_object_del(stored, k);
		} else if (json_is_string(v)) {
			if (json_string_length(v) > CONFIGPROP_VALUE_MAX)
				return -EINVAL;
			json_object_set(stored, k, v);
		} else if (json_is_integer(v)) {
			char num[32];

			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			json_object_set_new(stored, k, json_string(num));
		} else if (json_is_boolean(v)) {
			json_object_set_new(stored, k, json_string(json_is_true(v) ? "true" : "false"));
		} else {
			return -EINVAL;
		}
	}
	return json_object_size(stored) > 4096 ? -EINVAL : 0;
}

/* ---- project-level properties: /projects/{project}/config-items ---- */

static json_t *project_items(struct store *d, const char *project)
{
	char *text = NULL;
	json_t *items = projects_config_items(d, project, &text) == 0 ? admin_json_col(text) : NULL;

	free(text);
	return items;
}

static void h_project_items_get(struct http_req *r)
{
	struct store *d = store_get(r->ctl->db);
	json_t *items = project_items(d, r->params[0]);

	store_put(r->ctl->db, d);
	if (!items)
		admin_reply_err(r, -ENOENT, "project");
	else
		http_reply_json(r, 200, json_pack("{s:s, s:o}", "project", r->params[0], "items", items));
}

const struct properties_store properties_of_device = {devices_store_config_items,
						      devices_store_set_config_items};
const struct properties_store properties_of_project = {projects_config_items, projects_set_config_items};

/* One read, merge and write over what was read. */
static int patch_once(struct store *d, const struct properties_store *ps, const char *key,
		      const json_t *patch, json_t **out)
{
	char *old = NULL, *text = NULL;
	json_t *items = NULL;
	int e = ps->get(d, key, &old);

	if (e == 0)
		e = (items = admin_json_col(old)) ? 0 : -ENOMEM;
	if (e == 0)
		e = properties_merge(items, patch);
	if (e == 0)
		e = (text = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS)) ? 0 : -ENOMEM;
	if (e == 0)
		e = ps->set(d, key, old, text);
	if (e == 0)
		*out = items;
	else
		json_decref(items);
	free(old);
	free(text);
	return e;
}

int properties_patch(struct store *d, const struct properties_store *ps, const char *key, const json_t *patch,
		     json_t **out)
{
	int e = -EAGAIN;

	*out = NULL;
	for (int tries = 0; e == -EAGAIN && tries < 8; tries++)
		e = patch_once(d, ps, key, patch, out);
	return e;
}

static int collect_id(void *ctx, const char *uuid, const char *name, const char *labels)
{
	(void)name;
	(void)labels;
	return uuidlist_add(ctx, uuid);
}

/* After the project's items are committed: every device of it gets a new
 * config (as after any other change a device's config is built from). */
static void project_devices_changed(struct ctl *c, struct store *d, const char *project)
{
	struct uuidlist ids = {0};

	/* collected first: ctl_devices_changed writes. (void): those read
	 * before a failure are still told */
	(void)devices_store_each_in_project(d, project, collect_id, &ids);
	ctl_devices_changed(c, d, ids.ids, ids.n);
	uuidlist_free(&ids);
}

static void h_project_items_put(struct http_req *r)
{
	json_t *b = admin_body(r), *items = NULL, *warnings = NULL;
	const char *force = http_arg(r, "force");
	char why[384];
	struct store *d;
	int e;

	if (!b)
		return;
	/* As PUT /devices/X/config-items: values EVE would refuse are
	 * refused (?force=1 stores them), unknown names get a warning. */
	if (properties_reserved(b, why, sizeof(why)) < 0 ||
	    (!(force && !strcmp(force, "1")) && properties_check_patch(b, why, sizeof(why), &warnings) < 0)) {
		http_reply_error(r, 400, "%s", why);
		json_decref(b);
		return;
	}
	d = store_get(r->ctl->db);
	e = properties_patch(d, &properties_of_project, r->params[0], b, &items);
	if (e == 0)
		project_devices_changed(r->ctl, d, r->params[0]);
	store_put(r->ctl->db, d);
	json_decref(b);
	if (e < 0) {
		json_decref(items);
		json_decref(warnings);
		admin_reply_err(r, e,
				e == -EINVAL ? "config item (values are strings, null removes)" : "project");
		return;
	}
	http_reply_json(
	    r, 200,
	    json_pack("{s:s, s:o, s:o*}", "project", r->params[0], "items", items, "warnings", warnings));
}

const struct http_route admin_property_routes[] = {
    {"GET", ADMIN_PREFIX "/projects/*/config-items", h_project_items_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", ADMIN_PREFIX "/projects/*/config-items", h_project_items_put, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN,
     NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
