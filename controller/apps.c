// SPDX-License-Identifier: Apache-2.0
/* Apps: spec validation, instances per target device, /api/v1/apps. */
#include "apps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "admin.h"
#include "images.h"
#include "infolatest.h"
#include "networks.h"
#include "secrets.h"
#include "appgen.h"
#include "app_io.h"
#include "app_spec.h"
#include "app_vm.h"
#include "ctl.h"
#include "store.h"
#include "apps_store.h"
#include "devices_store.h"
#include "rollouts.h"
#include "info/info.pb-c.h"
#include "uuidlist.h"
#include "volumes.h"

#define MAX_TARGETS 100000

/* --- spec --- */

#define APP_NAME_MAX APP_SPEC_NAME_MAX

/* A checked admin body: the spec to store and the image it runs. */
struct app_body {
	struct app_spec spec;
	char image_id[UUID_STR_LEN];
};

/* vmmode is honoured, not dropped: it must be the mode the device will run
 * the image in (VmConfig.virtualizationMode: containers NOHYPER, VM images
 * HVM). Replies on error. */
static bool spec_vmmode_ok(struct http_req *r, const struct app_spec *s, const char *format)
{
	const char *want = !strcmp(format, "oci") ? "HV_NOHYPER" : "HV_HVM";
	if (!s->vmmode_given || (s->vmmode && !strcmp(s->vmmode, want)))
		return true;
	http_reply_error(r, 400, "vmmode %s: a %s image runs as %s here", s->vmmode ?: "?", format, want);
	return false;
}

/* Every network named must exist on the target device (else the app would
 * run without that interface). Replies on error. */
static bool spec_networks_exist(struct http_req *r, struct store *d, json_t *nets, const char *dev_uuid,
				const char *device)
{
	char id[UUID_STR_LEN];
	json_t *v;
	size_t i;
	json_array_foreach(nets, i, v)
	{
		int e = networks_id(d, dev_uuid, json_string_value(v), id);
		if (e == -EIO)
			break; /* as before: a store error does not refuse the app here */
		if (e < 0) {
			http_reply_error(r, 404,
					 "no network %s on device %s (evectl network create %s --device %s)",
					 json_string_value(v), device, json_string_value(v), device);
			return false;
		}
	}
	return true;
}

static bool selector_matches(json_t *sel, const char *labels_json);

struct matched {
	json_t *sel;
	struct {
		char id[UUID_STR_LEN];
		char name[256];
	} * m;
	size_t n;
};

static int add_matched(void *ctx, const char *uuid, const char *name, const char *labels)
{
	struct matched *t = ctx;
	if (t->n >= MAX_TARGETS)
		return 1;
	if (!selector_matches(t->sel, labels))
		return 0;
	void *p = realloc(t->m, (t->n + 1) * sizeof(*t->m));
	if (!p)
		return 1;
	t->m = p;
	snprintf(t->m[t->n].id, sizeof(t->m[t->n].id), "%s", uuid);
	snprintf(t->m[t->n].name, sizeof(t->m[t->n].name), "%s", name);
	t->n++;
	return 0;
}

/* The same for every device a selector matches today (a device labelled
 * later is not checked here). */
static bool selector_networks_exist(struct http_req *r, struct store *d, json_t *nets, json_t *sel)
{
	struct matched t = {sel, NULL, 0};
	bool ok = true;
	if (json_array_size(nets))
		(void)devices_store_each_in_project(d, NULL, add_matched, &t);
	for (size_t i = 0; ok && i < t.n; i++)
		ok = spec_networks_exist(r, d, nets, t.m[i].id, t.m[i].name);
	free(t.m);
	return ok;
}

/* CPUs the device last reported (ZInfoDevice.ncpu); 0 when unknown. */
static unsigned device_ncpu(struct store *d, const char *dev_uuid)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = infolatest_get(d, dev_uuid, "device", NULL);
	unsigned n = 0;
	if (m && m->info_content_case == ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_DINFO && m->dinfo)
		n = m->dinfo->ncpu;
	if (m)
		org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	return n;
}

/* any-app: boot is for VM images, and a pinned CPU must exist on the
 * device when it reported its CPUs (the rest app_spec checked). Replies
 * on error. */
static bool spec_vm_ok(struct http_req *r, struct store *d, const struct app_spec *s, const char *format,
		       const char *dev_uuid)
{
	unsigned count = 0, highest = 0, ncpu;
	if (s->boot && !strcmp(format, "oci")) {
		http_reply_error(r, 400, "boot: containers have no firmware; boot is for VM images");
		return false;
	}
	if (!s->cpus_pinned || app_vm_cpuset_parse(s->cpus_pinned, &count, &highest) < 0)
		return true;
	ncpu = dev_uuid && *dev_uuid ? device_ncpu(d, dev_uuid) : 0;
	if (ncpu && highest >= ncpu) {
		http_reply_error(r, 400, "cpus_pinned: CPU %u does not exist: the device has %u CPUs (0-%u)",
				 highest, ncpu, ncpu - 1);
		return false;
	}
	return true;
}

/* any-app: "io" names adapters of the device (app_io.h); adapters are per
 * device, so a selector deployment cannot carry them. Replies on error. */
static bool spec_io_ok(struct http_req *r, struct store *d, json_t *io, const char *name,
		       const char *dev_uuid)
{
	char err[256];
	int code;
	if (!io || (json_is_array(io) && json_array_size(io) == 0))
		return true;
	if (!*dev_uuid) {
		http_reply_error(r, 400,
				 "io: adapters belong to one device: deploy with device, not selector");
		return false;
	}
	code = app_io_check(d, dev_uuid, name, io, err, sizeof(err));
	if (code)
		http_reply_error(r, code, "%s", err);
	return code == 0;
}

