// SPDX-License-Identifier: Apache-2.0
/* Manifest -> app spec mapping. Every check names the field it refused. */
#include "manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define NAME_MAX_LEN 128

static int fail(char *err, size_t errlen, const char *fmt, const char *field)
{
	snprintf(err, errlen, fmt, field);
	return -EINVAL;
}

/* Nothing is dropped silently: a key this mapping does not honour is
 * refused with its name (where names the object, e.g. "images[0]"). */
static int keys_known(const json_t *o, const char *const *known, const char *where, char *err, size_t errlen)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v)
	{
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], k) != 0; i++)
			;
		if (!known[i]) {
			snprintf(err, errlen, "%s%s%s: unknown field (not supported here; remove it)", where,
				 *where ? "." : "", k);
			return -EINVAL;
		}
	}
	return 0;
}

json_t *manifest_port(const char *s)
{
	uint64_t host, app;
	char h[16];
	const char *colon = strchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(h))
		return NULL;
	snprintf(h, sizeof(h), "%.*s", (int)(colon - s), s);
	if (units_parse_uint(h, 65535, &host) < 0 || units_parse_uint(colon + 1, 65535, &app) < 0 || !host ||
	    !app)
		return NULL;
	return json_pack("{s:I, s:I}", "host", (json_int_t)host, "app", (json_int_t)app);
}

int manifest_kv(json_t *obj, const char *s)
{
	const char *eq = strchr(s, '=');
	char *k;
	int r;

	if (!eq || eq == s)
		return -EINVAL;
	k = strndup(s, (size_t)(eq - s));
	if (!k)
		return -ENOMEM;
	r = json_object_set_new(obj, k, json_string(eq + 1)) < 0 ? -EINVAL : 0;
	free(k);
	return r;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= NAME_MAX_LEN && !strpbrk(s, "/?#%\\ \t\n");
}

/* A resource value: a number in KiB, or a string with a unit. -> MiB. */
static int resource_mib(const json_t *v, long long *mib)
{
	uint64_t bytes;

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		bytes = (uint64_t)json_integer_value(v) * 1024;
	} else if (json_is_string(v)) {
		if (units_parse_size(json_string_value(v), &bytes) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	*mib = (long long)((bytes + (1 << 20) - 1) >> 20);
	return 0;
}

static int map_resources(const json_t *m, json_t *spec, char *err, size_t errlen)
{
	const json_t *res = json_object_get(m, "resources"), *e;
	size_t i;

	if (res && !json_is_array(res))
		return fail(err, errlen, "%s: must be an array", "resources");
	json_array_foreach(res, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		const json_t *v = json_object_get(e, "value");
		long long mib;

		if (name && strcmp(name, "cpus") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 256)
				return fail(err, errlen, "%s: value must be an integer 1..256",
					    "resources[cpus]");
			json_object_set(spec, "cpus", (json_t *)v);
		} else if (name && (strcmp(name, "memory") == 0 || strcmp(name, "storage") == 0)) {
			bool mem = name[0] == 'm';

			if (resource_mib(v, &mib) < 0 || (mem && mib < 1))
				return fail(err, errlen, "%s: value must be KiB or a size like 512M",
					    mem ? "resources[memory]" : "resources[storage]");
			json_object_set_new(spec, mem ? "memory_mb" : "disk_mb", json_integer(mib));
		} else {
			return fail(err, errlen, "resources[%s]: unknown (cpus, memory or storage)",
				    name ? name : "?");
		}
	}
	return 0;
}

static int check_acls(const json_t *intf, char *err, size_t errlen)
{
	const json_t *acls = json_object_get(intf, "acIs"), *acl, *match;
	size_t i, j;

	if (acls && !json_is_array(acls))
		return fail(err, errlen, "%s: must be an array", "interfaces[].acIs");
	json_array_foreach(acls, i, acl)
	{
		const json_t *matches = json_object_get(acl, "matches");

		if (!json_is_array(matches))
			return fail(err, errlen, "%s: must be an array", "interfaces[].acIs[].matches");
		json_array_foreach(matches, j, match)
		{
			const char *type = json_string_value(json_object_get(match, "type"));
			const char *value = json_string_value(json_object_get(match, "value"));

			if (!type || (strcmp(type, "host") != 0 && strcmp(type, "ip") != 0 &&
				      strcmp(type, "protocol") != 0 && strcmp(type, "fport") != 0 &&
				      strcmp(type, "lport") != 0))
				return fail(err, errlen,
					    "%s: type must be host, ip, protocol, fport or lport",
					    "interfaces[].acIs[].matches[]");
			if (!value || !*value)
				return fail(err, errlen, "%s: value must be a non-empty string",
					    "interfaces[].acIs[].matches[]");
		}
	}
	return 0;
}

