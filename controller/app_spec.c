// SPDX-License-Identifier: Apache-2.0
/* An app's spec: the admin body's checks, the stored JSON form, accessors. */
#include "app_spec.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_acl.h"
#include "app_vm.h"

#define USER_DATA_MAX (64 * 1024)

/* --- helpers ----------------------------------------------------------- */

static bool str_array(json_t *a, size_t max)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || json_array_size(a) > max)
		return false;
	json_array_foreach(a, i, v) if (!json_is_string(v) || json_string_length(v) == 0) return false;
	return true;
}

static bool str_object(json_t *o, size_t max)
{
	const char *k;
	json_t *v;
	if (!json_is_object(o) || json_object_size(o) > max)
		return false;
	json_object_foreach(o, k, v) if (!json_is_string(v) || !*k || strchr(k, '=') ||
					 strchr(k, '\n')) return false;
	return true;
}

static bool port_ok(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 65535;
}

static bool ports_valid(json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || json_array_size(a) > 256)
		return false;
	json_array_foreach(a, i, v) if (!port_ok(json_object_get(v, APP_SPEC_PORT_HOST)) ||
					!port_ok(json_object_get(v, APP_SPEC_PORT_APP))) return false;
	return true;
}

static int int_field(json_t *b, const char *k, json_int_t def, json_int_t lo, json_int_t hi, int64_t *out)
{
	json_t *v = json_object_get(b, k);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

static bool name_ok(const char *n)
{
	if (!n || !*n || strlen(n) > APP_SPEC_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (*p == '/' || *p == '?' || *p == '#' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

/* A string member of the body: NULL when absent or null, *bad when of
 * another type (as admin_str). */
static const char *body_str(json_t *b, const char *key, bool *bad)
{
	json_t *v = json_object_get(b, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

int app_spec_set_str(char **field, const char *v)
{
	char *c = v ? strdup(v) : NULL;
	if (v && !c)
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

/* A new reference to v, or a new empty value made by empty() when v is NULL. */
static json_t *ref_or(json_t *v, json_t *(*empty)(void))
{
	return v ? json_incref(v) : empty();
}

/* --- admin body -------------------------------------------------------- */

/* A typo in a field name must not silently deploy defaults. */
static const char *keys_known(json_t *b, char *err, size_t errlen)
{
	static const char *const k[] = {
	    APP_SPEC_NAME, APP_SPEC_IMAGE, APP_SPEC_DEVICE, APP_SPEC_SELECTOR, APP_SPEC_CPUS,
	    APP_SPEC_MEMORY_MB, APP_SPEC_DISK_MB, APP_SPEC_NETWORKS, APP_SPEC_PORTS, APP_SPEC_ENV,
	    APP_SPEC_VNC, APP_SPEC_ACTIVATE, APP_SPEC_USER_DATA, APP_SPEC_KERNEL, APP_SPEC_RAMDISK,
	    APP_SPEC_CMDLINE, APP_SPEC_ACLS, APP_SPEC_VMMODE, APP_SPEC_PROJECT,
	    /* any-app (app_vm.h) */
	    APP_SPEC_BOOT, APP_SPEC_CPUS_PINNED, APP_SPEC_IO,
	    /* volumes (volumes.c, app_history.c) */
	    APP_SPEC_VOLUMES, APP_SPEC_ROLLBACK_AFTER_S};
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
			known |= !strcmp(k[i], key);
		if (!known) {
			snprintf(err, errlen, "unknown field %s", key);
			return err;
		}
	}
	return NULL;
}

/* The checks of the scalar and list members, in the order the API has
 * always reported them. NULL or the reason (may point into err). */
static const char *body_check(json_t *b, const char *name, struct app_spec *s, char *err, size_t errlen)
{
	bool bad = false;
	const char *image = body_str(b, APP_SPEC_IMAGE, &bad), *device = body_str(b, APP_SPEC_DEVICE, &bad),
		   *ud = body_str(b, APP_SPEC_USER_DATA, &bad), *kernel = body_str(b, APP_SPEC_KERNEL, &bad),
		   *ramdisk = body_str(b, APP_SPEC_RAMDISK, &bad),
		   *cmdline = body_str(b, APP_SPEC_CMDLINE, &bad);
	json_t *sel = json_object_get(b, APP_SPEC_SELECTOR), *nets = json_object_get(b, APP_SPEC_NETWORKS),
	       *ports = json_object_get(b, APP_SPEC_PORTS), *env = json_object_get(b, APP_SPEC_ENV),
	       *vnc = json_object_get(b, APP_SPEC_VNC), *act = json_object_get(b, APP_SPEC_ACTIVATE),
	       *acls = json_object_get(b, APP_SPEC_ACLS);

	if (!name_ok(name))
		return "name: required, no '/'";
	if (bad || !image)
		return "image: required image name";
	if (!device == !sel || (sel && (!str_object(sel, 64) || json_object_size(sel) == 0)))
		return "exactly one of device (name or id) or selector (object of strings)";
	if (int_field(b, APP_SPEC_CPUS, 1, 1, 256, &s->cpus) ||
	    int_field(b, APP_SPEC_MEMORY_MB, 256, 16, 1 << 22, &s->memory_mb) ||
	    int_field(b, APP_SPEC_DISK_MB, 0, 0, 1 << 24, &s->disk_mb))
		return "cpus, memory_mb, disk_mb: integers in range";
	if ((nets && !str_array(nets, 16)) || (ports && !ports_valid(ports)) ||
	    (env && !str_object(env, 1024)))
		return "networks: array of names; ports: [{host, app}]; env: object of strings";
	if ((vnc && !json_is_boolean(vnc)) || (act && !json_is_boolean(act)))
		return "vnc, activate: booleans";
	if (ud && strlen(ud) > USER_DATA_MAX)
		return "user_data: at most 64 KiB";
	if (ud && !strcmp(ud, APP_SPEC_SECRET_SET))
		return "user_data: give the value itself (the API never prints a secret back)";
	if (json_array_size(ports) && !json_array_size(nets))
		return "ports: a port map needs a network (--network): it maps to the app's address on its "
		       "first network";
	if (acls && !app_acl_valid(acls, nets, err, errlen))
		return err;
	if ((kernel && strlen(kernel) > 255) || (ramdisk && strlen(ramdisk) > 255) ||
	    (cmdline && strlen(cmdline) > 1024) || (ramdisk && !kernel))
		return "kernel, ramdisk: paths in the image (at most 255 bytes; ramdisk needs kernel); "
		       "cmdline: at most 1 KiB";
	s->cpus_given = json_object_get(b, APP_SPEC_CPUS) != NULL;
	s->vnc = json_is_true(vnc);
	s->activate = act ? json_is_true(act) : true;
	s->selector = device ? NULL : json_incref(sel);
	s->networks = ref_or(nets, json_array);
	s->ports = ref_or(ports, json_array);
	s->env = ref_or(env, json_object);
	s->acls = json_array_size(acls) ? json_incref(acls) : NULL;
	if (app_spec_set_str(&s->image, image) || app_spec_set_str(&s->device, device) ||
	    app_spec_set_str(&s->user_data, ud ? ud : "") ||
	    app_spec_set_str(&s->kernel, kernel && *kernel ? kernel : NULL) ||
	    app_spec_set_str(&s->ramdisk, ramdisk && *ramdisk ? ramdisk : NULL) ||
	    app_spec_set_str(&s->cmdline, cmdline && *cmdline ? cmdline : NULL) || !s->networks ||
	    !s->ports || !s->env)
		return "out of memory";
	return NULL;
}

/* any-app: boot (a valid mode) and cpus_pinned (a CPU list with one CPU per
 * vCPU; without cpus, cpus is the pin set's size). Whether they fit the
 * image and the device is the caller's check. */
static const char *body_vm(json_t *b, struct app_spec *s, char *err, size_t errlen)
{
	json_t *boot = json_object_get(b, APP_SPEC_BOOT), *pin = json_object_get(b, APP_SPEC_CPUS_PINNED);
	unsigned count = 0, highest = 0;
	if (boot && (!json_is_string(boot) || app_vm_boot_mode(json_string_value(boot)) < 0))
		return "boot: bios or uefi";
	if (boot && app_spec_set_str(&s->boot, json_string_value(boot)))
		return "out of memory";
	if (!pin)
		return NULL;
	if (!json_is_string(pin) || app_vm_cpuset_parse(json_string_value(pin), &count, &highest) < 0) {
		snprintf(err, errlen, "cpus_pinned: a CPU list like 0,1 or 0-3 (distinct CPUs below %d)",
			 APP_VM_MAX_CPUS);
		return err;
	}
	if (!s->cpus_given)
		s->cpus = count;
	if ((int64_t)count != s->cpus) {
		snprintf(err, errlen, "cpus_pinned names %u CPUs but cpus is %lld: one vCPU per pinned CPU",
			 count, (long long)s->cpus);
		return err;
	}
	return app_spec_set_str(&s->cpus_pinned, json_string_value(pin)) ? "out of memory" : NULL;
}

int app_spec_from_body(json_t *body, const char *name, struct app_spec *s, char *err, size_t errlen)
{
	assert(body && s && err && errlen);
	const char *why = keys_known(body, err, errlen);
	json_t *vmmode = json_object_get(body, APP_SPEC_VMMODE), *io = json_object_get(body, APP_SPEC_IO),
	       *rb = json_object_get(body, APP_SPEC_ROLLBACK_AFTER_S);

	if (!why)
		why = body_check(body, name, s, err, errlen);
	if (!why)
		why = body_vm(body, s, err, errlen);
	if (!why && rb &&
	    (!json_is_integer(rb) || json_integer_value(rb) < 0 || json_integer_value(rb) > 86400))
		why = "rollback_after_s: seconds 0..86400 (0 = no automatic rollback)";
	if (why) {
		if (why != err)
			snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	s->rollback_after_s = rb ? json_integer_value(rb) : 0;
	s->vmmode_given = vmmode != NULL;
	s->io = io ? json_incref(io) : NULL;
	s->volumes = json_incref(json_object_get(body, APP_SPEC_VOLUMES));
	if (json_is_string(vmmode) && app_spec_set_str(&s->vmmode, json_string_value(vmmode))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* --- stored form ------------------------------------------------------- */

static int load_str(json_t *o, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(o, key));
	return app_spec_set_str(out, v);
}

static json_t *load_json(json_t *o, const char *key, bool (*is)(const json_t *))
{
	json_t *v = json_object_get(o, key);
	return v && is(v) ? json_incref(v) : NULL;
}

static bool is_array(const json_t *v)
{
	return json_is_array(v);
}

static bool is_object(const json_t *v)
{
	return json_is_object(v);
}

int app_spec_load(const char *text, struct app_spec *s)
{
	assert(s);
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	int r = json_is_object(o) ? 0 : -EINVAL;
	if (r == 0) {
		s->cpus = json_integer_value(json_object_get(o, APP_SPEC_CPUS));
		s->memory_mb = json_integer_value(json_object_get(o, APP_SPEC_MEMORY_MB));
		s->disk_mb = json_integer_value(json_object_get(o, APP_SPEC_DISK_MB));
		s->rollback_after_s = json_integer_value(json_object_get(o, APP_SPEC_ROLLBACK_AFTER_S));
		s->vnc = json_is_true(json_object_get(o, APP_SPEC_VNC));
		s->selector = load_json(o, APP_SPEC_SELECTOR, is_object);
		s->networks = load_json(o, APP_SPEC_NETWORKS, is_array) ?: json_array();
		s->ports = load_json(o, APP_SPEC_PORTS, is_array) ?: json_array();
		s->env = load_json(o, APP_SPEC_ENV, is_object) ?: json_object();
		s->acls = load_json(o, APP_SPEC_ACLS, is_array);
		s->io = load_json(o, APP_SPEC_IO, is_array);
		s->volumes = load_json(o, APP_SPEC_VOLUMES, is_array);
		s->activate = true;
	}
	if (r == 0 &&
	    (load_str(o, APP_SPEC_IMAGE, &s->image) || load_str(o, APP_SPEC_DEVICE, &s->device) ||
	     app_spec_set_str(&s->user_data,
			      json_string_value(json_object_get(o, APP_SPEC_USER_DATA)) ?: "") ||
	     load_str(o, APP_SPEC_KERNEL, &s->kernel) || load_str(o, APP_SPEC_RAMDISK, &s->ramdisk) ||
	     load_str(o, APP_SPEC_CMDLINE, &s->cmdline) || load_str(o, APP_SPEC_VMMODE, &s->vmmode) ||
	     load_str(o, APP_SPEC_BOOT, &s->boot) || load_str(o, APP_SPEC_CPUS_PINNED, &s->cpus_pinned) ||
	     !s->networks || !s->ports || !s->env))
		r = -ENOMEM;
	s->vmmode_given = s->vmmode != NULL;
	json_decref(o);
	return r;
}

/* Set key to a string when v is set and not empty. */
static int put_str(json_t *o, const char *key, const char *v)
{
	return v && *v ? json_object_set_new(o, key, json_string(v)) : 0;
}

json_t *app_spec_json(const struct app_spec *s)
{
	assert(s);
	json_t *o =
	    json_pack("{s:s, s:I, s:I, s:I, s:O, s:O, s:O, s:b, s:s}", APP_SPEC_IMAGE,
		      s->image ? s->image : "", APP_SPEC_CPUS, (json_int_t)s->cpus, APP_SPEC_MEMORY_MB,
		      (json_int_t)s->memory_mb, APP_SPEC_DISK_MB, (json_int_t)s->disk_mb, APP_SPEC_NETWORKS,
		      s->networks, APP_SPEC_PORTS, s->ports, APP_SPEC_ENV, s->env, APP_SPEC_VNC, s->vnc,
		      APP_SPEC_USER_DATA, s->user_data ? s->user_data : "");
	int r = o ? 0 : -1;
	r = r ? r : put_str(o, APP_SPEC_KERNEL, s->kernel);
	r = r ? r : put_str(o, APP_SPEC_RAMDISK, s->ramdisk);
	r = r ? r : put_str(o, APP_SPEC_CMDLINE, s->cmdline);
	if (r == 0 && json_array_size(s->acls))
		r = json_object_set(o, APP_SPEC_ACLS, s->acls);
	r = r ? r : put_str(o, APP_SPEC_VMMODE, s->vmmode);
	if (r == 0 && json_array_size(s->io))
		r = json_object_set(o, APP_SPEC_IO, s->io);
	r = r ? r : put_str(o, APP_SPEC_BOOT, s->boot);
	r = r ? r : put_str(o, APP_SPEC_CPUS_PINNED, s->cpus_pinned);
	if (r == 0 && s->rollback_after_s > 0)
		r = json_object_set_new(o, APP_SPEC_ROLLBACK_AFTER_S, json_integer(s->rollback_after_s));
	if (r == 0 && s->volumes)
		r = json_object_set(o, APP_SPEC_VOLUMES, s->volumes);
	if (r == 0 && s->device)
		r = json_object_set_new(o, APP_SPEC_DEVICE, json_string(s->device));
	else if (r == 0 && s->selector)
		r = json_object_set(o, APP_SPEC_SELECTOR, s->selector);
	if (r) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *app_spec_dump(const struct app_spec *s)
{
	json_t *o = app_spec_json(s);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return text;
}

void app_spec_free(struct app_spec *s)
{
	if (!s)
		return;
	char **strs[] = {&s->image,   &s->device, &s->user_data, &s->kernel,     &s->ramdisk,
			 &s->cmdline, &s->vmmode, &s->boot,      &s->cpus_pinned};
	json_t **js[] = {&s->selector, &s->networks, &s->ports, &s->env, &s->acls, &s->io, &s->volumes};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++)
		json_decref(*js[i]);
	memset(s, 0, sizeof(*s));
}

/* --- accessors --------------------------------------------------------- */

bool app_spec_port(const struct app_spec *s, size_t i, int64_t *host, int64_t *app)
{
	json_t *p = json_array_get(s->ports, i);
	if (!p)
		return false;
	*host = json_integer_value(json_object_get(p, APP_SPEC_PORT_HOST));
	*app = json_integer_value(json_object_get(p, APP_SPEC_PORT_APP));
	return true;
}

const char *app_spec_network(const struct app_spec *s, size_t i)
{
	return json_string_value(json_array_get(s->networks, i));
}

const char *app_spec_io(const struct app_spec *s, size_t i)
{
	return json_string_value(json_array_get(s->io, i));
}

bool app_spec_volume(const struct app_spec *s, size_t i, const char **name, const char **mount)
{
	json_t *v = json_array_get(s->volumes, i);
	if (!v)
		return false;
	*name = json_string_value(json_object_get(v, APP_SPEC_VOLUME_NAME));
	*mount = json_string_value(json_object_get(v, APP_SPEC_VOLUME_MOUNT)) ?: "";
	return true;
}

static bool str_same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Absent and empty lists are the same. */
static bool json_same(json_t *a, json_t *b)
{
	if ((!a || !json_array_size(a)) && (!b || !json_array_size(b)) && !json_is_object(a) &&
	    !json_is_object(b))
		return true;
	return a && b && json_equal(a, b);
}

const char *app_spec_restart_reason(const struct app_spec *old, const struct app_spec *s)
{
	if (!json_same(old->env, s->env))
		return "env changed";
	if (!json_same(old->ports, s->ports))
		return "ports changed";
	if (!str_same(old->user_data, s->user_data))
		return "user_data changed";
	/* any-app: the domain is redefined at start */
	if (!str_same(old->boot, s->boot))
		return "boot changed";
	if (!str_same(old->cpus_pinned, s->cpus_pinned))
		return "cpus_pinned changed";
	if (!json_same(old->io, s->io))
		return "io changed";
	return NULL;
}