/* The app image (name or id) s names: its id and format. Replies 404. */
static bool spec_image(struct http_req *r, struct store *d, struct app_body *s, char *format,
		       size_t formatlen)
{
	if (images_app_image(d, s->spec.image, s->image_id, format, formatlen, NULL) < 0)
		s->image_id[0] = 0;
	if (!s->image_id[0])
		http_reply_error(r, 404, "no such app image %s", s->spec.image);
	return s->image_id[0] != 0;
}

/* user_data is a secret: stored sealed (secrets.h), sent to the device as
 * a CipherBlock, never printed back. Replies on error. */
static bool spec_seal(struct http_req *r, struct app_spec *s)
{
	char *sealed = NULL;
	if (s->user_data && *s->user_data && secrets_seal(r->ctl, s->user_data, &sealed) < 0) {
		http_reply_error(r, 500, "user_data: cannot seal it");
		return false;
	}
	int e = app_spec_set_str(&s->user_data, sealed ? sealed : "");
	free(sealed);
	if (e < 0)
		http_reply_error(r, 500, "out of memory");
	return e == 0;
}

/* Validate body into s (device resolved to its uuid). Replies on error. */
static bool spec_parse(struct http_req *r, struct store *d, json_t *b, const char *name, struct app_body *s)
{
	struct app_spec *sp = &s->spec;
	char err[256], dev_uuid[UUID_STR_LEN] = "", format[16] = "";
	json_t *vols = NULL;

	if (app_spec_from_body(b, name, sp, err, sizeof(err)) < 0) {
		http_reply_error(r, 400, "%s", err);
		return false;
	}
	if (sp->device && admin_device_resolve(d, sp->device, dev_uuid) < 0) {
		http_reply_error(r, 404, "no such device %s", sp->device);
		return false;
	}
	if (!spec_image(r, d, s, format, sizeof(format)) || !spec_vmmode_ok(r, sp, format) ||
	    !spec_vm_ok(r, d, sp, format, dev_uuid) || !spec_io_ok(r, d, sp->io, name, dev_uuid) ||
	    (sp->device && !spec_networks_exist(r, d, sp->networks, dev_uuid, sp->device)) ||
	    (sp->selector && !selector_networks_exist(r, d, sp->networks, sp->selector)) ||
	    !volumes_spec_check(r, d, sp->volumes, name, dev_uuid, format, &vols) || !spec_seal(r, sp))
		return false;
	json_decref(sp->volumes);
	sp->volumes = vols;
	if (sp->device && app_spec_set_str(&sp->device, dev_uuid) < 0) {
		http_reply_error(r, 500, "out of memory");
		return false;
	}
	return true;
}

int apps_spec_build(struct http_req *r, struct store *d, json_t *body, const char *name, json_t **spec,
		    char image_id[UUID_STR_LEN])
{
	struct app_body s = {0};
	bool ok = spec_parse(r, d, body, name, &s);

	*spec = ok ? app_spec_json(&s.spec) : NULL;
	if (ok && !*spec)
		http_reply_error(r, 500, "out of memory");
	if (*spec)
		snprintf(image_id, UUID_STR_LEN, "%s", s.image_id);
	app_spec_free(&s.spec);
	return *spec ? 0 : -EINVAL;
}

/* --- instances --- */

static bool selector_matches(json_t *sel, const char *labels_json)
{
	json_t *labels = json_loads(labels_json, 0, NULL);
	const char *k;
	json_t *v;
	bool ok = json_is_object(sel) && json_object_size(sel) > 0;
	json_object_foreach(sel, k, v)
	{
		const char *lv = json_string_value(json_object_get(labels, k));
		if (!lv || strcmp(lv, json_string_value(v) ?: ""))
			ok = false;
	}
	json_decref(labels);
	return ok;
}

static int instance_create(struct store *d, const char *app_id, const char *dev)
{
	char id[UUID_STR_LEN], vol[UUID_STR_LEN];
	int r = uuidgen_v4(id);
	if (r == 0)
		r = uuidgen_v4(vol);
	struct store_stmt *st =
	    store_stmt(d, "INSERT INTO app_instances(id, app_id, device_id, volume_id, updated)"
			  " VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO NOTHING");
	if (r < 0 || !st)
		return r < 0 ? r : -EIO;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, app_id);
	store_bind_text(st, 3, dev);
	store_bind_text(st, 4, vol);
	store_bind_int64(st, 5, (int64_t)time(NULL));
	return store_step_done(st);
}

static int instance_delete(struct store *d, const char *app_id, const char *dev)
{
	struct store_stmt *st =
	    store_stmt(d, "DELETE FROM app_instances WHERE app_id = ?1 AND device_id = ?2");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, dev);
	return store_step_done(st);
}

static bool has_instance(struct store *d, const char *app_id, const char *dev)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT 1 FROM app_instances WHERE app_id = ?1 AND device_id = ?2");
	if (!st)
		return false;
	store_bind_text(st, 1, app_id);
	store_bind_text(st, 2, dev);
	bool has = store_step(st) == STORE_ROW;
	store_reset(st);
	return has;
}