/* The interface's ACEs go to the API as {"network", "matches"} so the
 * controller can hang them on the right adapter. Only called after
 * check_acls accepted them. */
static void add_acls(const json_t *intf, const char *network, json_t *spec)
{
	const json_t *acl;
	json_t *list = json_object_get(spec, "acls");
	size_t i;

	json_array_foreach(json_object_get(intf, "acIs"), i, acl)
	{
		if (!list) {
			list = json_array();
			json_object_set_new(spec, "acls", list);
		}
		json_t *e =
		    json_pack("{s:s, s:O}", "network", network, "matches", json_object_get(acl, "matches"));

		/* EVE's ACE actions (drop, limit...): the controller checks them. */
		if (e && json_array_size(json_object_get(acl, "actions")))
			json_object_set(e, "actions", json_object_get(acl, "actions"));
		json_array_append_new(list, e);
	}
}

static int map_interfaces(const json_t *m, json_t *spec, char *err, size_t errlen)
{
	const json_t *intfs = json_object_get(m, "interfaces"), *e;
	json_t *nets = json_object_get(spec, "networks");
	size_t i;
	int r;

	if (intfs && !json_is_array(intfs))
		return fail(err, errlen, "%s: must be an array", "interfaces");
	json_array_foreach(intfs, i, e)
	{
		static const char *const known[] = {"name", "directattach", "acIs", NULL};
		const char *name = json_string_value(json_object_get(e, "name"));
		const json_t *da = json_object_get(e, "directattach");

		r = keys_known(e, known, "interfaces[]", err, errlen);
		if (r < 0)
			return r;
		if (da && !json_is_false(da))
			return fail(err, errlen,
				    "%s: only false is supported (apps attach to network instances, not "
				    "directly to device ports)",
				    "interfaces[].directattach");
		if (!name_ok(name))
			return fail(err, errlen, "%s: must be a network instance name", "interfaces[].name");
		r = check_acls(e, err, errlen);
		if (r < 0)
			return r;
		json_array_append_new(nets, json_string(name));
		add_acls(e, name, spec);
	}
	return 0;
}

static int map_image(const json_t *m, json_t *spec, char *err, size_t errlen)
{
	const json_t *imgs = json_object_get(m, "images"), *img = json_array_get(imgs, 0), *ms;
	const char *name = json_string_value(json_object_get(img, "imagename"));
	const char *target = json_string_value(json_object_get(img, "target"));

	static const char *const known[] = {"imagename", "maxsize", "readonly", "target", NULL};
	int r;

	if (!json_is_array(imgs) || json_array_size(imgs) != 1)
		return fail(err, errlen, "%s: exactly one image is supported", "images");
	r = keys_known(img, known, "images[0]", err, errlen);
	if (r < 0)
		return r;
	if (!name_ok(name))
		return fail(err, errlen, "%s: must name an image on the controller", "images[0].imagename");
	/* maxsize (KiB, as resources[storage]) is honoured as the disk size
	 * unless resources[storage] gives one */
	ms = json_object_get(img, "maxsize");
	if (ms && (!json_is_integer(ms) || json_integer_value(ms) < 0))
		return fail(err, errlen, "%s: must be a non-negative integer (KiB)", "images[0].maxsize");
	if (ms && json_integer_value(ms) > 0)
		json_object_set_new(spec, "disk_mb", json_integer((json_integer_value(ms) + 1023) / 1024));
	if (json_object_get(img, "readonly") && !json_is_false(json_object_get(img, "readonly")))
		return fail(err, errlen, "%s: only false is supported (the app's disk is writable)",
			    "images[0].readonly");
	if (json_object_get(img, "target") && (!target || strcasecmp(target, "disk") != 0))
		return fail(
		    err, errlen,
		    "%s: only Disk is supported (boot a kernel from the image with 'app deploy --kernel')",
		    "images[0].target");
	json_object_set_new(spec, "image", json_string(name));
	return 0;
}

static const char *const vmmodes[] = {"HV_PV", "HV_HVM", "HV_FML", "HV_NOHYPER", "HV_LEGACY", NULL};