/* Devices that currently have an instance of app_id. */
static int app_devices(struct store *d, const char *app_id, struct uuidlist *l)
{
	struct store_stmt *st = store_stmt(d, "SELECT device_id FROM app_instances WHERE app_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	int r = 0;
	while (r == 0 && store_step(st) == STORE_ROW)
		r = uuidlist_add(l, store_col_str(st, 0));
	store_reset(st);
	return r;
}

/* The project of app app_id. 0, -ENOENT, -EIO. */
static int app_project(struct store *d, const char *app_id, char project[DEVICES_PROJECT_LEN])
{
	return store_text(d, "SELECT project FROM apps WHERE id = ?1", app_id, project, DEVICES_PROJECT_LEN);
}

struct wanted {
	json_t *sel;
	struct uuidlist *ids;
};

static int add_wanted(void *ctx, const char *uuid, const char *name, const char *labels)
{
	struct wanted *w = ctx;
	(void)name;
	return selector_matches(w->sel, labels) ? uuidlist_add(w->ids, uuid) : 0;
}

/* Make the instances of app_id match its spec's target. Devices whose
 * instance set changed are added to touched. */
static int app_sync_targets(struct store *d, const char *app_id, const struct app_spec *spec,
			    struct uuidlist *touched)
{
	struct uuidlist want = {0}, have = {0};
	const char *dev = spec->device;
	json_t *sel = spec->selector;
	int r = 0;
	if (dev) {
		r = uuidlist_add(&want, dev);
	} else {
		/* a selector matches the devices of the app's project only */
		struct wanted w = {sel, &want};
		char project[DEVICES_PROJECT_LEN];
		if (app_project(d, app_id, project) == 0) {
			r = devices_store_each_in_project(d, project, add_wanted, &w);
			r = r == -EIO ? 0 : r; /* as before: a store error here matches none */
		}
	}
	if (r == 0)
		r = app_devices(d, app_id, &have);
	/* sorted, to compare the lists without a query or a scan per device */
	uuidlist_sort_unique(&want);
	uuidlist_sort_unique(&have);
	for (size_t i = 0; r == 0 && i < want.n; i++) {
		if (!uuidlist_has(&have, want.ids[i])) {
			r = instance_create(d, app_id, want.ids[i]);
			if (r == 0)
				r = uuidlist_add(touched, want.ids[i]);
		}
	}
	for (size_t i = 0; r == 0 && i < have.n; i++) {
		if (!uuidlist_has(&want, have.ids[i])) {
			r = instance_delete(d, app_id, have.ids[i]);
			if (r == 0)
				r = uuidlist_add(touched, have.ids[i]);
		}
	}
	uuidlist_free(&want);
	uuidlist_free(&have);
	return r;
}

int apps_sync_device(struct ctl *c, struct store *d, const char *uuid, bool *changed)
{
	*changed = false;
	char *labels = NULL, project[DEVICES_PROJECT_LEN] = "";
	int r = devices_store_labels(d, uuid, &labels);
	if (r == -ENOMEM)
		r = -ENOENT; /* as before */
	if (r == 0 && devices_store_project(d, uuid, project) < 0)
		project[0] = 0; /* matches no app */
	if (r < 0)
		return r;
	struct uuidlist add = {0}, del = {0};
	struct store_stmt *st =
	    store_stmt(d, "SELECT id, spec FROM apps WHERE json_extract(spec, '$." APP_SPEC_SELECTOR
			  "') IS NOT NULL AND project = ?1");
	if (st)
		store_bind_text(st, 1, project);
	while (r == 0 && st && store_step(st) == STORE_ROW) {
		struct app_spec spec = {0};
		(void)app_spec_load(store_col_str(st, 1), &spec); /* unreadable: matches nothing */
		bool match = selector_matches(spec.selector, labels);
		bool has = has_instance(d, store_col_str(st, 0), uuid);
		if (match && !has)
			r = uuidlist_add(&add, store_col_str(st, 0));
		else if (!match && has)
			r = uuidlist_add(&del, store_col_str(st, 0));
		app_spec_free(&spec);
	}
	if (st)
		store_reset(st);
	for (size_t i = 0; r == 0 && i < add.n; i++)
		r = instance_create(d, add.ids[i], uuid);
	for (size_t i = 0; r == 0 && i < del.n; i++)
		r = instance_delete(d, del.ids[i], uuid);
	*changed = add.n + del.n > 0;
	uuidlist_free(&add);
	uuidlist_free(&del);
	free(labels);
	(void)c;
	return r;
}

void apps_count_device(struct store *d, const char *uuid, int64_t *total, int64_t *running)
{
	struct store_stmt *st = store_stmt(d, "SELECT count(*), coalesce(sum(CASE WHEN state = 'RUNNING' "
					      "THEN 1 ELSE 0 END), 0) FROM app_instances"
					      " WHERE device_id = ?1");
	*total = *running = 0;
	if (!st)
		return;
	store_bind_text(st, 1, uuid);
	if (store_step(st) == STORE_ROW) {
		*total = store_col_int64(st, 0);
		*running = store_col_int64(st, 1);
	}
	store_reset(st);
}

#define INST_COLS                                                                                            \
	"i.id, i.device_id, NULL, i.state, i.error, i.ips, i.restart_counter, i.purge_counter, "             \
	"i.updated, a.name,"                                                                                 \
	" a.id, " APPGEN_SQL("a", "i") ", i.reported_version,"                                               \
				       " coalesce(i.pin_version, a.version), i.pin_version IS NOT NULL,"     \
				       " json_extract(coalesce(i.pin_spec, a.spec), '$." APP_SPEC_IMAGE "')"
#define INST_NCOLS 16 /* columns of INST_COLS: what a query adds after them starts here */

/* An instance's row (INST_COLS) on device device_name (column 2 is a
 * placeholder: the name is the devices table's, devices_store.h). */
static json_t *instance_row(struct store_stmt *st, const char *device_name)
{
	json_t *ips = json_loads(store_col_str(st, 5), 0, NULL);
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:o, s:s, s:s}", "id", store_col_str(st, 0), "device",
	    store_col_str(st, 1), "device_name", device_name, "state", store_col_str(st, 3), "ips",
	    ips ? ips : json_array(), "restart_counter", (json_int_t)store_col_int64(st, 6), "purge_counter",
	    (json_int_t)store_col_int64(st, 7), "updated", admin_time_json(store_col_int64(st, 8)), "app",
	    store_col_str(st, 9), "app_id", store_col_str(st, 10));
	json_object_set_new(j, "error",
			    store_col_is_null(st, 4) ? json_null() : json_string(store_col_str(st, 4)));
	/* generation: what the controller asks for; reported_generation: the
	 * appVersion of the device's last report (state describes that one) */
	json_object_set_new(j, "generation", json_string(store_col_str(st, 11)));
	json_object_set_new(j, "reported_generation", json_string(store_col_str(st, 12)));
	/* The revision this instance is configured with: the app's, or the
	 * one a rollout pinned it to (rollouts.h). */
	json_object_set_new(j, "version", json_integer(store_col_int64(st, 13)));
	json_object_set_new(j, "pinned", json_boolean(store_col_int(st, 14)));
	json_object_set_new(j, "image", json_string(store_col_str(st, 15)));
	return j;
}

static json_t *instance_download(struct store *d, const char *dev, const char *image_id);

json_t *apps_instances_of_device(struct store *d, const char *uuid)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT " INST_COLS ", a.image_id FROM app_instances i"
			  " JOIN apps a ON a.id = i.app_id WHERE i.device_id = ?1 ORDER BY a.name");
	json_t *a = json_array();
	char *name = NULL;
	if (!st || devices_store_name(d, uuid, &name) < 0)
		return a; /* no device: no instances (as the join had it) */
	store_bind_text(st, 1, uuid);
	while (store_step(st) == STORE_ROW) {
		json_t *j = instance_row(st, name), *dl;
		char img[UUID_STR_LEN];

		snprintf(img, sizeof(img), "%s", store_col_str(st, INST_NCOLS));
		json_array_append_new(a, j);
		/* the image's pull and publisher signature (a nested statement) */
		dl = instance_download(d, uuid, img);
		if (dl)
			json_object_set_new(j, "download", dl);
	}
	store_reset(st);
	free(name);
	return a;
}

/* --- app objects --- */

/* The publisher signature the device reported with a loaded image (an
 * ErrorInfo of severity NOTICE: verified, WARNING: not verified but used
 * under images.signatures=warn): {"verified": bool, "detail": text}. */
static void download_signature(json_t *j, const Org__Lfedge__Eve__Info__ZInfoContentTree *ci)
{
	const Org__Lfedge__Eve__Info__ErrorInfo *e = ci->err;

	if (!e || !e->description || !e->description[0] ||
	    ci->state == ORG__LFEDGE__EVE__INFO__ZSW_STATE__ERROR ||
	    (e->severity != ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_NOTICE &&
	     e->severity != ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_WARNING))
		return;
	json_object_set_new(j, "signature",
			    json_pack("{s:b, s:s}", "verified",
				      e->severity == ORG__LFEDGE__EVE__INFO__SEVERITY__SEVERITY_NOTICE,
				      "detail", e->description));
}

/* The latest ZInfoContentTree the device sent for the app's image (its
 * content tree has the image's id): state, percent and bytes of the pull. */
static json_t *instance_download(struct store *d, const char *dev, const char *image_id)
{
	Org__Lfedge__Eve__Info__ZInfoMsg *m = infolatest_get(d, dev, "content", image_id);
	json_t *j = NULL;
	if (m && m->info_content_case == ORG__LFEDGE__EVE__INFO__ZINFO_MSG__INFO_CONTENT_CINFO) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
		    &org__lfedge__eve__info__zsw_state__descriptor, (int)m->cinfo->state);
		j = json_pack("{s:s, s:i, s:I}", "state", v ? v->name : "UNKNOWN", "progress",
			      (int)m->cinfo->progresspercentage, "bytes",
			      (json_int_t)(m->cinfo->resources ? m->cinfo->resources->cursizebytes : 0));
		if (j && m->cinfo->sha256 && m->cinfo->sha256[0])
			json_object_set_new(j, "sha256", json_string(m->cinfo->sha256));
		if (j)
			download_signature(j, m->cinfo);
	}
	if (m)
		org__lfedge__eve__info__zinfo_msg__free_unpacked(m, NULL);
	return j;
}

static int add_device_name(void *ctx, const struct devices_store_row *row)
{
	return json_object_set_new(ctx, row->id, json_string(row->name)) < 0 ? -ENOMEM : 0;
}

struct inst_ref {
	json_t *row;
	const char *device, *device_name, *image_id;
};

static int by_device_name(const void *a, const void *b)
{
	return strcmp(((const struct inst_ref *)a)->device_name, ((const struct inst_ref *)b)->device_name);
}

/* The app's instances, ordered by device name: the rows, then the names
 * of their devices in one read (devices_store_each_of), merged here. */