static int map_misc(const json_t *m, json_t *spec, char *err, size_t errlen)
{
	const json_t *v;
	const char *mode = json_string_value(json_object_get(m, "vmmode"));
	size_t i;

	if ((v = json_object_get(m, "enablevnc")) && !json_is_boolean(v))
		return fail(err, errlen, "%s: must be true or false", "enablevnc");
	json_object_set_new(spec, "vnc", json_boolean(json_is_true(v)));
	if ((v = json_object_get(m, "activate")) && !json_is_boolean(v))
		return fail(err, errlen, "%s: must be true or false", "activate");
	json_object_set_new(spec, "activate", json_boolean(!v || json_is_true(v)));
	if (json_object_get(m, "vmmode")) {
		for (i = 0; vmmodes[i] && (!mode || strcmp(mode, vmmodes[i]) != 0); i++)
			;
		if (!vmmodes[i])
			return fail(err, errlen, "%s: must be HV_PV, HV_HVM, HV_FML, HV_NOHYPER or HV_LEGACY",
				    "vmmode");
		/* the controller checks it against the image's format */
		json_object_set_new(spec, "vmmode", json_string(mode));
	}
	if ((v = json_object_get(m, "user_data"))) {
		if (!json_is_string(v))
			return fail(err, errlen, "%s: must be a string", "user_data");
		json_object_set(spec, "user_data", (json_t *)v);
	}
	return 0;
}

static bool string_map(const json_t *o)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return false;
	json_object_foreach((json_t *)o, k, v)
	{
		if (!json_is_string(v) || !*k)
			return false;
	}
	return true;
}

static int map_target(const json_t *m, json_t *spec, char *err, size_t errlen)
{
	const json_t *dev = json_object_get(m, "device"), *sel = json_object_get(m, "selector");
	const json_t *env = json_object_get(m, "env"), *ports = json_object_get(m, "ports"), *p;
	size_t i;

	if (!dev == !sel)
		return fail(err, errlen, "%s: give exactly one of \"device\" or \"selector\"", "device");
	if (dev && !name_ok(json_string_value(dev)))
		return fail(err, errlen, "%s: must be a device name or id", "device");
	if (sel && (!string_map(sel) || json_object_size(sel) == 0))
		return fail(err, errlen, "%s: must be a non-empty object of string labels", "selector");
	json_object_set(spec, dev ? "device" : "selector", (json_t *)(dev ? dev : sel));
	if (env && !string_map(env))
		return fail(err, errlen, "%s: must be an object of strings", "env");
	if (env)
		json_object_set(spec, "env", (json_t *)env);
	if (ports && !json_is_array(ports))
		return fail(err, errlen, "%s: must be an array of \"HOST:APP\"", "ports");
	if (json_array_size(ports) && !json_array_size(json_object_get(m, "interfaces")))
		return fail(err, errlen,
			    "%s: ports are published on the app's first interface: add interfaces[]",
			    "ports");
	json_array_foreach(ports, i, p)
	{
		json_t *port = json_is_string(p) ? manifest_port(json_string_value(p)) : NULL;

		if (!port)
			return fail(err, errlen, "%s: must be an array of \"HOST:APP\"", "ports");
		json_array_append_new(json_object_get(spec, "ports"), port);
	}
	return 0;
}

int manifest_to_spec(const json_t *m, json_t **out, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *kind = json_string_value(json_object_get(m, "acKind"));
	json_t *spec;
	int r;

	if (!json_is_object(m))
		return fail(err, errlen, "%s: a manifest is a JSON object", "manifest");
	static const char *const known[] = {"acKind",    "acVersion", "name",   "images",   "interfaces",
					    "resources", "enablevnc", "vmmode", "activate", "user_data",
					    "device",    "selector",  "env",    "ports",    NULL};

	if (json_is_object(m) && keys_known(m, known, "", err, errlen) < 0)
		return -EINVAL;
	if (json_object_get(m, "acKind") && (!kind || strcmp(kind, "VMManifest") != 0))
		return fail(err, errlen, "%s: must be VMManifest (the only kind this controller deploys)",
			    "acKind");
	if (!name_ok(name))
		return fail(err, errlen, "%s: must be a non-empty name without '/', '?', '#', '%%' or spaces",
			    "name");
	spec = json_pack("{s:s, s:i, s:i, s:i, s:[], s:[], s:{}, s:b, s:b}", "name", name, "cpus", 1,
			 "memory_mb", 256, "disk_mb", 0, "networks", "ports", "env", "vnc", 0, "activate", 1);
	if (!spec)
		return -ENOMEM;
	r = map_image(m, spec, err, errlen);
	if (r == 0)
		r = map_resources(m, spec, err, errlen);
	if (r == 0)
		r = map_interfaces(m, spec, err, errlen);
	if (r == 0)
		r = map_misc(m, spec, err, errlen);
	if (r == 0)
		r = map_target(m, spec, err, errlen);
	if (r < 0) {
		json_decref(spec);
		return r;
	}
	*out = spec;
	return 0;
}

int manifest_spec_matches(const json_t *spec, const json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)spec, k, v)
	{
		if (!json_equal(v, json_object_get(obj, k)))
			return 0;
	}
	return 1;
}