static json_t *app_instances(struct store *d, const char *app_id)
{
	struct store_stmt *st = store_stmt(d, "SELECT " INST_COLS ", a.image_id FROM app_instances i"
					      " JOIN apps a ON a.id = i.app_id WHERE i.app_id = ?1");
	json_t *a = json_array(), *rows = json_array(), *image_ids = json_array(), *ids = json_array();
	json_t *names = json_object();
	struct inst_ref *order = NULL;
	size_t n = 0, i;
	if (!st || !a || !rows || !image_ids || !ids || !names)
		goto out;
	store_bind_text(st, 1, app_id);
	while (store_step(st) == STORE_ROW) {
		json_t *j = instance_row(st, "");
		if (!j)
			continue;
		json_object_del(j, "app");
		json_object_del(j, "app_id");
		json_array_append_new(rows, j);
		json_array_append_new(image_ids, json_string(store_col_str(st, INST_NCOLS)));
		json_array_append_new(ids, json_string(store_col_str(st, 1)));
	}
	store_reset(st);
	char *ids_text = json_dumps(ids, JSON_COMPACT);
	if (ids_text)
		(void)devices_store_each_of(d, ids_text, add_device_name, names);
	free(ids_text);
	order = calloc(json_array_size(rows) + 1, sizeof(*order));
	for (i = 0; order && i < json_array_size(rows); i++) {
		json_t *j = json_array_get(rows, i);
		const char *dev = json_string_value(json_object_get(j, "device"));
		json_t *name = json_object_get(names, dev ? dev : "");
		if (!name)
			continue; /* a device gone since: no row (as the join had it) */
		json_object_set(j, "device_name", name);
		order[n++] = (struct inst_ref){j, dev, json_string_value(name),
					       json_string_value(json_array_get(image_ids, i))};
	}
	if (n > 1)
		qsort(order, n, sizeof(*order), by_device_name);
	for (i = 0; i < n; i++) {
		json_t *dl =
		    instance_download(d, order[i].device, order[i].image_id ? order[i].image_id : "");
		if (dl)
			json_object_set_new(order[i].row, "download", dl);
		json_array_append(a, order[i].row);
	}
out:
	free(order);
	json_decref(rows);
	json_decref(image_ids);
	json_decref(ids);
	json_decref(names);
	return a;
}

#define APP_COLS "id, name, spec, activate, created, version, project"

static json_t *app_row(struct store *d, struct store_stmt *st)
{
	json_t *j = admin_json_col(store_col_str(st, 2));
	/* a secret: whether it is set, never its value */
	const char *ud = json_string_value(json_object_get(j, APP_SPEC_USER_DATA));
	if (ud)
		json_object_set_new(j, APP_SPEC_USER_DATA, json_string(*ud ? APP_SPEC_SECRET_SET : ""));
	json_object_set_new(j, "id", json_string(store_col_str(st, 0)));
	json_object_set_new(j, "name", json_string(store_col_str(st, 1)));
	json_object_set_new(j, "activate", json_boolean(store_col_int(st, 3)));
	json_object_set_new(j, "created", admin_time_json(store_col_int64(st, 4)));
	json_object_set_new(j, "version", json_integer(store_col_int64(st, 5)));
	json_object_set_new(j, "project", json_string(store_col_str(st, 6)));
	char id[UUID_STR_LEN];
	snprintf(id, sizeof(id), "%s", store_col_str(st, 0));
	json_object_set_new(j, "instances", app_instances(d, id));
	json_object_set_new(j, "rollback", app_history_status(d, id, store_col_int64(st, 5)));
	return j;
}

/* Resolve {app} (name or id) to its id; -ENOENT. */
static int app_resolve(struct store *d, const char *ref, char id[UUID_STR_LEN])
{
	struct apps_store_app a;
	int r = apps_store_find(d, ref, &a);
	if (r == 0)
		snprintf(id, UUID_STR_LEN, "%s", a.id);
	return r;
}

static int app_json(struct store *d, const char *id, json_t **out)
{
	struct store_stmt *st = store_stmt(d, "SELECT " APP_COLS " FROM apps WHERE id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	int r = -ENOENT;
	if (store_step(st) == STORE_ROW) {
		*out = app_row(d, st);
		r = 0;
	}
	store_reset(st);
	return r;
}

/* A host port is the device's: refuse an app whose port maps take a host
 * port another app already maps on a device both run on (-EADDRINUSE, the
 * reason in msg) rather than silently moving it. */
static int ports_taken(struct store *d, const char *app_id, const struct app_spec *spec, char *msg,
		       size_t msglen)
{
	if (!json_array_size(spec->ports))
		return 0;
	struct store_stmt *st = store_stmt(
	    d, "SELECT a.name, a.spec, i.device_id FROM app_instances i JOIN apps a ON a.id = i.app_id"
	       " WHERE i.app_id != ?1 AND i.device_id IN"
	       " (SELECT device_id FROM app_instances WHERE app_id = ?1)");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, app_id);
	int r = 0;
	while (r == 0 && store_step(st) == STORE_ROW) {
		struct app_spec other = {0};
		int64_t h, oh, unused;
		(void)app_spec_load(store_col_str(st, 1), &other); /* unreadable: maps no port */
		for (size_t i = 0; r == 0 && app_spec_port(spec, i, &h, &unused); i++) {
			for (size_t j = 0; r == 0 && app_spec_port(&other, j, &oh, &unused); j++) {
				if (h != oh)
					continue;
				/* the device's name (devices_store.h); a device
				 * gone since maps nothing (as the join had it) */
				char *dev = NULL;
				if (devices_store_name(d, store_col_str(st, 2), &dev) < 0)
					continue;
				snprintf(msg, msglen,
					 "host port %lld is already mapped on device %s by app %s",
					 (long long)h, dev, store_col_str(st, 0));
				free(dev);
				r = -EADDRINUSE;
			}
		}
		app_spec_free(&other);
	}
	store_reset(st);
	return r;
}

/* Roll back and answer 409 when ports_taken refused (true), else false. */
static bool ports_refused(struct http_req *r, struct store *d, int e, const char *msg)
{
	if (e != -EADDRINUSE)
		return false;
	store_rollback(d);
	http_reply_error(r, 409, "%s", msg);
	return true;
}

static void touch_all(struct ctl *c, struct store *d, struct uuidlist *l)
{
	uuidlist_sort_unique(l); /* a device may be touched by several steps */
	ctl_devices_changed(c, d, l->ids, l->n);
}

/* Finish a write transaction begun by a handler (e: its result so far):
 * commit or roll back, wake the devices whose config it changed, answer
 * with the app object. */
static void app_write_done(struct http_req *r, struct store *d, int e, const char *id,
			   struct uuidlist *touched, int status, const char *restarted)
{
	json_t *obj = NULL;

	if (e == 0)
		e = store_commit(d);
	if (e < 0) {
		store_rollback(d);
		admin_reply_err(r, e, "app");
		return;
	}
	touch_all(r->ctl, d, touched);
	e = app_json(d, id, &obj);
	if (e == 0 && restarted)
		json_object_set_new(obj, "restarted", json_string(restarted));
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, status, obj);
}

static void h_list(struct http_req *r)
{
	const char *dev = http_arg(r, "device");
	char uuid[UUID_STR_LEN] = "";
	struct store *d = store_get(r->ctl->db);
	if (dev && admin_device_resolve(d, dev, uuid) < 0) {
		store_put(r->ctl->db, d);
		http_reply_error(r, 404, "no such device %s", dev);
		return;
	}
	struct store_stmt *st =
	    dev ? store_stmt(d, "SELECT " APP_COLS " FROM apps WHERE id IN"
				" (SELECT app_id FROM app_instances WHERE device_id = ?1) AND (?9 = '*' OR "
				"instr(?9, ',' || project || ',') > 0) ORDER BY name")
		: store_stmt(
		      d, "SELECT " APP_COLS
			 " FROM apps WHERE (?9 = '*' OR instr(?9, ',' || project || ',') > 0) ORDER BY name");
	json_t *items = json_array();
	if (st)
		store_bind_text(st, 9, access_grants(r));
	if (st && dev)
		store_bind_text(st, 1, uuid);
	while (st && store_step(st) == STORE_ROW)
		json_array_append_new(items, app_row(d, st));
	store_put(r->ctl->db, d);
	http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static int app_insert(struct store *d, const char *name, const struct app_body *s, const char *project,
		      char id[UUID_STR_LEN])
{
	char *text = app_spec_dump(&s->spec);
	int r = text ? uuidgen_v4(id) : -ENOMEM;
	struct store_stmt *st =
	    r == 0 ? store_stmt(d, "INSERT INTO apps(id, name, spec, image_id, activate, created,"
				   " project) VALUES(?1,?2,?3,?4,?5,?6,?7)")
		   : NULL;
	if (r == 0 && !st)
		r = -EIO;
	if (r == 0) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, name);
		store_bind_text(st, 3, text);
		store_bind_text(st, 4, s->image_id);
		store_bind_int64(st, 5, s->spec.activate);
		store_bind_int64(st, 6, (int64_t)time(NULL));
		store_bind_text(st, 7, project);
		r = store_step_done(st);
	}
	free(text);
	return r;
}

struct image_grant {
	struct http_req *r;
	bool ok;
};

static int image_project(void *ctx, const char *project)
{
	struct image_grant *g = ctx;
	g->ok = authz_project_granted(&g->r->who, project);
	return 1; /* the first row, as before */
}

/* An app uses images granted to its caller. Replies on refusal. */
static bool image_granted(struct http_req *r, struct store *d, const struct app_body *s, const char *image)
{
	struct image_grant g = {r, true}; /* no image row, or a store error: not refused here */
	(void)images_each_project_of(d, s->image_id, image_project, &g);
	if (!g.ok)
		http_reply_error(r, 404, "no such image %s", image ? image : "");
	return g.ok;
}

/* An app runs only on devices of its own project. Replies on refusal. */
static bool target_in_project(struct http_req *r, struct store *d, const struct app_spec *spec,
			      const char *project)
{
	const char *dev = spec->device;
	char have[DEVICES_PROJECT_LEN] = "";
	int e = dev ? devices_store_project(d, dev, have) : -EIO;
	if (e == -EIO)
		return true;
	if (!authz_project_granted(&r->who, have)) {
		http_reply_error(r, 404, "no such device %s", dev);
		return false;
	}
	if (strcmp(have, project)) {
		http_reply_error(r, 400, "device %s is in project %s, the app in %s", dev, have, project);
		return false;
	}
	return true;
}

static void h_create(struct http_req *r)
{
	json_t *b = admin_body(r);
	struct app_body s = {0};
	struct uuidlist touched = {0};
	if (!b)
		return;
	bool bad = false;
	const char *name = admin_str(b, APP_SPEC_NAME, &bad);
	bool pbad = false;
	const char *pj = admin_str(b, APP_SPEC_PROJECT, &pbad);
	char project[64];
	struct store *d = store_get(r->ctl->db);
	if (pbad) {
		http_reply_error(r, 400, "project: string");
		goto out;
	}
	if (!access_create_project(r, d, pj, project) || !spec_parse(r, d, b, bad ? NULL : name, &s) ||
	    !image_granted(r, d, &s, s.spec.image) || !target_in_project(r, d, &s.spec, project))
		goto out;
	char id[UUID_STR_LEN];
	int e = store_begin(d);
	if (e == 0)
		e = store_lock(d, APPS_TARGETS_LOCK);
	if (e == 0)
		e = app_insert(d, name, &s, project, id);
	if (e == 0)
		e = app_sync_targets(d, id, &s.spec, &touched);
	char taken[256] = "";
	if (e == 0)
		e = ports_taken(d, id, &s.spec, taken, sizeof(taken));
	if (!ports_refused(r, d, e, taken))
		app_write_done(r, d, e, id, &touched, 201, NULL);
out:
	store_put(r->ctl->db, d);
	uuidlist_free(&touched);
	app_spec_free(&s.spec);
	json_decref(b);
}

/* What of a spec change needs the instance restarted to take effect (as
 * EVE restarts an app whose environment or port maps change), or NULL. */
static const char *needs_restart(const char *old_text, const struct app_spec *spec)
{
	struct app_spec old = {0};
	const char *res = app_spec_load(old_text, &old) == 0 ? app_spec_restart_reason(&old, spec) : NULL;

	app_spec_free(&old);
	return res;
}

static int app_restart_all(struct store *d, const char *id)
{
	struct store_stmt *st =
	    store_stmt(d, "UPDATE app_instances SET restart_counter = restart_counter + 1 WHERE app_id = ?1");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	return store_step_done(st);
}

static int app_replace(struct store *d, const char *id, const struct app_body *s, struct uuidlist *touched,
		       bool *same, const char **restarted)
{
	char *text = app_spec_dump(&s->spec);
	struct store_stmt *st = store_stmt(d, "SELECT spec, activate FROM apps WHERE id = ?1");
	if (!text || !st) {
		free(text);
		return -EIO;
	}
	store_bind_text(st, 1, id);
	*same = false;
	if (store_step(st) == STORE_ROW) {
		*same = !strcmp(store_col_str(st, 0), text) && store_col_int(st, 1) == s->spec.activate;
		*restarted = *same ? NULL : needs_restart(store_col_str(st, 0), &s->spec);
	}
	store_reset(st);
	int r = 0;
	if (!*same && *restarted)
		r = app_restart_all(d, id);
	if (r == 0 && !*same &&
	    (st = store_stmt(d, "UPDATE apps SET spec = ?2, image_id = ?3, activate = ?4,"
				" version = version + 1 WHERE id = ?1"))) {
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, text);
		store_bind_text(st, 3, s->image_id);
		store_bind_int64(st, 4, s->spec.activate);
		r = store_step_done(st);
		if (r == 0)
			r = app_devices(d, id, touched); /* old targets */
		if (r == 0)
			r = app_sync_targets(d, id, &s->spec, touched);
	}
	free(text);
	return r;
}

static void h_put(struct http_req *r)
{
	json_t *b = admin_body(r);
	struct app_body s = {0};
	struct uuidlist touched = {0};
	if (!b)
		return;
	char id[UUID_STR_LEN];
	struct store *d = store_get(r->ctl->db);
	int e = app_resolve(d, r->params[0], id);
	if (e < 0) {
		admin_reply_err(r, e, "app");
		goto out;
	}
	struct store_stmt *st = store_stmt(d, "SELECT name, project FROM apps WHERE id = ?1");
	char name[APP_NAME_MAX + 1] = "", project[64] = "";
	if (st) {
		store_bind_text(st, 1, id);
		if (store_step(st) == STORE_ROW) {
			snprintf(name, sizeof(name), "%s", store_col_str(st, 0));
			snprintf(project, sizeof(project), "%s", store_col_str(st, 1));
		}
		store_reset(st);
	}
	bool bad = false;
	const char *bname = admin_str(b, APP_SPEC_NAME, &bad), *bproj = admin_str(b, APP_SPEC_PROJECT, &bad);
	if (bname && strcmp(bname, name)) {
		http_reply_error(r, 400, "name: an app cannot be renamed");
		goto out;
	}
	if (bproj && strcmp(bproj, project)) {
		http_reply_error(r, 400, "project: an app cannot move to another project (it is in %s)",
				 project);
		goto out;
	}
	if (apps_rollout_active(r, d, id))
		goto out;
	if (!spec_parse(r, d, b, name, &s) || !image_granted(r, d, &s, s.spec.image) ||
	    !target_in_project(r, d, &s.spec, project))
		goto out;
	bool same = false;
	const char *restarted = NULL;
	e = store_begin(d);
	if (e == 0)
		e = store_lock(d, APPS_TARGETS_LOCK);
	if (e == 0)
		e = app_replace(d, id, &s, &touched, &same, &restarted);
	char taken[256] = "";
	if (e == 0 && !same)
		e = ports_taken(d, id, &s.spec, taken, sizeof(taken));
	if (!ports_refused(r, d, e, taken))
		app_write_done(r, d, e, id, &touched, 200, restarted);
out:
	store_put(r->ctl->db, d);
	uuidlist_free(&touched);
	app_spec_free(&s.spec);
	json_decref(b);
}

static void h_get(struct http_req *r)
{
	char id[UUID_STR_LEN];
	json_t *obj = NULL;
	struct store *d = store_get(r->ctl->db);
	int e = app_resolve(d, r->params[0], id);
	if (e == 0)
		e = app_json(d, id, &obj);
	store_put(r->ctl->db, d);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 200, obj);
}

/* start/stop/restart/purge: one UPDATE, then bump every target. */
static void app_action(struct http_req *r, const char *sql)
{
	char id[UUID_STR_LEN];
	struct uuidlist touched = {0};
	struct store *d = store_get(r->ctl->db);
	int e = app_resolve(d, r->params[0], id);
	struct store_stmt *st = e == 0 ? store_stmt(d, sql) : NULL;
	if (e == 0 && !st)
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, id);
		e = store_step_done(st);
	}
	if (e == 0)
		e = app_devices(d, id, &touched);
	if (e == 0)
		touch_all(r->ctl, d, &touched);
	store_put(r->ctl->db, d);
	uuidlist_free(&touched);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_json(r, 202, json_pack("{s:s}", "id", id));
}

static void h_start(struct http_req *r)
{
	app_action(r, "UPDATE apps SET activate = 1 WHERE id = ?1");
}

static void h_stop(struct http_req *r)
{
	app_action(r, "UPDATE apps SET activate = 0 WHERE id = ?1");
}

static void h_restart(struct http_req *r)
{
	app_action(r, "UPDATE app_instances SET restart_counter = restart_counter + 1 WHERE app_id = ?1");
}

static void h_purge(struct http_req *r)
{
	app_action(r, "UPDATE app_instances SET purge_counter = purge_counter + 1 WHERE app_id = ?1");
}

/* The data volumes an app's spec names (its "--with-volumes" delete); a
 * data volume otherwise outlives its app. */
static int app_delete_volumes(struct store *d, const char *id)
{
	struct store_stmt *st = store_stmt(d, "SELECT spec FROM apps WHERE id = ?1");
	char *spec = NULL;
	int e = -EIO;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, id);
	if (store_step(st) == STORE_ROW)
		spec = strdup(store_col_str(st, 0));
	store_reset(st);
	if (spec)
		e = volumes_delete_of_spec(d, spec);
	free(spec);
	return e;
}

static void h_delete(struct http_req *r)
{
	char id[UUID_STR_LEN];
	struct uuidlist touched = {0};
	struct store *d = store_get(r->ctl->db);
	int e = app_resolve(d, r->params[0], id);
	if (e == 0 && apps_rollout_active(r, d, id)) {
		store_put(r->ctl->db, d);
		return;
	}
	if (e == 0)
		e = app_devices(d, id, &touched);
	const char *wv = http_arg(r, "with_volumes");
	if (e == 0 && wv && (!strcmp(wv, "1") || !strcmp(wv, "true")))
		e = app_delete_volumes(d, id);
	struct store_stmt *st = e == 0 ? store_stmt(d, "DELETE FROM apps WHERE id = ?1") : NULL;
	if (e == 0 && !st)
		e = -EIO;
	if (e == 0) {
		store_bind_text(st, 1, id);
		e = store_step_done(st);
	}
	if (e == 0)
		touch_all(r->ctl, d, &touched);
	store_put(r->ctl->db, d);
	uuidlist_free(&touched);
	if (e < 0)
		admin_reply_err(r, e, "app");
	else
		http_reply_empty(r, 204);
}

#define A ADMIN_PREFIX "/apps"
const struct http_route admin_app_routes[] = {
    {"GET", A, h_list, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", A, h_create, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"GET", A "/*", h_get, 0, HTTP_AUTH_ADMIN, NULL},
    {"PUT", A "/*", h_put, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"DELETE", A "/*", h_delete, 0, HTTP_AUTH_ADMIN, NULL},
    {"POST", A "/*/start", h_start, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", A "/*/stop", h_stop, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", A "/*/restart", h_restart, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {"POST", A "/*/purge", h_purge, ADMIN_JSON_CAP, HTTP_AUTH_ADMIN, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* --- instances, for the device config (apps.h) ------------------------- */

int apps_each_instance_of_device(struct store *d, const char *uuid,
				 int (*fn)(void *ctx, const struct apps_instance_row *i), void *ctx)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT i.id, i.volume_id, i.restart_counter, i.purge_counter, a.name,"
			  " coalesce(i.pin_spec, a.spec), coalesce(i.pin_image_id, a.image_id), a.activate,"
			  " coalesce(i.pin_version, a.version), " APPGEN_SQL(
			      "a", "i") " FROM app_instances i"
					" JOIN apps a ON a.id = i.app_id WHERE "
					"i.device_id = ?1 ORDER BY i.id");
	int r = 0;
	if (!st)
		return -EIO;
	store_bind_text(st, 1, uuid);
	while (r >= 0 && store_step(st) == STORE_ROW) {
		struct apps_instance_row i = {
		    .id = store_col_str(st, 0),
		    .volume_id = store_col_str(st, 1),
		    .restart_counter = store_col_int64(st, 2),
		    .purge_counter = store_col_int64(st, 3),
		    .name = store_col_str(st, 4),
		    .spec = store_col_str(st, 5),
		    .image_id = store_col_str(st, 6),
		    .activate = store_col_int(st, 7) != 0,
		    .version = store_col_int64(st, 8),
		    .generation = store_col_str(st, 9),
		};
		r = fn(ctx, &i);
	}
	store_reset(st);
	return r < 0 ? r : 0;
}

int64_t apps_count(struct store *d, const char *grants)
{
	struct store_stmt *st =
	    store_stmt(d, "SELECT count(*) FROM apps WHERE ?1 = '*' OR instr(?1, ',' || project || ',') > 0");
	int64_t n = 0;
	if (!st)
		return 0;
	store_bind_text(st, 1, grants);
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_reset(st);
	return n;
}
